//! The agenda: rooms, sessions and their speakers, checked for clashes; the public programme
//! and its calendars; and batched notices to participants when sessions move.

pub mod calendar;
pub mod dashboard;
pub mod model;
pub mod routes;
pub mod store;
pub mod timetable;

pub use routes::configure;
