//! Public pages: the list of meetings and a meeting with its programme.

use super::{store, Meeting};
use crate::agenda::store::AgendaItem;
use crate::db::now;
use crate::i18n::{date_time, fill, Catalogue};
use crate::values::Language;
use crate::web::page::{
    layout, ok, with_language_cookie, OnPage, PageContext, PageError, PageResult,
};
use crate::web::slug_or_404;
use crate::web::state::AppState;
use actix_web::{web, HttpRequest};
use chrono::NaiveDateTime;
use maud::{html, Markup};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(home))
        .route("/m/{slug}", web::get().to(meeting_page));
}

/// "29 May 2030, 09:00 – 30 May 2030, 18:00"
pub fn when(meeting: &Meeting, language: Language) -> String {
    format!(
        "{} – {}",
        date_time(&meeting.local(meeting.starts_at), language),
        date_time(&meeting.local(meeting.ends_at), language)
    )
}

/// A plain link to the venue on OpenStreetMap (no script, no embedded map), when there is a
/// place to look for.
pub fn map_link(meeting: &Meeting) -> Option<String> {
    if meeting.venue.is_empty() && meeting.address.is_empty() {
        return None;
    }
    let country = crate::i18n::countries::name(&meeting.country, Language::En);
    // The place as the organizer wrote it, which the map knows best.
    let query = super::model::joined(&[&meeting.venue, &meeting.address, &meeting.city, country]);
    let query = percent_encoding::utf8_percent_encode(&query, percent_encoding::NON_ALPHANUMERIC);
    Some(format!(
        "https://www.openstreetmap.org/search?query={query}"
    ))
}

/// Where, with its map link, and whom to write to: the practical facts of a meeting's pages.
pub fn where_and_contact(meeting: &Meeting, language: Language) -> Markup {
    let t = crate::i18n::catalogue(language);
    html! {
        dt { (t.where_) }
        dd {
            (meeting.place(language))
            @if let Some(map) = map_link(meeting) {
                br; a href=(map) rel="noopener noreferrer" { (t.open_map) }
            }
        }
        @if let Some(contact) = &meeting.contact_email {
            dt { (t.contact_label) }
            dd { a href={ "mailto:" (contact) } { (contact) } }
        }
    }
}

/// Seats left or "waiting list only", and whether registration is open.
pub fn availability(
    meeting: &Meeting,
    confirmed: i64,
    at: NaiveDateTime,
    t: &Catalogue,
    language: Language,
) -> Markup {
    let seats = meeting.seats_left(confirmed);
    html! {
        @if meeting.status() == super::MeetingStatus::Cancelled {
            p { span.badge.bad { (t.meeting_is_cancelled) } }
        } @else if meeting.registration_open(at) {
            p {
                span.badge.ok { (t.registration_open) }
                " "
                @match seats {
                    Some(0) => span.badge.warn { (t.waitlist_only) },
                    Some(n) => span.badge { (crate::i18n::counted(n, t.seats_left)) },
                    None => {},
                }
            }
            @if let Some(closes) = meeting.registration_closes_at {
                p.muted { (fill(t.registration_open_until, &[("date", &date_time(&meeting.local(closes), language))])) }
            }
        } @else {
            p { span.badge.bad { (t.registration_closed) } }
        }
    }
}

async fn home(state: web::Data<AppState>, req: HttpRequest) -> PageResult {
    let ctx = PageContext::new(&req);
    let result = state
        .read(|conn| {
            let meetings = store::published(conn, 1000, None)?;
            let ids: Vec<String> = meetings.iter().map(|m| m.id.clone()).collect();
            Ok((meetings, store::seats_taken_by_meeting(conn, &ids)?))
        })
        .await;
    let (meetings, counts) = result.on_page(&ctx)?;
    let t = ctx.t();
    let at = now();
    Ok(ok(
        &ctx,
        t.meetings_heading,
        html! {
            h1 { (t.meetings_heading) }
            @if meetings.is_empty() { p { (t.no_meetings) } }
            @for meeting in &meetings {
                article.card {
                    h2 { a href={ "/m/" (meeting.slug) } { (meeting.title_in(ctx.lang)) } }
                    p { (when(meeting, ctx.lang)) br; (meeting.place(ctx.lang)) }
                    (availability(meeting, counts.get(&meeting.id).copied().unwrap_or(0), at, t, ctx.lang))
                    p { a.button href={ "/m/" (meeting.slug) } { (t.more_and_register) } }
                }
            }
        },
    ))
}

async fn meeting_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
) -> PageResult {
    let ctx = PageContext::new(&req);
    let slug = slug_or_404(&slug).on_page(&ctx)?;
    // The page is the same for every reader of one language: rendered once.
    let key = format!("page:{}:{}", slug.as_str(), ctx.lang.as_str());
    let served = state
        .public
        .serve(&req, key, "text/html; charset=utf-8", || async {
            let (meeting, confirmed, agenda) = state
                .read(move |conn| {
                    let meeting = store::public_by_slug(conn, &slug)?;
                    let confirmed = store::seats_taken(conn, &meeting.id)?;
                    let agenda = crate::agenda::store::agenda(
                        conn,
                        &meeting.id,
                        crate::agenda::store::Audience::Public,
                    )?;
                    Ok((meeting, confirmed, agenda))
                })
                .await?;
            Ok(meeting_markup(&ctx, &meeting, confirmed, &agenda)
                .into_string()
                .into_bytes())
        })
        .await;
    match served {
        Ok(response) => Ok(with_language_cookie(&ctx, response)),
        Err(error) => Err(PageError::new(&ctx, error)),
    }
}

fn meeting_markup(
    ctx: &PageContext,
    meeting: &Meeting,
    confirmed: i64,
    agenda: &[AgendaItem],
) -> Markup {
    let t = ctx.t();
    let title = meeting.title_in(ctx.lang);
    let at = now();
    layout(
        ctx,
        &title,
        html! {
            h1 { (title) }
            dl.facts {
                dt { (t.when) } dd { (when(meeting, ctx.lang)) " (" (meeting.zone_in(ctx.lang)) ")" }
                (where_and_contact(meeting, ctx.lang))
            }
            @let description = meeting.description_in(ctx.lang);
            @if !description.is_empty() { p { (description) } }
            (availability(meeting, confirmed, at, t, ctx.lang))
            @if meeting.registration_open(at) {
                @if meeting.requires_approval { p { (t.approval_ahead) } }
                p { a.button href={ "/m/" (meeting.slug) "/register" } { (t.register_cta) } }
            }
            @if meeting.is_public() {
                p { a href={ "/m/" (meeting.slug) "/resend" } { (t.lost_link) } }
            }
            h2 { (t.programme) }
            @if !agenda.is_empty() {
                p { a href={ "/api/v1/meetings/" (meeting.slug) "/agenda.ics?lang=" (ctx.lang.as_str()) } { (t.add_to_calendar) } }
            }
            (crate::agenda::timetable::agenda_markup(meeting, agenda, ctx))
        },
    )
}
