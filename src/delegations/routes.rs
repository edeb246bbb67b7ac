//! Delegation endpoints for organizers: make one (its focal point emailed), list them with
//! their seats, change or remove one.

use super::{store, DelegationDraft, DelegationForm, DelegationView};
use crate::accounts::Organizer;
use crate::db::now;
use crate::error::{AppError, AppResult};
use crate::meetings;
use crate::patch::Patch;
use crate::web::api_doc::{
    BadFields, MeetingAccess, MeetingWrite, PagingQuery, SlugAndIdPath, SlugPath,
};
use crate::web::state::AppState;
use crate::web::{id_cursor, slug_or_404, Page, PageRequest, PagingParams};
use actix_web::{web, HttpResponse};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/api/v1/meetings/{slug}/delegations",
        web::post().to(create_delegation),
    )
    .route(
        "/api/v1/meetings/{slug}/delegations",
        web::get().to(list_delegations),
    )
    .route(
        "/api/v1/meetings/{slug}/delegations/{id}",
        web::patch().to(update_delegation),
    )
    .route(
        "/api/v1/meetings/{slug}/delegations/{id}",
        web::delete().to(delete_delegation),
    );
}

/// A delegation's view with its tally, read in the caller's transaction.
pub fn view(
    conn: &mut crate::db::DbConn,
    meeting: &meetings::Meeting,
    delegation: super::Delegation,
) -> AppResult<DelegationView> {
    let (nominated, confirmed) = store::tally(conn, &delegation.id)?;
    Ok(DelegationView::new(
        meeting, delegation, nominated, confirmed,
    ))
}

#[utoipa::path(
    post, path = "/api/v1/meetings/{slug}/delegations",
    tag = "organizer", summary = "Give an organisation seats and a focal point (emailed /d/{token})",
    params(SlugPath), request_body = DelegationForm,
    responses(
        (status = 201, description = "Made; the seats are set aside", body = DelegationView),
        (status = 409, description = "not_enough_seats: the meeting or category has fewer left"),
        MeetingWrite
    ),
    security(("organizer" = []))
)]
pub(crate) async fn create_delegation(
    state: web::Data<AppState>,
    who: Organizer,
    slug: web::Path<String>,
    form: crate::web::body::Body<DelegationForm>,
) -> AppResult<HttpResponse> {
    let slug = slug_or_404(&slug)?;
    let draft = DelegationDraft::parse(&form)?;
    let made = state
        .write(move |conn| {
            let meeting = meetings::store::organized_by(conn, &slug, &who.account_id)?;
            let delegation = store::create(conn, &meeting, &draft, &who.account_id, now())?;
            view(conn, &meeting, delegation)
        })
        .await?;
    state.wake_mailer();
    Ok(HttpResponse::Created().json(made))
}

#[utoipa::path(
    get, path = "/api/v1/meetings/{slug}/delegations",
    tag = "organizer", summary = "A meeting's delegations with seats, nominated and confirmed",
    params(SlugPath, PagingQuery),
    responses(
        (status = 200, description = "A page of delegations", body = Page<DelegationView>),
        MeetingAccess, BadFields
    ),
    security(("organizer" = []))
)]
pub(crate) async fn list_delegations(
    state: web::Data<AppState>,
    who: Organizer,
    slug: web::Path<String>,
    query: web::Query<PagingParams>,
) -> AppResult<HttpResponse> {
    let slug = slug_or_404(&slug)?;
    let PageRequest { limit, cursor } = query.parse()?;
    let page = state
        .read(move |conn| {
            let meeting = meetings::store::organized_by(conn, &slug, &who.account_id)?;
            let (rows, next_cursor) = store::list(conn, &meeting.id, limit, cursor.as_deref())?;
            let items = rows
                .into_iter()
                .map(|delegation| view(conn, &meeting, delegation))
                .collect::<AppResult<Vec<_>>>()?;
            Ok(Page { items, next_cursor })
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

#[utoipa::path(
    patch, path = "/api/v1/meetings/{slug}/delegations/{id}",
    tag = "organizer", summary = "Change seats, deadline or focal point",
    params(SlugAndIdPath), request_body = DelegationForm,
    responses(
        (status = 200, description = "Changed", body = DelegationView),
        (status = 409, description = "seats_below_confirmed or not_enough_seats"),
        MeetingWrite
    ),
    security(("organizer" = []))
)]
pub(crate) async fn update_delegation(
    state: web::Data<AppState>,
    who: Organizer,
    path: web::Path<(String, String)>,
    patch: crate::web::body::Body<Patch>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let slug = slug_or_404(&slug)?;
    let id = id_cursor(Some(&id))
        .ok()
        .flatten()
        .ok_or(AppError::NotFound)?;
    let patch = patch.into_inner();
    let changed = state
        .write(move |conn| {
            let meeting = meetings::store::organized_by(conn, &slug, &who.account_id)?;
            let delegation = store::update(conn, &meeting, &id, patch, &who.account_id, now())?;
            view(conn, &meeting, delegation)
        })
        .await?;
    state.wake_mailer();
    Ok(HttpResponse::Ok().json(changed))
}

#[utoipa::path(
    delete, path = "/api/v1/meetings/{slug}/delegations/{id}",
    tag = "organizer",
    summary = "Remove a delegation (unused invitations stop; delegates keep their registrations)",
    params(SlugAndIdPath),
    responses((status = 204, description = "Removed"), MeetingAccess),
    security(("organizer" = []))
)]
pub(crate) async fn delete_delegation(
    state: web::Data<AppState>,
    who: Organizer,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let slug = slug_or_404(&slug)?;
    let id = id_cursor(Some(&id))
        .ok()
        .flatten()
        .ok_or(AppError::NotFound)?;
    state
        .write(move |conn| {
            let meeting = meetings::store::organized_by(conn, &slug, &who.account_id)?;
            store::delete(conn, &meeting, &id, &who.account_id, now())
        })
        .await?;
    state.wake_mailer();
    Ok(HttpResponse::NoContent().finish())
}
