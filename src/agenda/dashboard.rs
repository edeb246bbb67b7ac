//! The organizer's agenda editor: rooms and sessions, with clashes shown by the field.

use super::model::{
    NewRoom, RoomForm, SessionDraft, SessionForm, SessionKind, SessionLanguage, SpeakerForm,
};
use super::store;
use crate::app::AppState;
use crate::db::now;
use crate::error::{AppError, FieldError};
use crate::meetings::dashboard::{local_to_rfc3339, organized, translations_from};
use crate::meetings::pages::{agenda_markup, kind_label};
use crate::meetings::Meeting;
use crate::web::dashboard::{meeting_page, or_error, see_other, Dashboard, Tab};
use crate::web::forms::{checkbox, error_summary, Field, FormState};
use crate::web::page::PageContext;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use maud::{html, Markup};
use std::collections::HashMap;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/organizer/m/{slug}/agenda", web::get().to(editor))
        .route("/organizer/m/{slug}/agenda/rooms", web::post().to(add_room))
        .route(
            "/organizer/m/{slug}/agenda/sessions",
            web::post().to(add_session),
        )
        .route(
            "/organizer/m/{slug}/agenda/sessions/{id}/delete",
            web::post().to(delete_session),
        );
}

type Fields = web::Form<HashMap<String, String>>;

/// The editor, with forms as given and a clash (if any) shown above the session form.
/// The editor's forms as they come back: typed values, errors, and a clash.
#[derive(Default)]
struct Forms<'a> {
    room: FormState,
    session: FormState,
    clash: Option<&'a FieldError>,
}

async fn render(
    state: &AppState,
    ctx: &PageContext,
    csrf: Markup,
    meeting: &Meeting,
    forms: Forms<'_>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let (room_form, session_form, clash) = (&forms.room, &forms.session, forms.clash);
    let id = meeting.id.clone();
    let (rooms, items) = state
        .read(move |conn| Ok((store::rooms(conn, &id)?, store::agenda(conn, &id)?)))
        .await?;
    let t = ctx.t();
    let base = format!("/organizer/m/{}/agenda", meeting.slug);
    let kinds: Vec<(String, String)> = SessionKind::ALL
        .iter()
        .map(|k| (k.as_str().to_owned(), kind_label(t, k.as_str()).to_owned()))
        .collect();
    let languages = [
        (SessionLanguage::Es, t.session_language_es),
        (SessionLanguage::En, t.session_language_en),
        (SessionLanguage::Both, t.session_language_both),
    ]
    .map(|(l, label)| (l.as_str().to_owned(), label.to_owned()));
    let room_options: Vec<(String, String)> = rooms
        .iter()
        .map(|r| (r.id.clone(), r.name.clone()))
        .collect();
    Ok(meeting_page(
        ctx,
        meeting,
        Tab::Agenda,
        status,
        html! {
            h2 { (t.rooms) }
            @if rooms.is_empty() { p { (t.empty_list) } }
            ul { @for room in &rooms { li { (room.name) @if let Some(c) = room.capacity { " (" (c) ")" } } } }
            form method="post" action={ (base) "/rooms" } novalidate {
                (csrf.clone())
                (error_summary(room_form, t))
                (Field::new("room_name", t.name).required().input(room_form))
                (Field::new("room_capacity", t.capacity).kind("number").input(room_form))
                button.secondary type="submit" { (t.add_room) }
            }
            h2 { (t.add_session) }
            @if let Some(clash) = clash {
                div.notice.bad role="alert" {
                    p { strong { (clash.message) } }
                    @if let Some(session) = &clash.session {
                        p { (session["title"].as_str().unwrap_or("")) ": " (session["starts_at"].as_str().unwrap_or("")) " – " (session["ends_at"].as_str().unwrap_or("")) }
                    }
                }
            }
            (error_summary(session_form, t))
            form method="post" action={ (base) "/sessions" } novalidate {
                (csrf.clone())
                (Field::new("title", t.title).required().input(session_form))
                (Field::new("description", t.description).textarea(session_form))
            (Field::new("title_es", t.title_es).input(session_form))
            (Field::new("description_es", t.description_es).textarea(session_form))
            (Field::new("title_en", t.title_en).input(session_form))
            (Field::new("description_en", t.description_en).textarea(session_form))
                (Field::new("kind", t.kind).select(session_form, t.choose, &kinds))
                p.muted { (t.local_times_hint) }
                (Field::new("starts_at", t.starts).kind("datetime-local").required().input(session_form))
                (Field::new("ends_at", t.ends).kind("datetime-local").required().input(session_form))
                (Field::new("room_id", t.room).select(session_form, t.no_room, &room_options))
                (Field::new("language", t.session_language).select(session_form, t.choose, &languages))
                (checkbox(session_form, "interpretation", t.with_interpretation, false))
                (Field::new("speakers", t.speakers_field).textarea(session_form))
                button type="submit" { (t.add_session) }
            }
            h2 { (t.programme) }
            (agenda_markup(meeting, &items, ctx))
            @if !items.is_empty() {
                h3 { (t.delete) }
                ul {
                    @for item in &items {
                        li {
                            (meeting.local(item.session.starts_at).format("%Y-%m-%d %H:%M")) " " (item.session.title) " "
                            form.inline method="post" action={ (base) "/sessions/" (item.session.id) "/delete" } {
                                (csrf.clone())
                                button.small.secondary type="submit" aria-label={ (t.delete) ": " (item.session.title) } { (t.delete) }
                            }
                        }
                    }
                }
            }
        },
    ))
}

async fn editor(
    state: web::Data<AppState>,
    Dashboard { current, ctx }: Dashboard,
    slug: web::Path<String>,
) -> HttpResponse {
    let result = async {
        let meeting = organized(&state, &slug, &current.account_id).await?;
        render(
            &state,
            &ctx,
            current.field(),
            &meeting,
            Forms::default(),
            StatusCode::OK,
        )
        .await
    }
    .await;
    or_error(&ctx, result)
}

async fn add_room(
    state: web::Data<AppState>,
    Dashboard { current, ctx }: Dashboard,
    slug: web::Path<String>,
    fields: Fields,
) -> HttpResponse {
    let values = fields.into_inner();
    let result = async {
        current.check(&values)?;
        let meeting = organized(&state, &slug, &current.account_id).await?;
        let capacity = values
            .get("room_capacity")
            .and_then(|c| c.trim().parse().ok());
        let parsed = NewRoom::parse(&RoomForm {
            name: values.get("room_name").cloned(),
            capacity,
        });
        let outcome = match parsed {
            Ok(new) => {
                let (for_store, account) = (meeting.clone(), current.account_id.clone());
                state
                    .write(move |conn| store::create_room(conn, &for_store, &new, &account, now()))
                    .await
                    .map(|_| ())
            }
            Err(error) => Err(error),
        };
        match outcome {
            Ok(()) => Ok(see_other(&format!("/organizer/m/{}/agenda", meeting.slug))),
            Err(AppError::Invalid(errors)) => {
                let form =
                    FormState::new(values).with_errors(&errors, ctx.t(), |f| format!("room_{f}"));
                render(
                    &state,
                    &ctx,
                    current.field(),
                    &meeting,
                    Forms {
                        room: form,
                        ..Forms::default()
                    },
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await
            }
            Err(AppError::Conflict { .. }) => {
                let mut form = FormState::new(values);
                form.errors
                    .insert("room_name".into(), ctx.t().error_invalid);
                render(
                    &state,
                    &ctx,
                    current.field(),
                    &meeting,
                    Forms {
                        room: form,
                        ..Forms::default()
                    },
                    StatusCode::CONFLICT,
                )
                .await
            }
            Err(error) => Err(error),
        }
    }
    .await;
    or_error(&ctx, result)
}

/// "Name, Organisation" per line → guest speakers.
fn speakers(text: &str) -> Vec<SpeakerForm> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|line| {
            let (name, organization) = match line.split_once(',') {
                Some((name, organization)) => (name.trim(), Some(organization.trim().to_owned())),
                None => (line, None),
            };
            SpeakerForm {
                name: Some(name.to_owned()),
                organization,
                ..SpeakerForm::default()
            }
        })
        .collect()
}

async fn add_session(
    state: web::Data<AppState>,
    Dashboard { current, ctx }: Dashboard,
    slug: web::Path<String>,
    fields: Fields,
) -> HttpResponse {
    let values = fields.into_inner();
    let result = async {
        current.check(&values)?;
        let meeting = organized(&state, &slug, &current.account_id).await?;
        let get = |name: &str| {
            values
                .get(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let zone = meeting.tz();
        let time = |name: &str| get(name).map(|v| local_to_rfc3339(&v, zone).unwrap_or(v));
        let form = SessionForm {
            title: get("title"),
            description: get("description"),
            kind: get("kind"),
            starts_at: time("starts_at"),
            ends_at: time("ends_at"),
            room_id: get("room_id"),
            language: get("language"),
            interpretation: Some(values.get("interpretation").is_some_and(|v| v == "on")),
            position: None,
            translations: Some(translations_from(&values)),
            speakers: Some(speakers(
                values.get("speakers").map(String::as_str).unwrap_or(""),
            )),
        };
        let (for_store, account) = (meeting.clone(), current.account_id.clone());
        let outcome = state
            .write(move |conn| {
                let draft = SessionDraft::parse(&form, &for_store)?;
                store::create_session(conn, &for_store, &draft, &account, now())
            })
            .await;
        match outcome {
            Ok(_) => {
                state.wake_mailer();
                Ok(see_other(&format!("/organizer/m/{}/agenda", meeting.slug)))
            }
            Err(AppError::Invalid(errors)) => {
                let form = FormState::new(values).with_errors(&errors, ctx.t(), |f| {
                    if f.starts_with("speakers") {
                        "speakers".to_owned()
                    } else if f == "translations" {
                        "title_es".to_owned()
                    } else {
                        f.to_owned()
                    }
                });
                render(
                    &state,
                    &ctx,
                    current.field(),
                    &meeting,
                    Forms {
                        session: form,
                        ..Forms::default()
                    },
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await
            }
            Err(AppError::Clash(clash)) => {
                let mut form = FormState::new(values);
                let field = if clash.code == "room_conflict" {
                    "room_id"
                } else {
                    "speakers"
                };
                form.errors.insert(field.to_owned(), ctx.t().error_invalid);
                render(
                    &state,
                    &ctx,
                    current.field(),
                    &meeting,
                    Forms {
                        session: form,
                        clash: Some(&clash),
                        ..Forms::default()
                    },
                    StatusCode::CONFLICT,
                )
                .await
            }
            Err(error) => Err(error),
        }
    }
    .await;
    or_error(&ctx, result)
}

async fn delete_session(
    state: web::Data<AppState>,
    Dashboard { current, ctx }: Dashboard,
    path: web::Path<(String, String)>,
    fields: Fields,
) -> HttpResponse {
    let (slug, id) = path.into_inner();
    let result = async {
        current.check(&fields)?;
        let meeting = organized(&state, &slug, &current.account_id).await?;
        let (for_store, account) = (meeting.clone(), current.account_id.clone());
        state
            .write(move |conn| store::delete_session(conn, &for_store, &id, &account, now()))
            .await?;
        Ok(see_other(&format!("/organizer/m/{}/agenda", meeting.slug)))
    }
    .await;
    or_error(&ctx, result)
}
