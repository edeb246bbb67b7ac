//! The webhook worker: claims due deliveries, sends them at once (each within its time limit),
//! and records what became of them. It runs on a thread of its own, beside the email worker,
//! so a slow or dead receiver delays neither a registration nor an email.

use super::delivery::{self, Sending};
use super::store::{self, Claimed, Outcome};
use crate::config::WorkerSettings;
use crate::db::{now, Pools};
use crate::email::outbox::backoff;
use crate::error::AppResult;
use std::sync::Arc;
use tokio::sync::Notify;

/// How many deliveries one claim takes (and sends at once).
const BATCH: i64 = 16;

pub struct Worker {
    pub pools: Pools,
    pub settings: WorkerSettings,
    /// `CONVENE_WEBHOOK_ALLOW_PRIVATE`: receivers on private addresses are reached.
    pub allow_private: bool,
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

pub fn spawn(worker: Worker) -> std::io::Result<Running> {
    let stop = Arc::new(Notify::new());
    let stopped = stop.clone();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .thread_name("convene-webhooks")
        .build()?;
    std::thread::Builder::new()
        .name("convene-webhooks".into())
        .spawn(move || {
            runtime.block_on(async {
                tokio::select! {
                    () = worker.run() => {}
                    () = stopped.notified() => {}
                }
            });
        })?;
    Ok(Running { stop })
}

impl Worker {
    async fn run(self) {
        loop {
            let handled = match self.deliver_due().await {
                Ok(handled) => handled,
                Err(error) => {
                    tracing::warn!(error.cause = %error, "cannot claim webhook deliveries");
                    0
                }
            };
            if handled == 0 {
                tokio::time::sleep(self.settings.poll_interval).await;
            }
        }
    }

    /// Sends what is due; answers how many were tried.
    pub async fn deliver_due(&self) -> AppResult<usize> {
        // Longer than a receiver may take, so a slow one is not taken over mid-send.
        let lease = chrono::Duration::from_std(delivery::ATTEMPT_LIMIT * 2).unwrap_or_default();
        let claimed = self
            .pools
            .write_background(move |conn| store::claim(conn, now(), lease, BATCH))
            .await?;
        let tried = claimed.len();
        let sends = claimed.iter().map(|claimed| self.send(claimed));
        let outcomes = futures_util::future::join_all(sends).await;
        for (claimed, outcome) in claimed.into_iter().zip(outcomes) {
            self.record(claimed, outcome).await;
        }
        Ok(tried)
    }

    async fn send(&self, claimed: &Claimed) -> Outcome {
        let sending = delivery::send(Sending {
            url: &claimed.url,
            secret: &claimed.secret,
            delivery_id: &claimed.delivery.id,
            event: &claimed.delivery.event,
            payload: &claimed.delivery.payload,
            allow_private: self.allow_private,
        });
        // Well within the lease, so no other worker takes the delivery over meanwhile.
        match tokio::time::timeout(delivery::ATTEMPT_LIMIT, sending).await {
            Ok(outcome) => outcome,
            Err(_) => Outcome::Failed {
                status: None,
                error: "no answer in time".into(),
            },
        }
    }

    async fn record(&self, claimed: Claimed, outcome: Outcome) {
        let attempts = claimed.delivery.attempts;
        let retry_in = (attempts < self.settings.max_attempts).then(|| {
            chrono::Duration::from_std(backoff(&self.settings, attempts)).unwrap_or_default()
        });
        match &outcome {
            Outcome::Delivered(_) => {}
            Outcome::Gone => tracing::warn!(
                webhook.id = %claimed.delivery.webhook_id,
                "a webhook's receiver answered 410 Gone: it is turned off"
            ),
            Outcome::Failed { status, .. } => tracing::info!(
                webhook.id = %claimed.delivery.webhook_id,
                http.status = status.unwrap_or(0),
                attempts,
                dead = retry_in.is_none(),
                "a webhook delivery failed"
            ),
        }
        let result = self
            .pools
            .write_background(move |conn| store::record(conn, &claimed, &outcome, retry_in, now()))
            .await;
        if let Err(error) = result {
            tracing::warn!(error.cause = %error, "cannot record a webhook delivery");
        }
    }
}
