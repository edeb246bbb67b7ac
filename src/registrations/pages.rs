//! Participant pages: the registration form, the confirmation link, and self-service.

use super::model::{
    ClientGuard, NewRegistration, OrganizationForm, RegistrationForm, RegistrationStatus,
    RegistrationView,
};
use super::store;
use crate::accounts::tokens::{self, TokenKind};
use crate::audit::Actor;
use crate::db::{now, DbConn};
use crate::error::{AppError, AppResult};
use crate::i18n::{countries, fill, Catalogue};
use crate::meetings::pages::{availability, place, when};
use crate::meetings::{self, Meeting};
use crate::patch::Patch;
use crate::values::{Language, OrganizationKind};
use crate::web::forms::{checkbox, error_summary, filled, Field, FormState};
use crate::web::page::{ok, OnPage, PageContext, PageError, PageResult};
use crate::web::slug_or_404;
use crate::web::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse};
use maud::{html, Markup};
use std::collections::HashMap;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/m/{slug}/register", web::get().to(registration_form))
        .route("/m/{slug}/register", web::post().to(submit_registration))
        .route("/confirm/{token}", web::get().to(confirm_question))
        .route("/confirm/{token}", web::post().to(confirm_submit))
        .route("/manage/{token}", web::get().to(manage_page))
        .route("/manage/{token}", web::post().to(save_details))
        .route("/manage/{token}/press", web::post().to(set_press_consent))
        .route("/manage/{token}/cancel", web::get().to(cancel_question))
        .route(
            "/manage/{token}/cancel",
            web::post().to(cancel_registration),
        )
        .route("/manage/{token}/delete", web::get().to(delete_question))
        .route(
            "/manage/{token}/delete",
            web::post().to(delete_registration),
        )
        .route("/manage/{token}/sign-out", web::post().to(sign_out))
        .route("/manage/{token}/calendar.ics", web::get().to(calendar));
}

type Fields = web::Form<HashMap<String, String>>;

/// The registration form's trap for programs: a field hidden from people.
/// Named like nothing a browser or password manager fills in by itself.
const HONEYPOT: &str = "x_reference";

pub fn kind_label(t: &Catalogue, kind: &str) -> &'static str {
    match kind {
        "information_hub" => t.org_information_hub,
        "un_agency" => t.org_un_agency,
        "civil_society" => t.org_civil_society,
        "government" => t.org_government,
        "academia" => t.org_academia,
        "donor" => t.org_donor,
        "media" => t.org_media,
        _ => t.org_other,
    }
}

pub fn status_label(t: &Catalogue, status: &str) -> &'static str {
    match status {
        "pending_email" => t.status_pending_email,
        "pending_approval" => t.status_pending_approval,
        "confirmed" => t.status_confirmed,
        "waitlisted" => t.status_waitlisted,
        "rejected" => t.status_rejected,
        "cancelled" => t.status_cancelled,
        _ => t.status_expired,
    }
}

/// Sorts names as a reader expects: ignoring case and accents (Å with A, É with E).
fn sort_key(name: &str) -> String {
    name.to_lowercase()
        .chars()
        .map(|c| match c {
            'á' | 'à' | 'â' | 'ä' | 'å' | 'ã' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'í' | 'ì' | 'î' | 'ï' => 'i',
            'ó' | 'ò' | 'ô' | 'ö' | 'õ' => 'o',
            'ú' | 'ù' | 'û' | 'ü' => 'u',
            'ç' => 'c',
            other => other,
        })
        .collect()
}

/// Countries by name in the reader's language.
pub fn country_options(language: Language) -> Vec<(String, String)> {
    let mut options: Vec<(String, String)> = countries::COUNTRIES
        .iter()
        .map(|(code, _, _)| (code.to_string(), countries::name(code, language).to_owned()))
        .collect();
    options.sort_by_cached_key(|(_, name)| sort_key(name));
    options
}

fn kind_options(t: &Catalogue) -> Vec<(String, String)> {
    OrganizationKind::ALL
        .iter()
        .map(|k| (k.as_str().to_owned(), kind_label(t, k.as_str()).to_owned()))
        .collect()
}

fn language_options() -> Vec<(String, String)> {
    Language::ALL
        .iter()
        .map(|l| {
            (
                l.as_str().to_owned(),
                crate::i18n::catalogue(*l).lang_name.to_owned(),
            )
        })
        .collect()
}

/// The fields every participant form shares (registration and self-service).
fn details_fields(
    t: &Catalogue,
    ctx: &PageContext,
    form: &FormState,
    organizations: &[super::model::Organization],
    with_email: bool,
) -> Markup {
    let mut picker: Vec<(String, String)> = organizations
        .iter()
        .map(|o| {
            (
                o.id.clone(),
                format!("{} ({})", o.name, countries::name(&o.country, ctx.lang)),
            )
        })
        .collect();
    picker.push(("other".to_owned(), t.organization_other.to_owned()));
    html! {
        fieldset {
            legend { (t.about_you) }
            (Field::new("full_name", t.full_name).required().autocomplete("name").input(form))
            @if with_email {
                (Field::new("email", t.email).kind("email").required().autocomplete("email").hint(t.email_hint).input(form))
            }
            (Field::new("job_title", t.job_title).autocomplete("organization-title").input(form))
            (Field::new("country", t.country).required().select(form, t.choose, &country_options(ctx.lang)))
            (Field::new("language", t.email_language).required().select(form, t.choose, &language_options()))
        }
        fieldset {
            legend { (t.organization) }
            @if !organizations.is_empty() {
                (Field::new("organization", t.organization_pick).select(form, t.choose, &picker))
            }
            (Field::new("organization_name", t.organization_name).autocomplete("organization").input(form))
            (Field::new("organization_kind", t.organization_kind).select(form, t.choose, &kind_options(t)))
            (Field::new("organization_country", t.organization_country).select(form, t.choose, &country_options(ctx.lang)))
        }
        fieldset {
            legend { (t.needs) }
            p.muted { (t.needs_hint) }
            (Field::new("dietary", t.dietary).textarea(form))
            (Field::new("accessibility", t.accessibility).textarea(form))
            (Field::new("interpretation", t.interpretation).input(form))
        }
    }
}

/// The form's fields as the API's registration body. A picked organisation brings its own
/// name, kind and country.
fn form_to_body(
    conn: &mut DbConn,
    values: &HashMap<String, String>,
) -> AppResult<RegistrationForm> {
    let get = |name: &str| filled(values, name);
    let organization = match get("organization").filter(|o| o != "other") {
        Some(id) => {
            let known = store::organization(conn, &id).ok();
            OrganizationForm {
                name: known.as_ref().map(|o| o.name.clone()),
                kind: known.as_ref().map(|o| o.kind.clone()),
                country: known.map(|o| o.country),
            }
        }
        None => OrganizationForm {
            name: get("organization_name"),
            kind: get("organization_kind"),
            country: get("organization_country"),
        },
    };
    Ok(RegistrationForm {
        full_name: get("full_name"),
        email: get("email"),
        organization: Some(organization),
        job_title: get("job_title"),
        country: get("country"),
        language: get("language"),
        consent_data_processing: Some(
            values
                .get("consent_data_processing")
                .is_some_and(|v| v == "on"),
        ),
        consent_press_listing: Some(
            values
                .get("consent_press_listing")
                .is_some_and(|v| v == "on"),
        ),
        dietary: get("dietary"),
        accessibility: get("accessibility"),
        interpretation: get("interpretation"),
    })
}

/// API field names to the form's input names.
fn input_name(field: &str) -> String {
    field.replace('.', "_")
}

fn register_page(
    ctx: &PageContext,
    meeting: &Meeting,
    organizations: &[super::model::Organization],
    form: &FormState,
) -> HttpResponse {
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
            p { (when(meeting, ctx.lang)) br; (place(meeting)) }
            (error_summary(form, t))
            form method="post" action={ "/m/" (meeting.slug) "/register" } novalidate {
                (details_fields(t, ctx, form, organizations, true))
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

async fn load_open_meeting(
    state: &AppState,
    slug: &str,
) -> AppResult<(Meeting, Vec<super::model::Organization>)> {
    let slug = slug_or_404(slug)?;
    state
        .read(move |conn| {
            let meeting = meetings::store::public_by_slug(conn, &slug)?;
            let organizations = store::organizations_of(conn, &meeting.id)?;
            Ok((meeting, organizations))
        })
        .await
}

async fn registration_form(
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
) -> PageResult {
    let ctx = PageContext::new(&req);
    let result = load_open_meeting(&state, &slug)
        .await
        .map(|(meeting, organizations)| {
            if !meeting.registration_open(now()) {
                return closed_page(&ctx, &meeting);
            }
            let mut form = FormState::default();
            form.values
                .insert("language".into(), ctx.lang.as_str().into());
            register_page(&ctx, &meeting, &organizations, &form)
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

async fn submit_registration(
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
    fields: Fields,
) -> PageResult {
    let ctx = PageContext::new(&req);
    state.rate_limit(&req).on_page(&ctx)?;
    let (meeting, organizations) = load_open_meeting(&state, &slug).await.on_page(&ctx)?;
    let values = fields.into_inner();
    let for_parse = values.clone();
    let slug = meeting.slug.clone();
    let client = ClientGuard::new(state.client_address(&req), state.registrations_per_client());
    let result = if filled(&values, HONEYPOT).is_some() {
        // Only a program fills the field people cannot see: it is told what people are told,
        // and nothing is stored or sent.
        tracing::info!(meeting.slug = %meeting.slug, "registration form trap caught a program");
        Ok(filled(&values, "email").unwrap_or_default())
    } else {
        state
            .write_unseen(move |conn| {
                let form = form_to_body(conn, &for_parse)?;
                let new = NewRegistration::parse(&form)?;
                let slug = slug_or_404(&slug)?;
                store::register(conn, &slug, &new, &client, now())?;
                Ok(new.email.as_str().to_owned())
            })
            .await
    };
    let t = ctx.t();
    match result {
        Ok(email) => {
            state.wake_mailer();
            // The same page whether or not the address was registered before.
            Ok(ok(
                &ctx,
                t.check_inbox_heading,
                html! {
                    h1 { (t.check_inbox_heading) }
                    div.notice.ok role="status" { p { (fill(t.check_inbox_body, &[("email", &email)])) } }
                    p { a href={ "/m/" (meeting.slug) } { (meeting.title_in(ctx.lang)) } }
                },
            ))
        }
        Err(AppError::Invalid(errors)) => {
            let form = FormState::new(values).with_errors(&errors, t, input_name);
            Ok(register_page(&ctx, &meeting, &organizations, &form))
        }
        Err(AppError::Conflict {
            code: "registration_closed",
            ..
        }) => Ok(closed_page(&ctx, &meeting)),
        Err(error) => Err(PageError::new(&ctx, error)),
    }
}

fn outcome(t: &Catalogue, status: RegistrationStatus) -> Markup {
    html! {
        @match status {
            RegistrationStatus::Confirmed => { h1 { (t.confirmed_heading) } }
            RegistrationStatus::Waitlisted => { h1 { (t.waitlisted_heading) } }
            RegistrationStatus::PendingApproval => { h1 { (t.awaiting_heading) } p { (t.awaiting_page_body) } }
            status => { h1 { (t.your_registration) } p { (status_label(t, status.as_str())) } }
        }
    }
}

/// The page a confirm link opens. It only asks: a mail scanner that fetches every link in an
/// email must not confirm anything, so confirming takes the button's POST.
async fn confirm_question(
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
                p { strong { (meeting.title_in(ctx.lang)) } br; (when(&meeting, ctx.lang)) br; (place(&meeting)) }
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

/// A link that does not (or no longer) work: said calmly, with the way back.
fn link_not_working(ctx: &PageContext, message: &str) -> HttpResponse {
    let t = ctx.t();
    crate::web::page::respond(
        ctx,
        actix_web::http::StatusCode::NOT_FOUND,
        crate::web::page::layout(
            ctx,
            t.link_heading,
            html! {
                h1 { (t.link_heading) }
                p { (message) }
                p { a href="/" { (t.back_home) } }
            },
        ),
    )
}

async fn confirm_submit(
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
                p { strong { (meeting.title_in(ctx.lang)) } br; (when(&meeting, ctx.lang)) br; (place(&meeting)) }
                div.notice.ok role="status" { p { (t.link_emailed) } }
            },
        )),
        Err(AppError::NotFound) => Ok(link_not_working(&ctx, t.link_used)),
        Err(error) => Err(PageError::new(&ctx, error)),
    }
}

/// The registration behind a manage link, or the "link invalid" page.
async fn managed(
    state: &AppState,
    token: String,
) -> AppResult<(
    String,
    RegistrationView,
    Meeting,
    Vec<super::model::Organization>,
)> {
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
            Ok((id, view, meeting, organizations))
        })
        .await
}

fn view_values(view: &RegistrationView) -> HashMap<String, String> {
    let mut values = HashMap::new();
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

fn manage_markup(
    ctx: &PageContext,
    token: &str,
    view: &RegistrationView,
    meeting: &Meeting,
    organizations: &[super::model::Organization],
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
            p { strong { a href={ "/m/" (meeting.slug) } { (meeting.title_in(ctx.lang)) } } br; (when(meeting, ctx.lang)) br; (place(meeting)) }
            @if let Some(notice) = notice { div.notice.ok role="status" { p { (notice) } } }
            dl.facts {
                dt { (t.status_label) }
                dd {
                    (status_label(t, &view.status))
                    @if let Some(position) = view.waitlist_position { " (" (position) ")" }
                }
                dt { (t.email) } dd { (view.email) }
            }
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
                    button type="submit" { (t.save) }
                }
            }
            // The gentle step first, then the ones that cannot be undone.
            h2 { (t.sign_out_heading) }
            p { (t.sign_out_explain) }
            form method="post" action={ "/manage/" (token) "/sign-out" } {
                button.secondary type="submit" { (t.sign_out_button) }
            }
            @if active {
                h2 { (t.cancel_heading) }
                p { a.button.secondary href={ "/manage/" (token) "/cancel" } { (t.cancel_button) } }
            }
            h2 { (t.delete_heading) }
            p { a.button.secondary href={ "/manage/" (token) "/delete" } { (t.delete_button) } }
        },
    );
    let status = if form.has_errors() {
        actix_web::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        actix_web::http::StatusCode::OK
    };
    crate::web::page::respond(ctx, status, markup)
}

async fn manage_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
) -> PageResult {
    let ctx = PageContext::new(&req);
    let token = token.into_inner();
    match managed(&state, token.clone()).await {
        Ok((_, view, meeting, organizations)) => {
            let form = FormState::new(view_values(&view));
            Ok(manage_markup(
                &ctx,
                &token,
                &view,
                &meeting,
                &organizations,
                &form,
                None,
            ))
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

/// Stops every link to the registration, this one too, and emails a new one.
async fn sign_out(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
) -> PageResult {
    let ctx = PageContext::new(&req);
    let result = async {
        let (id, _, meeting, _) = managed(&state, token.into_inner()).await?;
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
fn details_patch(conn: &mut DbConn, values: &HashMap<String, String>) -> AppResult<Patch> {
    let form = form_to_body(conn, values)?;
    Patch::of(
        &form,
        &["email", "consent_data_processing", "consent_press_listing"],
    )
}

async fn save_details(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
    fields: Fields,
) -> PageResult {
    let ctx = PageContext::new(&req);
    let token = token.into_inner();
    let (id, view, meeting, organizations) = managed(&state, token.clone()).await.on_page(&ctx)?;
    let values = fields.into_inner();
    let for_patch = values.clone();
    let result = state
        .write(move |conn| {
            let patch = details_patch(conn, &for_patch)?;
            store::update_own(conn, &id, patch, now())
        })
        .await;
    let t = ctx.t();
    match result {
        Ok(saved) => Ok(manage_markup(
            &ctx,
            &token,
            &saved,
            &meeting,
            &organizations,
            &FormState::new(view_values(&saved)),
            Some(t.saved),
        )),
        Err(AppError::Invalid(errors)) => {
            let form = FormState::new(values).with_errors(&errors, t, input_name);
            Ok(manage_markup(
                &ctx,
                &token,
                &view,
                &meeting,
                &organizations,
                &form,
                None,
            ))
        }
        Err(error) => Err(PageError::new(&ctx, error)),
    }
}

async fn set_press_consent(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
    fields: Fields,
) -> PageResult {
    let ctx = PageContext::new(&req);
    let token = token.into_inner();
    let consent = fields
        .get("consent_press_listing")
        .is_some_and(|v| v == "on");
    let result = async {
        let (id, _, meeting, organizations) = managed(&state, token.clone()).await?;
        let patch = Patch::set("consent_press_listing", consent);
        let saved = state
            .write(move |conn| store::update_own(conn, &id, patch, now()))
            .await?;
        let form = FormState::new(view_values(&saved));
        Ok(manage_markup(
            &ctx,
            &token,
            &saved,
            &meeting,
            &organizations,
            &form,
            Some(ctx.t().saved),
        ))
    }
    .await;
    result.on_page(&ctx)
}

/// The confirmation step before cancelling.
async fn cancel_question(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
) -> PageResult {
    let ctx = PageContext::new(&req);
    let token = token.into_inner();
    let result = managed(&state, token.clone())
        .await
        .map(|(_, _, meeting, _)| {
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

async fn cancel_registration(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
) -> PageResult {
    let ctx = PageContext::new(&req);
    let token = token.into_inner();
    let result = async {
        let (id, _, meeting, organizations) = managed(&state, token.clone()).await?;
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
        let form = FormState::new(view_values(&cancelled));
        Ok(manage_markup(
            &ctx,
            &token,
            &cancelled,
            &meeting,
            &organizations,
            &form,
            Some(ctx.t().cancelled_done),
        ))
    }
    .await;
    result.on_page(&ctx)
}

/// The confirmation step before deleting everything.
async fn delete_question(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
) -> PageResult {
    let ctx = PageContext::new(&req);
    let token = token.into_inner();
    let result = managed(&state, token.clone()).await.map(|_| {
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

async fn delete_registration(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
) -> PageResult {
    let ctx = PageContext::new(&req);
    let token = token.into_inner();
    let result = async {
        let (id, _, _, _) = managed(&state, token).await?;
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

async fn calendar(
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
            Ok(crate::agenda::calendar::participant_ics(
                &meeting,
                &agenda,
                contact.language,
                &host,
            ))
        })
        .await
        .map(|ics| {
            HttpResponse::Ok()
                .content_type("text/calendar; charset=utf-8")
                .insert_header((
                    "Content-Disposition",
                    "attachment; filename=\"meeting.ics\"",
                ))
                .body(ics)
        });
    result.on_page(&ctx)
}
