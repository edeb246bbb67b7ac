//! The participant's own change of their travel, until the organizer has decided.

use super::sealed::Sealer;
use super::store::{row, save};
use super::{TravelDraft, TravelForm, TravelRules};
use crate::db::DbConn;
use crate::error::{AppError, AppResult, Checks};
use crate::schema::{registrations, visa_letters};
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// Replaces the participant's travel with what they sent (the passport details are entered
/// again, since nobody is shown them). 409 `travel_decided` once the funding was decided, the
/// travel booked or a letter issued: the organizer has acted on what was asked.
pub fn change_own(
    conn: &mut DbConn,
    registration_id: &str,
    sent: &serde_json::Value,
    sealer: &Sealer,
    now: NaiveDateTime,
) -> AppResult<()> {
    let form: TravelForm = crate::error::from_value(sent.clone()).map_err(|error| match error {
        AppError::Invalid(errors) => AppError::Invalid(
            errors
                .into_iter()
                .map(|mut e| {
                    e.field = Some(format!("travel.{}", e.field.unwrap_or_default()));
                    e
                })
                .collect(),
        ),
        other => other,
    })?;
    let meeting_id: String = registrations::table
        .find(registration_id)
        .select(registrations::meeting_id)
        .first(conn)?;
    let meeting = crate::meetings::store::by_id(conn, &meeting_id)?;
    if let Some(current) = row(conn, registration_id)? {
        let issued: i64 = visa_letters::table
            .filter(visa_letters::registration_id.eq(registration_id))
            .filter(visa_letters::revoked_at.is_null())
            .count()
            .get_result(conn)?;
        let booked = current.itinerary.is_some() || current.hotel_booking.is_some();
        if current.funding_decision.is_some() || booked || issued > 0 {
            return Err(AppError::conflict(
                "travel_decided",
                "the organizers have acted on this travel request: write to them to change it",
            ));
        }
    }
    let mut checks = Checks::default();
    let rules = TravelRules::of(&meeting, now.date());
    let draft = TravelDraft::parse(Some(&form), &rules, &mut checks)?;
    match draft {
        Some(draft) if checks.is_clean() => {
            save(conn, registration_id, &meeting.id, &draft, sealer, now)
        }
        _ => Err(checks.into_error()),
    }
}
