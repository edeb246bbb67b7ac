//! Guards against seats taken by script: a bound on the unconfirmed registrations one client
//! holds in a meeting, a honeypot field on the HTML form, and the organizer's approval past a
//! threshold of confirmed seats.

use crate::on_both_backends;
use crate::support::html::post_form;
use crate::support::Backend;
use crate::support::{spawn_app, spawn_app_with, TestApp};
use serde_json::json;

fn form(email: &str) -> Vec<(&'static str, String)> {
    [
        ("full_name", "Ana Pérez"),
        ("country", "MX"),
        ("language", "es"),
        ("organization", "other"),
        ("organization_name", "Centro"),
        ("organization_kind", "information_hub"),
        ("organization_country", "MX"),
        ("consent_data_processing", "on"),
    ]
    .into_iter()
    .map(|(k, v)| (k, v.to_owned()))
    .chain([("email", email.to_owned())])
    .collect()
}

on_both_backends!(one_client_has_few_registrations_accepted_per_meeting_and_hour);
async fn one_client_has_few_registrations_accepted_per_meeting_and_hour(backend: Backend) {
    let app = spawn_app_with(backend, |s| s.registrations_per_client = 3).await;
    let organizer = app.organizer().await;
    let slug = app.meeting(&organizer, json!({})).await;
    app.register_and_read_token(&slug, TestApp::registration_body("a@example.org"))
        .await;
    // A known address counts like a new one, so that the limit says nothing of who is
    // registered: the third attempt is the last, whichever addresses came before.
    assert_eq!(
        app.register(&slug, TestApp::registration_body("a@example.org"))
            .await
            .status,
        202
    );
    assert_eq!(
        app.register(&slug, TestApp::registration_body("b@example.org"))
            .await
            .status,
        202
    );
    for email in ["c@example.org", "a@example.org"] {
        let refused = app.register(&slug, TestApp::registration_body(email)).await;
        assert_eq!(
            (refused.status, refused.error_code()),
            (429, "rate_limited".to_owned()),
            "{email}"
        );
        let wait: u64 = refused.headers["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!(
            (3500..=3600).contains(&wait),
            "until the oldest attempt is an hour old: {wait}"
        );
    }
    let page = post_form(
        &app,
        &format!("/m/{slug}/register"),
        &form("d@example.org")
            .iter()
            .map(|(k, v)| (*k, v.as_str()))
            .collect::<Vec<_>>(),
    )
    .await;
    assert_eq!(page.status, 429, "the form too");
    // Another meeting has its own count.
    let other = app.meeting(&organizer, json!({})).await;
    assert_eq!(
        app.register(&other, TestApp::registration_body("c@example.org"))
            .await
            .status,
        202
    );

    // Only digests are kept, salted with the meeting (one client has other keys in other
    // meetings), and for an hour.
    use convene::schema::registration_attempts as a;
    use diesel::prelude::*;
    let mut conn = app.db.connect();
    let keys: Vec<(String, String)> = a::table
        .select((a::meeting_id, a::client_key))
        .load(&mut conn)
        .unwrap();
    assert_eq!(keys.len(), 4, "{keys:?}");
    let distinct: std::collections::HashSet<&String> = keys.iter().map(|(_, k)| k).collect();
    assert_eq!(distinct.len(), 2, "one key per meeting: {keys:?}");
    assert!(keys
        .iter()
        .all(|(_, k)| k.len() == 64 && k.bytes().all(|b| b.is_ascii_hexdigit())));
    diesel::update(a::table)
        .set(a::at.eq(convene::db::now() - chrono::Duration::minutes(61)))
        .execute(&mut conn)
        .unwrap();
    assert_eq!(
        app.register(&slug, TestApp::registration_body("c@example.org"))
            .await
            .status,
        202,
        "an hour later"
    );
    assert_eq!(
        convene::registrations::store::forget_attempts(&mut conn, convene::db::now()).unwrap(),
        4,
        "the old attempts are forgotten"
    );
    let emails: Vec<String> = app
        .registrations(&organizer, &slug, "")
        .await
        .iter()
        .map(|r| r["email"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(emails.len(), 3, "{emails:?}");
    assert!(!emails.contains(&"d@example.org".to_owned()));
}

on_both_backends!(a_form_filled_in_by_a_program_registers_nobody);
async fn a_form_filled_in_by_a_program_registers_nobody(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = app.meeting(&organizer, json!({})).await;
    let page = crate::support::html::fetch(&app, &format!("/m/{slug}/register"), None).await;
    assert!(
        page.body.contains("name=\"x_reference\"") && page.body.contains("tabindex=\"-1\""),
        "the trap is in the form"
    );
    let mut trapped = form("bot@example.org");
    trapped.push(("x_reference", "https://spam.example".to_owned()));
    let answer = post_form(
        &app,
        &format!("/m/{slug}/register"),
        &trapped
            .iter()
            .map(|(k, v)| (*k, v.as_str()))
            .collect::<Vec<_>>(),
    )
    .await;
    assert_eq!(answer.status, 200, "told what people are told");
    assert!(answer.body.contains("bot@example.org"));
    let person = post_form(
        &app,
        &format!("/m/{slug}/register"),
        &form("ana@example.org")
            .iter()
            .map(|(k, v)| (*k, v.as_str()))
            .collect::<Vec<_>>(),
    )
    .await;
    assert_eq!(person.status, 200);
    app.smtp.wait_for("ana@example.org", 1).await;
    app.outbox_drained(&organizer, &slug).await;
    let emails: Vec<String> = app
        .registrations(&organizer, &slug, "")
        .await
        .iter()
        .map(|r| r["email"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(emails, ["ana@example.org"]);
    assert!(app.smtp.to("bot@example.org").is_empty());
}

on_both_backends!(past_the_threshold_seats_wait_for_the_organizer);
async fn past_the_threshold_seats_wait_for_the_organizer(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = app
        .meeting(&organizer, json!({"capacity": 5, "approval_threshold": 3}))
        .await;
    assert_eq!(
        app.get(&format!("/api/v1/meetings/{slug}"), Some(&organizer))
            .await
            .body["approval_threshold"],
        3
    );
    let public = app
        .get(&format!("/api/v1/meetings/{slug}"), None)
        .await
        .body;
    assert!(
        public.get("approval_threshold").is_none(),
        "the public does not learn when approval starts: {public}"
    );
    // A script registering and confirming addresses of its own.
    for i in 0..5 {
        let token = app
            .register_and_read_token(
                &slug,
                TestApp::registration_body(&format!("bot{i}@example.org")),
            )
            .await;
        assert_eq!(app.confirm(&token).await.status, 200);
    }
    let stats = app.stats(&organizer, &slug).await;
    assert_eq!(
        (
            stats["by_status"]["confirmed"].as_i64(),
            stats["by_status"]["pending_approval"].as_i64()
        ),
        (Some(3), Some(2)),
        "{stats}"
    );
    assert_eq!(
        stats["seats_left"], 2,
        "the last seats are the organizer's to give"
    );
    let waiting = app
        .registrations(&organizer, &slug, "status=pending_approval")
        .await;
    let id = waiting[0]["id"].as_str().unwrap();
    let approved = app
        .post(
            &format!("/api/v1/meetings/{slug}/registrations/{id}/approve"),
            Some(&organizer),
            json!({}),
        )
        .await;
    assert_eq!(approved.body["status"], "confirmed");
    // The setting is changed like any other, and null turns it off.
    let changed = app
        .patch(
            &format!("/api/v1/meetings/{slug}"),
            Some(&organizer),
            json!({"approval_threshold": null}),
        )
        .await;
    assert_eq!(
        (changed.status, changed.body["approval_threshold"].clone()),
        (200, json!(null))
    );
    let token = app
        .register_and_read_token(&slug, TestApp::registration_body("late@example.org"))
        .await;
    assert_eq!(app.confirm(&token).await.body["status"], "confirmed");
    app.outbox_drained(&organizer, &slug).await;
}
