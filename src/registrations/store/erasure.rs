//! Erasure: a participant's own deletion, and the purge of ended meetings' personal data.

use super::*;
use crate::schema::invitations;

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
        // Emails first, as the email worker takes an email's row before the registration and
        // its links, so that a delete racing an email being prepared waits at the first row
        // instead of deadlocking.
        diesel::delete(emails::table.filter(emails::registration_id.eq(id))).execute(conn)?;
        detach_press_links(conn, &[id.to_owned()], now)?;
        diesel::delete(links::table.filter(links::registration_id.eq(id))).execute(conn)?;
        forget_invitation(conn, &registration)?;
        crate::checkin::attendance::forget(conn, id)?;
        diesel::delete(registrations::table.find(id)).execute(conn)?;
        sweep_organizations(
            conn,
            Some(std::slice::from_ref(&registration.organization_id)),
        )?;
        audit::record(
            conn,
            audit::NewEntry {
                actor: &Actor::Participant(id),
                action: "registration.deleted",
                meeting_id: Some(&meeting.id),
                subject_id: Some(id),
                detail: was.as_str(),
            },
            now,
        )?;
        if was == Status::Confirmed {
            fill_free_seats(conn, &meeting, &Actor::System, now)?;
        }
        Ok(())
    })
}

/// The invitations of a deleted registration's address go with it (the one it came through,
/// and any other to that address in the meeting), and so do the emails that carried them: they
/// hold the same address and name.
fn forget_invitation(conn: &mut DbConn, registration: &Registration) -> AppResult<()> {
    let key = registration.email.to_lowercase();
    let unregistered: Vec<(String, String)> = emails::table
        .filter(emails::meeting_id.eq(&registration.meeting_id))
        .filter(emails::registration_id.is_null())
        .select((emails::id, emails::recipient))
        .load(conn)?;
    let theirs: Vec<String> = unregistered
        .into_iter()
        .filter(|(_, recipient)| recipient.to_lowercase() == key)
        .map(|(id, _)| id)
        .collect();
    diesel::delete(emails::table.filter(emails::id.eq_any(theirs))).execute(conn)?;
    diesel::delete(
        invitations::table.filter(
            invitations::registration_id
                .eq(&registration.id)
                .or(invitations::meeting_id
                    .eq(&registration.meeting_id)
                    .and(invitations::email_key.eq(&key))),
        ),
    )
    .execute(conn)?;
    Ok(())
}

/// An accredited journalist's press links outlive their registration, stopped and nameless:
/// the press access log counts their uses by link, and a deleted link would take its rows.
fn detach_press_links(
    conn: &mut DbConn,
    registration_ids: &[String],
    now: NaiveDateTime,
) -> AppResult<()> {
    if registration_ids.is_empty() {
        return Ok(());
    }
    diesel::update(
        links::table
            .filter(links::kind.eq(TokenKind::Press.as_str()))
            .filter(links::registration_id.eq_any(registration_ids)),
    )
    .set((
        links::registration_id.eq(None::<String>),
        links::label.eq(None::<String>),
        links::revoked_at.eq(now),
    ))
    .execute(conn)?;
    Ok(())
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
            let journalists: Vec<String> = links::table
                .filter(links::meeting_id.eq(meeting_id))
                .filter(links::kind.eq(TokenKind::Press.as_str()))
                .filter(links::registration_id.is_not_null())
                .select(links::registration_id.assume_not_null())
                .load(conn)?;
            detach_press_links(conn, &journalists, now)?;
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
            diesel::delete(invitations::table.filter(invitations::meeting_id.eq(meeting_id)))
                .execute(conn)?;
            // Focal points' names and addresses; the seats no longer matter once it ended.
            diesel::delete(
                crate::schema::delegations::table
                    .filter(crate::schema::delegations::meeting_id.eq(meeting_id)),
            )
            .execute(conn)?;
            crate::checkin::attendance::forget_meeting(conn, meeting_id)?;
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
                audit::NewEntry {
                    actor: &Actor::System,
                    action: "meeting.purged",
                    meeting_id: Some(meeting_id),
                    subject_id: Some(meeting_id),
                    detail: &format!("{counted} registrations"),
                },
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
pub(super) fn erase_meeting_traces(conn: &mut DbConn, meeting_id: &str) -> AppResult<()> {
    use crate::schema::{
        agenda_changes, audit_log, outbox, session_speakers, tokens, webhook_deliveries,
    };
    diesel::delete(session_speakers::table.filter(session_speakers::meeting_id.eq(meeting_id)))
        .execute(conn)?;
    // Press tokens stay, without their labels (often a journalist's name), so the access log
    // still counts uses by token id.
    diesel::update(tokens::table.filter(tokens::meeting_id.eq(meeting_id)))
        .set(tokens::label.eq(None::<String>))
        .execute(conn)?;
    diesel::delete(outbox::table.filter(outbox::meeting_id.eq(meeting_id))).execute(conn)?;
    // A receiver's answers may quote what it was sent.
    diesel::delete(webhook_deliveries::table.filter(webhook_deliveries::meeting_id.eq(meeting_id)))
        .execute(conn)?;
    diesel::delete(agenda_changes::table.filter(agenda_changes::meeting_id.eq(meeting_id)))
        .execute(conn)?;
    // Details were free text in some entries (and press-token labels in older ones); actions,
    // actors, ids and times stay.
    diesel::update(audit_log::table.filter(audit_log::meeting_id.eq(meeting_id)))
        .set(audit_log::detail.eq(""))
        .execute(conn)?;
    Ok(())
}
