//! Registration questions: the organizer defines them, the API and the form check the answers
//! (each problem named `answers.<code>`), and the answers reach the organizer's list, files and
//! person page and the participant's own page, never the press. Both backends.

use crate::on_both_backends;
use crate::press::{calamine_rows, download, press_token, python_csv};
use crate::support::html::{fetch, organizer_session, post_form, with_cookie};
use crate::support::{spawn_app, Backend, TestApp};
use serde_json::{json, Value};

/// An answer no other field holds, to look for wherever it must not be.
const SECRET: &str = "Llego por Tapachula con mi hija";

async fn question(app: &TestApp, organizer: &str, slug: &str, body: Value) -> Value {
    let answer = app
        .post(
            &format!("/api/v1/meetings/{slug}/questions"),
            Some(organizer),
            body,
        )
        .await;
    assert_eq!(answer.status, 201, "{}", answer.text);
    answer.body
}

/// A meeting with two public categories and a question of every kind (one for delegates
/// only); answers its slug.
async fn meeting_with_questions(app: &TestApp, organizer: &str) -> String {
    let slug = app.meeting(organizer, json!({})).await;
    let delegate = app
        .post(
            &format!("/api/v1/meetings/{slug}/categories"),
            Some(organizer),
            json!({"code": "delegate", "name": "Delegate", "translations": {"es": {"name": "Delegada"}}}),
        )
        .await;
    assert_eq!(delegate.status, 201, "{}", delegate.text);
    for body in [
        json!({"code": "arrival", "label": "Arrival date", "kind": "date", "required": true,
            "translations": {"es": {"label": "Fecha de llegada"}}}),
        json!({"code": "sessions", "label": "Sessions of interest", "kind": "multi_choice",
            "options": [
                {"code": "referral", "label": "Referral pathways", "translations": {"es": {"label": "Rutas de derivación"}}},
                {"code": "data", "label": "Shared data", "translations": {"es": {"label": "Datos compartidos"}}},
                {"code": "safety", "label": "Safety online"}]}),
        json!({"code": "visa", "label": "Do you need a visa letter?", "kind": "yes_no", "required": true,
            "translations": {"es": {"label": "¿Necesita carta para la visa?"}}}),
        json!({"code": "hotel", "label": "Hotel", "kind": "choice", "categories": ["delegate"], "required": true,
            "options": [{"code": "single", "label": "Single room"}, {"code": "shared", "label": "Shared room"}]}),
        json!({"code": "travel_notes", "label": "How you travel", "kind": "long_text"}),
        json!({"code": "nights", "label": "Nights", "kind": "number"}),
        json!({"code": "nationality", "label": "Nationality", "kind": "country"}),
        json!({"code": "diet_detail", "label": "Anything else", "kind": "text"}),
    ] {
        question(app, organizer, &slug, body).await;
    }
    slug
}

fn person(email: &str, category: &str, answers: Value) -> Value {
    let mut body = TestApp::registration_body(email);
    body["category"] = json!(category);
    body["answers"] = answers;
    body
}

on_both_backends!(organizers_define_questions_and_the_meeting_lists_them);
async fn organizers_define_questions_and_the_meeting_lists_them(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = meeting_with_questions(&app, &organizer).await;
    let meeting = app
        .get(&format!("/api/v1/meetings/{slug}?lang=es"), None)
        .await;
    let questions = meeting.body["questions"].as_array().unwrap();
    let codes: Vec<_> = questions
        .iter()
        .map(|q| q["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        [
            "arrival",
            "sessions",
            "visa",
            "hotel",
            "travel_notes",
            "nights",
            "nationality",
            "diet_detail"
        ]
    );
    assert_eq!(questions[0]["label"], "Fecha de llegada");
    assert_eq!(questions[0]["kind"], "date");
    assert_eq!(questions[1]["options"][0]["label"], "Rutas de derivación");
    assert_eq!(
        questions[1]["options"][2]["label"], "Safety online",
        "untranslated: as given"
    );
    assert_eq!(questions[3]["categories"], json!(["delegate"]));

    // Bad questions: every field named at once, nothing made.
    let bad = app
        .post(
            &format!("/api/v1/meetings/{slug}/questions"),
            Some(&organizer),
            json!({"code": "Bad Code", "label": "", "kind": "choice", "options": []}),
        )
        .await;
    assert_eq!(bad.status, 422);
    assert_eq!(bad.field_errors(), ["code", "label", "options"]);
    let unknown_category = app
        .post(
            &format!("/api/v1/meetings/{slug}/questions"),
            Some(&organizer),
            json!({"code": "x", "label": "X", "kind": "text", "categories": ["ghosts"]}),
        )
        .await;
    assert_eq!(unknown_category.field_errors(), ["categories"]);
    let taken = app
        .post(
            &format!("/api/v1/meetings/{slug}/questions"),
            Some(&organizer),
            json!({"code": "arrival", "label": "Again", "kind": "text"}),
        )
        .await;
    assert_eq!(
        (taken.status, taken.error_code()),
        (409, "question_exists".to_owned())
    );

    // Changed and removed; the code stays.
    let path = format!("/api/v1/meetings/{slug}/questions/nights");
    let changed = app
        .patch(
            &path,
            Some(&organizer),
            json!({"label": "Hotel nights", "required": true}),
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.text);
    assert_eq!(
        (
            changed.body["label"].as_str(),
            changed.body["required"].as_bool()
        ),
        (Some("Hotel nights"), Some(true))
    );
    let renamed = app
        .patch(&path, Some(&organizer), json!({"code": "other"}))
        .await;
    assert_eq!(renamed.field_errors(), ["code"]);
    let gone = app
        .call(reqwest::Method::DELETE, &path, Some(&organizer), None)
        .await;
    assert_eq!(gone.status, 204);
    let meeting = app.get(&format!("/api/v1/meetings/{slug}"), None).await;
    assert_eq!(meeting.body["questions"].as_array().unwrap().len(), 7);
    let stranger = app.organizer().await;
    let other = app
        .post(
            &format!("/api/v1/meetings/{slug}/questions"),
            Some(&stranger),
            json!({"code": "x", "label": "X", "kind": "text"}),
        )
        .await;
    assert_eq!(other.status, 403);
}

on_both_backends!(bad_answers_are_named_and_nothing_is_written);
async fn bad_answers_are_named_and_nothing_is_written(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = meeting_with_questions(&app, &organizer).await;
    let bad = app
        .register(
            &slug,
            person(
                "ana@example.org",
                "delegate",
                json!({"sessions": ["referral", "cooking"], "visa": "yes", "hotel": "palace",
                    "nights": "three", "nationality": "XX", "nope": 1, "Not A Code": 2}),
            ),
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.text);
    assert_eq!(
        bad.field_errors(),
        [
            "answers.arrival",
            "answers.sessions",
            "answers.visa",
            "answers.hotel",
            "answers.nights",
            "answers.nationality",
            "answers",
            "answers.nope",
        ]
    );
    // The delegates' question is not asked of participants.
    let not_asked = app
        .register(
            &slug,
            person(
                "ana@example.org",
                "participant",
                json!({"arrival": "2030-05-28", "visa": false, "hotel": "single"}),
            ),
        )
        .await;
    assert_eq!(not_asked.field_errors(), ["answers.hotel"]);
    let wrong_date = app
        .register(
            &slug,
            person(
                "ana@example.org",
                "participant",
                json!({"arrival": "28/05/2030", "visa": false}),
            ),
        )
        .await;
    assert_eq!(wrong_date.field_errors(), ["answers.arrival"]);
    assert!(app.registrations(&organizer, &slug, "").await.is_empty());
    assert!(
        app.smtp.all().is_empty(),
        "no email for a refused registration"
    );
}

on_both_backends!(answers_reach_organizers_and_the_participant_but_never_the_press);
async fn answers_reach_organizers_and_the_participant_but_never_the_press(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = meeting_with_questions(&app, &organizer).await;
    let mut body = person(
        "ana@example.org",
        "delegate",
        json!({"arrival": "2030-05-28", "sessions": ["safety", "referral", "safety"], "visa": true,
            "hotel": "shared", "travel_notes": SECRET, "nights": 3, "nationality": "gt",
            "diet_detail": "=1+1"}),
    );
    body["consent_press_listing"] = json!(true);
    let token = app.register_and_read_token(&slug, body).await;
    app.confirm(&token).await;
    let manage = app.smtp.wait_for("ana@example.org", 2).await[1].manage_token();

    let expected = json!({"arrival": "2030-05-28", "sessions": ["referral", "safety"], "visa": true,
        "hotel": "shared", "travel_notes": SECRET, "nights": 3, "nationality": "GT", "diet_detail": "=1+1"});
    let listed = app.registrations(&organizer, &slug, "").await;
    assert_eq!(
        listed[0]["answers"], expected,
        "checked, in the options' order"
    );
    let own = app.get("/api/v1/registration", Some(&manage)).await;
    assert_eq!(own.body["answers"], expected);

    // One answer changed: the others stay; a required one cannot be taken back.
    let changed = app
        .patch(
            "/api/v1/registration",
            Some(&manage),
            json!({"answers": {"nights": 4, "diet_detail": null}}),
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.text);
    assert_eq!(changed.body["answers"]["nights"], 4);
    assert_eq!(changed.body["answers"]["travel_notes"], SECRET);
    assert!(changed.body["answers"].get("diet_detail").is_none());
    let taken_back = app
        .patch(
            "/api/v1/registration",
            Some(&manage),
            json!({"answers": {"arrival": null}}),
        )
        .await;
    assert_eq!(taken_back.field_errors(), ["answers.arrival"]);

    // The organizer's files: a column per question, read by parsers we did not write.
    let (status, csv) = download(
        &app,
        &format!("/api/v1/meetings/{slug}/registrations.csv"),
        &organizer,
    )
    .await;
    assert_eq!(status, 200);
    let rows = python_csv(&csv);
    let column = |name: &str| {
        rows[0]
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("{name} in {:?}", rows[0]))
    };
    assert_eq!(rows[1][column("answers.travel_notes")], SECRET);
    assert_eq!(rows[1][column("answers.sessions")], "referral;safety");
    assert_eq!(rows[1][column("answers.visa")], "true");
    assert_eq!(rows[1][column("answers.nights")], "4");
    assert_eq!(rows[1][column("answers.arrival")], "2030-05-28");
    assert_eq!(rows[1][column("answers.diet_detail")], "");
    let (status, xlsx) = download(
        &app,
        &format!("/api/v1/meetings/{slug}/registrations.xlsx"),
        &organizer,
    )
    .await;
    assert_eq!(status, 200);
    let sheet = calamine_rows(&xlsx);
    assert_eq!(sheet[0], rows[0], "the same columns");
    assert_eq!(sheet[1][column("answers.travel_notes")], SECRET);
    assert_eq!(sheet[1][column("answers.hotel")], "shared");

    // The dashboard's person page and its file for people: labels and names in Spanish.
    let cookie = organizer_session(&app).await;
    let id = listed[0]["id"].as_str().unwrap();
    let page = with_cookie(
        &app,
        reqwest::Method::GET,
        &format!("/organizer/m/{slug}/registrations/{id}?lang=es"),
        &cookie,
        &[],
    )
    .await;
    for shown in [
        "Fecha de llegada",
        "Rutas de derivación; Safety online",
        "Guatemala",
        SECRET,
        "Delegada",
    ] {
        assert!(page.body.contains(shown), "{shown} on the person page");
    }

    // The press: its JSON, CSV and XLSX, and the participant counted in its summary.
    let (_, press) = press_token(&app, &organizer, &slug).await;
    for path in [
        "attendees",
        "attendees.csv",
        "attendees.xlsx",
        "attendees/summary",
    ] {
        let (status, bytes) =
            download(&app, &format!("/api/v1/meetings/{slug}/{path}"), &press).await;
        assert_eq!(status, 200, "{path}");
        let text = match path {
            "attendees.xlsx" => calamine_rows(&bytes).concat().join(","),
            _ => String::from_utf8_lossy(&bytes).into_owned(),
        };
        assert!(
            text.contains("Ana María Pérez") || path.ends_with("summary"),
            "{path}: the person is listed"
        );
        for hidden in [SECRET, "answers", "referral", "2030-05-28"] {
            assert!(!text.contains(hidden), "{path} shows {hidden}");
        }
    }
    for path in ["", "/attendees.csv"] {
        let page = fetch(&app, &format!("/press/{press}{path}"), None).await;
        assert_eq!(page.status, 200, "{path}");
        assert!(!page.body.contains(SECRET), "the press page{path}");
    }
}

on_both_backends!(the_form_draws_the_questions_and_names_each_bad_answer_beside_it);
async fn the_form_draws_the_questions_and_names_each_bad_answer_beside_it(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = meeting_with_questions(&app, &organizer).await;
    let form = fetch(&app, &format!("/m/{slug}/register?lang=es"), None).await;
    assert_eq!(form.status, 200);
    crate::support::html::assert_sound(&form, "form with questions");
    for shown in [
        "Fecha de llegada",
        "¿Necesita carta para la visa?",
        "Rutas de derivación",
        "Solo para: Delegada",
    ] {
        assert!(form.body.contains(shown), "{shown} on the form");
    }
    let arrival = form.body.find("answers_arrival").unwrap();
    let visa = form.body.find("answers_visa").unwrap();
    assert!(arrival < visa, "in the organizer's order");

    let mut fields = vec![
        ("category", "delegate"),
        ("full_name", "Berta Díaz"),
        ("email", "berta@example.org"),
        ("organization", "other"),
        ("organization_name", "Centro Hub Tecún Umán"),
        ("organization_kind", "information_hub"),
        ("organization_country", "GT"),
        ("country", "GT"),
        ("language", "es"),
        ("consent_data_processing", "on"),
        ("answers_arrival", "2030-05-28"),
        ("answers_nights", "tres"),
        ("answers_sessions__data", "on"),
    ];
    let refused = post_form(&app, &format!("/m/{slug}/register?lang=es"), &fields).await;
    assert_eq!(refused.status, 422);
    let document = scraper::Html::parse_document(&refused.body);
    for name in ["answers_visa", "answers_hotel", "answers_nights"] {
        let error = crate::support::html::select(&document, &format!("#{name}-error"));
        assert_eq!(error.len(), 1, "an error beside {name}");
    }
    assert!(
        refused.body.contains("¿Necesita carta para la visa?</a>"),
        "the summary names the question"
    );
    assert!(
        refused.body.contains("value=\"2030-05-28\""),
        "what was typed stays"
    );

    fields.retain(|(name, _)| *name != "answers_nights");
    fields.extend([
        ("answers_visa", "no"),
        ("answers_hotel", "single"),
        ("answers_nights", "2,5"),
    ]);
    let accepted = post_form(&app, &format!("/m/{slug}/register?lang=es"), &fields).await;
    assert_eq!(accepted.status, 200, "{}", accepted.body);
    let listed = app.registrations(&organizer, &slug, "").await;
    assert_eq!(
        listed[0]["answers"],
        json!({"arrival": "2030-05-28", "visa": false, "hotel": "single", "nights": 2.5, "sessions": ["data"]})
    );
}

on_both_backends!(a_changed_question_never_stops_a_participant_leaving_the_press_list);
async fn a_changed_question_never_stops_a_participant_leaving_the_press_list(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = meeting_with_questions(&app, &organizer).await;
    let mut body = person(
        "ana@example.org",
        "participant",
        json!({"arrival": "2030-05-28", "visa": false, "nights": 2}),
    );
    body["consent_press_listing"] = json!(true);
    let token = app.register_and_read_token(&slug, body).await;
    app.confirm(&token).await;
    let manage = app.smtp.wait_for("ana@example.org", 2).await[1].manage_token();
    // The organizer removes one question she answered and adds a required one she has not.
    let path = format!("/api/v1/meetings/{slug}/questions/nights");
    let gone = app
        .call(reqwest::Method::DELETE, &path, Some(&organizer), None)
        .await;
    assert_eq!(gone.status, 204);
    question(
        &app,
        &organizer,
        &slug,
        json!({"code": "hotel_nights", "label": "Hotel nights",
        "kind": "number", "required": true}),
    )
    .await;

    let left = app
        .patch(
            "/api/v1/registration",
            Some(&manage),
            json!({"consent_press_listing": false}),
        )
        .await;
    assert_eq!(left.status, 200, "{}", left.text);
    assert_eq!(left.body["consent_press_listing"], false);
    // Sending answers checks them as the form stands now; the removed one is dropped.
    let missing = app
        .patch(
            "/api/v1/registration",
            Some(&manage),
            json!({"answers": {"visa": true}}),
        )
        .await;
    assert_eq!(missing.field_errors(), ["answers.hotel_nights"]);
    let answered = app
        .patch(
            "/api/v1/registration",
            Some(&manage),
            json!({"answers": {"hotel_nights": 3}}),
        )
        .await;
    assert_eq!(answered.status, 200, "{}", answered.text);
    assert_eq!(
        answered.body["answers"],
        json!({"arrival": "2030-05-28", "visa": false, "hotel_nights": 3})
    );
}
