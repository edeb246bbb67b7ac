//! The organizer's agenda editor: rooms and sessions, with clashes shown by the field.

mod sessions;

use super::model::{NewRoom, RoomForm};
use super::store::{self};
use crate::agenda::timetable::agenda_markup;
use crate::db::now;
use crate::error::{AppError, FieldError};
use crate::meetings::dashboard::organized;
use crate::meetings::Meeting;
use crate::web::confirm::{done_at, Done};
use crate::web::dashboard::{meeting_page, Dashboard, Tab};
use crate::web::forms::{error_summary, Field, FormState};
use crate::web::page::{OnPage, PageContext, PageResult};
use crate::web::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use maud::{html, Markup};
use sessions::{
    add_session, clash_notice, delete_session, edit_session, save_session, session_fields,
    SessionChoices,
};
use std::collections::HashMap;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/organizer/m/{slug}/agenda", web::get().to(editor))
        .route("/organizer/m/{slug}/agenda/rooms", web::post().to(add_room))
        .route(
            "/organizer/m/{slug}/agenda/sessions",
            web::post().to(add_session),
        )
        .route(
            "/organizer/m/{slug}/agenda/sessions/{id}",
            web::get().to(edit_session),
        )
        .route(
            "/organizer/m/{slug}/agenda/sessions/{id}",
            web::post().to(save_session),
        )
        .route(
            "/organizer/m/{slug}/agenda/sessions/{id}/delete",
            web::post().to(delete_session),
        );
}

pub(super) type Fields = web::Form<HashMap<String, String>>;

/// The editor, with forms as given and a clash (if any) shown above the session form.
/// The editor's forms as they come back: typed values, errors, and a clash.
#[derive(Default)]
pub(super) struct Forms<'a> {
    room: FormState,
    session: FormState,
    clash: Option<&'a FieldError>,
}

pub(super) async fn render(
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
        .read(move |conn| {
            Ok((
                store::rooms(conn, &id)?,
                store::agenda(conn, &id, store::Audience::Organizer)?,
            ))
        })
        .await?;
    let t = ctx.t();
    let base = format!("/organizer/m/{}/agenda", meeting.slug);
    let choices = SessionChoices::new(t, &rooms);
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
            (clash_notice(meeting, clash, ctx.lang))
            (error_summary(session_form, t))
            form method="post" action={ (base) "/sessions" } novalidate {
                (csrf.clone())
                (session_fields(t, session_form, &choices))
                button type="submit" { (t.add_session) }
            }
            h2 { (t.programme) }
            (agenda_markup(meeting, &items, ctx))
            @if !items.is_empty() {
                h3 { (t.edit) " · " (t.delete) }
                ul {
                    @for item in &items {
                        li {
                            (meeting.written(item.session.starts_at, ctx.lang)) " " (item.session.title) " "
                            a.button.small.secondary href={ (base) "/sessions/" (item.session.id) } aria-label={ (t.edit) ": " (item.session.title) } { (t.edit) }
                            " "
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
) -> PageResult {
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
    result.on_page(&ctx)
}

async fn add_room(
    state: web::Data<AppState>,
    Dashboard { current, ctx }: Dashboard,
    slug: web::Path<String>,
    fields: Fields,
) -> PageResult {
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
            Ok(()) => Ok(done_at(
                &format!("/organizer/m/{}/agenda", meeting.slug),
                Done::Added,
            )),
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
    result.on_page(&ctx)
}
