//! The travel fields of the registration form, on a meeting that offers travel support or
//! visa letters, and the travel part of the participant's page.

use crate::accounts::tokens::{self, TokenKind};
use crate::db::{now, DbConn};
use crate::error::{AppError, AppResult};
use crate::i18n::fill;
use crate::i18n::Catalogue;
use crate::meetings::Meeting;
use crate::registrations::model::RegistrationView;
use crate::travel::store::TravelView;
use crate::travel::TravelForm;
use crate::values::Language;
use crate::web::forms::{checkbox, error_summary, Field, FormState};
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

/// The travel part of the participant's page: what was decided and booked, the letter to
/// download once issued, and the form to change the request until the organizers act on it.
pub(super) struct TravelSection<'a> {
    pub token: &'a str,
    pub meeting: &'a Meeting,
    pub view: &'a RegistrationView,
    /// Whether the registration still stands (not cancelled).
    pub active: bool,
    /// The form as sent, when it came back with errors.
    pub sent: Option<&'a FormState>,
}

pub(super) fn section(t: &Catalogue, language: Language, page: TravelSection) -> Markup {
    let offered = page.meeting.travel_support || page.meeting.visa_letters;
    let travel = page.view.travel.as_ref();
    let editable = page.active && offered && !travel.is_some_and(TravelView::acted_on);
    if travel.is_none() && !editable {
        return html! {};
    }
    let stored = FormState::new(travel.map(form_values).unwrap_or_default());
    let form = page.sent.unwrap_or(&stored);
    let f = &t.travel.form;
    html! {
        section.travel #travel {
            h2 { (t.travel.heading) }
            @if let Some(travel) = travel { (summary(t, travel, page.token)) }
            @if editable {
                (error_summary(form, t))
                form method="post" action={ "/manage/" (page.token) "/travel" } novalidate {
                    (fields(t, language, form, page.meeting))
                    @if let Some(hint) = travel.and_then(|travel| travel.passport_number.as_deref()) {
                        p.hint { (fill(f.keep_sealed, &[("hint", hint)])) }
                    }
                    button type="submit" { (f.save) }
                }
            } @else if page.active {
                p { (f.locked) }
            }
        }
    }
}

/// The stored request as the form's values; the passport number and the date of birth are
/// never shown, so their fields stay blank.
fn form_values(travel: &TravelView) -> HashMap<String, String> {
    let mut values = HashMap::new();
    let mut put = |name: &str, value: Option<&str>| {
        if let Some(value) = value {
            values.insert(name.to_owned(), value.to_owned());
        }
    };
    let ticked = |on: bool| on.then_some("on");
    put("travel_funding_requested", ticked(travel.funding_requested));
    put("travel_departure_city", travel.departure_city.as_deref());
    put("travel_arrival_date", travel.arrival_date.as_deref());
    put("travel_departure_date", travel.departure_date.as_deref());
    put("travel_hotel_needed", ticked(travel.hotel_needed));
    put(
        "travel_visa_letter_requested",
        ticked(travel.visa_letter_requested),
    );
    put("travel_nationality", travel.nationality.as_deref());
    put("travel_passport_expiry", travel.passport_expiry.as_deref());
    values
}

/// The decision, the booking and the letter.
fn summary(t: &Catalogue, travel: &TravelView, token: &str) -> Markup {
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
