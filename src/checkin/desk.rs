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

/// Whoever checks a person in: a desk, or an organizer (who names the meeting).
#[derive(Debug, Clone)]
pub enum Checker {
    Desk(Desk),
    Organizer { account_id: String },
}

impl FromRequest for Checker {
    type Error = AppError;
    type Future = LocalFuture<Self>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let row = resolve_among(req, &[TokenKind::Desk, TokenKind::Organizer]);
        Box::pin(async move {
            let row = row.await?;
            if row.kind == TokenKind::Desk.as_str() {
                return Ok(Self::Desk(Desk::from_row(row)?));
            }
            let account_id = row.account_id.ok_or(AppError::Unauthenticated)?;
            Ok(Self::Organizer { account_id })
        })
    }
}

impl Checker {
    /// The meeting checked in at: the desk's own, or the organizer's `?meeting=` (404 unknown,
    /// 403 not theirs, 422 not named).
    pub fn meeting(&self, conn: &mut DbConn, slug: Option<&str>) -> AppResult<Meeting> {
        match self {
            Self::Desk(desk) => desk.meeting(conn),
            Self::Organizer { account_id } => {
                let slug = slug.ok_or_else(|| {
                    AppError::invalid("meeting", crate::error::Problem::required())
                })?;
                let slug = crate::web::slug_or_404(slug)?;
                meetings::store::organized_by(conn, &slug, account_id)
            }
        }
    }

    pub fn source(&self, batch: bool) -> super::Source {
        match (self, batch) {
            (Self::Desk(desk), false) => super::Source::Desk {
                token_id: desk.token_id.clone(),
            },
            (Self::Desk(desk), true) => super::Source::Batch {
                token_id: desk.token_id.clone(),
            },
            (Self::Organizer { account_id }, _) => super::Source::Organizer {
                account_id: account_id.clone(),
            },
        }
    }
}
