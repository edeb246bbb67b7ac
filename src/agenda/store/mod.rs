//! Rooms, sessions and speakers in storage. Every change runs under the meeting lock, so two
//! concurrent edits cannot both pass the clash checks. Reading the agenda is here; rooms are in
//! `rooms.rs`, sessions with their clash checks and speakers in `sessions.rs`, and the record
//! of what moved, with the notices it sends, in `changes.rs`.

mod changes;
mod rooms;
mod sessions;

pub use changes::notify_changes;
pub use rooms::{create_room, delete_room, rooms, update_room};
pub use sessions::{create_session, delete_session, session_form, update_session};

use super::model::{Room, RoomRef, Session, SessionView, SpeakerView};
use crate::db::DbConn;
use crate::error::{AppError, AppResult};
use crate::meetings::Meeting;
use crate::schema::{self, organizations, registrations, session_speakers};
use crate::values::Language;
use diesel::prelude::*;
use std::collections::HashMap;

/// A session with its room and people.
#[derive(Debug, Clone)]
pub struct AgendaItem {
    pub session: Session,
    pub room: Option<Room>,
    pub speakers: Vec<SpeakerView>,
}

impl AgendaItem {
    /// The session as shown: in `language` where a translation exists; registration ids only
    /// for organizers.
    pub fn view(
        &self,
        meeting: &Meeting,
        language: Option<Language>,
        for_organizer: bool,
    ) -> SessionView {
        let session = &self.session;
        let (title, description) = match language {
            Some(language) => (session.title_in(language), session.description_in(language)),
            None => (session.title.clone(), session.description.clone()),
        };
        SessionView {
            id: session.id.clone(),
            title,
            description,
            kind: session.kind.clone(),
            starts_at: meeting.rfc3339(session.starts_at),
            ends_at: meeting.rfc3339(session.ends_at),
            room: self.room.as_ref().map(|r| RoomRef {
                id: r.id.clone(),
                name: r.name.clone(),
            }),
            language: session.language.clone(),
            interpretation: session.interpretation,
            position: session.position,
            translations: session.translations(),
            speakers: self
                .speakers
                .iter()
                .cloned()
                .map(|mut s| {
                    if !for_organizer {
                        s.registration_id = None;
                        s.public = None;
                    }
                    s
                })
                .collect(),
        }
    }
}

/// Who reads an agenda, which decides whom it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Pages, the public API, calendars and emails: a registered participant is named as a
    /// speaker only while confirmed and listed for the press, or once the organizer marks them
    /// public. Guests, whom the organizer entered, always are.
    Public,
    Organizer,
}

/// The programme of a meeting, in start order (then position).
pub fn agenda(
    conn: &mut DbConn,
    meeting_id: &str,
    audience: Audience,
) -> AppResult<Vec<AgendaItem>> {
    let all_sessions: Vec<Session> = schema::sessions::table
        .filter(schema::sessions::meeting_id.eq(meeting_id))
        .order((
            schema::sessions::starts_at.asc(),
            schema::sessions::position.asc(),
            schema::sessions::id.asc(),
        ))
        .select(Session::as_select())
        .load(conn)?;
    let rooms_by_id: HashMap<String, Room> = rooms(conn, meeting_id)?
        .into_iter()
        .map(|r| (r.id.clone(), r))
        .collect();
    let mut speakers = speakers_by_session(conn, meeting_id, audience)?;
    Ok(all_sessions
        .into_iter()
        .map(|session| AgendaItem {
            room: session
                .room_id
                .as_ref()
                .and_then(|id| rooms_by_id.get(id).cloned()),
            speakers: speakers.remove(&session.id).unwrap_or_default(),
            session,
        })
        .collect())
}

/// The speakers of each session of the meeting, in order, keyed by session id: those `audience`
/// may see.
fn speakers_by_session(
    conn: &mut DbConn,
    meeting_id: &str,
    audience: Audience,
) -> AppResult<HashMap<String, Vec<SpeakerView>>> {
    type SpeakerRow = (
        (
            String,
            String,
            Option<String>,
            Option<String>,
            Option<String>,
            bool,
        ),
        (Option<String>, Option<String>, Option<String>, Option<bool>),
    );
    // Flat joins: a nested `LEFT JOIN (registrations LEFT JOIN organizations)` made SQLite
    // build the whole inner join, every registration of every meeting, for each agenda.
    let rows: Vec<SpeakerRow> = session_speakers::table
        .left_join(registrations::table)
        .left_join(
            organizations::table.on(organizations::id
                .nullable()
                .eq(registrations::organization_id.nullable())),
        )
        .filter(session_speakers::meeting_id.eq(meeting_id))
        .order((
            session_speakers::session_id.asc(),
            session_speakers::position.asc(),
        ))
        .select((
            (
                session_speakers::session_id,
                session_speakers::role,
                session_speakers::registration_id,
                session_speakers::name,
                session_speakers::organization,
                session_speakers::public,
            ),
            (
                registrations::full_name.nullable(),
                organizations::name.nullable(),
                registrations::status.nullable(),
                registrations::consent_press_listing.nullable(),
            ),
        ))
        .load(conn)?;
    let mut speakers: HashMap<String, Vec<SpeakerView>> = HashMap::new();
    for (
        (session_id, role, registration_id, name, organization, marked_public),
        (registered_name, registered_org, status, consent),
    ) in rows
    {
        let listed = status.as_deref() == Some("confirmed") && consent == Some(true);
        let registered = registration_id.is_some();
        if audience == Audience::Public && registered && !(listed || marked_public) {
            continue;
        }
        speakers.entry(session_id).or_default().push(SpeakerView {
            role,
            name: registered_name.or(name).unwrap_or_default(),
            organization: registered_org.or(organization),
            public: (audience == Audience::Organizer && registered).then_some(marked_public),
            registration_id,
        });
    }
    Ok(speakers)
}

/// One session of the meeting as the agenda shows it, or 404.
pub fn item(conn: &mut DbConn, meeting: &Meeting, id: &str) -> AppResult<AgendaItem> {
    agenda(conn, &meeting.id, Audience::Organizer)?
        .into_iter()
        .find(|item| item.session.id == id)
        .ok_or(AppError::NotFound)
}
