//! The dashboard's invitations tab: invite one person, or many by pasting a CSV file (or the
//! rows of a spreadsheet); see every invitation with its status; send one again or revoke it.

use super::{csv_import, store, InvitationForm, InvitationStatus, InvitationView, NewInvitation};
use crate::accounts::pages::OrganizerSession;
use crate::audit::Actor;
use crate::db::now;
use crate::error::{AppError, FieldError};
use crate::i18n::fill;
use crate::meetings::dashboard::organized;
use crate::meetings::Meeting;
use crate::registrations::model::OrganizationForm;
use crate::registrations::pages::{language_options, options_of_categories};
use crate::web::confirm::{self, done_at, Done};
use crate::web::dashboard::{meeting_page, Dashboard, Tab};
use crate::web::forms::{error_summary, required_note, Field, FormState};
use crate::web::page::{OnPage, PageContext, PageResult};
use crate::web::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use maud::{html, Markup};
use std::collections::HashMap;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/organizer/m/{slug}/invitations",
        web::get().to(invitations_tab),
    )
    .route(
        "/organizer/m/{slug}/invitations",
        web::post().to(invite_one),
    )
    .service(
        web::resource("/organizer/m/{slug}/invitations/import")
            .app_data(web::FormConfig::default().limit(csv_import::MAX_BYTES + 4096))
            .route(web::post().to(invite_many)),
    )
    .route(
        "/organizer/m/{slug}/invitations/{id}/{action}",
        web::post().to(act),
    );
}

type Fields = web::Form<HashMap<String, String>>;

/// What the tab shows after a form: the form as sent with its errors, or an import's report.
#[derive(Default)]
struct Outcome {
    form: FormState,
    import: FormState,
    /// Problems of a pasted file, each line named.
    file_errors: Vec<FieldError>,
    report: Option<store::Imported>,
}

async fn render(
    state: &AppState,
    ctx: &PageContext,
    current: &OrganizerSession,
    meeting: &Meeting,
    outcome: Outcome,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let (id, language) = (meeting.id.clone(), ctx.lang);
    let for_view = meeting.clone();
    let (invitations, categories) = state
        .read(move |conn| {
            let (rows, _) = store::list(conn, &id, 1000, None)?;
            let rows: Vec<InvitationView> = rows
                .into_iter()
                .map(|row| InvitationView::new(&for_view, row))
                .collect();
            let names = crate::meetings::categories::store::names(conn, &id, language)?;
            Ok((rows, names))
        })
        .await?;
    let t = ctx.t();
    let base = format!("/organizer/m/{}/invitations", meeting.slug);
    let csrf = current.field();
    let mut category_options = options_of_categories(&categories);
    category_options.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(meeting_page(
        ctx,
        meeting,
        Tab::Invitations,
        status,
        html! {
            @if let Some(report) = &outcome.report { (import_report(t, report)) }
            h2 { (t.invite_one) }
            (error_summary(&outcome.form, t))
            (required_note(t))
            form method="post" action=(base) novalidate {
                (csrf.clone())
                (Field::new("email", t.email).kind("email").required().input(&outcome.form))
                (Field::new("full_name", t.full_name).input(&outcome.form))
                (Field::new("organization_name", t.organization_name).input(&outcome.form))
                (Field::new("category", t.category_label).select(&outcome.form, t.choose, &category_options))
                (Field::new("language", t.email_language).select(&outcome.form, t.choose, &language_options()))
                button type="submit" { (t.invite_button) }
            }
            h2 { (t.invite_many) }
            p.muted { (fill(t.invite_many_hint, &[("columns", &csv_import::COLUMNS.join(","))])) }
            @if !outcome.file_errors.is_empty() {
                div.notice.bad role="alert" {
                    p { strong { (t.import_refused) } }
                    ul { @for error in &outcome.file_errors {
                        li { (error.field.as_deref().unwrap_or("")) ": " (error.message) }
                    } }
                }
            }
            form method="post" action={ (base) "/import" } {
                (csrf.clone())
                (Field::new("csv", t.invite_many_field).textarea(&outcome.import))
                button type="submit" { (t.invite_many_button) }
            }
            h2 { (t.invitations) }
            @if invitations.is_empty() { p { (t.empty_list) } }
            @else {
                div.table-wrap {
                    table.cards {
                        thead { tr {
                            th { (t.email) } th { (t.full_name) } th { (t.category_label) }
                            th { (t.status_label) } th { (t.invitation_sent) } th { "" }
                        } }
                        tbody { @for invitation in &invitations { (row(t, ctx, meeting, &base, &csrf, &categories, invitation)) } }
                    }
                }
            }
        },
    ))
}

fn row(
    t: &crate::i18n::Catalogue,
    ctx: &PageContext,
    meeting: &Meeting,
    base: &str,
    csrf: &Markup,
    categories: &HashMap<String, String>,
    invitation: &InvitationView,
) -> Markup {
    let status = match invitation.status {
        InvitationStatus::Sent => t.invitation_status_sent,
        InvitationStatus::Registered => t.invitation_status_registered,
        InvitationStatus::Revoked => t.invitation_status_revoked,
    };
    html! {
        tr {
            td { strong { (invitation.email) } }
            td data-label=(t.full_name) { (invitation.full_name) }
            td data-label=(t.category_label) { (categories.get(&invitation.category).unwrap_or(&invitation.category)) }
            td data-label=(t.status_label) {
                (status)
                @if invitation.delegation.is_some() { " · " (t.invitation_by_delegation) }
            }
            td data-label=(t.invitation_sent) {
                (meeting.written_rfc3339(&invitation.sent_at, ctx.lang))
                @if let Some(at) = &invitation.reminded_at { br; span.muted { (t.invitation_reminded) " " (meeting.written_rfc3339(at, ctx.lang)) } }
            }
            td {
                @if invitation.status == InvitationStatus::Sent {
                    form.inline method="post" action={ (base) "/" (invitation.id) "/resend" } {
                        (csrf.clone())
                        button.small.secondary type="submit" aria-label={ (t.resend_invitation) ": " (invitation.email) } { (t.resend_invitation) }
                    }
                    " "
                    form.inline method="post" action={ (base) "/" (invitation.id) "/revoke" } {
                        (csrf.clone())
                        button.small.secondary type="submit" aria-label={ (t.revoke) ": " (invitation.email) } { (t.revoke) }
                    }
                }
            }
        }
    }
}

fn import_report(t: &crate::i18n::Catalogue, report: &store::Imported) -> Markup {
    html! {
        div.notice.ok role="status" {
            p { (crate::i18n::counted(report.created as i64, t.invitations_sent_count)) }
            @if !report.skipped.is_empty() {
                p { (t.import_skipped) }
                ul { @for skipped in &report.skipped {
                    li { (fill(t.import_skipped_line, &[("line", &skipped.line.to_string()), ("email", &skipped.email)])) " — "
                        (match skipped.code {
                            "already_registered" => t.nominee_already_registered,
                            "duplicate_in_file" => t.import_duplicate,
                            _ => t.nominee_already_invited,
                        }) }
                } }
            }
        }
    }
}

async fn invitations_tab(
    state: web::Data<AppState>,
    Dashboard { current, ctx }: Dashboard,
    slug: web::Path<String>,
) -> PageResult {
    let result = async {
        let meeting = organized(&state, &slug, &current.account_id).await?;
        let outcome = Outcome::default();
        render(&state, &ctx, &current, &meeting, outcome, StatusCode::OK).await
    }
    .await;
    result.on_page(&ctx)
}

async fn invite_one(
    state: web::Data<AppState>,
    Dashboard { current, ctx }: Dashboard,
    slug: web::Path<String>,
    fields: Fields,
) -> PageResult {
    let values = fields.into_inner();
    let result = async {
        current.check(&values)?;
        let meeting = organized(&state, &slug, &current.account_id).await?;
        let get = |name: &str| values.get(name).cloned().filter(|v| !v.trim().is_empty());
        let form = InvitationForm {
            email: get("email"),
            full_name: get("full_name"),
            organization: Some(OrganizationForm {
                name: get("organization_name"),
                ..Default::default()
            }),
            category: get("category"),
            language: get("language"),
        };
        let (for_store, account) = (meeting.clone(), current.account_id.clone());
        let sent = state
            .write(move |conn| {
                let new = NewInvitation::parse(&form)?;
                let sender = store::Sender::Organizer(&account);
                store::create(conn, &for_store, &new, sender, now())
            })
            .await;
        let base = format!("/organizer/m/{}/invitations", meeting.slug);
        match sent {
            Ok(_) => {
                state.wake_mailer();
                Ok(done_at(&base, Done::Created))
            }
            Err(AppError::Invalid(errors)) => {
                let rename = |field: &str| field.replace("organization.name", "organization_name");
                let form = FormState::new(values.clone()).with_errors(&errors, ctx.t(), rename);
                let outcome = Outcome {
                    form,
                    ..Outcome::default()
                };
                render(
                    &state,
                    &ctx,
                    &current,
                    &meeting,
                    outcome,
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await
            }
            Err(AppError::Conflict { code, .. }) => {
                let t = ctx.t();
                let mut form = FormState::new(values.clone());
                let said = match code {
                    "already_registered" => t.nominee_already_registered,
                    _ => t.nominee_already_invited,
                };
                form.errors.insert("email".into(), said);
                let outcome = Outcome {
                    form,
                    ..Outcome::default()
                };
                render(
                    &state,
                    &ctx,
                    &current,
                    &meeting,
                    outcome,
                    StatusCode::CONFLICT,
                )
                .await
            }
            Err(error) => Err(error),
        }
    }
    .await;
    result.on_page(&ctx)
}

async fn invite_many(
    state: web::Data<AppState>,
    Dashboard { current, ctx }: Dashboard,
    slug: web::Path<String>,
    fields: Fields,
) -> PageResult {
    let values = fields.into_inner();
    let result = async {
        current.check(&values)?;
        let meeting = organized(&state, &slug, &current.account_id).await?;
        let text = values.get("csv").cloned().unwrap_or_default();
        let parsed = csv_import::parse(text.as_bytes());
        let imported = match parsed {
            Ok(lines) => {
                let (for_store, account) = (meeting.clone(), current.account_id.clone());
                state
                    .write(move |conn| store::import(conn, &for_store, &lines, &account, now()))
                    .await
            }
            Err(error) => Err(error),
        };
        let import = FormState::new(values.clone());
        match imported {
            Ok(report) => {
                state.wake_mailer();
                let outcome = Outcome {
                    report: Some(report),
                    ..Outcome::default()
                };
                render(
                    &state,
                    &ctx,
                    &current,
                    &meeting,
                    outcome,
                    StatusCode::CREATED,
                )
                .await
            }
            Err(AppError::Invalid(file_errors)) => {
                let outcome = Outcome {
                    import,
                    file_errors,
                    ..Outcome::default()
                };
                render(
                    &state,
                    &ctx,
                    &current,
                    &meeting,
                    outcome,
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

/// Resend (at once) or revoke (asked first) one invitation.
async fn act(
    state: web::Data<AppState>,
    Dashboard { current, ctx }: Dashboard,
    path: web::Path<(String, String, String)>,
    fields: Fields,
) -> PageResult {
    let (slug, id, action) = path.into_inner();
    let result = async {
        current.check(&fields)?;
        let meeting = organized(&state, &slug, &current.account_id).await?;
        let id = crate::web::id_cursor(Some(&id))
            .ok()
            .flatten()
            .ok_or(AppError::NotFound)?;
        let base = format!("/organizer/m/{}/invitations", meeting.slug);
        let (for_store, account) = (meeting.clone(), current.account_id.clone());
        match action.as_str() {
            "resend" => {
                state
                    .write(move |conn| store::resend(conn, &for_store, &id, &account, now()))
                    .await?;
                state.wake_mailer();
                Ok(done_at(&base, Done::Saved))
            }
            "revoke" if !confirm::confirmed(&fields) => {
                let t = ctx.t();
                let for_read = (meeting.id.clone(), id.clone());
                let invitation = state
                    .read(move |conn| store::by_id(conn, &for_read.0, &for_read.1))
                    .await?;
                Ok(confirm::Question {
                    question: fill(t.confirm_revoke_invitation, &[("email", &invitation.email)]),
                    consequence: t.revoke_invitation_consequence,
                    yes: t.revoke,
                    action: format!("{base}/{id}/revoke"),
                    back: &base,
                }
                .ask(&ctx, &meeting, Tab::Invitations, &fields))
            }
            "revoke" => {
                state
                    .write(move |conn| {
                        store::revoke(conn, &for_store, &id, &Actor::Account(&account), now())
                    })
                    .await?;
                Ok(done_at(&base, Done::Revoked))
            }
            _ => Err(AppError::NotFound),
        }
    }
    .await;
    result.on_page(&ctx)
}
