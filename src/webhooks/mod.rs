//! Webhooks: an organizer's receiver of a meeting's events. A delivery is queued in the
//! transaction of the change it tells of (beside its audit entry, [`store::queue`]), signed
//! with HMAC-SHA256 over the timestamp and the body, and sent by a worker of its own
//! ([`worker`]), in order for each registration, retried with backoff until the same number of
//! attempts as an email, so a slow or dead receiver never delays a registration or an email.

pub mod address;
pub mod dashboard;
pub mod delivery;
pub mod routes;
pub mod store;
pub mod worker;

use crate::error::{AppError, Checks, Problem};
use serde::{Deserialize, Serialize};

/// What a webhook can be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    RegistrationCreated,
    RegistrationConfirmed,
    RegistrationWaitlisted,
    RegistrationCancelled,
    RegistrationCheckedIn,
    AgendaChanged,
}

impl Event {
    pub const ALL: [Self; 6] = [
        Self::RegistrationCreated,
        Self::RegistrationConfirmed,
        Self::RegistrationWaitlisted,
        Self::RegistrationCancelled,
        Self::RegistrationCheckedIn,
        Self::AgendaChanged,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::RegistrationCreated => "registration.created",
            Self::RegistrationConfirmed => "registration.confirmed",
            Self::RegistrationWaitlisted => "registration.waitlisted",
            Self::RegistrationCancelled => "registration.cancelled",
            Self::RegistrationCheckedIn => "registration.checked_in",
            Self::AgendaChanged => "agenda.changed",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.as_str() == code)
    }

    /// The event an audit entry's action tells of, if any: the audit log is written in the
    /// transaction of every change, so every path that changes a registration is covered.
    pub fn of_action(action: &str) -> Option<Self> {
        match action {
            "session.created" | "session.updated" | "session.deleted" | "room.updated"
            | "room.deleted" => Some(Self::AgendaChanged),
            action => Self::parse(action),
        }
    }
}

/// A webhook as sent to be registered.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"url": "https://crm.example.org/convene",
    "events": ["registration.confirmed", "registration.cancelled"]}))]
pub struct WebhookForm {
    /// `https://…` (or `http://…`); not a loopback, private or link-local address.
    pub url: Option<String>,
    /// Any of `registration.created`, `registration.confirmed`, `registration.waitlisted`,
    /// `registration.cancelled`, `registration.checked_in`, `agenda.changed`.
    pub events: Option<Vec<String>>,
}

/// A webhook, checked: its address may be reached, its events are known.
#[derive(Debug, Clone)]
pub struct NewWebhook {
    pub url: url::Url,
    pub events: Vec<Event>,
}

/// The longest address taken.
const URL_LIMIT: usize = 2000;

impl NewWebhook {
    /// Checks every field at once. The address's name is resolved (a blocking lookup: call it
    /// off the request threads), and refused when any address it has is not public, unless
    /// `allow_private`.
    pub fn parse(form: &WebhookForm, allow_private: bool) -> Result<Self, AppError> {
        let mut checks = Checks::default();
        let url = checks.field("url", parse_url(form.url.as_deref(), allow_private));
        let events = checks.field("events", parse_events(form.events.as_deref()));
        match (url, events) {
            (Some(url), Some(events)) if checks.is_clean() => Ok(Self { url, events }),
            _ => Err(checks.into_error()),
        }
    }
}

fn parse_url(text: Option<&str>, allow_private: bool) -> Result<url::Url, Problem> {
    let text = text.map(str::trim).filter(|t| !t.is_empty());
    let text = text.ok_or_else(|| Problem::new("required", "the receiver's address is needed"))?;
    if text.len() > URL_LIMIT {
        return Err(Problem::new("too_long", "at most 2,000 characters"));
    }
    let url = url::Url::parse(text)
        .map_err(|_| Problem::new("invalid", "not an address: https://host/path"))?;
    if !matches!(url.scheme(), "https" | "http") || url.host_str().is_none() {
        return Err(Problem::new(
            "invalid",
            "an http or https address is needed",
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Problem::new(
            "invalid",
            "no user or password in the address: the signature proves the sender",
        ));
    }
    if !allow_private {
        address::reachable(&url).map_err(|why| Problem::new("private_address", why))?;
    }
    Ok(url)
}

fn parse_events(codes: Option<&[String]>) -> Result<Vec<Event>, Problem> {
    let codes = codes.filter(|c| !c.is_empty()).ok_or_else(|| {
        Problem::new(
            "required",
            "at least one event, such as registration.confirmed",
        )
    })?;
    let mut events = Vec::new();
    for code in codes {
        let event = Event::parse(code.trim()).ok_or_else(|| {
            Problem::new(
                "invalid",
                format!(
                    "not an event: {}; the events are {}",
                    code.chars().take(60).collect::<String>(),
                    Event::ALL.map(Event::as_str).join(", ")
                ),
            )
        })?;
        if !events.contains(&event) {
            events.push(event);
        }
    }
    Ok(events)
}

/// A webhook as organizers see it (never its secret, which is shown once).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WebhookView {
    pub id: String,
    pub url: String,
    pub events: Vec<String>,
    pub created_at: String,
    /// Set when the receiver answered 410 Gone: nothing more is sent to it.
    pub disabled_at: Option<String>,
    /// The last deliveries, newest first.
    pub deliveries: Vec<DeliveryView>,
}

/// A webhook just registered: its secret appears here once.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WebhookCreated {
    #[serde(flatten)]
    pub webhook: WebhookView,
    /// Verifies `Convene-Signature`; shown this once.
    pub secret: String,
}

/// One delivery, as organizers see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DeliveryView {
    /// Sent as `Convene-Delivery`, and as `id` in the signed body.
    pub id: String,
    pub event: String,
    /// `pending`, `sent` or `dead`.
    pub status: String,
    pub attempts: i32,
    /// The receiver's last HTTP status, if it answered.
    pub last_status: Option<i32>,
    /// What went wrong last (the start of the receiver's answer, or the network's error).
    pub last_error: Option<String>,
    pub created_at: String,
    pub delivered_at: Option<String>,
}
