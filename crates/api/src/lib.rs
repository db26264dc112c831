//! The Affianca server: REST API (actix-web), database (sea-orm on SQLite or PostgreSQL),
//! authentication, reference data, and the command line in `main.rs`.

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
pub mod register;
pub mod registry;
pub mod routes;
pub mod scale;
pub mod seed;
pub mod startup;
pub mod storage;
pub mod telemetry;
pub mod throttle;
pub mod tokens;
