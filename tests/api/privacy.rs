//! Data protection: a participant deletes their own data; a meeting's personal data is purged
//! after it ends, keeping anonymous counts.

use crate::helpers::{spawn_app, spawn_app_with, TestApp};
use crate::on_both_backends;
use crate::pages::{fetch, post_form};
use diesel::prelude::*;
use serde_json::json;
use std::time::Duration;

fn rows_mentioning(app: &TestApp, address: &str) -> i64 {
    use convene::schema::{outbox, registrations};
    let mut conn = app.db.connect();
    let in_registrations: i64 = registrations::table
        .filter(registrations::email.eq(address))
        .count()
        .get_result(&mut conn)
        .unwrap();
    let in_outbox: i64 = outbox::table
        .filter(outbox::recipient.eq(address))
        .count()
        .get_result(&mut conn)
        .unwrap();
    in_registrations + in_outbox
}

async fn confirmed(app: &TestApp, slug: &str, email: &str) -> String {
    let mut body = TestApp::registration_body(email);
    body["consent_press_listing"] = json!(true);
    let token = app.register_and_read_token(slug, body).await;
    app.confirm(&token).await;
    app.smtp.wait_for(email, 2).await[1].manage_token()
}

on_both_backends! {
    async fn participants_delete_their_own_data(backend) {
        let app = spawn_app(backend).await;
        let organizer = app.organizer().await;
        let slug = app.meeting(&organizer, json!({"capacity": 1})).await;
        let ana = confirmed(&app, &slug, "ana@example.org").await;
        let beto = confirmed(&app, &slug, "beto@example.org").await;
        assert_eq!(app.get("/api/v1/registration", Some(&beto)).await.body["status"], "waitlisted");

        let deleted = app.call(reqwest::Method::DELETE, "/api/v1/registration", Some(&ana), None).await;
        assert_eq!(deleted.status, 204);
        assert_eq!(app.get("/api/v1/registration", Some(&ana)).await.status, 401, "the link is gone with the data");
        assert_eq!(rows_mentioning(&app, "ana@example.org"), 0, "no row holds the address");
        let promoted = app.smtp.wait_for("beto@example.org", 3).await.remove(2);
        assert!(promoted.subject.starts_with("Se liberó un lugar"));
        // Its link replaced the earlier one.
        let beto = promoted.manage_token();
        assert_eq!(app.get("/api/v1/registration", Some(&beto)).await.body["status"], "confirmed", "the freed seat went on");

        // From the page, with a confirmation step.
        let question = fetch(&app, &format!("/manage/{beto}/delete"), None).await;
        assert!(question.body.contains("It cannot be undone."));
        assert_eq!(app.get("/api/v1/registration", Some(&beto)).await.status, 200, "asking deletes nothing");
        let done = post_form(&app, &format!("/manage/{beto}/delete"), &[]).await;
        assert!(done.body.contains("Your registration and your data have been deleted."));
        assert_eq!(rows_mentioning(&app, "beto@example.org"), 0);
        assert!(app.registrations(&organizer, &slug, "").await.is_empty());
        app.outbox_drained(&organizer, &slug).await;
    }

    async fn requests_racing_a_deletion_are_answered_401_not_404(backend) {
        // A request whose token was checked just before the registration was deleted finds
        // nothing behind it; the contract's answer for a token that stands for nothing is 401.
        let app = spawn_app(backend).await;
        let organizer = app.organizer().await;
        let slug = app.meeting(&organizer, json!({})).await;
        let mut seen = std::collections::BTreeMap::<u16, usize>::new();
        for round in 0..6 {
            let manage = confirmed(&app, &slug, &format!("p{round}@example.org")).await;
            let requests = (0..36).map(|i| {
                let (app, manage) = (&app, manage.clone());
                async move {
                    let answer = match i % 3 {
                        _ if i == 12 => app.call(reqwest::Method::DELETE, "/api/v1/registration", Some(&manage), None).await,
                        0 => app.get("/api/v1/registration", Some(&manage)).await,
                        1 => app.patch("/api/v1/registration", Some(&manage), json!({"job_title": format!("Enlace {i}")})).await,
                        _ => app.get("/api/v1/registration/calendar.ics", Some(&manage)).await,
                    };
                    (i, answer.status, answer.text)
                }
            });
            for (i, status, text) in futures::future::join_all(requests).await {
                let allowed: &[u16] = if i == 12 { &[204] } else { &[200, 401] };
                assert!(allowed.contains(&status), "request {i} answered {status}: {text}");
                *seen.entry(status).or_default() += 1;
            }
        }
        assert!(seen.contains_key(&401), "some requests came after the deletion: {seen:?}");
    }

    async fn ended_meetings_are_purged_by_the_command_keeping_counts(backend) {
        let app = spawn_app(backend).await;
        let organizer = app.organizer().await;
        let old = app.meeting(&organizer, json!({"capacity": 1})).await;
        let recent = app.meeting(&organizer, json!({})).await;
        confirmed(&app, &old, "ana@example.org").await;
        confirmed(&app, &old, "beto@example.org").await;
        confirmed(&app, &recent, "carla@example.org").await;
        app.outbox_drained(&organizer, &old).await;
        let moved = app.patch(&format!("/api/v1/meetings/{old}"), Some(&organizer), json!({
            "starts_at": "2020-01-10T09:00:00-06:00", "ends_at": "2020-01-11T18:00:00-06:00", "registration_closes_at": null
        })).await;
        assert_eq!(moved.status, 200, "{}", moved.text);
        let before = app.stats(&organizer, &old).await;

        let output = std::process::Command::new(env!("CARGO_BIN_EXE_convene"))
            .args(["purge", "--database-url", app.db.url(), "--days", "30"])
            .env("RUST_LOG", "warn")
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        assert!(String::from_utf8_lossy(&output.stdout).contains("purged the personal data of 1 meeting"));

        assert!(app.registrations(&organizer, &old, "").await.is_empty());
        assert_eq!(rows_mentioning(&app, "ana@example.org") + rows_mentioning(&app, "beto@example.org"), 0);
        let after = app.stats(&organizer, &old).await;
        assert_eq!(after["by_status"], before["by_status"], "the counts stay");
        assert_eq!(after["by_status"]["confirmed"], 1);
        assert_eq!(after["press"]["attendees"], 1);
        assert!(app.get(&format!("/api/v1/meetings/{old}/attendees"), Some(&organizer)).await.body["items"].as_array().unwrap().is_empty());
        assert_eq!(app.registrations(&organizer, &recent, "").await.len(), 1, "a meeting still to come keeps its data");
    }

    async fn the_worker_purges_on_its_own(backend) {
        let app = spawn_app_with(backend, |s| {
            s.worker.purge_after_days = 30;
            s.worker.housekeeping_interval = Duration::from_millis(100);
        }).await;
        let organizer = app.organizer().await;
        let slug = app.meeting(&organizer, json!({})).await;
        confirmed(&app, &slug, "ana@example.org").await;
        app.patch(&format!("/api/v1/meetings/{slug}"), Some(&organizer), json!({
            "starts_at": "2020-01-10T09:00:00-06:00", "ends_at": "2020-01-11T18:00:00-06:00", "registration_closes_at": null
        })).await;
        let started = std::time::Instant::now();
        while !app.registrations(&organizer, &slug, "").await.is_empty() {
            assert!(started.elapsed() < Duration::from_secs(10), "the worker purged the meeting");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(app.stats(&organizer, &slug).await["by_status"]["confirmed"], 1);
    }
}
