//! One test binary for the whole HTTP API, on SQLite and PostgreSQL.

mod support;

mod faults;
mod form_tabs;
mod hardening;
mod hostile;
mod layers;
mod schema_fuzz;

mod access;
mod agenda;
mod browser;
mod browser_delegation;
mod browser_desk;
mod capacity;
mod categories;
mod checkin;
mod checkin_tab;
mod delegations;
mod demo;
mod deployment;
mod documents;
mod invitations;
mod links;
mod meetings;
mod one_statement;
mod one_statement_checkin;
mod operations;
mod outbox;
mod pages;
mod practical;
mod press;
mod privacy;
mod public_surfaces;
mod questions;
mod registration;
mod registrations_table;
mod seat_guards;
mod size;
mod travel;
mod under_load;
mod webhooks;
