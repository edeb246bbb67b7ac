//! What the handlers' OpenAPI annotations share, written once: the error answers (types for
//! `responses(...)`) and the path and query parameters (types for `params(...)`). They only
//! describe; no handler reads or returns them.
//!
//! Each error answer is one type with its status and description; a set of them that
//! endpoints keep answering together is a type listing its parts (`response_set!`), so a
//! handler names what it can answer besides success in a word or two:
//! `responses((status = 200, description = "Rooms", body = Page<Room>), MeetingAccess)`.

use crate::error::ErrorBody;
use std::collections::BTreeMap;
use utoipa::openapi::{response::Response, RefOr};
use utoipa::{IntoParams, IntoResponses};

/// 304: the client's `If-None-Match` names the current version; no body.
#[derive(IntoResponses)]
#[response(status = 304, description = "Unchanged since If-None-Match")]
pub struct NotModified;

/// 401: no token, or not one of the kinds the endpoint takes.
#[derive(IntoResponses)]
#[response(status = 401, description = "No valid token of the right kind")]
pub struct Unauthorized(pub ErrorBody);

/// 403: a valid token, but for another meeting.
#[derive(IntoResponses)]
#[response(status = 403, description = "A token for another meeting")]
pub struct Forbidden(pub ErrorBody);

/// 404: no such meeting (or not one the caller may see), or no such item in it.
#[derive(IntoResponses)]
#[response(status = 404, description = "Unknown meeting or item")]
pub struct NotFound(pub ErrorBody);

/// 409: the request clashes with the state of things; the error's code says how.
#[derive(IntoResponses)]
#[response(status = 409, description = "Conflict (code names it)")]
pub struct Conflict(pub ErrorBody);

/// 413: the body is over the limit.
#[derive(IntoResponses)]
#[response(status = 413, description = "Body too large")]
pub struct TooLarge(pub ErrorBody);

/// 422: the body or the query does not pass; every bad field is named.
#[derive(IntoResponses)]
#[response(status = 422, description = "Bad fields, each named")]
pub struct BadFields(pub ErrorBody);

/// 429: the address's rate limit on public writes is spent.
#[derive(IntoResponses)]
#[response(
    status = 429,
    description = "Too many requests from this address; see Retry-After"
)]
pub struct TooManyRequests(pub ErrorBody);

/// A type whose responses are those of its parts, for answers that go together.
macro_rules! response_set {
    ($(#[$doc:meta])* $name:ident = $($part:ty),+ $(,)?) => {
        $(#[$doc])*
        pub struct $name;

        impl IntoResponses for $name {
            fn responses() -> BTreeMap<String, RefOr<Response>> {
                let mut responses = BTreeMap::new();
                $(responses.extend(<$part as IntoResponses>::responses());)+
                responses
            }
        }
    };
}

response_set!(
    /// A public read that answers 304 to a client with the current version: 304, 404.
    PublicRead = NotModified, NotFound
);

response_set!(
    /// A body the endpoint will not take: 413, 422.
    BadBody = TooLarge, BadFields
);

response_set!(
    /// An endpoint of one meeting that takes a token for it: 401, 403, 404.
    MeetingAccess = Unauthorized, Forbidden, NotFound
);

response_set!(
    /// A change with a body to one meeting or its items: 401, 403, 404, 409, 413, 422.
    MeetingWrite = MeetingAccess, Conflict, BadBody
);

/// `{slug}`.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct SlugPath {
    /// The meeting slug
    pub slug: String,
}

/// `{slug}` and `{id}`, an item of the meeting.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct SlugAndIdPath {
    /// The meeting slug
    pub slug: String,
    /// The item id
    pub id: String,
}

/// `?lang=`, for what has translations.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LangQuery {
    /// en or es: pick translations
    pub lang: Option<String>,
}

/// `?limit=&cursor=` of a paged list (`web::page_limit`, `web::id_cursor`).
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PagingQuery {
    /// Page size, 1 to 1000, default 100
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
    /// The next_cursor of the previous page
    pub cursor: Option<String>,
}
