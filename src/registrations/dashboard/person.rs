//! One person's page in the dashboard: everything they gave, where they stand, the actions
//! their status allows, and their history from the audit log.

use super::super::model::RegistrationView;
use super::super::store::{self, Change, ChangedBy};
use super::Action;
use crate::i18n::{fill, Catalogue};
use crate::meetings::dashboard::organized;
use crate::meetings::questions::Answers;
use crate::meetings::Meeting;
use crate::registrations::pages::questions::answers_list;
use crate::web::dashboard::{meeting_page, Dashboard, Tab};
use crate::web::page::{OnPage, PageContext, PageResult};
use crate::web::state::AppState;
use actix_web::http::StatusCode;
use actix_web::web;
use maud::{html, Markup};

pub(super) async fn person_page(
    state: web::Data<AppState>,
    Dashboard { current, ctx }: Dashboard,
    path: web::Path<(String, String)>,
) -> PageResult {
    let (slug, id) = path.into_inner();
    let result = async {
        let meeting = organized(&state, &slug, &current.account_id).await?;
        let id = crate::web::id_cursor(Some(&id))
            .ok()
            .flatten()
            .ok_or(crate::error::AppError::NotFound)?;
        let for_read = meeting.clone();
        let language = ctx.lang;
        let (person, history, questions, category) = state
            .read(move |conn| {
                let (person, history) = store::with_history(conn, &for_read, &id)?;
                let questions = crate::meetings::questions::store::of_meeting(conn, &for_read.id)?;
                let names = crate::meetings::categories::store::names(conn, &for_read.id, language)?;
                let category = names.get(&person.category).cloned().unwrap_or_else(|| person.category.clone());
                Ok((person, history, questions, category))
            })
            .await?;
        let t = ctx.t();
        let base = format!("/organizer/m/{}", meeting.slug);
        let here = format!("{base}/registrations/{}", person.id);
        Ok(meeting_page(&ctx, &meeting, Tab::Registrations, StatusCode::OK, html! {
            p { a href={ (base) "/registrations" } { (t.all_registrations) } }
            h2 { (person.full_name) }
            p { (super::status_of(t, &person)) }
            div.actions { (super::action_forms(t, &base, &current, &person, &here, &Action::allowed(&person))) }
            (details(&ctx, &meeting, &person, category))
            @if person.checkin_code.is_some() || person.checked_in_at.is_some() {
                ul {
                    @if person.checkin_code.is_some() {
                        li { a href={ (base) "/badges.pdf?id=" (person.id) } { (t.badge_one) } }
                    }
                    @if person.checked_in_at.is_some() {
                        li { a href={ (here) "/certificate.pdf" } { (t.certificate_download) } }
                    }
                }
            }
            @if !person.answers.is_empty() {
                h3 { (t.answers_heading) }
                (answers_list(&questions, &Answers::from_raw(person.answers.clone()), ctx.lang))
            }
            h3 { (t.history) }
            ol.history {
                @for change in &history { li { (change_line(t, &ctx, &meeting, change)) } }
            }
        }))
    }
    .await;
    result.on_page(&ctx)
}

/// What they gave and when things happened, each labelled as on the form.
fn details(
    ctx: &PageContext,
    meeting: &Meeting,
    person: &RegistrationView,
    category: String,
) -> Markup {
    let t = ctx.t();
    let optional = |value: &Option<String>| value.clone().unwrap_or_else(|| "—".to_owned());
    let when = |at: &Option<String>| match at {
        Some(at) => meeting.written_rfc3339(at, ctx.lang),
        None => "—".to_owned(),
    };
    let rows: Vec<(&str, String)> = vec![
        (t.category_label, category),
        (t.email, person.email.clone()),
        (t.organization, person.organization.name.clone()),
        (
            t.organization_kind,
            t.kind_of_organization(&person.organization.kind).to_owned(),
        ),
        (t.job_title, optional(&person.job_title)),
        (
            t.meeting_country,
            crate::i18n::countries::name(&person.country, ctx.lang).to_owned(),
        ),
        (
            t.email_language,
            t.language_name(&person.language).to_owned(),
        ),
        (t.interpretation, optional(&person.interpretation)),
        (t.dietary, optional(&person.dietary)),
        (t.accessibility, optional(&person.accessibility)),
        (
            t.consent_press_short,
            t.yes_no(person.consent_press_listing).to_owned(),
        ),
        (
            t.registered_at,
            meeting.written_rfc3339(&person.created_at, ctx.lang),
        ),
        (t.confirmed_at, when(&person.confirmed_at)),
        (t.checked_in, when(&person.checked_in_at)),
    ];
    html! {
        dl.facts {
            @for (label, value) in rows { dt { (label) } dd { (value) } }
        }
    }
}

/// "29 May 2030, 09:12 — Checked in, by Ana (organizer)"
fn change_line(t: &Catalogue, ctx: &PageContext, meeting: &Meeting, change: &Change) -> Markup {
    let what = match change.action.as_str() {
        "registration.created" | "registration.seeded" => t.history_registered.to_owned(),
        "registration.checked_in" => t.checked_in.to_owned(),
        "registration.check_in_undone" => t.history_check_in_undone.to_owned(),
        "registration.updated" => t.history_updated.to_owned(),
        "registration.signed_out" => t.history_signed_out.to_owned(),
        "meeting.seat_added" | "category.seat_added" => t.history_seat_added.to_owned(),
        "press_token.accredited" => t.history_press_link.to_owned(),
        action => match action.strip_prefix("registration.") {
            Some(status) => t.status_for_organizer(status).to_owned(),
            None => action.to_owned(),
        },
    };
    let by = match &change.by {
        ChangedBy::Organizer(name) => fill(t.by_organizer, &[("name", name)]),
        ChangedBy::Participant => t.by_participant.to_owned(),
        ChangedBy::System => t.by_system.to_owned(),
    };
    html! {
        span.muted { (meeting.written(change.at, ctx.lang)) } " — " (what) " " span.muted { "(" (by) ")" }
    }
}
