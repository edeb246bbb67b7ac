//! The organizer's registrations: the table with filters, search, order, count and paging,
//! the waiting list in order, the printable list and the full exports. Decisions are in
//! `decisions`, one person's page in `person`.

mod decisions;
mod person;

use decisions::Action;

use super::model::{ListFilter, ListQuery, Order, RegistrationStatus, RegistrationView};
use super::pages::country_options;
use super::store::{self, Count};
use crate::error::Checks;
use crate::exports::FileFormat;
use crate::i18n::{fill, Catalogue};
use crate::meetings::dashboard::organized;
use crate::values::OrganizationKind;
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
        "/organizer/m/{slug}/registrations/bulk",
        web::post().to(decisions::bulk),
    )
    .route(
        "/organizer/m/{slug}/registrations/print",
        web::get().to(printable_list),
    )
    .route(
        "/organizer/m/{slug}/registrations/{id}",
        web::get().to(person::person_page),
    )
    .route(
        "/organizer/m/{slug}/registrations/{id}/{action}",
        web::post().to(decisions::decide),
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

/// The printable list holds at most this many: beyond, the exports serve better than paper.
const PRINTED_MOST: i64 = 2000;

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
        let order = checks.field("sort", Order::parse(query.sort.as_deref())).unwrap_or_default();
        let cursor = checks.field("cursor", crate::web::id_cursor(query.cursor.as_deref())).flatten();
        let (for_list, language) = (meeting.clone(), ctx.lang);
        let (rows, next, count, categories) = state
            .read(move |conn| {
                let (rows, next) = store::list(conn, &for_list, &filter, order, PAGE, cursor.as_deref())?;
                let count = store::count(conn, &for_list, &filter)?;
                let names = crate::meetings::categories::store::names(conn, &for_list.id, language)?;
                Ok((rows, next, count, names))
            })
            .await?;
        let t = ctx.t();
        let base = format!("/organizer/m/{}", meeting.slug);
        let back = format!("{base}/registrations?{}", filter_query(&query));
        Ok(meeting_page(&ctx, &meeting, Tab::Registrations, StatusCode::OK, html! {
            (filter_form(&ctx, &base, &query, &categories))
            p.count role="status" {
                (match count {
                    Count::Exact(n) => fill(t.registrations_found, &[("n", &n.to_string())]),
                    Count::MoreThan(n) => fill(t.registrations_found_more, &[("n", &n.to_string())]),
                })
                " · "
                a href={ (base) "/registrations/print?" (filter_query(&query)) "&lang=" (ctx.lang.as_str()) } { (t.printable_list) }
            }
            @if !rows.is_empty() { (bulk_form(&ctx, &base, &back, &current)) }
            div.table-wrap {
                // A card a person on a phone (the `cards` style): each cell names its column.
                table.cards {
                    thead { tr { th { span.visually-hidden { (t.select_label) } } th { (t.name) } th { (t.organization) } th { (t.meeting_country) } th { (t.status_label) } th { span.muted { "" } } } }
                    tbody {
                        @for r in &rows { (table_row(&ctx, &base, &back, &current, r, &categories)) }
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

/// One person in the table: ticked for a bulk action, named with a link to their page, and the
/// actions their status allows.
fn table_row(
    ctx: &PageContext,
    base: &str,
    back: &str,
    current: &crate::accounts::pages::OrganizerSession,
    r: &RegistrationView,
    categories: &HashMap<String, String>,
) -> Markup {
    let t = ctx.t();
    html! {
        tr {
            td.select {
                input type="checkbox" name="id" value=(r.id) form="bulk" id={ "select-" (r.id) }
                    aria-label=(fill(t.select_person, &[("name", &r.full_name)]));
            }
            td { strong { a href={ (base) "/registrations/" (r.id) } { (r.full_name) } } br; span.muted { (r.email) } }
            td data-label=(t.organization) { (r.organization.name) }
            td data-label=(t.meeting_country) { (crate::i18n::countries::name(&r.country, ctx.lang)) }
            td data-label=(t.status_label) {
                (status_of(t, r))
                // With more than one category, each row says which.
                @if categories.len() > 1 {
                    br; span.muted { (categories.get(&r.category).unwrap_or(&r.category)) }
                }
            }
            td.actions { (action_forms(t, base, current, r, back, &Action::allowed(r))) }
        }
    }
}

/// Where a person stands, as the organizer reads it: the status, the place on the waiting
/// list, and whether they arrived.
fn status_of(t: &Catalogue, r: &RegistrationView) -> Markup {
    html! {
        (t.status_for_organizer(&r.status))
        @if let Some(p) = r.waitlist_position { " (" (p) ")" }
        @if r.checked_in_at.is_some() { " " span.badge.ok { (t.checked_in) } }
    }
}

/// A button for each of `actions` on one person, each a form that comes back to `back`
/// (a destructive one through its question first).
fn action_forms(
    t: &Catalogue,
    base: &str,
    current: &crate::accounts::pages::OrganizerSession,
    r: &RegistrationView,
    back: &str,
    actions: &[Action],
) -> Markup {
    html! {
        @for action in actions {
            form.inline method="post" action={ (base) "/registrations/" (r.id) "/" (action.code()) } {
                (current.field())
                input type="hidden" name="back" value=(back);
                button.small.secondary[*action != Action::Approve] type="submit" aria-label={ (action.label(t, &r.status)) ": " (r.full_name) } { (action.label(t, &r.status)) }
            }
            " "
        }
    }
}

/// The form the table's ticks belong to (`form="bulk"`): one action on every ticked person.
fn bulk_form(
    ctx: &PageContext,
    base: &str,
    back: &str,
    current: &crate::accounts::pages::OrganizerSession,
) -> Markup {
    let t = ctx.t();
    html! {
        form.filters id="bulk" method="post" action={ (base) "/registrations/bulk" } {
            (current.field())
            input type="hidden" name="back" value=(back);
            div.field {
                label for="bulk-action" { (t.bulk_label) }
                select id="bulk-action" name="action" {
                    @for action in [Action::Approve, Action::CheckIn, Action::Cancel] {
                        option value=(action.code()) { (action.label(t, "")) }
                    }
                }
            }
            button.secondary type="submit" { (t.bulk_apply) }
        }
    }
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
        "status={}&organization_kind={}&country={}&category={}&q={}&sort={}",
        encode(&query.status),
        encode(&query.organization_kind),
        encode(&query.country),
        encode(&query.category),
        encode(&query.q),
        encode(&query.sort)
    )
}

/// The table's filters: status, kind of organisation, country and a search, as the API has.
fn filter_form(
    ctx: &PageContext,
    base: &str,
    query: &ListQuery,
    categories: &HashMap<String, String>,
) -> Markup {
    let t = ctx.t();
    let chosen = |value: &Option<String>| value.clone().unwrap_or_default();
    let (status, kind, country) = (
        chosen(&query.status),
        chosen(&query.organization_kind),
        chosen(&query.country),
    );
    let sort = Order::parse(query.sort.as_deref())
        .unwrap_or_default()
        .as_str();
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
            @if categories.len() > 1 {
                div.field {
                    label for="category" { (t.category_label) }
                    select id="category" name="category" {
                        option value="" { (t.all) }
                        @for (code, name) in sorted(categories) {
                            option value=(code) selected[Some(code) == query.category.as_ref()] { (name) }
                        }
                    }
                }
            }
            div.field { label for="q" { (t.search) } input type="text" id="q" name="q" value=(chosen(&query.q)); }
            div.field {
                label for="sort" { (t.order_label) }
                select id="sort" name="sort" {
                    @for order in Order::ALL {
                        option value=(order.as_str()) selected[order.as_str() == sort] { (order_name(ctx, order)) }
                    }
                }
            }
            button.secondary type="submit" { (t.filter) }
        }
    }
}

/// Categories by name, for a choice.
fn sorted(categories: &HashMap<String, String>) -> Vec<(&String, &String)> {
    let mut sorted: Vec<_> = categories.iter().collect();
    sorted.sort_by(|a, b| a.1.cmp(b.1));
    sorted
}

fn order_name(ctx: &PageContext, order: Order) -> &'static str {
    let t = ctx.t();
    match order {
        Order::Oldest => t.order_oldest,
        Order::Newest => t.order_newest,
        Order::Name => t.order_name,
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
                            (action_forms(t, &base, &current, r, &back, &[Action::Promote, Action::Cancel]))
                        }
                    }
                }
            },
        ))
    }
    .await;
    result.on_page(&ctx)
}

/// The table's people on paper, as filtered: a list to print (the browser's Print), with room
/// for a signature. Without the dashboard around it; the stylesheet's print rules hide the rest.
async fn printable_list(
    state: web::Data<AppState>,
    Dashboard { current, ctx }: Dashboard,
    slug: web::Path<String>,
    query: web::Query<ListQuery>,
) -> PageResult {
    let result = async {
        let meeting = organized(&state, &slug, &current.account_id).await?;
        let mut checks = Checks::default();
        let filter = ListFilter::parse(&query, &mut checks).unwrap_or_default();
        let order = checks.field("sort", Order::parse(query.sort.as_deref())).unwrap_or_default();
        let for_list = meeting.clone();
        let (rows, more) = state
            .read(move |conn| store::list(conn, &for_list, &filter, order, PRINTED_MOST, None))
            .await?;
        let t = ctx.t();
        let title = meeting.title_in(ctx.lang);
        let back = format!("/organizer/m/{}/registrations?{}", meeting.slug, filter_query(&query));
        Ok(crate::web::page::respond(&ctx, StatusCode::OK, crate::web::page::layout(&ctx, &title, html! {
            p.no-print { a href=(back) { (t.all_registrations) } " · " (t.print_hint) }
            h1 { (title) }
            p { (crate::meetings::pages::when(&meeting, ctx.lang)) }
            @if more.is_some() { p.notice.warn { (fill(t.printed_first, &[("n", &PRINTED_MOST.to_string())])) } }
            // On a phone the list scrolls inside its box; on paper it has the page's width.
            div.table-wrap {
                table.printed {
                    thead { tr { th { "#" } th { (t.name) } th { (t.organization) } th { (t.meeting_country) } th { (t.status_label) } th { (t.signature_column) } } }
                    tbody {
                        @for (n, r) in rows.iter().enumerate() {
                            tr {
                                td { (n + 1) }
                                td { (r.full_name) }
                                td { (r.organization.name) }
                                td { (crate::i18n::countries::name(&r.country, ctx.lang)) }
                                td { (t.status_for_organizer(&r.status)) }
                                td.signature {}
                            }
                        }
                    }
                }
            }
        })))
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
        super::routes::download_registrations(state, meeting, ListFilter::default(), reader, format)
            .await
    }
    .await;
    result.on_page(&ctx)
}
