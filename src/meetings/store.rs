//! Meetings in storage.

use super::model::{Meeting, MeetingDraft, MeetingStatus};
use crate::accounts;
use crate::audit;
use crate::db::{new_id, unique_violation, DbConn};
use crate::error::{AppError, AppResult};
use crate::registrations::model::RegistrationStatus;
use crate::schema::meetings;
use crate::values::Slug;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use std::collections::HashMap;

fn slug_taken() -> AppError {
    AppError::conflict("slug_taken", "a meeting with this slug exists")
}

/// Creates a meeting organized by its creator.
pub fn create(
    conn: &mut DbConn,
    draft: &MeetingDraft,
    account_id: &str,
    now: NaiveDateTime,
) -> AppResult<Meeting> {
    conn.transaction(|conn| {
        let id = new_id();
        let inserted = conn.transaction(|conn| {
            diesel::insert_into(meetings::table)
                .values((
                    meetings::id.eq(&id),
                    values(draft),
                    meetings::queue_counter.eq(0i64),
                    meetings::created_by.eq(account_id),
                    meetings::created_at.eq(now),
                    meetings::updated_at.eq(now),
                ))
                .execute(conn)
        });
        match inserted {
            Ok(_) => {}
            Err(e) if unique_violation(&e) => return Err(slug_taken()),
            Err(e) => return Err(e.into()),
        }
        accounts::store::add_organizer(conn, &id, account_id)?;
        first_category(conn, &id, now)?;
        audit::record(
            conn,
            audit::NewEntry {
                actor: &audit::Actor::Account(account_id),
                action: "meeting.created",
                meeting_id: Some(&id),
                subject_id: Some(&id),
                detail: draft.slug.as_str(),
            },
            now,
        )?;
        by_id(conn, &id)
    })
}

#[allow(clippy::type_complexity)]
fn values(
    draft: &MeetingDraft,
) -> (
    diesel::dsl::Eq<meetings::slug, &str>,
    diesel::dsl::Eq<meetings::title, &str>,
    diesel::dsl::Eq<meetings::description, &str>,
    diesel::dsl::Eq<meetings::venue, &str>,
    diesel::dsl::Eq<meetings::city, &str>,
    diesel::dsl::Eq<meetings::country, &str>,
    diesel::dsl::Eq<meetings::timezone, &'static str>,
    diesel::dsl::Eq<meetings::starts_at, NaiveDateTime>,
    diesel::dsl::Eq<meetings::ends_at, NaiveDateTime>,
    diesel::dsl::Eq<meetings::registration_opens_at, Option<NaiveDateTime>>,
    diesel::dsl::Eq<meetings::registration_closes_at, Option<NaiveDateTime>>,
    diesel::dsl::Eq<meetings::capacity, Option<i64>>,
    diesel::dsl::Eq<meetings::per_organization_limit, Option<i64>>,
    diesel::dsl::Eq<meetings::approval_threshold, Option<i64>>,
    diesel::dsl::Eq<meetings::requires_approval, bool>,
    diesel::dsl::Eq<meetings::languages, String>,
    diesel::dsl::Eq<meetings::status, &'static str>,
    diesel::dsl::Eq<meetings::translations, String>,
    diesel::dsl::Eq<meetings::address, &str>,
    diesel::dsl::Eq<meetings::contact_email, Option<&str>>,
    diesel::dsl::Eq<meetings::invitation_reminder_days, Option<i32>>,
    diesel::dsl::Eq<meetings::signatory_name, Option<&str>>,
    diesel::dsl::Eq<meetings::signatory_title, Option<&str>>,
    diesel::dsl::Eq<meetings::travel_support, bool>,
    diesel::dsl::Eq<meetings::visa_letters, bool>,
) {
    let languages: Vec<_> = draft.languages.iter().map(|l| l.as_str()).collect();
    (
        meetings::slug.eq(draft.slug.as_str()),
        meetings::title.eq(draft.title.as_str()),
        meetings::description.eq(draft.description.as_str()),
        meetings::venue.eq(draft.venue.as_str()),
        meetings::city.eq(draft.city.as_str()),
        meetings::country.eq(draft.country.as_str()),
        meetings::timezone.eq(draft.timezone.name()),
        meetings::starts_at.eq(draft.starts_at),
        meetings::ends_at.eq(draft.ends_at),
        meetings::registration_opens_at.eq(draft.registration_opens_at),
        meetings::registration_closes_at.eq(draft.registration_closes_at),
        meetings::capacity.eq(draft.capacity),
        meetings::per_organization_limit.eq(draft.per_organization_limit),
        meetings::approval_threshold.eq(draft.approval_threshold),
        meetings::requires_approval.eq(draft.requires_approval),
        meetings::languages.eq(languages.join(",")),
        meetings::status.eq(draft.status.as_str()),
        meetings::translations.eq(serde_json::to_string(&draft.translations).unwrap_or_default()),
        meetings::address.eq(draft.address.as_str()),
        meetings::contact_email.eq(draft.contact_email.as_ref().map(|e| e.as_str())),
        meetings::invitation_reminder_days.eq(draft.invitation_reminder_days),
        meetings::signatory_name.eq(draft.signatory_name.as_deref()),
        meetings::signatory_title.eq(draft.signatory_title.as_deref()),
        meetings::travel_support.eq(draft.travel_support),
        meetings::visa_letters.eq(draft.visa_letters),
    )
}

/// What a change of a meeting sets off in its transaction, given by the caller: meetings know
/// nothing of registrations, whose waiting list raised limits move.
pub type AfterUpdate = fn(&mut DbConn, &Meeting, &audit::Actor<'_>, NaiveDateTime) -> AppResult<()>;

/// Changes every field of a meeting, then runs `after` in the same transaction.
pub fn update(
    conn: &mut DbConn,
    meeting_id: &str,
    draft: &MeetingDraft,
    account_id: &str,
    now: NaiveDateTime,
    after: AfterUpdate,
) -> AppResult<Meeting> {
    conn.transaction(|conn| {
        lock(conn, meeting_id)?;
        let updated = conn.transaction(|conn| {
            diesel::update(meetings::table.find(meeting_id))
                .set((values(draft), meetings::updated_at.eq(now)))
                .execute(conn)
        });
        match updated {
            Ok(_) => {}
            Err(e) if unique_violation(&e) => return Err(slug_taken()),
            Err(e) => return Err(e.into()),
        }
        let meeting = by_id(conn, meeting_id)?;
        let actor = audit::Actor::Account(account_id);
        audit::record(
            conn,
            audit::NewEntry {
                actor: &actor,
                action: "meeting.updated",
                meeting_id: Some(meeting_id),
                subject_id: Some(meeting_id),
                detail: &meeting.status,
            },
            now,
        )?;
        after(conn, &meeting, &actor, now)?;
        Ok(meeting)
    })
}

pub fn by_id(conn: &mut DbConn, id: &str) -> AppResult<Meeting> {
    Ok(meetings::table
        .find(id)
        .select(Meeting::as_select())
        .first(conn)?)
}

pub fn by_slug(conn: &mut DbConn, slug: &Slug) -> AppResult<Meeting> {
    Ok(meetings::table
        .filter(meetings::slug.eq(slug.as_str()))
        .select(Meeting::as_select())
        .first(conn)?)
}

/// A meeting the public may see: anything but a draft.
pub fn public_by_slug(conn: &mut DbConn, slug: &Slug) -> AppResult<Meeting> {
    let meeting = by_slug(conn, slug)?;
    if meeting.is_public() {
        Ok(meeting)
    } else {
        Err(AppError::NotFound)
    }
}

/// The meeting, if this account organizes it: 404 when it does not exist, 403 when it is
/// someone else's.
pub fn organized_by(conn: &mut DbConn, slug: &Slug, account_id: &str) -> AppResult<Meeting> {
    let meeting = by_slug(conn, slug)?;
    if accounts::store::organizes(conn, &meeting.id, account_id)? {
        Ok(meeting)
    } else {
        Err(AppError::Forbidden)
    }
}

/// Published meetings in start order, after the cursor (a meeting id).
pub fn published(conn: &mut DbConn, limit: i64, after: Option<&str>) -> AppResult<Vec<Meeting>> {
    let mut query = meetings::table
        .filter(meetings::status.eq(MeetingStatus::Published.as_str()))
        .select(Meeting::as_select())
        .order(meetings::id.asc())
        .limit(limit)
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(meetings::id.gt(after.to_owned()));
    }
    Ok(query.load(conn)?)
}

/// Seats taken per meeting: its confirmed registrations, and the seats set aside for its
/// delegations that no delegate holds yet (the public cannot take those).
pub fn seats_taken_by_meeting(
    conn: &mut DbConn,
    meeting_ids: &[String],
) -> AppResult<HashMap<String, i64>> {
    // The counts the database keeps, updated in the transaction of every change: a seat
    // decision under the meeting lock reads them as it would count the rows.
    let mut counts: HashMap<String, i64> = super::counts::of_meetings(
        conn,
        meeting_ids,
        super::counts::Dimension::Status,
        RegistrationStatus::Confirmed.as_str(),
    )?
    .into_iter()
    .collect();
    for (meeting_id, reserved) in reserved(conn, meeting_ids)? {
        *counts.entry(meeting_id).or_default() += reserved.total;
    }
    Ok(counts)
}

/// Seats set aside for a meeting's delegations and not yet held by a delegate, in all and by
/// category. A delegation's seats stay aside until the deadline releases the unused ones.
#[derive(Debug, Clone, Default)]
pub struct Reserved {
    pub total: i64,
    pub by_category: HashMap<String, i64>,
}

/// The seats set aside in each of the meetings (those without delegations left out).
pub fn reserved(conn: &mut DbConn, meeting_ids: &[String]) -> AppResult<HashMap<String, Reserved>> {
    use crate::schema::{delegations, registrations};
    let aside: Vec<(String, String, String, i64)> = delegations::table
        .filter(delegations::meeting_id.eq_any(meeting_ids))
        .filter(delegations::released_at.is_null())
        .select((
            delegations::id,
            delegations::meeting_id,
            delegations::category,
            delegations::seats,
        ))
        .load(conn)?;
    if aside.is_empty() {
        return Ok(HashMap::new());
    }
    let ids: Vec<&String> = aside.iter().map(|(id, ..)| id).collect();
    let held: HashMap<Option<String>, i64> = registrations::table
        .filter(registrations::delegation_id.eq_any(ids))
        .filter(registrations::status.eq(RegistrationStatus::Confirmed.as_str()))
        .group_by(registrations::delegation_id)
        .select((registrations::delegation_id, diesel::dsl::count_star()))
        .load::<(Option<String>, i64)>(conn)?
        .into_iter()
        .collect();
    let mut reserved: HashMap<String, Reserved> = HashMap::new();
    for (id, meeting_id, category, seats) in aside {
        let free = (seats - held.get(&Some(id)).copied().unwrap_or(0)).max(0);
        let of_meeting = reserved.entry(meeting_id).or_default();
        of_meeting.total += free;
        *of_meeting.by_category.entry(category).or_default() += free;
    }
    Ok(reserved)
}

/// The seats set aside in one meeting.
pub fn reserved_in(conn: &mut DbConn, meeting_id: &str) -> AppResult<Reserved> {
    Ok(reserved(conn, &[meeting_id.to_owned()])?
        .remove(meeting_id)
        .unwrap_or_default())
}

/// Seats taken in one meeting (see [`seats_taken_by_meeting`]).
pub fn seats_taken(conn: &mut DbConn, meeting_id: &str) -> AppResult<i64> {
    Ok(seats_taken_by_meeting(conn, &[meeting_id.to_owned()])?
        .get(meeting_id)
        .copied()
        .unwrap_or(0))
}

/// Locks the meeting row for the rest of the transaction and answers a number that grows with
/// every call: seat decisions are made one at a time per meeting, on every backend and across
/// server processes, and the number orders the waiting list.
pub fn lock(conn: &mut DbConn, meeting_id: &str) -> AppResult<i64> {
    Ok(diesel::update(meetings::table.find(meeting_id))
        .set(meetings::queue_counter.eq(meetings::queue_counter + 1))
        .returning(meetings::queue_counter)
        .get_result(conn)?)
}

/// The category every meeting starts with, in the meeting's transaction (written here, not in
/// `categories::store`, which takes the meeting lock from this module).
fn first_category(conn: &mut DbConn, meeting_id: &str, now: NaiveDateTime) -> AppResult<()> {
    use crate::schema::categories;
    diesel::insert_into(categories::table)
        .values((
            categories::id.eq(new_id()),
            categories::meeting_id.eq(meeting_id),
            categories::code.eq(super::categories::DEFAULT_CODE),
            categories::name.eq("Participant"),
            categories::translations.eq(r#"{"es":{"name":"Participante"}}"#),
            categories::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Adds one seat to a full meeting's capacity: the organizer's choice to seat someone beyond
/// it. Call it under the meeting lock. The new capacity.
pub fn add_seat(conn: &mut DbConn, meeting_id: &str) -> AppResult<Option<i64>> {
    Ok(diesel::update(meetings::table.find(meeting_id))
        .set(meetings::capacity.eq(meetings::capacity + 1))
        .returning(meetings::capacity)
        .get_result(conn)?)
}

/// The meetings an account organizes, newest first.
pub fn organized_list(conn: &mut DbConn, account_id: &str) -> AppResult<Vec<Meeting>> {
    use crate::schema::meeting_organizers;
    Ok(meetings::table
        .inner_join(meeting_organizers::table)
        .filter(meeting_organizers::account_id.eq(account_id))
        .order(meetings::starts_at.desc())
        .select(Meeting::as_select())
        .load(conn)?)
}
