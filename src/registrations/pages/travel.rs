//! The travel fields of the registration form, on a meeting that offers travel support or
//! visa letters, and the travel part of the participant's page.

use crate::accounts::tokens::{self, TokenKind};
use crate::db::{now, DbConn};
use crate::error::{AppError, AppResult};
use crate::i18n::Catalogue;
use crate::meetings::Meeting;
use crate::travel::store::TravelView;
use crate::travel::TravelForm;
use crate::values::Language;
use crate::web::forms::{checkbox, Field, FormState};
use crate::web::page::{OnPage, PageContext, PageResult};
use crate::web::state::AppState;
use actix_web::{web, HttpRequest};
use maud::{html, Markup};
use std::collections::HashMap;

/// The travel fieldset; nothing when the meeting offers no travel.
pub fn fields(t: &Catalogue, language: Language, form: &FormState, meeting: &Meeting) -> Markup {
    let f = &t.travel.form;
    html! {
        @if meeting.travel_support || meeting.visa_letters {
            fieldset {
                legend { (t.travel.heading) }
                p.hint { (f.intro) }
                @if meeting.travel_support {
                    (checkbox(form, "travel_funding_requested", f.funding_requested, false))
                }
                (Field::new("travel_departure_city", f.departure_city).input(form))
                (Field::new("travel_arrival_date", f.arrival_date).kind("date").input(form))
                (Field::new("travel_departure_date", f.departure_date).kind("date").input(form))
                (checkbox(form, "travel_hotel_needed", f.hotel_needed, false))
                @if meeting.visa_letters {
                    (checkbox(form, "travel_visa_letter_requested", f.visa_letter_requested, false))
                    p.hint { (f.visa_exempt) }
                    (Field::new("travel_nationality", f.nationality).select(form, t.choose, &super::country_options(language)))
                    (Field::new("travel_passport_number", f.passport_number).hint(f.sensitive_hint).input(form))
                    (Field::new("travel_passport_expiry", f.passport_expiry).kind("date").input(form))
                    (Field::new("travel_date_of_birth", f.date_of_birth).kind("date").hint(f.sensitive_hint).input(form))
                }
            }
        }
    }
}

/// The travel sent by the form, when the meeting asks about it.
pub fn from_form(values: &HashMap<String, String>, meeting: &Meeting) -> Option<TravelForm> {
    if !(meeting.travel_support || meeting.visa_letters) {
        return None;
    }
    let get = |name: &str| crate::web::forms::filled(values, name);
    let ticked = |name: &str| Some(values.get(name).is_some_and(|v| v == "on"));
    let letter = ticked("travel_visa_letter_requested");
    let for_letter = |name: &str| get(name).filter(|_| letter == Some(true));
    Some(TravelForm {
        funding_requested: ticked("travel_funding_requested"),
        departure_city: get("travel_departure_city"),
        arrival_date: get("travel_arrival_date"),
        departure_date: get("travel_departure_date"),
        hotel_needed: ticked("travel_hotel_needed"),
        visa_letter_requested: letter,
        nationality: for_letter("travel_nationality"),
        passport_number: for_letter("travel_passport_number"),
        passport_expiry: for_letter("travel_passport_expiry"),
        date_of_birth: for_letter("travel_date_of_birth"),
    })
}

/// What the participant's page says of their travel: the decision, the booking, and the
/// letter to download once issued.
pub fn summary(t: &Catalogue, travel: &TravelView, token: &str) -> Markup {
    let f = &t.travel.form;
    let funding = match travel.funding_decision.as_deref() {
        Some("approved") => Some(f.funding_approved),
        Some("declined") => Some(f.funding_declined),
        _ if travel.funding_requested => Some(f.funding_undecided),
        _ => None,
    };
    let letter = travel
        .visa_letter
        .as_ref()
        .filter(|letter| letter.revoked_at.is_none());
    html! {
        section.travel {
            h2 { (t.travel.heading) }
            @if let Some(funding) = funding { p { (funding) } }
            @if let Some(note) = &travel.decision_note { p { (t.travel.note) ": " (note) } }
            @if let Some(itinerary) = &travel.itinerary {
                p { strong { (t.travel.itinerary) } br; (itinerary) }
            }
            @if let Some(hotel) = &travel.hotel_booking {
                p { strong { (t.travel.hotel_booking) } br; (hotel) }
            }
            @if letter.is_some() {
                p { a.button href={ "/manage/" (token) "/visa-letter.pdf" } { (f.download_letter) } }
            }
        }
    }
}

/// The visa letter from the participant's page.
pub(super) async fn manage_letter(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
) -> PageResult {
    let ctx = PageContext::new(&req);
    let token = token.into_inner();
    let find_id = move |conn: &mut DbConn| -> AppResult<String> {
        let row =
            tokens::find(conn, TokenKind::Manage, &token, now())?.ok_or(AppError::NotFound)?;
        row.registration_id.ok_or(AppError::NotFound)
    };
    let id = state.read(find_id).await.on_page(&ctx)?;
    let find = {
        let id = id.clone();
        move |conn: &mut DbConn| {
            let contact = crate::registrations::store::contact(conn, &id)?;
            crate::meetings::store::by_id(conn, &contact.meeting_id)
        }
    };
    crate::travel::routes::letter_pdf(&state, find, id)
        .await
        .on_page(&ctx)
}
