//! Creating, changing, publishing and reading meetings.

use crate::helpers::spawn_app;
use crate::on_both_backends;
use serde_json::json;

on_both_backends! {
    async fn organizers_create_change_and_publish_meetings(backend) {
        let app = spawn_app(backend).await;
        let organizer = app.organizer().await;
        let slug = app.meeting(&organizer, json!({"status": "draft", "slug": "mexico-city-hubs-2030"})).await;
        assert_eq!(slug, "mexico-city-hubs-2030");
        // A draft is not public, except to its organizers.
        assert_eq!(app.get(&format!("/api/v1/meetings/{slug}"), None).await.status, 404);
        assert_eq!(app.get(&format!("/api/v1/meetings/{slug}"), Some(&organizer)).await.status, 200);
        assert!(app.get("/api/v1/meetings", None).await.body["items"].as_array().unwrap().is_empty());

        let taken = app.post("/api/v1/meetings", Some(&organizer), json!({
            "slug": slug, "title": "Again", "country": "MX", "timezone": "America/Mexico_City",
            "starts_at": "2030-05-29T09:00:00-06:00", "ends_at": "2030-05-30T18:00:00-06:00"
        })).await;
        assert_eq!((taken.status, taken.error_code()), (409, "slug_taken".to_owned()));

        let published = app.patch(&format!("/api/v1/meetings/{slug}"), Some(&organizer), json!({"status": "published"})).await;
        assert_eq!(published.status, 200, "{}", published.text);
        let meeting = app.get(&format!("/api/v1/meetings/{slug}"), None).await.body;
        assert_eq!(meeting["status"], "published");
        assert_eq!(meeting["starts_at"], "2030-05-29T09:00:00-06:00");
        assert_eq!(meeting["seats_left"], 120);
        assert_eq!(meeting["registration_open"], true);
        assert_eq!(meeting["translations"]["es"]["title"], "Intercambio regional de centros de información");
        let list = app.get("/api/v1/meetings", None).await.body;
        assert_eq!(list["items"][0]["slug"], slug.as_str());
        assert!(list["next_cursor"].is_null());

        let unlimited = app.patch(&format!("/api/v1/meetings/{slug}"), Some(&organizer), json!({"capacity": null, "timezone": "America/New_York"})).await;
        assert_eq!(unlimited.body["seats_left"], serde_json::Value::Null);
        // The instant is kept; it is now shown in New York time.
        assert_eq!(unlimited.body["starts_at"], "2030-05-29T11:00:00-04:00");

        let bad = app.patch(&format!("/api/v1/meetings/{slug}"), Some(&organizer), json!({
            "ends_at": "2030-05-28T09:00:00-06:00", "capacity": -5, "country": "ZZ", "timezone": "Mars/Base"
        })).await;
        let mut fields = bad.field_errors();
        fields.sort();
        assert_eq!((bad.status, fields), (422, vec!["capacity".to_owned(), "country".into(), "ends_at".into(), "timezone".into()]));
        assert_eq!(app.get(&format!("/api/v1/meetings/{slug}"), None).await.body["country"], "MX");
    }

    async fn a_meeting_body_reports_every_bad_field(backend) {
        let app = spawn_app(backend).await;
        let organizer = app.organizer().await;
        let answer = app.post("/api/v1/meetings", Some(&organizer), json!({
            "slug": "Not A Slug", "title": "", "country": "Mexico", "timezone": "Nowhere",
            "starts_at": "29/05/2030", "ends_at": null, "capacity": 0, "languages": [],
            "status": "open", "translations": {"fr": {"title": "Échange"}}
        })).await;
        let mut fields = answer.field_errors();
        fields.sort();
        assert_eq!(answer.status, 422);
        assert_eq!(fields, ["capacity", "country", "ends_at", "languages", "slug", "starts_at", "status", "timezone", "title", "translations"]);
        assert!(app.get("/api/v1/meetings", None).await.body["items"].as_array().unwrap().is_empty());
    }
}
