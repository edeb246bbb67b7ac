//! The focal point's page `/d/{token}`: the delegation's seats and nominees, a form to
//! nominate one more, and a way to withdraw one (asked first). It works without a script and
//! on a phone, in the focal point's language unless they chose another.

use super::focal::{focal_view, FocalView};
use super::{store, Delegation};
use crate::db::now;
use crate::error::AppError;
use crate::i18n::{fill, Catalogue};
use crate::meetings;
use crate::web::forms::{error_summary, required_note, Field, FormState};
use crate::web::page::{ok, PageContext, PageError, PageResult};
use crate::web::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use maud::{html, Markup};
use std::collections::HashMap;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/d/{token}", web::get().to(delegation_page))
        .route("/d/{token}", web::post().to(nominate))
        .route(
            "/d/{token}/nominations/{id}/withdraw",
            web::post().to(withdraw),
        );
}

type Fields = web::Form<HashMap<String, String>>;

/// The delegation behind a link, or the "link does not work" page.
async fn found(
    state: &AppState,
    req: &HttpRequest,
    token: &str,
) -> Result<(PageContext, Delegation), HttpResponse> {
    let ctx = PageContext::new(req);
    let lookup = token.to_owned();
    match state.read(move |conn| store::by_token(conn, &lookup)).await {
        Ok(Some(delegation)) => {
            let ctx = ctx.for_reader(delegation.focal_language());
            Ok((ctx, delegation))
        }
        Ok(None) => Err(crate::web::page::link_not_working(
            &ctx,
            ctx.t().link_invalid,
        )),
        Err(error) => Err(actix_web::ResponseError::error_response(&PageError::new(
            &ctx, error,
        ))),
    }
}

/// What a nominee's status reads as, to the focal point.
fn nominee_status(t: &Catalogue, status: &str) -> &'static str {
    match status {
        "invited" => t.nominee_invited,
        "withdrawn" => t.nominee_withdrawn,
        other => t.status(other),
    }
}

fn page(
    ctx: &PageContext,
    token: &str,
    view: &FocalView,
    category: &str,
    form: &FormState,
    notice: Option<&str>,
    status: StatusCode,
) -> HttpResponse {
    let t = ctx.t();
    let title = fill(
        t.delegation_heading,
        &[("organization", &view.organization.name)],
    );
    let holding = view
        .nominations
        .iter()
        .filter(|n| !matches!(n.status, "withdrawn" | "cancelled" | "rejected" | "expired"))
        .count() as i64;
    let confirmed = view
        .nominations
        .iter()
        .filter(|n| n.status == "confirmed")
        .count();
    let markup = crate::web::page::layout(
        ctx,
        &title,
        html! {
            h1 { (title) }
            p { strong { (view.meeting.title) } }
            @if let Some(notice) = notice { div.notice role="status" { p { (notice) } } }
            dl.facts {
                dt { (t.category_label) } dd { (category) }
                dt { (t.delegation_seats) }
                dd { (fill(t.delegation_seats_count, &[
                    ("seats", &view.seats.to_string()),
                    ("nominated", &holding.to_string()),
                    ("confirmed", &confirmed.to_string()),
                ])) }
                @if let Some(deadline) = &view.nomination_deadline {
                    dt { (t.nomination_deadline) }
                    dd { (written(deadline, ctx)) }
                }
            }
            h2 { (t.nominees) }
            (nominees_table(t, token, view))
            h2 { (t.nominate_heading) }
            @if !view.nominations_open { p { (t.nominations_closed) } }
            @else if holding >= view.seats { p { (t.delegation_full) } }
            @else {
                p { (t.nominate_explain) }
                (error_summary(form, t))
                (required_note(t))
                form method="post" action={ "/d/" (token) } novalidate {
                    (Field::new("full_name", t.full_name).required().autocomplete("off").input(form))
                    (Field::new("email", t.email).kind("email").required().autocomplete("off").input(form))
                    (Field::new("language", t.email_language).required().select(form, t.choose, &languages()))
                    button type="submit" { (t.nominate_button) }
                }
            }
        },
    );
    crate::web::page::respond(ctx, status, markup)
}

/// The nominees, each with a way to withdraw them.
fn nominees_table(t: &Catalogue, token: &str, view: &FocalView) -> Markup {
    html! {
    @if view.nominations.is_empty() { p { (t.no_nominees) } }
    @else {
        div.table-wrap {
            table.cards {
                thead { tr { th { (t.full_name) } th { (t.email) } th { (t.status_label) } th { "" } } }
                tbody {
                    @for nominee in &view.nominations {
                        tr {
                            td { strong { (nominee.full_name) } }
                            td data-label=(t.email) { (nominee.email) }
                            td data-label=(t.status_label) { (nominee_status(t, nominee.status)) }
                            td {
                                @if !matches!(nominee.status, "withdrawn" | "cancelled") {
                                    form.inline method="post" action={ "/d/" (token) "/nominations/" (nominee.id) "/withdraw" } {
                                        button.small.secondary type="submit" aria-label={ (t.withdraw) ": " (nominee.full_name) } { (t.withdraw) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    }
}

fn languages() -> Vec<(String, String)> {
    crate::values::Language::ALL
        .iter()
        .map(|l| {
            (
                l.as_str().to_owned(),
                crate::i18n::catalogue(*l).lang_name.to_owned(),
            )
        })
        .collect()
}

/// An RFC 3339 time of the meeting, in words.
fn written(at: &str, ctx: &PageContext) -> String {
    match chrono::DateTime::parse_from_rfc3339(at) {
        Ok(at) => crate::i18n::date_time(&at.naive_local(), ctx.lang),
        Err(_) => at.to_owned(),
    }
}

/// Reads the delegation's view and its category's name, then draws the page.
async fn render(
    state: &AppState,
    ctx: &PageContext,
    token: &str,
    delegation: Delegation,
    form: &FormState,
    notice: Option<&str>,
    status: StatusCode,
) -> PageResult {
    let language = ctx.lang;
    let read = state
        .read(move |conn| {
            let view = focal_view(conn, &delegation)?;
            let category =
                meetings::categories::store::names(conn, &delegation.meeting_id, language)?
                    .remove(&delegation.category)
                    .unwrap_or(delegation.category);
            Ok((view, category))
        })
        .await;
    match read {
        Ok((view, category)) => Ok(page(ctx, token, &view, &category, form, notice, status)),
        Err(error) => Err(PageError::new(ctx, error)),
    }
}

pub(crate) async fn delegation_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
) -> PageResult {
    let token = token.into_inner();
    let (ctx, delegation) = match found(&state, &req, &token).await {
        Ok(found) => found,
        Err(response) => return Ok(response),
    };
    let mut form = FormState::default();
    form.values
        .insert("language".into(), ctx.lang.as_str().into());
    render(
        &state,
        &ctx,
        &token,
        delegation,
        &form,
        None,
        StatusCode::OK,
    )
    .await
}

async fn nominate(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
    fields: Fields,
) -> PageResult {
    let token = token.into_inner();
    let (ctx, delegation) = match found(&state, &req, &token).await {
        Ok(found) => found,
        Err(response) => return Ok(response),
    };
    let values = fields.into_inner();
    let form = super::focal::NominationForm {
        full_name: values.get("full_name").cloned(),
        email: values.get("email").cloned(),
        language: values.get("language").cloned(),
    };
    let id = delegation.id.clone();
    let result = match form.invitation() {
        Ok(new) => {
            state
                .write(move |conn| store::nominate(conn, &id, &new, now()))
                .await
        }
        Err(error) => Err(error),
    };
    let t = ctx.t();
    match result {
        Ok(invitation) => {
            state.wake_mailer();
            let done = fill(t.nominated_done, &[("email", &invitation.email)]);
            let mut fresh = FormState::default();
            fresh
                .values
                .insert("language".into(), ctx.lang.as_str().into());
            render(
                &state,
                &ctx,
                &token,
                delegation,
                &fresh,
                Some(&done),
                StatusCode::CREATED,
            )
            .await
        }
        Err(AppError::Invalid(errors)) => {
            let form = FormState::new(values).with_errors(&errors, t, str::to_owned);
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            render(&state, &ctx, &token, delegation, &form, None, status).await
        }
        Err(AppError::Conflict { code, .. }) => {
            let said = match code {
                "delegation_full" => t.delegation_full,
                "nominations_closed" => t.nominations_closed,
                "already_registered" => t.nominee_already_registered,
                _ => t.nominee_already_invited,
            };
            let form = FormState::new(values);
            render(
                &state,
                &ctx,
                &token,
                delegation,
                &form,
                Some(said),
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(error) => Err(PageError::new(&ctx, error)),
    }
}

/// Withdrawing is asked first: it cancels the nominee's registration.
async fn withdraw(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    fields: Fields,
) -> PageResult {
    let (token, id) = path.into_inner();
    let (ctx, delegation) = match found(&state, &req, &token).await {
        Ok(found) => found,
        Err(response) => return Ok(response),
    };
    let t = ctx.t();
    let Some(id) = crate::web::id_cursor(Some(&id)).ok().flatten() else {
        return Ok(crate::web::page::link_not_working(
            &ctx,
            ctx.t().link_invalid,
        ));
    };
    if fields.get("confirm").map(String::as_str) != Some("yes") {
        let back = format!("/d/{token}");
        return Ok(ok(
            &ctx,
            t.withdraw,
            html! {
                h1 { (t.withdraw_question) }
                p { (t.withdraw_consequence) }
                form method="post" action={ "/d/" (token) "/nominations/" (id) "/withdraw" } {
                    input type="hidden" name="confirm" value="yes";
                    button.danger type="submit" { (t.withdraw) }
                    " "
                    a.button.secondary href=(back) { (t.cancel_no) }
                }
            },
        ));
    }
    let for_write = delegation.clone();
    let result = state
        .write(move |conn| store::withdraw(conn, &for_write, &id, now()))
        .await;
    match result {
        Ok(()) => {
            state.wake_mailer();
            let form = FormState::default();
            render(
                &state,
                &ctx,
                &token,
                delegation,
                &form,
                Some(t.withdrawn_done),
                StatusCode::OK,
            )
            .await
        }
        Err(AppError::Forbidden | AppError::NotFound) => Ok(crate::web::page::link_not_working(
            &ctx,
            ctx.t().link_invalid,
        )),
        Err(error) => Err(PageError::new(&ctx, error)),
    }
}
