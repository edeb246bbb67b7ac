//! The test harness: the real app on a real database (SQLite file or a fresh PostgreSQL
//! database), sending through a real SMTP server on loopback, driven over HTTP.

use convene::accounts::model::NewAccount;
use convene::db::{self, DatabaseUrl};
use convene::{Server, Settings};
use diesel::{Connection, PgConnection, RunQueryDsl};
use mail_parser::MimeHeaders;
use mailin_embedded::{response, Handler, Response};
use serde_json::{json, Value};
use std::io::Write;
use std::net::{IpAddr, TcpListener};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Each test runs twice: `name::sqlite` and `name::postgres`.
#[macro_export]
macro_rules! on_both_backends {
    ($(async fn $name:ident($backend:ident) $body:block)*) => {$(
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            async fn run($backend: $crate::helpers::Backend) $body
            #[actix_web::test]
            async fn sqlite() { run($crate::helpers::Backend::Sqlite).await }
            #[actix_web::test]
            async fn postgres() {
                if $crate::helpers::postgres_admin_url().is_some() {
                    run($crate::helpers::Backend::Postgres).await
                }
            }
        }
    )*};
}

fn postgres_required() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
        || std::env::var("CONVENE_TEST_REQUIRE_POSTGRES").is_ok_and(|v| v == "1")
}

/// The PostgreSQL server tests create their databases on, if one answers. Unreachable, the
/// PostgreSQL half of every test is skipped with a loud notice, or fails under `CI=true`.
pub fn postgres_admin_url() -> Option<&'static str> {
    static URL: OnceLock<Option<String>> = OnceLock::new();
    URL.get_or_init(|| {
        let url = std::env::var("CONVENE_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
        match PgConnection::establish(&url) {
            Ok(_) => Some(url),
            Err(error) if postgres_required() => {
                panic!("PostgreSQL is required (CI=true) but unreachable at {url}: {error}")
            }
            Err(error) => {
                // Written past the test harness's capture, so it shows even for passing tests.
                let _ = writeln!(
                    std::io::stderr(),
                    "\n\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n\
                     !!! PostgreSQL unreachable at {url}: {error}\n\
                     !!! The PostgreSQL half of every storage test is SKIPPED.\n\
                     !!! Start it, or set CONVENE_TEST_POSTGRES_URL; CI=true makes this fail.\n\
                     !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n"
                );
                None
            }
        }
    })
    .as_deref()
}

/// A database of the test's own, removed when the test ends.
pub enum TestDb {
    Sqlite {
        _dir: tempfile::TempDir,
        url: String,
    },
    Postgres {
        admin: String,
        name: String,
        url: String,
    },
}

impl TestDb {
    pub fn new(backend: Backend) -> Self {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = dir.path().join("convene.db").display().to_string();
                Self::Sqlite { _dir: dir, url }
            }
            Backend::Postgres => {
                Self::on_postgres(postgres_admin_url().expect("postgres reachable"))
            }
        }
    }
    /// A fresh database on the PostgreSQL server that `admin` connects to.
    pub fn on_postgres(admin: &str) -> Self {
        let admin = admin.to_owned();
        let name = format!("convene_t_{}", uuid::Uuid::new_v4().simple());
        let mut conn = PgConnection::establish(&admin).expect("admin connection");
        diesel::sql_query(format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .expect("create test database");
        let mut url = url::Url::parse(&admin).expect("admin url");
        url.set_path(&name);
        Self::Postgres {
            admin,
            name,
            url: url.to_string(),
        }
    }
    pub fn url(&self) -> &str {
        match self {
            Self::Sqlite { url, .. } | Self::Postgres { url, .. } => url,
        }
    }
    pub fn connect(&self) -> db::DbConn {
        db::connect(&DatabaseUrl::parse(self.url()).unwrap()).expect("test connection")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Self::Postgres { admin, name, .. } = self {
            if let Ok(mut conn) = PgConnection::establish(admin) {
                let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut conn);
            }
        }
    }
}

/// One message as the SMTP server received it, parsed by an independent MIME parser.
#[derive(Debug, Clone)]
pub struct Mail {
    /// The SMTP envelope's recipients.
    pub to: Vec<String>,
    /// The addresses of the `To:` header.
    pub to_header: Vec<String>,
    pub header_names: Vec<String>,

    pub subject: String,
    pub text: String,
    pub html: String,
    pub message_id: String,
    pub attachments: Vec<(String, String, Vec<u8>)>,
}

impl Mail {
    fn parse(to: Vec<String>, raw: Vec<u8>) -> Self {
        let message = mail_parser::MessageParser::default()
            .parse(&raw)
            .expect("parsable email");
        let attachments = message
            .attachments()
            .map(|part| {
                let content_type = part
                    .content_type()
                    .map(|ct| format!("{}/{}", ct.ctype(), ct.subtype().unwrap_or("")))
                    .unwrap_or_default();
                (
                    part.attachment_name().unwrap_or("").to_owned(),
                    content_type,
                    part.contents().to_vec(),
                )
            })
            .collect();
        let to_header = message
            .to()
            .map(|to| {
                to.iter()
                    .filter_map(|a| a.address().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        let header_names = message
            .headers()
            .iter()
            .map(|h| h.name().to_owned())
            .collect();
        Self {
            to_header,
            header_names,
            subject: message.subject().unwrap_or("").to_owned(),
            text: message
                .body_text(0)
                .map(|t| t.into_owned())
                .unwrap_or_default(),
            html: message
                .body_html(0)
                .map(|t| t.into_owned())
                .unwrap_or_default(),
            message_id: message.message_id().unwrap_or("").to_owned(),
            attachments,
            to,
        }
    }

    fn token_after(&self, marker: &str) -> Option<String> {
        let start = self.text.find(marker)? + marker.len();
        let token: String = self.text[start..]
            .chars()
            .take_while(|c| c.is_ascii_hexdigit())
            .collect();
        (token.len() == 64).then_some(token)
    }
    pub fn confirm_token(&self) -> String {
        self.token_after("/confirm/").expect("a confirm link")
    }
    pub fn manage_token(&self) -> String {
        self.token_after("/manage/").expect("a manage link")
    }
}

#[derive(Clone)]
struct SinkHandler {
    inbox: Arc<Mutex<Vec<Mail>>>,
    accepting: Arc<AtomicBool>,
    to: Vec<String>,
    data: Vec<u8>,
}

impl Handler for SinkHandler {
    fn mail(&mut self, _ip: IpAddr, _domain: &str, _from: &str) -> Response {
        if self.accepting.load(Ordering::SeqCst) {
            response::OK
        } else {
            response::INTERNAL_ERROR
        }
    }
    fn data_start(&mut self, _domain: &str, _from: &str, _is8bit: bool, to: &[String]) -> Response {
        self.to = to.to_vec();
        self.data.clear();
        response::OK
    }
    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.data.extend_from_slice(buf);
        Ok(())
    }
    fn data_end(&mut self) -> Response {
        let mail = Mail::parse(std::mem::take(&mut self.to), std::mem::take(&mut self.data));
        self.inbox.lock().unwrap().push(mail);
        response::OK
    }
}

/// A real SMTP server (mailin) on loopback that keeps what it receives.
#[derive(Clone)]
pub struct SmtpSink {
    pub port: u16,
    inbox: Arc<Mutex<Vec<Mail>>>,
    accepting: Arc<AtomicBool>,
}

impl SmtpSink {
    pub fn start() -> Self {
        Self::start_on(TcpListener::bind("127.0.0.1:0").expect("smtp port"))
    }

    /// A port on which nothing listens yet: an SMTP server that is down.
    pub fn reserve() -> (u16, impl FnOnce() -> SmtpSink) {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        (port, move || {
            Self::start_on(TcpListener::bind(("127.0.0.1", port)).expect("reserved smtp port"))
        })
    }

    fn start_on(listener: TcpListener) -> Self {
        let port = listener.local_addr().unwrap().port();
        let inbox = Arc::new(Mutex::new(Vec::new()));
        let accepting = Arc::new(AtomicBool::new(true));
        let handler = SinkHandler {
            inbox: inbox.clone(),
            accepting: accepting.clone(),
            to: vec![],
            data: vec![],
        };
        let mut server = mailin_embedded::Server::new(handler);
        server
            .with_name("sink.test")
            .with_tcp_listener(listener)
            .with_num_threads(4);
        std::thread::spawn(move || {
            let _ = server.serve();
        });
        Self {
            port,
            inbox,
            accepting,
        }
    }

    /// While refusing, the server answers every message with a temporary failure.
    pub fn refuse(&self, refuse: bool) {
        self.accepting.store(!refuse, Ordering::SeqCst);
    }

    pub fn all(&self) -> Vec<Mail> {
        self.inbox.lock().unwrap().clone()
    }

    pub fn to(&self, address: &str) -> Vec<Mail> {
        self.all()
            .into_iter()
            .filter(|m| m.to.iter().any(|t| t.eq_ignore_ascii_case(address)))
            .collect()
    }

    /// Waits until `address` has received `count` messages; answers them in arrival order.
    pub async fn wait_for(&self, address: &str, count: usize) -> Vec<Mail> {
        let started = Instant::now();
        loop {
            let mails = self.to(address);
            if mails.len() >= count {
                return mails;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "{address} got {} of {count} emails",
                mails.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits until `count` messages have arrived in all.
    pub async fn wait_for_total(&self, count: usize) -> Vec<Mail> {
        let started = Instant::now();
        loop {
            let mails = self.all();
            if mails.len() >= count {
                return mails;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "got {} of {count} emails",
                mails.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub db: TestDb,
    pub smtp: SmtpSink,
}

pub fn test_settings(db: &TestDb, smtp_port: u16) -> Settings {
    let mut settings = Settings::new(db.url());
    settings.bind = "127.0.0.1:0".into();
    settings.mail_url = format!("smtp://127.0.0.1:{smtp_port}");
    settings.rate_limit_per_minute = 0;
    settings.registrations_per_client = 0;
    settings.worker.poll_interval = Duration::from_millis(50);
    settings.worker.retry_base = Duration::from_millis(50);
    settings.worker.retry_max = Duration::from_millis(400);
    settings
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, |_| {}).await
}

/// Starts the app on a database made elsewhere (a private PostgreSQL cluster, say).
pub async fn spawn_app_on(db: TestDb) -> TestApp {
    let smtp = SmtpSink::start();
    let address = start_server(test_settings(&db, smtp.port)).await;
    TestApp {
        address,
        client: reqwest::Client::new(),
        db,
        smtp,
    }
}

/// Starts the app; `adjust` may change the test settings first.
pub async fn spawn_app_with(backend: Backend, adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let smtp = SmtpSink::start();
    let db = TestDb::new(backend);
    let mut settings = test_settings(&db, smtp.port);
    adjust(&mut settings);
    let address = start_server(settings).await;
    TestApp {
        address,
        client: reqwest::Client::new(),
        db,
        smtp,
    }
}

/// Starts a server with these settings in this process and answers its address.
pub async fn start_server(settings: Settings) -> String {
    let server = Server::build(settings).await.expect("the app starts");
    let address = format!("http://127.0.0.1:{}", server.port());
    actix_web::rt::spawn(server.run());
    address
}

/// A response read whole.
pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Answer {
    pub fn field_errors(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .map(|e| e["field"].as_str().unwrap_or("").to_owned())
                    .collect()
            })
            .unwrap_or_default()
    }
    pub fn error_code(&self) -> String {
        self.body["errors"][0]["code"]
            .as_str()
            .unwrap_or("")
            .to_owned()
    }
}

impl TestApp {
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.address));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request sent");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Answer {
            status,
            headers,
            body,
            text,
        }
    }
    pub async fn get(&self, path: &str, token: Option<&str>) -> Answer {
        self.call(reqwest::Method::GET, path, token, None).await
    }
    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Answer {
        self.call(reqwest::Method::POST, path, token, Some(body))
            .await
    }
    pub async fn patch(&self, path: &str, token: Option<&str>, body: Value) -> Answer {
        self.call(reqwest::Method::PATCH, path, token, Some(body))
            .await
    }

    /// A new organizer account, logged in: its API token.
    pub async fn organizer(&self) -> String {
        let email = format!("org-{}@example.org", uuid::Uuid::new_v4().simple());
        let password = "a long organizer password";
        let account = NewAccount::parse(&email, "Organizer", password).unwrap();
        let hash = account.password.hash().unwrap();
        let mut conn = self.db.connect();
        convene::accounts::store::create(&mut conn, &account, &hash, db::now()).unwrap();
        let answer = self
            .post(
                "/api/v1/auth/token",
                None,
                json!({"email": email, "password": password}),
            )
            .await;
        assert_eq!(answer.status, 201, "{}", answer.text);
        answer.body["token"].as_str().unwrap().to_owned()
    }

    /// Creates a meeting from the default body with `changes` laid over it; answers its slug.
    pub async fn meeting(&self, token: &str, changes: Value) -> String {
        let mut body = json!({
            "slug": format!("m-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]),
            "title": "Regional exchange of migrant information hubs",
            "description": "Two days in Mexico City.",
            "venue": "Centro de Convenciones", "city": "Mexico City", "country": "MX",
            "timezone": "America/Mexico_City",
            "starts_at": "2030-05-29T09:00:00-06:00", "ends_at": "2030-05-30T18:00:00-06:00",
            "registration_opens_at": null, "registration_closes_at": "2030-05-22T23:59:00-06:00",
            "capacity": 120, "per_organization_limit": null, "requires_approval": false,
            "languages": ["es", "en"], "status": "published",
            "translations": {"es": {"title": "Intercambio regional de centros de información"}}
        });
        for (key, value) in changes.as_object().cloned().unwrap_or_default() {
            body[key] = value;
        }
        let answer = self.post("/api/v1/meetings", Some(token), body).await;
        assert_eq!(answer.status, 201, "{}", answer.text);
        answer.body["slug"].as_str().unwrap().to_owned()
    }

    pub fn registration_body(email: &str) -> Value {
        json!({
            "full_name": "Ana María Pérez", "email": email,
            "organization": {"name": "Centro de Información Tapachula", "kind": "information_hub", "country": "MX"},
            "job_title": "Coordinadora", "country": "MX", "language": "es",
            "consent_data_processing": true, "consent_press_listing": false,
            "dietary": null, "accessibility": null, "interpretation": "es-en"
        })
    }

    pub async fn register(&self, slug: &str, body: Value) -> Answer {
        self.post(
            &format!("/api/v1/meetings/{slug}/registrations"),
            None,
            body,
        )
        .await
    }

    /// Registers `email` and answers the confirm token from the email that arrives.
    pub async fn register_and_read_token(&self, slug: &str, body: Value) -> String {
        let email = body["email"].as_str().unwrap().to_owned();
        let before = self.smtp.to(&email).len();
        let answer = self.register(slug, body).await;
        assert_eq!(answer.status, 202, "{}", answer.text);
        let mails = self.smtp.wait_for(&email, before + 1).await;
        mails.last().unwrap().confirm_token()
    }

    pub async fn confirm(&self, token: &str) -> Answer {
        self.post(
            "/api/v1/registrations/confirm",
            None,
            json!({"token": token}),
        )
        .await
    }

    /// Confirms with `token` and answers the registration's id, which the participant reads
    /// with the manage link of the email that confirming sends (confirming answers the status
    /// only).
    pub async fn confirm_and_id(&self, token: &str, email: &str) -> String {
        let before = self.smtp.to(email).len();
        let answer = self.confirm(token).await;
        assert_eq!(answer.status, 200, "{}", answer.text);
        let manage = self.smtp.wait_for(email, before + 1).await[before].manage_token();
        self.get("/api/v1/registration", Some(&manage)).await.body["id"]
            .as_str()
            .expect("the registration's id")
            .to_owned()
    }

    /// Every registration of the meeting, following the cursor.
    pub async fn registrations(&self, token: &str, slug: &str, query: &str) -> Vec<Value> {
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut path = format!("/api/v1/meetings/{slug}/registrations?limit=1000&{query}");
            if let Some(cursor) = &cursor {
                path.push_str(&format!("&cursor={cursor}"));
            }
            let answer = self.get(&path, Some(token)).await;
            assert_eq!(answer.status, 200, "{}", answer.text);
            items.extend(answer.body["items"].as_array().unwrap().iter().cloned());
            match answer.body["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => return items,
            }
        }
    }

    pub async fn stats(&self, token: &str, slug: &str) -> Value {
        let answer = self
            .get(&format!("/api/v1/meetings/{slug}/stats"), Some(token))
            .await;
        assert_eq!(answer.status, 200, "{}", answer.text);
        answer.body
    }

    /// Waits until the outbox of the meeting has nothing pending.
    pub async fn outbox_drained(&self, token: &str, slug: &str) -> Value {
        let started = Instant::now();
        loop {
            let stats = self.stats(token, slug).await;
            if stats["emails"]["pending"] == 0 {
                return stats;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "outbox not drained: {stats}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}
