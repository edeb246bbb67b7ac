//! Email: every message is an outbox row written in the same transaction as the change that
//! caused it, rendered and sent later by the worker, so an SMTP outage or a restart loses nothing.

pub mod drafts;
pub mod messages;
pub mod outbox;
pub mod transport;
pub mod worker;

pub use outbox::ParticipantMail;
