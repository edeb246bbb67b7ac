//! Tokens an organizer hands out for one meeting, each with a label and an expiry: press
//! tokens for journalists, desk tokens for the helpers at the check-in desk. Shown once, kept
//! as digests ([`super::tokens`]), revocable.

use super::tokens::{self, Grant, Issued, TokenKind};
use crate::audit::{self, Actor};
use crate::db::DbConn;
use crate::error::{AppError, AppResult, Checks, Problem};
use crate::meetings::model::parse_time;
use crate::schema::{press_access_log, tokens as token_rows};
use crate::values::required_name;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

/// A new token as sent.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"label": "Agencia EFE", "expires_at": "2030-06-30T00:00:00Z"}))]
pub struct TokenForm {
    pub label: Option<String>,
    pub expires_at: Option<String>,
}

/// A new token, checked: who it is for, and until when.
pub struct NewToken {
    pub label: String,
    pub expires_at: NaiveDateTime,
}

/// How long a token lives when no expiry is given, and at most.
pub const DEFAULT_DAYS: i64 = 30;
pub const MAX_DAYS: i64 = 366;

impl NewToken {
    pub fn parse(form: &TokenForm, now: NaiveDateTime) -> Result<Self, AppError> {
        let mut checks = Checks::default();
        let label = checks.field("label", required_name(form.label.as_deref(), 100));
        let expires_at = checks.field(
            "expires_at",
            parse_time(form.expires_at.as_deref()).and_then(|at| {
                let at = at.unwrap_or(now + chrono::Duration::days(DEFAULT_DAYS));
                if at <= now {
                    Err(Problem::new("in_the_past", "must be in the future"))
                } else if at > now + chrono::Duration::days(MAX_DAYS) {
                    Err(Problem::new("too_far", "must be within a year"))
                } else {
                    Ok(at)
                }
            }),
        );
        match (label, expires_at) {
            (Some(label), Some(expires_at)) if checks.is_clean() => Ok(Self { label, expires_at }),
            _ => Err(checks.into_error()),
        }
    }
}

fn action(kind: TokenKind, created: bool) -> &'static str {
    match (kind, created) {
        (TokenKind::Desk, true) => "desk_token.created",
        (TokenKind::Desk, false) => "desk_token.revoked",
        (_, true) => "press_token.created",
        (_, false) => "press_token.revoked",
    }
}

/// Makes a token of that kind for one meeting; answers it, once.
pub fn issue(
    conn: &mut DbConn,
    kind: TokenKind,
    meeting_id: &str,
    account_id: &str,
    new: &NewToken,
    now: NaiveDateTime,
) -> AppResult<Issued> {
    conn.transaction(|conn| {
        let grant = Grant {
            meeting_id: Some(meeting_id),
            account_id: Some(account_id),
            label: Some(&new.label),
            expires_at: Some(new.expires_at),
            ..Grant::default()
        };
        let issued = tokens::issue_with_id(conn, kind, grant, now)?;
        // The label is often a person's name: the log keeps the token's id only.
        audit::record(
            conn,
            audit::NewEntry {
                actor: &Actor::Account(account_id),
                action: action(kind, true),
                meeting_id: Some(meeting_id),
                subject_id: Some(&issued.id),
                detail: "",
            },
            now,
        )?;
        Ok(issued)
    })
}

/// Revokes a token of that kind of this meeting; revoking twice is harmless.
pub fn revoke(
    conn: &mut DbConn,
    kind: TokenKind,
    meeting_id: &str,
    token_id: &str,
    account_id: &str,
    now: NaiveDateTime,
) -> AppResult<()> {
    conn.transaction(|conn| {
        let this_token = token_rows::table
            .filter(token_rows::id.eq(token_id))
            .filter(token_rows::meeting_id.eq(meeting_id))
            .filter(token_rows::kind.eq(kind.as_str()));
        let found: Option<Option<NaiveDateTime>> = this_token
            .select(token_rows::revoked_at)
            .first(conn)
            .optional()?;
        match found {
            None => return Err(AppError::NotFound),
            Some(Some(_)) => return Ok(()),
            Some(None) => {
                diesel::update(this_token)
                    .set(token_rows::revoked_at.eq(now))
                    .execute(conn)?;
            }
        }
        audit::record(
            conn,
            audit::NewEntry {
                actor: &Actor::Account(account_id),
                action: action(kind, false),
                meeting_id: Some(meeting_id),
                subject_id: Some(token_id),
                detail: "",
            },
            now,
        )
    })
}

/// A token as organizers see it: never the token itself.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TokenView {
    pub id: String,
    pub label: String,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub revoked_at: Option<String>,
    pub active: bool,
    pub uses: i64,
    pub last_used_at: Option<String>,
}

pub(crate) fn utc(at: NaiveDateTime) -> String {
    at.and_utc().to_rfc3339()
}

/// How often each token of a meeting was used, and when last: a press token's downloads, a
/// desk's scans.
fn uses(
    conn: &mut DbConn,
    kind: TokenKind,
    meeting_id: &str,
) -> AppResult<Vec<(String, i64, Option<NaiveDateTime>)>> {
    use crate::schema::check_ins;
    Ok(match kind {
        TokenKind::Desk => check_ins::table
            .filter(check_ins::meeting_id.eq(meeting_id))
            .filter(check_ins::desk_token_id.is_not_null())
            .group_by(check_ins::desk_token_id)
            .select((
                check_ins::desk_token_id.assume_not_null(),
                diesel::dsl::count_star(),
                diesel::dsl::max(check_ins::received_at),
            ))
            .load(conn)?,
        _ => press_access_log::table
            .filter(press_access_log::meeting_id.eq(meeting_id))
            .group_by(press_access_log::token_id)
            .select((
                press_access_log::token_id,
                diesel::dsl::count_star(),
                diesel::dsl::max(press_access_log::at),
            ))
            .load(conn)?,
    })
}

/// A meeting's tokens of one kind, oldest first, with their use (a press token's downloads, a
/// desk's scans).
pub fn list(
    conn: &mut DbConn,
    kind: TokenKind,
    meeting_id: &str,
    now: NaiveDateTime,
) -> AppResult<Vec<TokenView>> {
    type Row = (
        String,
        Option<String>,
        NaiveDateTime,
        Option<NaiveDateTime>,
        Option<NaiveDateTime>,
    );
    let rows: Vec<Row> = token_rows::table
        .filter(token_rows::meeting_id.eq(meeting_id))
        .filter(token_rows::kind.eq(kind.as_str()))
        .order(token_rows::created_at.asc())
        .select((
            token_rows::id,
            token_rows::label,
            token_rows::created_at,
            token_rows::expires_at,
            token_rows::revoked_at,
        ))
        .load(conn)?;
    let uses = uses(conn, kind, meeting_id)?;
    Ok(rows
        .into_iter()
        .map(|(id, label, created_at, expires_at, revoked_at)| {
            let (count, last) = uses
                .iter()
                .find(|(token, _, _)| *token == id)
                .map(|(_, count, last)| (*count, *last))
                .unwrap_or((0, None));
            TokenView {
                active: revoked_at.is_none() && expires_at.is_none_or(|at| at > now),
                label: label.unwrap_or_default(),
                created_at: utc(created_at),
                expires_at: expires_at.map(utc),
                revoked_at: revoked_at.map(utc),
                uses: count,
                last_used_at: last.map(utc),
                id,
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_expire_within_a_year() {
        let now = crate::db::now();
        let form = |expires: Option<&str>| TokenForm {
            label: Some("El País".into()),
            expires_at: expires.map(str::to_owned),
        };
        assert_eq!(
            NewToken::parse(&form(None), now).unwrap().expires_at,
            now + chrono::Duration::days(30)
        );
        assert!(NewToken::parse(&form(Some("2000-01-01T00:00:00Z")), now).is_err());
        assert!(NewToken::parse(&form(Some("2999-01-01T00:00:00Z")), now).is_err());
        let Err(AppError::Invalid(errors)) = NewToken::parse(
            &TokenForm {
                label: None,
                expires_at: Some("soon".into()),
            },
            now,
        ) else {
            panic!()
        };
        assert_eq!(errors.len(), 2);
    }
}
