//! Delegations: seats set aside that the public cannot take, a focal point who sees and
//! changes only their own delegation and never nominates past its seats (two tabs at once
//! included), and a deadline that releases unused seats to the waiting list once, however
//! many instances run it. Both backends.

use crate::on_both_backends;
use crate::support::{spawn_app, Backend, TestApp};
use serde_json::{json, Value};

/// A meeting of five seats with an invitation-only `delegate` category; answers its slug.
async fn meeting(app: &TestApp, organizer: &str) -> String {
    let slug = app.meeting(organizer, json!({"capacity": 5})).await;
    let delegate = app
        .post(
            &format!("/api/v1/meetings/{slug}/categories"),
            Some(organizer),
            json!({"code": "delegate", "name": "Delegate", "invitation_only": true,
                "translations": {"es": {"name": "Delegada o delegado"}}}),
        )
        .await;
    assert_eq!(delegate.status, 201, "{}", delegate.text);
    slug
}

async fn delegation(
    app: &TestApp,
    organizer: &str,
    slug: &str,
    focal: &str,
    seats: i64,
    deadline: Option<&str>,
) -> (u16, Value) {
    let answer = app
        .post(
            &format!("/api/v1/meetings/{slug}/delegations"),
            Some(organizer),
            json!({"organization": {"name": format!("Hub de {focal}"), "kind": "information_hub", "country": "GT"},
                "seats": seats, "category": "delegate",
                "focal_point": {"email": format!("{focal}@example.org"), "full_name": "Marta Juárez", "language": "es"},
                "nomination_deadline": deadline, "unused_seats": "release"}),
        )
        .await;
    (answer.status, answer.body)
}

/// The focal point's token, from their email.
async fn focal_token(app: &TestApp, focal: &str) -> String {
    let mails = app.smtp.wait_for(&format!("{focal}@example.org"), 1).await;
    let mail = mails.last().unwrap();
    assert!(mail.subject.contains("delegación"), "{}", mail.subject);
    let start = mail
        .text
        .find("/d/")
        .expect("a link to the delegation's page")
        + 3;
    mail.text[start..start + 64].to_owned()
}

async fn nominate(app: &TestApp, token: &str, email: &str) -> (u16, Value) {
    let answer = app
        .post(
            "/api/v1/delegation/nominations",
            Some(token),
            json!({"full_name": "Luis Ajú", "email": email, "language": "es"}),
        )
        .await;
    (answer.status, answer.body)
}

/// Registers and confirms a member of the public; answers their status.
async fn public(app: &TestApp, slug: &str, email: &str) -> String {
    let token = app
        .register_and_read_token(slug, TestApp::registration_body(email))
        .await;
    let confirmed = app.confirm(&token).await;
    confirmed.body["status"].as_str().unwrap().to_owned()
}

/// A nominee registers through the invitation their email carries; answers the status.
async fn nominee_registers(app: &TestApp, slug: &str, email: &str) -> Value {
    let mails = app.smtp.wait_for(email, 1).await;
    let mut body = TestApp::registration_body(email);
    body["invitation"] = json!(mails.last().unwrap().invitation_token());
    let answer = app.register(slug, body).await;
    assert_eq!(answer.status, 201, "{}", answer.text);
    answer.body
}

on_both_backends!(seats_set_aside_are_the_delegations_alone);
async fn seats_set_aside_are_the_delegations_alone(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = meeting(&app, &organizer).await;
    let (status, made) = delegation(&app, &organizer, &slug, "hub", 3, None).await;
    assert_eq!(status, 201, "{made}");
    assert_eq!(
        (made["seats"].as_i64(), made["nominated"].as_i64()),
        (Some(3), Some(0))
    );
    let (status, refused) = delegation(&app, &organizer, &slug, "agency", 3, None).await;
    assert_eq!(
        (status, refused["errors"][0]["code"].as_str()),
        (409, Some("not_enough_seats"))
    );

    let view = app.get(&format!("/api/v1/meetings/{slug}"), None).await;
    assert_eq!(view.body["seats_left"], 2, "three of five are set aside");
    let statuses = [
        public(&app, &slug, "p1@example.org").await,
        public(&app, &slug, "p2@example.org").await,
        public(&app, &slug, "p3@example.org").await,
    ];
    assert_eq!(statuses, ["confirmed", "confirmed", "waitlisted"]);

    // The delegation's own people still get its seats, the meeting being full to the public.
    let token = focal_token(&app, "hub").await;
    for email in ["d1@example.org", "d2@example.org", "d3@example.org"] {
        let (status, nominee) = nominate(&app, &token, email).await;
        assert_eq!(
            (status, nominee["status"].as_str()),
            (201, Some("invited")),
            "{nominee}"
        );
    }
    let (status, full) = nominate(&app, &token, "d4@example.org").await;
    assert_eq!(
        (status, full["errors"][0]["code"].as_str()),
        (409, Some("delegation_full"))
    );
    for email in ["d1@example.org", "d2@example.org"] {
        let registered = nominee_registers(&app, &slug, email).await;
        assert_eq!(registered["status"], "confirmed", "{registered}");
        assert_eq!(registered["category"], "delegate");
    }
    let stats = app.stats(&organizer, &slug).await;
    assert_eq!(stats["by_status"]["confirmed"], 4);
    assert_eq!(
        stats["seats_left"], 0,
        "the third delegate's seat is still aside"
    );
    let listed = app
        .get(
            &format!("/api/v1/meetings/{slug}/delegations"),
            Some(&organizer),
        )
        .await;
    let listed = &listed.body["items"][0];
    assert_eq!(
        (listed["nominated"].as_i64(), listed["confirmed"].as_i64()),
        (Some(3), Some(2))
    );

    // Fewer seats than confirmed delegates: refused. The third nominee withdrawn and one seat
    // fewer: the set-aside seat goes to the public's waiting list.
    let own = app.get("/api/v1/delegation", Some(&token)).await;
    let third = own.body["nominations"][2]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let withdrawn = app
        .call(
            reqwest::Method::DELETE,
            &format!("/api/v1/delegation/nominations/{third}"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(withdrawn.status, 204);
    let id = made["id"].as_str().unwrap();
    let path = format!("/api/v1/meetings/{slug}/delegations/{id}");
    let below = app
        .patch(&path, Some(&organizer), json!({"seats": 1}))
        .await;
    assert_eq!(
        (below.status, below.error_code()),
        (409, "seats_below_confirmed".to_owned())
    );
    let fewer = app
        .patch(&path, Some(&organizer), json!({"seats": 2}))
        .await;
    assert_eq!(fewer.status, 200, "{}", fewer.text);
    let p3 = app.registrations(&organizer, &slug, "").await;
    let p3 = p3.iter().find(|r| r["email"] == "p3@example.org").unwrap();
    assert_eq!(
        p3["status"], "confirmed",
        "the freed seat went to the waiting list"
    );
}

on_both_backends!(a_focal_point_reaches_its_own_delegation_alone);
async fn a_focal_point_reaches_its_own_delegation_alone(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = meeting(&app, &organizer).await;
    delegation(&app, &organizer, &slug, "hub", 2, None).await;
    delegation(&app, &organizer, &slug, "agency", 2, None).await;
    let (hub, agency) = (
        focal_token(&app, "hub").await,
        focal_token(&app, "agency").await,
    );
    let (_, theirs) = nominate(&app, &agency, "a1@example.org").await;

    let own = app.get("/api/v1/delegation", Some(&hub)).await;
    assert_eq!(own.status, 200, "{}", own.text);
    assert_eq!(own.body["organization"]["name"], "Hub de hub");
    assert_eq!(own.body["seats"], 2);
    assert_eq!(
        own.body["nominations"],
        json!([]),
        "not the other delegation's"
    );
    let id = theirs["id"].as_str().unwrap();
    let reach = app
        .call(
            reqwest::Method::DELETE,
            &format!("/api/v1/delegation/nominations/{id}"),
            Some(&hub),
            None,
        )
        .await;
    assert_eq!(reach.status, 403, "another delegation's nominee");
    for (method, path) in [
        (
            reqwest::Method::GET,
            format!("/api/v1/meetings/{slug}/registrations"),
        ),
        (
            reqwest::Method::GET,
            format!("/api/v1/meetings/{slug}/delegations"),
        ),
        (
            reqwest::Method::GET,
            format!("/api/v1/meetings/{slug}/invitations"),
        ),
        (
            reqwest::Method::GET,
            format!("/api/v1/meetings/{slug}/attendees"),
        ),
        (reqwest::Method::GET, "/api/v1/registration".to_owned()),
    ] {
        let answer = app.call(method, &path, Some(&hub), None).await;
        assert!(
            matches!(answer.status, 401 | 403),
            "{path} answered {} to a focal point",
            answer.status
        );
    }
    assert_eq!(
        app.get("/api/v1/delegation", Some(&"ab".repeat(32)))
            .await
            .status,
        401
    );
    let agency_view = app.get("/api/v1/delegation", Some(&agency)).await;
    assert_eq!(
        agency_view.body["nominations"][0]["email"],
        "a1@example.org"
    );

    // Two tabs nominate for the last seat at once: one 201, one 409.
    nominate(&app, &hub, "h1@example.org").await;
    let (first, second) = futures::join!(
        nominate(&app, &hub, "h2@example.org"),
        nominate(&app, &hub, "h3@example.org")
    );
    let mut statuses = [first.0, second.0];
    statuses.sort();
    assert_eq!(statuses, [201, 409], "{first:?} {second:?}");
    let own = app.get("/api/v1/delegation", Some(&hub)).await;
    assert_eq!(own.body["nominations"].as_array().unwrap().len(), 2);

    // Withdrawn after registering: the registration is cancelled and the seat is the
    // delegation's again, for another nominee.
    let registered = nominee_registers(&app, &slug, "h1@example.org").await;
    assert_eq!(registered["status"], "confirmed");
    let h1 = own.body["nominations"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let withdrawn = app
        .call(
            reqwest::Method::DELETE,
            &format!("/api/v1/delegation/nominations/{h1}"),
            Some(&hub),
            None,
        )
        .await;
    assert_eq!(withdrawn.status, 204, "{}", withdrawn.text);
    let all = app.registrations(&organizer, &slug, "").await;
    let h1_registration = all.iter().find(|r| r["email"] == "h1@example.org").unwrap();
    assert_eq!(h1_registration["status"], "cancelled");
    let own = app.get("/api/v1/delegation", Some(&hub)).await;
    assert_eq!(own.body["nominations"][0]["status"], "withdrawn");
    let (status, _) = nominate(&app, &hub, "h4@example.org").await;
    assert_eq!(status, 201, "the seat came back");
    let view = app.get(&format!("/api/v1/meetings/{slug}"), None).await;
    assert_eq!(view.body["seats_left"], 1, "four of five still set aside");
}

on_both_backends!(at_the_deadline_unused_seats_move_the_waiting_list_once);
async fn at_the_deadline_unused_seats_move_the_waiting_list_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = meeting(&app, &organizer).await;
    let (_, made) = delegation(
        &app,
        &organizer,
        &slug,
        "hub",
        3,
        Some("2030-05-01T12:00:00-06:00"),
    )
    .await;
    let token = focal_token(&app, "hub").await;
    nominate(&app, &token, "d1@example.org").await;
    nominee_registers(&app, &slug, "d1@example.org").await;
    let mut waiting = Vec::new();
    for i in 1..=4 {
        let email = format!("w{i}@example.org");
        waiting.push((public(&app, &slug, &email).await, email));
    }
    let statuses: Vec<_> = waiting.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(
        statuses,
        ["confirmed", "confirmed", "waitlisted", "waitlisted"]
    );

    // The deadline passes (moved to the past), and three instances run the job at once.
    let id = made["id"].as_str().unwrap();
    let moved = app
        .patch(
            &format!("/api/v1/meetings/{slug}/delegations/{id}"),
            Some(&organizer),
            json!({"nomination_deadline": "2020-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(moved.status, 200, "{}", moved.text);
    let (status, closed) = nominate(&app, &token, "d2@example.org").await;
    assert_eq!(
        (status, closed["errors"][0]["code"].as_str()),
        (409, Some("nominations_closed"))
    );
    let runs: Vec<_> = (0..3)
        .map(|_| {
            let mut conn = app.db.connect();
            std::thread::spawn(move || {
                convene::delegations::store::release_due(&mut conn, convene::db::now())
                    .map_err(|e| e.to_string())
            })
        })
        .collect();
    let outcomes: Vec<_> = runs.into_iter().map(|run| run.join().unwrap()).collect();
    let released: usize = outcomes.iter().flatten().sum();
    assert_eq!(released, 1, "released once: {outcomes:?}");

    let all = app.registrations(&organizer, &slug, "").await;
    for email in ["w3@example.org", "w4@example.org"] {
        let row = all.iter().find(|r| r["email"] == email).unwrap();
        assert_eq!(row["status"], "confirmed", "{email} got a released seat");
        // Asked to confirm, told they wait, told they have a seat: once each.
        app.smtp.wait_for(email, 3).await;
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        assert_eq!(app.smtp.to(email).len(), 3, "{email} told once");
    }
    let stats = app.stats(&organizer, &slug).await;
    assert_eq!(stats["by_status"]["confirmed"], 5);
    assert_eq!(stats["seats_left"], 0);
    let listed = app
        .get(
            &format!("/api/v1/meetings/{slug}/delegations"),
            Some(&organizer),
        )
        .await;
    assert!(listed.body["items"][0]["released_at"].is_string());
}

on_both_backends!(the_focal_points_page_nominates_and_withdraws_without_a_script);
async fn the_focal_points_page_nominates_and_withdraws_without_a_script(backend: Backend) {
    use crate::support::html::{assert_sound, fetch, post_form};
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = meeting(&app, &organizer).await;
    delegation(
        &app,
        &organizer,
        &slug,
        "hub",
        1,
        Some("2030-05-01T12:00:00-06:00"),
    )
    .await;
    let token = focal_token(&app, "hub").await;
    let page = fetch(&app, &format!("/d/{token}"), None).await;
    assert_eq!(page.status, 200);
    assert_sound(&page, "focal point's page");
    for shown in [
        "Delegación de Hub de hub",
        "Delegada o delegado",
        "Aún no ha nombrado",
    ] {
        assert!(page.body.contains(shown), "{shown}");
    }
    let bad = post_form(
        &app,
        &format!("/d/{token}"),
        &[("full_name", ""), ("email", "nope")],
    )
    .await;
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("email-error") && bad.body.contains("full_name-error"));
    let done = post_form(
        &app,
        &format!("/d/{token}"),
        &[
            ("full_name", "Luis Ajú"),
            ("email", "luis@example.org"),
            ("language", "es"),
        ],
    )
    .await;
    assert_eq!(done.status, 201, "{}", done.body);
    assert!(done.body.contains("Invitación enviada a luis@example.org"));
    assert!(
        done.body.contains("Cada lugar de su delegación"),
        "full now: no form"
    );
    app.smtp.wait_for("luis@example.org", 1).await;

    let own = app.get("/api/v1/delegation", Some(&token)).await;
    let id = own.body["nominations"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/d/{token}/nominations/{id}/withdraw");
    let asked = post_form(&app, &path, &[]).await;
    assert_eq!(asked.status, 200);
    assert!(asked.body.contains("¿Retirar"), "asked first");
    assert_eq!(
        app.get("/api/v1/delegation", Some(&token)).await.body["nominations"][0]["status"],
        "invited",
        "nothing done by asking"
    );
    let withdrawn = post_form(&app, &path, &[("confirm", "yes")]).await;
    assert_eq!(withdrawn.status, 200);
    assert!(withdrawn.body.contains("Retirada o retirado"));
    let unknown = fetch(&app, &format!("/d/{}", "0".repeat(64)), None).await;
    assert_eq!(unknown.status, 404);
}

on_both_backends!(lowered_limits_and_removed_categories_keep_delegations_honest);
async fn lowered_limits_and_removed_categories_keep_delegations_honest(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = meeting(&app, &organizer).await;
    let (_, made) = delegation(&app, &organizer, &slug, "hub", 3, None).await;
    let token = focal_token(&app, "hub").await;
    for email in ["d1@example.org", "d2@example.org"] {
        nominate(&app, &token, email).await;
    }
    // Two named: the organizer cannot take their seats from under them.
    let id = made["id"].as_str().unwrap();
    let path = format!("/api/v1/meetings/{slug}/delegations/{id}");
    let below = app
        .patch(&path, Some(&organizer), json!({"seats": 1}))
        .await;
    assert_eq!(
        (below.status, below.error_code()),
        (409, "seats_below_nominated".to_owned())
    );
    // A category promised to a delegation and its invitations stays.
    let removed = app
        .call(
            reqwest::Method::DELETE,
            &format!("/api/v1/meetings/{slug}/categories/delegate"),
            Some(&organizer),
            None,
        )
        .await;
    assert_eq!(
        (removed.status, removed.error_code()),
        (409, "category_in_use".to_owned())
    );
    // Capacity lowered below what is confirmed and set aside: a delegate waits rather than
    // overfill the meeting.
    for email in ["p1@example.org", "p2@example.org"] {
        assert_eq!(public(&app, &slug, email).await, "confirmed");
    }
    let lowered = app
        .patch(
            &format!("/api/v1/meetings/{slug}"),
            Some(&organizer),
            json!({"capacity": 3}),
        )
        .await;
    assert_eq!(lowered.status, 200, "{}", lowered.text);
    let registered = nominee_registers(&app, &slug, "d1@example.org").await;
    assert_eq!(registered["status"], "waitlisted", "{registered}");
    let stats = app.stats(&organizer, &slug).await;
    assert!(stats["by_status"]["confirmed"].as_i64().unwrap() <= 3);

    // Nothing goes out for a draft meeting: its links would not work.
    let draft = app.meeting(&organizer, json!({"status": "draft"})).await;
    let refused = app
        .post(
            &format!("/api/v1/meetings/{draft}/invitations"),
            Some(&organizer),
            json!({"email": "x@example.org"}),
        )
        .await;
    assert_eq!(
        (refused.status, refused.error_code()),
        (409, "meeting_not_published".to_owned())
    );
}

on_both_backends!(a_removed_delegation_sends_its_focal_point_nothing);
async fn a_removed_delegation_sends_its_focal_point_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = meeting(&app, &organizer).await;
    app.smtp.refuse(true);
    let (_, made) = delegation(&app, &organizer, &slug, "hub", 2, None).await;
    let id = made["id"].as_str().unwrap();
    let removed = app
        .call(
            reqwest::Method::DELETE,
            &format!("/api/v1/meetings/{slug}/delegations/{id}"),
            Some(&organizer),
            None,
        )
        .await;
    assert_eq!(removed.status, 204);
    let stats = app.stats(&organizer, &slug).await;
    assert_eq!(
        stats["emails"]["pending"], 0,
        "its email went with it: {}",
        stats["emails"]
    );
    app.smtp.refuse(false);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(app.smtp.to("hub@example.org").is_empty());
}
