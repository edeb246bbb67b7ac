//! The organizer's check-in tab: charts of who came, a desk link made (shown once) and
//! revoked (after asking), and the files (attendance, badges, a certificate) through the
//! dashboard's session. Both backends.

use crate::checkin::{confirmed, ongoing_meeting};
use crate::on_both_backends;
use crate::support::html::{assert_sound, csrf_of, fetch, organizer_session, select, with_cookie};
use crate::support::{spawn_app, Backend};
use reqwest::Method;

on_both_backends!(the_check_in_tab_makes_desk_links_and_serves_the_files);
async fn the_check_in_tab_makes_desk_links_and_serves_the_files(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = ongoing_meeting(&app, &organizer).await;
    let ana = confirmed(&app, &slug, "ana@example.org", "Ana Peña").await;
    confirmed(&app, &slug, "luis@example.org", "Luis Ajú").await;
    let cookie = organizer_session(&app).await;
    let tab = format!("/organizer/m/{slug}/check-in");

    let page = with_cookie(&app, Method::GET, &tab, &cookie, &[]).await;
    assert_eq!(page.status, 200);
    assert_sound(&page, "the check-in tab");
    let csrf = csrf_of(&page);
    let made = with_cookie(
        &app,
        Method::POST,
        &tab,
        &cookie,
        &[("csrf", &csrf), ("label", "Puerta principal")],
    )
    .await;
    assert_eq!(made.status, 201, "{}", made.body);
    let document = scraper::Html::parse_document(&made.body);
    let link = select(&document, "p.once")[0].text().collect::<String>();
    let desk_path = link.trim_start_matches(&app.address).to_owned();
    assert!(desk_path.starts_with("/desk/"), "{link}");
    assert_eq!(fetch(&app, &desk_path, None).await.status, 200);

    // The desk checks Ana in; the tab counts her, and lists her certificate.
    let id = ana["id"].as_str().unwrap();
    let checked = crate::support::html::post_form(
        &app,
        &format!("{desk_path}/check-in"),
        &[("registration_id", id), ("nonce", "tab-test-nonce")],
    )
    .await;
    assert_eq!(checked.status, 200);
    let page = with_cookie(&app, Method::GET, &tab, &cookie, &[]).await;
    let certificate = format!("/organizer/m/{slug}/registrations/{id}/certificate.pdf");
    assert!(page.body.contains(&certificate), "{}", page.body);
    assert!(
        !page.body.contains("Luis Ajú"),
        "only who came has a certificate"
    );

    let csv = with_cookie(
        &app,
        Method::GET,
        &format!("/organizer/m/{slug}/attendance.csv"),
        &cookie,
        &[],
    )
    .await;
    assert_eq!(csv.status, 200);
    let rows = crate::press::python_csv(csv.body.as_bytes());
    assert_eq!(rows.len(), 3, "{}", csv.body);
    for (path, kind) in [
        (
            format!("/organizer/m/{slug}/badges.pdf?id={id}"),
            "application/pdf",
        ),
        (certificate.clone(), "application/pdf"),
    ] {
        let file = with_cookie(&app, Method::GET, &path, &cookie, &[]).await;
        assert_eq!(file.status, 200, "{path}");
        assert_eq!(file.headers["content-type"], kind, "{path}");
    }
    let person = with_cookie(
        &app,
        Method::GET,
        &format!("/organizer/m/{slug}/registrations/{id}"),
        &cookie,
        &[],
    )
    .await;
    assert!(person.body.contains(&format!("badges.pdf?id={id}")));

    // Revoking asks first, then the desk stops at once.
    let tokens = app
        .get(
            &format!("/api/v1/meetings/{slug}/desk-tokens"),
            Some(&organizer),
        )
        .await;
    // The list tells which desk is in use.
    assert_eq!(tokens.body["items"][0]["uses"], 1, "{}", tokens.text);
    assert!(tokens.body["items"][0]["last_used_at"].is_string());
    let token_id = tokens.body["items"][0]["id"].as_str().unwrap().to_owned();
    let revoke = format!("{tab}/{token_id}/revoke");
    let asked = with_cookie(&app, Method::POST, &revoke, &cookie, &[("csrf", &csrf)]).await;
    assert_eq!(asked.status, 200);
    assert!(asked.body.contains("Puerta principal"));
    assert_eq!(fetch(&app, &desk_path, None).await.status, 200, "not yet");
    let done = with_cookie(
        &app,
        Method::POST,
        &revoke,
        &cookie,
        &[("csrf", &csrf), ("confirmed", "yes")],
    )
    .await;
    assert_eq!(done.status, 303);
    assert_eq!(fetch(&app, &desk_path, None).await.status, 404);
}
