//! API tests over HTTP, against SQLite (always) and PostgreSQL (when TEST_DATABASE_URL is set).

mod activities;
mod attachments;
mod audit;
mod auth;
mod authorities;
mod authz_matrix;
mod catalog;
mod delegates;
mod errors;
mod experts;
mod faults;
mod hardening;
mod import;
mod jobs;
mod mail;
mod meetings;
mod monitoring;
mod onboarding;
mod openapi;
mod phases;
mod reports;
mod scale;
mod sessions;
mod support_requests;
mod users;
