//! The organizer's press links: create one (shown once), see their use, revoke them.

use super::store;
use crate::accounts::handed_out::{self, NewToken, TokenForm};
use crate::accounts::tokens::TokenKind;
use crate::db::now;
use crate::error::AppError;
use crate::i18n::fill;
use crate::meetings::dashboard::organized;
use crate::meetings::Meeting;
use crate::web::confirm::{self, done_at, Done};
use crate::web::dashboard::{meeting_page, Dashboard, Tab};
use crate::web::forms::{error_summary, Field, FormState};
use crate::web::page::{OnPage, PageContext, PageResult};
use crate::web::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use maud::{html, Markup};
use std::collections::HashMap;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/organizer/m/{slug}/press", web::get().to(press_links))
        .route("/organizer/m/{slug}/press", web::post().to(create_link))
        .route(
            "/organizer/m/{slug}/press/{id}/revoke",
            web::post().to(revoke_link),
        );
}

type Fields = web::Form<HashMap<String, String>>;

async fn render(
    state: &AppState,
    ctx: &PageContext,
    csrf: Markup,
    meeting: &Meeting,
    form: &FormState,
    new_link: Option<&str>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let id = meeting.id.clone();
    let (links, uses) = state
        .read(move |conn| {
            Ok((
                handed_out::list(conn, TokenKind::Press, &id, now())?,
                store::uses(conn, &id, 100)?,
            ))
        })
        .await?;
    let t = ctx.t();
    let base = format!("/organizer/m/{}/press", meeting.slug);
    Ok(meeting_page(
        ctx,
        meeting,
        Tab::Press,
        status,
        html! {
            @if let Some(link) = new_link {
                div.notice.ok role="status" {
                    p { (t.press_link_once) }
                    p.once { (link) }
                }
            }
            h2 { (t.create_press_link) }
            (error_summary(form, t))
            form method="post" action=(base) novalidate {
                (csrf.clone())
                (Field::new("label", t.label).required().input(form))
                (Field::new("expires_at", t.expires).kind("datetime-local").input(form))
                button type="submit" { (t.create_press_link) }
            }
            h2 { (t.press) }
            @if links.is_empty() { p { (t.empty_list) } }
            @else {
                div.table-wrap {
                    table.cards {
                        thead { tr { th { (t.label) } th { (t.expires) } th { (t.uses) } th { "" } } }
                        tbody {
                            @for link in &links {
                                tr {
                                    td { strong { (link.label) } }
                                    td data-label=(t.expires) { @if let Some(at) = &link.expires_at { (meeting.written_rfc3339(at, ctx.lang)) } }
                                    td data-label=(t.uses) { (link.uses) }
                                    td {
                                        @if link.active {
                                            form.inline method="post" action={ (base) "/" (link.id) "/revoke" } {
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
            h2 { (t.usage_log) }
            @if uses.is_empty() { p { (t.empty_list) } }
            ul { @for entry in &uses { li { (meeting.written_rfc3339(&entry.at, ctx.lang)) " · " (entry.label) " · " (use_in_words(t, &entry.format)) } } }
        },
    ))
}

async fn press_links(
    state: web::Data<AppState>,
    Dashboard { current, ctx }: Dashboard,
    slug: web::Path<String>,
) -> PageResult {
    let result = async {
        let meeting = organized(&state, &slug, &current.account_id).await?;
        render(
            &state,
            &ctx,
            current.field(),
            &meeting,
            &FormState::default(),
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
            .write(move |conn| {
                let new = NewToken::parse(&form, now())?;
                handed_out::issue(conn, TokenKind::Press, &for_store.id, &account, &new, now())
            })
            .await;
        match created {
            Ok(issued) => {
                let link = format!("{}/press/{}", state.base_url, issued.token);
                render(
                    &state,
                    &ctx,
                    current.field(),
                    &meeting,
                    &FormState::default(),
                    Some(&link),
                    StatusCode::CREATED,
                )
                .await
            }
            Err(AppError::Invalid(errors)) => {
                let form = FormState::new(values).with_errors(&errors, ctx.t(), str::to_owned);
                render(
                    &state,
                    &ctx,
                    current.field(),
                    &meeting,
                    &form,
                    None,
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await
            }
            Err(error) => Err(error),
        }
    }
    .await;
    result.on_page(&ctx)
}

/// What a press link was used for, in words: the log keeps the format's code.
fn use_in_words(t: &crate::i18n::Catalogue, format: &str) -> String {
    match format {
        "summary" => t.press_use_page.to_owned(),
        "json" => t.press_use_list.to_owned(),
        other => fill(t.press_use_file, &[("format", &other.to_uppercase())]),
    }
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
        let press = format!("/organizer/m/{}/press", meeting.slug);
        if !confirm::confirmed(&fields) {
            let meeting_id = meeting.id.clone();
            let links = state
                .read(move |conn| handed_out::list(conn, TokenKind::Press, &meeting_id, now()))
                .await?;
            let link = links
                .into_iter()
                .find(|link| link.id == id)
                .ok_or(AppError::NotFound)?;
            let t = ctx.t();
            let action = format!("{press}/{id}/revoke");
            return Ok(confirm::Question {
                question: fill(t.confirm_revoke_link, &[("label", &link.label)]),
                consequence: t.revoke_link_consequence,
                yes: t.revoke,
                action,
                back: &press,
            }
            .ask(&ctx, &meeting, Tab::Press, &fields));
        }
        let (meeting_id, account) = (meeting.id.clone(), current.account_id.clone());
        state
            .write(move |conn| {
                handed_out::revoke(conn, TokenKind::Press, &meeting_id, &id, &account, now())
            })
            .await?;
        Ok(done_at(&press, Done::Revoked))
    }
    .await;
    result.on_page(&ctx)
}
