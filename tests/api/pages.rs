//! HTML pages without a browser: forms that come back with every message, escaping, headers,
//! well-formed markup, language choice.

use crate::on_both_backends;
use crate::support::html::{
    assert_sound, csrf_of, fetch, form_values, log_in, organizer_session, post_form, select,
    with_cookie,
};
use crate::support::Backend;
use crate::support::{spawn_app, TestApp};
use serde_json::json;

on_both_backends!(the_agenda_editor_edits_a_session_and_keeps_what_its_form_cannot_show);
async fn the_agenda_editor_edits_a_session_and_keeps_what_its_form_cannot_show(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = app.meeting(&organizer, json!({})).await;
    // Listed for the press, so that the public agenda names her.
    let mut listed = TestApp::registration_body("ana@example.org");
    listed["consent_press_listing"] = json!(true);
    let token = app.register_and_read_token(&slug, listed).await;
    let ana = app.confirm_and_id(&token, "ana@example.org").await;
    let hall = app
        .post(
            &format!("/api/v1/meetings/{slug}/rooms"),
            Some(&organizer),
            json!({"name": "Sala 1"}),
        )
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let created = app.post(&format!("/api/v1/meetings/{slug}/sessions"), Some(&organizer), json!({
        "title": "Apertura", "description": "Bienvenida", "kind": "plenary", "room_id": hall,
        "starts_at": "2030-05-29T09:00:00-06:00", "ends_at": "2030-05-29T10:00:00-06:00", "language": "es",
        "interpretation": true, "translations": {"en": {"title": "Opening", "description": "Welcome"}},
        "speakers": [{"registration_id": ana, "role": "speaker"}, {"name": "Luis Gómez", "organization": "ACNUR", "role": "moderator"}]
    })).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let id = created.body["id"].as_str().unwrap().to_owned();
    app.post(
        &format!("/api/v1/meetings/{slug}/sessions"),
        Some(&organizer),
        json!({
            "title": "Café", "kind": "break", "room_id": hall, "speakers": [],
            "starts_at": "2030-05-29T11:00:00-06:00", "ends_at": "2030-05-29T11:30:00-06:00"
        }),
    )
    .await;

    let cookie = organizer_session(&app).await;
    let agenda_page = with_cookie(
        &app,
        reqwest::Method::GET,
        &format!("/organizer/m/{slug}/agenda"),
        &cookie,
        &[],
    )
    .await;
    let edit_path = format!("/organizer/m/{slug}/agenda/sessions/{id}");
    assert!(
        agenda_page.body.contains(&format!("href=\"{edit_path}\"")),
        "the agenda links to the edit page"
    );
    let page = with_cookie(&app, reqwest::Method::GET, &edit_path, &cookie, &[]).await;
    assert_eq!(page.status, 200);
    assert_sound(&page, "edit session");
    let mut values = form_values(&page, &format!("/sessions/{id}"));
    let value = |values: &[(String, String)], name: &str| {
        values
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    assert_eq!(value(&values, "title"), "Apertura");
    assert_eq!(
        value(&values, "starts_at"),
        "2030-05-29T09:00",
        "local time, as the form takes it"
    );
    assert_eq!(value(&values, "room_id"), hall);
    assert_eq!(value(&values, "interpretation"), "on");
    assert_eq!(value(&values, "description_en"), "Welcome");
    assert_eq!(
        value(&values, "speakers"),
        "Luis Gómez, ACNUR",
        "guests as text; the registered speaker is kept apart"
    );

    // Moving it onto the coffee break clashes: the form comes back with the clash, and
    // nothing changed.
    let set = |values: &mut Vec<(String, String)>, name: &str, to: &str| {
        values.retain(|(n, _)| n != name);
        values.push((name.to_owned(), to.to_owned()));
    };
    set(&mut values, "starts_at", "2030-05-29T11:00");
    set(&mut values, "ends_at", "2030-05-29T12:00");
    let form: Vec<(&str, &str)> = values
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let clash = with_cookie(&app, reqwest::Method::POST, &edit_path, &cookie, &form).await;
    assert_eq!(clash.status, 409, "{}", clash.body);
    assert!(clash.body.contains("Café"), "the clashing session is named");
    assert_eq!(
        app.get(&format!("/api/v1/meetings/{slug}/agenda"), None)
            .await
            .body["items"][0]["starts_at"],
        "2030-05-29T09:00:00-06:00"
    );

    set(&mut values, "title", "Apertura oficial");
    set(&mut values, "starts_at", "2030-05-29T09:30");
    set(&mut values, "ends_at", "2030-05-29T10:30");
    let form: Vec<(&str, &str)> = values
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let saved = with_cookie(&app, reqwest::Method::POST, &edit_path, &cookie, &form).await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let session = app
        .get(&format!("/api/v1/meetings/{slug}/agenda"), Some(&organizer))
        .await
        .body["items"][0]
        .clone();
    assert_eq!(session["id"], id.as_str());
    assert_eq!(session["title"], "Apertura oficial");
    assert_eq!(session["starts_at"], "2030-05-29T09:30:00-06:00");
    assert_eq!(
        session["translations"]["en"],
        json!({"title": "Opening", "description": "Welcome"})
    );
    let speakers: Vec<(String, String)> = session["speakers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap().to_owned(),
                s["role"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(speakers.len(), 2, "{speakers:?}");
    assert!(
        speakers.contains(&("Luis Gómez".into(), "moderator".into())),
        "the guest keeps their role: {speakers:?}"
    );
    let linked: Vec<(Option<String>, String)> = {
        use convene::schema::session_speakers as s;
        use diesel::prelude::*;
        s::table
            .filter(s::session_id.eq(&id))
            .filter(s::registration_id.is_not_null())
            .select((s::registration_id, s::role))
            .load(&mut app.db.connect())
            .unwrap()
    };
    assert_eq!(
        linked,
        [(Some(ana.clone()), "speaker".to_owned())],
        "the registered speaker stays linked"
    );

    // The organizer names a registered speaker publicly with a tick on the same form.
    let public_of = || -> bool {
        use convene::schema::session_speakers as s;
        use diesel::prelude::*;
        s::table
            .filter(s::session_id.eq(&id))
            .filter(s::registration_id.eq(&ana))
            .select(s::public)
            .first(&mut app.db.connect())
            .unwrap()
    };
    assert!(!public_of());
    let edit = with_cookie(&app, reqwest::Method::GET, &edit_path, &cookie, &[]).await;
    let tick = format!("public_{ana}");
    assert!(
        edit.body.contains(&format!("name=\"{tick}\"")),
        "a box for the linked speaker"
    );
    let mut ticked = values.clone();
    ticked.push((tick.clone(), "on".to_owned()));
    let form: Vec<(&str, &str)> = ticked
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        with_cookie(&app, reqwest::Method::POST, &edit_path, &cookie, &form)
            .await
            .status,
        303
    );
    assert!(public_of(), "ticked, the speaker is public");
    let edit = with_cookie(&app, reqwest::Method::GET, &edit_path, &cookie, &[]).await;
    assert!(
        edit.body
            .contains(&format!("name=\"{tick}\" value=\"on\" checked")),
        "and the box stays ticked"
    );

    // Without the CSRF token nothing is saved.
    let forged = with_cookie(
        &app,
        reqwest::Method::POST,
        &edit_path,
        &cookie,
        &[("title", "Otra")],
    )
    .await;
    assert_eq!(forged.status, 403);
}

on_both_backends!(a_form_with_every_field_wrong_comes_back_with_every_message);
async fn a_form_with_every_field_wrong_comes_back_with_every_message(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = app.meeting(&organizer, json!({})).await;
    let page = post_form(
        &app,
        &format!("/m/{slug}/register?lang=es"),
        &[
            ("full_name", "Ana <b>Pérez</b>"),
            ("email", "not-an-address"),
            ("organization", "other"),
            ("organization_country", "XX"),
            ("dietary", "sin gluten"),
        ],
    )
    .await;
    assert_eq!(page.status, 422);
    assert_sound(&page, "the form with errors");
    let document = scraper::Html::parse_document(&page.body);
    let invalid: Vec<_> = select(&document, "[aria-invalid=true]")
        .iter()
        .map(|e| e.value().attr("name").unwrap().to_owned())
        .collect();
    for field in [
        "email",
        "country",
        "language",
        "organization_name",
        "organization_kind",
        "organization_country",
        "consent_data_processing",
    ] {
        assert!(
            invalid.contains(&field.to_owned()),
            "{field} is marked: {invalid:?}"
        );
        let error = select(&document, &format!("#{field}-error"));
        assert_eq!(error.len(), 1, "{field} has its message");
        let input = select(&document, &format!("[name={field}]"))[0];
        assert!(
            input
                .value()
                .attr("aria-describedby")
                .unwrap()
                .contains(&format!("{field}-error")),
            "{field} message is bound"
        );
    }
    assert_eq!(
        select(&document, "#email-error")[0]
            .text()
            .collect::<String>(),
        "No es una dirección de correo válida."
    );
    assert_eq!(
        select(&document, "#country-error")[0]
            .text()
            .collect::<String>(),
        "Este campo es obligatorio."
    );
    // What was typed is kept, as text.
    assert_eq!(
        select(&document, "#full_name")[0].value().attr("value"),
        Some("Ana <b>Pérez</b>")
    );
    assert_eq!(
        select(&document, "#email")[0].value().attr("value"),
        Some("not-an-address")
    );
    assert_eq!(
        select(&document, "#dietary")[0].text().collect::<String>(),
        "sin gluten"
    );
    assert!(select(&document, "[role=alert]").len() == 1);
    // Labels are bound to every input.
    for input in select(
        &document,
        "input[type=text], input[type=email], select, textarea",
    ) {
        let id = input.value().attr("id").unwrap();
        assert_eq!(
            select(&document, &format!("label[for={id}]")).len(),
            1,
            "a label for {id}"
        );
    }
    assert_eq!(
        app.stats(&organizer, &slug).await["by_status"],
        json!({}),
        "nothing was written"
    );
}

on_both_backends!(names_show_as_text_on_every_page);
async fn names_show_as_text_on_every_page(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = app
        .meeting(
            &organizer,
            json!({"title": "<script>alert(1)</script> Reunión"}),
        )
        .await;
    let evil = "<script>alert(1)</script>";
    let page = post_form(
        &app,
        &format!("/m/{slug}/register"),
        &[
            ("full_name", evil),
            ("email", "x@example.org"),
            ("country", "MX"),
            ("language", "es"),
            // An organisation name holds no '<' (symbols are refused), but quotes and '&'.
            ("organization", "other"),
            ("organization_name", "Casa \"Belén\" & Asociados"),
            ("organization_kind", "other"),
            ("organization_country", "MX"),
            ("consent_data_processing", "on"),
            ("consent_press_listing", "on"),
        ],
    )
    .await;
    assert_eq!(page.status, 200, "{}", page.body);
    let confirm = app.smtp.wait_for("x@example.org", 1).await[0].confirm_token();
    let manage = app.smtp.to("x@example.org")[0].manage_token();
    app.post(&format!("/api/v1/meetings/{slug}/sessions"), Some(&organizer), json!({
        "title": evil, "starts_at": "2030-05-29T09:00:00-06:00", "ends_at": "2030-05-29T10:00:00-06:00",
        "speakers": [{"name": evil, "organization": evil}]
    })).await;
    let press = app
        .post(
            &format!("/api/v1/meetings/{slug}/press-tokens"),
            Some(&organizer),
            json!({"label": evil}),
        )
        .await
        .body["token"]
        .as_str()
        .unwrap()
        .to_owned();
    for path in [
        "/".to_owned(),
        format!("/m/{slug}"),
        format!("/m/{slug}/register"),
        format!("/confirm/{confirm}"),
        format!("/manage/{manage}"),
        // The meeting's own title (not its Spanish translation), which holds the text.
        format!("/manage/{manage}/cancel?lang=en"),
        format!("/press/{press}"),
    ] {
        let page = fetch(&app, &path, None).await;
        assert_eq!(page.status, 200, "{path}");
        assert_sound(&page, &path);
        assert!(
            page.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{path} shows the text"
        );
    }
}

on_both_backends!(pages_speak_the_reader_language);
async fn pages_speak_the_reader_language(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = app.meeting(&organizer, json!({})).await;
    let path = format!("/m/{slug}");
    let english = fetch(&app, &path, None).await;
    assert!(english.body.contains("<html lang=\"en\">") && english.body.contains("Programme"));
    let spanish = fetch(&app, &path, Some("es-MX,es;q=0.9,en;q=0.5")).await;
    assert!(spanish.body.contains("<html lang=\"es\">") && spanish.body.contains("Programa"));
    assert!(
        spanish
            .body
            .contains("Intercambio regional de centros de información"),
        "the translated title"
    );
    let chosen = fetch(&app, &format!("{path}?lang=es"), Some("en")).await;
    assert!(chosen.body.contains("<html lang=\"es\">"));
    let cookie = chosen.headers["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("lang=es"), "{cookie}");
    let remembered = app
        .client
        .get(format!("{}{path}", app.address))
        .header("Cookie", "lang=es")
        .header("Accept-Language", "en")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        remembered.contains("<html lang=\"es\">"),
        "the cookie wins over Accept-Language"
    );
    for language in ["en", "es"] {
        let page = fetch(&app, &format!("/?lang={language}"), None).await;
        assert_sound(&page, "home");
        let document = scraper::Html::parse_document(&page.body);
        assert_eq!(
            select(&document, "nav a[hreflang], nav a[aria-current]").len(),
            2,
            "a language switch"
        );
    }
    let missing = fetch(&app, "/m/no-such-meeting?lang=es", None).await;
    assert_eq!(missing.status, 404);
    assert!(missing.body.contains("No encontrado"));
}

on_both_backends!(participants_change_consent_and_cancel_from_their_page);
async fn participants_change_consent_and_cancel_from_their_page(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = app.meeting(&organizer, json!({})).await;
    let token = app
        .register_and_read_token(&slug, TestApp::registration_body("ana@example.org"))
        .await;
    // Opening the link only asks (a mail scanner opens every link); the button confirms.
    let question = fetch(&app, &format!("/confirm/{token}"), Some("es")).await;
    assert!(
        question.body.contains("Confirme su inscripción"),
        "{}",
        question.body
    );
    assert_eq!(
        app.registrations(&organizer, &slug, "").await[0]["status"],
        "pending_email",
        "opening the link changes nothing"
    );
    let confirmed = post_form(&app, &format!("/confirm/{token}"), &[]).await;
    assert!(
        confirmed.body.contains("Your place is confirmed"),
        "{}",
        confirmed.body
    );
    assert!(
        !confirmed.body.contains("/manage/"),
        "the page is no login: the manage link goes by email"
    );
    let used = fetch(&app, &format!("/confirm/{token}"), None).await;
    assert_eq!(used.status, 404);
    assert!(used.body.contains("already been used"), "{}", used.body);
    let manage = app.smtp.wait_for("ana@example.org", 2).await[1].manage_token();
    let press = format!("/api/v1/meetings/{slug}/attendees");
    let page = post_form(
        &app,
        &format!("/manage/{manage}/press?lang=en"),
        &[("consent_press_listing", "on")],
    )
    .await;
    assert!(page
        .body
        .contains("You are on the attendee list given to the press."));
    assert_eq!(
        app.get(&press, Some(&organizer)).await.body["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    post_form(
        &app,
        &format!("/manage/{manage}/press"),
        &[("consent_press_listing", "off")],
    )
    .await;
    assert!(app.get(&press, Some(&organizer)).await.body["items"]
        .as_array()
        .unwrap()
        .is_empty());

    let saved = post_form(
        &app,
        &format!("/manage/{manage}"),
        &[
            ("full_name", "Ana María Pérez"),
            ("job_title", "Directora"),
            ("country", "GT"),
            ("language", "en"),
            ("organization", "other"),
            ("organization_name", "Centro Nuevo"),
            ("organization_kind", "civil_society"),
            ("organization_country", "GT"),
        ],
    )
    .await;
    assert_eq!(saved.status, 200);
    let own = app.get("/api/v1/registration", Some(&manage)).await.body;
    assert_eq!(
        (
            own["job_title"].as_str(),
            own["country"].as_str(),
            own["organization"]["name"].as_str()
        ),
        (Some("Directora"), Some("GT"), Some("Centro Nuevo"))
    );
    let bad = post_form(
        &app,
        &format!("/manage/{manage}"),
        &[
            ("full_name", ""),
            ("country", "GT"),
            ("language", "en"),
            ("organization", "other"),
        ],
    )
    .await;
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("full_name-error"));

    let question = fetch(&app, &format!("/manage/{manage}/cancel"), None).await;
    assert!(question.body.contains("Do you really want to cancel?"));
    assert_eq!(
        app.get("/api/v1/registration", Some(&manage)).await.body["status"],
        "confirmed",
        "asking changes nothing"
    );
    let done = post_form(&app, &format!("/manage/{manage}/cancel"), &[]).await;
    assert!(done.body.contains("Your registration is cancelled."));
    assert_eq!(
        app.get("/api/v1/registration", Some(&manage)).await.body["status"],
        "cancelled"
    );
    assert_eq!(
        fetch(&app, &format!("/manage/{}", "0".repeat(64)), None)
            .await
            .status,
        404
    );
}

on_both_backends!(the_dashboard_needs_a_login_its_csrf_token_and_the_meeting);
async fn the_dashboard_needs_a_login_its_csrf_token_and_the_meeting(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = app
        .meeting(&organizer, json!({"requires_approval": true}))
        .await;
    let token = app
        .register_and_read_token(&slug, TestApp::registration_body("ana@example.org"))
        .await;
    let id = app.confirm_and_id(&token, "ana@example.org").await;

    let anonymous = with_cookie(
        &app,
        reqwest::Method::GET,
        &format!("/organizer/m/{slug}/registrations"),
        "x=y",
        &[],
    )
    .await;
    assert_eq!(anonymous.status, 303);
    assert!(anonymous.headers["location"]
        .to_str()
        .unwrap()
        .starts_with("/organizer/login?next="));

    let email = crate::support::html::organizer_email(&app);
    assert!(
        log_in(&app, &email, "not the password").await.is_none(),
        "a wrong password gets no session"
    );
    let cookie = log_in(&app, &email, "a long organizer password")
        .await
        .expect("a session");
    for path in [
        "/organizer".to_owned(),
        format!("/organizer/m/{slug}"),
        format!("/organizer/m/{slug}/registrations"),
        format!("/organizer/m/{slug}/waitlist"),
        format!("/organizer/m/{slug}/agenda"),
        format!("/organizer/m/{slug}/press"),
        format!("/organizer/m/{slug}/edit"),
        "/organizer/meetings/new".to_owned(),
    ] {
        let page = with_cookie(&app, reqwest::Method::GET, &path, &cookie, &[]).await;
        assert_eq!(page.status, 200, "{path}");
        assert_sound(&page, &path);
    }
    let table = with_cookie(
        &app,
        reqwest::Method::GET,
        &format!("/organizer/m/{slug}/registrations"),
        &cookie,
        &[],
    )
    .await;
    let csrf = csrf_of(&table);
    let approve = format!("/organizer/m/{slug}/registrations/{id}/approve");
    let refused = with_cookie(
        &app,
        reqwest::Method::POST,
        &approve,
        &cookie,
        &[("back", "")],
    )
    .await;
    assert_eq!(
        refused.status, 403,
        "a form without the CSRF token is refused"
    );
    let forged = with_cookie(
        &app,
        reqwest::Method::POST,
        &approve,
        &cookie,
        &[("csrf", "0123456789abcdef0123456789abcdef")],
    )
    .await;
    assert_eq!(forged.status, 403);
    let logged_out = with_cookie(
        &app,
        reqwest::Method::POST,
        &approve,
        "x=y",
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(
        logged_out.status, 303,
        "a form from no session goes to the login page"
    );
    assert!(logged_out.headers["location"]
        .to_str()
        .unwrap()
        .starts_with("/organizer/login?next="));
    assert_eq!(
        app.registrations(&organizer, &slug, "").await[0]["status"],
        "pending_approval",
        "nothing changed"
    );
    let approved = with_cookie(
        &app,
        reqwest::Method::POST,
        &approve,
        &cookie,
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(approved.status, 303);
    assert_eq!(
        app.registrations(&organizer, &slug, "").await[0]["status"],
        "confirmed"
    );

    // Someone else's meeting is forbidden, even with a valid session.
    let other = app.organizer().await;
    let theirs = app.meeting(&other, json!({})).await;
    assert_eq!(
        with_cookie(
            &app,
            reqwest::Method::GET,
            &format!("/organizer/m/{theirs}"),
            &cookie,
            &[]
        )
        .await
        .status,
        403
    );

    // Creating a meeting through the form, with times in its own zone.
    let created = with_cookie(
        &app,
        reqwest::Method::POST,
        "/organizer/meetings/new",
        &cookie,
        &[
            ("csrf", &csrf),
            ("title", "Taller regional"),
            ("slug", "taller-regional"),
            ("country", "GT"),
            ("timezone", "America/Guatemala"),
            ("starts_at", "2030-06-10T09:00"),
            ("ends_at", "2030-06-10T17:00"),
            ("capacity", "40"),
            ("status", "published"),
            ("title_en", "Regional workshop"),
        ],
    )
    .await;
    assert_eq!(created.status, 303, "{}", created.body);
    let meeting = app.get("/api/v1/meetings/taller-regional", None).await.body;
    assert_eq!(meeting["starts_at"], "2030-06-10T09:00:00-06:00");
    assert_eq!(meeting["translations"]["en"]["title"], "Regional workshop");
    // A session through the agenda editor keeps every translation the form asks for.
    let added = with_cookie(
        &app,
        reqwest::Method::POST,
        "/organizer/m/taller-regional/agenda/sessions",
        &cookie,
        &[
            ("csrf", &csrf),
            ("title", "Apertura"),
            ("description", "Bienvenida"),
            ("kind", "plenary"),
            ("starts_at", "2030-06-10T09:00"),
            ("ends_at", "2030-06-10T10:00"),
            ("language", "es"),
            ("title_es", "Apertura del taller"),
            ("description_es", "Bienvenida y objetivos"),
            ("title_en", "Opening"),
            ("description_en", "Welcome and aims"),
        ],
    )
    .await;
    assert_eq!(added.status, 303, "{}", added.body);
    let agenda = app
        .get("/api/v1/meetings/taller-regional/agenda", None)
        .await
        .body;
    assert_eq!(
        agenda["items"][0]["translations"],
        json!({
            "es": {"title": "Apertura del taller", "description": "Bienvenida y objetivos"},
            "en": {"title": "Opening", "description": "Welcome and aims"},
        }),
        "{agenda}"
    );
    let bad = with_cookie(
        &app,
        reqwest::Method::POST,
        "/organizer/meetings/new",
        &cookie,
        &[("csrf", &csrf), ("capacity", "many")],
    )
    .await;
    assert_eq!(bad.status, 422);
    assert!(
        bad.body.contains("capacity-error")
            && bad.body.contains("title-error")
            && bad.body.contains("starts_at-error")
    );

    // Logging out ends the session for good.
    let out = with_cookie(
        &app,
        reqwest::Method::POST,
        "/organizer/logout",
        &cookie,
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(out.status, 303);
    assert_eq!(
        with_cookie(&app, reqwest::Method::GET, "/organizer", &cookie, &[])
            .await
            .status,
        303
    );
}

on_both_backends!(the_programme_is_a_timetable_with_parallel_sessions_side_by_side);
async fn the_programme_is_a_timetable_with_parallel_sessions_side_by_side(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = app.meeting(&organizer, json!({})).await;
    let mut rooms = Vec::new();
    for name in ["Sala A", "Sala B"] {
        let answer = app
            .post(
                &format!("/api/v1/meetings/{slug}/rooms"),
                Some(&organizer),
                json!({ "name": name }),
            )
            .await;
        rooms.push(answer.body["id"].as_str().unwrap().to_owned());
    }
    // Added out of order, in rooms whose names sort against the clock: a programme grouped by
    // room would show Sala A's 11:30 workshop before the 09:00 opening in Sala B.
    for (title, starts, ends, room) in [
        ("Taller B", "11:30", "13:00", Some(&rooms[1])),
        ("Cierre", "17:00", "18:00", None),
        ("Taller A", "11:30", "12:30", Some(&rooms[0])),
        ("Apertura", "09:00", "10:00", Some(&rooms[1])),
        ("Taller C", "12:30", "13:30", Some(&rooms[0])),
    ] {
        let answer = app
            .post(
                &format!("/api/v1/meetings/{slug}/sessions"),
                Some(&organizer),
                json!({
                    "title": title, "kind": "workshop", "room_id": room, "speakers": [],
                    "starts_at": format!("2030-05-29T{starts}:00-06:00"),
                    "ends_at": format!("2030-05-29T{ends}:00-06:00"),
                }),
            )
            .await;
        assert_eq!(answer.status, 201, "{title}: {}", answer.text);
    }
    let cookie = organizer_session(&app).await;
    let public = fetch(&app, &format!("/m/{slug}"), Some("es")).await;
    let preview = with_cookie(
        &app,
        reqwest::Method::GET,
        &format!("/organizer/m/{slug}/agenda"),
        &cookie,
        &[],
    )
    .await;
    for (page, what) in [
        (public, "the public page"),
        (preview, "the organizer's preview"),
    ] {
        assert_eq!(page.status, 200, "{what}");
        let document = scraper::Html::parse_document(&page.body);
        // Each band holds what runs at the same time, in time order, a column (track) a room;
        // Taller C follows Taller A in Sala A while Taller B runs (until 13:00) in Sala B.
        let bands: Vec<Vec<Vec<(String, String)>>> = select(&document, ".day .band")
            .into_iter()
            .map(|band| {
                let tracks = scraper::Selector::parse(".track").unwrap();
                let sessions = scraper::Selector::parse(".session").unwrap();
                let text = |session: scraper::ElementRef, css: &str| {
                    let selector = scraper::Selector::parse(css).unwrap();
                    session
                        .select(&selector)
                        .next()
                        .map(|e| e.text().collect::<String>())
                        .unwrap_or_default()
                };
                band.select(&tracks)
                    .map(|track| {
                        track
                            .select(&sessions)
                            .map(|s| (text(s, "strong"), text(s, ".room")))
                            .collect()
                    })
                    .collect()
            })
            .collect();
        let pair = |title: &str, room: &str| (title.to_owned(), room.to_owned());
        assert_eq!(
            bands,
            vec![
                vec![vec![pair("Apertura", "Sala B")]],
                vec![
                    vec![pair("Taller A", "Sala A"), pair("Taller C", "Sala A")],
                    vec![pair("Taller B", "Sala B")],
                ],
                vec![vec![pair("Cierre", "")]],
            ],
            "{what}"
        );
    }
}

on_both_backends!(the_dashboard_search_ignores_accents_and_case);
async fn the_dashboard_search_ignores_accents_and_case(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = app.meeting(&organizer, json!({})).await;
    for (email, name) in [
        ("maria@example.org", "María José Zúñiga"),
        ("luis@example.org", "Luis Gómez"),
    ] {
        let mut body = TestApp::registration_body(email);
        body["full_name"] = json!(name);
        app.register(&slug, body).await;
    }
    let cookie = organizer_session(&app).await;
    for (typed, expected) in [
        ("zuniga", vec!["maria@example.org"]),
        ("ZÚÑIGA", vec!["maria@example.org"]),
        ("gomez", vec!["luis@example.org"]),
        ("jose zu", vec!["maria@example.org"]),
    ] {
        let query: String = url::form_urlencoded::byte_serialize(typed.as_bytes()).collect();
        let page = with_cookie(
            &app,
            reqwest::Method::GET,
            &format!("/organizer/m/{slug}/registrations?q={query}"),
            &cookie,
            &[],
        )
        .await;
        assert_eq!(page.status, 200);
        let shown: Vec<&str> = expected
            .iter()
            .copied()
            .filter(|email| page.body.contains(email))
            .collect();
        assert_eq!(shown, expected, "{typed}: the match is shown");
        for other in ["maria@example.org", "luis@example.org"] {
            if !expected.contains(&other) {
                assert!(!page.body.contains(other), "{typed}: {other} is not");
            }
        }
    }
}

on_both_backends!(what_cannot_be_undone_is_asked_first_and_every_change_says_it_was_done);
async fn what_cannot_be_undone_is_asked_first_and_every_change_says_it_was_done(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = app.meeting(&organizer, json!({})).await;
    let token = app
        .register_and_read_token(&slug, TestApp::registration_body("ana@example.org"))
        .await;
    let ana = app.confirm_and_id(&token, "ana@example.org").await;
    let session = app
        .post(
            &format!("/api/v1/meetings/{slug}/sessions"),
            Some(&organizer),
            json!({"title": "Apertura", "kind": "plenary", "speakers": [],
                   "starts_at": "2030-05-29T09:00:00-06:00", "ends_at": "2030-05-29T10:00:00-06:00"}),
        )
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let link = app
        .post(
            &format!("/api/v1/meetings/{slug}/press-tokens"),
            Some(&organizer),
            json!({"label": "Agencia EFE", "expires_at": null}),
        )
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let cookie = organizer_session(&app).await;
    let m = format!("/organizer/m/{slug}");
    let get = |path: String| {
        let (app, cookie) = (&app, &cookie);
        async move { with_cookie(app, reqwest::Method::GET, &path, cookie, &[]).await }
    };
    let csrf = csrf_of(&get(format!("{m}/registrations")).await);
    let post = |path: String, fields: Vec<(&'static str, String)>| {
        let (app, cookie) = (&app, &cookie);
        async move {
            let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            with_cookie(app, reqwest::Method::POST, &path, cookie, &fields).await
        }
    };
    let status_of_ana =
        || async { app.registrations(&organizer, &slug, "").await[0]["status"].clone() };

    // Each action that cannot be undone: first a question naming what it acts on, which
    // changes nothing; then, confirmed, the change and a notice on the page it leads to.
    let actions = [
        (
            format!("{m}/registrations/{ana}/cancel"),
            "Cancel the registration of Ana María Pérez?",
            "Registration cancelled. The participant has been emailed.",
        ),
        (
            format!("{m}/agenda/sessions/{session}/delete"),
            "Delete the session “Apertura”?",
            "Deleted.",
        ),
        (
            format!("{m}/press/{link}/revoke"),
            "Revoke the press link “Agencia EFE”?",
            "Press link revoked. It no longer works.",
        ),
    ];
    for (action, question, done) in actions {
        let asked = post(action.clone(), vec![("csrf", csrf.clone())]).await;
        assert_eq!(asked.status, 200, "{action}: {}", asked.body);
        let document = scraper::Html::parse_document(&asked.body);
        let heading: String = select(&document, ".confirm h2")[0].text().collect();
        assert_eq!(heading, question);
        let form = select(&document, ".confirm form")[0];
        assert_eq!(form.value().attr("action"), Some(action.as_str()));
        assert_eq!(
            select(&document, ".confirm input[name=confirmed]")[0]
                .value()
                .attr("value"),
            Some("yes")
        );
        assert!(
            select(&document, ".confirm a.button[href]").len() == 1,
            "a way back"
        );

        // The question's own form, sent as a browser would: what it carries is enough.
        let carried: Vec<(String, String)> = select(&document, ".confirm form input")
            .into_iter()
            .map(|input| {
                let value = |name: &str| input.value().attr(name).unwrap_or("").to_owned();
                (value("name"), value("value"))
            })
            .collect();
        let fields: Vec<(&str, &str)> = carried
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect();
        let done_page = with_cookie(&app, reqwest::Method::POST, &action, &cookie, &fields).await;
        assert_eq!(done_page.status, 303, "{action}");
        let location = done_page.headers["location"].to_str().unwrap().to_owned();
        let landed = get(location.clone()).await;
        let document = scraper::Html::parse_document(&landed.body);
        let notice: String = select(&document, "p.notice.ok[role=status]")[0]
            .text()
            .collect();
        assert_eq!(notice, done, "{location}");
    }
    assert_eq!(status_of_ana().await, "cancelled");
    let agenda = app
        .get(&format!("/api/v1/meetings/{slug}/agenda"), None)
        .await
        .body;
    assert!(
        agenda["items"].as_array().unwrap().is_empty(),
        "the session is gone"
    );

    // Only the dashboard tells what was done: a crafted link to a public page says nothing.
    let public = fetch(&app, &format!("/m/{slug}?done=cancelled"), Some("en")).await;
    assert!(
        !public.body.contains("notice ok"),
        "a public page ignores done="
    );

    // Before confirming, nothing had changed: a second participant's cancel asked only.
    let token = app
        .register_and_read_token(&slug, TestApp::registration_body("luis@example.org"))
        .await;
    let luis = app.confirm_and_id(&token, "luis@example.org").await;
    let asked = post(
        format!("{m}/registrations/{luis}/cancel"),
        vec![("csrf", csrf.clone())],
    )
    .await;
    assert_eq!(asked.status, 200);
    let luis_status = app.registrations(&organizer, &slug, "q=luis").await[0]["status"].clone();
    assert_eq!(luis_status, "confirmed", "a question changes nothing");

    // Changes that can be undone say so too, in the reader's language.
    let added = post(
        format!("{m}/agenda/rooms?lang=es"),
        vec![("csrf", csrf.clone()), ("room_name", "Sala 2".to_owned())],
    )
    .await;
    assert_eq!(added.status, 303);
    let location = added.headers["location"].to_str().unwrap().to_owned();
    assert!(location.ends_with("done=added"), "{location}");
    let landed = get(format!("{location}&lang=es")).await;
    assert!(landed
        .body
        .contains("<p class=\"notice ok\" role=\"status\">Añadido.</p>"));
}

on_both_backends!(people_read_dates_names_and_words_not_timestamps_and_codes);
async fn people_read_dates_names_and_words_not_timestamps_and_codes(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = app.meeting(&organizer, json!({})).await;
    let token = app
        .register_and_read_token(&slug, TestApp::registration_body("ana@example.org"))
        .await;
    app.confirm_and_id(&token, "ana@example.org").await;
    // Luis has not confirmed his address yet.
    app.register(&slug, TestApp::registration_body("luis@example.org"))
        .await;
    let room = app
        .post(
            &format!("/api/v1/meetings/{slug}/rooms"),
            Some(&organizer),
            json!({"name": "Sala 1"}),
        )
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.post(
        &format!("/api/v1/meetings/{slug}/sessions"),
        Some(&organizer),
        json!({"title": "Apertura", "kind": "plenary", "room_id": room, "speakers": [],
               "starts_at": "2030-05-29T09:00:00-06:00", "ends_at": "2030-05-29T10:00:00-06:00"}),
    )
    .await;
    // Links live a year at most: one that ends in sixty days, at 18:00 in Mexico City.
    let expiry = (chrono::Utc::now() + chrono::Duration::days(60)).date_naive();
    let months = [
        "enero",
        "febrero",
        "marzo",
        "abril",
        "mayo",
        "junio",
        "julio",
        "agosto",
        "septiembre",
        "octubre",
        "noviembre",
        "diciembre",
    ];
    let expiry_read = {
        use chrono::Datelike;
        format!(
            "{} de {} de {}, 18:00",
            expiry.day(),
            months[expiry.month0() as usize],
            expiry.year()
        )
    };
    let press = app
        .post(
            &format!("/api/v1/meetings/{slug}/press-tokens"),
            Some(&organizer),
            json!({"label": "Agencia EFE", "expires_at": format!("{}T18:00:00-06:00", expiry.format("%Y-%m-%d"))}),
        )
        .await
        .body["token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        fetch(&app, &format!("/press/{press}"), Some("es"))
            .await
            .status,
        200
    );
    let cookie = organizer_session(&app).await;
    let m = format!("/organizer/m/{slug}");
    let page = |path: String| {
        let (app, cookie) = (&app, &cookie);
        async move {
            let page = with_cookie(app, reqwest::Method::GET, &path, cookie, &[]).await;
            let document = scraper::Html::parse_document(&page.body);
            let main: String = select(&document, "main")[0].text().collect();
            (page, main)
        }
    };

    // The press tab: the expiry and the use, as dates in the meeting's zone.
    let (_, press_tab) = page(format!("{m}/press?lang=es")).await;
    assert!(
        press_tab.contains(&expiry_read),
        "{expiry_read} in {press_tab}"
    );
    assert!(
        press_tab.contains("· página consultada"),
        "the use, in words: {press_tab}"
    );
    assert!(!has_timestamp(&press_tab), "no timestamp: {press_tab}");

    // The summary: the organizer's own words for a status, kinds named in full.
    let (_, summary) = page(format!("{m}?lang=es")).await;
    assert!(summary.contains("Correo aún sin confirmar"), "{summary}");
    assert!(
        !summary.contains("Esperando"),
        "not the participant's wording: {summary}"
    );
    assert!(
        summary.contains("Centro de información para personas migrantes"),
        "{summary}"
    );

    // The table: countries by name.
    let (_, table) = page(format!("{m}/registrations?lang=es")).await;
    assert!(table.contains("México"), "{table}");

    // A clash names the other session's times as a person reads them.
    let (agenda, _) = page(format!("{m}/agenda?lang=es")).await;
    let csrf = csrf_of(&agenda);
    let clash = with_cookie(
        &app,
        reqwest::Method::POST,
        &format!("{m}/agenda/sessions?lang=es"),
        &cookie,
        &[
            ("csrf", &csrf),
            ("title", "Taller"),
            ("kind", "workshop"),
            ("starts_at", "2030-05-29T09:30"),
            ("ends_at", "2030-05-29T10:30"),
            ("room_id", &room),
            ("language", "es"),
        ],
    )
    .await;
    let document = scraper::Html::parse_document(&clash.body);
    let notice: String = select(&document, ".notice.bad")[0].text().collect();
    assert!(
        notice.contains("Apertura: 29 de mayo de 2030, 09:00 – 29 de mayo de 2030, 10:00"),
        "{notice}"
    );
    assert!(!has_timestamp(&notice), "{notice}");
}

/// Whether the text holds a machine's timestamp (`2030-05-29T09:00…`).
fn has_timestamp(text: &str) -> bool {
    let shape = b"dddd-dd-ddTdd:dd";
    text.as_bytes().windows(shape.len()).any(|window| {
        window.iter().zip(shape).all(|(byte, want)| match want {
            b'd' => byte.is_ascii_digit(),
            other => byte == other,
        })
    })
}

on_both_backends!(the_waiting_list_tab_shows_the_queue_in_its_order_and_can_remove);
async fn the_waiting_list_tab_shows_the_queue_in_its_order_and_can_remove(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = app.meeting(&organizer, json!({"capacity": 1})).await;
    let first = app
        .register_and_read_token(&slug, TestApp::registration_body("seat@example.org"))
        .await;
    app.confirm(&first).await;
    // Ana registers before Luis but confirms her address after him: the queue is in the order
    // of confirmation, which the registration order (the list's) is not.
    let mut ana = TestApp::registration_body("ana@example.org");
    ana["full_name"] = json!("Ana Peña");
    let ana = app.register_and_read_token(&slug, ana).await;
    let mut luis = TestApp::registration_body("luis@example.org");
    luis["full_name"] = json!("Luis Gómez");
    let luis = app.register_and_read_token(&slug, luis).await;
    app.confirm(&luis).await;
    app.confirm(&ana).await;
    let cookie = organizer_session(&app).await;
    let tab = format!("/organizer/m/{slug}/waitlist");
    let page = with_cookie(
        &app,
        reqwest::Method::GET,
        &format!("{tab}?lang=es"),
        &cookie,
        &[],
    )
    .await;
    let document = scraper::Html::parse_document(&page.body);
    let names: Vec<String> = select(&document, "ol.waiting li strong")
        .into_iter()
        .map(|e| e.text().collect())
        .collect();
    assert_eq!(names, ["Luis Gómez", "Ana Peña"], "in the queue's order");
    let first_entry: String = select(&document, "ol.waiting li")[0].text().collect();
    assert!(first_entry.contains("México"), "{first_entry}");
    assert!(first_entry.contains("Inscripción:"), "{first_entry}");

    // Removing asks first, then takes Luis off the list and comes back to it.
    let form = select(&document, "ol.waiting li form[action$='/cancel']")[0];
    let action = form.value().attr("action").unwrap().to_owned();
    let csrf = csrf_of(&page);
    let asked = with_cookie(
        &app,
        reqwest::Method::POST,
        &action,
        &cookie,
        &[("csrf", &csrf), ("back", &tab)],
    )
    .await;
    assert_eq!(asked.status, 200);
    let document = scraper::Html::parse_document(&asked.body);
    let question: String = select(&document, ".confirm")[0].text().collect();
    assert!(question.contains("Luis Gómez"), "{question}");
    assert!(
        question.contains("leave the waiting list")
            || question.contains("Sale de la lista de espera"),
        "{question}"
    );
    let done = with_cookie(
        &app,
        reqwest::Method::POST,
        &action,
        &cookie,
        &[("csrf", &csrf), ("back", &tab), ("confirmed", "yes")],
    )
    .await;
    assert_eq!(done.status, 303);
    let location = done.headers["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with(&tab), "{location}");
    let after = with_cookie(&app, reqwest::Method::GET, &location, &cookie, &[]).await;
    let document = scraper::Html::parse_document(&after.body);
    let names: Vec<String> = select(&document, "ol.waiting li strong")
        .into_iter()
        .map(|e| e.text().collect())
        .collect();
    assert_eq!(names, ["Ana Peña"]);
}

on_both_backends!(the_registrations_table_filters_by_country_and_kind_of_organisation);
async fn the_registrations_table_filters_by_country_and_kind_of_organisation(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = app.meeting(&organizer, json!({})).await;
    let mut luis = TestApp::registration_body("luis@example.org");
    luis["country"] = json!("CR");
    luis["organization"] = json!({"name": "ACNUR", "kind": "un_agency", "country": "CR"});
    for body in [TestApp::registration_body("ana@example.org"), luis] {
        app.register(&slug, body).await;
    }
    let cookie = organizer_session(&app).await;
    for (filter, shown, chosen) in [
        (
            "country=CR",
            "luis@example.org",
            "#country option[value=CR][selected]",
        ),
        (
            "organization_kind=information_hub",
            "ana@example.org",
            "#organization_kind option[value=information_hub][selected]",
        ),
    ] {
        let page = with_cookie(
            &app,
            reqwest::Method::GET,
            &format!("/organizer/m/{slug}/registrations?{filter}"),
            &cookie,
            &[],
        )
        .await;
        assert_eq!(page.status, 200, "{filter}");
        let document = scraper::Html::parse_document(&page.body);
        let emails: Vec<String> = select(&document, "table.cards tbody tr td .muted")
            .into_iter()
            .map(|e| e.text().collect())
            .collect();
        assert_eq!(emails, [shown], "{filter}");
        assert_eq!(select(&document, chosen).len(), 1, "{filter} stays chosen");
        // Decisions come back to the same filtered view.
        let back = select(&document, "input[name=back]")[0]
            .value()
            .attr("value")
            .unwrap()
            .to_owned();
        let (key, value) = filter.split_once('=').unwrap();
        let query = back.split_once('?').map_or("", |(_, q)| q);
        assert!(
            url::form_urlencoded::parse(query.as_bytes()).any(|(k, v)| k == key && v == value),
            "{back}"
        );
    }
}

on_both_backends!(the_registration_form_marks_what_is_required_and_links_each_error);
async fn the_registration_form_marks_what_is_required_and_links_each_error(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = app
        .meeting(&organizer, json!({"requires_approval": true}))
        .await;
    // Said before one registers, on the meeting's page and on the form.
    for path in [format!("/m/{slug}"), format!("/m/{slug}/register")] {
        let page = fetch(&app, &path, Some("en")).await;
        assert!(
            page.body
                .contains("The organizers review each registration"),
            "{path}"
        );
    }
    let form = fetch(&app, &format!("/m/{slug}/register"), Some("en")).await;
    let document = scraper::Html::parse_document(&form.body);
    let marked: Vec<String> = select(&document, "label:has(.req)")
        .into_iter()
        .filter_map(|label| label.value().attr("for").map(str::to_owned))
        .collect();
    assert!(marked.contains(&"full_name".to_owned()), "{marked:?}");
    assert!(marked.contains(&"email".to_owned()), "{marked:?}");
    assert!(
        !marked.contains(&"job_title".to_owned()),
        "optional: {marked:?}"
    );
    assert!(form.body.contains("Required"), "the asterisk is explained");

    let sent = post_form(
        &app,
        &format!("/m/{slug}/register"),
        &[
            ("full_name", ""),
            ("email", "not an address"),
            ("lang", "en"),
        ],
    )
    .await;
    assert_eq!(sent.status, 422);
    let document = scraper::Html::parse_document(&sent.body);
    let links: Vec<(String, String)> = select(&document, ".error-summary li a")
        .into_iter()
        .map(|a| {
            (
                a.value().attr("href").unwrap().to_owned(),
                a.text().collect(),
            )
        })
        .collect();
    for (href, label) in [("#full_name", "Full name"), ("#email", "Email address")] {
        assert!(
            links.contains(&(href.to_owned(), label.to_owned())),
            "{href} {label} in {links:?}"
        );
        let field = &href[1..];
        assert_eq!(
            select(&document, &format!("#{field}"))[0]
                .value()
                .attr("aria-invalid"),
            Some("true")
        );
    }
}

on_both_backends!(a_form_says_what_is_wrong_and_what_would_be_right);
async fn a_form_says_what_is_wrong_and_what_would_be_right(backend: Backend) {
    let app = spawn_app(backend).await;
    app.organizer().await;
    let cookie = organizer_session(&app).await;
    let form = with_cookie(
        &app,
        reqwest::Method::GET,
        "/organizer/meetings/new?lang=es",
        &cookie,
        &[],
    )
    .await;
    let csrf = csrf_of(&form);
    let meeting = |slug: &'static str, ends: &'static str| {
        let (app, cookie, csrf) = (&app, &cookie, &csrf);
        async move {
            with_cookie(
                app,
                reqwest::Method::POST,
                "/organizer/meetings/new?lang=es",
                cookie,
                &[
                    ("csrf", csrf),
                    ("title", "Taller regional: Ñandú 2030"),
                    ("slug", slug),
                    ("country", "GT"),
                    ("timezone", "America/Guatemala"),
                    ("starts_at", "2030-06-10T09:00"),
                    ("ends_at", ends),
                    ("capacity", "40"),
                    ("status", "published"),
                ],
            )
            .await
        }
    };
    let refused = meeting("mi reunión", "2030-06-09T17:00").await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    let document = scraper::Html::parse_document(&refused.body);
    let message = |field: &str| -> String {
        select(&document, &format!("#{field}-error"))
            .first()
            .map(|e| e.text().collect())
            .unwrap_or_default()
    };
    assert_eq!(
        message("slug"),
        "Use de 3 a 64 letras minúsculas, cifras y guiones, sin espacios ni tildes, como «mexico-2030»."
    );
    assert_eq!(message("ends_at"), "El final debe ser posterior al inicio.");

    // Left empty, the address is made from the title.
    let created = meeting("", "2030-06-10T17:00").await;
    assert_eq!(created.status, 303, "{}", created.body);
    let location = created.headers["location"].to_str().unwrap();
    assert!(
        location.starts_with("/organizer/m/taller-regional-nandu-2030"),
        "{location}"
    );
    // Taken, it says so.
    let taken = meeting("taller-regional-nandu-2030", "2030-06-10T17:00").await;
    let document = scraper::Html::parse_document(&taken.body);
    let said: String = select(&document, "#slug-error")[0].text().collect();
    assert_eq!(said, "Otra reunión ya tiene esta dirección: elija otra.");
}
