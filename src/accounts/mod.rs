//! Who may do what: organizer accounts and their passwords, and every bearer token (organizer
//! API tokens, participants' manage and confirm tokens, press tokens), stored only as digests.

pub mod handed_out;
pub mod handed_out_routes;
pub mod model;
pub mod pages;
pub mod routes;
pub mod store;
pub mod tokens;

pub use routes::{configure, Organizer, Participant};
