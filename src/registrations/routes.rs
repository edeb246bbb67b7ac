//! Registration endpoints: public, participant (manage token) and organizer.

use super::model::{
    ClientGuard, ListFilter, ListQuery, NewRegistration, Order, RegistrationForm, RegistrationView,
    REGISTRATION_COLUMNS,
};
use super::store::{self, Decision};
use crate::accounts::{Organizer, Participant};
use crate::audit::Actor;
use crate::db::now;
use crate::error::{AppError, AppResult, Checks};
use crate::exports::{self, FileFormat};
use crate::meetings::{self, Meeting};
use crate::patch::Patch;
use crate::registrations::store::Stats;
use crate::values::Slug;
use crate::web::api_doc::{
    BadBody, BadFields, Conflict, MeetingAccess, NotFound, PagingQuery, SlugAndIdPath, SlugPath,
    TooManyRequests, Unauthorized,
};
use crate::web::state::AppState;
use crate::web::{id_cursor, page_limit, slug_or_404, Page, PageRequest};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

/// The public sign-up, the busiest write: the app registers it before everything else, for
/// the router tries each pattern before it in turn, a regex each.
pub fn configure_signup(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/api/v1/meetings/{slug}/registrations",
        web::post().to(register),
    );
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/api/v1/meetings/{slug}/registrations",
        web::get().to(list_registrations),
    )
    .route(
        "/api/v1/meetings/{slug}/registrations.csv",
        web::get().to(export_registrations),
    )
    .route(
        "/api/v1/meetings/{slug}/registrations.xlsx",
        web::get().to(export_registrations_xlsx),
    )
    .route(
        "/api/v1/meetings/{slug}/registrations/{id}/{action}",
        web::post().to(decide_registration),
    )
    .route(
        "/api/v1/meetings/{slug}/stats",
        web::get().to(meeting_stats),
    )
    .route(
        "/api/v1/registrations/confirm",
        web::post().to(confirm_registration),
    )
    .route("/api/v1/registration", web::get().to(own_registration))
    .route(
        "/api/v1/registration",
        web::patch().to(update_own_registration),
    )
    .route(
        "/api/v1/registration",
        web::delete().to(delete_own_registration),
    )
    .route(
        "/api/v1/registration/cancel",
        web::post().to(cancel_own_registration),
    )
    .route(
        "/api/v1/registration/calendar.ics",
        web::get().to(own_calendar),
    );
}

#[utoipa::path(
    post, path = "/api/v1/meetings/{slug}/registrations",
    tag = "public", summary = "Register (the same answer for known addresses)",
    params(SlugPath), request_body = RegistrationForm,
    responses(
        (status = 202, description = "Accepted: a confirmation email is on its way",
            body = Accepted),
        (status = 201, description = "Registered through an invitation (its address is proven)",
            body = RegistrationView),
        NotFound, Conflict, BadBody, TooManyRequests
    )
)]
pub(crate) async fn register(
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
    form: crate::web::body::Body<RegistrationForm>,
) -> AppResult<HttpResponse> {
    state.rate_limit(&req)?;
    let slug = slug_or_404(&slug)?;
    if form.invitation.is_some() {
        return crate::invitations::routes::register_invited(&state, slug, form.into_inner()).await;
    }
    let context = state.signups.get(&state.pools, slug).await?;
    let (meeting, questionnaire) = (&context.meeting, &context.questionnaire);
    let travel = crate::travel::TravelRules::of(meeting, now().date());
    let new =
        NewRegistration::parse_with_travel(&form, questionnaire, &travel)?.sealed_by(&state.sealer);
    let to = store::Destination::of(meeting, questionnaire, new.category.as_ref(), now())?;
    let client = ClientGuard::new(state.client_address(&req), state.registrations_per_client());
    // Changes nothing a public read shows (pending until confirmed, it holds no seat).
    store::register_from_request(&state.pools, to, new, client).await?;
    state.wake_mailer();
    // The same answer whether or not the address was registered before.
    Ok(HttpResponse::Accepted().json(Accepted {
        status: "pending_email",
    }))
}

/// The answer to a registration: the same whether or not the address was known.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub(crate) struct Accepted {
    /// Always `pending_email`.
    status: &'static str,
}

/// What confirming answers: the status alone, since whoever holds a confirm link (a mail
/// scanner, a forwarded email) is not yet known to be the participant.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub(crate) struct Confirmation {
    /// `confirmed`, `waitlisted` or `pending_approval`.
    status: &'static str,
}

/// The token from the confirmation email.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ConfirmBody {
    token: Option<String>,
}

#[utoipa::path(
    post, path = "/api/v1/registrations/confirm",
    tag = "public", summary = "Confirm an address with the token from the email",
    request_body = ConfirmBody,
    responses(
        (status = 200, description = "The registration's status now", body = Confirmation),
        NotFound, BadBody, TooManyRequests
    )
)]
pub(crate) async fn confirm_registration(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: crate::web::body::Body<ConfirmBody>,
) -> AppResult<HttpResponse> {
    state.rate_limit(&req)?;
    let token = body.into_inner().token.unwrap_or_default();
    let (status, _) = state
        .write(move |conn| store::confirm(conn, &token, now()))
        .await?;
    state.wake_mailer();
    Ok(HttpResponse::Ok().json(Confirmation {
        status: status.as_str(),
    }))
}

#[utoipa::path(
    get, path = "/api/v1/registration",
    tag = "participant", summary = "The participant's own registration",
    responses(
        (status = 200, description = "The registration", body = RegistrationView),
        Unauthorized
    ),
    security(("participant" = []))
)]
pub(crate) async fn own_registration(
    state: web::Data<AppState>,
    who: Participant,
) -> AppResult<web::Json<RegistrationView>> {
    let view = state
        .read(move |conn| store::view(conn, &who.registration_id))
        .await
        .map_err(Participant::deleted_meanwhile)?;
    Ok(web::Json(view))
}

#[utoipa::path(
    patch, path = "/api/v1/registration",
    tag = "participant", summary = "Change own fields (not the address) and consents",
    request_body = RegistrationForm,
    responses(
        (status = 200, description = "Changed", body = RegistrationView),
        Unauthorized, BadBody
    ),
    security(("participant" = []))
)]
pub(crate) async fn update_own_registration(
    state: web::Data<AppState>,
    who: Participant,
    patch: crate::web::body::Body<Patch>,
) -> AppResult<web::Json<RegistrationView>> {
    let mut patch = patch.into_inner();
    let travel = patch.take("travel");
    let sealer = state.sealer.clone();
    let view = state
        .write(move |conn| {
            diesel::Connection::transaction(conn, |conn| {
                if let Some(travel) = &travel {
                    let at = now();
                    crate::travel::own::change_own(
                        conn,
                        &who.registration_id,
                        travel,
                        &sealer,
                        at,
                    )?;
                }
                store::update_own(conn, &who.registration_id, patch, now())
            })
        })
        .await
        .map_err(Participant::deleted_meanwhile)?;
    Ok(web::Json(view))
}

#[utoipa::path(
    post, path = "/api/v1/registration/cancel",
    tag = "participant", summary = "Cancel; the seat goes to the waiting list",
    responses(
        (status = 200, description = "Cancelled", body = RegistrationView),
        Unauthorized, Conflict
    ),
    security(("participant" = []))
)]
pub(crate) async fn cancel_own_registration(
    state: web::Data<AppState>,
    who: Participant,
) -> AppResult<web::Json<RegistrationView>> {
    let view = state
        .write(move |conn| {
            let id = who.registration_id;
            store::cancel(conn, &id, None, &Actor::Participant(&id), now())
        })
        .await
        .map_err(Participant::deleted_meanwhile)?;
    state.wake_mailer();
    Ok(web::Json(view))
}

/// Deletes the participant's registration and personal data, at their request.
#[utoipa::path(
    delete, path = "/api/v1/registration",
    tag = "participant", summary = "Delete the registration and its personal data",
    responses((status = 204, description = "Deleted"), Unauthorized),
    security(("participant" = []))
)]
pub(crate) async fn delete_own_registration(
    state: web::Data<AppState>,
    who: Participant,
) -> AppResult<HttpResponse> {
    state
        .erase(move |conn| store::delete_own(conn, &who.registration_id, now()))
        .await
        .map_err(Participant::deleted_meanwhile)?;
    state.wake_mailer();
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(
    get, path = "/api/v1/registration/calendar.ics",
    tag = "participant", summary = "The meeting and its sessions, in the participant's language",
    responses(
        (status = 200, description = "iCalendar", body = String, content_type = "text/calendar"),
        Unauthorized
    ),
    security(("participant" = []))
)]
pub(crate) async fn own_calendar(
    state: web::Data<AppState>,
    who: Participant,
) -> AppResult<HttpResponse> {
    let host = state.host.clone();
    let ics = state
        .read(move |conn| {
            let contact = store::contact(conn, &who.registration_id)?;
            let meeting = meetings::store::by_id(conn, &contact.meeting_id)?;
            let agenda = crate::agenda::store::agenda(
                conn,
                &meeting.id,
                crate::agenda::store::Audience::Public,
            )?;
            let ics = crate::agenda::calendar::participant_ics(
                &meeting,
                &agenda,
                contact.language,
                &host,
            );
            Ok((meeting.slug, ics))
        })
        .await
        .map_err(Participant::deleted_meanwhile)?;
    let (slug, ics) = ics;
    Ok(crate::agenda::calendar::download(&slug, ics))
}

fn parse_list_query(query: &ListQuery) -> AppResult<(ListFilter, PageRequest)> {
    let mut checks = Checks::default();
    let filter = ListFilter::parse(query, &mut checks);
    let limit = checks.field("limit", page_limit(query.limit.as_deref()));
    let cursor = checks.field("cursor", id_cursor(query.cursor.as_deref()));
    match (filter, limit, cursor) {
        (Some(filter), Some(limit), Some(cursor)) if checks.is_clean() => {
            Ok((filter, PageRequest { limit, cursor }))
        }
        _ => Err(checks.into_error()),
    }
}

/// The filters of the organizer's list and its exports, as the document names them (`ListQuery`
/// reads them).
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListFilterQuery {
    /// A registration status
    pub status: Option<String>,
    /// An organisation kind
    pub organization_kind: Option<String>,
    /// ISO 3166-1 alpha-2
    pub country: Option<String>,
    /// Search in names, addresses, organisations, job titles
    pub q: Option<String>,
    /// A participant category's code
    pub category: Option<String>,
}

#[utoipa::path(
    get, path = "/api/v1/meetings/{slug}/registrations",
    tag = "organizer", summary = "All registrations, filtered and paged",
    params(SlugPath, ListFilterQuery, PagingQuery),
    responses(
        (status = 200, description = "A page of registrations", body = Page<RegistrationView>),
        MeetingAccess, BadFields
    ),
    security(("organizer" = []))
)]
pub(crate) async fn list_registrations(
    state: web::Data<AppState>,
    who: Organizer,
    slug: web::Path<String>,
    query: web::Query<ListQuery>,
) -> AppResult<HttpResponse> {
    let slug = slug_or_404(&slug)?;
    let (filter, page) = parse_list_query(&query)?;
    let (items, next_cursor) = state
        .read(move |conn| {
            let meeting = meetings::store::organized_by(conn, &slug, &who.account_id)?;
            store::list(
                conn,
                &meeting,
                &filter,
                Order::Oldest,
                page.limit,
                page.cursor.as_deref(),
            )
        })
        .await?;
    Ok(HttpResponse::Ok().json(Page { items, next_cursor }))
}

/// Every field of the registrations `filter` picks, and a column per question, as a file.
pub(crate) async fn download_registrations(
    state: &AppState,
    meeting: Meeting,
    filter: ListFilter,
    reader: exports::Reader,
    format: FileFormat,
) -> AppResult<HttpResponse> {
    let meeting_id = meeting.id.clone();
    let questions = state
        .read(move |conn| meetings::questions::store::of_meeting(conn, &meeting_id))
        .await?;
    let mut columns = REGISTRATION_COLUMNS.to_vec();
    columns.extend(questions.iter().map(meetings::questions::answers::column));
    exports::Export {
        slug: meeting.slug.clone(),
        what: "registrations",
        sheet: "Registrations",
        columns,
        reader,
        rows: Box::new(move |conn, sink| {
            let language = match reader {
                exports::Reader::Person(language) => language,
                exports::Reader::Program => crate::values::Language::En,
            };
            let names = crate::meetings::categories::store::names(conn, &meeting.id, language)?;
            store::each(conn, &meeting, &filter, |mut view| {
                let answers = std::mem::take(&mut view.answers);
                let mut cells = view.cells(reader, &names);
                cells.extend(questions.iter().map(|question| {
                    meetings::questions::answers::cell(
                        question,
                        answers.get(&question.code),
                        reader,
                    )
                }));
                sink(cells)
            })
        }),
    }
    .download(&state.pools, format)
    .await
}

async fn download(
    state: &AppState,
    who: Organizer,
    slug: &str,
    query: &ListQuery,
    format: FileFormat,
) -> AppResult<HttpResponse> {
    let slug = slug_or_404(slug)?;
    let (filter, _) = parse_list_query(query)?;
    let meeting = state
        .read(move |conn| meetings::store::organized_by(conn, &slug, &who.account_id))
        .await?;
    download_registrations(state, meeting, filter, exports::Reader::Program, format).await
}

#[utoipa::path(
    get, path = "/api/v1/meetings/{slug}/registrations.csv",
    tag = "organizer", summary = "All registrations as CSV, every field",
    params(SlugPath, ListFilterQuery),
    responses(
        (status = 200, description = "CSV", body = String, content_type = "text/csv"),
        MeetingAccess, BadFields
    ),
    security(("organizer" = []))
)]
pub(crate) async fn export_registrations(
    state: web::Data<AppState>,
    who: Organizer,
    slug: web::Path<String>,
    query: web::Query<ListQuery>,
) -> AppResult<HttpResponse> {
    download(&state, who, &slug, &query, FileFormat::Csv).await
}

#[utoipa::path(
    get, path = "/api/v1/meetings/{slug}/registrations.xlsx",
    tag = "organizer", summary = "All registrations as XLSX, every field",
    params(SlugPath, ListFilterQuery),
    responses(
        (status = 200, description = "XLSX", body = String,
            content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        MeetingAccess, BadFields
    ),
    security(("organizer" = []))
)]
pub(crate) async fn export_registrations_xlsx(
    state: web::Data<AppState>,
    who: Organizer,
    slug: web::Path<String>,
    query: web::Query<ListQuery>,
) -> AppResult<HttpResponse> {
    download(&state, who, &slug, &query, FileFormat::Xlsx).await
}

#[utoipa::path(
    post, path = "/api/v1/meetings/{slug}/registrations/{id}/{action}",
    tag = "organizer", summary = "Approve, reject, check in or cancel",
    params(
        SlugAndIdPath,
        ("action" = String, Path, description = "approve, reject, check-in or cancel")
    ),
    responses(
        (status = 200, description = "The registration now", body = RegistrationView),
        MeetingAccess, Conflict
    ),
    security(("organizer" = []))
)]
pub(crate) async fn decide_registration(
    state: web::Data<AppState>,
    who: Organizer,
    path: web::Path<(String, String, String)>,
) -> AppResult<web::Json<RegistrationView>> {
    let (slug, id, action) = path.into_inner();
    let slug = slug_or_404(&slug)?;
    let decision = match action.as_str() {
        "approve" => Some(Decision::Approve),
        "reject" => Some(Decision::Reject),
        "check-in" => Some(Decision::CheckIn),
        "cancel" => None,
        _ => return Err(AppError::NotFound),
    };
    let view = state
        .write(move |conn| {
            let meeting = meetings::store::organized_by(conn, &slug, &who.account_id)?;
            match decision {
                Some(decision) => {
                    store::decide(conn, &meeting, &id, decision, &who.account_id, now())
                }
                None => store::cancel(
                    conn,
                    &id,
                    Some(&slug),
                    &Actor::Account(&who.account_id),
                    now(),
                ),
            }
        })
        .await?;
    state.wake_mailer();
    Ok(web::Json(view))
}

#[utoipa::path(
    get, path = "/api/v1/meetings/{slug}/stats",
    tag = "organizer",
    summary = "Counts by status, organisation kind and country; seats left; emails",
    params(SlugPath),
    responses((status = 200, description = "Counts", body = Stats), MeetingAccess),
    security(("organizer" = []))
)]
pub(crate) async fn meeting_stats(
    state: web::Data<AppState>,
    who: Organizer,
    slug: web::Path<String>,
) -> AppResult<web::Json<store::Stats>> {
    let slug: Slug = slug_or_404(&slug)?;
    let stats = state
        .read(move |conn| {
            let meeting = meetings::store::organized_by(conn, &slug, &who.account_id)?;
            store::stats(conn, &meeting)
        })
        .await?;
    Ok(web::Json(stats))
}
