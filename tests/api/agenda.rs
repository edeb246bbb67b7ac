//! The agenda: rooms, sessions, clashes, local times, calendars, ETags and change notices.

use crate::on_both_backends;
use crate::support::Backend;
use crate::support::{spawn_app, spawn_app_with, TestApp};
use futures::future::join_all;
use serde_json::{json, Value};
use std::time::Duration;

async fn room(app: &TestApp, organizer: &str, slug: &str, name: &str) -> String {
    let answer = app
        .post(
            &format!("/api/v1/meetings/{slug}/rooms"),
            Some(organizer),
            json!({"name": name, "capacity": 40}),
        )
        .await;
    assert_eq!(answer.status, 201, "{}", answer.text);
    answer.body["id"].as_str().unwrap().to_owned()
}

fn session(title: &str, starts: &str, ends: &str, room: Option<&str>, speakers: Value) -> Value {
    json!({"title": title, "description": "", "kind": "panel", "starts_at": starts, "ends_at": ends,
           "room_id": room, "language": "es", "interpretation": true, "speakers": speakers})
}

fn at(time: &str) -> String {
    format!("2030-05-29T{time}:00-06:00")
}

/// Parses iCalendar with the `ical` crate, which Convene does not write with.
fn parse_ics(text: &str) -> Vec<Vec<(String, String)>> {
    let mut parser = ical::IcalParser::new(std::io::BufReader::new(text.as_bytes()));
    let calendar = parser.next().expect("a calendar").expect("valid iCalendar");
    assert!(parser.next().is_none());
    calendar
        .events
        .into_iter()
        .map(|event| {
            event
                .properties
                .into_iter()
                .map(|p| (p.name, p.value.unwrap_or_default()))
                .collect()
        })
        .collect()
}

fn prop<'a>(event: &'a [(String, String)], name: &str) -> &'a str {
    event
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

on_both_backends!(rooms_and_people_cannot_be_in_two_places_at_once);
async fn rooms_and_people_cannot_be_in_two_places_at_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = app.meeting(&organizer, json!({})).await;
    let hall = room(&app, &organizer, &slug, "Salón Tlatelolco").await;
    let side = room(&app, &organizer, &slug, "Sala Juárez").await;
    let again = app
        .post(
            &format!("/api/v1/meetings/{slug}/rooms"),
            Some(&organizer),
            json!({"name": "Salón Tlatelolco"}),
        )
        .await;
    assert_eq!(
        (again.status, again.error_code()),
        (409, "room_exists".to_owned())
    );
    let sessions = format!("/api/v1/meetings/{slug}/sessions");

    let first = app
        .post(
            &sessions,
            Some(&organizer),
            session(
                "Apertura",
                &at("09:00"),
                &at("10:00"),
                Some(&hall),
                json!([{"name": "Ana Pérez", "organization": "OIM"}]),
            ),
        )
        .await;
    assert_eq!(first.status, 201, "{}", first.text);
    let first_id = first.body["id"].as_str().unwrap().to_owned();
    assert_eq!(first.body["room"]["name"], "Salón Tlatelolco");
    assert_eq!(first.body["speakers"][0]["role"], "speaker");

    let clash = app
        .post(
            &sessions,
            Some(&organizer),
            session("Panel", &at("09:30"), &at("10:30"), Some(&hall), json!([])),
        )
        .await;
    assert_eq!(
        (clash.status, clash.error_code()),
        (409, "room_conflict".to_owned())
    );
    assert_eq!(clash.body["errors"][0]["field"], "room_id");
    assert_eq!(clash.body["errors"][0]["session"]["id"], first_id.as_str());
    assert_eq!(clash.body["errors"][0]["session"]["starts_at"], at("09:00"));

    let back_to_back = app
        .post(
            &sessions,
            Some(&organizer),
            session(
                "Panel",
                &at("10:00"),
                &at("11:00"),
                Some(&hall),
                json!([{"name": "Ana Pérez"}]),
            ),
        )
        .await;
    assert_eq!(
        back_to_back.status, 201,
        "sessions that only touch do not clash: {}",
        back_to_back.text
    );
    let panel_id = back_to_back.body["id"].as_str().unwrap().to_owned();

    let busy = app
        .post(
            &sessions,
            Some(&organizer),
            session(
                "Taller",
                &at("09:30"),
                &at("10:00"),
                Some(&side),
                json!([{"name": "ana  PÉREZ", "role": "moderator"}]),
            ),
        )
        .await;
    assert_eq!(
        (busy.status, busy.error_code()),
        (409, "speaker_conflict".to_owned())
    );
    assert_eq!(busy.body["errors"][0]["session"]["id"], first_id.as_str());

    let token = app
        .register_and_read_token(&slug, TestApp::registration_body("luis@example.org"))
        .await;
    let luis = app.confirm_and_id(&token, "luis@example.org").await;
    let with_luis = app
        .post(
            &sessions,
            Some(&organizer),
            session(
                "Taller A",
                &at("11:00"),
                &at("12:00"),
                Some(&side),
                json!([{"registration_id": luis}]),
            ),
        )
        .await;
    assert_eq!(with_luis.status, 201);
    assert_eq!(with_luis.body["speakers"][0]["name"], "Ana María Pérez");
    assert_eq!(
        with_luis.body["speakers"][0]["organization"],
        "Centro de Información Tapachula"
    );
    let luis_busy = app
        .post(
            &sessions,
            Some(&organizer),
            session(
                "Taller B",
                &at("11:30"),
                &at("12:30"),
                None,
                json!([{"registration_id": luis, "role": "rapporteur"}]),
            ),
        )
        .await;
    assert_eq!(
        (luis_busy.status, luis_busy.error_code()),
        (409, "speaker_conflict".to_owned())
    );

    let outside = app
        .post(
            &sessions,
            Some(&organizer),
            session(
                "Antes",
                "2030-05-28T09:00:00-06:00",
                &at("10:00"),
                None,
                json!([]),
            ),
        )
        .await;
    assert_eq!(
        (outside.status, outside.field_errors()),
        (422, vec!["starts_at".to_owned()])
    );
    let late = app
        .post(
            &sessions,
            Some(&organizer),
            session(
                "Después",
                "2030-05-30T17:00:00-06:00",
                "2030-05-30T19:00:00-06:00",
                None,
                json!([]),
            ),
        )
        .await;
    assert_eq!(
        (late.status, late.field_errors()),
        (422, vec!["ends_at".to_owned()])
    );
    let backwards = app
        .post(
            &sessions,
            Some(&organizer),
            session("Al revés", &at("12:00"), &at("11:00"), None, json!([])),
        )
        .await;
    assert_eq!(
        (backwards.status, backwards.field_errors()),
        (422, vec!["ends_at".to_owned()])
    );
    let unknown = app
        .post(
            &sessions,
            Some(&organizer),
            session("X", &at("15:00"), &at("16:00"), Some("nope"), json!([])),
        )
        .await;
    assert_eq!(
        (unknown.status, unknown.field_errors()),
        (422, vec!["room_id".to_owned()])
    );
    let stranger = app
        .post(
            &sessions,
            Some(&organizer),
            session(
                "X",
                &at("15:00"),
                &at("16:00"),
                None,
                json!([{"registration_id": "nope"}, {"role": "speaker"}]),
            ),
        )
        .await;
    assert_eq!(stranger.status, 422);
    let bad = app
        .post(
            &sessions,
            Some(&organizer),
            json!({"title": "", "kind": "party", "language": "fr", "starts_at": "soon"}),
        )
        .await;
    let mut fields = bad.field_errors();
    fields.sort();
    assert_eq!(
        fields,
        ["ends_at", "kind", "language", "starts_at", "title"]
    );

    // Moving a session into a taken slot is refused; elsewhere it is fine; deleting frees it.
    let path = format!("{sessions}/{panel_id}");
    let moved = app
        .patch(&path, Some(&organizer), json!({"starts_at": at("09:15")}))
        .await;
    assert_eq!(
        (moved.status, moved.error_code()),
        (409, "room_conflict".to_owned())
    );
    let moved = app
        .patch(
            &path,
            Some(&organizer),
            json!({"starts_at": at("10:30"), "ends_at": at("11:30")}),
        )
        .await;
    assert_eq!(
        (moved.status, moved.body["starts_at"].as_str()),
        (200, Some(at("10:30").as_str()))
    );
    assert_eq!(moved.body["title"], "Panel", "unsent fields are kept");
    let deleted = app
        .call(
            reqwest::Method::DELETE,
            &format!("{sessions}/{first_id}"),
            Some(&organizer),
            None,
        )
        .await;
    assert_eq!(deleted.status, 204);
    let reuse = app
        .post(
            &sessions,
            Some(&organizer),
            session(
                "Apertura bis",
                &at("09:00"),
                &at("10:00"),
                Some(&hall),
                json!([]),
            ),
        )
        .await;
    assert_eq!(reuse.status, 201);
    let in_use = app
        .call(
            reqwest::Method::DELETE,
            &format!("/api/v1/meetings/{slug}/rooms/{hall}"),
            Some(&organizer),
            None,
        )
        .await;
    assert_eq!(
        (in_use.status, in_use.error_code()),
        (409, "room_in_use".to_owned())
    );
    assert_eq!(
        app.post(
            &sessions,
            None,
            session("X", &at("15:00"), &at("16:00"), None, json!([]))
        )
        .await
        .status,
        401
    );

    // Concurrent attempts at one slot: exactly one wins.
    let attempts = (0..8).map(|i| {
        app.post(
            &sessions,
            Some(&organizer),
            session(
                &format!("Carrera {i}"),
                &at("14:00"),
                &at("15:00"),
                Some(&side),
                json!([]),
            ),
        )
    });
    let statuses: Vec<u16> = join_all(attempts).await.iter().map(|a| a.status).collect();
    assert_eq!(
        statuses.iter().filter(|&&s| s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(statuses.iter().filter(|&&s| s == 409).count(), 7);
}

on_both_backends!(times_come_back_in_the_meeting_zone_on_each_day);
async fn times_come_back_in_the_meeting_zone_on_each_day(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = app.meeting(&organizer, json!({})).await;
    let created = app
        .post(
            &format!("/api/v1/meetings/{slug}/sessions"),
            Some(&organizer),
            session(
                "UTC",
                "2030-05-29T15:00:00Z",
                "2030-05-29T16:30:00Z",
                None,
                json!([]),
            ),
        )
        .await;
    assert_eq!(created.body["starts_at"], "2030-05-29T09:00:00-06:00");
    {
        use convene::schema::sessions;
        use diesel::prelude::*;
        let stored: chrono::NaiveDateTime = sessions::table
            .select(sessions::starts_at)
            .first(&mut app.db.connect())
            .unwrap();
        assert_eq!(stored.to_string(), "2030-05-29 15:00:00", "stored in UTC");
    }
    // New York changes to daylight saving time on 10 March 2030.
    let ny = app
        .meeting(
            &organizer,
            json!({"timezone": "America/New_York", "country": "US",
        "starts_at": "2030-03-09T09:00:00-05:00", "ends_at": "2030-03-11T18:00:00-04:00",
        "registration_closes_at": null}),
        )
        .await;
    for (starts, ends) in [
        ("2030-03-09T15:00:00Z", "2030-03-09T16:00:00Z"),
        ("2030-03-11T14:00:00Z", "2030-03-11T15:00:00Z"),
    ] {
        let answer = app
            .post(
                &format!("/api/v1/meetings/{ny}/sessions"),
                Some(&organizer),
                session("Día", starts, ends, None, json!([])),
            )
            .await;
        assert_eq!(answer.status, 201, "{}", answer.text);
    }
    let agenda = app
        .get(&format!("/api/v1/meetings/{ny}/agenda"), None)
        .await
        .body;
    let starts: Vec<_> = agenda["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["starts_at"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        starts,
        ["2030-03-09T10:00:00-05:00", "2030-03-11T10:00:00-04:00"]
    );
    assert_eq!(agenda["timezone"], "America/New_York");
}

on_both_backends!(calendars_parse_and_keep_their_uids);
async fn calendars_parse_and_keep_their_uids(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = app.meeting(&organizer, json!({})).await;
    let hall = room(&app, &organizer, &slug, "Salón; principal, norte").await;
    let mut first = session(
        "Hubs, ONU; y sociedad civil",
        &at("09:00"),
        &at("10:00"),
        Some(&hall),
        json!([{"name": "Ana Pérez", "organization": "OIM, México"}]),
    );
    first["description"] = json!("Línea uno, con coma; y punto y coma\nLínea dos");
    first["translations"] = json!({"en": {"title": "Hubs, UN; and civil society"}});
    app.post(
        &format!("/api/v1/meetings/{slug}/sessions"),
        Some(&organizer),
        first,
    )
    .await;
    app.post(
        &format!("/api/v1/meetings/{slug}/sessions"),
        Some(&organizer),
        session("Café", &at("10:00"), &at("10:30"), None, json!([])),
    )
    .await;
    app.post(
        &format!("/api/v1/meetings/{slug}/sessions"),
        Some(&organizer),
        session(
            "Cierre",
            "2030-05-30T17:00:00-06:00",
            "2030-05-30T18:00:00-06:00",
            Some(&hall),
            json!([]),
        ),
    )
    .await;

    let fetch = |lang: &'static str| {
        let app = &app;
        let slug = slug.clone();
        async move {
            let response = app
                .client
                .get(format!(
                    "{}/api/v1/meetings/{slug}/agenda.ics?lang={lang}",
                    app.address
                ))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200);
            assert!(response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/calendar"));
            response.text().await.unwrap()
        }
    };
    let spanish = fetch("es").await;
    let events = parse_ics(&spanish);
    assert_eq!(events.len(), 3);
    let opening = &events[0];
    assert_eq!(prop(opening, "DTSTART"), "20300529T150000Z");
    assert_eq!(prop(opening, "DTEND"), "20300529T160000Z");
    assert_eq!(prop(opening, "SUMMARY"), "Hubs\\, ONU\\; y sociedad civil");
    assert!(
        prop(opening, "DESCRIPTION")
            .starts_with("Línea uno\\, con coma\\; y punto y coma\\nLínea dos"),
        "{}",
        prop(opening, "DESCRIPTION")
    );
    assert!(prop(opening, "LOCATION")
        .starts_with("Salón\\; principal\\, norte\\, Centro de Convenciones"));
    assert_eq!(prop(&events[2], "DTSTART"), "20300530T230000Z");
    let english = parse_ics(&fetch("en").await);
    assert_eq!(
        prop(&english[0], "SUMMARY"),
        "Hubs\\, UN\\; and civil society"
    );
    // The same UIDs every time, so a second import updates rather than duplicates.
    let uids = |events: &[Vec<(String, String)>]| {
        events
            .iter()
            .map(|e| prop(e, "UID").to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(uids(&events), uids(&english));
    assert!(uids(&events).iter().all(|u| u.starts_with("session-")));
    assert_eq!(
        fetch("es").await,
        spanish,
        "the same programme gives the same file"
    );

    // The participant's calendar: the meeting and its sessions, in their language.
    let token = app
        .register_and_read_token(&slug, TestApp::registration_body("ana@example.org"))
        .await;
    app.confirm(&token).await;
    let manage = app.smtp.wait_for("ana@example.org", 2).await[1].manage_token();
    let response = app
        .client
        .get(format!("{}/api/v1/registration/calendar.ics", app.address))
        .bearer_auth(&manage)
        .send()
        .await
        .unwrap();
    // Named for the meeting, so two meetings' files do not overwrite each other.
    assert_eq!(
        response.headers()["content-disposition"],
        format!("attachment; filename=\"{slug}.ics\"").as_str()
    );
    let own = response.text().await.unwrap();
    let page = app
        .client
        .get(format!("{}/manage/{manage}/calendar.ics", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(
        page.headers()["content-disposition"],
        format!("attachment; filename=\"{slug}.ics\"").as_str()
    );
    let own = parse_ics(&own);
    assert_eq!(own.len(), 4);
    assert_eq!(
        prop(&own[0], "SUMMARY"),
        "Intercambio regional de centros de información"
    );
    assert_eq!(prop(&own[1], "SUMMARY"), "Hubs\\, ONU\\; y sociedad civil");
    let welcome = &app.smtp.to("ana@example.org")[1];
    let attached = String::from_utf8(welcome.calendar().2.clone()).unwrap();
    assert_eq!(
        parse_ics(&attached).len(),
        4,
        "the confirmation carries the programme too"
    );
}

on_both_backends!(public_reads_carry_etags);
async fn public_reads_carry_etags(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = app.meeting(&organizer, json!({})).await;
    app.post(
        &format!("/api/v1/meetings/{slug}/sessions"),
        Some(&organizer),
        session("Apertura", &at("09:00"), &at("10:00"), None, json!([])),
    )
    .await;
    for path in [
        format!("/api/v1/meetings/{slug}/agenda"),
        format!("/api/v1/meetings/{slug}/agenda.ics"),
        format!("/api/v1/meetings/{slug}"),
    ] {
        let first = app
            .client
            .get(format!("{}{path}", app.address))
            .send()
            .await
            .unwrap();
        assert_eq!(first.status(), 200);
        let etag = first.headers()["etag"].to_str().unwrap().to_owned();
        let again = app
            .client
            .get(format!("{}{path}", app.address))
            .header("If-None-Match", &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 304, "{path}");
        assert_eq!(again.headers()["etag"].to_str().unwrap(), etag);
        assert!(again.bytes().await.unwrap().is_empty());
        let stale = app
            .client
            .get(format!("{}{path}", app.address))
            .header("If-None-Match", "\"old\"")
            .send()
            .await
            .unwrap();
        assert_eq!(stale.status(), 200);
    }
    let path = format!("/api/v1/meetings/{slug}/agenda");
    let before = app
        .client
        .get(format!("{}{path}", app.address))
        .send()
        .await
        .unwrap()
        .headers()["etag"]
        .clone();
    app.post(
        &format!("/api/v1/meetings/{slug}/sessions"),
        Some(&organizer),
        session("Cierre", &at("17:00"), &at("18:00"), None, json!([])),
    )
    .await;
    let after = app
        .client
        .get(format!("{}{path}", app.address))
        .header("If-None-Match", before.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), 200, "a change makes a new version");
    assert_ne!(after.headers()["etag"], before);

    let draft = app.meeting(&organizer, json!({"status": "draft"})).await;
    assert_eq!(
        app.get(&format!("/api/v1/meetings/{draft}/agenda"), None)
            .await
            .status,
        404
    );
    assert_eq!(
        app.get(&format!("/api/v1/meetings/{draft}/agenda.ics"), None)
            .await
            .status,
        404
    );
}

on_both_backends!(quick_edits_make_one_notice_per_confirmed_participant);
async fn quick_edits_make_one_notice_per_confirmed_participant(backend: Backend) {
    let app = spawn_app_with(backend, |s| {
        s.worker.agenda_quiet_period = Duration::from_millis(1500);
        s.worker.agenda_max_wait = Duration::from_secs(60);
    })
    .await;
    let organizer = app.organizer().await;
    let slug = app.meeting(&organizer, json!({"capacity": 2})).await;
    let hall = room(&app, &organizer, &slug, "Salón Tlatelolco").await;
    let side = room(&app, &organizer, &slug, "Sala Juárez").await;
    let mut english = TestApp::registration_body("joe@example.org");
    english["language"] = json!("en");
    for body in [
        TestApp::registration_body("ana@example.org"),
        english,
        TestApp::registration_body("wait@example.org"),
    ] {
        let token = app.register_and_read_token(&slug, body).await;
        app.confirm(&token).await;
    }
    app.register_and_read_token(&slug, TestApp::registration_body("gone@example.org"))
        .await;
    let gone = app.smtp.to("gone@example.org")[0].manage_token();
    app.post("/api/v1/registration/cancel", Some(&gone), json!({}))
        .await;
    app.outbox_drained(&organizer, &slug).await;
    let before = |who: &str| app.smtp.to(who).len();
    let counts = [
        "ana@example.org",
        "joe@example.org",
        "wait@example.org",
        "gone@example.org",
    ]
    .map(before);

    let mut opening = session(
        "Apertura",
        &at("09:00"),
        &at("10:00"),
        Some(&hall),
        json!([]),
    );
    opening["translations"] = json!({"en": {"title": "Opening"}});
    let created = app
        .post(
            &format!("/api/v1/meetings/{slug}/sessions"),
            Some(&organizer),
            opening,
        )
        .await;
    let path = format!(
        "/api/v1/meetings/{slug}/sessions/{}",
        created.body["id"].as_str().unwrap()
    );
    for change in [
        json!({"starts_at": at("09:30"), "ends_at": at("10:30")}),
        json!({"room_id": side}),
        json!({"starts_at": at("11:00"), "ends_at": at("12:00")}),
    ] {
        assert_eq!(app.patch(&path, Some(&organizer), change).await.status, 200);
    }
    let ana = app
        .smtp
        .wait_for("ana@example.org", counts[0] + 1)
        .await
        .pop()
        .unwrap();
    assert_eq!(
        ana.subject,
        "Cambios en el programa: Intercambio regional de centros de información"
    );
    assert!(ana.text.contains("• Apertura: 29 de mayo de 2030, 09:00–10:00, Salón Tlatelolco → 29 de mayo de 2030, 11:00–12:00, Sala Juárez"), "{}", ana.text);
    assert_eq!(ana.calendar().0, "agenda.ics");
    let joe = app
        .smtp
        .wait_for("joe@example.org", counts[1] + 1)
        .await
        .pop()
        .unwrap();
    assert_eq!(
        joe.subject,
        "Programme changes: Regional exchange of migrant information hubs"
    );
    assert!(joe.text.contains("• Opening: 29 May 2030, 09:00–10:00, Salón Tlatelolco → 29 May 2030, 11:00–12:00, Sala Juárez"), "{}", joe.text);

    // A cancellation is a second batch.
    app.call(reqwest::Method::DELETE, &path, Some(&organizer), None)
        .await;
    let ana = app
        .smtp
        .wait_for("ana@example.org", counts[0] + 2)
        .await
        .pop()
        .unwrap();
    assert!(
        ana.text
            .contains("• Apertura (29 de mayo de 2030, 11:00–12:00, Sala Juárez): cancelada"),
        "{}",
        ana.text
    );
    tokio::time::sleep(Duration::from_millis(2000)).await;
    app.outbox_drained(&organizer, &slug).await;
    assert_eq!(
        before("ana@example.org"),
        counts[0] + 2,
        "one email per batch"
    );
    assert_eq!(before("joe@example.org"), counts[1] + 2);
    assert_eq!(
        before("wait@example.org"),
        counts[2],
        "the waiting list hears nothing"
    );
    assert_eq!(
        before("gone@example.org"),
        counts[3],
        "the cancelled hear nothing"
    );
}
