//! Registrations: the heart. Registering, confirming the address, seats and the waiting list,
//! approval, cancellation, the participant's self-service and the organizer's lists.

pub mod dashboard;
pub mod model;
pub mod pages;
pub mod routes;
pub mod signup_context;
pub mod store;

pub use routes::configure;
