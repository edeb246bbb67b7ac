//! Press access: tokens scoped to one meeting, and the attendee list that shows only confirmed
//! participants who agreed to be listed, and only their public fields.

pub mod dashboard;
pub mod model;
pub mod pages;
pub mod routes;
pub mod store;

pub use routes::configure;
