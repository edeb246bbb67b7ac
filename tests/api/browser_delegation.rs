//! In a real headless Chromium: a focal point names a delegate from their delegation's page,
//! and the delegate registers through the emailed invitation on a phone, in Spanish.

use crate::browser::Browser;
use crate::on_both_backends;
use crate::support::{spawn_app, Backend};
use serde_json::json;

on_both_backends!(a_focal_point_names_a_delegate_who_registers_on_a_phone_in_spanish);
async fn a_focal_point_names_a_delegate_who_registers_on_a_phone_in_spanish(backend: Backend) {
    let Some(browser) = Browser::start(&format!("delegation-{backend:?}").to_lowercase()).await
    else {
        return;
    };
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = app.meeting(&organizer, json!({})).await;
    for (path, body) in [
        (
            "categories",
            json!({"code": "delegate", "name": "Delegate", "invitation_only": true,
            "translations": {"es": {"name": "Delegada o delegado"}}}),
        ),
        (
            "questions",
            json!({"code": "arrival", "label": "Arrival date", "kind": "date", "required": true,
            "translations": {"es": {"label": "Fecha de llegada"}}}),
        ),
        (
            "questions",
            json!({"code": "visa_letter", "label": "Do you need a visa letter?", "kind": "yes_no",
            "required": true, "categories": ["delegate"],
            "translations": {"es": {"label": "¿Necesita una carta para la visa?"}}}),
        ),
        (
            "delegations",
            json!({"organization": {"name": "Centro de Información Tecún Umán",
            "kind": "information_hub", "country": "GT"}, "seats": 2, "category": "delegate",
            "focal_point": {"email": "marta@example.org", "full_name": "Marta Juárez", "language": "es"}}),
        ),
    ] {
        let made = app
            .post(
                &format!("/api/v1/meetings/{slug}/{path}"),
                Some(&organizer),
                body,
            )
            .await;
        assert_eq!(made.status, 201, "{path}: {}", made.text);
    }
    let mail = &app.smtp.wait_for("marta@example.org", 1).await[0];
    let start = mail.text.find("/d/").expect("the focal point's link") + 3;
    let focal = &mail.text[start..start + 64];

    // The focal point, on their delegation's page, names a delegate.
    let b = &browser;
    b.client
        .goto(&format!("{}/d/{focal}", app.address))
        .await
        .unwrap();
    b.wait_for("Delegación de Centro de Información Tecún Umán")
        .await;
    b.screenshot("01-focal-point").await;
    b.fill("full_name", "Luis Ajú Tzoc").await;
    b.fill("email", "luis.aju@example.org").await;
    b.choose("language", "es").await;
    b.click("form[action^='/d/'] button[type=submit]").await;
    b.wait_for("Invitación enviada a luis.aju@example.org")
        .await;
    b.wait_for("Luis Ajú Tzoc").await;
    b.screenshot("02-nominated").await;

    // The delegate opens the invitation on a phone: Spanish, the address fixed, the
    // delegates' question asked.
    let invitation = app.smtp.wait_for("luis.aju@example.org", 1).await[0].invitation_token();
    b.resize(360).await;
    b.client
        .goto(&format!("{}/i/{invitation}", app.address))
        .await
        .unwrap();
    b.wait_for("Está invitada o invitado a participar como Delegada o delegado")
        .await;
    let page = b.text().await;
    assert!(
        page.contains("luis.aju@example.org") && page.contains("¿Necesita una carta para la visa?")
    );
    assert!(
        !b.scrolls_sideways().await,
        "the form fits a 360-pixel phone"
    );
    let name = b
        .eval("return document.getElementById('full_name').value;")
        .await;
    assert_eq!(
        name, "Luis Ajú Tzoc",
        "what the invitation knows is filled in"
    );
    b.screenshot("03-invitation-phone").await;
    b.fill("job_title", "Coordinador").await;
    b.choose("country", "GT").await;
    b.choose("organization_kind", "information_hub").await;
    b.choose("organization_country", "GT").await;
    b.set_value("answers_arrival", "2030-05-28").await;
    b.click("#answers_visa_letter-yes").await;
    b.click("#consent_data_processing").await;
    b.click("form[action^='/i/'] button[type=submit]").await;
    b.wait_for("Su lugar está confirmado").await;
    b.screenshot("04-registered-phone").await;
    assert!(!b.scrolls_sideways().await);

    let registered = app.registrations(&organizer, &slug, "").await;
    assert_eq!(registered.len(), 1);
    let luis = &registered[0];
    assert_eq!(luis["email"], "luis.aju@example.org");
    assert_eq!(
        (luis["status"].as_str(), luis["category"].as_str()),
        (Some("confirmed"), Some("delegate"))
    );
    assert_eq!(
        luis["answers"],
        json!({"arrival": "2030-05-28", "visa_letter": true})
    );
    assert_eq!(luis["language"], "es");
    let own = app.get("/api/v1/delegation", Some(focal)).await;
    assert_eq!(own.body["nominations"][0]["status"], "confirmed");
    browser.close().await;
}
