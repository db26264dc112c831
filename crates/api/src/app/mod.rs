//! The application layer: one service per resource, owning its transactions, history, audit and
//! notices. HTTP handlers (`routes`) extract typed input, call a service and respond; scheduled
//! jobs call the same services. Nothing here depends on the HTTP layer.

pub mod accounts;
pub mod catalog;
pub mod delegates;
pub mod events;
pub mod experts;
pub mod meetings;
pub mod notifications;
pub mod phases;
pub mod register;
pub mod registrations;
pub mod reports;
pub mod requests;
pub mod semesters;
pub mod sight;
pub mod targets;
pub mod users;
