//! The JSON bodies of the REST API, shared by server and client. Request bodies use the parsed
//! value types, so a body that deserialises is already valid field by field; rules that span
//! fields are checked by the server.

use crate::{
    AuditAction, AuthorityKind, Email, GrantId, IstatCode, Office, ProcedureCode, ProcedureId,
    ProvinceCode, RegistrationStatus, Role, Scope, TaskForce, UserId,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// An RFC 9457 problem: the body of every error response (`application/problem+json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema), schema(example = json!({
    "type": "https://affianca.example/problems/validation_failed",
    "title": "Dati non validi",
    "status": 422,
    "detail": "Alcuni campi non sono validi.",
    "code": "validation_failed",
    "request_id": "0b4c8a0e-3f51-4a8e-9a3c-2f3b1c1d9e77",
    "errors": [{"field": "legal_term_days", "message": "deve essere tra 1 e 3650"}]
})))]
pub struct Problem {
    /// A URI naming the kind of problem; stable, like `code`.
    #[serde(rename = "type")]
    pub kind: String,
    /// A short Italian summary of the kind of problem.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// An Italian explanation of this occurrence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The stable machine-readable code clients match on (see docs/API-DESIGN.md).
    pub code: String,
    /// The request id (also in the `X-Request-Id` header), to quote when asking for help.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// For 422: which field is wrong and why, one entry per problem found.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

/// One invalid field of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct FieldError {
    /// The field, as a path into the body or the name of a query parameter (`grants[0].scope`).
    pub field: String,
    /// Why it is refused, in Italian.
    pub message: String,
}

/// One page of a list, with the total number of matching items.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Page<T> {
    pub items: Vec<T>,
    /// How many items match the query in all.
    pub total: u64,
    pub limit: u64,
    pub offset: u64,
}

// ---- authentication ------------------------------------------------------------------------

/// Credentials for `POST /api/v1/auth/login`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema), schema(example = json!({"email": "segreteria@demo.affianca.it", "password": "una password lunga"})))]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

/// Tokens issued at login and at each refresh.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema), schema(example = json!({
    "access_token": "eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl",
    "refresh_token": "afr_3q2+7w...",
    "token_type": "Bearer",
    "expires_in": 900
})))]
pub struct TokenResponse {
    /// A JWT to send as `Authorization: Bearer …`; valid `expires_in` seconds.
    pub access_token: String,
    /// Single use: exchange it at `/api/v1/auth/refresh` for a new pair. Absent when the request
    /// carried `X-Affianca-CSRF: 1` (browser clients): the refresh token is then only in the
    /// `affianca_refresh` cookie (`HttpOnly`), out of the reach of scripts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    pub token_type: String,
    pub expires_in: u64,
}

/// Body of `POST /api/v1/auth/refresh` and `POST /api/v1/auth/logout` (API clients; browser
/// clients send no body and the `affianca_refresh` cookie instead).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct RefreshRequest {
    pub refresh_token: String,
}

// ---- users and grants ------------------------------------------------------------------------

/// A role grant held by a user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema), schema(example = json!({"id": 3, "role": "authority_delegate", "scope": "authority:016024", "granted_at": "2026-01-15T09:30:00Z"})))]
pub struct Grant {
    pub id: GrantId,
    pub role: Role,
    pub scope: Scope,
    pub granted_at: DateTime<Utc>,
}

/// A user account with its grants.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema), schema(example = json!({
    "id": 7, "email": "osservatore.bg@demo.affianca.it", "full_name": "Ufficio PNRR Provincia di Bergamo",
    "active": true, "created_at": "2026-01-15T09:30:00Z",
    "grants": [{"id": 7, "role": "observer", "scope": "province:BG", "granted_at": "2026-01-15T09:30:00Z"}]
})))]
pub struct User {
    pub id: UserId,
    pub email: Email,
    pub full_name: String,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub grants: Vec<Grant>,
}

/// `GET /api/v1/me`: who the caller is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema), schema(example = json!({"user": {
    "id": 1, "email": "segreteria@demo.affianca.it", "full_name": "Giulia Bianchi (Segreteria Tecnica)",
    "active": true, "created_at": "2026-01-15T09:30:00Z",
    "grants": [{"id": 1, "role": "secretariat", "scope": "region", "granted_at": "2026-01-15T09:30:00Z"}]
}})))]
pub struct Me {
    pub user: User,
}

/// A role and scope to grant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema), schema(example = json!({"role": "observer", "scope": "province:BG"})))]
pub struct GrantRequest {
    pub role: Role,
    pub scope: Scope,
}

/// Body of `POST /api/v1/users` (admin).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema), schema(example = json!({
    "email": "ufficio.pnrr@provincia.bergamo.it",
    "full_name": "Ufficio PNRR Provincia di Bergamo",
    "password": "una password lunga almeno 12",
    "grants": [{"role": "observer", "scope": "province:BG"}]
})))]
pub struct CreateUserRequest {
    pub email: Email,
    pub full_name: String,
    /// At least 12 characters.
    pub password: String,
    #[serde(default)]
    pub grants: Vec<GrantRequest>,
}

// ---- reference data ----------------------------------------------------------------------------

/// A local authority (*ente*) of the registry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema), schema(example = json!({
    "istat_code": "016024", "name": "Bergamo", "kind": "comune", "province": "BG",
    "province_name": "Bergamo", "cadastral_code": "A794", "fiscal_code": "80034840167", "active": true
})))]
pub struct Authority {
    pub istat_code: IstatCode,
    pub name: String,
    pub kind: AuthorityKind,
    /// The province it belongs to (or is); none for the region.
    pub province: Option<ProvinceCode>,
    pub province_name: Option<String>,
    pub cadastral_code: Option<String>,
    pub fiscal_code: Option<String>,
    /// False once the code has vanished from the ISTAT list (merged comuni); kept for its data.
    pub active: bool,
}

/// A province (or the Città metropolitana di Milano).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema), schema(example = json!({
    "code": "BG", "name": "Bergamo", "istat_code": "016", "authority_code": "016",
    "kind": "provincia", "fiscal_code": "80004250165", "nuts3": "ITC46", "comuni": 243
})))]
pub struct Province {
    /// The two-letter code (sigla).
    pub code: ProvinceCode,
    pub name: String,
    /// The territorial ISTAT code, prefix of its comuni's codes.
    pub istat_code: String,
    /// The ISTAT code of the body itself, its key among authorities (`215` for Milano).
    pub authority_code: IstatCode,
    pub kind: AuthorityKind,
    pub fiscal_code: String,
    pub nuts3: String,
    /// How many active comuni it has.
    pub comuni: u64,
}

/// A task force with its Italian name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema), schema(example = json!({"code": "building_planning", "name": "Edilizia e urbanistica", "procedures": 6})))]
pub struct TaskForceInfo {
    pub code: TaskForce,
    pub name: String,
    /// How many active procedures of the catalog belong to it.
    pub procedures: u64,
}

/// A procedure type of the catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema), schema(example = json!({
    "id": 10, "code": "PDC", "task_force": "building_planning",
    "name": "Permesso di costruire, art. 20 DPR 380/2001", "legal_term_days": 60,
    "term_indicative": true, "active": true, "version": 1
})))]
pub struct Procedure {
    pub id: ProcedureId,
    pub code: ProcedureCode,
    pub task_force: TaskForce,
    pub name: String,
    /// The legal term in calendar days.
    pub legal_term_days: i32,
    /// True when the term is indicative (the shipped default) rather than confirmed.
    pub term_indicative: bool,
    pub active: bool,
    /// Increases at each change; the `ETag` is built from it.
    pub version: i32,
}

/// Body of `POST /api/v1/procedures`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema), schema(example = json!({
    "code": "SUAP_AUTORIZZAZIONE", "task_force": "building_planning",
    "name": "Autorizzazione SUAP", "legal_term_days": 60, "term_indicative": false
})))]
pub struct CreateProcedureRequest {
    pub code: ProcedureCode,
    pub task_force: TaskForce,
    pub name: String,
    pub legal_term_days: i32,
    #[serde(default)]
    pub term_indicative: bool,
}

/// Body of `PATCH /api/v1/procedures/{id}`: the fields to change.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema), schema(example = json!({"legal_term_days": 45, "term_indicative": false})))]
pub struct UpdateProcedureRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_force: Option<TaskForce>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legal_term_days: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub term_indicative: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
}

// ---- health -----------------------------------------------------------------------------------

/// `GET /api/v1/status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema), schema(example = json!({"status": "ok", "version": "0.1.0", "database": "ok"})))]
pub struct Status {
    /// `ok` or `degraded`.
    pub status: String,
    pub version: String,
    /// `ok` or `unreachable`.
    pub database: String,
    /// This server's indicator cube (absent in answers of older servers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub indicators: Option<CubeStatus>,
}

/// The in-memory indicator cube of the server that answered (each server has its own).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct CubeStatus {
    /// Loaded: dashboards answer from memory. Until then they answer 503 with `Retry-After`.
    pub ready: bool,
    /// Full loads since start (one at start; more only after a catalog change, a burst of more
    /// than 5,000 changes, or hours without a query).
    pub loads: u64,
    /// Catch-ups: changes of the log applied incrementally.
    pub catch_ups: u64,
    /// The last entry of the change log applied.
    pub applied_change: i64,
    /// Measurement cells held.
    pub cells: u64,
    /// How long the last full load took, in milliseconds.
    pub last_load_ms: u64,
}

// ---- audit log --------------------------------------------------------------------------------

/// One entry of the audit log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema), schema(example = json!({
    "id": 42, "at": "2026-11-26T09:30:00Z", "actor_user_id": 2, "actor_email": "admin@demo.affianca.it",
    "action": "grant_added", "target_type": "user", "target_id": "7",
    "details": {"role": "observer", "scope": "province:BG"}, "ip_address": "127.0.0.1",
    "request_id": "0b4c8a0e-3f51-4a8e-9a3c-2f3b1c1d9e77"
})))]
pub struct AuditEvent {
    pub id: i64,
    pub at: DateTime<Utc>,
    /// Who acted; none for failed logins and command-line actions.
    pub actor_user_id: Option<UserId>,
    /// The actor's e-mail, or the e-mail tried in a failed login.
    pub actor_email: Option<String>,
    pub action: AuditAction,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    /// Specifics of the action (never secrets); `{}` when there are none.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub details: serde_json::Value,
    /// The address the request came from (the TCP peer).
    pub ip_address: Option<String>,
    pub request_id: Option<String>,
}

// ---- onboarding ---------------------------------------------------------------------------------

/// Body of `POST /api/v1/registrations`: a legal representative signs up for an authority.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema), schema(example = json!({
    "istat_code": "016024", "full_name": "Maria Bianchi", "office": "sindaco",
    "email": "sindaco@comune.bergamo.it", "password": "una password lunga"
})))]
pub struct CreateRegistrationRequest {
    pub istat_code: IstatCode,
    pub full_name: String,
    /// Must be the office of that kind of authority (a comune's is `sindaco`).
    pub office: Office,
    pub email: Email,
    /// At least 12 characters.
    pub password: String,
}

/// A file kept by Affianca (the body is downloaded from its own URL).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct StoredFileInfo {
    pub id: i64,
    pub size: u64,
    pub content_type: String,
    pub original_name: String,
    pub uploaded_at: DateTime<Utc>,
}

/// A registration of an authority by its legal representative.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema), schema(example = json!({
    "id": 3, "istat_code": "016024", "authority_name": "Bergamo", "full_name": "Maria Bianchi",
    "office": "sindaco", "email": "sindaco@comune.bergamo.it", "status": "submitted",
    "protocol": {"id": 9, "size": 182044, "content_type": "application/pdf", "original_name": "protocollo.pdf", "uploaded_at": "2026-11-26T10:00:00Z"},
    "rejection_reason": null, "created_at": "2026-11-26T09:50:00Z", "submitted_at": "2026-11-26T10:00:00Z", "decided_at": null
})))]
pub struct Registration {
    pub id: i64,
    pub istat_code: IstatCode,
    pub authority_name: String,
    pub full_name: String,
    pub office: Office,
    pub email: Email,
    pub status: RegistrationStatus,
    pub protocol: Option<StoredFileInfo>,
    pub rejection_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub decided_at: Option<DateTime<Utc>>,
}

/// Body of `POST /api/v1/registrations/{id}/reject`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema), schema(example = json!({"reason": "Il protocollo non è firmato digitalmente."})))]
pub struct RejectRegistrationRequest {
    /// Shown to the representative; 1–2000 characters.
    pub reason: String,
}

/// An in-app notification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema), schema(example = json!({
    "id": 12, "kind": "registration_approved", "title": "Registrazione approvata",
    "body": "La registrazione del Comune di Bergamo è stata approvata.", "link": "/registrazioni/3",
    "created_at": "2026-11-26T10:05:00Z", "read_at": null
})))]
pub struct Notification {
    pub id: i64,
    /// What it is about (`registration_submitted`, `registration_approved`, …).
    pub kind: String,
    pub title: String,
    pub body: String,
    /// A client path to open.
    pub link: Option<String>,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

/// `GET /api/v1/notifications/unread-count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema), schema(example = json!({"unread": 3})))]
pub struct UnreadCount {
    pub unread: u64,
}

/// An e-mail of the outbox (admin view).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema), schema(example = json!({
    "id": 5, "recipient": "sindaco@comune.bergamo.it", "subject": "Affianca: registrazione approvata",
    "body": "Gentile Maria Bianchi, ...", "status": "queued", "attempts": 0, "last_error": null,
    "created_at": "2026-11-26T10:05:00Z", "sent_at": null
})))]
pub struct OutboxMessage {
    pub id: i64,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    /// `queued`, `sending`, `sent` or `failed`.
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

// ---- delegates and password reset ----------------------------------------------------------------

/// Body of `POST /api/v1/authorities/{istat_code}/invitations`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema), schema(example = json!({"email": "ufficio.tecnico@comune.bergamo.it"})))]
pub struct InviteDelegateRequest {
    pub email: Email,
}

/// An invitation sent to a future delegate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema), schema(example = json!({
    "id": 4, "istat_code": "016024", "email": "ufficio.tecnico@comune.bergamo.it",
    "created_at": "2026-11-26T10:00:00Z", "expires_at": "2026-12-03T10:00:00Z", "status": "pending"
})))]
pub struct Invitation {
    pub id: i64,
    pub istat_code: IstatCode,
    pub email: Email,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// `pending`, `accepted`, `expired` or `revoked`.
    pub status: String,
}

/// What the person holding an invitation link sees before accepting (`GET /api/v1/invitations/{token}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema), schema(example = json!({
    "istat_code": "016024", "authority_name": "Bergamo", "email": "ufficio.tecnico@comune.bergamo.it",
    "expires_at": "2026-12-03T10:00:00Z", "existing_account": false
})))]
pub struct InvitationPreview {
    pub istat_code: IstatCode,
    pub authority_name: String,
    pub email: Email,
    pub expires_at: DateTime<Utc>,
    /// True when an account with this e-mail exists: accepting then needs its current password.
    pub existing_account: bool,
}

/// Body of `POST /api/v1/invitations/{token}/accept`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema), schema(example = json!({"full_name": "Luca Verdi", "password": "una password lunga"})))]
pub struct AcceptInvitationRequest {
    /// For a new account; ignored when the account exists.
    #[serde(default)]
    pub full_name: String,
    /// The new account's password (at least 12 characters), or the existing account's password.
    pub password: String,
}

/// A delegate of an authority.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema), schema(example = json!({
    "user_id": 12, "full_name": "Luca Verdi", "email": "ufficio.tecnico@comune.bergamo.it", "since": "2026-11-26T10:30:00Z"
})))]
pub struct Delegate {
    pub user_id: UserId,
    pub full_name: String,
    pub email: Email,
    pub since: DateTime<Utc>,
}

/// Body of `POST /api/v1/auth/password-reset`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema), schema(example = json!({"email": "sindaco@comune.bergamo.it"})))]
pub struct PasswordResetRequest {
    pub email: String,
}

/// Body of `POST /api/v1/auth/password-reset/{token}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema), schema(example = json!({"password": "una nuova password lunga"})))]
pub struct NewPasswordRequest {
    /// At least 12 characters.
    pub password: String,
}

// ---- programme phases ----------------------------------------------------------------------------

/// A programme phase.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema), schema(example = json!({
    "id": 1, "name": "Fase pilota", "start_date": "2022-09-01",
    "description": "Province, Città metropolitana e circa 160 Comuni", "started": true, "authorities": 172
})))]
pub struct Phase {
    pub id: i64,
    pub name: String,
    pub start_date: chrono::NaiveDate,
    pub description: String,
    /// Whether the start date has come (the phase enables its authorities).
    pub started: bool,
    /// How many authorities it enables.
    pub authorities: u64,
}

/// Body of `POST /api/v1/phases`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema), schema(example = json!({"name": "Fase 2", "start_date": "2023-10-01", "description": "Comuni con dati noti"})))]
pub struct CreatePhaseRequest {
    pub name: String,
    pub start_date: chrono::NaiveDate,
    #[serde(default)]
    pub description: String,
}

/// Body of `POST /api/v1/phases/{id}/authorities` (JSON form; a CSV upload is the other).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema), schema(example = json!({"istat_codes": ["016024", "017029", "215"]})))]
pub struct EnableAuthoritiesRequest {
    /// ISTAT codes of the authorities to enable (unparsed: each bad one is reported by position).
    pub istat_codes: Vec<String>,
}

/// What an enablement changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema), schema(example = json!({"added": 2, "already_enabled": 1})))]
pub struct EnableAuthoritiesResult {
    pub added: u64,
    pub already_enabled: u64,
}

/// Where an authority stands in the programme.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema), schema(example = json!({
    "istat_code": "016024", "registration_status": "approved",
    "phases": [{"id": 1, "name": "Fase pilota", "start_date": "2022-09-01", "description": "", "started": true, "authorities": 172}],
    "may_request_support": true
})))]
pub struct ProgrammeStatus {
    pub istat_code: IstatCode,
    /// The status of its current registration, if any.
    pub registration_status: Option<RegistrationStatus>,
    /// The phases that enable it.
    pub phases: Vec<Phase>,
    /// Approved registration AND enabled by a started phase.
    pub may_request_support: bool,
}

// ---- experts and coordinators --------------------------------------------------------------------

/// An expert of the programme.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema), schema(example = json!({
    "user_id": 5, "full_name": "Anna Colombo", "email": "anna.colombo@esperti.example.it",
    "task_forces": ["building_planning"], "coordinator_of": [], "provinces": ["BG", "BS"],
    "professional_profile": "Architetta, 12 anni in edilizia privata e SUE", "max_concurrent_requests": 6,
    "version": 2
})))]
pub struct ExpertProfile {
    pub user_id: UserId,
    pub full_name: String,
    pub email: Email,
    /// The task forces they work in (their `expert` grants).
    pub task_forces: Vec<TaskForce>,
    /// The task forces they coordinate.
    pub coordinator_of: Vec<TaskForce>,
    pub provinces: Vec<ProvinceCode>,
    pub professional_profile: String,
    pub max_concurrent_requests: i32,
    /// Increases at each change; the `ETag` is built from it.
    pub version: i32,
}

/// Body of `POST /api/v1/experts` (secretariat).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema), schema(example = json!({
    "email": "anna.colombo@esperti.example.it", "full_name": "Anna Colombo",
    "task_forces": ["building_planning"], "provinces": ["BG", "BS"],
    "professional_profile": "Architetta", "max_concurrent_requests": 6
})))]
pub struct CreateExpertRequest {
    pub email: Email,
    pub full_name: String,
    /// At least one.
    pub task_forces: Vec<TaskForce>,
    #[serde(default)]
    pub provinces: Vec<ProvinceCode>,
    #[serde(default)]
    pub professional_profile: String,
    /// 1–50, default 5.
    #[serde(default = "default_max_concurrent")]
    pub max_concurrent_requests: i32,
}

fn default_max_concurrent() -> i32 {
    5
}

/// Body of `PATCH /api/v1/experts/{user_id}`: the fields to change. The expert may change only
/// `professional_profile`; the secretariat all of them.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema), schema(example = json!({"provinces": ["BG", "BS", "CR"], "max_concurrent_requests": 8})))]
pub struct UpdateExpertRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_forces: Option<Vec<TaskForce>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provinces: Option<Vec<ProvinceCode>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub professional_profile: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_concurrent_requests: Option<i32>,
}

/// Body of `POST /api/v1/task-forces/{code}/coordinators`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema), schema(example = json!({"user_id": 5})))]
pub struct AppointCoordinatorRequest {
    pub user_id: UserId,
}

/// Body of `PUT /api/v1/authorities/{istat_code}/representative` (secretariat): the new legal
/// representative, e.g. a new mayor after elections.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema), schema(example = json!({"email": "nuovo.sindaco@comune.bergamo.it", "full_name": "Giovanni Rossi"})))]
pub struct ChangeRepresentativeRequest {
    pub email: Email,
    /// For a new account; ignored when the account exists.
    #[serde(default)]
    pub full_name: String,
}

/// The legal representative of an authority.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema), schema(example = json!({"user_id": 14, "full_name": "Giovanni Rossi", "email": "nuovo.sindaco@comune.bergamo.it"})))]
pub struct Representative {
    pub user_id: UserId,
    pub full_name: String,
    pub email: Email,
}

// ---- province meetings ----------------------------------------------------------------------------

/// Body of `POST /api/v1/meetings` (secretariat).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema), schema(example = json!({
    "province": "BG", "starts_at": "2026-12-10T09:30:00Z", "duration_minutes": 120,
    "place": "Sala consiliare, Via Tasso 8, Bergamo", "agenda": "Presentazione del programma; raccolta dei fabbisogni",
    "invite_all": false, "istat_codes": ["016024", "016"]
})))]
pub struct CreateMeetingRequest {
    pub province: ProvinceCode,
    pub starts_at: DateTime<Utc>,
    /// 15–600, default 120.
    #[serde(default = "default_meeting_minutes")]
    pub duration_minutes: i32,
    pub place: String,
    #[serde(default)]
    pub agenda: String,
    /// Invite every active authority of the province (its comuni and the province body).
    #[serde(default)]
    pub invite_all: bool,
    /// Or these authorities, all of the province.
    #[serde(default)]
    pub istat_codes: Vec<String>,
}

fn default_meeting_minutes() -> i32 {
    120
}

/// An invited authority and its answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct MeetingInvitation {
    pub istat_code: IstatCode,
    pub authority_name: String,
    /// `pending`, `attending` or `declined`.
    pub response: String,
    /// How many people will come (when attending).
    pub attendees: i32,
    pub responded_at: Option<DateTime<Utc>>,
}

/// A meeting at a province. Authority users see only their own authorities' invitations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema), schema(example = json!({
    "id": 2, "province": "BG", "starts_at": "2026-12-10T09:30:00Z", "duration_minutes": 120,
    "place": "Sala consiliare, Via Tasso 8, Bergamo", "agenda": "Presentazione del programma",
    "invited": 2, "attending": 1, "attendees": 3,
    "invitations": [{"istat_code": "016024", "authority_name": "Bergamo", "response": "attending", "attendees": 3, "responded_at": "2026-11-26T10:00:00Z"}]
})))]
pub struct Meeting {
    pub id: i64,
    pub province: ProvinceCode,
    pub starts_at: DateTime<Utc>,
    pub duration_minutes: i32,
    pub place: String,
    pub agenda: String,
    /// How many authorities are invited.
    pub invited: u64,
    /// How many confirmed.
    pub attending: u64,
    /// How many people are expected in all.
    pub attendees: u64,
    pub invitations: Vec<MeetingInvitation>,
}

/// Body of `POST /api/v1/meetings/{id}/rsvp`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema), schema(example = json!({"istat_code": "016024", "attending": true, "attendees": 3})))]
pub struct RsvpRequest {
    /// The invited authority the caller answers for.
    pub istat_code: IstatCode,
    pub attending: bool,
    /// 1–50 when attending.
    #[serde(default)]
    pub attendees: i32,
}

mod monitoring;
mod support;
pub use monitoring::*;
pub use support::*;
