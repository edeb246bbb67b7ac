//! Travel support: what a participant asks (funding, dates, hotel, a visa letter), what the
//! organizer decides and books, and the protection of the passport number and date of birth
//! ([`sealed`]).

pub mod dashboard;
pub mod letter_pdf;
pub mod letters;
pub mod own;
pub mod purge;
pub mod rooming;
pub mod routes;
pub mod sealed;
pub mod store;
pub mod verify;

use crate::error::{AppError, Checks, Problem};
use crate::meetings::Meeting;
use crate::values::{optional_line, optional_multiline, CountryCode};
use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};

/// Travel as sent with a registration, or by the participant later: raw values.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"funding_requested": true, "departure_city": "Tegucigalpa",
    "arrival_date": "2027-05-28", "departure_date": "2027-05-31", "hotel_needed": true,
    "nationality": "HN", "passport_number": "G1234567", "passport_expiry": "2030-01-31",
    "date_of_birth": "1990-04-02", "visa_letter_requested": true}))]
pub struct TravelForm {
    pub funding_requested: Option<bool>,
    pub departure_city: Option<String>,
    pub arrival_date: Option<String>,
    pub departure_date: Option<String>,
    pub hotel_needed: Option<bool>,
    pub visa_letter_requested: Option<bool>,
    /// Needed for a visa letter, with the passport and the date of birth.
    pub nationality: Option<String>,
    pub passport_number: Option<String>,
    pub passport_expiry: Option<String>,
    pub date_of_birth: Option<String>,
}

/// What a visa letter needs, checked; held in clear only until it is sealed.
#[derive(Clone)]
pub struct VisaDetails {
    pub nationality: CountryCode,
    pub passport_number: String,
    pub passport_expiry: NaiveDate,
    pub date_of_birth: NaiveDate,
}

impl std::fmt::Debug for VisaDetails {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VisaDetails")
            .field("nationality", &self.nationality)
            .field("passport_number", &masked(&self.passport_number))
            .finish_non_exhaustive()
    }
}

/// Travel, checked against the meeting.
#[derive(Debug, Clone)]
pub struct TravelDraft {
    pub funding_requested: bool,
    pub departure_city: Option<String>,
    pub arrival_date: Option<NaiveDate>,
    pub departure_date: Option<NaiveDate>,
    pub hotel_needed: bool,
    /// Present when a visa letter is asked for.
    pub visa: Option<VisaDetails>,
}

/// The organizer's booking, as sent: the itinerary and the hotel booking, as text.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BookingForm {
    pub itinerary: Option<String>,
    pub hotel_booking: Option<String>,
}

/// A booking, checked.
#[derive(Debug, Clone)]
pub struct Booking {
    pub itinerary: Option<String>,
    pub hotel_booking: Option<String>,
}

impl Booking {
    pub fn parse(form: &BookingForm) -> Result<Self, AppError> {
        let mut checks = Checks::default();
        let itinerary = checks.field(
            "itinerary",
            optional_multiline(form.itinerary.as_deref(), 4000),
        );
        let hotel_booking = checks.field(
            "hotel_booking",
            optional_multiline(form.hotel_booking.as_deref(), 4000),
        );
        match (itinerary, hotel_booking) {
            (Some(itinerary), Some(hotel_booking)) if checks.is_clean() => Ok(Self {
                itinerary,
                hotel_booking,
            }),
            _ => Err(checks.into_error()),
        }
    }
}

/// What a participant is told about their travel, by email in their language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "news", rename_all = "snake_case")]
pub enum TravelNews {
    FundingApproved {
        note: Option<String>,
    },
    FundingDeclined {
        note: Option<String>,
    },
    Booked {
        itinerary: Option<String>,
        hotel_booking: Option<String>,
    },
    /// A visa letter was issued: it is on the participant's page (never in the email).
    LetterIssued,
}

impl TravelNews {
    pub fn kind(&self) -> &'static str {
        match self {
            Self::FundingApproved { .. } => "travel_funding_approved",
            Self::FundingDeclined { .. } => "travel_funding_declined",
            Self::Booked { .. } => "travel_booked",
            Self::LetterIssued => "visa_letter_issued",
        }
    }

    /// The email's subject and its paragraphs: what happened, then what the organizer wrote.
    pub fn told(&self, meeting: &str, t: &crate::i18n::Travel) -> (&'static str, Vec<String>) {
        let fill = |template: &str| template.replace("{meeting}", meeting);
        let labelled = |label: &str, text: &Option<String>| {
            text.as_ref().map(|text| format!("{label}:\n{text}"))
        };
        match self {
            Self::FundingApproved { note } => (
                t.funding_approved_subject,
                [Some(fill(t.funding_approved_body)), labelled(t.note, note)]
                    .into_iter()
                    .flatten()
                    .collect(),
            ),
            Self::FundingDeclined { note } => (
                t.funding_declined_subject,
                [Some(fill(t.funding_declined_body)), labelled(t.note, note)]
                    .into_iter()
                    .flatten()
                    .collect(),
            ),
            Self::Booked {
                itinerary,
                hotel_booking,
            } => (
                t.booked_subject,
                [
                    Some(fill(t.booked_body)),
                    labelled(t.itinerary, itinerary),
                    labelled(t.hotel_booking, hotel_booking),
                ]
                .into_iter()
                .flatten()
                .collect(),
            ),
            Self::LetterIssued => (t.letter_issued_subject, vec![fill(t.letter_issued_body)]),
        }
    }
}

/// What the meeting offers, and its dates in its own zone: what travel is checked against.
#[derive(Debug, Clone, Copy)]
pub struct TravelRules {
    pub travel_support: bool,
    pub visa_letters: bool,
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
    /// A date of birth is before it.
    pub today: NaiveDate,
}

/// How far from the meeting's days travel dates may be.
const DAYS_AROUND: i64 = 30;

impl TravelRules {
    pub fn of(meeting: &Meeting, today: NaiveDate) -> Self {
        let (first_day, last_day) = crate::checkin::meeting_days(meeting)
            .first()
            .zip(crate::checkin::meeting_days(meeting).last())
            .map(|(a, b)| (*a, *b))
            .unwrap_or_else(|| {
                let day = meeting.local(meeting.starts_at).date_naive();
                (day, day)
            });
        Self {
            travel_support: meeting.travel_support,
            visa_letters: meeting.visa_letters,
            first_day,
            last_day,
            today,
        }
    }

    /// A meeting that asks nothing about travel (and a form that sends none).
    pub fn none() -> Self {
        let day = NaiveDate::default();
        Self {
            travel_support: false,
            visa_letters: false,
            first_day: day,
            last_day: day,
            today: day,
        }
    }

    fn offered(&self) -> bool {
        self.travel_support || self.visa_letters
    }
}

/// The passport number as organizers see it: its last three characters.
pub fn masked(number: &str) -> String {
    let chars: Vec<char> = number.chars().collect();
    let shown: String = chars[chars.len().saturating_sub(3)..].iter().collect();
    format!("•••••{shown}")
}

fn date(raw: Option<&str>) -> Result<Option<NaiveDate>, Problem> {
    match raw.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(text) => NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| Problem::new("invalid_date", "must be a date as YYYY-MM-DD")),
    }
}

fn required_date(raw: Option<&str>) -> Result<NaiveDate, Problem> {
    date(raw)?.ok_or_else(Problem::required)
}

/// A passport number as printed: letters and digits, spaces and dashes dropped, upper case.
fn passport_number(raw: Option<&str>) -> Result<String, Problem> {
    let text: String = raw
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect::<String>()
        .to_uppercase();
    if text.is_empty() {
        return Err(Problem::required());
    }
    if !(5..=20).contains(&text.chars().count()) || !text.chars().all(|c| c.is_ascii_alphanumeric())
    {
        return Err(Problem::new(
            "invalid_passport_number",
            "must be 5 to 20 letters and digits, as printed in the passport",
        ));
    }
    Ok(text)
}

impl TravelDraft {
    /// Checks travel against the meeting, each bad field named under `travel.`. A visa letter
    /// asked of a meeting that gives none is a 409, not a field's error.
    pub fn parse(
        form: Option<&TravelForm>,
        rules: &TravelRules,
        checks: &mut Checks,
    ) -> Result<Option<Self>, AppError> {
        let Some(form) = form else {
            return Ok(None);
        };
        if !rules.offered() {
            checks.add(
                "travel",
                Problem::new("not_offered", "this meeting offers no travel support"),
            );
            return Ok(None);
        }
        let wants_letter = form.visa_letter_requested == Some(true);
        if wants_letter && !rules.visa_letters {
            return Err(AppError::conflict(
                "visa_letters_not_offered",
                "this meeting does not issue visa letters",
            ));
        }
        let funding_requested = form.funding_requested == Some(true);
        if funding_requested && !rules.travel_support {
            checks.add(
                "travel.funding_requested",
                Problem::new("not_offered", "this meeting does not fund travel"),
            );
        }
        let city = checks.field(
            "travel.departure_city",
            optional_line(form.departure_city.as_deref(), 100),
        );
        let (arrival, departure) = travel_dates(form, rules, checks);
        let visa = if wants_letter {
            visa_details(form, rules, checks).map(Some)
        } else {
            Some(None)
        };
        Ok((|| {
            Some(Self {
                funding_requested,
                departure_city: city?,
                arrival_date: arrival?,
                departure_date: departure?,
                hotel_needed: form.hotel_needed == Some(true),
                visa: visa?,
            })
        })())
    }
}

type Dates = (Option<Option<NaiveDate>>, Option<Option<NaiveDate>>);

/// Arrival and departure: each a date near the meeting, the arrival first.
fn travel_dates(form: &TravelForm, rules: &TravelRules, checks: &mut Checks) -> Dates {
    let earliest = rules.first_day - Duration::days(DAYS_AROUND);
    let latest = rules.last_day + Duration::days(DAYS_AROUND);
    let near = |raw: Option<&str>| {
        date(raw).and_then(|day| match day {
            Some(day) if day < earliest || day > latest => Err(Problem::new(
                "far_from_meeting",
                format!("must be between {earliest} and {latest}"),
            )),
            day => Ok(day),
        })
    };
    let arrival = checks.field("travel.arrival_date", near(form.arrival_date.as_deref()));
    let departure = checks.field(
        "travel.departure_date",
        near(form.departure_date.as_deref()),
    );
    if let (Some(Some(arrives)), Some(Some(leaves))) = (arrival, departure) {
        if leaves < arrives {
            checks.add(
                "travel.departure_date",
                Problem::new("before_arrival", "must not be before the arrival date"),
            );
        }
    }
    (arrival, departure)
}

fn visa_details(
    form: &TravelForm,
    rules: &TravelRules,
    checks: &mut Checks,
) -> Option<VisaDetails> {
    let nationality = checks.field(
        "travel.nationality",
        CountryCode::parse(form.nationality.as_deref()),
    );
    let number = checks.field(
        "travel.passport_number",
        passport_number(form.passport_number.as_deref()),
    );
    let expiry = checks.field(
        "travel.passport_expiry",
        required_date(form.passport_expiry.as_deref()).and_then(|day| {
            if day < rules.last_day {
                Err(Problem::new(
                    "expires_before_meeting_end",
                    format!("the passport must be valid until {}", rules.last_day),
                ))
            } else {
                Ok(day)
            }
        }),
    );
    let born = checks.field(
        "travel.date_of_birth",
        required_date(form.date_of_birth.as_deref()).and_then(|day| {
            let oldest = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or_default();
            if day >= rules.today || day < oldest {
                Err(Problem::new(
                    "implausible",
                    "must be a date of birth in the past",
                ))
            } else {
                Ok(day)
            }
        }),
    );
    Some(VisaDetails {
        nationality: nationality?,
        passport_number: number?,
        passport_expiry: expiry?,
        date_of_birth: born?,
    })
}

#[cfg(test)]
mod tests;
