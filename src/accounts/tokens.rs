//! Bearer tokens: 256 random bits shown once, stored as a SHA-256 digest and looked up by it.
//! A digest lookup is as safe as a constant-time compare here: an attacker cannot steer which
//! stored digest a guess is compared against.

use crate::db::{new_id, DbConn};
use crate::error::AppResult;
use crate::schema::tokens;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// An organizer's API token.
    Organizer,
    /// Confirms a participant's email address.
    Confirm,
    /// Lets a participant see and change their own registration.
    Manage,
    /// Lets a press contact read one meeting's attendee list.
    Press,
    /// An organizer's dashboard session (the cookie).
    Session,
    /// Lets a check-in desk list one meeting's confirmed participants and check them in.
    Desk,
}

impl TokenKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Organizer => "organizer",
            Self::Confirm => "confirm",
            Self::Manage => "manage",
            Self::Press => "press",
            Self::Session => "session",
            Self::Desk => "desk",
        }
    }
}

/// A fresh token, as given to its holder.
pub fn generate() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

pub fn digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = tokens)]
pub struct TokenRow {
    pub id: String,
    pub digest: String,
    pub kind: String,
    pub account_id: Option<String>,
    pub registration_id: Option<String>,
    pub meeting_id: Option<String>,
    pub expires_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
}

/// What a token is for: its owner and its limits.
#[derive(Debug, Default)]
pub struct Grant<'a> {
    pub account_id: Option<&'a str>,
    pub registration_id: Option<&'a str>,
    pub meeting_id: Option<&'a str>,
    pub label: Option<&'a str>,
    pub expires_at: Option<NaiveDateTime>,
}

/// A token just made: its id, and the token itself, which is not kept.
pub struct Issued {
    pub id: String,
    pub token: String,
}

/// Stores the digest of a new token and answers the token itself.
pub fn issue(
    conn: &mut DbConn,
    kind: TokenKind,
    grant: Grant<'_>,
    now: NaiveDateTime,
) -> AppResult<String> {
    Ok(issue_with_id(conn, kind, grant, now)?.token)
}

pub fn issue_with_id(
    conn: &mut DbConn,
    kind: TokenKind,
    grant: Grant<'_>,
    now: NaiveDateTime,
) -> AppResult<Issued> {
    let token = generate();
    let id = store(conn, &token, kind, grant, now)?;
    Ok(Issued { id, token })
}

/// Stores the digest of a token made earlier with [`generate`] (the email worker writes the
/// links into an email first, and stores all of a batch's tokens in one short transaction);
/// answers the token's id.
pub fn store(
    conn: &mut DbConn,
    token: &str,
    kind: TokenKind,
    grant: Grant<'_>,
    now: NaiveDateTime,
) -> AppResult<String> {
    let id = new_id();
    diesel::insert_into(tokens::table)
        .values((
            tokens::id.eq(&id),
            tokens::digest.eq(digest(token)),
            tokens::kind.eq(kind.as_str()),
            tokens::account_id.eq(grant.account_id),
            tokens::registration_id.eq(grant.registration_id),
            tokens::meeting_id.eq(grant.meeting_id),
            tokens::label.eq(grant.label),
            tokens::expires_at.eq(grant.expires_at),
            tokens::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(id)
}

/// Stores a link's token for a registration and revokes the earlier ones of that kind: a
/// registration has one live link of each kind, the one in the latest email, so a link
/// forwarded or left in an old email stops working once a newer one is sent.
pub fn replace(
    conn: &mut DbConn,
    token: &str,
    kind: TokenKind,
    grant: Grant<'_>,
    now: NaiveDateTime,
) -> AppResult<String> {
    if let Some(registration_id) = grant.registration_id {
        revoke_all(conn, kind, registration_id, now)?;
    }
    store(conn, token, kind, grant, now)
}

/// Revokes every live token of that kind held for a registration; answers how many.
pub fn revoke_all(
    conn: &mut DbConn,
    kind: TokenKind,
    registration_id: &str,
    now: NaiveDateTime,
) -> AppResult<usize> {
    hold_links(conn, &[registration_id])?;
    Ok(diesel::update(
        tokens::table
            .filter(tokens::registration_id.eq(registration_id))
            .filter(tokens::kind.eq(kind.as_str()))
            .filter(tokens::revoked_at.is_null()),
    )
    .set(tokens::revoked_at.eq(now))
    .execute(conn)?)
}

/// On PostgreSQL, two emails of one registration prepared at once (two workers, or a
/// sign-out) take turns from here; otherwise each would miss the other's new token and both
/// stay live. NO KEY UPDATE leaves the registration free for rows that merely refer to it.
/// Several are held in the order of their ids, so that two workers holding overlapping sets
/// wait for each other rather than deadlock.
fn hold_links(conn: &mut DbConn, registration_ids: &[&str]) -> AppResult<()> {
    if let DbConn::Postgres(pg) = conn {
        use crate::schema::registrations;
        registrations::table
            .filter(registrations::id.eq_any(registration_ids))
            .select(registrations::id)
            .order(registrations::id)
            .for_no_key_update()
            .load::<String>(pg)?;
    }
    Ok(())
}

/// A link's token for `replace_all`.
pub struct NewLink<'a> {
    pub token: &'a str,
    pub kind: TokenKind,
    pub expires_at: Option<NaiveDateTime>,
}

/// The links one email carries to one registration.
pub struct EmailLinks<'a> {
    pub registration_id: &'a str,
    pub meeting_id: &'a str,
    pub links: Vec<NewLink<'a>>,
}

/// Stores the links of several emails, in the order given, as `replace` would one after
/// another: each link revokes the earlier ones of its kind for its registration, so of two
/// emails to one registration only the later one's links stay live. A constant number of
/// statements whatever the number of emails (on PostgreSQL; SQLite inserts row by row, its
/// writer being in this process): the hold, a revocation per kind, the insert.
pub fn replace_all(
    conn: &mut DbConn,
    emails: &[EmailLinks<'_>],
    now: NaiveDateTime,
) -> AppResult<()> {
    use std::collections::{BTreeMap, BTreeSet, HashMap};
    if emails.is_empty() {
        return Ok(());
    }
    let held: BTreeSet<&str> = emails.iter().map(|e| e.registration_id).collect();
    hold_links(conn, &held.into_iter().collect::<Vec<_>>())?;
    let mut by_kind: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    // Which email holds the last link of each registration and kind: it alone stays live.
    let mut last = HashMap::new();
    for (i, email) in emails.iter().enumerate() {
        for link in &email.links {
            by_kind
                .entry(link.kind.as_str())
                .or_default()
                .insert(email.registration_id);
            last.insert((email.registration_id, link.kind.as_str()), i);
        }
    }
    for (kind, registration_ids) in by_kind {
        diesel::update(
            tokens::table
                .filter(tokens::registration_id.eq_any(registration_ids))
                .filter(tokens::kind.eq(kind))
                .filter(tokens::revoked_at.is_null()),
        )
        .set(tokens::revoked_at.eq(now))
        .execute(conn)?;
    }
    let rows: Vec<_> = emails
        .iter()
        .enumerate()
        .flat_map(|(i, email)| {
            let last = &last;
            email.links.iter().map(move |link| {
                let superseded = last[&(email.registration_id, link.kind.as_str())] != i;
                (
                    tokens::id.eq(new_id()),
                    tokens::digest.eq(digest(link.token)),
                    tokens::kind.eq(link.kind.as_str()),
                    tokens::registration_id.eq(email.registration_id),
                    tokens::meeting_id.eq(email.meeting_id),
                    tokens::expires_at.eq(link.expires_at),
                    tokens::revoked_at.eq(superseded.then_some(now)),
                    tokens::created_at.eq(now),
                )
            })
        })
        .collect();
    match conn {
        DbConn::Postgres(pg) => {
            diesel::insert_into(tokens::table)
                .values(rows)
                .execute(pg)?;
        }
        // One statement each: SQLite's writer is in this process, so a statement costs no
        // round trip.
        DbConn::Sqlite(sqlite) => {
            for row in rows {
                diesel::insert_into(tokens::table)
                    .values(row)
                    .execute(sqlite)?;
            }
        }
    }
    Ok(())
}

/// Uses up a single-use token found live: revokes it, and answers whether this call did, in
/// the statement's own row lock, so two requests racing with one token cannot both have it.
pub fn spend(conn: &mut DbConn, row: &TokenRow, now: NaiveDateTime) -> AppResult<bool> {
    let spent = diesel::update(
        tokens::table
            .find(&row.id)
            .filter(tokens::revoked_at.is_null()),
    )
    .set(tokens::revoked_at.eq(now))
    .execute(conn)?;
    Ok(spent == 1)
}

/// What a token presented in a link is.
#[derive(Debug)]
pub enum Presented {
    Live(TokenRow),
    /// Used, replaced by a newer link, or revoked.
    Spent,
    Expired,
    Unknown,
}

pub fn presented(
    conn: &mut DbConn,
    kind: TokenKind,
    token: &str,
    now: NaiveDateTime,
) -> AppResult<Presented> {
    Ok(
        match stored(conn, token)?.filter(|row| row.kind == kind.as_str()) {
            None => Presented::Unknown,
            Some(row) if live(&row, now) => Presented::Live(row),
            Some(row) if row.revoked_at.is_some() => Presented::Spent,
            Some(_) => Presented::Expired,
        },
    )
}

/// The live token of that kind, if any: not revoked, not expired.
pub fn find(
    conn: &mut DbConn,
    kind: TokenKind,
    token: &str,
    now: NaiveDateTime,
) -> AppResult<Option<TokenRow>> {
    Ok(find_any(conn, token, now)?.filter(|row| row.kind == kind.as_str()))
}

/// The live token, whatever its kind.
pub fn find_any(conn: &mut DbConn, token: &str, now: NaiveDateTime) -> AppResult<Option<TokenRow>> {
    Ok(stored(conn, token)?.filter(|row| live(row, now)))
}

fn live(row: &TokenRow, now: NaiveDateTime) -> bool {
    row.revoked_at.is_none() && row.expires_at.is_none_or(|at| at > now)
}

/// Whether a token found by its digest is live: not revoked, not expired.
pub fn is_live(row: &TokenRow, now: NaiveDateTime) -> bool {
    live(row, now)
}

/// Whether a presented token could be one of ours at all (64 hex digits): anything else is
/// refused without a query.
pub fn well_formed(token: &str) -> bool {
    token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The stored digest compared in constant time with the one wanted.
pub fn same_digest(row: &TokenRow, wanted: &str) -> bool {
    bool::from(row.digest.as_bytes().ct_eq(wanted.as_bytes()))
}

/// The stored row of a token, live or not.
fn stored(conn: &mut DbConn, token: &str) -> AppResult<Option<TokenRow>> {
    // Anything but our 64 hex digits cannot be a token: skip the query.
    if !well_formed(token) {
        return Ok(None);
    }
    let wanted = digest(token);
    let row = tokens::table
        .filter(tokens::digest.eq(&wanted))
        .select(TokenRow::as_select())
        .first(conn)
        .optional()?;
    Ok(row.filter(|t| same_digest(t, &wanted)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_digested() {
        let (a, b) = (generate(), generate());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert_eq!(digest(&a), digest(&a));
        assert_ne!(digest(&a), a);
        assert_eq!(digest(&a).len(), 64);
    }
}
