//! The Affianca server: REST API (actix-web), database (sea-orm on SQLite or PostgreSQL),
//! authentication, reference data. The `affianca` command is crate `affianca` (crates/cli); the
//! demo and benchmark data are crate `affianca-demo` (crates/demo).

pub mod app;
pub mod audit;
pub mod auth;
pub mod backup;
pub mod config;
pub mod container;
pub mod csv;
pub mod db;
pub mod entities;
pub mod error;
pub mod extract;
pub mod file_store;
pub mod indicators;
pub mod jobs;
pub mod mailer;
pub mod migration;
pub mod monitoring;
pub mod notify;
pub mod openapi;
pub mod reference;
pub mod register;
pub mod registry;
pub mod routes;
pub mod startup;
pub mod storage;
pub mod telemetry;
pub mod throttle;
pub mod tokens;
