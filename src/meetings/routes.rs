//! Meeting endpoints: the public list and page, and the organizer's create and change.

use super::categories;
use super::model::{MeetingDraft, MeetingForm};
use super::store;
use super::view::MeetingView;
use crate::accounts::routes::bearer_token;
use crate::accounts::tokens::{self, TokenKind};
use crate::accounts::{self, Organizer};
use crate::db::now;
use crate::db::DbConn;
use crate::error::{AppError, AppResult};
use crate::patch::Patch;
use crate::values::{Language, Slug};
use crate::web::api_doc::{
    BadBody, BadFields, Conflict, MeetingWrite, PagingQuery, PublicRead, SlugPath, Unauthorized,
};
use crate::web::state::AppState;
use crate::web::{cached, id_cursor, page_limit, slug_or_404};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/v1/meetings", web::get().to(list_meetings))
        .route("/api/v1/meetings", web::post().to(create_meeting))
        .route("/api/v1/meetings/{slug}", web::get().to(show_meeting))
        .route("/api/v1/meetings/{slug}", web::patch().to(update_meeting));
}

#[derive(Deserialize)]
pub(crate) struct PageQuery {
    limit: Option<String>,
    cursor: Option<String>,
}

#[utoipa::path(
    get, path = "/api/v1/meetings",
    tag = "public", summary = "Published meetings",
    params(PagingQuery),
    responses(
        (status = 200, description = "A page of meetings", body = crate::web::Page<MeetingView>),
        BadFields
    )
)]
pub(crate) async fn list_meetings(
    state: web::Data<AppState>,
    query: web::Query<PageQuery>,
) -> AppResult<HttpResponse> {
    let limit = page_limit(query.limit.as_deref()).map_err(|p| AppError::invalid("limit", p))?;
    let cursor = id_cursor(query.cursor.as_deref()).map_err(|p| AppError::invalid("cursor", p))?;
    let (items, next_cursor) = state
        .read(move |conn| {
            let at = now();
            let mut meetings = store::published(conn, limit + 1, cursor.as_deref())?;
            let next = if meetings.len() as i64 > limit {
                meetings.truncate(limit as usize);
                meetings.last().map(|m| m.id.clone())
            } else {
                None
            };
            let ids: Vec<String> = meetings.iter().map(|m| m.id.clone()).collect();
            let counts = store::seats_taken_by_meeting(conn, &ids)?;
            let views: Vec<MeetingView> = meetings
                .iter()
                .map(|m| {
                    let mut view = MeetingView::new(m, counts.get(&m.id).copied().unwrap_or(0), at);
                    view.hide_settings();
                    view
                })
                .collect();
            Ok((views, next))
        })
        .await?;
    Ok(HttpResponse::Ok().json(crate::web::Page { items, next_cursor }))
}

#[utoipa::path(
    post, path = "/api/v1/meetings",
    tag = "organizer", summary = "Create a meeting (the creator organizes it)",
    request_body = MeetingForm,
    responses(
        (status = 201, description = "Created", body = MeetingView),
        Unauthorized, Conflict, BadBody
    ),
    security(("organizer" = []))
)]
pub(crate) async fn create_meeting(
    state: web::Data<AppState>,
    who: Organizer,
    form: crate::web::body::Body<MeetingForm>,
) -> AppResult<HttpResponse> {
    let draft = MeetingDraft::parse(&form)?;
    let view = state
        .write(move |conn| {
            let at = now();
            let meeting = store::create(conn, &draft, &who.account_id, at)?;
            let mut view = MeetingView::new(&meeting, 0, at);
            view.categories =
                categories::store::views(conn, &meeting, view.seats_left, Language::En)?;
            Ok(view)
        })
        .await?;
    Ok(HttpResponse::Created().json(view))
}

/// Public meetings for everyone; a draft only for its organizers.
#[utoipa::path(
    get, path = "/api/v1/meetings/{slug}",
    tag = "public",
    summary =
        "One meeting, with seats_left and registration_open (drafts only for their organizers)",
    params(SlugPath, crate::web::api_doc::LangQuery),
    responses((status = 200, description = "The meeting", body = MeetingView), PublicRead)
)]
pub(crate) async fn show_meeting(
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
    query: web::Query<crate::agenda::routes::LanguageQuery>,
) -> AppResult<HttpResponse> {
    let slug = slug_or_404(&slug)?;
    let token = bearer_token(&req);
    let language = query.language().unwrap_or_default();
    if token.is_none() {
        // The public view, the same for every reader of one language: rendered once.
        let key = format!("meeting:{}:{}", slug.as_str(), language.as_str());
        return state
            .public
            .serve(&req, key, "application/json", || {
                state.read(move |conn| render_meeting(conn, &slug, None, language))
            })
            .await;
    }
    let view = state
        .read(move |conn| render_meeting(conn, &slug, token, language))
        .await?;
    Ok(cached(&req, "application/json", view))
}

/// A meeting as JSON; a draft only for a token of one of its organizers.
fn render_meeting(
    conn: &mut DbConn,
    slug: &Slug,
    token: Option<String>,
    language: Language,
) -> AppResult<Vec<u8>> {
    let at = now();
    let meeting = store::by_slug(conn, slug)?;
    let account = match token {
        Some(token) => {
            tokens::find(conn, TokenKind::Organizer, &token, at)?.and_then(|t| t.account_id)
        }
        None => None,
    };
    let organizes = match account {
        Some(account) => accounts::store::organizes(conn, &meeting.id, &account)?,
        None => false,
    };
    if !meeting.is_public() && !organizes {
        return Err(AppError::NotFound);
    }
    let confirmed = store::seats_taken(conn, &meeting.id)?;
    let mut view = MeetingView::new(&meeting, confirmed, at);
    view.categories = categories::store::views(conn, &meeting, view.seats_left, language)?;
    view.questions = super::questions::store::views(conn, &meeting.id, language)?;
    if !organizes {
        view.hide_settings();
    }
    Ok(serde_json::to_vec(&view).map_err(anyhow::Error::from)?)
}

/// Lays the sent fields over the meeting and checks the result like a new meeting.
#[utoipa::path(
    patch, path = "/api/v1/meetings/{slug}",
    tag = "organizer", summary = "Change any fields, or publish",
    params(SlugPath), request_body = MeetingForm,
    responses((status = 200, description = "Changed", body = MeetingView), MeetingWrite),
    security(("organizer" = []))
)]
pub(crate) async fn update_meeting(
    state: web::Data<AppState>,
    who: Organizer,
    slug: web::Path<String>,
    patch: crate::web::body::Body<Patch>,
) -> AppResult<web::Json<MeetingView>> {
    let slug = slug_or_404(&slug)?;
    let patch = patch.into_inner();
    let view = state
        .write(move |conn| {
            let at = now();
            let meeting = store::organized_by(conn, &slug, &who.account_id)?;
            let form = patch.over(&meeting.to_form())?;
            let draft = MeetingDraft::parse(&form)?;
            let updated = store::update(
                conn,
                &meeting.id,
                &draft,
                &who.account_id,
                at,
                crate::registrations::store::seat_waiting_list,
            )?;
            let confirmed = store::seats_taken(conn, &updated.id)?;
            let mut view = MeetingView::new(&updated, confirmed, at);
            view.categories =
                categories::store::views(conn, &updated, view.seats_left, Language::En)?;
            view.questions = super::questions::store::views(conn, &updated.id, Language::En)?;
            Ok(view)
        })
        .await?;
    state.wake_mailer();
    Ok(web::Json(view))
}
