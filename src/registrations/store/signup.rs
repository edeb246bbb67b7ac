//! Signing up: registering (with its guards), confirming the address, the participant's own
//! changes and links, and expiry of unconfirmed registrations.

use super::*;
use crate::checkin::CheckinCode;
use crate::error::FieldError;
use crate::patch::Patch;

/// Where a public registration goes, decided from what was read before the write (as the
/// questionnaire is): a meeting open to registration now, and the category chosen. A meeting
/// closed a moment after that read is like one closed a moment after the registration.
#[derive(Debug, Clone)]
pub struct Destination {
    pub meeting_id: String,
    pub category: String,
}

impl Destination {
    pub fn of(
        meeting: &Meeting,
        questionnaire: &meetings::questions::Questionnaire,
        asked: Option<&crate::values::Code>,
        now: NaiveDateTime,
    ) -> AppResult<Self> {
        if !meeting.registration_open(now) {
            return Err(AppError::conflict(
                "registration_closed",
                "registration for this meeting is closed",
            ));
        }
        let category = meetings::categories::store::choose(&questionnaire.categories, asked)?;
        Ok(Self {
            meeting_id: meeting.id.clone(),
            category: category.code.clone(),
        })
    }
}

/// `register` for a meeting named by its slug, reading it first: for callers that have not.
pub fn register_by_slug(
    conn: &mut DbConn,
    slug: &Slug,
    new: &NewRegistration,
    client: &ClientGuard,
    now: NaiveDateTime,
) -> AppResult<()> {
    let read = crate::registrations::signup_context::SignupContext::read(conn, slug)?;
    let to = Destination::of(
        &read.meeting,
        &read.questionnaire,
        new.category.as_ref(),
        now,
    )?;
    register(conn, &to, new, client, now)
}

/// Registers, or, for an address already registered, emails its manage link instead (at most
/// once an hour). Both answer alike, so a stranger cannot learn who is registered.
///
/// On PostgreSQL it is one statement (`signup_pg`): a round trip there costs more than
/// the work of most of these statements. SQLite's writer is in this process.
pub fn register(
    conn: &mut DbConn,
    to: &Destination,
    new: &NewRegistration,
    client: &ClientGuard,
    now: NaiveDateTime,
) -> AppResult<()> {
    if let DbConn::Postgres(_) = conn {
        return super::signup_pg::register(conn, to, new, client, now);
    }
    conn.transaction(|conn| {
        count_attempt(conn, &to.meeting_id, client, now)?;
        // Looked up before inserting: a unique index refusing the insert would have PostgreSQL
        // write the address into its server log. And before the organisation is named, so a
        // known address leaves no organisation of a stranger's behind.
        match by_address(conn, &to.meeting_id, &new.email)? {
            Some(known) if known.status().can_register_again() => archive_address(conn, &known)?,
            Some(known) => return resend_link(conn, &known, now),
            None => {}
        }
        let organization_id = organization_id(conn, &new.organization, now)?;
        let id = new_id();
        let insert = diesel::insert_into(registrations::table)
            .values((
                registrations::id.eq(&id),
                registrations::meeting_id.eq(&to.meeting_id),
                registrations::email.eq(new.email.as_str()),
                registrations::email_key.eq(new.email.key()),
                registrations::consent_data_processing.eq(true),
                registrations::status.eq(Status::PendingEmail.as_str()),
                registrations::created_at.eq(now),
                registrations::status_changed_at.eq(now),
                registrations::updated_at.eq(now),
                registrations::checkin_code.eq(CheckinCode::generate().as_str().to_owned()),
                registrations::category.eq(&to.category),
                fields(new, &organization_id),
            ))
            .on_conflict_do_nothing();
        let inserted = crate::on_each_backend!(conn, each => insert.execute(each))?;
        if inserted == 0 {
            // The same address registered a moment ago, in a transaction of its own.
            sweep_organizations(conn, Some(std::slice::from_ref(&organization_id)))?;
            let known = by_address(conn, &to.meeting_id, &new.email)?.ok_or(AppError::NotFound)?;
            return resend_link(conn, &known, now);
        }
        audit::record(
            conn,
            audit::NewEntry {
                actor: &Actor::Participant(&id),
                action: "registration.created",
                meeting_id: Some(&to.meeting_id),
                subject_id: Some(&id),
                detail: Status::PendingEmail.as_str(),
            },
            now,
        )?;
        if let Some(travel) = &new.travel {
            crate::travel::store::save(conn, &id, &to.meeting_id, travel, &new.sealer, now)?;
        }
        outbox::enqueue(
            conn,
            &to.meeting_id,
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
pub(super) fn count_attempt(
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
pub(super) fn by_address(
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

/// Emails an address registered for the meeting its link again (the confirm link while the
/// address is unconfirmed, else the manage link), at most once an hour, and counts the request
/// as the client's registration attempt. Does the same visible nothing for an address that is
/// not registered, so the answer tells a stranger nothing.
pub fn resend(
    conn: &mut DbConn,
    slug: &Slug,
    email: &crate::values::Email,
    client: &ClientGuard,
    now: NaiveDateTime,
) -> AppResult<()> {
    conn.transaction(|conn| {
        let meeting = meetings::store::public_by_slug(conn, slug)?;
        count_attempt(conn, &meeting.id, client, now)?;
        match by_address(conn, &meeting.id, email)? {
            Some(known) if !known.status().can_register_again() => resend_link(conn, &known, now),
            _ => Ok(()),
        }
    })
}

/// Sets a cancelled or expired registration aside, untouched, so that its address can register
/// afresh: the new registration is another row, with other links, and a stranger registering
/// the address learns nothing of the old one and cannot overwrite it. Its key gains the id
/// after a space, which no address holds, so it never matches an address again.
pub(super) fn archive_address(conn: &mut DbConn, registration: &Registration) -> AppResult<()> {
    diesel::update(registrations::table.find(&registration.id))
        .set(registrations::email_key.eq(format!("{} {}", registration.email_key, registration.id)))
        .execute(conn)?;
    Ok(())
}

/// Emails a registered address its manage link, unless one went out in the last hour; an
/// address not yet confirmed gets its confirm link again instead (a first email lost to a spam
/// folder is the usual reason to register twice).
pub(super) fn resend_link(
    conn: &mut DbConn,
    known: &Registration,
    now: NaiveDateTime,
) -> AppResult<()> {
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

/// Confirms the address behind a confirm token: the registration becomes confirmed,
/// waitlisted or pending approval. The token is single-use; answers the status only, since
/// whoever holds the link is not yet known to be the participant (and the meeting, for the page).
pub fn confirm(conn: &mut DbConn, token: &str, now: NaiveDateTime) -> AppResult<(Status, Meeting)> {
    conn.transaction(|conn| {
        let found =
            tokens::find(conn, TokenKind::Confirm, token, now)?.ok_or(AppError::NotFound)?;
        let id = found.registration_id.clone().ok_or(AppError::NotFound)?;
        // The registration before its token: the email worker, renewing a link, locks them in
        // that order too.
        lock_registration(conn, &id)?;
        if !tokens::spend(conn, &found, now)? {
            return Err(AppError::NotFound);
        }
        settle(conn, &id, now)
    })
}

/// Decides a registration whose address is now proven: confirmed, waitlisted or pending
/// approval, under the meeting lock, with its email. Answers its status and its meeting.
fn settle(conn: &mut DbConn, id: &str, now: NaiveDateTime) -> AppResult<(Status, Meeting)> {
    let registration = by_id(conn, id)?;
    if registration.status() != Status::PendingEmail {
        return Err(AppError::NotFound);
    }
    let ticket = meetings::store::lock(conn, &registration.meeting_id)?;
    // The meeting as it is under the lock: a limit lowered a moment ago holds.
    let meeting = meetings::store::by_id(conn, &registration.meeting_id)?;
    // Read again under the lock: a cancellation may have got here first.
    let registration = by_id(conn, id)?;
    if registration.status() != Status::PendingEmail {
        return Err(AppError::NotFound);
    }
    let actor = Actor::Participant(id);
    // Past the organizer's threshold the remaining seats are given by hand, so that a
    // script confirming addresses of its own cannot take them all.
    let past_threshold = match meeting.approval_threshold {
        Some(threshold) => meetings::store::seats_taken(conn, &meeting.id)? >= threshold,
        None => false,
    };
    let category =
        meetings::categories::store::by_code(conn, &meeting.id, registration.category_code())?;
    if category.needs_approval(&meeting) || past_threshold {
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
            id,
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
    Ok((by_id(conn, id)?.status(), meeting))
}

/// Registers an address already proven (an invitation's link was followed): no confirm link,
/// the registration is decided at once as confirming decides it, and its email carries the
/// manage link. An address already registered (and not cancelled) is a 409
/// `already_registered`. Call it inside the caller's transaction.
pub fn register_proven(
    conn: &mut DbConn,
    meeting: &Meeting,
    new: &NewRegistration,
    category: &str,
    delegation: Option<&str>,
    now: NaiveDateTime,
) -> AppResult<String> {
    let taken = || {
        AppError::conflict(
            "already_registered",
            "this address is already registered for the meeting",
        )
    };
    match by_address(conn, &meeting.id, &new.email)? {
        Some(known) if known.status().can_register_again() => archive_address(conn, &known)?,
        // Never confirmed: the invitation proves the address now, and the unconfirmed
        // registration gives way (its confirm link would make a second one).
        Some(known) if known.status() == Status::PendingEmail => {
            set_status(conn, &known, Status::Expired, None, &Actor::System, now)?;
            archive_address(conn, &known)?;
        }
        Some(_) => return Err(taken()),
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
            registrations::updated_at.eq(now),
            registrations::checkin_code.eq(CheckinCode::generate().as_str().to_owned()),
            registrations::category.eq(category),
            registrations::delegation_id.eq(delegation),
            fields(new, &organization_id),
        ))
        .on_conflict_do_nothing();
    // The same address registering through the public form at this moment.
    if crate::on_each_backend!(conn, each => insert.execute(each))? == 0 {
        return Err(taken());
    }
    audit::record(
        conn,
        audit::NewEntry {
            actor: &Actor::Participant(&id),
            action: "registration.created",
            meeting_id: Some(&meeting.id),
            subject_id: Some(&id),
            detail: "invitation",
        },
        now,
    )?;
    if let Some(travel) = &new.travel {
        crate::travel::store::save(conn, &id, &meeting.id, travel, &new.sealer, now)?;
    }
    settle(conn, &id, now)?;
    Ok(id)
}

/// Stops every manage link of a registration and emails a new one to its address.
pub fn sign_out_everywhere(conn: &mut DbConn, id: &str, now: NaiveDateTime) -> AppResult<()> {
    conn.transaction(|conn| {
        let registration = by_id(conn, id)?;
        let stopped = tokens::revoke_all(conn, TokenKind::Manage, id, now)?;
        audit::record(
            conn,
            audit::NewEntry {
                actor: &Actor::Participant(id),
                action: "registration.signed_out",
                meeting_id: Some(&registration.meeting_id),
                subject_id: Some(id),
                detail: &format!("{stopped} links stopped"),
            },
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

/// The participant changes their own details (never the address) and consents.
pub fn update_own(
    conn: &mut DbConn,
    id: &str,
    patch: Patch,
    now: NaiveDateTime,
) -> AppResult<RegistrationView> {
    conn.transaction(|conn| {
        let (registration, organization) = with_organization(conn, id)?;
        if let Some(email) = patch.field("email") {
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
        if let Some(category) = patch.field("category").filter(|value| !value.is_null()) {
            if category.as_str() != Some(registration.category_code()) {
                return Err(AppError::invalid(
                    "category",
                    Problem::new("immutable", "the category is set at registration"),
                ));
            }
        }
        let new = reparse(conn, &registration, &organization, patch)?;
        locked_after_check_in(&registration, &organization, &new)?;
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
            .set((
                fields(&new, &organization_id),
                registrations::updated_at.eq(now),
            ))
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
            audit::NewEntry {
                actor: &Actor::Participant(id),
                action: "registration.updated",
                meeting_id: Some(&registration.meeting_id),
                subject_id: Some(id),
                detail: &detail,
            },
            now,
        )?;
        view(conn, id)
    })
}

/// The registration with a participant's change laid over it, checked like a new one.
/// Answers are checked when they are sent, not on every change: a question changed or
/// removed since must not stop a participant from, say, leaving the press list.
/// Once the desk has seen a person, the name and organisation their badge and certificate
/// carry stay as they were: a certificate of attendance must name who attended.
fn locked_after_check_in(
    registration: &Registration,
    organization: &super::Organization,
    new: &NewRegistration,
) -> AppResult<()> {
    if registration.checked_in_at.is_none() {
        return Ok(());
    }
    let locked = |field: &str| {
        FieldError::new(
            field,
            Problem::new(
                "checked_in",
                "cannot change once checked in: ask the organizers",
            ),
        )
    };
    let mut errors = Vec::new();
    if new.full_name != registration.full_name {
        errors.push(locked("full_name"));
    }
    if new.organization.name != organization.name {
        errors.push(locked("organization"));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::Invalid(errors))
    }
}

fn reparse(
    conn: &mut DbConn,
    registration: &Registration,
    organization: &super::Organization,
    patch: Patch,
) -> AppResult<NewRegistration> {
    let sends_answers = patch.field("answers").is_some();
    let asked = meetings::questions::store::questionnaire(conn, &registration.meeting_id)?;
    let category = registration.category_code().to_owned();
    let current = registration
        .answers()
        .to_raw()
        .into_iter()
        .filter(|(code, _)| {
            asked
                .asked(Some(&category))
                .any(|question| &question.code == code)
        });
    let patch = patch.merged("answers", &current.collect());
    let mut form = patch.over(&registration.to_form(organization))?;
    form.category = Some(category);
    form.invitation = None;
    Ok(if sends_answers {
        NewRegistration::parse(&form, &asked)?
    } else {
        form.answers = None;
        let mut new = NewRegistration::parse(&form, &Default::default())?;
        new.answers = registration.answers();
        new
    })
}
