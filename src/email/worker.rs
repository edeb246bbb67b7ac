//! The background worker: sends due outbox rows, retries with backoff, and does the periodic
//! housekeeping (expiring unconfirmed registrations).

use super::drafts::{draft, Drafted};
use super::outbox::{self, Claimed};
use super::transport::{Session, Transport};
use crate::config::WorkerSettings;
use crate::db::{now, DbConn, Pools};
use crate::error::AppResult;
use crate::registrations;
use chrono::NaiveDateTime;
use diesel::Connection;
use lettre::message::Mailbox;
use lettre::Message;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::{mpsc, oneshot, Notify};

/// How many rows one claim takes.
const BATCH: i64 = 50;
/// How many of them are sent at once (so at most this many can be out but unrecorded at a
/// crash).
const SENDERS: usize = 4;
/// How often the worker looks for agenda changes to announce.
const NOTICES_EVERY: std::time::Duration = std::time::Duration::from_secs(1);
/// How long the record of a sent email waits for others to share its write.
const RECORD_GATHER: std::time::Duration = std::time::Duration::from_millis(1);
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

/// Keeps a worker started by [`spawn`] running; dropping it stops the worker.
pub struct Running {
    stop: Arc<Notify>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop.notify_one();
    }
}

/// Starts the worker on threads of its own, at a lower CPU priority than the threads serving
/// requests: when a burst of registrations fills the CPU, requests are answered first and the
/// emails catch up in the gaps, instead of each request waiting behind an email's rendering.
/// The worker stops when the answered guard is dropped (with the server that holds it); any
/// email it was sending then is sent again later, as after a crash.
pub fn spawn(worker: Worker) -> std::io::Result<Running> {
    let stop = Arc::new(Notify::new());
    let stopped = stop.clone();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .thread_name("convene-mail")
        .on_thread_start(lower_priority)
        .build()?;
    std::thread::Builder::new()
        .name("convene-mail".into())
        .spawn(move || {
            lower_priority();
            runtime.block_on(async {
                tokio::select! {
                    () = worker.run() => {}
                    () = stopped.notified() => {}
                }
            });
        })?;
    Ok(Running { stop })
}

/// Makes the calling thread yield the CPU to the request threads (on Linux a thread's nice
/// value is its own).
fn lower_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: setpriority only reads its arguments; gettid cannot fail.
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, libc::gettid() as libc::id_t, 10);
    }
}

impl Worker {
    pub async fn run(self) {
        let mut last_housekeeping: Option<Instant> = None;
        let mut last_notices: Option<Instant> = None;
        let mut load_seen = self.pools.load.reading();
        loop {
            // Requests first: while a burst of them fills the database, the emails wait (a
            // while at most), instead of taking the database's time from them.
            self.pools
                .load
                .wait_out_burst(&mut load_seen, self.settings.yield_to_requests)
                .await;
            if last_housekeeping
                .is_none_or(|at| at.elapsed() >= self.settings.housekeeping_interval)
            {
                last_housekeeping = Some(Instant::now());
                self.purge().await;
                match self
                    .pools
                    .write_background(|conn| {
                        registrations::store::forget_attempts(conn, now())?;
                        registrations::store::expire_unconfirmed(conn, now())
                    })
                    .await
                {
                    Ok(0) => {}
                    Ok(expired) => tracing::info!(
                        registrations.expired = expired,
                        "expired unconfirmed registrations"
                    ),
                    Err(error) => tracing::warn!(error.cause = %error, "housekeeping failed"),
                }
                self.remind_invitations().await;
                self.release_delegation_seats().await;
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

    /// At each nomination deadline passed, the unused seats of delegations that release them
    /// return to the pool and the waiting list moves.
    async fn release_delegation_seats(&self) {
        match self
            .pools
            .write_background(|conn| crate::delegations::store::release_due(conn, now()))
            .await
        {
            Ok(0) => {}
            Ok(released) => {
                tracing::info!(delegations.released = released, "released delegation seats")
            }
            Err(error) => tracing::warn!(error.cause = %error, "releasing delegation seats failed"),
        }
    }

    /// One reminder for each invitation unused after its meeting's reminder days.
    async fn remind_invitations(&self) {
        match self
            .pools
            .write_background(|conn| crate::invitations::store::remind_due(conn, now()))
            .await
        {
            Ok(0) => {}
            Ok(reminded) => tracing::info!(invitations.reminded = reminded, "reminded invitations"),
            Err(error) => tracing::warn!(error.cause = %error, "invitation reminders failed"),
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

    /// Purges the personal data of meetings that ended long enough ago, and the passport
    /// details of those that ended 30 days ago, whatever the setting.
    async fn purge(&self) {
        self.purge_passports().await;
        let days = self.settings.purge_after_days;
        if days == 0 {
            return;
        }
        let ended_before = move || now() - chrono::Duration::days(days.into());
        // Looked at first: an erasing write empties SQLite's log after it, which would hold the
        // single writer every minute for nothing.
        match self
            .pools
            .read_background(move |conn| registrations::store::purge_due(conn, ended_before()))
            .await
        {
            Ok(true) => {}
            Ok(false) => return,
            Err(error) => {
                tracing::warn!(error.cause = %error, "purge failed");
                return;
            }
        }
        let purged = self
            .pools
            .erase_background(move |conn| {
                registrations::store::purge_ended(conn, ended_before(), now())
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

    /// Erases the passport details of meetings that ended 30 days ago (looked for first, as
    /// the general purge does).
    async fn purge_passports(&self) {
        use crate::travel::purge;
        match self
            .pools
            .read_background(|conn| purge::due(conn, purge::ended_before(now())))
            .await
        {
            Ok(true) => {}
            Ok(false) => return,
            Err(error) => {
                tracing::warn!(error.cause = %error, "passport purge failed");
                return;
            }
        }
        let erased = self
            .pools
            .erase_background(|conn| {
                let at = now();
                purge::erase(conn, purge::ended_before(at), at)
            })
            .await;
        match erased {
            Ok(n) => tracing::info!(
                travel.requests = n,
                "erased the passport details of meetings that ended 30 days ago"
            ),
            Err(error) => tracing::warn!(error.cause = %error, "passport purge failed"),
        }
    }

    /// Claims due emails and tries each once; answers how many it tried.
    ///
    /// A batch costs the database three writes plus one per few emails: the claim; one
    /// transaction storing the tokens of every email's links in a few statements, however many
    /// emails (they are rendered before it, on a read connection that reads their contacts at
    /// once, so the single SQLite writer is held only for the inserts); and the records of sent
    /// emails, those finished together written together.
    pub async fn deliver_due(&self) -> AppResult<usize> {
        let lease = self.lease();
        let claim = self
            .pools
            .write_background(move |conn| outbox::claim(conn, now(), lease, BATCH))
            .await?;
        let count = claim.rows.len();
        if count == 0 {
            return Ok(0);
        }
        let drafts = self.draft(claim.rows).await?;
        let ready = self.store_links(drafts, claim.until).await?;

        // A few senders at once, each with its own SMTP connection, so that one email's round
        // trips overlap another's.
        let mut shares: Vec<Vec<Ready>> = (0..SENDERS).map(|_| Vec::new()).collect();
        for (i, email) in ready.into_iter().enumerate() {
            shares[i % SENDERS].push(email);
        }
        let (reporter, reports) = mpsc::unbounded_channel();
        let senders = shares
            .into_iter()
            .filter(|share| !share.is_empty())
            .map(|share| {
                let reporter = reporter.clone();
                async move {
                    let mut session = self.transport.session();
                    let mut outcome = Ok(());
                    for email in share {
                        outcome = self.send(email, &mut session, &reporter).await;
                        if outcome.is_err() {
                            break;
                        }
                    }
                    session.close().await;
                    outcome
                }
            })
            .collect::<Vec<_>>();
        drop(reporter);
        let (outcomes, ()) = futures_util::future::join(
            futures_util::future::join_all(senders),
            self.record_sent(reports),
        )
        .await;
        for outcome in outcomes {
            outcome?;
        }
        Ok(count)
    }

    fn lease(&self) -> chrono::Duration {
        chrono::Duration::from_std(self.settings.lease).unwrap_or(chrono::Duration::minutes(5))
    }

    /// Renders the claimed rows, each with fresh links, on a read connection.
    async fn draft(&self, rows: Vec<Claimed>) -> AppResult<Vec<Draft>> {
        let (from, base_url) = (self.from.clone(), self.base_url.clone());
        self.pools
            .read_background(move |conn| {
                let host = crate::config::host_of(&base_url);
                let mut meetings = HashMap::new();
                let ids: Vec<&str> = rows
                    .iter()
                    .filter_map(|row| row.registration_id.as_deref())
                    .collect();
                let contacts = if ids.is_empty() {
                    HashMap::new()
                } else {
                    registrations::store::contacts(conn, &ids)?
                };
                Ok(rows
                    .into_iter()
                    .map(|row| {
                        let email = draft(
                            conn,
                            &row,
                            &contacts,
                            &mut meetings,
                            &from,
                            &base_url,
                            &host,
                        );
                        Draft { row, email }
                    })
                    .collect())
            })
            .await
    }

    /// In one transaction: renews the lease of each drafted row this worker still holds and
    /// stores its links' tokens, or records why it could not be drafted. Answers the emails
    /// ready to send.
    async fn store_links(&self, drafts: Vec<Draft>, held: NaiveDateTime) -> AppResult<Vec<Ready>> {
        let (lease, settings) = (self.lease(), self.settings.clone());
        let (ready, failed) = self
            .pools
            .write_background(move |conn| {
                conn.transaction(|conn| -> AppResult<_> {
                    let now = now();
                    let (mut ready, mut failed) = (Vec::new(), Vec::new());
                    let ids: Vec<String> = drafts.iter().map(|d| d.row.id.clone()).collect();
                    let renewed = outbox::renew_all(conn, &ids, held, now + lease)?;
                    let drafts: Vec<Draft> = drafts
                        .into_iter()
                        .filter(|draft| {
                            let held = renewed.contains(&draft.row.id);
                            if !held {
                                tracing::debug!(email.id = %draft.row.id, "email left to the worker that holds it now");
                            }
                            held
                        })
                        .collect();
                    let mut settle = |conn: &mut DbConn, Draft { row, email }: Draft| {
                        match email {
                            Ok(drafted) => {
                                if !drafted.store_rest(conn, now)? {
                                    // Its link is no longer wanted (an invitation revoked or
                                    // used meanwhile): the email is done without going out.
                                    outbox::mark_sent(conn, std::slice::from_ref(&row.id), now)?;
                                    return Ok(());
                                }
                                ready.push(Ready {
                                    row,
                                    message: drafted.message,
                                    held: now + lease,
                                });
                            }
                            Err(error) => {
                                let reason = format!("{error:#}");
                                let dead = outbox::mark_failed(conn, &row, &reason, &settings, now)?;
                                failed.push((row, reason, dead));
                            }
                        }
                        AppResult::Ok(())
                    };
                    // Invitations' and delegations' links first: a delegation's change holds the
                    // delegation before its registrations, and so does this transaction.
                    let (to_registrations, others): (Vec<Draft>, Vec<Draft>) =
                        drafts.into_iter().partition(|draft| {
                            draft
                                .email
                                .as_ref()
                                .is_ok_and(|email| email.registration_links().is_some())
                        });
                    for draft in others {
                        settle(conn, draft)?;
                    }
                    // The links of every email to a registration, in a few statements.
                    let links: Vec<_> = to_registrations
                        .iter()
                        .filter_map(|draft| draft.email.as_ref().ok()?.registration_links())
                        .collect();
                    crate::accounts::tokens::replace_all(conn, &links, now)?;
                    drop(links);
                    for draft in to_registrations {
                        settle(conn, draft)?;
                    }
                    Ok((ready, failed))
                })
            })
            .await?;
        for (row, reason, dead) in failed {
            tracing::warn!(
                email.id = %row.id, email.kind = %row.kind, email.attempts = row.attempts,
                email.dead = dead, error.cause = %reason, "email could not be prepared"
            );
        }
        Ok(ready)
    }

    /// Sends one email and reports it sent, or records the failure.
    async fn send(
        &self,
        email: Ready,
        session: &mut Session<'_>,
        reporter: &mpsc::UnboundedSender<SentReport>,
    ) -> AppResult<()> {
        let Ready { row, message, held } = email;
        let lease = self.lease();
        // A slow SMTP server may have used up half the lease on the emails before this one:
        // renew it, so that no other worker can take the row while it is being sent.
        if now() + lease / 2 > held {
            let id = row.id.clone();
            let renewed = self
                .pools
                .write_background(move |conn| outbox::renew(conn, &id, held, now() + lease))
                .await?;
            if !renewed {
                tracing::debug!(email.id = %row.id, "email left to the worker that holds it now");
                return Ok(());
            }
        }
        match session.send(message).await {
            Ok(()) => {
                let (ack, recorded) = oneshot::channel();
                if reporter.send((row.id.clone(), ack)).is_ok() {
                    // Waiting here keeps at most one sent-but-unrecorded email per sender.
                    let _ = recorded.await;
                }
                tracing::info!(email.id = %row.id, email.kind = %row.kind, "email sent");
            }
            Err(error) => {
                let reason = format!("{error:#}");
                let (failed, settings) = (row.clone(), self.settings.clone());
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

    /// Records sent emails as the senders report them, those reported together in one write.
    /// Each record is retried until the database takes it: the email is out, and that fact
    /// must outlive a database outage, or the row would be sent again when its lease ends.
    async fn record_sent(&self, mut reports: mpsc::UnboundedReceiver<SentReport>) {
        while let Some(first) = reports.recv().await {
            let mut batch = vec![first];
            // A moment for the other senders' reports: one write for several emails leaves the
            // single SQLite writer to the requests for longer.
            tokio::time::sleep(RECORD_GATHER).await;
            while let Ok(more) = reports.try_recv() {
                batch.push(more);
            }
            let ids: Vec<String> = batch.iter().map(|(id, _)| id.clone()).collect();
            let mut wait = std::time::Duration::from_millis(50);
            loop {
                let recording = ids.clone();
                match self
                    .pools
                    .write_background(move |conn| outbox::mark_sent(conn, &recording, now()))
                    .await
                {
                    Ok(()) => break,
                    Err(error) => {
                        tracing::warn!(emails = ids.len(), error.cause = %error, "cannot record sent emails yet; retrying");
                        tokio::time::sleep(wait).await;
                        wait = (wait * 2).min(std::time::Duration::from_secs(1));
                    }
                }
            }
            for (_, ack) in batch {
                let _ = ack.send(());
            }
        }
    }
}

/// A sent email's row id, and how its sender learns that the fact is recorded.
type SentReport = (String, oneshot::Sender<()>);

/// A claimed row, and its email rendered with fresh links (or why it could not be).
struct Draft {
    row: Claimed,
    email: anyhow::Result<Drafted>,
}

/// An email ready to go out; its row is this worker's until `held`.
struct Ready {
    row: Claimed,
    message: Message,
    held: NaiveDateTime,
}
