//! The demo meeting, as `convene demo` loads it, shows how regional meetings fill: delegates by
//! invitation, observers and the press; three questions; two delegations with nominees; the
//! organizers' invitations, some used. Loaded on both backends, and only once.

use crate::on_both_backends;
use crate::support::{spawn_app, Backend};
use serde_json::json;

on_both_backends!(the_demo_shows_categories_questions_invitations_and_delegations);
async fn the_demo_shows_categories_questions_invitations_and_delegations(backend: Backend) {
    let app = spawn_app(backend).await;
    let now = convene::db::now();
    let seeded = convene::demo::seed(&mut app.db.connect(), now).unwrap();
    assert!(seeded.created);
    assert!(
        !convene::demo::seed(&mut app.db.connect(), now)
            .unwrap()
            .created,
        "once only"
    );
    let login = app
        .post(
            "/api/v1/auth/token",
            None,
            json!({"email": convene::demo::ORGANIZER_EMAIL, "password": convene::demo::ORGANIZER_PASSWORD}),
        )
        .await;
    assert_eq!(login.status, 201, "{}", login.text);
    let token = login.body["token"].as_str().unwrap().to_owned();
    let slug = convene::demo::MEETING_SLUG;

    let meeting = app
        .get(&format!("/api/v1/meetings/{slug}?lang=es"), None)
        .await;
    let codes: Vec<_> = meeting.body["categories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(codes, ["delegate", "observer", "media"]);
    assert_eq!(meeting.body["categories"][0]["invitation_only"], true);
    let questions: Vec<_> = meeting.body["questions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["label"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        questions,
        [
            "Fecha de llegada",
            "Sesiones de interés",
            "¿Necesita una carta para la visa?"
        ]
    );

    let delegations = app
        .get(
            &format!("/api/v1/meetings/{slug}/delegations"),
            Some(&token),
        )
        .await;
    let tallies: Vec<_> = delegations.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["organization"]["kind"].as_str().unwrap().to_owned(),
                d["seats"].as_i64().unwrap(),
                d["nominated"].as_i64().unwrap(),
                d["confirmed"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        tallies,
        [
            ("information_hub".to_owned(), 2, 2, 1),
            ("un_agency".to_owned(), 3, 2, 1)
        ]
    );

    let invitations = app
        .get(
            &format!("/api/v1/meetings/{slug}/invitations"),
            Some(&token),
        )
        .await;
    let items = invitations.body["items"].as_array().unwrap();
    let count = |status: &str| items.iter().filter(|i| i["status"] == status).count();
    assert_eq!((items.len(), count("registered"), count("sent")), (9, 4, 5));

    let registrations = app.registrations(&token, slug, "").await;
    assert!(registrations
        .iter()
        .all(|r| r["category"] == "delegate" || r["category"] == "observer"));
    let luis = registrations
        .iter()
        .find(|r| r["full_name"] == "Luis Ajú")
        .unwrap();
    assert_eq!(
        (luis["status"].as_str(), luis["category"].as_str()),
        (Some("confirmed"), Some("delegate"))
    );
    assert!(luis["answers"]["arrival"].is_string() && luis["answers"]["visa_letter"].is_boolean());
    let answered = registrations
        .iter()
        .filter(|r| r["answers"]["arrival"].is_string())
        .count();
    assert_eq!(
        answered,
        registrations.len(),
        "everyone answered the required question"
    );
    let codes: std::collections::HashSet<&str> = registrations
        .iter()
        .filter(|r| r["status"] == "confirmed")
        .map(|r| {
            r["checkin_code"]
                .as_str()
                .expect("a code to show at the desk")
        })
        .collect();
    let confirmed = registrations
        .iter()
        .filter(|r| r["status"] == "confirmed")
        .count();
    assert!(confirmed > 10);
    assert_eq!(
        codes.len(),
        confirmed,
        "each confirmed person their own code"
    );
}
