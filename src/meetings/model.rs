//! Meeting types, their parsing and the decisions about them (no I/O).

use crate::error::{AppError, Checks, Problem};
use crate::schema::meetings;
use crate::values::{
    optional_line, optional_multiline, required_line, CountryCode, Email, Language, Slug,
};
use chrono::{DateTime, NaiveDateTime, TimeZone};
use chrono_tz::Tz;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MeetingStatus {
    Draft,
    Published,
    Closed,
    Cancelled,
}

impl MeetingStatus {
    const ALL: [Self; 4] = [Self::Draft, Self::Published, Self::Closed, Self::Cancelled];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Published => "published",
            Self::Closed => "closed",
            Self::Cancelled => "cancelled",
        }
    }
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == code)
    }
    fn parse(raw: Option<&str>) -> Result<Self, Problem> {
        match raw.map(str::trim) {
            None | Some("") => Ok(Self::Draft),
            Some(code) => Self::from_code(code).ok_or_else(|| {
                Problem::new("invalid", "must be draft, published, closed or cancelled")
            }),
        }
    }
}

/// Text of a meeting (or session) in one language.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Translation {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// A meeting's city as this language writes it ("Ciudad de México"); sessions have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
}

pub type Translations = BTreeMap<Language, Translation>;

/// A meeting as sent by an organizer: raw values, checked by `MeetingDraft::parse`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"slug": "hubs-exchange-2030", "title": "Regional exchange of migrant information hubs",
    "description": "Two days in Mexico City.", "venue": "Centro de Convenciones", "city": "Mexico City",
    "country": "MX", "timezone": "America/Mexico_City",
    "starts_at": "2030-05-29T09:00:00-06:00", "ends_at": "2030-05-30T18:00:00-06:00",
    "registration_closes_at": "2030-05-22T23:59:00-06:00", "capacity": 120,
    "requires_approval": false, "languages": ["es", "en"], "status": "published",
    "translations": {"es": {"title": "Intercambio regional de centros de información"}}}))]
pub struct MeetingForm {
    pub slug: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub venue: Option<String>,
    /// The venue's street address, for the map link and the participants' way there.
    pub address: Option<String>,
    pub city: Option<String>,
    pub country: Option<String>,
    pub timezone: Option<String>,
    pub starts_at: Option<String>,
    pub ends_at: Option<String>,
    pub registration_opens_at: Option<String>,
    pub registration_closes_at: Option<String>,
    pub capacity: Option<i64>,
    pub per_organization_limit: Option<i64>,
    /// Once this many seats are confirmed, further registrations wait for the organizer's
    /// approval: a script cannot take the last seats unseen. Null: never.
    pub approval_threshold: Option<i64>,
    pub requires_approval: Option<bool>,
    pub languages: Option<Vec<String>>,
    pub status: Option<String>,
    pub translations: Option<BTreeMap<String, Translation>>,
    /// Whom participants write to: shown on the pages, and the Reply-To of the emails.
    pub contact_email: Option<String>,
    /// An invitation still unused after this many days gets one reminder; null: none.
    pub invitation_reminder_days: Option<i64>,
    /// Who signs the certificates of attendance ("Dra. Ana Rivas"); null: "The organizers".
    pub signatory_name: Option<String>,
    /// The signatory's title ("Chief of Mission, IOM Mexico").
    pub signatory_title: Option<String>,
    /// The form asks about travel: funding, dates, hotel.
    pub travel_support: Option<bool>,
    /// Participants may ask for a visa letter (passport details are then asked).
    pub visa_letters: Option<bool>,
}

/// A meeting's every field, checked.
#[derive(Debug, Clone)]
pub struct MeetingDraft {
    pub slug: Slug,
    pub title: String,
    pub description: String,
    pub venue: String,
    pub address: String,
    pub city: String,
    pub country: CountryCode,
    pub timezone: Tz,
    pub starts_at: NaiveDateTime,
    pub ends_at: NaiveDateTime,
    pub registration_opens_at: Option<NaiveDateTime>,
    pub registration_closes_at: Option<NaiveDateTime>,
    pub capacity: Option<i64>,
    pub per_organization_limit: Option<i64>,
    pub approval_threshold: Option<i64>,
    pub requires_approval: bool,
    pub languages: Vec<Language>,
    pub status: MeetingStatus,
    pub translations: Translations,
    pub contact_email: Option<Email>,
    pub invitation_reminder_days: Option<i32>,
    pub signatory_name: Option<String>,
    pub signatory_title: Option<String>,
    pub travel_support: bool,
    pub visa_letters: bool,
}

const MAX_TITLE: usize = 200;
const MAX_DESCRIPTION: usize = 10_000;

/// An RFC 3339 time with offset, stored as UTC cut to microseconds.
pub fn parse_time(raw: Option<&str>) -> Result<Option<NaiveDateTime>, Problem> {
    let Some(text) = raw.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    DateTime::parse_from_rfc3339(text)
        .map(|at| Some(crate::db::truncate(at.naive_utc())))
        .map_err(|_| {
            Problem::new(
                "invalid",
                "must be an RFC 3339 time with offset, such as 2026-05-29T09:00:00-06:00",
            )
        })
}

fn required_time(raw: Option<&str>) -> Result<NaiveDateTime, Problem> {
    parse_time(raw)?.ok_or_else(Problem::required)
}

fn parse_limit(raw: Option<i64>, max: i64) -> Result<Option<i64>, Problem> {
    match raw {
        None => Ok(None),
        Some(n) if (1..=max).contains(&n) => Ok(Some(n)),
        Some(_) => Err(Problem::new(
            "out_of_range",
            format!("must be between 1 and {max}, or null for no limit"),
        )),
    }
}

fn parse_timezone(raw: Option<&str>) -> Result<Tz, Problem> {
    let text = raw
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(Problem::required)?;
    text.parse::<Tz>().map_err(|_| {
        Problem::new(
            "invalid",
            "must be an IANA time zone such as America/Mexico_City",
        )
    })
}

fn parse_languages(raw: Option<&[String]>) -> Result<Vec<Language>, Problem> {
    let Some(codes) = raw else {
        return Ok(vec![Language::Es, Language::En]);
    };
    let mut languages = Vec::new();
    for code in codes {
        let language = Language::from_code(code.trim())
            .ok_or_else(|| Problem::new("invalid", "languages must be \"en\" or \"es\""))?;
        if !languages.contains(&language) {
            languages.push(language);
        }
    }
    if languages.is_empty() {
        return Err(Problem::new("required", "name at least one language"));
    }
    Ok(languages)
}

/// `translations` as given, keyed by language; titles up to `max_title` and descriptions up to
/// `max_description` characters, a city where `with_city` (meetings), and an entry with none
/// dropped. Sessions share this.
pub(crate) fn parse_translations(
    raw: Option<&BTreeMap<String, Translation>>,
    max_title: usize,
    max_description: usize,
    with_city: bool,
) -> Result<Translations, Problem> {
    let mut translations = Translations::new();
    for (code, text) in raw.into_iter().flatten() {
        let language = Language::from_code(code)
            .ok_or_else(|| Problem::new("invalid", "translations are keyed \"en\" or \"es\""))?;
        let title = optional_line(text.title.as_deref(), max_title)?;
        let description = optional_multiline(text.description.as_deref(), max_description)?;
        let city = match (with_city, text.city.as_deref()) {
            (true, city) => optional_line(city, 100)?,
            (false, None) => None,
            (false, Some(_)) => return Err(Problem::new("invalid", "a session has no city")),
        };
        if title.is_some() || description.is_some() || city.is_some() {
            let text = Translation {
                title,
                description,
                city,
            };
            translations.insert(language, text);
        }
    }
    Ok(translations)
}

/// The contact address, if one is given.
fn contact_email(form: &MeetingForm, checks: &mut Checks) -> Option<Option<Email>> {
    match form.contact_email.as_deref().map(str::trim) {
        None | Some("") => Some(None),
        Some(text) => checks.field("contact_email", Email::parse(Some(text)).map(Some)),
    }
}

/// When registration opens and closes: each optional.
fn registration_window(
    form: &MeetingForm,
    checks: &mut Checks,
) -> (Option<Option<NaiveDateTime>>, Option<Option<NaiveDateTime>>) {
    let [opens, closes] = [
        ("registration_opens_at", &form.registration_opens_at),
        ("registration_closes_at", &form.registration_closes_at),
    ]
    .map(|(field, value)| checks.field(field, parse_time(value.as_deref())));
    (opens, closes)
}

/// Who signs the certificates, and their title: each optional.
type Signatory = (Option<Option<String>>, Option<Option<String>>);

fn signatory(form: &MeetingForm, checks: &mut Checks) -> Signatory {
    let [name, title] = [
        ("signatory_name", &form.signatory_name),
        ("signatory_title", &form.signatory_title),
    ]
    .map(|(field, value)| checks.field(field, optional_line(value.as_deref(), 200)));
    (name, title)
}

impl MeetingDraft {
    /// Checks every field and reports all problems at once.
    pub fn parse(form: &MeetingForm) -> Result<Self, AppError> {
        let mut checks = Checks::default();
        let slug = checks.field("slug", Slug::parse(form.slug.as_deref()));
        let title = checks.field("title", required_line(form.title.as_deref(), MAX_TITLE));
        let description = checks.field(
            "description",
            optional_multiline(form.description.as_deref(), MAX_DESCRIPTION),
        );
        let venue = checks.field("venue", optional_line(form.venue.as_deref(), 300));
        let address = checks.field("address", optional_line(form.address.as_deref(), 300));
        let city = checks.field("city", optional_line(form.city.as_deref(), 100));
        let contact = contact_email(form, &mut checks);
        let country = checks.field("country", CountryCode::parse(form.country.as_deref()));
        let timezone = checks.field("timezone", parse_timezone(form.timezone.as_deref()));
        let starts_at = checks.field("starts_at", required_time(form.starts_at.as_deref()));
        let ends_at = checks.field("ends_at", required_time(form.ends_at.as_deref()));
        let (opens_at, closes_at) = registration_window(form, &mut checks);
        let capacity = checks.field("capacity", parse_limit(form.capacity, 1_000_000));
        let per_org = checks.field(
            "per_organization_limit",
            parse_limit(form.per_organization_limit, 100_000),
        );
        let threshold = checks.field(
            "approval_threshold",
            parse_limit(form.approval_threshold, 1_000_000),
        );
        let reminder = checks.field(
            "invitation_reminder_days",
            parse_limit(form.invitation_reminder_days, 60).map(|days| days.map(|d| d as i32)),
        );
        let signatory = signatory(form, &mut checks);
        let languages = checks.field("languages", parse_languages(form.languages.as_deref()));
        let status = checks.field("status", MeetingStatus::parse(form.status.as_deref()));
        let translations = checks.field(
            "translations",
            parse_translations(form.translations.as_ref(), MAX_TITLE, MAX_DESCRIPTION, true),
        );

        check_dates_in_order(&mut checks, starts_at, ends_at, opens_at, closes_at);
        // Every field, or none if one failed (its problem is recorded in `checks`).
        let draft = (|| {
            Some(Self {
                slug: slug?,
                title: title?,
                description: description?.unwrap_or_default(),
                venue: venue?.unwrap_or_default(),
                address: address?.unwrap_or_default(),
                city: city?.unwrap_or_default(),
                country: country?,
                timezone: timezone?,
                starts_at: starts_at?,
                ends_at: ends_at?,
                registration_opens_at: opens_at?,
                registration_closes_at: closes_at?,
                capacity: capacity?,
                per_organization_limit: per_org?,
                approval_threshold: threshold?,
                requires_approval: form.requires_approval.unwrap_or(false),
                languages: languages?,
                status: status?,
                translations: translations?,
                contact_email: contact?,
                invitation_reminder_days: reminder?,
                signatory_name: signatory.0?,
                signatory_title: signatory.1?,
                travel_support: form.travel_support.unwrap_or(false),
                visa_letters: form.visa_letters.unwrap_or(false),
            })
        })();
        match draft {
            Some(draft) if checks.is_clean() => Ok(draft),
            _ => Err(checks.into_error()),
        }
    }
}

/// The meeting ends after it starts, and registration closes after it opens and no later than
/// the meeting ends; checked once the times themselves parsed.
fn check_dates_in_order(
    checks: &mut Checks,
    starts_at: Option<NaiveDateTime>,
    ends_at: Option<NaiveDateTime>,
    opens_at: Option<Option<NaiveDateTime>>,
    closes_at: Option<Option<NaiveDateTime>>,
) {
    if let (Some(starts), Some(ends)) = (starts_at, ends_at) {
        if ends <= starts {
            checks.add(
                "ends_at",
                Problem::new("before_start", "must be after starts_at"),
            );
        }
    }
    if let (Some(Some(opens)), Some(Some(closes))) = (opens_at, closes_at) {
        if closes <= opens {
            checks.add(
                "registration_closes_at",
                Problem::new("before_open", "must be after registration_opens_at"),
            );
        }
    }
    if let (Some(Some(closes)), Some(ends)) = (closes_at, ends_at) {
        if closes > ends {
            checks.add(
                "registration_closes_at",
                Problem::new("after_end", "must not be after the meeting ends"),
            );
        }
    }
}

/// The parts that are there, joined by commas: a place from venue, address, city…
pub fn joined(parts: &[&str]) -> String {
    parts
        .iter()
        .filter(|part| !part.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(", ")
}

/// A meeting as stored.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = meetings)]
pub struct Meeting {
    pub id: String,
    pub slug: String,
    pub title: String,
    pub description: String,
    pub venue: String,
    pub city: String,
    pub country: String,
    pub timezone: String,
    pub starts_at: NaiveDateTime,
    pub ends_at: NaiveDateTime,
    pub registration_opens_at: Option<NaiveDateTime>,
    pub registration_closes_at: Option<NaiveDateTime>,
    pub capacity: Option<i64>,
    pub per_organization_limit: Option<i64>,
    pub approval_threshold: Option<i64>,
    pub requires_approval: bool,
    pub languages: String,
    pub status: String,
    pub translations: String,
    pub updated_at: NaiveDateTime,
    /// Anonymous counts kept when the personal data was purged.
    pub purged_counts: Option<String>,
    pub address: String,
    pub contact_email: Option<String>,
    pub invitation_reminder_days: Option<i32>,
    /// Who signs the meeting's documents (certificates of attendance), and their title.
    pub signatory_name: Option<String>,
    pub signatory_title: Option<String>,
    pub travel_support: bool,
    pub visa_letters: bool,
}

impl Meeting {
    pub fn tz(&self) -> Tz {
        self.timezone.parse().unwrap_or(Tz::UTC)
    }

    /// A stored UTC time in the meeting's own zone.
    pub fn local(&self, at: NaiveDateTime) -> DateTime<Tz> {
        self.tz().from_utc_datetime(&at)
    }

    /// A stored UTC time as a reader reads it, in the meeting's zone: "29 May 2030, 09:00".
    pub fn written(&self, at: NaiveDateTime, language: crate::values::Language) -> String {
        crate::i18n::date_time(&self.local(at).naive_local(), language)
    }

    /// An RFC 3339 time (as the API writes them) as a reader reads it, in the meeting's zone.
    /// Text that is not such a time is given back as it came.
    pub fn written_rfc3339(&self, text: &str, language: crate::values::Language) -> String {
        match DateTime::parse_from_rfc3339(text) {
            Ok(at) => self.written(at.naive_utc(), language),
            Err(_) => text.to_owned(),
        }
    }

    /// RFC 3339 in the meeting's own zone, with its offset on that day.
    pub fn rfc3339(&self, at: NaiveDateTime) -> String {
        self.local(at).to_rfc3339()
    }

    /// "Centro de Convenciones Tlatelolco, Av. Ricardo Flores Magón 1, Ciudad de México"
    pub fn place(&self, language: Language) -> String {
        joined(&[&self.venue, &self.address, &self.city_in(language)])
    }

    /// The city as a reader of `language` writes it: the translation, else the city as given.
    pub fn city_in(&self, language: Language) -> String {
        self.translated(language, |t| t.city, &self.city)
    }

    /// A text of the translation for `language`, else the text as given.
    fn translated(
        &self,
        language: Language,
        text: impl FnOnce(Translation) -> Option<String>,
        given: &str,
    ) -> String {
        self.translations()
            .remove(&language)
            .and_then(text)
            .unwrap_or_else(|| given.to_owned())
    }

    /// The meeting's clock in words: "Mexico City time, UTC−06:00", with the offset on
    /// its first day; the zone's own name when the meeting has no city.
    pub fn zone_in(&self, language: Language) -> String {
        let offset = self.local(self.starts_at).format("%:z").to_string();
        let offset = format!("UTC{}", offset.replacen('-', "\u{2212}", 1));
        let city = self.city_in(language);
        let place = if city.is_empty() {
            self.timezone.replace('_', " ")
        } else {
            city
        };
        crate::i18n::fill(
            crate::i18n::catalogue(language).time_in_city,
            &[("city", &place), ("offset", &offset)],
        )
    }

    /// Seats left once `confirmed` hold theirs; null: no limit.
    pub fn seats_left(&self, confirmed: i64) -> Option<i64> {
        self.capacity.map(|capacity| (capacity - confirmed).max(0))
    }

    pub fn status(&self) -> MeetingStatus {
        MeetingStatus::from_code(&self.status).unwrap_or(MeetingStatus::Draft)
    }

    pub fn is_public(&self) -> bool {
        self.status() != MeetingStatus::Draft
    }

    /// Whether registration is accepted at `now`: published and inside the window (which never
    /// reaches past the meeting's end).
    pub fn registration_open(&self, now: NaiveDateTime) -> bool {
        self.status() == MeetingStatus::Published
            && self.registration_opens_at.is_none_or(|opens| now >= opens)
            && self
                .registration_closes_at
                .is_none_or(|closes| now < closes)
            && now < self.ends_at
    }

    pub fn translations(&self) -> Translations {
        serde_json::from_str(&self.translations).unwrap_or_default()
    }

    pub fn languages(&self) -> Vec<Language> {
        self.languages
            .split(',')
            .filter_map(Language::from_code)
            .collect()
    }

    /// The title a reader of `language` sees: the translation, else the title as given.
    pub fn title_in(&self, language: Language) -> String {
        self.translated(language, |t| t.title, &self.title)
    }

    pub fn description_in(&self, language: Language) -> String {
        self.translated(language, |t| t.description, &self.description)
    }

    /// The meeting as its form, so a PATCH can be laid over it and checked like a new one.
    pub fn to_form(&self) -> MeetingForm {
        let time = |at: NaiveDateTime| Some(self.rfc3339(at));
        MeetingForm {
            slug: Some(self.slug.clone()),
            title: Some(self.title.clone()),
            description: Some(self.description.clone()),
            venue: Some(self.venue.clone()),
            address: Some(self.address.clone()),
            city: Some(self.city.clone()),
            country: Some(self.country.clone()),
            timezone: Some(self.timezone.clone()),
            starts_at: time(self.starts_at),
            ends_at: time(self.ends_at),
            registration_opens_at: self.registration_opens_at.and_then(time),
            registration_closes_at: self.registration_closes_at.and_then(time),
            capacity: self.capacity,
            per_organization_limit: self.per_organization_limit,
            approval_threshold: self.approval_threshold,
            requires_approval: Some(self.requires_approval),
            languages: Some(
                self.languages()
                    .iter()
                    .map(|l| l.as_str().to_owned())
                    .collect(),
            ),
            status: Some(self.status.clone()),
            travel_support: Some(self.travel_support),
            visa_letters: Some(self.visa_letters),
            translations: Some(
                self.translations()
                    .into_iter()
                    .map(|(language, text)| (language.as_str().to_owned(), text))
                    .collect(),
            ),
            contact_email: self.contact_email.clone(),
            invitation_reminder_days: self.invitation_reminder_days.map(i64::from),
            signatory_name: self.signatory_name.clone(),
            signatory_title: self.signatory_title.clone(),
        }
    }
}

#[cfg(test)]
mod tests;
