//! A meeting's counts as the database keeps them: the table `meeting_counts`, kept by triggers
//! on `registrations` and `outbox` in the transaction of each change (migration
//! `2026-12-03-000002_counts`). Reading them costs a few rows, however large the meeting grows.
//! A count is the sum of its shards (PostgreSQL spreads the busiest over several rows).

use crate::db::DbConn;
use crate::error::AppResult;
use crate::schema::{meeting_counts, organizations};
use diesel::prelude::*;
use std::collections::BTreeMap;

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
    /// The meeting's emails in the outbox, by status.
    Email,
    /// Every registration, by `<category code>/<status>`.
    Category,
}

impl Dimension {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Status => "status",
            Self::Category => "category",
            Self::Organization => "org",
            Self::Country => "country",
            Self::PressOrganization => "press_org",
            Self::PressCountry => "press_country",
            Self::Email => "email",
        }
    }
}

/// The counts of one dimension that are above zero, by key.
pub fn by_key(
    conn: &mut DbConn,
    meeting_id: &str,
    dimension: Dimension,
) -> AppResult<BTreeMap<String, i64>> {
    let shards: Vec<(String, i64)> = meeting_counts::table
        .filter(meeting_counts::meeting_id.eq(meeting_id))
        .filter(meeting_counts::dimension.eq(dimension.as_str()))
        .select((meeting_counts::key, meeting_counts::n))
        .load(conn)?;
    Ok(summed(shards))
}

/// One dimension's count of one key in each of these meetings, by meeting (zero left out).
pub fn of_meetings(
    conn: &mut DbConn,
    meeting_ids: &[String],
    dimension: Dimension,
    key: &str,
) -> AppResult<BTreeMap<String, i64>> {
    let shards: Vec<(String, i64)> = meeting_counts::table
        .filter(meeting_counts::meeting_id.eq_any(meeting_ids))
        .filter(meeting_counts::dimension.eq(dimension.as_str()))
        .filter(meeting_counts::key.eq(key))
        .select((meeting_counts::meeting_id, meeting_counts::n))
        .load(conn)?;
    Ok(summed(shards))
}

/// One dimension's counts over every meeting, by key (for the operator's metrics).
pub fn across_meetings(
    conn: &mut DbConn,
    dimension: Dimension,
) -> AppResult<BTreeMap<String, i64>> {
    let shards: Vec<(String, i64)> = meeting_counts::table
        .filter(meeting_counts::dimension.eq(dimension.as_str()))
        .select((meeting_counts::key, meeting_counts::n))
        .load(conn)?;
    Ok(summed(shards))
}

/// Shards added up by their key; the keys whose sum is not above zero left out.
fn summed(shards: Vec<(String, i64)>) -> BTreeMap<String, i64> {
    let mut sums = BTreeMap::new();
    for (key, n) in shards {
        *sums.entry(key).or_insert(0) += n;
    }
    sums.retain(|_, n| *n > 0);
    sums
}

/// The counts of an organisation dimension above zero, each with its organisation's kind as
/// it is now: `(organisation id, kind, count)`.
pub fn by_organization(
    conn: &mut DbConn,
    meeting_id: &str,
    dimension: Dimension,
) -> AppResult<Vec<(String, String, i64)>> {
    let shards: Vec<(String, String, i64)> = meeting_counts::table
        .inner_join(organizations::table.on(organizations::id.eq(meeting_counts::key)))
        .filter(meeting_counts::meeting_id.eq(meeting_id))
        .filter(meeting_counts::dimension.eq(dimension.as_str()))
        .select((organizations::id, organizations::kind, meeting_counts::n))
        .load(conn)?;
    let mut sums: BTreeMap<(String, String), i64> = BTreeMap::new();
    for (id, kind, n) in shards {
        *sums.entry((id, kind)).or_insert(0) += n;
    }
    Ok(sums
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|((id, kind), n)| (id, kind, n))
        .collect())
}
