//! The organizer's travel API: the requests, funding decisions, and bookings.

use super::store::{self, TravelEntry, TravelFilter, TravelView};
use super::{letters, Booking, BookingForm};
use crate::accounts::Organizer;
use crate::db::now;
use crate::error::{AppError, AppResult, FieldError, Problem};
use crate::exports::{FileFormat, Reader};
use crate::meetings;
use crate::web::api_doc::{
    BadBody, BadFields, Conflict, MeetingAccess, NotFound, SlugAndIdPath, SlugPath, Unauthorized,
};
use crate::web::slug_or_404;
use crate::web::state::AppState;
use actix_web::{web, HttpResponse};
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
        )
        .route(
            "/api/v1/meetings/{slug}/registrations/{id}/visa-letter",
            web::post().to(issue_letter),
        )
        .route(
            "/api/v1/meetings/{slug}/registrations/{id}/visa-letter",
            web::delete().to(revoke_letter),
        )
        .route(
            "/api/v1/meetings/{slug}/registrations/{id}/visa-letter.pdf",
            web::get().to(organizer_letter),
        )
        .route(
            "/api/v1/registration/visa-letter.pdf",
            web::get().to(own_letter),
        )
        .route(
            "/api/v1/meetings/{slug}/rooming-list.csv",
            web::get().to(rooming_list_csv),
        )
        .route(
            "/api/v1/meetings/{slug}/rooming-list.xlsx",
            web::get().to(rooming_list_xlsx),
        );
}

#[utoipa::path(
    get, path = "/api/v1/meetings/{slug}/rooming-list.csv",
    tag = "organizer", summary = "The hotel's rooming list: confirmed people who need a room, by arrival",
    params(SlugPath),
    responses(
        (status = 200, description = "CSV", body = String, content_type = "text/csv"),
        MeetingAccess
    ),
    security(("organizer" = []))
)]
pub(crate) async fn rooming_list_csv(
    state: web::Data<AppState>,
    who: Organizer,
    slug: web::Path<String>,
) -> AppResult<HttpResponse> {
    rooming_list(&state, who, &slug, FileFormat::Csv).await
}

#[utoipa::path(
    get, path = "/api/v1/meetings/{slug}/rooming-list.xlsx",
    tag = "organizer", summary = "The rooming list as a spreadsheet",
    params(SlugPath),
    responses(
        (status = 200, description = "XLSX", body = String,
            content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        MeetingAccess
    ),
    security(("organizer" = []))
)]
pub(crate) async fn rooming_list_xlsx(
    state: web::Data<AppState>,
    who: Organizer,
    slug: web::Path<String>,
) -> AppResult<HttpResponse> {
    rooming_list(&state, who, &slug, FileFormat::Xlsx).await
}

async fn rooming_list(
    state: &AppState,
    who: Organizer,
    slug: &str,
    format: FileFormat,
) -> AppResult<HttpResponse> {
    let slug = slug_or_404(slug)?;
    let meeting = state
        .read(move |conn| meetings::store::organized_by(conn, &slug, &who.account_id))
        .await?;
    super::rooming::export(&meeting, Reader::Program)
        .download(&state.pools, format)
        .await
}

/// A new letter's reference.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Issued {
    reference: String,
}

#[utoipa::path(
    post, path = "/api/v1/meetings/{slug}/registrations/{id}/visa-letter",
    tag = "organizer", summary = "Issue a visa letter; the participant is emailed a link to it",
    params(SlugAndIdPath),
    responses(
        (status = 201, description = "Issued (earlier letters of the person are revoked)", body = Issued),
        MeetingAccess, Conflict
    ),
    security(("organizer" = []))
)]
pub(crate) async fn issue_letter(
    state: web::Data<AppState>,
    who: Organizer,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let slug = slug_or_404(&slug)?;
    let sealer = state.sealer.clone();
    let reference = state
        .write(move |conn| {
            let meeting = meetings::store::organized_by(conn, &slug, &who.account_id)?;
            letters::issue(conn, &meeting, &id, &sealer, &who.account_id, now())
        })
        .await?;
    state.wake_mailer();
    Ok(HttpResponse::Created().json(Issued { reference }))
}

#[utoipa::path(
    delete, path = "/api/v1/meetings/{slug}/registrations/{id}/visa-letter",
    tag = "organizer", summary = "Revoke a person's visa letter: /verify/ shows it revoked",
    params(SlugAndIdPath),
    responses((status = 204, description = "Revoked"), MeetingAccess),
    security(("organizer" = []))
)]
pub(crate) async fn revoke_letter(
    state: web::Data<AppState>,
    who: Organizer,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let slug = slug_or_404(&slug)?;
    let revoked = state
        .write(move |conn| {
            let meeting = meetings::store::organized_by(conn, &slug, &who.account_id)?;
            letters::revoke_by_organizer(conn, &meeting, &id, &who.account_id, now())
        })
        .await?;
    match revoked {
        0 => Err(AppError::NotFound),
        _ => Ok(HttpResponse::NoContent().finish()),
    }
}

/// Renders the letter in force of a registration of the meeting `find` answers.
pub(crate) async fn letter_pdf<F>(state: &AppState, find: F, id: String) -> AppResult<HttpResponse>
where
    F: FnOnce(&mut crate::db::DbConn) -> AppResult<meetings::Meeting> + Send + 'static,
{
    let sealer = state.sealer.clone();
    let (meeting, letter) = state
        .read(move |conn| {
            let meeting = find(conn)?;
            let letter = letters::in_force(conn, &meeting, &id, &sealer)?;
            Ok((meeting, letter))
        })
        .await?;
    let url = format!("{}/verify/{}", state.base_url, letter.reference);
    let bytes = web::block(move || {
        let signatory = (
            meeting.signatory_name.as_deref(),
            meeting.signatory_title.as_deref(),
        );
        super::letter_pdf::render(&meeting, &letter, &url, signatory)
    })
    .await
    .map_err(|e| AppError::Unexpected(e.into()))?
    .map_err(AppError::Unexpected)?;
    Ok(crate::checkin::files::pdf_response(
        bytes,
        "visa-letter.pdf",
    ))
}

#[utoipa::path(
    get, path = "/api/v1/meetings/{slug}/registrations/{id}/visa-letter.pdf",
    tag = "organizer", summary = "A participant's visa letter, to sign and send",
    params(SlugAndIdPath),
    responses(
        (status = 200, description = "PDF", body = String, content_type = "application/pdf"),
        MeetingAccess, Conflict
    ),
    security(("organizer" = []))
)]
pub(crate) async fn organizer_letter(
    state: web::Data<AppState>,
    who: Organizer,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let slug = slug_or_404(&slug)?;
    let find = move |conn: &mut crate::db::DbConn| {
        meetings::store::organized_by(conn, &slug, &who.account_id)
    };
    letter_pdf(&state, find, id).await
}

#[utoipa::path(
    get, path = "/api/v1/registration/visa-letter.pdf",
    tag = "participant", summary = "Your visa letter, in your language",
    responses(
        (status = 200, description = "PDF", body = String, content_type = "application/pdf"),
        Unauthorized, NotFound
    ),
    security(("participant" = []))
)]
pub(crate) async fn own_letter(
    state: web::Data<AppState>,
    who: crate::accounts::Participant,
) -> AppResult<HttpResponse> {
    let id = who.registration_id.clone();
    // A registration deleted since the token was read is 401; a letter not issued, 404.
    let find = move |conn: &mut crate::db::DbConn| {
        let contact = crate::registrations::store::contact(conn, &id)
            .map_err(crate::accounts::Participant::deleted_meanwhile)?;
        meetings::store::by_id(conn, &contact.meeting_id)
    };
    letter_pdf(&state, find, who.registration_id).await
}

/// Which requests to list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
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
    responses(
        (status = 200, description = "The requests, by name", body = Vec<TravelEntry>),
        MeetingAccess, BadFields
    ),
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
