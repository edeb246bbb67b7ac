//! The organizer's search: a folded key stored with each registration
//! ([`crate::registrations::model::search_text`]), found through a trigram index on each
//! backend (`pg_trgm` on PostgreSQL, FTS5's trigram tokenizer on SQLite), so a search reads the
//! rows that contain the text, not the whole meeting.

use super::*;
use diesel::sql_types::{Bool, Text};

/// Fewer characters than a trigram: no index can help, so such a search reads the meeting.
const SHORTEST_INDEXED: usize = 3;

/// A condition on the organizer's list (registrations joined with their organisations).
pub(super) type Condition = Box<
    dyn BoxableExpression<
        diesel::dsl::InnerJoinQuerySource<registrations::table, organizations::table>,
        <DbConn as Connection>::Backend,
        SqlType = Bool,
    >,
>;

/// How a search finds its rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Finding {
    /// Through SQLite's trigram index (`registrations_search`): it names the rows that hold
    /// the text, however few, wherever they are.
    Indexed,
    /// By testing the key of each row read: on PostgreSQL, where the planner takes the trigram
    /// index for `LIKE` on its own, and for SQLite's probe of the next rows in order.
    Tested,
}

impl Finding {
    /// Through the index whenever it can help: on SQLite, for a text as long as a trigram.
    pub(super) fn best(conn: &DbConn, folded: Option<&str>) -> Self {
        match (conn, folded) {
            (DbConn::Sqlite(_), Some(q)) if q.chars().count() >= SHORTEST_INDEXED => Self::Indexed,
            _ => Self::Tested,
        }
    }
}

/// The condition "in this meeting". When SQLite's search index will name the rows, the
/// meeting's own index is kept out of the plan (a unary `+`): without statistics SQLite would
/// otherwise walk the whole meeting in id order, testing each row against the index's answer,
/// instead of fetching the few rows it names.
pub(super) fn in_meeting(meeting_id: &str, finding: Finding) -> Condition {
    match finding {
        Finding::Indexed => Box::new(
            diesel::dsl::sql::<Bool>("+registrations.meeting_id = ")
                .bind::<Text, _>(meeting_id.to_owned()),
        ),
        Finding::Tested => Box::new(registrations::meeting_id.eq(meeting_id.to_owned())),
    }
}

/// The condition "the key contains `folded`" (text already folded as keys are).
pub(super) fn containing(folded: &str, finding: Finding) -> Condition {
    match finding {
        // FTS5 answers a phrase with the rows holding it as a substring (every trigram in
        // order); the table's rowids are the registrations'.
        Finding::Indexed => Box::new(
            diesel::dsl::sql::<Bool>(
                "registrations.rowid IN (SELECT rowid FROM registrations_search \
                 WHERE registrations_search MATCH ",
            )
            .bind::<Text, _>(format!("\"{}\"", folded.replace('"', "\"\"")))
            .sql(")"),
        ),
        Finding::Tested => {
            let escaped = folded
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            Box::new(
                registrations::search_text
                    .like(format!("%{escaped}%"))
                    .escape('\\'),
            )
        }
    }
}

/// Writes the folded key of every registration whose key is empty: all of them once after the
/// migration that began folding (a migration cannot run Rust), none afterwards. In batches, so
/// no transaction grows with the table.
pub fn refold_search_text(conn: &mut DbConn) -> AppResult<usize> {
    let mut refolded = 0;
    loop {
        let batch: Vec<(String, String, String, String, Option<String>)> = registrations::table
            .inner_join(organizations::table)
            .filter(registrations::search_text.eq(""))
            .select((
                registrations::id,
                registrations::full_name,
                registrations::email,
                organizations::name,
                registrations::job_title,
            ))
            .limit(500)
            .load(conn)?;
        if batch.is_empty() {
            break;
        }
        conn.transaction(|conn| {
            for (id, name, email, organization, job_title) in &batch {
                let key = search_text(name, email, organization, job_title.as_deref());
                diesel::update(registrations::table.find(id))
                    .set(registrations::search_text.eq(key))
                    .execute(conn)?;
            }
            AppResult::Ok(())
        })?;
        refolded += batch.len();
    }
    if refolded > 0 {
        tracing::info!(registrations.refolded = refolded, "search keys folded");
    }
    Ok(refolded)
}
