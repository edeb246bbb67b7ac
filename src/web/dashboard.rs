//! The organizer dashboard's shared frame: who is logged in, the meeting's tabs, charts.

use super::page::{layout, respond, PageContext, PageError};
use crate::accounts::pages::{session, to_login, OrganizerSession};
use crate::error::AppError;
use crate::meetings::Meeting;
use crate::web::state::AppState;
use actix_web::dev::Payload;
use actix_web::error::InternalError;
use actix_web::http::StatusCode;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use maud::{html, Markup};
use std::future::Future;
use std::pin::Pin;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Summary,
    Registrations,
    Waitlist,
    Agenda,
    Press,
    Categories,
    Questions,
    Invitations,
    Delegations,
    CheckIn,
    Travel,
    Webhooks,
    Edit,
}

/// A dashboard request from a logged-in organizer: who they are, and a page context that shows
/// them. As an extractor it answers anyone else with the way to the login page (or the page of
/// the error that stopped the check), before the handler runs.
pub struct Dashboard {
    pub current: OrganizerSession,
    pub ctx: PageContext,
}

impl FromRequest for Dashboard {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let mut ctx = PageContext::new(&req);
            let refused = |response| InternalError::from_response("dashboard refused", response);
            let Some(state) = req.app_data::<web::Data<AppState>>() else {
                let error = AppError::from(anyhow::anyhow!("application state missing"));
                return Err(PageError::new(&ctx, error).into());
            };
            match session(state, &req).await {
                Ok(Some(current)) => {
                    ctx.organizer = Some((current.name.clone(), current.csrf.clone()));
                    ctx.done = super::notice::Notice::from_query(req.query_string());
                    Ok(Self { current, ctx })
                }
                Ok(None) => Err(refused(to_login(&req)).into()),
                Err(error) => Err(PageError::new(&ctx, error).into()),
            }
        })
    }
}

/// A meeting's dashboard page with its tabs.
pub fn meeting_page(
    ctx: &PageContext,
    meeting: &Meeting,
    tab: Tab,
    status: StatusCode,
    content: Markup,
) -> HttpResponse {
    let t = ctx.t();
    let base = format!("/organizer/m/{}", meeting.slug);
    let tabs = [
        (Tab::Summary, base.clone(), t.summary),
        (
            Tab::Registrations,
            format!("{base}/registrations"),
            t.registrations,
        ),
        (Tab::Waitlist, format!("{base}/waitlist"), t.waiting_list),
        (Tab::Agenda, format!("{base}/agenda"), t.programme),
        (Tab::Press, format!("{base}/press"), t.press),
        (
            Tab::Categories,
            format!("{base}/categories"),
            t.categories_tab,
        ),
        (Tab::Questions, format!("{base}/questions"), t.questions_tab),
        (
            Tab::Invitations,
            format!("{base}/invitations"),
            t.invitations,
        ),
        (
            Tab::Delegations,
            format!("{base}/delegations"),
            t.delegations_tab,
        ),
        (Tab::CheckIn, format!("{base}/check-in"), t.checkin_tab),
        (Tab::Travel, format!("{base}/travel"), t.travel.heading),
        (Tab::Webhooks, format!("{base}/webhooks"), t.webhooks.tab),
        (Tab::Edit, format!("{base}/edit"), t.edit_meeting),
    ];
    let title = meeting.title_in(ctx.lang);
    let markup = layout(
        ctx,
        &title,
        html! {
            p { a href="/organizer" { (t.your_meetings) } }
            h1 { (title) }
            nav aria-label=(t.organizers) {
                ul.tabs {
                    @for (this, href, label) in &tabs {
                        li {
                            @if *this == tab { a href=(href) aria-current="page" { (label) } }
                            @else { a href=(href) { (label) } }
                        }
                    }
                }
            }
            (content)
        },
    );
    respond(ctx, status, markup)
}

/// Redirects after a successful form, so a reload does not post again. Only ever to a
/// normalised path on this site: a location built from a form field cannot lead elsewhere or
/// break the header.
pub fn see_other(location: &str) -> HttpResponse {
    let location =
        super::paths::local_location(location).unwrap_or_else(|| "/organizer".to_owned());
    HttpResponse::SeeOther()
        .insert_header(("Location", location))
        .finish()
}

/// A horizontal bar chart drawn on the server: no script, no inline style (the policy forbids
/// it), readable without colour. Each bar is a `<progress>` under its label and count, so a
/// long label ("Migrant information hub") wraps instead of being cut.
pub fn bar_chart(title: &str, empty: &str, rows: &[(String, i64)]) -> Markup {
    let max = rows.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1);
    html! {
        figure {
            figcaption { strong { (title) } }
            @if rows.is_empty() { p.muted { (empty) } }
            @else {
                ul.bars {
                    @for (label, count) in rows {
                        li {
                            span.label { (label) }
                            span.count { (count) }
                            progress value=(count) max=(max) aria-hidden="true" {}
                        }
                    }
                }
            }
        }
    }
}
