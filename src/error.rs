//! The one error type of the service and its one mapping to HTTP.

use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{http::StatusCode, HttpResponse, ResponseError};
use serde::Serialize;

/// A problem with one value, before we know which field it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub code: &'static str,
    pub message: String,
}

impl Problem {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
    pub fn required() -> Self {
        Self::new("required", "is required")
    }
}

/// A problem tied to a field of the request (`field` is `None` when it belongs to none).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    pub field: Option<String>,
    #[schema(value_type = String)]
    pub code: &'static str,
    pub message: String,
    /// For a clash: the session that is in the way.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub session: Option<serde_json::Value>,
}

impl FieldError {
    pub fn new(field: &str, problem: Problem) -> Self {
        Self {
            field: Some(field.to_owned()),
            code: problem.code,
            message: problem.message,
            session: None,
        }
    }
}

/// Collects every bad field of a request, so that all are reported at once.
#[derive(Debug, Default)]
pub struct Checks {
    errors: Vec<FieldError>,
}

impl Checks {
    /// Keeps the value, or records the problem under `field`.
    pub fn field<T>(&mut self, field: &str, parsed: Result<T, Problem>) -> Option<T> {
        match parsed {
            Ok(value) => Some(value),
            Err(problem) => {
                self.errors.push(FieldError::new(field, problem));
                None
            }
        }
    }
    pub fn add(&mut self, field: &str, problem: Problem) {
        self.errors.push(FieldError::new(field, problem));
    }
    pub fn is_clean(&self) -> bool {
        self.errors.is_empty()
    }
    /// How many problems are recorded.
    pub fn len(&self) -> usize {
        self.errors.len()
    }
    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }
    /// The problems recorded, to be named again (a line of a file under `lines[N]`).
    pub fn into_errors(self) -> Vec<FieldError> {
        self.errors
    }
    /// The error to answer; only meaningful after at least one problem was recorded.
    pub fn into_error(self) -> AppError {
        if self.errors.is_empty() {
            AppError::Unexpected(anyhow::anyhow!(
                "validation failed without a recorded problem"
            ))
        } else {
            AppError::Invalid(self.errors)
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    #[error("not found")]
    NotFound,
    #[error("authentication required")]
    Unauthenticated,
    #[error("forbidden")]
    Forbidden,
    /// Not allowed for a reason the caller can act on, named by its code
    /// (`invitation_required`).
    #[error("refused: {code}")]
    Refused { code: &'static str, message: String },
    #[error("conflict: {code}")]
    Conflict { code: &'static str, message: String },
    /// A conflict with something that can be named, such as the session in a room's way.
    #[error("conflict: {}", .0.code)]
    Clash(FieldError),
    #[error("request body too large")]
    PayloadTooLarge,
    /// The body did not arrive whole within its deadline.
    #[error("request body too slow")]
    RequestTimeout,
    /// A known path asked with a method it does not answer; holds the `Allow` value.
    #[error("method not allowed")]
    MethodNotAllowed(&'static str),
    #[error("too many requests")]
    RateLimited { retry_after_secs: u64 },
    #[error("service unavailable")]
    Unavailable,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn invalid(field: &str, problem: Problem) -> Self {
        Self::Invalid(vec![FieldError::new(field, problem)])
    }
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::Conflict {
            code,
            message: message.into(),
        }
    }
    /// The body every error answers: `{"errors": [...]}`.
    pub fn field_errors(&self) -> Vec<FieldError> {
        let single = |code: &'static str, message: &str| {
            vec![FieldError {
                field: None,
                code,
                message: message.to_owned(),
                session: None,
            }]
        };
        match self {
            Self::Invalid(errors) => errors.clone(),
            Self::NotFound => single("not_found", "not found"),
            Self::Unauthenticated => single("unauthenticated", "a valid token is required"),
            Self::Forbidden => single("forbidden", "this token may not do that"),
            Self::Refused { code, message } => single(code, message),
            Self::Conflict { code, message } => single(code, message),
            Self::Clash(error) => vec![error.clone()],
            Self::PayloadTooLarge => single("too_large", "the request body is too large"),
            Self::RequestTimeout => single("timeout", "the request body did not arrive in time"),
            Self::MethodNotAllowed(allow) => single(
                "method_not_allowed",
                &format!("this address answers only {allow}"),
            ),
            Self::RateLimited { .. } => single("rate_limited", "too many requests, slow down"),
            Self::Unavailable => single("unavailable", "the service is briefly unavailable"),
            Self::Unexpected(_) => single("internal", "internal error"),
        }
    }
}

/// Every error answer: `{"errors": [{"field", "code", "message"}]}`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    errors: Vec<FieldError>,
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Unauthenticated => StatusCode::UNAUTHORIZED,
            Self::Forbidden | Self::Refused { .. } => StatusCode::FORBIDDEN,
            Self::Conflict { .. } | Self::Clash(_) => StatusCode::CONFLICT,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            Self::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        self.log_if_unexpected();
        let mut response = HttpResponse::build(self.status_code());
        if let Some(header) = self.header() {
            response.insert_header(header);
        }
        response.json(ErrorBody {
            errors: self.field_errors(),
        })
    }
}

impl AppError {
    /// The header the answer to this error carries, as JSON or as a page.
    pub fn header(&self) -> Option<(HeaderName, HeaderValue)> {
        use actix_web::http::header::{ALLOW, CONNECTION, RETRY_AFTER, WWW_AUTHENTICATE};
        match self {
            Self::RateLimited { retry_after_secs } => {
                Some((RETRY_AFTER, HeaderValue::from(*retry_after_secs)))
            }
            Self::Unavailable => Some((RETRY_AFTER, HeaderValue::from_static("1"))),
            Self::Unauthenticated => Some((WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"))),
            Self::MethodNotAllowed(allow) => Some((ALLOW, HeaderValue::from_static(allow))),
            // The rest of a slow body is not waited for.
            Self::RequestTimeout => Some((CONNECTION, HeaderValue::from_static("close"))),
            _ => None,
        }
    }

    /// Logs the cause of an unexpected error where it is answered (the answer says nothing of
    /// it).
    pub fn log_if_unexpected(&self) {
        if let Self::Unexpected(cause) = self {
            tracing::error!(
                error.cause = format!("{cause:#}"),
                "request failed unexpectedly"
            );
        }
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(error: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match error {
            Error::NotFound => Self::NotFound,
            // A connection libpq already knows is closed fails before sending: unable to send.
            Error::DatabaseError(
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
                _,
            ) => {
                crate::db::connection_lost();
                Self::Unavailable
            }
            Error::DatabaseError(_, ref info) if is_busy_message(info.message()) => {
                Self::Unavailable
            }
            other => Self::Unexpected(other.into()),
        }
    }
}

impl AppError {
    /// An error of a call through `db::DirectPg` (a lost connection is handled there).
    pub fn from_postgres(error: tokio_postgres::Error) -> Self {
        Self::Unexpected(error.into())
    }
}

impl From<diesel::r2d2::PoolError> for AppError {
    fn from(error: diesel::r2d2::PoolError) -> Self {
        tracing::warn!(error.cause = %error, "no database connection available");
        Self::Unavailable
    }
}

impl From<actix_web::error::BlockingError> for AppError {
    fn from(error: actix_web::error::BlockingError) -> Self {
        Self::Unexpected(anyhow::anyhow!("blocking task failed: {error}"))
    }
}

/// A deserialisation error as a field error: `organization.kind`, `speakers[0].name`.
pub fn field_error(error: serde_path_to_error::Error<serde_json::Error>) -> AppError {
    let path = error.path().to_string();
    let inner = error.into_inner();
    let message = inner.to_string();
    let message = message
        .split(" at line ")
        .next()
        .unwrap_or(&message)
        .to_owned();
    // The path already ends with the unknown field's name.
    if message.starts_with("unknown field `") {
        return AppError::Invalid(vec![FieldError {
            field: Some(path),
            code: "unknown_field",
            message: "is not a field of this request".into(),
            session: None,
        }]);
    }
    let field = (path != "." && !path.is_empty()).then_some(path);
    AppError::Invalid(vec![FieldError {
        field,
        code: "invalid",
        message,
        session: None,
    }])
}

/// Parses a JSON value into `T`, naming the field on failure.
pub fn from_value<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> Result<T, AppError> {
    serde_path_to_error::deserialize(value).map_err(field_error)
}

/// SQLite's words for a database another connection holds: a moment's unavailability, not a
/// fault.
pub fn is_busy_message(message: &str) -> bool {
    message.contains("database is locked") || message.contains("database is busy")
}
