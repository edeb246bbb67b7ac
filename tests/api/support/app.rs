//! The real app in this process, on a test database and the test SMTP server, driven over
//! HTTP; and the domain steps tests take through it (an organizer, a meeting, a registration).

use super::{Backend, SmtpSink, TestDb};
use convene::accounts::model::NewAccount;
use convene::db;
use convene::{Server, Settings};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

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
    // The webhook receivers of the tests listen on loopback.
    settings.webhook_allow_private = true;
    // PostgreSQL needs the data key given; a SQLite test database gets a key file beside it.
    if db.url().starts_with("postgres") {
        settings.data_key = Some(convene::config::KeyText(TEST_DATA_KEY.into()));
    }
    settings
}

/// The data key of the tests on PostgreSQL: 32 bytes, base64.
pub const TEST_DATA_KEY: &str = "dGVzdC1kYXRhLWtleS1vZi1jb252ZW5lLXRlc3RzLi4=";

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
    pub async fn delete(&self, path: &str, token: Option<&str>) -> Answer {
        self.call(reqwest::Method::DELETE, path, token, None).await
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
