//! Hostile and careless input: unknown fields, wrong types, wrong content, slow clients.

use crate::on_both_backends;
use crate::support::Backend;
use crate::support::{spawn_app, spawn_app_with, TestApp};
use serde_json::json;
use std::io::{Read, Write};
use std::time::Duration;

on_both_backends!(unknown_fields_and_wrong_types_are_named);
async fn unknown_fields_and_wrong_types_are_named(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = app.meeting(&organizer, json!({})).await;
    let mut body = TestApp::registration_body("ana@example.org");
    body["is_admin"] = json!(true);
    let answer = app.register(&slug, body).await;
    assert_eq!(
        (answer.status, answer.field_errors(), answer.error_code()),
        (422, vec!["is_admin".to_owned()], "unknown_field".to_owned())
    );
    let mut body = TestApp::registration_body("ana@example.org");
    body["organization"]["website"] = json!("x");
    assert_eq!(
        app.register(&slug, body).await.field_errors(),
        ["organization.website"]
    );
    let mut body = TestApp::registration_body("ana@example.org");
    body["consent_press_listing"] = json!("yes");
    assert_eq!(
        app.register(&slug, body).await.field_errors(),
        ["consent_press_listing"]
    );

    let patch = app
        .patch(
            &format!("/api/v1/meetings/{slug}"),
            Some(&organizer),
            json!({"colour": "red"}),
        )
        .await;
    assert_eq!(
        (patch.status, patch.field_errors()),
        (422, vec!["colour".to_owned()])
    );
    let patch = app
        .patch(
            &format!("/api/v1/meetings/{slug}"),
            Some(&organizer),
            json!({"capacity": "lots"}),
        )
        .await;
    assert_eq!(
        (patch.status, patch.field_errors()),
        (422, vec!["capacity".to_owned()])
    );
    let session = app.post(&format!("/api/v1/meetings/{slug}/sessions"), Some(&organizer), json!({
        "title": "X", "starts_at": "2030-05-29T09:00:00-06:00", "ends_at": "2030-05-29T10:00:00-06:00",
        "speakers": [{"name": "Ana", "twitter": "@ana"}]
    })).await;
    assert_eq!(
        (session.status, session.field_errors()),
        (422, vec!["speakers[0].twitter".to_owned()])
    );

    let text = app
        .client
        .post(format!(
            "{}/api/v1/meetings/{slug}/registrations",
            app.address
        ))
        .header("Content-Type", "text/plain")
        .body(TestApp::registration_body("a@example.org").to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(text.status(), 422);
    let broken = app
        .client
        .post(format!(
            "{}/api/v1/meetings/{slug}/registrations",
            app.address
        ))
        .header("Content-Type", "application/json")
        .body("{\"full_name\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(broken.status(), 422);
    assert_eq!(
        app.stats(&organizer, &slug).await["by_status"],
        json!({}),
        "nothing was written"
    );
}

on_both_backends!(whole_numbers_with_a_fraction_count_and_wrong_methods_name_the_right_ones);
async fn whole_numbers_with_a_fraction_count_and_wrong_methods_name_the_right_ones(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = app.meeting(&organizer, json!({})).await;
    let room = app
        .post(
            &format!("/api/v1/meetings/{slug}/rooms"),
            Some(&organizer),
            json!({"name": "Sala", "capacity": 40.0}),
        )
        .await;
    assert_eq!(
        (room.status, room.body["capacity"].clone()),
        (201, json!(40)),
        "{}",
        room.text
    );
    let half = app
        .post(
            &format!("/api/v1/meetings/{slug}/rooms"),
            Some(&organizer),
            json!({"name": "Sala 2", "capacity": 40.5}),
        )
        .await;
    assert_eq!(
        (half.status, half.field_errors()),
        (422, vec!["capacity".to_owned()])
    );

    for (method, path, allow) in [
        ("PUT", "/api/v1/meetings".to_owned(), "GET, POST"),
        ("DELETE", format!("/api/v1/meetings/{slug}"), "GET, PATCH"),
        ("TRACE", "/healthz".to_owned(), "GET"),
    ] {
        let answer = app
            .client
            .request(method.parse().unwrap(), format!("{}{path}", app.address))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 405, "{method} {path}");
        assert_eq!(answer.headers()["allow"], allow);
    }
    let unknown = app
        .client
        .delete(format!("{}/api/v1/nothing-here", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
}

on_both_backends!(file_transport_names_files_itself_whatever_the_input);
async fn file_transport_names_files_itself_whatever_the_input(backend: Backend) {
    let folder = tempfile::tempdir().unwrap();
    let mail_url = format!("file://{}", folder.path().join("mail").display());
    let app = spawn_app_with(backend, |s| s.mail_url = mail_url).await;
    let organizer = app.organizer().await;
    let slug = app.meeting(&organizer, json!({})).await;
    let mut body = TestApp::registration_body("dots@example.org");
    body["full_name"] = json!("../../../../tmp/evil");
    body["organization"]["name"] = json!("/etc/passwd");
    let answer = app.register(&slug, body).await;
    assert_eq!(answer.status, 202, "{}", answer.text);
    let dots = app
        .register(&slug, TestApp::registration_body("../../evil@example.org"))
        .await;
    assert_eq!(
        (dots.status, dots.field_errors()),
        (422, vec!["email".to_owned()])
    );
    let slashes = app
        .register(&slug, TestApp::registration_body("etc/passwd@example.org"))
        .await;
    assert_eq!(
        slashes.status, 202,
        "a slash is allowed in an address, and harmless"
    );
    app.outbox_drained(&organizer, &slug).await;
    let names: Vec<String> = std::fs::read_dir(folder.path().join("mail"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names.len(),
        2,
        "two emails, in the folder itself: {names:?}"
    );
    for name in &names {
        assert!(
            name.ends_with(".eml") && uuid::Uuid::parse_str(name.trim_end_matches(".eml")).is_ok(),
            "{name}"
        );
    }
    let name = &names[0];
    let top: Vec<_> = std::fs::read_dir(folder.path()).unwrap().collect();
    assert_eq!(top.len(), 1, "nothing written beside the mail folder");
    let raw = std::fs::read_to_string(folder.path().join("mail").join(name)).unwrap();
    assert!(
        !raw.lines()
            .any(|l| l.to_ascii_lowercase().starts_with("bcc:")),
        "no header was injected:\n{raw}"
    );
}

on_both_backends!(the_session_cookie_is_secure_over_https);
async fn the_session_cookie_is_secure_over_https(backend: Backend) {
    let app = spawn_app_with(backend, |s| {
        s.base_url = Some("https://convene.example".into())
    })
    .await;
    let email = format!("org-{}@example.org", uuid::Uuid::new_v4().simple());
    let account = convene::accounts::model::NewAccount::parse(
        &email,
        "Organizer",
        "a long organizer password",
    )
    .unwrap();
    let hash = account.password.hash().unwrap();
    convene::accounts::store::create(&mut app.db.connect(), &account, &hash, convene::db::now())
        .unwrap();
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let (form_cookie, token) = crate::support::html::login_form(&app).await;
    let response = client
        .post(format!("{}/organizer/login", app.address))
        .header("Cookie", form_cookie)
        .form(&[
            ("email", email.as_str()),
            ("password", "a long organizer password"),
            ("next", "/organizer"),
            ("login_token", &token),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    let cookie = crate::support::html::set_cookie(response.headers(), "convene_session=").unwrap();
    assert!(
        cookie.contains("Secure") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
}

on_both_backends!(slow_clients_are_dropped);
async fn slow_clients_are_dropped(backend: Backend) {
    let app = spawn_app_with(backend, |s| {
        s.client_request_timeout = Duration::from_millis(300)
    })
    .await;
    let address = app.address.trim_start_matches("http://").to_owned();
    let answer = tokio::task::spawn_blocking(move || {
        let mut stream = std::net::TcpStream::connect(address).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        stream
            .write_all(b"POST /api/v1/auth/token HTTP/1.1\r\nHost: x\r\n")
            .unwrap();
        let started = std::time::Instant::now();
        let mut answer = String::new();
        let _ = stream.read_to_string(&mut answer);
        (answer, started.elapsed())
    })
    .await
    .unwrap();
    assert!(answer.0.starts_with("HTTP/1.1 408"), "{:?}", answer.0);
    assert!(
        answer.1 < Duration::from_secs(3),
        "dropped after the timeout, not kept"
    );
}
