//! The organizer's travel API: the requests, funding decisions, and bookings.

use super::store::{self, TravelEntry, TravelFilter, TravelView};
use super::{Booking, BookingForm};
use crate::accounts::Organizer;
use crate::db::now;
use crate::error::{AppError, AppResult, FieldError, Problem};
use crate::meetings;
use crate::web::api_doc::{BadBody, Conflict, MeetingAccess, SlugAndIdPath, SlugPath};
use crate::web::slug_or_404;
use crate::web::state::AppState;
use actix_web::web;
use serde::Deserialize;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/v1/meetings/{slug}/travel", web::get().to(list_travel))
        .route(
            "/api/v1/meetings/{slug}/registrations/{id}/travel/{decision}",
            web::post().to(decide_funding),
        )
        .route(
            "/api/v1/meetings/{slug}/registrations/{id}/travel",
            web::patch().to(book_travel),
        );
}

/// Which requests to list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct TravelQuery {
    /// `requested`, `undecided`, `approved` or `declined`.
    funding: Option<String>,
    /// Only those who asked for a visa letter (true) or did not (false).
    visa_letter: Option<bool>,
}

#[utoipa::path(
    get, path = "/api/v1/meetings/{slug}/travel",
    tag = "organizer", summary = "Travel requests, passport numbers masked",
    params(SlugPath, TravelQuery),
    responses((status = 200, description = "The requests, by name", body = Vec<TravelEntry>), MeetingAccess),
    security(("organizer" = []))
)]
pub(crate) async fn list_travel(
    state: web::Data<AppState>,
    who: Organizer,
    slug: web::Path<String>,
    query: web::Query<TravelQuery>,
) -> AppResult<web::Json<Vec<TravelEntry>>> {
    let slug = slug_or_404(&slug)?;
    let query = query.into_inner();
    if let Some(funding) = &query.funding {
        if !["requested", "undecided", "approved", "declined"].contains(&funding.as_str()) {
            return Err(AppError::Invalid(vec![FieldError::new(
                "funding",
                Problem::new(
                    "invalid",
                    "must be requested, undecided, approved or declined",
                ),
            )]));
        }
    }
    let filter = TravelFilter {
        funding: query.funding,
        visa_letter: query.visa_letter,
    };
    let entries = state
        .read(move |conn| {
            let meeting = meetings::store::organized_by(conn, &slug, &who.account_id)?;
            store::list(conn, &meeting, &filter)
        })
        .await?;
    Ok(web::Json(entries))
}

/// The organizer's note on a funding decision.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionForm {
    note: Option<String>,
}

#[utoipa::path(
    post, path = "/api/v1/meetings/{slug}/registrations/{id}/travel/{decision}",
    tag = "organizer", summary = "Approve or decline travel funding; the participant is emailed",
    params(
        SlugAndIdPath,
        ("decision" = String, Path, description = "approve or decline")
    ),
    request_body = DecisionForm,
    responses(
        (status = 200, description = "The travel now", body = TravelView),
        MeetingAccess, Conflict, BadBody
    ),
    security(("organizer" = []))
)]
pub(crate) async fn decide_funding(
    state: web::Data<AppState>,
    who: Organizer,
    path: web::Path<(String, String, String)>,
    form: crate::web::body::Body<DecisionForm>,
) -> AppResult<web::Json<TravelView>> {
    let (slug, id, decision) = path.into_inner();
    let slug = slug_or_404(&slug)?;
    let approve = match decision.as_str() {
        "approve" => true,
        "decline" => false,
        _ => return Err(AppError::NotFound),
    };
    let note = crate::values::optional_multiline(form.note.as_deref(), 4000)
        .map_err(|problem| AppError::Invalid(vec![FieldError::new("note", problem)]))?;
    let view = state
        .write(move |conn| {
            let meeting = meetings::store::organized_by(conn, &slug, &who.account_id)?;
            store::decide(conn, &meeting, &id, approve, note, &who.account_id, now())
        })
        .await?;
    state.wake_mailer();
    Ok(web::Json(view))
}

#[utoipa::path(
    patch, path = "/api/v1/meetings/{slug}/registrations/{id}/travel",
    tag = "organizer", summary = "Record the itinerary and hotel booking; the participant is emailed",
    params(SlugAndIdPath),
    request_body = BookingForm,
    responses(
        (status = 200, description = "The travel now", body = TravelView),
        MeetingAccess, Conflict, BadBody
    ),
    security(("organizer" = []))
)]
pub(crate) async fn book_travel(
    state: web::Data<AppState>,
    who: Organizer,
    path: web::Path<(String, String)>,
    form: crate::web::body::Body<BookingForm>,
) -> AppResult<web::Json<TravelView>> {
    let (slug, id) = path.into_inner();
    let slug = slug_or_404(&slug)?;
    let booking = Booking::parse(&form)?;
    let view = state
        .write(move |conn| {
            let meeting = meetings::store::organized_by(conn, &slug, &who.account_id)?;
            store::book(conn, &meeting, &id, &booking, &who.account_id, now())
        })
        .await?;
    state.wake_mailer();
    Ok(web::Json(view))
}
