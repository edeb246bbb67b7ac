//! Faults with real processes: the `convene` binary killed mid-load and restarted, and its logs
//! read for anything they must never hold.

use crate::helpers::{Backend, SmtpSink, TestApp, TestDb};
use crate::on_both_backends;
use crate::process::{handle, ServerProcess};
use futures::stream::{self, StreamExt};
use serde_json::json;
use std::collections::{HashMap, HashSet};
use std::time::Duration;

on_both_backends! {
    async fn a_killed_server_loses_no_acknowledged_registration_or_email(backend) {
        let smtp = SmtpSink::start();
        let logs = tempfile::tempdir().unwrap();
        let db = TestDb::new(backend);
        let mut first = ServerProcess::start(db.url(), smtp.port, logs.path(), "warn").await;
        let mut app = handle(db, smtp.clone(), &first.address);
        let organizer = app.organizer().await;
        let slug = app.meeting(&organizer, json!({"capacity": null})).await;

        // 300 registrations, 16 at a time; the server is killed after the 100th answer.
        let answered = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
        let address = first.address.clone();
        let load = {
            let (answered, slug) = (answered.clone(), slug.clone());
            tokio::spawn(async move {
                stream::iter(0..300)
                    .map(|i| {
                        let (client, address, slug, answered) = (client.clone(), address.clone(), slug.clone(), answered.clone());
                        async move {
                            let email = format!("k{i:03}@example.org");
                            let response = client.post(format!("{address}/api/v1/meetings/{slug}/registrations"))
                                .json(&TestApp::registration_body(&email)).send().await;
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
        let acknowledged: Vec<String> = results.iter().filter(|(_, s)| *s == 202).map(|(e, _)| e.clone()).collect();
        assert!(acknowledged.len() >= 100, "{} acknowledged before the kill", acknowledged.len());
        assert!(acknowledged.len() < 300, "the kill came mid-load");

        let second = ServerProcess::start(app.db.url(), smtp.port, logs.path(), "warn").await;
        app.address = second.address.clone();
        app.outbox_drained(&organizer, &slug).await;
        let stored: HashSet<String> = app.registrations(&organizer, &slug, "").await.iter().map(|r| r["email"].as_str().unwrap().to_owned()).collect();
        let mails = smtp.all();
        let mut ids_by_recipient: HashMap<String, HashSet<String>> = HashMap::new();
        for mail in &mails {
            ids_by_recipient.entry(mail.to[0].clone()).or_default().insert(mail.message_id.clone());
        }
        for email in &acknowledged {
            assert!(stored.contains(email), "{email} was acknowledged and is stored");
            assert_eq!(ids_by_recipient.get(email).map(HashSet::len), Some(1), "{email} got its one email");
        }
        let distinct: HashSet<&str> = mails.iter().map(|m| m.message_id.as_str()).collect();
        let twice = mails.len() - distinct.len();
        let _ = std::io::Write::write_all(&mut std::io::stderr(), format!(
            "\n[kill test {backend:?}] acknowledged {}, stored {}, emails {}, sent twice (same Message-ID) {twice}\n",
            acknowledged.len(), stored.len(), mails.len()).as_bytes());
        assert!(twice <= 16, "only emails in flight at the kill may repeat");
    }

    async fn logs_hold_no_address_token_or_password(backend) {
        let smtp = SmtpSink::start();
        let logs = tempfile::tempdir().unwrap();
        let db = TestDb::new(backend);
        let server = ServerProcess::start(db.url(), smtp.port, logs.path(), "debug").await;
        let app = handle(db, smtp.clone(), &server.address);
        let organizer = app.organizer().await;
        let slug = app.meeting(&organizer, json!({})).await;
        let confirm = app.register_and_read_token(&slug, TestApp::registration_body("secret.person@example.org")).await;
        app.confirm(&confirm).await;
        let manage = smtp.wait_for("secret.person@example.org", 2).await[1].manage_token();
        app.get("/api/v1/registration", Some(&manage)).await;
        app.client.get(format!("{}/manage/{manage}", app.address)).send().await.unwrap();
        app.client.get(format!("{}/confirm/{confirm}", app.address)).send().await.unwrap();
        let press = app.post(&format!("/api/v1/meetings/{slug}/press-tokens"), Some(&organizer), json!({"label": "EFE"})).await.body["token"].as_str().unwrap().to_owned();
        app.client.get(format!("{}/press/{press}", app.address)).send().await.unwrap();
        app.get(&format!("/api/v1/meetings/{slug}/attendees"), Some(&press)).await;
        app.post("/api/v1/auth/token", None, json!({"email": "secret.person@example.org", "password": "wrong password 123"})).await;
        app.outbox_drained(&organizer, &slug).await;
        let logs = server.logs();
        assert!(logs.contains("request") && logs.contains("email sent"), "the logs were captured: {}", &logs[..logs.len().min(2000)]);
        for secret in ["secret.person@example.org", &confirm, &manage, &press, &organizer, "wrong password 123", "a long organizer password", "Ana María"] {
            assert!(!logs.contains(secret), "the logs hold {secret}");
        }
        assert!(logs.contains("/manage/{token}"), "routes are logged by pattern");
    }
}

#[allow(dead_code)]
fn _uses(_: Backend) {}
