//! What happened in the programme, as the server's application layer records it: one event per
//! write that others may want to hear of, stored in the writing transaction (the server's `events`
//! table, an outbox) so that notices, e-mails and webhooks all follow the same stream and nothing
//! is told of a write that was rolled back.
//!
//! The `type` names are the ones integrators subscribe to (DOMAIN.md §6).

use crate::dto::{SemesterAction, SemesterStatus};
use crate::{Period, RequestAction, RequestStatus};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// An event, tagged by `type`, its data under `data`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum Event {
    /// A support request moved (a person's action or the server's automatic close).
    #[serde(rename = "support_request.transitioned")]
    RequestTransitioned(RequestTransitioned),
    /// An authority sent a semester's data to the secretariat.
    #[serde(rename = "semester.submitted")]
    SemesterSubmitted(SemesterMoved),
    /// The secretariat validated a semester.
    #[serde(rename = "semester.validated")]
    SemesterValidated(SemesterMoved),
    /// The secretariat returned a semester with a comment.
    #[serde(rename = "semester.returned")]
    SemesterReturned(SemesterMoved),
    /// The secretariat reopened a semester past its lock date.
    #[serde(rename = "semester.reopened")]
    SemesterReopened(SemesterMoved),
    /// An authority's files or typed-in semester tables changed, and so did its measurements.
    #[serde(rename = "register.updated")]
    RegisterUpdated(RegisterUpdated),
}

/// A support request's move.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestTransitioned {
    pub request_id: i64,
    /// ISTAT code of the authority that asked.
    pub authority: String,
    pub task_force: String,
    pub action: RequestAction,
    pub from: RequestStatus,
    pub to: RequestStatus,
    /// Who moved it; `None` for the server.
    pub by: Option<i64>,
    /// The reason given to the parties (rejection, withdrawal, suspension…), if any.
    pub reason: Option<String>,
    pub at: DateTime<Utc>,
}

/// A semester's move.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SemesterMoved {
    /// ISTAT code of the authority.
    pub authority: String,
    pub period: Period,
    /// The state after the move.
    pub status: SemesterStatus,
    pub comment: Option<String>,
    pub by: i64,
    pub at: DateTime<Utc>,
}

/// How an authority's register changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegisterUpdated {
    /// ISTAT code of the authority.
    pub authority: String,
    /// `upload` (a whole register), `file` (one file written), `file_deleted`, `manual` (a
    /// semester table typed in).
    pub how: String,
    /// Files added, changed or removed (rows of the table for `manual`).
    pub files_changed: u64,
    /// Semesters whose measurements changed.
    pub periods: Vec<Period>,
    pub by: i64,
    pub at: DateTime<Utc>,
}

impl Event {
    /// The event's type, as subscribers name it.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::RequestTransitioned(_) => "support_request.transitioned",
            Self::SemesterSubmitted(_) => "semester.submitted",
            Self::SemesterValidated(_) => "semester.validated",
            Self::SemesterReturned(_) => "semester.returned",
            Self::SemesterReopened(_) => "semester.reopened",
            Self::RegisterUpdated(_) => "register.updated",
        }
    }

    /// The semester event of an action.
    pub fn semester(action: SemesterAction, moved: SemesterMoved) -> Self {
        match action {
            SemesterAction::Submit => Self::SemesterSubmitted(moved),
            SemesterAction::Validate => Self::SemesterValidated(moved),
            SemesterAction::Return => Self::SemesterReturned(moved),
            SemesterAction::Reopen => Self::SemesterReopened(moved),
        }
    }

    /// The authority the event concerns (ISTAT code).
    pub fn authority(&self) -> &str {
        match self {
            Self::RequestTransitioned(e) => &e.authority,
            Self::SemesterSubmitted(e)
            | Self::SemesterValidated(e)
            | Self::SemesterReturned(e)
            | Self::SemesterReopened(e) => &e.authority,
            Self::RegisterUpdated(e) => &e.authority,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_is_the_serialized_type() {
        let at = DateTime::parse_from_rfc3339("2026-12-08T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let moved = SemesterMoved {
            authority: "016024".into(),
            period: Period::parse("2025S2").unwrap(),
            status: SemesterStatus::Validated,
            comment: None,
            by: 3,
            at,
        };
        for action in [
            SemesterAction::Submit,
            SemesterAction::Validate,
            SemesterAction::Return,
            SemesterAction::Reopen,
        ] {
            let e = Event::semester(action, moved.clone());
            let json = serde_json::to_value(&e).unwrap();
            assert_eq!(json["type"], e.kind());
            assert_eq!(json["data"]["authority"], "016024");
            assert_eq!(json["data"]["period"], "2025S2");
            let back: Event = serde_json::from_value(json).unwrap();
            assert_eq!(back, e);
        }
        let e = Event::RequestTransitioned(RequestTransitioned {
            request_id: 7,
            authority: "016024".into(),
            task_force: "waste".into(),
            action: RequestAction::Submit,
            from: RequestStatus::Draft,
            to: RequestStatus::Submitted,
            by: Some(4),
            reason: None,
            at,
        });
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json["type"], "support_request.transitioned");
        assert_eq!(json["data"]["from"], "draft");
        assert_eq!(json["data"]["to"], "submitted");
        assert_eq!(e.authority(), "016024");
    }
}
