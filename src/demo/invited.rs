//! How the demo meeting fills: its categories (delegates by invitation, observers, the press),
//! its three questions, two delegations with their nominees, and the organizers' invitations,
//! some used, some not.

use crate::db::DbConn;
use crate::delegations::{self, DelegationDraft, DelegationForm, FocalPointForm};
use crate::error::AppResult;
use crate::invitations::{self, InvitationForm, NewInvitation};
use crate::meetings::categories::{self, CategoryDraft, CategoryForm, CategoryText};
use crate::meetings::questions::{self, QuestionDraft, QuestionForm};
use crate::meetings::Meeting;
use crate::registrations::model::{NewRegistration, OrganizationForm, RegistrationForm};
use chrono::NaiveDateTime;
use serde_json::json;
use std::collections::BTreeMap;

/// Delegates of the hubs and agencies come by invitation; observers register themselves;
/// journalists are accredited by hand.
pub fn categories(
    conn: &mut DbConn,
    meeting: &Meeting,
    account: &str,
    now: NaiveDateTime,
) -> AppResult<()> {
    let made = [
        (
            "delegate",
            "Delegate",
            "Delegada o delegado",
            Some(90),
            true,
            false,
        ),
        (
            "observer",
            "Observer",
            "Observadora u observador",
            Some(25),
            false,
            false,
        ),
        ("media", "Media", "Prensa", Some(5), false, true),
    ];
    for (code, name, name_es, capacity, invitation_only, press) in made {
        let form = CategoryForm {
            code: Some(code.to_owned()),
            name: Some(name.to_owned()),
            translations: Some(BTreeMap::from([(
                "es".to_owned(),
                CategoryText {
                    name: Some(name_es.to_owned()),
                },
            )])),
            capacity,
            requires_approval: Some(false),
            invitation_only: Some(invitation_only),
            press_accreditation: Some(press),
        };
        categories::store::create(conn, meeting, &CategoryDraft::parse(&form)?, account, now)?;
    }
    Ok(())
}

/// The meeting starts with `participant`; the demo's people are delegates and observers.
pub fn drop_first_category(
    conn: &mut DbConn,
    meeting: &Meeting,
    account: &str,
    now: NaiveDateTime,
) -> AppResult<()> {
    categories::store::delete(conn, meeting, categories::DEFAULT_CODE, account, now)
}

/// Arrival date (everyone), sessions of interest (everyone), a visa letter (delegates).
pub fn questions(
    conn: &mut DbConn,
    meeting: &Meeting,
    account: &str,
    now: NaiveDateTime,
) -> AppResult<()> {
    let asked = [
        json!({"code": "arrival", "label": "Arrival date", "kind": "date", "required": true,
            "translations": {"es": {"label": "Fecha de llegada"}}}),
        json!({"code": "sessions", "label": "Sessions of interest", "kind": "multi_choice",
            "translations": {"es": {"label": "Sesiones de interés"}},
            "options": [
                {"code": "referral", "label": "Referral pathways", "translations": {"es": {"label": "Rutas de derivación"}}},
                {"code": "data", "label": "Shared data and privacy", "translations": {"es": {"label": "Datos compartidos y privacidad"}}},
                {"code": "digital", "label": "Information online", "translations": {"es": {"label": "Información en línea"}}}]}),
        json!({"code": "visa_letter", "label": "Do you need a letter for a visa?", "kind": "yes_no",
            "required": true, "categories": ["delegate"],
            "translations": {"es": {"label": "¿Necesita una carta para la visa?"}}}),
    ];
    for body in asked {
        let form: QuestionForm = serde_json::from_value(body).map_err(anyhow::Error::from)?;
        questions::store::create(conn, meeting, &QuestionDraft::parse(&form)?, account, now)?;
    }
    Ok(())
}

/// The answers a seeded participant gave, by their place in the list.
pub fn answers(i: usize, delegate: bool, meeting: &Meeting) -> serde_json::Value {
    let arrival = (meeting.starts_at.date() - chrono::Days::new(1 + (i % 2) as u64))
        .format("%Y-%m-%d")
        .to_string();
    let sessions = match i % 3 {
        0 => json!(["referral", "data"]),
        1 => json!(["digital"]),
        _ => json!([]),
    };
    let mut answers = json!({"arrival": arrival, "sessions": sessions});
    if delegate {
        answers["visa_letter"] = json!(i % 4 == 1);
    }
    answers
}

/// Registers `email` through the invitation as its link would: a token made and bound to the
/// invitation (as the email worker makes one), then the registration with it.
fn register_through(
    conn: &mut DbConn,
    meeting: &Meeting,
    invitation: &invitations::Invitation,
    full_name: &str,
    i: usize,
    now: NaiveDateTime,
) -> AppResult<()> {
    let token = crate::accounts::tokens::generate();
    invitations::store::store_link(conn, &invitation.id, &token)?;
    let mut form = RegistrationForm {
        full_name: Some(full_name.to_owned()),
        organization: Some(OrganizationForm {
            name: invitation.organization_name.clone(),
            kind: invitation.organization_kind.clone(),
            country: invitation.country.clone(),
        }),
        country: invitation.country.clone(),
        language: Some(invitation.language.clone()),
        consent_data_processing: Some(true),
        consent_press_listing: Some(true),
        answers: serde_json::from_value(answers(i, invitation.category == "delegate", meeting))
            .ok(),
        ..Default::default()
    };
    invitations::routes::bind(&mut form, invitation)?;
    let asked = questions::store::questionnaire(conn, &meeting.id)?;
    let new = NewRegistration::parse(&form, &asked)?;
    invitations::store::register(conn, meeting, &token, &new, now)?;
    Ok(())
}

/// Two delegations: a hub with 2 seats (one delegate registered, one invited) and a UN agency
/// with 3 (one registered, one invited, one seat still open).
pub fn delegations(
    conn: &mut DbConn,
    meeting: &Meeting,
    account: &str,
    now: NaiveDateTime,
) -> AppResult<()> {
    let given = [
        (
            "Centro de Información Tecún Umán",
            "information_hub",
            "GT",
            2,
            "focal.tecun@demo.convene.example",
            "Marta Juárez",
            [
                ("Luis Ajú", "luis.aju@demo.convene.example", true),
                ("Rosa Tzoc", "rosa.tzoc@demo.convene.example", false),
            ]
            .as_slice(),
        ),
        (
            "UNICEF Oficina Regional",
            "un_agency",
            "PA",
            3,
            "focal.unicef@demo.convene.example",
            "Daniel Ortega Ríos",
            [
                ("Paula Medina", "paula.medina@demo.convene.example", true),
                ("Iván Castro", "ivan.castro@demo.convene.example", false),
            ]
            .as_slice(),
        ),
    ];
    for (i, (org, kind, country, seats, focal, focal_name, nominees)) in
        given.into_iter().enumerate()
    {
        let form = DelegationForm {
            organization: Some(OrganizationForm {
                name: Some(org.to_owned()),
                kind: Some(kind.to_owned()),
                country: Some(country.to_owned()),
            }),
            seats: Some(seats),
            category: Some("delegate".to_owned()),
            focal_point: Some(FocalPointForm {
                email: Some(focal.to_owned()),
                full_name: Some(focal_name.to_owned()),
                language: Some("es".to_owned()),
            }),
            nomination_deadline: Some(
                meeting.rfc3339(meeting.starts_at - chrono::TimeDelta::days(14)),
            ),
            unused_seats: Some("release".to_owned()),
        };
        let delegation = delegations::store::create(
            conn,
            meeting,
            &DelegationDraft::parse(&form)?,
            account,
            now,
        )?;
        for (j, (name, email, registered)) in nominees.iter().enumerate() {
            let new = NewInvitation::parse(&InvitationForm {
                email: Some((*email).to_owned()),
                full_name: Some((*name).to_owned()),
                language: Some("es".to_owned()),
                ..Default::default()
            })?;
            let invitation = delegations::store::nominate(conn, &delegation.id, &new, now)?;
            if *registered {
                register_through(conn, meeting, &invitation, name, i * 3 + j, now)?;
            }
        }
    }
    Ok(())
}

/// Observers the organizers invited: two registered through the link, three not yet.
pub fn invitations(
    conn: &mut DbConn,
    meeting: &Meeting,
    account: &str,
    now: NaiveDateTime,
) -> AppResult<()> {
    let invited = [
        (
            "Elena Vargas",
            "elena.vargas@demo.convene.example",
            "Médicos del Mundo",
            "civil_society",
            "MX",
            true,
        ),
        (
            "Tomás Quiroga",
            "tomas.quiroga@demo.convene.example",
            "Universidad Centroamericana",
            "academia",
            "SV",
            true,
        ),
        (
            "Claire Dubois",
            "claire.dubois@demo.convene.example",
            "Embassy of Canada",
            "government",
            "MX",
            false,
        ),
        (
            "Jorge Aguilar",
            "jorge.aguilar@demo.convene.example",
            "Cruz Roja Hondureña",
            "civil_society",
            "HN",
            false,
        ),
        (
            "Ines Moreira",
            "ines.moreira@demo.convene.example",
            "Fondo Regional para la Movilidad Humana",
            "donor",
            "PA",
            false,
        ),
    ];
    for (i, (name, email, org, kind, country, registered)) in invited.into_iter().enumerate() {
        let new = NewInvitation::parse(&InvitationForm {
            email: Some(email.to_owned()),
            full_name: Some(name.to_owned()),
            organization: Some(OrganizationForm {
                name: Some(org.to_owned()),
                kind: Some(kind.to_owned()),
                country: Some(country.to_owned()),
            }),
            category: Some("observer".to_owned()),
            language: Some(if i == 2 { "en" } else { "es" }.to_owned()),
        })?;
        let sender = invitations::store::Sender::Organizer(account);
        let invitation = invitations::store::create(conn, meeting, &new, sender, now)?;
        if registered {
            register_through(conn, meeting, &invitation, name, i, now)?;
        }
    }
    Ok(())
}
