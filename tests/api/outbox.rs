//! The outbox: an SMTP outage loses nothing and sends nothing twice; hopeless emails die visibly.

use crate::on_both_backends;
use crate::support::Backend;
use crate::support::{spawn_app, spawn_app_with, SmtpSink, TestApp};
use serde_json::json;
use std::collections::HashSet;
use std::time::Duration;

on_both_backends!(registrations_succeed_while_smtp_is_down_and_mail_follows);
async fn registrations_succeed_while_smtp_is_down_and_mail_follows(backend: Backend) {
    let (port, start_smtp) = SmtpSink::reserve();
    let app = spawn_app_with(backend, |s| s.mail_url = format!("smtp://127.0.0.1:{port}")).await;
    let organizer = app.organizer().await;
    let slug = app.meeting(&organizer, json!({})).await;
    for i in 0..8 {
        let answer = app
            .register(
                &slug,
                TestApp::registration_body(&format!("down{i}@example.org")),
            )
            .await;
        assert_eq!(answer.status, 202);
    }
    // Several attempts fail while nothing listens.
    tokio::time::sleep(Duration::from_millis(600)).await;
    let stats = app.stats(&organizer, &slug).await;
    assert_eq!(stats["emails"]["pending"], 8);
    assert_eq!(stats["by_status"]["pending_email"], 8);

    let smtp = start_smtp();
    let mails = smtp.wait_for_total(8).await;
    app.outbox_drained(&organizer, &slug).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mails_later = smtp.all();
    assert_eq!(mails_later.len(), 8, "nothing was sent twice");
    let recipients: HashSet<_> = mails.iter().flat_map(|m| m.to.clone()).collect();
    assert_eq!(recipients.len(), 8);
    // And the links in them work.
    let token = mails[0].confirm_token();
    assert_eq!(app.confirm(&token).await.body["status"], "confirmed");
}

on_both_backends!(a_refusing_server_delays_mail_and_hopeless_mail_dies);
async fn a_refusing_server_delays_mail_and_hopeless_mail_dies(backend: Backend) {
    let app = spawn_app_with(backend, |s| s.worker.max_attempts = 3).await;
    let organizer = app.organizer().await;
    let slug = app.meeting(&organizer, json!({})).await;
    app.smtp.refuse(true);
    app.register(&slug, TestApp::registration_body("late@example.org"))
        .await;
    let started = std::time::Instant::now();
    loop {
        let stats = app.stats(&organizer, &slug).await;
        if stats["emails"]["dead"] == 1 {
            assert_eq!(stats["emails"]["pending"], 0);
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "{stats}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    app.smtp.refuse(false);
    app.register(&slug, TestApp::registration_body("ok@example.org"))
        .await;
    app.smtp.wait_for("ok@example.org", 1).await;
    assert!(app.smtp.to("late@example.org").is_empty());
}

on_both_backends!(the_mail_worker_gives_way_to_requests);
async fn the_mail_worker_gives_way_to_requests(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = app.meeting(&organizer, json!({})).await;
    app.register(&slug, TestApp::registration_body("nice@example.org"))
        .await;
    app.smtp.wait_for("nice@example.org", 1).await;
    // The worker's own thread and the threads it read and wrote on, by their nice value.
    let threads = threads_by_name();
    let mail: Vec<i64> = threads
        .iter()
        .filter(|(name, _)| name == "convene-mail")
        .map(|(_, nice)| *nice)
        .collect();
    assert!(
        mail.len() >= 2,
        "the worker and its database threads: {threads:?}"
    );
    assert!(mail.iter().all(|&nice| nice == 10), "{threads:?}");
    assert!(
        threads
            .iter()
            .any(|(name, nice)| name != "convene-mail" && *nice == 0),
        "{threads:?}"
    );
}

/// This process's threads: name and nice value, from /proc.
fn threads_by_name() -> Vec<(String, i64)> {
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter_map(|task| {
            let path = task.ok()?.path();
            let name = std::fs::read_to_string(path.join("comm")).ok()?;
            let stat = std::fs::read_to_string(path.join("stat")).ok()?;
            // Fields after the parenthesised name; nice is the 19th field of the whole line.
            let rest = &stat[stat.rfind(')')? + 2..];
            let nice = rest.split(' ').nth(16)?.parse().ok()?;
            Some((name.trim().to_owned(), nice))
        })
        .collect()
}
