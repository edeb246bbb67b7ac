//! Press tokens, their use log, and the attendee list in storage.

use super::model::{Attendee, AttendeeCursor, Format};
use crate::accounts::handed_out::utc;
use crate::db::{new_id, DbConn};
use crate::error::AppResult;
use crate::registrations::model::RegistrationStatus;
use crate::schema::{organizations, press_access_log, registrations, tokens as token_rows};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;

/// The press list as one query: confirmed participants who consented, in name order (the
/// index on `(meeting_id, status, consent_press_listing, full_name, id)`), with only the five
/// public fields.
fn listed(meeting_id: &str) -> Listed {
    registrations::table
        .inner_join(organizations::table)
        .select(ATTENDEE_FIELDS)
        .into_boxed()
        .filter(registrations::meeting_id.eq(meeting_id.to_owned()))
        .filter(registrations::status.eq(RegistrationStatus::Confirmed.as_str()))
        .filter(registrations::consent_press_listing.eq(true))
        .order((registrations::full_name.asc(), registrations::id.asc()))
}

type AttendeeFields = (
    registrations::id,
    registrations::full_name,
    organizations::name,
    organizations::kind,
    registrations::country,
    registrations::job_title,
);

const ATTENDEE_FIELDS: AttendeeFields = (
    registrations::id,
    registrations::full_name,
    organizations::name,
    organizations::kind,
    registrations::country,
    registrations::job_title,
);

type Listed = diesel::helper_types::IntoBoxed<
    'static,
    diesel::helper_types::Select<
        diesel::helper_types::InnerJoin<registrations::table, organizations::table>,
        AttendeeFields,
    >,
    <DbConn as diesel::Connection>::Backend,
>;

/// One page of the press list.
pub fn attendees(
    conn: &mut DbConn,
    meeting_id: &str,
    after: Option<&AttendeeCursor>,
    limit: i64,
) -> AppResult<Vec<Attendee>> {
    let mut query = listed(meeting_id).limit(limit);
    if let Some(after) = after {
        // A row-value comparison, so both databases seek into the index on (…, full_name, id)
        // instead of scanning every earlier row again for each page.
        query = query.filter(
            diesel::dsl::sql::<diesel::sql_types::Bool>(
                "(registrations.full_name, registrations.id) > (",
            )
            .bind::<diesel::sql_types::Text, _>(after.full_name.clone())
            .sql(", ")
            .bind::<diesel::sql_types::Text, _>(after.id.clone())
            .sql(")"),
        );
    }
    Ok(query.load(conn)?)
}

/// The whole press list, handed to `each` as it is read, in one pass (the exports).
pub fn each_attendee(
    conn: &mut DbConn,
    meeting_id: &str,
    each: impl FnMut(Attendee) -> AppResult<bool>,
) -> AppResult<()> {
    crate::db::each_row(conn, listed(meeting_id), each)
}

/// Counts a press officer may quote: the size of the meeting, and who of it may be named.
#[derive(Debug, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct PressSummary {
    /// The whole meeting, listed or not (absent from the counts a purge kept before it was
    /// added).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meeting: Option<MeetingSize>,
    pub attendees: i64,
    pub organizations: i64,
    pub countries: i64,
    pub by_organization_kind: BTreeMap<String, i64>,
    pub by_country: BTreeMap<String, i64>,
    /// Organisations per kind ("21 hubs"), and the countries they come from.
    pub organizations_by_kind: BTreeMap<String, i64>,
}

/// The size of a meeting in anonymous counts: every confirmed participant, listed for the press
/// or not. The number of people is always given. The numbers of organisations and countries are
/// given only when every organisation (country) that only unlisted people come from sends at
/// least five of them: beside the listed breakdown, a difference of one could otherwise single
/// out a person who did not agree to be named (DESIGN.md, small-cell suppression).
#[derive(Debug, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct MeetingSize {
    pub participants: i64,
    pub organizations: Option<i64>,
    pub countries: Option<i64>,
}

/// The smallest group of unlisted people a count may stand for.
const SMALLEST_GROUP: i64 = 5;

/// How many keys (organisations, countries) the meeting has, when the keys without anyone listed
/// each stand for a group large enough to count.
fn count_if_safe(all: &BTreeMap<String, i64>, listed: &[String]) -> Option<i64> {
    let safe = all
        .iter()
        .filter(|(key, _)| !listed.contains(key))
        .all(|(_, n)| *n >= SMALLEST_GROUP);
    safe.then_some(all.len() as i64)
}

pub fn summary(conn: &mut DbConn, meeting_id: &str) -> AppResult<PressSummary> {
    use crate::meetings::counts::{self, Dimension};
    let confirmed = RegistrationStatus::Confirmed.as_str();
    let listed = counts::by_organization(conn, meeting_id, Dimension::PressOrganization)?;
    let mut by_organization_kind = BTreeMap::new();
    let mut organizations_by_kind = BTreeMap::new();
    for (_, kind, n) in &listed {
        *by_organization_kind.entry(kind.clone()).or_insert(0) += n;
        *organizations_by_kind.entry(kind.clone()).or_insert(0) += 1;
    }
    let by_country: BTreeMap<String, i64> =
        counts::by_key(conn, meeting_id, Dimension::PressCountry)?
            .into_iter()
            .collect();
    let listed_organizations: Vec<String> = listed.iter().map(|(id, _, _)| id.clone()).collect();
    let listed_countries: Vec<String> = by_country.keys().cloned().collect();
    let meeting = MeetingSize {
        participants: counts::by_key(conn, meeting_id, Dimension::Status)?
            .into_iter()
            .find(|(status, _)| status == confirmed)
            .map_or(0, |(_, n)| n),
        organizations: count_if_safe(
            &counts::by_key(conn, meeting_id, Dimension::Organization)?,
            &listed_organizations,
        ),
        countries: count_if_safe(
            &counts::by_key(conn, meeting_id, Dimension::Country)?,
            &listed_countries,
        ),
    };
    Ok(PressSummary {
        meeting: Some(meeting),
        attendees: listed.iter().map(|(_, _, n)| n).sum(),
        organizations: listed.len() as i64,
        countries: by_country.len() as i64,
        by_organization_kind,
        by_country,
        organizations_by_kind,
    })
}

pub fn record_use(
    conn: &mut DbConn,
    token_id: &str,
    meeting_id: &str,
    format: Format,
    now: NaiveDateTime,
) -> AppResult<()> {
    diesel::insert_into(press_access_log::table)
        .values((
            press_access_log::id.eq(new_id()),
            press_access_log::token_id.eq(token_id),
            press_access_log::meeting_id.eq(meeting_id),
            press_access_log::at.eq(now),
            press_access_log::format.eq(format.as_str()),
        ))
        .execute(conn)?;
    Ok(())
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UseEntry {
    pub at: String,
    pub token_id: String,
    pub label: String,
    pub format: String,
}

/// The most recent uses of the meeting's press tokens, newest first.
pub fn uses(conn: &mut DbConn, meeting_id: &str, limit: i64) -> AppResult<Vec<UseEntry>> {
    let rows: Vec<(NaiveDateTime, String, Option<String>, String)> = press_access_log::table
        .inner_join(token_rows::table)
        .filter(press_access_log::meeting_id.eq(meeting_id))
        .order((press_access_log::at.desc(), press_access_log::id.desc()))
        .limit(limit)
        .select((
            press_access_log::at,
            press_access_log::token_id,
            token_rows::label,
            press_access_log::format,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(at, token_id, label, format)| UseEntry {
            at: utc(at),
            token_id,
            label: label.unwrap_or_default(),
            format,
        })
        .collect())
}
