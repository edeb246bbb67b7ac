//! Guards that hold for every route at once: login CSRF, redirects and links that stay on the
//! site, body deadlines, no caching of personal answers, HSTS, private files, the language kept
//! on the way to the login page, and no 5xx for anything malformed.

use crate::on_both_backends;
use crate::support::html::{log_in, login_form, with_cookie};
use crate::support::Backend;
use crate::support::{spawn_app, spawn_app_with, TestApp};
use serde_json::json;
use std::io::{Read, Write};
use std::time::{Duration, Instant};

const PASSWORD: &str = "a long organizer password";

/// An organizer account that can log in through the form; answers its address.
fn account(app: &TestApp) -> String {
    let email = format!("org-{}@example.org", uuid::Uuid::new_v4().simple());
    let account =
        convene::accounts::model::NewAccount::parse(&email, "Organizer", PASSWORD).unwrap();
    let hash = account.password.hash().unwrap();
    convene::accounts::store::create(&mut app.db.connect(), &account, &hash, convene::db::now())
        .unwrap();
    email
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Sends raw bytes on a new connection and reads the answer to its end: the status (0 when
/// none came) and the whole text.
async fn raw(app: &TestApp, request: Vec<u8>) -> (u16, String) {
    let address = app.address.trim_start_matches("http://").to_owned();
    tokio::task::spawn_blocking(move || {
        let mut stream = std::net::TcpStream::connect(address).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let _ = stream.write_all(&request);
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
        let text = String::from_utf8_lossy(&answer).into_owned();
        let status = text
            .strip_prefix("HTTP/1.1 ")
            .and_then(|rest| rest.get(..3))
            .and_then(|code| code.parse().ok())
            .unwrap_or(0);
        (status, text)
    })
    .await
    .unwrap()
}

/// A request with `Connection: close`, the given extra header lines and body.
fn request(method: &str, target: &[u8], headers: &[&[u8]], body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(method.as_bytes());
    out.push(b' ');
    out.extend_from_slice(target);
    out.extend_from_slice(b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
    for header in headers {
        out.extend_from_slice(header);
        out.extend_from_slice(b"\r\n");
    }
    if !body.is_empty() || method == "POST" {
        out.extend_from_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
    out
}

/// Where a `Location` leads, resolved as a browser would against the app's address.
fn lands_on(app: &TestApp, location: &str) -> url::Url {
    url::Url::parse(&app.address)
        .unwrap()
        .join(location)
        .unwrap()
}

/// Sends headers promising a body of 10 000 bytes, then one byte every 300 ms; answers what
/// the server said and when, or `None` if it was still waiting after `give_up`.
async fn trickle(app: &TestApp, head: String, give_up: Duration) -> Option<(String, Duration)> {
    let address = app.address.trim_start_matches("http://").to_owned();
    tokio::task::spawn_blocking(move || {
        let mut stream = std::net::TcpStream::connect(address).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_millis(300)))
            .unwrap();
        stream.write_all(head.as_bytes()).unwrap();
        let started = Instant::now();
        let mut answer = Vec::new();
        let mut buffer = [0u8; 4096];
        while started.elapsed() < give_up {
            // The server may stop reading or close: writing then fails, which is fine.
            let _ = stream.write_all(b"a");
            match stream.read(&mut buffer) {
                Ok(0) => break,
                Ok(n) => {
                    answer.extend_from_slice(&buffer[..n]);
                    if answer.windows(4).any(|w| w == b"\r\n\r\n") {
                        break;
                    }
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) => {}
                Err(_) => break,
            }
        }
        let elapsed = started.elapsed();
        (elapsed < give_up).then(|| (String::from_utf8_lossy(&answer).into_owned(), elapsed))
    })
    .await
    .unwrap()
}

on_both_backends!(a_login_form_posted_from_another_site_logs_nobody_in);
async fn a_login_form_posted_from_another_site_logs_nobody_in(backend: Backend) {
    let app = spawn_app(backend).await;
    let email = account(&app);
    let client = no_redirects();
    let url = format!("{}/organizer/login", app.address);
    let credentials = [
        ("email", email.as_str()),
        ("password", PASSWORD),
        ("next", "/organizer"),
    ];
    let is_session = |r: &reqwest::Response| {
        r.headers().get_all("set-cookie").iter().any(|c| {
            c.to_str().unwrap().starts_with("convene_session=")
                && !c.to_str().unwrap().starts_with("convene_session=;")
        })
    };

    // What another site's page can make a browser send: the form, without our token.
    let forged = client
        .post(&url)
        .header("Origin", "https://evil.example")
        .form(&credentials)
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    assert!(!is_session(&forged), "no session from a cross-site post");
    let no_token = client.post(&url).form(&credentials).send().await.unwrap();
    assert_eq!(
        no_token.status(),
        403,
        "without Origin, the token is still needed"
    );
    assert!(!is_session(&no_token));

    // Even with a real token and cookie, another origin is refused.
    let (cookie, token) = login_form(&app).await;
    let mut fields = credentials.to_vec();
    fields.push(("login_token", token.as_str()));
    for (header, value) in [
        ("Origin", "https://evil.example"),
        ("Sec-Fetch-Site", "cross-site"),
        ("Referer", "https://evil.example/organizer/login"),
    ] {
        let refused = client
            .post(&url)
            .header("Cookie", &cookie)
            .header(header, value)
            .form(&fields)
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), 403, "{header}: {value}");
        assert!(!is_session(&refused), "{header}: {value}");
    }
    let wrong = client
        .post(&url)
        .header("Cookie", &cookie)
        .form(&[
            ("email", email.as_str()),
            ("password", PASSWORD),
            ("login_token", "0".repeat(64).as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 403, "a token other than the cookie's");
    assert!(!is_session(&wrong));

    let null_cross_site = client
        .post(&url)
        .header("Cookie", &cookie)
        .header("Origin", "null")
        .header("Sec-Fetch-Site", "cross-site")
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(null_cross_site.status(), 403);

    // Our pages are sent with `Referrer-Policy: no-referrer`, so Chromium posts our own form
    // with `Origin: null`: with our token and `Sec-Fetch-Site: same-origin` it logs in.
    let null_ours = client
        .post(&url)
        .header("Cookie", &cookie)
        .header("Origin", "null")
        .header("Sec-Fetch-Site", "same-origin")
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(null_ours.status(), 303);
    let (cookie, token) = login_form(&app).await;
    let mut fields = credentials.to_vec();
    fields.push(("login_token", token.as_str()));

    // The form as our own page sends it logs in, and the refused attempts changed nothing.
    let ours = client
        .post(&url)
        .header("Cookie", &cookie)
        .header("Origin", &app.address)
        .header("Sec-Fetch-Site", "same-origin")
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(ours.status(), 303);
    assert!(is_session(&ours));
    assert!(
        log_in(&app, &email, PASSWORD).await.is_some(),
        "the helper, as a browser, logs in"
    );
}

on_both_backends!(redirects_and_links_never_leave_the_site_or_fail);
async fn redirects_and_links_never_leave_the_site_or_fail(backend: Backend) {
    let app = spawn_app(backend).await;
    let email = account(&app);
    let client = no_redirects();
    let hostile_next = [
        "/organizer/..//evil.example",
        "//evil.example",
        "///evil.example",
        "/organizer/%2e%2e//evil.example",
        "/organizer/%2e%2e/%2e%2e//evil.example",
        "/organizer/\\evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "/organizer\r\nSet-Cookie: x=y",
        "/organizer%0d%0aSet-Cookie:%20x=y",
        "/organizer/%0d%0a",
        "/organizer\t/x",
        "https://evil.example/organizer",
        "http:/evil.example",
        "javascript:alert(1)",
        "/organizer/../../evil",
        "/organizer@evil.example",
        "/organizer/%ff",
        "/organizer/\u{0}",
        "",
    ];
    for next in hostile_next {
        let page = client
            .get(format!("{}/organizer/login", app.address))
            .query(&[("next", next)])
            .send()
            .await
            .unwrap();
        assert!(
            page.status().is_success(),
            "login page for next={next:?}: {}",
            page.status()
        );
        let body = page.text().await.unwrap();
        let document = scraper::Html::parse_document(&body);
        let kept = document
            .select(&scraper::Selector::parse("input[name=next]").unwrap())
            .next()
            .unwrap()
            .value()
            .attr("value")
            .unwrap()
            .to_owned();
        assert!(
            lands_on(&app, &kept)
                .as_str()
                .starts_with(&format!("{}/organizer", app.address)),
            "next={next:?} kept as {kept:?}"
        );

        let (cookie, token) = login_form(&app).await;
        let answer = client
            .post(format!("{}/organizer/login", app.address))
            .header("Cookie", cookie)
            .form(&[
                ("email", email.as_str()),
                ("password", PASSWORD),
                ("next", next),
                ("login_token", token.as_str()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 303, "next={next:?}");
        let location = answer.headers()["location"].to_str().unwrap().to_owned();
        let target = lands_on(&app, &location);
        assert!(
            target
                .as_str()
                .starts_with(&format!("{}/organizer", app.address))
                && !location.starts_with("//"),
            "next={next:?} leads to {location:?} ({target})"
        );
    }

    // A dashboard form's `back` field is held to the same rule.
    let cookie = log_in(&app, &email, PASSWORD).await.unwrap();
    let own = with_cookie(
        &app,
        reqwest::Method::GET,
        "/organizer/meetings/new",
        &cookie,
        &[],
    )
    .await;
    let csrf = {
        let document = scraper::Html::parse_document(&own.body);
        document
            .select(&scraper::Selector::parse("input[name=csrf]").unwrap())
            .next()
            .unwrap()
            .value()
            .attr("value")
            .unwrap()
            .to_owned()
    };
    let created = with_cookie(
        &app,
        reqwest::Method::POST,
        "/organizer/meetings/new",
        &cookie,
        &[
            ("csrf", &csrf),
            ("title", "Taller"),
            ("slug", "taller-back"),
            ("country", "GT"),
            ("timezone", "America/Guatemala"),
            ("starts_at", "2030-06-10T09:00"),
            ("ends_at", "2030-06-10T17:00"),
            ("capacity", "40"),
            ("status", "published"),
        ],
    )
    .await;
    assert_eq!(created.status, 303, "{}", created.body);
    let base = "/organizer/m/taller-back/registrations";
    for (i, back) in [
        format!("{base}/../../../..//evil.example"),
        format!("{base}\r\nSet-Cookie: x=y"),
        format!("{base}/%2e%2e/%2e%2e/%2e%2e/%2e%2e//evil.example"),
        format!("{base}?q=\r\n"),
    ]
    .iter()
    .enumerate()
    {
        let answer = app
            .register(
                "taller-back",
                TestApp::registration_body(&format!("b{i}@example.org")),
            )
            .await;
        assert_eq!(answer.status, 202);
        let id = app
            .client
            .get(format!(
                "{}/api/v1/meetings/taller-back/registrations",
                app.address
            ))
            .bearer_auth(session_token(&app, &email).await)
            .send()
            .await
            .unwrap()
            .json::<serde_json::Value>()
            .await
            .unwrap()["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["email"] == format!("b{i}@example.org"))
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        // The question first: its way back is a link, and stays on this site too.
        let asked = with_cookie(
            &app,
            reqwest::Method::POST,
            &format!("{base}/{id}/cancel"),
            &cookie,
            &[("csrf", &csrf), ("back", back)],
        )
        .await;
        assert_eq!(asked.status, 200, "back={back:?}: {}", asked.body);
        let document = scraper::Html::parse_document(&asked.body);
        let href = crate::support::html::select(&document, ".confirm a.button")[0]
            .value()
            .attr("href")
            .unwrap()
            .to_owned();
        assert!(
            href.starts_with("/organizer/m/taller-back/") && !href.contains(".."),
            "back={back:?}: the way back is {href:?}"
        );
        let answer = with_cookie(
            &app,
            reqwest::Method::POST,
            &format!("{base}/{id}/cancel"),
            &cookie,
            &[("csrf", &csrf), ("back", back), ("confirmed", "yes")],
        )
        .await;
        assert_eq!(answer.status, 303, "back={back:?}: {}", answer.body);
        let location = answer.headers["location"].to_str().unwrap().to_owned();
        assert!(
            lands_on(&app, &location)
                .as_str()
                .starts_with(&format!("{}{base}", app.address))
                && !location.starts_with("//"),
            "back={back:?} leads to {location:?}"
        );
    }

    // Pages at hostile paths: no 5xx, and no link to another host.
    let paths: [&[u8]; 12] = [
        b"//evil.example",
        b"//evil.example/",
        b"//evil.example/organizer",
        b"///evil.example",
        b"/\\evil.example",
        b"/%2F%2Fevil.example",
        b"/%5Cevil.example",
        b"/./..//evil.example",
        b"/m/x%0d%0aSet-Cookie:%20y=z",
        b"//evil.example?lang=es",
        b"/m/%ff%fe",
        b"/%00",
    ];
    for path in paths {
        let (status, text) = raw(&app, request("GET", path, &[], b"")).await;
        let shown = String::from_utf8_lossy(path);
        assert!((200..500).contains(&status), "{shown}: {status}\n{text}");
        assert!(
            !text.contains("href=\"//")
                && !text.contains("href=\"/\\")
                && !text.contains("evil.example?lang"),
            "{shown} links off the site:\n{text}"
        );
    }
}

on_both_backends!(a_body_that_trickles_is_cut_off);
async fn a_body_that_trickles_is_cut_off(backend: Backend) {
    let app = spawn_app_with(backend, |s| s.request_body_timeout = Duration::from_secs(1)).await;
    let organizer = app.organizer().await;
    let slug = app.meeting(&organizer, json!({})).await;
    for (path, content_type) in [
        (
            format!("/api/v1/meetings/{slug}/registrations"),
            "application/json",
        ),
        (
            format!("/m/{slug}/register"),
            "application/x-www-form-urlencoded",
        ),
        (
            "/organizer/login".to_owned(),
            "application/x-www-form-urlencoded",
        ),
    ] {
        let head = format!("POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: {content_type}\r\nContent-Length: 10000\r\n\r\n");
        // Never, before the deadline existed; a generous bound, not a timing claim.
        let (answer, _) = trickle(&app, head, Duration::from_secs(20))
            .await
            .unwrap_or_else(|| panic!("{path}: still reading a trickling body after 20 s"));
        assert!(
            answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
            "{path}: {answer:?}"
        );
    }
}

on_both_backends!(personal_answers_are_never_stored_and_public_reads_keep_their_caching);
async fn personal_answers_are_never_stored_and_public_reads_keep_their_caching(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = app.meeting(&organizer, json!({})).await;
    let confirm = app
        .register_and_read_token(&slug, TestApp::registration_body("ana@example.org"))
        .await;
    let manage = app.smtp.to("ana@example.org")[0].manage_token();
    let press = app
        .post(
            &format!("/api/v1/meetings/{slug}/press-tokens"),
            Some(&organizer),
            json!({"label": "Diario"}),
        )
        .await
        .body["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let email = account(&app);
    let cookie = log_in(&app, &email, PASSWORD).await.unwrap();
    let no_store = |what: &str, headers: &reqwest::header::HeaderMap| {
        let value = headers
            .get("cache-control")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        assert!(
            value.contains("no-store"),
            "{what}: Cache-Control {value:?}"
        );
    };
    // Pages and answers reached with a token in the path, or none at all (errors, forms).
    for path in [
        format!("/confirm/{confirm}"),
        format!("/manage/{manage}"),
        format!("/manage/{manage}/cancel"),
        format!("/manage/{manage}/delete"),
        format!("/manage/{manage}/calendar.ics"),
        format!("/press/{press}"),
        format!("/press/{press}/attendees.csv"),
        format!("/press/{press}/attendees.xlsx"),
        "/organizer/login".to_owned(),
        format!("/manage/{}", "0".repeat(64)),
        "/no-such-page".to_owned(),
        "/api/v1/no-such-thing".to_owned(),
    ] {
        let answer = app
            .client
            .get(format!("{}{path}", app.address))
            .send()
            .await
            .unwrap();
        assert!(answer.status().as_u16() < 500, "{path}");
        no_store(&path, answer.headers());
    }
    // The APIs with a token: participant, organizer, press.
    for (token, path) in [
        (&manage, "/api/v1/registration".to_owned()),
        (&manage, "/api/v1/registration/calendar.ics".to_owned()),
        (&organizer, format!("/api/v1/meetings/{slug}")),
        (&organizer, format!("/api/v1/meetings/{slug}/registrations")),
        (
            &organizer,
            format!("/api/v1/meetings/{slug}/registrations.csv"),
        ),
        (
            &organizer,
            format!("/api/v1/meetings/{slug}/registrations.xlsx"),
        ),
        (&organizer, format!("/api/v1/meetings/{slug}/stats")),
        (&organizer, format!("/api/v1/meetings/{slug}/press-tokens")),
        (&organizer, format!("/api/v1/meetings/{slug}/press-log")),
        (&organizer, format!("/api/v1/meetings/{slug}/rooms")),
        (&press, format!("/api/v1/meetings/{slug}/attendees")),
        (&press, format!("/api/v1/meetings/{slug}/attendees.csv")),
        (&press, format!("/api/v1/meetings/{slug}/attendees/summary")),
        (&press, format!("/api/v1/meetings/{slug}/agenda")),
    ] {
        let answer = app.get(&path, Some(token)).await;
        assert!(answer.status < 500, "{path}: {}", answer.status);
        no_store(&path, &answer.headers);
    }
    let confirmed = app.confirm(&confirm).await;
    no_store("POST confirm", &confirmed.headers);
    let registered = app
        .register(&slug, TestApp::registration_body("luis@example.org"))
        .await;
    no_store("POST registration", &registered.headers);
    let form =
        crate::support::html::post_form(&app, &format!("/m/{slug}/register"), &[("email", "x")])
            .await;
    no_store("the registration form with errors", &form.headers);
    // The dashboard.
    for path in [
        "/organizer".to_owned(),
        format!("/organizer/m/{slug}"),
        format!("/organizer/m/{slug}/registrations"),
        "/organizer/meetings/new".to_owned(),
        "/organizer/m/x".to_owned(),
    ] {
        let page = with_cookie(&app, reqwest::Method::GET, &path, &cookie, &[]).await;
        no_store(&path, &page.headers);
    }
    let away = with_cookie(&app, reqwest::Method::GET, "/organizer", "x=y", &[]).await;
    no_store("the way to the login page", &away.headers);

    // Public reads keep their ETag and revalidation.
    for path in [
        format!("/m/{slug}"),
        format!("/api/v1/meetings/{slug}"),
        format!("/api/v1/meetings/{slug}/agenda"),
        format!("/api/v1/meetings/{slug}/agenda.ics"),
        "/static/convene.css".to_owned(),
    ] {
        let answer = app
            .client
            .get(format!("{}{path}", app.address))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 200, "{path}");
        let cache = answer.headers()["cache-control"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            !cache.contains("no-store") && answer.headers().contains_key("etag"),
            "{path}: {cache}"
        );
    }
}

on_both_backends!(strict_transport_security_only_over_https);
async fn strict_transport_security_only_over_https(backend: Backend) {
    let secure = spawn_app_with(backend, |s| {
        s.base_url = Some("https://convene.example".into())
    })
    .await;
    for path in [
        "/",
        "/api/v1/meetings",
        "/organizer/login",
        "/nothing-here",
        "/static/convene.css",
    ] {
        let answer = secure
            .client
            .get(format!("{}{path}", secure.address))
            .send()
            .await
            .unwrap();
        assert_eq!(
            answer
                .headers()
                .get("strict-transport-security")
                .map(|v| v.to_str().unwrap()),
            Some("max-age=31536000"),
            "{path}"
        );
    }
    let plain = spawn_app(backend).await;
    for path in ["/", "/api/v1/meetings", "/nothing-here"] {
        let answer = plain
            .client
            .get(format!("{}{path}", plain.address))
            .send()
            .await
            .unwrap();
        assert!(
            !answer.headers().contains_key("strict-transport-security"),
            "{path} over http"
        );
    }
}

on_both_backends!(the_language_survives_the_way_to_the_login_page);
async fn the_language_survives_the_way_to_the_login_page(backend: Backend) {
    let app = spawn_app(backend).await;
    let away = no_redirects()
        .get(format!("{}/organizer/m/some-meeting?lang=es", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(away.status(), 303);
    let location = away.headers()["location"].to_str().unwrap().to_owned();
    // A browser without the language cookie, following the redirect.
    let login = no_redirects()
        .get(lands_on(&app, &location))
        .header("Accept-Language", "en")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(login.contains("<html lang=\"es\">"), "{location}");
    let plain = no_redirects()
        .get(format!("{}/organizer", app.address))
        .send()
        .await
        .unwrap();
    assert!(
        !plain.headers()["location"]
            .to_str()
            .unwrap()
            .contains("lang="),
        "nothing chosen, nothing carried"
    );
}

on_both_backends!(nothing_malformed_gets_a_server_error);
async fn nothing_malformed_gets_a_server_error(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = app.meeting(&organizer, json!({})).await;
    app.register_and_read_token(&slug, TestApp::registration_body("ana@example.org"))
        .await;
    let manage = app.smtp.to("ana@example.org")[0].manage_token();
    let email = account(&app);
    let session = log_in(&app, &email, PASSWORD).await.unwrap();
    let routes = [
        "/".to_owned(),
        format!("/m/{slug}"),
        format!("/m/{slug}/register"),
        "/organizer".to_owned(),
        "/organizer/login".to_owned(),
        format!("/organizer/m/{slug}"),
        format!("/organizer/m/{slug}/registrations"),
        format!("/manage/{manage}"),
        format!("/press/{}", "a".repeat(64)),
        "/api/v1/meetings".to_owned(),
        format!("/api/v1/meetings/{slug}"),
        format!("/api/v1/meetings/{slug}/agenda"),
        "/api/v1/registration".to_owned(),
        format!("/api/v1/meetings/{slug}/registrations"),
    ];
    let big = "x".repeat(6000);
    let bad_paths: [&[u8]; 9] = [
        b"%ff",
        b"%",
        b"%zz",
        b"%c0%af",
        b"\xff\xfe",
        b"/..%2f..%2f",
        b"?lang=%ff&limit=%&cursor=%00",
        b"?next=%0d%0a&q=%ff&status=%",
        b"?lang=es&lang=en&limit=1&limit=x",
    ];
    let cookie_session = format!("Cookie: {session}");
    let big_cookie = format!("Cookie: a={big}; convene_session={big}; lang={big}");
    let bad_headers: Vec<Vec<u8>> = vec![
        b"Cookie: convene_session=%ff%fe; lang=zz; =; ;;".to_vec(),
        big_cookie.into_bytes(),
        b"Cookie: \xff\xfe=\xff".to_vec(),
        b"Accept-Language: ;q=abc,,,*;q=-1, es;q=NaN, en;q=1e999, \xff".to_vec(),
        format!("Accept-Language: {}", "es-,".repeat(1000)).into_bytes(),
        b"Authorization: Bearer".to_vec(),
        b"Authorization: Bearer \xff\xfe".to_vec(),
        b"Authorization: Basic !!!".to_vec(),
        format!("Authorization: Bearer {big}").into_bytes(),
        b"X-Forwarded-For: not-an-ip, ::::, 999.1.1.1, \xff".to_vec(),
        b"Content-Type: application/json; charset=\xff".to_vec(),
        b"If-None-Match: \xff, W/, *,,".to_vec(),
        b"Content-Type: ;;;".to_vec(),
    ];
    let mut failures = Vec::new();
    for route in &routes {
        for suffix in bad_paths {
            let mut target = route.as_bytes().to_vec();
            target.extend_from_slice(suffix);
            for cookie in [&b"X-Nothing: 1"[..], cookie_session.as_bytes()] {
                let (status, text) = raw(&app, request("GET", &target, &[cookie], b"")).await;
                if !(200..500).contains(&status) {
                    failures.push(format!(
                        "GET {} -> {status}: {}",
                        String::from_utf8_lossy(&target),
                        text.lines().next().unwrap_or("")
                    ));
                }
            }
        }
        for header in &bad_headers {
            let (status, text) = raw(&app, request("GET", route.as_bytes(), &[header], b"")).await;
            if !(200..500).contains(&status) {
                failures.push(format!(
                    "GET {route} with {} -> {status}: {}",
                    String::from_utf8_lossy(&header[..header.len().min(60)]),
                    text.lines().next().unwrap_or("")
                ));
            }
        }
    }
    let forms = [
        "/organizer/login".to_owned(),
        format!("/m/{slug}/register"),
        format!("/manage/{manage}"),
        format!("/manage/{manage}/press"),
        format!("/manage/{manage}/cancel"),
        format!("/organizer/m/{slug}/edit"),
        "/organizer/meetings/new".to_owned(),
        format!("/organizer/m/{slug}/press"),
        format!("/organizer/m/{slug}/agenda/rooms"),
        "/organizer/logout".to_owned(),
    ];
    let bodies: [&[u8]; 9] = [
        b"%ff%fe=%ff",
        b"a=%",
        b"email=a&email=b&password=x&password=y&next=%0d%0a",
        b"=&&&=",
        b"csrf=x&csrf=y&title=%00",
        b"\xff\xfe\x00",
        b"next=//evil.example&email=%C0%80",
        b"capacity=99999999999999999999&starts_at=%ff&slug=%2F..",
        b"a=b;c=d&&==",
    ];
    let content_types: [&[u8]; 6] = [
        b"Content-Type: application/x-www-form-urlencoded",
        b"Content-Type: application/x-www-form-urlencoded; charset=latin1",
        b"Content-Type: multipart/form-data",
        b"Content-Type: text/plain",
        b"Content-Type: \xff",
        b"X-No-Content-Type: 1",
    ];
    for form in &forms {
        for body in bodies {
            for content_type in content_types {
                let (status, text) = raw(
                    &app,
                    request(
                        "POST",
                        form.as_bytes(),
                        &[content_type, cookie_session.as_bytes()],
                        body,
                    ),
                )
                .await;
                if !(200..500).contains(&status) {
                    failures.push(format!(
                        "POST {form} {} {:?} -> {status}: {}",
                        String::from_utf8_lossy(content_type),
                        String::from_utf8_lossy(body),
                        text.lines().next().unwrap_or("")
                    ));
                }
            }
        }
    }
    // Valid forms with one malformed value: the one that reaches a header must not break it.
    let (form_cookie, token) = login_form(&app).await;
    let cookie_line = format!("Cookie: {form_cookie}");
    for next in [
        "/organizer%0d%0aX-Injected:%20y",
        "/organizer%0aX:y",
        "/organizer%ff",
        "/organizer/%00",
        "%",
        "/organizer?%0d",
    ] {
        let body = format!(
            "email={}&password={}&login_token={token}&next={next}",
            email.replace('@', "%40"),
            PASSWORD.replace(' ', "+")
        );
        let headers: [&[u8]; 2] = [
            b"Content-Type: application/x-www-form-urlencoded",
            cookie_line.as_bytes(),
        ];
        let (status, text) = raw(
            &app,
            request("POST", b"/organizer/login", &headers, body.as_bytes()),
        )
        .await;
        if !(200..500).contains(&status) || text.contains("X-Injected") {
            failures.push(format!(
                "POST /organizer/login next={next} -> {status}: {}",
                text.lines().next().unwrap_or("")
            ));
        }
    }
    for body in [
        &b"\xff\xfe{}"[..],
        b"{\"email\": \"\xff\"}",
        b"[]",
        b"null",
        b"{\"full_name\": 1e999}",
    ] {
        for content_type in [
            &b"Content-Type: application/json"[..],
            b"Content-Type: application/json; charset=utf-16",
        ] {
            let path = format!("/api/v1/meetings/{slug}/registrations");
            let (status, text) = raw(
                &app,
                request("POST", path.as_bytes(), &[content_type], body),
            )
            .await;
            if !(200..500).contains(&status) {
                failures.push(format!(
                    "POST {path} {:?} -> {status}: {}",
                    String::from_utf8_lossy(body),
                    text.lines().next().unwrap_or("")
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} answers outside 2xx-4xx:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// A fresh organizer API token for the account behind `email`.
async fn session_token(app: &TestApp, email: &str) -> String {
    let answer = app
        .post(
            "/api/v1/auth/token",
            None,
            json!({"email": email, "password": PASSWORD}),
        )
        .await;
    answer.body["token"].as_str().unwrap().to_owned()
}

/// The database and its journals, the mail folder and its files: only the owner may read them.
#[actix_web::test]
async fn files_with_personal_data_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let folder = tempfile::tempdir().unwrap();
    let mail = folder.path().join("mail");
    let mail_url = format!("file://{}", mail.display());
    let app = spawn_app_with(crate::support::Backend::Sqlite, |s| s.mail_url = mail_url).await;
    let organizer = app.organizer().await;
    let slug = app.meeting(&organizer, json!({})).await;
    let answer = app
        .register(&slug, TestApp::registration_body("ana@example.org"))
        .await;
    assert_eq!(answer.status, 202);
    app.outbox_drained(&organizer, &slug).await;
    let mode = |path: &std::path::Path| {
        std::fs::metadata(path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            .permissions()
            .mode()
            & 0o777
    };
    let db = std::path::PathBuf::from(app.db.url());
    for path in [
        db.clone(),
        db.with_extension("db-wal"),
        db.with_extension("db-shm"),
    ] {
        assert_eq!(mode(&path), 0o600, "{}", path.display());
    }
    assert_eq!(mode(&mail), 0o700, "the mail folder Convene created");
    let files: Vec<_> = std::fs::read_dir(&mail)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert!(!files.is_empty());
    for file in files {
        assert_eq!(mode(&file), 0o600, "{}", file.display());
    }
}
