//! The organizer's registrations table as a person uses it: its count and orders, bulk actions
//! asked first, one person's page with their history, giving a waiting person a seat, and the
//! printable list. Both backends.

use crate::on_both_backends;
use crate::support::html::{csrf_of, organizer_session, select, with_cookie, Page};
use crate::support::{spawn_app, Backend, TestApp};
use convene::registrations::model::{ListFilter, Order};
use convene::registrations::store;
use reqwest::Method;
use serde_json::json;

fn texts(page: &Page, css: &str) -> Vec<String> {
    let document = scraper::Html::parse_document(&page.body);
    select(&document, css)
        .into_iter()
        .map(|e| e.text().collect::<String>().trim().to_owned())
        .collect()
}

async fn register_named(app: &TestApp, slug: &str, email: &str, name: &str) -> String {
    let mut body = TestApp::registration_body(email);
    body["full_name"] = json!(name);
    let token = app.register_and_read_token(slug, body).await;
    app.confirm_and_id(&token, email).await
}

on_both_backends!(the_table_counts_its_rows_and_sorts_them_by_date_or_name);
async fn the_table_counts_its_rows_and_sorts_them_by_date_or_name(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = app.meeting(&organizer, json!({})).await;
    for (email, name) in [
        ("carla@example.org", "Carla Mora"),
        ("angela@example.org", "Ángela Ruiz"),
        ("beto@example.org", "beto Díaz"),
    ] {
        register_named(&app, &slug, email, name).await;
    }
    let cookie = organizer_session(&app).await;
    let table = format!("/organizer/m/{slug}/registrations");
    let names = |page: &Page| texts(page, "table.cards tbody tr td strong a");
    for (sort, expected) in [
        ("", ["Carla Mora", "Ángela Ruiz", "beto Díaz"]),
        ("newest", ["beto Díaz", "Ángela Ruiz", "Carla Mora"]),
        // Case and accents do not decide the order: Á is with A, b with B.
        ("name", ["Ángela Ruiz", "beto Díaz", "Carla Mora"]),
    ] {
        let page = with_cookie(
            &app,
            Method::GET,
            &format!("{table}?sort={sort}&lang=en"),
            &cookie,
            &[],
        )
        .await;
        assert_eq!(page.status, 200);
        assert_eq!(names(&page), expected, "sort={sort}");
        assert!(
            texts(&page, "p.count")[0].contains("Registrations found: 3"),
            "{:?}",
            texts(&page, "p.count")
        );
    }
    let found = with_cookie(
        &app,
        Method::GET,
        &format!("{table}?q=mora&lang=es"),
        &cookie,
        &[],
    )
    .await;
    assert!(texts(&found, "p.count")[0].contains("Inscripciones encontradas: 1"));
    // An order the table does not have is read as the default, as the other filters are.
    let unknown = with_cookie(
        &app,
        Method::GET,
        &format!("{table}?sort=salary"),
        &cookie,
        &[],
    )
    .await;
    assert_eq!(names(&unknown), ["Carla Mora", "Ángela Ruiz", "beto Díaz"]);

    // Page after page by name, one row a page: each row once, in order.
    let mut conn = app.db.connect();
    let meeting = convene::meetings::store::by_slug(
        &mut conn,
        &convene::values::Slug::parse(Some(&slug)).unwrap(),
    )
    .unwrap();
    let (mut cursor, mut walked) = (None::<String>, Vec::new());
    loop {
        let (page, next) = store::list(
            &mut conn,
            &meeting,
            &ListFilter::default(),
            Order::Name,
            1,
            cursor.as_deref(),
        )
        .unwrap();
        walked.extend(page.into_iter().map(|r| r.full_name));
        match next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(walked, ["Ángela Ruiz", "beto Díaz", "Carla Mora"]);
}

on_both_backends!(bulk_actions_ask_first_and_skip_those_their_status_does_not_allow);
async fn bulk_actions_ask_first_and_skip_those_their_status_does_not_allow(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = app
        .meeting(&organizer, json!({"requires_approval": true}))
        .await;
    let ana = register_named(&app, &slug, "ana@example.org", "Ana Peña").await;
    let luis = register_named(&app, &slug, "luis@example.org", "Luis Gómez").await;
    // Marta has not confirmed her address yet: nothing to approve.
    let mut marta = TestApp::registration_body("marta@example.org");
    marta["full_name"] = json!("Marta Solís");
    app.register_and_read_token(&slug, marta).await;
    let marta = app
        .registrations(&organizer, &slug, "status=pending_email")
        .await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let cookie = organizer_session(&app).await;
    let table = format!("/organizer/m/{slug}/registrations");
    let page = with_cookie(&app, Method::GET, &table, &cookie, &[]).await;
    assert_eq!(texts(&page, "input[type=checkbox][form=bulk]").len(), 3);
    let csrf = csrf_of(&page);
    let bulk = format!("{table}/bulk");
    let status = |id: String| {
        let app = &app;
        let organizer = organizer.clone();
        let slug = slug.clone();
        async move {
            let all = app.registrations(&organizer, &slug, "").await;
            let row = all.into_iter().find(|r| r["id"] == json!(id)).unwrap();
            (
                row["status"].as_str().unwrap().to_owned(),
                row["checked_in_at"].is_string(),
            )
        }
    };

    let ticked = [
        ("csrf", csrf.as_str()),
        ("back", table.as_str()),
        ("action", "approve"),
        ("id", ana.as_str()),
        ("id", luis.as_str()),
        ("id", marta.as_str()),
    ];
    let asked = with_cookie(&app, Method::POST, &bulk, &cookie, &ticked).await;
    assert_eq!(asked.status, 200);
    assert!(
        texts(&asked, ".confirm h2")[0].contains('3'),
        "{:?}",
        texts(&asked, ".confirm h2")
    );
    assert_eq!(
        status(ana.clone()).await.0,
        "pending_approval",
        "asking changes nothing"
    );

    let mut confirmed = ticked.to_vec();
    confirmed.push(("confirmed", "yes"));
    let done = with_cookie(&app, Method::POST, &bulk, &cookie, &confirmed).await;
    assert_eq!(done.status, 303);
    let location = done.headers["location"].to_str().unwrap().to_owned();
    assert!(
        location.contains("done=approved") && location.contains("skipped=1"),
        "{location}"
    );
    let told = with_cookie(
        &app,
        Method::GET,
        &format!("{location}&lang=en"),
        &cookie,
        &[],
    )
    .await;
    let notice = texts(&told, "p.notice.warn");
    assert!(
        notice[0].contains("1 of the selected was skipped"),
        "{notice:?}"
    );
    assert_eq!(status(ana.clone()).await.0, "confirmed");
    assert_eq!(status(luis.clone()).await.0, "confirmed");
    assert_eq!(status(marta.clone()).await.0, "pending_email");

    // The question's form carries the ids; sending it checks both in.
    let ticked = [
        ("csrf", csrf.as_str()),
        ("back", table.as_str()),
        ("action", "check-in"),
        ("id", ana.as_str()),
        ("id", luis.as_str()),
    ];
    let asked = with_cookie(&app, Method::POST, &bulk, &cookie, &ticked).await;
    let document = scraper::Html::parse_document(&asked.body);
    let form = select(&document, ".confirm form")[0];
    let fields: Vec<(String, String)> = form
        .select(&scraper::Selector::parse("input[type=hidden]").unwrap())
        .map(|input| {
            (
                input.value().attr("name").unwrap().to_owned(),
                input.value().attr("value").unwrap().to_owned(),
            )
        })
        .collect();
    let fields: Vec<(&str, &str)> = fields
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let done = with_cookie(&app, Method::POST, &bulk, &cookie, &fields).await;
    assert_eq!(done.status, 303);
    assert_eq!(status(ana.clone()).await, ("confirmed".to_owned(), true));
    assert_eq!(status(luis.clone()).await, ("confirmed".to_owned(), true));

    // Approving only people already seated changes nothing, and says so rather than "Approved."
    let seated = [
        ("csrf", csrf.as_str()),
        ("back", table.as_str()),
        ("action", "approve"),
        ("id", ana.as_str()),
        ("confirmed", "yes"),
    ];
    let none = with_cookie(&app, Method::POST, &bulk, &cookie, &seated).await;
    let location = none.headers["location"].to_str().unwrap();
    assert!(location.contains("done=none-applied"), "{location}");
    // Nothing ticked: nothing done, and the page says so.
    let none = with_cookie(
        &app,
        Method::POST,
        &bulk,
        &cookie,
        &[("csrf", &csrf), ("back", &table), ("action", "cancel")],
    )
    .await;
    let location = none.headers["location"].to_str().unwrap();
    assert!(location.contains("done=nothing-selected"), "{location}");
    // Without the session's token, nothing either.
    let forged = with_cookie(
        &app,
        Method::POST,
        &bulk,
        &cookie,
        &[
            ("csrf", "forged"),
            ("action", "cancel"),
            ("id", &ana),
            ("confirmed", "yes"),
        ],
    )
    .await;
    assert_eq!(forged.status, 403);
    assert_eq!(status(ana.clone()).await.0, "confirmed");

    let cancel = [
        ("csrf", csrf.as_str()),
        ("back", table.as_str()),
        ("action", "cancel"),
        ("id", ana.as_str()),
        ("confirmed", "yes"),
    ];
    let done = with_cookie(&app, Method::POST, &bulk, &cookie, &cancel).await;
    assert_eq!(done.status, 303);
    assert_eq!(status(ana).await.0, "cancelled");
}

on_both_backends!(a_persons_page_shows_what_they_gave_and_their_history);
async fn a_persons_page_shows_what_they_gave_and_their_history(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = app.meeting(&organizer, json!({})).await;
    let ana = register_named(&app, &slug, "ana@example.org", "Ana Peña").await;
    let other = app.meeting(&organizer, json!({})).await;
    let cookie = organizer_session(&app).await;
    let table = format!("/organizer/m/{slug}/registrations");
    let page = with_cookie(&app, Method::GET, &table, &cookie, &[]).await;
    let csrf = csrf_of(&page);
    let person = format!("{table}/{ana}");
    let checked = with_cookie(
        &app,
        Method::POST,
        &format!("{person}/check-in"),
        &cookie,
        &[("csrf", &csrf), ("back", &person)],
    )
    .await;
    assert_eq!(checked.status, 303);
    assert!(
        checked.headers["location"]
            .to_str()
            .unwrap()
            .starts_with(&person),
        "back to the person's page"
    );

    let page = with_cookie(
        &app,
        Method::GET,
        &format!("{person}?lang=en"),
        &cookie,
        &[],
    )
    .await;
    assert_eq!(page.status, 200);
    let facts = texts(&page, "dl.facts dd").join(" | ");
    for shown in [
        "ana@example.org",
        "Coordinadora",
        "Centro de Información Tapachula",
        "Migrant information hub",
        "Mexico",
        "Spanish",
        "es-en",
    ] {
        assert!(facts.contains(shown), "{shown} in {facts}");
    }
    let history = texts(&page, "ol.history li");
    assert_eq!(history.len(), 3, "{history:?}");
    assert!(history[0].contains("Registered"), "{history:?}");
    assert!(
        history[1].contains("Confirmed") && history[1].contains("by the participant"),
        "{history:?}"
    );
    assert!(
        history[2].contains("Checked in") && history[2].contains("Organizer"),
        "{history:?}"
    );
    // Times as people write them ("4 December 2026, 17:38"), not as machines do.
    let year = chrono::Utc::now().format("%Y").to_string();
    assert!(
        history
            .iter()
            .all(|line| line.contains(&year) && !line.contains(&format!("{year}-"))),
        "{history:?}"
    );

    // Not through another meeting's dashboard, nor with a malformed id.
    let elsewhere = with_cookie(
        &app,
        Method::GET,
        &format!("/organizer/m/{other}/registrations/{ana}"),
        &cookie,
        &[],
    )
    .await;
    assert_eq!(elsewhere.status, 404);
    let malformed = with_cookie(
        &app,
        Method::GET,
        &format!("{table}/not-an-id"),
        &cookie,
        &[],
    )
    .await;
    assert_eq!(malformed.status, 404);
}

on_both_backends!(a_waiting_person_is_given_a_seat_and_a_full_meeting_grows_by_one);
async fn a_waiting_person_is_given_a_seat_and_a_full_meeting_grows_by_one(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = app.meeting(&organizer, json!({"capacity": 1})).await;
    register_named(&app, &slug, "seat@example.org", "Sara Paz").await;
    let luis = register_named(&app, &slug, "luis@example.org", "Luis Gómez").await;
    let ana = register_named(&app, &slug, "ana@example.org", "Ana Peña").await;
    let cookie = organizer_session(&app).await;
    let tab = format!("/organizer/m/{slug}/waitlist");
    let page = with_cookie(&app, Method::GET, &format!("{tab}?lang=en"), &cookie, &[]).await;
    let csrf = csrf_of(&page);
    let promote = format!("/organizer/m/{slug}/registrations/{ana}/promote");
    assert!(
        page.body.contains(&promote),
        "the waiting list offers a seat to each"
    );

    let asked = with_cookie(
        &app,
        Method::POST,
        &format!("{promote}?lang=en"),
        &cookie,
        &[("csrf", &csrf), ("back", &tab)],
    )
    .await;
    assert_eq!(asked.status, 200);
    assert!(
        texts(&asked, ".confirm p")[0].contains("adds one seat"),
        "{:?}",
        texts(&asked, ".confirm p")
    );
    let done = with_cookie(
        &app,
        Method::POST,
        &promote,
        &cookie,
        &[("csrf", &csrf), ("back", &tab), ("confirmed", "yes")],
    )
    .await;
    assert_eq!(done.status, 303);
    assert!(done.headers["location"]
        .to_str()
        .unwrap()
        .contains("done=promoted"));

    let meeting = app
        .get(&format!("/api/v1/meetings/{slug}"), Some(&organizer))
        .await;
    assert_eq!(
        meeting.body["capacity"], 2,
        "the seat was added, not oversold"
    );
    let all = app.registrations(&organizer, &slug, "").await;
    let of = |id: &str| all.iter().find(|r| r["id"] == json!(id)).unwrap().clone();
    assert_eq!(of(&ana)["status"], "confirmed");
    assert_eq!(of(&luis)["status"], "waitlisted");
    assert_eq!(of(&luis)["waitlist_position"], 1);
    assert_eq!(app.stats(&organizer, &slug).await["seats_left"], 0);
    let mails = app.smtp.wait_for("ana@example.org", 3).await;
    assert!(
        mails.last().unwrap().subject.contains("Se liberó un lugar"),
        "{}",
        mails.last().unwrap().subject
    );

    // Someone already seated cannot be given a seat again.
    let again = with_cookie(
        &app,
        Method::POST,
        &promote,
        &cookie,
        &[("csrf", &csrf), ("back", &tab), ("confirmed", "yes")],
    )
    .await;
    assert_eq!(again.status, 409);
}

on_both_backends!(the_printable_list_holds_the_filtered_people_with_room_to_sign);
async fn the_printable_list_holds_the_filtered_people_with_room_to_sign(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = app.meeting(&organizer, json!({})).await;
    register_named(&app, &slug, "ana@example.org", "Ana Peña").await;
    register_named(&app, &slug, "luis@example.org", "Luis Gómez").await;
    let mut pending = TestApp::registration_body("marta@example.org");
    pending["full_name"] = json!("Marta Solís");
    app.register(&slug, pending).await;
    let cookie = organizer_session(&app).await;
    let table = format!("/organizer/m/{slug}/registrations?status=confirmed&sort=name&lang=es");
    let page = with_cookie(&app, Method::GET, &table, &cookie, &[]).await;
    let document = scraper::Html::parse_document(&page.body);
    let link = select(&document, "p.count a")[0]
        .value()
        .attr("href")
        .unwrap()
        .to_owned();
    assert!(
        link.contains("status=confirmed") && link.contains("sort=name"),
        "{link}"
    );
    let printed = with_cookie(&app, Method::GET, &link, &cookie, &[]).await;
    assert_eq!(printed.status, 200);
    let rows = texts(&printed, "table.printed tbody tr td:nth-child(2)");
    assert_eq!(rows, ["Ana Peña", "Luis Gómez"]);
    assert_eq!(
        texts(&printed, "table.printed thead th").last().unwrap(),
        "Firma"
    );
    assert!(
        texts(&printed, "ul.tabs, nav.tabs").is_empty(),
        "no dashboard around the list"
    );
}
