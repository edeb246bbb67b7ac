//! Invitations: a link bound to one address, emailed by the organizers one by one, from a CSV
//! file, or for a delegation's nominee. Following it proves the address, so registering
//! through it needs no confirm link; a forwarded link cannot register another address. The
//! link's token is made as its email is written, and only its digest is kept.

pub mod csv_import;
pub mod dashboard;
pub mod routes;
pub mod store;

use crate::error::{AppError, Checks, Problem};
use crate::meetings::Meeting;
use crate::registrations::model::OrganizationForm;
use crate::schema::invitations;
use crate::values::{optional_name, Code, CountryCode, Email, Language, OrganizationKind};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

const MAX_NAME: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InvitationStatus {
    /// Emailed, not yet used.
    Sent,
    /// Used to register.
    Registered,
    /// Stopped by the organizers (or a focal point withdrawing the nominee).
    Revoked,
}

impl InvitationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sent => "sent",
            Self::Registered => "registered",
            Self::Revoked => "revoked",
        }
    }

    pub fn from_code(code: &str) -> Self {
        match code {
            "registered" => Self::Registered,
            "revoked" => Self::Revoked,
            _ => Self::Sent,
        }
    }
}

/// An invitation as an organizer sends it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": "ana.perez@example.org", "full_name": "Ana María Pérez",
    "organization": {"name": "Centro de Información Tapachula", "kind": "information_hub", "country": "MX"},
    "category": "delegate", "language": "es"}))]
pub struct InvitationForm {
    pub email: Option<String>,
    pub full_name: Option<String>,
    /// What the registration form is filled in with; each part optional.
    pub organization: Option<OrganizationForm>,
    /// The category the invitation registers into; may be left out when the meeting has one.
    pub category: Option<String>,
    /// The language of the email and of the form; left out: the meeting's first.
    pub language: Option<String>,
}

/// An invitation's fields, checked.
#[derive(Debug, Clone)]
pub struct NewInvitation {
    pub email: Email,
    pub full_name: String,
    pub organization_name: Option<String>,
    pub organization_kind: Option<OrganizationKind>,
    pub country: Option<CountryCode>,
    pub category: Option<Code>,
    pub language: Option<Language>,
}

impl NewInvitation {
    /// Checks every field and reports all problems at once.
    pub fn parse(form: &InvitationForm) -> Result<Self, AppError> {
        let mut checks = Checks::default();
        let new = Self::check(form, &mut checks);
        match new {
            Some(new) if checks.is_clean() => Ok(new),
            _ => Err(checks.into_error()),
        }
    }

    /// The fields' problems into `checks`; `None` when any is bad.
    pub fn check(form: &InvitationForm, checks: &mut Checks) -> Option<Self> {
        let org = form.organization.clone().unwrap_or_default();
        let email = checks.field("email", Email::parse(form.email.as_deref()));
        let full_name = checks.field(
            "full_name",
            optional_name(form.full_name.as_deref(), MAX_NAME),
        );
        let organization_name = checks.field(
            "organization.name",
            optional_name(org.name.as_deref(), MAX_NAME),
        );
        let organization_kind = checks.field(
            "organization.kind",
            optional(org.kind.as_deref())
                .map(|kind| OrganizationKind::parse(Some(kind)))
                .transpose(),
        );
        let country = checks.field(
            "organization.country",
            optional(org.country.as_deref())
                .map(|code| CountryCode::parse(Some(code)))
                .transpose(),
        );
        let category = checks.field(
            "category",
            optional(form.category.as_deref())
                .map(|code| Code::parse(Some(code)))
                .transpose(),
        );
        let language = checks.field(
            "language",
            optional(form.language.as_deref())
                .map(|code| Language::parse(Some(code)))
                .transpose(),
        );
        Some(Self {
            email: email?,
            full_name: full_name?.unwrap_or_default(),
            organization_name: organization_name?,
            organization_kind: organization_kind?,
            country: country?,
            category: category?,
            language: language?,
        })
    }
}

fn optional(raw: Option<&str>) -> Option<&str> {
    raw.map(str::trim).filter(|s| !s.is_empty())
}

/// An invitation as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = invitations)]
pub struct Invitation {
    pub id: String,
    pub meeting_id: String,
    pub email: String,
    pub email_key: String,
    pub full_name: String,
    pub organization_name: Option<String>,
    pub organization_kind: Option<String>,
    pub country: Option<String>,
    pub category: String,
    pub language: String,
    pub status: String,
    pub registration_id: Option<String>,
    pub delegation_id: Option<String>,
    pub sent_at: NaiveDateTime,
    pub reminded_at: Option<NaiveDateTime>,
    pub used_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
}

impl Invitation {
    pub fn status(&self) -> InvitationStatus {
        InvitationStatus::from_code(&self.status)
    }

    pub fn language(&self) -> Language {
        Language::from_code(&self.language).unwrap_or_default()
    }

    /// The registration form as this invitation fills it in: the address fixed, the rest a
    /// suggestion the invited person may change.
    pub fn form(&self) -> crate::registrations::model::RegistrationForm {
        crate::registrations::model::RegistrationForm {
            full_name: Some(self.full_name.clone()).filter(|name| !name.is_empty()),
            email: Some(self.email.clone()),
            organization: Some(OrganizationForm {
                name: self.organization_name.clone(),
                kind: self.organization_kind.clone(),
                country: self.country.clone(),
            }),
            country: self.country.clone(),
            language: Some(self.language.clone()),
            category: Some(self.category.clone()),
            ..Default::default()
        }
    }
}

/// An invitation as organizers see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct InvitationView {
    pub id: String,
    pub email: String,
    pub full_name: String,
    pub category: String,
    /// `sent`, `registered` or `revoked`.
    pub status: InvitationStatus,
    pub sent_at: String,
    pub reminded_at: Option<String>,
    /// The delegation whose focal point nominated this person, if any.
    pub delegation: Option<String>,
}

impl InvitationView {
    pub fn new(meeting: &Meeting, invitation: Invitation) -> Self {
        Self {
            status: invitation.status(),
            sent_at: meeting.rfc3339(invitation.sent_at),
            reminded_at: invitation.reminded_at.map(|at| meeting.rfc3339(at)),
            id: invitation.id,
            email: invitation.email,
            full_name: invitation.full_name,
            category: invitation.category,
            delegation: invitation.delegation_id,
        }
    }
}

/// The answer to a refused invitation: unknown, of another meeting or revoked is a 422 on
/// `invitation`; used is a 409.
pub fn refused(invitation: Option<&Invitation>, meeting: &Meeting) -> Option<AppError> {
    let invalid = |code, message| AppError::invalid("invitation", Problem::new(code, message));
    match invitation {
        None => Some(invalid("invalid", "not an invitation to this meeting")),
        Some(invitation) if invitation.meeting_id != meeting.id => {
            Some(invalid("invalid", "not an invitation to this meeting"))
        }
        Some(invitation) => match invitation.status() {
            InvitationStatus::Sent => None,
            InvitationStatus::Revoked => Some(invalid("revoked", "this invitation was withdrawn")),
            InvitationStatus::Registered => Some(AppError::conflict(
                "invitation_used",
                "this invitation was already used to register",
            )),
        },
    }
}
