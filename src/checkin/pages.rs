//! The desk page `/desk/{token}`: find a person (name, organisation or code), check them in,
//! undo a mistake, and see who arrived today. It works without a script, through forms; where
//! the browser allows, `static/desk.js` searches as one types, scans QR codes with the camera
//! and goes on checking in offline (see the script). This page alone may load a script.
//!
//! Also the manage page's certificate download (`/manage/{token}/certificate.pdf`).

use super::desk::Desk;
use super::{store, CheckIn, CheckInAnswer, CheckInForm, DeskParticipant, Source};
use crate::accounts::tokens::{self, TokenKind};
use crate::audit::Actor;
use crate::db::{new_id, now, DbConn};
use crate::error::{AppError, AppResult};
use crate::i18n::{counted, countries, day_heading, fill, Catalogue};
use crate::meetings::categories::Category;
use crate::meetings::Meeting;
use crate::web::page::{PageContext, PageError, PageResult};
use crate::web::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use maud::{html, Markup};
use std::collections::HashMap;

/// The strict policy of every page, with one exception: scripts from ourselves, and the
/// script's calls to our API.
pub const DESK_POLICY: &str = "default-src 'none'; script-src 'self'; connect-src 'self'; \
     style-src 'self'; img-src 'self' data:; media-src 'self' blob:; form-action 'self'; \
     frame-ancestors 'none'; base-uri 'none'";

pub const SCRIPT: &str = include_str!("../../static/desk.js");

/// People shown for one search, at most.
const RESULTS: i64 = 30;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/desk/{token}", web::get().to(desk_page))
        .route("/desk/{token}/check-in", web::post().to(check_in))
        .route("/desk/{token}/undo", web::post().to(undo))
        .route("/static/desk.js", web::get().to(script))
        .route(
            "/manage/{token}/certificate.pdf",
            web::get().to(manage_certificate),
        );
}

type Fields = web::Form<HashMap<String, String>>;

/// What the desk shows, read in one go.
struct DeskView {
    meeting: Meeting,
    categories: Vec<Category>,
    today: NaiveDate,
    on_meeting_day: bool,
    arrived: i64,
    confirmed: i64,
    query: Option<String>,
    results: Option<Vec<DeskParticipant>>,
    recent: Vec<DeskParticipant>,
}

fn read_view(conn: &mut DbConn, desk: &Desk, query: Option<String>) -> AppResult<DeskView> {
    let meeting = desk.meeting(conn)?;
    let today = super::day_of(&meeting, now());
    let results = match &query {
        Some(text) => Some(search(conn, &meeting, text, today, RESULTS)?),
        None => None,
    };
    let (arrived, confirmed) = store::arrivals_of_day(conn, &meeting, today)?;
    Ok(DeskView {
        categories: crate::meetings::categories::store::of_meeting(conn, &meeting.id)?,
        on_meeting_day: super::meeting_days(&meeting).contains(&today),
        recent: store::arrived_on(conn, &meeting, today, 50)?,
        meeting,
        today,
        arrived,
        confirmed,
        query,
        results,
    })
}

/// The confirmed people a desk's search finds: by check-in code when the text is one, else by
/// name or organisation (the organizer's search), by name.
pub fn search(
    conn: &mut DbConn,
    meeting: &Meeting,
    text: &str,
    day: NaiveDate,
    limit: i64,
) -> AppResult<Vec<DeskParticipant>> {
    use crate::registrations::model::{ListFilter, ListQuery, Order, RegistrationStatus};
    if let Ok(code) = super::CheckinCode::parse(text) {
        if let Some(person) = store::by_code(conn, meeting, &code, day)? {
            return Ok(vec![person]);
        }
    }
    let query = ListQuery {
        status: Some(RegistrationStatus::Confirmed.as_str().to_owned()),
        q: Some(text.to_owned()),
        ..ListQuery::default()
    };
    let mut checks = crate::error::Checks::default();
    let Some(filter) = ListFilter::parse(&query, &mut checks) else {
        return Err(checks.into_error());
    };
    let (found, _) =
        crate::registrations::store::list(conn, meeting, &filter, Order::Name, limit, None)?;
    // The organizers' search also reads addresses and job titles: a desk finds people by
    // name and organisation only, so it cannot learn who an address belongs to.
    let wanted = crate::values::search_fold(text);
    let ids: Vec<String> = found
        .into_iter()
        .filter(|view| {
            crate::values::search_fold(&view.full_name).contains(&wanted)
                || crate::values::search_fold(&view.organization.name).contains(&wanted)
        })
        .map(|view| view.id)
        .collect();
    store::participants_by_id(conn, meeting, &ids, day)
}

/// The desk behind a link, or the "link does not work" page.
async fn found(state: &AppState, ctx: &PageContext, token: &str) -> Result<Desk, HttpResponse> {
    let lookup = token.to_owned();
    match state.read(move |conn| Desk::by_token(conn, &lookup)).await {
        Ok(Some(desk)) => Ok(desk),
        Ok(None) => Err(crate::web::page::link_not_working(
            ctx,
            ctx.t().link_invalid,
        )),
        Err(error) => Err(actix_web::ResponseError::error_response(&PageError::new(
            ctx, error,
        ))),
    }
}

fn query_of(values: &HashMap<String, String>) -> Option<String> {
    values
        .get("q")
        .map(|q| q.trim().chars().take(200).collect::<String>())
        .filter(|q| !q.is_empty())
}

async fn desk_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
    query: web::Query<HashMap<String, String>>,
) -> PageResult {
    let ctx = PageContext::new(&req);
    let desk = match found(&state, &ctx, &token).await {
        Ok(desk) => desk,
        Err(response) => return Ok(response),
    };
    let wanted = query_of(&query);
    let view = state.read(move |conn| read_view(conn, &desk, wanted)).await;
    let view = crate::web::page::OnPage::on_page(view, &ctx)?;
    Ok(render(&ctx, &token, &view, None, StatusCode::OK))
}

/// A notice at the top of the page: what the last action did.
struct Notice {
    text: String,
    good: bool,
    status: StatusCode,
}

fn answered(t: &Catalogue, meeting: &Meeting, answer: &CheckInAnswer) -> Notice {
    let time = arrival_time(meeting, &answer.registration);
    let template = match (answer.first, &time) {
        (true, _) => t.desk.checked_in,
        (false, Some(_)) => t.desk.already,
        // The same form sent again after its check-in was undone.
        (false, None) => t.desk.not_recorded,
    };
    let time = time.unwrap_or_default();
    Notice {
        text: fill(
            template,
            &[("name", &answer.registration.full_name), ("time", &time)],
        ),
        good: answer.first,
        status: StatusCode::OK,
    }
}

fn refused(t: &Catalogue, error: &AppError) -> Notice {
    let text = match error {
        AppError::Conflict { .. } => t.desk.not_confirmed,
        AppError::Invalid(errors) if errors.iter().any(|e| e.field.as_deref() == Some("at")) => {
            t.desk.not_meeting_day
        }
        _ => t.desk.unknown_code,
    };
    Notice {
        text: text.to_owned(),
        good: false,
        status: actix_web::ResponseError::status_code(error),
    }
}

async fn check_in(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
    form: Fields,
) -> PageResult {
    let ctx = PageContext::new(&req);
    let desk = match found(&state, &ctx, &token).await {
        Ok(desk) => desk,
        Err(response) => return Ok(response),
    };
    let values = form.into_inner();
    let scan = CheckInForm {
        code: None,
        registration_id: values.get("registration_id").cloned(),
        at: None,
        // Made with the page: the same form sent twice counts once.
        nonce: values.get("nonce").cloned(),
    };
    let wanted = query_of(&values);
    let t = ctx.t();
    let metrics = state.metrics.clone();
    let outcome = state
        .write_unseen(move |conn| {
            let meeting = desk.meeting(conn)?;
            let at = now();
            let answer = CheckIn::parse(&scan, &meeting, at).and_then(|scan| {
                let source = Source::Desk {
                    token_id: desk.token_id.clone(),
                };
                store::check_in(conn, &meeting, &scan, &source, at)
            });
            let notice = match answer {
                Ok(answer) => {
                    metrics.checked_in("online", u64::from(answer.first));
                    answered(t, &meeting, &answer)
                }
                // The database failed or is busy: the error page says so, not "unknown code".
                Err(error) if actix_web::ResponseError::status_code(&error).is_server_error() => {
                    return Err(error)
                }
                Err(error) => refused(t, &error),
            };
            Ok((read_view(conn, &desk, wanted)?, notice))
        })
        .await;
    let (view, notice) = crate::web::page::OnPage::on_page(outcome, &ctx)?;
    Ok(render(&ctx, &token, &view, Some(&notice), notice.status))
}

async fn undo(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
    form: Fields,
) -> PageResult {
    let ctx = PageContext::new(&req);
    let desk = match found(&state, &ctx, &token).await {
        Ok(desk) => desk,
        Err(response) => return Ok(response),
    };
    let values = form.into_inner();
    let id = values.get("registration_id").cloned().unwrap_or_default();
    let wanted = query_of(&values);
    let t = ctx.t();
    let outcome = state
        .write_unseen(move |conn| {
            let meeting = desk.meeting(conn)?;
            let at = now();
            let day = super::day_of(&meeting, at);
            let person = store::undo(conn, &meeting, &id, day, &Actor::System, at)?;
            let notice = Notice {
                text: fill(t.desk.undone, &[("name", &person.full_name)]),
                good: true,
                status: StatusCode::OK,
            };
            Ok((read_view(conn, &desk, wanted)?, notice))
        })
        .await;
    let (view, notice) = crate::web::page::OnPage::on_page(outcome, &ctx)?;
    Ok(render(&ctx, &token, &view, Some(&notice), StatusCode::OK))
}

/// "09:12": when a person arrived on the day shown, in the meeting's time.
fn arrival_time(meeting: &Meeting, person: &DeskParticipant) -> Option<String> {
    let at = chrono::DateTime::parse_from_rfc3339(person.checked_in_at.as_deref()?).ok()?;
    Some(meeting.local(at.naive_utc()).format("%H:%M").to_string())
}

fn render(
    ctx: &PageContext,
    token: &str,
    view: &DeskView,
    notice: Option<&Notice>,
    status: StatusCode,
) -> HttpResponse {
    let t = ctx.t();
    let meeting = &view.meeting;
    let count = fill(
        &counted(view.arrived, t.desk.count),
        &[("total", &view.confirmed.to_string())],
    );
    let categories: HashMap<&str, String> = view
        .categories
        .iter()
        .map(|c| (c.code.as_str(), c.name_in(ctx.lang)))
        .collect();
    let categories = serde_json::to_string(&categories).unwrap_or_default();
    let content = html! {
        div #desk data-token=(token) data-day=(view.today) data-lang=(ctx.lang.as_str())
            data-categories=(categories)
            data-t-check-in=(t.desk.check_in) data-t-undo=(t.desk.undo)
            data-t-arrived-at=(t.desk.arrived_at) data-t-checked-in=(t.desk.checked_in)
            data-t-already=(t.desk.already) data-t-queued=(t.desk.queued)
            data-t-offline-one=(t.desk.offline[0]) data-t-offline-many=(t.desk.offline[1])
            data-t-offline-none=(t.desk.offline_none) data-t-synced=(t.desk.synced)
            data-t-refused=(t.desk.refused) data-t-unknown=(t.desk.unknown_code)
            data-t-not-confirmed=(t.desk.not_confirmed) data-t-not-day=(t.desk.not_meeting_day)
            data-t-no-match=(t.desk.no_match) data-t-undone=(t.desk.undone)
            data-t-count-one=(t.desk.count[0]) data-t-count-many=(t.desk.count[1])
            data-t-revoked=(t.desk.link_revoked) data-t-clock=(t.desk.clock_ahead)
            data-t-try-again=(t.desk.try_again) data-t-not-recorded=(t.desk.not_recorded) {
            h1 { (t.desk.title) }
            p.muted { strong { (meeting.title_in(ctx.lang)) } br; (day_heading(view.today, ctx.lang)) }
            p #desk-count data-arrived=(view.arrived) data-total=(view.confirmed) { (count) }
            @if !view.on_meeting_day { div.notice.warn { p { (t.desk.not_meeting_day) } } }
            div #desk-status role="status" aria-live="polite" {
                @if let Some(notice) = notice {
                    div.notice.(if notice.good { "ok" } else { "bad" }) { p { (notice.text) } }
                }
            }
            div #desk-offline .notice.warn hidden {}
            form #desk-search method="get" action={ "/desk/" (token) } role="search" {
                label for="q" { (t.desk.search_label) }
                input #q type="search" name="q" value=[view.query.as_deref()] autocomplete="off" autocapitalize="off" spellcheck="false";
                button type="submit" { (t.desk.search_button) }
            }
            p { button #desk-scan .secondary type="button" hidden { (t.desk.scan) } }
            div #desk-scanner hidden {
                video #desk-video playsinline muted {}
                p { button #desk-stop .secondary type="button" { (t.desk.stop_scan) } }
            }
            ul #desk-results .people {
                @if let Some(results) = &view.results {
                    @for person in results { (row(t, ctx, token, view, person)) }
                }
            }
            @if view.results.as_ref().is_some_and(Vec::is_empty) { p #desk-none { (t.desk.no_match) } }
            h2 { (t.desk.arrived_today) }
            ul #desk-arrived .people {
                @for person in &view.recent { (row(t, ctx, token, view, person)) }
            }
            p.muted { (t.desk.help) }
        }
        script src="/static/desk.js" defer {}
    };
    let page = crate::web::page::layout(ctx, t.desk.title, content);
    let mut response = crate::web::page::respond(ctx, status, page);
    response.headers_mut().insert(
        actix_web::http::header::CONTENT_SECURITY_POLICY,
        actix_web::http::header::HeaderValue::from_static(DESK_POLICY),
    );
    response
}

fn row(
    t: &Catalogue,
    ctx: &PageContext,
    token: &str,
    view: &DeskView,
    person: &DeskParticipant,
) -> Markup {
    let category = view
        .categories
        .iter()
        .find(|c| c.code == person.category)
        .map(|c| c.name_in(ctx.lang))
        .unwrap_or_else(|| person.category.clone());
    let details = [
        person.organization.as_str(),
        countries::name(&person.country, ctx.lang),
        &category,
    ]
    .join(" · ");
    let arrived = arrival_time(&view.meeting, person);
    html! {
        li.person data-id=(person.id) {
            div.who { strong { (person.full_name) } br; span.muted { (details) } }
            @if let Some(time) = &arrived {
                span.badge.ok { (fill(t.desk.arrived_at, &[("time", time)])) }
                form method="post" action={ "/desk/" (token) "/undo" } {
                    input type="hidden" name="registration_id" value=(person.id);
                    input type="hidden" name="q" value=[view.query.as_deref()];
                    button.secondary type="submit" { (t.desk.undo) }
                }
            } @else {
                form method="post" action={ "/desk/" (token) "/check-in" } {
                    input type="hidden" name="registration_id" value=(person.id);
                    input type="hidden" name="nonce" value=(new_id());
                    input type="hidden" name="q" value=[view.query.as_deref()];
                    button type="submit" { (t.desk.check_in) }
                }
            }
        }
    }
}

/// A confirmed participant's code on their page: the QR code to show at the desk, and the
/// code as text beside it.
pub fn code_block(t: &Catalogue, code: &str) -> Markup {
    html! {
        h2 { (t.checkin_code_heading) }
        div.checkin-code {
            (maud::PreEscaped(super::qr::svg(code)))
            div { p { code { (super::CheckinCode::grouped(code)) } } p.muted { (t.checkin_code_hint) } }
        }
    }
}

async fn script(req: HttpRequest) -> HttpResponse {
    let response = crate::web::cached(
        &req,
        "text/javascript; charset=utf-8",
        SCRIPT.as_bytes().to_vec(),
    );
    crate::web::guards::public_read(response)
}

/// The certificate of attendance from the manage page's link.
async fn manage_certificate(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
) -> PageResult {
    let ctx = PageContext::new(&req);
    let token = token.into_inner();
    let find_id = move |conn: &mut DbConn| -> AppResult<String> {
        let row =
            tokens::find(conn, TokenKind::Manage, &token, now())?.ok_or(AppError::NotFound)?;
        row.registration_id.ok_or(AppError::NotFound)
    };
    let id = state.read(find_id).await;
    let id = crate::web::page::OnPage::on_page(id, &ctx)?;
    let find = {
        let id = id.clone();
        move |conn: &mut DbConn| {
            let contact = crate::registrations::store::contact(conn, &id)?;
            crate::meetings::store::by_id(conn, &contact.meeting_id)
        }
    };
    let answer = super::files::certificate_pdf(&state, find, id).await;
    crate::web::page::OnPage::on_page(answer, &ctx)
}
