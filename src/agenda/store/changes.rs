//! What moved in a published agenda: each change recorded as it happens, and sent to the
//! confirmed participants in batches.

use crate::agenda::model::{coalesce, SessionChange};
use crate::audit::{self, Actor};
use crate::db::{new_id, DbConn};
use crate::email::{outbox, ParticipantMail};
use crate::error::AppResult;
use crate::meetings;
use crate::registrations::model::RegistrationStatus;
use crate::schema::{agenda_changes, registrations};
use chrono::NaiveDateTime;
use diesel::prelude::*;

pub(super) fn record_change(
    conn: &mut DbConn,
    meeting_id: &str,
    change: &SessionChange,
    now: NaiveDateTime,
) -> AppResult<()> {
    diesel::insert_into(agenda_changes::table)
        .values((
            agenda_changes::id.eq(new_id()),
            agenda_changes::meeting_id.eq(meeting_id),
            agenda_changes::session_id.eq(&change.session_id),
            agenda_changes::at.eq(now),
            agenda_changes::change.eq(serde_json::to_string(change).map_err(anyhow::Error::from)?),
        ))
        .execute(conn)?;
    Ok(())
}

/// Sends the batched change notices that are due: a meeting's changes go out once no edit has
/// come for `quiet`, or once the oldest has waited `max_wait`. One email per confirmed
/// participant per batch, through the outbox. Answers how many meetings were notified.
pub fn notify_changes(
    conn: &mut DbConn,
    now: NaiveDateTime,
    quiet: chrono::Duration,
    max_wait: chrono::Duration,
) -> AppResult<usize> {
    let pending: Vec<(String, Option<NaiveDateTime>, Option<NaiveDateTime>)> =
        agenda_changes::table
            .filter(agenda_changes::notified_at.is_null())
            .group_by(agenda_changes::meeting_id)
            .select((
                agenda_changes::meeting_id,
                diesel::dsl::min(agenda_changes::at),
                diesel::dsl::max(agenda_changes::at),
            ))
            .load(conn)?;
    let mut notified = 0;
    for (meeting_id, first, last) in pending {
        let due = last.is_some_and(|last| last <= now - quiet)
            || first.is_some_and(|first| first <= now - max_wait);
        if due {
            notify_meeting(conn, &meeting_id, now)?;
            notified += 1;
        }
    }
    Ok(notified)
}

fn notify_meeting(conn: &mut DbConn, meeting_id: &str, now: NaiveDateTime) -> AppResult<()> {
    conn.transaction(|conn| {
        // Under the lock, a second worker finds the batch already taken.
        meetings::store::lock(conn, meeting_id)?;
        let rows: Vec<(String, String)> = agenda_changes::table
            .filter(agenda_changes::meeting_id.eq(meeting_id))
            .filter(agenda_changes::notified_at.is_null())
            .order((agenda_changes::at.asc(), agenda_changes::id.asc()))
            .select((agenda_changes::id, agenda_changes::change))
            .load(conn)?;
        if rows.is_empty() {
            return Ok(());
        }
        let ids: Vec<&str> = rows.iter().map(|(id, _)| id.as_str()).collect();
        diesel::update(agenda_changes::table.filter(agenda_changes::id.eq_any(&ids)))
            .set(agenda_changes::notified_at.eq(now))
            .execute(conn)?;
        let changes = coalesce(
            rows.iter()
                .filter_map(|(_, change)| serde_json::from_str(change).ok())
                .collect(),
        );
        if changes.is_empty() {
            return Ok(());
        }
        let recipients: Vec<(String, String)> = registrations::table
            .filter(registrations::meeting_id.eq(meeting_id))
            .filter(registrations::status.eq(RegistrationStatus::Confirmed.as_str()))
            .select((registrations::id, registrations::email))
            .load(conn)?;
        let mail = ParticipantMail::AgendaChanged { changes };
        for (registration_id, email) in &recipients {
            outbox::enqueue(conn, meeting_id, registration_id, email, &mail, now)?;
        }
        audit::record(
            conn,
            audit::NewEntry {
                actor: &Actor::System,
                action: "agenda.notified",
                meeting_id: Some(meeting_id),
                subject_id: Some(meeting_id),
                detail: &format!("{} participants", recipients.len()),
            },
            now,
        )
    })
}
