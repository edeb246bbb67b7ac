//! The press page: the meeting, the counts a press officer may quote, and the downloads.

use super::model::Format;
use super::store;
use crate::accounts::tokens::{self, TokenKind};
use crate::db::{now, DbConn};
use crate::error::{AppError, AppResult};
use crate::exports::FileFormat;
use crate::i18n::{counted, countries, fill};
use crate::meetings::pages::when;
use crate::meetings::{self, Meeting};
use crate::web::page::{ok, OnPage, PageContext, PageResult};
use crate::web::state::AppState;
use actix_web::{web, HttpRequest};
use maud::html;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/press/{token}", web::get().to(press_page))
        .route("/press/{token}/attendees.csv", web::get().to(press_csv))
        .route("/press/{token}/attendees.xlsx", web::get().to(press_xlsx));
}

/// The meeting of a live press token, and the use recorded.
fn press_meeting(conn: &mut DbConn, token: &str, format: Format) -> AppResult<Meeting> {
    let at = now();
    let row = tokens::find(conn, TokenKind::Press, token, at)?.ok_or(AppError::NotFound)?;
    let meeting =
        meetings::store::by_id(conn, row.meeting_id.as_deref().ok_or(AppError::NotFound)?)?;
    store::record_use(conn, &row.id, &meeting.id, format, at)?;
    Ok(meeting)
}

async fn press_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
) -> PageResult {
    let ctx = PageContext::new(&req);
    let token = token.into_inner();
    let link = token.clone();
    let result = state
        .write(move |conn| {
            let meeting = press_meeting(conn, &token, Format::Summary)?;
            let summary = store::summary(conn, &meeting.id)?;
            Ok((meeting, summary))
        })
        .await;
    let (meeting, summary) = result.on_page(&ctx)?;
    let t = ctx.t();
    let title = meeting.title_in(ctx.lang);
    Ok(ok(
        &ctx,
        t.press_heading,
        html! {
            h1 { (t.press_heading) }
            p { strong { (title) } br; (when(&meeting, ctx.lang)) br; (meeting.place(ctx.lang)) }
            div.notice.press-counts {
                @if let Some(size) = &summary.meeting {
                    p { strong { (t.press_meeting_label) } " " (meeting_size(t, size)) }
                }
                p {
                    strong { (t.press_listed_label) } " "
                    (fill(t.press_counts, &[
                        ("attendees", &counted(summary.attendees, t.agreed_counted)),
                        ("organizations", &counted(summary.organizations, t.organizations_counted)),
                        ("countries", &counted(summary.countries, t.countries_counted)),
                    ]))
                }
            }
            p.muted { (t.press_note) }
            p {
                a.button href={ "/press/" (link) "/attendees.csv?lang=" (ctx.lang.as_str()) } download { (t.download_csv) }
                " "
                a.button.secondary href={ "/press/" (link) "/attendees.xlsx?lang=" (ctx.lang.as_str()) } download { (t.download_xlsx) }
            }
            div.charts {
                section {
                    h2 { (t.by_kind) }
                    @if summary.organizations_by_kind.is_empty() { p.muted { (t.nobody_listed_yet) } }
                    table {
                        @for (kind, count) in &summary.organizations_by_kind {
                            tr { td { (t.kind_of_organization(kind)) } td { (count) } }
                        }
                    }
                }
                section {
                    h2 { (t.by_country) }
                    @if summary.by_country.is_empty() { p.muted { (t.nobody_listed_yet) } }
                    table {
                        @for (name, count) in by_name(&summary.by_country, ctx.lang) {
                            tr { td { (name) } td { (count) } }
                        }
                    }
                }
            }
        },
    ))
}

/// The meeting's size in words: people, and organisations and countries when they may be told.
fn meeting_size(t: &crate::i18n::Catalogue, size: &super::store::MeetingSize) -> String {
    let people = counted(size.participants, t.participants_counted);
    match (size.organizations, size.countries) {
        (Some(organizations), Some(countries)) => fill(
            t.press_meeting_size,
            &[
                ("participants", &people),
                (
                    "organizations",
                    &counted(organizations, t.organizations_counted),
                ),
                ("countries", &counted(countries, t.countries_counted)),
            ],
        ),
        _ => fill(t.press_meeting_people, &[("participants", &people)]),
    }
}

/// Countries by their name in the reader's language (codes sort Costa Rica, "CR", after
/// Colombia but names may not), with their counts.
fn by_name(
    by_country: &std::collections::BTreeMap<String, i64>,
    lang: crate::values::Language,
) -> Vec<(&str, i64)> {
    let mut named: Vec<(&str, i64)> = by_country
        .iter()
        .map(|(code, n)| (countries::name(code, lang), *n))
        .collect();
    named.sort_by_cached_key(|(name, _)| crate::values::search_fold(name));
    named
}

async fn press_csv(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
) -> PageResult {
    download(&state, &req, token.into_inner(), FileFormat::Csv).await
}

async fn press_xlsx(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
) -> PageResult {
    download(&state, &req, token.into_inner(), FileFormat::Xlsx).await
}

async fn download(
    state: &AppState,
    req: &HttpRequest,
    token: String,
    format: FileFormat,
) -> PageResult {
    let ctx = PageContext::new(req);
    let result = async {
        let meeting = state
            .write(move |conn| press_meeting(conn, &token, format.into()))
            .await?;
        super::routes::attendees_export(&meeting, crate::exports::Reader::Person(ctx.lang))
            .download(&state.pools, format)
            .await
    }
    .await;
    result.on_page(&ctx)
}
