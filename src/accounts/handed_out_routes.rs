//! The organizer's API for tokens handed out for one meeting (press, desk): make one (shown
//! once, with its page's address), list them, revoke one. Each kind's routes call these with
//! its kind and the path of its page.

use super::handed_out::{self, NewToken, TokenForm};
use super::tokens::TokenKind;
use crate::db::now;
use crate::error::AppResult;
use crate::meetings::{self, Meeting};
use crate::web::slug_or_404;
use crate::web::state::AppState;
use actix_web::HttpResponse;
use serde::Serialize;

/// A token just made: shown once, with the address of its page.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TokenCreated {
    pub id: String,
    pub label: String,
    pub expires_at: String,
    pub token: String,
    /// The token's page (`/press/{token}`, `/desk/{token}`).
    pub link: String,
}

/// How a kind limits a new token by its meeting (a desk's ends with the meeting).
pub type Bound = fn(NewToken, &Meeting) -> AppResult<NewToken>;

/// No limit beyond the token's own (a year at most).
pub fn unbounded(new: NewToken, _: &Meeting) -> AppResult<NewToken> {
    Ok(new)
}

/// Makes a token of `kind` for the meeting `slug` organized by `account_id`; 201 with it.
pub async fn create(
    state: &AppState,
    account_id: String,
    slug: &str,
    form: TokenForm,
    (kind, page, bound): (TokenKind, &'static str, Bound),
) -> AppResult<HttpResponse> {
    let slug = slug_or_404(slug)?;
    let base_url = state.base_url.clone();
    let created = state
        .write_unseen(move |conn| {
            let at = now();
            let meeting = meetings::store::organized_by(conn, &slug, &account_id)?;
            let new = bound(NewToken::parse(&form, at)?, &meeting)?;
            let issued = handed_out::issue(conn, kind, &meeting.id, &account_id, &new, at)?;
            Ok(TokenCreated {
                id: issued.id,
                label: new.label,
                expires_at: new.expires_at.and_utc().to_rfc3339(),
                link: format!("{base_url}/{page}/{}", issued.token),
                token: issued.token,
            })
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header(("Cache-Control", "no-store"))
        .json(created))
}

/// The meeting's tokens of `kind`, as a page of one.
pub async fn list(
    state: &AppState,
    account_id: String,
    slug: &str,
    kind: TokenKind,
) -> AppResult<HttpResponse> {
    let slug = slug_or_404(slug)?;
    let items = state
        .read(move |conn| {
            let meeting = meetings::store::organized_by(conn, &slug, &account_id)?;
            handed_out::list(conn, kind, &meeting.id, now())
        })
        .await?;
    Ok(HttpResponse::Ok().json(crate::web::Page {
        items,
        next_cursor: None,
    }))
}

/// Revokes one of the meeting's tokens of `kind`: 204, at once.
pub async fn revoke(
    state: &AppState,
    account_id: String,
    (slug, id): (String, String),
    kind: TokenKind,
) -> AppResult<HttpResponse> {
    let slug = slug_or_404(&slug)?;
    state
        .write_unseen(move |conn| {
            let meeting = meetings::store::organized_by(conn, &slug, &account_id)?;
            handed_out::revoke(conn, kind, &meeting.id, &id, &account_id, now())
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
