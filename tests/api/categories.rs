//! Participant categories: every meeting has one (`participant`) and keeps working as before;
//! an organizer adds more, each with its own seats under the meeting's; a registration names
//! its category (or takes the only public one); invitation-only categories refuse the public.
//! Both backends.

use crate::on_both_backends;
use crate::support::{spawn_app, Backend, TestApp};
use futures::future::join_all;
use serde_json::{json, Value};

fn person(i: usize, category: &str) -> Value {
    let mut body = TestApp::registration_body(&format!("c{i:03}@example.org"));
    body["full_name"] = json!(format!("Participante {i}"));
    body["organization"]["name"] = json!(format!("Centro {i}"));
    body["category"] = json!(category);
    body
}

async fn category(app: &TestApp, organizer: &str, slug: &str, body: Value) -> Value {
    let answer = app
        .post(
            &format!("/api/v1/meetings/{slug}/categories"),
            Some(organizer),
            body,
        )
        .await;
    assert_eq!(answer.status, 201, "{}", answer.text);
    answer.body
}

on_both_backends!(a_meeting_starts_with_one_category_that_registrations_need_not_name);
async fn a_meeting_starts_with_one_category_that_registrations_need_not_name(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = app.meeting(&organizer, json!({})).await;
    let meeting = app
        .get(&format!("/api/v1/meetings/{slug}?lang=es"), None)
        .await;
    let categories = meeting.body["categories"].as_array().unwrap().clone();
    assert_eq!(categories.len(), 1, "{}", meeting.text);
    assert_eq!(categories[0]["code"], "participant");
    assert_eq!(categories[0]["name"], "Participante");
    assert_eq!(categories[0]["seats_left"], 120);
    assert_eq!(categories[0]["invitation_only"], false);

    let token = app
        .register_and_read_token(&slug, TestApp::registration_body("ana@example.org"))
        .await;
    app.confirm(&token).await;
    let all = app.registrations(&organizer, &slug, "").await;
    assert_eq!(all[0]["category"], "participant");
    assert_eq!(all[0]["status"], "confirmed");
    let stats = app.stats(&organizer, &slug).await;
    assert_eq!(
        stats["by_category"]["participant"],
        json!({"confirmed": 1, "waitlisted": 0, "seats_left": 119})
    );

    // The only category cannot go, nor one that registrations are in.
    let gone = app
        .call(
            reqwest::Method::DELETE,
            &format!("/api/v1/meetings/{slug}/categories/participant"),
            Some(&organizer),
            None,
        )
        .await;
    assert_eq!(
        (gone.status, gone.error_code()),
        (409, "category_in_use".to_owned())
    );
}

on_both_backends!(organizers_add_change_and_remove_categories);
async fn organizers_add_change_and_remove_categories(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = app.meeting(&organizer, json!({})).await;
    let media = category(
        &app,
        &organizer,
        &slug,
        json!({"code": "media", "name": "Media",
        "translations": {"es": {"name": "Prensa"}}, "press_accreditation": true}),
    )
    .await;
    assert_eq!(
        media["requires_approval"], true,
        "press accreditation is always approved by hand"
    );
    let again = app
        .post(
            &format!("/api/v1/meetings/{slug}/categories"),
            Some(&organizer),
            json!({"code": "media", "name": "Otra"}),
        )
        .await;
    assert_eq!(
        (again.status, again.error_code()),
        (409, "category_exists".to_owned())
    );
    let bad = app
        .post(
            &format!("/api/v1/meetings/{slug}/categories"),
            Some(&organizer),
            json!({"code": "Media Team", "name": "", "capacity": 0}),
        )
        .await;
    assert_eq!(bad.status, 422);
    assert_eq!(bad.field_errors(), ["code", "name", "capacity"]);

    let path = format!("/api/v1/meetings/{slug}/categories/media");
    let changed = app
        .patch(
            &path,
            Some(&organizer),
            json!({"capacity": 5, "name": "Journalists"}),
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.text);
    assert_eq!(
        (
            changed.body["capacity"].clone(),
            changed.body["name"].clone()
        ),
        (json!(5), json!("Journalists"))
    );
    let recoded = app
        .patch(&path, Some(&organizer), json!({"code": "press"}))
        .await;
    assert_eq!(
        (recoded.status, recoded.field_errors()),
        (422, vec!["code".to_owned()])
    );
    let meeting = app
        .get(&format!("/api/v1/meetings/{slug}?lang=es"), None)
        .await;
    let names: Vec<&str> = meeting.body["categories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Participante", "Prensa"]);

    let removed = app
        .call(reqwest::Method::DELETE, &path, Some(&organizer), None)
        .await;
    assert_eq!(removed.status, 204);
    let unknown = app
        .call(reqwest::Method::DELETE, &path, Some(&organizer), None)
        .await;
    assert_eq!(unknown.status, 404);
    let stranger = app.organizer().await;
    let theirs = app
        .post(
            &format!("/api/v1/meetings/{slug}/categories"),
            Some(&stranger),
            json!({"code": "x", "name": "X"}),
        )
        .await;
    assert_eq!(theirs.status, 403);
}

on_both_backends!(a_registration_names_its_category_and_the_public_cannot_take_an_invited_one);
async fn a_registration_names_its_category_and_the_public_cannot_take_an_invited_one(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = app.meeting(&organizer, json!({})).await;
    category(
        &app,
        &organizer,
        &slug,
        json!({"code": "observer", "name": "Observer"}),
    )
    .await;
    category(
        &app,
        &organizer,
        &slug,
        json!({"code": "delegate", "name": "Delegate", "invitation_only": true}),
    )
    .await;

    let mut unnamed = TestApp::registration_body("ana@example.org");
    unnamed.as_object_mut().unwrap().remove("category");
    let answer = app.register(&slug, unnamed).await;
    assert_eq!(
        (answer.status, answer.field_errors()),
        (422, vec!["category".to_owned()]),
        "two public categories: say which"
    );
    let unknown = app.register(&slug, person(1, "speaker")).await;
    assert_eq!(
        (unknown.status, unknown.field_errors()),
        (422, vec!["category".to_owned()])
    );
    let invited_only = app.register(&slug, person(2, "delegate")).await;
    assert_eq!(
        (invited_only.status, invited_only.error_code()),
        (403, "invitation_required".to_owned())
    );
    assert!(
        app.registrations(&organizer, &slug, "").await.is_empty(),
        "nothing written"
    );

    let token = app
        .register_and_read_token(&slug, person(3, "observer"))
        .await;
    app.confirm(&token).await;
    let all = app.registrations(&organizer, &slug, "").await;
    assert_eq!(all[0]["category"], "observer");
    // The participant cannot move themselves to another category.
    let manage = app.smtp.wait_for("c003@example.org", 2).await[1].manage_token();
    let moved = app
        .patch(
            "/api/v1/registration",
            Some(&manage),
            json!({"category": "participant"}),
        )
        .await;
    assert_eq!(
        (moved.status, moved.field_errors()),
        (422, vec!["category".to_owned()])
    );
}

on_both_backends!(category_and_meeting_capacity_both_hold_when_sixty_race_for_twenty_seats);
async fn category_and_meeting_capacity_both_hold_when_sixty_race_for_twenty_seats(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = app.meeting(&organizer, json!({"capacity": 20})).await;
    category(
        &app,
        &organizer,
        &slug,
        json!({"code": "delegate", "name": "Delegate", "capacity": 12}),
    )
    .await;
    category(
        &app,
        &organizer,
        &slug,
        json!({"code": "observer", "name": "Observer", "capacity": 12}),
    )
    .await;
    let people: Vec<(usize, &str)> = (0..60)
        .map(|i| (i, if i % 2 == 0 { "delegate" } else { "observer" }))
        .collect();
    let answers = join_all(
        people
            .iter()
            .map(|(i, c)| app.register(&slug, person(*i, c))),
    )
    .await;
    assert!(
        answers.iter().all(|a| a.status == 202),
        "{:?}",
        answers.iter().map(|a| &a.text).collect::<Vec<_>>()
    );
    app.smtp.wait_for_total(60).await;
    let tokens: Vec<String> = people
        .iter()
        .map(|(i, _)| app.smtp.to(&format!("c{i:03}@example.org"))[0].confirm_token())
        .collect();
    let confirmed = join_all(tokens.iter().map(|t| app.confirm(t))).await;
    assert!(confirmed.iter().all(|a| a.status == 200));

    let all = app.registrations(&organizer, &slug, "").await;
    let count = |category: &str, status: &str| {
        all.iter()
            .filter(|r| r["category"] == category && r["status"] == status)
            .count()
    };
    let seated = (
        count("delegate", "confirmed"),
        count("observer", "confirmed"),
    );
    assert_eq!(
        seated.0 + seated.1,
        20,
        "the meeting's capacity: {seated:?}"
    );
    assert!(
        seated.0 <= 12 && seated.1 <= 12,
        "each category's: {seated:?}"
    );
    assert_eq!(
        count("delegate", "waitlisted") + count("observer", "waitlisted"),
        40
    );
    // Each category's waiting list numbers its own places, from 1.
    for code in ["delegate", "observer"] {
        let mut places: Vec<i64> = all
            .iter()
            .filter(|r| r["category"] == code && r["status"] == "waitlisted")
            .map(|r| r["waitlist_position"].as_i64().unwrap())
            .collect();
        places.sort();
        let expected: Vec<i64> = (1..=places.len() as i64).collect();
        assert_eq!(places, expected, "{code}");
    }
    let stats = app.stats(&organizer, &slug).await;
    assert_eq!(stats["by_category"]["delegate"]["confirmed"], seated.0);
    assert_eq!(stats["by_category"]["observer"]["confirmed"], seated.1);

    // A freed seat goes to the first person waiting whose category still has room.
    let seated_delegate = all
        .iter()
        .find(|r| r["category"] == "delegate" && r["status"] == "confirmed")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // The observers' category closed at what it holds: the freed seat can only go to the
    // delegates' list, whose head is their place 1.
    let closed = app
        .patch(
            &format!("/api/v1/meetings/{slug}/categories/observer"),
            Some(&organizer),
            json!({"capacity": seated.1}),
        )
        .await;
    assert_eq!(closed.status, 200, "{}", closed.text);
    let next = all
        .iter()
        .find(|r| r["category"] == "delegate" && r["waitlist_position"] == 1)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let cancelled = app
        .post(
            &format!("/api/v1/meetings/{slug}/registrations/{seated_delegate}/cancel"),
            Some(&organizer),
            json!({}),
        )
        .await;
    assert_eq!(cancelled.status, 200, "{}", cancelled.text);
    let all = app.registrations(&organizer, &slug, "").await;
    let status_of = |id: &str| all.iter().find(|r| r["id"] == json!(id)).unwrap()["status"].clone();
    assert_eq!(status_of(&next), "confirmed");
    let count = |category: &str| {
        all.iter()
            .filter(|r| r["category"] == category && r["status"] == "confirmed")
            .count()
    };
    assert_eq!(count("delegate") + count("observer"), 20);
    assert!(count("delegate") <= 12 && count("observer") <= 12);
}

/// The migrations of each backend, as the binary embeds them.
const SQLITE_MIGRATIONS: diesel_migrations::EmbeddedMigrations =
    diesel_migrations::embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: diesel_migrations::EmbeddedMigrations =
    diesel_migrations::embed_migrations!("migrations/postgres");

/// Runs the migrations before `version` (those an older binary ran).
pub(crate) fn migrate_before(conn: &mut convene::db::DbConn, version: &str) {
    use diesel_migrations::MigrationHarness;
    fn run<C: MigrationHarness<B>, B: diesel::backend::Backend>(
        conn: &mut C,
        source: diesel_migrations::EmbeddedMigrations,
        version: &str,
    ) {
        for migration in conn.pending_migrations(source).unwrap() {
            if migration.name().version().to_string().as_str() >= version {
                break;
            }
            conn.run_migration(&migration).unwrap();
        }
    }
    match conn {
        convene::db::DbConn::Sqlite(c) => run(c, SQLITE_MIGRATIONS, version),
        convene::db::DbConn::Postgres(c) => run(c, POSTGRES_MIGRATIONS, version),
    }
}

/// Reverts the newest migration (its `down.sql`).
pub(crate) fn revert_last(conn: &mut convene::db::DbConn) {
    use diesel_migrations::MigrationHarness;
    match conn {
        convene::db::DbConn::Sqlite(c) => c.revert_last_migration(SQLITE_MIGRATIONS).map(|_| ()),
        convene::db::DbConn::Postgres(c) => {
            c.revert_last_migration(POSTGRES_MIGRATIONS).map(|_| ())
        }
    }
    .unwrap();
}

on_both_backends!(meetings_from_before_categories_get_participant_and_keep_their_registrations);
async fn meetings_from_before_categories_get_participant_and_keep_their_registrations(
    backend: Backend,
) {
    use diesel::RunQueryDsl;
    let db = crate::support::TestDb::new(backend);
    let mut conn = db.connect();
    migrate_before(&mut conn, "20261206000001");
    assert!(
        diesel::sql_query("SELECT id FROM categories")
            .execute(&mut conn)
            .is_err(),
        "stopped before the categories"
    );
    // A meeting with a confirmed and a waiting registration, as the older binary stored them.
    for statement in [
        "INSERT INTO accounts (id, email, email_key, name, password_hash, created_at)
         VALUES ('acc', 'org@example.org', 'org@example.org', 'Org', 'x', '2026-01-01 00:00:00')",
        "INSERT INTO meetings (id, slug, title, description, venue, city, country, timezone,
             starts_at, ends_at, requires_approval, languages, status, translations,
             queue_counter, created_by, created_at, updated_at, capacity)
         VALUES ('m1', 'old-meeting', 'Old', '', '', '', 'MX', 'America/Mexico_City',
             '2030-05-29 15:00:00', '2030-05-30 00:00:00', FALSE, 'es,en', 'published', '{}',
             2, 'acc', '2026-01-01 00:00:00', '2026-01-01 00:00:00', 1)",
        "INSERT INTO organizations (id, name, name_key, kind, country, created_at)
         VALUES ('o1', 'Centro', 'centro', 'information_hub', 'MX', '2026-01-01 00:00:00')",
        "INSERT INTO registrations (id, meeting_id, email, email_key, full_name, organization_id,
             country, language, consent_data_processing, consent_press_listing, status,
             queue_ticket, search_text, created_at, status_changed_at)
         VALUES ('00000000-0000-7000-8000-000000000001', 'm1', 'a@example.org', 'a@example.org',
             'Ana', 'o1', 'MX', 'es', TRUE, FALSE, 'confirmed', NULL, 'ana', '2026-01-01 00:00:00',
             '2026-01-01 00:00:00'),
            ('00000000-0000-7000-8000-000000000002', 'm1', 'b@example.org', 'b@example.org',
             'Beto', 'o1', 'MX', 'es', TRUE, FALSE, 'waitlisted', 1, 'beto',
             '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
    ] {
        diesel::sql_query(statement).execute(&mut conn).unwrap();
    }
    convene::db::migrate(&mut conn).unwrap();
    // Its way back works too, and the way forward again.
    revert_last(&mut conn);
    convene::db::migrate(&mut conn).unwrap();
    let meeting = convene::meetings::store::by_id(&mut conn, "m1").unwrap();
    let categories = convene::meetings::categories::store::of_meeting(&mut conn, "m1").unwrap();
    assert_eq!(categories.len(), 1);
    assert_eq!(categories[0].code, "participant");
    assert_eq!(
        categories[0].name_in(convene::values::Language::Es),
        "Participante"
    );
    let ana =
        convene::registrations::store::view(&mut conn, "00000000-0000-7000-8000-000000000001")
            .unwrap();
    assert_eq!(ana.category, "participant");
    assert_eq!(
        convene::meetings::categories::store::seats_taken_in(&mut conn, "m1", "participant")
            .unwrap(),
        1,
        "the kept counts hold what was there"
    );
    // And it works unchanged: Ana cancels, Beto takes the seat.
    let slug = convene::values::Slug::parse(Some(&meeting.slug)).unwrap();
    convene::registrations::store::cancel(
        &mut conn,
        "00000000-0000-7000-8000-000000000001",
        Some(&slug),
        &convene::audit::Actor::System,
        convene::db::now(),
    )
    .unwrap();
    let beto =
        convene::registrations::store::view(&mut conn, "00000000-0000-7000-8000-000000000002")
            .unwrap();
    assert_eq!(beto.status, "confirmed");
}

on_both_backends!(the_registration_form_asks_which_category_when_the_public_has_a_choice);
async fn the_registration_form_asks_which_category_when_the_public_has_a_choice(backend: Backend) {
    use crate::support::html::{fetch, post_form, select};
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = app.meeting(&organizer, json!({})).await;
    let form = fetch(&app, &format!("/m/{slug}/register?lang=es"), None).await;
    assert!(
        !form.body.contains("name=\"category\""),
        "one category: nothing to choose"
    );

    category(
        &app,
        &organizer,
        &slug,
        json!({"code": "observer", "name": "Observer",
        "translations": {"es": {"name": "Observadora u observador"}}, "requires_approval": true}),
    )
    .await;
    category(
        &app,
        &organizer,
        &slug,
        json!({"code": "delegate", "name": "Delegate", "invitation_only": true}),
    )
    .await;
    let form = fetch(&app, &format!("/m/{slug}/register?lang=es"), None).await;
    let document = scraper::Html::parse_document(&form.body);
    let options: Vec<String> = select(&document, "select#category option")
        .into_iter()
        .map(|o| o.text().collect())
        .collect();
    assert_eq!(
        options,
        [
            "Elija…",
            "Participante",
            "Observadora u observador (el equipo organizador aprueba cada inscripción)"
        ]
        .map(str::to_owned),
        "the public categories, in Spanish; not the invitation-only one"
    );

    let fields = |category: &'static str| {
        vec![
            ("category", category),
            ("full_name", "Ana Peña"),
            ("email", "ana@example.org"),
            ("country", "MX"),
            ("language", "es"),
            ("organization", "other"),
            ("organization_name", "Casa del Migrante"),
            ("organization_kind", "civil_society"),
            ("organization_country", "MX"),
            ("consent_data_processing", "on"),
            ("lang", "es"),
        ]
    };
    let missing = post_form(&app, &format!("/m/{slug}/register?lang=es"), &fields("")).await;
    assert_eq!(missing.status, 422);
    assert!(missing.body.contains("Elija cómo participa."));
    let sent = post_form(
        &app,
        &format!("/m/{slug}/register?lang=es"),
        &fields("observer"),
    )
    .await;
    assert_eq!(sent.status, 200);
    let all = app.registrations(&organizer, &slug, "").await;
    assert_eq!(all[0]["category"], "observer");

    // Only invitations left: the form says registration is not open to the public.
    for code in ["participant", "observer"] {
        let closed = app
            .patch(
                &format!("/api/v1/meetings/{slug}/categories/{code}"),
                Some(&organizer),
                json!({"invitation_only": true}),
            )
            .await;
        assert_eq!(closed.status, 200, "{}", closed.text);
    }
    let form = fetch(&app, &format!("/m/{slug}/register?lang=es"), None).await;
    assert!(!form.body.contains("name=\"full_name\""), "no form");
}

on_both_backends!(an_approved_journalist_gets_a_press_link_that_stops_with_their_seat);
async fn an_approved_journalist_gets_a_press_link_that_stops_with_their_seat(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = app.meeting(&organizer, json!({})).await;
    category(
        &app,
        &organizer,
        &slug,
        json!({"code": "media", "name": "Media",
        "translations": {"es": {"name": "Prensa"}}, "press_accreditation": true}),
    )
    .await;
    let mut journalist = TestApp::registration_body("periodista@example.org");
    journalist["full_name"] = json!("Lucía Ramos");
    journalist["category"] = json!("media");
    let token = app.register_and_read_token(&slug, journalist).await;
    app.confirm(&token).await;
    let all = app.registrations(&organizer, &slug, "").await;
    assert_eq!(
        all[0]["status"], "pending_approval",
        "accreditation is decided by hand"
    );
    let id = all[0]["id"].as_str().unwrap().to_owned();
    app.outbox_drained(&organizer, &slug).await;
    assert!(
        app.smtp
            .to("periodista@example.org")
            .iter()
            .all(|m| !m.text.contains("/press/")),
        "no press link before approval"
    );

    let approved = app
        .post(
            &format!("/api/v1/meetings/{slug}/registrations/{id}/approve"),
            Some(&organizer),
            json!({}),
        )
        .await;
    assert_eq!(approved.status, 200, "{}", approved.text);
    let mails = app.smtp.wait_for("periodista@example.org", 4).await;
    let accredited = mails
        .iter()
        .find(|m| {
            m.subject
                .starts_with("Su acreditación de prensa está aprobada")
        })
        .expect("the accreditation email, in Spanish");
    let press = accredited.press_token();
    let cookie = crate::support::html::organizer_session(&app).await;
    let history = crate::support::html::with_cookie(
        &app,
        reqwest::Method::GET,
        &format!("/organizer/m/{slug}/registrations/{id}?lang=en"),
        &cookie,
        &[],
    )
    .await;
    assert!(
        history.body.contains("Emailed a press link of their own"),
        "the link is in her history"
    );
    let attendees = app
        .get(&format!("/api/v1/meetings/{slug}/attendees"), Some(&press))
        .await;
    assert_eq!(
        attendees.status, 200,
        "the link is a press token of the meeting: {}",
        attendees.text
    );
    let page = crate::support::html::fetch(&app, &format!("/press/{press}"), None).await;
    assert_eq!(page.status, 200);
    let listed = app
        .get(
            &format!("/api/v1/meetings/{slug}/press-tokens"),
            Some(&organizer),
        )
        .await;
    let labels: Vec<String> = listed.body["items"]
        .as_array()
        .or(listed.body.as_array())
        .unwrap()
        .iter()
        .map(|t| t["label"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        labels.iter().any(|l| l.contains("Lucía Ramos")),
        "{labels:?}"
    );

    // Cancelled, the journalist's link stops at once.
    let cancelled = app
        .post(
            &format!("/api/v1/meetings/{slug}/registrations/{id}/cancel"),
            Some(&organizer),
            json!({}),
        )
        .await;
    assert_eq!(cancelled.status, 200);
    let refused = app
        .get(&format!("/api/v1/meetings/{slug}/attendees"), Some(&press))
        .await;
    assert_eq!(refused.status, 401);

    // She erases her registration: the press log keeps the uses of her link, nameless.
    let log_path = format!("/api/v1/meetings/{slug}/press-log");
    let uses = app.get(&log_path, Some(&organizer)).await.body["items"]
        .as_array()
        .unwrap()
        .len();
    assert!(uses >= 2, "the list and the page were logged");
    // The latest email's link: each one replaces the one before.
    let mails = app.smtp.wait_for("periodista@example.org", 5).await;
    let manage = mails
        .iter()
        .rev()
        .find(|m| m.text.contains("/manage/"))
        .unwrap()
        .manage_token();
    let erased = app
        .call(
            reqwest::Method::DELETE,
            "/api/v1/registration",
            Some(&manage),
            None,
        )
        .await;
    assert_eq!(erased.status, 204, "{}", erased.text);
    let after = app.get(&log_path, Some(&organizer)).await.body["items"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(after, uses, "the log outlives the registration");
    let listed = app
        .get(
            &format!("/api/v1/meetings/{slug}/press-tokens"),
            Some(&organizer),
        )
        .await;
    assert!(
        !listed.text.contains("Lucía Ramos"),
        "her name is gone: {}",
        listed.text
    );
}

on_both_backends!(a_category_that_stops_accrediting_the_press_stops_its_press_links);
async fn a_category_that_stops_accrediting_the_press_stops_its_press_links(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = app.meeting(&organizer, json!({})).await;
    category(
        &app,
        &organizer,
        &slug,
        json!({"code": "media", "name": "Media", "press_accreditation": true}),
    )
    .await;
    let mut journalist = TestApp::registration_body("periodista@example.org");
    journalist["category"] = json!("media");
    let token = app.register_and_read_token(&slug, journalist).await;
    app.confirm(&token).await;
    let id = app.registrations(&organizer, &slug, "").await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.post(
        &format!("/api/v1/meetings/{slug}/registrations/{id}/approve"),
        Some(&organizer),
        json!({}),
    )
    .await;
    let mails = app.smtp.wait_for("periodista@example.org", 4).await;
    let press = mails
        .iter()
        .find(|m| m.text.contains("/press/"))
        .unwrap()
        .press_token();
    let attendees = format!("/api/v1/meetings/{slug}/attendees");
    assert_eq!(app.get(&attendees, Some(&press)).await.status, 200);
    let changed = app
        .patch(
            &format!("/api/v1/meetings/{slug}/categories/media"),
            Some(&organizer),
            json!({"press_accreditation": false}),
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.text);
    assert_eq!(app.get(&attendees, Some(&press)).await.status, 401);
}

on_both_backends!(organizers_filter_their_list_by_category);
async fn organizers_filter_their_list_by_category(backend: Backend) {
    use crate::support::html::{organizer_session, with_cookie};
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = app.meeting(&organizer, json!({})).await;
    category(
        &app,
        &organizer,
        &slug,
        json!({"code": "observer", "name": "Observer",
        "translations": {"es": {"name": "Observadora u observador"}}}),
    )
    .await;
    for (i, code) in [(1, "observer"), (2, "participant"), (3, "observer")] {
        let token = app.register_and_read_token(&slug, person(i, code)).await;
        app.confirm(&token).await;
    }
    let observers = app
        .registrations(&organizer, &slug, "category=observer")
        .await;
    assert_eq!(observers.len(), 2);
    assert!(observers.iter().all(|r| r["category"] == "observer"));
    let bad = app
        .get(
            &format!("/api/v1/meetings/{slug}/registrations?category=Not%20a%20code"),
            Some(&organizer),
        )
        .await;
    assert_eq!(bad.field_errors(), ["category"]);

    let cookie = organizer_session(&app).await;
    let table = with_cookie(
        &app,
        reqwest::Method::GET,
        &format!("/organizer/m/{slug}/registrations?category=observer&lang=es"),
        &cookie,
        &[],
    )
    .await;
    assert_eq!(table.status, 200);
    assert!(
        table.body.contains("Inscripciones encontradas: 2"),
        "counted from the kept counts"
    );
    assert!(
        table.body.contains("Observadora u observador"),
        "each row names its category"
    );
    assert!(!table.body.contains("Participante 2"), "filtered out");
    let narrowed = with_cookie(
        &app,
        reqwest::Method::GET,
        &format!("/organizer/m/{slug}/registrations?category=observer&q=participante%203"),
        &cookie,
        &[],
    )
    .await;
    assert!(narrowed.body.contains("Participante 3") && !narrowed.body.contains("Participante 1<"));
}
