//! `/verify/{reference}`: a consulate checks that a visa letter is genuine and still in force.
//! It shows the name, nationality, meeting and dates, and nothing more; an unknown or
//! malformed reference takes the same query and the same page, and answers 404.

use super::letters::{self, grouped, Verified};
use crate::db::now;
use crate::i18n::{catalogue, countries};
use crate::web::page::{layout, respond, OnPage, PageContext, PageResult};
use crate::web::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest};
use maud::html;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/verify/{reference}", web::get().to(verify_page));
}

async fn verify_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    reference: web::Path<String>,
) -> PageResult {
    let ctx = PageContext::new(&req);
    state.rate_limit(&req).on_page(&ctx)?;
    let reference = letters::normalized(&reference);
    let found = state
        .read(move |conn| letters::verify(conn, &reference))
        .await
        .on_page(&ctx)?;
    let status = if found.is_some() {
        StatusCode::OK
    } else {
        StatusCode::NOT_FOUND
    };
    let mut response = respond(&ctx, status, page(&ctx, found.as_ref()));
    // A consulate's answer is of this moment, and the page names a person.
    response.headers_mut().insert(
        actix_web::http::header::CACHE_CONTROL,
        actix_web::http::header::HeaderValue::from_static("no-store"),
    );
    response.headers_mut().insert(
        actix_web::http::header::HeaderName::from_static("x-robots-tag"),
        actix_web::http::header::HeaderValue::from_static("noindex"),
    );
    Ok(response)
}

fn page(ctx: &PageContext, found: Option<&Verified>) -> maud::Markup {
    let t = catalogue(ctx.lang);
    let l = &t.travel.letter;
    let body = match found {
        None => html! {
            h1 { (l.verify_title) }
            p.verdict.unknown role="status" { (l.verify_unknown) }
        },
        Some(letter) => {
            let meeting = &letter.meeting;
            let verdict = if letter.revoked {
                ("revoked", l.verify_revoked)
            } else if meeting.ends_at < now() {
                ("ended", l.verify_ended)
            } else {
                ("genuine", l.verify_genuine)
            };
            let day =
                |at| crate::checkin::certificate::date(meeting.local(at).date_naive(), ctx.lang);
            html! {
                h1 { (l.verify_title) }
                p class={"verdict " (verdict.0)} role="status" { strong { (verdict.1) } }
                dl {
                    dt { (l.verify_name) } dd { (letter.full_name) }
                    dt { (l.nationality) } dd { (countries::name(&letter.nationality, ctx.lang)) }
                    dt { (l.verify_meeting) } dd { (meeting.title_in(ctx.lang)) }
                    dt { (l.verify_dates) } dd { (day(meeting.starts_at)) " – " (day(meeting.ends_at)) }
                    dt { (l.verify_issued) } dd { (day(letter.issued_at)) " · " (grouped(&letter.reference)) }
                }
                p.hint { (l.verify_note) }
            }
        }
    };
    layout(ctx, l.verify_title, body)
}
