//! The check-in API: desk tokens (organizer), the desk's list and its check-ins (one, a batch
//! made offline, an undo), and the organizer's attendance file.

use super::desk::{Checker, Desk, Who};
use super::{store, CheckIn, CheckInAnswer, CheckInForm, DeskParticipant, BATCH_LIMIT};
use crate::accounts::handed_out::{TokenForm, TokenView};
use crate::accounts::handed_out_routes::{self, Bound, TokenCreated};
use crate::accounts::tokens::TokenKind;
use crate::accounts::Organizer;
use crate::db::{now, DbConn};
use crate::error::{AppError, AppResult, FieldError, Problem};
use crate::meetings::Meeting;
use crate::web::api_doc::{
    BadBody, BadFields, Conflict, MeetingAccess, NotFound, SlugAndIdPath, SlugPath, TooLarge,
    Unauthorized,
};
use crate::web::state::AppState;
use crate::web::PagingParams;
use actix_web::{web, HttpResponse, ResponseError};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// A batch's body, at most: [`BATCH_LIMIT`] scans of some 200 bytes, with room to spare.
const BATCH_BODY_LIMIT: usize = 512 * 1024;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/api/v1/meetings/{slug}/desk-tokens",
        web::post().to(create_desk_token),
    )
    .route(
        "/api/v1/meetings/{slug}/desk-tokens",
        web::get().to(list_desk_tokens),
    )
    .route(
        "/api/v1/meetings/{slug}/desk-tokens/{id}",
        web::delete().to(revoke_desk_token),
    )
    .route("/api/v1/desk/participants", web::get().to(desk_list))
    .route("/api/v1/desk/check-ins", web::post().to(check_in))
    .service(
        web::resource("/api/v1/desk/check-ins/batch")
            .app_data(web::PayloadConfig::new(BATCH_BODY_LIMIT))
            .route(web::post().to(check_in_batch)),
    )
    .route("/api/v1/desk/check-ins/undo", web::post().to(undo));
}

#[utoipa::path(
    post, path = "/api/v1/meetings/{slug}/desk-tokens",
    tag = "check-in", summary = "Create a token for the check-in desk (shown once)",
    params(SlugPath), request_body = TokenForm,
    responses(
        (status = 201, description = "The token and the desk page's address", body = TokenCreated),
        MeetingAccess, BadBody
    ),
    security(("organizer" = []))
)]
pub(crate) async fn create_desk_token(
    state: web::Data<AppState>,
    who: Organizer,
    slug: web::Path<String>,
    form: crate::web::body::Body<TokenForm>,
) -> AppResult<HttpResponse> {
    let bound = (TokenKind::Desk, "desk", super::desk::bounded as Bound);
    handed_out_routes::create(&state, who.account_id, &slug, form.into_inner(), bound).await
}

#[utoipa::path(
    get, path = "/api/v1/meetings/{slug}/desk-tokens",
    tag = "check-in", summary = "The meeting's desk tokens (never the tokens themselves)",
    params(SlugPath),
    responses(
        (status = 200, description = "Desk tokens", body = crate::web::Page<TokenView>),
        MeetingAccess
    ),
    security(("organizer" = []))
)]
pub(crate) async fn list_desk_tokens(
    state: web::Data<AppState>,
    who: Organizer,
    slug: web::Path<String>,
) -> AppResult<HttpResponse> {
    handed_out_routes::list(&state, who.account_id, &slug, TokenKind::Desk).await
}

#[utoipa::path(
    delete, path = "/api/v1/meetings/{slug}/desk-tokens/{id}",
    tag = "check-in", summary = "Revoke a desk token: it stops working at once",
    params(SlugAndIdPath),
    responses((status = 204, description = "Revoked"), MeetingAccess),
    security(("organizer" = []))
)]
pub(crate) async fn revoke_desk_token(
    state: web::Data<AppState>,
    who: Organizer,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    handed_out_routes::revoke(&state, who.account_id, path.into_inner(), TokenKind::Desk).await
}

#[derive(Debug, Deserialize)]
pub struct DeskListQuery {
    pub since: Option<String>,
    #[serde(flatten)]
    pub paging: PagingParams,
}

/// A page of the desk's list.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DeskPage {
    pub items: Vec<DeskParticipant>,
    pub next_cursor: Option<String>,
    /// With `since`: ids that left the list after it (cancelled, deleted).
    pub removed: Vec<String>,
    /// The `since` of the next request: the time of this answer, less a margin for writes
    /// that were under way (the next answer may repeat a few people).
    pub as_of: String,
    /// The meeting's day of this answer (its time zone): `checked_in_at` is of this day.
    pub day: String,
}

/// How far back a desk's next `?since=` reaches beyond the last answer.
const SINCE_MARGIN: chrono::TimeDelta = chrono::TimeDelta::seconds(30);

#[utoipa::path(
    get, path = "/api/v1/desk/participants",
    tag = "check-in", summary = "The meeting's confirmed participants, for the desk",
    params(
        ("since" = Option<String>, Query, description = "Only what changed after this time (RFC 3339): the last answer's `as_of`"),
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 1000, description = "How many, 1 to 1000"),
        ("cursor" = Option<String>, Query, description = "The last page's next_cursor")
    ),
    responses(
        (status = 200, description = "Participants", body = DeskPage),
        Unauthorized, BadFields
    ),
    security(("desk" = []))
)]
pub(crate) async fn desk_list(
    state: web::Data<AppState>,
    desk: Desk,
    query: web::Query<DeskListQuery>,
) -> AppResult<HttpResponse> {
    let mut checks = crate::error::Checks::default();
    let since = checks.field(
        "since",
        crate::meetings::model::parse_time(query.since.as_deref()),
    );
    let (since, page) = match (since, query.paging.parse()) {
        (Some(since), Ok(page)) => (since, page),
        (_, page) => {
            let mut errors = checks.into_errors();
            if let Err(AppError::Invalid(more)) = page {
                errors.extend(more);
            }
            return Err(AppError::Invalid(errors));
        }
    };
    let answer = state
        .read(move |conn| {
            let at = now();
            let meeting = desk.meeting(conn)?;
            let list = store::desk_list(conn, &meeting, since, &page, at)?;
            Ok(DeskPage {
                items: list.items,
                next_cursor: list.next_cursor,
                removed: list.removed,
                // A change made just before this read may commit just after it: the next
                // `since` reaches back far enough to see it (the desk merges by id).
                as_of: (at - SINCE_MARGIN).and_utc().to_rfc3339(),
                day: super::day_of(&meeting, at).to_string(),
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(answer))
}

#[derive(Debug, Deserialize)]
pub struct MeetingQuery {
    /// The meeting an organizer checks in at (a desk token knows its own).
    pub meeting: Option<String>,
}

/// One check-in, on a meeting already resolved.
fn record(
    conn: &mut DbConn,
    meeting: &Meeting,
    form: &CheckInForm,
    who: &Who,
    batch: bool,
) -> AppResult<CheckInAnswer> {
    let at = now();
    let scan = CheckIn::parse(form, meeting, at)?;
    store::check_in(conn, meeting, &scan, &who.source(batch), at)
}

#[utoipa::path(
    post, path = "/api/v1/desk/check-ins",
    tag = "check-in", summary = "Check a person in",
    description = "Counts one arrival per person and day: a second scan (by any desk) answers `first: false`, and a scan sent again under the same nonce records nothing.",
    params(("meeting" = Option<String>, Query, description = "The meeting's slug, for an organizer's token")),
    request_body = CheckInForm,
    responses(
        (status = 200, description = "Checked in", body = CheckInAnswer),
        Unauthorized, NotFound, Conflict, BadBody
    ),
    security(("desk" = []), ("organizer" = []))
)]
pub(crate) async fn check_in(
    state: web::Data<AppState>,
    checker: Checker,
    query: web::Query<MeetingQuery>,
    form: crate::web::body::Body<CheckInForm>,
) -> AppResult<HttpResponse> {
    let slug = query.into_inner().meeting;
    let answer = state
        .write_unseen(move |conn| {
            let (meeting, who) = checker.resolve(conn, slug.as_deref())?;
            record(conn, &meeting, &form, &who, false)
        })
        .await?;
    state.metrics.checked_in("online", u64::from(answer.first));
    Ok(HttpResponse::Ok().json(answer))
}

/// Check-ins made offline, sent together.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchForm {
    /// At most 1,000; each is answered on its own, in order.
    #[schema(value_type = Vec<CheckInForm>)]
    pub items: Vec<serde_json::Value>,
}

/// The answer to one scan of a batch: 200 with the person, or the error it would have had.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BatchResult {
    pub nonce: Option<String>,
    pub status: u16,
    pub registration: Option<DeskParticipant>,
    pub first: Option<bool>,
    pub errors: Vec<FieldError>,
}

impl BatchResult {
    fn new(nonce: Option<String>, answer: AppResult<CheckInAnswer>) -> Self {
        match answer {
            Ok(answer) => Self {
                nonce,
                status: 200,
                registration: Some(answer.registration),
                first: Some(answer.first),
                errors: Vec::new(),
            },
            Err(error) => Self {
                nonce,
                status: error.status_code().as_u16(),
                registration: None,
                first: None,
                errors: error.field_errors(),
            },
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BatchAnswer {
    pub results: Vec<BatchResult>,
}

/// A scan of a batch as sent: one that is not even a check-in is refused alone, by its place.
fn batch_item(place: usize, value: serde_json::Value) -> Result<CheckInForm, AppError> {
    serde_json::from_value(value).map_err(|error| {
        AppError::invalid(
            &format!("items[{place}]"),
            Problem::new("invalid", error.to_string()),
        )
    })
}

#[utoipa::path(
    post, path = "/api/v1/desk/check-ins/batch",
    tag = "check-in", summary = "Check-ins made offline, sent when the network is back",
    description = "Each scan is answered in order, as `POST /api/v1/desk/check-ins` would answer it; a refused scan does not stop the others.",
    request_body = BatchForm,
    responses(
        (status = 200, description = "One result per scan", body = BatchAnswer),
        Unauthorized, TooLarge, BadBody
    ),
    security(("desk" = []))
)]
pub(crate) async fn check_in_batch(
    state: web::Data<AppState>,
    desk: Desk,
    form: crate::web::body::Body<BatchForm>,
) -> AppResult<HttpResponse> {
    let BatchForm { items } = form.into_inner();
    if items.len() > BATCH_LIMIT {
        return Err(AppError::PayloadTooLarge);
    }
    let who = Who::Desk {
        token_id: desk.token_id.clone(),
    };
    let answer = state
        .write_unseen(move |conn| {
            let meeting = desk.meeting(conn)?;
            let results = items
                .into_iter()
                .enumerate()
                .map(|(place, value)| {
                    let form = batch_item(place, value);
                    let nonce = form.as_ref().ok().and_then(|f| f.nonce.clone());
                    let answer = form.and_then(|form| record(conn, &meeting, &form, &who, true));
                    match answer {
                        // The database failed (or is busy): the whole batch is answered as
                        // failed, so the desk keeps every scan and sends them again.
                        Err(error) if error.status_code().is_server_error() => Err(error),
                        answer => Ok(BatchResult::new(nonce, answer)),
                    }
                })
                .collect::<AppResult<Vec<_>>>()?;
            Ok(BatchAnswer { results })
        })
        .await?;
    let arrivals = answer.results.iter().filter(|r| r.first == Some(true));
    state.metrics.checked_in("batch", arrivals.count() as u64);
    Ok(HttpResponse::Ok().json(answer))
}

/// Takes back an arrival.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UndoForm {
    pub registration_id: Option<String>,
    /// The day (`2027-05-29`); today, in the meeting's time zone, when left out.
    pub day: Option<String>,
}

#[utoipa::path(
    post, path = "/api/v1/desk/check-ins/undo",
    tag = "check-in", summary = "Undo a mistaken check-in",
    params(("meeting" = Option<String>, Query, description = "The meeting's slug, for an organizer's token")),
    request_body = UndoForm,
    responses(
        (status = 200, description = "The person, no longer arrived that day", body = DeskParticipant),
        Unauthorized, NotFound, BadBody
    ),
    security(("desk" = []), ("organizer" = []))
)]
pub(crate) async fn undo(
    state: web::Data<AppState>,
    checker: Checker,
    query: web::Query<MeetingQuery>,
    form: crate::web::body::Body<UndoForm>,
) -> AppResult<HttpResponse> {
    let slug = query.into_inner().meeting;
    let form = form.into_inner();
    let mut checks = crate::error::Checks::default();
    let id = checks.field(
        "registration_id",
        form.registration_id
            .filter(|id| !id.trim().is_empty())
            .ok_or_else(Problem::required),
    );
    let day = checks.field(
        "day",
        form.day
            .map(|day| day.parse::<NaiveDate>())
            .transpose()
            .map_err(|_| Problem::new("invalid", "must be a date such as 2027-05-29")),
    );
    let (Some(id), Some(day)) = (id, day) else {
        return Err(checks.into_error());
    };
    let person = state
        .write_unseen(move |conn| {
            let (meeting, who) = checker.resolve(conn, slug.as_deref())?;
            let at = now();
            let today = super::day_of(&meeting, at);
            let day = day.unwrap_or(today);
            if matches!(who, Who::Desk { .. }) && day != today {
                // A desk sees today's arrivals; earlier days are the organizers' to mend.
                let problem = Problem::new("not_today", "a desk undoes today's check-ins only");
                return Err(AppError::invalid("day", problem));
            }
            store::undo(conn, &meeting, &id, day, &who.actor(), at)
        })
        .await?;
    Ok(HttpResponse::Ok().json(person))
}
