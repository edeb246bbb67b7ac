//! Signing up: the registration form, and the confirm link that proves the address.

use super::{details_fields, form_errors, form_to_body, input_name, questions, Fields, HONEYPOT};
use crate::accounts::tokens::{self, TokenKind};
use crate::db::now;
use crate::error::{AppError, AppResult};
use crate::i18n::{fill, Catalogue};
use crate::meetings::categories::CategoryView;
use crate::meetings::pages::{availability, when};
use crate::meetings::questions::{Question, Questionnaire};
use crate::meetings::{self, Meeting};
use crate::registrations::model::{ClientGuard, NewRegistration, Organization, RegistrationStatus};
use crate::registrations::store;
use crate::values::{Email, Language};
use crate::web::forms::{checkbox, error_summary, filled, required_note, Field, FormState};
use crate::web::page::link_not_working;
use crate::web::page::{ok, OnPage, PageContext, PageError, PageResult};
use crate::web::slug_or_404;
use crate::web::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse};
use maud::{html, Markup};
use std::collections::HashMap;

/// What the registration form shows of a meeting: the organisations to pick from, and the
/// categories open to the public (names in the reader's language, seats left).
struct Signup {
    meeting: Meeting,
    organizations: Vec<Organization>,
    categories: Vec<CategoryView>,
    /// The questions, and the category a registration naming none goes into.
    questionnaire: Questionnaire,
}

impl Signup {
    /// The questions the public form shows: those asked of a category open to the public.
    fn public_questions(&self) -> Vec<Question> {
        let questions = self.questionnaire.questions.iter();
        questions
            .filter(|q| self.categories.iter().any(|c| q.asked_of(&c.code)))
            .cloned()
            .collect()
    }

    fn category_names(&self) -> HashMap<String, String> {
        let names = self.categories.iter();
        names.map(|c| (c.code.clone(), c.name.clone())).collect()
    }
}

/// The category choice, when the public has more than one to choose from: each says whether
/// its seats are gone (waiting list) and whether the organizers approve each registration.
fn category_field(t: &Catalogue, form: &FormState, categories: &[CategoryView]) -> Markup {
    let options: Vec<(String, String)> = categories
        .iter()
        .map(|category| {
            let mut label = category.name.clone();
            if category.seats_left == Some(0) {
                label.push_str(&format!(" ({})", t.waitlist_only));
            } else if category.requires_approval {
                label.push_str(&format!(" ({})", t.category_approved_by_hand));
            }
            (category.code.clone(), label)
        })
        .collect();
    html! {
        @if options.len() > 1 {
            fieldset {
                legend { (t.category_label) }
                (Field::new("category", t.category_label).required().select(form, t.choose, &options))
            }
        }
    }
}

fn register_page(ctx: &PageContext, signup: &Signup, form: &FormState) -> HttpResponse {
    let (meeting, organizations) = (&signup.meeting, signup.organizations.as_slice());
    let t = ctx.t();
    let title = fill(
        t.register_heading,
        &[("meeting", &meeting.title_in(ctx.lang))],
    );
    let status = if form.has_errors() {
        actix_web::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        actix_web::http::StatusCode::OK
    };
    let markup = crate::web::page::layout(
        ctx,
        &title,
        html! {
            h1 { (title) }
            p { (when(meeting, ctx.lang)) br; (meeting.place(ctx.lang)) }
            @if meeting.requires_approval { p.notice { (t.approval_ahead) } }
            (error_summary(form, t))
            (required_note(t))
            form method="post" action={ "/m/" (meeting.slug) "/register" } novalidate {
                (category_field(t, form, &signup.categories))
                (details_fields(t, ctx, form, organizations, true))
                (questions::fields(t, ctx.lang, form, &signup.public_questions(), &signup.category_names()))
                (super::travel::fields(t, ctx.lang, form, meeting))
                fieldset {
                    legend { (t.consents) }
                    (checkbox(form, "consent_data_processing", t.consent_data, true))
                    (checkbox(form, "consent_press_listing", t.consent_press, false))
                }
                // A field people never see (kept off screen, skipped by keyboard and screen
                // readers); form-filling programs fill it.
                div.hp aria-hidden="true" {
                    label for=(HONEYPOT) { (t.honeypot_label) }
                    input type="text" id=(HONEYPOT) name=(HONEYPOT) tabindex="-1" autocomplete="off";
                }
                button type="submit" { (t.submit_registration) }
            }
        },
    );
    crate::web::page::respond(ctx, status, markup)
}

async fn load_open_meeting(state: &AppState, slug: &str, language: Language) -> AppResult<Signup> {
    let slug = slug_or_404(slug)?;
    state
        .read(move |conn| {
            let meeting = meetings::store::public_by_slug(conn, &slug)?;
            let organizations = store::organizations_of(conn, &meeting.id)?;
            let confirmed = meetings::store::seats_taken(conn, &meeting.id)?;
            let seats_left = meeting.seats_left(confirmed);
            let categories =
                meetings::categories::store::views(conn, &meeting, seats_left, language)?
                    .into_iter()
                    .filter(|category| !category.invitation_only)
                    .collect();
            let questionnaire = meetings::questions::store::questionnaire(conn, &meeting.id)?;
            Ok(Signup {
                meeting,
                organizations,
                categories,
                questionnaire,
            })
        })
        .await
}

pub(super) async fn registration_form(
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
) -> PageResult {
    let ctx = PageContext::new(&req);
    let result = load_open_meeting(&state, &slug, ctx.lang)
        .await
        .map(|signup| {
            if !signup.meeting.registration_open(now()) || signup.categories.is_empty() {
                return closed_page(&ctx, &signup.meeting);
            }
            let mut form = FormState::default();
            form.values
                .insert("language".into(), ctx.lang.as_str().into());
            register_page(&ctx, &signup, &form)
        });
    result.on_page(&ctx)
}

fn closed_page(ctx: &PageContext, meeting: &Meeting) -> HttpResponse {
    let t = ctx.t();
    let title = meeting.title_in(ctx.lang);
    let markup = crate::web::page::layout(
        ctx,
        &title,
        html! {
            h1 { (title) }
            (availability(meeting, 0, now(), t, ctx.lang))
            p { a href={ "/m/" (meeting.slug) } { (title) } }
        },
    );
    crate::web::page::respond(ctx, actix_web::http::StatusCode::CONFLICT, markup)
}

pub(super) async fn submit_registration(
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
    fields: Fields,
) -> PageResult {
    let ctx = PageContext::new(&req);
    state.rate_limit(&req).on_page(&ctx)?;
    // What the write needs, kept for a moment as for the API; the form's whole page (the
    // organisations, the seats) is read only if it must be shown again.
    let slug = slug_or_404(&slug).on_page(&ctx)?;
    let context = state
        .signups
        .get(&state.pools, slug.clone())
        .await
        .on_page(&ctx)?;
    let meeting = context.meeting.clone();
    let values = fields.into_inner();
    let for_parse = values.clone();
    let client = ClientGuard::new(state.client_address(&req), state.registrations_per_client());
    let questionnaire = context.questionnaire.clone();
    let travel_rules = crate::travel::TravelRules::of(&meeting, now().date());
    let in_meeting = meeting.clone();
    let sealer = state.sealer.clone();
    let result = if filled(&values, HONEYPOT).is_some() {
        // Only a program fills the field people cannot see: it is told what people are told,
        // and nothing is stored or sent.
        tracing::info!(meeting.slug = %meeting.slug, "registration form trap caught a program");
        Ok(filled(&values, "email").unwrap_or_default())
    } else {
        state
            .write_unseen(move |conn| {
                let mut form = form_to_body(conn, &for_parse)?;
                let asked = questionnaire.asked(form.category.as_deref());
                form.answers = Some(questions::answers_from_form(&for_parse, asked));
                form.travel = super::travel::from_form(&for_parse, &in_meeting);
                let new = NewRegistration::parse_with_travel(&form, &questionnaire, &travel_rules)?
                    .sealed_by(&sealer);
                let to = store::Destination::of(
                    &in_meeting,
                    &questionnaire,
                    new.category.as_ref(),
                    now(),
                )?;
                store::register(conn, &to, &new, &client, now())?;
                Ok(new.email.as_str().to_owned())
            })
            .await
    };
    let t = ctx.t();
    match result {
        Ok(email) => {
            state.wake_mailer();
            Ok(check_inbox_page(&ctx, &meeting, &email))
        }
        Err(AppError::Invalid(errors)) => {
            let signup = load_open_meeting(&state, slug.as_str(), ctx.lang)
                .await
                .on_page(&ctx)?;
            let errors = form_errors(&values, errors);
            let form = FormState::new(values)
                .with_errors(&errors, t, input_name)
                .with_labels(questions::labels(&signup.questionnaire.questions, ctx.lang));
            Ok(register_page(&ctx, &signup, &form))
        }
        Err(AppError::Conflict {
            code: "registration_closed",
            ..
        }) => Ok(closed_page(&ctx, &meeting)),
        Err(error) => Err(PageError::new(&ctx, error)),
    }
}

/// After a post: the same page whether or not the address was registered before.
fn check_inbox_page(ctx: &PageContext, meeting: &Meeting, email: &str) -> HttpResponse {
    let t = ctx.t();
    ok(
        ctx,
        t.check_inbox_heading,
        html! {
            h1 { (t.check_inbox_heading) }
            div.notice.ok role="status" { p { (fill(t.check_inbox_body, &[("email", email)])) } }
            p { (t.no_email_yet) }
            // The address goes in the form, not the link: addresses stay out of URLs.
            form method="post" action={ "/m/" (meeting.slug) "/resend" } {
                input type="hidden" name="email" value=(email);
                button.secondary type="submit" { (t.resend_button) }
            }
            p { a href={ "/m/" (meeting.slug) } { (meeting.title_in(ctx.lang)) } }
        },
    )
}

pub(super) fn outcome(t: &Catalogue, status: RegistrationStatus) -> Markup {
    html! {
        @match status {
            RegistrationStatus::Confirmed => { h1 { (t.confirmed_heading) } }
            RegistrationStatus::Waitlisted => { h1 { (t.waitlisted_heading) } }
            RegistrationStatus::PendingApproval => { h1 { (t.awaiting_heading) } p { (t.awaiting_page_body) } }
            status => { h1 { (t.your_registration) } p { (t.status(status.as_str())) } }
        }
    }
}

/// The page a confirm link opens. It only asks: a mail scanner that fetches every link in an
/// email must not confirm anything, so confirming takes the button's POST.
pub(super) async fn confirm_question(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
) -> PageResult {
    let ctx = PageContext::new(&req);
    let token = token.into_inner();
    let lookup = token.clone();
    let result = state
        .read(move |conn| {
            let row = match tokens::presented(conn, TokenKind::Confirm, &lookup, now())? {
                tokens::Presented::Live(row) => row,
                tokens::Presented::Spent => return Ok(None),
                tokens::Presented::Expired | tokens::Presented::Unknown => {
                    return Err(AppError::NotFound)
                }
            };
            let meeting_id = row.meeting_id.ok_or(AppError::NotFound)?;
            Ok(Some(meetings::store::by_id(conn, &meeting_id)?))
        })
        .await;
    let t = ctx.t();
    match result {
        Ok(Some(meeting)) => Ok(ok(
            &ctx,
            t.confirm_page_heading,
            html! {
                h1 { (t.confirm_page_heading) }
                p { strong { (meeting.title_in(ctx.lang)) } br; (when(&meeting, ctx.lang)) br; (meeting.place(ctx.lang)) }
                p { (t.confirm_page_body) }
                form method="post" action={ "/confirm/" (token) } {
                    button type="submit" { (t.confirm_button) }
                }
            },
        )),
        Ok(None) => Ok(link_not_working(&ctx, t.link_used)),
        Err(AppError::NotFound) => Ok(link_not_working(&ctx, t.link_invalid)),
        Err(error) => Err(PageError::new(&ctx, error)),
    }
}

pub(super) async fn confirm_submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
) -> PageResult {
    let ctx = PageContext::new(&req);
    state.rate_limit(&req).on_page(&ctx)?;
    let token = token.into_inner();
    let result = state
        .write(move |conn| store::confirm(conn, &token, now()))
        .await;
    state.wake_mailer();
    let t = ctx.t();
    match result {
        Ok((status, meeting)) => Ok(ok(
            &ctx,
            t.your_registration,
            html! {
                (outcome(t, status))
                p { strong { (meeting.title_in(ctx.lang)) } br; (when(&meeting, ctx.lang)) br; (meeting.place(ctx.lang)) }
                div.notice.ok role="status" { p { (t.link_emailed) } }
            },
        )),
        Err(AppError::NotFound) => Ok(link_not_working(&ctx, t.link_used)),
        Err(error) => Err(PageError::new(&ctx, error)),
    }
}

/// "Lost the email?": the form that asks for the address.
pub(super) async fn resend_form(
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
) -> PageResult {
    let ctx = PageContext::new(&req);
    let slug = slug_or_404(&slug).on_page(&ctx)?;
    let meeting = state
        .read(move |conn| meetings::store::public_by_slug(conn, &slug))
        .await
        .on_page(&ctx)?;
    Ok(resend_page(&ctx, &meeting, &FormState::new(HashMap::new())))
}

fn resend_page(ctx: &PageContext, meeting: &Meeting, form: &FormState) -> HttpResponse {
    let t = ctx.t();
    let status = if form.has_errors() {
        actix_web::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        actix_web::http::StatusCode::OK
    };
    let markup = crate::web::page::layout(
        ctx,
        t.resend_heading,
        html! {
            h1 { (t.resend_heading) }
            p { strong { (meeting.title_in(ctx.lang)) } }
            p { (t.resend_explain) }
            form method="post" action={ "/m/" (meeting.slug) "/resend" } novalidate {
                (Field::new("email", t.email).kind("email").required().autocomplete("email").input(form))
                button type="submit" { (t.resend_button) }
            }
        },
    );
    crate::web::page::respond(ctx, status, markup)
}

/// Sends the link again to an address registered for the meeting, and answers alike for one
/// that is not. Rate-limited as registering is (per address of the client, and per meeting).
pub(super) async fn resend_submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
    fields: Fields,
) -> PageResult {
    let ctx = PageContext::new(&req);
    state.rate_limit(&req).on_page(&ctx)?;
    let slug = slug_or_404(&slug).on_page(&ctx)?;
    let for_read = slug.clone();
    let meeting = state
        .read(move |conn| meetings::store::public_by_slug(conn, &for_read))
        .await
        .on_page(&ctx)?;
    let values = fields.into_inner();
    let t = ctx.t();
    let email = match Email::parse(filled(&values, "email").as_deref()) {
        Ok(email) => email,
        Err(problem) => {
            let errors = [crate::error::FieldError::new("email", problem)];
            let form = FormState::new(values).with_errors(&errors, t, input_name);
            return Ok(resend_page(&ctx, &meeting, &form));
        }
    };
    let client = ClientGuard::new(state.client_address(&req), state.registrations_per_client());
    let shown = email.as_str().to_owned();
    state
        .write_unseen(move |conn| store::resend(conn, &slug, &email, &client, now()))
        .await
        .on_page(&ctx)?;
    state.wake_mailer();
    Ok(ok(
        &ctx,
        t.resend_heading,
        html! {
            h1 { (t.resend_heading) }
            div.notice.ok role="status" { p { (fill(t.resend_done, &[("email", &shown)])) } }
            p { a href={ "/m/" (meeting.slug) } { (meeting.title_in(ctx.lang)) } }
        },
    ))
}
