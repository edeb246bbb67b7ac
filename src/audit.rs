//! The audit log: who changed what, when. Details never hold personal data beyond ids.

use crate::db::{new_id, DbConn};
use crate::error::AppResult;
use crate::schema::audit_log;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// Who did it.
#[derive(Debug, Clone)]
pub enum Actor<'a> {
    Account(&'a str),
    Participant(&'a str),
    System,
}

impl Actor<'_> {
    pub(crate) fn label(&self) -> String {
        match self {
            Self::Account(id) => format!("account:{id}"),
            Self::Participant(id) => format!("participant:{id}"),
            Self::System => "system".to_owned(),
        }
    }
}

/// One change for the audit log: who did what, in which meeting, to which subject. The
/// detail holds statuses, counts and ids, never personal text.
pub struct NewEntry<'a> {
    pub actor: &'a Actor<'a>,
    pub action: &'a str,
    pub meeting_id: Option<&'a str>,
    pub subject_id: Option<&'a str>,
    pub detail: &'a str,
}

pub fn record(conn: &mut DbConn, entry: NewEntry<'_>, now: NaiveDateTime) -> AppResult<()> {
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::id.eq(new_id()),
            audit_log::at.eq(now),
            audit_log::actor.eq(entry.actor.label()),
            audit_log::action.eq(entry.action),
            audit_log::meeting_id.eq(entry.meeting_id),
            audit_log::subject_id.eq(entry.subject_id),
            audit_log::detail.eq(entry.detail),
        ))
        .execute(conn)?;
    // The change's webhook deliveries, in its transaction: audited is told.
    let change = crate::webhooks::store::Change {
        action: entry.action,
        meeting_id: entry.meeting_id,
        subject_id: entry.subject_id,
        detail: entry.detail,
    };
    crate::webhooks::store::queue(conn, &change, now)
}

#[derive(Debug, Queryable, serde::Serialize)]
pub struct Entry {
    pub at: NaiveDateTime,
    pub actor: String,
    pub action: String,
    pub subject_id: Option<String>,
    pub detail: String,
}

/// The entries about one subject (a registration, a meeting), oldest first.
pub fn about(conn: &mut DbConn, subject_id: &str) -> AppResult<Vec<Entry>> {
    Ok(audit_log::table
        .filter(audit_log::subject_id.eq(subject_id))
        .order((audit_log::at.asc(), audit_log::id.asc()))
        .select((
            audit_log::at,
            audit_log::actor,
            audit_log::action,
            audit_log::subject_id,
            audit_log::detail,
        ))
        .load(conn)?)
}
