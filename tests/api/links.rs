//! The links in participants' emails: a confirm link is single-use and confirms only by a
//! deliberate POST; a registration has one live manage link, which its participant can stop;
//! registering a known address again emails its link at most once an hour; and nothing a
//! registration does makes PostgreSQL write an address into its own log.

use crate::on_both_backends;
use crate::support::html::{fetch, post_form};
use crate::support::process::PrivateCluster;
use crate::support::Backend;
use crate::support::{spawn_app, spawn_app_on, TestApp, TestDb};
use serde_json::json;

on_both_backends!(a_mail_scanner_opening_the_confirm_link_confirms_nothing);
async fn a_mail_scanner_opening_the_confirm_link_confirms_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = app.meeting(&organizer, json!({})).await;
    let token = app
        .register_and_read_token(&slug, TestApp::registration_body("ana@example.org"))
        .await;
    // Scanners fetch every link, sometimes several times, with GET and HEAD.
    for _ in 0..3 {
        assert_eq!(
            fetch(&app, &format!("/confirm/{token}"), None).await.status,
            200
        );
        let head = app
            .client
            .head(format!("{}/confirm/{token}", app.address))
            .send()
            .await
            .unwrap();
        assert!(head.status().as_u16() < 500);
    }
    assert_eq!(
        app.registrations(&organizer, &slug, "").await[0]["status"],
        "pending_email"
    );
    app.outbox_drained(&organizer, &slug).await;
    assert_eq!(app.smtp.to("ana@example.org").len(), 1, "no email either");
    // The participant's button, then the link is spent: on the page and in the API.
    let confirmed = post_form(&app, &format!("/confirm/{token}"), &[]).await;
    assert_eq!(confirmed.status, 200, "{}", confirmed.body);
    assert_eq!(
        post_form(&app, &format!("/confirm/{token}"), &[])
            .await
            .status,
        404
    );
    assert_eq!(app.confirm(&token).await.status, 404);
    assert_eq!(
        app.registrations(&organizer, &slug, "").await[0]["status"],
        "confirmed"
    );
}

on_both_backends!(two_requests_racing_with_one_confirm_link_confirm_once);
async fn two_requests_racing_with_one_confirm_link_confirm_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = app.meeting(&organizer, json!({})).await;
    let token = app
        .register_and_read_token(&slug, TestApp::registration_body("ana@example.org"))
        .await;
    let answers = futures::future::join_all((0..8).map(|_| app.confirm(&token))).await;
    let mut statuses: Vec<u16> = answers.iter().map(|a| a.status).collect();
    statuses.sort();
    assert_eq!(statuses, [200, 404, 404, 404, 404, 404, 404, 404]);
    app.outbox_drained(&organizer, &slug).await;
    assert_eq!(
        app.smtp.to("ana@example.org").len(),
        2,
        "one confirmation email"
    );
}

on_both_backends!(a_participant_stops_every_link_and_gets_a_new_one);
async fn a_participant_stops_every_link_and_gets_a_new_one(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = app.meeting(&organizer, json!({})).await;
    let token = app
        .register_and_read_token(&slug, TestApp::registration_body("ana@example.org"))
        .await;
    app.confirm(&token).await;
    let manage = app.smtp.wait_for("ana@example.org", 2).await[1].manage_token();
    let page = fetch(&app, &format!("/manage/{manage}"), None).await;
    assert!(
        page.body
            .contains(&format!("action=\"/manage/{manage}/sign-out\"")),
        "the page offers it"
    );

    // In English on purpose: the page speaks the participant's language (Spanish) otherwise.
    let done = post_form(&app, &format!("/manage/{manage}/sign-out?lang=en"), &[]).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(
        done.body.contains("A new one is on its way"),
        "{}",
        done.body
    );
    assert_eq!(
        app.get("/api/v1/registration", Some(&manage)).await.status,
        401
    );
    let stopped = fetch(&app, &format!("/manage/{manage}"), None).await;
    assert_eq!(stopped.status, 404);
    assert!(
        stopped.body.contains("a newer one has replaced it"),
        "{}",
        stopped.body
    );

    let mail = app.smtp.wait_for("ana@example.org", 3).await.remove(2);
    assert_eq!(
        mail.subject,
        "Su nuevo enlace: Intercambio regional de centros de información"
    );
    let fresh = mail.manage_token();
    assert_ne!(fresh, manage);
    let own = app.get("/api/v1/registration", Some(&fresh)).await;
    assert_eq!(
        (own.status, own.body["status"].as_str()),
        (200, Some("confirmed")),
        "signing out cancels nothing"
    );
}

on_both_backends!(registering_a_known_address_again_emails_it_once_an_hour);
async fn registering_a_known_address_again_emails_it_once_an_hour(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = app.meeting(&organizer, json!({})).await;
    app.register_and_read_token(&slug, TestApp::registration_body("victim@example.org"))
        .await;
    // Ten strangers, each answered exactly as for a new address.
    for i in 0..10 {
        let mut body = TestApp::registration_body("victim@example.org");
        body["full_name"] = json!(format!("Stranger {i}"));
        let answer = app.register(&slug, body).await;
        assert_eq!(
            (answer.status, answer.body.clone()),
            (202, json!({"status": "pending_email"}))
        );
    }
    app.outbox_drained(&organizer, &slug).await;
    let mails = app.smtp.to("victim@example.org");
    assert_eq!(
        mails.len(),
        2,
        "the confirmation and one reminder of the link, not ten"
    );
    assert!(!mails[1].text.contains("Stranger"));
    assert_eq!(
        app.registrations(&organizer, &slug, "").await[0]["full_name"],
        "Ana María Pérez"
    );
}

/// PostgreSQL writes the key of a failed unique insert into its server log (`DETAIL: Key
/// (meeting_id, email_key)=(…, ana@example.org) already exists`). Duplicates are found without a
/// failing statement, so the log of a server of the test's own never holds an address or an
/// organisation, even for registrations racing with one address.
#[actix_web::test]
async fn postgres_never_logs_an_address_of_a_duplicate_registration() {
    if crate::support::postgres_admin_url().is_none() {
        return;
    }
    let Some(cluster) = PrivateCluster::create() else {
        return;
    };
    let app = spawn_app_on(TestDb::on_postgres(&cluster.url())).await;
    let organizer = app.organizer().await;
    let slug = app.meeting(&organizer, json!({})).await;
    let mut body = TestApp::registration_body("duplicate.person@example.org");
    body["organization"]["name"] = json!("Red Fronteriza Chiquita");
    app.register_and_read_token(&slug, body.clone()).await;
    assert_eq!(app.register(&slug, body.clone()).await.status, 202);
    // New addresses and a new organisation, each sent eight times at once.
    for round in 0..4 {
        let mut racing = body.clone();
        racing["email"] = json!(format!("racing.{round}@example.org"));
        racing["organization"]["name"] = json!(format!("Colectivo Pequeño {round}"));
        let answers =
            futures::future::join_all((0..8).map(|_| app.register(&slug, racing.clone()))).await;
        assert!(answers.iter().all(|a| a.status == 202));
    }
    assert_eq!(app.registrations(&organizer, &slug, "").await.len(), 5);
    app.outbox_drained(&organizer, &slug).await;
    let log = cluster.server_log();
    for secret in [
        "duplicate.person@example.org",
        "racing.",
        "chiquita",
        "Chiquita",
        "pequeño",
        "Pequeño",
        "duplicate key",
    ] {
        assert!(
            !log.contains(secret),
            "the server log holds {secret:?}:\n{log}"
        );
    }
}

on_both_backends!(an_unconfirmed_address_registering_again_gets_a_fresh_confirm_link);
async fn an_unconfirmed_address_registering_again_gets_a_fresh_confirm_link(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = app.meeting(&organizer, json!({})).await;
    let first = app
        .register_and_read_token(&slug, TestApp::registration_body("ana@example.org"))
        .await;
    let second = app
        .register_and_read_token(&slug, TestApp::registration_body("ana@example.org"))
        .await;
    assert_ne!(first, second);
    assert_eq!(
        app.confirm(&first).await.status,
        404,
        "the newer link replaced it"
    );
    assert_eq!(
        app.confirm(&second).await.body,
        json!({"status": "confirmed"})
    );
    assert_eq!(app.registrations(&organizer, &slug, "").await.len(), 1);
}
