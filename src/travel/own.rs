//! The participant's own change of their travel, until the organizer has decided.

use super::sealed::{Sealed, Sealer};
use super::store::{row_locked, save, TravelRow};
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
    replace_own(conn, registration_id, form, Blanks::Erase, sealer, now)
}

/// What a blank passport number or date of birth means when a visa letter is still asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Blanks {
    /// The API's replacement: blank is blank, and is refused for a letter.
    Erase,
    /// The manage page's form, which never shows them: blank keeps what is stored.
    KeepSealed,
}

/// Replaces the participant's travel, until the organizer has acted on it.
pub fn replace_own(
    conn: &mut DbConn,
    registration_id: &str,
    form: TravelForm,
    blanks: Blanks,
    sealer: &Sealer,
    now: NaiveDateTime,
) -> AppResult<()> {
    conn.transaction(|conn| replace_locked(conn, registration_id, form, blanks, sealer, now))
}

fn replace_locked(
    conn: &mut DbConn,
    registration_id: &str,
    mut form: TravelForm,
    blanks: Blanks,
    sealer: &Sealer,
    now: NaiveDateTime,
) -> AppResult<()> {
    let (meeting_id, status): (String, String) = registrations::table
        .find(registration_id)
        .select((registrations::meeting_id, registrations::status))
        .first(conn)?;
    if matches!(status.as_str(), "cancelled" | "expired" | "rejected") {
        return Err(AppError::conflict(
            "registration_cancelled",
            "this registration was cancelled: its travel cannot change",
        ));
    }
    let meeting = crate::meetings::store::by_id(conn, &meeting_id)?;
    let current = row_locked(conn, registration_id)?;
    if let Some(current) = &current {
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
    if let (Blanks::KeepSealed, Some(current)) = (blanks, &current) {
        keep_sealed(&mut form, current, registration_id, sealer)?;
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

/// Fills a blank passport number or date of birth from what is stored, held in clear only
/// until it is sealed again.
fn keep_sealed(
    form: &mut TravelForm,
    current: &TravelRow,
    registration_id: &str,
    sealer: &Sealer,
) -> AppResult<()> {
    if form.visa_letter_requested != Some(true) {
        return Ok(());
    }
    let blank = |value: &Option<String>| value.as_deref().is_none_or(|v| v.trim().is_empty());
    if blank(&form.passport_number) {
        if let Some(sealed) = &current.passport_sealed {
            form.passport_number =
                Some(sealer.open(sealed, registration_id, Sealed::PassportNumber)?);
        }
    }
    if blank(&form.date_of_birth) {
        if let Some(sealed) = &current.birth_date_sealed {
            form.date_of_birth = Some(sealer.open(sealed, registration_id, Sealed::BirthDate)?);
        }
    }
    Ok(())
}
