//! Support requests (*richieste di affiancamento*, DOMAIN.md §4): their status, the actions that
//! move them, and the state machine as one pure function, [`next_status`], used by the server to
//! decide and by the client to offer only the buttons that will work ([`allowed_actions`]).
//!
//! ```text
//! draft -submit-> submitted -take_charge-> under_review -assign-> assigned -start-> in_progress
//!   -complete(report)-> completed -close(feedback 1..5)-> closed
//! submitted|under_review -reject(reason)-> rejected
//! draft|submitted|under_review -withdraw-> withdrawn
//! assigned|in_progress -suspend(reason)-> on_hold -resume-> (the state it left)
//! completed -reopen(reason, within 30 days)-> in_progress
//! completed -(15 days, no feedback)-> closed          (the system: auto_close)
//! assigned -assign-> assigned                          (a new assignment before work starts)
//! ```

use crate::ParseError;
use serde::{Deserialize, Serialize};

macro_rules! code_enum {
    (
        $(#[$meta:meta])*
        $name:ident, $what:literal {
            $($(#[$vmeta:meta])* $variant:ident => $code:literal, $label:literal;)+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$(Self::$variant,)+];

            /// The code in the API and the database.
            pub fn code(self) -> &'static str {
                match self {
                    $(Self::$variant => $code,)+
                }
            }

            /// The Italian label.
            pub fn label(self) -> &'static str {
                match self {
                    $(Self::$variant => $label,)+
                }
            }

            pub fn parse(s: &str) -> Result<Self, ParseError> {
                let s = s.trim();
                Self::ALL.iter().copied().find(|v| v.code() == s).ok_or_else(|| {
                    let codes: Vec<&str> = Self::ALL.iter().map(|v| v.code()).collect();
                    ParseError::new(format!(
                        concat!("«{}» non è ", $what, ": usare {}"),
                        s,
                        codes.join(", ")
                    ))
                })
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.code())
            }
        }
    };
}

pub(crate) use code_enum;

code_enum! {
    /// Where a support request stands.
    RequestStatus, "uno stato della richiesta" {
        Draft => "draft", "Bozza";
        Submitted => "submitted", "Inviata";
        UnderReview => "under_review", "In esame";
        Assigned => "assigned", "Assegnata";
        InProgress => "in_progress", "In lavorazione";
        OnHold => "on_hold", "Sospesa";
        Completed => "completed", "Completata";
        Closed => "closed", "Chiusa";
        Rejected => "rejected", "Respinta";
        Withdrawn => "withdrawn", "Ritirata";
    }
}

code_enum! {
    /// What moves a request from one status to the next.
    RequestAction, "un'azione sulla richiesta" {
        Submit => "submit", "Invia";
        TakeCharge => "take_charge", "Prendi in carico";
        Reject => "reject", "Respingi";
        Withdraw => "withdraw", "Ritira";
        Assign => "assign", "Assegna";
        Start => "start", "Avvia il lavoro";
        Suspend => "suspend", "Sospendi";
        Resume => "resume", "Riprendi";
        Complete => "complete", "Completa";
        Close => "close", "Chiudi";
        Reopen => "reopen", "Riapri";
        /// The system closes requests left completed for 15 days without feedback.
        AutoClose => "auto_close", "Chiusura automatica";
    }
}

code_enum! {
    /// The kind of support asked for.
    SupportKind, "un tipo di supporto" {
        FileReview => "file_review", "Istruttoria di pratiche";
        BacklogRecovery => "backlog_recovery", "Smaltimento dell'arretrato";
        Training => "training", "Formazione";
        ProcessRedesign => "process_redesign", "Riorganizzazione del processo";
        LegalAdvice => "legal_advice", "Consulenza giuridica";
        Other => "other", "Altro";
    }
}

code_enum! {
    /// How urgent the authority says the request is.
    Urgency, "un'urgenza" {
        Low => "low", "Bassa";
        Normal => "normal", "Normale";
        High => "high", "Alta";
    }
}

code_enum! {
    /// How the authority prefers to be supported.
    SupportMode, "una modalità" {
        InPerson => "in_person", "In presenza";
        Remote => "remote", "A distanza";
        Either => "either", "Indifferente";
    }
}

code_enum! {
    /// What an expert did, in the activity log.
    ActivityKind, "un tipo di attività" {
        InPersonMeeting => "in_person_meeting", "Incontro in presenza";
        RemoteMeeting => "remote_meeting", "Incontro a distanza";
        DocumentReview => "document_review", "Esame di documenti";
        Training => "training", "Formazione";
        FileProcessing => "file_processing", "Lavorazione di pratiche";
        Other => "other", "Altro";
    }
}

impl RequestStatus {
    /// No action moves the request any more.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Closed | Self::Rejected | Self::Withdrawn)
    }

    /// Still being worked on or waiting for work (for workloads and the triage queue).
    pub fn is_open(self) -> bool {
        !self.is_final() && self != Self::Draft
    }
}

/// How the person acting stands to the request: each flag is one reason they may act (one
/// person may have several, e.g. the secretariat is also the lead expert).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Relation {
    /// Representative or delegate of the request's authority.
    pub authority: bool,
    /// The technical secretariat.
    pub secretariat: bool,
    /// A coordinator of the request's task force.
    pub coordinator: bool,
    /// The request's lead expert.
    pub lead_expert: bool,
    /// The server itself (scheduled jobs).
    pub system: bool,
}

/// Facts beyond the status that some moves need.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Context {
    /// For `resume`: the status the request left when it was suspended.
    pub held_from: Option<RequestStatus>,
    /// For `reopen`: whole days since the request was completed.
    pub days_since_completed: Option<i64>,
}

/// How long after completion the authority may still reopen.
pub const REOPEN_WINDOW_DAYS: i64 = 30;
/// After how many days without feedback a completed request closes by itself.
pub const AUTO_CLOSE_DAYS: i64 = 15;
/// Service levels, in working days from submission.
pub const TAKE_CHARGE_DAYS: u32 = 5;
pub const ASSIGN_DAYS: u32 = 10;

/// Why a move is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The action does not apply to a request in this status.
    #[error("l'azione «{}» non è possibile su una richiesta nello stato «{}»", .action.label(), .status.label())]
    WrongStatus {
        status: RequestStatus,
        action: RequestAction,
    },
    /// The action applies, but not by this person.
    #[error("l'azione «{}» spetta ad altri", .0.label())]
    NotYours(RequestAction),
    /// A completed request can be reopened only within 30 days.
    #[error(
        "la richiesta si può riaprire solo entro {REOPEN_WINDOW_DAYS} giorni dal completamento"
    )]
    ReopenWindowClosed,
}

impl Refusal {
    /// A stable code for the API's problem.
    pub fn code(self) -> &'static str {
        match self {
            Self::WrongStatus { .. } => "transition_not_allowed",
            Self::NotYours(_) => "transition_forbidden",
            Self::ReopenWindowClosed => "reopen_window_closed",
        }
    }
}

/// Who may perform `action` at all (whatever the status).
fn may(action: RequestAction, r: Relation) -> bool {
    use RequestAction as A;
    match action {
        A::Submit | A::Withdraw | A::Close | A::Reopen => r.authority,
        A::TakeCharge | A::Reject | A::Assign => r.secretariat || r.coordinator,
        A::Start | A::Suspend | A::Resume | A::Complete => r.lead_expert || r.secretariat,
        A::AutoClose => r.system,
    }
}

/// The state machine: where `action` by someone in `relation` takes a request in `status`.
pub fn next_status(
    status: RequestStatus,
    action: RequestAction,
    relation: Relation,
    ctx: Context,
) -> Result<RequestStatus, Refusal> {
    use RequestAction as A;
    use RequestStatus as S;
    let to = match (status, action) {
        (S::Draft, A::Submit) => S::Submitted,
        (S::Submitted, A::TakeCharge) => S::UnderReview,
        (S::Submitted | S::UnderReview, A::Reject) => S::Rejected,
        (S::Draft | S::Submitted | S::UnderReview, A::Withdraw) => S::Withdrawn,
        (S::UnderReview | S::Assigned, A::Assign) => S::Assigned,
        (S::Assigned, A::Start) => S::InProgress,
        (S::Assigned | S::InProgress, A::Suspend) => S::OnHold,
        (S::OnHold, A::Resume) => match ctx.held_from {
            Some(from @ (S::Assigned | S::InProgress)) => from,
            // A hold always records where it came from; without it, work resumes.
            _ => S::InProgress,
        },
        (S::InProgress, A::Complete) => S::Completed,
        (S::Completed, A::Close | A::AutoClose) => S::Closed,
        (S::Completed, A::Reopen) => S::InProgress,
        _ => return Err(Refusal::WrongStatus { status, action }),
    };
    if !may(action, relation) {
        return Err(Refusal::NotYours(action));
    }
    if action == A::Reopen
        && ctx
            .days_since_completed
            .is_none_or(|d| d > REOPEN_WINDOW_DAYS)
    {
        return Err(Refusal::ReopenWindowClosed);
    }
    Ok(to)
}

/// The actions this person may take now (the client shows exactly these buttons).
pub fn allowed_actions(
    status: RequestStatus,
    relation: Relation,
    ctx: Context,
) -> Vec<RequestAction> {
    RequestAction::ALL
        .iter()
        .copied()
        .filter(|&a| a != RequestAction::AutoClose)
        .filter(|&a| next_status(status, a, relation, ctx).is_ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use RequestAction as A;
    use RequestStatus as S;

    /// Every combination of the five relation flags.
    fn relations() -> Vec<Relation> {
        (0..32_u8)
            .map(|m| Relation {
                authority: m & 1 != 0,
                secretariat: m & 2 != 0,
                coordinator: m & 4 != 0,
                lead_expert: m & 8 != 0,
                system: m & 16 != 0,
            })
            .collect()
    }

    fn contexts() -> Vec<Context> {
        let mut out = Vec::new();
        for held_from in [None, Some(S::Assigned), Some(S::InProgress)] {
            for days in [None, Some(0), Some(30), Some(31)] {
                out.push(Context {
                    held_from,
                    days_since_completed: days,
                });
            }
        }
        out
    }

    /// The table of DOMAIN.md §4, written out independently of `next_status`: the status an
    /// action leads to, if it applies in that status.
    fn expected_target(status: S, action: A, ctx: Context) -> Option<S> {
        let table: &[(S, A, S)] = &[
            (S::Draft, A::Submit, S::Submitted),
            (S::Submitted, A::TakeCharge, S::UnderReview),
            (S::Submitted, A::Reject, S::Rejected),
            (S::UnderReview, A::Reject, S::Rejected),
            (S::Draft, A::Withdraw, S::Withdrawn),
            (S::Submitted, A::Withdraw, S::Withdrawn),
            (S::UnderReview, A::Withdraw, S::Withdrawn),
            (S::UnderReview, A::Assign, S::Assigned),
            (S::Assigned, A::Assign, S::Assigned),
            (S::Assigned, A::Start, S::InProgress),
            (S::Assigned, A::Suspend, S::OnHold),
            (S::InProgress, A::Suspend, S::OnHold),
            (S::InProgress, A::Complete, S::Completed),
            (S::Completed, A::Close, S::Closed),
            (S::Completed, A::AutoClose, S::Closed),
            (S::Completed, A::Reopen, S::InProgress),
        ];
        if (status, action) == (S::OnHold, A::Resume) {
            return Some(ctx.held_from.unwrap_or(S::InProgress));
        }
        table
            .iter()
            .find(|(s, a, _)| *s == status && *a == action)
            .map(|(.., to)| *to)
    }

    fn expected_actor(action: A, r: Relation) -> bool {
        match action {
            A::Submit | A::Withdraw | A::Close | A::Reopen => r.authority,
            A::TakeCharge | A::Reject | A::Assign => r.secretariat || r.coordinator,
            A::Start | A::Suspend | A::Resume | A::Complete => r.lead_expert || r.secretariat,
            A::AutoClose => r.system,
        }
    }

    #[test]
    fn every_status_action_and_actor() {
        let mut checked = 0;
        for &status in S::ALL {
            for &action in A::ALL {
                for relation in relations() {
                    for ctx in contexts() {
                        let got = next_status(status, action, relation, ctx);
                        let want = match expected_target(status, action, ctx) {
                            None => Err(Refusal::WrongStatus { status, action }),
                            Some(_) if !expected_actor(action, relation) => {
                                Err(Refusal::NotYours(action))
                            }
                            Some(_)
                                if action == A::Reopen
                                    && ctx.days_since_completed.is_none_or(|d| d > 30) =>
                            {
                                Err(Refusal::ReopenWindowClosed)
                            }
                            Some(to) => Ok(to),
                        };
                        assert_eq!(got, want, "{status} {action} {relation:?} {ctx:?}");
                        checked += 1;
                    }
                }
            }
        }
        assert_eq!(checked, 10 * 12 * 32 * 12);
    }

    #[test]
    fn final_statuses_accept_nothing() {
        for &status in S::ALL.iter().filter(|s| s.is_final()) {
            for relation in relations() {
                assert!(allowed_actions(status, relation, Context::default()).is_empty());
            }
        }
    }

    #[test]
    fn the_happy_path() {
        let authority = Relation {
            authority: true,
            ..Relation::default()
        };
        let secretariat = Relation {
            secretariat: true,
            ..Relation::default()
        };
        let lead = Relation {
            lead_expert: true,
            ..Relation::default()
        };
        let c = Context::default();
        let mut s = S::Draft;
        for (action, who) in [
            (A::Submit, authority),
            (A::TakeCharge, secretariat),
            (A::Assign, secretariat),
            (A::Start, lead),
            (A::Complete, lead),
            (A::Close, authority),
        ] {
            s = next_status(s, action, who, c).unwrap();
        }
        assert_eq!(s, S::Closed);
    }

    #[test]
    fn a_hold_resumes_where_it_left() {
        let lead = Relation {
            lead_expert: true,
            ..Relation::default()
        };
        let ctx = Context {
            held_from: Some(S::Assigned),
            ..Context::default()
        };
        assert_eq!(
            next_status(S::OnHold, A::Resume, lead, ctx),
            Ok(S::Assigned)
        );
    }

    #[test]
    fn the_client_is_offered_what_the_server_accepts() {
        let authority = Relation {
            authority: true,
            ..Relation::default()
        };
        assert_eq!(
            allowed_actions(S::Submitted, authority, Context::default()),
            [A::Withdraw]
        );
        let coordinator = Relation {
            coordinator: true,
            ..Relation::default()
        };
        assert_eq!(
            allowed_actions(S::Submitted, coordinator, Context::default()),
            [A::TakeCharge, A::Reject]
        );
        let recent = Context {
            days_since_completed: Some(3),
            ..Context::default()
        };
        assert_eq!(
            allowed_actions(S::Completed, authority, recent),
            [A::Close, A::Reopen]
        );
    }

    #[test]
    fn codes_round_trip() {
        for &s in S::ALL {
            assert_eq!(S::parse(s.code()), Ok(s));
            assert_eq!(
                serde_json::to_string(&s).unwrap(),
                format!("\"{}\"", s.code())
            );
        }
        for &a in A::ALL {
            assert_eq!(A::parse(a.code()), Ok(a));
        }
        assert!(S::parse("done").unwrap_err().0.contains("under_review"));
        for &k in SupportKind::ALL {
            assert_eq!(SupportKind::parse(k.code()), Ok(k));
        }
        for &k in ActivityKind::ALL {
            assert_eq!(ActivityKind::parse(k.code()), Ok(k));
        }
    }
}
