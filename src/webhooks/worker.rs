//! The webhook worker: claims due deliveries, sends each within its time limit, and records
//! what became of it as soon as it is answered. It runs on a thread of its own, beside the email worker,
//! so a slow or dead receiver delays neither a registration nor an email.

use super::delivery::{self, Sending};
use super::store::{self, Claimed, Outcome};
use crate::config::WorkerSettings;
use crate::db::{now, Pools};
use crate::email::outbox::backoff;
use crate::error::AppResult;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::Notify;
use tokio::task::JoinSet;

/// How many deliveries are out at once, in all…
const IN_FLIGHT: usize = 16;
/// …and to one webhook: a slow receiver cannot take every slot.
const PER_WEBHOOK: usize = 4;

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

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
    /// Claims what is due while there is room, sends each delivery on its own, and records it
    /// as soon as it is answered: a slow receiver holds its own slots only.
    async fn run(self) {
        let worker = Arc::new(self);
        let flying: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
        let mut sends = JoinSet::new();
        loop {
            let room = IN_FLIGHT.saturating_sub(sends.len());
            let claimed = match worker.claim(room, &flying).await {
                Ok(claimed) => claimed,
                Err(error) => {
                    tracing::warn!(error.cause = %error, "cannot claim webhook deliveries");
                    Vec::new()
                }
            };
            let idle = claimed.is_empty();
            for claimed in claimed {
                let (worker, flying) = (worker.clone(), flying.clone());
                *lock(&flying)
                    .entry(claimed.delivery.webhook_id.clone())
                    .or_default() += 1;
                sends.spawn(async move {
                    let webhook = claimed.delivery.webhook_id.clone();
                    let outcome = worker.send(&claimed).await;
                    worker.record(claimed, outcome).await;
                    let mut flying = lock(&flying);
                    if let Some(n) = flying.get_mut(&webhook) {
                        *n -= 1;
                        if *n == 0 {
                            flying.remove(&webhook);
                        }
                    }
                });
            }
            if idle {
                // A finished send makes room (and may free its registration's next event).
                tokio::select! {
                    Some(_) = sends.join_next(), if !sends.is_empty() => {}
                    () = tokio::time::sleep(worker.settings.poll_interval) => {}
                }
            }
        }
    }

    /// Claims up to `room` due deliveries, none of a webhook that has its share in flight.
    async fn claim(
        &self,
        room: usize,
        flying: &Mutex<HashMap<String, usize>>,
    ) -> AppResult<Vec<Claimed>> {
        if room == 0 {
            return Ok(Vec::new());
        }
        let busy: Vec<String> = lock(flying)
            .iter()
            .filter(|(_, n)| **n >= PER_WEBHOOK)
            .map(|(id, _)| id.clone())
            .collect();
        // Longer than an attempt may take, so a slow one is not taken over mid-send.
        let lease = chrono::Duration::from_std(delivery::ATTEMPT_LIMIT * 2).unwrap_or_default();
        let batch = room as i64;
        self.pools
            .write_background(move |conn| store::claim(conn, now(), lease, batch, &busy))
            .await
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
