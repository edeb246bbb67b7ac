//! Badges and certificates of attendance, read back by an independent PDF reader
//! (`pdftotext`): the right names, accents included, one badge per person chosen, and a
//! certificate in its holder's language only once they came. Both backends.

use crate::checkin::{confirmed, desk_token, ongoing_meeting};
use crate::on_both_backends;
use crate::support::{spawn_app, tools, Backend, TestApp};
use serde_json::json;

/// Keeps a PDF in `test-artifacts/documents/` (not committed), for a person to look at.
pub(crate) fn keep(name: &str, bytes: &[u8]) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("test-artifacts")
        .join("documents");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(name), bytes).unwrap();
}

/// The text of a PDF, as pdftotext reads it.
pub fn pdf_text(bytes: &[u8]) -> String {
    let program = tools::pdftotext().unwrap_or_else(|e| panic!("pdftotext is needed: {e}"));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("document.pdf");
    std::fs::write(&path, bytes).unwrap();
    let output = std::process::Command::new(program)
        .args(["-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "pdftotext: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

pub(crate) async fn pdf(app: &TestApp, path: &str, token: &str) -> (u16, Vec<u8>) {
    let response = app
        .client
        .get(format!("{}{path}", app.address))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    if status == 200 {
        assert_eq!(
            response.headers()["content-type"].to_str().unwrap(),
            "application/pdf"
        );
    }
    (status, response.bytes().await.unwrap().to_vec())
}

fn occurrences(text: &str, name: &str) -> usize {
    text.matches(name).count()
}

on_both_backends!(badges_show_each_chosen_person_once_with_accents);
async fn badges_show_each_chosen_person_once_with_accents(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = app.meeting(&organizer, json!({})).await;
    let names = [
        "José Ñúñez Peña",
        "Ana María Pérez",
        "Zoë Çelik",
        "María de los Ángeles Hernández Villalobos de la Santísima Trinidad",
    ];
    let mut ids = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let view = confirmed(&app, &slug, &format!("p{i}@example.org"), name).await;
        ids.push(view["id"].as_str().unwrap().to_owned());
    }
    let (status, bytes) = pdf(
        &app,
        &format!("/api/v1/meetings/{slug}/badges.pdf"),
        &organizer,
    )
    .await;
    assert_eq!(status, 200);
    keep(&format!("badges-{backend:?}.pdf"), &bytes);
    let text = pdf_text(&bytes);
    // The long name may wrap onto two lines: read it with the line breaks as spaces.
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for name in names {
        assert_eq!(
            occurrences(&flat, name),
            1,
            "{name} once, whole, in:\n{text}"
        );
    }
    assert!(flat.contains("Centro de Información Tapachula"), "{text}");

    let chosen = format!(
        "/api/v1/meetings/{slug}/badges.pdf?id={}&id={}",
        ids[0], ids[2]
    );
    let (status, bytes) = pdf(&app, &chosen, &organizer).await;
    assert_eq!(status, 200);
    let flat = pdf_text(&bytes)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert_eq!(occurrences(&flat, names[0]), 1, "{flat}");
    assert_eq!(occurrences(&flat, names[2]), 1, "{flat}");
    assert_eq!(occurrences(&flat, names[1]), 0, "{flat}");

    let info = std::process::Command::new("pdfinfo")
        .arg("-")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(&bytes)?;
            child.wait_with_output()
        })
        .expect("pdfinfo (poppler-utils) runs");
    let info = String::from_utf8_lossy(&info.stdout);
    assert!(info.contains("(A4)"), "A4 sheets: {info}");
    // Nine people: two sheets.
    for i in 4..9 {
        confirmed(
            &app,
            &slug,
            &format!("p{i}@example.org"),
            &format!("Persona Número {i}"),
        )
        .await;
    }
    let (_, bytes) = pdf(
        &app,
        &format!("/api/v1/meetings/{slug}/badges.pdf"),
        &organizer,
    )
    .await;
    let pages = pdf_text(&bytes).matches('\u{c}').count();
    assert_eq!(pages, 2, "eight badges a sheet");

    let bad = app
        .get(
            &format!("/api/v1/meetings/{slug}/badges.pdf?status=nobody&category=NO"),
            Some(&organizer),
        )
        .await;
    assert_eq!(bad.status, 422);
    let mut fields = bad.field_errors();
    fields.sort();
    assert_eq!(fields, ["category", "status"]);
}

on_both_backends!(a_certificate_comes_in_its_holder_s_language_once_they_came);
async fn a_certificate_comes_in_its_holder_s_language_once_they_came(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = ongoing_meeting(&app, &organizer).await;
    let signed = app
        .patch(
            &format!("/api/v1/meetings/{slug}"),
            Some(&organizer),
            json!({"signatory_name": "Dra. Lucía Ramírez", "signatory_title": "Jefa de Misión, OIM México"}),
        )
        .await;
    assert_eq!(signed.status, 200, "{}", signed.text);
    let ana = confirmed(&app, &slug, "ana@example.org", "Ana María Peña").await;
    let mut english = TestApp::registration_body("sam@example.org");
    english["full_name"] = json!("Samuel Ó Briain");
    english["language"] = json!("en");
    let token = app.register_and_read_token(&slug, english).await;
    assert_eq!(app.confirm(&token).await.status, 200);
    let sam_manage = app.smtp.wait_for("sam@example.org", 2).await[1].manage_token();
    let ana_manage = ana["manage_token"].as_str().unwrap();

    let early = app
        .get("/api/v1/registration/certificate.pdf", Some(ana_manage))
        .await;
    assert_eq!(early.status, 409, "not before they came");
    assert_eq!(early.error_code(), "not_attended");

    let desk = desk_token(&app, &organizer, &slug, "Puerta").await;
    let desk = desk["token"].as_str().unwrap();
    for code in [
        &ana["checkin_code"],
        &app.get("/api/v1/registration", Some(&sam_manage))
            .await
            .body["checkin_code"],
    ] {
        let answer = app
            .post(
                "/api/v1/desk/check-ins",
                Some(desk),
                json!({"code": code, "nonce": uuid::Uuid::new_v4().to_string()}),
            )
            .await;
        assert_eq!(answer.status, 200, "{}", answer.text);
    }

    let (status, bytes) = pdf(&app, "/api/v1/registration/certificate.pdf", ana_manage).await;
    assert_eq!(status, 200);
    keep(&format!("certificate-es-{backend:?}.pdf"), &bytes);
    let text = pdf_text(&bytes);
    for expected in [
        "CONSTANCIA DE ASISTENCIA",
        "Ana María Peña",
        "de Centro de Información Tapachula",
        "Intercambio regional de centros de información",
        "el siguiente día:",
        "Dra. Lucía Ramírez",
        "Jefa de Misión, OIM México",
    ] {
        assert!(text.contains(expected), "{expected} in:\n{text}");
    }
    let (status, bytes) = pdf(&app, "/api/v1/registration/certificate.pdf", &sam_manage).await;
    assert_eq!(status, 200);
    keep(&format!("certificate-en-{backend:?}.pdf"), &bytes);
    let text = pdf_text(&bytes);
    for expected in [
        "CERTIFICATE OF ATTENDANCE",
        "Samuel Ó Briain",
        "Regional exchange of migrant information hubs",
        "on the following day:",
    ] {
        assert!(text.contains(expected), "{expected} in:\n{text}");
    }
    // Listed for the organizers too.
    let id = ana["id"].as_str().unwrap();
    let (status, bytes) = pdf(
        &app,
        &format!("/api/v1/meetings/{slug}/registrations/{id}/certificate.pdf"),
        &organizer,
    )
    .await;
    assert_eq!(status, 200);
    assert!(pdf_text(&bytes).contains("Ana María Peña"));
}
