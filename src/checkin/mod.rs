//! The days of the meeting: check-in codes, the desk that scans them (online, or offline and
//! sent later in a batch), attendance per day, badges and certificates of attendance.
//!
//! A check-in is idempotent by constraint, not by lock: its nonce is taken once per meeting,
//! and an arrival once per person and day, so two desks, or one batch sent twice, count one
//! arrival on both backends.

pub mod attendance;
pub mod badges;
pub mod certificate;
pub mod dashboard;
pub mod desk;
mod one_statement;
pub mod pages;
mod pdf;
pub mod qr;
pub mod routes;
pub mod store;

use crate::error::{AppError, Checks, Problem};
use crate::meetings::model::parse_time;
use crate::meetings::Meeting;
use chrono::{NaiveDate, NaiveDateTime, TimeDelta};
use rand::Rng;
use serde::{Deserialize, Serialize};

/// The symbols of a check-in code: no look-alikes (0/O, 1/I/L), easy to read out at a desk.
const CODE_ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
/// 20 symbols of 31: 99 bits, beyond guessing at any rate a desk could be asked.
const CODE_LENGTH: usize = 20;

/// A registration's check-in code as stored: upper case, without separators. Unguessable, and
/// not the manage token: it only lets a desk check its holder in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckinCode(String);

impl CheckinCode {
    pub fn generate() -> Self {
        let mut rng = rand::rng();
        Self(
            (0..CODE_LENGTH)
                .map(|_| char::from(CODE_ALPHABET[rng.random_range(0..CODE_ALPHABET.len())]))
                .collect(),
        )
    }

    /// A code as typed or scanned: case and separators (spaces, dashes) do not matter.
    /// Codes made before this rule are 32 hex digits, and are read the same way.
    pub fn parse(raw: &str) -> Result<Self, Problem> {
        let code: String = raw
            .chars()
            .filter(|c| !matches!(c, ' ' | '-'))
            .map(|c| c.to_ascii_uppercase())
            .collect();
        if (CODE_LENGTH..=32).contains(&code.len())
            && code.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            Ok(Self(code))
        } else {
            Err(Problem::new("invalid", "not a check-in code"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// In groups of five, as printed beside the QR code: "7KQ2M-XH4PA-…".
    pub fn grouped(code: &str) -> String {
        code.as_bytes()
            .chunks(5)
            .map(|chunk| String::from_utf8_lossy(chunk).into_owned())
            .collect::<Vec<_>>()
            .join("-")
    }
}

/// The meeting's days, in its own time zone: a check-in counts for one of them.
pub fn meeting_days(meeting: &Meeting) -> Vec<NaiveDate> {
    let first = meeting.local(meeting.starts_at).date_naive();
    let last = meeting.local(meeting.ends_at).date_naive();
    first.iter_days().take_while(|day| *day <= last).collect()
}

/// The meeting's local date of a time.
pub fn day_of(meeting: &Meeting, at: NaiveDateTime) -> NaiveDate {
    meeting.local(at).date_naive()
}

/// How far ahead of our clock a device's clock may be before its time is refused.
pub const CLOCK_SKEW: TimeDelta = TimeDelta::minutes(10);
/// Scans in one batch, at most (413 beyond).
pub const BATCH_LIMIT: usize = 1000;

/// One check-in as a desk sends it.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"code": "7KQ2MXH4PAR9TDW3C5EF", "at": "2027-05-29T09:12:00-06:00",
    "nonce": "c1f3e6a2-2b7e-4d0f-9d0e-0a9c5e1f7b21"}))]
pub struct CheckInForm {
    /// The scanned or typed check-in code; or `registration_id`.
    pub code: Option<String>,
    pub registration_id: Option<String>,
    /// When the desk saw the person (RFC 3339); now when left out.
    pub at: Option<String>,
    /// Chosen by the desk, unique per scan: sending the same scan again records nothing new.
    pub nonce: Option<String>,
}

/// Whom a check-in names.
#[derive(Debug, Clone)]
pub enum Holder {
    Code(CheckinCode),
    Registration(String),
}

/// A check-in, checked.
#[derive(Debug, Clone)]
pub struct CheckIn {
    pub holder: Holder,
    /// The device's time.
    pub at: NaiveDateTime,
    pub day: NaiveDate,
    pub nonce: String,
}

fn nonce(raw: Option<&str>) -> Result<String, Problem> {
    let nonce = raw.map(str::trim).unwrap_or_default();
    if nonce.is_empty() {
        return Err(Problem::required());
    }
    let fits = (8..=64).contains(&nonce.len())
        && nonce
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if fits {
        Ok(nonce.to_owned())
    } else {
        Err(Problem::new(
            "invalid",
            "must be 8 to 64 letters, digits, '-' or '_'",
        ))
    }
}

fn holder(form: &CheckInForm, checks: &mut Checks) -> Option<Holder> {
    match (form.code.as_deref(), form.registration_id.as_deref()) {
        (Some(code), None) => checks
            .field("code", CheckinCode::parse(code))
            .map(Holder::Code),
        (None, Some(id)) if !id.trim().is_empty() && id.len() <= 64 => {
            Some(Holder::Registration(id.trim().to_owned()))
        }
        (None, Some(_)) => {
            checks.add("registration_id", Problem::new("invalid", "not an id"));
            None
        }
        _ => {
            let problem = Problem::new("required", "send either code or registration_id");
            checks.add("code", problem);
            None
        }
    }
}

impl CheckIn {
    /// Checks a scan against the meeting: its time must fall on one of the meeting's days and
    /// not ahead of our clock (beyond [`CLOCK_SKEW`]). Every bad field is named.
    pub fn parse(
        form: &CheckInForm,
        meeting: &Meeting,
        now: NaiveDateTime,
    ) -> Result<Self, AppError> {
        let mut checks = Checks::default();
        let holder = holder(form, &mut checks);
        let nonce = checks.field("nonce", nonce(form.nonce.as_deref()));
        let at = checks.field(
            "at",
            parse_time(form.at.as_deref()).and_then(|at| {
                let at = at.unwrap_or(now);
                if at > now + CLOCK_SKEW {
                    return Err(Problem::new(
                        "in_the_future",
                        "is ahead of the server's clock",
                    ));
                }
                if !meeting_days(meeting).contains(&day_of(meeting, at)) {
                    return Err(Problem::new(
                        "outside_meeting",
                        "is not on one of the meeting's days",
                    ));
                }
                Ok(at)
            }),
        );
        match (holder, nonce, at) {
            (Some(holder), Some(nonce), Some(at)) if checks.is_clean() => Ok(Self {
                holder,
                day: day_of(meeting, at),
                at,
                nonce,
            }),
            _ => Err(checks.into_error()),
        }
    }
}

/// Where a check-in came from: kept with the scan, and in the audit log.
#[derive(Debug, Clone)]
pub enum Source {
    /// A desk, online.
    Desk { token_id: String },
    /// A desk's queue, sent when the network came back.
    Batch { token_id: String },
    /// An organizer, through the API or the dashboard.
    Organizer { account_id: String },
}

impl Source {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Desk { .. } => "desk",
            Self::Batch { .. } => "batch",
            Self::Organizer { .. } => "organizer",
        }
    }
}

/// A confirmed participant as the desk sees them: what finding and greeting them takes, and
/// nothing more (no address, no answers).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DeskParticipant {
    pub id: String,
    pub full_name: String,
    pub organization: String,
    pub country: String,
    /// The category's code.
    pub category: String,
    pub checkin_code: String,
    /// When they arrived on the day asked about (today, in the meeting's time zone, in the
    /// list), if they did.
    pub checked_in_at: Option<String>,
}

/// The answer to a check-in.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CheckInAnswer {
    pub registration: DeskParticipant,
    /// Whether this scan was the person's arrival of the day; false for a second scan (by
    /// this or another desk) and for a scan sent again.
    pub first: bool,
}
