//! Faults with real processes: the `convene` binary killed mid-load and restarted, and its logs
//! read for anything they must never hold.

use crate::on_both_backends;
use crate::support::process::{handle, PrivateCluster, ServerProcess};
use crate::support::{Backend, SmtpSink, TestApp, TestDb};
use futures::stream::{self, StreamExt};
use serde_json::json;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

on_both_backends!(a_killed_server_loses_no_acknowledged_registration_or_email);
async fn a_killed_server_loses_no_acknowledged_registration_or_email(backend: Backend) {
    let smtp = SmtpSink::start();
    let logs = tempfile::tempdir().unwrap();
    let db = TestDb::new(backend);
    let mut first = ServerProcess::start(db.url(), smtp.port, logs.path(), "warn").await;
    let mut app = handle(db, smtp.clone(), &first.address);
    let organizer = app.organizer().await;
    let slug = app.meeting(&organizer, json!({"capacity": null})).await;

    // 300 registrations, 16 at a time; the server is killed after the 100th answer.
    let answered = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let address = first.address.clone();
    let load = {
        let (answered, slug) = (answered.clone(), slug.clone());
        tokio::spawn(async move {
            stream::iter(0..300)
                .map(|i| {
                    let (client, address, slug, answered) = (
                        client.clone(),
                        address.clone(),
                        slug.clone(),
                        answered.clone(),
                    );
                    async move {
                        let email = format!("k{i:03}@example.org");
                        let response = client
                            .post(format!("{address}/api/v1/meetings/{slug}/registrations"))
                            .json(&TestApp::registration_body(&email))
                            .send()
                            .await;
                        answered.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        (email, response.map(|r| r.status().as_u16()).unwrap_or(0))
                    }
                })
                .buffer_unordered(16)
                .collect::<Vec<_>>()
                .await
        })
    };
    while answered.load(std::sync::atomic::Ordering::SeqCst) < 100 {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    first.kill();
    let results = load.await.unwrap();
    let acknowledged: Vec<String> = results
        .iter()
        .filter(|(_, s)| *s == 202)
        .map(|(e, _)| e.clone())
        .collect();
    assert!(
        acknowledged.len() >= 100,
        "{} acknowledged before the kill",
        acknowledged.len()
    );
    assert!(acknowledged.len() < 300, "the kill came mid-load");

    let second = ServerProcess::start(app.db.url(), smtp.port, logs.path(), "warn").await;
    app.address = second.address.clone();
    app.outbox_drained(&organizer, &slug).await;
    let stored: HashSet<String> = app
        .registrations(&organizer, &slug, "")
        .await
        .iter()
        .map(|r| r["email"].as_str().unwrap().to_owned())
        .collect();
    let mails = smtp.all();
    let mut ids_by_recipient: HashMap<String, HashSet<String>> = HashMap::new();
    for mail in &mails {
        ids_by_recipient
            .entry(mail.to[0].clone())
            .or_default()
            .insert(mail.message_id.clone());
    }
    for email in &acknowledged {
        assert!(
            stored.contains(email),
            "{email} was acknowledged and is stored"
        );
        assert_eq!(
            ids_by_recipient.get(email).map(HashSet::len),
            Some(1),
            "{email} got its one email"
        );
    }
    let distinct: HashSet<&str> = mails.iter().map(|m| m.message_id.as_str()).collect();
    let twice = mails.len() - distinct.len();
    let _ = std::io::Write::write_all(&mut std::io::stderr(), format!(
        "\n[kill test {backend:?}] acknowledged {}, stored {}, emails {}, sent twice (same Message-ID) {twice}\n",
        acknowledged.len(), stored.len(), mails.len()).as_bytes());
    assert!(
        twice <= 4,
        "only emails in flight at the kill (one per sender) may repeat"
    );
}

on_both_backends!(logs_hold_no_address_token_or_password);
async fn logs_hold_no_address_token_or_password(backend: Backend) {
    logs_hold_no_secret(backend, "text").await;
}

on_both_backends!(json_logs_parse_and_hold_no_address_token_or_password);
async fn json_logs_parse_and_hold_no_address_token_or_password(backend: Backend) {
    let logs = logs_hold_no_secret(backend, "json").await;
    let mut requests = 0;
    for line in logs.lines().filter(|l| !l.trim().is_empty()) {
        let entry: serde_json::Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("a log line is not JSON ({e}): {line}"));
        assert!(
            entry["level"].is_string() && entry["timestamp"].is_string(),
            "{line}"
        );
        if entry["message"] == "request" {
            requests += 1;
            assert!(
                entry["http.route"].is_string() && entry["http.status"].is_u64(),
                "{line}"
            );
        }
    }
    assert!(requests > 10, "the requests are logged, one object each");
}

/// Drives a server logging in `format` through what handles addresses, tokens, passwords and
/// passport details, and checks none of them reached its log; answers the log.
async fn logs_hold_no_secret(backend: Backend, format: &str) -> String {
    let smtp = SmtpSink::start();
    let logs = tempfile::tempdir().unwrap();
    let db = TestDb::new(backend);
    let server = ServerProcess::start_with(
        db.url(),
        smtp.port,
        logs.path(),
        "debug",
        &[("CONVENE_LOG_FORMAT", format)],
    )
    .await;
    let app = handle(db, smtp.clone(), &server.address);
    let organizer = app.organizer().await;
    let slug = app
        .meeting(
            &organizer,
            json!({"travel_support": true, "visa_letters": true}),
        )
        .await;
    let mut body = TestApp::registration_body("secret.person@example.org");
    body["travel"] = json!({"visa_letter_requested": true, "nationality": "NI",
        "passport_number": "C01776655", "passport_expiry": "2033-03-03",
        "date_of_birth": "1979-03-14"});
    let confirm = app.register_and_read_token(&slug, body).await;
    app.confirm(&confirm).await;
    let manage = smtp.wait_for("secret.person@example.org", 2).await[1].manage_token();
    let id = app.get("/api/v1/registration", Some(&manage)).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let reference = app
        .post(
            &format!("/api/v1/meetings/{slug}/registrations/{id}/visa-letter"),
            Some(&organizer),
            json!({}),
        )
        .await
        .body["reference"]
        .as_str()
        .expect("a letter issued")
        .to_owned();
    for path in [
        format!("/api/v1/meetings/{slug}/registrations/{id}/visa-letter.pdf"),
        format!("/verify/{reference}"),
    ] {
        let answer = app
            .client
            .get(format!("{}{path}", app.address))
            .bearer_auth(&organizer)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 200, "{path}");
    }
    app.client
        .get(format!("{}/manage/{manage}", app.address))
        .send()
        .await
        .unwrap();
    app.client
        .get(format!("{}/confirm/{confirm}", app.address))
        .send()
        .await
        .unwrap();
    let press = app
        .post(
            &format!("/api/v1/meetings/{slug}/press-tokens"),
            Some(&organizer),
            json!({"label": "EFE"}),
        )
        .await
        .body["token"]
        .as_str()
        .unwrap()
        .to_owned();
    app.client
        .get(format!("{}/press/{press}", app.address))
        .send()
        .await
        .unwrap();
    app.get(&format!("/api/v1/meetings/{slug}/attendees"), Some(&press))
        .await;
    app.post(
        "/api/v1/auth/token",
        None,
        json!({"email": "secret.person@example.org", "password": "wrong password 123"}),
    )
    .await;
    app.outbox_drained(&organizer, &slug).await;
    let logs = server.logs();
    assert!(
        logs.contains("request") && logs.contains("email sent"),
        "the logs were captured: {}",
        &logs[..logs.len().min(2000)]
    );
    for secret in [
        "secret.person@example.org",
        &confirm,
        &manage,
        &press,
        &organizer,
        "wrong password 123",
        "a long organizer password",
        "Ana María",
        "C01776655",
        "1979-03-14",
        &reference,
    ] {
        assert!(!logs.contains(secret), "the logs hold {secret}");
    }
    assert!(
        logs.contains("/manage/{token}"),
        "routes are logged by pattern"
    );
    logs
}

/// Every answer of a load: (email, status).
type Answers = Arc<Mutex<Vec<(String, u16)>>>;

/// Registrations sent by `workers` loops until `stop`; every answer recorded as (email, status),
/// status 0 for no answer at all.
fn registration_load(
    address: &str,
    slug: &str,
    workers: usize,
    prefix: &'static str,
    stop: Arc<AtomicBool>,
) -> (Answers, Vec<tokio::task::JoinHandle<()>>) {
    let answers = Arc::new(Mutex::new(Vec::new()));
    let next = Arc::new(AtomicUsize::new(0));
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(15))
        .build()
        .unwrap();
    let tasks = (0..workers)
        .map(|_| {
            let (client, answers, next, stop) =
                (client.clone(), answers.clone(), next.clone(), stop.clone());
            let url = format!("{address}/api/v1/meetings/{slug}/registrations");
            tokio::spawn(async move {
                while !stop.load(Ordering::SeqCst) {
                    let email = format!(
                        "{prefix}{:05}@example.org",
                        next.fetch_add(1, Ordering::SeqCst)
                    );
                    let status = match client
                        .post(&url)
                        .json(&TestApp::registration_body(&email))
                        .send()
                        .await
                    {
                        Ok(response) => response.status().as_u16(),
                        Err(_) => 0,
                    };
                    answers.lock().unwrap().push((email, status));
                }
            })
        })
        .collect();
    (answers, tasks)
}

fn count(answers: &Mutex<Vec<(String, u16)>>, status: u16) -> usize {
    answers
        .lock()
        .unwrap()
        .iter()
        .filter(|(_, s)| *s == status)
        .count()
}

async fn until(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < limit, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn status_of(url: &str) -> u16 {
    reqwest::get(url)
        .await
        .map(|r| r.status().as_u16())
        .unwrap_or(0)
}

/// PostgreSQL stopped and started again while registrations keep coming: while it is down every
/// request fails cleanly with 503 and `/readyz` says so (`/healthz` stays 200); once it is back
/// the service recovers by itself, and everything acknowledged is stored with its email.
#[actix_web::test]
async fn postgres_restarted_under_load_answers_503_then_recovers() {
    if crate::support::postgres_admin_url().is_none() {
        return;
    }
    let Some(cluster) = PrivateCluster::create() else {
        return;
    };
    let smtp = SmtpSink::start();
    let logs = tempfile::tempdir().unwrap();
    let db = TestDb::on_postgres(&cluster.url());
    let server = ServerProcess::start(db.url(), smtp.port, logs.path(), "warn").await;
    let app = handle(db, smtp.clone(), &server.address);
    let organizer = app.organizer().await;
    let slug = app.meeting(&organizer, json!({"capacity": null})).await;
    let (readyz, healthz) = (
        format!("{}/readyz", server.address),
        format!("{}/healthz", server.address),
    );

    let stop = Arc::new(AtomicBool::new(false));
    let (answers, tasks) = registration_load(&server.address, &slug, 8, "r", stop.clone());
    until(
        "registrations before the stop",
        Duration::from_secs(30),
        || count(&answers, 202) >= 100,
    )
    .await;

    let cluster = Arc::new(cluster);
    tokio::task::spawn_blocking({
        let c = cluster.clone();
        move || c.stop()
    })
    .await
    .unwrap();
    let stopped_at = Instant::now();
    let before_outage = answers.lock().unwrap().len();
    assert_eq!(
        status_of(&readyz).await,
        503,
        "/readyz tells the database is gone"
    );
    assert_eq!(
        status_of(&healthz).await,
        200,
        "/healthz: the process itself is alive"
    );
    assert_eq!(
        status_of(&format!("{}/metrics", server.address)).await,
        200,
        "/metrics answers while the database is away, when an operator looks"
    );
    until("503s during the outage", Duration::from_secs(60), || {
        count(&answers, 503) >= 16
    })
    .await;
    let during_outage = answers.lock().unwrap().len() - before_outage;

    tokio::task::spawn_blocking({
        let c = cluster.clone();
        move || c.start()
    })
    .await
    .unwrap();
    let started_at = Instant::now();
    let mut ready = 0;
    while ready != 200 {
        assert!(
            started_at.elapsed() < Duration::from_secs(30),
            "the service recovers by itself"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
        ready = status_of(&readyz).await;
    }
    let recovered_in = started_at.elapsed();
    let acked_before = count(&answers, 202);
    until(
        "registrations after the restart",
        Duration::from_secs(60),
        || count(&answers, 202) >= acked_before + 100,
    )
    .await;
    stop.store(true, Ordering::SeqCst);
    for task in tasks {
        task.await.unwrap();
    }

    let answers = answers.lock().unwrap().clone();
    let unexpected: Vec<_> = answers
        .iter()
        .filter(|(_, s)| *s != 202 && *s != 503)
        .collect();
    assert!(
        unexpected.is_empty(),
        "only 202 or a clean 503: {unexpected:?}"
    );
    let acknowledged: Vec<&String> = answers
        .iter()
        .filter(|(_, s)| *s == 202)
        .map(|(e, _)| e)
        .collect();
    app.outbox_drained(&organizer, &slug).await;
    let stored: HashSet<String> = app
        .registrations(&organizer, &slug, "")
        .await
        .iter()
        .map(|r| r["email"].as_str().unwrap().to_owned())
        .collect();
    let mails = smtp.all();
    for email in &acknowledged {
        assert!(
            stored.contains(*email),
            "{email} was acknowledged and is stored"
        );
        assert_eq!(
            mails.iter().filter(|m| &&m.to[0] == email).count(),
            1,
            "{email} got one email"
        );
    }
    let _ = std::io::Write::write_all(&mut std::io::stderr(), format!(
        "\n[postgres restart] requests {}, acknowledged {}, 503 {}, down {:.1} s, answered while down {during_outage}, ready again {:.2} s after start, emails {}\n",
        answers.len(), acknowledged.len(), answers.len() - acknowledged.len(), (started_at - stopped_at).as_secs_f64(), recovered_in.as_secs_f64(), mails.len()).as_bytes());
}

on_both_backends!(an_smtp_outage_during_a_burst_loses_and_repeats_no_email);
async fn an_smtp_outage_during_a_burst_loses_and_repeats_no_email(backend: Backend) {
    let (port, start_smtp) = SmtpSink::reserve();
    let logs = tempfile::tempdir().unwrap();
    let db = TestDb::new(backend);
    let server = ServerProcess::start(db.url(), port, logs.path(), "warn").await;
    // Until the SMTP server starts, a stand-in handle for the API helpers.
    let app = handle(db, SmtpSink::start(), &server.address);
    let organizer = app.organizer().await;
    let slug = app.meeting(&organizer, json!({"capacity": null})).await;
    let client = reqwest::Client::new();
    let statuses: Vec<u16> = stream::iter(0..200)
        .map(|i| {
            let request = client
                .post(format!(
                    "{}/api/v1/meetings/{slug}/registrations",
                    server.address
                ))
                .json(&TestApp::registration_body(&format!(
                    "burst{i:03}@example.org"
                )));
            async move {
                request
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
                    .unwrap_or(0)
            }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    assert!(statuses.iter().all(|&s| s == 202), "{statuses:?}");
    // Nothing listens for a while: every attempt fails and is retried later.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let pending = app.stats(&organizer, &slug).await["emails"]["pending"]
        .as_i64()
        .unwrap();
    assert_eq!(pending, 200, "every email waits in the outbox");
    // Then a server that answers 421 (try later) to everything, then a working one.
    let smtp = start_smtp();
    smtp.refuse(true);
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert!(smtp.all().is_empty());
    smtp.refuse(false);
    let app = TestApp {
        smtp: smtp.clone(),
        ..app
    };
    app.outbox_drained(&organizer, &slug).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mails = smtp.all();
    let recipients: HashSet<&str> = mails.iter().map(|m| m.to[0].as_str()).collect();
    let _ = std::io::Write::write_all(&mut std::io::stderr(), format!(
        "\n[smtp outage {backend:?}] registrations 200, emails expected 200, delivered {}, distinct recipients {}\n",
        mails.len(), recipients.len()).as_bytes());
    assert_eq!(
        (mails.len(), recipients.len()),
        (200, 200),
        "every email arrived exactly once"
    );
}

/// SQLite has one writer: many concurrent writes of every kind (registrations, confirmations,
/// organizer changes, the email worker) queue for it and never surface "database is locked".
#[actix_web::test]
async fn sqlite_concurrent_writers_never_see_a_locked_database() {
    let smtp = SmtpSink::start();
    let logs = tempfile::tempdir().unwrap();
    let db = TestDb::new(Backend::Sqlite);
    let server = ServerProcess::start(db.url(), smtp.port, logs.path(), "warn").await;
    let app = handle(db, smtp.clone(), &server.address);
    let organizer = app.organizer().await;
    let slug = app.meeting(&organizer, json!({"capacity": 50})).await;
    let seeded: Vec<String> = {
        let mut tokens = Vec::new();
        // One confirm token per confirmation: a token is single-use.
        for i in 0..200 {
            tokens.push(
                app.register_and_read_token(
                    &slug,
                    TestApp::registration_body(&format!("seed{i:03}@example.org")),
                )
                .await,
            );
        }
        tokens
    };
    let client = reqwest::Client::new();
    let address = server.address.clone();
    let writes = (0..600).map(|i| {
        let request = match i % 3 {
            0 => client
                .post(format!("{address}/api/v1/meetings/{slug}/registrations"))
                .json(&TestApp::registration_body(&format!("w{i:03}@example.org"))),
            1 => client
                .post(format!("{address}/api/v1/registrations/confirm"))
                .json(&json!({"token": seeded[i / 3]})),
            _ => client
                .patch(format!("{address}/api/v1/meetings/{slug}"))
                .bearer_auth(&organizer)
                .json(&json!({"description": format!("Version {i}")})),
        };
        async move {
            request
                .send()
                .await
                .map(|r| r.status().as_u16())
                .unwrap_or(0)
        }
    });
    let statuses: Vec<u16> = stream::iter(writes).buffer_unordered(64).collect().await;
    let failed: Vec<_> = statuses
        .iter()
        .filter(|s| !(200..300).contains(*s))
        .collect();
    assert!(failed.is_empty(), "every write succeeded: {failed:?}");
    let logs = server.logs();
    assert!(
        !logs.contains("locked"),
        "no locked database in the logs:\n{logs}"
    );
    app.outbox_drained(&organizer, &slug).await;
    let stats = app.stats(&organizer, &slug).await;
    assert_eq!(stats["by_status"]["confirmed"], 50, "{stats}");
}

#[allow(dead_code)]
fn _uses(_: Backend) {}
