//! The session editor: adding, changing and removing a session, with its speakers and the
//! clash check, on the agenda tab.

use super::{render, Fields, Forms};
use crate::agenda::model::{
    Room, SessionDraft, SessionForm, SessionKind, SessionLanguage, SpeakerForm, SpeakerView,
};
use crate::agenda::store::{self, AgendaItem};
use crate::agenda::timetable::session_kind_label;
use crate::db::now;
use crate::error::{AppError, AppResult, FieldError};
use crate::i18n::fill;
use crate::i18n::Catalogue;
use crate::meetings::dashboard::{
    local_to_rfc3339, organized, to_local_input, translation_fields, translations_from,
};
use crate::meetings::Meeting;
use crate::web::confirm::{self, done_at, Done};
use crate::web::dashboard::{meeting_page, Dashboard, Tab};
use crate::web::forms::{checkbox, error_summary, filled, Field, FormState};
use crate::web::page::{OnPage, PageContext, PageResult};
use crate::web::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use maud::{html, Markup};
use std::collections::HashMap;

/// The choices the session form offers: kinds, languages and the meeting's rooms.
pub(super) struct SessionChoices {
    kinds: Vec<(String, String)>,
    languages: Vec<(String, String)>,
    rooms: Vec<(String, String)>,
}

impl SessionChoices {
    pub(super) fn new(t: &Catalogue, rooms: &[Room]) -> Self {
        let languages = [
            (SessionLanguage::Es, t.session_language_es),
            (SessionLanguage::En, t.session_language_en),
            (SessionLanguage::Both, t.session_language_both),
        ];
        Self {
            kinds: SessionKind::ALL
                .iter()
                .map(|k| {
                    (
                        k.as_str().to_owned(),
                        session_kind_label(t, k.as_str()).to_owned(),
                    )
                })
                .collect(),
            languages: languages
                .iter()
                .map(|(l, label)| (l.as_str().to_owned(), (*label).to_owned()))
                .collect(),
            rooms: rooms
                .iter()
                .map(|r| (r.id.clone(), r.name.clone()))
                .collect(),
        }
    }
}

/// What a session is in the way of, above the form that asked for it.
pub(super) fn clash_notice(
    meeting: &Meeting,
    clash: Option<&FieldError>,
    lang: crate::values::Language,
) -> Markup {
    let when = |field: &str, session: &serde_json::Value| {
        meeting.written_rfc3339(session[field].as_str().unwrap_or(""), lang)
    };
    html! {
        @if let Some(clash) = clash {
            div.notice.bad role="alert" {
                p { strong { (clash.message) } }
                @if let Some(session) = &clash.session {
                    p { (session["title"].as_str().unwrap_or("")) ": " (when("starts_at", session)) " – " (when("ends_at", session)) }
                }
            }
        }
    }
}

/// The session form's fields, the same for adding and for editing.
pub(super) fn session_fields(t: &Catalogue, form: &FormState, choices: &SessionChoices) -> Markup {
    html! {
        (Field::new("title", t.title).hint(t.title_hint).required().input(form))
        (Field::new("description", t.description).textarea(form))
        (translation_fields(t, form))
        (Field::new("kind", t.kind).select(form, t.choose, &choices.kinds))
        p.muted { (t.local_times_hint) }
        (Field::new("starts_at", t.starts).kind("datetime-local").required().input(form))
        (Field::new("ends_at", t.ends).kind("datetime-local").required().input(form))
        (Field::new("room_id", t.room).select(form, t.no_room, &choices.rooms))
        (Field::new("language", t.session_language).select(form, t.choose, &choices.languages))
        (checkbox(form, "interpretation", t.with_interpretation, false))
        (Field::new("speakers", t.speakers_field).textarea(form))
    }
}

/// "Name, Organisation" per line → guest speakers. A guest already on the session keeps their
/// role; `linked` (speakers who are registered participants, which the text cannot name) stay.
fn speakers(text: &str, linked: &[SpeakerView], guests: &[SpeakerView]) -> Vec<SpeakerForm> {
    let kept = linked.iter().map(|s| SpeakerForm {
        registration_id: s.registration_id.clone(),
        role: Some(s.role.clone()),
        public: s.public,
        ..SpeakerForm::default()
    });
    let written = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|line| {
            let (name, organization) = match line.split_once(',') {
                Some((name, organization)) => (name.trim(), Some(organization.trim().to_owned())),
                None => (line, None),
            };
            let role = guests
                .iter()
                .find(|g| g.name == name)
                .map(|g| g.role.clone());
            SpeakerForm {
                name: Some(name.to_owned()),
                organization,
                role,
                ..SpeakerForm::default()
            }
        });
    kept.chain(written).collect()
}

/// The dashboard's session form as the API's session body; times are local to the meeting.
/// `before` is the session being edited, if any, whose linked speakers and guests' roles stay.
fn session_form(
    values: &HashMap<String, String>,
    meeting: &Meeting,
    before: Option<&AgendaItem>,
) -> SessionForm {
    let get = |name: &str| filled(values, name);
    let zone = meeting.tz();
    let time = |name: &str| get(name).map(|v| local_to_rfc3339(&v, zone).unwrap_or(v));
    let (mut linked, guests): (Vec<SpeakerView>, Vec<SpeakerView>) = before
        .map(|item| item.speakers.clone())
        .unwrap_or_default()
        .into_iter()
        .partition(|s| s.registration_id.is_some());
    for speaker in &mut linked {
        let name = public_field(speaker);
        speaker.public = Some(values.get(&name).is_some_and(|v| v == "on"));
    }
    SessionForm {
        title: get("title"),
        description: get("description"),
        kind: get("kind"),
        starts_at: time("starts_at"),
        ends_at: time("ends_at"),
        room_id: get("room_id"),
        language: get("language"),
        interpretation: Some(values.get("interpretation").is_some_and(|v| v == "on")),
        position: before.map(|item| item.session.position),
        translations: Some(translations_from(values)),
        speakers: Some(speakers(
            values.get("speakers").map(String::as_str).unwrap_or(""),
            &linked,
            &guests,
        )),
    }
}

/// The edit form's checkbox that names a registered speaker publicly.
fn public_field(speaker: &SpeakerView) -> String {
    format!(
        "public_{}",
        speaker.registration_id.as_deref().unwrap_or_default()
    )
}

/// A session's values as its edit form shows them.
fn session_values(meeting: &Meeting, item: &AgendaItem) -> HashMap<String, String> {
    let session = &item.session;
    let mut values = HashMap::from([
        ("title".to_owned(), session.title.clone()),
        ("description".to_owned(), session.description.clone()),
        ("kind".to_owned(), session.kind.clone()),
        (
            "starts_at".to_owned(),
            to_local_input(meeting, session.starts_at),
        ),
        (
            "ends_at".to_owned(),
            to_local_input(meeting, session.ends_at),
        ),
        ("language".to_owned(), session.language.clone()),
    ]);
    if let Some(room) = &session.room_id {
        values.insert("room_id".into(), room.clone());
    }
    if session.interpretation {
        values.insert("interpretation".into(), "on".into());
    }
    for speaker in item.speakers.iter().filter(|s| s.public == Some(true)) {
        values.insert(public_field(speaker), "on".into());
    }
    for (language, text) in session.translations() {
        if let Some(title) = text.title {
            values.insert(format!("title_{}", language.as_str()), title);
        }
        if let Some(description) = text.description {
            values.insert(format!("description_{}", language.as_str()), description);
        }
    }
    let guests: Vec<String> = item
        .speakers
        .iter()
        .filter(|s| s.registration_id.is_none())
        .map(|s| match &s.organization {
            Some(organization) => format!("{}, {organization}", s.name),
            None => s.name.clone(),
        })
        .collect();
    values.insert("speakers".into(), guests.join("\n"));
    values
}

/// A refused session write as the form to show again: the fields named, or the clash shown.
fn refused_session(
    values: HashMap<String, String>,
    error: AppError,
    t: &Catalogue,
) -> Result<(FormState, Option<FieldError>, StatusCode), AppError> {
    match error {
        AppError::Invalid(errors) => {
            let form = FormState::new(values).with_errors(&errors, t, |f| {
                if f.starts_with("speakers") {
                    "speakers".to_owned()
                } else if f == "translations" {
                    "title_es".to_owned()
                } else {
                    f.to_owned()
                }
            });
            Ok((form, None, StatusCode::UNPROCESSABLE_ENTITY))
        }
        AppError::Clash(clash) => {
            let mut form = FormState::new(values);
            let field = if clash.code == "room_conflict" {
                "room_id"
            } else {
                "speakers"
            };
            form.errors.insert(field.to_owned(), t.error_invalid);
            Ok((form, Some(clash), StatusCode::CONFLICT))
        }
        other => Err(other),
    }
}

pub(super) async fn add_session(
    state: web::Data<AppState>,
    Dashboard { current, ctx }: Dashboard,
    slug: web::Path<String>,
    fields: Fields,
) -> PageResult {
    let values = fields.into_inner();
    let result = async {
        current.check(&values)?;
        let meeting = organized(&state, &slug, &current.account_id).await?;
        let form = session_form(&values, &meeting, None);
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
                Ok(done_at(
                    &format!("/organizer/m/{}/agenda", meeting.slug),
                    Done::Added,
                ))
            }
            Err(error) => {
                let (session, clash, status) = refused_session(values, error, ctx.t())?;
                let forms = Forms {
                    session,
                    clash: clash.as_ref(),
                    ..Forms::default()
                };
                render(&state, &ctx, current.field(), &meeting, forms, status).await
            }
        }
    }
    .await;
    result.on_page(&ctx)
}

/// One session's edit page: its form, filled in, with a clash (if any) shown above it.
fn edit_page(
    ctx: &PageContext,
    csrf: Markup,
    meeting: &Meeting,
    item: &AgendaItem,
    rooms: &[Room],
    (form, clash): (&FormState, Option<&FieldError>),
    status: StatusCode,
) -> HttpResponse {
    let t = ctx.t();
    let choices = SessionChoices::new(t, rooms);
    let base = format!("/organizer/m/{}/agenda", meeting.slug);
    let linked: Vec<&SpeakerView> = item
        .speakers
        .iter()
        .filter(|s| s.registration_id.is_some())
        .collect();
    meeting_page(
        ctx,
        meeting,
        Tab::Agenda,
        status,
        html! {
            h2 { (t.edit_session) ": " (item.session.title) }
            (clash_notice(meeting, clash, ctx.lang))
            (error_summary(form, t))
            form method="post" action={ (base) "/sessions/" (item.session.id) } novalidate {
                (csrf)
                (session_fields(t, form, &choices))
                @if !linked.is_empty() {
                    fieldset {
                        legend { (t.linked_speakers_kept) }
                        p.muted { (t.linked_speaker_public_hint) }
                        @for speaker in &linked {
                            (checkbox(form, &public_field(speaker), &speaker.name, false))
                        }
                    }
                }
                button type="submit" { (t.save) }
                " "
                a.button.secondary href=(base) { (t.cancel_no) }
            }
        },
    )
}

/// The session and the meeting's rooms, for its edit page.
async fn session_and_rooms(
    state: &AppState,
    meeting: &Meeting,
    id: String,
) -> AppResult<(AgendaItem, Vec<Room>)> {
    let for_read = meeting.clone();
    state
        .read(move |conn| {
            let item = store::item(conn, &for_read, &id)?;
            Ok((item, store::rooms(conn, &for_read.id)?))
        })
        .await
}

pub(super) async fn edit_session(
    state: web::Data<AppState>,
    Dashboard { current, ctx }: Dashboard,
    path: web::Path<(String, String)>,
) -> PageResult {
    let (slug, id) = path.into_inner();
    let result = async {
        let meeting = organized(&state, &slug, &current.account_id).await?;
        let (item, rooms) = session_and_rooms(&state, &meeting, id).await?;
        let form = FormState::new(session_values(&meeting, &item));
        Ok(edit_page(
            &ctx,
            current.field(),
            &meeting,
            &item,
            &rooms,
            (&form, None),
            StatusCode::OK,
        ))
    }
    .await;
    result.on_page(&ctx)
}

pub(super) async fn save_session(
    state: web::Data<AppState>,
    Dashboard { current, ctx }: Dashboard,
    path: web::Path<(String, String)>,
    fields: Fields,
) -> PageResult {
    let (slug, id) = path.into_inner();
    let values = fields.into_inner();
    let result = async {
        current.check(&values)?;
        let meeting = organized(&state, &slug, &current.account_id).await?;
        let (for_store, account) = (meeting.clone(), current.account_id.clone());
        let (id_for_store, for_form) = (id.clone(), values.clone());
        let outcome = state
            .write(move |conn| {
                let before = store::item(conn, &for_store, &id_for_store)?;
                let form = session_form(&for_form, &for_store, Some(&before));
                let draft = SessionDraft::parse(&form, &for_store)?;
                store::update_session(conn, &for_store, &id_for_store, &draft, &account, now())
            })
            .await;
        match outcome {
            Ok(_) => {
                state.wake_mailer();
                Ok(done_at(
                    &format!("/organizer/m/{}/agenda", meeting.slug),
                    Done::Saved,
                ))
            }
            Err(error) => {
                let (form, clash, status) = refused_session(values, error, ctx.t())?;
                let (item, rooms) = session_and_rooms(&state, &meeting, id).await?;
                Ok(edit_page(
                    &ctx,
                    current.field(),
                    &meeting,
                    &item,
                    &rooms,
                    (&form, clash.as_ref()),
                    status,
                ))
            }
        }
    }
    .await;
    result.on_page(&ctx)
}

pub(super) async fn delete_session(
    state: web::Data<AppState>,
    Dashboard { current, ctx }: Dashboard,
    path: web::Path<(String, String)>,
    fields: Fields,
) -> PageResult {
    let (slug, id) = path.into_inner();
    let result = async {
        current.check(&fields)?;
        let meeting = organized(&state, &slug, &current.account_id).await?;
        let agenda = format!("/organizer/m/{}/agenda", meeting.slug);
        if !confirm::confirmed(&fields) {
            let (for_store, of) = (meeting.clone(), id.clone());
            let session = state
                .read(move |conn| store::item(conn, &for_store, &of))
                .await?;
            let t = ctx.t();
            let action = format!("{agenda}/sessions/{id}/delete");
            return Ok(confirm::Question {
                question: fill(
                    t.confirm_delete_session,
                    &[("title", &session.session.title_in(ctx.lang))],
                ),
                consequence: t.delete_session_consequence,
                yes: t.delete,
                action,
                back: &agenda,
            }
            .ask(&ctx, &meeting, Tab::Agenda, &fields));
        }
        let (for_store, account) = (meeting.clone(), current.account_id.clone());
        state
            .write(move |conn| store::delete_session(conn, &for_store, &id, &account, now()))
            .await?;
        Ok(done_at(&agenda, Done::Deleted))
    }
    .await;
    result.on_page(&ctx)
}
