//! Who may do what: organizer tokens, manage tokens, logins, health.

use crate::on_both_backends;
use crate::support::Backend;
use crate::support::{spawn_app, spawn_app_with, TestApp};
use serde_json::json;

on_both_backends!(organizer_endpoints_refuse_missing_wrong_and_foreign_tokens);
async fn organizer_endpoints_refuse_missing_wrong_and_foreign_tokens(backend: Backend) {
    let app = spawn_app(backend).await;
    let owner = app.organizer().await;
    let stranger = app.organizer().await;
    let slug = app.meeting(&owner, json!({})).await;
    let token = app
        .register_and_read_token(&slug, TestApp::registration_body("ana@example.org"))
        .await;
    let id = app.confirm_and_id(&token, "ana@example.org").await;
    let manage = app.smtp.wait_for("ana@example.org", 2).await[1].manage_token();

    let reads = [
        format!("/api/v1/meetings/{slug}/registrations"),
        format!("/api/v1/meetings/{slug}/registrations.csv"),
        format!("/api/v1/meetings/{slug}/stats"),
    ];
    for path in &reads {
        assert_eq!(app.get(path, None).await.status, 401, "{path}");
        assert_eq!(
            app.get(path, Some(&"f".repeat(64))).await.status,
            401,
            "{path}"
        );
        assert_eq!(app.get(path, Some(&manage)).await.status, 401, "{path}");
        assert_eq!(app.get(path, Some(&stranger)).await.status, 403, "{path}");
        assert_eq!(app.get(path, Some(&owner)).await.status, 200, "{path}");
    }
    let change = format!("/api/v1/meetings/{slug}");
    assert_eq!(
        app.patch(&change, None, json!({"title": "x"})).await.status,
        401
    );
    assert_eq!(
        app.patch(&change, Some(&stranger), json!({"title": "x"}))
            .await
            .status,
        403
    );
    assert_eq!(
        app.patch("/api/v1/meetings/no-such-meeting", Some(&owner), json!({}))
            .await
            .status,
        404
    );
    let approve = format!("/api/v1/meetings/{slug}/registrations/{id}/cancel");
    assert_eq!(
        app.post(&approve, Some(&stranger), json!({})).await.status,
        403
    );
    assert_eq!(
        app.post("/api/v1/meetings", None, json!({})).await.status,
        401
    );
    let unauthenticated = app.get(&reads[0], None).await;
    assert_eq!(unauthenticated.headers["www-authenticate"], "Bearer");
    assert_eq!(
        unauthenticated.body["errors"][0]["field"],
        serde_json::Value::Null
    );
    // The stranger changed nothing.
    assert_eq!(
        app.get(&format!("/api/v1/meetings/{slug}"), None)
            .await
            .body["title"],
        "Regional exchange of migrant information hubs"
    );
    assert_eq!(
        app.registrations(&owner, &slug, "status=confirmed")
            .await
            .len(),
        1
    );
}

on_both_backends!(a_manage_token_reaches_only_its_own_registration);
async fn a_manage_token_reaches_only_its_own_registration(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = app.meeting(&organizer, json!({})).await;
    app.register_and_read_token(&slug, TestApp::registration_body("ana@example.org"))
        .await;
    app.register_and_read_token(&slug, TestApp::registration_body("beto@example.org"))
        .await;
    let ana = app.smtp.to("ana@example.org")[0].manage_token();
    let beto = app.smtp.to("beto@example.org")[0].manage_token();
    assert_eq!(
        app.get("/api/v1/registration", Some(&ana)).await.body["email"],
        "ana@example.org"
    );
    assert_eq!(
        app.get("/api/v1/registration", Some(&beto)).await.body["email"],
        "beto@example.org"
    );
    app.patch(
        "/api/v1/registration",
        Some(&ana),
        json!({"job_title": "Solo Ana"}),
    )
    .await;
    assert_eq!(
        app.get("/api/v1/registration", Some(&beto)).await.body["job_title"],
        "Coordinadora"
    );
    // A confirm token or an organizer token is not a manage token.
    let confirm = app.smtp.to("ana@example.org")[0].confirm_token();
    assert_eq!(
        app.get("/api/v1/registration", Some(&confirm)).await.status,
        401
    );
    assert_eq!(
        app.get("/api/v1/registration", Some(&organizer))
            .await
            .status,
        401
    );
    assert_eq!(app.get("/api/v1/registration", None).await.status, 401);
    assert_eq!(
        app.post("/api/v1/registration/cancel", Some("nonsense"), json!({}))
            .await
            .status,
        401
    );
    assert_eq!(app.confirm("0123").await.status, 404);
    assert_eq!(app.confirm(&ana).await.status, 404);
}

on_both_backends!(logins_give_tokens_only_for_the_right_password);
async fn logins_give_tokens_only_for_the_right_password(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.organizer().await;
    assert_eq!(token.len(), 64);
    let refused = app
        .post(
            "/api/v1/auth/token",
            None,
            json!({"email": "nobody@example.org", "password": "whatever it is"}),
        )
        .await;
    assert_eq!(refused.status, 401);
    let refused = app
        .post(
            "/api/v1/auth/token",
            None,
            json!({"email": "bad", "password": ""}),
        )
        .await;
    assert_eq!(refused.status, 401);
    // Tokens are stored as digests only.
    let mut conn = app.db.connect();
    use diesel::prelude::*;
    let digests: Vec<String> = convene::schema::tokens::table
        .select(convene::schema::tokens::digest)
        .load(&mut conn)
        .unwrap();
    assert!(!digests.contains(&token));
    assert!(digests.contains(&convene::accounts::tokens::digest(&token)));
}

on_both_backends!(health_and_readiness);
async fn health_and_readiness(backend: Backend) {
    let app = spawn_app(backend).await;
    assert_eq!(app.get("/healthz", None).await.status, 200);
    assert_eq!(app.get("/readyz", None).await.status, 200);
    assert_eq!(app.get("/no/such/page", None).await.status, 404);
}

on_both_backends!(public_writes_are_rate_limited_per_address);
async fn public_writes_are_rate_limited_per_address(backend: Backend) {
    let app = spawn_app_with(backend, |s| s.rate_limit_per_minute = 3).await;
    let organizer = app.organizer().await;
    let slug = app.meeting(&organizer, json!({})).await;
    let mut statuses = Vec::new();
    for i in 0..5 {
        statuses.push(
            app.register(
                &slug,
                TestApp::registration_body(&format!("r{i}@example.org")),
            )
            .await,
        );
    }
    assert_eq!(
        statuses.iter().map(|a| a.status).collect::<Vec<_>>(),
        [202, 202, 429, 429, 429]
    );
    let retry: u64 = statuses[2].headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry));
}

on_both_backends!(the_openapi_document_is_served);
async fn the_openapi_document_is_served(backend: Backend) {
    let app = spawn_app(backend).await;
    let doc = app.get("/api/v1/openapi.json", None).await;
    assert_eq!(doc.status, 200);
    assert!(doc.body["openapi"].as_str().unwrap().starts_with("3."));
    assert!(doc.body["paths"]["/api/v1/meetings/{slug}/registrations"]["post"].is_object());
    assert!(doc.body["components"]["schemas"]["RegistrationForm"].is_object());
}
