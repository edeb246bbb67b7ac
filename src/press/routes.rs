//! Press endpoints: the attendee list for press tokens (and the meeting's organizers), and the
//! organizer's management of press tokens.

use super::model::{Attendee, AttendeeCursor, Format, ATTENDEE_COLUMNS};
use super::store;
use crate::accounts::handed_out::{self, TokenForm};
use crate::accounts::handed_out_routes::{self, Bound, TokenCreated};
use crate::accounts::routes::bearer_token;
use crate::accounts::tokens::{self, TokenKind};
use crate::accounts::{self, Organizer};
use crate::db::{now, DbConn};
use crate::error::{AppError, AppResult};
use crate::exports::{self, Export, FileFormat};
use crate::meetings::{self, Meeting};
use crate::press::store::{PressSummary, UseEntry};
use crate::web::api_doc::{
    BadBody, BadFields, MeetingAccess, PagingQuery, SlugAndIdPath, SlugPath,
};
use crate::web::state::AppState;
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
pub(crate) struct PageQuery {
    limit: Option<String>,
    cursor: Option<String>,
}

#[utoipa::path(
    get, path = "/api/v1/meetings/{slug}/attendees",
    tag = "press", summary = "Confirmed participants who agreed to be listed: five fields",
    params(SlugPath, PagingQuery),
    responses(
        (status = 200, description = "A page of attendees", body = crate::web::Page<Attendee>),
        MeetingAccess, BadFields
    ),
    security(("press" = []), ("organizer" = []))
)]
pub(crate) async fn list_attendees(
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
        .json(crate::web::Page {
            items,
            next_cursor: next,
        }))
}

/// The press list as a file.
pub fn attendees_export(meeting: &Meeting, reader: exports::Reader) -> Export {
    Export {
        slug: meeting.slug.clone(),
        what: "attendees",
        sheet: "Attendees",
        columns: ATTENDEE_COLUMNS.to_vec(),
        reader,
        rows: {
            let meeting_id = meeting.id.clone();
            Box::new(move |conn, sink| {
                store::each_attendee(conn, &meeting_id, |attendee| sink(attendee.cells(reader)))
            })
        },
    }
}

/// The press list as a file, for a press token of this meeting (its use logged) or the
/// meeting's organizer.
async fn download(
    state: &AppState,
    req: &HttpRequest,
    slug: &str,
    format: FileFormat,
) -> AppResult<HttpResponse> {
    let slug = slug_or_404(slug)?;
    let token = bearer_token(req);
    let meeting = state
        .write(move |conn| authorize(conn, token.as_deref(), &slug, format.into()))
        .await?;
    attendees_export(&meeting, exports::Reader::Program)
        .download(&state.pools, format)
        .await
}

#[utoipa::path(
    get, path = "/api/v1/meetings/{slug}/attendees.csv",
    tag = "press", summary = "The attendee list as CSV",
    params(SlugPath),
    responses(
        (status = 200, description = "CSV", body = String, content_type = "text/csv"),
        MeetingAccess
    ),
    security(("press" = []), ("organizer" = []))
)]
pub(crate) async fn attendees_csv(
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
) -> AppResult<HttpResponse> {
    download(&state, &req, &slug, FileFormat::Csv).await
}

#[utoipa::path(
    get, path = "/api/v1/meetings/{slug}/attendees.xlsx",
    tag = "press", summary = "The attendee list as XLSX",
    params(SlugPath),
    responses(
        (status = 200, description = "XLSX", body = String,
            content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        MeetingAccess
    ),
    security(("press" = []), ("organizer" = []))
)]
pub(crate) async fn attendees_xlsx(
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
) -> AppResult<HttpResponse> {
    download(&state, &req, &slug, FileFormat::Xlsx).await
}

#[utoipa::path(
    get, path = "/api/v1/meetings/{slug}/attendees/summary",
    tag = "press", summary = "Counts of listed attendees to quote",
    params(SlugPath),
    responses((status = 200, description = "Counts", body = PressSummary), MeetingAccess),
    security(("press" = []), ("organizer" = []))
)]
pub(crate) async fn attendees_summary(
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

#[utoipa::path(
    post, path = "/api/v1/meetings/{slug}/press-tokens",
    tag = "organizer", summary = "Create a press token (shown once)",
    params(SlugPath), request_body = TokenForm,
    responses(
        (status = 201, description = "The token and its link", body = TokenCreated),
        MeetingAccess, BadBody
    ),
    security(("organizer" = []))
)]
pub(crate) async fn create_press_token(
    state: web::Data<AppState>,
    who: Organizer,
    slug: web::Path<String>,
    form: crate::web::body::Body<TokenForm>,
) -> AppResult<HttpResponse> {
    let bound = (
        TokenKind::Press,
        "press",
        handed_out_routes::unbounded as Bound,
    );
    handed_out_routes::create(&state, who.account_id, &slug, form.into_inner(), bound).await
}

#[utoipa::path(
    get, path = "/api/v1/meetings/{slug}/press-tokens",
    tag = "organizer", summary = "Press tokens with their use",
    params(SlugPath),
    responses(
        (status = 200, description = "Tokens (never the tokens themselves)",
            body = crate::web::Page<handed_out::TokenView>),
        MeetingAccess
    ),
    security(("organizer" = []))
)]
pub(crate) async fn list_press_tokens(
    state: web::Data<AppState>,
    who: Organizer,
    slug: web::Path<String>,
) -> AppResult<HttpResponse> {
    handed_out_routes::list(&state, who.account_id, &slug, TokenKind::Press).await
}

#[utoipa::path(
    delete, path = "/api/v1/meetings/{slug}/press-tokens/{id}",
    tag = "organizer", summary = "Revoke a press token",
    params(SlugAndIdPath),
    responses((status = 204, description = "Revoked"), MeetingAccess),
    security(("organizer" = []))
)]
pub(crate) async fn revoke_press_token(
    state: web::Data<AppState>,
    who: Organizer,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    handed_out_routes::revoke(&state, who.account_id, path.into_inner(), TokenKind::Press).await
}

#[utoipa::path(
    get, path = "/api/v1/meetings/{slug}/press-log",
    tag = "organizer", summary = "Every use of the press tokens, newest first",
    params(
        SlugPath,
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 1000,
            description = "How many, 1 to 1000")
    ),
    responses(
        (status = 200, description = "Uses", body = crate::web::Page<UseEntry>),
        MeetingAccess, BadFields
    ),
    security(("organizer" = []))
)]
pub(crate) async fn press_log(
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
    Ok(HttpResponse::Ok().json(crate::web::Page {
        items,
        next_cursor: None,
    }))
}
