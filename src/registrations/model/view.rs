//! A registration as stored and as shown: the row, its organisation, the view organizers and
//! its participant see, the export columns, and the organizer's list filters.

use super::form::{OrganizationForm, RegistrationForm};
use super::RegistrationStatus;
use crate::error::{Checks, Problem};
use crate::exports::{Cell, Column, Reader};
use crate::meetings::questions::{Answers, RawAnswers};
use crate::meetings::Meeting;
use crate::schema::{organizations, registrations};
use crate::values::{optional_line, CountryCode, Language, OrganizationKind};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

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
    /// The category's code (every registration has one; null only in rows older than
    /// categories, which the migration filled).
    pub category: Option<String>,
    /// Answers to the meeting's questions, as JSON by question code.
    pub answers: String,
    /// The delegation whose seat this registration holds, if any.
    pub delegation_id: Option<String>,
    /// What the desk scans (`crate::checkin::CheckinCode`).
    pub checkin_code: Option<String>,
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
            category: Some(self.category_code().to_owned()),
            answers: Some(self.answers().to_raw()),
            invitation: None,
            travel: None,
        }
    }

    pub fn answers(&self) -> Answers {
        Answers::from_stored(&self.answers)
    }

    pub fn category_code(&self) -> &str {
        self.category
            .as_deref()
            .unwrap_or(crate::meetings::categories::DEFAULT_CODE)
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
    /// The participant category's code.
    pub category: String,
    /// Answers to the meeting's questions, by question code (never shown to the press).
    #[schema(value_type = Object)]
    pub answers: RawAnswers,
    /// What the check-in desk scans (shown as a QR code), once confirmed.
    pub checkin_code: Option<String>,
    /// Travel, when asked for: in the view of one registration, never in lists or exports.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub travel: Option<crate::travel::store::TravelView>,
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
            category: registration.category_code().to_owned(),
            answers: registration.answers().to_raw(),
            status: registration.status.clone(),
            waitlist_position,
            created_at: meeting.rfc3339(registration.created_at),
            confirmed_at: registration.confirmed_at.map(|at| meeting.rfc3339(at)),
            checked_in_at: registration.checked_in_at.map(|at| meeting.rfc3339(at)),
            checkin_code: registration
                .checkin_code
                .filter(|_| registration.status == RegistrationStatus::Confirmed.as_str()),
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
            travel: None,
        }
    }
}

/// Every field, for the organizer's exports.
pub const REGISTRATION_COLUMNS: [Column; 20] = [
    Column::new("id", 38.0, "ID", "ID"),
    Column::new("status", 16.0, "Status", "Estado"),
    Column::new("category", 18.0, "Category", "Categoría"),
    Column::new(
        "waitlist_position",
        10.0,
        "Place on the waiting list",
        "Puesto en la lista de espera",
    ),
    Column::new("created_at", 18.0, "Registered", "Inscripción"),
    Column::new("confirmed_at", 18.0, "Confirmed", "Confirmación"),
    Column::new("checked_in_at", 18.0, "Checked in", "Llegada"),
    Column::new("full_name", 30.0, "Full name", "Nombre completo"),
    Column::new("email", 32.0, "Email", "Correo electrónico"),
    Column::new("organization", 45.0, "Organisation", "Organización"),
    Column::new(
        "organization_kind",
        18.0,
        "Kind of organisation",
        "Tipo de organización",
    ),
    Column::new(
        "organization_country",
        14.0,
        "Organisation's country",
        "País de la organización",
    ),
    Column::new("job_title", 30.0, "Job title", "Cargo"),
    Column::new("country", 14.0, "Country", "País"),
    Column::new("language", 9.0, "Language", "Idioma"),
    Column::new(
        "consent_data_processing",
        12.0,
        "Agreed to data processing",
        "Aceptó el tratamiento de datos",
    ),
    Column::new(
        "consent_press_listing",
        12.0,
        "Listed for the press",
        "En la lista para la prensa",
    ),
    Column::new("dietary", 30.0, "Dietary needs", "Necesidades alimentarias"),
    Column::new(
        "accessibility",
        30.0,
        "Accessibility needs",
        "Necesidades de accesibilidad",
    ),
    Column::new("interpretation", 16.0, "Interpretation", "Interpretación"),
];

impl RegistrationView {
    /// The row of the organizer's exports, for a program or, in names and dates, a person
    /// (who reads the category by its name: `names`, by code).
    pub fn cells(self, reader: Reader, names: &HashMap<String, String>) -> Vec<Cell> {
        let Reader::Person(language) = reader else {
            return self.program_cells();
        };
        let category = names.get(&self.category).cloned().unwrap_or(self.category);
        let t = crate::i18n::catalogue(language);
        let text = |value: Option<String>| Cell::Text(value.unwrap_or_default());
        let when =
            |at: Option<String>| match at.as_deref().map(chrono::DateTime::parse_from_rfc3339) {
                Some(Ok(at)) => Cell::When(at.naive_local()),
                _ => Cell::Value(String::new()),
            };
        let country =
            |code: &str| Cell::Value(crate::i18n::countries::name(code, language).to_owned());
        vec![
            Cell::Value(self.id),
            Cell::Value(t.status_for_organizer(&self.status).to_owned()),
            Cell::Value(category),
            Cell::Value(
                self.waitlist_position
                    .map(|p| p.to_string())
                    .unwrap_or_default(),
            ),
            when(Some(self.created_at)),
            when(self.confirmed_at),
            when(self.checked_in_at),
            Cell::Text(self.full_name),
            Cell::Text(self.email),
            Cell::Text(self.organization.name),
            Cell::Value(t.kind_of_organization(&self.organization.kind).to_owned()),
            country(&self.organization.country),
            text(self.job_title),
            country(&self.country),
            Cell::Value(t.language_name(&self.language).to_owned()),
            Cell::Value(t.yes_no(self.consent_data_processing).to_owned()),
            Cell::Value(t.yes_no(self.consent_press_listing).to_owned()),
            text(self.dietary),
            text(self.accessibility),
            text(self.interpretation),
        ]
    }

    fn program_cells(self) -> Vec<Cell> {
        let text = |value: Option<String>| Cell::Text(value.unwrap_or_default());
        vec![
            Cell::Value(self.id),
            Cell::Value(self.status),
            Cell::Value(self.category),
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
    pub category: Option<crate::values::Code>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ListQuery {
    pub status: Option<String>,
    pub organization_kind: Option<String>,
    pub country: Option<String>,
    pub q: Option<String>,
    pub category: Option<String>,
    pub limit: Option<String>,
    pub cursor: Option<String>,
    /// The dashboard's order ([`Order`]); the API lists in registration order.
    pub sort: Option<String>,
}

/// The orders of the organizer's table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Order {
    /// Registration order (ids are time-ordered): who came first is served first.
    #[default]
    Oldest,
    Newest,
    /// By name, ignoring case and accents (the folded search key starts with the name).
    Name,
}

impl Order {
    pub const ALL: [Self; 3] = [Self::Oldest, Self::Newest, Self::Name];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Oldest => "oldest",
            Self::Newest => "newest",
            Self::Name => "name",
        }
    }

    /// `?sort=`; empty or absent is registration order.
    pub fn parse(raw: Option<&str>) -> Result<Self, Problem> {
        match raw.map(str::trim).filter(|s| !s.is_empty()) {
            None => Ok(Self::Oldest),
            Some(code) => Self::ALL
                .into_iter()
                .find(|order| order.as_str() == code)
                .ok_or_else(|| Problem::new("invalid", "not an order of this list")),
        }
    }
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
        let category = match query.category.as_deref().filter(|s| !s.is_empty()) {
            None => Some(None),
            Some(code) => {
                checks.field("category", crate::values::Code::parse(Some(code)).map(Some))
            }
        };
        Some(Self {
            status: status?,
            organization_kind: kind?,
            country: country?,
            q: q?.map(|q| crate::values::search_fold(&q)),
            category: category?,
        })
    }
}
