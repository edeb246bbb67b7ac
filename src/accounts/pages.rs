//! The organizer's login: a session cookie (HttpOnly, SameSite, Secure over https) holding a
//! token stored as a digest, and a CSRF token derived from it on every form. The login form
//! itself, before any session, is guarded by its own token and the browser's `Origin`.

use super::model::{decoy_hash, verify_password};
use super::tokens::{self, digest, Grant, TokenKind};
use crate::db::now;
use crate::error::{AppError, AppResult};
use crate::schema::accounts;
use crate::values::Email;
use crate::web::forms::{Field, FormState};
use crate::web::page::{layout, respond, OnPage, PageContext, PageError, PageResult};
use crate::web::state::AppState;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use diesel::prelude::*;
use maud::{html, Markup};
use std::collections::HashMap;
use subtle::ConstantTimeEq;

pub const SESSION_COOKIE: &str = "convene_session";
const SESSION_HOURS: i64 = 12;
/// The login form's pre-session token: a random value in this cookie, mirrored in a hidden
/// field. Another site can make a browser post the form but can neither read nor set the
/// cookie, so it cannot log a visitor into the other site's chosen account (login CSRF).
const LOGIN_COOKIE: &str = "convene_login";
const LOGIN_FIELD: &str = "login_token";
const LOGIN_FORM_MINUTES: i64 = 60;

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

/// To the login page, coming back here afterwards, in the language asked for with `?lang=`.
pub fn to_login(req: &HttpRequest) -> HttpResponse {
    let back =
        percent_encoding::utf8_percent_encode(req.path(), percent_encoding::NON_ALPHANUMERIC)
            .to_string();
    let (lang, chosen) = crate::web::page::language_of(req);
    let lang = if chosen {
        format!("&lang={}", lang.as_str())
    } else {
        String::new()
    };
    HttpResponse::SeeOther()
        .insert_header(("Location", format!("/organizer/login?next={back}{lang}")))
        .finish()
}

/// A path under `/organizer` to go back to after logging in, normalised (decoded, dot segments
/// resolved, re-encoded) so that it cannot lead off the site; anything else goes to the
/// dashboard.
fn safe_next(next: Option<&str>) -> String {
    next.and_then(|path| crate::web::paths::local_location_under(path, "/organizer"))
        .unwrap_or_else(|| "/organizer".to_owned())
}

/// Why a login form is refused before its password is even looked at.
#[derive(Debug, PartialEq, Eq)]
enum LoginRefusal {
    OtherSite,
    NoToken,
}

/// Whether a login POST comes from our own form: a browser's `Origin`, `Sec-Fetch-Site` and
/// `Referer`, whichever it sends, name this site; and the form carries the cookie's token
/// (compared in constant time). Clients that send none of the headers still need the token.
fn from_our_form(
    req: &HttpRequest,
    fields: &HashMap<String, String>,
    base_url: &str,
) -> Result<(), LoginRefusal> {
    // This site as the base URL names it, or as the browser reached it (an operator may leave
    // the base URL at its default and serve another name): a browser's own form names one.
    let info = req.connection_info();
    let reached = format!("{}://{}", info.scheme(), info.host());
    let configured = url::Url::parse(base_url)
        .map(|url| url.origin().ascii_serialization())
        .unwrap_or_default();
    let ours = |origin: &str| origin == configured || origin == reached;
    let header = |name: &str| {
        req.headers()
            .get(name)
            // An unreadable value matches nothing.
            .map(|value| value.to_str().unwrap_or(""))
    };
    // A page sent with `Referrer-Policy: no-referrer` (all of ours) makes the browser send
    // `Origin: null` with its own forms: that says nothing, and the token decides.
    let same_origin = header("origin").is_none_or(|sent| ours(sent) || sent == "null")
        && header("sec-fetch-site").is_none_or(|site| matches!(site, "same-origin" | "none"))
        && header("referer").is_none_or(|referer| {
            url::Url::parse(referer).is_ok_and(|url| ours(&url.origin().ascii_serialization()))
        });
    if !same_origin {
        return Err(LoginRefusal::OtherSite);
    }
    let cookie = req.cookie(LOGIN_COOKIE);
    let expected = cookie.as_ref().map(|c| c.value()).unwrap_or("");
    let sent = fields.get(LOGIN_FIELD).map(String::as_str).unwrap_or("");
    if !expected.is_empty() && bool::from(sent.as_bytes().ct_eq(expected.as_bytes())) {
        Ok(())
    } else {
        Err(LoginRefusal::NoToken)
    }
}

/// The login form's token cookie, or (with an empty token) its removal.
fn login_cookie(token: &str, secure: bool) -> Cookie<'static> {
    let mut cookie = Cookie::build(LOGIN_COOKIE, token.to_owned())
        .path("/organizer/login")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .max_age(actix_web::cookie::time::Duration::minutes(
            LOGIN_FORM_MINUTES,
        ))
        .finish();
    if token.is_empty() {
        cookie.make_removal();
    }
    cookie
}

/// Why the form is shown again, if it is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Notice {
    None,
    Failed,
    Expired,
}

/// The login form with a fresh pre-session token, set in its cookie as well.
fn login_form(
    ctx: &PageContext,
    form: &FormState,
    notice: Notice,
    status: StatusCode,
    secure: bool,
) -> HttpResponse {
    let t = ctx.t();
    let token = tokens::generate();
    let markup = layout(
        ctx,
        t.login_heading,
        html! {
            h1 { (t.login_heading) }
            @match notice {
                Notice::Failed => { div.notice.bad role="alert" { p { (t.login_failed) } } }
                Notice::Expired => { div.notice.bad role="alert" { p { (t.session_expired) } } }
                Notice::None => {}
            }
            form method="post" action="/organizer/login" {
                input type="hidden" name=(LOGIN_FIELD) value=(token);
                input type="hidden" name="next" value=(form.value("next"));
                (Field::new("email", t.email).kind("email").required().autocomplete("username").input(form))
                (Field::new("password", t.password).kind("password").required().autocomplete("current-password").input(&FormState::default()))
                button type="submit" { (t.login_button) }
            }
        },
    );
    let mut response = respond(ctx, status, markup);
    let _ = response.add_cookie(&login_cookie(&token, secure));
    response
}

async fn login_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    let ctx = PageContext::new(&req);
    let mut form = FormState::default();
    form.values.insert(
        "next".into(),
        safe_next(query.get("next").map(String::as_str)),
    );
    login_form(&ctx, &form, Notice::None, StatusCode::OK, state.secure())
}

/// Logs in with the same email and password as the API; failures are slowed by the rate limit
/// and by always verifying a hash.
async fn log_in(
    state: web::Data<AppState>,
    req: HttpRequest,
    fields: web::Form<HashMap<String, String>>,
) -> PageResult {
    let ctx = PageContext::new(&req);
    state.rate_limit(&req).on_page(&ctx)?;
    let fields = fields.into_inner();
    let next = safe_next(fields.get("next").map(String::as_str));
    if let Err(refusal) = from_our_form(&req, &fields, &state.base_url) {
        tracing::info!(login.refused = ?refusal, "login form refused before checking it");
        let mut form = FormState::default();
        form.values.insert("next".into(), next);
        return Ok(login_form(
            &ctx,
            &form,
            Notice::Expired,
            StatusCode::FORBIDDEN,
            state.secure(),
        ));
    }
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
        Err(error) => return Err(PageError::new(&ctx, error)),
    };
    let verified = web::block(move || verify_password(&password, &hash))
        .await
        .unwrap_or(false);
    let Some(account_id) = account_id.filter(|_| verified) else {
        let mut form = FormState::default();
        form.values.insert("email".into(), email);
        form.values.insert("next".into(), next);
        return Ok(login_form(
            &ctx,
            &form,
            Notice::Failed,
            StatusCode::UNAUTHORIZED,
            state.secure(),
        ));
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
        Ok(token) => Ok(HttpResponse::SeeOther()
            .insert_header(("Location", next))
            .cookie(
                Cookie::build(SESSION_COOKIE, token)
                    .path("/")
                    .http_only(true)
                    .same_site(SameSite::Lax)
                    .secure(state.secure())
                    .max_age(actix_web::cookie::time::Duration::hours(SESSION_HOURS))
                    .finish(),
            )
            // The form's token has done its work.
            .cookie(login_cookie("", state.secure()))
            .finish()),
        Err(error) => Err(PageError::new(&ctx, error)),
    }
}

async fn log_out(
    state: web::Data<AppState>,
    req: HttpRequest,
    fields: web::Form<HashMap<String, String>>,
) -> PageResult {
    let ctx = PageContext::new(&req);
    let current = session(&state, &req).await.on_page(&ctx)?;
    if let Some(current) = current {
        current.check(&fields).on_page(&ctx)?;
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
            revoked.on_page(&ctx)?;
        }
    }
    let mut gone = Cookie::build(SESSION_COOKIE, "")
        .path("/")
        .http_only(true)
        .finish();
    gone.make_removal();
    Ok(HttpResponse::SeeOther()
        .insert_header(("Location", "/"))
        .cookie(gone)
        .finish())
}
