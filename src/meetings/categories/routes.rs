//! Category endpoints: the organizer makes, changes and removes a meeting's categories; the
//! meeting's view lists them for everyone.

use super::store;
use super::{CategoryDraft, CategoryForm, CategoryView};
use crate::accounts::Organizer;
use crate::db::now;
use crate::error::AppResult;
use crate::meetings;
use crate::patch::Patch;
use crate::values::Language;
use crate::web::api_doc::{MeetingAccess, MeetingWrite, SlugPath};
use crate::web::slug_or_404;
use crate::web::state::AppState;
use actix_web::{web, HttpResponse};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/api/v1/meetings/{slug}/categories",
        web::post().to(create_category),
    )
    .route(
        "/api/v1/meetings/{slug}/categories/{code}",
        web::patch().to(update_category),
    )
    .route(
        "/api/v1/meetings/{slug}/categories/{code}",
        web::delete().to(delete_category),
    );
}

/// `{slug}` and a category's `{code}`.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct SlugAndCodePath {
    /// The meeting slug
    pub slug: String,
    /// The category code
    pub code: String,
}

#[utoipa::path(
    post, path = "/api/v1/meetings/{slug}/categories",
    tag = "organizer", summary = "Add a participant category",
    params(SlugPath), request_body = CategoryForm,
    responses((status = 201, description = "Created", body = CategoryView), MeetingWrite),
    security(("organizer" = []))
)]
pub(crate) async fn create_category(
    state: web::Data<AppState>,
    who: Organizer,
    slug: web::Path<String>,
    form: crate::web::body::Body<CategoryForm>,
) -> AppResult<HttpResponse> {
    let slug = slug_or_404(&slug)?;
    let draft = CategoryDraft::parse(&form)?;
    let view = state
        .write(move |conn| {
            let meeting = meetings::store::organized_by(conn, &slug, &who.account_id)?;
            let category = store::create(conn, &meeting, &draft, &who.account_id, now())?;
            let seats_left = meeting_seats_left(conn, &meeting)?;
            Ok(CategoryView::new(&category, 0, seats_left, Language::En))
        })
        .await?;
    Ok(HttpResponse::Created().json(view))
}

#[utoipa::path(
    patch, path = "/api/v1/meetings/{slug}/categories/{code}",
    tag = "organizer", summary = "Change a category (its code stays)",
    params(SlugAndCodePath), request_body = CategoryForm,
    responses((status = 200, description = "Changed", body = CategoryView), MeetingWrite),
    security(("organizer" = []))
)]
pub(crate) async fn update_category(
    state: web::Data<AppState>,
    who: Organizer,
    path: web::Path<(String, String)>,
    patch: crate::web::body::Body<Patch>,
) -> AppResult<HttpResponse> {
    let (slug, code) = path.into_inner();
    let slug = slug_or_404(&slug)?;
    let patch = patch.into_inner();
    let view = state
        .write(move |conn| {
            let meeting = meetings::store::organized_by(conn, &slug, &who.account_id)?;
            let after = crate::registrations::store::seat_waiting_list;
            let category =
                store::update(conn, &meeting, &code, patch, &who.account_id, now(), after)?;
            let seated = store::seats_taken_by_category(conn, &meeting.id)?;
            let seats_left = meeting_seats_left(conn, &meeting)?;
            let seated = seated.get(&category.code).copied().unwrap_or(0);
            Ok(CategoryView::new(
                &category,
                seated,
                seats_left,
                Language::En,
            ))
        })
        .await?;
    state.wake_mailer();
    Ok(HttpResponse::Ok().json(view))
}

#[utoipa::path(
    delete, path = "/api/v1/meetings/{slug}/categories/{code}",
    tag = "organizer", summary = "Remove a category no registration is in",
    params(SlugAndCodePath),
    responses(
        (status = 204, description = "Removed"),
        (status = 409, description = "category_in_use: registrations are in it, or it is the last"),
        MeetingAccess
    ),
    security(("organizer" = []))
)]
pub(crate) async fn delete_category(
    state: web::Data<AppState>,
    who: Organizer,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (slug, code) = path.into_inner();
    let slug = slug_or_404(&slug)?;
    state
        .write(move |conn| {
            let meeting = meetings::store::organized_by(conn, &slug, &who.account_id)?;
            store::delete(conn, &meeting, &code, &who.account_id, now())
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

fn meeting_seats_left(
    conn: &mut crate::db::DbConn,
    meeting: &meetings::Meeting,
) -> AppResult<Option<i64>> {
    let confirmed = meetings::store::seats_taken(conn, &meeting.id)?;
    Ok(meeting.seats_left(confirmed))
}
