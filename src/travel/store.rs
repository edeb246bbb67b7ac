//! Travel in storage: one row per registration that asked, its sensitive fields sealed.

use super::sealed::{Sealed, Sealer};
use super::{masked, Booking, TravelDraft, TravelNews};
use crate::db::DbConn;
use crate::error::{AppError, AppResult};
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
    /// Whether the organizers decided the funding, booked, or issued a letter in force: then
    /// the participant can no longer change what they asked.
    pub fn acted_on(&self) -> bool {
        self.funding_decision.is_some()
            || self.itinerary.is_some()
            || self.hotel_booking.is_some()
            || self
                .visa_letter
                .as_ref()
                .is_some_and(|letter| letter.revoked_at.is_none())
    }

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

/// A registration's travel as stored, held (on PostgreSQL) until the transaction ends: the
/// participant's change and the organizer's letter or decision then come one after the other,
/// each seeing what the other did.
pub fn row_locked(conn: &mut DbConn, registration_id: &str) -> AppResult<Option<TravelRow>> {
    macro_rules! query {
        () => {
            travel_requests::table
                .find(registration_id)
                .select(TravelRow::as_select())
        };
    }
    Ok(match conn {
        DbConn::Postgres(pg) => query!().for_update().first(pg).optional()?,
        DbConn::Sqlite(sqlite) => query!().first(sqlite).optional()?,
    })
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
    let letter = latest_letter(conn, registration_id)?;
    Ok(Some(TravelView::new(meeting, row, letter)))
}

/// The letter issued last to a registration, if any.
fn latest_letter(conn: &mut DbConn, registration_id: &str) -> AppResult<Option<LetterRow>> {
    Ok(visa_letters::table
        .filter(visa_letters::registration_id.eq(registration_id))
        .order(visa_letters::issued_at.desc())
        .select((
            visa_letters::reference,
            visa_letters::issued_at,
            visa_letters::revoked_at,
        ))
        .first::<LetterRow>(conn)
        .optional()?)
}

/// The participant a travel change is about: their address and whether they asked.
fn requester(
    conn: &mut DbConn,
    meeting: &Meeting,
    registration_id: &str,
) -> AppResult<(String, TravelRow)> {
    use crate::schema::registrations;
    let email: String = registrations::table
        .find(registration_id)
        .filter(registrations::meeting_id.eq(&meeting.id))
        .select(registrations::email)
        .first(conn)
        .optional()?
        .ok_or(AppError::NotFound)?;
    let row = row(conn, registration_id)?.ok_or_else(|| {
        AppError::conflict("no_travel_request", "this registration asked for no travel")
    })?;
    Ok((email, row))
}

/// Tells the participant, audits the organizer's change, and answers the travel as it is now.
fn told(
    conn: &mut DbConn,
    meeting: &Meeting,
    registration_id: &str,
    email: &str,
    news: TravelNews,
    account_id: &str,
    now: NaiveDateTime,
) -> AppResult<TravelView> {
    crate::audit::record(
        conn,
        crate::audit::NewEntry {
            actor: &crate::audit::Actor::Account(account_id),
            action: news.kind(),
            meeting_id: Some(&meeting.id),
            subject_id: Some(registration_id),
            detail: "",
        },
        now,
    )?;
    let mail = crate::email::outbox::ParticipantMail::Travel { news };
    crate::email::outbox::enqueue(conn, &meeting.id, registration_id, email, &mail, now)?;
    view(conn, meeting, registration_id)?.ok_or(AppError::NotFound)
}

/// Approves or declines the funding a participant asked for, with a note; they are emailed.
/// 409 when no funding was asked for.
#[allow(clippy::too_many_arguments)]
pub fn decide(
    conn: &mut DbConn,
    meeting: &Meeting,
    registration_id: &str,
    approve: bool,
    note: Option<String>,
    account_id: &str,
    now: NaiveDateTime,
) -> AppResult<TravelView> {
    let (email, row) = requester(conn, meeting, registration_id)?;
    if !row.funding_requested {
        return Err(AppError::conflict(
            "no_funding_request",
            "this participant asked for no funding",
        ));
    }
    diesel::update(travel_requests::table.find(registration_id))
        .set((
            travel_requests::funding_decision.eq(if approve { "approved" } else { "declined" }),
            travel_requests::decision_note.eq(&note),
            travel_requests::decided_at.eq(now),
            travel_requests::updated_at.eq(now),
        ))
        .execute(conn)?;
    let news = match approve {
        true => TravelNews::FundingApproved { note },
        false => TravelNews::FundingDeclined { note },
    };
    told(
        conn,
        meeting,
        registration_id,
        &email,
        news,
        account_id,
        now,
    )
}

/// Records the itinerary and the hotel booking as text; the participant is emailed them.
pub fn book(
    conn: &mut DbConn,
    meeting: &Meeting,
    registration_id: &str,
    booking: &Booking,
    account_id: &str,
    now: NaiveDateTime,
) -> AppResult<TravelView> {
    let (email, _) = requester(conn, meeting, registration_id)?;
    diesel::update(travel_requests::table.find(registration_id))
        .set((
            travel_requests::itinerary.eq(&booking.itinerary),
            travel_requests::hotel_booking.eq(&booking.hotel_booking),
            travel_requests::updated_at.eq(now),
        ))
        .execute(conn)?;
    let news = TravelNews::Booked {
        itinerary: booking.itinerary.clone(),
        hotel_booking: booking.hotel_booking.clone(),
    };
    told(
        conn,
        meeting,
        registration_id,
        &email,
        news,
        account_id,
        now,
    )
}

/// Which travel requests an organizer lists.
#[derive(Debug, Clone, Default)]
pub struct TravelFilter {
    /// `requested`, `undecided`, `approved` or `declined`.
    pub funding: Option<String>,
    pub visa_letter: Option<bool>,
}

/// One line of the organizer's travel list.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TravelEntry {
    pub registration_id: String,
    pub full_name: String,
    pub organization: String,
    pub country: String,
    pub status: String,
    pub travel: TravelView,
}

/// The meeting's travel requests, by name, filtered.
pub fn list(
    conn: &mut DbConn,
    meeting: &Meeting,
    filter: &TravelFilter,
) -> AppResult<Vec<TravelEntry>> {
    use crate::schema::{organizations, registrations};
    let mut query = travel_requests::table
        .inner_join(registrations::table.inner_join(organizations::table))
        .filter(travel_requests::meeting_id.eq(&meeting.id))
        .into_boxed();
    query = match filter.funding.as_deref() {
        Some("requested") => query.filter(travel_requests::funding_requested.eq(true)),
        Some("undecided") => query
            .filter(travel_requests::funding_requested.eq(true))
            .filter(travel_requests::funding_decision.is_null()),
        Some(decision @ ("approved" | "declined")) => {
            query.filter(travel_requests::funding_decision.eq(decision.to_owned()))
        }
        _ => query,
    };
    if let Some(wanted) = filter.visa_letter {
        query = query.filter(travel_requests::visa_letter_requested.eq(wanted));
    }
    let rows: Vec<(TravelRow, (String, String, String), String)> = query
        .order((registrations::full_name.asc(), registrations::id.asc()))
        .select((
            TravelRow::as_select(),
            (
                registrations::full_name,
                registrations::country,
                registrations::status,
            ),
            organizations::name,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(|(row, (full_name, country, status), organization)| {
            let id = row.registration_id.clone();
            let letter = latest_letter(conn, &id)?;
            Ok(TravelEntry {
                registration_id: id,
                full_name,
                organization,
                country,
                status,
                travel: TravelView::new(meeting, row, letter),
            })
        })
        .collect()
}
