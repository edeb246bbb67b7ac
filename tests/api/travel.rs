//! Travel support and visa letters: what a participant asks is kept with the passport number
//! and date of birth sealed, shown masked, checked against the meeting, and a server without
//! the key they were sealed with refuses to start.

use crate::on_both_backends;
use crate::privacy::assert_no_trace;
use crate::support::{spawn_app, test_settings, Backend, TestApp, TestDb};
use serde_json::{json, Value};

const PASSPORT: &str = "G7731905";
const BIRTH_DATE: &str = "1987-11-23";

async fn travel_meeting(app: &TestApp, organizer: &str) -> String {
    app.meeting(
        organizer,
        json!({"travel_support": true, "visa_letters": true}),
    )
    .await
}

fn travel() -> Value {
    json!({"funding_requested": true, "departure_city": "San Pedro Sula",
        "arrival_date": "2030-05-28", "departure_date": "2030-05-31", "hotel_needed": true,
        "visa_letter_requested": true, "nationality": "HN", "passport_number": PASSPORT,
        "passport_expiry": "2031-01-31", "date_of_birth": BIRTH_DATE})
}

/// Registers with travel and confirms; answers the manage token.
async fn with_travel(app: &TestApp, slug: &str, email: &str, travel: Value) -> String {
    let mut body = TestApp::registration_body(email);
    body["travel"] = travel;
    let token = app.register_and_read_token(slug, body).await;
    assert_eq!(app.confirm(&token).await.status, 200);
    app.smtp.wait_for(email, 2).await[1].manage_token()
}

on_both_backends!(passport_details_are_kept_sealed_and_shown_masked);
async fn passport_details_are_kept_sealed_and_shown_masked(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = travel_meeting(&app, &organizer).await;
    let meeting = app.get(&format!("/api/v1/meetings/{slug}"), None).await;
    assert_eq!(meeting.body["visa_letters"], true);

    let manage = with_travel(&app, &slug, "rosa@example.org", travel()).await;
    let own = app.get("/api/v1/registration", Some(&manage)).await;
    assert_eq!(own.status, 200);
    let shown = &own.body["travel"];
    assert_eq!(shown["passport_number"], "•••••905");
    assert_eq!(shown["date_of_birth_given"], true);
    assert_eq!(shown["nationality"], "HN");
    assert_eq!(shown["arrival_date"], "2030-05-28");
    assert_eq!(shown["funding_requested"], true);
    assert!(!own.text.contains(PASSPORT) && !own.text.contains(BIRTH_DATE));

    // Not in the organizer's list or exports either.
    let list = app
        .get(
            &format!("/api/v1/meetings/{slug}/registrations"),
            Some(&organizer),
        )
        .await;
    assert_eq!(list.status, 200);
    assert!(!list.text.contains(PASSPORT) && !list.text.contains("travel"));
    let csv = app
        .get(
            &format!("/api/v1/meetings/{slug}/registrations.csv"),
            Some(&organizer),
        )
        .await;
    assert!(!csv.text.contains(PASSPORT) && !csv.text.contains(BIRTH_DATE));

    // Nowhere in storage in clear: not the rows, the audit log, the outbox, nor SQLite's files.
    assert_no_trace(&app, &[PASSPORT, BIRTH_DATE]);
}

on_both_backends!(bad_travel_is_refused_naming_each_field);
async fn bad_travel_is_refused_naming_each_field(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = travel_meeting(&app, &organizer).await;
    let mut body = TestApp::registration_body("bad@example.org");
    let mut bad = travel();
    bad["passport_expiry"] = json!("2030-05-01");
    bad["arrival_date"] = json!("2030-06-01");
    bad["departure_date"] = json!("2030-05-31");
    bad["date_of_birth"] = json!("not a date");
    body["travel"] = bad;
    body["full_name"] = json!("");
    let answer = app.register(&slug, body).await;
    assert_eq!(answer.status, 422, "{}", answer.text);
    let fields = answer.field_errors();
    for field in [
        "full_name",
        "travel.passport_expiry",
        "travel.departure_date",
        "travel.date_of_birth",
    ] {
        assert!(fields.contains(&field.to_owned()), "{field} in {fields:?}");
    }
    let far = {
        let mut body = TestApp::registration_body("far@example.org");
        body["travel"] = json!({"arrival_date": "2029-01-01", "departure_date": "2030-05-31"});
        app.register(&slug, body).await
    };
    assert_eq!(far.status, 422);
    assert_eq!(far.field_errors(), vec!["travel.arrival_date".to_owned()]);
    assert!(
        app.smtp.to("bad@example.org").is_empty(),
        "nothing was kept"
    );

    // A meeting without letters: asking for one is a conflict; without travel, travel is a
    // field's error.
    let plain = app
        .meeting(&organizer, json!({"travel_support": true}))
        .await;
    let mut body = TestApp::registration_body("letter@example.org");
    body["travel"] = travel();
    let refused = app.register(&plain, body).await;
    assert_eq!(refused.status, 409);
    assert_eq!(refused.error_code(), "visa_letters_not_offered");
    let none = app.meeting(&organizer, json!({})).await;
    let mut body = TestApp::registration_body("none@example.org");
    body["travel"] = json!({"hotel_needed": true});
    let refused = app.register(&none, body).await;
    assert_eq!(refused.status, 422);
    assert_eq!(refused.field_errors(), vec!["travel".to_owned()]);
}

on_both_backends!(a_server_without_the_key_of_its_sealed_data_refuses_to_start);
async fn a_server_without_the_key_of_its_sealed_data_refuses_to_start(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = travel_meeting(&app, &organizer).await;
    with_travel(&app, &slug, "key@example.org", travel()).await;

    let start = |adjust: &dyn Fn(&mut convene::Settings)| {
        let mut settings = test_settings(&app.db, app.smtp.port);
        adjust(&mut settings);
        async move {
            match convene::Server::build(settings).await {
                Ok(_) => panic!("the server started"),
                Err(error) => format!("{error:#}"),
            }
        }
    };
    // Another key: it does not open what is stored.
    let other = "b3RoZXIta2V5LW9mLWNvbnZlbmUtdGVzdHMuLi4uLi4=";
    let refusal = start(&|s| s.data_key = Some(convene::config::KeyText(other.into()))).await;
    assert!(refusal.contains("does not open"), "{refusal}");
    // No key at all.
    if let TestDb::Sqlite { url, .. } = &app.db {
        let key_file = format!("{url}.data-key");
        std::fs::remove_file(&key_file).expect("a key file beside the database");
    }
    let refusal = start(&|s| s.data_key = None).await;
    assert!(refusal.contains("CONVENE_DATA_KEY"), "{refusal}");
    if let TestDb::Sqlite { url, .. } = &app.db {
        assert!(
            !std::path::Path::new(&format!("{url}.data-key")).exists(),
            "no fresh key is made while sealed data exists"
        );
    }
}

on_both_backends!(organizers_decide_and_book_and_the_participant_is_told_in_their_language);
async fn organizers_decide_and_book_and_the_participant_is_told_in_their_language(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = travel_meeting(&app, &organizer).await;
    // Registered in Spanish (the default body's language).
    let manage = with_travel(&app, &slug, "lucia@example.org", travel()).await;
    let id = app.get("/api/v1/registration", Some(&manage)).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let no_funding = {
        let mut quiet = travel();
        quiet["funding_requested"] = json!(false);
        quiet["visa_letter_requested"] = json!(false);
        with_travel(&app, &slug, "pablo@example.org", quiet).await
    };
    let no_funding_id = app
        .get("/api/v1/registration", Some(&no_funding))
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let list = |query: &'static str| {
        let (app, organizer, slug) = (&app, &organizer, &slug);
        async move {
            let answer = app
                .get(
                    &format!("/api/v1/meetings/{slug}/travel{query}"),
                    Some(organizer),
                )
                .await;
            assert_eq!(answer.status, 200, "{}", answer.text);
            assert!(!answer.text.contains(PASSPORT), "masked in the list");
            answer.body.as_array().unwrap().clone()
        }
    };
    assert_eq!(list("").await.len(), 2);
    let undecided = list("?funding=undecided").await;
    assert_eq!(undecided.len(), 1);
    assert_eq!(undecided[0]["registration_id"], id.as_str());
    assert_eq!(undecided[0]["travel"]["passport_number"], "•••••905");
    assert_eq!(list("?visa_letter=true").await.len(), 1);
    let bad = app
        .get(
            &format!("/api/v1/meetings/{slug}/travel?funding=maybe"),
            Some(&organizer),
        )
        .await;
    assert_eq!(bad.status, 422);

    let decide = |who: String, decision: &'static str, body: Value| {
        let (app, organizer, slug) = (&app, &organizer, &slug);
        async move {
            app.post(
                &format!("/api/v1/meetings/{slug}/registrations/{who}/travel/{decision}"),
                Some(organizer),
                body,
            )
            .await
        }
    };
    let approved = decide(
        id.clone(),
        "approve",
        json!({"note": "Boleto y dos noches."}),
    )
    .await;
    assert_eq!(approved.status, 200, "{}", approved.text);
    assert_eq!(approved.body["funding_decision"], "approved");
    let told = app.smtp.wait_for("lucia@example.org", 3).await;
    assert_eq!(told[2].subject, "Su apoyo de viaje está aprobado");
    assert!(
        told[2].text.contains("Boleto y dos noches."),
        "{}",
        told[2].text
    );
    assert!(!told[2].text.contains(PASSPORT));
    assert_eq!(list("?funding=approved").await.len(), 1);
    assert!(list("?funding=undecided").await.is_empty());

    let refused = decide(no_funding_id.clone(), "decline", json!({})).await;
    assert_eq!(refused.status, 409);
    assert_eq!(refused.error_code(), "no_funding_request");
    assert_eq!(
        decide("nobody".into(), "approve", json!({})).await.status,
        404
    );
    assert_eq!(decide(id.clone(), "maybe", json!({})).await.status, 404);

    let booked = app
        .patch(
            &format!("/api/v1/meetings/{slug}/registrations/{id}/travel"),
            Some(&organizer),
            json!({"itinerary": "AV 123 SAP–MEX, 28 mayo 07:10", "hotel_booking": "Hotel Tlatelolco, confirmación 88412"}),
        )
        .await;
    assert_eq!(booked.status, 200, "{}", booked.text);
    assert_eq!(booked.body["itinerary"], "AV 123 SAP–MEX, 28 mayo 07:10");
    let told = app.smtp.wait_for("lucia@example.org", 4).await;
    assert_eq!(told[3].subject, "Su viaje está reservado");
    assert!(told[3].text.contains("confirmación 88412"));
    // Each email carries a fresh manage link.
    let own = app
        .get("/api/v1/registration", Some(&told[3].manage_token()))
        .await;
    assert_eq!(own.status, 200, "{}", own.text);
    assert_eq!(
        own.body["travel"]["hotel_booking"],
        "Hotel Tlatelolco, confirmación 88412"
    );

    // A booking locks the participant's travel too, though no funding was asked.
    let booked = app
        .patch(
            &format!("/api/v1/meetings/{slug}/registrations/{no_funding_id}/travel"),
            Some(&organizer),
            json!({"hotel_booking": "Hotel Tlatelolco"}),
        )
        .await;
    assert_eq!(booked.status, 200);
    let late = app
        .patch(
            "/api/v1/registration",
            Some(&no_funding),
            json!({"travel": travel()}),
        )
        .await;
    assert_eq!(late.error_code(), "travel_decided");

    // Someone who asked for no travel at all.
    let plain = app
        .register_and_read_token(&slug, TestApp::registration_body("nadie@example.org"))
        .await;
    let plain_id = app.confirm_and_id(&plain, "nadie@example.org").await;
    let none = decide(plain_id, "approve", json!({})).await;
    assert_eq!(none.status, 409);
    assert_eq!(none.error_code(), "no_travel_request");
}

/// The page at `/verify/{reference}`: its status and text.
async fn verify(app: &TestApp, reference: &str) -> (u16, String) {
    let response = app
        .client
        .get(format!("{}/verify/{reference}", app.address))
        .header("accept-language", "es")
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

on_both_backends!(a_visa_letter_is_issued_read_back_and_verified_until_revoked);
async fn a_visa_letter_is_issued_read_back_and_verified_until_revoked(backend: Backend) {
    use crate::documents::{keep, pdf, pdf_text};
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = travel_meeting(&app, &organizer).await;
    // Ana María Pérez, in Spanish; Zoë Ñandú, in English.
    let ana = with_travel(&app, &slug, "ana@example.org", travel()).await;
    let ana_id = app.get("/api/v1/registration", Some(&ana)).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut english = TestApp::registration_body("zoe@example.org");
    english["full_name"] = json!("Zoë Ñandú");
    english["language"] = json!("en");
    english["travel"] = {
        let mut other = travel();
        other["passport_number"] = json!("B 440 1122");
        other["nationality"] = json!("GT");
        other["funding_requested"] = json!(false);
        other
    };
    let token = app.register_and_read_token(&slug, english).await;
    let zoe_id = app.confirm_and_id(&token, "zoe@example.org").await;
    let issue = |id: String| {
        let (app, organizer, slug) = (&app, &organizer, &slug);
        async move {
            app.post(
                &format!("/api/v1/meetings/{slug}/registrations/{id}/visa-letter"),
                Some(organizer),
                json!({}),
            )
            .await
        }
    };

    assert_eq!(
        pdf(&app, "/api/v1/registration/visa-letter.pdf", &ana)
            .await
            .0,
        404
    );
    let unconfirmed = {
        let mut body = TestApp::registration_body("pending@example.org");
        body["travel"] = travel();
        app.register_and_read_token(&slug, body).await;
        let all = app.registrations(&organizer, &slug, "").await;
        let pending = all
            .iter()
            .find(|r| r["email"] == "pending@example.org")
            .expect("the unconfirmed registration");
        assert_eq!(pending["status"], "pending_email");
        pending["id"].as_str().unwrap().to_owned()
    };
    let refused = issue(unconfirmed).await;
    assert_eq!(
        (refused.status, refused.error_code().as_str()),
        (409, "not_confirmed")
    );

    // Funded: the letter says who pays.
    let approved = app
        .post(
            &format!("/api/v1/meetings/{slug}/registrations/{ana_id}/travel/approve"),
            Some(&organizer),
            json!({}),
        )
        .await;
    assert_eq!(approved.status, 200);
    app.smtp.wait_for("ana@example.org", 3).await;
    let issued = issue(ana_id.clone()).await;
    assert_eq!(issued.status, 201, "{}", issued.text);
    let reference = issued.body["reference"].as_str().unwrap().to_owned();
    assert_eq!(reference.len(), 20);
    let told = app.smtp.wait_for("ana@example.org", 4).await;
    let letter_mail = told
        .iter()
        .find(|m| m.subject == "Su carta para la visa está lista")
        .expect("the letter's email");
    assert!(
        !letter_mail.text.contains(PASSPORT),
        "the number is never emailed"
    );
    let ana = letter_mail.manage_token();
    assert!(
        letter_mail
            .text
            .contains(&format!("/manage/{ana}/visa-letter.pdf")),
        "the email's button downloads the letter: {}",
        letter_mail.text
    );

    // The participant's letter, in Spanish, read back by an independent reader.
    let (status, bytes) = pdf(&app, "/api/v1/registration/visa-letter.pdf", &ana).await;
    assert_eq!(status, 200);
    keep("visa-letter-es.pdf", &bytes);
    let text = pdf_text(&bytes);
    for expected in [
        "CARTA DE INVITACIÓN",
        "Ana María Pérez",
        PASSPORT,
        "Honduras",
        "Centro de Información Tapachula",
        "Los organizadores cubren",
        &reference[..5],
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} in the letter:\n{text}"
        );
    }
    assert!(!text.contains(BIRTH_DATE));

    let issued = issue(zoe_id.clone()).await;
    let zoe_reference = issued.body["reference"].as_str().unwrap().to_owned();
    let (status, bytes) = pdf(
        &app,
        &format!("/api/v1/meetings/{slug}/registrations/{zoe_id}/visa-letter.pdf"),
        &organizer,
    )
    .await;
    assert_eq!(status, 200);
    keep("visa-letter-en.pdf", &bytes);
    let text = pdf_text(&bytes);
    for expected in [
        "INVITATION LETTER",
        "Zoë Ñandú",
        "B4401122",
        "Guatemala",
        "covers their own travel",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} in the letter:\n{text}"
        );
    }

    // The consulate's check: this letter's identity, nothing more.
    let (status, page) = verify(&app, &reference.to_lowercase()).await;
    assert_eq!(status, 200);
    for expected in [
        "Ana María Pérez",
        "Honduras",
        "auténtica y está vigente",
        "Intercambio regional",
    ] {
        assert!(page.contains(expected), "{expected:?} on the page");
    }
    for never in [
        PASSPORT,
        BIRTH_DATE,
        "ana@example.org",
        "Zoë",
        "San Pedro Sula",
        "Tapachula",
    ] {
        assert!(!page.contains(never), "{never:?} is not shown");
    }
    let grouped: String = zoe_reference
        .as_bytes()
        .chunks(5)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("-");
    let (status, page) = verify(&app, &grouped).await;
    assert_eq!(status, 200, "as printed, in groups");
    assert!(page.contains("Zoë Ñandú") && !page.contains("Ana María"));
    for unknown in [
        "23456789ABCDEFGHJKMN",
        "x",
        "ZZZZZ-ZZZZZ-ZZZZZ-ZZZZZ",
        "' OR 1=1 --",
    ] {
        let (status, page) = verify(&app, unknown).await;
        assert_eq!(status, 404, "{unknown}");
        assert!(!page.contains("Ana María") && !page.contains("Zoë"));
    }

    // Cancelled: revoked. Revoked by the organizer: revoked, and no longer downloadable.
    let cancelled = app
        .post(
            &format!("/api/v1/meetings/{slug}/registrations/{ana_id}/cancel"),
            Some(&organizer),
            json!({}),
        )
        .await;
    assert_eq!(cancelled.status, 200, "{}", cancelled.text);
    let (status, page) = verify(&app, &reference).await;
    assert_eq!(status, 200);
    assert!(page.contains("revocada"), "{page}");
    let (status, _) = pdf(&app, "/api/v1/registration/visa-letter.pdf", &ana).await;
    assert_eq!(
        status, 404,
        "a cancelled participant's letter is no longer made"
    );
    let revoke = app
        .call(
            reqwest::Method::DELETE,
            &format!("/api/v1/meetings/{slug}/registrations/{zoe_id}/visa-letter"),
            Some(&organizer),
            None,
        )
        .await;
    assert_eq!(revoke.status, 204);
    assert!(verify(&app, &zoe_reference).await.1.contains("revocada"));
    let (status, _) = pdf(
        &app,
        &format!("/api/v1/meetings/{slug}/registrations/{zoe_id}/visa-letter.pdf"),
        &organizer,
    )
    .await;
    assert_eq!(status, 404);
}

on_both_backends!(the_rooming_list_counts_the_nights_across_the_months);
async fn the_rooming_list_counts_the_nights_across_the_months(backend: Backend) {
    use crate::press::{calamine_rows, download};
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = travel_meeting(&app, &organizer).await;
    let stay = |name: &str, arrival: &str, departure: &str, hotel: bool| {
        let mut body = TestApp::registration_body(&format!("{name}@example.org"));
        body["full_name"] = json!(name);
        body["dietary"] = json!(format!("{name}: sin gluten"));
        body["travel"] = json!({"arrival_date": arrival, "departure_date": departure,
            "hotel_needed": hotel});
        body
    };
    for (name, arrival, departure, hotel) in [
        ("Beatriz", "2030-05-30", "2030-06-02", true),
        ("Abel", "2030-05-28", "2030-05-31", true),
        ("Carmen", "2030-05-28", "2030-05-31", false),
    ] {
        let email = format!("{name}@example.org");
        let token = app
            .register_and_read_token(&slug, stay(name, arrival, departure, hotel))
            .await;
        app.confirm_and_id(&token, &email).await;
    }
    // Not confirmed: not on the hotel's list.
    app.register_and_read_token(&slug, stay("Dario", "2030-05-28", "2030-05-31", true))
        .await;

    let (status, bytes) = download(
        &app,
        &format!("/api/v1/meetings/{slug}/rooming-list.csv"),
        &organizer,
    )
    .await;
    assert_eq!(status, 200);
    let mut reader = csv::Reader::from_reader(&bytes[..]);
    let headers: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(
        headers,
        [
            "full_name",
            "organization",
            "country",
            "arrival_date",
            "departure_date",
            "nights",
            "dietary",
            "accessibility"
        ]
    );
    let rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    let named: Vec<(&str, &str, &str)> = rows
        .iter()
        .map(|r| (r[0].as_str(), r[3].as_str(), r[5].as_str()))
        .collect();
    assert_eq!(
        named,
        [("Abel", "2030-05-28", "3"), ("Beatriz", "2030-05-30", "3")],
        "by arrival, hotel guests who are confirmed, nights across May and June"
    );
    assert_eq!(rows[0][6], "Abel: sin gluten");
    assert!(!String::from_utf8_lossy(&bytes).contains(PASSPORT));

    let (status, bytes) = download(
        &app,
        &format!("/api/v1/meetings/{slug}/rooming-list.xlsx"),
        &organizer,
    )
    .await;
    assert_eq!(status, 200);
    let sheet = calamine_rows(&bytes);
    assert_eq!(sheet[1][0], "Abel");
    assert_eq!(sheet[2][5], "3");
    assert_eq!(sheet.len(), 3);
}

on_both_backends!(passport_details_go_30_days_after_the_meeting_whatever_the_general_purge);
async fn passport_details_go_30_days_after_the_meeting_whatever_the_general_purge(
    backend: Backend,
) {
    let app = crate::support::spawn_app_with(backend, |s| {
        // The general purge keeps everything; the passport details still go.
        s.worker.purge_after_days = 0;
        s.worker.housekeeping_interval = std::time::Duration::from_millis(100);
    })
    .await;
    let organizer = app.organizer().await;
    let slug = travel_meeting(&app, &organizer).await;
    let recent = travel_meeting(&app, &organizer).await;
    let manage = with_travel(&app, &slug, "old@example.org", travel()).await;
    let kept = with_travel(&app, &recent, "new@example.org", travel()).await;
    let moved = app
        .patch(
            &format!("/api/v1/meetings/{slug}"),
            Some(&organizer),
            json!({"starts_at": "2020-01-10T09:00:00-06:00", "ends_at": "2020-01-11T18:00:00-06:00",
                "registration_closes_at": null}),
        )
        .await;
    assert_eq!(moved.status, 200, "{}", moved.text);
    let started = std::time::Instant::now();
    loop {
        let own = app.get("/api/v1/registration", Some(&manage)).await;
        if own.body["travel"]["date_of_birth_given"] == false {
            assert_eq!(own.body["travel"]["passport_number"], Value::Null);
            assert_eq!(own.body["travel"]["nationality"], "HN", "the rest stays");
            assert_eq!(own.body["status"], "confirmed");
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "the worker erased the passport details"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let stats = app.stats(&organizer, &slug).await;
    assert_eq!(stats["by_status"]["confirmed"], 1, "the counts stay");
    let other = app.get("/api/v1/registration", Some(&kept)).await;
    assert_eq!(
        other.body["travel"]["date_of_birth_given"], true,
        "a meeting still to come keeps them"
    );
    // No sealed copy left of the old meeting's, and no clear copy anywhere.
    use convene::schema::travel_requests;
    use diesel::prelude::*;
    let sealed: i64 = travel_requests::table
        .filter(travel_requests::passport_sealed.is_not_null())
        .count()
        .get_result(&mut app.db.connect())
        .unwrap();
    assert_eq!(sealed, 1, "only the meeting to come's");
    assert_no_trace(&app, &[PASSPORT, BIRTH_DATE]);
}

on_both_backends!(participants_change_their_travel_until_the_organizer_decides);
async fn participants_change_their_travel_until_the_organizer_decides(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = travel_meeting(&app, &organizer).await;
    let manage = with_travel(&app, &slug, "eva@example.org", travel()).await;
    let mut changed = travel();
    changed["arrival_date"] = json!("2030-05-27");
    changed["passport_number"] = json!("H9990001");
    let answer = app
        .patch(
            "/api/v1/registration",
            Some(&manage),
            json!({"travel": changed}),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer.body["travel"]["arrival_date"], "2030-05-27");
    assert_eq!(answer.body["travel"]["passport_number"], "•••••001");

    let mut bad = travel();
    bad["departure_date"] = json!("2030-05-20");
    bad["hotel_needed"] = json!("yes");
    let refused = app
        .patch(
            "/api/v1/registration",
            Some(&manage),
            json!({"travel": bad, "job_title": "Coordinadora regional"}),
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.text);
    assert_eq!(
        refused.field_errors(),
        vec!["travel.hotel_needed".to_owned()]
    );
    bad["hotel_needed"] = json!(true);
    let refused = app
        .patch(
            "/api/v1/registration",
            Some(&manage),
            json!({"travel": bad, "job_title": "Coordinadora regional"}),
        )
        .await;
    assert_eq!(
        refused.field_errors(),
        vec!["travel.departure_date".to_owned()]
    );
    let own = app.get("/api/v1/registration", Some(&manage)).await;
    assert_eq!(own.body["job_title"], "Coordinadora", "nothing changed");
    assert_eq!(own.body["travel"]["arrival_date"], "2030-05-27");

    let id = own.body["id"].as_str().unwrap().to_owned();
    let approved = app
        .post(
            &format!("/api/v1/meetings/{slug}/registrations/{id}/travel/approve"),
            Some(&organizer),
            json!({}),
        )
        .await;
    assert_eq!(approved.status, 200);
    let late = app
        .patch(
            "/api/v1/registration",
            Some(&manage),
            json!({"travel": travel()}),
        )
        .await;
    assert_eq!(late.status, 409);
    assert_eq!(late.error_code(), "travel_decided");
}

on_both_backends!(the_registration_form_and_the_participants_page_carry_travel);
async fn the_registration_form_and_the_participants_page_carry_travel(backend: Backend) {
    use crate::support::html::{assert_sound, fetch, post_form};
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = travel_meeting(&app, &organizer).await;
    let plain = app.meeting(&organizer, json!({})).await;
    let form = fetch(&app, &format!("/m/{slug}/register"), Some("es")).await;
    assert_sound(&form, "the registration form with travel");
    for name in [
        "travel_funding_requested",
        "travel_arrival_date",
        "travel_passport_number",
        "travel_date_of_birth",
    ] {
        assert!(
            form.body.contains(&format!("name=\"{name}\"")),
            "{name} on the form"
        );
    }
    assert!(form.body.contains("Schengen"), "the exemptions are named");
    let without = fetch(&app, &format!("/m/{plain}/register"), Some("es")).await;
    assert!(
        !without.body.contains("travel_"),
        "no travel on a meeting without it"
    );

    let mut fields = vec![
        ("full_name", "Iván Ortega"),
        ("email", "ivan@example.org"),
        ("country", "SV"),
        ("language", "es"),
        ("organization", "other"),
        ("organization_name", "Centro de Información San Salvador"),
        ("organization_kind", "information_hub"),
        ("organization_country", "SV"),
        ("consent_data_processing", "on"),
        ("travel_funding_requested", "on"),
        ("travel_departure_city", "San Salvador"),
        ("travel_arrival_date", "2030-05-28"),
        ("travel_departure_date", "2030-05-26"),
        ("travel_hotel_needed", "on"),
        ("travel_visa_letter_requested", "on"),
        ("travel_nationality", "SV"),
        ("travel_passport_number", PASSPORT),
        ("travel_passport_expiry", "2032-02-02"),
        ("travel_date_of_birth", BIRTH_DATE),
    ];
    let refused = post_form(&app, &format!("/m/{slug}/register?lang=es"), &fields).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(
        refused
            .body
            .contains("<a href=\"#travel_departure_date\">Fecha de salida</a>"),
        "the field is named"
    );
    fields.retain(|(name, _)| *name != "travel_departure_date");
    fields.push(("travel_departure_date", "2030-05-31"));
    let sent = post_form(&app, &format!("/m/{slug}/register?lang=es"), &fields).await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    let confirm = app.smtp.wait_for("ivan@example.org", 1).await[0].confirm_token();
    let id = app.confirm_and_id(&confirm, "ivan@example.org").await;
    let entries = app
        .get(&format!("/api/v1/meetings/{slug}/travel"), Some(&organizer))
        .await;
    assert_eq!(entries.body[0]["travel"]["passport_number"], "•••••905");
    assert_eq!(entries.body[0]["travel"]["departure_city"], "San Salvador");

    let issued = app
        .post(
            &format!("/api/v1/meetings/{slug}/registrations/{id}/visa-letter"),
            Some(&organizer),
            json!({}),
        )
        .await;
    assert_eq!(issued.status, 201);
    let mails = app.smtp.wait_for("ivan@example.org", 3).await;
    let manage = mails
        .iter()
        .find(|m| m.subject == "Su carta para la visa está lista")
        .expect("the letter's email")
        .manage_token();
    let page = fetch(&app, &format!("/manage/{manage}"), Some("es")).await;
    assert_sound(&page, "the participant's page with travel");
    assert!(page.body.contains("Apoyo de viaje: aún sin decidir."));
    let link = format!("/manage/{manage}/visa-letter.pdf");
    assert!(page.body.contains(&link), "the letter's link");
    assert!(!page.body.contains(PASSPORT));
    let letter = app
        .client
        .get(format!("{}{link}", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(letter.status(), 200);
    let text = crate::documents::pdf_text(&letter.bytes().await.unwrap());
    assert!(
        text.contains("Iván Ortega") && text.contains(PASSPORT) && text.contains("El Salvador")
    );
}

on_both_backends!(the_travel_tab_decides_books_and_issues_from_the_dashboard);
async fn the_travel_tab_decides_books_and_issues_from_the_dashboard(backend: Backend) {
    use crate::support::html::{assert_sound, csrf_of, organizer_session, with_cookie};
    use reqwest::Method;
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = travel_meeting(&app, &organizer).await;
    with_travel(&app, &slug, "lucia@example.org", travel()).await;
    let quiet = {
        let mut quiet = travel();
        quiet["funding_requested"] = json!(false);
        quiet["visa_letter_requested"] = json!(false);
        quiet
    };
    let mut body = TestApp::registration_body("tomas@example.org");
    body["full_name"] = json!("Tomás Quiroga");
    body["travel"] = quiet;
    let token = app.register_and_read_token(&slug, body).await;
    app.confirm_and_id(&token, "tomas@example.org").await;
    let cookie = organizer_session(&app).await;
    let tab = format!("/organizer/m/{slug}/travel?lang=es");
    let page = with_cookie(&app, Method::GET, &tab, &cookie, &[]).await;
    assert_eq!(page.status, 200);
    assert_sound(&page, "the travel tab");
    assert!(page.body.contains("Ana María Pérez") && page.body.contains("Tomás Quiroga"));
    assert!(!page.body.contains(PASSPORT));
    let undecided = with_cookie(
        &app,
        Method::GET,
        &format!("/organizer/m/{slug}/travel?funding=undecided&lang=es"),
        &cookie,
        &[],
    )
    .await;
    assert!(undecided.body.contains("Ana María Pérez") && !undecided.body.contains("Tomás"));

    let id = app
        .get(
            &format!("/api/v1/meetings/{slug}/travel?funding=requested"),
            Some(&organizer),
        )
        .await
        .body[0]["registration_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let person = format!("/organizer/m/{slug}/travel/{id}");
    let page = with_cookie(
        &app,
        Method::GET,
        &format!("{person}?lang=es"),
        &cookie,
        &[],
    )
    .await;
    assert_sound(&page, "a person's travel");
    assert!(page.body.contains("•••••905") && !page.body.contains(PASSPORT));
    let csrf = csrf_of(&page);
    for (action, fields) in [
        (
            "decide",
            vec![("decision", "approve"), ("note", "Boleto aéreo incluido.")],
        ),
        (
            "book",
            vec![
                ("itinerary", "CM 404, 28 de mayo"),
                ("hotel_booking", "Hotel Tlatelolco"),
            ],
        ),
        ("letter", vec![]),
    ] {
        let mut form = vec![("csrf", csrf.as_str())];
        form.extend(fields);
        let done = with_cookie(
            &app,
            Method::POST,
            &format!("{person}/{action}"),
            &cookie,
            &form,
        )
        .await;
        assert_eq!(done.status, 303, "{action}: {}", done.body);
    }
    let travel = app
        .get(
            &format!("/api/v1/meetings/{slug}/travel?funding=approved"),
            Some(&organizer),
        )
        .await;
    let shown = &travel.body[0]["travel"];
    assert_eq!(shown["decision_note"], "Boleto aéreo incluido.");
    assert_eq!(shown["hotel_booking"], "Hotel Tlatelolco");
    assert!(shown["visa_letter"]["reference"].is_string());
    let subjects: Vec<String> = app
        .smtp
        .wait_for("lucia@example.org", 5)
        .await
        .into_iter()
        .map(|m| m.subject)
        .collect();
    for subject in [
        "Su apoyo de viaje está aprobado",
        "Su viaje está reservado",
        "Su carta para la visa está lista",
    ] {
        assert!(
            subjects.iter().any(|s| s == subject),
            "{subject} in {subjects:?}"
        );
    }
    let letter = with_cookie(
        &app,
        Method::GET,
        &format!("{person}/visa-letter.pdf"),
        &cookie,
        &[],
    )
    .await;
    assert_eq!(letter.status, 200);
    assert_eq!(letter.headers["content-type"], "application/pdf");
    // Without the session's token a form does nothing.
    let forged = with_cookie(
        &app,
        Method::POST,
        &format!("{person}/revoke-letter"),
        &cookie,
        &[],
    )
    .await;
    assert_ne!(forged.status, 303);
    let rooming = with_cookie(
        &app,
        Method::GET,
        &format!("/organizer/m/{slug}/rooming-list.csv?lang=es"),
        &cookie,
        &[],
    )
    .await;
    assert_eq!(rooming.status, 200);
    assert!(
        rooming
            .body
            .trim_start_matches('\u{feff}')
            .starts_with("Nombre,Organización,País,Llegada"),
        "{}",
        rooming.body
    );
}

on_both_backends!(participants_change_their_travel_on_their_page_keeping_the_passport);
async fn participants_change_their_travel_on_their_page_keeping_the_passport(backend: Backend) {
    use crate::support::html::{assert_sound, fetch, form_values, post_form};
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = travel_meeting(&app, &organizer).await;
    let manage = with_travel(&app, &slug, "marta@example.org", travel()).await;
    let action = format!("/manage/{manage}/travel");
    let page = fetch(&app, &format!("/manage/{manage}"), Some("es")).await;
    assert_sound(&page, "the participant's page with a travel form");
    assert!(page.body.contains("pasaporte terminado en •••••905"));
    assert!(!page.body.contains(PASSPORT) && !page.body.contains(BIRTH_DATE));
    let mut values = form_values(&page, "/travel");
    let value_of = |values: &[(String, String)], name: &str| {
        values
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    assert_eq!(
        value_of(&values, "travel_arrival_date").as_deref(),
        Some("2030-05-28")
    );
    assert_eq!(
        value_of(&values, "travel_passport_number").as_deref(),
        Some("")
    );
    assert_eq!(
        value_of(&values, "travel_visa_letter_requested").as_deref(),
        Some("on")
    );

    // A bad date comes back naming the field, and changes nothing.
    let set = |values: &mut Vec<(String, String)>, name: &str, value: &str| {
        values.retain(|(n, _)| n != name);
        values.push((name.to_owned(), value.to_owned()));
    };
    let mut bad = values.clone();
    set(&mut bad, "travel_departure_date", "2030-05-20");
    let as_pairs = |values: &[(String, String)]| -> Vec<(String, String)> { values.to_vec() };
    let pairs = as_pairs(&bad);
    let fields: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let refused = post_form(&app, &action, &fields).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(refused
        .body
        .contains("<a href=\"#travel_departure_date\">Fecha de salida</a>"));
    let own = app.get("/api/v1/registration", Some(&manage)).await;
    assert_eq!(own.body["travel"]["departure_date"], "2030-05-31");

    // Blank passport fields keep what was given: the letter still carries the number.
    set(&mut values, "travel_arrival_date", "2030-05-27");
    set(&mut values, "travel_departure_city", "La Ceiba");
    let fields: Vec<(&str, &str)> = values
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let saved = post_form(&app, &action, &fields).await;
    assert_eq!(saved.status, 200, "{}", saved.body);
    assert!(saved.body.contains("Sus datos de viaje están guardados."));
    let own = app.get("/api/v1/registration", Some(&manage)).await;
    let travel_now = &own.body["travel"];
    assert_eq!(travel_now["arrival_date"], "2030-05-27");
    assert_eq!(travel_now["departure_city"], "La Ceiba");
    assert_eq!(travel_now["passport_number"], "•••••905");
    assert_eq!(travel_now["date_of_birth_given"], true);
    let id = own.body["id"].as_str().unwrap().to_owned();
    let issued = app
        .post(
            &format!("/api/v1/meetings/{slug}/registrations/{id}/visa-letter"),
            Some(&organizer),
            json!({}),
        )
        .await;
    assert_eq!(issued.status, 201, "{}", issued.text);
    // The letter's email carries a fresh link, which replaces the one before.
    let manage = app
        .smtp
        .wait_for("marta@example.org", 3)
        .await
        .iter()
        .find(|m| m.subject == "Su carta para la visa está lista")
        .expect("the letter's email")
        .manage_token();
    let action = format!("/manage/{manage}/travel");
    let letter = app
        .client
        .get(format!("{}/manage/{manage}/visa-letter.pdf", app.address))
        .send()
        .await
        .unwrap();
    let text = crate::documents::pdf_text(&letter.bytes().await.unwrap());
    assert!(text.contains(PASSPORT), "{text}");

    // Once the letter is issued, the page no longer offers the form, and a post is refused.
    let page = fetch(&app, &format!("/manage/{manage}"), Some("es")).await;
    assert!(!page.body.contains(&action));
    assert!(page
        .body
        .contains("Los organizadores ya tramitaron su solicitud de viaje."));
    let late = post_form(&app, &action, &fields).await;
    assert_eq!(late.status, 409);
    assert_no_trace(&app, &[PASSPORT, BIRTH_DATE]);
}

on_both_backends!(invited_participants_ask_for_travel_too);
async fn invited_participants_ask_for_travel_too(backend: Backend) {
    use crate::support::html::{assert_sound, fetch, form_values, post_form};
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = travel_meeting(&app, &organizer).await;
    let mut tokens = Vec::new();
    for email in ["api@example.org", "page@example.org"] {
        let invited = app
            .post(
                &format!("/api/v1/meetings/{slug}/invitations"),
                Some(&organizer),
                json!({"email": email, "full_name": "Sofía Núñez", "language": "es"}),
            )
            .await;
        assert_eq!(invited.status, 201, "{}", invited.text);
        tokens.push(app.smtp.wait_for(email, 1).await[0].invitation_token());
    }

    // Through the API: the travel is kept with the registration it came with.
    let mut body = TestApp::registration_body("api@example.org");
    body["invitation"] = json!(tokens[0]);
    body["travel"] = travel();
    let registered = app.register(&slug, body).await;
    assert_eq!(registered.status, 201, "{}", registered.text);
    assert_eq!(registered.body["travel"]["passport_number"], "•••••905");
    assert_eq!(
        registered.body["travel"]["departure_city"],
        "San Pedro Sula"
    );

    // Through the invitation's page, which asks as the public form does.
    let page = fetch(&app, &format!("/i/{}", tokens[1]), Some("es")).await;
    assert_sound(&page, "the invitation form with travel");
    let mut values = form_values(&page, &format!("/i/{}", tokens[1]));
    values.retain(|(name, _)| !name.starts_with("travel_"));
    for (name, value) in [
        ("consent_data_processing", "on"),
        ("country", "NI"),
        ("organization_name", "Centro de Información Managua"),
        ("organization_kind", "information_hub"),
        ("organization_country", "NI"),
        ("travel_departure_city", "Managua"),
        ("travel_arrival_date", "2030-05-28"),
        ("travel_departure_date", "2030-05-30"),
        ("travel_hotel_needed", "on"),
    ] {
        values.retain(|(n, _)| n != name);
        values.push((name.to_owned(), value.to_owned()));
    }
    let fields: Vec<(&str, &str)> = values
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let sent = post_form(&app, &format!("/i/{}", tokens[1]), &fields).await;
    assert_eq!(sent.status, 200, "{}", sent.body.len());
    let entries = app
        .get(&format!("/api/v1/meetings/{slug}/travel"), Some(&organizer))
        .await;
    let cities: Vec<&str> = entries
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["travel"]["departure_city"].as_str())
        .collect();
    assert!(cities.contains(&"Managua"), "{cities:?}");
    assert_no_trace(&app, &[PASSPORT, BIRTH_DATE]);
}
