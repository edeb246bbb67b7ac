//! Seats: the decision at confirmation, the organizer's decisions, cancellations, and the
//! waiting list moving when seats free up. Call them under the meeting lock.

use super::*;

/// Gives a seat if one is free (capacity and organisation limit), else a place on the waiting
/// list. Call it under the meeting lock; `ticket` comes from that lock.
pub(super) fn seat_or_waitlist(
    conn: &mut DbConn,
    meeting: &Meeting,
    registration: &Registration,
    ticket: i64,
    seated_mail: ParticipantMail,
    actor: &Actor<'_>,
    now: NaiveDateTime,
) -> AppResult<()> {
    let in_meeting = meetings::store::seats_taken(conn, &meeting.id)?;
    let in_organization = confirmed_in(conn, &meeting.id, &registration.organization_id)?;
    let category =
        meetings::categories::store::by_code(conn, &meeting.id, registration.category_code())?;
    let in_category =
        meetings::categories::store::seats_taken_in(conn, &meeting.id, &category.code)?;
    let public_seat =
        seat_available(meeting, in_meeting, in_organization) && category.has_room(in_category);
    // A delegate's seat is among the seats taken already (set aside): it is theirs while the
    // limits, perhaps lowered since, still hold it.
    let own_seat = delegation_has_room(conn, registration)?
        && within(meeting.capacity, in_meeting)
        && within(category.capacity, in_category);
    let (to, mail) = if own_seat || public_seat {
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
        let position = waitlist_position(conn, registration, ticket)?;
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
        // The meeting as it is under the lock: its limits bound who the freed seat goes to.
        let meeting = meetings::store::by_id(conn, &meeting.id)?;
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
        // The meeting as it is under the lock, not as the caller read it.
        let meeting = &meetings::store::by_id(conn, &meeting.id)?;
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
                crate::checkin::store::by_organizer(conn, meeting, &registration, account_id, now)?;
            }
            (_, status) => return Err(invalid_transition(status)),
        }
        view(conn, id)
    })
}

/// Gives a waiting person a seat ahead of the queue and of their organisation's limit: the
/// organizer's choice. When the meeting is full, the seat is added to its capacity, so nobody
/// is ever seated beyond the capacity the meeting shows.
pub fn promote(
    conn: &mut DbConn,
    meeting: &Meeting,
    id: &str,
    account_id: &str,
    now: NaiveDateTime,
) -> AppResult<RegistrationView> {
    conn.transaction(|conn| {
        in_meeting(conn, meeting, id)?;
        meetings::store::lock(conn, &meeting.id)?;
        // The capacity as it is now, under the lock: not as the page that asked saw it.
        let meeting = meetings::store::by_id(conn, &meeting.id)?;
        let registration = by_id(conn, id)?;
        if registration.status() != Status::Waitlisted {
            return Err(invalid_transition(registration.status()));
        }
        let actor = Actor::Account(account_id);
        let seated = meetings::store::seats_taken(conn, &meeting.id)?;
        let code = registration.category_code();
        let category = meetings::categories::store::by_code(conn, &meeting.id, code)?;
        let in_category = meetings::categories::store::seats_taken_in(conn, &meeting.id, code)?;
        // A delegate's own seat is counted already, while the limits still hold it.
        let own_seat = delegation_has_room(conn, &registration)?
            && within(meeting.capacity, seated)
            && within(category.capacity, in_category);
        if !own_seat && meeting.capacity.is_some_and(|capacity| seated >= capacity) {
            let capacity = meetings::store::add_seat(conn, &meeting.id)?;
            let detail = format!("capacity:{}", capacity.unwrap_or_default());
            audit::record(
                conn,
                audit::NewEntry {
                    actor: &actor,
                    action: "meeting.seat_added",
                    meeting_id: Some(&meeting.id),
                    subject_id: Some(id),
                    detail: &detail,
                },
                now,
            )?;
        }
        if !own_seat && !category.has_room(in_category) {
            meetings::categories::store::add_seat(conn, &meeting.id, code)?;
            audit::record(
                conn,
                audit::NewEntry {
                    actor: &actor,
                    action: "category.seat_added",
                    meeting_id: Some(&meeting.id),
                    subject_id: Some(id),
                    detail: code,
                },
                now,
            )?;
        }
        set_status(conn, &registration, Status::Confirmed, None, &actor, now)?;
        outbox::enqueue(
            conn,
            &meeting.id,
            id,
            &registration.email,
            &ParticipantMail::Promoted,
            now,
        )?;
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
    let mut in_meeting = meetings::store::seats_taken(conn, &meeting.id)?;
    let mut by_organization: HashMap<String, i64> = registrations::table
        .filter(registrations::meeting_id.eq(&meeting.id))
        .filter(registrations::status.eq(Status::Confirmed.as_str()))
        .group_by(registrations::organization_id)
        .select((registrations::organization_id, diesel::dsl::count_star()))
        .load::<(String, i64)>(conn)?
        .into_iter()
        .collect();
    // Each category's seats too: a waiting person whose category is full is passed over, so
    // every category's list moves in its own order.
    let categories: HashMap<String, meetings::categories::Category> =
        meetings::categories::store::of_meeting(conn, &meeting.id)?
            .into_iter()
            .map(|category| (category.code.clone(), category))
            .collect();
    let mut by_category = meetings::categories::store::seats_taken_by_category(conn, &meeting.id)?;
    let mut promoted = 0;
    for registration in waiting {
        // A delegate waiting while their delegation has a seat takes it: it was set aside,
        // and counted in the seats taken already.
        let code = registration.category_code().to_owned();
        let category_capacity = categories.get(&code).and_then(|c| c.capacity);
        let in_category = by_category.get(&code).copied().unwrap_or(0);
        if delegation_has_room(conn, &registration)?
            && within(meeting.capacity, in_meeting)
            && within(category_capacity, in_category)
        {
            promote_waiting(conn, meeting, &registration, actor, now)?;
            *by_organization
                .entry(registration.organization_id.clone())
                .or_default() += 1;
            promoted += 1;
            continue;
        }
        if meeting
            .capacity
            .is_some_and(|capacity| in_meeting >= capacity)
        {
            continue;
        }
        let in_organization = by_organization
            .entry(registration.organization_id.clone())
            .or_default();
        let code = registration.category_code().to_owned();
        let in_category = by_category.entry(code.clone()).or_default();
        let category_full = categories
            .get(&code)
            .is_some_and(|category| !category.has_room(*in_category));
        if !seat_available(meeting, in_meeting, *in_organization) || category_full {
            continue;
        }
        promote_waiting(conn, meeting, &registration, actor, now)?;
        in_meeting += 1;
        *in_organization += 1;
        *in_category += 1;
        promoted += 1;
    }
    Ok(promoted)
}

/// Whether `taken` seats (the one in question among them) fit a limit; `None`: no limit.
fn within(limit: Option<i64>, taken: i64) -> bool {
    limit.is_none_or(|limit| taken <= limit)
}

fn promote_waiting(
    conn: &mut DbConn,
    meeting: &Meeting,
    registration: &Registration,
    actor: &Actor<'_>,
    now: NaiveDateTime,
) -> AppResult<()> {
    set_status(conn, registration, Status::Confirmed, None, actor, now)?;
    outbox::enqueue(
        conn,
        &meeting.id,
        &registration.id,
        &registration.email,
        &ParticipantMail::Promoted,
        now,
    )
}

/// Whether the registration is a delegate whose delegation still sets seats aside and has one
/// no delegate holds: they take that seat, not one of the public's.
pub(super) fn delegation_has_room(
    conn: &mut DbConn,
    registration: &Registration,
) -> AppResult<bool> {
    use crate::schema::delegations;
    let Some(delegation) = &registration.delegation_id else {
        return Ok(false);
    };
    let seats: Option<i64> = delegations::table
        .find(delegation)
        .filter(delegations::released_at.is_null())
        .select(delegations::seats)
        .first(conn)
        .optional()?;
    let Some(seats) = seats else {
        return Ok(false);
    };
    let held: i64 = registrations::table
        .filter(registrations::delegation_id.eq(delegation))
        .filter(registrations::status.eq(Status::Confirmed.as_str()))
        .count()
        .get_result(conn)?;
    Ok(held < seats)
}
