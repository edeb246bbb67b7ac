//! Delegations: an organisation gets seats in a category and a focal point, who nominates its
//! own delegates from `/d/{token}` (or the API with that token). Each nominee gets an
//! invitation bound to their address. The seats are set aside from the category and the
//! meeting until the nomination deadline releases the unused ones (or keeps them, as the
//! organizer chose).

pub mod dashboard;
pub mod focal;
pub mod pages;
pub mod routes;
pub mod store;

use crate::error::{AppError, Checks, Problem};
use crate::meetings::model::parse_time;
use crate::meetings::Meeting;
use crate::registrations::model::OrganizationForm;
use crate::schema::delegations;
use crate::values::{
    optional_name, required_name, Code, CountryCode, Email, Language, OrganizationKind,
};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

const MAX_NAME: usize = 200;
/// The most seats one delegation holds.
const MAX_SEATS: i64 = 1_000;

/// What the nomination deadline does with seats no nominee holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UnusedSeats {
    /// They return to the pool, and the waiting list moves.
    Release,
    /// They stay the delegation's.
    Keep,
}

impl UnusedSeats {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Release => "release",
            Self::Keep => "keep",
        }
    }

    fn parse(raw: Option<&str>) -> Result<Self, Problem> {
        match raw.map(str::trim) {
            None | Some("") | Some("release") => Ok(Self::Release),
            Some("keep") => Ok(Self::Keep),
            Some(_) => Err(Problem::new("invalid", "release or keep")),
        }
    }
}

/// The focal point as sent.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FocalPointForm {
    pub email: Option<String>,
    pub full_name: Option<String>,
    pub language: Option<String>,
}

/// A delegation as an organizer sends it (create, or laid under a PATCH).
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"organization": {"name": "Centro de Información Tecún Umán",
    "kind": "information_hub", "country": "GT"}, "seats": 2, "category": "delegate",
    "focal_point": {"email": "coordinacion@example.org", "full_name": "Marta Juárez", "language": "es"},
    "nomination_deadline": "2030-05-15T23:59:00-06:00", "unused_seats": "release"}))]
pub struct DelegationForm {
    pub organization: Option<OrganizationForm>,
    pub seats: Option<i64>,
    pub category: Option<String>,
    pub focal_point: Option<FocalPointForm>,
    /// Nominations close then; null: they stay open.
    pub nomination_deadline: Option<String>,
    /// `release` (the default) or `keep`.
    pub unused_seats: Option<String>,
}

/// A delegation's fields, checked.
#[derive(Debug, Clone)]
pub struct DelegationDraft {
    pub organization_name: String,
    pub organization_kind: OrganizationKind,
    pub organization_country: CountryCode,
    pub seats: i64,
    pub category: Option<Code>,
    pub focal_email: Email,
    pub focal_name: String,
    pub focal_language: Language,
    pub nomination_deadline: Option<NaiveDateTime>,
    pub unused_seats: UnusedSeats,
}

impl DelegationDraft {
    /// Checks every field and reports all problems at once.
    pub fn parse(form: &DelegationForm) -> Result<Self, AppError> {
        let mut checks = Checks::default();
        let org = form.organization.clone().unwrap_or_default();
        let focal = form.focal_point.clone().unwrap_or_default();
        let name = checks.field(
            "organization.name",
            required_name(org.name.as_deref(), MAX_NAME),
        );
        let kind = checks.field(
            "organization.kind",
            OrganizationKind::parse(org.kind.as_deref()),
        );
        let country = checks.field(
            "organization.country",
            CountryCode::parse(org.country.as_deref()),
        );
        let seats = checks.field(
            "seats",
            match form.seats {
                Some(n) if (1..=MAX_SEATS).contains(&n) => Ok(n),
                Some(_) => Err(Problem::new("out_of_range", "from 1 to 1000 seats")),
                None => Err(Problem::required()),
            },
        );
        let category = checks.field(
            "category",
            match form.category.as_deref().map(str::trim) {
                None | Some("") => Ok(None),
                Some(code) => Code::parse(Some(code)).map(Some),
            },
        );
        let email = checks.field("focal_point.email", Email::parse(focal.email.as_deref()));
        let full_name = checks.field(
            "focal_point.full_name",
            optional_name(focal.full_name.as_deref(), MAX_NAME),
        );
        let language = checks.field(
            "focal_point.language",
            match focal.language.as_deref().map(str::trim) {
                None | Some("") => Ok(Language::Es),
                Some(code) => Language::parse(Some(code)),
            },
        );
        let deadline = checks.field(
            "nomination_deadline",
            parse_time(form.nomination_deadline.as_deref()),
        );
        let unused = checks.field(
            "unused_seats",
            UnusedSeats::parse(form.unused_seats.as_deref()),
        );
        let draft = (|| {
            Some(Self {
                organization_name: name?,
                organization_kind: kind?,
                organization_country: country?,
                seats: seats?,
                category: category?,
                focal_email: email?,
                focal_name: full_name?.unwrap_or_default(),
                focal_language: language?,
                nomination_deadline: deadline?,
                unused_seats: unused?,
            })
        })();
        match draft {
            Some(draft) if checks.is_clean() => Ok(draft),
            _ => Err(checks.into_error()),
        }
    }
}

/// A delegation as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = delegations)]
pub struct Delegation {
    pub id: String,
    pub meeting_id: String,
    pub organization_name: String,
    pub organization_kind: String,
    pub organization_country: String,
    pub category: String,
    pub seats: i64,
    pub focal_email: String,
    pub focal_name: String,
    pub focal_language: String,
    pub nomination_deadline: Option<NaiveDateTime>,
    pub unused_seats: String,
    pub released_at: Option<NaiveDateTime>,
}

impl Delegation {
    pub fn focal_language(&self) -> Language {
        Language::from_code(&self.focal_language).unwrap_or_default()
    }

    /// Whether its focal point may still nominate.
    pub fn nominations_open(&self, now: NaiveDateTime) -> bool {
        self.nomination_deadline
            .is_none_or(|deadline| now < deadline)
    }

    /// The delegation as its form, so a PATCH can be laid over it and checked like a new one.
    pub fn to_form(&self, meeting: &Meeting) -> DelegationForm {
        DelegationForm {
            organization: Some(OrganizationForm {
                name: Some(self.organization_name.clone()),
                kind: Some(self.organization_kind.clone()),
                country: Some(self.organization_country.clone()),
            }),
            seats: Some(self.seats),
            category: Some(self.category.clone()),
            focal_point: Some(FocalPointForm {
                email: Some(self.focal_email.clone()),
                full_name: Some(self.focal_name.clone()),
                language: Some(self.focal_language.clone()),
            }),
            nomination_deadline: self.nomination_deadline.map(|at| meeting.rfc3339(at)),
            unused_seats: Some(self.unused_seats.clone()),
        }
    }
}

/// An organisation as a delegation names it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OrganizationView {
    pub name: String,
    pub kind: String,
    pub country: String,
}

/// The focal point as organizers see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FocalPointView {
    pub email: String,
    pub full_name: String,
    pub language: String,
}

/// A delegation as organizers see it: its seats, how many are nominated, how many confirmed.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DelegationView {
    pub id: String,
    pub organization: OrganizationView,
    pub category: String,
    pub seats: i64,
    /// Nominees whose invitation is live or whose registration stands.
    pub nominated: i64,
    pub confirmed: i64,
    pub focal_point: FocalPointView,
    pub nomination_deadline: Option<String>,
    pub unused_seats: UnusedSeats,
    /// When the deadline released the unused seats.
    pub released_at: Option<String>,
}

impl DelegationView {
    pub fn new(meeting: &Meeting, delegation: Delegation, nominated: i64, confirmed: i64) -> Self {
        Self {
            organization: OrganizationView {
                name: delegation.organization_name,
                kind: delegation.organization_kind,
                country: delegation.organization_country,
            },
            category: delegation.category,
            seats: delegation.seats,
            nominated,
            confirmed,
            focal_point: FocalPointView {
                email: delegation.focal_email,
                full_name: delegation.focal_name,
                language: delegation.focal_language,
            },
            nomination_deadline: delegation.nomination_deadline.map(|at| meeting.rfc3339(at)),
            unused_seats: match delegation.unused_seats.as_str() {
                "keep" => UnusedSeats::Keep,
                _ => UnusedSeats::Release,
            },
            released_at: delegation.released_at.map(|at| meeting.rfc3339(at)),
            id: delegation.id,
        }
    }
}
