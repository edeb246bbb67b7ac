//! The benchmark suite: `cargo bench --bench suite` (add `-- --quick` for a short run, or
//! `-- --backend sqlite|postgres`). `-- --sizes` runs the size dimension instead: one meeting
//! filled to 1k, 10k and 100k registrations (or `--sizes 1000,5000`), every read an organizer
//! waits on timed at each size, with the growth between the smallest and the largest.
//!
//! For each backend it starts the release `convene` binary on loopback, loads it with `wrk`
//! (fixed durations; writes also bounded by the tokens and addresses prepared for them), and
//! measures the ceilings in the same run: the bare database doing a registration's writes through
//! the same code and driver with no HTTP, `pgbench` with the same statements, and a minimal
//! actix-web handler. It prints a table and writes it as JSON to `target/bench/suite.json`.
//! Figures are medians of `--runs` repetitions (3 by default, 1 with `--quick`).
//! `-- --checkin` measures the days of the meeting instead (`suite/checkin.rs`).

#[path = "suite/checkin.rs"]
mod checkin;
#[path = "suite/cpu.rs"]
mod cpu;
#[path = "suite/registration.rs"]
mod registration;

use chrono::Utc;
use convene::accounts::tokens::{self, Grant, TokenKind};
use convene::db::{self, DatabaseUrl, DbConn, Pools};
use convene::registrations::model::{NewRegistration, RegistrationForm};
use convene::registrations::signup_context::SignupContext;
use convene::registrations::store::Destination;
use convene::values::Slug;
use diesel::{Connection, PgConnection, RunQueryDsl};
use serde::Serialize;
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const CONVENE: &str = env!("CARGO_BIN_EXE_convene");
const DEMO_SLUG: &str = "mexico-city-hubs";
const CONCURRENCY: [u32; 4] = [1, 8, 32, 128];
const LIST_ROWS: usize = 20_000;
const PRESS_ROWS: usize = 50_000;
const OUTBOX_EMAILS: usize = 2_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
enum Backend {
    Sqlite,
    Postgres,
}

struct Options {
    backends: Vec<Backend>,
    seconds: u64,
    runs: usize,
    out: PathBuf,
    /// `--sizes [a,b,c]`: the size dimension instead of the load suite.
    sizes: Option<Vec<usize>>,
    /// `--checkin`: the check-in desk and the badges instead of the load suite.
    checkin: bool,
    /// `--registration`: a registration alone, at 1 and 8 connections.
    registration: bool,
    /// `--binary PATH`: the `convene` to serve, instead of this build's.
    binary: Option<PathBuf>,
}

impl Options {
    fn from_args() -> Self {
        let args: Vec<String> = std::env::args().skip(1).collect();
        let quick = args.iter().any(|a| a == "--quick");
        let value = |name: &str| {
            args.iter()
                .position(|a| a == name)
                .and_then(|i| args.get(i + 1).cloned())
        };
        let backends = match value("--backend").as_deref() {
            Some("sqlite") => vec![Backend::Sqlite],
            Some("postgres") => vec![Backend::Postgres],
            _ => vec![Backend::Sqlite, Backend::Postgres],
        };
        Self {
            backends,
            seconds: value("--seconds").and_then(|s| s.parse().ok()).unwrap_or(2),
            runs: value("--runs")
                .and_then(|s| s.parse().ok())
                .unwrap_or(if quick { 1 } else { 3 }),
            out: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench/suite.json"),
            checkin: args.iter().any(|a| a == "--checkin"),
            registration: args.iter().any(|a| a == "--registration"),
            binary: value("--binary").map(PathBuf::from),
            sizes: args.iter().any(|a| a == "--sizes").then(|| {
                value("--sizes")
                    .filter(|v| !v.starts_with("--"))
                    .map(|v| v.split(',').filter_map(|n| n.trim().parse().ok()).collect())
                    .unwrap_or_else(|| vec![1_000, 10_000, 100_000])
            }),
        }
    }
}

/// One line of the report.
#[derive(Debug, Clone, Serialize, Default)]
struct Row {
    backend: String,
    what: String,
    concurrency: Option<u32>,
    /// How many requests (or registrations) the measurement made.
    requests: Option<u64>,
    requests_per_s: Option<f64>,
    p50_ms: Option<f64>,
    p99_ms: Option<f64>,
    /// Anything else the line measures: rows/s, time to first byte, memory, seconds.
    detail: String,
    /// This line's throughput as a fraction of its ceiling.
    of_ceiling: Option<f64>,
    errors: u64,
}

/// What wrk's report script prints.
#[derive(Debug, Clone, Copy, Default)]
struct Load {
    requests: u64,
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
    errors: u64,
    wrapped: u64,
    /// Who spent the CPU meanwhile, where measured (`cpu::Watch`).
    cpu: Option<cpu::CpuUse>,
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    values.get(values.len() / 2).copied().unwrap_or(0.0)
}

/// The run with the median throughput of several.
fn median_load(loads: Vec<Load>) -> Load {
    let mut loads = loads;
    loads.sort_by(|a, b| a.rps.total_cmp(&b.rps));
    loads[loads.len() / 2]
}

fn wrk(
    url: &str,
    connections: u32,
    seconds: u64,
    script: &str,
    args: &[String],
    headers: &[String],
) -> Load {
    let threads = connections.min(2);
    let mut command = Command::new("wrk");
    command
        .args(["-t", &threads.to_string(), "-c", &connections.to_string()])
        .args(["-d", &format!("{seconds}s"), "--timeout", "10s", "-s"])
        .arg(format!("benches/wrk/{script}.lua"))
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    for header in headers {
        command.args(["-H", header]);
    }
    command.arg(url);
    if !args.is_empty() {
        command.arg("--").args(args);
    }
    let output = command.output().expect("wrk runs (apt-get install wrk)");
    let printed = String::from_utf8_lossy(&output.stdout);
    let line = printed
        .lines()
        .find_map(|l| l.strip_prefix("WRK "))
        .unwrap_or_else(|| {
            panic!(
                "wrk printed no report: {printed}{}",
                String::from_utf8_lossy(&output.stderr)
            )
        });
    let report: Value = serde_json::from_str(line).unwrap();
    let number = |key: &str| report[key].as_f64().unwrap_or(0.0);
    Load {
        requests: number("requests") as u64,
        rps: number("requests") / (number("duration_us") / 1e6),
        p50_ms: number("p50_us") / 1000.0,
        p99_ms: number("p99_us") / 1000.0,
        errors: (number("non_2xx_3xx") + number("socket_errors")) as u64,
        wrapped: number("wrapped") as u64,
        cpu: None,
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A real SMTP server on loopback that counts what arrives, and when.
struct SmtpCounter {
    port: u16,
    received: Arc<AtomicUsize>,
    last_at_us: Arc<AtomicU64>,
    epoch: Instant,
}

#[derive(Clone)]
struct CountingHandler {
    received: Arc<AtomicUsize>,
    last_at_us: Arc<AtomicU64>,
    epoch: Instant,
}

impl mailin_embedded::Handler for CountingHandler {
    fn data(&mut self, _buf: &[u8]) -> std::io::Result<()> {
        Ok(())
    }
    fn data_end(&mut self) -> mailin_embedded::Response {
        self.received.fetch_add(1, Ordering::SeqCst);
        self.last_at_us
            .store(self.epoch.elapsed().as_micros() as u64, Ordering::SeqCst);
        mailin_embedded::response::OK
    }
}

impl SmtpCounter {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let (received, last_at_us, epoch) = (
            Arc::new(AtomicUsize::new(0)),
            Arc::new(AtomicU64::new(0)),
            Instant::now(),
        );
        let handler = CountingHandler {
            received: received.clone(),
            last_at_us: last_at_us.clone(),
            epoch,
        };
        let mut server = mailin_embedded::Server::new(handler);
        server
            .with_name("bench.sink")
            .with_tcp_listener(listener)
            .with_num_threads(4);
        std::thread::spawn(move || {
            let _ = server.serve();
        });
        Self {
            port,
            received,
            last_at_us,
            epoch,
        }
    }
    fn count(&self) -> usize {
        self.received.load(Ordering::SeqCst)
    }
}

/// `convene serve` started by the suite.
struct Server {
    child: Child,
    base: String,
    /// From spawn until `/readyz` answered 200.
    started_in: Duration,
}

impl Server {
    fn start(url: &str, smtp_port: u16) -> Self {
        Self::start_binary(None, url, smtp_port)
    }

    /// `binary`, or this build's `convene` when none is named.
    fn start_binary(binary: Option<&Path>, url: &str, smtp_port: u16) -> Self {
        let port = free_port();
        let spawned = Instant::now();
        let child = Command::new(binary.unwrap_or(Path::new(CONVENE)))
            .args([
                "serve",
                "--database-url",
                url,
                "--bind",
                &format!("127.0.0.1:{port}"),
            ])
            .args(["--mail-url", &format!("smtp://127.0.0.1:{smtp_port}")])
            .env("CONVENE_RATE_LIMIT_PER_MINUTE", "0")
            .env("CONVENE_REGISTRATIONS_PER_CLIENT", "0")
            .env("CONVENE_MAIL_POLL_MS", "200")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("convene starts");
        let base = format!("http://127.0.0.1:{port}");
        loop {
            if http_status(port, "/readyz") == Some(200) {
                break;
            }
            assert!(
                spawned.elapsed() < Duration::from_secs(30),
                "the server never became ready"
            );
            std::thread::sleep(Duration::from_millis(1));
        }
        Self {
            child,
            base,
            started_in: spawned.elapsed(),
        }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Resident and peak resident memory, in MiB.
    fn memory(&self) -> (f64, f64) {
        memory_of(self.pid())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
    }
}

fn memory_of(pid: u32) -> (f64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map(|kb| kb / 1024.0)
            .unwrap_or(0.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// A bare HTTP/1.1 GET on loopback: the status, or None when nothing answers.
fn http_status(port: u16, path: &str) -> Option<u16> {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).ok()?;
    std::str::from_utf8(&head[9..12]).ok()?.parse().ok()
}

fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

/// A fresh database for one backend: a file in `dir`, or a new PostgreSQL database.
struct Database {
    url: String,
    postgres_admin: Option<String>,
    name: String,
}

impl Database {
    fn create(backend: Backend, dir: &Path, label: &str) -> Self {
        match backend {
            Backend::Sqlite => Self {
                url: dir.join(format!("{label}.db")).display().to_string(),
                postgres_admin: None,
                name: label.into(),
            },
            Backend::Postgres => {
                let admin = postgres_admin();
                let name = format!("convene_bench_{label}_{}", std::process::id());
                let mut conn = PgConnection::establish(&admin).expect("PostgreSQL reachable");
                diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut conn)
                    .unwrap();
                diesel::sql_query(format!("CREATE DATABASE {name}"))
                    .execute(&mut conn)
                    .unwrap();
                let mut url = url::Url::parse(&admin).expect("the admin URL");
                url.set_path(&name);
                let url = url.to_string();
                Self {
                    url,
                    postgres_admin: Some(admin),
                    name,
                }
            }
        }
    }
    fn connect(&self) -> DbConn {
        db::connect(&DatabaseUrl::parse(&self.url).unwrap()).unwrap()
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        if let Some(admin) = &self.postgres_admin {
            if let Ok(mut conn) = PgConnection::establish(admin) {
                let _ = diesel::sql_query(format!(
                    "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                    self.name
                ))
                .execute(&mut conn);
            }
        }
    }
}

/// PostgreSQL on this machine, without TLS: a server beside its database reaches it over
/// loopback or a socket, where TLS would only cost each round trip its encryption.
fn postgres_admin() -> String {
    std::env::var("CONVENE_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable".into())
}

/// Marks every email still waiting in the outbox as sent, so that the worker leaves it alone;
/// answers how many there were. The running worker updates the same rows (in another order, so
/// PostgreSQL may call it a deadlock, and SQLite may be busy): try again.
fn set_aside_pending_emails(db: &Database) -> usize {
    let mut conn = db.connect();
    let mut tries = 0;
    loop {
        match diesel::sql_query("UPDATE outbox SET status = 'sent' WHERE status = 'pending'")
            .execute(&mut conn)
        {
            Ok(n) => return n,
            Err(error) if tries < 10 => {
                tries += 1;
                eprintln!("   setting the outbox aside: {error}; again");
                std::thread::sleep(Duration::from_millis(200));
            }
            Err(error) => panic!("the outbox cannot be set aside: {error}"),
        }
    }
}

fn sql(conn: &mut DbConn, statement: &str) {
    diesel::sql_query(statement)
        .execute(conn)
        .unwrap_or_else(|e| panic!("{e}: {statement}"));
}

/// Row numbers 1..=n as a subquery `g(n)`, in each backend's dialect.
fn series(conn: &DbConn, n: usize) -> String {
    match conn {
        DbConn::Sqlite(_) => format!("(WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < {n}) SELECT n FROM c)"),
        DbConn::Postgres(_) => format!("(SELECT generate_series(1, {n}) AS n)"),
    }
}

/// The id of seeded registration `n` of group `group` (0–9): shaped like the app's UUIDs, so
/// cursors accept it.
fn seeded_id(group: u8, n: usize) -> String {
    format!("00000000-0000-7000-800{group}-{n:012}")
}

/// The same id as SQL over the series' `n`.
fn seeded_id_sql(conn: &DbConn, group: u8) -> String {
    match conn {
        DbConn::Sqlite(_) => {
            format!("'00000000-0000-7000-800{group}-' || substr('000000000000' || n, -12, 12)")
        }
        DbConn::Postgres(_) => {
            format!("'00000000-0000-7000-800{group}-' || lpad(n::text, 12, '0')")
        }
    }
}

/// `n` registrations of one meeting in one status, written straight into the tables.
fn seed_registrations(
    conn: &mut DbConn,
    meeting_slug: &str,
    prefix: &str,
    group: u8,
    n: usize,
    status: &str,
) {
    let rows = series(conn, n);
    let id = seeded_id_sql(conn, group);
    sql(conn, &format!(
        "INSERT INTO organizations (id, name, name_key, kind, country, created_at)
         SELECT '{prefix}-org-' || n, 'Centro de Información {prefix} ' || n, 'centro de información {prefix} ' || n,
                'information_hub', 'GT', CURRENT_TIMESTAMP FROM {rows} g WHERE n <= 50"));
    sql(conn, &format!(
        "INSERT INTO registrations (id, meeting_id, email, email_key, full_name, organization_id, job_title, country,
             language, consent_data_processing, consent_press_listing, status, search_text, created_at, status_changed_at,
             category)
         SELECT {id}, (SELECT id FROM meetings WHERE slug = '{meeting_slug}'),
             '{prefix}' || n || '@example.org', '{prefix}' || n || '@example.org', 'Participante Peña Número ' || n,
             '{prefix}-org-' || (n % 50 + 1), 'Coordinación', 'GT', 'es', TRUE, TRUE, '{status}',
             'participante pena numero ' || n || ' {prefix}' || n || '@example.org centro de informacion {prefix} '
                 || (n % 50 + 1) || ' coordinacion',
             CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 'participant'
         FROM {rows} g"));
}

/// Everything one backend's run needs, prepared before the server starts.
struct Prepared {
    organizer: String,
    press: String,
    manage: String,
    tokens_file: PathBuf,
    tokens_per_run: usize,
}

fn create_meeting(base: &str, organizer: &str, slug: &str) {
    let body = json!({
        "slug": slug, "title": format!("Bench {slug}"), "country": "MX", "timezone": "America/Mexico_City",
        "starts_at": "2031-05-29T09:00:00-06:00", "ends_at": "2031-05-30T18:00:00-06:00",
        "capacity": null, "languages": ["es", "en"], "status": "published"
    });
    let response = client()
        .post(format!("{base}/api/v1/meetings"))
        .bearer_auth(organizer)
        .json(&body)
        .send()
        .unwrap();
    assert_eq!(
        response.status(),
        201,
        "{}",
        response.text().unwrap_or_default()
    );
}

fn prepare(
    db: &Database,
    smtp: &SmtpCounter,
    work: &Path,
    tokens_per_run: usize,
    confirm_runs: usize,
) -> Prepared {
    // The demo (meeting, agenda, organizer) and the benchmark's meetings, through the app.
    {
        let mut conn = db.connect();
        db::migrate(&mut conn).unwrap();
        convene::demo::seed(&mut conn, db::now()).unwrap();
    }
    let server = Server::start(&db.url, smtp.port);
    let login = client()
        .post(format!("{}/api/v1/auth/token", server.base))
        .json(&json!({"email": convene::demo::ORGANIZER_EMAIL, "password": convene::demo::ORGANIZER_PASSWORD}))
        .send().unwrap().json::<Value>().unwrap();
    let organizer = login["token"].as_str().unwrap().to_owned();
    for slug in [
        "bench-open",
        "bench-confirm",
        "bench-list",
        "bench-press",
        "bench-ceiling",
    ] {
        create_meeting(&server.base, &organizer, slug);
    }
    let press = client()
        .post(format!(
            "{}/api/v1/meetings/bench-press/press-tokens",
            server.base
        ))
        .bearer_auth(&organizer)
        .json(&json!({"label": "bench"}))
        .send()
        .unwrap()
        .json::<Value>()
        .unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    drop(server);

    // Bulk rows, written straight into the tables.
    let mut conn = db.connect();
    seed_registrations(&mut conn, "bench-list", "list", 1, LIST_ROWS, "confirmed");
    seed_registrations(
        &mut conn,
        "bench-press",
        "press",
        2,
        PRESS_ROWS,
        "confirmed",
    );
    let confirmations = tokens_per_run * confirm_runs;
    seed_registrations(
        &mut conn,
        "bench-confirm",
        "confirm",
        3,
        confirmations,
        "pending_email",
    );
    let (meeting_id, demo_registration): (String, String) = {
        use convene::schema::{meetings, registrations};
        use diesel::prelude::*;
        let meeting = meetings::table
            .filter(meetings::slug.eq("bench-confirm"))
            .select(meetings::id)
            .first(&mut conn)
            .unwrap();
        // A confirmed participant's page (the agenda, the details form), the same one on both
        // backends.
        let demo = registrations::table
            .inner_join(meetings::table)
            .filter(meetings::slug.eq(DEMO_SLUG))
            .filter(registrations::status.eq("confirmed"))
            .order(registrations::id)
            .select(registrations::id)
            .first(&mut conn)
            .unwrap();
        (meeting, demo)
    };
    let now = db::now();
    let mut file =
        std::io::BufWriter::new(std::fs::File::create(work.join("confirm-tokens")).unwrap());
    conn.transaction::<_, convene::error::AppError, _>(|conn| {
        for n in 1..=confirmations {
            let registration_id = seeded_id(3, n);
            let token = tokens::issue(
                conn,
                TokenKind::Confirm,
                Grant {
                    registration_id: Some(&registration_id),
                    meeting_id: Some(&meeting_id),
                    expires_at: Some(now + chrono::Duration::days(2)),
                    ..Grant::default()
                },
                now,
            )?;
            writeln!(file, "{token}").unwrap();
        }
        Ok(())
    })
    .unwrap();
    file.flush().unwrap();
    let manage = tokens::issue(
        &mut conn,
        TokenKind::Manage,
        Grant {
            registration_id: Some(&demo_registration),
            ..Grant::default()
        },
        now,
    )
    .unwrap();
    // The demo's own emails are not part of any measurement.
    sql(
        &mut conn,
        "UPDATE outbox SET status = 'sent' WHERE status = 'pending'",
    );
    settle(&mut conn);
    Prepared {
        organizer,
        press,
        manage,
        tokens_file: work.join("confirm-tokens"),
        tokens_per_run,
    }
}

fn load_row(backend: Backend, what: &str, concurrency: u32, load: Load) -> Row {
    let mut detail = String::new();
    if load.wrapped > 0 {
        detail = format!("ran out of prepared tokens {} times", load.wrapped);
    }
    Row {
        backend: format!("{backend:?}").to_lowercase(),
        what: what.into(),
        concurrency: Some(concurrency),
        requests: Some(load.requests),
        requests_per_s: Some(load.rps),
        p50_ms: Some(load.p50_ms),
        p99_ms: Some(load.p99_ms),
        detail,
        of_ceiling: None,
        errors: load.errors,
    }
}

/// The bare database doing a registration: the same store function the handler calls,
/// through the same pools and driver, from `concurrency` threads, with no HTTP.
fn bare_registrations(url: &str, concurrency: u32, seconds: u64, label: &str) -> Load {
    let pools = Pools::open(&DatabaseUrl::parse(url).unwrap(), 10).unwrap();
    let slug = Slug::parse(Some("bench-ceiling")).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let latencies = Arc::new(Mutex::new(Vec::new()));
    let started = Instant::now();
    let threads: Vec<_> = (0..concurrency)
        .map(|t| {
            let (pools, slug, stop, latencies, label) = (pools.clone(), slug.clone(), stop.clone(), latencies.clone(), label.to_owned());
            std::thread::spawn(move || {
                // The meeting and its questions, read once as the handler's cache
                // (`SignupContexts`) reads them once a second.
                let context = SignupContext::read(&mut pools.read.get().unwrap(), &slug).unwrap();
                let mut mine = Vec::new();
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) {
                    n += 1;
                    let form: RegistrationForm = serde_json::from_value(json!({
                        "full_name": format!("Participante {t} {n}"), "email": format!("{label}-{t}-{n}@example.org"),
                        "organization": {"name": format!("Centro de Información {}", n % 50), "kind": "information_hub", "country": "GT"},
                        "job_title": "Coordinación", "country": "GT", "language": "es",
                        "consent_data_processing": true, "consent_press_listing": true
                    })).unwrap();
                    let began = Instant::now();
                    let new = NewRegistration::parse(&form, &context.questionnaire).unwrap();
                    let to = Destination::of(&context.meeting, &context.questionnaire, new.category.as_ref(), db::now()).unwrap();
                    let mut conn = pools.write.get().unwrap();
                    convene::registrations::store::register(&mut conn, &to, &new, &Default::default(), db::now()).unwrap();
                    drop(conn);
                    mine.push(began.elapsed().as_secs_f64() * 1000.0);
                }
                latencies.lock().unwrap().extend(mine);
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(seconds));
    stop.store(true, Ordering::Relaxed);
    for thread in threads {
        thread.join().unwrap();
    }
    let elapsed = started.elapsed().as_secs_f64();
    let mut latencies = std::mem::take(&mut *latencies.lock().unwrap());
    latencies.sort_by(|a, b| a.total_cmp(b));
    let at = |q: f64| {
        latencies
            .get(((latencies.len() as f64 - 1.0) * q) as usize)
            .copied()
            .unwrap_or(0.0)
    };
    Load {
        requests: latencies.len() as u64,
        rps: latencies.len() as f64 / elapsed,
        p50_ms: at(0.5),
        p99_ms: at(0.99),
        errors: 0,
        wrapped: 0,
        cpu: None,
    }
}

/// pgbench sending the statement a registration sends on PostgreSQL: `convene_register` with
/// the argument the code makes (`postgres_argument`), its ids and address made unique for each
/// call in SQL. (The meeting and its questions are read once a second, not per registration.)
///
/// Each call does the work the server's call does. Its argument is JSON text that PostgreSQL
/// parses on every call (a constant `'…'::jsonb` is parsed once, when prepared). Its ids have
/// the server's shape, UUIDv7 text, so they land on the last page of each index as the
/// server's do. Its address and check-in code are scattered, as people's and the server's
/// are. And each call must register someone. Making the varying values in SQL is this script's
/// own cost, about 6 µs a call (README, Performance).
fn pgbench(db: &Database, concurrency: u32, seconds: u64, work: &Path) -> Option<Load> {
    let script = work.join("register.sql");
    let mut conn = db.connect();
    let slug = Slug::parse(Some("bench-ceiling")).unwrap();
    let SignupContext {
        meeting,
        questionnaire: asked,
    } = SignupContext::read(&mut conn, &slug).unwrap();
    let form: RegistrationForm = serde_json::from_value(json!({
        "full_name": "Participante", "email": "pgbench@example.org",
        "organization": {"name": "Centro de Información 1", "kind": "information_hub", "country": "GT"},
        "job_title": "Coordinación", "country": "GT", "language": "es",
        "consent_data_processing": true, "consent_press_listing": true
    }))
    .unwrap();
    let new = NewRegistration::parse(&form, &asked).unwrap();
    let to = Destination::of(&meeting, &asked, None, db::now()).unwrap();
    let argument =
        convene::registrations::store::postgres_argument(&to, &new, &Default::default(), db::now())
            .unwrap();
    std::fs::write(&script, pgbench_script(&argument)).unwrap();
    let registered = |conn: &mut DbConn| -> i64 {
        use convene::schema::registrations;
        use diesel::prelude::*;
        registrations::table
            .filter(registrations::meeting_id.eq(&meeting.id))
            .count()
            .get_result(conn)
            .unwrap()
    };
    let before = registered(&mut conn);
    let watch = cpu::Watch::start(None, db);
    let output = Command::new("pgbench")
        .args([
            "-n",
            "-M",
            "prepared",
            "-c",
            &concurrency.to_string(),
            "-j",
            &concurrency.min(2).to_string(),
        ])
        .args(["-T", &seconds.to_string(), "-f"])
        .arg(&script)
        .arg(&db.url)
        .output()
        .ok()?;
    let printed = String::from_utf8_lossy(&output.stdout);
    let tps = printed
        .lines()
        .find_map(|l| l.strip_prefix("tps = "))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|t| t.parse::<f64>().ok());
    let latency = printed
        .lines()
        .find_map(|l| l.strip_prefix("latency average = "))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|t| t.parse::<f64>().ok());
    // A client whose call fails is aborted and the run goes on with fewer: that is no ceiling.
    let complaints = String::from_utf8_lossy(&output.stderr);
    if tps.is_none() || !output.status.success() || complaints.contains("aborted") {
        eprintln!("pgbench failed: {printed}{complaints}");
        return None;
    }
    let cpu = watch.stop();
    // Each call must have registered someone, or the ceiling measures something cheaper.
    let processed = printed
        .lines()
        .find_map(|l| l.strip_prefix("number of transactions actually processed: "))
        .and_then(|l| l.split('/').next())
        .and_then(|n| n.trim().parse::<i64>().ok());
    if let Some(processed) = processed {
        assert_eq!(
            registered(&mut conn) - before,
            processed,
            "pgbench's calls did not each register someone"
        );
    }
    Some(Load {
        rps: tps?,
        p50_ms: latency.unwrap_or(0.0),
        cpu: Some(cpu),
        ..Load::default()
    })
}

/// The pgbench script for one registration a call: `argument` (the JSON `postgres_argument`
/// makes) with its varying values made in SQL.
fn pgbench_script(argument: &str) -> String {
    // `ms` is the clock in milliseconds, 12 hex digits; each id is
    // ms[0..8]-ms[8..12]-7kkk-8ccc-nnnnnnnnnnnn (key, client, the call's random number).
    let id = |key: usize| {
        format!(
            "substr(ms, 1, 8) || '-' || substr(ms, 9, 4) || '-7{key:03}-8' \
             || lpad(to_hex(:client_id::int), 3, '0') || '-' || lpad(to_hex(:n::bigint), 12, '0')"
        )
    };
    // Addresses and check-in codes are scattered, as people's are; the clock keeps them unique
    // (the random number alone repeats within a long run, and a repeat is not a registration).
    let unique = "|| :n::bigint || '-' || ms || '-' || :client_id::int";
    let address = format!("'pgb-' {unique} || '@example.org'");
    let mut varying: Vec<(&str, String)> = ["id", "attempt_id", "org_id", "outbox_id", "audit_id"]
        .into_iter()
        .enumerate()
        .map(|(key, name)| (name, id(key)))
        .collect();
    varying.extend([
        ("checkin_code", format!("'checkin-' {unique}")),
        ("email", address.clone()),
        ("email_key", address),
        ("now", "localtimestamp::text".to_owned()),
    ]);
    let mut fixed: serde_json::Map<String, Value> = serde_json::from_str(argument).unwrap();
    for (name, _) in &varying {
        assert!(
            fixed.remove(*name).is_some(),
            "{name} is not in the argument"
        );
    }
    // A space after each colon (pgbench reads `:null` as its variable), none elsewhere: the
    // pretty form with its line breaks and indents taken out (strings hold no raw line break).
    let fixed = serde_json::to_string_pretty(&fixed)
        .unwrap()
        .lines()
        .map(str::trim_start)
        .collect::<String>()
        .replace('\'', "''");
    // One `format` call fills the varying values into the fixed text: the least work in SQL
    // for a text the server makes in Rust.
    let template: String = varying
        .iter()
        .map(|(name, _)| format!(",\"{name}\": \"%s\""))
        .collect();
    let values: Vec<&str> = varying.iter().map(|(_, value)| value.as_str()).collect();
    format!(
        r#"\set n random(1, 1000000000)
SELECT outcome, oldest_attempt
FROM (SELECT lpad(to_hex((extract(epoch FROM clock_timestamp()) * 1000)::bigint), 12, '0') AS ms) clock,
  convene_register(format('%s{template}}}', '{fixed}', {values})::jsonb);
"#,
        fixed = fixed.strip_suffix('}').unwrap(),
        values = values.join(", "),
    )
}

/// A download: time to first byte, total time, bytes, and the server's memory while it ran.
fn download(server: &Server, path: &str, token: &str) -> (f64, f64, usize, f64, f64) {
    let (rss_before, _) = server.memory();
    let peak = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (peak, done, pid) = (peak.clone(), done.clone(), server.pid());
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                let (rss, _) = memory_of(pid);
                peak.fetch_max((rss * 1024.0) as u64, Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(2));
            }
        })
    };
    let started = Instant::now();
    let mut response = client()
        .get(format!("{}{path}", server.base))
        .bearer_auth(token)
        .send()
        .unwrap();
    assert_eq!(response.status(), 200);
    let mut buffer = vec![0u8; 64 * 1024];
    let mut first_byte = None;
    let mut bytes = 0;
    loop {
        let read = response.read(&mut buffer).unwrap();
        if read == 0 {
            break;
        }
        first_byte.get_or_insert_with(|| started.elapsed());
        bytes += read;
    }
    let total = started.elapsed();
    done.store(true, Ordering::Relaxed);
    sampler.join().unwrap();
    let peak_mib = peak.load(Ordering::Relaxed) as f64 / 1024.0;
    (
        first_byte.unwrap_or(total).as_secs_f64() * 1000.0,
        total.as_secs_f64(),
        bytes,
        rss_before,
        peak_mib,
    )
}

fn row(backend: Backend, what: &str, detail: String) -> Row {
    Row {
        backend: format!("{backend:?}").to_lowercase(),
        what: what.into(),
        detail,
        ..Row::default()
    }
}

fn run_backend(
    backend: Backend,
    options: &Options,
    ceiling: &mut ReadCeiling,
    rows: &mut Vec<Row>,
) {
    let work = tempfile::tempdir().unwrap();
    let smtp = SmtpCounter::start();
    let seconds = options.seconds;
    let repeat =
        |f: &mut dyn FnMut(usize) -> Load| median_load((0..options.runs).map(&mut *f).collect());
    eprintln!("== {backend:?}");

    // Start-up on an empty database (migrations included), then prepare the full one.
    let empty: Vec<f64> = (0..options.runs.max(3))
        .map(|i| {
            let db = Database::create(backend, work.path(), &format!("empty{i}"));
            let server = Server::start(&db.url, smtp.port);
            let started_in = server.started_in.as_secs_f64() * 1000.0;
            drop(server); // before its database goes
            started_in
        })
        .collect();
    rows.push(row(
        backend,
        "start-up, empty database (to /readyz 200)",
        format!("{:.0} ms", median(empty)),
    ));

    // One confirmation run per concurrency and repetition, each with its own tokens.
    let tokens_per_run = if seconds <= 2 { 8_000 } else { 12_000 };
    let confirm_runs = CONCURRENCY.len() * options.runs;
    let db = Database::create(backend, work.path(), "full");
    let prepared_at = Instant::now();
    let prepared = prepare(&db, &smtp, work.path(), tokens_per_run, confirm_runs);
    eprintln!(
        "   prepared in {:.1} s",
        prepared_at.elapsed().as_secs_f64()
    );
    let full: Vec<f64> = (0..3)
        .map(|_| Server::start(&db.url, smtp.port).started_in.as_secs_f64() * 1000.0)
        .collect();
    rows.push(row(
        backend,
        &format!(
            "start-up, full database ({} registrations)",
            LIST_ROWS + PRESS_ROWS + tokens_per_run * confirm_runs
        ),
        format!("{:.0} ms", median(full)),
    ));

    // The ceilings of writes, with no server running: the same registration code with no HTTP;
    // pgbench.
    let mut bare = std::collections::HashMap::new();
    for c in CONCURRENCY {
        let load =
            repeat(&mut |r| bare_registrations(&db.url, c, seconds, &format!("bare{c}r{r}")));
        bare.insert(c, load.rps);
        rows.push(load_row(
            backend,
            "ceiling: registration writes, no HTTP",
            c,
            load,
        ));
        // PostgreSQL's default max_connections (100) leaves no room for 128 pgbench clients.
        if backend == Backend::Postgres && c <= 64 {
            if let Some(load) = pgbench(&db, c, seconds, work.path()) {
                rows.push(Row {
                    p99_ms: None,
                    ..load_row(
                        backend,
                        "ceiling: pgbench, the same statements (p50 = mean)",
                        c,
                        load,
                    )
                });
            }
        }
    }

    // The server starts after the ceilings: on SQLite two processes writing at once would fight
    // over the database lock, which the server's single writer exists to avoid.
    let server = Server::start(&db.url, smtp.port);
    let (rss_started, _) = server.memory();
    let base = server.base.clone();
    // Each registration load starts with an empty outbox, so that the worker sends that load's
    // emails (part of what a registration costs) and not the tens of thousands the ceilings
    // and the previous load left behind, which the ceilings themselves never had to send.
    let mut set_aside = 0;
    for c in CONCURRENCY {
        let load = repeat(&mut |r| {
            set_aside += set_aside_pending_emails(&db);
            wrk(
                &base,
                c,
                seconds,
                "register",
                &["bench-open".into(), format!("c{c}r{r}")],
                &[],
            )
        });
        rows.push(Row {
            of_ceiling: Some(load.rps / bare[&c]),
            ..load_row(backend, "POST registration", c, load)
        });
    }
    rows.push(row(
        backend,
        "emails set aside before the registration loads",
        format!("{set_aside} (left by the ceilings, the preparation and earlier loads)"),
    ));
    let mut first = 1;
    for c in CONCURRENCY {
        let load = repeat(&mut |_| {
            let args = [
                prepared.tokens_file.display().to_string(),
                first.to_string(),
                prepared.tokens_per_run.to_string(),
                c.min(2).to_string(),
            ];
            first += prepared.tokens_per_run;
            wrk(&base, c, seconds, "confirm", &args, &[])
        });
        rows.push(load_row(backend, "POST confirmation", c, load));
    }

    // Reads, each against the minimal handler with a body of the same size.
    let mut read = |what: &str, path: &str, concurrency: u32, headers: Vec<String>| {
        let url = format!("{base}{path}");
        let mut probe = client().get(&url);
        for header in &headers {
            let (name, value) = header.split_once(": ").unwrap();
            probe = probe.header(name, value);
        }
        let probe = probe.send().unwrap();
        let etag = probe
            .headers()
            .get("etag")
            .map(|v| v.to_str().unwrap().to_owned());
        let bytes = probe.bytes().unwrap().len();
        let load = median_load(
            (0..options.runs)
                .map(|_| wrk(&url, concurrency, seconds, "get", &[], &headers))
                .collect(),
        );
        let limit = ceiling.at(bytes, concurrency, options, rows);
        rows.push(Row {
            of_ceiling: Some(load.rps / limit),
            detail: format!("{bytes} B body"),
            ..load_row(backend, what, concurrency, load)
        });
        etag
    };
    for (what, path) in [
        ("GET meeting JSON", format!("/api/v1/meetings/{DEMO_SLUG}")),
        (
            "GET agenda JSON",
            format!("/api/v1/meetings/{DEMO_SLUG}/agenda"),
        ),
        (
            "GET agenda .ics",
            format!("/api/v1/meetings/{DEMO_SLUG}/agenda.ics"),
        ),
        (
            "GET meeting page HTML (with agenda)",
            format!("/m/{DEMO_SLUG}"),
        ),
    ] {
        if let Some(etag) = read(what, &path, 32, vec![]) {
            read(
                &format!("{what}, If-None-Match (304)"),
                &path,
                32,
                vec![format!("If-None-Match: {etag}")],
            );
        }
    }
    for c in [1, 8, 128] {
        read(
            "GET meeting JSON",
            &format!("/api/v1/meetings/{DEMO_SLUG}"),
            c,
            vec![],
        );
    }
    read(
        "GET manage page HTML",
        &format!("/manage/{}", prepared.manage),
        32,
        vec![],
    );
    let auth = format!("Authorization: Bearer {}", prepared.organizer);
    read(
        &format!("GET organizer list, page of 100 of {LIST_ROWS}"),
        "/api/v1/meetings/bench-list/registrations?limit=100",
        32,
        vec![auth.clone()],
    );
    let middle = client()
        .get(format!(
            "{base}/api/v1/meetings/bench-list/registrations?limit=1000"
        ))
        .bearer_auth(&prepared.organizer)
        .send()
        .unwrap()
        .json::<Value>()
        .unwrap()["next_cursor"]
        .as_str()
        .unwrap()
        .to_owned();
    read(
        "GET organizer list, searched, from the middle",
        &format!("/api/v1/meetings/bench-list/registrations?limit=100&q=pe%C3%B1a&cursor={middle}"),
        32,
        vec![auth],
    );

    // Press exports.
    for format in ["csv", "xlsx"] {
        let runs: Vec<_> = (0..options.runs)
            .map(|_| {
                download(
                    &server,
                    &format!("/api/v1/meetings/bench-press/attendees.{format}"),
                    &prepared.press,
                )
            })
            .collect();
        let mut by_time = runs.clone();
        by_time.sort_by(|a, b| a.1.total_cmp(&b.1));
        let (ttfb, total, bytes, before, peak) = by_time[by_time.len() / 2];
        let growth = runs.iter().map(|r| r.4 - r.3).fold(0.0, f64::max);
        rows.push(row(backend, &format!("press {} of {PRESS_ROWS} attendees", format.to_uppercase()), format!(
            "{total:.2} s, {:.0} rows/s, first byte {ttfb:.1} ms, {:.1} MB; server {before:.0} → {peak:.0} MiB (grew ≤ {growth:.1} MiB)",
            PRESS_ROWS as f64 / total, bytes as f64 / 1e6)));
    }

    rows.push(row(
        backend,
        &format!("outbox to a local SMTP server ({OUTBOX_EMAILS} emails)"),
        outbox_drain(&db, &smtp, &server),
    ));

    let (rss, peak) = server.memory();
    rows.push(row(
        backend,
        "server memory",
        format!(
            "{rss_started:.0} MiB after start, {rss:.0} MiB after the suite, {peak:.0} MiB peak"
        ),
    ));
}

/// The outbox sending a fresh batch of `OUTBOX_EMAILS` to the SMTP server, timed from their
/// commit, with the CPU each email cost. The loads before it leave a backlog behind (the worker
/// gives way to requests): it is counted and set aside, not waited for, which took minutes.
fn outbox_drain(db: &Database, smtp: &SmtpCounter, server: &Server) -> String {
    let backlog = set_aside_pending_emails(db);
    // The batch the worker was sending lands before the count starts.
    let mut landed = smtp.count();
    loop {
        std::thread::sleep(Duration::from_millis(300));
        let now = smtp.count();
        if now == landed {
            break;
        }
        landed = now;
    }
    let before = smtp.count();
    let enqueued = Instant::now();
    {
        let mut conn = db.connect();
        let slug = Slug::parse(Some("bench-open")).unwrap();
        conn.transaction::<_, convene::error::AppError, _>(|conn| {
            for n in 0..OUTBOX_EMAILS {
                let form: RegistrationForm = serde_json::from_value(json!({
                    "full_name": format!("Correo {n}"), "email": format!("outbox-{n}-{before}@example.org"),
                    "organization": {"name": "Centro de Información 1", "kind": "information_hub", "country": "GT"},
                    "country": "GT", "language": "es", "consent_data_processing": true
                })).unwrap();
                convene::registrations::store::register_by_slug(conn, &slug, &NewRegistration::parse(&form, &Default::default()).unwrap(), &Default::default(), db::now())?;
            }
            Ok(())
        }).unwrap();
    }
    let committed = smtp.epoch.elapsed();
    // From the commit on, the CPU spent is the worker's (and PostgreSQL's for it).
    let watch = cpu::Watch::start(Some(server.pid()), db);
    while smtp.count() < before + OUTBOX_EMAILS && enqueued.elapsed() < Duration::from_secs(300) {
        std::thread::sleep(Duration::from_millis(5));
    }
    let cpu = watch.stop();
    let delivered = smtp.count() - before;
    let span = Duration::from_micros(smtp.last_at_us.load(Ordering::SeqCst))
        .saturating_sub(committed)
        .as_secs_f64();
    let rate = delivered as f64 / span;
    format!(
        "{rate:.0} emails/s ({delivered} in {span:.2} s from commit, poll every 200 ms); {}; the loads left {backlog} emails to send (set aside)",
        cpu.describe(rate, "")
    )
}

/// A minimal actix-web handler answering a fixed body of the requested size (`/{bytes}`): the
/// ceiling for a read, measured at the same concurrency and body size as that read.
struct ReadCeiling {
    port: u16,
    measured: std::collections::HashMap<usize, f64>,
}

impl ReadCeiling {
    fn start() -> Self {
        let port = free_port();
        let body: &'static [u8] = Box::leak(vec![b'x'; 1 << 20].into_boxed_slice());
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let server = actix_web::HttpServer::new(move || {
                    actix_web::App::new().route(
                        "/{bytes}",
                        actix_web::web::get().to(
                            move |bytes: actix_web::web::Path<usize>| async move {
                                let size = bytes.into_inner().min(body.len());
                                actix_web::HttpResponse::Ok()
                                    .content_type("application/json")
                                    .body(&body[..size])
                            },
                        ),
                    )
                })
                .bind(("127.0.0.1", port))
                .unwrap()
                .run();
                sender.send(()).unwrap();
                server.await.unwrap();
            })
        });
        receiver.recv().unwrap();
        Self {
            port,
            measured: Default::default(),
        }
    }

    /// Requests per second of the minimal handler for a body of `bytes`, at `concurrency`.
    fn at(
        &mut self,
        bytes: usize,
        concurrency: u32,
        options: &Options,
        rows: &mut Vec<Row>,
    ) -> f64 {
        let key = bytes * 1000 + concurrency as usize;
        if let Some(rps) = self.measured.get(&key) {
            return *rps;
        }
        let url = format!("http://127.0.0.1:{}/{bytes}", self.port);
        let load = median_load(
            (0..options.runs)
                .map(|_| wrk(&url, concurrency, options.seconds, "get", &[], &[]))
                .collect(),
        );
        rows.push(Row {
            backend: "-".into(),
            ..load_row(
                Backend::Sqlite,
                &format!("ceiling: minimal actix-web handler, {bytes} B body"),
                concurrency,
                load,
            )
        });
        self.measured.insert(key, load.rps);
        load.rps
    }
}

fn main() {
    let options = Options::from_args();
    let started = Instant::now();
    if options.checkin {
        let rows = checkin::run_checkin(&options.backends, options.seconds, options.runs);
        print_table(&rows);
        let out = options.out.with_file_name("checkin.json");
        let report = json!({"when": Utc::now().to_rfc3339(), "machine": machine(), "rows": rows});
        std::fs::create_dir_all(out.parent().unwrap()).unwrap();
        std::fs::write(&out, serde_json::to_string_pretty(&report).unwrap()).unwrap();
        println!(
            "\n{}\ncheck-in took {:.0} s; JSON in {}",
            machine(),
            started.elapsed().as_secs_f64(),
            out.display()
        );
        return;
    }
    if options.registration {
        let rows = registration::run_registration(&options);
        print_table(&rows);
        println!(
            "\n{}\nregistration took {:.0} s",
            machine(),
            started.elapsed().as_secs_f64()
        );
        return;
    }
    if let Some(sizes) = options.sizes.clone() {
        let rows = run_sizes(&options.backends, &sizes);
        print_table(&rows);
        let out = options.out.with_file_name("sizes.json");
        let report = json!({"when": Utc::now().to_rfc3339(), "machine": machine(), "rows": rows});
        std::fs::create_dir_all(out.parent().unwrap()).unwrap();
        std::fs::write(&out, serde_json::to_string_pretty(&report).unwrap()).unwrap();
        println!(
            "\n{}\nsizes took {:.0} s; JSON in {}",
            machine(),
            started.elapsed().as_secs_f64(),
            out.display()
        );
        return;
    }
    assert!(
        Command::new("wrk").arg("--version").output().is_ok(),
        "the suite needs wrk (apt-get install wrk)"
    );
    let mut rows = Vec::new();
    let mut ceiling = ReadCeiling::start();
    for backend in options.backends.clone() {
        if backend == Backend::Postgres && PgConnection::establish(&postgres_admin()).is_err() {
            eprintln!(
                "!!! PostgreSQL unreachable at {}: its half is SKIPPED",
                postgres_admin()
            );
            continue;
        }
        run_backend(backend, &options, &mut ceiling, &mut rows);
    }
    let binary = std::fs::metadata(CONVENE).map(|m| m.len()).unwrap_or(0);
    rows.push(Row {
        backend: "-".into(),
        what: "release binary".into(),
        detail: format!("{:.1} MB", binary as f64 / 1e6),
        ..Row::default()
    });

    print_table(&rows);
    let machine = machine();
    let report = json!({
        "when": Utc::now().to_rfc3339(),
        "machine": machine,
        "seconds_per_load": options.seconds,
        "runs": options.runs,
        "suite_seconds": started.elapsed().as_secs_f64(),
        "rows": rows,
    });
    std::fs::create_dir_all(options.out.parent().unwrap()).unwrap();
    std::fs::write(&options.out, serde_json::to_string_pretty(&report).unwrap()).unwrap();
    println!(
        "\n{machine}\nsuite took {:.0} s; JSON in {}",
        started.elapsed().as_secs_f64(),
        options.out.display()
    );
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned())
        })
        .unwrap_or_default();
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .next()
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0 / 1024.0)
        .unwrap_or(0.0);
    let postgres = Command::new("psql")
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    let sqlite: String = diesel::SqliteConnection::establish(":memory:")
        .and_then(|mut conn| {
            diesel::select(diesel::dsl::sql::<diesel::sql_types::Text>(
                "sqlite_version()",
            ))
            .get_result(&mut conn)
            .map_err(|e| diesel::ConnectionError::BadConnection(e.to_string()))
        })
        .unwrap_or_default();
    format!("{cores} cores ({cpu}), {memory:.0} GiB; {postgres}; SQLite {sqlite} (the system's library); load generator wrk on the same machine")
}

fn print_table(rows: &[Row]) {
    println!(
        "\n| backend | what | conc. | req/s | p50 ms | p99 ms | of ceiling | errors | detail |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    let number =
        |v: Option<f64>, digits: usize| v.map(|v| format!("{v:.digits$}")).unwrap_or_default();
    for row in rows {
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            row.backend,
            row.what,
            row.concurrency.map(|c| c.to_string()).unwrap_or_default(),
            number(row.requests_per_s, 0),
            number(row.p50_ms, 2),
            number(row.p99_ms, 2),
            row.of_ceiling
                .map(|f| format!("{:.0}%", f * 100.0))
                .unwrap_or_default(),
            if row.requests_per_s.is_some() {
                row.errors.to_string()
            } else {
                String::new()
            },
            row.detail
        );
    }
}

// ---- The size dimension: `cargo bench --bench suite -- --sizes [1000,10000,100000]` ----

const SIZE_SLUG: &str = "bench-size";

/// `n` registrations in the size meeting, straight into the tables: three in four confirmed
/// (half of them listed for the press), one in four on the waiting list, each with one email
/// sent, over 200 organisations.
fn fill_size_meeting(conn: &mut DbConn, n: usize) {
    let rows = series(conn, n);
    let id = seeded_id_sql(conn, 6);
    sql(
        conn,
        &format!(
            "INSERT INTO organizations (id, name, name_key, kind, country, created_at)
         SELECT 'size-org-' || n, 'Centro de Información ' || n, 'centro de informacion ' || n,
                'information_hub', 'GT', CURRENT_TIMESTAMP FROM {rows} g WHERE n <= 200"
        ),
    );
    sql(conn, &format!(
        "INSERT INTO registrations (id, meeting_id, email, email_key, full_name, organization_id, job_title,
             country, language, consent_data_processing, consent_press_listing, status, queue_ticket,
             search_text, created_at, status_changed_at, category)
         SELECT {id}, (SELECT id FROM meetings WHERE slug = '{SIZE_SLUG}'),
             'size' || n || '@example.org', 'size' || n || '@example.org', 'Participante Peña Número ' || n,
             'size-org-' || (n % 200 + 1), 'Coordinación', 'GT', 'es', TRUE, n % 2 = 0,
             CASE WHEN n % 4 = 0 THEN 'waitlisted' ELSE 'confirmed' END, CASE WHEN n % 4 = 0 THEN n END,
             'participante pena numero ' || n || ' size' || n || '@example.org centro de informacion',
             CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 'participant'
         FROM {rows} g"));
    sql(conn, &format!(
        "INSERT INTO outbox (id, kind, meeting_id, registration_id, recipient, payload, status, attempts,
             next_attempt_at, created_at, sent_at)
         SELECT 'size-mail-' || n, 'confirmed', (SELECT id FROM meetings WHERE slug = '{SIZE_SLUG}'),
             {id}, 'size' || n || '@example.org', '{{}}', 'sent', 1, CURRENT_TIMESTAMP,
             CURRENT_TIMESTAMP, CURRENT_TIMESTAMP
         FROM {rows} g"));
    if let DbConn::Postgres(_) = conn {
        sql(conn, "VACUUM ANALYZE"); // as autovacuum would soon
    }
}

/// After seeding: statistics for the planner (on a never-analysed database PostgreSQL plans
/// for empty tables until autovacuum looks), and the bulk writes flushed now rather than
/// during a load, so that every run starts from the same state.
fn settle(conn: &mut DbConn) {
    if let DbConn::Postgres(_) = conn {
        sql(conn, "VACUUM ANALYZE");
        sql(conn, "CHECKPOINT");
    } else {
        sql(conn, "ANALYZE");
        sql(conn, "PRAGMA wal_checkpoint(TRUNCATE)");
    }
}

/// Logs in through the login form, as a browser does; answers the session cookie.
fn dashboard_cookie(base: &str) -> String {
    let plain = reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let form = plain.get(format!("{base}/organizer/login")).send().unwrap();
    let cookie = |response: &reqwest::blocking::Response, name: &str| {
        response
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|c| c.to_str().ok())
            .find(|c| c.starts_with(name))
            .map(|c| c.split(';').next().unwrap().to_owned())
            .unwrap_or_default()
    };
    let login_cookie = cookie(&form, "convene_login=");
    let page = form.text().unwrap();
    let token = page
        .split("name=\"login_token\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or("")
        .to_owned();
    let answer = plain
        .post(format!("{base}/organizer/login"))
        .header("Cookie", login_cookie)
        .form(&[
            ("email", convene::demo::ORGANIZER_EMAIL),
            ("password", convene::demo::ORGANIZER_PASSWORD),
            ("next", "/organizer"),
            ("login_token", &token),
        ])
        .send()
        .unwrap();
    let session = cookie(&answer, "convene_session=");
    assert!(!session.is_empty(), "the dashboard login works");
    session
}

/// Median milliseconds of `runs` GETs of `path` (after one unmeasured), each read to the end.
fn timed_get(base: &str, path: &str, auth: &[(&str, String)], runs: usize) -> f64 {
    let once = || {
        let started = Instant::now();
        let mut request = client().get(format!("{base}{path}"));
        for (name, value) in auth {
            request = request.header(*name, value);
        }
        let response = request.send().unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let _ = response.bytes().unwrap();
        started.elapsed().as_secs_f64() * 1000.0
    };
    once();
    median((0..runs).map(|_| once()).collect())
}

/// Seconds to follow the list's cursor through every page of 1,000.
fn walk_every_page(base: &str, organizer: &str) -> (f64, usize) {
    let started = Instant::now();
    let (mut cursor, mut seen) = (None::<String>, 0);
    loop {
        let mut path = format!("{base}/api/v1/meetings/{SIZE_SLUG}/registrations?limit=1000");
        if let Some(cursor) = &cursor {
            path.push_str(&format!("&cursor={cursor}"));
        }
        let page: Value = client()
            .get(path)
            .bearer_auth(organizer)
            .send()
            .unwrap()
            .json()
            .unwrap();
        seen += page["items"].as_array().map_or(0, Vec::len);
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return (started.elapsed().as_secs_f64(), seen),
        }
    }
}

/// The id of the meeting's first registration, for a person's page.
fn first_id(base: &str, api: &str, bearer: &[(&str, String)]) -> String {
    let mut request = client().get(format!("{base}{api}/registrations?limit=1"));
    for (name, value) in bearer {
        request = request.header(*name, value);
    }
    let page = request.send().unwrap().json::<Value>().unwrap();
    page["items"][0]["id"].as_str().unwrap().to_owned()
}

/// One size of one backend: every read an organizer waits on, timed. Figures in ms, or s for
/// the walk and the exports; the exports also give the server's memory growth (MiB).
fn measure_size(backend: Backend, n: usize, work: &Path, smtp: &SmtpCounter) -> Vec<(String, f64)> {
    let db = Database::create(backend, work, &format!("size{n}"));
    {
        let mut conn = db.connect();
        db::migrate(&mut conn).unwrap();
        convene::demo::seed(&mut conn, db::now()).unwrap();
    }
    let server = Server::start(&db.url, smtp.port);
    let login = client()
        .post(format!("{}/api/v1/auth/token", server.base))
        .json(&json!({"email": convene::demo::ORGANIZER_EMAIL, "password": convene::demo::ORGANIZER_PASSWORD}))
        .send().unwrap().json::<Value>().unwrap();
    let organizer = login["token"].as_str().unwrap().to_owned();
    create_meeting(&server.base, &organizer, SIZE_SLUG);
    let seeding = Instant::now();
    fill_size_meeting(&mut db.connect(), n);
    eprintln!(
        "   {backend:?} {n}: seeded in {:.1} s",
        seeding.elapsed().as_secs_f64()
    );
    let bearer = [("Authorization", format!("Bearer {organizer}"))];
    let session = [("Cookie", dashboard_cookie(&server.base))];
    let api = format!("/api/v1/meetings/{SIZE_SLUG}");
    let dashboard = format!("/organizer/m/{SIZE_SLUG}");
    let base = &server.base;
    let mut figures = vec![
        (
            "stats (ms)".to_owned(),
            timed_get(base, &format!("{api}/stats"), &bearer, 5),
        ),
        (
            "first page of 100 (ms)".into(),
            timed_get(base, &format!("{api}/registrations?limit=100"), &bearer, 5),
        ),
        (
            "search, one match (ms)".into(),
            timed_get(
                base,
                &format!("{api}/registrations?q=size777%40example"),
                &bearer,
                5,
            ),
        ),
        (
            // Every row holds "peña": the first page of a search as broad as the meeting.
            "search, all match (ms)".into(),
            timed_get(
                base,
                &format!("{api}/registrations?q=pe%C3%B1a&limit=100"),
                &bearer,
                5,
            ),
        ),
        (
            "dashboard registrations (ms)".into(),
            timed_get(base, &format!("{dashboard}/registrations"), &session, 5),
        ),
        (
            // The table by name walks the (meeting_id, search_text, id) index.
            "dashboard by name (ms)".into(),
            timed_get(
                base,
                &format!("{dashboard}/registrations?sort=name"),
                &session,
                5,
            ),
        ),
        (
            // The page and its count of up to 1,000 matches.
            "dashboard search + count, all match (ms)".into(),
            timed_get(
                base,
                &format!("{dashboard}/registrations?q=pe%C3%B1a"),
                &session,
                5,
            ),
        ),
        (
            "dashboard search + count, one match (ms)".into(),
            timed_get(
                base,
                &format!("{dashboard}/registrations?q=size777%40example"),
                &session,
                5,
            ),
        ),
        (
            "dashboard person page (ms)".into(),
            timed_get(
                base,
                &format!(
                    "{dashboard}/registrations/{}",
                    first_id(base, &api, &bearer)
                ),
                &session,
                5,
            ),
        ),
        (
            "dashboard summary (ms)".into(),
            timed_get(base, &dashboard, &session, 5),
        ),
        (
            "public meeting page (ms)".into(),
            timed_get(base, &format!("/m/{SIZE_SLUG}"), &[], 5),
        ),
    ];
    let (walk, seen) = walk_every_page(base, &organizer);
    assert_eq!(seen, n, "the walk saw every registration");
    figures.push(("walk every page of 1,000 (s)".into(), walk));
    for (what, file) in [("CSV", "csv"), ("XLSX", "xlsx")] {
        let (_, seconds, bytes, rss_before, peak) =
            download(&server, &format!("{api}/registrations.{file}"), &organizer);
        assert!(bytes > n * 50, "the {what} export holds the meeting");
        figures.push((format!("{what} export (s)"), seconds));
        figures.push((
            format!("{what} memory growth (MiB)"),
            (peak - rss_before).max(0.0),
        ));
    }
    figures
}

/// Every read at each size, with the growth from one size to the next, as a table.
fn run_sizes(backends: &[Backend], sizes: &[usize]) -> Vec<Row> {
    let work = tempfile::tempdir().unwrap();
    let smtp = SmtpCounter::start();
    let mut rows = Vec::new();
    for &backend in backends {
        let measured: Vec<Vec<(String, f64)>> = sizes
            .iter()
            .map(|&n| measure_size(backend, n, work.path(), &smtp))
            .collect();
        for (i, (what, _)) in measured[0].iter().enumerate() {
            let values: Vec<f64> = measured.iter().map(|m| m[i].1).collect();
            let mut detail = values
                .iter()
                .zip(sizes)
                .map(|(v, n)| format!("{n}: {v:.2}"))
                .collect::<Vec<_>>()
                .join(" · ");
            if let (Some(first), Some(last)) = (values.first(), values.last()) {
                let growth = last / first.max(1e-9);
                let size_growth = *sizes.last().unwrap() as f64 / sizes[0] as f64;
                detail.push_str(&format!(
                    " · ×{growth:.1} for ×{size_growth:.0} rows (√ = ×{:.0})",
                    size_growth.sqrt()
                ));
            }
            rows.push(row(backend, what, detail));
        }
    }
    rows
}
