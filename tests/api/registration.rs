//! Registering, confirming, self-service and the organizer's decisions.

use crate::on_both_backends;
use crate::support::Backend;
use crate::support::{spawn_app, TestApp};
use serde_json::json;

on_both_backends!(full_flow_register_confirm_and_register_again);
async fn full_flow_register_confirm_and_register_again(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = app.meeting(&organizer, json!({})).await;

    let answer = app
        .register(&slug, TestApp::registration_body("ana@example.org"))
        .await;
    assert_eq!(answer.status, 202);
    assert_eq!(answer.body, json!({"status": "pending_email"}));

    let mail = app.smtp.wait_for("ana@example.org", 1).await.remove(0);
    assert_eq!(
        mail.subject,
        "Confirme su inscripción: Intercambio regional de centros de información"
    );
    // Anyone can type any address: the email asking to confirm it names nobody.
    assert!(mail.text.starts_with("Hola:"), "{}", mail.text);
    assert!(
        !mail.text.contains("Ana María") && !mail.html.contains("Ana María"),
        "{}",
        mail.text
    );
    assert!(mail.html.contains("Confirmar mi inscripción"));
    assert!(mail.text.contains(&format!("{}/confirm/", app.address)));
    assert!(
        mail.message_id.ends_with("@127.0.0.1"),
        "{}",
        mail.message_id
    );

    let confirmed = app.confirm(&mail.confirm_token()).await;
    assert_eq!(confirmed.status, 200, "{}", confirmed.text);
    // The status alone: whoever holds a confirm link is not yet known to be Ana.
    assert_eq!(confirmed.body, json!({"status": "confirmed"}));

    let welcome = app.smtp.wait_for("ana@example.org", 2).await.remove(1);
    assert!(
        welcome.text.starts_with("Hola, Ana María Pérez:"),
        "{}",
        welcome.text
    );
    assert_eq!(
        welcome.subject,
        "Su lugar está confirmado: Intercambio regional de centros de información"
    );
    let (name, content_type, ics) = welcome.calendar();
    assert_eq!(
        (name.as_str(), content_type.as_str()),
        ("invite.ics", "text/calendar")
    );
    let ics = String::from_utf8(ics.clone()).unwrap();
    assert!(
        ics.contains("BEGIN:VEVENT") && ics.contains("DTSTART:20300529T150000Z"),
        "{ics}"
    );

    // The confirm link is single-use: a second use finds nothing and sends nothing.
    assert_eq!(app.confirm(&mail.confirm_token()).await.status, 404);

    // The same address, in other letters: the same answer, an email, no second registration.
    let again = app
        .register(&slug, TestApp::registration_body("ANA@example.org"))
        .await;
    assert_eq!(
        (again.status, again.body.clone()),
        (202, json!({"status": "pending_email"}))
    );
    let notice = app.smtp.wait_for("ana@example.org", 3).await.remove(2);
    assert_eq!(
        notice.subject,
        "Ya tiene una inscripción: Intercambio regional de centros de información"
    );
    let manage = notice.manage_token();
    let own = app.get("/api/v1/registration", Some(&manage)).await;
    assert_eq!(own.body["status"], "confirmed");
    // One live manage link per registration: the one in the latest email.
    assert_eq!(
        app.get("/api/v1/registration", Some(&welcome.manage_token()))
            .await
            .status,
        401
    );
    assert_eq!(app.registrations(&organizer, &slug, "").await.len(), 1);
    // Registering the address again within the hour answers alike and emails nobody.
    for _ in 0..5 {
        let again = app
            .register(&slug, TestApp::registration_body("ana@example.org"))
            .await;
        assert_eq!(
            (again.status, again.body.clone()),
            (202, json!({"status": "pending_email"}))
        );
    }
    app.outbox_drained(&organizer, &slug).await;
    assert_eq!(app.smtp.to("ana@example.org").len(), 3);
    assert_eq!(
        app.get("/api/v1/registration", Some(&manage)).await.status,
        200,
        "the emailed link still works"
    );
}

on_both_backends!(emails_follow_the_participant_language);
async fn emails_follow_the_participant_language(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = app.meeting(&organizer, json!({})).await;
    let mut body = TestApp::registration_body("joe@example.org");
    body["language"] = json!("en");
    body["full_name"] = json!("Joe Bloggs");
    let token = app.register_and_read_token(&slug, body).await;
    let first = app.smtp.to("joe@example.org").remove(0);
    assert_eq!(
        first.subject,
        "Please confirm your registration: Regional exchange of migrant information hubs"
    );
    assert!(first.text.starts_with("Hello,"), "{}", first.text);
    assert!(first.text.contains("29 May 2030, 09:00"), "{}", first.text);
    app.confirm(&token).await;
    let second = app.smtp.wait_for("joe@example.org", 2).await.remove(1);
    assert_eq!(
        second.subject,
        "Your place is confirmed: Regional exchange of migrant information hubs"
    );
    assert!(
        second.text.starts_with("Hello Joe Bloggs,"),
        "{}",
        second.text
    );
}

on_both_backends!(every_bad_field_is_named_and_nothing_is_written);
async fn every_bad_field_is_named_and_nothing_is_written(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = app.meeting(&organizer, json!({})).await;
    let bad = json!({
        "full_name": " ", "email": "not-an-address",
        "organization": {"name": "", "kind": "club", "country": "XX"},
        "job_title": "x".repeat(201), "country": "Mexico", "language": "fr",
        "consent_data_processing": false, "dietary": "d".repeat(1001),
        "accessibility": null, "interpretation": null
    });
    let answer = app.register(&slug, bad).await;
    assert_eq!(answer.status, 422, "{}", answer.text);
    let mut fields = answer.field_errors();
    fields.sort();
    assert_eq!(
        fields,
        [
            "consent_data_processing",
            "country",
            "dietary",
            "email",
            "full_name",
            "job_title",
            "language",
            "organization.country",
            "organization.kind",
            "organization.name",
        ]
    );
    for error in answer.body["errors"].as_array().unwrap() {
        assert!(!error["message"].as_str().unwrap().is_empty());
    }
    // Missing consent alone, and a missing organisation alone.
    let mut no_consent = TestApp::registration_body("a@example.org");
    no_consent
        .as_object_mut()
        .unwrap()
        .remove("consent_data_processing");
    assert_eq!(
        app.register(&slug, no_consent).await.field_errors(),
        ["consent_data_processing"]
    );
    let mut no_org = TestApp::registration_body("a@example.org");
    no_org.as_object_mut().unwrap().remove("organization");
    assert!(app
        .register(&slug, no_org)
        .await
        .field_errors()
        .contains(&"organization".to_owned()));
    // A wrong type is a 422 too, never a 500.
    let mut wrong_type = TestApp::registration_body("a@example.org");
    wrong_type["consent_data_processing"] = json!("yes");
    assert_eq!(app.register(&slug, wrong_type).await.status, 422);

    let stats = app.stats(&organizer, &slug).await;
    assert_eq!(stats["by_status"], json!({}));
    assert_eq!(stats["emails"], json!({"pending": 0, "sent": 0, "dead": 0}));
}

on_both_backends!(oversized_bodies_closed_windows_and_unknown_meetings);
async fn oversized_bodies_closed_windows_and_unknown_meetings(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = app.meeting(&organizer, json!({})).await;
    let mut huge = TestApp::registration_body("big@example.org");
    huge["dietary"] = json!("x".repeat(200_000));
    assert_eq!(app.register(&slug, huge).await.status, 413);

    let closed = app
        .meeting(
            &organizer,
            json!({"registration_closes_at": "2020-01-01T00:00:00-06:00"}),
        )
        .await;
    let answer = app
        .register(&closed, TestApp::registration_body("late@example.org"))
        .await;
    assert_eq!(
        (answer.status, answer.error_code()),
        (409, "registration_closed".to_owned())
    );
    let not_yet = app
        .meeting(
            &organizer,
            json!({"registration_opens_at": "2030-01-01T00:00:00-06:00"}),
        )
        .await;
    assert_eq!(
        app.register(&not_yet, TestApp::registration_body("early@example.org"))
            .await
            .status,
        409
    );

    let draft = app.meeting(&organizer, json!({"status": "draft"})).await;
    assert_eq!(
        app.register(&draft, TestApp::registration_body("d@example.org"))
            .await
            .status,
        404
    );
    assert_eq!(
        app.register(
            "no-such-meeting",
            TestApp::registration_body("d@example.org")
        )
        .await
        .status,
        404
    );
    assert_eq!(
        app.register("Bad Slug!", TestApp::registration_body("d@example.org"))
            .await
            .status,
        404
    );
    assert!(app.smtp.all().is_empty());
}

on_both_backends!(participants_manage_their_own_registration);
async fn participants_manage_their_own_registration(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = app.meeting(&organizer, json!({})).await;
    let token = app
        .register_and_read_token(&slug, TestApp::registration_body("ana@example.org"))
        .await;
    app.confirm(&token).await;
    let manage = app.smtp.wait_for("ana@example.org", 2).await[1].manage_token();

    let own = app.get("/api/v1/registration", Some(&manage)).await;
    assert_eq!(own.status, 200);
    assert_eq!(
        own.body["organization"]["name"],
        "Centro de Información Tapachula"
    );

    let changed = app
        .patch(
            "/api/v1/registration",
            Some(&manage),
            json!({
                "job_title": "Directora", "consent_press_listing": true, "dietary": "Sin gluten"
            }),
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.text);
    assert_eq!(changed.body["job_title"], "Directora");
    assert_eq!(changed.body["consent_press_listing"], true);
    assert_eq!(changed.body["full_name"], "Ana María Pérez");

    let refused = app
        .patch(
            "/api/v1/registration",
            Some(&manage),
            json!({
                "email": "other@example.org", "country": "ZZ"
            }),
        )
        .await;
    assert_eq!(refused.status, 422);
    assert_eq!(refused.field_errors(), ["email"]);
    let refused = app
        .patch(
            "/api/v1/registration",
            Some(&manage),
            json!({"country": "ZZ", "full_name": ""}),
        )
        .await;
    let mut fields = refused.field_errors();
    fields.sort();
    assert_eq!(fields, ["country", "full_name"]);
    assert_eq!(
        app.get("/api/v1/registration", Some(&manage)).await.body["country"],
        "MX"
    );

    let calendar = app
        .client
        .get(format!("{}/api/v1/registration/calendar.ics", app.address))
        .bearer_auth(&manage)
        .send()
        .await
        .unwrap();
    assert_eq!(calendar.status(), 200);
    assert!(calendar.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/calendar"));
    assert!(calendar
        .text()
        .await
        .unwrap()
        .contains("SUMMARY:Intercambio regional"));

    let cancelled = app
        .post("/api/v1/registration/cancel", Some(&manage), json!({}))
        .await;
    assert_eq!(
        (cancelled.status, cancelled.body["status"].as_str()),
        (200, Some("cancelled"))
    );
    let mail = app.smtp.wait_for("ana@example.org", 3).await.remove(2);
    assert_eq!(
        mail.subject,
        "Su inscripción ha sido cancelada: Intercambio regional de centros de información"
    );
    // That email's link replaced the earlier ones.
    assert_eq!(
        app.get("/api/v1/registration", Some(&manage)).await.status,
        401
    );
    let twice = app
        .post(
            "/api/v1/registration/cancel",
            Some(&mail.manage_token()),
            json!({}),
        )
        .await;
    assert_eq!(
        (twice.status, twice.error_code()),
        (409, "invalid_transition".to_owned())
    );

    // Cancelled, the address may register afresh: a new registration beside the old one.
    let token = app
        .register_and_read_token(&slug, TestApp::registration_body("ana@example.org"))
        .await;
    assert_eq!(app.confirm(&token).await.body["status"], "confirmed");
    assert_eq!(app.registrations(&organizer, &slug, "").await.len(), 2);
}

on_both_backends!(unconfirmed_registrations_expire_after_48_hours);
async fn unconfirmed_registrations_expire_after_48_hours(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = app.meeting(&organizer, json!({})).await;
    let token = app
        .register_and_read_token(&slug, TestApp::registration_body("slow@example.org"))
        .await;
    app.register_and_read_token(&slug, TestApp::registration_body("fresh@example.org"))
        .await;
    let mut conn = app.db.connect();
    {
        use convene::schema::registrations::dsl::*;
        use diesel::prelude::*;
        diesel::update(registrations.filter(email.eq("slow@example.org")))
            .set(created_at.eq(convene::db::now() - chrono::Duration::hours(49)))
            .execute(&mut conn)
            .unwrap();
    }
    let expired =
        convene::registrations::store::expire_unconfirmed(&mut conn, convene::db::now()).unwrap();
    assert_eq!(expired, 1);
    let statuses: Vec<_> = app
        .registrations(&organizer, &slug, "")
        .await
        .iter()
        .map(|r| {
            (
                r["email"].as_str().unwrap().to_owned(),
                r["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(statuses.contains(&("slow@example.org".into(), "expired".into())));
    assert!(statuses.contains(&("fresh@example.org".into(), "pending_email".into())));
    // Its confirm link no longer works; registering again does.
    assert_eq!(app.confirm(&token).await.status, 404);
    let token = app
        .register_and_read_token(&slug, TestApp::registration_body("slow@example.org"))
        .await;
    assert_eq!(app.confirm(&token).await.body["status"], "confirmed");
}

on_both_backends!(organizers_approve_reject_check_in_and_cancel);
async fn organizers_approve_reject_check_in_and_cancel(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = app
        .meeting(
            &organizer,
            json!({"requires_approval": true, "capacity": 1}),
        )
        .await;
    let mut ids = Vec::new();
    for who in ["a@example.org", "b@example.org", "c@example.org"] {
        let token = app
            .register_and_read_token(&slug, TestApp::registration_body(who))
            .await;
        let answer = app.confirm(&token).await;
        assert_eq!(
            answer.body,
            json!({"status": "pending_approval"}),
            "confirming answers the status only"
        );
        let awaiting = app.smtp.wait_for(who, 2).await.remove(1);
        ids.push(
            app.get("/api/v1/registration", Some(&awaiting.manage_token()))
                .await
                .body["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
        assert!(awaiting
            .subject
            .starts_with("Su inscripción está pendiente de aprobación"));
    }
    let act =
        |id: &str, action: &str| format!("/api/v1/meetings/{slug}/registrations/{id}/{action}");
    let approved = app
        .post(&act(&ids[0], "approve"), Some(&organizer), json!({}))
        .await;
    assert_eq!(
        (approved.status, approved.body["status"].as_str()),
        (200, Some("confirmed"))
    );
    assert!(app.smtp.wait_for("a@example.org", 3).await[2]
        .subject
        .starts_with("Su inscripción ha sido aprobada"));
    // Full: the next approval goes to the waiting list.
    let second = app
        .post(&act(&ids[1], "approve"), Some(&organizer), json!({}))
        .await;
    assert_eq!(
        (
            second.body["status"].as_str(),
            second.body["waitlist_position"].as_i64()
        ),
        (Some("waitlisted"), Some(1))
    );
    assert!(app.smtp.wait_for("b@example.org", 3).await[2]
        .text
        .contains("número 1"));
    let rejected = app
        .post(&act(&ids[2], "reject"), Some(&organizer), json!({}))
        .await;
    assert_eq!(rejected.body["status"], "rejected");
    assert!(app.smtp.wait_for("c@example.org", 3).await[2]
        .subject
        .starts_with("No fue posible aceptar"));
    // Invalid transitions.
    for (id, action) in [
        (&ids[0], "approve"),
        (&ids[2], "approve"),
        (&ids[2], "reject"),
        (&ids[1], "check-in"),
        (&ids[2], "cancel"),
    ] {
        let answer = app
            .post(&act(id, action), Some(&organizer), json!({}))
            .await;
        assert_eq!(
            (answer.status, answer.error_code()),
            (409, "invalid_transition".to_owned()),
            "{action}"
        );
    }
    assert_eq!(
        app.post(&act("nope", "approve"), Some(&organizer), json!({}))
            .await
            .status,
        404
    );
    assert_eq!(
        app.post(&act(&ids[0], "explode"), Some(&organizer), json!({}))
            .await
            .status,
        404
    );
    let checked = app
        .post(&act(&ids[0], "check-in"), Some(&organizer), json!({}))
        .await;
    assert!(checked.body["checked_in_at"].is_string());
    // The organizer cancels the confirmed one: the waiting list moves up.
    let cancelled = app
        .post(&act(&ids[0], "cancel"), Some(&organizer), json!({}))
        .await;
    assert_eq!(cancelled.body["status"], "cancelled");
    let promoted = app.smtp.wait_for("b@example.org", 4).await.remove(3);
    assert!(
        promoted.subject.starts_with("Se liberó un lugar"),
        "{}",
        promoted.subject
    );
    let waiting = app
        .registrations(&organizer, &slug, "status=confirmed")
        .await;
    assert_eq!(waiting.len(), 1);
    assert_eq!(waiting[0]["email"], "b@example.org");

    // Every change is in the audit log.
    let mut conn = app.db.connect();
    let entries = convene::audit::about(&mut conn, &ids[0]).unwrap();
    let actions: Vec<_> = entries.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "registration.created",
            "registration.pending_approval",
            "registration.confirmed",
            "registration.checked_in",
            "registration.cancelled"
        ]
    );
    assert!(entries[2].actor.starts_with("account:"));
}

on_both_backends!(the_organizer_list_filters_pages_and_exports);
async fn the_organizer_list_filters_pages_and_exports(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = app.meeting(&organizer, json!({})).await;
    let people = [
        ("ana@example.org", "Ana Peña", "information_hub", "MX"),
        (
            "luis@example.org",
            "=HYPERLINK(\"http://x\")",
            "un_agency",
            "GT",
        ),
        ("sara@example.org", "Sara 100%_done", "civil_society", "GT"),
    ];
    for (email, name, kind, country) in people {
        let mut body = TestApp::registration_body(email);
        body["full_name"] = json!(name);
        body["country"] = json!(country);
        body["organization"] =
            json!({"name": format!("Org {kind}"), "kind": kind, "country": country});
        app.register_and_read_token(&slug, body).await;
    }
    let page = app
        .get(
            &format!("/api/v1/meetings/{slug}/registrations?limit=2"),
            Some(&organizer),
        )
        .await;
    assert_eq!(page.body["items"].as_array().unwrap().len(), 2);
    let cursor = page.body["next_cursor"].as_str().unwrap();
    let rest = app
        .get(
            &format!("/api/v1/meetings/{slug}/registrations?limit=2&cursor={cursor}"),
            Some(&organizer),
        )
        .await;
    assert_eq!(rest.body["items"].as_array().unwrap().len(), 1);
    assert!(rest.body["next_cursor"].is_null());

    let emails = |items: Vec<serde_json::Value>| {
        items
            .iter()
            .map(|r| r["email"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        emails(app.registrations(&organizer, &slug, "country=GT").await),
        ["luis@example.org", "sara@example.org"]
    );
    assert_eq!(
        emails(
            app.registrations(&organizer, &slug, "organization_kind=un_agency")
                .await
        ),
        ["luis@example.org"]
    );
    assert_eq!(
        emails(app.registrations(&organizer, &slug, "q=PEÑA").await),
        ["ana@example.org"]
    );
    // Accents and case do not matter, either way round.
    for typed in ["pena", "ANA%20PENA", "a%20pe"] {
        assert_eq!(
            emails(
                app.registrations(&organizer, &slug, &format!("q={typed}"))
                    .await
            ),
            ["ana@example.org"],
            "{typed}"
        );
    }
    assert_eq!(
        emails(app.registrations(&organizer, &slug, "q=100%25_").await),
        ["sara@example.org"]
    );
    assert!(app.registrations(&organizer, &slug, "q=%25").await.len() == 1);
    assert!(app
        .registrations(&organizer, &slug, "q=' OR 1=1 --")
        .await
        .is_empty());
    // Injection in every filter is a value to match or a bad value, never SQL.
    for attack in [
        "' OR '1'='1",
        "x'); DROP TABLE registrations; --",
        "1; SELECT pg_sleep(5)",
        "\" OR \"\"=\"",
    ] {
        let encoded = url::form_urlencoded::byte_serialize(attack.as_bytes()).collect::<String>();
        for filter in [
            "status",
            "organization_kind",
            "country",
            "q",
            "cursor",
            "limit",
        ] {
            let answer = app
                .get(
                    &format!("/api/v1/meetings/{slug}/registrations?{filter}={encoded}"),
                    Some(&organizer),
                )
                .await;
            match answer.status {
                200 => assert_eq!(
                    answer.body["items"],
                    serde_json::json!([]),
                    "{filter}={attack} matched nothing"
                ),
                422 => assert_eq!(answer.field_errors(), [filter], "{filter}={attack}"),
                other => panic!("{filter}={attack} answered {other}: {}", answer.text),
            }
        }
        let press = app
            .get(
                &format!("/api/v1/meetings/{slug}/attendees?cursor={encoded}"),
                Some(&organizer),
            )
            .await;
        assert!(matches!(press.status, 200 | 422), "{}", press.text);
    }
    assert_eq!(
        app.registrations(&organizer, &slug, "").await.len(),
        3,
        "the table is intact"
    );
    assert_eq!(
        app.registrations(&organizer, &slug, "status=pending_email")
            .await
            .len(),
        3
    );
    let bad = app
        .get(
            &format!("/api/v1/meetings/{slug}/registrations?status=happy&limit=5000&country=XX"),
            Some(&organizer),
        )
        .await;
    let mut fields = bad.field_errors();
    fields.sort();
    assert_eq!(
        (bad.status, fields),
        (
            422,
            vec!["country".to_owned(), "limit".into(), "status".into()]
        )
    );

    let csv = app
        .client
        .get(format!(
            "{}/api/v1/meetings/{slug}/registrations.csv",
            app.address
        ))
        .bearer_auth(&organizer)
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), 200);
    assert!(csv.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains(&slug));
    let bytes = csv.bytes().await.unwrap();
    let mut reader = csv::Reader::from_reader(&bytes[3..]);
    let headers = reader.headers().unwrap().clone();
    assert_eq!(&headers[2], "category");
    assert_eq!(&headers[8], "email");
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 3);
    let names: Vec<&str> = rows.iter().map(|r| &r[7]).collect();
    assert_eq!(
        names,
        ["Ana Peña", "'=HYPERLINK(\"http://x\")", "Sara 100%_done"]
    );
    assert_eq!(&rows[0][2], "participant");
    assert_eq!(&rows[0][18], "");
    assert_eq!(&rows[0][19], "es-en");
}

on_both_backends!(typed_names_cannot_reach_email_headers);
async fn typed_names_cannot_reach_email_headers(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = app.meeting(&organizer, json!({})).await;
    let mut body = TestApp::registration_body("ana@example.org");
    body["full_name"] = json!("Ana\r\nBcc: evil@example.org");
    assert_eq!(
        app.register(&slug, body).await.field_errors(),
        ["full_name"]
    );

    let mut body = TestApp::registration_body("ana@example.org");
    body["full_name"] = json!("Ana <evil@example.org>, \"Bcc: evil@example.org\" =?utf-8?q?x?=");
    assert_eq!(app.register(&slug, body).await.status, 202);
    let first = app.smtp.wait_for("ana@example.org", 1).await.remove(0);
    assert!(
        !first.text.contains("evil"),
        "the email to an unproven address names nobody"
    );
    app.confirm(&first.confirm_token()).await;
    let mail = app.smtp.wait_for("ana@example.org", 2).await.remove(1);
    assert_eq!(mail.to, ["ana@example.org"]);
    assert_eq!(mail.to_header, ["ana@example.org"]);
    assert!(!mail
        .header_names
        .iter()
        .any(|h| h.eq_ignore_ascii_case("bcc")));
    assert!(
        mail.text.contains("Ana <evil@example.org>"),
        "the name is shown as typed"
    );
    assert!(
        !mail.subject.contains("Ana"),
        "no name in the subject: {}",
        mail.subject
    );
    assert_eq!(app.smtp.all().len(), 2);
}

on_both_backends!(names_in_emails_are_cut_short);
async fn names_in_emails_are_cut_short(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = app.meeting(&organizer, json!({})).await;
    let mut body = TestApp::registration_body("ana@example.org");
    let message =
        "Your account is suspended: call +1 555 0100 at once to restore it, or lose your seat";
    body["full_name"] = json!(message);
    let token = app.register_and_read_token(&slug, body).await;
    app.confirm(&token).await;
    let mail = app.smtp.wait_for("ana@example.org", 2).await.remove(1);
    assert!(
        !mail.text.contains(message) && !mail.html.contains(message),
        "{}",
        mail.text
    );
    assert!(
        mail.text.contains("Your account is suspended: call +1 555"),
        "{}",
        mail.text
    );
    assert!(!mail.subject.contains("suspended"), "{}", mail.subject);
    // The organizer still sees the name as typed.
    assert_eq!(
        app.registrations(&organizer, &slug, "").await[0]["full_name"],
        message
    );
}

on_both_backends!(a_cancelled_address_registers_afresh_and_the_old_data_stays_apart);
async fn a_cancelled_address_registers_afresh_and_the_old_data_stays_apart(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = app.meeting(&organizer, json!({})).await;
    let mut body = TestApp::registration_body("ana@example.org");
    body["dietary"] = json!("sin gluten");
    let token = app.register_and_read_token(&slug, body).await;
    app.confirm(&token).await;
    let cancelled = app.smtp.wait_for("ana@example.org", 2).await[1].manage_token();
    assert_eq!(
        app.post("/api/v1/registration/cancel", Some(&cancelled), json!({}))
            .await
            .status,
        200
    );
    let old_link = app.smtp.wait_for("ana@example.org", 3).await[2].manage_token();

    // A stranger registers the address again, with other details.
    let mut stranger = TestApp::registration_body("Ana@Example.org");
    stranger["full_name"] = json!("Someone Else");
    stranger["dietary"] = json!(null);
    let token = app.register_and_read_token(&slug, stranger).await;
    let mails = app.smtp.to("ana@example.org");
    assert!(
        !mails[3].text.contains("sin gluten") && !mails[3].text.contains("Ana María"),
        "the new email shows nothing of the old registration"
    );
    // The old registration is untouched, and its link still shows it, not the new one.
    let old = app.get("/api/v1/registration", Some(&old_link)).await.body;
    assert_eq!(
        (
            old["status"].as_str(),
            old["full_name"].as_str(),
            old["dietary"].as_str()
        ),
        (
            Some("cancelled"),
            Some("Ana María Pérez"),
            Some("sin gluten")
        )
    );
    let all = app.registrations(&organizer, &slug, "").await;
    assert_eq!(all.len(), 2, "{all:?}");
    assert_ne!(all[0]["id"], all[1]["id"]);
    assert_eq!(
        app.confirm(&token).await.body,
        json!({"status": "confirmed"})
    );
    let fresh = app.smtp.wait_for("ana@example.org", 5).await[4].manage_token();
    let new = app.get("/api/v1/registration", Some(&fresh)).await.body;
    assert_eq!(
        (new["full_name"].as_str(), new["dietary"].as_str()),
        (Some("Someone Else"), None)
    );
    assert_ne!(new["id"], old["id"]);
    // Now confirmed, the address is known again: registering it once more creates nothing.
    assert_eq!(
        app.register(&slug, TestApp::registration_body("ana@example.org"))
            .await
            .status,
        202
    );
    assert_eq!(app.registrations(&organizer, &slug, "").await.len(), 2);
}

on_both_backends!(look_alike_organisation_names_share_one_limit);
async fn look_alike_organisation_names_share_one_limit(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = app
        .meeting(
            &organizer,
            json!({"capacity": null, "per_organization_limit": 1}),
        )
        .await;
    let names = [
        "Centro Hub Tapachula",
        "Centr\u{043E} Hub Tapachula.", // Cyrillic о, trailing dot
        "CENTRO  Hub - Tapachula",      // case, spaces, punctuation
        "\u{FF23}entro Hub Tapachula",  // fullwidth C
    ];
    let mut statuses = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let mut body = TestApp::registration_body(&format!("p{i}@example.org"));
        body["organization"]["name"] = json!(name);
        let token = app.register_and_read_token(&slug, body).await;
        let confirmed = app.confirm(&token).await;
        assert_eq!(confirmed.status, 200, "{}", confirmed.text);
        statuses.push(confirmed.body["status"].as_str().unwrap().to_owned());
    }
    assert_eq!(
        statuses,
        ["confirmed", "waitlisted", "waitlisted", "waitlisted"]
    );
    // A zero-width space is refused outright (names_with_direction_or_invisible_characters_…).
    // A different organisation is not held back by that limit.
    let mut other = TestApp::registration_body("q@example.org");
    other["organization"]["name"] = json!("Centro Hub Tijuana");
    let token = app.register_and_read_token(&slug, other).await;
    assert_eq!(app.confirm(&token).await.body["status"], "confirmed");
    app.outbox_drained(&organizer, &slug).await;
}

on_both_backends!(names_with_direction_or_invisible_characters_are_refused);
async fn names_with_direction_or_invisible_characters_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = app.meeting(&organizer, json!({})).await;
    let mut body = TestApp::registration_body("ana@example.org");
    body["full_name"] = json!("Ana \u{202E}zeréP");
    let answer = app.register(&slug, body).await;
    assert_eq!(answer.status, 422, "{}", answer.text);
    assert_eq!(answer.field_errors(), ["full_name"]);
    assert_eq!(answer.error_code(), "invisible_characters");
    let mut body = TestApp::registration_body("ana@example.org");
    body["organization"]["name"] = json!("Centro\u{2066} Hub");
    body["job_title"] = json!("Coordinadora\u{200D}");
    let answer = app.register(&slug, body).await;
    assert_eq!(answer.status, 422, "{}", answer.text);
    assert_eq!(answer.field_errors(), ["organization.name", "job_title"]);
    assert!(app.registrations(&organizer, &slug, "").await.is_empty());
}

on_both_backends!(organisation_keys_of_an_older_rule_are_recomputed_and_merged);
async fn organisation_keys_of_an_older_rule_are_recomputed_and_merged(backend: Backend) {
    use convene::schema::{organizations, registrations};
    use diesel::prelude::*;
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = app.meeting(&organizer, json!({})).await;
    for (email, name) in [
        ("a@example.org", "Hub Tapachula"),
        ("b@example.org", "Hub Tijuana"),
    ] {
        let mut body = TestApp::registration_body(email);
        body["organization"]["name"] = json!(name);
        app.register_and_read_token(&slug, body).await;
    }
    // As the older rule (case and spaces only) stored a look-alike.
    let mut conn = app.db.connect();
    diesel::update(organizations::table.filter(organizations::name.eq("Hub Tijuana")))
        .set((
            organizations::name.eq("Hub Tapachula."),
            organizations::name_key.eq("hub tapachula."),
        ))
        .execute(&mut conn)
        .unwrap();

    assert_eq!(
        convene::registrations::store::rekey_organizations(&mut conn).unwrap(),
        1
    );
    assert_eq!(
        convene::registrations::store::rekey_organizations(&mut conn).unwrap(),
        0,
        "idempotent"
    );
    let orgs: Vec<(String, String)> = organizations::table
        .select((organizations::name, organizations::name_key))
        .load(&mut conn)
        .unwrap();
    assert_eq!(
        orgs,
        [("Hub Tapachula".to_owned(), "hub tapachula".to_owned())]
    );
    let used: Vec<String> = registrations::table
        .select(registrations::organization_id)
        .distinct()
        .load(&mut conn)
        .unwrap();
    assert_eq!(used.len(), 1, "both registrations now name the one left");
    app.outbox_drained(&organizer, &slug).await;
}
