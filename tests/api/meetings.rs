//! Creating, changing, publishing and reading meetings.

use crate::on_both_backends;
use crate::support::process::{handle, ServerProcess};
use crate::support::Backend;
use crate::support::{spawn_app, SmtpSink, TestApp, TestDb};
use serde_json::json;

on_both_backends!(organizers_create_change_and_publish_meetings);
async fn organizers_create_change_and_publish_meetings(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = app
        .meeting(
            &organizer,
            json!({"status": "draft", "slug": "mexico-city-hubs-2030"}),
        )
        .await;
    assert_eq!(slug, "mexico-city-hubs-2030");
    // A draft is not public, except to its organizers.
    assert_eq!(
        app.get(&format!("/api/v1/meetings/{slug}"), None)
            .await
            .status,
        404
    );
    assert_eq!(
        app.get(&format!("/api/v1/meetings/{slug}"), Some(&organizer))
            .await
            .status,
        200
    );
    assert!(app.get("/api/v1/meetings", None).await.body["items"]
        .as_array()
        .unwrap()
        .is_empty());

    let taken = app
        .post(
            "/api/v1/meetings",
            Some(&organizer),
            json!({
                "slug": slug, "title": "Again", "country": "MX", "timezone": "America/Mexico_City",
                "starts_at": "2030-05-29T09:00:00-06:00", "ends_at": "2030-05-30T18:00:00-06:00"
            }),
        )
        .await;
    assert_eq!(
        (taken.status, taken.error_code()),
        (409, "slug_taken".to_owned())
    );

    let published = app
        .patch(
            &format!("/api/v1/meetings/{slug}"),
            Some(&organizer),
            json!({"status": "published"}),
        )
        .await;
    assert_eq!(published.status, 200, "{}", published.text);
    let meeting = app
        .get(&format!("/api/v1/meetings/{slug}"), None)
        .await
        .body;
    assert_eq!(meeting["status"], "published");
    assert_eq!(meeting["starts_at"], "2030-05-29T09:00:00-06:00");
    assert_eq!(meeting["seats_left"], 120);
    assert_eq!(meeting["registration_open"], true);
    assert_eq!(
        meeting["translations"]["es"]["title"],
        "Intercambio regional de centros de información"
    );
    let list = app.get("/api/v1/meetings", None).await.body;
    assert_eq!(list["items"][0]["slug"], slug.as_str());
    assert!(list["next_cursor"].is_null());

    let unlimited = app
        .patch(
            &format!("/api/v1/meetings/{slug}"),
            Some(&organizer),
            json!({"capacity": null, "timezone": "America/New_York"}),
        )
        .await;
    assert_eq!(unlimited.body["seats_left"], serde_json::Value::Null);
    // The instant is kept; it is now shown in New York time.
    assert_eq!(unlimited.body["starts_at"], "2030-05-29T11:00:00-04:00");

    let bad = app.patch(&format!("/api/v1/meetings/{slug}"), Some(&organizer), json!({
        "ends_at": "2030-05-28T09:00:00-06:00", "capacity": -5, "country": "ZZ", "timezone": "Mars/Base"
    })).await;
    let mut fields = bad.field_errors();
    fields.sort();
    assert_eq!(
        (bad.status, fields),
        (
            422,
            vec![
                "capacity".to_owned(),
                "country".into(),
                "ends_at".into(),
                "timezone".into()
            ]
        )
    );
    assert_eq!(
        app.get(&format!("/api/v1/meetings/{slug}"), None)
            .await
            .body["country"],
        "MX"
    );
}

on_both_backends!(a_meeting_body_reports_every_bad_field);
async fn a_meeting_body_reports_every_bad_field(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let answer = app
        .post(
            "/api/v1/meetings",
            Some(&organizer),
            json!({
                "slug": "Not A Slug", "title": "", "country": "Mexico", "timezone": "Nowhere",
                "starts_at": "29/05/2030", "ends_at": null, "capacity": 0, "languages": [],
                "status": "open", "translations": {"fr": {"title": "Échange"}}
            }),
        )
        .await;
    let mut fields = answer.field_errors();
    fields.sort();
    assert_eq!(answer.status, 422);
    assert_eq!(
        fields,
        [
            "capacity",
            "country",
            "ends_at",
            "languages",
            "slug",
            "starts_at",
            "status",
            "timezone",
            "title",
            "translations"
        ]
    );
    assert!(app.get("/api/v1/meetings", None).await.body["items"]
        .as_array()
        .unwrap()
        .is_empty());
}

on_both_backends!(public_reads_show_changes_here_at_once_and_elsewhere_within_the_cache_time);
async fn public_reads_show_changes_here_at_once_and_elsewhere_within_the_cache_time(
    backend: Backend,
) {
    let smtp = SmtpSink::start();
    let logs = tempfile::tempdir().unwrap();
    let db = TestDb::new(backend);
    let env = [("CONVENE_PUBLIC_CACHE_MS", "400")];
    let here = ServerProcess::start_with(db.url(), smtp.port, logs.path(), "warn", &env).await;
    let elsewhere = ServerProcess::start_with(db.url(), smtp.port, logs.path(), "warn", &env).await;
    let app = handle(db, smtp.clone(), &here.address);
    let organizer = app.organizer().await;
    let slug = app.meeting(&organizer, json!({"capacity": 10})).await;
    let seats = |address: String| {
        let slug = slug.clone();
        async move {
            let body: serde_json::Value = reqwest::get(format!("{address}/api/v1/meetings/{slug}"))
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            body["seats_left"].as_i64().unwrap()
        }
    };
    let page = |address: String| {
        let slug = slug.clone();
        async move {
            reqwest::get(format!("{address}/m/{slug}?lang=en"))
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    };
    assert_eq!(seats(here.address.clone()).await, 10);
    assert_eq!(seats(elsewhere.address.clone()).await, 10);
    assert!(page(here.address.clone())
        .await
        .contains("Regional exchange"));
    assert!(page(elsewhere.address.clone())
        .await
        .contains("Regional exchange"));

    // A confirmation and a new title, made here: shown here at once.
    let token = app
        .register_and_read_token(&slug, TestApp::registration_body("ana@example.org"))
        .await;
    assert_eq!(app.confirm(&token).await.status, 200);
    app.patch(
        &format!("/api/v1/meetings/{slug}"),
        Some(&organizer),
        json!({"title": "Intercambio renovado"}),
    )
    .await;
    assert_eq!(seats(here.address.clone()).await, 9);
    assert!(page(here.address.clone())
        .await
        .contains("Intercambio renovado"));
    // The other instance may serve what it rendered for up to 400 ms, then shows it too.
    tokio::time::sleep(std::time::Duration::from_millis(450)).await;
    assert_eq!(seats(elsewhere.address.clone()).await, 9);
    assert!(page(elsewhere.address.clone())
        .await
        .contains("Intercambio renovado"));
}
