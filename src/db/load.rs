//! How many requests are in the database at once, so that background work (the email worker)
//! can stand aside while a burst of requests keeps it full.
//!
//! The worker's threads run at a lower CPU priority, but the database does its statements at
//! full priority: during a registration burst on PostgreSQL, its claims and link writes took
//! about a quarter of the database's time from the registrations (a registration cost the
//! database 625 µs with the worker sending, 479 µs with it stopped). On a machine whose cores
//! are full, the emails go out no later in all for waiting until the burst is over: the
//! same work is done, in a better order.

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// How long background work waits before it looks at the load again.
const LOOK_AGAIN: Duration = Duration::from_millis(50);

/// Requests' database calls in flight, integrated over time.
pub struct RequestLoad {
    tally: Mutex<Tally>,
    /// A mean of this many calls in flight (queued for a connection or running) means the
    /// database is full: as many as the cores that run it, or two at least.
    full: f64,
}

struct Tally {
    in_flight: u32,
    changed: Instant,
    /// Calls in flight × seconds, since the start.
    area: f64,
}

impl Tally {
    fn area_at(&self, now: Instant) -> f64 {
        self.area + f64::from(self.in_flight) * now.duration_since(self.changed).as_secs_f64()
    }

    fn reading(&self, now: Instant) -> Reading {
        Reading {
            at: now,
            area: self.area_at(now),
            in_flight: self.in_flight,
        }
    }

    fn step(&mut self, now: Instant, up: bool) {
        self.area = self.area_at(now);
        self.changed = now;
        if up {
            self.in_flight += 1;
        } else {
            self.in_flight = self.in_flight.saturating_sub(1);
        }
    }
}

/// The load at one moment, to measure the mean since.
#[derive(Debug, Clone, Copy)]
pub struct Reading {
    at: Instant,
    area: f64,
    in_flight: u32,
}

/// One request's call in the database; the call ends when this is dropped.
pub struct InFlight<'a>(&'a RequestLoad);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.lock().step(Instant::now(), false);
    }
}

impl Default for RequestLoad {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        Self::full_at(cores.max(2) as f64)
    }
}

impl RequestLoad {
    /// A load that counts the database full at a mean of `full` calls in flight.
    pub fn full_at(full: f64) -> Self {
        Self {
            tally: Mutex::new(Tally {
                in_flight: 0,
                changed: Instant::now(),
                area: 0.0,
            }),
            full,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Tally> {
        self.tally.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts a request's call from now until the answer is dropped.
    pub fn begin(&self) -> InFlight<'_> {
        self.lock().step(Instant::now(), true);
        InFlight(self)
    }

    pub fn reading(&self) -> Reading {
        self.lock().reading(Instant::now())
    }

    /// The mean number of calls in flight from `since` to `now` (at the same instant, the
    /// number then).
    pub fn mean(since: &Reading, now: &Reading) -> f64 {
        let span = now.at.duration_since(since.at).as_secs_f64();
        if span < 1e-3 {
            return f64::from(now.in_flight);
        }
        (now.area - since.area) / span
    }

    /// Waits while requests have kept the database full since `since` (and then in each
    /// look after it), but no longer than `longest` in all, so that emails still go out, if
    /// more slowly, under a load that never ends. `since` is moved to the last look.
    /// Answers how long it waited.
    pub async fn wait_out_burst(&self, since: &mut Reading, longest: Duration) -> Duration {
        let started = Instant::now();
        let mut waited = Duration::ZERO;
        loop {
            let now = self.reading();
            let full = Self::mean(since, &now) >= self.full;
            *since = now;
            if !full || waited >= longest {
                return waited;
            }
            tokio::time::sleep(LOOK_AGAIN.min(longest - waited)).await;
            waited = started.elapsed();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mean_weighs_each_call_by_how_long_it_was_in_flight() {
        let t0 = Instant::now();
        let ms = |n: u64| t0 + Duration::from_millis(n);
        let mut tally = Tally {
            in_flight: 0,
            changed: t0,
            area: 0.0,
        };
        let start = tally.reading(t0);
        tally.step(t0, true);
        tally.step(t0, true);
        tally.step(ms(40), false);
        // Two calls for the first 40 ms, one for the next 40: 1.5 on average.
        let busy = tally.reading(ms(80));
        assert_eq!(RequestLoad::mean(&start, &busy), 1.5);
        tally.step(ms(80), false);
        assert_eq!(RequestLoad::mean(&busy, &tally.reading(ms(100))), 0.0);
        // A call that ends without having begun (it cannot) leaves nothing below zero.
        tally.step(ms(100), false);
        assert_eq!(tally.in_flight, 0);
    }

    #[test]
    fn at_one_instant_the_mean_is_the_calls_then_in_flight() {
        let load = RequestLoad::full_at(2.0);
        let _calls = [load.begin(), load.begin(), load.begin()];
        let now = load.reading();
        assert_eq!(RequestLoad::mean(&now, &now), 3.0);
    }

    #[actix_web::test]
    async fn background_work_waits_while_the_database_is_full_but_never_past_its_limit() {
        let load = RequestLoad::full_at(2.0);
        let mut since = load.reading();
        // Quiet: no wait at all.
        assert_eq!(
            load.wait_out_burst(&mut since, Duration::from_secs(5))
                .await,
            Duration::ZERO
        );
        let calls = [load.begin(), load.begin(), load.begin()];
        since = load.reading();
        let waited = load
            .wait_out_burst(&mut since, Duration::from_millis(300))
            .await;
        assert!(waited >= Duration::from_millis(300), "waited {waited:?}");
        drop(calls);
        // The look after the burst ended finds the database quiet since the last look.
        tokio::time::sleep(Duration::from_millis(60)).await;
        assert_eq!(
            load.wait_out_burst(&mut since, Duration::from_secs(5))
                .await,
            Duration::ZERO
        );
    }
}
