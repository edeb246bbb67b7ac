//! Rooms, sessions and speakers in storage. Every change runs under the meeting lock, so two
//! concurrent edits cannot both pass the clash checks.

use super::model::{
    coalesce, NewRoom, Person, Room, RoomRef, Session, SessionChange, SessionDraft,
    SessionSnapshot, SessionView, SpeakerView,
};
use crate::audit::{self, Actor};
use crate::db::{new_id, unique_violation, DbConn};
use crate::email::{outbox, ParticipantMail};
use crate::error::{AppError, AppResult, FieldError, Problem};
use crate::meetings::{self, Meeting, MeetingStatus};
use crate::registrations::model::RegistrationStatus;
use crate::schema::{
    agenda_changes, organizations, registrations, rooms, session_speakers, sessions,
};
use crate::values::Language;
use chrono::NaiveDateTime;
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
    let all_sessions: Vec<Session> = sessions::table
        .filter(sessions::meeting_id.eq(meeting_id))
        .order((
            sessions::starts_at.asc(),
            sessions::position.asc(),
            sessions::id.asc(),
        ))
        .select(Session::as_select())
        .load(conn)?;
    let rooms_by_id: HashMap<String, Room> = rooms(conn, meeting_id)?
        .into_iter()
        .map(|r| (r.id.clone(), r))
        .collect();
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

pub fn rooms(conn: &mut DbConn, meeting_id: &str) -> AppResult<Vec<Room>> {
    Ok(rooms::table
        .filter(rooms::meeting_id.eq(meeting_id))
        .order((rooms::name.asc(), rooms::id.asc()))
        .select(Room::as_select())
        .load(conn)?)
}

fn room_exists() -> AppError {
    AppError::conflict("room_exists", "this meeting has a room of that name")
}

pub fn create_room(
    conn: &mut DbConn,
    meeting: &Meeting,
    new: &NewRoom,
    account_id: &str,
    now: NaiveDateTime,
) -> AppResult<Room> {
    conn.transaction(|conn| {
        let id = new_id();
        let inserted = conn.transaction(|conn| {
            diesel::insert_into(rooms::table)
                .values((
                    rooms::id.eq(&id),
                    rooms::meeting_id.eq(&meeting.id),
                    rooms::name.eq(&new.name),
                    rooms::capacity.eq(new.capacity),
                    rooms::created_at.eq(now),
                ))
                .execute(conn)
        });
        match inserted {
            Ok(_) => {}
            Err(e) if unique_violation(&e) => return Err(room_exists()),
            Err(e) => return Err(e.into()),
        }
        audit::record(
            conn,
            audit::NewEntry {
                actor: &Actor::Account(account_id),
                action: "room.created",
                meeting_id: Some(&meeting.id),
                subject_id: Some(&id),
                detail: &new.name,
            },
            now,
        )?;
        room(conn, meeting, &id)
    })
}

fn room(conn: &mut DbConn, meeting: &Meeting, id: &str) -> AppResult<Room> {
    Ok(rooms::table
        .filter(rooms::id.eq(id))
        .filter(rooms::meeting_id.eq(&meeting.id))
        .select(Room::as_select())
        .first(conn)?)
}

pub fn update_room(
    conn: &mut DbConn,
    meeting: &Meeting,
    id: &str,
    new: &NewRoom,
    account_id: &str,
    now: NaiveDateTime,
) -> AppResult<Room> {
    conn.transaction(|conn| {
        let before = room(conn, meeting, id)?;
        let updated = conn.transaction(|conn| {
            diesel::update(rooms::table.find(id))
                .set((rooms::name.eq(&new.name), rooms::capacity.eq(new.capacity)))
                .execute(conn)
        });
        match updated {
            Ok(_) => {}
            Err(e) if unique_violation(&e) => return Err(room_exists()),
            Err(e) => return Err(e.into()),
        }
        audit::record(
            conn,
            audit::NewEntry {
                actor: &Actor::Account(account_id),
                action: "room.updated",
                meeting_id: Some(&meeting.id),
                subject_id: Some(id),
                detail: &new.name,
            },
            now,
        )?;
        if before.name != new.name && meeting.status() == MeetingStatus::Published {
            // Sessions in a renamed room have moved, as far as a reader can tell.
            let affected: Vec<Session> = sessions::table
                .filter(sessions::room_id.eq(id))
                .select(Session::as_select())
                .load(conn)?;
            for session in affected {
                let change = SessionChange {
                    session_id: session.id.clone(),
                    before: SessionSnapshot::of(&session, Some(&before.name)),
                    after: Some(SessionSnapshot::of(&session, Some(&new.name))),
                };
                record_change(conn, &meeting.id, &change, now)?;
            }
        }
        room(conn, meeting, id)
    })
}

pub fn delete_room(
    conn: &mut DbConn,
    meeting: &Meeting,
    id: &str,
    account_id: &str,
    now: NaiveDateTime,
) -> AppResult<()> {
    conn.transaction(|conn| {
        room(conn, meeting, id)?;
        let used: i64 = sessions::table
            .filter(sessions::room_id.eq(id))
            .count()
            .get_result(conn)?;
        if used > 0 {
            return Err(AppError::conflict(
                "room_in_use",
                "sessions are planned in this room; move them first",
            ));
        }
        diesel::delete(rooms::table.find(id)).execute(conn)?;
        audit::record(
            conn,
            audit::NewEntry {
                actor: &Actor::Account(account_id),
                action: "room.deleted",
                meeting_id: Some(&meeting.id),
                subject_id: Some(id),
                detail: "",
            },
            now,
        )
    })
}

fn clash(
    field: &str,
    code: &'static str,
    message: String,
    meeting: &Meeting,
    other: &Session,
) -> AppError {
    AppError::Clash(FieldError {
        field: Some(field.to_owned()),
        code,
        message,
        session: Some(serde_json::json!({
            "id": other.id,
            "title": other.title,
            "starts_at": meeting.rfc3339(other.starts_at),
            "ends_at": meeting.rfc3339(other.ends_at),
        })),
    })
}

/// The room and the people must exist in this meeting and be free at that time (sessions
/// that only touch, one ending as the next starts, do not clash).
fn check(
    conn: &mut DbConn,
    meeting: &Meeting,
    draft: &SessionDraft,
    this: Option<&str>,
) -> AppResult<()> {
    let overlapping = || {
        sessions::table
            .filter(sessions::meeting_id.eq(meeting.id.clone()))
            .filter(sessions::starts_at.lt(draft.ends_at))
            .filter(sessions::ends_at.gt(draft.starts_at))
            .filter(sessions::id.ne(this.unwrap_or("").to_owned()))
    };
    if let Some(room_id) = &draft.room_id {
        let room = room(conn, meeting, room_id).map_err(|e| match e {
            AppError::NotFound => AppError::invalid(
                "room_id",
                Problem::new("unknown", "no such room in this meeting"),
            ),
            other => other,
        })?;
        let taken: Option<Session> = overlapping()
            .filter(sessions::room_id.eq(room_id))
            .select(Session::as_select())
            .first(conn)
            .optional()?;
        if let Some(other) = taken {
            let message = format!("{} is taken at that time by \"{}\"", room.name, other.title);
            return Err(clash("room_id", "room_conflict", message, meeting, &other));
        }
    }
    let mut bad = Vec::new();
    for (i, speaker) in draft.speakers.iter().enumerate() {
        if let Person::Registration(id) = &speaker.person {
            let found: i64 = registrations::table
                .filter(registrations::id.eq(id))
                .filter(registrations::meeting_id.eq(&meeting.id))
                .count()
                .get_result(conn)?;
            if found == 0 {
                bad.push(FieldError::new(
                    &format!("speakers[{i}]"),
                    Problem::new("unknown", "no such registration in this meeting"),
                ));
            }
        }
    }
    if !bad.is_empty() {
        return Err(AppError::Invalid(bad));
    }
    let keys: Vec<String> = draft.speakers.iter().map(|s| s.person_key()).collect();
    if !keys.is_empty() {
        let busy: Option<(Session, String)> = overlapping()
            .inner_join(session_speakers::table)
            .filter(session_speakers::person_key.eq_any(&keys))
            .select((Session::as_select(), session_speakers::person_key))
            .first(conn)
            .optional()?;
        if let Some((other, key)) = busy {
            let who = draft
                .speakers
                .iter()
                .find(|s| s.person_key() == key)
                .map(|s| match &s.person {
                    Person::Guest { name, .. } => name.clone(),
                    Person::Registration(_) => "A registered participant".to_owned(),
                })
                .unwrap_or_default();
            let message = format!("{who} is already at \"{}\" at that time", other.title);
            return Err(clash(
                "speakers",
                "speaker_conflict",
                message,
                meeting,
                &other,
            ));
        }
    }
    Ok(())
}

fn write_speakers(
    conn: &mut DbConn,
    meeting: &Meeting,
    session_id: &str,
    draft: &SessionDraft,
) -> AppResult<()> {
    diesel::delete(session_speakers::table.filter(session_speakers::session_id.eq(session_id)))
        .execute(conn)?;
    for (position, speaker) in draft.speakers.iter().enumerate() {
        let (registration_id, name, organization) = match &speaker.person {
            Person::Registration(id) => (Some(id.as_str()), None, None),
            Person::Guest { name, organization } => {
                (None, Some(name.as_str()), organization.as_deref())
            }
        };
        diesel::insert_into(session_speakers::table)
            .values((
                session_speakers::id.eq(new_id()),
                session_speakers::session_id.eq(session_id),
                session_speakers::meeting_id.eq(&meeting.id),
                session_speakers::role.eq(speaker.role.as_str()),
                session_speakers::registration_id.eq(registration_id),
                session_speakers::name.eq(name),
                session_speakers::organization.eq(organization),
                session_speakers::person_key.eq(speaker.person_key()),
                session_speakers::position.eq(position as i32),
                session_speakers::public.eq(speaker.public),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// One session of the meeting as the agenda shows it, or 404.
pub fn item(conn: &mut DbConn, meeting: &Meeting, id: &str) -> AppResult<AgendaItem> {
    agenda(conn, &meeting.id, Audience::Organizer)?
        .into_iter()
        .find(|item| item.session.id == id)
        .ok_or(AppError::NotFound)
}

fn session_in(conn: &mut DbConn, meeting: &Meeting, id: &str) -> AppResult<Session> {
    Ok(sessions::table
        .filter(sessions::id.eq(id))
        .filter(sessions::meeting_id.eq(&meeting.id))
        .select(Session::as_select())
        .first(conn)?)
}

fn room_name(conn: &mut DbConn, room_id: Option<&str>) -> AppResult<Option<String>> {
    match room_id {
        None => Ok(None),
        Some(id) => Ok(rooms::table
            .find(id)
            .select(rooms::name)
            .first(conn)
            .optional()?),
    }
}

pub fn create_session(
    conn: &mut DbConn,
    meeting: &Meeting,
    draft: &SessionDraft,
    account_id: &str,
    now: NaiveDateTime,
) -> AppResult<AgendaItem> {
    conn.transaction(|conn| {
        meetings::store::lock(conn, &meeting.id)?;
        check(conn, meeting, draft, None)?;
        let id = new_id();
        diesel::insert_into(sessions::table)
            .values((
                sessions::id.eq(&id),
                sessions::meeting_id.eq(&meeting.id),
                sessions::title.eq(&draft.title),
                sessions::description.eq(&draft.description),
                sessions::kind.eq(draft.kind.as_str()),
                sessions::starts_at.eq(draft.starts_at),
                sessions::ends_at.eq(draft.ends_at),
                sessions::room_id.eq(&draft.room_id),
                sessions::language.eq(draft.language.as_str()),
                sessions::interpretation.eq(draft.interpretation),
                sessions::position.eq(draft.position),
                sessions::translations
                    .eq(serde_json::to_string(&draft.translations).map_err(anyhow::Error::from)?),
                sessions::created_at.eq(now),
                sessions::updated_at.eq(now),
            ))
            .execute(conn)?;
        write_speakers(conn, meeting, &id, draft)?;
        audit::record(
            conn,
            audit::NewEntry {
                actor: &Actor::Account(account_id),
                action: "session.created",
                meeting_id: Some(&meeting.id),
                subject_id: Some(&id),
                detail: &draft.title,
            },
            now,
        )?;
        item(conn, meeting, &id)
    })
}

/// The session as its form, so a PATCH can be laid over it and checked like a new one.
pub fn session_form(
    conn: &mut DbConn,
    meeting: &Meeting,
    id: &str,
) -> AppResult<super::model::SessionForm> {
    let item = item(conn, meeting, id)?;
    let session = &item.session;
    type SpeakerFields = (String, Option<String>, Option<String>, Option<String>, bool);
    let rows: Vec<SpeakerFields> = session_speakers::table
        .filter(session_speakers::session_id.eq(id))
        .order(session_speakers::position.asc())
        .select((
            session_speakers::role,
            session_speakers::registration_id,
            session_speakers::name,
            session_speakers::organization,
            session_speakers::public,
        ))
        .load(conn)?;
    let speakers = rows
        .into_iter()
        .map(
            |(role, registration_id, name, organization, public)| super::model::SpeakerForm {
                public: registration_id.is_some().then_some(public),
                registration_id,
                name,
                organization,
                role: Some(role),
            },
        )
        .collect();
    Ok(super::model::SessionForm {
        title: Some(session.title.clone()),
        description: Some(session.description.clone()),
        kind: Some(session.kind.clone()),
        starts_at: Some(meeting.rfc3339(session.starts_at)),
        ends_at: Some(meeting.rfc3339(session.ends_at)),
        room_id: session.room_id.clone(),
        language: Some(session.language.clone()),
        interpretation: Some(session.interpretation),
        position: Some(session.position),
        translations: Some(
            session
                .translations()
                .into_iter()
                .map(|(l, t)| (l.as_str().to_owned(), t))
                .collect(),
        ),
        speakers: Some(speakers),
    })
}

pub fn update_session(
    conn: &mut DbConn,
    meeting: &Meeting,
    id: &str,
    draft: &SessionDraft,
    account_id: &str,
    now: NaiveDateTime,
) -> AppResult<AgendaItem> {
    conn.transaction(|conn| {
        meetings::store::lock(conn, &meeting.id)?;
        let before = session_in(conn, meeting, id)?;
        check(conn, meeting, draft, Some(id))?;
        diesel::update(sessions::table.find(id))
            .set((
                sessions::title.eq(&draft.title),
                sessions::description.eq(&draft.description),
                sessions::kind.eq(draft.kind.as_str()),
                sessions::starts_at.eq(draft.starts_at),
                sessions::ends_at.eq(draft.ends_at),
                sessions::room_id.eq(&draft.room_id),
                sessions::language.eq(draft.language.as_str()),
                sessions::interpretation.eq(draft.interpretation),
                sessions::position.eq(draft.position),
                sessions::translations
                    .eq(serde_json::to_string(&draft.translations).map_err(anyhow::Error::from)?),
                sessions::updated_at.eq(now),
            ))
            .execute(conn)?;
        write_speakers(conn, meeting, id, draft)?;
        audit::record(
            conn,
            audit::NewEntry {
                actor: &Actor::Account(account_id),
                action: "session.updated",
                meeting_id: Some(&meeting.id),
                subject_id: Some(id),
                detail: &draft.title,
            },
            now,
        )?;
        let after = session_in(conn, meeting, id)?;
        let change = SessionChange {
            session_id: id.to_owned(),
            before: SessionSnapshot::of(
                &before,
                room_name(conn, before.room_id.as_deref())?.as_deref(),
            ),
            after: Some(SessionSnapshot::of(
                &after,
                room_name(conn, after.room_id.as_deref())?.as_deref(),
            )),
        };
        if meeting.status() == MeetingStatus::Published
            && change
                .after
                .as_ref()
                .is_some_and(|a| a.moved_from(&change.before))
        {
            record_change(conn, &meeting.id, &change, now)?;
        }
        item(conn, meeting, id)
    })
}

pub fn delete_session(
    conn: &mut DbConn,
    meeting: &Meeting,
    id: &str,
    account_id: &str,
    now: NaiveDateTime,
) -> AppResult<()> {
    conn.transaction(|conn| {
        meetings::store::lock(conn, &meeting.id)?;
        let before = session_in(conn, meeting, id)?;
        let room = room_name(conn, before.room_id.as_deref())?;
        diesel::delete(sessions::table.find(id)).execute(conn)?;
        audit::record(
            conn,
            audit::NewEntry {
                actor: &Actor::Account(account_id),
                action: "session.deleted",
                meeting_id: Some(&meeting.id),
                subject_id: Some(id),
                detail: &before.title,
            },
            now,
        )?;
        if meeting.status() == MeetingStatus::Published {
            let change = SessionChange {
                session_id: id.to_owned(),
                before: SessionSnapshot::of(&before, room.as_deref()),
                after: None,
            };
            record_change(conn, &meeting.id, &change, now)?;
        }
        Ok(())
    })
}

fn record_change(
    conn: &mut DbConn,
    meeting_id: &str,
    change: &SessionChange,
    now: NaiveDateTime,
) -> AppResult<()> {
    diesel::insert_into(agenda_changes::table)
        .values((
            agenda_changes::id.eq(new_id()),
            agenda_changes::meeting_id.eq(meeting_id),
            agenda_changes::session_id.eq(&change.session_id),
            agenda_changes::at.eq(now),
            agenda_changes::change.eq(serde_json::to_string(change).map_err(anyhow::Error::from)?),
        ))
        .execute(conn)?;
    Ok(())
}

/// Sends the batched change notices that are due: a meeting's changes go out once no edit has
/// come for `quiet`, or once the oldest has waited `max_wait`. One email per confirmed
/// participant per batch, through the outbox. Answers how many meetings were notified.
pub fn notify_changes(
    conn: &mut DbConn,
    now: NaiveDateTime,
    quiet: chrono::Duration,
    max_wait: chrono::Duration,
) -> AppResult<usize> {
    let pending: Vec<(String, Option<NaiveDateTime>, Option<NaiveDateTime>)> =
        agenda_changes::table
            .filter(agenda_changes::notified_at.is_null())
            .group_by(agenda_changes::meeting_id)
            .select((
                agenda_changes::meeting_id,
                diesel::dsl::min(agenda_changes::at),
                diesel::dsl::max(agenda_changes::at),
            ))
            .load(conn)?;
    let mut notified = 0;
    for (meeting_id, first, last) in pending {
        let due = last.is_some_and(|last| last <= now - quiet)
            || first.is_some_and(|first| first <= now - max_wait);
        if due {
            notify_meeting(conn, &meeting_id, now)?;
            notified += 1;
        }
    }
    Ok(notified)
}

fn notify_meeting(conn: &mut DbConn, meeting_id: &str, now: NaiveDateTime) -> AppResult<()> {
    conn.transaction(|conn| {
        // Under the lock, a second worker finds the batch already taken.
        meetings::store::lock(conn, meeting_id)?;
        let rows: Vec<(String, String)> = agenda_changes::table
            .filter(agenda_changes::meeting_id.eq(meeting_id))
            .filter(agenda_changes::notified_at.is_null())
            .order((agenda_changes::at.asc(), agenda_changes::id.asc()))
            .select((agenda_changes::id, agenda_changes::change))
            .load(conn)?;
        if rows.is_empty() {
            return Ok(());
        }
        let ids: Vec<&str> = rows.iter().map(|(id, _)| id.as_str()).collect();
        diesel::update(agenda_changes::table.filter(agenda_changes::id.eq_any(&ids)))
            .set(agenda_changes::notified_at.eq(now))
            .execute(conn)?;
        let changes = coalesce(
            rows.iter()
                .filter_map(|(_, change)| serde_json::from_str(change).ok())
                .collect(),
        );
        if changes.is_empty() {
            return Ok(());
        }
        let recipients: Vec<(String, String)> = registrations::table
            .filter(registrations::meeting_id.eq(meeting_id))
            .filter(registrations::status.eq(RegistrationStatus::Confirmed.as_str()))
            .select((registrations::id, registrations::email))
            .load(conn)?;
        let mail = ParticipantMail::AgendaChanged { changes };
        for (registration_id, email) in &recipients {
            outbox::enqueue(conn, meeting_id, registration_id, email, &mail, now)?;
        }
        audit::record(
            conn,
            audit::NewEntry {
                actor: &Actor::System,
                action: "agenda.notified",
                meeting_id: Some(meeting_id),
                subject_id: Some(meeting_id),
                detail: &format!("{} participants", recipients.len()),
            },
            now,
        )
    })
}
