//! What a participant needs to get there and get in touch: the venue's address with a map
//! link, the organizers' contact (also the Reply-To of every email), pages in the language
//! they registered in, a way back after cancelling, and a calendar in their words.

use crate::on_both_backends;
use crate::support::html::{fetch, post_form, select};
use crate::support::{spawn_app, Backend, TestApp};
use serde_json::json;

fn lang_of(body: &str) -> String {
    let document = scraper::Html::parse_document(body);
    select(&document, "html")[0]
        .value()
        .attr("lang")
        .unwrap()
        .to_owned()
}

on_both_backends!(pages_and_emails_give_the_address_a_map_and_whom_to_write_to);
async fn pages_and_emails_give_the_address_a_map_and_whom_to_write_to(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let bad = app
        .post(
            "/api/v1/meetings",
            Some(&organizer),
            json!({"slug": "bad-contact", "title": "T", "country": "MX", "timezone": "America/Mexico_City",
                   "starts_at": "2030-05-29T09:00:00-06:00", "ends_at": "2030-05-30T18:00:00-06:00",
                   "languages": ["es"], "status": "draft", "contact_email": "not an address"}),
        )
        .await;
    assert_eq!(
        (bad.status, bad.field_errors()),
        (422, vec!["contact_email".to_owned()])
    );

    let slug = app
        .meeting(
            &organizer,
            json!({"address": "Avenida Ricardo Flores Magón 1", "contact_email": "equipo@convene.example"}),
        )
        .await;
    let page = fetch(&app, &format!("/m/{slug}?lang=es"), None).await;
    let document = scraper::Html::parse_document(&page.body);
    let facts: String = select(&document, "dl.facts")[0].text().collect();
    assert!(
        facts.contains("Centro de Convenciones, Avenida Ricardo Flores Magón 1, Mexico City"),
        "{facts}"
    );
    let map = select(
        &document,
        "dl.facts a[href^='https://www.openstreetmap.org/search?query=']",
    );
    let href = map[0].value().attr("href").unwrap();
    assert!(
        href.contains("Avenida%20Ricardo%20Flores%20Mag%C3%B3n%201") && href.ends_with("Mexico"),
        "{href}"
    );
    assert_eq!(
        select(
            &document,
            "dl.facts a[href='mailto:equipo@convene.example']"
        )
        .len(),
        1
    );

    let token = app
        .register_and_read_token(&slug, TestApp::registration_body("ana@example.org"))
        .await;
    let first = &app.smtp.to("ana@example.org")[0];
    assert_eq!(
        first.reply_to,
        ["equipo@convene.example"],
        "replies reach the organizers"
    );
    assert!(
        first
            .text
            .contains("¿Preguntas? Escriba a equipo@convene.example."),
        "{}",
        first.text
    );
    app.confirm(&token).await;
    let manage = app.smtp.wait_for("ana@example.org", 2).await[1].manage_token();
    let page = fetch(&app, &format!("/manage/{manage}"), None).await;
    assert!(page.body.contains("mailto:equipo@convene.example"));
    assert!(page.body.contains("openstreetmap.org/search"));

    // Without a contact, no Reply-To: replies would go nowhere useful.
    let plain = app.meeting(&organizer, json!({})).await;
    app.register(&plain, TestApp::registration_body("luis@example.org"))
        .await;
    let mail = &app.smtp.wait_for("luis@example.org", 1).await[0];
    assert!(mail.reply_to.is_empty());
}

on_both_backends!(the_manage_page_speaks_the_participants_language_and_offers_a_way_back);
async fn the_manage_page_speaks_the_participants_language_and_offers_a_way_back(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = app.meeting(&organizer, json!({})).await;
    // Registered in Spanish, reading on an English browser.
    let token = app
        .register_and_read_token(&slug, TestApp::registration_body("ana@example.org"))
        .await;
    app.confirm(&token).await;
    let manage = app.smtp.wait_for("ana@example.org", 2).await[1].manage_token();
    let page = fetch(&app, &format!("/manage/{manage}"), Some("en-US,en;q=0.9")).await;
    assert_eq!(lang_of(&page.body), "es");
    let asked = fetch(&app, &format!("/manage/{manage}?lang=en"), Some("es")).await;
    assert_eq!(
        lang_of(&asked.body),
        "en",
        "the language switch still works"
    );
    // And the choice is kept on the next pages, as the language cookie remembers it.
    let remembered = app
        .client
        .get(format!("{}/manage/{manage}", app.address))
        .header("Cookie", "lang=en")
        .header("Accept-Language", "es")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(lang_of(&remembered), "en");

    let cancelled = post_form(&app, &format!("/manage/{manage}/cancel"), &[]).await;
    assert_eq!(cancelled.status, 200);
    assert_eq!(lang_of(&cancelled.body), "es");
    let document = scraper::Html::parse_document(&cancelled.body);
    let again = select(&document, &format!("a[href='/m/{slug}/register']"));
    assert_eq!(again.len(), 1, "a way to register again");
    assert_eq!(again[0].text().collect::<String>(), "Inscribirse de nuevo");
}

on_both_backends!(speaker_roles_in_a_calendar_are_in_its_readers_language);
async fn speaker_roles_in_a_calendar_are_in_its_readers_language(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = app.meeting(&organizer, json!({})).await;
    let answer = app
        .post(
            &format!("/api/v1/meetings/{slug}/sessions"),
            Some(&organizer),
            json!({"title": "Apertura", "kind": "plenary", "starts_at": "2030-05-29T09:00:00-06:00",
                   "ends_at": "2030-05-29T10:00:00-06:00", "language": "es",
                   "speakers": [{"name": "Ana Pérez", "role": "moderator"}, {"name": "Luis Gómez", "role": "rapporteur"}]}),
        )
        .await;
    assert_eq!(answer.status, 201, "{}", answer.text);
    for (lang, moderator, rapporteur) in [
        ("es", "Moderación: Ana Pérez", "Relatoría: Luis Gómez"),
        ("en", "Moderator: Ana Pérez", "Rapporteur: Luis Gómez"),
    ] {
        let ics = fetch(
            &app,
            &format!("/api/v1/meetings/{slug}/agenda.ics?lang={lang}"),
            None,
        )
        .await
        .body;
        let calendar = ical::IcalParser::new(std::io::BufReader::new(ics.as_bytes()))
            .next()
            .unwrap()
            .unwrap();
        let description = calendar.events[0]
            .properties
            .iter()
            .find(|p| p.name == "DESCRIPTION")
            .and_then(|p| p.value.clone())
            .unwrap()
            .replace("\\n", "\n");
        assert!(
            description.contains(moderator) && description.contains(rapporteur),
            "{lang}: {description}"
        );
        assert!(!description.contains("moderator:"), "{description}");
    }
}

on_both_backends!(an_organisation_left_unchosen_is_one_error_on_the_picker);
async fn an_organisation_left_unchosen_is_one_error_on_the_picker(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = app.meeting(&organizer, json!({})).await;
    // A listed participant puts their organisation in the picker.
    let mut ana = TestApp::registration_body("ana@example.org");
    ana["consent_press_listing"] = json!(true);
    let token = app.register_and_read_token(&slug, ana).await;
    app.confirm(&token).await;

    let person = [
        ("full_name", "Luis Gómez"),
        ("email", "luis@example.org"),
        ("country", "GT"),
        ("language", "es"),
        ("consent_data_processing", "on"),
        ("lang", "en"),
    ];
    let mut unchosen = person.to_vec();
    unchosen.extend([
        ("organization", ""),
        ("organization_name", ""),
        ("organization_kind", ""),
        ("organization_country", ""),
    ]);
    let sent = post_form(&app, &format!("/m/{slug}/register"), &unchosen).await;
    assert_eq!(sent.status, 422);
    let document = scraper::Html::parse_document(&sent.body);
    let errors: Vec<String> = select(&document, "span.error")
        .into_iter()
        .map(|e| e.value().attr("id").unwrap().to_owned())
        .collect();
    assert_eq!(errors, ["organization-error"], "one error, on the picker");
    assert!(
        sent.body.contains("Choose your organisation, or"),
        "{}",
        sent.body
    );

    // Written in without choosing "another": taken as another organisation.
    let mut written = person.to_vec();
    written.extend([
        ("organization", ""),
        ("organization_name", "Casa del Migrante"),
        ("organization_kind", "civil_society"),
        ("organization_country", "GT"),
    ]);
    let sent = post_form(&app, &format!("/m/{slug}/register"), &written).await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    let luis = app.registrations(&organizer, &slug, "q=luis").await;
    assert_eq!(luis[0]["organization"]["name"], "Casa del Migrante");
}

on_both_backends!(the_city_and_its_clock_read_in_the_readers_language);
async fn the_city_and_its_clock_read_in_the_readers_language(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = app
        .meeting(
            &organizer,
            json!({"translations": {"es": {"title": "Intercambio", "city": "Ciudad de México"}}}),
        )
        .await;
    let facts = |lang: &'static str| {
        let app = &app;
        let slug = slug.clone();
        async move {
            let page = fetch(app, &format!("/m/{slug}?lang={lang}"), None).await;
            let document = scraper::Html::parse_document(&page.body);
            select(&document, "dl.facts")[0].text().collect::<String>()
        }
    };
    let spanish = facts("es").await;
    assert!(
        spanish.contains("hora de Ciudad de México, UTC\u{2212}06:00"),
        "{spanish}"
    );
    assert!(
        spanish.contains("Centro de Convenciones, Ciudad de México"),
        "{spanish}"
    );
    assert!(!spanish.contains("America/Mexico_City"), "{spanish}");
    let english = facts("en").await;
    assert!(
        english.contains("Mexico City time, UTC\u{2212}06:00"),
        "{english}"
    );

    // The email of a Spanish reader says it the same way.
    app.register(&slug, TestApp::registration_body("ana@example.org"))
        .await;
    let mail = &app.smtp.wait_for("ana@example.org", 1).await[0];
    assert!(
        mail.text
            .contains("hora de Ciudad de México, UTC\u{2212}06:00"),
        "{}",
        mail.text
    );

    // A session has no city of its own.
    let session = app
        .post(
            &format!("/api/v1/meetings/{slug}/sessions"),
            Some(&organizer),
            json!({"title": "Apertura", "starts_at": "2030-05-29T09:00:00-06:00", "ends_at": "2030-05-29T10:00:00-06:00",
                   "translations": {"es": {"city": "Ciudad de México"}}}),
        )
        .await;
    assert_eq!(
        (session.status, session.field_errors()),
        (422, vec!["translations".to_owned()])
    );
}

on_both_backends!(
    a_lost_email_is_sent_again_at_most_once_an_hour_and_tells_nobody_who_is_registered
);
async fn a_lost_email_is_sent_again_at_most_once_an_hour_and_tells_nobody_who_is_registered(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = app.meeting(&organizer, json!({})).await;
    let registered = post_form(
        &app,
        &format!("/m/{slug}/register"),
        &[
            ("full_name", "Ana Peña"),
            ("email", "ana@example.org"),
            ("country", "MX"),
            ("language", "es"),
            ("organization", "other"),
            ("organization_name", "Casa del Migrante"),
            ("organization_kind", "civil_society"),
            ("organization_country", "MX"),
            ("consent_data_processing", "on"),
            ("lang", "en"),
        ],
    )
    .await;
    assert_eq!(registered.status, 200, "{}", registered.body);
    let document = scraper::Html::parse_document(&registered.body);
    let form = select(&document, &format!("form[action='/m/{slug}/resend']"));
    assert_eq!(form.len(), 1, "the inbox page offers to send it again");
    app.smtp.wait_for("ana@example.org", 1).await;

    let resend = format!("/m/{slug}/resend?lang=en");
    let known = post_form(&app, &resend, &[("email", "ana@example.org")]).await;
    let unknown = post_form(&app, &resend, &[("email", "nobody@example.org")]).await;
    assert_eq!((known.status, unknown.status), (200, 200));
    let told = |page: &crate::support::html::Page| {
        let document = scraper::Html::parse_document(&page.body);
        select(&document, "main .notice")[0]
            .text()
            .collect::<String>()
            .replace("nobody@example.org", "ana@example.org")
    };
    assert_eq!(told(&known), told(&unknown), "the same answer either way");
    let mails = app.smtp.wait_for("ana@example.org", 2).await;
    let token = mails[1].confirm_token();
    assert!(
        app.confirm(&token).await.status == 200,
        "the link sent again confirms"
    );

    // Again within the hour: answered the same, nothing sent.
    let again = post_form(&app, &resend, &[("email", "ana@example.org")]).await;
    assert_eq!(again.status, 200);
    app.outbox_drained(&organizer, &slug).await;
    let to_ana = app.smtp.to("ana@example.org");
    assert_eq!(
        to_ana.len(),
        3,
        "registered, sent again, confirmed: {:?}",
        to_ana.iter().map(|m| &m.subject).collect::<Vec<_>>()
    );
    assert!(app.smtp.to("nobody@example.org").is_empty());

    let bad = post_form(&app, &resend, &[("email", "not an address")]).await;
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("email-error"));
    let page = fetch(&app, &format!("/m/{slug}"), None).await;
    assert!(
        page.body.contains(&format!("href=\"/m/{slug}/resend\"")),
        "the meeting page links to it"
    );
}

on_both_backends!(a_long_session_roomless_parallels_and_a_late_night_keep_the_timetable_readable);
async fn a_long_session_roomless_parallels_and_a_late_night_keep_the_timetable_readable(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = app.meeting(&organizer, json!({})).await;
    for (title, starts, ends) in [
        // Open all day: with it in the bands, the whole day would be one band.
        ("Exposición", "2030-05-29T09:00", "2030-05-29T18:00"),
        ("Apertura", "2030-05-29T09:00", "2030-05-29T10:00"),
        // Two at once without rooms: side by side, not one after the other.
        ("Grupo norte", "2030-05-29T11:00", "2030-05-29T12:00"),
        ("Grupo sur", "2030-05-29T11:00", "2030-05-29T12:00"),
        ("Cena", "2030-05-29T22:00", "2030-05-30T01:00"),
        // Across both days: on each.
        ("Feria", "2030-05-29T12:00", "2030-05-30T17:00"),
    ] {
        let answer = app
            .post(
                &format!("/api/v1/meetings/{slug}/sessions"),
                Some(&organizer),
                json!({"title": title, "kind": "other", "speakers": [],
                       "starts_at": format!("{starts}:00-06:00"), "ends_at": format!("{ends}:00-06:00")}),
            )
            .await;
        assert_eq!(answer.status, 201, "{title}: {}", answer.text);
    }
    let page = fetch(&app, &format!("/m/{slug}?lang=es"), None).await;
    let document = scraper::Html::parse_document(&page.body);
    let titles = |css: &str| -> Vec<String> {
        select(&document, css)
            .into_iter()
            .map(|e| e.text().collect::<String>())
            .collect()
    };
    assert_eq!(
        titles(".day .through-day .session strong"),
        ["Exposición", "Feria", "Feria"]
    );
    let bands = select(&document, ".day .band");
    assert_eq!(
        bands.len(),
        3,
        "the opening, the groups and the dinner: {}",
        page.body
    );
    let tracks = scraper::Selector::parse(".track").unwrap();
    assert_eq!(
        bands[1].select(&tracks).count(),
        2,
        "the groups side by side"
    );
    assert_eq!(
        titles(".day h3"),
        ["Miércoles 29 de mayo de 2030", "Jueves 30 de mayo de 2030"]
    );
    let dinner: String = bands[2].text().collect();
    assert!(
        dinner.contains("22:00–01:00 (del día siguiente)"),
        "{dinner}"
    );
}

on_both_backends!(cancelling_a_meeting_is_asked_first_and_its_page_says_so);
async fn cancelling_a_meeting_is_asked_first_and_its_page_says_so(backend: Backend) {
    use crate::support::html::{csrf_of, form_values, organizer_session, with_cookie};
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = app.meeting(&organizer, json!({})).await;
    let cookie = organizer_session(&app).await;
    let edit = format!("/organizer/m/{slug}/edit");
    let page = with_cookie(
        &app,
        reqwest::Method::GET,
        &format!("{edit}?lang=en"),
        &cookie,
        &[],
    )
    .await;
    let mut values = form_values(&page, "/edit");
    assert!(!csrf_of(&page).is_empty());
    for (name, value) in values.iter_mut() {
        if name == "status" {
            *value = "cancelled".to_owned();
        }
    }
    let form: Vec<(&str, &str)> = values
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let asked = with_cookie(
        &app,
        reqwest::Method::POST,
        &format!("{edit}?lang=en"),
        &cookie,
        &form,
    )
    .await;
    assert_eq!(asked.status, 200);
    assert!(
        asked.body.contains("Participants are not emailed"),
        "{}",
        asked.body
    );
    let meeting = app
        .get(&format!("/api/v1/meetings/{slug}"), Some(&organizer))
        .await;
    assert_eq!(
        meeting.body["status"], "published",
        "asking changes nothing"
    );

    let mut confirmed = form.clone();
    confirmed.push(("confirmed", "yes"));
    let done = with_cookie(&app, reqwest::Method::POST, &edit, &cookie, &confirmed).await;
    assert_eq!(done.status, 303);
    let meeting = app
        .get(&format!("/api/v1/meetings/{slug}"), Some(&organizer))
        .await;
    assert_eq!(meeting.body["status"], "cancelled");
    let public = fetch(&app, &format!("/m/{slug}?lang=es"), None).await;
    assert!(public.body.contains("Esta reunión está cancelada."));
}
