//! Organizer accounts in storage.

use super::model::NewAccount;
use crate::db::{new_id, DbConn};
use crate::error::{AppError, AppResult};
use crate::schema::{accounts, meeting_organizers};
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// Creates an account from an already-hashed password.
pub fn create(
    conn: &mut DbConn,
    account: &NewAccount,
    password_hash: &str,
    now: NaiveDateTime,
) -> AppResult<String> {
    let id = new_id();
    // Not a failing insert for a taken address: PostgreSQL would write it into its log.
    let insert = diesel::insert_into(accounts::table)
        .values((
            accounts::id.eq(&id),
            accounts::email.eq(account.email.as_str()),
            accounts::email_key.eq(account.email.key()),
            accounts::name.eq(&account.name),
            accounts::password_hash.eq(password_hash),
            accounts::created_at.eq(now),
        ))
        .on_conflict_do_nothing();
    let inserted = crate::on_each_backend!(conn, each => insert.execute(each))?;
    if inserted == 1 {
        Ok(id)
    } else {
        Err(AppError::conflict(
            "email_taken",
            "an organizer account with this email exists",
        ))
    }
}

/// The account id and password hash for a login address, if the account exists.
pub fn credentials(conn: &mut DbConn, email_key: &str) -> AppResult<Option<(String, String)>> {
    Ok(accounts::table
        .filter(accounts::email_key.eq(email_key))
        .select((accounts::id, accounts::password_hash))
        .first(conn)
        .optional()?)
}

pub fn exists(conn: &mut DbConn, email_key: &str) -> AppResult<bool> {
    Ok(credentials(conn, email_key)?.is_some())
}

pub fn id_by_email(conn: &mut DbConn, email_key: &str) -> AppResult<Option<String>> {
    Ok(credentials(conn, email_key)?.map(|(id, _)| id))
}

/// Whether the account organizes the meeting.
pub fn organizes(conn: &mut DbConn, meeting_id: &str, account_id: &str) -> AppResult<bool> {
    let found: Option<String> = meeting_organizers::table
        .filter(meeting_organizers::meeting_id.eq(meeting_id))
        .filter(meeting_organizers::account_id.eq(account_id))
        .select(meeting_organizers::account_id)
        .first(conn)
        .optional()?;
    Ok(found.is_some())
}

pub fn add_organizer(conn: &mut DbConn, meeting_id: &str, account_id: &str) -> AppResult<()> {
    diesel::insert_into(meeting_organizers::table)
        .values((
            meeting_organizers::meeting_id.eq(meeting_id),
            meeting_organizers::account_id.eq(account_id),
        ))
        .execute(conn)?;
    Ok(())
}

/// The names of these accounts, by id (an account gone is left out).
pub fn names(
    conn: &mut DbConn,
    ids: &[&str],
) -> AppResult<std::collections::HashMap<String, String>> {
    Ok(accounts::table
        .filter(accounts::id.eq_any(ids))
        .select((accounts::id, accounts::name))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect())
}
