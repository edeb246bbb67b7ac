//! Check-ins in storage: every scan kept (`check_ins`), one arrival per person and day
//! (`attendances`), and the desk's list of confirmed participants.

use super::{day_of, CheckIn, CheckInAnswer, DeskParticipant, Holder, Source};
use crate::audit::{self, Actor};
use crate::db::{new_id, DbConn};
use crate::error::{AppError, AppResult, Problem};
use crate::meetings::Meeting;
use crate::registrations::model::RegistrationStatus;
use crate::schema::{attendances, audit_log, check_ins, organizations, registrations};
use crate::web::PageRequest;
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

mod check_in_pg;

/// Whom a scan names, as stored: what the desk shows of them, and what the check-in needs.
#[derive(Debug, Queryable)]
struct Named {
    id: String,
    meeting_id: String,
    status: String,
    full_name: String,
    organization: String,
    country: String,
    category: Option<String>,
    checkin_code: Option<String>,
    checked_in_at: Option<NaiveDateTime>,
}

impl Named {
    fn on_desk(self, meeting: &Meeting, arrived_at: Option<NaiveDateTime>) -> DeskParticipant {
        desk_participant(
            meeting,
            (
                self.id,
                self.full_name,
                self.organization,
                self.country,
                self.category,
                self.checkin_code,
                arrived_at,
            ),
        )
    }
}

/// The person a scan names, in one query with their organisation.
fn named(conn: &mut DbConn, holder: &Holder) -> AppResult<Option<Named>> {
    let query = registrations::table
        .inner_join(organizations::table)
        .select((
            registrations::id,
            registrations::meeting_id,
            registrations::status,
            registrations::full_name,
            organizations::name,
            registrations::country,
            registrations::category,
            registrations::checkin_code,
            registrations::checked_in_at,
        ))
        .into_boxed();
    let query = match holder {
        Holder::Code(code) => {
            query.filter(registrations::checkin_code.eq(code.as_str().to_owned()))
        }
        Holder::Registration(id) => query.filter(registrations::id.eq(id.clone())),
    };
    Ok(query.first(conn).optional()?)
}

/// A scan recorded earlier under the same nonce: whom it named and what it answered.
fn earlier_scan(
    conn: &mut DbConn,
    meeting_id: &str,
    nonce: &str,
) -> AppResult<Option<(String, String, bool)>> {
    Ok(check_ins::table
        .filter(check_ins::meeting_id.eq(meeting_id))
        .filter(check_ins::nonce.eq(nonce))
        .select((check_ins::registration_id, check_ins::day, check_ins::first))
        .first(conn)
        .optional()?)
}

/// When a person arrived on a day, if they did.
fn arrival(conn: &mut DbConn, id: &str, day: &str) -> AppResult<Option<NaiveDateTime>> {
    Ok(attendances::table
        .find((id, day))
        .select(attendances::arrived_at)
        .first(conn)
        .optional()?)
}

/// Records a scan and answers whether it was the person's arrival of its day. A nonce seen
/// before answers what it answered then and records nothing; an unknown code, or another
/// meeting's, is 404 with nothing recorded; a person not confirmed is 409 `not_confirmed`.
///
/// The constraints decide, not a lock: the arrival's insert is refused for a person already
/// arrived that day, the scan's for a nonce taken (and then the transaction, arrival included,
/// is rolled back). A first arrival takes five statements; on PostgreSQL, where each is a
/// round trip, they run inside one function (`check_in_pg`).
pub fn check_in(
    conn: &mut DbConn,
    meeting: &Meeting,
    scan: &CheckIn,
    source: &Source,
    now: NaiveDateTime,
) -> AppResult<CheckInAnswer> {
    if let DbConn::Postgres(_) = conn {
        return check_in_pg::check_in(conn, meeting, scan, source, now);
    }
    match conn.transaction(|conn| try_check_in(conn, meeting, scan, source, now)) {
        Err(AppError::Conflict { code, .. }) if code == NONCE_TAKEN => conn.transaction(|conn| {
            let person = named(conn, &scan.holder)?.ok_or(AppError::NotFound)?;
            resent(conn, meeting, person, &scan.nonce)?.ok_or(AppError::NotFound)
        }),
        answer => answer,
    }
}

/// Within a check-in: its nonce was taken, so what it wrote is rolled back.
const NONCE_TAKEN: &str = "nonce_taken";

fn try_check_in(
    conn: &mut DbConn,
    meeting: &Meeting,
    scan: &CheckIn,
    source: &Source,
    now: NaiveDateTime,
) -> AppResult<CheckInAnswer> {
    let person = named(conn, &scan.holder)?
        .filter(|person| person.meeting_id == meeting.id)
        .ok_or(AppError::NotFound)?;
    if person.status != RegistrationStatus::Confirmed.as_str() {
        // A scan sent again answers as it did, even for someone cancelled since.
        if let Some(answer) = resent(conn, meeting, person, &scan.nonce)? {
            return Ok(answer);
        }
        return Err(not_confirmed());
    }
    let day = scan.day.to_string();
    let scan_id = new_id();
    let arrival_insert = diesel::insert_into(attendances::table)
        .values((
            attendances::registration_id.eq(&person.id),
            attendances::day.eq(&day),
            attendances::meeting_id.eq(&meeting.id),
            attendances::arrived_at.eq(scan.at),
            attendances::check_in_id.eq(&scan_id),
        ))
        .on_conflict_do_nothing();
    let first = crate::on_each_backend!(conn, each => arrival_insert.execute(each))? == 1;
    if !record_scan(
        conn, meeting, &person.id, &scan_id, first, scan, source, now,
    )? {
        return Err(AppError::conflict(NONCE_TAKEN, "this scan was sent before"));
    }
    let arrived_at = if first {
        arrived(conn, meeting, &person, scan, source, now)?;
        Some(scan.at)
    } else {
        arrival(conn, &person.id, &day)?
    };
    Ok(CheckInAnswer {
        registration: person.on_desk(meeting, arrived_at),
        first,
    })
}

fn not_confirmed() -> AppError {
    AppError::conflict("not_confirmed", "this registration is not confirmed")
}

fn nonce_for_another() -> AppError {
    AppError::invalid(
        "nonce",
        Problem::new("taken", "was already used for another person's check-in"),
    )
}

/// Keeps the scan; answers false when its nonce was taken already (nothing is written).
#[allow(clippy::too_many_arguments)]
fn record_scan(
    conn: &mut DbConn,
    meeting: &Meeting,
    person: &str,
    scan_id: &str,
    first: bool,
    scan: &CheckIn,
    source: &Source,
    now: NaiveDateTime,
) -> AppResult<bool> {
    let (desk_token_id, account_id) = source.who();
    let insert = diesel::insert_into(check_ins::table)
        .values((
            check_ins::id.eq(scan_id),
            check_ins::meeting_id.eq(&meeting.id),
            check_ins::registration_id.eq(person),
            check_ins::nonce.eq(&scan.nonce),
            check_ins::day.eq(scan.day.to_string()),
            check_ins::device_at.eq(scan.at),
            check_ins::received_at.eq(now),
            check_ins::source.eq(source.as_str()),
            check_ins::desk_token_id.eq(desk_token_id),
            check_ins::account_id.eq(account_id),
            check_ins::first.eq(first),
        ))
        .on_conflict_do_nothing();
    Ok(crate::on_each_backend!(conn, each => insert.execute(each))? == 1)
}

/// What a scan sent again answers: the first answer, for the person it named then.
fn resent(
    conn: &mut DbConn,
    meeting: &Meeting,
    person: Named,
    nonce: &str,
) -> AppResult<Option<CheckInAnswer>> {
    let Some((named_then, day, first)) = earlier_scan(conn, &meeting.id, nonce)? else {
        return Ok(None);
    };
    if named_then != person.id {
        return Err(nonce_for_another());
    }
    let arrived_at = arrival(conn, &person.id, &day)?;
    Ok(Some(CheckInAnswer {
        registration: person.on_desk(meeting, arrived_at),
        // An arrival undone since is no longer this scan's.
        first: first && arrived_at.is_some(),
    }))
}

/// The bookkeeping of a day's arrival: the registration's first arrival and its change time
/// for the desks (one statement), and the audit log.
fn arrived(
    conn: &mut DbConn,
    meeting: &Meeting,
    person: &Named,
    scan: &CheckIn,
    source: &Source,
    now: NaiveDateTime,
) -> AppResult<()> {
    diesel::update(registrations::table.find(&person.id))
        .set((
            registrations::checked_in_at.eq(person
                .checked_in_at
                .map_or(scan.at, |known| known.min(scan.at))),
            registrations::updated_at.eq(now),
        ))
        .execute(conn)?;
    audit::record(
        conn,
        audit::NewEntry {
            actor: &source.actor(),
            action: "registration.checked_in",
            meeting_id: Some(&meeting.id),
            subject_id: Some(&person.id),
            detail: &source.audit_detail(scan.day),
        },
        now,
    )
}

/// An organizer's check-in from the registration's page or the API's `…/check-in`: on a
/// meeting day, an arrival like a desk's; before or after the meeting, it records when the
/// person was seen (the registration's `checked_in_at`), which counts for no day.
pub fn by_organizer(
    conn: &mut DbConn,
    meeting: &Meeting,
    registration: &crate::registrations::model::Registration,
    account_id: &str,
    now: NaiveDateTime,
) -> AppResult<()> {
    let day = day_of(meeting, now);
    if super::meeting_days(meeting).contains(&day) {
        let scan = CheckIn {
            holder: Holder::Registration(registration.id.clone()),
            at: now,
            day,
            nonce: new_id(),
        };
        let source = Source::Organizer {
            account_id: account_id.to_owned(),
        };
        return check_in(conn, meeting, &scan, &source, now).map(|_| ());
    }
    if registration.checked_in_at.is_some() {
        return Ok(());
    }
    diesel::update(registrations::table.find(&registration.id))
        .set((
            registrations::checked_in_at.eq(now),
            registrations::updated_at.eq(now),
        ))
        .execute(conn)?;
    audit::record(
        conn,
        audit::NewEntry {
            actor: &Actor::Account(account_id),
            action: "registration.checked_in",
            meeting_id: Some(&meeting.id),
            subject_id: Some(&registration.id),
            detail: "",
        },
        now,
    )
}

/// Marks a registration changed, for the desks' `?since=`.
pub fn touch(conn: &mut DbConn, id: &str, now: NaiveDateTime) -> AppResult<()> {
    diesel::update(registrations::table.find(id))
        .set(registrations::updated_at.eq(now))
        .execute(conn)?;
    Ok(())
}

/// Takes back a person's arrival on a day (a mistaken check-in). Their scans stay, marked
/// undone; a scan sent again later still records nothing. Answers the person as the desk
/// now sees them.
pub fn undo(
    conn: &mut DbConn,
    meeting: &Meeting,
    id: &str,
    day: NaiveDate,
    actor: &Actor<'_>,
    now: NaiveDateTime,
) -> AppResult<DeskParticipant> {
    conn.transaction(|conn| {
        let person = named(conn, &Holder::Registration(id.to_owned()))?
            .filter(|person| person.meeting_id == meeting.id)
            .ok_or(AppError::NotFound)?;
        let day_text = day.to_string();
        let removed =
            diesel::delete(attendances::table.find((&person.id, &day_text))).execute(conn)?;
        if removed > 0 {
            diesel::update(
                check_ins::table
                    .filter(check_ins::registration_id.eq(&person.id))
                    .filter(check_ins::day.eq(&day_text))
                    .filter(check_ins::undone_at.is_null()),
            )
            .set(check_ins::undone_at.eq(now))
            .execute(conn)?;
            let earliest: Option<NaiveDateTime> = attendances::table
                .filter(attendances::registration_id.eq(&person.id))
                .select(diesel::dsl::min(attendances::arrived_at))
                .first(conn)?;
            diesel::update(registrations::table.find(&person.id))
                .set(registrations::checked_in_at.eq(earliest))
                .execute(conn)?;
            touch(conn, &person.id, now)?;
            audit::record(
                conn,
                audit::NewEntry {
                    actor,
                    action: "registration.check_in_undone",
                    meeting_id: Some(&meeting.id),
                    subject_id: Some(&person.id),
                    detail: &day_text,
                },
                now,
            )?;
        }
        participant(conn, meeting, &person.id, day)
    })
}

type DeskRow = (
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<NaiveDateTime>,
);

fn desk_participant(meeting: &Meeting, row: DeskRow) -> DeskParticipant {
    let (id, full_name, organization, country, category, code, arrived_at) = row;
    DeskParticipant {
        id,
        full_name,
        organization,
        country,
        category: category.unwrap_or_else(|| crate::meetings::categories::DEFAULT_CODE.to_owned()),
        checkin_code: code.unwrap_or_default(),
        checked_in_at: arrived_at.map(|at| meeting.rfc3339(at)),
    }
}

/// The desk's rows of a meeting, with each person's arrival on `day`.
macro_rules! desk_rows {
    ($meeting:expr, $day:expr) => {
        registrations::table
            .inner_join(organizations::table)
            .left_join(
                attendances::table.on(attendances::registration_id
                    .eq(registrations::id)
                    .and(attendances::day.eq($day))),
            )
            .filter(registrations::meeting_id.eq($meeting))
            .select((
                registrations::id,
                registrations::full_name,
                organizations::name,
                registrations::country,
                registrations::category,
                registrations::checkin_code,
                attendances::arrived_at.nullable(),
            ))
    };
}

/// One person as the desk sees them on `day`.
pub fn participant(
    conn: &mut DbConn,
    meeting: &Meeting,
    id: &str,
    day: NaiveDate,
) -> AppResult<DeskParticipant> {
    let row: DeskRow = desk_rows!(&meeting.id, day.to_string())
        .filter(registrations::id.eq(id))
        .first(conn)?;
    Ok(desk_participant(meeting, row))
}

/// Several people as the desk sees them on `day`, in the order of `ids`.
pub fn participants_by_id(
    conn: &mut DbConn,
    meeting: &Meeting,
    ids: &[String],
    day: NaiveDate,
) -> AppResult<Vec<DeskParticipant>> {
    let rows: Vec<DeskRow> = desk_rows!(&meeting.id, day.to_string())
        .filter(registrations::id.eq_any(ids))
        .load(conn)?;
    let mut found: Vec<DeskParticipant> = rows
        .into_iter()
        .map(|row| desk_participant(meeting, row))
        .collect();
    found.sort_by_key(|p| ids.iter().position(|id| *id == p.id));
    Ok(found)
}

/// A page of the desk's list: confirmed participants (with `since`, only those changed
/// after it), and the ids that left the list since then (cancelled, deleted).
pub struct DeskList {
    pub items: Vec<DeskParticipant>,
    pub next_cursor: Option<String>,
    pub removed: Vec<String>,
}

pub fn desk_list(
    conn: &mut DbConn,
    meeting: &Meeting,
    since: Option<NaiveDateTime>,
    page: &PageRequest,
    now: NaiveDateTime,
) -> AppResult<DeskList> {
    let today = day_of(meeting, now);
    let mut query = desk_rows!(&meeting.id, today.to_string())
        .filter(registrations::status.eq(RegistrationStatus::Confirmed.as_str()))
        .order(registrations::id.asc())
        .limit(page.limit + 1)
        .into_boxed();
    if let Some(since) = since {
        query = query.filter(registrations::updated_at.gt(since));
    }
    if let Some(after) = &page.cursor {
        query = query.filter(registrations::id.gt(after.clone()));
    }
    let mut rows: Vec<DeskRow> = query.load(conn)?;
    let more = rows.len() as i64 > page.limit;
    rows.truncate(page.limit as usize);
    let next_cursor = more.then(|| rows.last().map(|row| row.0.clone())).flatten();
    let removed = match (since, &page.cursor) {
        (Some(since), None) => removed_since(conn, &meeting.id, since)?,
        _ => Vec::new(),
    };
    Ok(DeskList {
        items: rows
            .into_iter()
            .map(|row| desk_participant(meeting, row))
            .collect(),
        next_cursor,
        removed,
    })
}

/// Who left the desk's list after `since`: changed and no longer confirmed, or deleted.
fn removed_since(
    conn: &mut DbConn,
    meeting_id: &str,
    since: NaiveDateTime,
) -> AppResult<Vec<String>> {
    let mut gone: Vec<String> = registrations::table
        .filter(registrations::meeting_id.eq(meeting_id))
        .filter(registrations::updated_at.gt(since))
        .filter(registrations::status.ne(RegistrationStatus::Confirmed.as_str()))
        .select(registrations::id)
        .load(conn)?;
    let deleted: Vec<Option<String>> = audit_log::table
        .filter(audit_log::meeting_id.eq(meeting_id))
        .filter(audit_log::action.eq("registration.deleted"))
        .filter(audit_log::at.gt(since))
        .select(audit_log::subject_id)
        .load(conn)?;
    gone.extend(deleted.into_iter().flatten());
    Ok(gone)
}

/// Who arrived on `day`, the latest first.
pub fn arrived_on(
    conn: &mut DbConn,
    meeting: &Meeting,
    day: NaiveDate,
    limit: i64,
) -> AppResult<Vec<DeskParticipant>> {
    let rows: Vec<DeskRow> = desk_rows!(&meeting.id, day.to_string())
        .filter(attendances::arrived_at.is_not_null())
        .order(attendances::arrived_at.desc())
        .limit(limit)
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|row| desk_participant(meeting, row))
        .collect())
}

/// How many arrived on `day`, and how many are confirmed.
pub fn arrivals_of_day(
    conn: &mut DbConn,
    meeting: &Meeting,
    day: NaiveDate,
) -> AppResult<(i64, i64)> {
    let arrived = attendances::table
        .filter(attendances::meeting_id.eq(&meeting.id))
        .filter(attendances::day.eq(day.to_string()))
        .count()
        .get_result(conn)?;
    let confirmed = registrations::table
        .filter(registrations::meeting_id.eq(&meeting.id))
        .filter(registrations::status.eq(RegistrationStatus::Confirmed.as_str()))
        .count()
        .get_result(conn)?;
    Ok((arrived, confirmed))
}

/// The confirmed person holding a code, as the desk sees them on `day`.
pub fn by_code(
    conn: &mut DbConn,
    meeting: &Meeting,
    code: &super::CheckinCode,
    day: NaiveDate,
) -> AppResult<Option<DeskParticipant>> {
    let row: Option<DeskRow> = desk_rows!(&meeting.id, day.to_string())
        .filter(registrations::checkin_code.eq(code.as_str().to_owned()))
        .filter(registrations::status.eq(RegistrationStatus::Confirmed.as_str()))
        .first(conn)
        .optional()?;
    Ok(row.map(|row| desk_participant(meeting, row)))
}
