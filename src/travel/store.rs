//! Travel in storage: one row per registration that asked, its sensitive fields sealed.

use super::sealed::{Sealed, Sealer};
use super::{masked, TravelDraft};
use crate::db::DbConn;
use crate::error::AppResult;
use crate::meetings::Meeting;
use crate::schema::{travel_requests, visa_letters};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

/// Travel as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = travel_requests)]
pub struct TravelRow {
    pub registration_id: String,
    pub meeting_id: String,
    pub funding_requested: bool,
    pub departure_city: Option<String>,
    pub arrival_date: Option<String>,
    pub departure_date: Option<String>,
    pub hotel_needed: bool,
    pub visa_letter_requested: bool,
    pub nationality: Option<String>,
    pub passport_sealed: Option<Vec<u8>>,
    pub passport_hint: Option<String>,
    pub passport_expiry: Option<String>,
    pub birth_date_sealed: Option<Vec<u8>>,
    pub funding_decision: Option<String>,
    pub decision_note: Option<String>,
    pub decided_at: Option<NaiveDateTime>,
    pub itinerary: Option<String>,
    pub hotel_booking: Option<String>,
    pub updated_at: NaiveDateTime,
    pub sensitive_purged_at: Option<NaiveDateTime>,
}

/// An issued letter, as the participant and organizers see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LetterView {
    pub reference: String,
    pub issued_at: String,
    pub revoked_at: Option<String>,
}

/// Travel as the participant and organizers see it: the passport number masked, the date of
/// birth never shown (only whether it was given).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TravelView {
    pub funding_requested: bool,
    pub departure_city: Option<String>,
    pub arrival_date: Option<String>,
    pub departure_date: Option<String>,
    pub hotel_needed: bool,
    pub visa_letter_requested: bool,
    pub nationality: Option<String>,
    /// The last three characters only, as `•••••567`.
    pub passport_number: Option<String>,
    pub passport_expiry: Option<String>,
    pub date_of_birth_given: bool,
    /// `approved`, `declined`, or null while undecided.
    pub funding_decision: Option<String>,
    pub decision_note: Option<String>,
    pub decided_at: Option<String>,
    pub itinerary: Option<String>,
    pub hotel_booking: Option<String>,
    /// The letter issued last, if any.
    pub visa_letter: Option<LetterView>,
}

impl TravelView {
    fn new(meeting: &Meeting, row: TravelRow, letter: Option<LetterRow>) -> Self {
        Self {
            funding_requested: row.funding_requested,
            departure_city: row.departure_city,
            arrival_date: row.arrival_date,
            departure_date: row.departure_date,
            hotel_needed: row.hotel_needed,
            visa_letter_requested: row.visa_letter_requested,
            nationality: row.nationality,
            passport_number: row.passport_hint.map(|hint| masked(&hint)),
            passport_expiry: row.passport_expiry,
            date_of_birth_given: row.birth_date_sealed.is_some(),
            funding_decision: row.funding_decision,
            decision_note: row.decision_note,
            decided_at: row.decided_at.map(|at| meeting.rfc3339(at)),
            itinerary: row.itinerary,
            hotel_booking: row.hotel_booking,
            visa_letter: letter.map(|(reference, issued_at, revoked_at)| LetterView {
                reference,
                issued_at: meeting.rfc3339(issued_at),
                revoked_at: revoked_at.map(|at| meeting.rfc3339(at)),
            }),
        }
    }
}

type LetterRow = (String, NaiveDateTime, Option<NaiveDateTime>);

/// Keeps a registration's travel, sealing what must be: a first request, or the participant's
/// change of it (which the caller allows only while nothing is decided). A change that asks
/// for no letter drops the passport and date of birth kept before.
pub fn save(
    conn: &mut DbConn,
    registration_id: &str,
    meeting_id: &str,
    draft: &TravelDraft,
    sealer: &Sealer,
    now: NaiveDateTime,
) -> AppResult<()> {
    let visa = draft.visa.as_ref();
    let sealed = |plain: Option<String>, field| {
        plain
            .map(|plain| sealer.seal(&plain, registration_id, field))
            .transpose()
    };
    let passport = sealed(
        visa.map(|v| v.passport_number.clone()),
        Sealed::PassportNumber,
    )?;
    let born = sealed(visa.map(|v| v.date_of_birth.to_string()), Sealed::BirthDate)?;
    let hint = visa.map(|v| {
        let chars: Vec<char> = v.passport_number.chars().collect();
        chars[chars.len().saturating_sub(3)..]
            .iter()
            .collect::<String>()
    });
    let values = (
        travel_requests::funding_requested.eq(draft.funding_requested),
        travel_requests::departure_city.eq(draft.departure_city.clone()),
        travel_requests::arrival_date.eq(draft.arrival_date.map(|d| d.to_string())),
        travel_requests::departure_date.eq(draft.departure_date.map(|d| d.to_string())),
        travel_requests::hotel_needed.eq(draft.hotel_needed),
        travel_requests::visa_letter_requested.eq(visa.is_some()),
        travel_requests::nationality.eq(visa.map(|v| v.nationality.as_str().to_owned())),
        travel_requests::passport_sealed.eq(passport),
        travel_requests::passport_hint.eq(hint),
        travel_requests::passport_expiry.eq(visa.map(|v| v.passport_expiry.to_string())),
        travel_requests::birth_date_sealed.eq(born),
        travel_requests::updated_at.eq(now),
    );
    let changed = diesel::update(travel_requests::table.find(registration_id))
        .set(values.clone())
        .execute(conn)?;
    if changed == 0 {
        diesel::insert_into(travel_requests::table)
            .values((
                travel_requests::registration_id.eq(registration_id),
                travel_requests::meeting_id.eq(meeting_id),
                values,
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// A registration's travel as stored, if it asked.
pub fn row(conn: &mut DbConn, registration_id: &str) -> AppResult<Option<TravelRow>> {
    Ok(travel_requests::table
        .find(registration_id)
        .select(TravelRow::as_select())
        .first(conn)
        .optional()?)
}

/// A registration's travel as its participant and organizers see it.
pub fn view(
    conn: &mut DbConn,
    meeting: &Meeting,
    registration_id: &str,
) -> AppResult<Option<TravelView>> {
    let Some(row) = row(conn, registration_id)? else {
        return Ok(None);
    };
    let letter = visa_letters::table
        .filter(visa_letters::registration_id.eq(registration_id))
        .order(visa_letters::issued_at.desc())
        .select((
            visa_letters::reference,
            visa_letters::issued_at,
            visa_letters::revoked_at,
        ))
        .first::<LetterRow>(conn)
        .optional()?;
    Ok(Some(TravelView::new(meeting, row, letter)))
}
