//! The webhooks API: an organizer registers a receiver for a meeting's events (its secret
//! shown once), lists them with their last deliveries, and removes them.

use super::{store, NewWebhook, WebhookCreated, WebhookForm, WebhookView};
use crate::accounts::Organizer;
use crate::db::now;
use crate::error::{AppError, AppResult};
use crate::meetings;
use crate::web::api_doc::{BadBody, Conflict, MeetingAccess, SlugAndIdPath, SlugPath};
use crate::web::slug_or_404;
use crate::web::state::AppState;
use actix_web::{web, HttpResponse};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/api/v1/meetings/{slug}/webhooks",
        web::post().to(create_webhook),
    )
    .route(
        "/api/v1/meetings/{slug}/webhooks",
        web::get().to(list_webhooks),
    )
    .route(
        "/api/v1/meetings/{slug}/webhooks/{id}",
        web::delete().to(delete_webhook),
    );
}

#[utoipa::path(
    post, path = "/api/v1/meetings/{slug}/webhooks",
    tag = "webhooks", summary = "Register a receiver of the meeting's events (its secret shown once)",
    params(SlugPath), request_body = WebhookForm,
    responses(
        (status = 201, description = "Registered; `secret` verifies the signatures", body = WebhookCreated),
        MeetingAccess, Conflict, BadBody
    ),
    security(("organizer" = []))
)]
pub(crate) async fn create_webhook(
    state: web::Data<AppState>,
    who: Organizer,
    slug: web::Path<String>,
    form: crate::web::body::Body<WebhookForm>,
) -> AppResult<HttpResponse> {
    let slug = slug_or_404(&slug)?;
    // Whose meeting it is first: a stranger learns nothing of the addresses it tries.
    let account = who.account_id.clone();
    let meeting = state
        .read(move |conn| meetings::store::organized_by(conn, &slug, &account))
        .await?;
    let allow_private = state.webhook_allow_private;
    // The address's name is looked up: off the request threads.
    let form = form.into_inner();
    let new = web::block(move || NewWebhook::parse(&form, allow_private))
        .await
        .map_err(|e| AppError::Unexpected(e.into()))??;
    let created = state
        .write(move |conn| {
            let webhook = store::create(conn, &meeting.id, &new, now())?;
            let secret = webhook.secret.clone();
            let view = store::view(webhook, Vec::new(), |at| meeting.rfc3339(at));
            Ok(WebhookCreated {
                webhook: view,
                secret,
            })
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header(("Cache-Control", "no-store"))
        .json(created))
}

#[utoipa::path(
    get, path = "/api/v1/meetings/{slug}/webhooks",
    tag = "webhooks", summary = "The meeting's webhooks with their last deliveries",
    params(SlugPath),
    responses((status = 200, description = "Webhooks (one page)", body = crate::web::Page<WebhookView>), MeetingAccess),
    security(("organizer" = []))
)]
pub(crate) async fn list_webhooks(
    state: web::Data<AppState>,
    who: Organizer,
    slug: web::Path<String>,
) -> AppResult<HttpResponse> {
    let slug = slug_or_404(&slug)?;
    let hooks = state
        .read(move |conn| {
            let meeting = meetings::store::organized_by(conn, &slug, &who.account_id)?;
            store::list(conn, &meeting.id, |at| meeting.rfc3339(at))
        })
        .await?;
    // At most twenty: one page.
    Ok(HttpResponse::Ok().json(crate::web::Page {
        items: hooks,
        next_cursor: None,
    }))
}

#[utoipa::path(
    delete, path = "/api/v1/meetings/{slug}/webhooks/{id}",
    tag = "webhooks", summary = "Remove a webhook: nothing more is sent to it",
    params(SlugAndIdPath),
    responses((status = 204, description = "Removed"), MeetingAccess),
    security(("organizer" = []))
)]
pub(crate) async fn delete_webhook(
    state: web::Data<AppState>,
    who: Organizer,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let slug = slug_or_404(&slug)?;
    state
        .write(move |conn| {
            let meeting = meetings::store::organized_by(conn, &slug, &who.account_id)?;
            store::delete(conn, &meeting.id, &id)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
