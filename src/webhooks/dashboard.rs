//! The Webhooks tab: a meeting's receivers with their last deliveries, a form to add one (its
//! secret shown once, on the page that answers the form), and a button to remove one.

use super::{store, NewWebhook, WebhookForm, WebhookView};
use crate::db::now;
use crate::error::AppError;
use crate::i18n::Catalogue;
use crate::meetings::dashboard::organized;
use crate::meetings::Meeting;
use crate::web::confirm::done_at;
use crate::web::dashboard::{meeting_page, Dashboard, Tab};
use crate::web::forms::{checkbox, error_summary, filled, Field, FormState};
use crate::web::notice::Done;
use crate::web::page::{OnPage, PageContext, PageResult};
use crate::web::state::AppState;
use actix_web::http::StatusCode;
use actix_web::web;
use maud::{html, Markup};
use std::collections::HashMap;

type Fields = web::Form<HashMap<String, String>>;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/organizer/m/{slug}/webhooks", web::get().to(webhooks_tab))
        .route("/organizer/m/{slug}/webhooks", web::post().to(add_webhook))
        .route(
            "/organizer/m/{slug}/webhooks/{id}/remove",
            web::post().to(remove_webhook),
        );
}

/// What the tab shows besides the list: the form as sent (with its errors), or the secret of
/// the webhook just added.
struct Shown<'a> {
    form: &'a FormState,
    secret: Option<&'a str>,
}

fn tab(t: &Catalogue, csrf: &Markup, base: &str, hooks: &[WebhookView], shown: Shown) -> Markup {
    let w = t.webhooks;
    html! {
        p { (w.intro) }
        @if let Some(secret) = shown.secret {
            div.notice.ok role="status" { p { (w.secret_once) } p { code { (secret) } } }
        }
        @if hooks.is_empty() { p.muted { (w.none) } }
        @for hook in hooks {
            section.webhook {
                h2 { code { (hook.url) } }
                p { (hook.events.join(", ")) }
                @if hook.disabled_at.is_some() { p.notice { (w.disabled) } }
                (deliveries(t, hook))
                form method="post" action={ (base) "/webhooks/" (hook.id) "/remove" } {
                    (csrf)
                    button.secondary type="submit" { (w.remove) }
                }
            }
        }
        h2 { (w.add) }
        (error_summary(shown.form, t))
        form method="post" action={ (base) "/webhooks" } novalidate {
            (csrf)
            (Field::new("url", w.url).hint(w.url_hint).kind("url").input(shown.form))
            fieldset {
                legend { (w.events) }
                @for event in super::Event::ALL {
                    (checkbox(shown.form, &format!("event_{}", event.as_str()), event.as_str(), false))
                }
            }
            button type="submit" { (w.add) }
        }
    }
}

fn deliveries(t: &Catalogue, hook: &WebhookView) -> Markup {
    let w = t.webhooks;
    html! {
        @if hook.deliveries.is_empty() { p.muted { (w.no_deliveries) } }
        @else {
            table {
                thead { tr { th { (w.event) } th { (w.status) } th { (w.attempts) } th { (w.answer) } th { (w.at) } } }
                tbody {
                    @for d in &hook.deliveries {
                        tr {
                            td data-label=(w.event) { (d.event) }
                            td data-label=(w.status) { (d.status) }
                            td data-label=(w.attempts) { (d.attempts) }
                            td data-label=(w.answer) {
                                @if let Some(status) = d.last_status { (status) " " }
                                @if let Some(error) = &d.last_error { span.muted { (error) } }
                            }
                            td data-label=(w.at) { (d.created_at.get(..16).unwrap_or(&d.created_at).replace('T', " ")) }
                        }
                    }
                }
            }
        }
    }
}

async fn render(
    state: &AppState,
    ctx: &PageContext,
    csrf: &Markup,
    meeting: Meeting,
    shown: Shown<'_>,
    status: StatusCode,
) -> PageResult {
    let for_read = meeting.clone();
    let hooks = state
        .read(move |conn| store::list(conn, &for_read.id, |at| for_read.rfc3339(at)))
        .await
        .on_page(ctx)?;
    let base = format!("/organizer/m/{}", meeting.slug);
    let content = tab(ctx.t(), csrf, &base, &hooks, shown);
    Ok(meeting_page(ctx, &meeting, Tab::Webhooks, status, content))
}

async fn webhooks_tab(
    state: web::Data<AppState>,
    Dashboard { current, ctx }: Dashboard,
    slug: web::Path<String>,
) -> PageResult {
    let meeting = organized(&state, &slug, &current.account_id)
        .await
        .on_page(&ctx)?;
    let form = FormState::default();
    let shown = Shown {
        form: &form,
        secret: None,
    };
    render(
        &state,
        &ctx,
        &current.field(),
        meeting,
        shown,
        StatusCode::OK,
    )
    .await
}

async fn add_webhook(
    state: web::Data<AppState>,
    Dashboard { current, ctx }: Dashboard,
    slug: web::Path<String>,
    fields: Fields,
) -> PageResult {
    let values = fields.into_inner();
    current.check(&values).on_page(&ctx)?;
    let meeting = organized(&state, &slug, &current.account_id)
        .await
        .on_page(&ctx)?;
    let form = WebhookForm {
        url: filled(&values, "url"),
        events: Some(
            super::Event::ALL
                .into_iter()
                .map(super::Event::as_str)
                .filter(|code| {
                    values
                        .get(&format!("event_{code}"))
                        .is_some_and(|v| v == "on")
                })
                .map(str::to_owned)
                .collect(),
        ),
    };
    let allow_private = state.webhook_allow_private;
    let parsed = web::block(move || NewWebhook::parse(&form, allow_private))
        .await
        .map_err(|e| AppError::Unexpected(e.into()))
        .and_then(|parsed| parsed);
    let t = ctx.t();
    let csrf = current.field();
    match parsed {
        Ok(new) => {
            let meeting_id = meeting.id.clone();
            let webhook = state
                .write(move |conn| store::create(conn, &meeting_id, &new, now()))
                .await
                .on_page(&ctx)?;
            let form = FormState::default();
            let shown = Shown {
                form: &form,
                secret: Some(&webhook.secret),
            };
            render(&state, &ctx, &csrf, meeting, shown, StatusCode::CREATED).await
        }
        Err(AppError::Invalid(errors)) => {
            let first_event = "event_registration.created";
            let labels = HashMap::from([
                ("url".to_owned(), t.webhooks.url.to_owned()),
                (first_event.to_owned(), t.webhooks.events.to_owned()),
            ]);
            let form = FormState::new(values)
                .with_errors(&errors, t, |field| match field {
                    "events" => first_event.to_owned(),
                    other => other.to_owned(),
                })
                .with_labels(labels);
            let shown = Shown {
                form: &form,
                secret: None,
            };
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            render(&state, &ctx, &csrf, meeting, shown, status).await
        }
        Err(error) => Err(error).on_page(&ctx),
    }
}

async fn remove_webhook(
    state: web::Data<AppState>,
    Dashboard { current, ctx }: Dashboard,
    path: web::Path<(String, String)>,
    fields: Fields,
) -> PageResult {
    let (slug, id) = path.into_inner();
    let result = async {
        current.check(&fields)?;
        let meeting = organized(&state, &slug, &current.account_id).await?;
        let page = format!("/organizer/m/{}/webhooks", meeting.slug);
        state
            .write(move |conn| store::delete(conn, &meeting.id, &id))
            .await?;
        Ok(done_at(&page, Done::Deleted))
    }
    .await;
    result.on_page(&ctx)
}
