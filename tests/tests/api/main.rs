//! API tests over HTTP, against SQLite (always) and PostgreSQL (when TEST_DATABASE_URL is set).

mod activities;
mod attachments;
mod audit;
mod auth;
mod authorities;
mod authz_matrix;
mod catalog;
mod csv_exports;
mod delegates;
mod errors;
mod experts;
mod hostile_files;
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
mod support_requests;
mod users;
