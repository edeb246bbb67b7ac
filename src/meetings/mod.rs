//! Meetings: what organizers create and publish, and what the public reads.

pub mod categories;
pub mod counts;
pub mod dashboard;
pub mod model;
pub mod pages;
pub mod questions;
pub mod routes;
pub mod store;
pub mod view;

pub use model::{Meeting, MeetingStatus};
pub use routes::configure;
