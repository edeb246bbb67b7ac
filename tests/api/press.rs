//! Press access: who may read the attendee list, what it shows, and the files it comes in.

use crate::on_both_backends;
use crate::support::Backend;
use crate::support::{spawn_app, TestApp};
use serde_json::{json, Value};

/// Creates a press token for the meeting through the API; answers (id, token).
pub(crate) async fn press_token(app: &TestApp, organizer: &str, slug: &str) -> (String, String) {
    let answer = app
        .post(
            &format!("/api/v1/meetings/{slug}/press-tokens"),
            Some(organizer),
            json!({"label": "Agencia EFE", "expires_at": null}),
        )
        .await;
    assert_eq!(answer.status, 201, "{}", answer.text);
    assert!(answer.body["link"]
        .as_str()
        .unwrap()
        .ends_with(answer.body["token"].as_str().unwrap()));
    (
        answer.body["id"].as_str().unwrap().to_owned(),
        answer.body["token"].as_str().unwrap().to_owned(),
    )
}

/// Registers and confirms someone; answers their manage token.
async fn confirmed(app: &TestApp, slug: &str, email: &str, name: &str, consent: bool) -> String {
    let mut body = TestApp::registration_body(email);
    body["full_name"] = json!(name);
    body["consent_press_listing"] = json!(consent);
    let token = app.register_and_read_token(slug, body).await;
    app.confirm(&token).await;
    app.smtp.wait_for(email, 2).await[1].manage_token()
}

pub(crate) async fn download(app: &TestApp, path: &str, token: &str) -> (u16, Vec<u8>) {
    let response = app
        .client
        .get(format!("{}{path}", app.address))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    (
        response.status().as_u16(),
        response.bytes().await.unwrap().to_vec(),
    )
}

/// Parses CSV with Python's csv module: a parser we do not write with.
pub(crate) fn python_csv(bytes: &[u8]) -> Vec<Vec<String>> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("export.csv");
    std::fs::write(&path, bytes).unwrap();
    let output = std::process::Command::new("python3")
        .args(["-c", "import csv, json, sys; print(json.dumps(list(csv.reader(open(sys.argv[1], encoding='utf-8-sig', newline='')))))"])
        .arg(&path)
        .output()
        .expect("python3 runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// Reads the first sheet with calamine; every cell must be a string, none a formula.
pub(crate) fn calamine_rows(bytes: &[u8]) -> Vec<Vec<String>> {
    use calamine::{Data, Reader, Xlsx};
    let mut workbook: Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let sheet = workbook.sheet_names()[0].clone();
    let formulas = workbook.worksheet_formula(&sheet).unwrap();
    assert!(
        formulas.used_cells().all(|(_, _, f)| f.is_empty()),
        "no formulas"
    );
    let range = workbook.worksheet_range(&sheet).unwrap();
    range
        .rows()
        .map(|row| {
            row.iter()
                .map(|cell| match cell {
                    Data::String(text) => text.clone(),
                    Data::Empty => String::new(),
                    other => panic!("a non-text cell: {other:?}"),
                })
                .collect()
        })
        .collect()
}

fn json_rows(items: &[Value]) -> Vec<Vec<String>> {
    items
        .iter()
        .map(|a| {
            [
                "full_name",
                "organization",
                "organization_kind",
                "country",
                "job_title",
            ]
            .iter()
            .map(|k| a[k].as_str().unwrap_or("").to_owned())
            .collect()
        })
        .collect()
}

on_both_backends!(who_may_read_the_press_list);
async fn who_may_read_the_press_list(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let other_organizer = app.organizer().await;
    let slug = app.meeting(&organizer, json!({})).await;
    let other_slug = app.meeting(&other_organizer, json!({})).await;
    let manage = confirmed(&app, &slug, "ana@example.org", "Ana Peña", true).await;
    let (_, press) = press_token(&app, &organizer, &slug).await;
    let (_, other_press) = press_token(&app, &other_organizer, &other_slug).await;
    let (expired_id, expired) = press_token(&app, &organizer, &slug).await;
    let (revoked_id, revoked) = press_token(&app, &organizer, &slug).await;
    {
        use convene::schema::tokens::dsl::*;
        use diesel::prelude::*;
        let mut conn = app.db.connect();
        diesel::update(tokens.filter(id.eq(&expired_id)))
            .set(expires_at.eq(Some(convene::db::now() - chrono::Duration::minutes(1))))
            .execute(&mut conn)
            .unwrap();
    }
    let revoke = app
        .call(
            reqwest::Method::DELETE,
            &format!("/api/v1/meetings/{slug}/press-tokens/{revoked_id}"),
            Some(&organizer),
            None,
        )
        .await;
    assert_eq!(revoke.status, 204);

    let who: [(&str, Option<&str>, u16); 8] = [
        ("anonymous", None, 401),
        ("press of this meeting", Some(&press), 200),
        ("press of another meeting", Some(&other_press), 403),
        ("expired press", Some(&expired), 401),
        ("revoked press", Some(&revoked), 401),
        ("participant", Some(&manage), 401),
        ("organizer of another meeting", Some(&other_organizer), 403),
        ("the organizer", Some(&organizer), 200),
    ];
    for endpoint in [
        "attendees",
        "attendees.csv",
        "attendees.xlsx",
        "attendees/summary",
    ] {
        for (name, token, status) in who {
            let answer = app
                .get(&format!("/api/v1/meetings/{slug}/{endpoint}"), token)
                .await;
            assert_eq!(answer.status, status, "{name} on {endpoint}");
        }
    }
    assert_eq!(
        app.get("/api/v1/meetings/no-such-meeting/attendees", Some(&press))
            .await
            .status,
        404
    );

    // Managing press tokens is for the organizer alone.
    let manage_paths = [
        (
            reqwest::Method::GET,
            format!("/api/v1/meetings/{slug}/press-tokens"),
            200,
        ),
        (
            reqwest::Method::GET,
            format!("/api/v1/meetings/{slug}/press-log"),
            200,
        ),
        (
            reqwest::Method::POST,
            format!("/api/v1/meetings/{slug}/press-tokens"),
            201,
        ),
        (
            reqwest::Method::DELETE,
            format!("/api/v1/meetings/{slug}/press-tokens/{revoked_id}"),
            204,
        ),
    ];
    for (method, path, ok) in manage_paths {
        let body = (method == reqwest::Method::POST).then(|| json!({"label": "Reuters"}));
        for (name, token, status) in [
            ("anonymous", None, 401),
            ("press", Some(press.as_str()), 401),
            ("participant", Some(manage.as_str()), 401),
            ("other organizer", Some(other_organizer.as_str()), 403),
            ("organizer", Some(organizer.as_str()), ok),
        ] {
            let answer = app.call(method.clone(), &path, token, body.clone()).await;
            assert_eq!(answer.status, status, "{name}: {method} {path}");
        }
    }
    let unknown = app
        .call(
            reqwest::Method::DELETE,
            &format!("/api/v1/meetings/{slug}/press-tokens/nope"),
            Some(&organizer),
            None,
        )
        .await;
    assert_eq!(unknown.status, 404);
    let foreign = app
        .call(
            reqwest::Method::DELETE,
            &format!("/api/v1/meetings/{other_slug}/press-tokens/{expired_id}"),
            Some(&other_organizer),
            None,
        )
        .await;
    assert_eq!(
        foreign.status, 404,
        "another meeting's token cannot be revoked through this one"
    );
}

on_both_backends!(the_press_sees_only_confirmed_consenting_participants_and_five_fields);
async fn the_press_sees_only_confirmed_consenting_participants_and_five_fields(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = app.meeting(&organizer, json!({"capacity": 3})).await;
    let ana = confirmed(&app, &slug, "ana@example.org", "Ana Peña", true).await;
    confirmed(
        &app,
        &slug,
        "beto@example.org",
        "Beto Sin Consentimiento",
        false,
    )
    .await;
    let carla = confirmed(&app, &slug, "carla@example.org", "Carla Núñez", true).await;
    confirmed(&app, &slug, "dora@example.org", "Dora En Espera", true).await; // waitlisted
    let mut pending = TestApp::registration_body("eva@example.org");
    pending["consent_press_listing"] = json!(true);
    app.register_and_read_token(&slug, pending).await; // pending_email
    let press = press_token(&app, &organizer, &slug).await.1;
    {
        // Other statuses, consenting, straight in the database.
        use convene::schema::registrations::dsl::*;
        use diesel::prelude::*;
        let mut conn = app.db.connect();
        for (who, state) in [
            ("fede@example.org", "rejected"),
            ("gil@example.org", "pending_approval"),
            ("hugo@example.org", "expired"),
        ] {
            let mut body = TestApp::registration_body(who);
            body["consent_press_listing"] = json!(true);
            assert_eq!(app.register(&slug, body).await.status, 202);
            diesel::update(registrations.filter(email.eq(who)))
                .set(status.eq(state))
                .execute(&mut conn)
                .unwrap();
        }
    }
    let list = app
        .get(&format!("/api/v1/meetings/{slug}/attendees"), Some(&press))
        .await;
    let items = list.body["items"].as_array().unwrap().clone();
    assert_eq!(
        json_rows(&items),
        [
            [
                "Ana Peña",
                "Centro de Información Tapachula",
                "information_hub",
                "MX",
                "Coordinadora"
            ],
            [
                "Carla Núñez",
                "Centro de Información Tapachula",
                "information_hub",
                "MX",
                "Coordinadora"
            ],
        ]
    );
    for item in &items {
        let mut keys: Vec<_> = item.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        assert_eq!(
            keys,
            [
                "country",
                "full_name",
                "job_title",
                "organization",
                "organization_kind"
            ]
        );
    }
    for format in [
        "attendees",
        "attendees.csv",
        "attendees.xlsx",
        "attendees/summary",
    ] {
        let (status, bytes) =
            download(&app, &format!("/api/v1/meetings/{slug}/{format}"), &press).await;
        assert_eq!(status, 200);
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains("@example.org") && !text.contains("es-en"),
            "no address or needs in {format}"
        );
    }
    let summary = app
        .get(
            &format!("/api/v1/meetings/{slug}/attendees/summary"),
            Some(&press),
        )
        .await
        .body;
    assert_eq!(
        (
            summary["attendees"].as_i64(),
            summary["organizations"].as_i64(),
            summary["countries"].as_i64()
        ),
        (Some(2), Some(1), Some(1))
    );
    assert_eq!(summary["organizations_by_kind"]["information_hub"], 1);
    assert_eq!(
        app.stats(&organizer, &slug).await["press"]["by_country"]["MX"],
        2
    );

    // Withdrawn consent and cancellation take effect on the next download; Dora moves up.
    app.patch(
        "/api/v1/registration",
        Some(&ana),
        json!({"consent_press_listing": false}),
    )
    .await;
    app.post("/api/v1/registration/cancel", Some(&carla), json!({}))
        .await;
    let list = app
        .get(&format!("/api/v1/meetings/{slug}/attendees"), Some(&press))
        .await;
    let names: Vec<_> = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["full_name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["Dora En Espera"]);
    app.outbox_drained(&organizer, &slug).await;
}

on_both_backends!(csv_and_xlsx_read_back_as_the_json_says);
async fn csv_and_xlsx_read_back_as_the_json_says(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = app.meeting(&organizer, json!({"capacity": null})).await;
    let names = [
        "=HYPERLINK(\"http://x\")",
        "+1-555",
        "Ñandú Peña, \"la jefa\"",
        "@cmd",
        "José\nSegunda línea",
    ];
    for (i, name) in names.iter().enumerate() {
        let mut body = TestApp::registration_body(&format!("p{i}@example.org"));
        body["full_name"] = json!(name.replace('\n', " "));
        body["consent_press_listing"] = json!(true);
        body["job_title"] = json!(format!("-{i} Oficial; \"técnica\""));
        let token = app.register_and_read_token(&slug, body).await;
        app.confirm(&token).await;
    }
    let press = press_token(&app, &organizer, &slug).await.1;
    let first = app
        .get(
            &format!("/api/v1/meetings/{slug}/attendees?limit=2"),
            Some(&press),
        )
        .await;
    let mut items = first.body["items"].as_array().unwrap().clone();
    let mut cursor = first.body["next_cursor"].as_str().map(str::to_owned);
    while let Some(next) = cursor {
        let page = app
            .get(
                &format!("/api/v1/meetings/{slug}/attendees?limit=2&cursor={next}"),
                Some(&press),
            )
            .await;
        items.extend(page.body["items"].as_array().unwrap().iter().cloned());
        cursor = page.body["next_cursor"].as_str().map(str::to_owned);
    }
    assert_eq!(items.len(), 5);
    let expected = json_rows(&items);
    assert!(
        expected.iter().any(|r| r[0] == "Ñandú Peña, \"la jefa\""),
        "accents survive"
    );

    let response = app
        .client
        .get(format!(
            "{}/api/v1/meetings/{slug}/attendees.csv",
            app.address
        ))
        .bearer_auth(&press)
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.headers()["content-type"],
        "text/csv; charset=utf-8"
    );
    let disposition = response.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        disposition.contains(&format!("{slug}-attendees-")) && disposition.ends_with(".csv\""),
        "{disposition}"
    );
    let csv = python_csv(&response.bytes().await.unwrap());
    assert_eq!(
        csv[0],
        [
            "full_name",
            "organization",
            "organization_kind",
            "country",
            "job_title"
        ]
    );
    let neutral = |cell: &String| {
        if cell.starts_with(['=', '+', '-', '@']) {
            format!("'{cell}")
        } else {
            cell.clone()
        }
    };
    let expected_csv: Vec<Vec<String>> = expected
        .iter()
        .map(|r| r.iter().map(neutral).collect())
        .collect();
    assert_eq!(csv[1..], expected_csv[..]);
    assert!(csv
        .iter()
        .flatten()
        .any(|c| c == "'=HYPERLINK(\"http://x\")"));

    let (status, xlsx) = download(
        &app,
        &format!("/api/v1/meetings/{slug}/attendees.xlsx"),
        &press,
    )
    .await;
    assert_eq!(status, 200);
    let rows = calamine_rows(&xlsx);
    assert_eq!(rows[0], csv[0]);
    assert_eq!(rows[1..], expected[..], "XLSX holds the literal text");

    // The organizer's full export has every field, every status.
    let (status, full) = download(
        &app,
        &format!("/api/v1/meetings/{slug}/registrations.xlsx"),
        &organizer,
    )
    .await;
    assert_eq!(status, 200);
    let rows = calamine_rows(&full);
    assert_eq!(rows.len(), 6);
    assert_eq!(rows[0][8], "email");
    assert!(rows.iter().any(|r| r[7] == "=HYPERLINK(\"http://x\")"));

    // Every download was logged, by format.
    let log = app
        .get(
            &format!("/api/v1/meetings/{slug}/press-log"),
            Some(&organizer),
        )
        .await;
    let mut formats: Vec<_> = log.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["format"].as_str().unwrap().to_owned())
        .collect();
    formats.sort();
    assert_eq!(formats, ["csv", "json", "json", "json", "xlsx"]);
    let listed = app
        .get(
            &format!("/api/v1/meetings/{slug}/press-tokens"),
            Some(&organizer),
        )
        .await;
    assert_eq!(listed.body["items"][0]["uses"], 5);
    assert!(
        listed.body["items"][0].get("token").is_none(),
        "a token is shown once, at creation"
    );
}

on_both_backends!(the_press_page_tells_the_meeting_size_apart_from_who_may_be_named);
async fn the_press_page_tells_the_meeting_size_apart_from_who_may_be_named(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = app.meeting(&organizer, json!({})).await;
    // Two listed (Honduras, El Salvador: their codes sort the other way round from their
    // names), one confirmed but not listed (Costa Rica), one not confirmed (Belize).
    for (email, country, organization, listed) in [
        ("hn@example.org", "HN", "Centro Tegucigalpa", true),
        ("sv@example.org", "SV", "Centro San Salvador", true),
        ("cr@example.org", "CR", "Centro San José", false),
    ] {
        let mut body = TestApp::registration_body(email);
        body["country"] = json!(country);
        body["organization"] =
            json!({"name": organization, "kind": "information_hub", "country": country});
        body["consent_press_listing"] = json!(listed);
        let token = app.register_and_read_token(&slug, body).await;
        app.confirm(&token).await;
    }
    let mut unconfirmed = TestApp::registration_body("bz@example.org");
    unconfirmed["country"] = json!("BZ");
    app.register(&slug, unconfirmed).await;
    let (_, token) = press_token(&app, &organizer, &slug).await;
    let press_page = || async {
        let page = crate::support::html::fetch(&app, &format!("/press/{token}"), Some("es")).await;
        assert_eq!(page.status, 200);
        let document = scraper::Html::parse_document(&page.body);
        let text = |css: &str| -> Vec<String> {
            crate::support::html::select(&document, css)
                .into_iter()
                .map(|e| {
                    e.text()
                        .collect::<String>()
                        .split_whitespace()
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .collect()
        };
        (
            text(".press-counts p"),
            text("section:nth-of-type(2) td:first-child"),
        )
    };
    let stats = || async {
        app.get(&format!("/api/v1/meetings/{slug}/stats"), Some(&organizer))
            .await
            .body["press"]
            .clone()
    };
    let listed = "Quiénes pueden nombrarse: 2 de ellos aceptaron figurar en la lista, de 2 \
                  organizaciones de 2 países.";
    // Costa Rica is one unlisted person: beside the listed countries, a count of countries
    // would single her out, so only the number of people is told.
    let (counts, countries) = press_page().await;
    assert_eq!(counts, ["La reunión: 3 participantes.", listed]);
    assert_eq!(
        countries,
        ["El Salvador", "Honduras"],
        "by name, not by code"
    );
    assert_eq!(
        stats().await["meeting"],
        json!({"participants": 3, "organizations": null, "countries": null})
    );

    // Five unlisted people from Costa Rica are a group: now every count is told.
    for n in 0..4 {
        let email = format!("cr{n}@example.org");
        let mut body = TestApp::registration_body(&email);
        body["country"] = json!("CR");
        body["organization"] =
            json!({"name": "Centro San José", "kind": "information_hub", "country": "CR"});
        let token = app.register_and_read_token(&slug, body).await;
        app.confirm(&token).await;
    }
    let (counts, _) = press_page().await;
    assert_eq!(
        counts,
        [
            "La reunión: 7 participantes de 3 organizaciones de 3 países.",
            listed
        ]
    );
    let press = stats().await;
    assert_eq!(
        press["meeting"],
        json!({"participants": 7, "organizations": 3, "countries": 3})
    );
    assert_eq!(press["attendees"], 2);
}

on_both_backends!(files_downloaded_from_a_page_read_as_a_person_reads_in_the_page_language);
async fn files_downloaded_from_a_page_read_as_a_person_reads_in_the_page_language(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = app.meeting(&organizer, json!({})).await;
    confirmed(&app, &slug, "ana@example.org", "Ana Peña", true).await;
    let (_, token) = press_token(&app, &organizer, &slug).await;
    let get = |path: String, cookie: Option<String>| {
        let app = &app;
        async move {
            let mut request = app.client.get(format!("{}{path}", app.address));
            if let Some(cookie) = cookie {
                request = request.header("Cookie", cookie);
            }
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), 200, "{path}");
            response.bytes().await.unwrap().to_vec()
        }
    };

    // The press page's files: headings and values in the page's language, read back by
    // Python's csv module and by calamine.
    let csv = python_csv(&get(format!("/press/{token}/attendees.csv?lang=es"), None).await);
    assert_eq!(
        csv,
        [
            vec![
                "Nombre completo",
                "Organización",
                "Tipo de organización",
                "País",
                "Cargo"
            ],
            vec![
                "Ana Peña",
                "Centro de Información Tapachula",
                "Centro de información para personas migrantes",
                "México",
                "Coordinadora"
            ],
        ]
    );
    let xlsx = calamine_rows(&get(format!("/press/{token}/attendees.xlsx?lang=en"), None).await);
    assert_eq!(
        xlsx[0],
        [
            "Full name",
            "Organisation",
            "Kind of organisation",
            "Country",
            "Job title"
        ]
    );
    assert_eq!(xlsx[1][2..4], ["Migrant information hub", "Mexico"]);

    // The organizer's file from the dashboard: the same, with times as real dates.
    let cookie = crate::support::html::organizer_session(&app).await;
    let bytes = get(
        format!("/organizer/m/{slug}/registrations.xlsx?lang=es"),
        Some(cookie.clone()),
    )
    .await;
    use calamine::{Data, Reader, Xlsx};
    let mut workbook: Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    let sheet = workbook.sheet_names()[0].clone();
    let range = workbook.worksheet_range(&sheet).unwrap();
    let rows: Vec<&[Data]> = range.rows().collect();
    let heading: Vec<String> = rows[0].iter().map(|c| c.to_string()).collect();
    let column = |name: &str| {
        heading
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("{name} in {heading:?}"))
    };
    assert_eq!(rows[1][column("Estado")].to_string(), "Confirmada");
    assert_eq!(rows[1][column("País")].to_string(), "México");
    assert_eq!(
        rows[1][column("En la lista para la prensa")].to_string(),
        "Sí"
    );
    assert_eq!(rows[1][column("Idioma")].to_string(), "Español");
    assert!(
        matches!(rows[1][column("Inscripción")], Data::DateTime(_)),
        "a real date: {:?}",
        rows[1][column("Inscripción")]
    );
    let csv = python_csv(
        &get(
            format!("/organizer/m/{slug}/registrations.csv?lang=en"),
            Some(cookie),
        )
        .await,
    );
    let registered = csv[0].iter().position(|h| h == "Registered").unwrap();
    assert!(
        chrono::NaiveDateTime::parse_from_str(&csv[1][registered], "%Y-%m-%d %H:%M").is_ok(),
        "a time a spreadsheet reads: {}",
        csv[1][registered]
    );
    assert_eq!(
        csv[1][csv[0].iter().position(|h| h == "Status").unwrap()],
        "Confirmed"
    );

    // The API's files stay for programs: keys, codes and ISO times, whatever the language.
    let (status, bytes) = download(
        &app,
        &format!("/api/v1/meetings/{slug}/attendees.csv?lang=es"),
        &token,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        python_csv(&bytes)[0][..3],
        ["full_name", "organization", "organization_kind"]
    );
}
