//! The files of the days of the meeting: the attendance list, badges and certificates of
//! attendance, for organizers (and a participant's own certificate).

use crate::accounts::Organizer;
use crate::db::{now, DbConn};
use crate::error::AppResult;
use crate::meetings::{self, Meeting};
use crate::web::api_doc::{
    BadFields, Conflict, MeetingAccess, SlugAndIdPath, SlugPath, Unauthorized,
};
use crate::web::slug_or_404;
use crate::web::state::AppState;
use actix_web::{web, HttpResponse};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/api/v1/meetings/{slug}/attendance.csv",
        web::get().to(attendance_csv),
    )
    .route(
        "/api/v1/meetings/{slug}/badges.pdf",
        web::get().to(badges_pdf),
    )
    .route(
        "/api/v1/registration/certificate.pdf",
        web::get().to(own_certificate),
    )
    .route(
        "/api/v1/meetings/{slug}/registrations/{id}/certificate.pdf",
        web::get().to(organizer_certificate),
    );
}

#[utoipa::path(
    get, path = "/api/v1/meetings/{slug}/attendance.csv",
    tag = "check-in", summary = "Who came, per day: a row a person, a column a day",
    params(SlugPath),
    responses(
        (status = 200, description = "CSV", body = String, content_type = "text/csv"),
        MeetingAccess
    ),
    security(("organizer" = []))
)]
pub(crate) async fn attendance_csv(
    state: web::Data<AppState>,
    who: Organizer,
    slug: web::Path<String>,
) -> AppResult<HttpResponse> {
    let slug = slug_or_404(&slug)?;
    let meeting = state
        .read(move |conn| meetings::store::organized_by(conn, &slug, &who.account_id))
        .await?;
    super::attendance::export(&meeting, crate::exports::Reader::Program)
        .download(&state.pools, crate::exports::FileFormat::Csv)
        .await
}

#[utoipa::path(
    get, path = "/api/v1/meetings/{slug}/badges.pdf",
    tag = "check-in", summary = "Badges to print: A4, eight a sheet, with cut marks",
    params(
        SlugPath,
        ("status" = Option<String>, Query, description = "Whose badges by status; confirmed when left out"),
        ("category" = Option<String>, Query, description = "Only this category's"),
        ("id" = Option<Vec<String>>, Query, description = "Only these registrations (repeat `id`)")
    ),
    responses(
        (status = 200, description = "PDF", body = String, content_type = "application/pdf"),
        MeetingAccess, BadFields
    ),
    security(("organizer" = []))
)]
pub(crate) async fn badges_pdf(
    state: web::Data<AppState>,
    who: Organizer,
    slug: web::Path<String>,
    req: actix_web::HttpRequest,
) -> AppResult<HttpResponse> {
    let slug = slug_or_404(&slug)?;
    let filter = super::badges::BadgeFilter::parse(req.query_string())?;
    let meeting = state
        .read(move |conn| meetings::store::organized_by(conn, &slug, &who.account_id))
        .await?;
    badges_download(&state, meeting, filter).await
}

/// The badges a filter names, as a download.
pub async fn badges_download(
    state: &AppState,
    meeting: Meeting,
    filter: super::badges::BadgeFilter,
) -> AppResult<HttpResponse> {
    let meeting_id = meeting.id.clone();
    let for_read = meeting.clone();
    let (categories, badges) = state
        .read(move |conn| {
            let categories = crate::meetings::categories::store::of_meeting(conn, &meeting_id)?;
            Ok((categories, super::badges::badges(conn, &for_read, &filter)?))
        })
        .await?;
    let name = format!("{}-badges.pdf", meeting.slug);
    let bytes = web::block(move || super::badges::render(&meeting, &categories, &badges)).await??;
    Ok(pdf_response(bytes, &name))
}

/// A PDF as a download.
pub fn pdf_response(bytes: Vec<u8>, name: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{name}\""),
        ))
        .body(bytes)
}

/// A registration's certificate of attendance as a PDF.
pub async fn certificate_pdf(
    state: &AppState,
    find: impl FnOnce(&mut DbConn) -> AppResult<Meeting> + Send + 'static,
    registration_id: String,
) -> AppResult<HttpResponse> {
    let (meeting, certificate) = state
        .read(move |conn| {
            let meeting = find(conn)?;
            let certificate = super::certificate::of(conn, &meeting, &registration_id, now())?;
            Ok((meeting, certificate))
        })
        .await?;
    let name = format!("{}-certificate.pdf", meeting.slug);
    let issued = super::day_of(&meeting, now());
    let bytes = web::block(move || {
        let signatory = (
            meeting.signatory_name.as_deref(),
            meeting.signatory_title.as_deref(),
        );
        super::certificate::render(&meeting, &certificate, signatory, issued)
    })
    .await??;
    Ok(pdf_response(bytes, &name))
}

#[utoipa::path(
    get, path = "/api/v1/registration/certificate.pdf",
    tag = "participant", summary = "Your certificate of attendance, in your language",
    responses(
        (status = 200, description = "PDF", body = String, content_type = "application/pdf"),
        Unauthorized, Conflict
    ),
    security(("participant" = []))
)]
pub(crate) async fn own_certificate(
    state: web::Data<AppState>,
    who: crate::accounts::Participant,
) -> AppResult<HttpResponse> {
    let id = who.registration_id.clone();
    let find = move |conn: &mut DbConn| {
        let contact = crate::registrations::store::contact(conn, &id)?;
        meetings::store::by_id(conn, &contact.meeting_id)
    };
    certificate_pdf(&state, find, who.registration_id)
        .await
        .map_err(crate::accounts::Participant::deleted_meanwhile)
}

#[utoipa::path(
    get, path = "/api/v1/meetings/{slug}/registrations/{id}/certificate.pdf",
    tag = "check-in", summary = "A participant's certificate of attendance, in their language",
    params(SlugAndIdPath),
    responses(
        (status = 200, description = "PDF", body = String, content_type = "application/pdf"),
        MeetingAccess, Conflict
    ),
    security(("organizer" = []))
)]
pub(crate) async fn organizer_certificate(
    state: web::Data<AppState>,
    who: Organizer,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let slug = slug_or_404(&slug)?;
    let find = move |conn: &mut DbConn| meetings::store::organized_by(conn, &slug, &who.account_id);
    certificate_pdf(&state, find, id).await
}
