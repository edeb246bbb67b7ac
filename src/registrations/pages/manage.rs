//! The participant's own page behind the manage link: details, press consent, calendar,
//! cancelling, deleting, and stopping every link.

use super::travel::TravelSection;
use super::{details_fields, form_errors, form_to_body, input_name, questions, Fields};
use crate::accounts::tokens::{self, TokenKind};
use crate::audit::Actor;
use crate::db::{now, DbConn};
use crate::error::{AppError, AppResult};
use crate::meetings::pages::when;
use crate::meetings::questions::{Answers, Question};
use crate::meetings::{self, Meeting};
use crate::patch::Patch;
use crate::registrations::model::{Organization, RegistrationView};
use crate::registrations::store;
use crate::web::forms::{error_summary, FormState};
use crate::web::page::link_not_working;
use crate::web::page::{ok, OnPage, PageContext, PageError, PageResult};
use crate::web::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse};
use maud::html;
use std::collections::HashMap;

/// The page's context for the holder of a manage link: in the participant's own language
/// (the one they registered with), unless `?lang=` asks for another; and the registration
/// behind the link.
pub(super) async fn managed(
    state: &AppState,
    req: &HttpRequest,
    token: String,
) -> (PageContext, AppResult<Found>) {
    let found = found(state, token).await;
    let mut ctx = PageContext::new(req);
    if let Ok((_, view, ..)) = &found {
        if let Some(language) = crate::values::Language::from_code(&view.language) {
            ctx = ctx.for_reader(language);
        }
    }
    (ctx, found)
}

/// The registration's id and view, its meeting, the organisations to pick from, and the
/// questions asked of its category.
type Found = (
    String,
    RegistrationView,
    Meeting,
    Vec<Organization>,
    Vec<Question>,
);

/// The registration behind a manage link, or the "link invalid" page.
async fn found(state: &AppState, token: String) -> AppResult<Found> {
    state
        .read(move |conn| {
            let row =
                tokens::find(conn, TokenKind::Manage, &token, now())?.ok_or(AppError::NotFound)?;
            let id = row.registration_id.ok_or(AppError::NotFound)?;
            let view = store::view(conn, &id)?;
            let meeting_id = store::by_id(conn, &id)?.meeting_id;
            let meeting = meetings::store::by_id(conn, &meeting_id)?;
            let mut organizations = store::organizations_of(conn, &meeting.id)?;
            // The participant's own organisation is theirs to see, listed or not.
            if !organizations.iter().any(|o| o.id == view.organization.id) {
                organizations.push(store::organization(conn, &view.organization.id)?);
            }
            let questions = meetings::questions::store::questionnaire(conn, &meeting.id)?
                .asked(Some(&view.category))
                .cloned()
                .collect();
            Ok((id, view, meeting, organizations, questions))
        })
        .await
}

fn view_values(view: &RegistrationView, questions: &[Question]) -> HashMap<String, String> {
    let answers = Answers::from_raw(view.answers.clone());
    let mut values = questions::form_values(questions, &answers);
    let mut put = |k: &str, v: Option<&str>| {
        if let Some(v) = v {
            values.insert(k.to_owned(), v.to_owned());
        }
    };
    put("full_name", Some(&view.full_name));
    put("job_title", view.job_title.as_deref());
    put("country", Some(&view.country));
    put("language", Some(&view.language));
    put("organization", Some(&view.organization.id));
    put("organization_name", Some(&view.organization.name));
    put("organization_kind", Some(&view.organization.kind));
    put("organization_country", Some(&view.organization.country));
    put("dietary", view.dietary.as_deref());
    put("accessibility", view.accessibility.as_deref());
    put("interpretation", view.interpretation.as_deref());
    values
}

struct Manage<'a> {
    token: &'a str,
    view: &'a RegistrationView,
    meeting: &'a Meeting,
    organizations: &'a [Organization],
    questions: &'a [Question],
    /// The travel form as sent, when it came back with errors.
    travel_form: Option<&'a FormState>,
}

/// Whether the desk saw them on one of the meeting's days (an organizer's check-in before the
/// meeting makes no certificate).
fn attended(meeting: &Meeting, view: &RegistrationView) -> bool {
    view.checked_in_at
        .as_deref()
        .and_then(|at| chrono::DateTime::parse_from_rfc3339(at).ok())
        .is_some_and(|at| {
            let day = crate::checkin::day_of(meeting, at.naive_utc());
            crate::checkin::meeting_days(meeting).contains(&day)
        })
}

fn manage_markup(
    ctx: &PageContext,
    Manage {
        token,
        view,
        meeting,
        organizations,
        questions,
        travel_form,
    }: Manage,
    form: &FormState,
    notice: Option<&str>,
) -> HttpResponse {
    let t = ctx.t();
    let active = !matches!(view.status.as_str(), "cancelled" | "expired" | "rejected");
    let markup = crate::web::page::layout(
        ctx,
        t.your_registration,
        html! {
            h1 { (t.your_registration) }
            p { strong { a href={ "/m/" (meeting.slug) } { (meeting.title_in(ctx.lang)) } } br; (when(meeting, ctx.lang)) }
            @if let Some(notice) = notice { div.notice.ok role="status" { p { (notice) } } }
            dl.facts {
                dt { (t.status_label) }
                dd {
                    (t.status(&view.status))
                    @if let Some(position) = view.waitlist_position { " (" (position) ")" }
                }
                dt { (t.email) } dd { (view.email) }
                (crate::meetings::pages::where_and_contact(meeting, ctx.lang))
            }
            @if let Some(code) = &view.checkin_code {
                (crate::checkin::pages::code_block(t, code))
            }
            @if attended(meeting, view) && now() >= meeting.starts_at {
                p { a href={ "/manage/" (token) "/certificate.pdf" } { (t.certificate_download) } }
            }
            (super::travel::section(t, ctx.lang, TravelSection { token, meeting, view, active, sent: travel_form }))
            @if active {
                p { a href={ "/manage/" (token) "/calendar.ics" } { (t.calendar_download) } }
                h2 { (t.press_list) }
                p { (if view.consent_press_listing { t.press_on } else { t.press_off }) }
                form method="post" action={ "/manage/" (token) "/press" } {
                    input type="hidden" name="consent_press_listing" value=(if view.consent_press_listing { "off" } else { "on" });
                    button.secondary type="submit" { (if view.consent_press_listing { t.press_withdraw } else { t.press_give }) }
                }
                h2 { (t.your_details) }
                (error_summary(form, t))
                form method="post" action={ "/manage/" (token) } novalidate {
                    (details_fields(t, ctx, form, organizations, false))
                    (questions::fields(t, ctx.lang, form, questions, &HashMap::new()))
                    button type="submit" { (t.save) }
                }
            }
            // The gentle step first, then the ones that cannot be undone.
            h2 { (t.sign_out_heading) }
            p { (t.sign_out_explain) }
            form method="post" action={ "/manage/" (token) "/sign-out" } {
                button.secondary type="submit" { (t.sign_out_button) }
            }
            @if !active && meeting.registration_open(now()) {
                p { a.button href={ "/m/" (meeting.slug) "/register" } { (t.register_again) } }
            }
            @if active {
                h2 { (t.cancel_heading) }
                p { a.button.secondary href={ "/manage/" (token) "/cancel" } { (t.cancel_button) } }
            }
            h2 { (t.delete_heading) }
            p { a.button.secondary href={ "/manage/" (token) "/delete" } { (t.delete_button) } }
        },
    );
    let status = if form.has_errors() || travel_form.is_some_and(FormState::has_errors) {
        actix_web::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        actix_web::http::StatusCode::OK
    };
    crate::web::page::respond(ctx, status, markup)
}

pub(super) async fn manage_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
) -> PageResult {
    let token = token.into_inner();
    let (ctx, found) = managed(&state, &req, token.clone()).await;
    match found {
        Ok((_, view, meeting, organizations, questions)) => {
            let form = FormState::new(view_values(&view, &questions));
            let page = Manage {
                token: &token,
                view: &view,
                meeting: &meeting,
                organizations: &organizations,
                questions: &questions,
                travel_form: None,
            };
            Ok(manage_markup(&ctx, page, &form, None))
        }
        Err(AppError::NotFound) => {
            // A replaced or stopped link says so, pointing to the latest email.
            let spent = state
                .read(move |conn| tokens::presented(conn, TokenKind::Manage, &token, now()))
                .await;
            let t = ctx.t();
            match spent {
                Ok(tokens::Presented::Spent) => Ok(link_not_working(&ctx, t.link_used)),
                _ => Ok(link_not_working(&ctx, t.link_invalid)),
            }
        }
        Err(error) => Err(PageError::new(&ctx, error)),
    }
}

/// The participant's page again after a change elsewhere on it (the travel form), with the
/// registration as it now stands.
pub(super) async fn redisplay(
    state: &AppState,
    ctx: &PageContext,
    token: String,
    travel_form: Option<&FormState>,
    notice: Option<&str>,
) -> PageResult {
    let (_, view, meeting, organizations, questions) =
        found(state, token.clone()).await.on_page(ctx)?;
    let form = FormState::new(view_values(&view, &questions));
    let page = Manage {
        token: &token,
        view: &view,
        meeting: &meeting,
        organizations: &organizations,
        questions: &questions,
        travel_form,
    };
    Ok(manage_markup(ctx, page, &form, notice))
}

/// Stops every link to the registration, this one too, and emails a new one.
pub(super) async fn sign_out(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
) -> PageResult {
    let (ctx, found) = managed(&state, &req, token.into_inner()).await;
    let result = async {
        let (id, _, meeting, ..) = found?;
        state
            .write(move |conn| store::sign_out_everywhere(conn, &id, now()))
            .await?;
        state.wake_mailer();
        let t = ctx.t();
        Ok(ok(
            &ctx,
            t.sign_out_heading,
            html! {
                h1 { (t.sign_out_heading) }
                div.notice.ok role="status" { p { (t.signed_out_done) } }
                p { a href={ "/m/" (meeting.slug) } { (meeting.title_in(ctx.lang)) } }
            },
        ))
    }
    .await;
    result.on_page(&ctx)
}

/// The form's fields as a change of the participant's own registration.
fn details_patch(
    conn: &mut DbConn,
    values: &HashMap<String, String>,
    questions: &[Question],
) -> AppResult<Patch> {
    let mut form = form_to_body(conn, values)?;
    // Every question asked is on the form: one left blank is an answer taken back.
    let mut answers = questions::answers_from_form(values, questions.iter());
    for question in questions {
        answers
            .entry(question.code.clone())
            .or_insert(serde_json::Value::Null);
    }
    form.answers = Some(answers);
    Patch::of(
        &form,
        // Set elsewhere: the address, the consents (their own form), the category (fixed).
        &[
            "email",
            "consent_data_processing",
            "consent_press_listing",
            "category",
        ],
    )
}

pub(super) async fn save_details(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
    fields: Fields,
) -> PageResult {
    let token = token.into_inner();
    let (ctx, found) = managed(&state, &req, token.clone()).await;
    let (id, view, meeting, organizations, questions) = found.on_page(&ctx)?;
    let values = fields.into_inner();
    let for_patch = values.clone();
    let asked = questions.clone();
    let result = state
        .write(move |conn| {
            let patch = details_patch(conn, &for_patch, &asked)?;
            store::update_own(conn, &id, patch, now())
        })
        .await;
    let t = ctx.t();
    let page = |view| Manage {
        token: &token,
        view,
        meeting: &meeting,
        organizations: &organizations,
        questions: &questions,
        travel_form: None,
    };
    match result {
        Ok(saved) => Ok(manage_markup(
            &ctx,
            page(&saved),
            &FormState::new(view_values(&saved, &questions)),
            Some(t.saved),
        )),
        Err(AppError::Invalid(errors)) => {
            let errors = form_errors(&values, errors);
            let form = FormState::new(values)
                .with_errors(&errors, t, input_name)
                .with_labels(questions::labels(&questions, ctx.lang));
            Ok(manage_markup(&ctx, page(&view), &form, None))
        }
        Err(error) => Err(PageError::new(&ctx, error)),
    }
}

pub(super) async fn set_press_consent(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
    fields: Fields,
) -> PageResult {
    let token = token.into_inner();
    let (ctx, found) = managed(&state, &req, token.clone()).await;
    let consent = fields
        .get("consent_press_listing")
        .is_some_and(|v| v == "on");
    let result = async {
        let (id, _, meeting, organizations, questions) = found?;
        let patch = Patch::set("consent_press_listing", consent);
        let saved = state
            .write(move |conn| store::update_own(conn, &id, patch, now()))
            .await?;
        let form = FormState::new(view_values(&saved, &questions));
        let page = Manage {
            token: &token,
            view: &saved,
            meeting: &meeting,
            organizations: &organizations,
            questions: &questions,
            travel_form: None,
        };
        Ok(manage_markup(&ctx, page, &form, Some(ctx.t().saved)))
    }
    .await;
    result.on_page(&ctx)
}

/// The confirmation step before cancelling.
pub(super) async fn cancel_question(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
) -> PageResult {
    let token = token.into_inner();
    let (ctx, found) = managed(&state, &req, token.clone()).await;
    let result = found.map(|(_, _, meeting, ..)| {
        let t = ctx.t();
        ok(
            &ctx,
            t.cancel_heading,
            html! {
                h1 { (t.cancel_heading) }
                p { strong { (meeting.title_in(ctx.lang)) } }
                p { (t.cancel_question) }
                form method="post" action={ "/manage/" (token) "/cancel" } {
                    button.danger type="submit" { (t.cancel_yes) }
                    " "
                    a.button.secondary href={ "/manage/" (token) } { (t.cancel_no) }
                }
            },
        )
    });
    result.on_page(&ctx)
}

pub(super) async fn cancel_registration(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
) -> PageResult {
    let token = token.into_inner();
    let (ctx, found) = managed(&state, &req, token.clone()).await;
    let result = async {
        let (id, _, meeting, organizations, questions) = found?;
        let cancelled = state
            .write(move |conn| {
                let view = store::view(conn, &id)?;
                if view.status == "cancelled" {
                    return Ok(view);
                }
                store::cancel(conn, &id, None, &Actor::Participant(&id), now())
            })
            .await?;
        state.wake_mailer();
        let form = FormState::new(view_values(&cancelled, &questions));
        let page = Manage {
            token: &token,
            view: &cancelled,
            meeting: &meeting,
            organizations: &organizations,
            questions: &questions,
            travel_form: None,
        };
        Ok(manage_markup(
            &ctx,
            page,
            &form,
            Some(ctx.t().cancelled_done),
        ))
    }
    .await;
    result.on_page(&ctx)
}

/// The confirmation step before deleting everything.
pub(super) async fn delete_question(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
) -> PageResult {
    let token = token.into_inner();
    let (ctx, found) = managed(&state, &req, token.clone()).await;
    let result = found.map(|_| {
        let t = ctx.t();
        ok(
            &ctx,
            t.delete_heading,
            html! {
                h1 { (t.delete_heading) }
                p { (t.delete_question) }
                form method="post" action={ "/manage/" (token) "/delete" } {
                    button.danger type="submit" { (t.delete_yes) }
                    " "
                    a.button.secondary href={ "/manage/" (token) } { (t.cancel_no) }
                }
            },
        )
    });
    result.on_page(&ctx)
}

pub(super) async fn delete_registration(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
) -> PageResult {
    let (ctx, found) = managed(&state, &req, token.into_inner()).await;
    let result = async {
        let (id, ..) = found?;
        state
            .erase(move |conn| store::delete_own(conn, &id, now()))
            .await?;
        state.wake_mailer();
        let t = ctx.t();
        Ok(ok(
            &ctx,
            t.deleted_done,
            html! {
                h1 { (t.deleted_done) }
                p { a href="/" { (t.back_home) } }
            },
        ))
    }
    .await;
    result.on_page(&ctx)
}

pub(super) async fn calendar(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
) -> PageResult {
    let ctx = PageContext::new(&req);
    let host = state.host.clone();
    let token = token.into_inner();
    let result = state
        .read(move |conn| {
            let row =
                tokens::find(conn, TokenKind::Manage, &token, now())?.ok_or(AppError::NotFound)?;
            let id = row.registration_id.ok_or(AppError::NotFound)?;
            let contact = store::contact(conn, &id)?;
            let meeting = meetings::store::by_id(conn, &contact.meeting_id)?;
            let agenda = crate::agenda::store::agenda(
                conn,
                &meeting.id,
                crate::agenda::store::Audience::Public,
            )?;
            let ics = crate::agenda::calendar::participant_ics(
                &meeting,
                &agenda,
                contact.language,
                &host,
            );
            Ok((meeting.slug, ics))
        })
        .await
        .map(|(slug, ics)| crate::agenda::calendar::download(&slug, ics));
    result.on_page(&ctx)
}
