//! Invitations in storage: sent under the meeting lock (so an address is invited once), used
//! in the transaction that registers, reminded once, revoked.

use super::{Invitation, InvitationStatus, NewInvitation};
use crate::audit::{self, Actor};
use crate::db::{new_id, DbConn};
use crate::email::{outbox, ParticipantMail};
use crate::error::{AppError, AppResult, Checks, Problem};
use crate::meetings::{self, Meeting};
use crate::registrations::model::NewRegistration;
use crate::schema::{invitations, meetings as meeting_rows, registrations};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use std::collections::HashSet;

/// Who sends an invitation: an organizer, or a delegation's focal point for its nominee.
#[derive(Debug, Clone, Copy)]
pub enum Sender<'a> {
    Organizer(&'a str),
    Delegation(&'a str),
}

impl Sender<'_> {
    fn actor(&self) -> Actor<'_> {
        match self {
            Self::Organizer(account) => Actor::Account(account),
            Self::Delegation(_) => Actor::System,
        }
    }
}

pub fn by_id(conn: &mut DbConn, meeting_id: &str, id: &str) -> AppResult<Invitation> {
    invitations::table
        .filter(invitations::meeting_id.eq(meeting_id))
        .filter(invitations::id.eq(id))
        .select(Invitation::as_select())
        .first(conn)
        .optional()?
        .ok_or(AppError::NotFound)
}

/// The invitation a link's token opens, whatever its status or meeting.
pub fn by_token(conn: &mut DbConn, token: &str) -> AppResult<Option<Invitation>> {
    Ok(invitations::table
        .filter(invitations::token_digest.eq(crate::accounts::tokens::digest(token)))
        .select(Invitation::as_select())
        .first(conn)
        .optional()?)
}

/// Why an address cannot be invited again: a live invitation, or a registration that holds
/// it. `None`: it can.
fn already(
    conn: &mut DbConn,
    meeting_id: &str,
    email_key: &str,
) -> AppResult<Option<&'static str>> {
    let registered = registrations::table
        .filter(registrations::meeting_id.eq(meeting_id))
        .filter(registrations::email_key.eq(email_key))
        .filter(registrations::status.ne_all(["cancelled", "expired", "rejected"]))
        .select(registrations::id)
        .first::<String>(conn)
        .optional()?;
    if registered.is_some() {
        return Ok(Some("already_registered"));
    }
    let invited = invitations::table
        .filter(invitations::meeting_id.eq(meeting_id))
        .filter(invitations::email_key.eq(email_key))
        .filter(invitations::status.ne(InvitationStatus::Revoked.as_str()))
        .select(invitations::id)
        .first::<String>(conn)
        .optional()?;
    Ok(invited.map(|_| "already_invited"))
}

/// The category an invitation registers into: the one named, or the meeting's only one.
fn category(conn: &mut DbConn, meeting: &Meeting, new: &NewInvitation) -> Result<String, Problem> {
    let all = meetings::categories::store::of_meeting(conn, &meeting.id)
        .map_err(|_| Problem::new("invalid", "the categories cannot be read"))?;
    match &new.category {
        Some(code) => all
            .into_iter()
            .find(|c| c.code == code.as_str())
            .map(|c| c.code)
            .ok_or_else(|| Problem::new("invalid", "not a category of this meeting")),
        None if all.len() == 1 => Ok(all[0].code.clone()),
        None => Err(Problem::new(
            "required",
            "name the category the invitation is for",
        )),
    }
}

/// Invitations go out for a published meeting: a draft's links would not work yet.
pub fn published(meeting: &Meeting) -> AppResult<()> {
    match meeting.is_public() {
        true => Ok(()),
        false => Err(AppError::conflict(
            "meeting_not_published",
            "publish the meeting first: the links would not work before",
        )),
    }
}

/// Sends one invitation. An address already invited or registered is a 409 naming which.
pub fn create(
    conn: &mut DbConn,
    meeting: &Meeting,
    new: &NewInvitation,
    sender: Sender,
    now: NaiveDateTime,
) -> AppResult<Invitation> {
    conn.transaction(|conn| {
        published(meeting)?;
        meetings::store::lock(conn, &meeting.id)?;
        let category =
            category(conn, meeting, new).map_err(|p| AppError::invalid("category", p))?;
        if let Some(code) = already(conn, &meeting.id, &new.email.key())? {
            return Err(AppError::conflict(
                code,
                "this address is already invited to the meeting, or registered",
            ));
        }
        let id = insert(conn, meeting, new, &category, sender, now)?;
        by_id(conn, &meeting.id, &id)
    })
}

fn insert(
    conn: &mut DbConn,
    meeting: &Meeting,
    new: &NewInvitation,
    category: &str,
    sender: Sender,
    now: NaiveDateTime,
) -> AppResult<String> {
    let id = new_id();
    let language = new
        .language
        .unwrap_or_else(|| meeting.languages().first().copied().unwrap_or_default());
    let (account, delegation) = match sender {
        Sender::Organizer(account) => (Some(account), None),
        Sender::Delegation(delegation) => (None, Some(delegation)),
    };
    diesel::insert_into(invitations::table)
        .values((
            invitations::id.eq(&id),
            invitations::meeting_id.eq(&meeting.id),
            invitations::email.eq(new.email.as_str()),
            invitations::email_key.eq(new.email.key()),
            invitations::full_name.eq(&new.full_name),
            invitations::organization_name.eq(new.organization_name.as_deref()),
            invitations::organization_kind.eq(new.organization_kind.map(|k| k.as_str())),
            invitations::country.eq(new.country.as_ref().map(|c| c.as_str())),
            invitations::category.eq(category),
            invitations::language.eq(language.as_str()),
            invitations::status.eq(InvitationStatus::Sent.as_str()),
            invitations::created_by.eq(account),
            invitations::delegation_id.eq(delegation),
            invitations::sent_at.eq(now),
            invitations::created_at.eq(now),
        ))
        .execute(conn)?;
    enqueue(conn, &meeting.id, &id, new.email.as_str(), false, now)?;
    record(
        conn,
        meeting,
        &id,
        "invitation.created",
        &sender.actor(),
        now,
    )?;
    Ok(id)
}

fn enqueue(
    conn: &mut DbConn,
    meeting_id: &str,
    id: &str,
    email: &str,
    reminder: bool,
    now: NaiveDateTime,
) -> AppResult<()> {
    let mail = ParticipantMail::Invited {
        invitation: id.to_owned(),
        reminder,
    };
    outbox::enqueue_unregistered(conn, meeting_id, email, &mail, now)
}

/// What a CSV import did: how many it sent, and the lines it passed over (an address already
/// invited or registered, or given twice in the file), each named.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Imported {
    pub created: usize,
    pub skipped: Vec<Skipped>,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Skipped {
    /// The line in the file (the header is line 1).
    pub line: usize,
    pub email: String,
    /// `already_invited`, `already_registered` or `duplicate_in_file`.
    pub code: &'static str,
}

/// Sends the invitations of a CSV file, all or none: a line naming an unknown category
/// refuses the whole file (`lines[N].category`). Addresses already invited or registered are
/// reported, not invited twice.
pub fn import(
    conn: &mut DbConn,
    meeting: &Meeting,
    lines: &[(usize, NewInvitation)],
    account: &str,
    now: NaiveDateTime,
) -> AppResult<Imported> {
    conn.transaction(|conn| {
        published(meeting)?;
        meetings::store::lock(conn, &meeting.id)?;
        let mut checks = Checks::default();
        let categories: Vec<Option<String>> = lines
            .iter()
            .map(|(line, new)| {
                checks.field(
                    &format!("lines[{line}].category"),
                    category(conn, meeting, new),
                )
            })
            .collect();
        if !checks.is_clean() {
            return Err(checks.into_error());
        }
        let mut seen = HashSet::new();
        let mut imported = Imported {
            created: 0,
            skipped: Vec::new(),
        };
        for ((line, new), category) in lines.iter().zip(categories) {
            let key = new.email.key();
            let skip = match seen.insert(key.clone()) {
                false => Some("duplicate_in_file"),
                true => already(conn, &meeting.id, &key)?,
            };
            match (skip, category) {
                (Some(code), _) => imported.skipped.push(Skipped {
                    line: *line,
                    email: new.email.as_str().to_owned(),
                    code,
                }),
                (None, Some(category)) => {
                    insert(
                        conn,
                        meeting,
                        new,
                        &category,
                        Sender::Organizer(account),
                        now,
                    )?;
                    imported.created += 1;
                }
                (None, None) => {}
            }
        }
        Ok(imported)
    })
}

/// A meeting's invitations in the order they were sent, a page at a time.
pub fn list(
    conn: &mut DbConn,
    meeting_id: &str,
    limit: i64,
    cursor: Option<&str>,
) -> AppResult<(Vec<Invitation>, Option<String>)> {
    let mut query = invitations::table
        .filter(invitations::meeting_id.eq(meeting_id))
        .order(invitations::id.asc())
        .select(Invitation::as_select())
        .limit(limit + 1)
        .into_boxed();
    if let Some(after) = cursor {
        query = query.filter(invitations::id.gt(after.to_owned()));
    }
    let mut rows: Vec<Invitation> = query.load(conn)?;
    let next = (rows.len() as i64 > limit).then(|| {
        rows.truncate(limit as usize);
        rows.last().map(|row| row.id.clone())
    });
    Ok((rows, next.flatten()))
}

/// Stops an unused invitation: its link no longer registers. A used one is a 409.
pub fn revoke(
    conn: &mut DbConn,
    meeting: &Meeting,
    id: &str,
    actor: &Actor,
    now: NaiveDateTime,
) -> AppResult<()> {
    conn.transaction(|conn| {
        let invitation = by_id(conn, &meeting.id, id)?;
        match invitation.status() {
            InvitationStatus::Revoked => return Ok(()),
            InvitationStatus::Registered => {
                return Err(AppError::conflict(
                    "invitation_used",
                    "this invitation was used to register; cancel the registration instead",
                ))
            }
            InvitationStatus::Sent => {}
        }
        let stopped = diesel::update(
            invitations::table
                .find(id)
                .filter(invitations::status.eq(InvitationStatus::Sent.as_str())),
        )
        .set((
            invitations::status.eq(InvitationStatus::Revoked.as_str()),
            invitations::revoked_at.eq(now),
        ))
        .execute(conn)?;
        if stopped == 0 {
            // Used a moment ago, in a transaction of its own.
            return Err(AppError::conflict(
                "invitation_used",
                "this invitation was used to register",
            ));
        }
        record(conn, meeting, id, "invitation.revoked", actor, now)
    })
}

/// Emails an unused invitation again, with a new link (the earlier one stops).
pub fn resend(
    conn: &mut DbConn,
    meeting: &Meeting,
    id: &str,
    account: &str,
    now: NaiveDateTime,
) -> AppResult<()> {
    conn.transaction(|conn| {
        let invitation = by_id(conn, &meeting.id, id)?;
        if invitation.status() != InvitationStatus::Sent {
            return Err(AppError::conflict(
                "invitation_closed",
                "only an unused invitation can be sent again",
            ));
        }
        diesel::update(invitations::table.find(id))
            .set(invitations::sent_at.eq(now))
            .execute(conn)?;
        enqueue(conn, &meeting.id, id, &invitation.email, false, now)?;
        record(
            conn,
            meeting,
            id,
            "invitation.resent",
            &Actor::Account(account),
            now,
        )
    })
}

/// Registers through an invitation, in one transaction: the invitation is taken first (one
/// statement, so two uses at once register once), then the registration is made and decided
/// as a confirmed address is. Answers the registration's id.
pub fn register(
    conn: &mut DbConn,
    meeting: &Meeting,
    token: &str,
    new: &NewRegistration,
    now: NaiveDateTime,
) -> AppResult<String> {
    conn.transaction(|conn| {
        let invitation = by_token(conn, token)?;
        if let Some(refused) = super::refused(invitation.as_ref(), meeting) {
            return Err(refused);
        }
        let invitation = invitation.ok_or(AppError::NotFound)?;
        if new.email.key() != invitation.email_key {
            return Err(AppError::invalid(
                "email",
                Problem::new(
                    "invitation_mismatch",
                    "an invitation registers the address it was sent to",
                ),
            ));
        }
        if !meeting.registration_open(now) {
            return Err(AppError::conflict(
                "registration_closed",
                "registration for this meeting is closed",
            ));
        }
        let taken = diesel::update(
            invitations::table
                .find(&invitation.id)
                .filter(invitations::status.eq(InvitationStatus::Sent.as_str())),
        )
        .set((
            invitations::status.eq(InvitationStatus::Registered.as_str()),
            invitations::used_at.eq(now),
        ))
        .execute(conn)?;
        if taken == 0 {
            let now_is = by_id(conn, &meeting.id, &invitation.id)?;
            return Err(super::refused(Some(&now_is), meeting).unwrap_or(AppError::NotFound));
        }
        let id = crate::registrations::store::register_proven(
            conn,
            meeting,
            new,
            &invitation.category,
            invitation.delegation_id.as_deref(),
            now,
        )?;
        diesel::update(invitations::table.find(&invitation.id))
            .set(invitations::registration_id.eq(&id))
            .execute(conn)?;
        Ok(id)
    })
}

/// Emails one reminder for each invitation still unused after its meeting's reminder days;
/// answers how many. Each is marked in the statement that picks it, so two instances running
/// this at once remind once.
pub fn remind_due(conn: &mut DbConn, now: NaiveDateTime) -> AppResult<usize> {
    let meetings: Vec<(String, i32)> = meeting_rows::table
        .filter(meeting_rows::invitation_reminder_days.is_not_null())
        .filter(meeting_rows::purged_at.is_null())
        .filter(meeting_rows::ends_at.gt(now))
        .select((
            meeting_rows::id,
            meeting_rows::invitation_reminder_days.assume_not_null(),
        ))
        .load(conn)?;
    let mut reminded = 0;
    for (meeting_id, days) in meetings {
        reminded += conn.transaction(|conn| -> AppResult<usize> {
            let due: Vec<Invitation> = invitations::table
                .filter(invitations::meeting_id.eq(&meeting_id))
                .filter(invitations::status.eq(InvitationStatus::Sent.as_str()))
                .filter(invitations::reminded_at.is_null())
                .filter(invitations::sent_at.le(now - chrono::TimeDelta::days(i64::from(days))))
                .select(Invitation::as_select())
                .limit(500)
                .load(conn)?;
            let mut sent = 0;
            for invitation in due {
                let marked = diesel::update(
                    invitations::table
                        .find(&invitation.id)
                        .filter(invitations::reminded_at.is_null())
                        .filter(invitations::status.eq(InvitationStatus::Sent.as_str())),
                )
                .set(invitations::reminded_at.eq(now))
                .execute(conn)?;
                if marked == 1 {
                    enqueue(
                        conn,
                        &meeting_id,
                        &invitation.id,
                        &invitation.email,
                        true,
                        now,
                    )?;
                    sent += 1;
                }
            }
            Ok(sent)
        })?;
    }
    Ok(reminded)
}

/// Records the link of a just-written invitation email; answers whether the invitation still
/// takes it (an invitation revoked or used meanwhile gets no live link).
pub fn store_link(conn: &mut DbConn, id: &str, token: &str) -> AppResult<bool> {
    Ok(diesel::update(
        invitations::table
            .find(id)
            .filter(invitations::status.eq(InvitationStatus::Sent.as_str())),
    )
    .set(invitations::token_digest.eq(crate::accounts::tokens::digest(token)))
    .execute(conn)?
        == 1)
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
