//! Registrations in storage. One transaction per use case; every status change writes its audit
//! entry and its email in that same transaction. Seat decisions run under the meeting lock
//! (`meetings::store::lock`), so capacity and per-organisation limits hold under concurrency.

use super::model::{
    organization_key, seat_available, ClientGuard, ListFilter, NewOrganization, NewRegistration,
    Organization, Registration, RegistrationStatus, RegistrationView, ATTEMPT_WINDOW,
    CONFIRMATION_WINDOW, LINK_RESEND_INTERVAL,
};
use crate::accounts::tokens::{self, TokenKind};
use crate::audit::{self, Actor};
use crate::db::{new_id, DbConn};
use crate::email::{outbox, ParticipantMail};
use crate::error::{AppError, AppResult, Problem};
use crate::meetings::{self, Meeting};
use crate::schema::{organizations, registration_attempts, registrations};
// The tables, named apart from the `outbox` and `tokens` modules that write them.
use crate::schema::{outbox as emails, tokens as links};
use crate::values::{Language, Slug};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use std::collections::HashMap;

use RegistrationStatus as Status;

fn invalid_transition(status: Status) -> AppError {
    AppError::conflict(
        "invalid_transition",
        format!(
            "not possible for a registration that is {}",
            status.as_str()
        ),
    )
}

/// Registers, or, for an address already registered, emails its manage link instead (at most
/// once an hour). Both answer alike, so a stranger cannot learn who is registered.
pub fn register(
    conn: &mut DbConn,
    slug: &Slug,
    new: &NewRegistration,
    client: &ClientGuard,
    now: NaiveDateTime,
) -> AppResult<()> {
    conn.transaction(|conn| {
        let meeting = meetings::store::public_by_slug(conn, slug)?;
        if !meeting.registration_open(now) {
            return Err(AppError::conflict(
                "registration_closed",
                "registration for this meeting is closed",
            ));
        }
        count_attempt(conn, &meeting.id, client, now)?;
        // Looked up before inserting: a unique index refusing the insert would have PostgreSQL
        // write the address into its server log. And before the organisation is named, so a
        // known address leaves no organisation of a stranger's behind.
        match by_address(conn, &meeting.id, &new.email)? {
            Some(known) if known.status().can_register_again() => archive_address(conn, &known)?,
            Some(known) => return resend_link(conn, &known, now),
            None => {}
        }
        let organization_id = organization_id(conn, &new.organization, now)?;
        let id = new_id();
        let insert = diesel::insert_into(registrations::table)
            .values((
                registrations::id.eq(&id),
                registrations::meeting_id.eq(&meeting.id),
                registrations::email.eq(new.email.as_str()),
                registrations::email_key.eq(new.email.key()),
                registrations::consent_data_processing.eq(true),
                registrations::status.eq(Status::PendingEmail.as_str()),
                registrations::created_at.eq(now),
                registrations::status_changed_at.eq(now),
                fields(new, &organization_id),
            ))
            .on_conflict_do_nothing();
        let inserted = match conn {
            DbConn::Postgres(pg) => insert.execute(pg)?,
            DbConn::Sqlite(sqlite) => insert.execute(sqlite)?,
        };
        if inserted == 0 {
            // The same address registered a moment ago, in a transaction of its own.
            sweep_organizations(conn, Some(std::slice::from_ref(&organization_id)))?;
            let known = by_address(conn, &meeting.id, &new.email)?.ok_or(AppError::NotFound)?;
            return resend_link(conn, &known, now);
        }
        audit::record(
            conn,
            &Actor::Participant(&id),
            "registration.created",
            Some(&meeting.id),
            Some(&id),
            Status::PendingEmail.as_str(),
            now,
        )?;
        outbox::enqueue(
            conn,
            &meeting.id,
            &id,
            new.email.as_str(),
            &ParticipantMail::ConfirmAddress,
            now,
        )
    })
}

/// Counts an accepted registration against its client's limit in the meeting, or refuses it
/// when the client reached the limit within the window. Every accepted attempt counts, for a
/// new address or a known one, and before the address is looked up: the answer says nothing
/// of who is registered. Under a burst on PostgreSQL a few more may pass than the limit (the
/// count and the insert are not one statement); the per-minute rate limit bounds those.
fn count_attempt(
    conn: &mut DbConn,
    meeting_id: &str,
    client: &ClientGuard,
    now: NaiveDateTime,
) -> AppResult<()> {
    let (Some(key), Some(limit)) = (client.key_for(meeting_id), client.limit) else {
        return Ok(());
    };
    let recent: Vec<NaiveDateTime> = registration_attempts::table
        .filter(registration_attempts::meeting_id.eq(meeting_id))
        .filter(registration_attempts::client_key.eq(&key))
        .filter(registration_attempts::at.gt(now - ATTEMPT_WINDOW))
        .order(registration_attempts::at.asc())
        .select(registration_attempts::at)
        .limit(limit)
        .load(conn)?;
    if let Some(oldest) = recent.first().filter(|_| recent.len() as i64 >= limit) {
        return Err(AppError::RateLimited {
            retry_after_secs: (*oldest + ATTEMPT_WINDOW - now).num_seconds().max(1) as u64,
        });
    }
    diesel::insert_into(registration_attempts::table)
        .values((
            registration_attempts::id.eq(new_id()),
            registration_attempts::meeting_id.eq(meeting_id),
            registration_attempts::client_key.eq(key),
            registration_attempts::at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Forgets attempts older than the window; answers how many.
pub fn forget_attempts(conn: &mut DbConn, now: NaiveDateTime) -> AppResult<usize> {
    Ok(diesel::delete(
        registration_attempts::table.filter(registration_attempts::at.le(now - ATTEMPT_WINDOW)),
    )
    .execute(conn)?)
}

/// The registration that holds this address in the meeting, if any.
fn by_address(
    conn: &mut DbConn,
    meeting_id: &str,
    email: &crate::values::Email,
) -> AppResult<Option<Registration>> {
    Ok(registrations::table
        .filter(registrations::meeting_id.eq(meeting_id))
        .filter(registrations::email_key.eq(email.key()))
        .select(Registration::as_select())
        .first(conn)
        .optional()?)
}

/// Sets a cancelled or expired registration aside, untouched, so that its address can register
/// afresh: the new registration is another row, with other links, and a stranger registering
/// the address learns nothing of the old one and cannot overwrite it. Its key gains the id
/// after a space, which no address holds, so it never matches an address again.
fn archive_address(conn: &mut DbConn, registration: &Registration) -> AppResult<()> {
    diesel::update(registrations::table.find(&registration.id))
        .set(registrations::email_key.eq(format!("{} {}", registration.email_key, registration.id)))
        .execute(conn)?;
    Ok(())
}

/// Emails a registered address its manage link, unless one went out in the last hour; an
/// address not yet confirmed gets its confirm link again instead (a first email lost to a spam
/// folder is the usual reason to register twice).
fn resend_link(conn: &mut DbConn, known: &Registration, now: NaiveDateTime) -> AppResult<()> {
    // One statement decides, so requests racing on PostgreSQL send one email between them.
    let due = diesel::update(
        registrations::table.find(&known.id).filter(
            registrations::link_resent_at
                .is_null()
                .or(registrations::link_resent_at.le(now - LINK_RESEND_INTERVAL)),
        ),
    )
    .set(registrations::link_resent_at.eq(now))
    .execute(conn)?;
    if due == 0 {
        return Ok(());
    }
    let mail = match known.status() {
        Status::PendingEmail => ParticipantMail::ConfirmAddress,
        _ => ParticipantMail::AlreadyRegistered,
    };
    outbox::enqueue(conn, &known.meeting_id, &known.id, &known.email, &mail, now)
}

#[allow(clippy::type_complexity)]
fn fields<'a>(
    new: &'a NewRegistration,
    organization_id: &'a str,
) -> (
    diesel::dsl::Eq<registrations::full_name, &'a str>,
    diesel::dsl::Eq<registrations::organization_id, &'a str>,
    diesel::dsl::Eq<registrations::job_title, Option<&'a str>>,
    diesel::dsl::Eq<registrations::country, &'a str>,
    diesel::dsl::Eq<registrations::language, &'static str>,
    diesel::dsl::Eq<registrations::dietary, Option<&'a str>>,
    diesel::dsl::Eq<registrations::accessibility, Option<&'a str>>,
    diesel::dsl::Eq<registrations::interpretation, Option<&'a str>>,
    diesel::dsl::Eq<registrations::consent_press_listing, bool>,
    diesel::dsl::Eq<registrations::search_text, String>,
) {
    (
        registrations::full_name.eq(new.full_name.as_str()),
        registrations::organization_id.eq(organization_id),
        registrations::job_title.eq(new.job_title.as_deref()),
        registrations::country.eq(new.country.as_str()),
        registrations::language.eq(new.language.as_str()),
        registrations::dietary.eq(new.dietary.as_deref()),
        registrations::accessibility.eq(new.accessibility.as_deref()),
        registrations::interpretation.eq(new.interpretation.as_deref()),
        registrations::consent_press_listing.eq(new.consent_press_listing),
        registrations::search_text.eq(new.search_text()),
    )
}

/// The id of the organisation, created on first mention.
pub fn organization_id(
    conn: &mut DbConn,
    org: &NewOrganization,
    now: NaiveDateTime,
) -> AppResult<String> {
    let key = org.key();
    let find = |conn: &mut DbConn| -> QueryResult<Option<String>> {
        let query = organizations::table
            .filter(organizations::name_key.eq(&key))
            .filter(organizations::country.eq(org.country.as_str()))
            .select(organizations::id);
        match conn {
            // Held until the registration naming it commits, so that a concurrent sweep of
            // unused organisations (`sweep_organizations`) cannot delete it in between.
            // SQLite's one writer has no one to race.
            DbConn::Postgres(pg) => query.for_key_share().first(pg).optional(),
            DbConn::Sqlite(sqlite) => query.first(sqlite).optional(),
        }
    };
    if let Some(id) = find(conn)? {
        return Ok(id);
    }
    let id = new_id();
    // Not a failing insert when someone else named it a moment ago: PostgreSQL would log the
    // name with the unique index's error.
    let insert = diesel::insert_into(organizations::table)
        .values((
            organizations::id.eq(&id),
            organizations::name.eq(&org.name),
            organizations::name_key.eq(&key),
            organizations::kind.eq(org.kind.as_str()),
            organizations::country.eq(org.country.as_str()),
            organizations::created_at.eq(now),
        ))
        .on_conflict_do_nothing();
    let inserted = match conn {
        DbConn::Postgres(pg) => insert.execute(pg)?,
        DbConn::Sqlite(sqlite) => insert.execute(sqlite)?,
    };
    if inserted == 1 {
        Ok(id)
    } else {
        find(conn)?.ok_or(AppError::NotFound)
    }
}

/// Deletes the organisations that no registration names any more: the name was typed by a
/// participant, and goes with the last registration that used it (deleted, purged, or moved to
/// another organisation). Answers how many went.
///
/// On PostgreSQL it never waits: an organisation that a transaction in flight has just found
/// for a registration (`organization_id` holds it with `FOR KEY SHARE`) is skipped, and left
/// for a later sweep if that registration never comes.
///
/// `candidates` bounds the look to the organisations a change may have left unused (a delete
/// touches one), so its cost does not grow with the database; `None` looks at all of them.
pub fn sweep_organizations(conn: &mut DbConn, candidates: Option<&[String]>) -> AppResult<usize> {
    let mut tries = 0;
    loop {
        // In a savepoint: on PostgreSQL a registration committed after this statement's snapshot
        // may name one of them (the foreign key then refuses); the next try no longer picks it.
        let swept = conn.transaction(|conn| {
            let ids: Vec<String> = match candidates {
                Some(candidates) => {
                    let unused = organizations::table
                        .filter(organizations::id.eq_any(candidates))
                        .filter(diesel::dsl::not(diesel::dsl::exists(
                            registrations::table
                                .filter(registrations::organization_id.eq(organizations::id)),
                        )))
                        .select(organizations::id);
                    match conn {
                        DbConn::Postgres(pg) => unused.for_update().skip_locked().load(pg)?,
                        DbConn::Sqlite(sqlite) => unused.load(sqlite)?,
                    }
                }
                None => {
                    let unused = organizations::table
                        // NOT EXISTS, an anti-join on the index: NOT IN compares each
                        // organisation with every registration once they outgrow memory.
                        .filter(diesel::dsl::not(diesel::dsl::exists(
                            registrations::table
                                .filter(registrations::organization_id.eq(organizations::id)),
                        )))
                        .select(organizations::id);
                    match conn {
                        DbConn::Postgres(pg) => unused.for_update().skip_locked().load(pg)?,
                        DbConn::Sqlite(sqlite) => unused.load(sqlite)?,
                    }
                }
            };
            let mut deleted = 0;
            for chunk in ids.chunks(500) {
                deleted +=
                    diesel::delete(organizations::table.filter(organizations::id.eq_any(chunk)))
                        .execute(conn)?;
            }
            Ok(deleted)
        });
        match swept {
            Err(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::ForeignKeyViolation,
                _,
            )) if tries < 3 => tries += 1,
            other => return Ok(other?),
        }
    }
}

/// Locks a registration's row against other changes until this transaction ends, on
/// PostgreSQL (SQLite's one writer has no one to race).
fn lock_registration(conn: &mut DbConn, id: &str) -> AppResult<()> {
    if let DbConn::Postgres(pg) = conn {
        registrations::table
            .find(id)
            .select(registrations::id)
            .for_no_key_update()
            .load::<String>(pg)?;
    }
    Ok(())
}

/// Locks an organisation against new references until this transaction ends, on PostgreSQL,
/// so that deleting its last registration can then delete it too. Take it before the meeting
/// lock: `organization_id` (in `register`, `update_own`) takes its lock in that order.
fn lock_organization(conn: &mut DbConn, id: &str) -> AppResult<()> {
    if let DbConn::Postgres(pg) = conn {
        organizations::table
            .find(id)
            .select(organizations::id)
            .for_update()
            .load::<String>(pg)?;
    }
    Ok(())
}

/// Recomputes every organisation's key by the current rule ([`organization_key`]) and merges
/// organisations whose keys now meet, in one country, into the oldest: keys written by an
/// earlier, looser rule would otherwise keep look-alikes apart, each with a limit of its own.
/// A migration cannot run Rust, so this runs after the migrations at every start; with nothing
/// to change it only reads. Answers how many organisations were merged away.
pub fn rekey_organizations(conn: &mut DbConn) -> AppResult<usize> {
    conn.transaction(|conn| {
        let rows: Vec<(String, String, String, String)> = organizations::table
            .order((organizations::created_at.asc(), organizations::id.asc()))
            .select((
                organizations::id,
                organizations::name,
                organizations::name_key,
                organizations::country,
            ))
            .load(conn)?;
        let mut kept: HashMap<(String, String), String> = HashMap::new();
        let mut rekeyed = Vec::new();
        let mut merged = 0;
        for (id, name, old_key, country) in rows {
            // A name without letters or digits (allowed before) keeps its key.
            let key = Some(organization_key(&name))
                .filter(|k| !k.is_empty())
                .unwrap_or(old_key.clone());
            match kept.entry((key.clone(), country)) {
                std::collections::hash_map::Entry::Occupied(keeper) => {
                    diesel::update(
                        registrations::table.filter(registrations::organization_id.eq(&id)),
                    )
                    .set(registrations::organization_id.eq(keeper.get()))
                    .execute(conn)?;
                    diesel::delete(organizations::table.find(&id)).execute(conn)?;
                    merged += 1;
                }
                std::collections::hash_map::Entry::Vacant(slot) => {
                    slot.insert(id.clone());
                    if key != old_key {
                        rekeyed.push((id, key));
                    }
                }
            }
        }
        // In two steps, so that UNIQUE (name_key, country) never sees a key held twice while
        // keys move (one organisation's new key may be another's old one).
        for (id, _) in &rekeyed {
            diesel::update(organizations::table.find(id))
                .set(organizations::name_key.eq(format!("\u{1}{id}")))
                .execute(conn)?;
        }
        for (id, key) in &rekeyed {
            diesel::update(organizations::table.find(id))
                .set(organizations::name_key.eq(key))
                .execute(conn)?;
        }
        // Also catches organisations a sweep had to skip.
        sweep_organizations(conn, None)?;
        if merged > 0 || !rekeyed.is_empty() {
            tracing::info!(
                organizations.merged = merged,
                organizations.rekeyed = rekeyed.len(),
                "organisation keys recomputed"
            );
        }
        Ok(merged)
    })
}

pub fn by_id(conn: &mut DbConn, id: &str) -> AppResult<Registration> {
    Ok(registrations::table
        .find(id)
        .select(Registration::as_select())
        .first(conn)?)
}

fn with_organization(conn: &mut DbConn, id: &str) -> AppResult<(Registration, Organization)> {
    Ok(registrations::table
        .inner_join(organizations::table)
        .filter(registrations::id.eq(id))
        .select((Registration::as_select(), Organization::as_select()))
        .first(conn)?)
}

/// A registration of this meeting, or 404 (also when it belongs to another meeting).
fn in_meeting(conn: &mut DbConn, meeting: &Meeting, id: &str) -> AppResult<Registration> {
    let registration = by_id(conn, id)?;
    if registration.meeting_id == meeting.id {
        Ok(registration)
    } else {
        Err(AppError::NotFound)
    }
}

/// Place on the waiting list, 1 for the head.
fn waitlist_position(conn: &mut DbConn, meeting_id: &str, ticket: i64) -> AppResult<i64> {
    Ok(registrations::table
        .filter(registrations::meeting_id.eq(meeting_id))
        .filter(registrations::status.eq(Status::Waitlisted.as_str()))
        .filter(registrations::queue_ticket.le(ticket))
        .count()
        .get_result(conn)?)
}

/// The registration as its participant and organizers see it.
pub fn view(conn: &mut DbConn, id: &str) -> AppResult<RegistrationView> {
    let (registration, organization) = with_organization(conn, id)?;
    let meeting = meetings::store::by_id(conn, &registration.meeting_id)?;
    let position = match (registration.status(), registration.queue_ticket) {
        (Status::Waitlisted, Some(ticket)) => Some(waitlist_position(conn, &meeting.id, ticket)?),
        _ => None,
    };
    Ok(RegistrationView::new(
        &meeting,
        registration,
        organization,
        position,
    ))
}

fn set_status(
    conn: &mut DbConn,
    registration: &Registration,
    to: Status,
    ticket: Option<i64>,
    actor: &Actor<'_>,
    now: NaiveDateTime,
) -> AppResult<()> {
    let confirmed_at = match to {
        Status::Confirmed => Some(now),
        _ => registration.confirmed_at,
    };
    diesel::update(registrations::table.find(&registration.id))
        .set((
            registrations::status.eq(to.as_str()),
            registrations::queue_ticket.eq(ticket),
            registrations::confirmed_at.eq(confirmed_at),
            registrations::status_changed_at.eq(now),
        ))
        .execute(conn)?;
    let detail = format!("{} -> {}", registration.status, to.as_str());
    audit::record(
        conn,
        actor,
        &format!("registration.{}", to.as_str()),
        Some(&registration.meeting_id),
        Some(&registration.id),
        &detail,
        now,
    )
}

fn confirmed_in(conn: &mut DbConn, meeting_id: &str, organization_id: &str) -> AppResult<i64> {
    Ok(registrations::table
        .filter(registrations::meeting_id.eq(meeting_id))
        .filter(registrations::organization_id.eq(organization_id))
        .filter(registrations::status.eq(Status::Confirmed.as_str()))
        .count()
        .get_result(conn)?)
}

/// Gives a seat if one is free (capacity and organisation limit), else a place on the waiting
/// list. Call it under the meeting lock; `ticket` comes from that lock.
fn seat_or_waitlist(
    conn: &mut DbConn,
    meeting: &Meeting,
    registration: &Registration,
    ticket: i64,
    seated_mail: ParticipantMail,
    actor: &Actor<'_>,
    now: NaiveDateTime,
) -> AppResult<()> {
    let in_meeting = meetings::store::confirmed_count(conn, &meeting.id)?;
    let in_organization = confirmed_in(conn, &meeting.id, &registration.organization_id)?;
    let (to, mail) = if seat_available(meeting, in_meeting, in_organization) {
        set_status(conn, registration, Status::Confirmed, None, actor, now)?;
        (Status::Confirmed, seated_mail)
    } else {
        set_status(
            conn,
            registration,
            Status::Waitlisted,
            Some(ticket),
            actor,
            now,
        )?;
        let position = waitlist_position(conn, &meeting.id, ticket)?;
        (Status::Waitlisted, ParticipantMail::Waitlisted { position })
    };
    tracing::debug!(registration.status = to.as_str(), "seat decided");
    outbox::enqueue(
        conn,
        &meeting.id,
        &registration.id,
        &registration.email,
        &mail,
        now,
    )
}

/// Confirms the address behind a confirm token: the registration becomes confirmed,
/// waitlisted or pending approval. The token is single-use; answers the status only, since
/// whoever holds the link is not yet known to be the participant (and the meeting, for the page).
pub fn confirm(conn: &mut DbConn, token: &str, now: NaiveDateTime) -> AppResult<(Status, Meeting)> {
    conn.transaction(|conn| {
        let found =
            tokens::find(conn, TokenKind::Confirm, token, now)?.ok_or(AppError::NotFound)?;
        let id = found.registration_id.ok_or(AppError::NotFound)?;
        // The registration before its token: the email worker, renewing a link, locks them in
        // that order too.
        lock_registration(conn, &id)?;
        tokens::spend(conn, TokenKind::Confirm, token, now)?.ok_or(AppError::NotFound)?;
        let registration = by_id(conn, &id)?;
        if registration.status() != Status::PendingEmail {
            return Err(AppError::NotFound);
        }
        let meeting = meetings::store::by_id(conn, &registration.meeting_id)?;
        let ticket = meetings::store::lock(conn, &meeting.id)?;
        // Read again under the lock: a cancellation may have got here first.
        let registration = by_id(conn, &id)?;
        if registration.status() != Status::PendingEmail {
            return Err(AppError::NotFound);
        }
        let actor = Actor::Participant(&id);
        // Past the organizer's threshold the remaining seats are given by hand, so that a
        // script confirming addresses of its own cannot take them all.
        let past_threshold = match meeting.approval_threshold {
            Some(threshold) => meetings::store::confirmed_count(conn, &meeting.id)? >= threshold,
            None => false,
        };
        if meeting.requires_approval || past_threshold {
            set_status(
                conn,
                &registration,
                Status::PendingApproval,
                None,
                &actor,
                now,
            )?;
            outbox::enqueue(
                conn,
                &meeting.id,
                &id,
                &registration.email,
                &ParticipantMail::AwaitingApproval,
                now,
            )?;
        } else {
            seat_or_waitlist(
                conn,
                &meeting,
                &registration,
                ticket,
                ParticipantMail::Confirmed,
                &actor,
                now,
            )?;
        }
        Ok((by_id(conn, &id)?.status(), meeting))
    })
}

/// Stops every manage link of a registration and emails a new one to its address.
pub fn sign_out_everywhere(conn: &mut DbConn, id: &str, now: NaiveDateTime) -> AppResult<()> {
    conn.transaction(|conn| {
        let registration = by_id(conn, id)?;
        let stopped = tokens::revoke_all(conn, TokenKind::Manage, id, now)?;
        audit::record(
            conn,
            &Actor::Participant(id),
            "registration.signed_out",
            Some(&registration.meeting_id),
            Some(id),
            &format!("{stopped} links stopped"),
            now,
        )?;
        outbox::enqueue(
            conn,
            &registration.meeting_id,
            id,
            &registration.email,
            &ParticipantMail::NewLink,
            now,
        )
    })
}

/// Cancels; a freed seat goes to the waiting list in the same transaction.
pub fn cancel(
    conn: &mut DbConn,
    id: &str,
    meeting_slug: Option<&Slug>,
    actor: &Actor<'_>,
    now: NaiveDateTime,
) -> AppResult<RegistrationView> {
    conn.transaction(|conn| {
        let registration = by_id(conn, id)?;
        let meeting = meetings::store::by_id(conn, &registration.meeting_id)?;
        if meeting_slug.is_some_and(|slug| slug.as_str() != meeting.slug) {
            return Err(AppError::NotFound);
        }
        meetings::store::lock(conn, &meeting.id)?;
        let registration = by_id(conn, id)?;
        let was = registration.status();
        if !was.cancellable() {
            return Err(invalid_transition(was));
        }
        set_status(conn, &registration, Status::Cancelled, None, actor, now)?;
        outbox::enqueue(
            conn,
            &meeting.id,
            id,
            &registration.email,
            &ParticipantMail::Cancelled,
            now,
        )?;
        if was == Status::Confirmed {
            fill_free_seats(conn, &meeting, actor, now)?;
        }
        view(conn, id)
    })
}

/// What an organizer may do to a registration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Approve,
    Reject,
    CheckIn,
}

pub fn decide(
    conn: &mut DbConn,
    meeting: &Meeting,
    id: &str,
    decision: Decision,
    account_id: &str,
    now: NaiveDateTime,
) -> AppResult<RegistrationView> {
    conn.transaction(|conn| {
        in_meeting(conn, meeting, id)?;
        let ticket = meetings::store::lock(conn, &meeting.id)?;
        let registration = by_id(conn, id)?;
        let actor = Actor::Account(account_id);
        match (decision, registration.status()) {
            (Decision::Approve, Status::PendingApproval) => {
                seat_or_waitlist(
                    conn,
                    meeting,
                    &registration,
                    ticket,
                    ParticipantMail::Approved,
                    &actor,
                    now,
                )?;
            }
            (Decision::Reject, Status::PendingApproval) => {
                set_status(conn, &registration, Status::Rejected, None, &actor, now)?;
                outbox::enqueue(
                    conn,
                    &meeting.id,
                    id,
                    &registration.email,
                    &ParticipantMail::Rejected,
                    now,
                )?;
            }
            (Decision::CheckIn, Status::Confirmed) => {
                if registration.checked_in_at.is_none() {
                    diesel::update(registrations::table.find(id))
                        .set(registrations::checked_in_at.eq(now))
                        .execute(conn)?;
                    audit::record(
                        conn,
                        &actor,
                        "registration.checked_in",
                        Some(&meeting.id),
                        Some(id),
                        "",
                        now,
                    )?;
                }
            }
            (_, status) => return Err(invalid_transition(status)),
        }
        view(conn, id)
    })
}

/// After a meeting's limits changed: raised ones seat the waiting list. The
/// [`meetings::store::AfterUpdate`] of every meeting change.
pub fn seat_waiting_list(
    conn: &mut DbConn,
    meeting: &Meeting,
    actor: &Actor<'_>,
    now: NaiveDateTime,
) -> AppResult<()> {
    fill_free_seats(conn, meeting, actor, now).map(|_| ())
}

/// Gives free seats to the waiting list, first come first served, skipping those whose
/// organisation is at its limit. Call it under the meeting lock.
pub fn fill_free_seats(
    conn: &mut DbConn,
    meeting: &Meeting,
    actor: &Actor<'_>,
    now: NaiveDateTime,
) -> AppResult<usize> {
    let waiting: Vec<Registration> = registrations::table
        .filter(registrations::meeting_id.eq(&meeting.id))
        .filter(registrations::status.eq(Status::Waitlisted.as_str()))
        .order((registrations::queue_ticket.asc(), registrations::id.asc()))
        .select(Registration::as_select())
        .load(conn)?;
    if waiting.is_empty() {
        return Ok(0);
    }
    let mut in_meeting = meetings::store::confirmed_count(conn, &meeting.id)?;
    let mut by_organization: HashMap<String, i64> = registrations::table
        .filter(registrations::meeting_id.eq(&meeting.id))
        .filter(registrations::status.eq(Status::Confirmed.as_str()))
        .group_by(registrations::organization_id)
        .select((registrations::organization_id, diesel::dsl::count_star()))
        .load::<(String, i64)>(conn)?
        .into_iter()
        .collect();
    let mut promoted = 0;
    for registration in waiting {
        if meeting
            .capacity
            .is_some_and(|capacity| in_meeting >= capacity)
        {
            break;
        }
        let in_organization = by_organization
            .entry(registration.organization_id.clone())
            .or_default();
        if !seat_available(meeting, in_meeting, *in_organization) {
            continue;
        }
        set_status(conn, &registration, Status::Confirmed, None, actor, now)?;
        outbox::enqueue(
            conn,
            &meeting.id,
            &registration.id,
            &registration.email,
            &ParticipantMail::Promoted,
            now,
        )?;
        in_meeting += 1;
        *in_organization += 1;
        promoted += 1;
    }
    Ok(promoted)
}

/// Expires registrations whose address was not confirmed in time; answers how many.
pub fn expire_unconfirmed(conn: &mut DbConn, now: NaiveDateTime) -> AppResult<usize> {
    conn.transaction(|conn| {
        let stale: Vec<Registration> = registrations::table
            .filter(registrations::status.eq(Status::PendingEmail.as_str()))
            .filter(registrations::created_at.lt(now - CONFIRMATION_WINDOW))
            .select(Registration::as_select())
            .limit(1000)
            .load(conn)?;
        for registration in &stale {
            set_status(
                conn,
                registration,
                Status::Expired,
                None,
                &Actor::System,
                now,
            )?;
        }
        Ok(stale.len())
    })
}

/// What the email worker needs to write to a participant.
pub struct Contact {
    pub meeting_id: String,
    pub email: String,
    pub full_name: String,
    pub language: Language,
    pub created_at: NaiveDateTime,
}

pub fn contact(conn: &mut DbConn, id: &str) -> AppResult<Contact> {
    let registration = by_id(conn, id)?;
    Ok(Contact {
        language: registration.language(),
        meeting_id: registration.meeting_id,
        email: registration.email,
        full_name: registration.full_name,
        created_at: registration.created_at,
    })
}

/// The participant changes their own details (never the address) and consents.
pub fn update_own(
    conn: &mut DbConn,
    id: &str,
    patch: serde_json::Map<String, serde_json::Value>,
    now: NaiveDateTime,
) -> AppResult<RegistrationView> {
    conn.transaction(|conn| {
        let (registration, organization) = with_organization(conn, id)?;
        let mut form = serde_json::to_value(registration.to_form(&organization))
            .map_err(anyhow::Error::from)?;
        if let Some(email) = patch.get("email") {
            if email.as_str().map(str::trim).map(str::to_lowercase)
                != Some(registration.email.to_lowercase())
            {
                return Err(AppError::invalid(
                    "email",
                    Problem::new(
                        "immutable",
                        "the email address cannot be changed; cancel and register again instead",
                    ),
                ));
            }
        }
        if let Some(fields) = form.as_object_mut() {
            fields.extend(patch);
        }
        let form = crate::error::from_value(form)?;
        let new = NewRegistration::parse(&form)?;
        let organization_id = organization_id(conn, &new.organization, now)?;
        if organization_id != registration.organization_id
            && registration.status() == Status::Confirmed
        {
            let meeting = meetings::store::by_id(conn, &registration.meeting_id)?;
            meetings::store::lock(conn, &meeting.id)?;
            let taken = confirmed_in(conn, &meeting.id, &organization_id)?;
            if meeting
                .per_organization_limit
                .is_some_and(|limit| taken >= limit)
            {
                return Err(AppError::invalid(
                    "organization",
                    Problem::new(
                        "limit_reached",
                        "this organisation has no places left at this meeting",
                    ),
                ));
            }
        }
        diesel::update(registrations::table.find(id))
            .set(fields(&new, &organization_id))
            .execute(conn)?;
        if organization_id != registration.organization_id {
            sweep_organizations(
                conn,
                Some(std::slice::from_ref(&registration.organization_id)),
            )?;
        }
        let detail = format!("press_listing={}", new.consent_press_listing);
        audit::record(
            conn,
            &Actor::Participant(id),
            "registration.updated",
            Some(&registration.meeting_id),
            Some(id),
            &detail,
            now,
        )?;
        view(conn, id)
    })
}

/// A page of the organizer's list, in registration order, and the cursor of the next page.
pub fn list(
    conn: &mut DbConn,
    meeting: &Meeting,
    filter: &ListFilter,
    limit: i64,
    after: Option<&str>,
) -> AppResult<(Vec<RegistrationView>, Option<String>)> {
    let mut query = registrations::table
        .inner_join(organizations::table)
        .filter(registrations::meeting_id.eq(&meeting.id))
        .select((Registration::as_select(), Organization::as_select()))
        .order(registrations::id.asc())
        .limit(limit + 1)
        .into_boxed();
    if let Some(status) = filter.status {
        query = query.filter(registrations::status.eq(status.as_str()));
    }
    if let Some(kind) = filter.organization_kind {
        query = query.filter(organizations::kind.eq(kind.as_str()));
    }
    if let Some(country) = &filter.country {
        query = query.filter(registrations::country.eq(country.as_str().to_owned()));
    }
    if let Some(q) = &filter.q {
        let escaped = q
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        query = query.filter(
            registrations::search_text
                .like(format!("%{escaped}%"))
                .escape('\\'),
        );
    }
    if let Some(after) = after {
        query = query.filter(registrations::id.gt(after.to_owned()));
    }
    let mut rows: Vec<(Registration, Organization)> = query.load(conn)?;
    let next = if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|(r, _)| r.id.clone())
    } else {
        None
    };
    let positions = waitlist_positions(conn, &meeting.id)?;
    let views = rows
        .into_iter()
        .map(|(registration, organization)| {
            let position = positions.get(&registration.id).copied();
            RegistrationView::new(meeting, registration, organization, position)
        })
        .collect();
    Ok((views, next))
}

/// Every waitlisted registration's place, in one query.
fn waitlist_positions(conn: &mut DbConn, meeting_id: &str) -> AppResult<HashMap<String, i64>> {
    let ids: Vec<String> = registrations::table
        .filter(registrations::meeting_id.eq(meeting_id))
        .filter(registrations::status.eq(Status::Waitlisted.as_str()))
        .order((registrations::queue_ticket.asc(), registrations::id.asc()))
        .select(registrations::id)
        .load(conn)?;
    Ok(ids.into_iter().zip(1..).collect())
}

/// Counts for the organizer.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Stats {
    pub seats_left: Option<i64>,
    pub by_status: HashMap<String, i64>,
    pub by_organization_kind: HashMap<String, i64>,
    pub by_country: HashMap<String, i64>,
    pub emails: HashMap<String, i64>,
    /// The same counts as the press sees them: confirmed participants who agreed to be listed.
    pub press: crate::press::store::PressSummary,
}

/// Counts by status; organisation kinds and countries count confirmed participants.
pub fn stats(conn: &mut DbConn, meeting: &Meeting) -> AppResult<Stats> {
    // A purged meeting has only the anonymous counts kept at purge time.
    if let Some(kept) = meeting
        .purged_counts
        .as_deref()
        .and_then(|json| serde_json::from_str(json).ok())
    {
        return Ok(kept);
    }
    let by_status: HashMap<String, i64> = registrations::table
        .filter(registrations::meeting_id.eq(&meeting.id))
        .group_by(registrations::status)
        .select((registrations::status, diesel::dsl::count_star()))
        .load::<(String, i64)>(conn)?
        .into_iter()
        .collect();
    let confirmed = registrations::table
        .inner_join(organizations::table)
        .filter(registrations::meeting_id.eq(&meeting.id))
        .filter(registrations::status.eq(Status::Confirmed.as_str()));
    let by_organization_kind = confirmed
        .group_by(organizations::kind)
        .select((organizations::kind, diesel::dsl::count_star()))
        .load::<(String, i64)>(conn)?
        .into_iter()
        .collect();
    let by_country = confirmed
        .group_by(registrations::country)
        .select((registrations::country, diesel::dsl::count_star()))
        .load::<(String, i64)>(conn)?
        .into_iter()
        .collect();
    let mut emails: HashMap<String, i64> = [outbox::PENDING, outbox::SENT, outbox::DEAD]
        .into_iter()
        .map(|status| (status.to_owned(), 0))
        .collect();
    emails.extend(outbox::counts(conn, &meeting.id)?);
    let taken = by_status
        .get(Status::Confirmed.as_str())
        .copied()
        .unwrap_or(0);
    Ok(Stats {
        seats_left: meeting.capacity.map(|capacity| (capacity - taken).max(0)),
        by_status,
        by_organization_kind,
        by_country,
        emails,
        press: crate::press::store::summary(conn, &meeting.id)?,
    })
}

/// Adds a registration already in `status`, writing no email: for seeding demo data.
pub fn insert_seeded(
    conn: &mut DbConn,
    meeting_id: &str,
    new: &NewRegistration,
    status: Status,
    created_at: NaiveDateTime,
) -> AppResult<String> {
    let organization_id = organization_id(conn, &new.organization, created_at)?;
    let id = new_id();
    diesel::insert_into(registrations::table)
        .values((
            registrations::id.eq(&id),
            registrations::meeting_id.eq(meeting_id),
            registrations::email.eq(new.email.as_str()),
            registrations::email_key.eq(new.email.key()),
            registrations::consent_data_processing.eq(true),
            registrations::status.eq(status.as_str()),
            registrations::created_at.eq(created_at),
            registrations::status_changed_at.eq(created_at),
            registrations::confirmed_at.eq((status == Status::Confirmed).then_some(created_at)),
            fields(new, &organization_id),
        ))
        .execute(conn)?;
    audit::record(
        conn,
        &Actor::System,
        "registration.seeded",
        Some(meeting_id),
        Some(&id),
        status.as_str(),
        created_at,
    )?;
    Ok(id)
}

/// The organisations the registration form's picker offers: those of confirmed participants
/// who agreed to be listed, which the press may see anyway. An organisation typed by anyone
/// else (unconfirmed, cancelled, not consenting, or a stranger's POST) is not published.
pub fn organizations_of(conn: &mut DbConn, meeting_id: &str) -> AppResult<Vec<Organization>> {
    Ok(organizations::table
        .filter(
            organizations::id.eq_any(
                registrations::table
                    .filter(registrations::meeting_id.eq(meeting_id))
                    .filter(registrations::status.eq(Status::Confirmed.as_str()))
                    .filter(registrations::consent_press_listing.eq(true))
                    .select(registrations::organization_id),
            ),
        )
        .order((organizations::name.asc(), organizations::id.asc()))
        .select(Organization::as_select())
        .load(conn)?)
}

pub fn organization(conn: &mut DbConn, id: &str) -> AppResult<Organization> {
    Ok(organizations::table
        .find(id)
        .select(Organization::as_select())
        .first(conn)?)
}

/// Deletes a registration at its participant's request: the row, its tokens, its emails (sent
/// or not) and its speaker slots go (by cascade), and its organisation if no one else names it;
/// a freed seat goes to the waiting list. The audit log keeps only the id. Run it through
/// `Pools::erase`, so that SQLite's log is emptied after the commit.
pub fn delete_own(conn: &mut DbConn, id: &str, now: NaiveDateTime) -> AppResult<()> {
    conn.transaction(|conn| {
        let registration = by_id(conn, id)?;
        lock_organization(conn, &registration.organization_id)?;
        let meeting = meetings::store::by_id(conn, &registration.meeting_id)?;
        meetings::store::lock(conn, &meeting.id)?;
        let was = by_id(conn, id)?.status();
        // Emails, then links, then the registration: the order in which the email worker
        // locks them (an email's row, its links, the registration its new link names), so
        // that a delete racing an email being prepared waits instead of deadlocking.
        diesel::delete(emails::table.filter(emails::registration_id.eq(id))).execute(conn)?;
        diesel::delete(links::table.filter(links::registration_id.eq(id))).execute(conn)?;
        diesel::delete(registrations::table.find(id)).execute(conn)?;
        sweep_organizations(
            conn,
            Some(std::slice::from_ref(&registration.organization_id)),
        )?;
        audit::record(
            conn,
            &Actor::Participant(id),
            "registration.deleted",
            Some(&meeting.id),
            Some(id),
            was.as_str(),
            now,
        )?;
        if was == Status::Confirmed {
            fill_free_seats(conn, &meeting, &Actor::System, now)?;
        }
        Ok(())
    })
}

/// Purges the personal data of meetings that ended before `ended_before`, keeping their
/// anonymous counts; answers how many meetings were purged. Goes: registrations (and by cascade
/// their tokens, emails and speaker slots), guest speakers, organisations no one else names,
/// press-token labels, the meeting's other emails and agenda change notices, and the free text
/// of its audit entries. Rooms and sessions, which the organizer wrote for the public, stay.
/// Run it through `Pools::erase` (or `db::checkpoint` after it), so that SQLite's log is
/// emptied after the commit.
pub fn purge_ended(
    conn: &mut DbConn,
    ended_before: NaiveDateTime,
    now: NaiveDateTime,
) -> AppResult<usize> {
    use crate::schema::meetings;
    let due: Vec<String> = meetings::table
        .filter(meetings::ends_at.lt(ended_before))
        .filter(meetings::purged_at.is_null())
        .select(meetings::id)
        .load(conn)?;
    for meeting_id in &due {
        conn.transaction(|conn| -> AppResult<()> {
            crate::meetings::store::lock(conn, meeting_id)?;
            let meeting = crate::meetings::store::by_id(conn, meeting_id)?;
            let kept = stats(conn, &meeting)?;
            let counted: i64 = kept.by_status.values().sum();
            let named: Vec<String> = registrations::table
                .filter(registrations::meeting_id.eq(meeting_id))
                .select(registrations::organization_id)
                .distinct()
                .load(conn)?;
            // In the email worker's order, as `delete_own` does.
            diesel::delete(emails::table.filter(emails::meeting_id.eq(meeting_id)))
                .execute(conn)?;
            diesel::delete(
                links::table.filter(
                    links::registration_id.eq_any(
                        registrations::table
                            .filter(registrations::meeting_id.eq(meeting_id))
                            .select(registrations::id.nullable()),
                    ),
                ),
            )
            .execute(conn)?;
            diesel::delete(registrations::table.filter(registrations::meeting_id.eq(meeting_id)))
                .execute(conn)?;
            erase_meeting_traces(conn, meeting_id)?;
            for chunk in named.chunks(500) {
                sweep_organizations(conn, Some(chunk))?;
            }
            diesel::update(meetings::table.find(meeting_id))
                .set((
                    meetings::purged_at.eq(now),
                    meetings::purged_counts
                        .eq(serde_json::to_string(&kept).map_err(anyhow::Error::from)?),
                ))
                .execute(conn)?;
            audit::record(
                conn,
                &Actor::System,
                "meeting.purged",
                Some(meeting_id),
                Some(meeting_id),
                &format!("{counted} registrations"),
                now,
            )
        })?;
    }
    Ok(due.len())
}

/// Whether a meeting that ended before `ended_before` still holds personal data.
pub fn purge_due(conn: &mut DbConn, ended_before: NaiveDateTime) -> AppResult<bool> {
    use crate::schema::meetings;
    Ok(diesel::select(diesel::dsl::exists(
        meetings::table
            .filter(meetings::ends_at.lt(ended_before))
            .filter(meetings::purged_at.is_null()),
    ))
    .get_result(conn)?)
}

/// What a purged meeting keeps of people besides its registrations, removed.
fn erase_meeting_traces(conn: &mut DbConn, meeting_id: &str) -> AppResult<()> {
    use crate::schema::{agenda_changes, audit_log, outbox, session_speakers, tokens};
    diesel::delete(session_speakers::table.filter(session_speakers::meeting_id.eq(meeting_id)))
        .execute(conn)?;
    // Press tokens stay, without their labels (often a journalist's name), so the access log
    // still counts uses by token id.
    diesel::update(tokens::table.filter(tokens::meeting_id.eq(meeting_id)))
        .set(tokens::label.eq(None::<String>))
        .execute(conn)?;
    diesel::delete(outbox::table.filter(outbox::meeting_id.eq(meeting_id))).execute(conn)?;
    diesel::delete(agenda_changes::table.filter(agenda_changes::meeting_id.eq(meeting_id)))
        .execute(conn)?;
    // Details were free text in some entries (and press-token labels in older ones); actions,
    // actors, ids and times stay.
    diesel::update(audit_log::table.filter(audit_log::meeting_id.eq(meeting_id)))
        .set(audit_log::detail.eq(""))
        .execute(conn)?;
    Ok(())
}
