//! The meeting's rooms: created, renamed (which moves its sessions, as a reader sees it) and
//! deleted once no session uses them.

use super::changes::record_change;
use crate::agenda::model::{NewRoom, Room, Session, SessionChange, SessionSnapshot};
use crate::audit::{self, Actor};
use crate::db::{new_id, unique_violation, DbConn};
use crate::error::{AppError, AppResult};
use crate::meetings::{Meeting, MeetingStatus};
use crate::schema::{rooms, sessions};
use chrono::NaiveDateTime;
use diesel::prelude::*;

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

pub(super) fn room(conn: &mut DbConn, meeting: &Meeting, id: &str) -> AppResult<Room> {
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
