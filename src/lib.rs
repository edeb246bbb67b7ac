//! Convene: registration and agenda service for regional, multi-stakeholder meetings.

pub mod accounts;
pub mod agenda;
pub mod app;
pub mod audit;
pub mod checkin;
pub mod config;
pub mod countries;
pub mod db;
pub mod delegations;
pub mod demo;
pub mod email;
pub mod error;
pub mod exports;
pub mod i18n;
pub mod invitations;
pub mod meetings;
pub mod openapi;
pub mod operations;
pub mod patch;
pub mod press;
pub mod registrations;
pub mod schema;
pub mod telemetry;
pub mod travel;
pub mod values;
pub mod web;
pub mod webhooks;

pub use app::Server;
pub use config::Settings;
