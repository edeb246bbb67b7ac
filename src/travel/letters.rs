//! Visa letters: issued by an organizer for a confirmed participant who asked, read by the
//! participant (and the organizer, to sign it), and checked by a consulate at `/verify/`.

use super::sealed::{Sealed, Sealer};
use super::store::row;
use super::TravelNews;
use crate::audit::{self, Actor};
use crate::db::DbConn;
use crate::error::{AppError, AppResult};
use crate::meetings::Meeting;
use crate::registrations::model::RegistrationStatus;
use crate::schema::{meetings, organizations, registrations, visa_letters};
use crate::values::Language;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use rand::Rng;

/// A reference's symbols: no look-alikes, as on check-in codes.
const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
/// 20 symbols of 31: 99 bits, beyond guessing.
const LENGTH: usize = 20;

fn new_reference() -> String {
    let mut rng = rand::rng();
    (0..LENGTH)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}

/// A reference as typed from the letter: case, spaces and dashes do not matter. Anything else
/// is no reference (and is still looked up, so that it answers in the same time).
pub fn normalized(raw: &str) -> String {
    raw.chars()
        .filter(|c| !matches!(c, ' ' | '-'))
        .map(|c| c.to_ascii_uppercase())
        .take(LENGTH + 1)
        .collect()
}

/// As printed: in groups of five.
pub fn grouped(reference: &str) -> String {
    crate::checkin::CheckinCode::grouped(reference)
}

/// Issues a letter (earlier ones of the same person are revoked) and emails the participant a
/// link to it. 409: letters off, not confirmed, no letter asked for, or no passport kept.
pub fn issue(
    conn: &mut DbConn,
    meeting: &Meeting,
    registration_id: &str,
    sealer: &Sealer,
    account_id: &str,
    now: NaiveDateTime,
) -> AppResult<String> {
    conn.transaction(|conn| issue_locked(conn, meeting, registration_id, sealer, account_id, now))
}

fn issue_locked(
    conn: &mut DbConn,
    meeting: &Meeting,
    registration_id: &str,
    sealer: &Sealer,
    account_id: &str,
    now: NaiveDateTime,
) -> AppResult<String> {
    if !meeting.visa_letters {
        return Err(AppError::conflict(
            "visa_letters_not_offered",
            "this meeting does not issue visa letters",
        ));
    }
    let (status, email): (String, String) = registrations::table
        .find(registration_id)
        .filter(registrations::meeting_id.eq(&meeting.id))
        .select((registrations::status, registrations::email))
        .first(conn)
        .optional()?
        .ok_or(AppError::NotFound)?;
    if status != RegistrationStatus::Confirmed.as_str() {
        return Err(AppError::conflict(
            "not_confirmed",
            "a visa letter is issued for a confirmed registration",
        ));
    }
    let travel = super::store::row_locked(conn, registration_id)?
        .filter(|travel| travel.visa_letter_requested)
        .ok_or_else(|| AppError::conflict("not_requested", "no visa letter was asked for"))?;
    let sealed = travel.passport_sealed.ok_or_else(|| {
        AppError::conflict(
            "passport_missing",
            "the passport details are no longer kept: the participant enters them again",
        )
    })?;
    // The letter must be printable: the key opens the passport now.
    sealer.open(&sealed, registration_id, Sealed::PassportNumber)?;
    revoke(conn, registration_id, now)?;
    let reference = new_reference();
    diesel::insert_into(visa_letters::table)
        .values((
            visa_letters::reference.eq(&reference),
            visa_letters::registration_id.eq(registration_id),
            visa_letters::meeting_id.eq(&meeting.id),
            visa_letters::issued_at.eq(now),
        ))
        .execute(conn)?;
    audit::record(
        conn,
        audit::NewEntry {
            actor: &Actor::Account(account_id),
            action: "visa_letter.issued",
            meeting_id: Some(&meeting.id),
            subject_id: Some(registration_id),
            detail: &reference,
        },
        now,
    )?;
    let mail = crate::email::outbox::ParticipantMail::Travel {
        news: TravelNews::LetterIssued,
    };
    crate::email::outbox::enqueue(conn, &meeting.id, registration_id, &email, &mail, now)?;
    Ok(reference)
}

/// Revokes a person's letters still in force; answers how many.
pub fn revoke(conn: &mut DbConn, registration_id: &str, now: NaiveDateTime) -> AppResult<usize> {
    Ok(diesel::update(
        visa_letters::table
            .filter(visa_letters::registration_id.eq(registration_id))
            .filter(visa_letters::revoked_at.is_null()),
    )
    .set(visa_letters::revoked_at.eq(now))
    .execute(conn)?)
}

/// An organizer revokes a person's letters in force, audited; answers how many.
pub fn revoke_by_organizer(
    conn: &mut DbConn,
    meeting: &Meeting,
    registration_id: &str,
    account_id: &str,
    now: NaiveDateTime,
) -> AppResult<usize> {
    let in_meeting = registrations::table
        .find(registration_id)
        .filter(registrations::meeting_id.eq(&meeting.id))
        .count()
        .get_result::<i64>(conn)?;
    if in_meeting == 0 {
        return Err(AppError::NotFound);
    }
    let revoked = revoke(conn, registration_id, now)?;
    if revoked > 0 {
        audit::record(
            conn,
            audit::NewEntry {
                actor: &Actor::Account(account_id),
                action: "visa_letter.revoked",
                meeting_id: Some(&meeting.id),
                subject_id: Some(registration_id),
                detail: "",
            },
            now,
        )?;
    }
    Ok(revoked)
}

/// What a letter says: everything it prints, the passport number opened.
#[derive(Clone)]
pub struct Letter {
    pub reference: String,
    pub issued_at: NaiveDateTime,
    pub full_name: String,
    pub organization: String,
    pub language: Language,
    pub nationality: String,
    pub passport_number: String,
    pub passport_expiry: String,
    /// The organizers pay travel and hotel (funding approved).
    pub funded: bool,
}

/// The letter in force of a confirmed registration: 404 when none was issued, it was revoked,
/// or the registration is no longer confirmed (as `/verify/` then says revoked).
pub fn in_force(
    conn: &mut DbConn,
    meeting: &Meeting,
    registration_id: &str,
    sealer: &Sealer,
) -> AppResult<Letter> {
    let (reference, issued_at): (String, NaiveDateTime) = visa_letters::table
        .filter(visa_letters::registration_id.eq(registration_id))
        .filter(visa_letters::meeting_id.eq(&meeting.id))
        .filter(visa_letters::revoked_at.is_null())
        .order(visa_letters::issued_at.desc())
        .select((visa_letters::reference, visa_letters::issued_at))
        .first(conn)
        .optional()?
        .ok_or(AppError::NotFound)?;
    let (full_name, organization, language): (String, String, String) = registrations::table
        .inner_join(organizations::table)
        .filter(registrations::id.eq(registration_id))
        .filter(registrations::status.eq(RegistrationStatus::Confirmed.as_str()))
        .select((
            registrations::full_name,
            organizations::name,
            registrations::language,
        ))
        .first(conn)
        .optional()?
        .ok_or(AppError::NotFound)?;
    let travel = row(conn, registration_id)?.ok_or(AppError::NotFound)?;
    let sealed = travel.passport_sealed.ok_or_else(|| {
        AppError::conflict(
            "passport_missing",
            "the passport details are no longer kept",
        )
    })?;
    Ok(Letter {
        reference,
        issued_at,
        full_name,
        organization,
        language: Language::from_code(&language).unwrap_or_default(),
        nationality: travel.nationality.unwrap_or_default(),
        passport_number: sealer.open(&sealed, registration_id, Sealed::PassportNumber)?,
        passport_expiry: travel.passport_expiry.unwrap_or_default(),
        funded: travel.funding_decision.as_deref() == Some("approved"),
    })
}

/// What `/verify/` shows of a letter, and nothing more.
#[derive(Debug, Clone)]
pub struct Verified {
    pub reference: String,
    pub full_name: String,
    pub nationality: String,
    pub meeting: Meeting,
    pub issued_at: NaiveDateTime,
    /// Revoked by the organizer, or the registration was cancelled.
    pub revoked: bool,
}

/// A letter, its holder and their meeting, as `/verify/` reads them.
type VerifyRow = (
    String,
    NaiveDateTime,
    Option<NaiveDateTime>,
    String,
    String,
    Option<String>,
    Meeting,
);

/// Looks a reference up, always with the same query (a malformed one included).
pub fn verify(conn: &mut DbConn, reference: &str) -> AppResult<Option<Verified>> {
    use crate::schema::travel_requests;
    let found: Option<VerifyRow> = visa_letters::table
        .inner_join(registrations::table.left_join(travel_requests::table))
        .inner_join(meetings::table.on(meetings::id.eq(visa_letters::meeting_id)))
        .filter(visa_letters::reference.eq(reference))
        .select((
            visa_letters::reference,
            visa_letters::issued_at,
            visa_letters::revoked_at,
            registrations::full_name,
            registrations::status,
            travel_requests::nationality.nullable(),
            Meeting::as_select(),
        ))
        .first(conn)
        .optional()?;
    Ok(found.map(
        |(reference, issued_at, revoked_at, full_name, status, nationality, meeting)| Verified {
            reference,
            full_name,
            nationality: nationality.unwrap_or_default(),
            meeting,
            issued_at,
            revoked: revoked_at.is_some() || status != RegistrationStatus::Confirmed.as_str(),
        },
    ))
}
