//! A meeting as the API shows it.

use super::model::{Meeting, Translations};
use crate::values::Language;
use chrono::NaiveDateTime;
use serde::Serialize;

/// A meeting as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MeetingView {
    pub id: String,
    pub slug: String,
    pub title: String,
    pub description: String,
    pub venue: String,
    pub address: String,
    pub city: String,
    pub country: String,
    pub timezone: String,
    pub starts_at: String,
    pub ends_at: String,
    pub registration_opens_at: Option<String>,
    pub registration_closes_at: Option<String>,
    pub capacity: Option<i64>,
    pub per_organization_limit: Option<i64>,
    /// Organizers only: the public must not learn when approval starts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approval_threshold: Option<i64>,
    pub requires_approval: bool,
    pub languages: Vec<Language>,
    pub status: String,
    pub translations: Translations,
    pub contact_email: Option<String>,
    /// Organizers only: days after which an unused invitation gets one reminder.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invitation_reminder_days: Option<i64>,
    /// Organizers only: who signs the certificates of attendance, and their title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signatory_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signatory_title: Option<String>,
    /// The form asks about travel support.
    pub travel_support: bool,
    /// Participants may ask for a visa letter.
    pub visa_letters: bool,
    pub seats_left: Option<i64>,
    pub registration_open: bool,
    /// Its participant categories, names in the reader's language (`?lang=`); in the view of
    /// one meeting, not in lists.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub categories: Vec<super::categories::CategoryView>,
    /// The registration questions, in the form's order.
    pub questions: Vec<super::questions::QuestionView>,
}

impl MeetingView {
    /// Leaves out what only organizers may see.
    pub fn hide_settings(&mut self) {
        self.approval_threshold = None;
        self.invitation_reminder_days = None;
        self.signatory_name = None;
        self.signatory_title = None;
    }

    pub fn new(meeting: &Meeting, confirmed: i64, now: NaiveDateTime) -> Self {
        Self {
            id: meeting.id.clone(),
            slug: meeting.slug.clone(),
            title: meeting.title.clone(),
            description: meeting.description.clone(),
            venue: meeting.venue.clone(),
            address: meeting.address.clone(),
            city: meeting.city.clone(),
            country: meeting.country.clone(),
            timezone: meeting.timezone.clone(),
            starts_at: meeting.rfc3339(meeting.starts_at),
            ends_at: meeting.rfc3339(meeting.ends_at),
            registration_opens_at: meeting.registration_opens_at.map(|at| meeting.rfc3339(at)),
            registration_closes_at: meeting.registration_closes_at.map(|at| meeting.rfc3339(at)),
            capacity: meeting.capacity,
            per_organization_limit: meeting.per_organization_limit,
            approval_threshold: meeting.approval_threshold,
            requires_approval: meeting.requires_approval,
            languages: meeting.languages(),
            status: meeting.status.clone(),
            translations: meeting.translations(),
            contact_email: meeting.contact_email.clone(),
            invitation_reminder_days: meeting.invitation_reminder_days.map(i64::from),
            signatory_name: meeting.signatory_name.clone(),
            signatory_title: meeting.signatory_title.clone(),
            travel_support: meeting.travel_support,
            visa_letters: meeting.visa_letters,
            seats_left: meeting.seats_left(confirmed),
            registration_open: meeting.registration_open(now),
            categories: Vec::new(),
            questions: Vec::new(),
        }
    }
}
