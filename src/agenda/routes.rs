//! Agenda endpoints: the organizer edits rooms and sessions; everyone reads the programme.

use super::model::{NewRoom, RoomForm, SessionDraft, SessionForm, SessionView};
use super::{calendar, store};
use crate::accounts::Organizer;
use crate::agenda::model::Room;
use crate::db::now;
use crate::error::AppResult;
use crate::meetings;
use crate::patch::Patch;
use crate::values::Language;
use crate::web::api_doc::{
    Conflict, LangQuery, MeetingAccess, MeetingWrite, PublicRead, SlugAndIdPath, SlugPath,
};
use crate::web::slug_or_404;
use crate::web::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/v1/meetings/{slug}/agenda", web::get().to(show_agenda))
        .route(
            "/api/v1/meetings/{slug}/agenda.ics",
            web::get().to(agenda_calendar),
        )
        .route("/api/v1/meetings/{slug}/rooms", web::get().to(list_rooms))
        .route("/api/v1/meetings/{slug}/rooms", web::post().to(create_room))
        .route(
            "/api/v1/meetings/{slug}/rooms/{id}",
            web::patch().to(update_room),
        )
        .route(
            "/api/v1/meetings/{slug}/rooms/{id}",
            web::delete().to(delete_room),
        )
        .route(
            "/api/v1/meetings/{slug}/sessions",
            web::post().to(create_session),
        )
        .route(
            "/api/v1/meetings/{slug}/sessions/{id}",
            web::patch().to(update_session),
        )
        .route(
            "/api/v1/meetings/{slug}/sessions/{id}",
            web::delete().to(delete_session),
        );
}

#[derive(Deserialize)]
pub(crate) struct LanguageQuery {
    lang: Option<String>,
}

impl LanguageQuery {
    pub(crate) fn language(&self) -> Option<Language> {
        self.lang.as_deref().and_then(Language::from_code)
    }
}

/// A meeting's programme as the public reads it: sessions in start order.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub(crate) struct Agenda {
    meeting: String,
    timezone: String,
    items: Vec<SessionView>,
    next_cursor: Option<String>,
}

/// The programme in start order, times in the meeting's zone; `?lang=es` picks translations.
#[utoipa::path(
    get, path = "/api/v1/meetings/{slug}/agenda",
    tag = "public", summary = "Sessions in start order, with rooms and speakers",
    params(SlugPath, LangQuery),
    responses((status = 200, description = "The programme", body = Agenda), PublicRead)
)]
pub(crate) async fn show_agenda(
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
    query: web::Query<LanguageQuery>,
) -> AppResult<HttpResponse> {
    let slug = slug_or_404(&slug)?;
    let language = query.language();
    let key = format!("agenda:{}:{language:?}", slug.as_str());
    state
        .public
        .serve(&req, key, "application/json", || {
            state.read(move |conn| {
                let meeting = meetings::store::public_by_slug(conn, &slug)?;
                let items: Vec<SessionView> =
                    store::agenda(conn, &meeting.id, store::Audience::Public)?
                        .iter()
                        .map(|item| item.view(&meeting, language, false))
                        .collect();
                Ok(serde_json::to_vec(&Agenda {
                    meeting: meeting.slug,
                    timezone: meeting.timezone,
                    items,
                    next_cursor: None,
                })
                .map_err(anyhow::Error::from)?)
            })
        })
        .await
}

#[utoipa::path(
    get, path = "/api/v1/meetings/{slug}/agenda.ics",
    tag = "public", summary = "The programme as iCalendar",
    params(SlugPath, LangQuery),
    responses(
        (status = 200, description = "iCalendar", body = String, content_type = "text/calendar"),
        PublicRead
    )
)]
pub(crate) async fn agenda_calendar(
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
    query: web::Query<LanguageQuery>,
) -> AppResult<HttpResponse> {
    let slug = slug_or_404(&slug)?;
    let language = query.language().unwrap_or_default();
    let host = state.host.clone();
    let key = format!("agenda.ics:{}:{}", slug.as_str(), language.as_str());
    state
        .public
        .serve(&req, key, "text/calendar; charset=utf-8", || {
            state.read(move |conn| {
                let meeting = meetings::store::public_by_slug(conn, &slug)?;
                let items = store::agenda(conn, &meeting.id, store::Audience::Public)?;
                Ok(calendar::agenda_ics(&meeting, &items, language, &host).into_bytes())
            })
        })
        .await
}

#[utoipa::path(
    get, path = "/api/v1/meetings/{slug}/rooms",
    tag = "organizer", summary = "Rooms",
    params(SlugPath),
    responses((status = 200, description = "Rooms", body = crate::web::Page<Room>), MeetingAccess),
    security(("organizer" = []))
)]
pub(crate) async fn list_rooms(
    state: web::Data<AppState>,
    who: Organizer,
    slug: web::Path<String>,
) -> AppResult<HttpResponse> {
    let slug = slug_or_404(&slug)?;
    let rooms = state
        .read(move |conn| {
            let meeting = meetings::store::organized_by(conn, &slug, &who.account_id)?;
            store::rooms(conn, &meeting.id)
        })
        .await?;
    Ok(HttpResponse::Ok().json(crate::web::Page {
        items: rooms,
        next_cursor: None,
    }))
}

#[utoipa::path(
    post, path = "/api/v1/meetings/{slug}/rooms",
    tag = "organizer", summary = "Add a room",
    params(SlugPath), request_body = RoomForm,
    responses((status = 201, description = "Created", body = Room), MeetingWrite),
    security(("organizer" = []))
)]
pub(crate) async fn create_room(
    state: web::Data<AppState>,
    who: Organizer,
    slug: web::Path<String>,
    form: crate::web::body::Body<RoomForm>,
) -> AppResult<HttpResponse> {
    let slug = slug_or_404(&slug)?;
    let new = NewRoom::parse(&form)?;
    let room = state
        .write(move |conn| {
            let meeting = meetings::store::organized_by(conn, &slug, &who.account_id)?;
            store::create_room(conn, &meeting, &new, &who.account_id, now())
        })
        .await?;
    Ok(HttpResponse::Created().json(room))
}

#[utoipa::path(
    patch, path = "/api/v1/meetings/{slug}/rooms/{id}",
    tag = "organizer", summary = "Rename or resize a room",
    params(SlugAndIdPath), request_body = RoomForm,
    responses((status = 200, description = "Changed", body = Room), MeetingWrite),
    security(("organizer" = []))
)]
pub(crate) async fn update_room(
    state: web::Data<AppState>,
    who: Organizer,
    path: web::Path<(String, String)>,
    form: crate::web::body::Body<RoomForm>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let slug = slug_or_404(&slug)?;
    let new = NewRoom::parse(&form)?;
    let room = state
        .write(move |conn| {
            let meeting = meetings::store::organized_by(conn, &slug, &who.account_id)?;
            store::update_room(conn, &meeting, &id, &new, &who.account_id, now())
        })
        .await?;
    Ok(HttpResponse::Ok().json(room))
}

#[utoipa::path(
    delete, path = "/api/v1/meetings/{slug}/rooms/{id}",
    tag = "organizer", summary = "Remove an unused room",
    params(SlugAndIdPath),
    responses((status = 204, description = "Removed"), MeetingAccess, Conflict),
    security(("organizer" = []))
)]
pub(crate) async fn delete_room(
    state: web::Data<AppState>,
    who: Organizer,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let slug = slug_or_404(&slug)?;
    state
        .write(move |conn| {
            let meeting = meetings::store::organized_by(conn, &slug, &who.account_id)?;
            store::delete_room(conn, &meeting, &id, &who.account_id, now())
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(
    post, path = "/api/v1/meetings/{slug}/sessions",
    tag = "organizer", summary = "Add a session",
    params(SlugPath), request_body = SessionForm,
    responses((status = 201, description = "Created", body = SessionView), MeetingWrite),
    security(("organizer" = []))
)]
pub(crate) async fn create_session(
    state: web::Data<AppState>,
    who: Organizer,
    slug: web::Path<String>,
    form: crate::web::body::Body<SessionForm>,
) -> AppResult<HttpResponse> {
    let slug = slug_or_404(&slug)?;
    let view = state
        .write(move |conn| {
            let meeting = meetings::store::organized_by(conn, &slug, &who.account_id)?;
            let draft = SessionDraft::parse(&form, &meeting)?;
            let item = store::create_session(conn, &meeting, &draft, &who.account_id, now())?;
            Ok(item.view(&meeting, None, true))
        })
        .await?;
    Ok(HttpResponse::Created().json(view))
}

/// Lays the sent fields over the session and checks the result like a new one.
#[utoipa::path(
    patch, path = "/api/v1/meetings/{slug}/sessions/{id}",
    tag = "organizer", summary = "Change a session",
    params(SlugAndIdPath), request_body = SessionForm,
    responses((status = 200, description = "Changed", body = SessionView), MeetingWrite),
    security(("organizer" = []))
)]
pub(crate) async fn update_session(
    state: web::Data<AppState>,
    who: Organizer,
    path: web::Path<(String, String)>,
    patch: crate::web::body::Body<Patch>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let slug = slug_or_404(&slug)?;
    let patch = patch.into_inner();
    let view = state
        .write(move |conn| {
            let meeting = meetings::store::organized_by(conn, &slug, &who.account_id)?;
            let form = patch.over(&store::session_form(conn, &meeting, &id)?)?;
            let draft = SessionDraft::parse(&form, &meeting)?;
            let item = store::update_session(conn, &meeting, &id, &draft, &who.account_id, now())?;
            Ok(item.view(&meeting, None, true))
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

#[utoipa::path(
    delete, path = "/api/v1/meetings/{slug}/sessions/{id}",
    tag = "organizer", summary = "Remove a session",
    params(SlugAndIdPath),
    responses((status = 204, description = "Removed"), MeetingAccess),
    security(("organizer" = []))
)]
pub(crate) async fn delete_session(
    state: web::Data<AppState>,
    who: Organizer,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let slug = slug_or_404(&slug)?;
    state
        .write(move |conn| {
            let meeting = meetings::store::organized_by(conn, &slug, &who.account_id)?;
            store::delete_session(conn, &meeting, &id, &who.account_id, now())
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
