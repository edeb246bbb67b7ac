//! Logging in for an API token, and the extractors that turn bearer tokens into who is asking.

use super::model::{decoy_hash, verify_password};
use super::store;
use super::tokens::{self, Grant, TokenKind};
use crate::db::now;
use crate::error::{AppError, AppResult};
use crate::values::Email;
use crate::web::api_doc::{BadBody, TooManyRequests, Unauthorized};
use crate::web::state::AppState;
use actix_web::{dev::Payload, web, FromRequest, HttpRequest, HttpResponse};
use chrono::Duration;
use serde::Deserialize;
use std::future::Future;
use std::pin::Pin;

/// How long an organizer API token lives.
const ORGANIZER_TOKEN_DAYS: i64 = 30;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/v1/auth/token", web::post().to(create_token));
}

/// An organizer's credentials.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": "organizer@convene.example", "password": "convene-demo-2026"}))]
pub(crate) struct LoginForm {
    email: Option<String>,
    password: Option<String>,
}

/// A new organizer API token, shown once.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub(crate) struct TokenAnswer {
    token: String,
    expires_at: String,
}

#[utoipa::path(
    post, path = "/api/v1/auth/token",
    tag = "organizer", summary = "Log in for an organizer API token",
    request_body = LoginForm,
    responses(
        (status = 201, description = "A token, valid 30 days", body = TokenAnswer),
        Unauthorized, BadBody, TooManyRequests
    )
)]
pub(crate) async fn create_token(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: crate::web::body::Body<LoginForm>,
) -> AppResult<HttpResponse> {
    state.rate_limit(&req)?;
    let form = form.into_inner();
    let email = Email::parse(form.email.as_deref()).map_err(|_| AppError::Unauthenticated)?;
    let password = form.password.unwrap_or_default();
    let key = email.key();
    let found = state
        .read(move |conn| store::credentials(conn, &key))
        .await?;
    // Verify even for unknown addresses, so that timing does not tell which exist.
    let (account_id, hash) = match found {
        Some((id, hash)) => (Some(id), hash),
        None => (None, decoy_hash().to_owned()),
    };
    let verified = web::block(move || verify_password(&password, &hash)).await?;
    let Some(account_id) = account_id.filter(|_| verified) else {
        tracing::info!("organizer login refused");
        return Err(AppError::Unauthenticated);
    };
    let issued_at = now();
    let expires_at = issued_at + Duration::days(ORGANIZER_TOKEN_DAYS);
    let token = state
        .write(move |conn| {
            let grant = Grant {
                account_id: Some(&account_id),
                expires_at: Some(expires_at),
                ..Grant::default()
            };
            tokens::issue(conn, TokenKind::Organizer, grant, issued_at)
        })
        .await?;
    Ok(HttpResponse::Created().json(TokenAnswer {
        token,
        expires_at: expires_at.and_utc().to_rfc3339(),
    }))
}

/// The `Authorization: Bearer` token of a request, if it has one.
pub fn bearer_token(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(actix_web::http::header::AUTHORIZATION)?;
    let value = value.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
        .filter(|t| !t.is_empty())
}

pub(crate) type LocalFuture<T> = Pin<Box<dyn Future<Output = Result<T, AppError>>>>;

/// Resolves the request's bearer token, of one of `kinds`, to its stored row, or answers 401.
pub(crate) fn resolve_among(
    req: &HttpRequest,
    kinds: &'static [TokenKind],
) -> LocalFuture<tokens::TokenRow> {
    let token = bearer_token(req);
    let state = req.app_data::<web::Data<AppState>>().cloned();
    Box::pin(async move {
        let token = token.ok_or(AppError::Unauthenticated)?;
        let state = state.ok_or_else(|| anyhow::anyhow!("application state missing"))?;
        state
            .read(move |conn| tokens::find_any(conn, &token, now()))
            .await?
            .filter(|row| kinds.iter().any(|kind| row.kind == kind.as_str()))
            .ok_or(AppError::Unauthenticated)
    })
}

/// An organizer, known by a valid organizer API token.
#[derive(Debug, Clone)]
pub struct Organizer {
    pub account_id: String,
}

impl FromRequest for Organizer {
    type Error = AppError;
    type Future = LocalFuture<Self>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let row = resolve_among(req, &[TokenKind::Organizer]);
        Box::pin(async move {
            let account_id = row.await?.account_id.ok_or(AppError::Unauthenticated)?;
            Ok(Self { account_id })
        })
    }
}

/// A participant, known by the manage token of their registration.
#[derive(Debug, Clone)]
pub struct Participant {
    pub registration_id: String,
}

impl Participant {
    /// Maps a 404 from work on the participant's own registration to 401: the registration
    /// was deleted (by its participant, in another request) after the token was checked, so
    /// the token now stands for nothing, as the next request would find.
    pub fn deleted_meanwhile(error: AppError) -> AppError {
        match error {
            AppError::NotFound => AppError::Unauthenticated,
            other => other,
        }
    }
}

impl FromRequest for Participant {
    type Error = AppError;
    type Future = LocalFuture<Self>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let row = resolve_among(req, &[TokenKind::Manage]);
        Box::pin(async move {
            let registration_id = row
                .await?
                .registration_id
                .ok_or(AppError::Unauthenticated)?;
            Ok(Self { registration_id })
        })
    }
}
