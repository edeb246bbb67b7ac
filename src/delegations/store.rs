//! Delegations in storage. Everything that moves seats runs under the meeting lock: making a
//! delegation checks that its seats are free, a nomination that one is left, and the deadline
//! releases unused seats and moves the waiting list in one transaction.

use super::{Delegation, DelegationDraft, UnusedSeats};
use crate::audit::{self, Actor};
use crate::db::{new_id, DbConn};
use crate::email::{outbox, ParticipantMail};
use crate::error::{AppError, AppResult, Problem};
use crate::invitations::{self, Invitation, InvitationStatus, NewInvitation};
use crate::meetings::{self, Meeting};
use crate::registrations::model::RegistrationStatus;
use crate::schema::{delegations, invitations as invitation_rows, registrations};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use std::collections::HashMap;

pub fn by_id(conn: &mut DbConn, meeting_id: &str, id: &str) -> AppResult<Delegation> {
    delegations::table
        .filter(delegations::meeting_id.eq(meeting_id))
        .filter(delegations::id.eq(id))
        .select(Delegation::as_select())
        .first(conn)
        .optional()?
        .ok_or(AppError::NotFound)
}

/// The delegation a focal point's token opens.
pub fn by_token(conn: &mut DbConn, token: &str) -> AppResult<Option<Delegation>> {
    Ok(delegations::table
        .filter(delegations::token_digest.eq(crate::accounts::tokens::digest(token)))
        .select(Delegation::as_select())
        .first(conn)
        .optional()?)
}

/// A nominee: their invitation, and their registration's status once they registered.
#[derive(Debug, Clone)]
pub struct Nominee {
    pub invitation: Invitation,
    pub registration: Option<RegistrationStatus>,
}

impl Nominee {
    /// Whether they hold a nomination: an invitation not withdrawn, and a registration (if
    /// any) that stands.
    pub fn holds_place(&self) -> bool {
        self.invitation.status() != InvitationStatus::Revoked
            && self.registration.is_none_or(|status| {
                !matches!(
                    status,
                    RegistrationStatus::Cancelled
                        | RegistrationStatus::Rejected
                        | RegistrationStatus::Expired
                )
            })
    }

    /// What the focal point sees: `invited`, the registration's status, or `withdrawn`.
    pub fn status(&self) -> &'static str {
        match (self.invitation.status(), self.registration) {
            (InvitationStatus::Revoked, _) => "withdrawn",
            (_, Some(status)) => status.as_str(),
            _ => "invited",
        }
    }
}

/// A delegation's nominees, in the order they were nominated.
pub fn nominees(conn: &mut DbConn, delegation_id: &str) -> AppResult<Vec<Nominee>> {
    let invited: Vec<Invitation> = invitation_rows::table
        .filter(invitation_rows::delegation_id.eq(delegation_id))
        .order(invitation_rows::id.asc())
        .select(Invitation::as_select())
        .load(conn)?;
    let ids: Vec<&String> = invited
        .iter()
        .filter_map(|i| i.registration_id.as_ref())
        .collect();
    let statuses: HashMap<String, String> = registrations::table
        .filter(registrations::id.eq_any(ids))
        .select((registrations::id, registrations::status))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect();
    Ok(invited
        .into_iter()
        .map(|invitation| Nominee {
            registration: invitation
                .registration_id
                .as_ref()
                .and_then(|id| statuses.get(id))
                .and_then(|status| RegistrationStatus::from_code(status)),
            invitation,
        })
        .collect())
}

/// Nominated and confirmed, for a delegation's view.
pub fn tally(conn: &mut DbConn, delegation_id: &str) -> AppResult<(i64, i64)> {
    let nominees = nominees(conn, delegation_id)?;
    let nominated = nominees.iter().filter(|n| n.holds_place()).count() as i64;
    let confirmed = nominees
        .iter()
        .filter(|n| n.registration == Some(RegistrationStatus::Confirmed))
        .count() as i64;
    Ok((nominated, confirmed))
}

/// A meeting's delegations in the order they were made, a page at a time (`limit` after the
/// `cursor`'s); answers the next page's cursor.
pub fn list(
    conn: &mut DbConn,
    meeting_id: &str,
    limit: i64,
    cursor: Option<&str>,
) -> AppResult<(Vec<Delegation>, Option<String>)> {
    let mut query = delegations::table
        .filter(delegations::meeting_id.eq(meeting_id))
        .order(delegations::id.asc())
        .select(Delegation::as_select())
        .limit(limit + 1)
        .into_boxed();
    if let Some(after) = cursor {
        query = query.filter(delegations::id.gt(after.to_owned()));
    }
    let mut rows: Vec<Delegation> = query.load(conn)?;
    let next = (rows.len() as i64 > limit).then(|| {
        rows.truncate(limit as usize);
        rows.last().map(|row| row.id.clone())
    });
    Ok((rows, next.flatten()))
}

/// The category a delegation's seats are in: the one named, or the meeting's only one.
fn category(conn: &mut DbConn, meeting: &Meeting, draft: &DelegationDraft) -> AppResult<String> {
    let all = meetings::categories::store::of_meeting(conn, &meeting.id)?;
    let invalid = |code, message| AppError::invalid("category", Problem::new(code, message));
    match &draft.category {
        Some(code) => all
            .into_iter()
            .find(|c| c.code == code.as_str())
            .map(|c| c.code)
            .ok_or_else(|| invalid("invalid", "not a category of this meeting")),
        None if all.len() == 1 => Ok(all[0].code.clone()),
        None => Err(invalid(
            "required",
            "name the category of the delegation's seats",
        )),
    }
}

/// Whether `more` seats can be set aside in the meeting and the category: 409
/// `not_enough_seats` when the public's seats left are fewer. Call it under the meeting lock.
fn check_room(conn: &mut DbConn, meeting: &Meeting, category: &str, more: i64) -> AppResult<()> {
    if more <= 0 {
        return Ok(());
    }
    let taken = meetings::store::seats_taken(conn, &meeting.id)?;
    let in_meeting = meeting
        .capacity
        .is_none_or(|capacity| taken + more <= capacity);
    let code = category;
    let category = meetings::categories::store::by_code(conn, &meeting.id, code)?;
    let taken_in = meetings::categories::store::seats_taken_in(conn, &meeting.id, code)?;
    let in_category = category
        .capacity
        .is_none_or(|capacity| taken_in + more <= capacity);
    if in_meeting && in_category {
        Ok(())
    } else {
        Err(AppError::conflict(
            "not_enough_seats",
            "not enough seats left in the meeting or the category to set these aside",
        ))
    }
}

pub fn create(
    conn: &mut DbConn,
    meeting: &Meeting,
    draft: &DelegationDraft,
    account_id: &str,
    now: NaiveDateTime,
) -> AppResult<Delegation> {
    conn.transaction(|conn| {
        invitations::store::published(meeting)?;
        meetings::store::lock(conn, &meeting.id)?;
        let meeting = &meetings::store::by_id(conn, &meeting.id)?;
        let category = category(conn, meeting, draft)?;
        check_room(conn, meeting, &category, draft.seats)?;
        let id = new_id();
        diesel::insert_into(delegations::table)
            .values((
                delegations::id.eq(&id),
                delegations::meeting_id.eq(&meeting.id),
                delegations::category.eq(&category),
                delegations::created_by.eq(account_id),
                delegations::created_at.eq(now),
                values(draft),
            ))
            .execute(conn)?;
        tell_focal_point(conn, meeting, &id, draft.focal_email.as_str(), now)?;
        record(
            conn,
            meeting,
            &id,
            "delegation.created",
            &Actor::Account(account_id),
            now,
        )?;
        by_id(conn, &meeting.id, &id)
    })
}

/// Emails the focal point their page's link (made as the email is written).
fn tell_focal_point(
    conn: &mut DbConn,
    meeting: &Meeting,
    id: &str,
    email: &str,
    now: NaiveDateTime,
) -> AppResult<()> {
    let mail = ParticipantMail::FocalPoint {
        delegation: id.to_owned(),
    };
    outbox::enqueue_unregistered(conn, &meeting.id, email, &mail, now)
}

/// Changes seats, deadline, focal point or what the deadline does. Seats below those already
/// confirmed are a 409; more seats need them free; fewer move the waiting list. A new focal
/// point's address gets a new link and the old one stops.
pub fn update(
    conn: &mut DbConn,
    meeting: &Meeting,
    id: &str,
    patch: crate::patch::Patch,
    account_id: &str,
    now: NaiveDateTime,
) -> AppResult<Delegation> {
    conn.transaction(|conn| {
        meetings::store::lock(conn, &meeting.id)?;
        let meeting = &meetings::store::by_id(conn, &meeting.id)?;
        let current = by_id(conn, &meeting.id, id)?;
        let draft = DelegationDraft::parse(&patch.over(&current.to_form(meeting))?)?;
        if draft
            .category
            .as_ref()
            .is_some_and(|c| c.as_str() != current.category)
        {
            return Err(AppError::invalid(
                "category",
                Problem::new(
                    "immutable",
                    "a delegation's category is set when it is made",
                ),
            ));
        }
        let (nominated, confirmed) = tally(conn, id)?;
        if draft.seats < confirmed {
            return Err(AppError::conflict(
                "seats_below_confirmed",
                format!("{confirmed} of its delegates are confirmed already"),
            ));
        }
        // A nominee still to register holds a seat too: they would otherwise find it gone.
        if draft.seats < nominated {
            return Err(AppError::conflict(
                "seats_below_nominated",
                format!("{nominated} delegates are named: the focal point withdraws one first"),
            ));
        }
        if current.released_at.is_none() {
            let aside_now = current.seats - confirmed;
            check_room(
                conn,
                meeting,
                &current.category,
                draft.seats - confirmed - aside_now,
            )?;
        }
        let new_focal = draft.focal_email.key() != current.focal_email.to_lowercase();
        diesel::update(delegations::table.find(id))
            .set(values(&draft))
            .execute(conn)?;
        if new_focal {
            diesel::update(delegations::table.find(id))
                .set(delegations::token_digest.eq(None::<String>))
                .execute(conn)?;
            tell_focal_point(conn, meeting, id, draft.focal_email.as_str(), now)?;
        }
        record(
            conn,
            meeting,
            id,
            "delegation.updated",
            &Actor::Account(account_id),
            now,
        )?;
        let actor = Actor::Account(account_id);
        crate::registrations::store::fill_free_seats(conn, meeting, &actor, now)?;
        by_id(conn, &meeting.id, id)
    })
}

/// Removes a delegation: its unused invitations stop, its delegates keep their registrations
/// (now like anyone's), and the seats it set aside go to the waiting list.
pub fn delete(
    conn: &mut DbConn,
    meeting: &Meeting,
    id: &str,
    account_id: &str,
    now: NaiveDateTime,
) -> AppResult<()> {
    conn.transaction(|conn| {
        meetings::store::lock(conn, &meeting.id)?;
        let meeting = &meetings::store::by_id(conn, &meeting.id)?;
        by_id(conn, &meeting.id, id)?;
        diesel::update(
            invitation_rows::table
                .filter(invitation_rows::delegation_id.eq(id))
                .filter(invitation_rows::status.eq(InvitationStatus::Sent.as_str())),
        )
        .set((
            invitation_rows::status.eq(InvitationStatus::Revoked.as_str()),
            invitation_rows::revoked_at.eq(now),
        ))
        .execute(conn)?;
        diesel::update(registrations::table.filter(registrations::delegation_id.eq(id)))
            .set(registrations::delegation_id.eq(None::<String>))
            .execute(conn)?;
        // Its focal point's email, if still to go, would carry a link to nothing.
        diesel::delete(
            crate::schema::outbox::table
                .filter(crate::schema::outbox::kind.eq("focal_point"))
                .filter(crate::schema::outbox::status.eq(outbox::PENDING))
                .filter(crate::schema::outbox::payload.like(format!("%\"{id}\"%"))),
        )
        .execute(conn)?;
        diesel::delete(delegations::table.find(id)).execute(conn)?;
        let actor = Actor::Account(account_id);
        record(conn, meeting, id, "delegation.deleted", &actor, now)?;
        crate::registrations::store::fill_free_seats(conn, meeting, &actor, now)?;
        Ok(())
    })
}

/// The focal point nominates a delegate: an invitation bound to the address, in the
/// delegation's category. Under the meeting lock, so two nominations for the last seat (two
/// tabs) give one nominee and one 409 `delegation_full`.
pub fn nominate(
    conn: &mut DbConn,
    delegation_id: &str,
    new: &NewInvitation,
    now: NaiveDateTime,
) -> AppResult<Invitation> {
    conn.transaction(|conn| {
        let meeting_id = delegations::table
            .find(delegation_id)
            .select(delegations::meeting_id)
            .first::<String>(conn)
            .optional()?
            .ok_or(AppError::Unauthenticated)?;
        meetings::store::lock(conn, &meeting_id)?;
        let meeting = meetings::store::by_id(conn, &meeting_id)?;
        // Read again under the lock: it may have changed (or gone) a moment ago.
        let delegation =
            by_id(conn, &meeting_id, delegation_id).map_err(|_| AppError::Unauthenticated)?;
        if !delegation.nominations_open(now) {
            return Err(AppError::conflict(
                "nominations_closed",
                "the nomination deadline has passed",
            ));
        }
        let (nominated, _) = tally(conn, delegation_id)?;
        if nominated >= delegation.seats {
            return Err(AppError::conflict(
                "delegation_full",
                "every seat of the delegation has its nominee: withdraw one to name another",
            ));
        }
        let mut new = new.clone();
        new.category = crate::values::Code::parse(Some(&delegation.category)).ok();
        new.organization_name = Some(delegation.organization_name.clone());
        new.organization_kind =
            crate::values::OrganizationKind::parse(Some(&delegation.organization_kind)).ok();
        new.country =
            crate::values::CountryCode::parse(Some(&delegation.organization_country)).ok();
        let sender = invitations::store::Sender::Delegation(delegation_id);
        invitations::store::create(conn, &meeting, &new, sender, now)
    })
}

/// The focal point withdraws a nominee: the invitation stops and a registration made with it
/// is cancelled; the seat returns to the delegation. Another delegation's nominee is a 403.
pub fn withdraw(
    conn: &mut DbConn,
    delegation: &Delegation,
    nominee_id: &str,
    now: NaiveDateTime,
) -> AppResult<()> {
    conn.transaction(|conn| {
        let invitation = invitations::store::by_id(conn, &delegation.meeting_id, nominee_id)?;
        if invitation.delegation_id.as_deref() != Some(delegation.id.as_str()) {
            return Err(AppError::Forbidden);
        }
        let revoke = |conn: &mut DbConn, only_unused: bool| -> AppResult<usize> {
            let mut stop = diesel::update(invitation_rows::table.find(&invitation.id)).into_boxed();
            if only_unused {
                stop = stop.filter(invitation_rows::status.eq(InvitationStatus::Sent.as_str()));
            }
            Ok(stop
                .set((
                    invitation_rows::status.eq(InvitationStatus::Revoked.as_str()),
                    invitation_rows::revoked_at.eq(now),
                ))
                .execute(conn)?)
        };
        // Unused: stopped in one statement, which waits for a registration through it that
        // is under way. Used (perhaps a moment ago): its registration is cancelled first.
        if revoke(conn, true)? == 0 {
            let used = invitations::store::by_id(conn, &delegation.meeting_id, nominee_id)?;
            if let Some(registration) = &used.registration_id {
                let status = crate::registrations::store::by_id(conn, registration)?.status();
                if status.cancellable() {
                    let actor = Actor::System;
                    crate::registrations::store::cancel(conn, registration, None, &actor, now)?;
                }
            }
            revoke(conn, false)?;
        }
        let meeting = meetings::store::by_id(conn, &delegation.meeting_id)?;
        record(
            conn,
            &meeting,
            &invitation.id,
            "delegation.withdrawn",
            &Actor::System,
            now,
        )
    })
}

/// At each deadline passed, a delegation that releases its unused seats does so and the
/// waiting list moves, in one transaction; answers how many delegations released. Marked
/// in the statement that decides, so two instances running this at once release once.
pub fn release_due(conn: &mut DbConn, now: NaiveDateTime) -> AppResult<usize> {
    let due: Vec<(String, String)> = delegations::table
        .filter(delegations::released_at.is_null())
        .filter(delegations::unused_seats.eq(UnusedSeats::Release.as_str()))
        .filter(delegations::nomination_deadline.le(now))
        .select((delegations::id, delegations::meeting_id))
        .limit(500)
        .load(conn)?;
    let mut released = 0;
    for (id, meeting_id) in due {
        released += conn.transaction(|conn| -> AppResult<usize> {
            meetings::store::lock(conn, &meeting_id)?;
            let marked = diesel::update(
                delegations::table
                    .find(&id)
                    .filter(delegations::released_at.is_null()),
            )
            .set(delegations::released_at.eq(now))
            .execute(conn)?;
            if marked == 0 {
                return Ok(0);
            }
            let meeting = meetings::store::by_id(conn, &meeting_id)?;
            record(
                conn,
                &meeting,
                &id,
                "delegation.released",
                &Actor::System,
                now,
            )?;
            crate::registrations::store::fill_free_seats(conn, &meeting, &Actor::System, now)?;
            Ok(1)
        })?;
    }
    Ok(released)
}

/// Records the focal point's link of a just-written email; answers whether the delegation
/// still takes it (one removed, or given another focal point, meanwhile does not).
pub fn store_link(conn: &mut DbConn, id: &str, email: &str, token: &str) -> AppResult<bool> {
    Ok(diesel::update(
        delegations::table
            .find(id)
            .filter(delegations::focal_email.eq(email)),
    )
    .set(delegations::token_digest.eq(crate::accounts::tokens::digest(token)))
    .execute(conn)?
        == 1)
}

#[allow(clippy::type_complexity)]
fn values(
    draft: &DelegationDraft,
) -> (
    diesel::dsl::Eq<delegations::organization_name, &str>,
    diesel::dsl::Eq<delegations::organization_kind, &'static str>,
    diesel::dsl::Eq<delegations::organization_country, &str>,
    diesel::dsl::Eq<delegations::seats, i64>,
    diesel::dsl::Eq<delegations::focal_email, &str>,
    diesel::dsl::Eq<delegations::focal_name, &str>,
    diesel::dsl::Eq<delegations::focal_language, &'static str>,
    diesel::dsl::Eq<delegations::nomination_deadline, Option<NaiveDateTime>>,
    diesel::dsl::Eq<delegations::unused_seats, &'static str>,
) {
    (
        delegations::organization_name.eq(draft.organization_name.as_str()),
        delegations::organization_kind.eq(draft.organization_kind.as_str()),
        delegations::organization_country.eq(draft.organization_country.as_str()),
        delegations::seats.eq(draft.seats),
        delegations::focal_email.eq(draft.focal_email.as_str()),
        delegations::focal_name.eq(draft.focal_name.as_str()),
        delegations::focal_language.eq(draft.focal_language.as_str()),
        delegations::nomination_deadline.eq(draft.nomination_deadline),
        delegations::unused_seats.eq(draft.unused_seats.as_str()),
    )
}

fn record(
    conn: &mut DbConn,
    meeting: &Meeting,
    id: &str,
    action: &str,
    actor: &Actor,
    now: NaiveDateTime,
) -> AppResult<()> {
    audit::record(
        conn,
        audit::NewEntry {
            actor,
            action,
            meeting_id: Some(&meeting.id),
            subject_id: Some(id),
            detail: "",
        },
        now,
    )
}
