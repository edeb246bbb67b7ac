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
pub mod files;
pub mod pages;
pub(crate) mod pdf;
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
    // A meeting that ends at midnight ends on the day before.
    let last = meeting
        .local(meeting.ends_at - TimeDelta::seconds(1))
        .date_naive()
        .max(first);
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
        (Some(_), Some(_)) => {
            let problem = Problem::new("invalid", "send either code or registration_id, not both");
            checks.add("code", problem);
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

    /// The desk token or the account that scanned, as a scan's row keeps them.
    pub fn who(&self) -> (Option<&str>, Option<&str>) {
        match self {
            Self::Desk { token_id } | Self::Batch { token_id } => (Some(token_id), None),
            Self::Organizer { account_id } => (None, Some(account_id)),
        }
    }

    /// Who the audit log says checked the person in: a desk has no account.
    pub fn actor(&self) -> crate::audit::Actor<'_> {
        match self {
            Self::Organizer { account_id } => crate::audit::Actor::Account(account_id),
            Self::Desk { .. } | Self::Batch { .. } => crate::audit::Actor::System,
        }
    }

    /// The audit log's detail of a check-in: the day, how it came, and which desk (a desk has
    /// no account; its token's id says which one it was).
    pub fn audit_detail(&self, day: NaiveDate) -> String {
        match self {
            Self::Desk { token_id } | Self::Batch { token_id } => {
                format!("{day} {} desk:{token_id}", self.as_str())
            }
            Self::Organizer { .. } => format!("{day} {}", self.as_str()),
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

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn meeting(starts: &str, ends: &str) -> Meeting {
        let at = |text| {
            chrono::DateTime::parse_from_rfc3339(text)
                .unwrap()
                .naive_utc()
        };
        Meeting {
            id: "m".into(),
            slug: "m".into(),
            title: "Exchange".into(),
            description: String::new(),
            venue: String::new(),
            city: String::new(),
            country: "MX".into(),
            timezone: "America/Mexico_City".into(),
            starts_at: at(starts),
            ends_at: at(ends),
            registration_opens_at: None,
            registration_closes_at: None,
            capacity: None,
            per_organization_limit: None,
            approval_threshold: None,
            requires_approval: false,
            languages: "es,en".into(),
            status: "published".into(),
            translations: "{}".into(),
            updated_at: at(starts),
            purged_counts: None,
            address: String::new(),
            contact_email: None,
            invitation_reminder_days: None,
            signatory_name: None,
            signatory_title: None,
            travel_support: false,
            visa_letters: false,
        }
    }

    #[test]
    fn days_are_the_meeting_s_own_dates() {
        // Two days in Mexico City; 23:30 there on the first day is already the next day in UTC.
        let m = meeting("2030-05-29T09:00:00-06:00", "2030-05-31T00:00:00-06:00");
        let day = |d| NaiveDate::from_ymd_opt(2030, 5, d).unwrap();
        assert_eq!(
            meeting_days(&m),
            [day(29), day(30)],
            "ending at midnight adds no day"
        );
        let late = chrono::DateTime::parse_from_rfc3339("2030-05-29T23:30:00-06:00").unwrap();
        assert_eq!(day_of(&m, late.naive_utc()), day(29));
    }

    #[test]
    fn codes_are_long_random_and_read_as_typed() {
        let (a, b) = (CheckinCode::generate(), CheckinCode::generate());
        assert_ne!(a, b);
        assert_eq!(a.as_str().len(), 20);
        let typed = CheckinCode::grouped(a.as_str()).to_lowercase();
        assert_eq!(CheckinCode::parse(&typed).unwrap(), a);
        assert!(CheckinCode::parse("short").is_err());
    }
}
