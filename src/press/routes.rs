//! Press endpoints: the attendee list for press tokens (and the meeting's organizers), and the
//! organizer's management of press tokens.

use super::model::{
    Attendee, AttendeeCursor, Format, NewPressToken, PressTokenForm, ATTENDEE_COLUMNS,
};
use super::store;
use crate::accounts::routes::bearer_token;
use crate::accounts::tokens::{self, TokenKind};
use crate::accounts::{self, Organizer};
use crate::app::AppState;
use crate::db::{now, DbConn};
use crate::error::{AppError, AppResult};
use crate::exports::{self, NextPage};
use crate::meetings::{self, Meeting};
use crate::web::{page_limit, slug_or_404};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/api/v1/meetings/{slug}/attendees",
        web::get().to(list_attendees),
    )
    .route(
        "/api/v1/meetings/{slug}/attendees.csv",
        web::get().to(attendees_csv),
    )
    .route(
        "/api/v1/meetings/{slug}/attendees.xlsx",
        web::get().to(attendees_xlsx),
    )
    .route(
        "/api/v1/meetings/{slug}/attendees/summary",
        web::get().to(attendees_summary),
    )
    .route(
        "/api/v1/meetings/{slug}/press-tokens",
        web::post().to(create_press_token),
    )
    .route(
        "/api/v1/meetings/{slug}/press-tokens",
        web::get().to(list_press_tokens),
    )
    .route(
        "/api/v1/meetings/{slug}/press-tokens/{id}",
        web::delete().to(revoke_press_token),
    )
    .route(
        "/api/v1/meetings/{slug}/press-log",
        web::get().to(press_log),
    );
}

/// Who reads the press list: a press token of the meeting, or one of its organizers.
enum Reader {
    Press { token_id: String },
    Organizer,
}

/// Resolves the bearer token against the meeting: 401 without a press or organizer token,
/// 404 for an unknown meeting, 403 for another meeting's token.
fn authorize(
    conn: &mut DbConn,
    token: Option<&str>,
    slug: &crate::values::Slug,
    format: Format,
) -> AppResult<Meeting> {
    let at = now();
    let row = match token {
        Some(token) => tokens::find_any(conn, token, at)?,
        None => None,
    };
    let reader = match row {
        Some(row) if row.kind == TokenKind::Press.as_str() => {
            (row.meeting_id, Reader::Press { token_id: row.id })
        }
        Some(row) if row.kind == TokenKind::Organizer.as_str() => {
            (row.account_id, Reader::Organizer)
        }
        _ => return Err(AppError::Unauthenticated),
    };
    let meeting = meetings::store::by_slug(conn, slug)?;
    match reader {
        (scope, Reader::Press { token_id }) => {
            if scope.as_deref() != Some(meeting.id.as_str()) {
                return Err(AppError::Forbidden);
            }
            store::record_use(conn, &token_id, &meeting.id, format, at)?;
        }
        (account, Reader::Organizer) => {
            let account = account.ok_or(AppError::Unauthenticated)?;
            if !accounts::store::organizes(conn, &meeting.id, &account)? {
                return Err(AppError::Forbidden);
            }
        }
    }
    Ok(meeting)
}

#[derive(Deserialize)]
struct PageQuery {
    limit: Option<String>,
    cursor: Option<String>,
}

async fn list_attendees(
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
    query: web::Query<PageQuery>,
) -> AppResult<HttpResponse> {
    let slug = slug_or_404(&slug)?;
    let token = bearer_token(&req);
    let limit = page_limit(query.limit.as_deref()).map_err(|p| AppError::invalid("limit", p))?;
    let cursor = match query.cursor.as_deref().filter(|c| !c.is_empty()) {
        Some(raw) => Some(AttendeeCursor::decode(raw).map_err(|p| AppError::invalid("cursor", p))?),
        None => None,
    };
    let (items, next) = state
        .write(move |conn| {
            let meeting = authorize(conn, token.as_deref(), &slug, Format::Json)?;
            let mut items = store::attendees(conn, &meeting.id, cursor.as_ref(), limit + 1)?;
            let next = if items.len() as i64 > limit {
                items.truncate(limit as usize);
                items.last().map(|a| AttendeeCursor::after(a).encode())
            } else {
                None
            };
            Ok((items, next))
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(serde_json::json!({"items": items, "next_cursor": next})))
}

/// Pages of the press list, for the file exports.
pub fn attendee_pages(meeting_id: String) -> NextPage {
    let mut cursor: Option<AttendeeCursor> = None;
    let mut done = false;
    Box::new(move |conn| {
        if done {
            return Ok(None);
        }
        let page = store::attendees(conn, &meeting_id, cursor.as_ref(), 1000)?;
        done = page.len() < 1000;
        cursor = page.last().map(AttendeeCursor::after);
        Ok(Some(page.into_iter().map(Attendee::cells).collect()))
    })
}

pub fn file_name(meeting: &Meeting, what: &str, extension: &str) -> String {
    format!(
        "{}-{what}-{}.{extension}",
        meeting.slug,
        now().format("%Y-%m-%d")
    )
}

async fn attendees_csv(
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
) -> AppResult<HttpResponse> {
    let slug = slug_or_404(&slug)?;
    let token = bearer_token(&req);
    let meeting = state
        .write(move |conn| authorize(conn, token.as_deref(), &slug, Format::Csv))
        .await?;
    let name = file_name(&meeting, "attendees", "csv");
    Ok(exports::csv_response(
        &state.pools,
        &ATTENDEE_COLUMNS,
        attendee_pages(meeting.id),
        &name,
    ))
}

async fn attendees_xlsx(
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
) -> AppResult<HttpResponse> {
    let slug = slug_or_404(&slug)?;
    let token = bearer_token(&req);
    let meeting = state
        .write(move |conn| authorize(conn, token.as_deref(), &slug, Format::Xlsx))
        .await?;
    let name = file_name(&meeting, "attendees", "xlsx");
    let bytes = state
        .read(move |conn| {
            exports::xlsx(
                conn,
                "Attendees",
                &ATTENDEE_COLUMNS,
                attendee_pages(meeting.id),
            )
        })
        .await?;
    Ok(exports::xlsx_response(bytes, &name))
}

async fn attendees_summary(
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
) -> AppResult<HttpResponse> {
    let slug = slug_or_404(&slug)?;
    let token = bearer_token(&req);
    let summary = state
        .write(move |conn| {
            let meeting = authorize(conn, token.as_deref(), &slug, Format::Summary)?;
            store::summary(conn, &meeting.id)
        })
        .await?;
    Ok(HttpResponse::Ok().json(summary))
}

async fn create_press_token(
    state: web::Data<AppState>,
    who: Organizer,
    slug: web::Path<String>,
    form: crate::web::body::Body<PressTokenForm>,
) -> AppResult<HttpResponse> {
    let slug = slug_or_404(&slug)?;
    let base_url = state.base_url.clone();
    let created = state
        .write(move |conn| {
            let at = now();
            let meeting = meetings::store::organized_by(conn, &slug, &who.account_id)?;
            let new = NewPressToken::parse(&form, at)?;
            let issued = store::create_token(conn, &meeting.id, &who.account_id, &new, at)?;
            Ok(serde_json::json!({
                "id": issued.id,
                "label": new.label,
                "expires_at": new.expires_at.and_utc().to_rfc3339(),
                "token": issued.token,
                "link": format!("{base_url}/press/{}", issued.token),
            }))
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header(("Cache-Control", "no-store"))
        .json(created))
}

async fn list_press_tokens(
    state: web::Data<AppState>,
    who: Organizer,
    slug: web::Path<String>,
) -> AppResult<HttpResponse> {
    let slug = slug_or_404(&slug)?;
    let items = state
        .read(move |conn| {
            let meeting = meetings::store::organized_by(conn, &slug, &who.account_id)?;
            store::list_tokens(conn, &meeting.id, now())
        })
        .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({"items": items, "next_cursor": null})))
}

async fn revoke_press_token(
    state: web::Data<AppState>,
    who: Organizer,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let slug = slug_or_404(&slug)?;
    state
        .write(move |conn| {
            let meeting = meetings::store::organized_by(conn, &slug, &who.account_id)?;
            store::revoke(conn, &meeting.id, &id, &who.account_id, now())
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn press_log(
    state: web::Data<AppState>,
    who: Organizer,
    slug: web::Path<String>,
    query: web::Query<PageQuery>,
) -> AppResult<HttpResponse> {
    let slug = slug_or_404(&slug)?;
    let limit = page_limit(query.limit.as_deref()).map_err(|p| AppError::invalid("limit", p))?;
    let items = state
        .read(move |conn| {
            let meeting = meetings::store::organized_by(conn, &slug, &who.account_id)?;
            store::uses(conn, &meeting.id, limit)
        })
        .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({"items": items, "next_cursor": null})))
}
