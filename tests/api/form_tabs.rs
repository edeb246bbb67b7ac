//! The dashboard's tabs for categories, questions, invitations and delegations: each page is
//! sound HTML, each form does what the API does, refusals are named, and what cannot be undone
//! is asked first. Both backends.

use crate::on_both_backends;
use crate::support::html::{assert_sound, csrf_of, organizer_session, with_cookie, Page};
use crate::support::{spawn_app, Backend, TestApp};
use serde_json::json;

struct Session<'a> {
    app: &'a TestApp,
    cookie: String,
    csrf: String,
}

impl Session<'_> {
    async fn get(&self, path: &str) -> Page {
        let page = with_cookie(self.app, reqwest::Method::GET, path, &self.cookie, &[]).await;
        assert_eq!(page.status, 200, "{path}: {}", page.body);
        assert_sound(&page, path);
        page
    }

    async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let mut all = vec![("csrf", self.csrf.as_str())];
        all.extend_from_slice(fields);
        with_cookie(self.app, reqwest::Method::POST, path, &self.cookie, &all).await
    }
}

on_both_backends!(organizers_shape_the_form_and_invite_from_the_dashboard);
async fn organizers_shape_the_form_and_invite_from_the_dashboard(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = app.meeting(&organizer, json!({"capacity": 10})).await;
    let cookie = organizer_session(&app).await;
    let base = format!("/organizer/m/{slug}");
    let first = with_cookie(
        &app,
        reqwest::Method::GET,
        &format!("{base}/categories?lang=en"),
        &cookie,
        &[],
    )
    .await;
    let session = Session {
        app: &app,
        csrf: csrf_of(&first),
        cookie,
    };

    // Categories: add one, refused fields named, change it, removal asked first.
    let bad = session
        .post(
            &format!("{base}/categories"),
            &[("code", "Bad Code"), ("name", "")],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("code-error") && bad.body.contains("name-error"));
    let added = session
        .post(
            &format!("{base}/categories"),
            &[
                ("code", "delegate"),
                ("name", "Delegate"),
                ("name_es", "Delegada o delegado"),
                ("capacity", "4"),
                ("invitation_only", "on"),
            ],
        )
        .await;
    assert_eq!(added.status, 303, "{}", added.body);
    let meeting = app
        .get(&format!("/api/v1/meetings/{slug}?lang=es"), None)
        .await;
    let delegate = &meeting.body["categories"][1];
    assert_eq!(
        (
            delegate["name"].as_str(),
            delegate["invitation_only"].as_bool()
        ),
        (Some("Delegada o delegado"), Some(true))
    );
    let tab = session.get(&format!("{base}/categories?lang=es")).await;
    assert!(tab.body.contains("Delegada o delegado"));
    let changed = session
        .post(
            &format!("{base}/categories/delegate"),
            &[
                ("name", "Delegate"),
                ("capacity", "6"),
                ("invitation_only", "on"),
            ],
        )
        .await;
    assert_eq!(changed.status, 303, "{}", changed.body);
    let meeting = app.get(&format!("/api/v1/meetings/{slug}"), None).await;
    assert_eq!(meeting.body["categories"][1]["capacity"], 6);
    let asked = session
        .post(&format!("{base}/categories/participant/remove"), &[])
        .await;
    assert_eq!(asked.status, 200);
    assert!(asked.body.contains("confirmed"), "asked first");

    // Questions: a choice with its options one per line, for delegates.
    let question = session
        .post(
            &format!("{base}/questions"),
            &[("code", "hotel"), ("label", "Hotel"), ("label_es", "Hotel"), ("kind", "choice"),
              ("options", "single: Single room | Habitación individual\nshared: Shared room | Habitación compartida"),
              ("required", "on"), ("category_delegate", "on")],
        )
        .await;
    assert_eq!(question.status, 303, "{}", question.body);
    let meeting = app
        .get(&format!("/api/v1/meetings/{slug}?lang=es"), None)
        .await;
    let hotel = &meeting.body["questions"][0];
    assert_eq!(hotel["options"][1]["label"], "Habitación compartida");
    assert_eq!(hotel["categories"], json!(["delegate"]));
    assert_eq!(hotel["required"], true);
    let tab = session.get(&format!("{base}/questions?lang=es")).await;
    assert!(tab
        .body
        .contains("Habitación individual · Habitación compartida"));
    let no_options = session
        .post(
            &format!("{base}/questions"),
            &[("code", "room"), ("label", "Room"), ("kind", "choice")],
        )
        .await;
    assert_eq!(no_options.status, 422);
    assert!(no_options.body.contains("options-error"));

    // Invitations: one, then a pasted list refused whole for a bad line, then a good one.
    let invited = session
        .post(
            &format!("{base}/invitations"),
            &[
                ("email", "ana@example.org"),
                ("category", "delegate"),
                ("language", "es"),
            ],
        )
        .await;
    assert_eq!(invited.status, 303, "{}", invited.body);
    app.smtp.wait_for("ana@example.org", 1).await;
    let pasted =
        "email\tfull_name\tcategory\nbea@example.org\tBea\tdelegate\nnot-an-address\tX\tdelegate\n";
    let refused = session
        .post(&format!("{base}/invitations/import"), &[("csv", pasted)])
        .await;
    assert_eq!(refused.status, 422);
    assert!(
        refused.body.contains("lines[3].email"),
        "the bad line named"
    );
    let good = "email,category\nbea@example.org,delegate\nana@example.org,delegate\n";
    let imported = session
        .post(&format!("{base}/invitations/import"), &[("csv", good)])
        .await;
    assert_eq!(imported.status, 201, "{}", imported.body);
    assert!(
        imported.body.contains("1 invitation sent")
            || imported.body.contains("1 invitación enviada")
    );
    assert!(
        imported.body.contains("ana@example.org"),
        "the skipped line listed"
    );
    let tab = session.get(&format!("{base}/invitations?lang=en")).await;
    assert!(tab.body.contains("bea@example.org") && tab.body.contains("Sent, not used yet"));

    // Delegations: seats set aside from the form, then fewer than confirmed refused.
    let made = session
        .post(
            &format!("{base}/delegations"),
            &[
                ("organization_name", "Centro Hub Tecún Umán"),
                ("organization_kind", "information_hub"),
                ("organization_country", "GT"),
                ("seats", "2"),
                ("category", "delegate"),
                ("focal_email", "marta@example.org"),
                ("focal_name", "Marta Juárez"),
                ("focal_language", "es"),
                ("nomination_deadline", "2030-05-20T18:00"),
                ("unused_seats", "release"),
            ],
        )
        .await;
    assert_eq!(made.status, 303, "{}", made.body);
    app.smtp.wait_for("marta@example.org", 1).await;
    let listed = app
        .get(
            &format!("/api/v1/meetings/{slug}/delegations"),
            Some(&organizer),
        )
        .await;
    let delegation = &listed.body["items"][0];
    assert_eq!(delegation["seats"], 2);
    assert!(delegation["nomination_deadline"]
        .as_str()
        .unwrap()
        .starts_with("2030-05-20T18:00:00"));
    let too_many = session
        .post(
            &format!("{base}/delegations"),
            &[
                ("organization_name", "Otra"),
                ("organization_kind", "un_agency"),
                ("organization_country", "MX"),
                ("seats", "9"),
                ("category", "delegate"),
                ("focal_email", "x@example.org"),
            ],
        )
        .await;
    assert_eq!(too_many.status, 409);
    let tab = session.get(&format!("{base}/delegations?lang=es")).await;
    assert!(tab.body.contains("Centro Hub Tecún Umán") && tab.body.contains("Marta Juárez"));
    let id = delegation["id"].as_str().unwrap();
    let fewer = session
        .post(&format!("{base}/delegations/{id}/seats"), &[("seats", "1")])
        .await;
    assert_eq!(fewer.status, 303);
    let listed = app
        .get(
            &format!("/api/v1/meetings/{slug}/delegations"),
            Some(&organizer),
        )
        .await;
    assert_eq!(listed.body["items"][0]["seats"], 1);
    let forged = with_cookie(
        &app,
        reqwest::Method::POST,
        &format!("{base}/delegations/{id}/remove"),
        &session.cookie,
        &[("csrf", "forged"), ("confirmed", "yes")],
    )
    .await;
    assert_eq!(forged.status, 403);
}
