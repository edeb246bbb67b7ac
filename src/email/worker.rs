//! The background worker: sends due outbox rows, retries with backoff, and does the periodic
//! housekeeping (expiring unconfirmed registrations).

use super::messages::{self, Recipient};
use super::outbox::{self, Claimed, ParticipantMail};
use super::transport::{Session, Transport};
use crate::accounts::tokens::{self, Grant, TokenKind};
use crate::config::WorkerSettings;
use crate::db::{now, DbConn, Pools};
use crate::error::AppResult;
use crate::{meetings, registrations};
use chrono::NaiveDateTime;
use diesel::Connection;
use lettre::message::Mailbox;
use lettre::Message;
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::Notify;

/// How many rows one claim takes.
const BATCH: i64 = 50;
/// How many of them are sent at once (so at most this many can be in flight at a crash).
const SENDERS: usize = 4;
/// How often the worker looks for agenda changes to announce.
const NOTICES_EVERY: std::time::Duration = std::time::Duration::from_secs(1);
/// How long a woken worker waits for more emails before it claims.
const GATHER: std::time::Duration = std::time::Duration::from_millis(20);

pub struct Worker {
    pub pools: Pools,
    pub transport: Transport,
    pub settings: WorkerSettings,
    pub from: Mailbox,
    pub base_url: String,
    pub wakeup: Arc<Notify>,
}

/// The host part used in Message-IDs and calendar UIDs.
pub fn host_of(base_url: &str) -> String {
    url::Url::parse(base_url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| "convene.invalid".to_owned())
}

impl Worker {
    pub async fn run(self) {
        let mut last_housekeeping: Option<Instant> = None;
        let mut last_notices: Option<Instant> = None;
        loop {
            if last_housekeeping
                .is_none_or(|at| at.elapsed() >= self.settings.housekeeping_interval)
            {
                last_housekeeping = Some(Instant::now());
                self.purge().await;
                match self
                    .pools
                    .write_background(|conn| registrations::store::expire_unconfirmed(conn, now()))
                    .await
                {
                    Ok(0) => {}
                    Ok(expired) => tracing::info!(
                        registrations.expired = expired,
                        "expired unconfirmed registrations"
                    ),
                    Err(error) => tracing::warn!(error.cause = %error, "housekeeping failed"),
                }
            }
            // Agenda notices wait minutes anyway: looking once a second is plenty, and keeps
            // this write off the single SQLite writer while registrations pour in.
            if last_notices.is_none_or(|at| at.elapsed() >= NOTICES_EVERY) {
                last_notices = Some(Instant::now());
                self.send_agenda_notices().await;
            }
            let handled = match self.deliver_due().await {
                Ok(handled) => handled,
                Err(error) => {
                    tracing::warn!(error.cause = %error, "cannot claim emails");
                    0
                }
            };
            if handled == 0 {
                tokio::select! {
                    _ = self.wakeup.notified() => {
                        // A burst of registrations wakes the worker once per request: a moment's
                        // pause lets one claim take many of them.
                        tokio::time::sleep(GATHER).await;
                    }
                    _ = tokio::time::sleep(self.settings.poll_interval) => {}
                }
            }
        }
    }

    async fn send_agenda_notices(&self) {
        let (quiet, max_wait) = (
            self.settings.agenda_quiet_period,
            self.settings.agenda_max_wait,
        );
        let notices = self
            .pools
            .write_background(move |conn| {
                let span = |d: std::time::Duration| {
                    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::minutes(5))
                };
                crate::agenda::store::notify_changes(conn, now(), span(quiet), span(max_wait))
            })
            .await;
        if let Err(error) = notices {
            tracing::warn!(error.cause = %error, "cannot send agenda change notices");
        }
    }

    /// Purges the personal data of meetings that ended long enough ago.
    async fn purge(&self) {
        let days = self.settings.purge_after_days;
        if days == 0 {
            return;
        }
        let purged = self
            .pools
            .write_background(move |conn| {
                let at = now();
                registrations::store::purge_ended(
                    conn,
                    at - chrono::Duration::days(days.into()),
                    at,
                )
            })
            .await;
        match purged {
            Ok(0) => {}
            Ok(n) => tracing::info!(
                meetings.purged = n,
                "purged the personal data of ended meetings"
            ),
            Err(error) => tracing::warn!(error.cause = %error, "purge failed"),
        }
    }

    /// Claims due emails and tries each once; answers how many it tried.
    pub async fn deliver_due(&self) -> AppResult<usize> {
        let lease =
            chrono::Duration::from_std(self.settings.lease).unwrap_or(chrono::Duration::minutes(5));
        let claim = self
            .pools
            .write_background(move |conn| outbox::claim(conn, now(), lease, BATCH))
            .await?;
        let count = claim.rows.len();
        // A few senders at once, each with its own connection, so that one email's database
        // and SMTP round trips overlap another's.
        let mut shares: Vec<Vec<Claimed>> = (0..SENDERS).map(|_| Vec::new()).collect();
        for (i, row) in claim.rows.into_iter().enumerate() {
            shares[i % SENDERS].push(row);
        }
        let senders =
            shares
                .into_iter()
                .filter(|share| !share.is_empty())
                .map(|share| async move {
                    let mut session = self.transport.session();
                    let mut outcome = Ok(());
                    for row in share {
                        outcome = self.deliver(row, claim.until, lease, &mut session).await;
                        if outcome.is_err() {
                            break;
                        }
                    }
                    session.close().await;
                    outcome
                });
        for outcome in futures_util::future::join_all(senders).await {
            outcome?;
        }
        Ok(count)
    }

    async fn deliver(
        &self,
        row: Claimed,
        held: NaiveDateTime,
        lease: chrono::Duration,
        session: &mut Session<'_>,
    ) -> AppResult<()> {
        let (from, base_url) = (self.from.clone(), self.base_url.clone());
        let for_prepare = row.clone();
        let prepared = self
            .pools
            .write_background(move |conn| {
                let now = now();
                if !outbox::renew(conn, &for_prepare.id, held, now + lease)? {
                    return Ok(None);
                }
                Ok(Some(prepare(conn, &for_prepare, &from, &base_url, now)))
            })
            .await?;
        let Some(prepared) = prepared else {
            tracing::debug!(email.id = %row.id, "email left to the worker that holds it now");
            return Ok(());
        };
        let outcome = match prepared {
            Ok(message) => session.send(message).await,
            Err(error) => Err(error),
        };
        let settings = self.settings.clone();
        match outcome {
            Ok(()) => {
                self.record_sent(&row.id).await;
                tracing::info!(email.id = %row.id, email.kind = %row.kind, "email sent");
            }
            Err(error) => {
                let reason = format!("{error:#}");
                let failed = row.clone();
                let dead = self
                    .pools
                    .write_background(move |conn| {
                        outbox::mark_failed(conn, &failed, &reason, &settings, now())
                    })
                    .await?;
                tracing::warn!(
                    email.id = %row.id, email.kind = %row.kind, email.attempts = row.attempts,
                    email.dead = dead, error.cause = %error, "email not sent"
                );
            }
        }
        Ok(())
    }
}

impl Worker {
    /// The email is out; that fact must outlive a database outage, or the row would be sent
    /// again when its lease ends. So it is retried until the database takes it.
    async fn record_sent(&self, id: &str) {
        let mut wait = std::time::Duration::from_millis(50);
        loop {
            let owned = id.to_owned();
            match self
                .pools
                .write_background(move |conn| outbox::mark_sent(conn, &owned, now()))
                .await
            {
                Ok(()) => return,
                Err(error) => {
                    tracing::warn!(email.id = %id, error.cause = %error, "cannot record a sent email yet; retrying");
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(std::time::Duration::from_secs(1));
                }
            }
        }
    }
}

/// Renders a claimed row into a message, minting the links' tokens now: the outbox never holds
/// a token, and each email carries its own.
fn prepare(
    conn: &mut DbConn,
    row: &Claimed,
    from: &Mailbox,
    base_url: &str,
    now: NaiveDateTime,
) -> anyhow::Result<Message> {
    let mail: ParticipantMail = serde_json::from_str(&row.payload)?;
    let registration_id = row
        .registration_id
        .as_deref()
        .ok_or_else(|| anyhow::anyhow!("email without registration"))?;
    let contact = registrations::store::contact(conn, registration_id)?;
    let meeting = meetings::store::by_id(conn, &contact.meeting_id)?;
    let host = host_of(base_url);
    let grant = || Grant {
        registration_id: Some(registration_id),
        meeting_id: Some(&contact.meeting_id),
        ..Grant::default()
    };
    let message = conn.transaction(|conn| -> AppResult<Message> {
        let manage = tokens::issue(conn, TokenKind::Manage, grant(), now)?;
        let confirm = match mail {
            ParticipantMail::ConfirmAddress => {
                let expires_at = contact.created_at + registrations::model::CONFIRMATION_WINDOW;
                let confirm_grant = Grant {
                    expires_at: Some(expires_at),
                    ..grant()
                };
                Some(tokens::issue(conn, TokenKind::Confirm, confirm_grant, now)?)
            }
            _ => None,
        };
        let to = Recipient {
            full_name: &contact.full_name,
            email: &contact.email,
            language: contact.language,
            confirm_link: confirm.map(|token| format!("{base_url}/confirm/{token}")),
            manage_link: format!("{base_url}/manage/{manage}"),
        };
        let agenda = crate::agenda::store::agenda(conn, &meeting.id)?;
        let rendered = messages::render(&mail, &meeting, &agenda, &to, &host);
        Ok(messages::build(
            &rendered,
            &to,
            &meeting,
            from,
            format!("<{}@{host}>", row.id),
        )?)
    })?;
    Ok(message)
}
