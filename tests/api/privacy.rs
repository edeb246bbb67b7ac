//! Data protection: a participant deletes their own data; a meeting's personal data is purged
//! after it ends, keeping anonymous counts.

use crate::on_both_backends;
use crate::support::html::{fetch, post_form};
use crate::support::Backend;
use crate::support::{spawn_app, spawn_app_with, TestApp};
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

on_both_backends!(participants_delete_their_own_data);
async fn participants_delete_their_own_data(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = app.meeting(&organizer, json!({"capacity": 1})).await;
    let ana = confirmed(&app, &slug, "ana@example.org").await;
    let beto = confirmed(&app, &slug, "beto@example.org").await;
    assert_eq!(
        app.get("/api/v1/registration", Some(&beto)).await.body["status"],
        "waitlisted"
    );

    let deleted = app
        .call(
            reqwest::Method::DELETE,
            "/api/v1/registration",
            Some(&ana),
            None,
        )
        .await;
    assert_eq!(deleted.status, 204);
    assert_eq!(
        app.get("/api/v1/registration", Some(&ana)).await.status,
        401,
        "the link is gone with the data"
    );
    assert_eq!(
        rows_mentioning(&app, "ana@example.org"),
        0,
        "no row holds the address"
    );
    let promoted = app.smtp.wait_for("beto@example.org", 3).await.remove(2);
    assert!(promoted.subject.starts_with("Se liberó un lugar"));
    // Its link replaced the earlier one.
    let beto = promoted.manage_token();
    assert_eq!(
        app.get("/api/v1/registration", Some(&beto)).await.body["status"],
        "confirmed",
        "the freed seat went on"
    );

    // From the page, with a confirmation step.
    let question = fetch(&app, &format!("/manage/{beto}/delete?lang=en"), None).await;
    assert!(question.body.contains("It cannot be undone."));
    assert_eq!(
        app.get("/api/v1/registration", Some(&beto)).await.status,
        200,
        "asking deletes nothing"
    );
    let done = post_form(&app, &format!("/manage/{beto}/delete?lang=en"), &[]).await;
    assert!(done
        .body
        .contains("Your registration and your data have been deleted."));
    assert_eq!(rows_mentioning(&app, "beto@example.org"), 0);
    assert!(app.registrations(&organizer, &slug, "").await.is_empty());
    app.outbox_drained(&organizer, &slug).await;
}

on_both_backends!(requests_racing_a_deletion_are_answered_401_not_404);
async fn requests_racing_a_deletion_are_answered_401_not_404(backend: Backend) {
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
                // Those after the deletion set out a little later, spread over the time a
                // deletion takes, so that some of them meet it on a busy machine too (CI once
                // saw all 210 answered before it).
                if i > 12 {
                    tokio::time::sleep(std::time::Duration::from_millis(3 * (i - 12))).await;
                }
                let answer = match i % 3 {
                    _ if i == 12 => {
                        app.call(
                            reqwest::Method::DELETE,
                            "/api/v1/registration",
                            Some(&manage),
                            None,
                        )
                        .await
                    }
                    0 => app.get("/api/v1/registration", Some(&manage)).await,
                    1 => {
                        app.patch(
                            "/api/v1/registration",
                            Some(&manage),
                            json!({"job_title": format!("Enlace {i}")}),
                        )
                        .await
                    }
                    _ => {
                        app.get("/api/v1/registration/calendar.ics", Some(&manage))
                            .await
                    }
                };
                (i, answer.status, answer.text)
            }
        });
        for (i, status, text) in futures::future::join_all(requests).await {
            let allowed: &[u16] = if i == 12 { &[204] } else { &[200, 401] };
            assert!(
                allowed.contains(&status),
                "request {i} answered {status}: {text}"
            );
            *seen.entry(status).or_default() += 1;
        }
    }
    assert!(
        seen.contains_key(&401),
        "some requests came after the deletion: {seen:?}"
    );
}

on_both_backends!(ended_meetings_are_purged_by_the_command_keeping_counts);
async fn ended_meetings_are_purged_by_the_command_keeping_counts(backend: Backend) {
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
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("purged the personal data of 1 meeting")
    );

    assert!(app.registrations(&organizer, &old, "").await.is_empty());
    assert_eq!(
        rows_mentioning(&app, "ana@example.org") + rows_mentioning(&app, "beto@example.org"),
        0
    );
    let after = app.stats(&organizer, &old).await;
    assert_eq!(after["by_status"], before["by_status"], "the counts stay");
    assert_eq!(after["by_status"]["confirmed"], 1);
    assert_eq!(after["press"]["attendees"], 1);
    assert!(app
        .get(
            &format!("/api/v1/meetings/{old}/attendees"),
            Some(&organizer)
        )
        .await
        .body["items"]
        .as_array()
        .unwrap()
        .is_empty());
    assert_eq!(
        app.registrations(&organizer, &recent, "").await.len(),
        1,
        "a meeting still to come keeps its data"
    );
}

on_both_backends!(the_worker_purges_on_its_own);
async fn the_worker_purges_on_its_own(backend: Backend) {
    let app = spawn_app_with(backend, |s| {
        s.worker.purge_after_days = 30;
        s.worker.housekeeping_interval = Duration::from_millis(100);
    })
    .await;
    let organizer = app.organizer().await;
    let slug = app.meeting(&organizer, json!({})).await;
    confirmed(&app, &slug, "ana@example.org").await;
    app.patch(&format!("/api/v1/meetings/{slug}"), Some(&organizer), json!({
        "starts_at": "2020-01-10T09:00:00-06:00", "ends_at": "2020-01-11T18:00:00-06:00", "registration_closes_at": null
    })).await;
    let started = std::time::Instant::now();
    while !app.registrations(&organizer, &slug, "").await.is_empty() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the worker purged the meeting"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        app.stats(&organizer, &slug).await["by_status"]["confirmed"],
        1
    );
}

/// Registers and confirms a participant whose every typed field carries `marker`; answers the
/// manage token.
async fn marked(app: &TestApp, slug: &str, marker: &str, organization: &str) -> String {
    let email = format!("{marker}-mail@example.org");
    let body = json!({
        "full_name": format!("{marker} Name"), "email": email,
        "organization": {"name": organization, "kind": "information_hub", "country": "MX"},
        "job_title": format!("{marker} Job"), "country": "MX", "language": "es",
        "consent_data_processing": true, "consent_press_listing": true,
        "dietary": format!("{marker} Diet"), "accessibility": format!("{marker} Access"),
        "interpretation": format!("{marker} Interp")
    });
    let token = app.register_and_read_token(slug, body).await;
    assert_eq!(app.confirm(&token).await.status, 200);
    app.smtp.wait_for(&email, 2).await[1].manage_token()
}

/// Asserts that no marker is left anywhere in storage. On SQLite that is the raw bytes of the
/// database file and its `-wal` and `-shm` files (freed pages and old log frames included), as
/// typed and lowercased (the search column), in UTF-8 and UTF-16. PostgreSQL's files are the
/// server's, not readable from here (and dead row versions wait for VACUUM): there every row of
/// every table is searched through SQL instead.
pub(crate) fn assert_no_trace(app: &TestApp, markers: &[&str]) {
    match &app.db {
        crate::support::TestDb::Sqlite { url, .. } => {
            for suffix in ["", "-wal", "-shm"] {
                let path = format!("{url}{suffix}");
                let Ok(bytes) = std::fs::read(&path) else {
                    continue;
                };
                for marker in markers {
                    for form in [marker.to_string(), marker.to_lowercase()] {
                        let utf16: Vec<u8> =
                            form.encode_utf16().flat_map(u16::to_le_bytes).collect();
                        for needle in [form.as_bytes(), &utf16[..]] {
                            assert!(
                                !bytes.windows(needle.len()).any(|w| w == needle),
                                "{form:?} is still in {path}"
                            );
                        }
                    }
                }
            }
        }
        crate::support::TestDb::Postgres { .. } => {
            #[derive(QueryableByName)]
            struct Table {
                #[diesel(sql_type = diesel::sql_types::Text)]
                table_name: String,
            }
            #[derive(QueryableByName)]
            struct Count {
                #[diesel(sql_type = diesel::sql_types::BigInt)]
                n: i64,
            }
            let convene::db::DbConn::Postgres(mut pg) = app.db.connect() else {
                unreachable!()
            };
            let tables: Vec<Table> = diesel::sql_query(
                "SELECT table_name::text AS table_name FROM information_schema.tables \
                 WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
            )
            .load(&mut pg)
            .unwrap();
            assert!(tables.len() > 10);
            for table in tables {
                for marker in markers {
                    let found: Count = diesel::sql_query(format!(
                        "SELECT count(*) AS n FROM \"{}\" AS r WHERE r::text ILIKE $1",
                        table.table_name
                    ))
                    .bind::<diesel::sql_types::Text, _>(format!("%{marker}%"))
                    .get_result(&mut pg)
                    .unwrap();
                    assert_eq!(found.n, 0, "{marker:?} is still in {}", table.table_name);
                }
            }
        }
    }
}

fn organizations_named(app: &TestApp, name: &str) -> i64 {
    use convene::schema::organizations;
    organizations::table
        .filter(organizations::name.eq(name))
        .count()
        .get_result(&mut app.db.connect())
        .unwrap()
}

on_both_backends!(a_deleted_participant_leaves_no_text_in_storage);
async fn a_deleted_participant_leaves_no_text_in_storage(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = app.meeting(&organizer, json!({})).await;
    let ana = marked(&app, &slug, "Zqxana", "Zqxana Own Org").await;
    let dora = marked(&app, &slug, "Zqxdora", "Zqxshared Org").await;
    // Carla stays, and with her the organisation she shares with Dora.
    marked(&app, &slug, "Zqxcarla", "Zqxshared Org").await;
    // Ana speaks at a session: her slot goes with her.
    let ana_id = app.get("/api/v1/registration", Some(&ana)).await.body["id"].clone();
    let session = app
        .post(
            &format!("/api/v1/meetings/{slug}/sessions"),
            Some(&organizer),
            json!({
                "title": "Apertura", "description": "", "kind": "panel",
                "starts_at": "2030-05-29T09:00:00-06:00", "ends_at": "2030-05-29T10:00:00-06:00",
                "language": "es", "interpretation": false, "speakers": [{"registration_id": ana_id}]
            }),
        )
        .await;
    assert_eq!(session.status, 201, "{}", session.text);
    // Ana edits her details once: the old versions of her row must go too.
    assert_eq!(
        app.patch(
            "/api/v1/registration",
            Some(&ana),
            json!({"job_title": "Zqxana Job Two"})
        )
        .await
        .status,
        200
    );
    app.outbox_drained(&organizer, &slug).await;

    let deleted = app
        .call(
            reqwest::Method::DELETE,
            "/api/v1/registration",
            Some(&ana),
            None,
        )
        .await;
    assert_eq!(deleted.status, 204);
    let done = post_form(&app, &format!("/manage/{dora}/delete?lang=en"), &[]).await;
    assert!(done
        .body
        .contains("Your registration and your data have been deleted."));

    assert_no_trace(&app, &["Zqxana", "Zqxdora"]);
    assert_eq!(
        organizations_named(&app, "Zqxshared Org"),
        1,
        "an organisation still named stays"
    );
    assert_eq!(organizations_named(&app, "Zqxana Own Org"), 0);
    assert_eq!(app.registrations(&organizer, &slug, "").await.len(), 1);
    app.outbox_drained(&organizer, &slug).await;
}

on_both_backends!(a_purged_meeting_leaves_no_personal_text_in_storage);
async fn a_purged_meeting_leaves_no_personal_text_in_storage(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let old = app.meeting(&organizer, json!({})).await;
    let recent = app.meeting(&organizer, json!({})).await;
    let ana = marked(&app, &old, "Zqxana", "Zqxana Own Org").await;
    marked(&app, &old, "Zqxbeto", "Zqxshared Org").await;
    marked(&app, &recent, "Zqxcarla", "Zqxshared Org").await;
    let ana_id = app.get("/api/v1/registration", Some(&ana)).await.body["id"].clone();
    let sessions = format!("/api/v1/meetings/{old}/sessions");
    let session = app.post(&sessions, Some(&organizer), json!({
        "title": "Apertura", "description": "", "kind": "panel",
        "starts_at": "2030-05-29T09:00:00-06:00", "ends_at": "2030-05-29T10:00:00-06:00",
        "language": "es", "interpretation": false,
        "speakers": [{"registration_id": ana_id}, {"name": "Zqxguest Speaker", "organization": "Zqxguestorg"}]
    })).await;
    assert_eq!(session.status, 201, "{}", session.text);
    // A change after publication is kept for the participants' notice.
    let session_id = session.body["id"].as_str().unwrap();
    let moved = app
        .patch(
            &format!("{sessions}/{session_id}"),
            Some(&organizer),
            json!({
                "starts_at": "2030-05-29T11:00:00-06:00", "ends_at": "2030-05-29T12:00:00-06:00"
            }),
        )
        .await;
    assert_eq!(moved.status, 200, "{}", moved.text);
    let tokens = format!("/api/v1/meetings/{old}/press-tokens");
    let press = app
        .post(
            &tokens,
            Some(&organizer),
            json!({"label": "Zqxpress Journalist", "expires_at": null}),
        )
        .await;
    assert_eq!(press.status, 201, "{}", press.text);
    let press_token = press.body["token"].as_str().unwrap();
    assert_eq!(
        app.get(
            &format!("/api/v1/meetings/{old}/attendees"),
            Some(press_token)
        )
        .await
        .status,
        200
    );
    let revoked = app
        .post(
            &tokens,
            Some(&organizer),
            json!({"label": "Zqxrevoked Journalist", "expires_at": null}),
        )
        .await;
    let revoked_id = revoked.body["id"].as_str().unwrap();
    assert_eq!(
        app.call(
            reqwest::Method::DELETE,
            &format!("{tokens}/{revoked_id}"),
            Some(&organizer),
            None
        )
        .await
        .status,
        204
    );
    app.outbox_drained(&organizer, &old).await;
    app.outbox_drained(&organizer, &recent).await;
    let past = app.patch(&format!("/api/v1/meetings/{old}"), Some(&organizer), json!({
        "starts_at": "2020-01-10T09:00:00-06:00", "ends_at": "2020-01-11T18:00:00-06:00", "registration_closes_at": null
    })).await;
    assert_eq!(past.status, 200, "{}", past.text);

    let output = std::process::Command::new(env!("CARGO_BIN_EXE_convene"))
        .args(["purge", "--database-url", app.db.url(), "--days", "30"])
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    assert_no_trace(
        &app,
        &["Zqxana", "Zqxbeto", "Zqxguest", "Zqxpress", "Zqxrevoked"],
    );
    assert_eq!(
        organizations_named(&app, "Zqxshared Org"),
        1,
        "a later meeting still names it"
    );
    let agenda = app
        .get(&format!("/api/v1/meetings/{old}/agenda"), None)
        .await;
    assert_eq!(agenda.status, 200, "{}", agenda.text);
    assert!(!agenda.text.contains("Zqx"), "{}", agenda.text);
    assert!(
        agenda.text.contains("Apertura"),
        "the organizer's programme stays"
    );
    assert_eq!(app.registrations(&organizer, &recent, "").await.len(), 1);
}
