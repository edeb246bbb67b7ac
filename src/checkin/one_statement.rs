//! A check-in on PostgreSQL in one statement: the person, their arrival of the day, the scan,
//! the registration's arrival time and the audit entry, written by data-modifying CTEs in one
//! round trip instead of seven. The constraints decide as on SQLite: an arrival is inserted once
//! per person and day, a scan once per nonce. What the statement leaves undecided (a nonce seen
//! before, a person not confirmed) falls back to the general path (`store::check_in`), which
//! answers it.

use super::{CheckIn, CheckInAnswer, DeskParticipant, Holder, Source};
use crate::audit::Actor;
use crate::db::new_id;
use crate::error::{AppError, AppResult};
use crate::meetings::Meeting;
use chrono::NaiveDateTime;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamp};
use diesel::{PgConnection, QueryableByName, RunQueryDsl};

const STATEMENT: &str = "
WITH person AS (
    SELECT r.id, r.status, r.full_name, o.name AS organization, r.country, r.category,
           r.checkin_code
    FROM registrations r JOIN organizations o ON o.id = r.organization_id
    WHERE r.meeting_id = $1 AND (r.checkin_code = $2 OR r.id = $3)
),
earlier AS (
    SELECT 1 FROM check_ins WHERE meeting_id = $1 AND nonce = $4
),
arrival AS (
    INSERT INTO attendances (registration_id, day, meeting_id, arrived_at, check_in_id)
    SELECT id, $5, $1, $6, $7 FROM person
    WHERE status = 'confirmed' AND NOT EXISTS (SELECT 1 FROM earlier)
    ON CONFLICT DO NOTHING
    RETURNING registration_id
),
scan AS (
    INSERT INTO check_ins (id, meeting_id, registration_id, nonce, day, device_at, received_at,
                           source, desk_token_id, account_id, first)
    SELECT $7, $1, id, $4, $5, $6, $8, $9, $10, $11, EXISTS (SELECT 1 FROM arrival)
    FROM person
    WHERE status = 'confirmed' AND NOT EXISTS (SELECT 1 FROM earlier)
    ON CONFLICT DO NOTHING
    RETURNING id
),
seen AS (
    UPDATE registrations
    SET checked_in_at = LEAST(COALESCE(checked_in_at, $6), $6), updated_at = $8
    WHERE id IN (SELECT registration_id FROM arrival)
    RETURNING id
),
logged AS (
    INSERT INTO audit_log (id, at, actor, action, meeting_id, subject_id, detail)
    SELECT $12, $8, $13, 'registration.checked_in', $1, registration_id, $14 FROM arrival
    RETURNING id
)
SELECT p.id, p.full_name, p.organization, p.country, p.category, p.checkin_code,
       (SELECT count(*) FROM scan) AS scanned,
       (SELECT count(*) FROM arrival) + (SELECT count(*) FROM seen) + (SELECT count(*) FROM logged)
           AS written,
       (SELECT a.arrived_at FROM attendances a WHERE a.registration_id = p.id AND a.day = $5)
           AS arrived_at
FROM person p";

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Text)]
    full_name: String,
    #[diesel(sql_type = Text)]
    organization: String,
    #[diesel(sql_type = Text)]
    country: String,
    #[diesel(sql_type = Nullable<Text>)]
    category: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    checkin_code: Option<String>,
    #[diesel(sql_type = BigInt)]
    scanned: i64,
    /// The arrival, the registration and the audit entry: 3 on a first arrival, else 0.
    #[diesel(sql_type = BigInt)]
    written: i64,
    /// The day's arrival as it stood before this statement (its own insert is not seen).
    #[diesel(sql_type = Nullable<Timestamp>)]
    arrived_at: Option<NaiveDateTime>,
}

#[derive(QueryableByName)]
struct Arrival {
    #[diesel(sql_type = Timestamp)]
    arrived_at: NaiveDateTime,
}

/// The statement, bound: its one row, or none when the meeting has no such person.
fn run(
    conn: &mut PgConnection,
    meeting: &Meeting,
    scan: &CheckIn,
    source: &Source,
    now: NaiveDateTime,
    scan_id: &str,
) -> AppResult<Option<Row>> {
    let (code, id) = match &scan.holder {
        Holder::Code(code) => (Some(code.as_str().to_owned()), None),
        Holder::Registration(id) => (None, Some(id.clone())),
    };
    let (desk_token_id, account_id) = match source {
        Source::Desk { token_id } | Source::Batch { token_id } => (Some(token_id.clone()), None),
        Source::Organizer { account_id } => (None, Some(account_id.clone())),
    };
    let actor = match source {
        Source::Organizer { account_id } => Actor::Account(account_id).label(),
        Source::Desk { .. } | Source::Batch { .. } => Actor::System.label(),
    };
    diesel::sql_query(STATEMENT)
        .bind::<Text, _>(&meeting.id)
        .bind::<Nullable<Text>, _>(code)
        .bind::<Nullable<Text>, _>(id)
        .bind::<Text, _>(&scan.nonce)
        .bind::<Text, _>(scan.day.to_string())
        .bind::<Timestamp, _>(scan.at)
        .bind::<Text, _>(scan_id)
        .bind::<Timestamp, _>(now)
        .bind::<Text, _>(source.as_str())
        .bind::<Nullable<Text>, _>(desk_token_id)
        .bind::<Nullable<Text>, _>(account_id)
        .bind::<Text, _>(new_id())
        .bind::<Text, _>(actor)
        .bind::<Text, _>(source.audit_detail(scan.day))
        .get_result(conn)
        .map(Some)
        .or_else(|error| match error {
            diesel::result::Error::NotFound => Ok(None),
            other => Err(other.into()),
        })
}

/// The check-in, when this statement could record it; `None` leaves it to the general path
/// (a nonce seen before, a person not confirmed). 404 when the meeting has no such person.
pub fn check_in(
    conn: &mut PgConnection,
    meeting: &Meeting,
    scan: &CheckIn,
    source: &Source,
    now: NaiveDateTime,
) -> AppResult<Option<CheckInAnswer>> {
    let scan_id = new_id();
    let row = run(conn, meeting, scan, source, now, &scan_id)?;
    let row = row.ok_or(AppError::NotFound)?;
    let first = row.written > 0;
    if row.scanned == 0 {
        if first {
            // A nonce taken by a scan of someone else at this very moment: this arrival goes.
            diesel::sql_query("DELETE FROM attendances WHERE check_in_id = $1")
                .bind::<Text, _>(&scan_id)
                .execute(conn)?;
        }
        return Ok(None);
    }
    let arrived_at = match (first, row.arrived_at) {
        (true, _) => Some(scan.at),
        (false, Some(at)) => Some(at),
        // Another desk's arrival, committed while this statement waited on it: it is newer
        // than the statement's snapshot, so read it now.
        (false, None) => diesel::sql_query(
            "SELECT arrived_at FROM attendances WHERE registration_id = $1 AND day = $2",
        )
        .bind::<Text, _>(&row.id)
        .bind::<Text, _>(scan.day.to_string())
        .get_result::<Arrival>(conn)
        .map(|arrival| Some(arrival.arrived_at))
        .or_else(|error| match error {
            diesel::result::Error::NotFound => Ok(None),
            other => Err(other),
        })?,
    };
    Ok(Some(CheckInAnswer {
        registration: DeskParticipant {
            id: row.id,
            full_name: row.full_name,
            organization: row.organization,
            country: row.country,
            category: row
                .category
                .unwrap_or_else(|| crate::meetings::categories::DEFAULT_CODE.to_owned()),
            checkin_code: row.checkin_code.unwrap_or_default(),
            checked_in_at: arrived_at.map(|at| meeting.rfc3339(at)),
        },
        first,
    }))
}
