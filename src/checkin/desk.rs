//! Who may check people in: a desk token (one meeting, nothing else), or an organizer of the
//! meeting named by `?meeting=`.

use crate::accounts::routes::{resolve_among, LocalFuture};
use crate::accounts::tokens::{self, TokenKind};
use crate::db::{now, DbConn};
use crate::error::{AppError, AppResult};
use crate::meetings::{self, Meeting};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};

/// A check-in desk, known by its token.
#[derive(Debug, Clone)]
pub struct Desk {
    pub token_id: String,
    pub meeting_id: String,
}

impl Desk {
    fn from_row(row: tokens::TokenRow) -> AppResult<Self> {
        Ok(Self {
            meeting_id: row.meeting_id.ok_or(AppError::Unauthenticated)?,
            token_id: row.id,
        })
    }

    /// The desk of a token given in a page's address (`/desk/{token}`), if it is live.
    pub fn by_token(conn: &mut DbConn, token: &str) -> AppResult<Option<Self>> {
        match tokens::find(conn, TokenKind::Desk, token, now())? {
            Some(row) => Ok(Some(Self::from_row(row)?)),
            None => Ok(None),
        }
    }

    pub fn meeting(&self, conn: &mut DbConn) -> AppResult<Meeting> {
        meetings::store::by_id(conn, &self.meeting_id)
    }
}

impl FromRequest for Desk {
    type Error = AppError;
    type Future = LocalFuture<Self>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let row = resolve_among(req, &[TokenKind::Desk]);
        Box::pin(async move { Self::from_row(row.await?) })
    }
}

/// Whoever checks a person in, as the bearer token says: resolved on the connection that
/// records the check-in, in one statement with the desk's meeting (a check-in is the desk's
/// busiest request; each round trip counts).
#[derive(Debug, Clone)]
pub struct Checker {
    token: String,
}

impl FromRequest for Checker {
    type Error = AppError;
    type Future = std::future::Ready<Result<Self, AppError>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = crate::accounts::routes::bearer_token(req);
        std::future::ready(
            token
                .map(|token| Self { token })
                .ok_or(AppError::Unauthenticated),
        )
    }
}

/// Who checked a person in.
#[derive(Debug, Clone)]
pub enum Who {
    Desk { token_id: String },
    Organizer { account_id: String },
}

impl Who {
    pub fn source(&self, batch: bool) -> super::Source {
        match (self, batch) {
            (Self::Desk { token_id }, false) => super::Source::Desk {
                token_id: token_id.clone(),
            },
            (Self::Desk { token_id }, true) => super::Source::Batch {
                token_id: token_id.clone(),
            },
            (Self::Organizer { account_id }, _) => super::Source::Organizer {
                account_id: account_id.clone(),
            },
        }
    }

    pub fn actor(&self) -> crate::audit::Actor<'_> {
        match self {
            Self::Organizer { account_id } => crate::audit::Actor::Account(account_id),
            Self::Desk { .. } => crate::audit::Actor::System,
        }
    }
}

impl Checker {
    /// The meeting checked in at and who checks: a desk token's own meeting, or an organizer's
    /// `?meeting=` (401 no such live token, 404 unknown meeting, 403 not theirs, 422 not named).
    pub fn resolve(&self, conn: &mut DbConn, slug: Option<&str>) -> AppResult<(Meeting, Who)> {
        use crate::schema::{meetings as meeting_rows, tokens as token_rows};
        use diesel::prelude::*;
        if !tokens::well_formed(&self.token) {
            return Err(AppError::Unauthenticated);
        }
        let wanted = tokens::digest(&self.token);
        let found: Option<(tokens::TokenRow, Option<Meeting>)> = token_rows::table
            .left_join(
                meeting_rows::table.on(meeting_rows::id.nullable().eq(token_rows::meeting_id)),
            )
            .filter(token_rows::digest.eq(&wanted))
            .select((
                tokens::TokenRow::as_select(),
                Option::<Meeting>::as_select(),
            ))
            .first(conn)
            .optional()?;
        let (row, meeting) = found
            .filter(|(row, _)| tokens::is_live(row, now()) && tokens::same_digest(row, &wanted))
            .ok_or(AppError::Unauthenticated)?;
        match (row.kind.as_str(), meeting, row.account_id) {
            ("desk", Some(meeting), _) => Ok((meeting, Who::Desk { token_id: row.id })),
            ("organizer", _, Some(account_id)) => {
                let slug = slug.ok_or_else(|| {
                    AppError::invalid("meeting", crate::error::Problem::required())
                })?;
                let slug = crate::web::slug_or_404(slug)?;
                let meeting = meetings::store::organized_by(conn, &slug, &account_id)?;
                Ok((meeting, Who::Organizer { account_id }))
            }
            _ => Err(AppError::Unauthenticated),
        }
    }
}

/// A desk link lasts until the day after the meeting at most: after that it would only keep
/// the names and codes within reach. 422 on `expires_at` for a meeting already over.
pub fn bounded(
    mut new: crate::accounts::handed_out::NewToken,
    meeting: &Meeting,
) -> AppResult<crate::accounts::handed_out::NewToken> {
    let last = meeting.ends_at + chrono::TimeDelta::days(1);
    if last <= now() {
        return Err(AppError::invalid(
            "expires_at",
            crate::error::Problem::new("meeting_over", "the meeting is over"),
        ));
    }
    new.expires_at = new.expires_at.min(last);
    Ok(new)
}
