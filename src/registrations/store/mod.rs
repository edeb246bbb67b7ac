//! Registrations in storage. One transaction per use case; every status change writes its audit
//! entry and its email in that same transaction. Seat decisions run under the meeting lock
//! (`meetings::store::lock`), so capacity and per-organisation limits hold under concurrency.
//!
//! By job: `signup` (registering, confirming, the participant's own changes), `seats` (seat
//! decisions and the waiting list), `affiliations` (organisations), `lists` (the organizer's
//! lists and counts), `search` (the search key and its index), `erasure` (deletion and
//! purge); here, what they share.

use super::model::{
    organization_key, search_text, seat_available, ClientGuard, ListFilter, NewOrganization,
    NewRegistration, Order, Organization, Registration, RegistrationStatus, RegistrationView,
    ATTEMPT_WINDOW, CONFIRMATION_WINDOW, LINK_RESEND_INTERVAL,
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

mod affiliations;
mod erasure;
mod lists;
mod search;
mod seats;
mod signup;
mod signup_pg;
mod signup_request;

pub use self::{
    affiliations::*, erasure::*, lists::*, search::refold_search_text, seats::*, signup::*,
    signup_pg::postgres_argument, signup_request::register_from_request,
};

fn invalid_transition(status: Status) -> AppError {
    AppError::conflict(
        "invalid_transition",
        format!(
            "not possible for a registration that is {}",
            status.as_str()
        ),
    )
}

/// The columns a registration's checked fields fill.
#[allow(clippy::type_complexity)]
pub(crate) fn fields<'a>(
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
    diesel::dsl::Eq<registrations::answers, String>,
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
        registrations::answers.eq(new.answers.to_stored()),
    )
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

/// A place on the waiting list of the registration's category, 1 for its head: each category's
/// list is its own, in queue order.
fn waitlist_position(
    conn: &mut DbConn,
    registration: &Registration,
    ticket: i64,
) -> AppResult<i64> {
    Ok(registrations::table
        .filter(registrations::meeting_id.eq(&registration.meeting_id))
        .filter(registrations::category.eq(registration.category_code()))
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
        (Status::Waitlisted, Some(ticket)) => Some(waitlist_position(conn, &registration, ticket)?),
        _ => None,
    };
    let travel = crate::travel::store::view(conn, &meeting, id)?;
    let mut view = RegistrationView::new(&meeting, registration, organization, position);
    view.travel = travel;
    Ok(view)
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
            registrations::updated_at.eq(now),
        ))
        .execute(conn)?;
    let detail = format!("{} -> {}", registration.status, to.as_str());
    audit::record(
        conn,
        audit::NewEntry {
            actor,
            action: &format!("registration.{}", to.as_str()),
            meeting_id: Some(&registration.meeting_id),
            subject_id: Some(&registration.id),
            detail: &detail,
        },
        now,
    )?;
    press_access(conn, registration, to, now)
}

/// Whether the registration is a journalist's seat now: confirmed, in a press-accreditation
/// category. The email worker asks before it stores a press link it wrote, since the seat may
/// have gone since the email was queued.
pub fn holds_press_seat(conn: &mut DbConn, id: &str) -> AppResult<bool> {
    let registration = by_id(conn, id)?;
    if registration.status() != Status::Confirmed {
        return Ok(false);
    }
    let code = registration.category_code();
    let category = meetings::categories::store::by_code(conn, &registration.meeting_id, code)?;
    Ok(category.press_accreditation)
}

/// A journalist of a press-accreditation category holds a press link while seated: one is
/// emailed when they get their seat, and theirs stops when they lose it.
fn press_access(
    conn: &mut DbConn,
    registration: &Registration,
    to: Status,
    now: NaiveDateTime,
) -> AppResult<()> {
    let was_seated = registration.status() == Status::Confirmed;
    if was_seated && to != Status::Confirmed {
        tokens::revoke_all(conn, TokenKind::Press, &registration.id, now)?;
    }
    if !was_seated && to == Status::Confirmed {
        let code = registration.category_code();
        let category = meetings::categories::store::by_code(conn, &registration.meeting_id, code)?;
        if category.press_accreditation {
            outbox::enqueue(
                conn,
                &registration.meeting_id,
                &registration.id,
                &registration.email,
                &ParticipantMail::PressAccredited,
                now,
            )?;
        }
    }
    Ok(())
}

fn confirmed_in(conn: &mut DbConn, meeting_id: &str, organization_id: &str) -> AppResult<i64> {
    Ok(registrations::table
        .filter(registrations::meeting_id.eq(meeting_id))
        .filter(registrations::organization_id.eq(organization_id))
        .filter(registrations::status.eq(Status::Confirmed.as_str()))
        .count()
        .get_result(conn)?)
}

/// What the email worker needs to write to a participant.
#[derive(Clone)]
pub struct Contact {
    pub meeting_id: String,
    pub email: String,
    pub full_name: String,
    pub language: Language,
    pub created_at: NaiveDateTime,
    /// What the desk scans, while the registration is confirmed.
    pub checkin_code: Option<String>,
}

impl From<Registration> for Contact {
    fn from(registration: Registration) -> Self {
        Self {
            checkin_code: registration
                .checkin_code
                .clone()
                .filter(|_| registration.status() == Status::Confirmed),
            language: registration.language(),
            meeting_id: registration.meeting_id,
            email: registration.email,
            full_name: registration.full_name,
            created_at: registration.created_at,
        }
    }
}

pub fn contact(conn: &mut DbConn, id: &str) -> AppResult<Contact> {
    Ok(by_id(conn, id)?.into())
}

/// The contacts of several registrations in one read (a batch of emails), by id; those
/// deleted meanwhile are missing.
pub fn contacts(
    conn: &mut DbConn,
    ids: &[&str],
) -> AppResult<std::collections::HashMap<String, Contact>> {
    let found: Vec<Registration> = registrations::table
        .filter(registrations::id.eq_any(ids))
        .select(Registration::as_select())
        .load(conn)?;
    Ok(found
        .into_iter()
        .map(|registration| (registration.id.clone(), registration.into()))
        .collect())
}
