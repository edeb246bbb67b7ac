//! Typed settings: every one has a default that works on one machine, and each can be given as a
//! flag of `convene serve` or as an environment variable (names fixed by API.md).

use clap::Args;
use std::net::IpAddr;
use std::time::Duration;

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// A SQLite path or sqlite://path, or postgres://…
    #[arg(long, env = "DATABASE_URL", default_value = "convene.db")]
    pub database_url: String,
    /// Where to listen.
    #[arg(long, env = "CONVENE_BIND", default_value = "127.0.0.1:8080")]
    pub bind: String,
    /// The address used in links inside emails (default: http:// + bind).
    #[arg(long, env = "CONVENE_BASE_URL")]
    pub base_url: Option<String>,
    /// file://DIR (a folder of .eml files), smtp://host:port or smtps://user:pass@host:port
    #[arg(long, env = "CONVENE_MAIL_URL", default_value = "file://mail")]
    pub mail_url: String,
    /// The sender of every email.
    #[arg(
        long,
        env = "CONVENE_MAIL_FROM",
        default_value = "Convene <no-reply@localhost>"
    )]
    pub mail_from: String,
    /// Requests per minute from one address to public writing endpoints; 0 turns it off.
    #[arg(long, env = "CONVENE_RATE_LIMIT_PER_MINUTE", default_value_t = 30)]
    pub rate_limit_per_minute: u32,
    /// Registrations accepted from one client address in one meeting within an hour; 0 turns
    /// it off.
    #[arg(long, env = "CONVENE_REGISTRATIONS_PER_CLIENT", default_value_t = 10)]
    pub registrations_per_client: u32,
    /// Comma-separated addresses whose X-Forwarded-For is believed.
    #[arg(long, env = "CONVENE_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<IpAddr>,
    /// How often the email worker looks for due emails, in milliseconds.
    #[arg(long, env = "CONVENE_MAIL_POLL_MS", default_value_t = 2000)]
    pub mail_poll_ms: u64,
    /// The first retry of a failed email waits this long (doubling, up to an hour), in ms.
    #[arg(long, env = "CONVENE_MAIL_RETRY_BASE_MS", default_value_t = 10_000)]
    pub mail_retry_base_ms: u64,
    /// How long an email being sent is left to its worker before another may send it, in ms.
    #[arg(long, env = "CONVENE_MAIL_LEASE_MS", default_value_t = 60_000)]
    pub mail_lease_ms: u64,
    /// Days after a meeting ends when its personal data is purged (anonymous counts stay);
    /// 0 keeps it.
    #[arg(long, env = "CONVENE_PURGE_AFTER_DAYS", default_value_t = 90)]
    pub purge_after_days: u32,
    /// How long a rendered public read (meeting, agenda, meeting page) may be served from memory,
    /// in ms; this instance's own changes show at once, other instances' within this. 0: never.
    #[arg(long, env = "CONVENE_PUBLIC_CACHE_MS", default_value_t = 1000)]
    pub public_cache_ms: u64,
    /// The key that seals passport numbers and dates of birth: 32 bytes, base64. Without it,
    /// a SQLite database gets a key file beside it; PostgreSQL needs it given.
    #[arg(long, env = "CONVENE_DATA_KEY", hide_env_values = true)]
    pub data_key: Option<String>,
    /// Lets webhooks reach loopback, private and link-local addresses (for a receiver on the
    /// same network; off by default, so an organizer cannot reach into the server's network).
    #[arg(long, env = "CONVENE_WEBHOOK_ALLOW_PRIVATE", default_value_t = false, action = clap::ArgAction::Set)]
    pub webhook_allow_private: bool,
}

impl ServeArgs {
    pub fn into_settings(self) -> anyhow::Result<Settings> {
        let mut settings = Settings::new(&self.database_url);
        settings.bind = self.bind;
        settings.base_url = self.base_url;
        settings.mail_url = self.mail_url;
        settings.mail_from = self.mail_from;
        settings.rate_limit_per_minute = self.rate_limit_per_minute;
        settings.registrations_per_client = self.registrations_per_client;
        settings.trusted_proxies = self.trusted_proxies;
        settings.worker.poll_interval = Duration::from_millis(self.mail_poll_ms.max(10));
        settings.worker.retry_base = Duration::from_millis(self.mail_retry_base_ms.max(10));
        settings.worker.lease = Duration::from_millis(self.mail_lease_ms.max(100));
        settings.worker.purge_after_days = self.purge_after_days;
        settings.public_cache_ttl = Duration::from_millis(self.public_cache_ms);
        settings.data_key = self.data_key.map(KeyText);
        settings.webhook_allow_private = self.webhook_allow_private;
        Ok(settings)
    }
}

/// How the email worker paces itself.
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    /// How often the worker looks for due emails when nothing woke it.
    pub poll_interval: Duration,
    /// The first retry waits this long; each further one twice as long…
    pub retry_base: Duration,
    /// …up to this.
    pub retry_max: Duration,
    /// After this many failed attempts an email is marked dead.
    pub max_attempts: i32,
    /// How long a claimed email is left to its worker before another may take it.
    pub lease: Duration,
    /// How often unconfirmed registrations are checked for expiry.
    pub housekeeping_interval: Duration,
    /// Agenda edits are told to participants once none has come for this long…
    pub agenda_quiet_period: Duration,
    /// …or once the first of them has waited this long.
    pub agenda_max_wait: Duration,
    /// Personal data of a meeting is purged this many days after it ends (0: never).
    pub purge_after_days: u32,
    /// While requests keep the database full, the worker waits up to this long before each
    /// claim (`RequestLoad::wait_out_burst`).
    pub yield_to_requests: Duration,
}

impl Default for WorkerSettings {
    fn default() -> Self {
        Self {
            poll_interval: Duration::from_secs(2),
            retry_base: Duration::from_secs(10),
            retry_max: Duration::from_secs(3600),
            max_attempts: 12,
            // Longer than the SMTP timeout (20 s), so a slow send is not taken over.
            lease: Duration::from_secs(60),
            housekeeping_interval: Duration::from_secs(60),
            agenda_quiet_period: Duration::from_secs(300),
            agenda_max_wait: Duration::from_secs(900),
            purge_after_days: 90,
            yield_to_requests: Duration::from_secs(1),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub database_url: String,
    pub bind: String,
    pub base_url: Option<String>,
    pub mail_url: String,
    pub mail_from: String,
    pub rate_limit_per_minute: u32,
    /// Registrations accepted from one client in one meeting within an hour (0: no limit).
    pub registrations_per_client: u32,
    pub trusted_proxies: Vec<IpAddr>,
    pub worker: WorkerSettings,
    /// Whether this process runs the email worker at all.
    pub run_worker: bool,
    pub max_connections: u32,
    /// Largest JSON body accepted, in bytes.
    pub body_limit: usize,
    /// A client must send its request head within this; slower ones get 408 and are dropped.
    pub client_request_timeout: Duration,
    /// …and its whole body within this of the head, however slowly it trickles (408).
    pub request_body_timeout: Duration,
    /// How long a rendered public read may be served from memory (zero: never).
    pub public_cache_ttl: Duration,
    /// `CONVENE_DATA_KEY`, if given.
    pub data_key: Option<KeyText>,
    /// `CONVENE_WEBHOOK_ALLOW_PRIVATE`.
    pub webhook_allow_private: bool,
}

/// A key as given, never printed.
#[derive(Clone)]
pub struct KeyText(pub String);

impl std::fmt::Debug for KeyText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyText(…)")
    }
}

impl Settings {
    /// The defaults of API.md, on the given database.
    pub fn new(database_url: &str) -> Self {
        Self {
            database_url: database_url.to_owned(),
            bind: "127.0.0.1:8080".into(),
            base_url: None,
            mail_url: "file://mail".into(),
            mail_from: "Convene <no-reply@localhost>".into(),
            rate_limit_per_minute: 30,
            registrations_per_client: 10,
            trusted_proxies: Vec::new(),
            worker: WorkerSettings::default(),
            run_worker: true,
            max_connections: 10,
            body_limit: 64 * 1024,
            client_request_timeout: Duration::from_secs(10),
            request_body_timeout: Duration::from_secs(30),
            public_cache_ttl: Duration::from_secs(1),
            data_key: None,
            webhook_allow_private: false,
        }
    }
}

/// The host part used in Message-IDs and calendar UIDs.
pub fn host_of(base_url: &str) -> String {
    url::Url::parse(base_url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| "convene.invalid".to_owned())
}
