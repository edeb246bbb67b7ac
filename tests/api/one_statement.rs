//! On PostgreSQL a public registration is one statement, the function `convene_register`; on
//! SQLite it is the Rust code it mirrors. The same registrations on both must leave the same
//! rows: the registrations, their organisations, the audit log, the emails, the webhook
//! deliveries and the clients' attempts, for every path (a new address, a known one, one asked
//! again within the hour, a cancelled one registering afresh, a client at its limit).

use crate::support::{postgres_admin_url, spawn_app, Backend, TestApp, TestDb};
use chrono::NaiveDateTime;
use convene::audit::Actor;
use convene::db::{self, DbConn};
use convene::error::AppError;
use convene::meetings::{
    self,
    model::{MeetingDraft, MeetingForm},
};
use convene::registrations::model::{ClientGuard, NewRegistration, RegistrationForm};
use convene::registrations::store;
use convene::values::Slug;
use convene::webhooks::{NewWebhook, WebhookForm};
use diesel::prelude::*;
use diesel::sql_types::Text;
use serde_json::json;
use std::collections::BTreeMap;

fn form(email: &str, organization: &str) -> NewRegistration {
    let mut body = TestApp::registration_body(email);
    body["organization"]["name"] = json!(organization);
    let form: RegistrationForm = serde_json::from_value(body).unwrap();
    NewRegistration::parse(&form, &Default::default()).unwrap()
}

/// What registering answered, without the ids it made.
fn outcome(result: Result<(), AppError>) -> String {
    match result {
        Ok(()) => "accepted".into(),
        Err(AppError::RateLimited { retry_after_secs }) => format!("429 after {retry_after_secs}"),
        Err(other) => format!("{other:?}"),
    }
}

#[derive(QueryableByName)]
pub(crate) struct Line {
    #[diesel(sql_type = Text)]
    pub(crate) line: String,
}

/// The rows of one table as lines, ids replaced by the registrations' addresses, sorted.
pub(crate) fn lines(conn: &mut DbConn, query: &str, ids: &BTreeMap<String, String>) -> Vec<String> {
    let mut lines: Vec<String> = diesel::sql_query(query)
        .load::<Line>(conn)
        .unwrap()
        .into_iter()
        .map(|row| {
            ids.iter()
                .fold(row.line, |line, (id, email)| line.replace(id, email))
        })
        .collect();
    lines.sort();
    lines
}

/// A fresh database with the demo's organizer, a meeting of theirs and a webhook on it; no
/// server and no workers, so nothing else writes while the registrations run.
fn meeting_with_a_webhook(backend: Backend, now: NaiveDateTime) -> (TestDb, String) {
    let test_db = TestDb::new(backend);
    let mut conn = test_db.connect();
    db::migrate(&mut conn).unwrap();
    convene::demo::seed(&mut conn, now).unwrap();
    let organizer: String = diesel::sql_query(format!(
        "SELECT id AS line FROM accounts WHERE email = '{}'",
        convene::demo::ORGANIZER_EMAIL
    ))
    .get_result::<Line>(&mut conn)
    .unwrap()
    .line;
    let form: MeetingForm = serde_json::from_value(json!({
        "slug": "one-statement", "title": "Intercambio regional", "country": "MX",
        "timezone": "America/Mexico_City",
        "starts_at": "2030-05-29T09:00:00-06:00", "ends_at": "2030-05-30T18:00:00-06:00",
        "capacity": null, "languages": ["es", "en"], "status": "published"
    }))
    .unwrap();
    let draft = MeetingDraft::parse(&form).unwrap();
    let meeting = meetings::store::create(&mut conn, &draft, &organizer, now).unwrap();
    let hook: WebhookForm = serde_json::from_value(
        json!({"url": "http://127.0.0.1:9/hooks", "events": ["registration.created"]}),
    )
    .unwrap();
    let hook = NewWebhook::parse(&hook, true).unwrap();
    convene::webhooks::store::create(&mut conn, &meeting.id, &hook, now).unwrap();
    (test_db, meeting.slug)
}

/// Runs the registrations on one backend; answers what each answered and what was stored.
fn registrations_on(backend: Backend) -> (Vec<String>, BTreeMap<&'static str, Vec<String>>) {
    let now: NaiveDateTime = db::now();
    let (test_db, slug) = meeting_with_a_webhook(backend, now);
    let mut conn = test_db.connect();
    let slug = Slug::parse(Some(&slug)).unwrap();
    let open = ClientGuard::default();
    let limited = ClientGuard::new(Some("203.0.113.9".parse().unwrap()), 2);
    let mut answers = Vec::new();
    let mut register = |conn: &mut DbConn, email: &str, org: &str, client: &ClientGuard| {
        let result = store::register_by_slug(conn, &slug, &form(email, org), client, now);
        answers.push(format!("{email}: {}", outcome(result)));
    };
    register(
        &mut conn,
        "ana@example.org",
        "Centro de Información Tapachula",
        &open,
    );
    // The same organisation, written otherwise: found, not made again.
    register(
        &mut conn,
        "luis@example.org",
        "centro de información  TAPACHULA",
        &open,
    );
    // Known and unconfirmed: the confirm link again, once within the hour.
    register(&mut conn, "Ana@Example.org", "Otra Organización", &open);
    register(&mut conn, "ana@example.org", "Otra Organización", &open);
    // Cancelled: the address registers afresh, the old row set aside.
    let luis: String =
        diesel::sql_query("SELECT id AS line FROM registrations WHERE email = 'luis@example.org'")
            .get_result::<Line>(&mut conn)
            .unwrap()
            .line;
    store::cancel(&mut conn, &luis, None, &Actor::System, now).unwrap();
    register(&mut conn, "luis@example.org", "Centro Nuevo", &open);
    // A client at its limit of two.
    for email in ["eva@example.org", "ivan@example.org", "olga@example.org"] {
        register(
            &mut conn,
            email,
            "Centro de Información Tapachula",
            &limited,
        );
    }
    // Known and confirmed: the manage link instead, "already registered".
    diesel::sql_query(
        "UPDATE registrations SET status = 'confirmed' WHERE email = 'ivan@example.org'",
    )
    .execute(&mut conn)
    .unwrap();
    register(&mut conn, "IVAN@example.org", "Otra Organización", &open);

    let ids: BTreeMap<String, String> =
        diesel::sql_query("SELECT id || ' ' || email || '#' || status AS line FROM registrations")
            .load::<Line>(&mut conn)
            .unwrap()
            .into_iter()
            .filter_map(|row| {
                let (id, label) = row.line.split_once(' ')?;
                Some((id.to_owned(), label.to_owned()))
            })
            .collect();
    let meeting = "(SELECT id FROM meetings WHERE slug = 'one-statement')";
    let mut stored = BTreeMap::new();
    let yes_no = |column: &str| format!("CASE WHEN {column} IS NULL THEN 'no' ELSE 'yes' END");
    stored.insert("registrations", lines(&mut conn, &format!(
        "SELECT r.email || ' key=' || r.email_key || ' ' || r.status || ' ' || coalesce(r.category, '-') \
         || ' ' || r.full_name || ' org=' || o.name || ' ' || r.country || ' ' || r.language || ' ' \
         || coalesce(r.job_title, '-') || ' ' || coalesce(r.interpretation, '-') || ' ' \
         || coalesce(r.dietary, '-') || ' ' || coalesce(r.accessibility, '-') || ' press=' \
         || CASE WHEN r.consent_press_listing THEN 'yes' ELSE 'no' END || ' search=' || r.search_text \
         || ' answers=' || r.answers || ' code=' || {} || ' resent=' || {} AS line \
         FROM registrations r JOIN organizations o ON o.id = r.organization_id WHERE r.meeting_id = {meeting}",
        yes_no("r.checkin_code"), yes_no("r.link_resent_at")), &ids));
    stored.insert("organizations", lines(&mut conn,
        &format!("SELECT name || ' key=' || name_key || ' ' || kind || ' ' || country AS line FROM organizations \
         WHERE id IN (SELECT organization_id FROM registrations WHERE meeting_id = {meeting})"), &ids));
    stored.insert("audit", lines(&mut conn, &format!(
        "SELECT actor || ' ' || action || ' ' || coalesce(subject_id, '-') || ' ' || detail AS line \
         FROM audit_log WHERE meeting_id = {meeting} AND action LIKE 'registration.%'"), &ids));
    stored.insert("emails", lines(&mut conn, &format!(
        "SELECT kind || ' to ' || recipient || ' for ' || coalesce(registration_id, '-') || ' ' || payload \
         || ' ' || status || ' ' || attempts AS line \
         FROM outbox WHERE meeting_id = {meeting}"), &ids));
    stored.insert(
        "webhook deliveries",
        lines(
            &mut conn,
            &format!(
                "SELECT event || ' ' || coalesce(subject_id, '-') || ' ' || \
         CASE WHEN substr(id, length(id) - length(webhook_id)) = '.' || webhook_id \
         THEN 'id=change.webhook' ELSE id END AS line \
         FROM webhook_deliveries WHERE meeting_id = {meeting}"
            ),
            &ids,
        ),
    );
    stored.insert(
        "attempts",
        lines(
            &mut conn,
            &format!(
                "SELECT 'attempt by client ' || dense_rank() OVER (ORDER BY client_key) AS line \
         FROM registration_attempts WHERE meeting_id = {meeting}"
            ),
            &ids,
        ),
    );
    (answers, stored)
}

#[test]
fn postgres_registers_in_one_statement_leaving_what_sqlite_leaves() {
    if postgres_admin_url().is_none() {
        return;
    }
    let (sqlite_answers, sqlite) = registrations_on(Backend::Sqlite);
    let (postgres_answers, postgres) = registrations_on(Backend::Postgres);
    assert_eq!(
        sqlite_answers,
        [
            "ana@example.org: accepted",
            "luis@example.org: accepted",
            "Ana@Example.org: accepted",
            "ana@example.org: accepted",
            "luis@example.org: accepted",
            "eva@example.org: accepted",
            "ivan@example.org: accepted",
            "olga@example.org: 429 after 3600",
            "IVAN@example.org: accepted",
        ]
    );
    assert_eq!(postgres_answers, sqlite_answers);
    for (table, rows) in &sqlite {
        assert_eq!(
            &postgres[table], rows,
            "{table}: PostgreSQL's rows, then SQLite's"
        );
    }
    // What was stored is what the paths should leave, not merely the same on both.
    assert_eq!(
        sqlite["registrations"].len(),
        5,
        "{:#?}",
        sqlite["registrations"]
    );
    assert_eq!(
        sqlite["organizations"].len(),
        2,
        "{:#?}",
        sqlite["organizations"]
    );
    assert_eq!(
        sqlite["emails"]
            .iter()
            .filter(|e| e.starts_with("confirm_address"))
            .count(),
        6,
        "five confirm links, and Ana's again once: {:#?}",
        sqlite["emails"]
    );
    assert_eq!(
        sqlite["emails"]
            .iter()
            .filter(|e| e.starts_with("already_registered to ivan@example.org"))
            .count(),
        1,
        "{:#?}",
        sqlite["emails"]
    );
    assert_eq!(
        sqlite["webhook deliveries"].len(),
        5,
        "{:#?}",
        sqlite["webhook deliveries"]
    );
    assert_eq!(
        sqlite["attempts"].len(),
        2,
        "the refused one is not counted"
    );
}

/// On PostgreSQL the function is what registers: without it, registering fails.
#[actix_web::test]
async fn postgres_registration_goes_through_convene_register() {
    if postgres_admin_url().is_none() {
        return;
    }
    let app = spawn_app(Backend::Postgres).await;
    let organizer = app.organizer().await;
    let slug = app.meeting(&organizer, json!({"capacity": null})).await;
    let body = TestApp::registration_body("ana@example.org");
    assert_eq!(app.register(&slug, body.clone()).await.status, 202);
    let mut conn = app.db.connect();
    // An argument missing a value is refused by name, before any insert could fail on it (and
    // have PostgreSQL log the failing row).
    let refused = diesel::sql_query(
        "SELECT * FROM convene_register('{\"now\": \"2030-01-01 00:00:00\"}'::jsonb)",
    )
    .execute(&mut conn)
    .unwrap_err()
    .to_string();
    assert!(refused.contains("meeting_id is missing"), "{refused}");
    diesel::sql_query("DROP FUNCTION convene_register(jsonb)")
        .execute(&mut conn)
        .unwrap();
    let body = TestApp::registration_body("luis@example.org");
    assert_eq!(app.register(&slug, body).await.status, 500);
}

/// On PostgreSQL over a plain connection, the API's registration is sent from the request's
/// own thread, on connections of its own (`db::DirectPg`). When the server ends them, the next
/// registrations open new ones; none answered 202 is lost.
#[actix_web::test]
async fn postgres_registration_is_sent_on_the_request_threads_own_connections() {
    if postgres_admin_url().is_none() {
        return;
    }
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let direct = |conn: &mut DbConn, what: &str| {
        diesel::sql_query(format!(
            "SELECT count({what}) AS n FROM pg_stat_activity \
             WHERE datname = current_database() AND application_name = 'convene-direct'"
        ))
        .get_result::<Count>(conn)
        .unwrap()
        .n
    };
    let app = spawn_app(Backend::Postgres).await;
    let organizer = app.organizer().await;
    let slug = app.meeting(&organizer, json!({"capacity": null})).await;
    let body = TestApp::registration_body("ana@example.org");
    assert_eq!(app.register(&slug, body).await.status, 202);
    let mut conn = app.db.connect();
    assert_eq!(
        direct(&mut conn, "*"),
        1,
        "one connection of a request thread"
    );

    assert_eq!(direct(&mut conn, "pg_terminate_backend(pid)"), 1);
    while direct(&mut conn, "*") > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    // Time for the request thread to see its connection end (a call sent on it before then
    // would answer 503, having stored nothing).
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    for i in 0..4 {
        let body = TestApp::registration_body(&format!("after{i}@example.org"));
        assert_eq!(
            app.register(&slug, body).await.status,
            202,
            "registration {i}"
        );
    }
    assert!(direct(&mut conn, "*") >= 1, "a new connection");
    let stats = app.stats(&organizer, &slug).await;
    assert_eq!(stats["by_status"]["pending_email"], 5);
}
