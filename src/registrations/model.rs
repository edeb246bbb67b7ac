//! Registration types, parsing and seat decisions (no I/O).

use crate::error::{AppError, Checks, Problem};
use crate::exports::{Cell, Column};
use crate::meetings::Meeting;
use crate::schema::{organizations, registrations};
use crate::values::{
    optional_line, optional_multiline, optional_name, required_name, CountryCode, Email, Language,
    OrganizationKind,
};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

/// How long an address has to be confirmed before the registration expires.
pub const CONFIRMATION_WINDOW: chrono::TimeDelta = chrono::TimeDelta::hours(48);
/// How often registering a known address again emails its manage link: anyone can type an
/// address, so without a bound the form would mail a stranger at will.
pub const LINK_RESEND_INTERVAL: chrono::TimeDelta = chrono::TimeDelta::hours(1);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegistrationStatus {
    PendingEmail,
    PendingApproval,
    Confirmed,
    Waitlisted,
    Rejected,
    Cancelled,
    Expired,
}

impl RegistrationStatus {
    pub const ALL: [Self; 7] = [
        Self::PendingEmail,
        Self::PendingApproval,
        Self::Confirmed,
        Self::Waitlisted,
        Self::Rejected,
        Self::Cancelled,
        Self::Expired,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PendingEmail => "pending_email",
            Self::PendingApproval => "pending_approval",
            Self::Confirmed => "confirmed",
            Self::Waitlisted => "waitlisted",
            Self::Rejected => "rejected",
            Self::Cancelled => "cancelled",
            Self::Expired => "expired",
        }
    }
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == code)
    }
    /// Whether a participant or organizer may cancel from here.
    pub fn cancellable(self) -> bool {
        matches!(
            self,
            Self::PendingEmail | Self::PendingApproval | Self::Confirmed | Self::Waitlisted
        )
    }
    /// Whether registering the same address again starts afresh rather than being refused.
    pub fn can_register_again(self) -> bool {
        matches!(self, Self::Cancelled | Self::Expired)
    }
}

/// Whether a confirmed registration would fit: capacity and the per-organisation limit.
pub fn seat_available(
    meeting: &Meeting,
    confirmed_in_meeting: i64,
    confirmed_in_organization: i64,
) -> bool {
    meeting
        .capacity
        .is_none_or(|capacity| confirmed_in_meeting < capacity)
        && meeting
            .per_organization_limit
            .is_none_or(|limit| confirmed_in_organization < limit)
}

/// An organisation as sent in a registration.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganizationForm {
    pub name: Option<String>,
    pub kind: Option<String>,
    pub country: Option<String>,
}

/// A registration as sent: raw values, checked by `NewRegistration::parse`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"full_name": "Ana María Pérez", "email": "ana.perez@example.org",
    "organization": {"name": "Centro de Información Tapachula", "kind": "information_hub", "country": "MX"},
    "job_title": "Coordinadora", "country": "MX", "language": "es",
    "consent_data_processing": true, "consent_press_listing": true,
    "dietary": null, "accessibility": null, "interpretation": "es-en"}))]
pub struct RegistrationForm {
    pub full_name: Option<String>,
    pub email: Option<String>,
    pub organization: Option<OrganizationForm>,
    pub job_title: Option<String>,
    pub country: Option<String>,
    pub language: Option<String>,
    pub consent_data_processing: Option<bool>,
    pub consent_press_listing: Option<bool>,
    pub dietary: Option<String>,
    pub accessibility: Option<String>,
    pub interpretation: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrganization {
    pub name: String,
    pub kind: OrganizationKind,
    pub country: CountryCode,
}

impl NewOrganization {
    /// Organisations are the same, in one country, when their names look alike: see
    /// [`organization_key`].
    pub fn key(&self) -> String {
        organization_key(&self.name)
    }
}

/// The key under which look-alike organisation names meet, so that a trailing dot, a Cyrillic
/// `о`, a zero-width space, fullwidth letters, case or spacing cannot make a "new" organisation
/// (and so a fresh per-organisation limit). Compatibility forms are folded (NFKC), lowercased,
/// mapped to their confusables skeleton (Unicode TR39), and everything but letters, digits and
/// single spaces dropped. Accents stay: "Perú" and "Peru" are different words.
pub fn organization_key(name: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    // Lowercase before the skeleton too: it maps "I" to "l" but "i" to itself.
    let folded: String = name.nfkc().collect::<String>().to_lowercase();
    let skeleton: String = unicode_security::skeleton(&folded).nfc().collect();
    skeleton
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || c.is_whitespace())
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// What an organisation's name may hold: letters (with their accents), digits, spaces and the
/// punctuation names use. Its key drops everything else, so a name with symbols or emoji would
/// share a row with the plain name and could show there, in the picker and the press list.
fn organization_char(c: char) -> bool {
    c.is_alphanumeric()
        || c.is_whitespace()
        || unicode_normalization::char::is_combining_mark(c)
        || ".,-–—&'’()/+:;\"«»¡!¿?#°ºª@*_".contains(c)
}

/// A registration's every field, checked.
#[derive(Debug, Clone)]
pub struct NewRegistration {
    pub full_name: String,
    pub email: Email,
    pub organization: NewOrganization,
    pub job_title: Option<String>,
    pub country: CountryCode,
    pub language: Language,
    pub consent_press_listing: bool,
    pub dietary: Option<String>,
    pub accessibility: Option<String>,
    pub interpretation: Option<String>,
}

const MAX_NAME: usize = 200;
const MAX_NEEDS: usize = 1000;

impl NewRegistration {
    /// Checks every field and reports all problems at once.
    pub fn parse(form: &RegistrationForm) -> Result<Self, AppError> {
        let mut checks = Checks::default();
        let full_name = checks.field(
            "full_name",
            required_name(form.full_name.as_deref(), MAX_NAME),
        );
        let email = checks.field("email", Email::parse(form.email.as_deref()));
        let org = form.organization.clone().unwrap_or_default();
        if form.organization.is_none() {
            checks.add("organization", Problem::required());
        }
        let org_name = checks.field(
            "organization.name",
            required_name(org.name.as_deref(), MAX_NAME).and_then(|name| {
                if organization_key(&name).is_empty() {
                    Err(Problem::new("invalid", "must contain letters or digits"))
                } else if !name.chars().all(organization_char) {
                    Err(Problem::new(
                        "symbols",
                        "letters, digits, spaces and punctuation only",
                    ))
                } else {
                    Ok(name)
                }
            }),
        );
        let org_kind = checks.field(
            "organization.kind",
            OrganizationKind::parse(org.kind.as_deref()),
        );
        let org_country = checks.field(
            "organization.country",
            CountryCode::parse(org.country.as_deref()),
        );
        let job_title = checks.field(
            "job_title",
            optional_name(form.job_title.as_deref(), MAX_NAME),
        );
        let country = checks.field("country", CountryCode::parse(form.country.as_deref()));
        let language = checks.field("language", Language::parse(form.language.as_deref()));
        if form.consent_data_processing != Some(true) {
            checks.add(
                "consent_data_processing",
                Problem::new(
                    "required",
                    "consent to the processing of your data is required to register",
                ),
            );
        }
        let dietary = checks.field(
            "dietary",
            optional_multiline(form.dietary.as_deref(), MAX_NEEDS),
        );
        let accessibility = checks.field(
            "accessibility",
            optional_multiline(form.accessibility.as_deref(), MAX_NEEDS),
        );
        let interpretation = checks.field(
            "interpretation",
            optional_line(form.interpretation.as_deref(), MAX_NAME),
        );
        match (
            full_name,
            email,
            org_name,
            org_kind,
            org_country,
            job_title,
            country,
            language,
            dietary,
            accessibility,
            interpretation,
        ) {
            (
                Some(full_name),
                Some(email),
                Some(name),
                Some(kind),
                Some(org_country),
                Some(job_title),
                Some(country),
                Some(language),
                Some(dietary),
                Some(accessibility),
                Some(interpretation),
            ) if checks.is_clean() => Ok(Self {
                full_name,
                email,
                organization: NewOrganization {
                    name,
                    kind,
                    country: org_country,
                },
                job_title,
                country,
                language,
                consent_press_listing: form.consent_press_listing.unwrap_or(false),
                dietary,
                accessibility,
                interpretation,
            }),
            _ => Err(checks.into_error()),
        }
    }

    /// What the organizer's search matches: name, address, organisation and job title, in
    /// lowercase so that both backends compare alike.
    pub fn search_text(&self) -> String {
        [
            self.full_name.as_str(),
            self.email.as_str(),
            self.organization.name.as_str(),
            self.job_title.as_deref().unwrap_or(""),
        ]
        .join(" ")
        .to_lowercase()
    }
}

/// How long an accepted registration counts against its client's limit in a meeting.
pub const ATTEMPT_WINDOW: chrono::TimeDelta = chrono::TimeDelta::hours(1);

/// The client a registration comes from, as far as the guard against scripted sign-ups needs
/// it: its address, and how many registrations it may have accepted in one meeting within
/// [`ATTEMPT_WINDOW`]. Only a digest of the address is stored ([`ClientGuard::key_for`]).
#[derive(Debug, Clone, Default)]
pub struct ClientGuard {
    address: Option<std::net::IpAddr>,
    pub limit: Option<i64>,
}

impl ClientGuard {
    /// `limit` 0 means no limit.
    pub fn new(address: Option<std::net::IpAddr>, limit: u32) -> Self {
        Self {
            address,
            limit: (limit > 0).then_some(i64::from(limit)),
        }
    }

    /// The client's key in one meeting, when the guard is on: a digest salted with the
    /// meeting, so keys cannot be matched across meetings, and kept only for the window.
    pub fn key_for(&self, meeting_id: &str) -> Option<String> {
        use sha2::{Digest, Sha256};
        self.limit?;
        let ip = self.address?;
        Some(hex::encode(Sha256::digest(format!(
            "convene-client {meeting_id} {ip}"
        ))))
    }
}

/// A registration as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = registrations)]
pub struct Registration {
    pub id: String,
    pub meeting_id: String,
    pub email: String,
    pub full_name: String,
    pub organization_id: String,
    pub job_title: Option<String>,
    pub country: String,
    pub language: String,
    pub dietary: Option<String>,
    pub accessibility: Option<String>,
    pub interpretation: Option<String>,
    pub consent_data_processing: bool,
    pub consent_press_listing: bool,
    pub status: String,
    pub queue_ticket: Option<i64>,
    pub created_at: NaiveDateTime,
    pub confirmed_at: Option<NaiveDateTime>,
    pub checked_in_at: Option<NaiveDateTime>,
    /// The address's key, or (set aside for a new registration) the key and the id.
    pub email_key: String,
}

impl Registration {
    pub fn status(&self) -> RegistrationStatus {
        RegistrationStatus::from_code(&self.status).unwrap_or(RegistrationStatus::Expired)
    }
    pub fn language(&self) -> Language {
        Language::from_code(&self.language).unwrap_or_default()
    }
    /// The form this registration would be sent as, so a PATCH can be laid over it.
    pub fn to_form(&self, organization: &Organization) -> RegistrationForm {
        RegistrationForm {
            full_name: Some(self.full_name.clone()),
            email: Some(self.email.clone()),
            organization: Some(OrganizationForm {
                name: Some(organization.name.clone()),
                kind: Some(organization.kind.clone()),
                country: Some(organization.country.clone()),
            }),
            job_title: self.job_title.clone(),
            country: Some(self.country.clone()),
            language: Some(self.language.clone()),
            consent_data_processing: Some(self.consent_data_processing),
            consent_press_listing: Some(self.consent_press_listing),
            dietary: self.dietary.clone(),
            accessibility: self.accessibility.clone(),
            interpretation: self.interpretation.clone(),
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = organizations)]
pub struct Organization {
    #[serde(skip_serializing)]
    #[schema(ignore)]
    pub id: String,
    pub name: String,
    pub kind: String,
    pub country: String,
}

/// A registration as organizers and its participant see it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RegistrationView {
    pub id: String,
    pub meeting: String,
    pub status: String,
    pub waitlist_position: Option<i64>,
    pub created_at: String,
    pub confirmed_at: Option<String>,
    pub checked_in_at: Option<String>,
    pub full_name: String,
    pub email: String,
    pub organization: Organization,
    pub job_title: Option<String>,
    pub country: String,
    pub language: String,
    pub consent_data_processing: bool,
    pub consent_press_listing: bool,
    pub dietary: Option<String>,
    pub accessibility: Option<String>,
    pub interpretation: Option<String>,
}

impl RegistrationView {
    pub fn new(
        meeting: &Meeting,
        registration: Registration,
        organization: Organization,
        waitlist_position: Option<i64>,
    ) -> Self {
        Self {
            meeting: meeting.slug.clone(),
            status: registration.status.clone(),
            waitlist_position,
            created_at: meeting.rfc3339(registration.created_at),
            confirmed_at: registration.confirmed_at.map(|at| meeting.rfc3339(at)),
            checked_in_at: registration.checked_in_at.map(|at| meeting.rfc3339(at)),
            id: registration.id,
            full_name: registration.full_name,
            email: registration.email,
            organization,
            job_title: registration.job_title,
            country: registration.country,
            language: registration.language,
            consent_data_processing: registration.consent_data_processing,
            consent_press_listing: registration.consent_press_listing,
            dietary: registration.dietary,
            accessibility: registration.accessibility,
            interpretation: registration.interpretation,
        }
    }
}

/// Every field, for the organizer's exports.
pub const REGISTRATION_COLUMNS: [Column; 19] = [
    Column::new("id", 38.0),
    Column::new("status", 16.0),
    Column::new("waitlist_position", 10.0),
    Column::new("created_at", 26.0),
    Column::new("confirmed_at", 26.0),
    Column::new("checked_in_at", 26.0),
    Column::new("full_name", 30.0),
    Column::new("email", 32.0),
    Column::new("organization", 45.0),
    Column::new("organization_kind", 18.0),
    Column::new("organization_country", 10.0),
    Column::new("job_title", 30.0),
    Column::new("country", 9.0),
    Column::new("language", 9.0),
    Column::new("consent_data_processing", 12.0),
    Column::new("consent_press_listing", 12.0),
    Column::new("dietary", 30.0),
    Column::new("accessibility", 30.0),
    Column::new("interpretation", 16.0),
];

impl RegistrationView {
    pub fn cells(self) -> Vec<Cell> {
        let text = |value: Option<String>| Cell::Text(value.unwrap_or_default());
        vec![
            Cell::Value(self.id),
            Cell::Value(self.status),
            Cell::Value(
                self.waitlist_position
                    .map(|p| p.to_string())
                    .unwrap_or_default(),
            ),
            Cell::Value(self.created_at),
            Cell::Value(self.confirmed_at.unwrap_or_default()),
            Cell::Value(self.checked_in_at.unwrap_or_default()),
            Cell::Text(self.full_name),
            Cell::Text(self.email),
            Cell::Text(self.organization.name),
            Cell::Value(self.organization.kind),
            Cell::Value(self.organization.country),
            text(self.job_title),
            Cell::Value(self.country),
            Cell::Value(self.language),
            Cell::Value(self.consent_data_processing.to_string()),
            Cell::Value(self.consent_press_listing.to_string()),
            text(self.dietary),
            text(self.accessibility),
            text(self.interpretation),
        ]
    }
}

/// The organizer's list filters, checked.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub status: Option<RegistrationStatus>,
    pub organization_kind: Option<OrganizationKind>,
    pub country: Option<CountryCode>,
    pub q: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ListQuery {
    pub status: Option<String>,
    pub organization_kind: Option<String>,
    pub country: Option<String>,
    pub q: Option<String>,
    pub limit: Option<String>,
    pub cursor: Option<String>,
}

impl ListFilter {
    pub fn parse(query: &ListQuery, checks: &mut Checks) -> Option<Self> {
        let status = match query.status.as_deref().filter(|s| !s.is_empty()) {
            None => Some(None),
            Some(code) => checks.field(
                "status",
                RegistrationStatus::from_code(code)
                    .map(Some)
                    .ok_or_else(|| Problem::new("invalid", "not a registration status")),
            ),
        };
        let kind = match query.organization_kind.as_deref().filter(|s| !s.is_empty()) {
            None => Some(None),
            Some(code) => checks.field(
                "organization_kind",
                OrganizationKind::parse(Some(code)).map(Some),
            ),
        };
        let country = match query.country.as_deref().filter(|s| !s.is_empty()) {
            None => Some(None),
            Some(code) => checks.field("country", CountryCode::parse(Some(code)).map(Some)),
        };
        let q = checks.field("q", optional_line(query.q.as_deref(), 200));
        Some(Self {
            status: status?,
            organization_kind: kind?,
            country: country?,
            q: q?.map(|q| q.to_lowercase()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> RegistrationForm {
        serde_json::from_value(serde_json::json!({
            "full_name": "Ana María Pérez", "email": "ana@example.org",
            "organization": {"name": "Centro de Información  Tapachula", "kind": "information_hub", "country": "MX"},
            "job_title": "Coordinator", "country": "MX", "language": "es",
            "consent_data_processing": true, "consent_press_listing": false,
            "dietary": null, "accessibility": null, "interpretation": "es-en"
        }))
        .unwrap()
    }

    #[test]
    fn a_good_registration_parses() {
        let new = NewRegistration::parse(&form()).unwrap();
        assert_eq!(
            new.organization.key(),
            organization_key("Centro de Información Tapachula")
        );
        assert_eq!(new.language, Language::Es);
        assert!(!new.consent_press_listing);
        assert!(new.search_text().contains("ana maría pérez"));
    }

    #[test]
    fn look_alike_organisation_names_share_a_key() {
        let key = organization_key("Centro Hub Tapachula");
        assert_eq!(key, "centro hub tapachula");
        for alike in [
            "Centro Hub Tapachula.",
            "Centro Hub Tapachula ...",
            "Centr\u{043E} Hub Tapachula",  // Cyrillic о
            "Centro Hub Tapa\u{200B}chula", // zero-width space
            "\u{FF23}entro Hub Tapachula",  // fullwidth C
            "  centro   HUB\tTapachula ",
            "CENTRO HUB TAPACHULA",
            "Centro Hub Tap\u{0430}chula", // Cyrillic а
            "Centro Hub, Tapachula",
        ] {
            assert_eq!(organization_key(alike), key, "{alike:?}");
        }
        for different in [
            "Centro Hub Tapachula Norte",
            "Centro Hub Tijuana",
            "Centro Hub",
            "Centr Hub Tapachula",
        ] {
            assert_ne!(organization_key(different), key, "{different:?}");
        }
        assert_ne!(organization_key("Perú Hub"), organization_key("Peru Hub"));
        assert_eq!(
            organization_key("Información"),
            organization_key("Informacio\u{0301}n"),
            "composed and decomposed accents are one"
        );
    }

    #[test]
    fn organisation_names_hold_no_symbols() {
        let named = |name: &str| {
            let mut f = form();
            f.organization.as_mut().unwrap().name = Some(name.into());
            NewRegistration::parse(&f)
        };
        for fine in [
            "Médicos Sin Fronteras (MSF) – México",
            "Informacio\u{0301}n & Apoyo A.C.",
            "Casa del Migrante \"Belén\", Tapachula",
        ] {
            assert!(named(fine).is_ok(), "{fine}");
        }
        for symbols in ["Centro Hub Tapachula 🖕", "Centro ★ Hub", "Hub €€€"] {
            let Err(AppError::Invalid(errors)) = named(symbols) else {
                panic!("{symbols} was taken")
            };
            assert_eq!(errors[0].code, "symbols", "{symbols}");
        }
    }

    #[test]
    fn names_with_invisible_characters_are_refused_by_field() {
        let mut bad = form();
        bad.full_name = Some("Ana\u{202E}zeréP".into());
        bad.organization.as_mut().unwrap().name = Some("Hub\u{200B}".into());
        bad.job_title = Some("Coord\u{2066}inator".into());
        let Err(AppError::Invalid(errors)) = NewRegistration::parse(&bad) else {
            panic!()
        };
        let fields: Vec<_> = errors
            .iter()
            .map(|e| (e.field.as_deref().unwrap_or(""), e.code))
            .collect();
        assert_eq!(
            fields,
            [
                ("full_name", "invisible_characters"),
                ("organization.name", "invisible_characters"),
                ("job_title", "invisible_characters")
            ]
        );
        let mut dots = form();
        dots.organization.as_mut().unwrap().name = Some("...".into());
        assert!(NewRegistration::parse(&dots).is_err());
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let mut bad = form();
        bad.full_name = Some(" ".into());
        bad.email = Some("ana".into());
        bad.organization = Some(OrganizationForm {
            name: None,
            kind: Some("club".into()),
            country: Some("XX".into()),
        });
        bad.country = None;
        bad.language = Some("fr".into());
        bad.consent_data_processing = Some(false);
        bad.dietary = Some("x".repeat(1001));
        let Err(AppError::Invalid(errors)) = NewRegistration::parse(&bad) else {
            panic!()
        };
        let fields: Vec<_> = errors.iter().filter_map(|e| e.field.as_deref()).collect();
        assert_eq!(
            fields,
            [
                "full_name",
                "email",
                "organization.name",
                "organization.kind",
                "organization.country",
                "country",
                "language",
                "consent_data_processing",
                "dietary"
            ]
        );
    }
}
