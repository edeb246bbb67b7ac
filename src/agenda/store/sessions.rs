//! Sessions: created, edited and deleted under the meeting lock, after the clash checks (the
//! room and each speaker free at that time), with their speakers written alongside.

use super::changes::record_change;
use super::rooms::room;
use super::{item, AgendaItem};
use crate::agenda::model::{
    Person, Session, SessionChange, SessionDraft, SessionForm, SessionSnapshot, SpeakerForm,
};
use crate::audit::{self, Actor};
use crate::db::{new_id, DbConn};
use crate::error::{AppError, AppResult, FieldError, Problem};
use crate::meetings::{self, Meeting, MeetingStatus};
use crate::schema::{registrations, rooms, session_speakers, sessions};
use chrono::NaiveDateTime;
use diesel::prelude::*;

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
pub fn session_form(conn: &mut DbConn, meeting: &Meeting, id: &str) -> AppResult<SessionForm> {
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
            |(role, registration_id, name, organization, public)| SpeakerForm {
                public: registration_id.is_some().then_some(public),
                registration_id,
                name,
                organization,
                role: Some(role),
            },
        )
        .collect();
    Ok(SessionForm {
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
