//! Pages without a browser: fetch and post as a browser would, check a page is sound HTML5,
//! read its forms, log in through the login form.

use super::TestApp;

pub struct Page {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

pub async fn fetch(app: &TestApp, path: &str, accept_language: Option<&str>) -> Page {
    let mut request = app.client.get(format!("{}{path}", app.address));
    if let Some(language) = accept_language {
        request = request.header("Accept-Language", language);
    }
    let response = request.send().await.unwrap();
    Page {
        status: response.status().as_u16(),
        headers: response.headers().clone(),
        body: response.text().await.unwrap(),
    }
}

pub async fn post_form(app: &TestApp, path: &str, fields: &[(&str, &str)]) -> Page {
    let response = app
        .client
        .post(format!("{}{path}", app.address))
        .form(fields)
        .send()
        .await
        .unwrap();
    Page {
        status: response.status().as_u16(),
        headers: response.headers().clone(),
        body: response.text().await.unwrap(),
    }
}

/// Parses the page as HTML5 and fails on any parse error; checks the headers every page has.
pub fn assert_sound(page: &Page, what: &str) {
    let document = scraper::Html::parse_document(&page.body);
    assert!(
        document.errors.is_empty(),
        "{what}: HTML errors {:?}",
        document.errors
    );
    let csp = page.headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("frame-ancestors 'none'")
            && !csp.contains("script-src")
            && csp.contains("default-src 'none'"),
        "{what}: {csp}"
    );
    assert_eq!(page.headers["x-content-type-options"], "nosniff", "{what}");
    assert_eq!(page.headers["referrer-policy"], "no-referrer", "{what}");
    assert!(
        !page.body.contains("<script"),
        "{what}: no scripts, and nothing typed becomes one"
    );
}

pub fn select<'a>(document: &'a scraper::Html, css: &str) -> Vec<scraper::ElementRef<'a>> {
    document
        .select(&scraper::Selector::parse(css).unwrap())
        .collect()
}

/// What a browser would submit from the page's form whose action ends with `action`: inputs
/// (checked boxes only), textareas and selected options.
pub fn form_values(page: &Page, action: &str) -> Vec<(String, String)> {
    let document = scraper::Html::parse_document(&page.body);
    let form = select(&document, &format!("form[action$='{action}']"))[0];
    let mut values = Vec::new();
    for field in form.select(&scraper::Selector::parse("input, textarea, select").unwrap()) {
        let element = field.value();
        let Some(name) = element.attr("name") else {
            continue;
        };
        let value = match element.name() {
            "textarea" => field.text().collect::<String>(),
            "select" => field
                .select(&scraper::Selector::parse("option[selected]").unwrap())
                .next()
                .and_then(|o| o.value().attr("value"))
                .unwrap_or("")
                .to_owned(),
            _ if element.attr("type") == Some("checkbox") && element.attr("checked").is_none() => {
                continue
            }
            _ => element.attr("value").unwrap_or("").to_owned(),
        };
        values.push((name.to_owned(), value));
    }
    values
}

/// The login form's cookie (`name=value`) and hidden token, as a browser gets them with the
/// page; empty when the page has none.
pub async fn login_form(app: &TestApp) -> (String, String) {
    let response = app
        .client
        .get(format!("{}/organizer/login", app.address))
        .send()
        .await
        .unwrap();
    let cookie = set_cookie(response.headers(), "convene_login=")
        .map(|c| c.split(';').next().unwrap().to_owned())
        .unwrap_or_default();
    let body = response.text().await.unwrap();
    let document = scraper::Html::parse_document(&body);
    let token = select(&document, "input[name=login_token]")
        .first()
        .and_then(|input| input.value().attr("value"))
        .unwrap_or("")
        .to_owned();
    (cookie, token)
}

/// The `Set-Cookie` value that starts with `prefix`.
pub fn set_cookie(headers: &reqwest::header::HeaderMap, prefix: &str) -> Option<String> {
    headers
        .get_all("set-cookie")
        .iter()
        .map(|c| c.to_str().unwrap().to_owned())
        .find(|c| c.starts_with(prefix))
}

/// Logs in through the form, as a browser would from the login page; answers the session
/// cookie.
pub async fn log_in(app: &TestApp, email: &str, password: &str) -> Option<String> {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let (form_cookie, token) = login_form(app).await;
    let response = client
        .post(format!("{}/organizer/login", app.address))
        .header("Cookie", form_cookie)
        .form(&[
            ("email", email),
            ("password", password),
            ("next", "/organizer"),
            ("login_token", &token),
        ])
        .send()
        .await
        .unwrap();
    let cookie = set_cookie(response.headers(), "convene_session=")?;
    assert_eq!(response.status(), 303);
    assert!(
        cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Lax")
            && !cookie.contains("Secure"),
        "{cookie}"
    );
    Some(cookie.split(';').next().unwrap().to_owned())
}

pub async fn with_cookie(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    cookie: &str,
    form: &[(&str, &str)],
) -> Page {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut request = client
        .request(method, format!("{}{path}", app.address))
        .header("Cookie", cookie);
    if !form.is_empty() {
        request = request.form(form);
    }
    let response = request.send().await.unwrap();
    Page {
        status: response.status().as_u16(),
        headers: response.headers().clone(),
        body: response.text().await.unwrap(),
    }
}

pub fn csrf_of(page: &Page) -> String {
    let document = scraper::Html::parse_document(&page.body);
    select(&document, "input[name=csrf]")[0]
        .value()
        .attr("value")
        .unwrap()
        .to_owned()
}

/// A dashboard session of the meeting's organizer (the account `app.organizer()` made), through
/// the login form.
pub async fn organizer_session(app: &TestApp) -> String {
    log_in(app, &organizer_email(app), "a long organizer password")
        .await
        .expect("a session")
}

/// The address of the organizer account `app.organizer()` made (the first account).
pub fn organizer_email(app: &TestApp) -> String {
    use diesel::prelude::*;
    convene::schema::accounts::table
        .select(convene::schema::accounts::email)
        .first::<String>(&mut app.db.connect())
        .unwrap()
}
