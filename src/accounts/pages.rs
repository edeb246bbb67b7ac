//! The organizer's login: a session cookie (HttpOnly, SameSite, Secure over https) holding a
//! token stored as a digest, and a CSRF token derived from it on every form.

use super::model::{decoy_hash, verify_password};
use super::tokens::{self, digest, Grant, TokenKind};
use crate::app::AppState;
use crate::db::now;
use crate::error::{AppError, AppResult};
use crate::schema::accounts;
use crate::values::Email;
use crate::web::forms::{Field, FormState};
use crate::web::page::{layout, respond, PageContext};
use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use diesel::prelude::*;
use maud::{html, Markup};
use std::collections::HashMap;
use subtle::ConstantTimeEq;

pub const SESSION_COOKIE: &str = "convene_session";
const SESSION_HOURS: i64 = 12;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/organizer/login", web::get().to(login_page))
        .route("/organizer/login", web::post().to(log_in))
        .route("/organizer/logout", web::post().to(log_out));
}

/// A logged-in organizer, from the session cookie.
#[derive(Debug, Clone)]
pub struct OrganizerSession {
    pub account_id: String,
    pub name: String,
    /// Put in every form; a POST without it is refused.
    pub csrf: String,
}

/// The CSRF token of a session: derived from the session token, which only the cookie holds,
/// so another site can neither read nor forge it.
fn csrf_of(session_token: &str) -> String {
    digest(&format!("csrf:{session_token}"))[..32].to_owned()
}

/// The session behind the request's cookie, if it is live.
pub async fn session(state: &AppState, req: &HttpRequest) -> AppResult<Option<OrganizerSession>> {
    let Some(token) = req.cookie(SESSION_COOKIE).map(|c| c.value().to_owned()) else {
        return Ok(None);
    };
    state
        .read(move |conn| {
            let Some(row) = tokens::find(conn, TokenKind::Session, &token, now())? else {
                return Ok(None);
            };
            let Some(account_id) = row.account_id else {
                return Ok(None);
            };
            let name: String = accounts::table
                .find(&account_id)
                .select(accounts::name)
                .first(conn)?;
            Ok(Some(OrganizerSession {
                account_id,
                name,
                csrf: csrf_of(&token),
            }))
        })
        .await
}

impl OrganizerSession {
    /// Refuses a form without this session's CSRF token.
    pub fn check(&self, fields: &HashMap<String, String>) -> AppResult<()> {
        let sent = fields.get("csrf").map(String::as_str).unwrap_or("");
        if bool::from(sent.as_bytes().ct_eq(self.csrf.as_bytes())) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }

    /// The hidden field every dashboard form carries.
    pub fn field(&self) -> Markup {
        html! { input type="hidden" name="csrf" value=(self.csrf); }
    }
}

/// To the login page, coming back here afterwards.
pub fn to_login(req: &HttpRequest) -> HttpResponse {
    let back =
        percent_encoding::utf8_percent_encode(req.path(), percent_encoding::NON_ALPHANUMERIC)
            .to_string();
    HttpResponse::SeeOther()
        .insert_header(("Location", format!("/organizer/login?next={back}")))
        .finish()
}

/// A path under `/organizer` to go back to after logging in, normalised (decoded, dot segments
/// resolved, re-encoded) so that it cannot lead off the site; anything else goes to the
/// dashboard.
fn safe_next(next: Option<&str>) -> String {
    next.and_then(|path| crate::web::paths::local_location_under(path, "/organizer"))
        .unwrap_or_else(|| "/organizer".to_owned())
}

fn login_form(
    ctx: &PageContext,
    form: &FormState,
    failed: bool,
    status: StatusCode,
) -> HttpResponse {
    let t = ctx.t();
    let markup = layout(
        ctx,
        t.login_heading,
        html! {
            h1 { (t.login_heading) }
            @if failed { div.notice.bad role="alert" { p { (t.login_failed) } } }
            form method="post" action="/organizer/login" {
                input type="hidden" name="next" value=(form.value("next"));
                (Field::new("email", t.email).kind("email").required().autocomplete("username").input(form))
                (Field::new("password", t.password).kind("password").required().autocomplete("current-password").input(&FormState::default()))
                button type="submit" { (t.login_button) }
            }
        },
    );
    respond(ctx, status, markup)
}

async fn login_page(req: HttpRequest, query: web::Query<HashMap<String, String>>) -> HttpResponse {
    let ctx = PageContext::new(&req);
    let mut form = FormState::default();
    form.values.insert(
        "next".into(),
        safe_next(query.get("next").map(String::as_str)),
    );
    login_form(&ctx, &form, false, StatusCode::OK)
}

/// Logs in with the same email and password as the API; failures are slowed by the rate limit
/// and by always verifying a hash.
async fn log_in(
    state: web::Data<AppState>,
    req: HttpRequest,
    fields: web::Form<HashMap<String, String>>,
) -> HttpResponse {
    let ctx = PageContext::new(&req);
    if let Err(error) = state.rate_limit(&req) {
        return crate::web::page::error_page(&ctx, &error);
    }
    let fields = fields.into_inner();
    let next = safe_next(fields.get("next").map(String::as_str));
    let email = fields.get("email").cloned().unwrap_or_default();
    let password = fields.get("password").cloned().unwrap_or_default();
    let key = Email::parse(Some(&email))
        .map(|e| e.key())
        .unwrap_or_default();
    let found = state
        .read(move |conn| super::store::credentials(conn, &key))
        .await;
    let (account_id, hash) = match found {
        Ok(Some((id, hash))) => (Some(id), hash),
        Ok(None) => (None, decoy_hash().to_owned()),
        Err(error) => return crate::web::page::error_page(&ctx, &error),
    };
    let verified = web::block(move || verify_password(&password, &hash))
        .await
        .unwrap_or(false);
    let Some(account_id) = account_id.filter(|_| verified) else {
        let mut form = FormState::default();
        form.values.insert("email".into(), email);
        form.values.insert("next".into(), next);
        return login_form(&ctx, &form, true, StatusCode::UNAUTHORIZED);
    };
    let issued_at = now();
    let token = state
        .write(move |conn| {
            let grant = Grant {
                account_id: Some(&account_id),
                expires_at: Some(issued_at + chrono::Duration::hours(SESSION_HOURS)),
                ..Grant::default()
            };
            tokens::issue(conn, TokenKind::Session, grant, issued_at)
        })
        .await;
    match token {
        Ok(token) => HttpResponse::SeeOther()
            .insert_header(("Location", next))
            .cookie(
                Cookie::build(SESSION_COOKIE, token)
                    .path("/")
                    .http_only(true)
                    .same_site(SameSite::Lax)
                    .secure(state.base_url.starts_with("https://"))
                    .max_age(actix_web::cookie::time::Duration::hours(SESSION_HOURS))
                    .finish(),
            )
            .finish(),
        Err(error) => crate::web::page::error_page(&ctx, &error),
    }
}

async fn log_out(
    state: web::Data<AppState>,
    req: HttpRequest,
    fields: web::Form<HashMap<String, String>>,
) -> HttpResponse {
    let ctx = PageContext::new(&req);
    let current = match session(&state, &req).await {
        Ok(current) => current,
        Err(error) => return crate::web::page::error_page(&ctx, &error),
    };
    if let Some(current) = current {
        if let Err(error) = current.check(&fields) {
            return crate::web::page::error_page(&ctx, &error);
        }
        if let Some(token) = req.cookie(SESSION_COOKIE).map(|c| c.value().to_owned()) {
            let revoked = state
                .write(move |conn| {
                    let at = now();
                    diesel::update(
                        crate::schema::tokens::table
                            .filter(crate::schema::tokens::digest.eq(digest(&token))),
                    )
                    .set(crate::schema::tokens::revoked_at.eq(at))
                    .execute(conn)?;
                    Ok(())
                })
                .await;
            if let Err(error) = revoked {
                return crate::web::page::error_page(&ctx, &error);
            }
        }
    }
    let mut gone = Cookie::build(SESSION_COOKIE, "")
        .path("/")
        .http_only(true)
        .finish();
    gone.make_removal();
    HttpResponse::SeeOther()
        .insert_header(("Location", "/"))
        .cookie(gone)
        .finish()
}
