//! The invitation's page `/i/{token}`: the registration form with what the invitation knows
//! filled in and the address fixed, in the invited person's language; sending it registers at
//! once (the link proved the address).

use super::signup::outcome;
use super::{details_fields, form_errors, form_to_body, input_name, questions, Fields};
use crate::db::{now, DbConn};
use crate::error::{AppError, AppResult};
use crate::i18n::fill;
use crate::invitations::{self, Invitation, InvitationStatus};
use crate::meetings::categories::Category;
use crate::meetings::pages::when;
use crate::meetings::questions::Question;
use crate::meetings::{self, Meeting};
use crate::registrations::model::{NewRegistration, Organization, RegistrationStatus};
use crate::registrations::store;
use crate::travel::sealed::Sealer;
use crate::values::Language;
use crate::web::forms::{checkbox, error_summary, required_note, FormState};
use crate::web::page::link_not_working;
use crate::web::page::{ok, PageContext, PageError, PageResult};
use crate::web::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse};
use maud::html;
use std::collections::HashMap;

/// What the page needs: the invitation, its meeting, the organisations to pick from, the
/// questions asked of its category, and that category's name in the reader's language.
#[derive(Clone)]
struct Invited {
    invitation: Invitation,
    meeting: Meeting,
    organizations: Vec<Organization>,
    questions: Vec<Question>,
    category: Category,
}

/// Why an invitation's page cannot register: said plainly, with where to turn.
enum Closed {
    Unknown,
    Revoked,
    Used,
    AlreadyRegistered,
    RegistrationOver(Box<Meeting>),
}

/// The invitation behind a link and what its page needs, or why it cannot register; with the
/// invited person's language whenever the invitation is known.
async fn invited(
    state: &AppState,
    token: String,
) -> Result<(Option<Language>, Result<Invited, Closed>), AppError> {
    state
        .read(move |conn| {
            let Some(invitation) = invitations::store::by_token(conn, &token)? else {
                return Ok((None, Err(Closed::Unknown)));
            };
            let language = Some(invitation.language());
            let meeting = match meetings::store::by_id(conn, &invitation.meeting_id) {
                Ok(meeting) if meeting.is_public() => meeting,
                _ => return Ok((None, Err(Closed::Unknown))),
            };
            match invitation.status() {
                InvitationStatus::Revoked => return Ok((language, Err(Closed::Revoked))),
                InvitationStatus::Registered => return Ok((language, Err(Closed::Used))),
                InvitationStatus::Sent => {}
            }
            if !meeting.registration_open(now()) {
                return Ok((language, Err(Closed::RegistrationOver(Box::new(meeting)))));
            }
            let organizations = store::organizations_of(conn, &meeting.id)?;
            let questions = meetings::questions::store::questionnaire(conn, &meeting.id)?
                .asked(Some(&invitation.category))
                .cloned()
                .collect();
            let category =
                meetings::categories::store::by_code(conn, &meeting.id, &invitation.category)?;
            Ok((
                language,
                Ok(Invited {
                    invitation,
                    meeting,
                    organizations,
                    questions,
                    category,
                }),
            ))
        })
        .await
}

/// The form's values as the invitation fills them in.
fn invitation_values(invitation: &Invitation) -> HashMap<String, String> {
    let form = invitation.form();
    let mut values = HashMap::new();
    let mut put = |name: &str, value: Option<String>| {
        if let Some(value) = value.filter(|v| !v.is_empty()) {
            values.insert(name.to_owned(), value);
        }
    };
    let organization = form.organization.unwrap_or_default();
    put("full_name", form.full_name);
    put("country", form.country);
    put("language", form.language);
    put("organization_name", organization.name);
    put("organization_kind", organization.kind);
    put("organization_country", organization.country);
    if values.contains_key("organization_name") {
        values.insert("organization".into(), "other".into());
    }
    values
}

fn form_page(ctx: &PageContext, token: &str, invited: &Invited, form: &FormState) -> HttpResponse {
    let t = ctx.t();
    let meeting = &invited.meeting;
    let title = fill(
        t.register_heading,
        &[("meeting", &meeting.title_in(ctx.lang))],
    );
    let status = match form.has_errors() {
        true => actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
        false => actix_web::http::StatusCode::OK,
    };
    let markup = crate::web::page::layout(
        ctx,
        &title,
        html! {
            h1 { (title) }
            p { (when(meeting, ctx.lang)) br; (meeting.place(ctx.lang)) }
            div.notice role="note" {
                p { (fill(t.invited_as, &[("category", &invited.category.name_in(ctx.lang))])) }
                p { (fill(t.invited_address, &[("email", &invited.invitation.email)])) }
            }
            (error_summary(form, t))
            (required_note(t))
            form method="post" action={ "/i/" (token) } novalidate {
                (details_fields(t, ctx, form, &invited.organizations, false))
                (questions::fields(t, ctx.lang, form, &invited.questions, &HashMap::new()))
                (super::travel::fields(t, ctx.lang, form, &invited.meeting))
                fieldset {
                    legend { (t.consents) }
                    (checkbox(form, "consent_data_processing", t.consent_data, true))
                    (checkbox(form, "consent_press_listing", t.consent_press, false))
                }
                button type="submit" { (t.submit_registration) }
            }
        },
    );
    crate::web::page::respond(ctx, status, markup)
}

fn closed_page(ctx: &PageContext, closed: Closed) -> HttpResponse {
    let t = ctx.t();
    match closed {
        Closed::Unknown => link_not_working(ctx, t.link_invalid),
        Closed::Revoked => link_not_working(ctx, t.invitation_revoked),
        Closed::Used => link_not_working(ctx, t.invitation_used),
        Closed::AlreadyRegistered => link_not_working(ctx, t.invitation_already_registered),
        Closed::RegistrationOver(meeting) => link_not_working(
            ctx,
            &fill(
                t.invitation_closed,
                &[("meeting", &meeting.title_in(ctx.lang))],
            ),
        ),
    }
}

pub(super) async fn invitation_form(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
) -> PageResult {
    let mut ctx = PageContext::new(&req);
    let token = token.into_inner();
    let (language, found) = match invited(&state, token.clone()).await {
        Ok(found) => found,
        Err(error) => return Err(PageError::new(&ctx, error)),
    };
    if let Some(language) = language {
        ctx = ctx.for_reader(language);
    }
    match found {
        Ok(invited) => {
            let form = FormState::new(invitation_values(&invited.invitation));
            Ok(form_page(&ctx, &token, &invited, &form))
        }
        Err(closed) => Ok(closed_page(&ctx, closed)),
    }
}

/// Registers what the invitation's form sent; answers the registration's status.
fn register(
    conn: &mut DbConn,
    values: &HashMap<String, String>,
    invited: &Invited,
    presented: &str,
    sealer: &Sealer,
) -> AppResult<RegistrationStatus> {
    let meeting = &invited.meeting;
    let mut form = form_to_body(conn, values)?;
    form.email = None;
    form.category = None;
    form.answers = Some(questions::answers_from_form(
        values,
        invited.questions.iter(),
    ));
    form.travel = super::travel::from_form(values, meeting);
    invitations::routes::bind(&mut form, &invited.invitation)?;
    let questionnaire = meetings::questions::store::questionnaire(conn, &meeting.id)?;
    let travel = crate::travel::TravelRules::of(meeting, now().date());
    let new = NewRegistration::parse_with_travel(&form, &questionnaire, &travel)?.sealed_by(sealer);
    let id = invitations::store::register(conn, meeting, presented, &new, now())?;
    Ok(store::by_id(conn, &id)?.status())
}

pub(super) async fn invitation_submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
    fields: Fields,
) -> PageResult {
    let mut ctx = PageContext::new(&req);
    if let Err(error) = state.rate_limit(&req) {
        return Err(PageError::new(&ctx, error));
    }
    let token = token.into_inner();
    let (language, found) = match invited(&state, token.clone()).await {
        Ok(found) => found,
        Err(error) => return Err(PageError::new(&ctx, error)),
    };
    if let Some(language) = language {
        ctx = ctx.for_reader(language);
    }
    let invited = match found {
        Ok(invited) => invited,
        Err(closed) => return Ok(closed_page(&ctx, closed)),
    };
    let values = fields.into_inner();
    let (for_body, sealer) = (values.clone(), state.sealer.clone());
    let (for_write, presented) = (invited.clone(), token.clone());
    let result = state
        .write(move |conn| register(conn, &for_body, &for_write, &presented, &sealer))
        .await;
    let t = ctx.t();
    let meeting = &invited.meeting;
    match result {
        Ok(status) => {
            state.wake_mailer();
            Ok(ok(
                &ctx,
                t.your_registration,
                html! {
                    (outcome(t, status))
                    p { strong { (meeting.title_in(ctx.lang)) } br; (when(meeting, ctx.lang)) br; (meeting.place(ctx.lang)) }
                    div.notice.ok role="status" { p { (t.link_emailed) } }
                },
            ))
        }
        Err(AppError::Invalid(errors)) => {
            let errors = form_errors(&values, errors);
            let form = FormState::new(values)
                .with_errors(&errors, t, input_name)
                .with_labels(questions::labels(&invited.questions, ctx.lang));
            Ok(form_page(&ctx, &token, &invited, &form))
        }
        Err(AppError::Conflict { code, .. }) => Ok(closed_page(
            &ctx,
            match code {
                "already_registered" => Closed::AlreadyRegistered,
                "registration_closed" => {
                    Closed::RegistrationOver(Box::new(invited.meeting.clone()))
                }
                _ => Closed::Used,
            },
        )),
        Err(error) => Err(PageError::new(&ctx, error)),
    }
}
