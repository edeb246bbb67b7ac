//! Webhooks: a receiver on loopback gets each change once, signed, in order for each
//! registration, again after it was down for a while; an address into the server's own network
//! is refused without `CONVENE_WEBHOOK_ALLOW_PRIVATE`.

use crate::on_both_backends;
use crate::support::{spawn_app, spawn_app_with, Backend, TestApp};
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;
use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicU16, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One request the receiver got: its headers (lower-case names), body, and what it answered.
#[derive(Debug, Clone)]
struct Received {
    headers: HashMap<String, String>,
    body: String,
    answered: u16,
}

/// A webhook receiver on loopback: a plain HTTP server that keeps every request and answers
/// with the status it is set to.
struct Receiver {
    url: String,
    answer: Arc<AtomicU16>,
    /// How long it takes to answer, in milliseconds (one request at a time).
    delay: Arc<AtomicU64>,
    got: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/hooks/convene", listener.local_addr().unwrap());
        let answer = Arc::new(AtomicU16::new(200));
        let delay = Arc::new(AtomicU64::new(0));
        let got: Arc<Mutex<Vec<Received>>> = Arc::default();
        let (status, kept, slow) = (answer.clone(), got.clone(), delay.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut headers = HashMap::new();
                let mut line = String::new();
                reader.read_line(&mut line).unwrap_or(0);
                loop {
                    line.clear();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
                        break;
                    }
                    if let Some((name, value)) = line.split_once(':') {
                        headers.insert(name.trim().to_lowercase(), value.trim().to_owned());
                    }
                }
                let length: usize = headers
                    .get("content-length")
                    .and_then(|l| l.parse().ok())
                    .unwrap_or(0);
                let mut body = vec![0; length];
                reader.read_exact(&mut body).unwrap_or(());
                std::thread::sleep(Duration::from_millis(slow.load(Ordering::SeqCst)));
                let answered = status.load(Ordering::SeqCst);
                kept.lock().unwrap().push(Received {
                    headers,
                    body: String::from_utf8_lossy(&body).into_owned(),
                    answered,
                });
                let mut stream = stream;
                let _ = write!(
                    stream,
                    "HTTP/1.1 {answered} X\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
                );
            }
        });
        Self {
            url,
            answer,
            delay,
            got,
        }
    }

    /// The requests answered 200, once there are `n` of them; fails after ten seconds.
    async fn accepted(&self, n: usize) -> Vec<Received> {
        let started = Instant::now();
        loop {
            let accepted: Vec<Received> = self
                .got
                .lock()
                .unwrap()
                .iter()
                .filter(|r| r.answered == 200)
                .cloned()
                .collect();
            if accepted.len() >= n {
                return accepted;
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "{} of {n} deliveries arrived: {:?}",
                accepted.len(),
                accepted.iter().map(|r| &r.body).collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// Checks the signature as a receiver would: HMAC-SHA256 of "t.body" under the secret.
fn signed(received: &Received, secret: &str) -> bool {
    let header = &received.headers["convene-signature"];
    let (Some(t), Some(v1)) = (
        header.split(',').find_map(|p| p.strip_prefix("t=")),
        header.split(',').find_map(|p| p.strip_prefix("v1=")),
    ) else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.{}", received.body).as_bytes());
    let expected = hex::encode(mac.finalize().into_bytes());
    let fresh = chrono::Utc::now().timestamp() - t.parse::<i64>().unwrap() < 60;
    expected == v1 && fresh
}

/// Each registration's events as they arrived, by registration id.
fn by_registration(received: &[Received]) -> HashMap<String, Vec<String>> {
    let mut events: HashMap<String, Vec<String>> = HashMap::new();
    for r in received {
        let body: Value = serde_json::from_str(&r.body).unwrap();
        if let Some(id) = body["registration"]["id"].as_str() {
            events
                .entry(id.to_owned())
                .or_default()
                .push(body["event"].as_str().unwrap().to_owned());
        }
    }
    events
}

async fn id_of(app: &TestApp, manage: &str) -> String {
    app.get("/api/v1/registration", Some(manage)).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

on_both_backends!(a_receiver_gets_each_change_once_signed_and_in_order_even_after_an_outage);
async fn a_receiver_gets_each_change_once_signed_and_in_order_even_after_an_outage(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = app.meeting(&organizer, json!({"capacity": 1})).await;
    let receiver = Receiver::start();
    let events = [
        "registration.created",
        "registration.confirmed",
        "registration.waitlisted",
        "registration.cancelled",
    ];
    let created = app
        .post(
            &format!("/api/v1/meetings/{slug}/webhooks"),
            Some(&organizer),
            json!({"url": receiver.url, "events": events}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let secret = created.body["secret"].as_str().unwrap().to_owned();
    let hook = created.body["id"].as_str().unwrap().to_owned();

    // Ana takes the one seat, Luis waits, Ana cancels and Luis gets her seat.
    let ana = app
        .register_and_read_token(&slug, TestApp::registration_body("ana@example.org"))
        .await;
    app.confirm(&ana).await;
    let luis = app
        .register_and_read_token(&slug, TestApp::registration_body("luis@example.org"))
        .await;
    app.confirm(&luis).await;
    let ana_manage = app.smtp.wait_for("ana@example.org", 2).await[1].manage_token();
    let luis_manage = app.smtp.wait_for("luis@example.org", 2).await[1].manage_token();
    let (ana_id, luis_id) = (
        id_of(&app, &ana_manage).await,
        id_of(&app, &luis_manage).await,
    );
    let cancelled = app
        .post("/api/v1/registration/cancel", Some(&ana_manage), json!({}))
        .await;
    assert_eq!(cancelled.status, 200, "{}", cancelled.text);
    let received = receiver.accepted(6).await;
    let order = by_registration(&received);
    assert_eq!(
        order[&ana_id],
        [
            "registration.created",
            "registration.confirmed",
            "registration.cancelled"
        ]
    );
    assert_eq!(
        order[&luis_id],
        [
            "registration.created",
            "registration.waitlisted",
            "registration.confirmed"
        ]
    );
    let mut ids = HashSet::new();
    for r in &received {
        assert!(signed(r, &secret), "a valid signature: {r:?}");
        let body: Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(
            body["id"], r.headers["convene-delivery"],
            "the id is signed too"
        );
        assert_eq!(body["event"], r.headers["convene-event"]);
        assert!(
            ids.insert(r.headers["convene-delivery"].clone()),
            "each once"
        );
        assert!(!r.body.contains("example.org"), "no address in a delivery");
    }

    // The receiver is down a while: the deliveries wait, then arrive in order, once each.
    receiver.answer.store(503, Ordering::SeqCst);
    let eva = app
        .register_and_read_token(&slug, TestApp::registration_body("eva@example.org"))
        .await;
    app.confirm(&eva).await;
    let failing = Instant::now();
    while receiver
        .got
        .lock()
        .unwrap()
        .iter()
        .filter(|r| r.answered == 503)
        .count()
        < 3
    {
        assert!(
            failing.elapsed() < Duration::from_secs(10),
            "the worker retries"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    receiver.answer.store(200, Ordering::SeqCst);
    let received = receiver.accepted(8).await;
    let eva_manage = app.smtp.wait_for("eva@example.org", 2).await[1].manage_token();
    let order = by_registration(&received);
    assert_eq!(
        order[&id_of(&app, &eva_manage).await],
        ["registration.created", "registration.waitlisted"]
    );
    let delivered: Vec<&String> = received
        .iter()
        .map(|r| &r.headers["convene-delivery"])
        .collect();
    assert_eq!(
        delivered.len(),
        delivered.iter().collect::<HashSet<_>>().len(),
        "none twice"
    );

    // The organizer sees the deliveries; removed, the webhook gets nothing more.
    let listed = app
        .get(
            &format!("/api/v1/meetings/{slug}/webhooks"),
            Some(&organizer),
        )
        .await;
    assert_eq!(listed.status, 200);
    assert!(!listed.text.contains(&secret), "the secret is shown once");
    let deliveries = listed.body["items"][0]["deliveries"].as_array().unwrap();
    assert!(deliveries.iter().all(|d| d["status"] == "sent"));
    assert!(deliveries.iter().any(|d| d["attempts"].as_i64() > Some(1)));
    let removed = app
        .delete(
            &format!("/api/v1/meetings/{slug}/webhooks/{hook}"),
            Some(&organizer),
        )
        .await;
    assert_eq!(removed.status, 204);
    let before = receiver.got.lock().unwrap().len();
    app.register_and_read_token(&slug, TestApp::registration_body("late@example.org"))
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(receiver.got.lock().unwrap().len(), before);
}

on_both_backends!(a_webhook_into_the_server_s_network_is_refused_without_the_setting);
async fn a_webhook_into_the_server_s_network_is_refused_without_the_setting(backend: Backend) {
    let app = spawn_app_with(backend, |s| s.webhook_allow_private = false).await;
    let organizer = app.organizer().await;
    let slug = app.meeting(&organizer, json!({})).await;
    let path = format!("/api/v1/meetings/{slug}/webhooks");
    for url in [
        "http://127.0.0.1:9/hook",
        "http://localhost:9/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]:9/hook",
        "http://10.0.0.8/hook",
    ] {
        let refused = app
            .post(
                &path,
                Some(&organizer),
                json!({"url": url, "events": ["registration.created"]}),
            )
            .await;
        assert_eq!(refused.status, 422, "{url}: {}", refused.text);
        assert_eq!(refused.field_errors(), ["url"], "{url}");
        assert!(refused.text.contains("private_address"), "{}", refused.text);
    }
    let both = app
        .post(
            &path,
            Some(&organizer),
            json!({"url": "ftp://example.org/x", "events": ["registration.paid"]}),
        )
        .await;
    assert_eq!(both.status, 422);
    assert_eq!(
        both.field_errors(),
        ["url", "events"],
        "every bad field at once"
    );
    let listed = app.get(&path, Some(&organizer)).await;
    assert_eq!(listed.body["items"], json!([]), "nothing was registered");
}

on_both_backends!(the_webhooks_tab_adds_shows_deliveries_and_removes);
async fn the_webhooks_tab_adds_shows_deliveries_and_removes(backend: Backend) {
    use crate::support::html::{assert_sound, csrf_of, organizer_session, with_cookie};
    use reqwest::Method;
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = app.meeting(&organizer, json!({})).await;
    let receiver = Receiver::start();
    let cookie = organizer_session(&app).await;
    let tab = format!("/organizer/m/{slug}/webhooks");
    let page = with_cookie(&app, Method::GET, &format!("{tab}?lang=es"), &cookie, &[]).await;
    assert_eq!(page.status, 200);
    assert_sound(&page, "the webhooks tab");
    assert!(page.body.contains("Todavía no hay avisos configurados."));
    let csrf = csrf_of(&page);

    // Without an event: the form comes back naming the field, and nothing is added.
    let refused = with_cookie(
        &app,
        Method::POST,
        &format!("{tab}?lang=es"),
        &cookie,
        &[("csrf", csrf.as_str()), ("url", receiver.url.as_str())],
    )
    .await;
    assert_eq!(refused.status, 422);
    assert!(
        refused.body.contains(">Eventos que se envían</a>"),
        "the field is named"
    );
    let added = with_cookie(
        &app,
        Method::POST,
        &format!("{tab}?lang=es"),
        &cookie,
        &[
            ("csrf", csrf.as_str()),
            ("url", receiver.url.as_str()),
            ("event_registration.created", "on"),
        ],
    )
    .await;
    assert_eq!(added.status, 201, "{}", added.body.len());
    assert_sound(&added, "the tab with a new webhook");
    let secret = added
        .body
        .split("<code>")
        .find_map(|part| part.strip_prefix("whsec_"))
        .and_then(|rest| rest.split('<').next())
        .map(|rest| format!("whsec_{rest}"))
        .expect("the secret is shown once");

    // A registration is delivered, and the tab shows it sent; the secret is not shown again.
    app.register_and_read_token(&slug, TestApp::registration_body("rosa@example.org"))
        .await;
    let delivered = receiver.accepted(1).await;
    assert!(signed(&delivered[0], &secret));
    let started = Instant::now();
    let page = loop {
        let page = with_cookie(&app, Method::GET, &format!("{tab}?lang=es"), &cookie, &[]).await;
        if page.body.contains("<td data-label=\"Estado\">sent</td>") {
            break page;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the delivery shows as sent"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(!page.body.contains(&secret));
    let hook = app
        .get(
            &format!("/api/v1/meetings/{slug}/webhooks"),
            Some(&organizer),
        )
        .await
        .body["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let removed = with_cookie(
        &app,
        Method::POST,
        &format!("{tab}/{hook}/remove"),
        &cookie,
        &[("csrf", csrf.as_str())],
    )
    .await;
    assert_eq!(removed.status, 303);
    let listed = app
        .get(
            &format!("/api/v1/meetings/{slug}/webhooks"),
            Some(&organizer),
        )
        .await;
    assert_eq!(listed.body["items"], json!([]));
}

on_both_backends!(a_slow_receiver_does_not_hold_back_another_webhook);
async fn a_slow_receiver_does_not_hold_back_another_webhook(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = app.meeting(&organizer, json!({})).await;
    let (slow, quick) = (Receiver::start(), Receiver::start());
    slow.delay.store(12_000, Ordering::SeqCst);
    for receiver in [&slow, &quick] {
        let created = app
            .post(
                &format!("/api/v1/meetings/{slug}/webhooks"),
                Some(&organizer),
                json!({"url": receiver.url,
                    "events": ["registration.created", "registration.confirmed"]}),
            )
            .await;
        assert_eq!(created.status, 201, "{}", created.text);
    }
    let token = app
        .register_and_read_token(&slug, TestApp::registration_body("ana@example.org"))
        .await;
    app.confirm(&token).await;
    // Both events reach the quick receiver while the slow one still holds the first: each
    // delivery is recorded when answered, not when the others of its claim are. (Waited for up
    // to 6 s: the slow receiver answers after 12.)
    let started = Instant::now();
    while quick.got.lock().unwrap().len() < 2 {
        assert!(
            started.elapsed() < Duration::from_secs(6),
            "the quick receiver waits on the slow one"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        slow.got.lock().unwrap().is_empty(),
        "the slow one has not answered yet"
    );
}
