//! Every public surface (pages, the public API, the agenda, calendars, the organisation picker)
//! shows only what the organizer entered and what confirmed participants agreed to publish.

use crate::on_both_backends;
use crate::support::html::fetch;
use crate::support::Backend;
use crate::support::{spawn_app, TestApp};
use serde_json::{json, Value};

/// Registers `email` as `name` of `organization`, consenting to the press list or not, and
/// confirms unless told otherwise; answers the last manage link (if confirmed).
async fn participant(
    app: &TestApp,
    slug: &str,
    email: &str,
    name: &str,
    organization: &str,
    consent: bool,
    confirm: bool,
) -> Option<String> {
    let mut body = TestApp::registration_body(email);
    body["full_name"] = json!(name);
    body["organization"]["name"] = json!(organization);
    body["consent_press_listing"] = json!(consent);
    let token = app.register_and_read_token(slug, body).await;
    if !confirm {
        return None;
    }
    assert_eq!(app.confirm(&token).await.status, 200);
    Some(app.smtp.wait_for(email, 2).await[1].manage_token())
}

fn id_of(registrations: &[Value], email: &str) -> String {
    registrations.iter().find(|r| r["email"] == email).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// A response's text with iCalendar's folded lines joined, so a name split by folding is found.
async fn public_text(app: &TestApp, path: &str) -> String {
    let answer = app
        .client
        .get(format!("{}{path}", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 200, "{path}");
    answer
        .text()
        .await
        .unwrap()
        .replace("\r\n ", "")
        .replace("\r\n\t", "")
}

on_both_backends!(public_surfaces_name_only_listed_participants_and_what_the_organizer_entered);
async fn public_surfaces_name_only_listed_participants_and_what_the_organizer_entered(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = app.meeting(&organizer, json!({})).await;
    let ana = participant(
        &app,
        &slug,
        "ana@example.org",
        "Ana Listada",
        "Centro Listado",
        true,
        true,
    )
    .await
    .unwrap();
    participant(
        &app,
        &slug,
        "beto@example.org",
        "Beto Secreto",
        "Organización Secreta B",
        false,
        true,
    )
    .await;
    participant(
        &app,
        &slug,
        "carla@example.org",
        "Carla Pendiente",
        "Colectivo Pendiente C",
        true,
        false,
    )
    .await;
    participant(
        &app,
        &slug,
        "dora@example.org",
        "Dora Cancelada",
        "Red Cancelada D",
        true,
        true,
    )
    .await;
    let eva = participant(
        &app,
        &slug,
        "eva@example.org",
        "Eva Borrada",
        "Grupo Borrado E",
        true,
        true,
    )
    .await
    .unwrap();
    participant(
        &app,
        &slug,
        "fred@example.org",
        "Fred Público",
        "Instituto Fred",
        false,
        true,
    )
    .await;
    let all = app.registrations(&organizer, &slug, "").await;
    let (beto, carla, dora, fred) = (
        id_of(&all, "beto@example.org"),
        id_of(&all, "carla@example.org"),
        id_of(&all, "dora@example.org"),
        id_of(&all, "fred@example.org"),
    );
    let eva_id = id_of(&all, "eva@example.org");
    let ana_id = id_of(&all, "ana@example.org");

    // Every kind of participant linked as a speaker; Fred marked public by the organizer.
    let speakers = json!([
        {"registration_id": ana_id}, {"registration_id": beto}, {"registration_id": carla},
        {"registration_id": dora}, {"registration_id": eva_id}, {"registration_id": fred, "public": true},
        {"name": "Invitada Guest", "organization": "Agencia Invitada"}
    ]);
    let session = app.post(&format!("/api/v1/meetings/{slug}/sessions"), Some(&organizer), json!({
        "title": "Mesa", "starts_at": "2030-05-29T09:00:00-06:00", "ends_at": "2030-05-29T10:00:00-06:00", "speakers": speakers
    })).await;
    assert_eq!(session.status, 201, "{}", session.text);
    assert_eq!(
        session.body["speakers"].as_array().unwrap().len(),
        7,
        "organizers see every speaker"
    );
    assert_eq!(session.body["speakers"][5]["public"], true);
    assert_eq!(session.body["speakers"][1]["public"], false);

    // Dora cancels after being listed; Eva deletes her registration.
    assert_eq!(
        app.post(
            &format!("/api/v1/meetings/{slug}/registrations/{dora}/cancel"),
            Some(&organizer),
            json!({})
        )
        .await
        .status,
        200
    );
    assert_eq!(
        app.call(
            reqwest::Method::DELETE,
            "/api/v1/registration",
            Some(&eva),
            None
        )
        .await
        .status,
        204
    );
    // A stranger's unconfirmed POST with text of its own.
    let mut spam = TestApp::registration_body("stranger@example.org");
    spam["organization"]["name"] = json!("Compre Publicidad Aquí");
    assert_eq!(app.register(&slug, spam).await.status, 202);

    let hidden = [
        "Beto Secreto",
        "Organización Secreta B",
        "Carla Pendiente",
        "Colectivo Pendiente C",
        "Dora Cancelada",
        "Red Cancelada D",
        "Eva Borrada",
        "Grupo Borrado E",
        "Compre Publicidad",
    ];
    let mut surfaces = Vec::new();
    for lang in ["en", "es"] {
        for path in [
            "/".to_owned(),
            format!("/m/{slug}"),
            format!("/m/{slug}/register"),
            "/api/v1/meetings".to_owned(),
            format!("/api/v1/meetings/{slug}"),
            format!("/api/v1/meetings/{slug}/agenda"),
            format!("/api/v1/meetings/{slug}/agenda.ics"),
            format!("/manage/{ana}"),
            format!("/manage/{ana}/calendar.ics"),
        ] {
            let path = format!(
                "{path}{}lang={lang}",
                if path.contains('?') { '&' } else { '?' }
            );
            surfaces.push((path.clone(), public_text(&app, &path).await));
        }
    }
    let calendar = app
        .client
        .get(format!("{}/api/v1/registration/calendar.ics", app.address))
        .bearer_auth(&ana)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    surfaces.push(("participant calendar".into(), calendar.replace("\r\n ", "")));
    for (path, body) in &surfaces {
        for secret in hidden {
            assert!(!body.contains(secret), "{path} shows {secret:?}");
        }
    }
    let agenda = &surfaces
        .iter()
        .find(|(p, _)| p.ends_with("/agenda?lang=en"))
        .unwrap()
        .1;
    for shown in [
        "Ana Listada",
        "Centro Listado",
        "Fred Público",
        "Invitada Guest",
        "Agencia Invitada",
    ] {
        assert!(agenda.contains(shown), "the agenda names {shown}: {agenda}");
    }
    let register = &surfaces
        .iter()
        .find(|(p, _)| p.contains("/register?lang=en"))
        .unwrap()
        .1;
    assert!(
        register.contains("Centro Listado"),
        "the picker offers listed organisations"
    );
    assert!(
        !register.contains("Instituto Fred"),
        "a speaker marked public is not listed for the press"
    );
    let page = fetch(&app, &format!("/m/{slug}"), None).await;
    assert!(page.body.contains("Fred Público") && page.body.contains("Ana Listada"));

    // Withdrawing consent takes Ana off at once.
    assert_eq!(
        app.patch(
            "/api/v1/registration",
            Some(&ana),
            json!({"consent_press_listing": false})
        )
        .await
        .status,
        200
    );
    let agenda = public_text(&app, &format!("/api/v1/meetings/{slug}/agenda")).await;
    assert!(!agenda.contains("Ana Listada"), "{agenda}");
    let register = public_text(&app, &format!("/m/{slug}/register")).await;
    assert!(!register.contains("Centro Listado"));
}
