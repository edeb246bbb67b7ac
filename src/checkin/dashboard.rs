//! The organizer's check-in tab: arrivals per day and who came (charts), the attendance file,
//! badges to print (everyone, a category, or one person from their page), the certificates,
//! and the desk links (made, shown once, revoked).

use crate::accounts::handed_out::{self, NewToken, TokenForm, TokenView};
use crate::accounts::tokens::TokenKind;
use crate::db::{now, DbConn};
use crate::error::{AppError, AppResult};
use crate::i18n::{countries, day_heading, fill, Catalogue};
use crate::meetings::categories::Category;
use crate::meetings::dashboard::organized;
use crate::meetings::Meeting;
use crate::web::confirm::{self, done_at, Done};
use crate::web::dashboard::{bar_chart, meeting_page, Dashboard, Tab};
use crate::web::forms::{error_summary, Field, FormState};
use crate::web::page::{OnPage, PageContext, PageResult};
use crate::web::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use maud::{html, Markup};
use std::collections::HashMap;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/organizer/m/{slug}/check-in", web::get().to(check_in_tab))
        .route("/organizer/m/{slug}/check-in", web::post().to(create_link))
        .route(
            "/organizer/m/{slug}/check-in/{id}/revoke",
            web::post().to(revoke_link),
        )
        .route(
            "/organizer/m/{slug}/attendance.csv",
            web::get().to(attendance_csv),
        )
        .route("/organizer/m/{slug}/badges.pdf", web::get().to(badges_pdf))
        .route(
            "/organizer/m/{slug}/registrations/{id}/certificate.pdf",
            web::get().to(certificate_pdf),
        );
}

type Fields = web::Form<HashMap<String, String>>;

/// What the tab shows, read in one go.
struct TabView {
    links: Vec<TokenView>,
    categories: Vec<Category>,
    counts: super::attendance::AttendanceCounts,
    /// Who came, by name: (registration, name, organisation).
    came: Vec<(String, String, String)>,
}

fn read_tab(conn: &mut DbConn, meeting: &Meeting) -> AppResult<TabView> {
    Ok(TabView {
        links: handed_out::list(conn, TokenKind::Desk, &meeting.id, now())?,
        categories: crate::meetings::categories::store::of_meeting(conn, &meeting.id)?,
        counts: super::attendance::counts(conn, &meeting.id)?,
        came: super::attendance::attended(conn, &meeting.id)?,
    })
}

fn charts(t: &Catalogue, ctx: &PageContext, meeting: &Meeting, view: &TabView) -> Markup {
    let days: Vec<(String, i64)> = super::meeting_days(meeting)
        .into_iter()
        .map(|day| {
            let n = view
                .counts
                .by_day
                .get(&day.to_string())
                .copied()
                .unwrap_or(0);
            (day_heading(day, ctx.lang), n)
        })
        .collect();
    let sorted = |counts: &HashMap<String, i64>, name: &dyn Fn(&str) -> String| {
        let mut rows: Vec<(String, i64)> = counts.iter().map(|(key, n)| (name(key), *n)).collect();
        rows.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        rows
    };
    let kinds = sorted(&view.counts.by_organization_kind, &|kind| {
        t.kind_of_organization(kind).to_owned()
    });
    let countries = sorted(&view.counts.by_country, &|code| {
        countries::name(code, ctx.lang).to_owned()
    });
    html! {
        div.charts {
            (bar_chart(t.attendance_by_day, t.no_arrivals, &days))
            (bar_chart(t.attended_by_kind, t.no_arrivals, &kinds))
            (bar_chart(t.attended_by_country, t.no_arrivals, &countries))
        }
    }
}

fn render(
    ctx: &PageContext,
    csrf: Markup,
    meeting: &Meeting,
    view: &TabView,
    form: &FormState,
    new_link: Option<&str>,
    status: StatusCode,
) -> HttpResponse {
    let t = ctx.t();
    let base = format!("/organizer/m/{}", meeting.slug);
    let content = html! {
        @if let Some(link) = new_link {
            div.notice.ok role="status" { p { (t.desk.link_once) } p.once { (link) } }
        }
        (charts(t, ctx, meeting, view))
        p { a href={ (base) "/attendance.csv" } { (t.attendance_download) } }
        h2 { (t.badges_heading) }
        ul {
            li { a href={ (base) "/badges.pdf" } { (t.badges_all) } }
            @for category in &view.categories {
                li { a href={ (base) "/badges.pdf?category=" (category.code) } {
                    (fill(t.badges_category, &[("category", &category.name_in(ctx.lang))]))
                } }
            }
        }
        h2 { (t.desk.links) }
        (error_summary(form, t))
        form method="post" action={ (base) "/check-in" } novalidate {
            (csrf.clone())
            (Field::new("label", t.label).required().input(form))
            (Field::new("expires_at", t.expires).kind("datetime-local").input(form))
            button type="submit" { (t.create_desk_link) }
        }
        (links_table(t, ctx, &csrf, meeting, &view.links))
        h2 { (t.certificates_heading) }
        @if view.came.is_empty() { p { (t.no_arrivals) } }
        @else {
            p { (t.certificates_intro) }
            ul {
                @for (id, name, organization) in &view.came {
                    li { a href={ (base) "/registrations/" (id) "/certificate.pdf" } { (name) } " · " (organization) }
                }
            }
        }
    };
    meeting_page(ctx, meeting, Tab::CheckIn, status, content)
}

fn links_table(
    t: &Catalogue,
    ctx: &PageContext,
    csrf: &Markup,
    meeting: &Meeting,
    links: &[TokenView],
) -> Markup {
    html! {
        @if links.is_empty() { p { (t.empty_list) } }
        @else {
            div.table-wrap {
                table.cards {
                    thead { tr { th { (t.label) } th { (t.expires) } th { (t.uses) } th { "" } } }
                    tbody {
                        @for link in links {
                            tr {
                                td { strong { (link.label) } }
                                td data-label=(t.expires) { @if let Some(at) = &link.expires_at { (meeting.written_rfc3339(at, ctx.lang)) } }
                                td data-label=(t.uses) { (link.uses) }
                                td {
                                    @if link.active {
                                        form.inline method="post" action={ "/organizer/m/" (meeting.slug) "/check-in/" (link.id) "/revoke" } {
                                            (csrf.clone())
                                            button.small.secondary type="submit" aria-label={ (t.revoke) ": " (link.label) } { (t.revoke) }
                                        }
                                    } @else { span.badge { (t.revoked) } }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

async fn show(
    state: &AppState,
    ctx: &PageContext,
    csrf: Markup,
    meeting: Meeting,
    form: &FormState,
    new_link: Option<&str>,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let for_read = meeting.clone();
    let view = state.read(move |conn| read_tab(conn, &for_read)).await?;
    Ok(render(ctx, csrf, &meeting, &view, form, new_link, status))
}

async fn check_in_tab(
    state: web::Data<AppState>,
    Dashboard { current, ctx }: Dashboard,
    slug: web::Path<String>,
) -> PageResult {
    let result = async {
        let meeting = organized(&state, &slug, &current.account_id).await?;
        let form = FormState::default();
        show(
            &state,
            &ctx,
            current.field(),
            meeting,
            &form,
            None,
            StatusCode::OK,
        )
        .await
    }
    .await;
    result.on_page(&ctx)
}

async fn create_link(
    state: web::Data<AppState>,
    Dashboard { current, ctx }: Dashboard,
    slug: web::Path<String>,
    fields: Fields,
) -> PageResult {
    let values = fields.into_inner();
    let result = async {
        current.check(&values)?;
        let meeting = organized(&state, &slug, &current.account_id).await?;
        let expires = values
            .get("expires_at")
            .and_then(|v| crate::meetings::dashboard::local_to_rfc3339(v, meeting.tz()));
        let form = TokenForm {
            label: values.get("label").cloned(),
            expires_at: expires,
        };
        let (for_store, account) = (meeting.clone(), current.account_id.clone());
        let created = state
            .write_unseen(move |conn| {
                let new = super::desk::bounded(NewToken::parse(&form, now())?, &for_store)?;
                handed_out::issue(conn, TokenKind::Desk, &for_store.id, &account, &new, now())
            })
            .await;
        let csrf = current.field();
        match created {
            Ok(issued) => {
                let link = format!("{}/desk/{}", state.base_url, issued.token);
                let form = FormState::default();
                show(
                    &state,
                    &ctx,
                    csrf,
                    meeting,
                    &form,
                    Some(&link),
                    StatusCode::CREATED,
                )
                .await
            }
            Err(AppError::Invalid(errors)) => {
                let form = FormState::new(values).with_errors(&errors, ctx.t(), str::to_owned);
                let status = StatusCode::UNPROCESSABLE_ENTITY;
                show(&state, &ctx, csrf, meeting, &form, None, status).await
            }
            Err(error) => Err(error),
        }
    }
    .await;
    result.on_page(&ctx)
}

async fn revoke_link(
    state: web::Data<AppState>,
    Dashboard { current, ctx }: Dashboard,
    path: web::Path<(String, String)>,
    fields: Fields,
) -> PageResult {
    let (slug, id) = path.into_inner();
    let result = async {
        current.check(&fields)?;
        let meeting = organized(&state, &slug, &current.account_id).await?;
        let tab = format!("/organizer/m/{}/check-in", meeting.slug);
        if !confirm::confirmed(&fields) {
            let meeting_id = meeting.id.clone();
            let links = state
                .read(move |conn| handed_out::list(conn, TokenKind::Desk, &meeting_id, now()))
                .await?;
            let link = links
                .into_iter()
                .find(|link| link.id == id)
                .ok_or(AppError::NotFound)?;
            let t = ctx.t();
            return Ok(confirm::Question {
                question: fill(t.confirm_revoke_desk, &[("label", &link.label)]),
                consequence: t.revoke_desk_consequence,
                yes: t.revoke,
                action: format!("{tab}/{id}/revoke"),
                back: &tab,
            }
            .ask(&ctx, &meeting, Tab::CheckIn, &fields));
        }
        let (meeting_id, account) = (meeting.id.clone(), current.account_id.clone());
        state
            .write_unseen(move |conn| {
                handed_out::revoke(conn, TokenKind::Desk, &meeting_id, &id, &account, now())
            })
            .await?;
        Ok(done_at(&tab, Done::Revoked))
    }
    .await;
    result.on_page(&ctx)
}

/// The attendance list for a person: headings in the page's language, times as dates.
async fn attendance_csv(
    state: web::Data<AppState>,
    Dashboard { current, ctx }: Dashboard,
    slug: web::Path<String>,
) -> PageResult {
    let result = async {
        let meeting = organized(&state, &slug, &current.account_id).await?;
        let reader = crate::exports::Reader::Person(ctx.lang);
        super::attendance::export(&meeting, reader)
            .download(&state.pools, crate::exports::FileFormat::Csv)
            .await
    }
    .await;
    result.on_page(&ctx)
}

async fn badges_pdf(
    state: web::Data<AppState>,
    Dashboard { current, ctx }: Dashboard,
    slug: web::Path<String>,
    req: HttpRequest,
) -> PageResult {
    let result = async {
        let meeting = organized(&state, &slug, &current.account_id).await?;
        let filter = super::badges::BadgeFilter::parse(req.query_string())?;
        super::files::badges_download(&state, meeting, filter).await
    }
    .await;
    result.on_page(&ctx)
}

async fn certificate_pdf(
    state: web::Data<AppState>,
    Dashboard { current, ctx }: Dashboard,
    path: web::Path<(String, String)>,
) -> PageResult {
    let (slug, id) = path.into_inner();
    let result = async {
        let meeting = organized(&state, &slug, &current.account_id).await?;
        super::files::certificate_pdf(&state, move |_| Ok(meeting), id).await
    }
    .await;
    result.on_page(&ctx)
}
