//! In a real headless Chromium: the check-in desk on a phone. A helper searches as they type,
//! checks a person in and undoes it; then the network drops (the browser's offline mode), two
//! check-ins wait on the device, and they are sent when it comes back, counted once.

use crate::browser::Browser;
use crate::checkin::{confirmed, desk_token, ongoing_meeting};
use crate::on_both_backends;
use crate::support::{spawn_app, Backend, TestApp};
use std::time::Duration;

async fn arrivals(app: &TestApp, organizer: &str, slug: &str) -> i64 {
    let stats = app.stats(organizer, slug).await;
    stats["attendance"]
        .as_object()
        .map(|days| days.values().filter_map(|n| n.as_i64()).sum())
        .unwrap_or(0)
}

/// Waits until the desk's script has its copy of the list.
async fn ready(browser: &Browser) {
    for _ in 0..100 {
        let state = browser
            .eval("return document.getElementById('desk').dataset.ready || '';")
            .await;
        if state == "yes" {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "the desk's script never loaded the list: {}",
        browser.text().await
    );
}

async fn find_and_check_in(browser: &Browser, name: &str, id: &str) {
    browser.fill("q", name).await;
    browser
        .click(&format!("#desk-results li[data-id='{id}'] button"))
        .await;
}

on_both_backends!(a_desk_searches_checks_in_undoes_and_keeps_going_offline);
async fn a_desk_searches_checks_in_undoes_and_keeps_going_offline(backend: Backend) {
    let Some(browser) = Browser::start(&format!("desk-{backend:?}").to_lowercase()).await else {
        return;
    };
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = ongoing_meeting(&app, &organizer).await;
    let luis = confirmed(&app, &slug, "luis@example.org", "Luis Ajú").await;
    let ana = confirmed(&app, &slug, "ana@example.org", "Ana Peña").await;
    let marta = confirmed(&app, &slug, "marta@example.org", "Marta Juárez").await;
    let id = |person: &serde_json::Value| person["id"].as_str().unwrap().to_owned();
    let desk = desk_token(&app, &organizer, &slug, "Puerta").await;
    let link = desk["link"].as_str().unwrap();

    browser.client.goto(link).await.unwrap();
    ready(&browser).await;
    // Accents need not be typed: "aju" finds "Ajú".
    find_and_check_in(&browser, "aju", &id(&luis)).await;
    browser.wait_for("Luis Ajú: llegada registrada").await;
    browser.screenshot("checked-in").await;
    assert_eq!(arrivals(&app, &organizer, &slug).await, 1);
    browser
        .click(&format!("#desk-arrived li[data-id='{}'] button", id(&luis)))
        .await;
    browser.wait_for("Se deshizo la llegada de Luis Ajú").await;
    assert_eq!(arrivals(&app, &organizer, &slug).await, 0);

    browser.offline(true).await;
    find_and_check_in(&browser, "peña", &id(&ana)).await;
    browser
        .wait_for("Ana Peña: guardada en este dispositivo")
        .await;
    find_and_check_in(&browser, "marta", &id(&marta)).await;
    browser.wait_for("2 llegadas por enviar").await;
    browser.screenshot("offline").await;
    assert_eq!(
        arrivals(&app, &organizer, &slug).await,
        0,
        "nothing reached the server while offline"
    );

    browser.offline(false).await;
    let mut sent = 0;
    for _ in 0..200 {
        sent = arrivals(&app, &organizer, &slug).await;
        if sent == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(sent, 2, "the two queued check-ins were sent, once each");
    browser.wait_for("se enviaron todas las llegadas").await;
    browser.screenshot("synced").await;
    let count = browser
        .eval("return document.getElementById('desk-count').textContent;")
        .await;
    assert_eq!(count, "2 de 3 han llegado hoy");
    browser.close().await;
}
