//! Participant pages: the registration form, the confirmation link, and self-service; what
//! both use (labels, options, the form's fields) is here.

mod invited;
mod manage;
pub(crate) mod questions;
mod signup;
mod travel;
mod travel_change;

use manage::{
    calendar, cancel_question, cancel_registration, delete_question, delete_registration,
    manage_page, save_details, set_press_consent, sign_out,
};
use signup::{
    confirm_question, confirm_submit, registration_form, resend_form, resend_submit,
    submit_registration,
};

use super::model::{OrganizationForm, RegistrationForm};
use super::store;
use crate::db::DbConn;
use crate::error::AppResult;
use crate::i18n::{countries, Catalogue};
use crate::values::{Language, OrganizationKind};
use crate::web::forms::{filled, Field, FormState};
use crate::web::page::PageContext;
use actix_web::web;
use maud::{html, Markup};
use std::collections::HashMap;

/// The registration form and its post: registered first, as the API's sign-up.
pub fn configure_signup(cfg: &mut web::ServiceConfig) {
    cfg.route("/m/{slug}/register", web::get().to(registration_form))
        .route("/m/{slug}/register", web::post().to(submit_registration));
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/m/{slug}/resend", web::get().to(resend_form))
        .route("/m/{slug}/resend", web::post().to(resend_submit))
        .route("/i/{token}", web::get().to(invited::invitation_form))
        .route("/i/{token}", web::post().to(invited::invitation_submit))
        .route("/confirm/{token}", web::get().to(confirm_question))
        .route("/confirm/{token}", web::post().to(confirm_submit))
        .route("/manage/{token}", web::get().to(manage_page))
        .route("/manage/{token}", web::post().to(save_details))
        .route("/manage/{token}/press", web::post().to(set_press_consent))
        .route("/manage/{token}/cancel", web::get().to(cancel_question))
        .route(
            "/manage/{token}/cancel",
            web::post().to(cancel_registration),
        )
        .route("/manage/{token}/delete", web::get().to(delete_question))
        .route(
            "/manage/{token}/delete",
            web::post().to(delete_registration),
        )
        .route("/manage/{token}/sign-out", web::post().to(sign_out))
        .route("/manage/{token}/calendar.ics", web::get().to(calendar))
        .route(
            "/manage/{token}/travel",
            web::post().to(travel_change::save_travel),
        )
        .route(
            "/manage/{token}/visa-letter.pdf",
            web::get().to(travel::manage_letter),
        );
}

type Fields = web::Form<HashMap<String, String>>;

/// The registration form's trap for programs: a field hidden from people.
/// Named like nothing a browser or password manager fills in by itself.
const HONEYPOT: &str = "x_reference";

/// Sorts names as a reader expects: ignoring case and accents (Å with A, É with E).
fn sort_key(name: &str) -> String {
    name.to_lowercase()
        .chars()
        .map(|c| match c {
            'á' | 'à' | 'â' | 'ä' | 'å' | 'ã' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'í' | 'ì' | 'î' | 'ï' => 'i',
            'ó' | 'ò' | 'ô' | 'ö' | 'õ' => 'o',
            'ú' | 'ù' | 'û' | 'ü' => 'u',
            'ç' => 'c',
            other => other,
        })
        .collect()
}

/// Countries by name in the reader's language.
pub fn country_options(language: Language) -> Vec<(String, String)> {
    let mut options: Vec<(String, String)> = countries::COUNTRIES
        .iter()
        .map(|(code, _, _)| (code.to_string(), countries::name(code, language).to_owned()))
        .collect();
    options.sort_by_cached_key(|(_, name)| sort_key(name));
    options
}

pub fn kind_options(t: &Catalogue) -> Vec<(String, String)> {
    OrganizationKind::ALL
        .iter()
        .map(|k| {
            (
                k.as_str().to_owned(),
                t.kind_of_organization(k.as_str()).to_owned(),
            )
        })
        .collect()
}

pub fn language_options() -> Vec<(String, String)> {
    Language::ALL
        .iter()
        .map(|l| {
            (
                l.as_str().to_owned(),
                crate::i18n::catalogue(*l).lang_name.to_owned(),
            )
        })
        .collect()
}

/// A meeting's categories as (code, name) options.
pub fn options_of_categories(names: &HashMap<String, String>) -> Vec<(String, String)> {
    names
        .iter()
        .map(|(code, name)| (code.clone(), name.clone()))
        .collect()
}

/// The fields every participant form shares (registration and self-service).
fn details_fields(
    t: &Catalogue,
    ctx: &PageContext,
    form: &FormState,
    organizations: &[super::model::Organization],
    with_email: bool,
) -> Markup {
    let mut picker: Vec<(String, String)> = organizations
        .iter()
        .map(|o| {
            (
                o.id.clone(),
                format!("{} ({})", o.name, countries::name(&o.country, ctx.lang)),
            )
        })
        .collect();
    picker.push(("other".to_owned(), t.organization_other.to_owned()));
    html! {
        fieldset {
            legend { (t.about_you) }
            (Field::new("full_name", t.full_name).required().autocomplete("name").input(form))
            @if with_email {
                (Field::new("email", t.email).kind("email").required().autocomplete("email").hint(t.email_hint).input(form))
            }
            (Field::new("job_title", t.job_title).autocomplete("organization-title").input(form))
            (Field::new("country", t.country).required().select(form, t.choose, &country_options(ctx.lang)))
            (Field::new("language", t.email_language).required().select(form, t.choose, &language_options()))
        }
        fieldset {
            legend { (t.organization) }
            @if organizations.is_empty() {
                (organization_fields(t, ctx, form))
            } @else {
                (Field::new("organization", t.organization_pick).required().hint(t.organization_pick_hint).select(form, t.choose, &picker))
                // Apart from the picker, and said to be for "another" only: filled in while a
                // listed organisation is picked, they are not used.
                fieldset.nested {
                    legend { (t.organization_other_legend) }
                    (organization_fields(t, ctx, form))
                }
            }
        }
        fieldset {
            legend { (t.needs) }
            p.muted { (t.needs_hint) }
            (Field::new("dietary", t.dietary).textarea(form))
            (Field::new("accessibility", t.accessibility).textarea(form))
            (Field::new("interpretation", t.interpretation).input(form))
        }
    }
}

/// The fields of an organisation not in the picker.
fn organization_fields(t: &Catalogue, ctx: &PageContext, form: &FormState) -> Markup {
    html! {
        (Field::new("organization_name", t.organization_name).autocomplete("organization").input(form))
        (Field::new("organization_kind", t.organization_kind).select(form, t.choose, &kind_options(t)))
        (Field::new("organization_country", t.organization_country).select(form, t.choose, &country_options(ctx.lang)))
    }
}

/// The form's fields as the API's registration body. A picked organisation brings its own
/// name, kind and country.
fn form_to_body(
    conn: &mut DbConn,
    values: &HashMap<String, String>,
) -> AppResult<RegistrationForm> {
    let get = |name: &str| filled(values, name);
    let organization = match get("organization").filter(|o| o != "other") {
        Some(id) => {
            let known = store::organization(conn, &id).ok();
            OrganizationForm {
                name: known.as_ref().map(|o| o.name.clone()),
                kind: known.as_ref().map(|o| o.kind.clone()),
                country: known.map(|o| o.country),
            }
        }
        None => OrganizationForm {
            name: get("organization_name"),
            kind: get("organization_kind"),
            country: get("organization_country"),
        },
    };
    Ok(RegistrationForm {
        full_name: get("full_name"),
        email: get("email"),
        organization: Some(organization),
        job_title: get("job_title"),
        country: get("country"),
        language: get("language"),
        consent_data_processing: Some(
            values
                .get("consent_data_processing")
                .is_some_and(|v| v == "on"),
        ),
        consent_press_listing: Some(
            values
                .get("consent_press_listing")
                .is_some_and(|v| v == "on"),
        ),
        dietary: get("dietary"),
        accessibility: get("accessibility"),
        interpretation: get("interpretation"),
        category: get("category"),
        answers: None,
        travel: None,
        invitation: None,
    })
}

/// The errors as the form shows them. With the organisation picker left at "Choose" and no
/// organisation written in, the one thing missing is the choice: one error on the picker, not
/// three on the fields for another organisation, which the person may not need at all.
fn form_errors(
    values: &HashMap<String, String>,
    errors: Vec<crate::error::FieldError>,
) -> Vec<crate::error::FieldError> {
    let left_unchosen = values
        .get("organization")
        .is_some_and(|v| v.trim().is_empty())
        && [
            "organization_name",
            "organization_kind",
            "organization_country",
        ]
        .iter()
        .all(|name| filled(values, name).is_none());
    if !left_unchosen {
        return errors;
    }
    let mut errors: Vec<_> = errors
        .into_iter()
        .filter(|e| {
            !e.field
                .as_deref()
                .is_some_and(|f| f.starts_with("organization"))
        })
        .collect();
    errors.push(crate::error::FieldError::new(
        "organization",
        crate::error::Problem::required(),
    ));
    errors
}

/// API field names to the form's input names.
fn input_name(field: &str) -> String {
    field.replace('.', "_")
}
