//! Types shared by the Affianca server (`affianca-api`) and its browser client (`affianca-web`).
//!
//! Nothing here does I/O, so the crate builds for `wasm32-unknown-unknown`. Raw input is parsed
//! into types that cannot hold an invalid value ("parse, don't validate"): once a handler holds an
//! [`IstatCode`] or a [`Scope`], no later code has to check it again.
//!
//! The `openapi` feature adds `utoipa::ToSchema` derives for the server's OpenAPI document.

pub mod audit;
pub mod calendar;
pub mod dto;
pub mod events;
pub mod ids;
pub mod links;
pub mod monitoring;
pub mod onboarding;
pub mod policy;
pub mod reference;
pub mod register;
pub mod request;
pub mod roles;
pub mod text;
pub mod values;

pub use audit::AuditAction;
pub use ids::*;
pub use onboarding::{Office, RegistrationStatus};
pub use reference::*;
pub use request::{ActivityKind, RequestAction, RequestStatus, SupportKind, SupportMode, Urgency};
pub use roles::*;
pub use values::*;

/// The error of every `parse` in this crate: a human sentence (Italian, shown as is by the client
/// and returned by the API in a problem's field errors).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParseError(pub String);

impl ParseError {
    pub fn new(msg: impl Into<String>) -> Self {
        Self(msg.into())
    }
}
