//! The organizer's registrations: the table with filters, search and paging, the decisions,
//! the waiting list in order, and the full exports.

use super::model::{ListFilter, ListQuery, Registration, RegistrationStatus};
use super::pages::country_options;
use super::store::{self, Decision};
use crate::audit::Actor;
use crate::db::now;
use crate::error::{AppError, Checks};
use crate::exports::FileFormat;
use crate::i18n::fill;
use crate::meetings::dashboard::organized;
use crate::meetings::Meeting;
use crate::values::OrganizationKind;
use crate::web::confirm::{self, Done};
use crate::web::dashboard::{meeting_page, Dashboard, Tab};
use crate::web::page::{OnPage, PageContext, PageResult};
use crate::web::state::AppState;
use actix_web::http::StatusCode;
use actix_web::web;
use maud::{html, Markup};
use std::collections::HashMap;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/organizer/m/{slug}/registrations",
        web::get().to(registrations_table),
    )
    .route(
        "/organizer/m/{slug}/registrations/{id}/{action}",
        web::post().to(decide),
    )
    .route("/organizer/m/{slug}/waitlist", web::get().to(waiting_list))
    .route(
        "/organizer/m/{slug}/registrations.csv",
        web::get().to(export_csv),
    )
    .route(
        "/organizer/m/{slug}/registrations.xlsx",
        web::get().to(export_xlsx),
    );
}

const PAGE: i64 = 50;

/// How much of the waiting list its tab shows, from the head: the people a freed seat reaches.
const WAITLIST_HEAD: i64 = 500;

async fn registrations_table(
    state: web::Data<AppState>,
    Dashboard { current, ctx }: Dashboard,
    slug: web::Path<String>,
    query: web::Query<ListQuery>,
) -> PageResult {
    let result = async {
        let meeting = organized(&state, &slug, &current.account_id).await?;
        let mut checks = Checks::default();
        let filter = ListFilter::parse(&query, &mut checks).unwrap_or_default();
        let cursor = checks.field("cursor", crate::web::id_cursor(query.cursor.as_deref())).flatten();
        let for_list = meeting.clone();
        let (rows, next) = state.read(move |conn| store::list(conn, &for_list, &filter, PAGE, cursor.as_deref())).await?;
        let t = ctx.t();
        let base = format!("/organizer/m/{}", meeting.slug);
        let back = format!("{base}/registrations?{}", filter_query(&query));
        Ok(meeting_page(&ctx, &meeting, Tab::Registrations, StatusCode::OK, html! {
            (filter_form(&ctx, &base, &query))
            @if rows.is_empty() { p { (t.empty_list) } }
            div.table-wrap {
                // A card a person on a phone (the `cards` style): each cell names its column.
                table.cards {
                    thead { tr { th { (t.name) } th { (t.organization) } th { (t.meeting_country) } th { (t.status_label) } th { span.muted { "" } } } }
                    tbody {
                        @for r in &rows {
                            tr {
                                td { strong { (r.full_name) } br; span.muted { (r.email) } }
                                td data-label=(t.organization) { (r.organization.name) }
                                td data-label=(t.meeting_country) { (crate::i18n::countries::name(&r.country, ctx.lang)) }
                                td data-label=(t.status_label) {
                                    (t.status_for_organizer(&r.status))
                                    @if let Some(p) = r.waitlist_position { " (" (p) ")" }
                                    @if r.checked_in_at.is_some() { br; span.badge.ok { (t.checked_in) } }
                                }
                                td.actions {
                                    @let actions = match r.status.as_str() {
                                        "pending_approval" => vec![("approve", t.approve), ("reject", t.reject), ("cancel", t.cancel)],
                                        "confirmed" if r.checked_in_at.is_none() => vec![("check-in", t.check_in), ("cancel", t.cancel)],
                                        "confirmed" | "waitlisted" | "pending_email" => vec![("cancel", t.cancel)],
                                        _ => vec![],
                                    };
                                    @for (action, label) in actions {
                                        form.inline method="post" action={ (base) "/registrations/" (r.id) "/" (action) } {
                                            (current.field())
                                            input type="hidden" name="back" value=(back);
                                            button.small.secondary[action != "approve"] type="submit" aria-label={ (label) ": " (r.full_name) } { (label) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if let Some(next) = next {
                p { a href={ (back) "&cursor=" (next) } { (t.next_page) } }
            }
        }))
    }
    .await;
    result.on_page(&ctx)
}

/// The filters as a query string, for the links and forms that come back to this view.
fn filter_query(query: &ListQuery) -> String {
    let encode = |value: &Option<String>| {
        percent_encoding::utf8_percent_encode(
            value.as_deref().unwrap_or(""),
            percent_encoding::NON_ALPHANUMERIC,
        )
        .to_string()
    };
    format!(
        "status={}&organization_kind={}&country={}&q={}",
        encode(&query.status),
        encode(&query.organization_kind),
        encode(&query.country),
        encode(&query.q)
    )
}

/// The table's filters: status, kind of organisation, country and a search, as the API has.
fn filter_form(ctx: &PageContext, base: &str, query: &ListQuery) -> Markup {
    let t = ctx.t();
    let chosen = |value: &Option<String>| value.clone().unwrap_or_default();
    let (status, kind, country) = (
        chosen(&query.status),
        chosen(&query.organization_kind),
        chosen(&query.country),
    );
    html! {
        form.filters method="get" action={ (base) "/registrations" } {
            div.field {
                label for="status" { (t.status_label) }
                select id="status" name="status" {
                    option value="" { (t.all) }
                    @for s in RegistrationStatus::ALL {
                        option value=(s.as_str()) selected[s.as_str() == status] { (t.status_for_organizer(s.as_str())) }
                    }
                }
            }
            div.field {
                label for="organization_kind" { (t.by_kind) }
                select id="organization_kind" name="organization_kind" {
                    option value="" { (t.all) }
                    @for k in OrganizationKind::ALL {
                        option value=(k.as_str()) selected[k.as_str() == kind] { (t.kind_of_organization(k.as_str())) }
                    }
                }
            }
            div.field {
                label for="country" { (t.meeting_country) }
                select id="country" name="country" {
                    option value="" { (t.all) }
                    @for (code, name) in country_options(ctx.lang) {
                        option value=(code) selected[code == country] { (name) }
                    }
                }
            }
            div.field { label for="q" { (t.search) } input type="text" id="q" name="q" value=(chosen(&query.q)); }
            button.secondary type="submit" { (t.filter) }
        }
    }
}

async fn decide(
    state: web::Data<AppState>,
    Dashboard { current, ctx }: Dashboard,
    path: web::Path<(String, String, String)>,
    fields: web::Form<HashMap<String, String>>,
) -> PageResult {
    let (slug, id, action) = path.into_inner();
    let result = async {
        current.check(&fields)?;
        let meeting = organized(&state, &slug, &current.account_id).await?;
        let (decision, done) = match action.as_str() {
            "approve" => (Some(Decision::Approve), Done::Approved),
            "reject" => (Some(Decision::Reject), Done::Rejected),
            "check-in" => (Some(Decision::CheckIn), Done::CheckedIn),
            "cancel" => (None, Done::Cancelled),
            _ => return Err(AppError::NotFound),
        };
        // Back to where the decision was taken (the table, the waiting list), within this
        // meeting's dashboard.
        let dashboard = format!("/organizer/m/{}", meeting.slug);
        let back = fields
            .get("back")
            .and_then(|back| crate::web::paths::local_location_under(back, &dashboard))
            .unwrap_or_else(|| format!("{dashboard}/registrations"));
        if matches!(done, Done::Rejected | Done::Cancelled) && !confirm::confirmed(&fields) {
            let person = state.read(move |conn| store::by_id(conn, &id)).await?;
            if person.meeting_id != meeting.id {
                return Err(AppError::NotFound);
            }
            return Ok(question(&ctx, &meeting, &person, &action, done, &back).ask(
                &ctx,
                &meeting,
                Tab::Registrations,
                &fields,
            ));
        }
        let account = current.account_id.clone();
        let for_decision = meeting.clone();
        state
            .write(move |conn| match decision {
                Some(decision) => {
                    store::decide(conn, &for_decision, &id, decision, &account, now())
                }
                None => {
                    let slug = crate::web::slug_or_404(&for_decision.slug)?;
                    store::cancel(conn, &id, Some(&slug), &Actor::Account(&account), now())
                }
            })
            .await?;
        state.wake_mailer();
        Ok(confirm::done_at(&back, done))
    }
    .await;
    result.on_page(&ctx)
}

/// The question before cancelling or rejecting someone, saying what follows for them.
fn question<'a>(
    ctx: &PageContext,
    meeting: &Meeting,
    person: &Registration,
    action: &'a str,
    done: Done,
    back: &'a str,
) -> confirm::Question<'a> {
    let t = ctx.t();
    let (question, consequence, yes) = match done {
        Done::Rejected => (
            t.confirm_reject_registration,
            t.reject_registration_consequence,
            t.reject,
        ),
        _ if person.status == RegistrationStatus::Waitlisted.as_str() => (
            t.confirm_cancel_registration,
            t.leave_waitlist_consequence,
            t.remove_from_waitlist,
        ),
        // No seat held yet: nobody moves up.
        _ if person.status != RegistrationStatus::Confirmed.as_str() => (
            t.confirm_cancel_registration,
            t.cancel_pending_consequence,
            t.cancel,
        ),
        _ => (
            t.confirm_cancel_registration,
            t.cancel_registration_consequence,
            t.cancel,
        ),
    };
    confirm::Question {
        question: fill(question, &[("name", &person.full_name)]),
        consequence,
        yes,
        action: format!(
            "/organizer/m/{}/registrations/{}/{action}",
            meeting.slug, person.id
        ),
        back,
    }
}

async fn waiting_list(
    state: web::Data<AppState>,
    Dashboard { current, ctx }: Dashboard,
    slug: web::Path<String>,
) -> PageResult {
    let result = async {
        let meeting = organized(&state, &slug, &current.account_id).await?;
        let for_list = meeting.clone();
        let rows = state
            .read(move |conn| store::waiting_list(conn, &for_list, WAITLIST_HEAD))
            .await?;
        let t = ctx.t();
        let base = format!("/organizer/m/{}", meeting.slug);
        let back = format!("{base}/waitlist");
        Ok(meeting_page(
            &ctx,
            &meeting,
            Tab::Waitlist,
            StatusCode::OK,
            html! {
                @if rows.is_empty() { p { (t.empty_list) } }
                @else { p.muted { (t.waitlist_hint) } }
                ol.waiting {
                    @for r in &rows {
                        li {
                            strong { (r.full_name) } " — " (r.organization.name)
                            " (" (crate::i18n::countries::name(&r.country, ctx.lang)) ")"
                            br;
                            span.muted { (t.waiting_since) " " (meeting.written_rfc3339(&r.created_at, ctx.lang)) }
                            " "
                            form.inline method="post" action={ (base) "/registrations/" (r.id) "/cancel" } {
                                (current.field())
                                input type="hidden" name="back" value=(back);
                                button.small.secondary type="submit" aria-label={ (t.remove_from_waitlist) ": " (r.full_name) } { (t.remove_from_waitlist) }
                            }
                        }
                    }
                }
            },
        ))
    }
    .await;
    result.on_page(&ctx)
}

/// All registrations, every field, every status.
async fn export_csv(
    state: web::Data<AppState>,
    dashboard: Dashboard,
    slug: web::Path<String>,
) -> PageResult {
    export(&state, dashboard, &slug, FileFormat::Csv).await
}

async fn export_xlsx(
    state: web::Data<AppState>,
    dashboard: Dashboard,
    slug: web::Path<String>,
) -> PageResult {
    export(&state, dashboard, &slug, FileFormat::Xlsx).await
}

async fn export(
    state: &AppState,
    Dashboard { current, ctx }: Dashboard,
    slug: &str,
    format: FileFormat,
) -> PageResult {
    let result = async {
        let meeting = organized(state, slug, &current.account_id).await?;
        let reader = crate::exports::Reader::Person(ctx.lang);
        super::routes::registrations_export(meeting, ListFilter::default(), reader)
            .download(&state.pools, format)
            .await
    }
    .await;
    result.on_page(&ctx)
}
