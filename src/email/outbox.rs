//! The outbox table: enqueue, claim, and record how sending went.

use crate::config::WorkerSettings;
use crate::db::{new_id, DbConn};
use crate::error::AppResult;
use crate::schema::outbox;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

/// What to tell a participant. Rendered at send time, in their language, with fresh links:
/// the outbox never holds a token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ParticipantMail {
    ConfirmAddress,
    AlreadyRegistered,
    Confirmed,
    Waitlisted {
        position: i64,
    },
    Promoted,
    AwaitingApproval,
    Approved,
    Rejected,
    Cancelled,
    AgendaChanged {
        changes: Vec<crate::agenda::model::SessionChange>,
    },
    /// A fresh manage link, after the participant stopped every earlier one.
    NewLink,
    /// An accredited journalist's press link (a press token of the meeting, made as the email
    /// is written, replacing any earlier one of theirs).
    PressAccredited,
    /// An invitation's link (made as the email is written; each email's replaces the last).
    Invited {
        invitation: String,
        reminder: bool,
    },
    /// A delegation's focal point: the link to their page (made as the email is written).
    FocalPoint {
        delegation: String,
    },
    /// A funding decision or a booking (the organizer's text is in the payload, and goes with
    /// the meeting's emails at the purge).
    Travel {
        news: crate::travel::TravelNews,
    },
}

impl ParticipantMail {
    pub fn kind(&self) -> &'static str {
        match self {
            Self::ConfirmAddress => "confirm_address",
            Self::AlreadyRegistered => "already_registered",
            Self::Confirmed => "confirmed",
            Self::Waitlisted { .. } => "waitlisted",
            Self::Promoted => "promoted",
            Self::AwaitingApproval => "awaiting_approval",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
            Self::Cancelled => "cancelled",
            Self::AgendaChanged { .. } => "agenda_changed",
            Self::NewLink => "new_link",
            Self::PressAccredited => "press_accredited",
            Self::Invited {
                reminder: false, ..
            } => "invited",
            Self::Invited { reminder: true, .. } => "invitation_reminder",
            Self::FocalPoint { .. } => "focal_point",
            Self::Travel { news } => news.kind(),
        }
    }
}

pub const PENDING: &str = "pending";
pub const SENT: &str = "sent";
pub const DEAD: &str = "dead";

/// Writes an email to a participant; call it inside the transaction of the change.
pub fn enqueue(
    conn: &mut DbConn,
    meeting_id: &str,
    registration_id: &str,
    recipient: &str,
    mail: &ParticipantMail,
    now: NaiveDateTime,
) -> AppResult<()> {
    diesel::insert_into(outbox::table)
        .values((
            outbox::id.eq(new_id()),
            outbox::kind.eq(mail.kind()),
            outbox::meeting_id.eq(meeting_id),
            outbox::registration_id.eq(registration_id),
            outbox::recipient.eq(recipient),
            outbox::payload.eq(serde_json::to_string(mail).map_err(anyhow::Error::from)?),
            outbox::status.eq(PENDING),
            outbox::attempts.eq(0),
            outbox::next_attempt_at.eq(now),
            outbox::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Writes an email to someone not registered (yet): an invited person. Its payload names
/// what it is about; the outbox still holds no token.
pub fn enqueue_unregistered(
    conn: &mut DbConn,
    meeting_id: &str,
    recipient: &str,
    mail: &ParticipantMail,
    now: NaiveDateTime,
) -> AppResult<()> {
    diesel::insert_into(outbox::table)
        .values((
            outbox::id.eq(new_id()),
            outbox::kind.eq(mail.kind()),
            outbox::meeting_id.eq(meeting_id),
            outbox::recipient.eq(recipient),
            outbox::payload.eq(serde_json::to_string(mail).map_err(anyhow::Error::from)?),
            outbox::status.eq(PENDING),
            outbox::attempts.eq(0),
            outbox::next_attempt_at.eq(now),
            outbox::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// A row a worker has claimed.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = outbox)]
pub struct Claimed {
    pub id: String,
    pub kind: String,
    pub meeting_id: Option<String>,
    pub registration_id: Option<String>,
    pub recipient: String,
    pub payload: String,
    pub attempts: i32,
}

/// Rows claimed together, held until `until` (the value their `next_attempt_at` now has, which
/// is how the worker later proves the rows are still its own).
pub struct Claim {
    pub rows: Vec<Claimed>,
    pub until: NaiveDateTime,
}

/// Claims up to `batch` due rows for `lease`: they are not due again until the lease ends, so
/// a worker that dies mid-send leaves them to be retried. On PostgreSQL, `SKIP LOCKED` keeps
/// two workers from claiming the same row; SQLite has one writer and needs no more.
pub fn claim(
    conn: &mut DbConn,
    now: NaiveDateTime,
    lease: chrono::Duration,
    batch: i64,
) -> AppResult<Claim> {
    let until = now + lease;
    conn.transaction(|conn| {
        // Written once, typed twice: each backend's arm is plain diesel.
        macro_rules! due {
            () => {
                outbox::table
                    .filter(outbox::status.eq(PENDING))
                    .filter(outbox::next_attempt_at.le(now))
                    .order((outbox::next_attempt_at.asc(), outbox::id.asc()))
                    .limit(batch)
                    .select(Claimed::as_select())
            };
        }
        let rows = match conn {
            DbConn::Postgres(pg) => due!().for_update().skip_locked().load(pg)?,
            DbConn::Sqlite(sqlite) => due!().load(sqlite)?,
        };
        if !rows.is_empty() {
            let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
            diesel::update(outbox::table.filter(outbox::id.eq_any(&ids)))
                .set((
                    outbox::next_attempt_at.eq(until),
                    outbox::attempts.eq(outbox::attempts + 1),
                ))
                .execute(conn)?;
        }
        let rows = rows
            .into_iter()
            .map(|row| Claimed {
                attempts: row.attempts + 1,
                ..row
            })
            .collect();
        Ok(Claim { rows, until })
    })
}

/// `renew` for all the rows of a claim at once; answers the ids renewed.
pub fn renew_all(
    conn: &mut DbConn,
    ids: &[String],
    held: NaiveDateTime,
    until: NaiveDateTime,
) -> AppResult<std::collections::HashSet<String>> {
    let renewal = diesel::update(
        outbox::table
            .filter(outbox::id.eq_any(ids))
            .filter(outbox::status.eq(PENDING))
            .filter(outbox::next_attempt_at.eq(held)),
    )
    .set(outbox::next_attempt_at.eq(until))
    .returning(outbox::id);
    let renewed: Vec<String> = crate::on_each_backend!(conn, each => renewal.get_results(each))?;
    Ok(renewed.into_iter().collect())
}

/// A fresh lease on a row this worker claimed, if it still holds it: the row is still pending
/// and its `next_attempt_at` is still the `held` lease this worker set. Otherwise (the lease ran
/// out while earlier rows were sent, and another worker claimed the row) answers false, and the
/// row is left to that worker. Taken before the send if sending the rows before it used up half
/// the lease (`renew_all` takes it for a whole claim when its tokens are stored).
pub fn renew(
    conn: &mut DbConn,
    id: &str,
    held: NaiveDateTime,
    until: NaiveDateTime,
) -> AppResult<bool> {
    let renewed = diesel::update(
        outbox::table
            .find(id)
            .filter(outbox::status.eq(PENDING))
            .filter(outbox::next_attempt_at.eq(held)),
    )
    .set(outbox::next_attempt_at.eq(until))
    .execute(conn)?;
    Ok(renewed == 1)
}

/// Records sent emails, all in one statement. On PostgreSQL without waiting for the disk
/// (`synchronous_commit` off for this one transaction): losing the record takes a crash of the
/// database server itself within a fraction of a second, and costs one repeat of the emails with
/// the same Message-ID, while waiting for the disk here halved the outbox's pace.
pub fn mark_sent(conn: &mut DbConn, ids: &[String], now: NaiveDateTime) -> AppResult<()> {
    let mark = |conn: &mut DbConn| {
        diesel::update(outbox::table.filter(outbox::id.eq_any(ids)))
            .set((
                outbox::status.eq(SENT),
                outbox::sent_at.eq(now),
                outbox::last_error.eq(None::<String>),
            ))
            .execute(conn)
    };
    match conn {
        DbConn::Postgres(_) => conn.transaction(|conn| {
            diesel::sql_query("SET LOCAL synchronous_commit = off").execute(conn)?;
            mark(conn)
        })?,
        DbConn::Sqlite(_) => mark(conn)?,
    };
    Ok(())
}

/// How long to wait before attempt `attempts + 1`: doubling from the base, capped.
pub fn backoff(settings: &WorkerSettings, attempts: i32) -> std::time::Duration {
    let factor = 2u32.saturating_pow(attempts.saturating_sub(1).clamp(0, 30) as u32);
    settings
        .retry_base
        .saturating_mul(factor)
        .min(settings.retry_max)
}

/// Records a failed attempt: retried later, or dead once the attempts are used up.
pub fn mark_failed(
    conn: &mut DbConn,
    claimed: &Claimed,
    error: &str,
    settings: &WorkerSettings,
    now: NaiveDateTime,
) -> AppResult<bool> {
    let dead = claimed.attempts >= settings.max_attempts;
    let wait = chrono::Duration::from_std(backoff(settings, claimed.attempts))
        .unwrap_or(chrono::Duration::hours(1));
    let error: String = error.chars().take(500).collect();
    diesel::update(outbox::table.find(&claimed.id))
        .set((
            outbox::status.eq(if dead { DEAD } else { PENDING }),
            outbox::next_attempt_at.eq(now + wait),
            outbox::last_error.eq(error),
        ))
        .execute(conn)?;
    Ok(dead)
}

/// Rows still waiting to go out, across all meetings.
pub fn pending_total(conn: &mut DbConn) -> AppResult<i64> {
    Ok(outbox::table
        .filter(outbox::status.eq(PENDING))
        .count()
        .get_result(conn)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn backoff_doubles_and_is_capped() {
        let settings = WorkerSettings {
            retry_base: Duration::from_secs(10),
            retry_max: Duration::from_secs(60),
            ..WorkerSettings::default()
        };
        let waits: Vec<u64> = (1..=5).map(|n| backoff(&settings, n).as_secs()).collect();
        assert_eq!(waits, [10, 20, 40, 60, 60]);
        assert_eq!(backoff(&settings, 1000).as_secs(), 60);
    }

    #[test]
    fn mail_payload_round_trips() {
        let mail = ParticipantMail::Waitlisted { position: 3 };
        let json = serde_json::to_string(&mail).unwrap();
        assert_eq!(json, r#"{"kind":"waitlisted","position":3}"#);
        assert_eq!(
            serde_json::from_str::<ParticipantMail>(&json).unwrap(),
            mail
        );
    }
}
