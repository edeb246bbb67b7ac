//! `GET /metrics` in Prometheus text: requests by route pattern (never the path, which can
//! hold a token), method and status, with their latency; registrations by status; the outbox
//! by status and the age of its oldest pending message; the database pools.
//!
//! The database's numbers are the same on every instance (a dashboard takes their `max`, not
//! their `sum`); they are read at most once a second, however often the page is scraped.

use crate::db::{now, DbConn, DbPool};
use crate::error::{AppError, AppResult};
use crate::meetings::counts::{self, Dimension};
use crate::registrations::model::RegistrationStatus;
use crate::schema::{outbox, webhook_deliveries};
use actix_web::HttpRequest;
use diesel::prelude::*;
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry, TextEncoder,
};
use std::collections::{BTreeMap, HashMap};
use std::hash::BuildHasher;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

/// How long the database's numbers are reused between scrapes.
const FRESH_FOR: Duration = Duration::from_secs(1);

/// Request latency buckets, in seconds: from a cached page (well under a millisecond) to an
/// export of a large meeting.
const LATENCY_BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The registry of one server, with the families it keeps.
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    registrations: IntGaugeVec,
    outbox: IntGaugeVec,
    webhooks: IntGaugeVec,
    oldest_pending: prometheus::IntGauge,
    pool: IntGaugeVec,
    checkins: IntCounterVec,
    /// When the database's numbers were last read.
    read_at: Mutex<Option<Instant>>,
    /// Route patterns by a hash of the path they were found for: finding a pattern walks the
    /// routes again, a cost the cached public reads felt (their throughput fell by half). A
    /// hash, so no path (which can hold a token) is kept; bounded, so paths with tokens cannot
    /// grow it.
    patterns: RwLock<HashMap<u64, Arc<str>>>,
    /// Keyed at random for this process, so nobody can craft paths that collide.
    path_keys: std::hash::RandomState,
}

/// How many paths' patterns are remembered before the memory is cleared.
const PATTERNS_KEPT: usize = 4096;

impl Metrics {
    pub fn new() -> Self {
        let labels = ["route", "method", "status"];
        let requests = counter(
            "convene_http_requests_total",
            "HTTP requests answered, by route pattern, method and status",
            &labels,
        );
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "convene_http_request_duration_seconds",
                "Time to answer an HTTP request, by route pattern, method and status",
            )
            .buckets(LATENCY_BUCKETS.to_vec()),
            &labels,
        )
        .expect("a valid family");
        let oldest_pending = prometheus::IntGauge::new(
            "convene_outbox_oldest_pending_age_seconds",
            "Age of the oldest message still waiting to be sent (0 when none waits)",
        )
        .expect("a valid family");
        let checkins = counter(
            "convene_checkins_total",
            "Arrivals recorded at the desk, by how they came (online, batch)",
            &["source"],
        );
        for source in ["online", "batch"] {
            checkins.with_label_values(&[source]);
        }
        let metrics = Self {
            registry: Registry::new(),
            requests,
            latency,
            registrations: gauge(
                "convene_registrations",
                "Registrations in every meeting, by status",
                &["status"],
            ),
            outbox: gauge(
                "convene_outbox_messages",
                "Messages in the outbox, by status (pending, sent, dead)",
                &["status"],
            ),
            oldest_pending,
            webhooks: gauge(
                "convene_webhook_deliveries",
                "Webhook deliveries, by status (pending, sent, dead)",
                &["status"],
            ),
            pool: gauge(
                "convene_db_pool_connections",
                "Database connections of this instance, by pool (read, write) and state (in_use, idle)",
                &["pool", "state"],
            ),
            checkins,
            read_at: Mutex::new(None),
            patterns: RwLock::default(),
            path_keys: std::hash::RandomState::new(),
        };
        metrics.register_all();
        metrics
    }

    fn register_all(&self) {
        let families: [Box<dyn prometheus::core::Collector>; 8] = [
            Box::new(self.requests.clone()),
            Box::new(self.latency.clone()),
            Box::new(self.registrations.clone()),
            Box::new(self.outbox.clone()),
            Box::new(self.webhooks.clone()),
            Box::new(self.oldest_pending.clone()),
            Box::new(self.pool.clone()),
            Box::new(self.checkins.clone()),
        ];
        for family in families {
            self.registry.register(family).expect("each family once");
        }
    }

    /// The route pattern of a request (`/manage/{token}`), or `unmatched`.
    pub fn pattern(&self, req: &HttpRequest) -> Arc<str> {
        let key = self.path_keys.hash_one(req.path());
        let known = self.patterns.read().unwrap_or_else(|e| e.into_inner());
        if let Some(pattern) = known.get(&key) {
            return pattern.clone();
        }
        drop(known);
        let found: Arc<str> = req
            .match_pattern()
            .unwrap_or_else(|| "unmatched".into())
            .into();
        let mut known = self.patterns.write().unwrap_or_else(|e| e.into_inner());
        if known.len() >= PATTERNS_KEPT {
            known.clear();
        }
        known.insert(key, found.clone());
        found
    }

    /// Counts an answered request under its route pattern.
    pub fn request(&self, route: &str, method: &str, status: u16, elapsed: Duration) {
        // A client may send any method name: only the known ones become series.
        let method = match method {
            "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS" => method,
            _ => "OTHER",
        };
        let status = status.to_string();
        let labels = [route, method, status.as_str()];
        self.requests.with_label_values(&labels).inc();
        self.latency
            .with_label_values(&labels)
            .observe(elapsed.as_secs_f64());
    }

    /// Counts arrivals recorded (not the ones already recorded, nor the refused).
    pub fn checked_in(&self, source: &str, arrivals: u64) {
        if arrivals > 0 {
            self.checkins.with_label_values(&[source]).inc_by(arrivals);
        }
    }

    /// Whether the database's numbers are due to be read again; claims the read if so.
    pub fn claim_read(&self) -> bool {
        let mut read_at = self.read_at.lock().unwrap_or_else(|e| e.into_inner());
        match *read_at {
            Some(at) if at.elapsed() < FRESH_FOR => false,
            _ => {
                *read_at = Some(Instant::now());
                true
            }
        }
    }

    pub fn set_snapshot(&self, snapshot: &Snapshot) {
        // Every status is reported, at zero too, so a dashboard's series never vanish.
        for status in RegistrationStatus::ALL.map(RegistrationStatus::as_str) {
            let n = snapshot.registrations.get(status).copied().unwrap_or(0);
            self.registrations.with_label_values(&[status]).set(n);
        }
        for status in [
            crate::email::outbox::PENDING,
            crate::email::outbox::SENT,
            crate::email::outbox::DEAD,
        ] {
            let of = |counts: &[(String, i64)]| {
                counts
                    .iter()
                    .find(|(s, _)| s == status)
                    .map_or(0, |(_, n)| *n)
            };
            self.outbox
                .with_label_values(&[status])
                .set(of(&snapshot.outbox));
            self.webhooks
                .with_label_values(&[status])
                .set(of(&snapshot.webhooks));
        }
        self.oldest_pending.set(snapshot.oldest_pending_seconds);
    }

    pub fn set_pool(&self, name: &str, pool: &DbPool) {
        let state = pool.state();
        let idle = i64::from(state.idle_connections);
        let in_use = i64::from(state.connections) - idle;
        self.pool.with_label_values(&[name, "in_use"]).set(in_use);
        self.pool.with_label_values(&[name, "idle"]).set(idle);
    }

    pub fn render(&self) -> AppResult<String> {
        let mut text = Vec::new();
        TextEncoder::new()
            .encode(&self.registry.gather(), &mut text)
            .map_err(|e| AppError::Unexpected(e.into()))?;
        String::from_utf8(text).map_err(|e| AppError::Unexpected(e.into()))
    }
}

fn counter(name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    IntCounterVec::new(Opts::new(name, help), labels).expect("a valid family")
}

fn gauge(name: &str, help: &str, labels: &[&str]) -> IntGaugeVec {
    IntGaugeVec::new(Opts::new(name, help), labels).expect("a valid family")
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

/// The database's numbers at one moment.
pub struct Snapshot {
    pub registrations: BTreeMap<String, i64>,
    pub outbox: Vec<(String, i64)>,
    pub webhooks: Vec<(String, i64)>,
    pub oldest_pending_seconds: i64,
}

pub fn snapshot(conn: &mut DbConn) -> AppResult<Snapshot> {
    let registrations = counts::across_meetings(conn, Dimension::Status)?;
    let outbox = outbox::table
        .group_by(outbox::status)
        .select((outbox::status, diesel::dsl::count_star()))
        .load::<(String, i64)>(conn)?;
    let webhooks = webhook_deliveries::table
        .group_by(webhook_deliveries::status)
        .select((webhook_deliveries::status, diesel::dsl::count_star()))
        .load::<(String, i64)>(conn)?;
    let oldest: Option<chrono::NaiveDateTime> = outbox::table
        .filter(outbox::status.eq(crate::email::outbox::PENDING))
        .select(diesel::dsl::min(outbox::created_at))
        .first(conn)?;
    let oldest_pending_seconds = oldest.map_or(0, |at| (now() - at).num_seconds().max(0));
    Ok(Snapshot {
        registrations,
        outbox,
        webhooks,
        oldest_pending_seconds,
    })
}
