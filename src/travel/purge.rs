//! The passport number and date of birth go 30 days after the meeting ends, whatever the
//! general purge is set to (it may keep everything else longer, or for ever).

use crate::db::DbConn;
use crate::error::AppResult;
use crate::schema::{meetings, travel_requests};
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// Days after a meeting's end when its passport details are erased.
pub const SENSITIVE_DAYS: i64 = 30;

/// The end before which a meeting's passport details are due to go.
pub fn ended_before(now: NaiveDateTime) -> NaiveDateTime {
    now - chrono::Duration::days(SENSITIVE_DAYS)
}

/// Whether any travel request still holds passport details of a meeting that ended before.
pub fn due(conn: &mut DbConn, ended_before: NaiveDateTime) -> AppResult<bool> {
    let ended = meetings::table
        .filter(meetings::ends_at.lt(ended_before))
        .select(meetings::id);
    let held: i64 = travel_requests::table
        .filter(travel_requests::meeting_id.eq_any(ended))
        .filter(
            travel_requests::passport_sealed
                .is_not_null()
                .or(travel_requests::birth_date_sealed.is_not_null())
                .or(travel_requests::passport_hint.is_not_null()),
        )
        .count()
        .get_result(conn)?;
    Ok(held > 0)
}

/// Erases the passport number (and its last characters), its expiry and the date of birth of
/// every meeting that ended before; answers how many requests held them. Nationality, dates
/// and decisions stay with the rest of the registration until the general purge.
pub fn erase(
    conn: &mut DbConn,
    ended_before: NaiveDateTime,
    now: NaiveDateTime,
) -> AppResult<usize> {
    let ended = meetings::table
        .filter(meetings::ends_at.lt(ended_before))
        .select(meetings::id);
    Ok(diesel::update(
        travel_requests::table
            .filter(travel_requests::meeting_id.eq_any(ended))
            .filter(
                travel_requests::passport_sealed
                    .is_not_null()
                    .or(travel_requests::birth_date_sealed.is_not_null())
                    .or(travel_requests::passport_hint.is_not_null()),
            ),
    )
    .set((
        travel_requests::passport_sealed.eq(None::<Vec<u8>>),
        travel_requests::birth_date_sealed.eq(None::<Vec<u8>>),
        travel_requests::passport_hint.eq(None::<String>),
        travel_requests::passport_expiry.eq(None::<String>),
        travel_requests::sensitive_purged_at.eq(Some(now)),
    ))
    .execute(conn)?)
}
