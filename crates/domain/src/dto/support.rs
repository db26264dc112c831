//! Bodies of the support-request endpoints (`/api/v1/support-requests`).

use crate::{
    IstatCode, ProcedureCode, ProvinceCode, RequestAction, RequestStatus, SupportKind, SupportMode,
    TaskForce, Urgency, UserId,
};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

fn default_urgency() -> Urgency {
    Urgency::Normal
}

fn default_mode() -> SupportMode {
    SupportMode::Either
}

/// Body of `POST /api/v1/support-requests`: a new draft for an authority the caller works for.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema), schema(example = json!({
    "istat_code": "016024", "procedure": "PDC", "subject": "Arretrato di permessi di costruire",
    "description": "Circa 120 pratiche in attesa dal 2023; serve supporto all'istruttoria.",
    "support_kind": "backlog_recovery", "urgency": "high", "mode": "either", "files_count": 120,
    "contact": "Ufficio tecnico, 035 399111"
})))]
pub struct CreateSupportRequest {
    pub istat_code: IstatCode,
    /// A procedure of the catalog; its task force handles the request.
    pub procedure: ProcedureCode,
    /// 3–200 characters.
    pub subject: String,
    pub description: String,
    pub support_kind: SupportKind,
    #[serde(default = "default_urgency")]
    pub urgency: Urgency,
    #[serde(default = "default_mode")]
    pub mode: SupportMode,
    /// How many files (pratiche) the request concerns, 0–100000.
    #[serde(default)]
    pub files_count: i32,
    /// Who to contact at the authority (name, phone, office).
    #[serde(default)]
    pub contact: String,
}

/// Body of `PATCH /api/v1/support-requests/{id}` (drafts only, with `If-Match`): the fields to
/// change.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct UpdateSupportRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub procedure: Option<ProcedureCode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub support_kind: Option<SupportKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub urgency: Option<Urgency>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<SupportMode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub files_count: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
}

/// A person named on a request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct PersonRef {
    pub user_id: UserId,
    pub full_name: String,
}

/// An expert assigned to a request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Assignee {
    pub user_id: UserId,
    pub full_name: String,
    /// The lead expert (one per request).
    pub lead: bool,
}

/// The service levels of a request: take charge within 5 working days of submission, assign
/// within 10 (weekends, national holidays and days on hold do not count).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ServiceLevels {
    pub take_charge_due: Option<NaiveDate>,
    /// Taken in charge after the due date, or still not taken in charge past it.
    pub take_charge_overdue: bool,
    pub assign_due: Option<NaiveDate>,
    pub assign_overdue: bool,
}

/// A support request in a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema), schema(example = json!({
    "id": 42, "istat_code": "016024", "authority_name": "Bergamo", "province": "BG",
    "task_force": "building_planning", "procedure": "PDC", "subject": "Arretrato di permessi di costruire",
    "status": "under_review", "urgency": "high", "submitted_at": "2026-11-23T09:12:00Z",
    "updated_at": "2026-11-24T10:00:00Z",
    "service": {"take_charge_due": "2026-11-30", "take_charge_overdue": false, "assign_due": "2026-12-07", "assign_overdue": false},
    "lead_expert": null, "version": 3
})))]
pub struct SupportRequestSummary {
    pub id: i64,
    pub istat_code: IstatCode,
    pub authority_name: String,
    pub province: Option<ProvinceCode>,
    pub task_force: TaskForce,
    pub procedure: ProcedureCode,
    pub subject: String,
    pub status: RequestStatus,
    pub urgency: Urgency,
    pub submitted_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    pub service: ServiceLevels,
    pub lead_expert: Option<PersonRef>,
    pub version: i32,
}

/// One step of a request's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct TransitionRecord {
    /// `create`, or the action's code.
    pub action: String,
    pub from: Option<RequestStatus>,
    pub to: RequestStatus,
    /// `None` when the system acted (automatic closing).
    pub actor: Option<PersonRef>,
    pub reason: Option<String>,
    pub at: DateTime<Utc>,
}

/// A support request with everything about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema), schema(example = json!({
    "id": 42, "istat_code": "016024", "authority_name": "Bergamo", "province": "BG",
    "task_force": "building_planning", "procedure": "PDC", "subject": "Arretrato di permessi di costruire",
    "status": "under_review", "urgency": "high", "submitted_at": "2026-11-23T09:12:00Z",
    "updated_at": "2026-11-24T10:00:00Z",
    "service": {"take_charge_due": "2026-11-30", "take_charge_overdue": false, "assign_due": "2026-12-07", "assign_overdue": false},
    "lead_expert": null, "version": 3,
    "description": "Circa 120 pratiche in attesa dal 2023: serve supporto all'istruttoria.",
    "support_kind": "backlog_recovery", "mode": "either", "files_count": 120,
    "contact": "Ufficio tecnico, 035 399111",
    "created_by": {"user_id": 3, "full_name": "Sindaco di Bergamo"}, "created_at": "2026-11-20T15:00:00Z",
    "taken_at": "2026-11-24T10:00:00Z", "assigned_at": null, "completed_at": null, "closed_at": null,
    "held_from": null, "report": null, "rating": null, "feedback": null, "assignees": [],
    "history": [
        {"action": "create", "from": null, "to": "draft", "actor": {"user_id": 3, "full_name": "Sindaco di Bergamo"}, "reason": null, "at": "2026-11-20T15:00:00Z"},
        {"action": "submit", "from": "draft", "to": "submitted", "actor": {"user_id": 3, "full_name": "Sindaco di Bergamo"}, "reason": null, "at": "2026-11-23T09:12:00Z"},
        {"action": "take_charge", "from": "submitted", "to": "under_review", "actor": {"user_id": 6, "full_name": "Paolo Ricci"}, "reason": null, "at": "2026-11-24T10:00:00Z"}
    ],
    "allowed_actions": ["reject", "withdraw", "assign"]
})))]
pub struct SupportRequest {
    #[serde(flatten)]
    pub summary: SupportRequestSummary,
    pub description: String,
    pub support_kind: SupportKind,
    pub mode: SupportMode,
    pub files_count: i32,
    pub contact: String,
    pub created_by: PersonRef,
    pub created_at: DateTime<Utc>,
    pub taken_at: Option<DateTime<Utc>>,
    pub assigned_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    /// While on hold: the status it will resume to.
    pub held_from: Option<RequestStatus>,
    /// The expert's final report (on completion).
    pub report: Option<String>,
    /// The authority's rating, 1–5 (on closing).
    pub rating: Option<i32>,
    pub feedback: Option<String>,
    pub assignees: Vec<Assignee>,
    pub history: Vec<TransitionRecord>,
    /// What the caller may do now (the client shows exactly these actions).
    pub allowed_actions: Vec<RequestAction>,
}

/// Body of `POST /api/v1/support-requests/{id}/transitions` (with `If-Match`): the action and
/// its data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema), schema(example = json!({
    "action": "assign", "lead_expert": 5, "others": []
})))]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum TransitionRequest {
    Submit,
    TakeCharge,
    Reject {
        reason: String,
    },
    Withdraw {
        #[serde(default)]
        reason: Option<String>,
    },
    Assign {
        lead_expert: UserId,
        #[serde(default)]
        others: Vec<UserId>,
    },
    Start,
    Suspend {
        reason: String,
    },
    Resume,
    Complete {
        report: String,
    },
    Close {
        /// 1–5.
        rating: i32,
        #[serde(default)]
        comment: Option<String>,
    },
    Reopen {
        reason: String,
    },
}

impl TransitionRequest {
    pub fn action(&self) -> RequestAction {
        match self {
            Self::Submit => RequestAction::Submit,
            Self::TakeCharge => RequestAction::TakeCharge,
            Self::Reject { .. } => RequestAction::Reject,
            Self::Withdraw { .. } => RequestAction::Withdraw,
            Self::Assign { .. } => RequestAction::Assign,
            Self::Start => RequestAction::Start,
            Self::Suspend { .. } => RequestAction::Suspend,
            Self::Resume => RequestAction::Resume,
            Self::Complete { .. } => RequestAction::Complete,
            Self::Close { .. } => RequestAction::Close,
            Self::Reopen { .. } => RequestAction::Reopen,
        }
    }
}

/// An expert who could take a request, for the assignment dialog.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema), schema(example = json!({
    "user_id": 5, "full_name": "Anna Colombo", "open_requests": 2, "max_concurrent_requests": 6,
    "covers_province": true, "past_requests_with_authority": 1, "score": 5, "suggested": true
})))]
pub struct Candidate {
    pub user_id: UserId,
    pub full_name: String,
    /// Requests assigned to them and not yet completed, closed, rejected or withdrawn.
    pub open_requests: u64,
    pub max_concurrent_requests: i32,
    /// Whether their profile covers the authority's province.
    pub covers_province: bool,
    /// Requests of the same authority they worked on before.
    pub past_requests_with_authority: u64,
    /// The ranking: province +3, past work with the authority up to +3, load up to −4, full −10.
    pub score: i32,
    /// The best candidate with room for one more request.
    pub suggested: bool,
}

/// A message on a request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema), schema(example = json!({
    "id": 7, "author": {"user_id": 5, "full_name": "Anna Colombo"}, "body": "Ci vediamo giovedì in Comune.",
    "internal": false, "created_at": "2026-11-25T11:00:00Z"
})))]
pub struct Message {
    pub id: i64,
    pub author: PersonRef,
    pub body: String,
    /// A note among programme staff: the authority and observers never see it.
    pub internal: bool,
    pub created_at: DateTime<Utc>,
}

/// Body of `POST /api/v1/support-requests/{id}/messages`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema), schema(example = json!({
    "body": "Servono gli elenchi delle pratiche in attesa.", "internal": false
})))]
pub struct NewMessage {
    /// 1–10000 characters.
    pub body: String,
    /// Only programme staff may write internal notes.
    #[serde(default)]
    pub internal: bool,
}

/// An entry of an expert's activity log on a request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema), schema(example = json!({
    "id": 12, "request_id": 42, "expert": {"user_id": 5, "full_name": "Anna Colombo"},
    "date": "2026-11-25", "kind": "file_processing", "hours": 3.5, "files_handled": 14,
    "notes": "Istruttoria di 14 PDC con l'ufficio tecnico", "created_at": "2026-11-25T17:00:00Z",
    "editable_until": "2026-12-25"
})))]
pub struct ActivityEntry {
    pub id: i64,
    pub request_id: i64,
    pub expert: PersonRef,
    pub date: NaiveDate,
    pub kind: crate::ActivityKind,
    /// 0.25–12, in quarter hours.
    pub hours: f64,
    pub files_handled: i32,
    pub notes: String,
    pub created_at: DateTime<Utc>,
    /// The last day the expert may still change it (30 days after it was written).
    pub editable_until: NaiveDate,
}

/// Body of `POST /api/v1/support-requests/{id}/activities`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema), schema(example = json!({
    "date": "2026-11-25", "kind": "file_processing", "hours": 3.5, "files_handled": 14,
    "notes": "Istruttoria di 14 PDC con l'ufficio tecnico"
})))]
pub struct NewActivity {
    /// Not in the future.
    pub date: NaiveDate,
    pub kind: crate::ActivityKind,
    /// 0.25–12 in quarter hours; at most 24 per expert per day across entries.
    pub hours: f64,
    /// 0–10000.
    #[serde(default)]
    pub files_handled: i32,
    #[serde(default)]
    pub notes: String,
}

/// Body of `PATCH /api/v1/activities/{id}`: the fields to change.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct UpdateActivity {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<crate::ActivityKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub files_handled: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

/// One line of a monthly timesheet: an entry with its request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct TimesheetLine {
    #[serde(flatten)]
    pub entry: ActivityEntry,
    pub subject: String,
    pub authority_name: String,
}

/// Hours of one day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct DayTotal {
    pub date: NaiveDate,
    pub hours: f64,
}

/// An expert's month: every entry, the hours of each day, the total.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema), schema(example = json!({
    "expert": {"user_id": 5, "full_name": "Anna Colombo"}, "month": "2026-11",
    "lines": [], "days": [{"date": "2026-11-25", "hours": 3.5}], "total_hours": 3.5
})))]
pub struct Timesheet {
    pub expert: PersonRef,
    /// `YYYY-MM`.
    pub month: String,
    pub lines: Vec<TimesheetLine>,
    pub days: Vec<DayTotal>,
    pub total_hours: f64,
}

/// One task force in the service report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct TaskForceReport {
    pub task_force: TaskForce,
    /// Submitted in the period.
    pub submitted: u64,
    /// Open now (submitted, under review, assigned, in progress, on hold).
    pub open: u64,
    /// Waiting past a service-level due date now.
    pub overdue: u64,
    /// Median working days from submission to taking charge.
    pub median_take_charge_days: Option<f64>,
    /// Median working days from submission to assignment.
    pub median_assign_days: Option<f64>,
    /// The authorities' average rating, 1–5, and how many ratings.
    pub average_rating: Option<f64>,
    pub ratings: u64,
    /// Hours the experts logged on the period's requests.
    pub hours: f64,
}

/// One expert in the service report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ExpertReport {
    pub expert: PersonRef,
    /// Requests they lead.
    pub lead_requests: u64,
    /// Of those, open now.
    pub open: u64,
    pub average_rating: Option<f64>,
    pub ratings: u64,
    pub hours: f64,
}

/// One authority in the service report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct AuthorityReport {
    pub istat_code: IstatCode,
    pub name: String,
    pub requests: u64,
    pub hours: f64,
}

/// The workload and service report (secretariat: every task force; coordinators: theirs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema), schema(example = json!({
    "from": "2026-01-01", "to": "2026-12-31",
    "task_forces": [{"task_force": "building_planning", "submitted": 40, "open": 12, "overdue": 1,
        "median_take_charge_days": 2.0, "median_assign_days": 4.5, "average_rating": 4.6, "ratings": 18, "hours": 512.5}],
    "experts": [{"expert": {"user_id": 5, "full_name": "Anna Colombo"}, "lead_requests": 9, "open": 3,
        "average_rating": 4.8, "ratings": 5, "hours": 120.25}],
    "authorities": [{"istat_code": "016024", "name": "Bergamo", "requests": 4, "hours": 60.0}]
})))]
pub struct ServiceReport {
    /// Requests submitted from this day…
    pub from: NaiveDate,
    /// …to this day, included.
    pub to: NaiveDate,
    pub task_forces: Vec<TaskForceReport>,
    pub experts: Vec<ExpertReport>,
    pub authorities: Vec<AuthorityReport>,
}

/// A file attached to a request or to one of its messages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema), schema(example = json!({
    "id": 3, "request_id": 42, "message_id": 7, "name": "elenco-pratiche.xlsx",
    "content_type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "size": 48213, "internal": false, "uploaded_by": {"user_id": 3, "full_name": "Sindaco di Bergamo"},
    "created_at": "2026-11-25T11:02:00Z"
})))]
pub struct Attachment {
    pub id: i64,
    pub request_id: i64,
    /// The message it belongs to, if any.
    pub message_id: Option<i64>,
    pub name: String,
    pub content_type: String,
    pub size: i64,
    /// On an internal note: programme staff only.
    pub internal: bool,
    pub uploaded_by: PersonRef,
    pub created_at: DateTime<Utc>,
}
