//! The check-in desk's API: codes that are unique and name one meeting's confirmed people
//! only, desk tokens that reach the desk and nothing else, and arrivals counted once per
//! person and day whatever the desks do (online at once, offline and sent late, twice).
//! Both backends.

use crate::on_both_backends;
use crate::support::{spawn_app, Backend, TestApp};
use chrono::{Duration, Utc};
use serde_json::{json, Value};

/// A meeting under way: it began yesterday and ends tomorrow, so today is one of its days.
pub async fn ongoing_meeting(app: &TestApp, organizer: &str) -> String {
    let now = Utc::now();
    app.meeting(
        organizer,
        json!({
            "starts_at": (now - Duration::days(1)).to_rfc3339(),
            "ends_at": (now + Duration::days(1)).to_rfc3339(),
            "registration_closes_at": null,
        }),
    )
    .await
}

/// Registers and confirms `email`; answers the registration as its participant sees it.
pub async fn confirmed(app: &TestApp, slug: &str, email: &str, name: &str) -> Value {
    let mut body = TestApp::registration_body(email);
    body["full_name"] = json!(name);
    let token = app.register_and_read_token(slug, body).await;
    let before = app.smtp.to(email).len();
    assert_eq!(app.confirm(&token).await.status, 200);
    let manage = app.smtp.wait_for(email, before + 1).await[before].manage_token();
    let own = app.get("/api/v1/registration", Some(&manage)).await;
    assert_eq!(own.status, 200, "{}", own.text);
    let mut view = own.body;
    view["manage_token"] = json!(manage);
    view
}

/// A desk token of the meeting.
pub async fn desk_token(app: &TestApp, organizer: &str, slug: &str, label: &str) -> Value {
    let made = app
        .post(
            &format!("/api/v1/meetings/{slug}/desk-tokens"),
            Some(organizer),
            json!({"label": label}),
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.text);
    made.body
}

fn nonce() -> String {
    uuid::Uuid::new_v4().to_string()
}

async fn check_in(app: &TestApp, desk: &str, body: Value) -> (u16, Value) {
    let answer = app.post("/api/v1/desk/check-ins", Some(desk), body).await;
    (answer.status, answer.body)
}

fn today(app_stats: &Value) -> i64 {
    app_stats["attendance"]
        .as_object()
        .map(|days| days.values().filter_map(Value::as_i64).sum())
        .unwrap_or(0)
}

on_both_backends!(codes_are_unique_and_name_one_meeting_s_confirmed_people);
async fn codes_are_unique_and_name_one_meeting_s_confirmed_people(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let here = ongoing_meeting(&app, &organizer).await;
    let elsewhere = ongoing_meeting(&app, &organizer).await;
    let ana = confirmed(&app, &here, "ana@example.org", "Ana Peña").await;
    let luis = confirmed(&app, &here, "luis@example.org", "Luis Ajú").await;
    let other = confirmed(&app, &elsewhere, "otra@example.org", "Otra Persona").await;
    let codes: Vec<&str> = [&ana, &luis, &other]
        .iter()
        .map(|view| {
            view["checkin_code"]
                .as_str()
                .expect("a confirmed person has a code")
        })
        .collect();
    assert_eq!(
        codes.iter().collect::<std::collections::HashSet<_>>().len(),
        3,
        "{codes:?}"
    );
    for code in &codes {
        assert!(code.len() >= 20, "unguessable: {code}");
        assert_ne!(*code, ana["manage_token"].as_str().unwrap());
    }
    let desk = desk_token(&app, &organizer, &here, "Entrada principal").await;
    let desk = desk["token"].as_str().unwrap();

    // Another meeting's code, and a code nobody holds: 404, nothing recorded.
    let (status, _) = check_in(&app, desk, json!({"code": codes[2], "nonce": nonce()})).await;
    assert_eq!(status, 404);
    let (status, _) = check_in(
        &app,
        desk,
        json!({"code": "ZZZZZ-ZZZZZ-ZZZZZ-ZZZZZ", "nonce": nonce()}),
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(today(&app.stats(&organizer, &here).await), 0);
    assert_eq!(today(&app.stats(&organizer, &elsewhere).await), 0);

    // Typed by hand, in lower case with the dashes of the print: the same code.
    let typed = codes[0].to_lowercase();
    let (status, answer) = check_in(&app, desk, json!({"code": typed, "nonce": nonce()})).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["first"], true);
    assert_eq!(answer["registration"]["full_name"], "Ana Peña");
    assert!(answer["registration"]["checked_in_at"].is_string());
    assert!(
        answer["registration"].get("email").is_none(),
        "the desk sees no addresses: {answer}"
    );

    // A cancelled person's code stops working.
    let cancelled = app
        .post(
            "/api/v1/registration/cancel",
            Some(luis["manage_token"].as_str().unwrap()),
            json!({}),
        )
        .await;
    assert_eq!(cancelled.status, 200, "{}", cancelled.text);
    let (status, answer) = check_in(&app, desk, json!({"code": codes[1], "nonce": nonce()})).await;
    assert_eq!(status, 409, "{answer}");
    assert_eq!(answer["errors"][0]["code"], "not_confirmed");

    // A person not yet confirmed has no code to show and cannot be checked in by id.
    let pending = app
        .register(&here, TestApp::registration_body("pending@example.org"))
        .await;
    assert_eq!(pending.status, 202);
    let pending_id = app
        .registrations(&organizer, &here, "status=pending_email")
        .await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, answer) = check_in(
        &app,
        desk,
        json!({"registration_id": pending_id, "nonce": nonce()}),
    )
    .await;
    assert_eq!(status, 409, "{answer}");
    let stats = app.stats(&organizer, &here).await;
    assert_eq!(today(&stats), 1, "{stats}");
    assert_eq!(stats["attended_by_organization_kind"]["information_hub"], 1);
    assert_eq!(stats["attended_by_country"]["MX"], 1);
}

on_both_backends!(two_desks_count_one_arrival_online_and_offline);
async fn two_desks_count_one_arrival_online_and_offline(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = ongoing_meeting(&app, &organizer).await;
    let ana = confirmed(&app, &slug, "ana@example.org", "Ana Peña").await;
    let luis = confirmed(&app, &slug, "luis@example.org", "Luis Ajú").await;
    let door = desk_token(&app, &organizer, &slug, "Puerta").await;
    let hall = desk_token(&app, &organizer, &slug, "Salón").await;
    let (door, hall) = (
        door["token"].as_str().unwrap(),
        hall["token"].as_str().unwrap(),
    );

    // Online, at the same moment, at two desks.
    let code = ana["checkin_code"].as_str().unwrap();
    let (a, b) = tokio::join!(
        check_in(&app, door, json!({"code": code, "nonce": nonce()})),
        check_in(&app, hall, json!({"code": code, "nonce": nonce()})),
    );
    assert_eq!((a.0, b.0), (200, 200), "{} {}", a.1, b.1);
    let firsts = [&a.1, &b.1]
        .iter()
        .filter(|answer| answer["first"] == true)
        .count();
    assert_eq!(firsts, 1, "one arrival: {} {}", a.1, b.1);
    assert_eq!(
        a.1["registration"]["checked_in_at"],
        b.1["registration"]["checked_in_at"]
    );

    // Offline: the door scanned Luis ten minutes ago and sends its queue late, twice; the
    // hall scanned him too, offline, and sends its own.
    let seen = (Utc::now() - Duration::minutes(10)).to_rfc3339();
    let scan = json!({"code": luis["checkin_code"], "at": seen, "nonce": nonce()});
    let outside = json!({"code": luis["checkin_code"], "at": (Utc::now() - Duration::days(5)).to_rfc3339(), "nonce": nonce()});
    let batch = json!({"items": [scan, outside]});
    let mut firsts = 0;
    for sent in 0..2 {
        let answer = app
            .post("/api/v1/desk/check-ins/batch", Some(door), batch.clone())
            .await;
        assert_eq!(answer.status, 200, "{}", answer.text);
        let results = answer.body["results"].as_array().unwrap();
        assert_eq!(results.len(), 2);
        assert_eq!(results[0]["status"], 200, "{}", answer.text);
        assert_eq!(results[0]["nonce"], scan["nonce"]);
        if results[0]["first"] == true {
            firsts += 1;
        }
        assert_eq!(results[1]["status"], 422, "sent {sent}: {}", answer.text);
        assert_eq!(results[1]["errors"][0]["field"], "at");
    }
    assert_eq!(
        firsts, 2,
        "a scan sent again answers what it answered first"
    );
    let odd = app
        .post(
            "/api/v1/desk/check-ins/batch",
            Some(door),
            json!({"items": [{"code": luis["checkin_code"], "nonce": nonce()}, 42]}),
        )
        .await;
    assert_eq!(odd.status, 200, "{}", odd.text);
    assert_eq!(odd.body["results"][0]["status"], 200);
    assert_eq!(odd.body["results"][1]["errors"][0]["field"], "items[1]");
    let other_desk =
        json!({"items": [{"code": luis["checkin_code"], "at": seen, "nonce": nonce()}]});
    let answer = app
        .post("/api/v1/desk/check-ins/batch", Some(hall), other_desk)
        .await;
    assert_eq!(answer.body["results"][0]["first"], false, "{}", answer.text);
    let stats = app.stats(&organizer, &slug).await;
    assert_eq!(today(&stats), 2, "Ana and Luis, once each: {stats}");

    // The organizer's file shows each once, with the time the door saw Luis.
    let csv = app
        .get(
            &format!("/api/v1/meetings/{slug}/attendance.csv"),
            Some(&organizer),
        )
        .await;
    assert_eq!(csv.status, 200);
    let rows = crate::press::python_csv(csv.text.as_bytes());
    assert_eq!(rows.len(), 3, "a heading and two people: {}", csv.text);
    let day_columns: Vec<usize> = (6..rows[0].len()).collect();
    assert_eq!(day_columns.len(), 3, "a column a day: {:?}", rows[0]);
    let luis_row = rows.iter().find(|row| row[1] == "Luis Ajú").unwrap();
    let arrivals: Vec<&String> = day_columns
        .iter()
        .map(|i| &luis_row[*i])
        .filter(|cell| !cell.is_empty())
        .collect();
    assert_eq!(arrivals.len(), 1, "{luis_row:?}");
    let arrived = chrono::DateTime::parse_from_rfc3339(arrivals[0]).unwrap();
    let seen = chrono::DateTime::parse_from_rfc3339(&seen).unwrap();
    assert_eq!(
        arrived.timestamp(),
        seen.timestamp(),
        "the device's time is kept"
    );

    // More than 1,000 scans in one batch: 413.
    let items: Vec<Value> = (0..1001)
        .map(|_| json!({"code": code, "nonce": nonce()}))
        .collect();
    let answer = app
        .post(
            "/api/v1/desk/check-ins/batch",
            Some(door),
            json!({"items": items}),
        )
        .await;
    assert_eq!(answer.status, 413, "{}", answer.text);
}

on_both_backends!(a_desk_token_reaches_the_desk_and_nothing_else);
async fn a_desk_token_reaches_the_desk_and_nothing_else(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = ongoing_meeting(&app, &organizer).await;
    let ana = confirmed(&app, &slug, "ana@example.org", "Ana Peña").await;
    let desk = desk_token(&app, &organizer, &slug, "Puerta").await;
    let token = desk["token"].as_str().unwrap();
    assert!(desk["link"]
        .as_str()
        .unwrap()
        .ends_with(&format!("/desk/{token}")));
    let expires =
        chrono::DateTime::parse_from_rfc3339(desk["expires_at"].as_str().unwrap()).unwrap();
    assert!(
        expires <= Utc::now() + Duration::days(2) + Duration::minutes(1),
        "a desk link ends the day after the meeting, not in 30 days: {expires}"
    );

    let list = app.get("/api/v1/desk/participants", Some(token)).await;
    assert_eq!(list.status, 200, "{}", list.text);
    let items = list.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["checkin_code"], ana["checkin_code"]);
    assert!(items[0].get("email").is_none());

    for path in [
        format!("/api/v1/meetings/{slug}/registrations"),
        format!("/api/v1/meetings/{slug}/stats"),
        format!("/api/v1/meetings/{slug}/attendance.csv"),
        format!("/api/v1/meetings/{slug}/attendees"),
        "/api/v1/registration".to_owned(),
    ] {
        let answer = app.get(&path, Some(token)).await;
        assert!(
            [401, 403].contains(&answer.status),
            "{path}: {}",
            answer.status
        );
    }
    let made = app
        .post(
            &format!("/api/v1/meetings/{slug}/desk-tokens"),
            Some(token),
            json!({"label": "another"}),
        )
        .await;
    assert_eq!(made.status, 401);

    // An organizer checks in by naming the meeting.
    let (status, answer) = check_in(
        &app,
        &organizer,
        json!({"registration_id": ana["id"], "nonce": nonce()}),
    )
    .await;
    assert_eq!(status, 422, "the meeting must be named: {answer}");
    let by_organizer = app
        .post(
            &format!("/api/v1/desk/check-ins?meeting={slug}"),
            Some(&organizer),
            json!({"registration_id": ana["id"], "nonce": nonce()}),
        )
        .await;
    assert_eq!(by_organizer.status, 200, "{}", by_organizer.text);
    assert_eq!(by_organizer.body["first"], true);

    // Revoked: 401 at once.
    let id = desk["id"].as_str().unwrap();
    let revoked = app
        .call(
            reqwest::Method::DELETE,
            &format!("/api/v1/meetings/{slug}/desk-tokens/{id}"),
            Some(&organizer),
            None,
        )
        .await;
    assert_eq!(revoked.status, 204);
    let list = app.get("/api/v1/desk/participants", Some(token)).await;
    assert_eq!(list.status, 401);
    let (status, _) = check_in(
        &app,
        token,
        json!({"code": ana["checkin_code"], "nonce": nonce()}),
    )
    .await;
    assert_eq!(status, 401);
}

on_both_backends!(an_undone_check_in_leaves_no_arrival_and_the_list_follows_changes);
async fn an_undone_check_in_leaves_no_arrival_and_the_list_follows_changes(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = ongoing_meeting(&app, &organizer).await;
    let ana = confirmed(&app, &slug, "ana@example.org", "Ana Peña").await;
    let luis = confirmed(&app, &slug, "luis@example.org", "Luis Ajú").await;
    let desk = desk_token(&app, &organizer, &slug, "Puerta").await;
    let desk = desk["token"].as_str().unwrap();
    let first = app.get("/api/v1/desk/participants", Some(desk)).await;
    assert_eq!(first.body["items"].as_array().unwrap().len(), 2);
    let as_of = first.body["as_of"].as_str().unwrap().to_owned();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;

    let scan = nonce();
    let (status, _) = check_in(
        &app,
        desk,
        json!({"code": ana["checkin_code"], "nonce": scan}),
    )
    .await;
    assert_eq!(status, 200);
    let cancelled = app
        .post(
            "/api/v1/registration/cancel",
            Some(luis["manage_token"].as_str().unwrap()),
            json!({}),
        )
        .await;
    assert_eq!(cancelled.status, 200);
    let since = format!(
        "/api/v1/desk/participants?since={}",
        as_of.replace('+', "%2B")
    );
    let changed = app.get(&since, Some(desk)).await;
    assert_eq!(changed.status, 200, "{}", changed.text);
    let items = changed.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "only Ana changed: {}", changed.text);
    assert!(items[0]["checked_in_at"].is_string());
    assert_eq!(changed.body["removed"], json!([luis["id"]]));

    let undone = app
        .post(
            "/api/v1/desk/check-ins/undo",
            Some(desk),
            json!({"registration_id": ana["id"]}),
        )
        .await;
    assert_eq!(undone.status, 200, "{}", undone.text);
    assert!(undone.body["checked_in_at"].is_null());
    assert_eq!(today(&app.stats(&organizer, &slug).await), 0);
    // The undone scan sent again (from a queue) does not bring the arrival back, and says so.
    let (status, resent) = check_in(
        &app,
        desk,
        json!({"code": ana["checkin_code"], "nonce": scan}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(resent["first"], false, "{resent}");
    assert!(
        resent["registration"]["checked_in_at"].is_null(),
        "{resent}"
    );
    assert_eq!(today(&app.stats(&organizer, &slug).await), 0);
    // A new scan does.
    let (_, again) = check_in(
        &app,
        desk,
        json!({"code": ana["checkin_code"], "nonce": nonce()}),
    )
    .await;
    assert_eq!(again["first"], true);
    assert_eq!(today(&app.stats(&organizer, &slug).await), 1);

    // Now seen by the desk, Ana's name and organisation stay as her certificate will say.
    let renamed = app
        .patch(
            "/api/v1/registration",
            Some(ana["manage_token"].as_str().unwrap()),
            json!({"full_name": "Ban Ki-moon", "job_title": "Coordinadora general"}),
        )
        .await;
    assert_eq!(renamed.status, 422, "{}", renamed.text);
    assert_eq!(renamed.field_errors(), ["full_name"]);
    assert_eq!(renamed.error_code(), "checked_in");
    // A desk mends today only; earlier days are the organizers'.
    // Two days back in UTC is never today in Mexico City (UTC−6).
    let yesterday = (Utc::now() - Duration::days(2)).date_naive().to_string();
    let old_day = app
        .post(
            "/api/v1/desk/check-ins/undo",
            Some(desk),
            json!({"registration_id": ana["id"], "day": yesterday}),
        )
        .await;
    assert_eq!(old_day.status, 422, "{}", old_day.text);
    assert_eq!(old_day.field_errors(), ["day"]);
    let (status, answer) = check_in(
        &app,
        desk,
        json!({"code": ana["checkin_code"], "registration_id": ana["id"], "nonce": nonce()}),
    )
    .await;
    assert_eq!(status, 422, "{answer}");
    assert_eq!(answer["errors"][0]["field"], "code");

    // Bad input names each field and records nothing.
    let (status, answer) = check_in(&app, desk, json!({"code": "??", "at": "yesterday"})).await;
    assert_eq!(status, 422);
    let mut fields: Vec<&str> = answer["errors"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    fields.sort();
    assert_eq!(fields, ["at", "code", "nonce"], "{answer}");
}

on_both_backends!(the_desk_page_works_without_a_script_and_alone_may_load_one);
async fn the_desk_page_works_without_a_script_and_alone_may_load_one(backend: Backend) {
    use crate::support::html::{fetch, post_form};
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = ongoing_meeting(&app, &organizer).await;
    let ana = confirmed(&app, &slug, "ana@example.org", "Ana Peña").await;
    confirmed(&app, &slug, "luis@example.org", "Luis Ajú").await;
    let desk = desk_token(&app, &organizer, &slug, "Puerta").await;
    let path = format!("/desk/{}", desk["token"].as_str().unwrap());

    let page = fetch(&app, &format!("{path}?q=pena"), Some("en")).await;
    assert_eq!(page.status, 200);
    let document = scraper::Html::parse_document(&page.body);
    assert!(document.errors.is_empty(), "{:?}", document.errors);
    assert!(page.body.contains("<script src=\"/static/desk.js\" defer>"));
    let policy = page.headers["content-security-policy"].to_str().unwrap();
    assert!(policy.contains("script-src 'self'"), "{policy}");
    assert!(page.body.contains("Ana Peña") && !page.body.contains("Luis Ajú"));
    assert!(page.body.contains("0 of 2 have arrived today"));
    let public = fetch(&app, &format!("/m/{slug}"), Some("en")).await;
    let policy = public.headers["content-security-policy"].to_str().unwrap();
    assert!(
        !policy.contains("script-src"),
        "no script elsewhere: {policy}"
    );
    let manage = fetch(
        &app,
        &format!("/manage/{}", ana["manage_token"].as_str().unwrap()),
        None,
    )
    .await;
    assert!(!manage.headers["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("script-src"));

    // Addresses are not a desk's to search: the page finds nobody by one.
    let by_address = fetch(&app, &format!("{path}?q=ana%40example.org"), Some("en")).await;
    assert!(
        !by_address.body.contains("Ana Peña"),
        "an address must not find its holder"
    );
    assert!(by_address.body.contains("desk-none"));
    // A code typed by hand finds its holder.
    let code = grouped(ana["checkin_code"].as_str().unwrap());
    let page = fetch(&app, &format!("{path}?q={code}"), Some("en")).await;
    assert!(page.body.contains("Ana Peña"), "{code}");

    let id = ana["id"].as_str().unwrap();
    let check_in = format!("{path}/check-in");
    let form = [
        ("registration_id", id),
        ("nonce", "page-nonce-1"),
        ("q", "pena"),
    ];
    let page = post_form(&app, &check_in, &form).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("Ana Peña checked in at"),
        "{}",
        page.body
    );
    assert!(page.body.contains("1 of 2 has arrived today"));
    // The same form sent twice (a double tap) counts once.
    post_form(&app, &check_in, &form).await;
    let again = [("registration_id", id), ("nonce", "page-nonce-2")];
    let page = post_form(&app, &check_in, &again).await;
    assert!(
        page.body.contains("Ana Peña was already checked in at"),
        "{}",
        page.body
    );
    assert_eq!(today(&app.stats(&organizer, &slug).await), 1);

    let page = post_form(&app, &format!("{path}/undo"), &[("registration_id", id)]).await;
    assert!(
        page.body.contains("The check-in of Ana Peña was undone."),
        "{}",
        page.body
    );
    assert_eq!(today(&app.stats(&organizer, &slug).await), 0);

    let gone = fetch(&app, &format!("/desk/{}", "0".repeat(64)), Some("en")).await;
    assert_eq!(gone.status, 404);
}

/// A code as printed beside its QR: in groups of five, with dashes.
fn grouped(code: &str) -> String {
    code.as_bytes()
        .chunks(5)
        .map(|chunk| std::str::from_utf8(chunk).unwrap())
        .collect::<Vec<_>>()
        .join("-")
}

/// The text a QR code in a PNG holds, as a phone's scanner would read it.
fn scan_png(bytes: &[u8]) -> String {
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size()];
    let frame = reader.next_frame(&mut pixels).unwrap();
    assert_eq!(frame.color_type, png::ColorType::Grayscale);
    let (width, height) = (frame.width as usize, frame.height as usize);
    let mut image =
        rqrr::PreparedImage::prepare_from_greyscale(width, height, |x, y| pixels[y * width + x]);
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code in the image");
    grids[0].decode().unwrap().1
}

on_both_backends!(the_confirmation_email_and_the_manage_page_show_the_code_as_a_qr);
async fn the_confirmation_email_and_the_manage_page_show_the_code_as_a_qr(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = ongoing_meeting(&app, &organizer).await;
    let ana = confirmed(&app, &slug, "ana@example.org", "Ana Peña").await;
    let code = ana["checkin_code"].as_str().unwrap();
    let mails = app.smtp.to("ana@example.org");
    let welcome = mails.last().unwrap();
    assert!(welcome.text.contains(&grouped(code)), "{}", welcome.text);
    assert!(
        welcome.html.contains("src=\"cid:checkin-code\""),
        "{}",
        welcome.html
    );
    let images: Vec<&(String, String, Vec<u8>)> = welcome
        .attachments
        .iter()
        .filter(|(_, kind, _)| kind == "image/png")
        .collect();
    assert_eq!(images.len(), 1, "one inline image");
    assert_eq!(
        scan_png(&images[0].2),
        code,
        "the QR code holds the check-in code"
    );
    // The first email, before the address was confirmed, shows no code.
    assert!(!mails[0].text.contains(&grouped(code)));

    let page = crate::support::html::fetch(
        &app,
        &format!("/manage/{}", ana["manage_token"].as_str().unwrap()),
        Some("en"),
    )
    .await;
    assert!(page.body.contains(&grouped(code)), "the code as text");
    assert!(page.body.contains("<svg"), "and as a QR code");
}

on_both_backends!(many_scans_at_once_make_one_arrival_and_a_nonce_names_one_person);
async fn many_scans_at_once_make_one_arrival_and_a_nonce_names_one_person(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = ongoing_meeting(&app, &organizer).await;
    let ana = confirmed(&app, &slug, "ana@example.org", "Ana Peña").await;
    let luis = confirmed(&app, &slug, "luis@example.org", "Luis Ajú").await;
    let desk = desk_token(&app, &organizer, &slug, "Puerta").await;
    let desk = desk["token"].as_str().unwrap();
    // Twelve scans of Ana at once: eight with nonces of their own, four resending one nonce.
    let shared = nonce();
    let scans = (0..12).map(|i| {
        let nonce = if i < 8 { nonce() } else { shared.clone() };
        check_in(
            &app,
            desk,
            json!({"code": ana["checkin_code"], "nonce": nonce}),
        )
    });
    let answers = futures::future::join_all(scans).await;
    for (status, answer) in &answers {
        assert_eq!(*status, 200, "{answer}");
    }
    let times: std::collections::HashSet<String> = answers
        .iter()
        .map(|(_, a)| {
            a["registration"]["checked_in_at"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(
        times.len(),
        1,
        "every answer gives the one arrival time: {times:?}"
    );
    let firsts = answers.iter().filter(|(_, a)| a["first"] == true).count();
    assert!(
        firsts == 1 || firsts == 4,
        "one arrival: answered first to its scan, and to its nonce's resends if it was that one: {firsts}"
    );
    assert_eq!(today(&app.stats(&organizer, &slug).await), 1);

    // A nonce already used for Ana cannot check Luis in.
    let (status, answer) = check_in(
        &app,
        desk,
        json!({"code": luis["checkin_code"], "nonce": shared}),
    )
    .await;
    assert_eq!(status, 422, "{answer}");
    assert_eq!(answer["errors"][0]["field"], "nonce");
    assert_eq!(
        today(&app.stats(&organizer, &slug).await),
        1,
        "nothing recorded for Luis"
    );
}
