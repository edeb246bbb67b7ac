//! The dashboard's delegations tab: give an organisation seats and a focal point, see each
//! delegation's seats, nominees and confirmed delegates, change its seats, remove it.

use super::{store, DelegationDraft, DelegationForm, DelegationView, FocalPointForm};
use crate::accounts::pages::OrganizerSession;
use crate::db::now;
use crate::error::AppError;
use crate::i18n::{countries, fill};
use crate::meetings::dashboard::{local_to_rfc3339, organized};
use crate::meetings::Meeting;
use crate::patch::Patch;
use crate::registrations::model::OrganizationForm;
use crate::registrations::pages::{
    country_options, kind_options, language_options, options_of_categories,
};
use crate::web::confirm::{self, done_at, Done};
use crate::web::dashboard::{meeting_page, Dashboard, Tab};
use crate::web::forms::{error_summary, required_note, Field, FormState};
use crate::web::page::{OnPage, PageContext, PageResult};
use crate::web::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use maud::{html, Markup};
use std::collections::HashMap;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/organizer/m/{slug}/delegations",
        web::get().to(delegations_tab),
    )
    .route("/organizer/m/{slug}/delegations", web::post().to(create))
    .route(
        "/organizer/m/{slug}/delegations/{id}/{action}",
        web::post().to(act),
    );
}

type Fields = web::Form<HashMap<String, String>>;

async fn render(
    state: &AppState,
    ctx: &PageContext,
    current: &OrganizerSession,
    meeting: &Meeting,
    form: &FormState,
    notice: Option<&str>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let (for_read, language) = (meeting.clone(), ctx.lang);
    let (delegations, categories) = state
        .read(move |conn| {
            let views = store::list(conn, &for_read.id, 1000, None)?
                .0
                .into_iter()
                .map(|d| super::routes::view(conn, &for_read, d))
                .collect::<Result<Vec<_>, _>>()?;
            let names = crate::meetings::categories::store::names(conn, &for_read.id, language)?;
            Ok((views, names))
        })
        .await?;
    let t = ctx.t();
    let base = format!("/organizer/m/{}/delegations", meeting.slug);
    let csrf = current.field();
    Ok(meeting_page(
        ctx,
        meeting,
        Tab::Delegations,
        status,
        html! {
            @if let Some(notice) = notice { div.notice role="status" { p { (notice) } } }
            h2 { (t.delegations_tab) }
            @if delegations.is_empty() { p { (t.empty_list) } }
            @else {
                div.table-wrap {
                    table.cards {
                        thead { tr {
                            th { (t.organization) } th { (t.category_label) } th { (t.delegation_seats) }
                            th { (t.focal_point) } th { (t.nomination_deadline) } th { "" }
                        } }
                        tbody { @for d in &delegations { (row(ctx, meeting, &base, &csrf, &categories, d)) } }
                    }
                }
            }
            (new_form(ctx, form, &base, &csrf, &categories))
        },
    ))
}

/// One delegation's row: its seats (changed in place), focal point, deadline, removal.
fn row(
    ctx: &PageContext,
    meeting: &Meeting,
    base: &str,
    csrf: &Markup,
    categories: &HashMap<String, String>,
    d: &DelegationView,
) -> Markup {
    let t = ctx.t();
    html! {
            tr {
                td { strong { (d.organization.name) } br; span.muted { (countries::name(&d.organization.country, ctx.lang)) } }
                td data-label=(t.category_label) { (categories.get(&d.category).unwrap_or(&d.category)) }
                td data-label=(t.delegation_seats) {
                    (fill(t.delegation_seats_count, &[
                        ("seats", &d.seats.to_string()),
                        ("nominated", &d.nominated.to_string()),
                        ("confirmed", &d.confirmed.to_string()),
                    ]))
                    form.inline method="post" action={ (base) "/" (d.id) "/seats" } {
                        (csrf.clone())
                        label.visually-hidden for={ "seats-" (d.id) } { (t.delegation_seats) }
                        input.small type="number" min="1" id={ "seats-" (d.id) } name="seats" value=(d.seats);
                        button.small.secondary type="submit" { (t.save) }
                    }
                }
                td data-label=(t.focal_point) { (d.focal_point.full_name) br; span.muted { (d.focal_point.email) } }
                td data-label=(t.nomination_deadline) {
                    @if let Some(at) = &d.nomination_deadline { (meeting.written_rfc3339(at, ctx.lang)) }
                    @if d.released_at.is_some() { br; span.badge { (t.seats_released) } }
                }
                td {
                    form.inline method="post" action={ (base) "/" (d.id) "/remove" } {
                        (csrf.clone())
                        button.small.secondary type="submit" aria-label={ (t.delete) ": " (d.organization.name) } { (t.delete) }
                    }
                }
            }
    }
}

/// The form that gives an organisation seats.
fn new_form(
    ctx: &PageContext,
    form: &FormState,
    base: &str,
    csrf: &Markup,
    categories: &HashMap<String, String>,
) -> Markup {
    let t = ctx.t();
    let unused = [
        ("release".to_owned(), t.unused_release.to_owned()),
        ("keep".to_owned(), t.unused_keep.to_owned()),
    ];
    html! {
    h2 { (t.new_delegation) }
    p.muted { (t.new_delegation_hint) }
    (error_summary(form, t))
    (required_note(t))
    form method="post" action=(base) novalidate {
        (csrf.clone())
        fieldset {
            legend { (t.organization) }
            (Field::new("organization_name", t.organization_name).required().input(form))
            (Field::new("organization_kind", t.organization_kind).required().select(form, t.choose, &kind_options(t)))
            (Field::new("organization_country", t.organization_country).required().select(form, t.choose, &country_options(ctx.lang)))
        }
        (Field::new("seats", t.delegation_seats).kind("number").required().input(form))
        (Field::new("category", t.category_label).required().select(form, t.choose, &options_of_categories(categories)))
        fieldset {
            legend { (t.focal_point) }
            (Field::new("focal_email", t.email).kind("email").required().input(form))
            (Field::new("focal_name", t.full_name).input(form))
            (Field::new("focal_language", t.email_language).select(form, t.choose, &language_options()))
        }
        (Field::new("nomination_deadline", t.nomination_deadline).kind("datetime-local").hint(t.local_times_hint).input(form))
        (Field::new("unused_seats", t.unused_seats).select(form, t.choose, &unused))
        button type="submit" { (t.new_delegation) }
    }
    }
}

async fn delegations_tab(
    state: web::Data<AppState>,
    Dashboard { current, ctx }: Dashboard,
    slug: web::Path<String>,
) -> PageResult {
    let result = async {
        let meeting = organized(&state, &slug, &current.account_id).await?;
        let form = FormState::default();
        render(
            &state,
            &ctx,
            &current,
            &meeting,
            &form,
            None,
            StatusCode::OK,
        )
        .await
    }
    .await;
    result.on_page(&ctx)
}

/// The form's fields as the API's delegation body.
fn form_of(values: &HashMap<String, String>, meeting: &Meeting) -> DelegationForm {
    let get = |name: &str| values.get(name).cloned().filter(|v| !v.trim().is_empty());
    DelegationForm {
        organization: Some(OrganizationForm {
            name: get("organization_name"),
            kind: get("organization_kind"),
            country: get("organization_country"),
        }),
        seats: get("seats").and_then(|n| n.trim().parse().ok()).or(Some(0)),
        category: get("category"),
        focal_point: Some(FocalPointForm {
            email: get("focal_email"),
            full_name: get("focal_name"),
            language: get("focal_language"),
        }),
        nomination_deadline: get("nomination_deadline")
            .and_then(|at| local_to_rfc3339(&at, meeting.tz())),
        unused_seats: get("unused_seats"),
    }
}

/// API field names to the form's.
fn input_name(field: &str) -> String {
    match field {
        "focal_point.email" => "focal_email".into(),
        "focal_point.full_name" => "focal_name".into(),
        "focal_point.language" => "focal_language".into(),
        other => other.replace('.', "_"),
    }
}

async fn create(
    state: web::Data<AppState>,
    Dashboard { current, ctx }: Dashboard,
    slug: web::Path<String>,
    fields: Fields,
) -> PageResult {
    let values = fields.into_inner();
    let result = async {
        current.check(&values)?;
        let meeting = organized(&state, &slug, &current.account_id).await?;
        let form = form_of(&values, &meeting);
        let (for_store, account) = (meeting.clone(), current.account_id.clone());
        let made = state
            .write(move |conn| {
                let draft = DelegationDraft::parse(&form)?;
                store::create(conn, &for_store, &draft, &account, now())
            })
            .await;
        let base = format!("/organizer/m/{}/delegations", meeting.slug);
        let t = ctx.t();
        match made {
            Ok(_) => {
                state.wake_mailer();
                Ok(done_at(&base, Done::Created))
            }
            Err(AppError::Invalid(errors)) => {
                let form = FormState::new(values.clone()).with_errors(&errors, t, input_name);
                let status = StatusCode::UNPROCESSABLE_ENTITY;
                render(&state, &ctx, &current, &meeting, &form, None, status).await
            }
            Err(AppError::Conflict { .. }) => {
                let form = FormState::new(values.clone());
                let said = Some(t.not_enough_seats);
                render(
                    &state,
                    &ctx,
                    &current,
                    &meeting,
                    &form,
                    said,
                    StatusCode::CONFLICT,
                )
                .await
            }
            Err(error) => Err(error),
        }
    }
    .await;
    result.on_page(&ctx)
}

/// Change a delegation's seats (at once), or remove it (asked first).
async fn act(
    state: web::Data<AppState>,
    Dashboard { current, ctx }: Dashboard,
    path: web::Path<(String, String, String)>,
    fields: Fields,
) -> PageResult {
    let (slug, id, action) = path.into_inner();
    let result = async {
        current.check(&fields)?;
        let meeting = organized(&state, &slug, &current.account_id).await?;
        let id = crate::web::id_cursor(Some(&id))
            .ok()
            .flatten()
            .ok_or(AppError::NotFound)?;
        let base = format!("/organizer/m/{}/delegations", meeting.slug);
        let (for_store, account) = (meeting.clone(), current.account_id.clone());
        let t = ctx.t();
        match action.as_str() {
            "seats" => {
                let seats = fields.get("seats").and_then(|n| n.trim().parse().ok());
                change_seats(&state, &ctx, &current, &meeting, id, seats.unwrap_or(0)).await
            }
            "remove" if !confirm::confirmed(&fields) => Ok(confirm::Question {
                question: t.confirm_remove_delegation.to_owned(),
                consequence: t.remove_delegation_consequence,
                yes: t.delete,
                action: format!("{base}/{id}/remove"),
                back: &base,
            }
            .ask(&ctx, &meeting, Tab::Delegations, &fields)),
            "remove" => {
                state
                    .write(move |conn| store::delete(conn, &for_store, &id, &account, now()))
                    .await?;
                state.wake_mailer();
                Ok(done_at(&base, Done::Deleted))
            }
            _ => Err(AppError::NotFound),
        }
    }
    .await;
    result.on_page(&ctx)
}

/// Changes a delegation's seats, or says why not on the tab.
async fn change_seats(
    state: &AppState,
    ctx: &PageContext,
    current: &OrganizerSession,
    meeting: &Meeting,
    id: String,
    seats: i64,
) -> Result<HttpResponse, AppError> {
    let base = format!("/organizer/m/{}/delegations", meeting.slug);
    let (for_store, account) = (meeting.clone(), current.account_id.clone());
    let changed = state
        .write(move |conn| {
            let patch = Patch::set("seats", seats);
            store::update(conn, &for_store, &id, patch, &account, now())
        })
        .await;
    let t = ctx.t();
    let (said, status) = match changed {
        Ok(_) => return Ok(done_at(&base, Done::Saved)),
        Err(AppError::Conflict {
            code: "seats_below_confirmed",
            ..
        }) => (t.seats_below_confirmed, StatusCode::CONFLICT),
        Err(AppError::Conflict { .. }) => (t.not_enough_seats, StatusCode::CONFLICT),
        Err(AppError::Invalid(_)) => (t.error_whole_number, StatusCode::UNPROCESSABLE_ENTITY),
        Err(error) => return Err(error),
    };
    let form = FormState::default();
    render(state, ctx, current, meeting, &form, Some(said), status).await
}
