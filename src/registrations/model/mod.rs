//! Registration types, parsing and seat decisions (no I/O). The status and the rules on seats
//! and sign-ups are here; what a participant sends, checked, is in `form.rs`; a registration
//! as stored and as shown, with the organizer's list filters, in `view.rs`.

mod form;
mod view;

pub use form::{
    organization_key, search_text, NewOrganization, NewRegistration, OrganizationForm,
    RegistrationForm,
};
pub use view::{
    ListFilter, ListQuery, Order, Organization, Registration, RegistrationView,
    REGISTRATION_COLUMNS,
};

use crate::meetings::Meeting;
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
