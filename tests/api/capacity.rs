//! Seats under concurrency: capacity and per-organisation limits are never exceeded, and the
//! waiting list is served first come, first served.

use crate::on_both_backends;
use crate::support::process::{handle, ServerProcess};
use crate::support::{spawn_app, Backend, SmtpSink, TestApp, TestDb};
use futures::future::join_all;
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};

fn body(i: usize, organization: usize) -> Value {
    let mut body = TestApp::registration_body(&format!("p{i:03}@example.org"));
    body["full_name"] = json!(format!("Participante {i}"));
    body["organization"]["name"] = json!(format!("Centro {organization}"));
    body
}

/// Registers everyone (concurrently) and collects their confirm tokens from the emails.
async fn register_all(app: &TestApp, slug: &str, people: &[(usize, usize)]) -> Vec<String> {
    let answers = join_all(
        people
            .iter()
            .map(|&(i, org)| app.register(slug, body(i, org))),
    )
    .await;
    assert!(answers.iter().all(|a| a.status == 202));
    app.smtp.wait_for_total(people.len()).await;
    people
        .iter()
        .map(|&(i, _)| app.smtp.to(&format!("p{i:03}@example.org"))[0].confirm_token())
        .collect()
}

fn positions(registrations: &[Value]) -> Vec<i64> {
    let mut positions: Vec<i64> = registrations
        .iter()
        .filter_map(|r| r["waitlist_position"].as_i64())
        .collect();
    positions.sort();
    positions
}

/// The waiting-list email each waitlisted participant got names the place the list now shows.
async fn assert_fifo(app: &TestApp, registrations: &[Value]) {
    for registration in registrations.iter().filter(|r| r["status"] == "waitlisted") {
        let email = registration["email"].as_str().unwrap();
        let mails = app.smtp.wait_for(email, 2).await;
        let position = registration["waitlist_position"].as_i64().unwrap();
        assert!(
            mails[1]
                .text
                .contains(&format!("número {position} en la lista")),
            "{email}: {}",
            mails[1].text
        );
    }
}

on_both_backends!(two_hundred_confirmations_for_fifty_seats);
async fn two_hundred_confirmations_for_fifty_seats(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = app.meeting(&organizer, json!({"capacity": 50})).await;
    let people: Vec<(usize, usize)> = (0..200).map(|i| (i, i)).collect();
    let tokens = register_all(&app, &slug, &people).await;

    let answers = join_all(tokens.iter().map(|t| app.confirm(t))).await;
    assert!(
        answers.iter().all(|a| a.status == 200),
        "every confirmation answered 200"
    );

    let all = app.registrations(&organizer, &slug, "").await;
    let count = |status: &str| all.iter().filter(|r| r["status"] == status).count();
    assert_eq!((count("confirmed"), count("waitlisted")), (50, 150));
    assert_eq!(positions(&all), (1..=150).collect::<Vec<_>>());
    assert_eq!(app.stats(&organizer, &slug).await["seats_left"], 0);
    app.smtp.wait_for_total(400).await;
    assert_fifo(&app, &all).await;

    // One cancellation promotes exactly the head of the list, and emails them.
    let head = all.iter().find(|r| r["waitlist_position"] == 1).unwrap();
    let head_email = head["email"].as_str().unwrap().to_owned();
    let leaving = all.iter().find(|r| r["status"] == "confirmed").unwrap();
    let cancel = app
        .post(
            &format!(
                "/api/v1/meetings/{slug}/registrations/{}/cancel",
                leaving["id"].as_str().unwrap()
            ),
            Some(&organizer),
            json!({}),
        )
        .await;
    assert_eq!(cancel.status, 200);
    let promoted = app.smtp.wait_for(&head_email, 3).await.remove(2);
    assert!(promoted.subject.starts_with("Se liberó un lugar"));
    let after = app.registrations(&organizer, &slug, "").await;
    let status_of =
        |email: &str| after.iter().find(|r| r["email"] == email).unwrap()["status"].clone();
    assert_eq!(status_of(&head_email), "confirmed");
    assert_eq!(
        after.iter().filter(|r| r["status"] == "confirmed").count(),
        50
    );
    assert_eq!(positions(&after), (1..=149).collect::<Vec<_>>());
    // Everyone else who moved up kept their order.
    for r in after.iter().filter(|r| r["status"] == "waitlisted") {
        let before = all.iter().find(|b| b["id"] == r["id"]).unwrap();
        assert_eq!(
            r["waitlist_position"].as_i64().unwrap(),
            before["waitlist_position"].as_i64().unwrap() - 1
        );
    }
    let stats = app.outbox_drained(&organizer, &slug).await;
    assert_eq!(stats["emails"]["sent"], 402);
}

on_both_backends!(per_organization_limits_hold_under_concurrency);
async fn per_organization_limits_hold_under_concurrency(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = app
        .meeting(
            &organizer,
            json!({"capacity": null, "per_organization_limit": 3}),
        )
        .await;
    let people: Vec<(usize, usize)> = (0..60).map(|i| (i, i % 10)).collect();
    let tokens = register_all(&app, &slug, &people).await;
    join_all(tokens.iter().map(|t| app.confirm(t))).await;

    let all = app.registrations(&organizer, &slug, "").await;
    let mut confirmed_by_org: HashMap<String, usize> = HashMap::new();
    for r in all.iter().filter(|r| r["status"] == "confirmed") {
        *confirmed_by_org
            .entry(r["organization"]["name"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    assert_eq!(confirmed_by_org.len(), 10);
    assert!(
        confirmed_by_org.values().all(|&n| n == 3),
        "{confirmed_by_org:?}"
    );
    assert_eq!(positions(&all), (1..=30).collect::<Vec<_>>());
    assert!(app.stats(&organizer, &slug).await["seats_left"].is_null());

    // A seat freed in one organisation goes to the first waiting person of that one.
    let leaving = all
        .iter()
        .find(|r| r["status"] == "confirmed" && r["organization"]["name"] == "Centro 7")
        .unwrap();
    let next_of_org = all
        .iter()
        .filter(|r| r["status"] == "waitlisted" && r["organization"]["name"] == "Centro 7")
        .min_by_key(|r| r["waitlist_position"].as_i64())
        .unwrap();
    app.post(
        &format!(
            "/api/v1/meetings/{slug}/registrations/{}/cancel",
            leaving["id"].as_str().unwrap()
        ),
        Some(&organizer),
        json!({}),
    )
    .await;
    let after = app
        .registrations(&organizer, &slug, "status=confirmed")
        .await;
    assert!(after.iter().any(|r| r["id"] == next_of_org["id"]));
    assert_eq!(after.len(), 30);
    app.outbox_drained(&organizer, &slug).await;
}

on_both_backends!(raising_capacity_fills_seats_from_the_waiting_list);
async fn raising_capacity_fills_seats_from_the_waiting_list(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = app.meeting(&organizer, json!({"capacity": 1})).await;
    let people: Vec<(usize, usize)> = (0..4).map(|i| (i, i)).collect();
    let tokens = register_all(&app, &slug, &people).await;
    for token in &tokens {
        app.confirm(token).await;
    }
    let raised = app
        .patch(
            &format!("/api/v1/meetings/{slug}"),
            Some(&organizer),
            json!({"capacity": 3}),
        )
        .await;
    assert_eq!(
        (raised.status, raised.body["seats_left"].as_i64()),
        (200, Some(0))
    );
    let confirmed: HashSet<String> = app
        .registrations(&organizer, &slug, "status=confirmed")
        .await
        .iter()
        .map(|r| r["email"].as_str().unwrap().to_owned())
        .collect();
    let expected: HashSet<String> = (0..3).map(|i| format!("p{i:03}@example.org")).collect();
    assert_eq!(confirmed, expected);
    app.outbox_drained(&organizer, &slug).await;
}

/// Two `convene` processes on one PostgreSQL database, each with its pools and email worker:
/// registrations and confirmations go to both at once.
#[actix_web::test]
async fn two_servers_on_one_postgres_never_oversell_or_send_twice() {
    if crate::support::postgres_admin_url().is_none() {
        return;
    }
    let smtp = SmtpSink::start();
    let logs = tempfile::tempdir().unwrap();
    let db = TestDb::new(Backend::Postgres);
    let first = ServerProcess::start(db.url(), smtp.port, logs.path(), "info").await;
    let second = ServerProcess::start(db.url(), smtp.port, logs.path(), "info").await;
    let app = handle(db, smtp.clone(), &first.address);
    let organizer = app.organizer().await;
    let slug = app
        .meeting(
            &organizer,
            json!({"capacity": 10, "per_organization_limit": 4}),
        )
        .await;
    let client = reqwest::Client::new();
    let server = |i: usize| {
        if i.is_multiple_of(2) {
            &first.address
        } else {
            &second.address
        }
    };
    let registrations = (0..60).map(|i| {
        let request = client
            .post(format!(
                "{}/api/v1/meetings/{slug}/registrations",
                server(i)
            ))
            .json(&body(i, i % 5));
        async move { request.send().await.unwrap().status().as_u16() }
    });
    assert!(join_all(registrations).await.iter().all(|&s| s == 202));
    smtp.wait_for_total(60).await;
    let tokens: Vec<String> = (0..60)
        .map(|i| smtp.to(&format!("p{i:03}@example.org"))[0].confirm_token())
        .collect();
    let confirmations = tokens.iter().enumerate().map(|(i, token)| {
        let request = client
            .post(format!("{}/api/v1/registrations/confirm", server(i + 1)))
            .json(&json!({"token": token}));
        async move { request.send().await.unwrap().status().as_u16() }
    });
    assert!(join_all(confirmations).await.iter().all(|&s| s == 200));
    let all = app.registrations(&organizer, &slug, "").await;
    let confirmed: Vec<_> = all.iter().filter(|r| r["status"] == "confirmed").collect();
    assert_eq!(confirmed.len(), 10);
    let mut by_org: HashMap<&str, usize> = HashMap::new();
    for r in &confirmed {
        *by_org
            .entry(r["organization"]["name"].as_str().unwrap())
            .or_default() += 1;
    }
    assert!(by_org.values().all(|&n| n <= 4), "{by_org:?}");
    assert_eq!(positions(&all), (1..=50).collect::<Vec<_>>());
    app.outbox_drained(&organizer, &slug).await;
    let mails = smtp.all();
    assert_eq!(
        mails.len(),
        120,
        "one email per registration and one per decision"
    );
    let ids: HashSet<_> = mails.iter().map(|m| m.message_id.clone()).collect();
    assert_eq!(ids.len(), mails.len(), "no email was sent twice");
    for log in [first.logs(), second.logs()] {
        assert!(
            log.contains("email sent"),
            "both workers sent emails:\n{log}"
        );
    }
}
