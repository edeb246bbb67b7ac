//! A meeting's counts as the database keeps them: the table `meeting_counts`, kept by triggers
//! on `registrations` in the transaction of each change (migration `2026-12-03-000002_counts`).
//! Reading them costs a few rows, however large the meeting grows.

use crate::db::DbConn;
use crate::error::AppResult;
use crate::schema::{meeting_counts, organizations};
use diesel::prelude::*;

/// What a count is kept by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dimension {
    /// Every registration, by status.
    Status,
    /// Confirmed participants, by organisation id.
    Organization,
    /// Confirmed participants, by country code.
    Country,
    /// Confirmed participants listed for the press, by organisation id.
    PressOrganization,
    /// Confirmed participants listed for the press, by country code.
    PressCountry,
}

impl Dimension {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Status => "status",
            Self::Organization => "org",
            Self::Country => "country",
            Self::PressOrganization => "press_org",
            Self::PressCountry => "press_country",
        }
    }
}

/// The counts of one dimension that are above zero, by key.
pub fn by_key(
    conn: &mut DbConn,
    meeting_id: &str,
    dimension: Dimension,
) -> AppResult<Vec<(String, i64)>> {
    Ok(meeting_counts::table
        .filter(meeting_counts::meeting_id.eq(meeting_id))
        .filter(meeting_counts::dimension.eq(dimension.as_str()))
        .filter(meeting_counts::n.gt(0))
        .select((meeting_counts::key, meeting_counts::n))
        .load(conn)?)
}

/// The counts of an organisation dimension above zero, each with its organisation's kind as
/// it is now: `(organisation id, kind, count)`.
pub fn by_organization(
    conn: &mut DbConn,
    meeting_id: &str,
    dimension: Dimension,
) -> AppResult<Vec<(String, String, i64)>> {
    Ok(meeting_counts::table
        .inner_join(organizations::table.on(organizations::id.eq(meeting_counts::key)))
        .filter(meeting_counts::meeting_id.eq(meeting_id))
        .filter(meeting_counts::dimension.eq(dimension.as_str()))
        .filter(meeting_counts::n.gt(0))
        .select((organizations::id, organizations::kind, meeting_counts::n))
        .load(conn)?)
}
