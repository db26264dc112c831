//! Reading the audit log (admin). Entries are written by the actions themselves; nothing updates
//! or deletes them.

use crate::audit;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::Query;
use crate::routes::Paging;
use actix_web::{HttpResponse, get, web};
use affianca_domain::AuditAction;
use affianca_domain::dto::{AuditEvent, FieldError, Page};
use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use serde::Deserialize;
use utoipa::IntoParams;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListAuditQuery {
    /// Only this action (`login_failed`, `grant_added`, …).
    pub action: Option<String>,
    /// Only actions by this user.
    pub actor_user_id: Option<i64>,
    /// Part of the actor's e-mail (also the e-mail tried in failed logins).
    pub actor_email: Option<String>,
    /// From this instant (RFC 3339), inclusive.
    pub from: Option<String>,
    /// Until this instant (RFC 3339), exclusive.
    pub to: Option<String>,
    /// 1–200, default 50.
    pub limit: Option<u64>,
    pub offset: Option<u64>,
}

fn parse_instant(
    field: &str,
    v: Option<&str>,
    errors: &mut Vec<FieldError>,
) -> Option<DateTime<Utc>> {
    let v = v.filter(|s| !s.trim().is_empty())?;
    match DateTime::parse_from_rfc3339(v.trim()) {
        Ok(t) => Some(t.with_timezone(&Utc)),
        Err(_) => {
            errors.push(FieldError {
                field: field.into(),
                message: format!("«{v}» non è un istante RFC 3339 (es. 2026-11-26T09:00:00Z)"),
            });
            None
        }
    }
}

/// The audit log, newest first (admin).
///
/// Logins and failed logins, grants given and revoked, users created, catalog changes. Append
/// only: no endpoint changes or deletes an entry.
#[utoipa::path(
    tag = "audit",
    security(("bearer" = [])),
    params(ListAuditQuery),
    responses(
        (status = 200, description = "A page of audit events", body = Page<AuditEvent>,
            example = json!({"items": [{"id": 42, "at": "2026-11-26T09:30:00Z", "actor_user_id": null, "actor_email": "mario.rossi@comune.bergamo.it", "action": "login_failed", "target_type": null, "target_id": null, "details": null, "ip_address": "10.1.2.3", "request_id": "0b4c8a0e-3f51-4a8e-9a3c-2f3b1c1d9e77"}], "total": 1, "limit": 50, "offset": 0})),
        crate::openapi::Unauthorized,
        crate::openapi::Forbidden,
        crate::openapi::Unprocessable,
    )
)]
#[get("/audit-events")]
pub async fn list_audit_events(
    db: web::Data<DatabaseConnection>,
    _caller: Caller,
    query: Query<ListAuditQuery>,
) -> ApiResult<HttpResponse> {
    let mut errors = Vec::new();
    let paging = Paging::parse(query.limit, query.offset, &mut errors);
    let action = query
        .action
        .as_deref()
        .filter(|s| !s.is_empty())
        .and_then(|a| {
            AuditAction::parse(a)
                .map_err(|e| {
                    errors.push(FieldError {
                        field: "action".into(),
                        message: e.to_string(),
                    })
                })
                .ok()
        });
    let from = parse_instant("from", query.from.as_deref(), &mut errors);
    let to = parse_instant("to", query.to.as_deref(), &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let filter = audit::Filter {
        action,
        actor_user_id: query.actor_user_id,
        actor_email: query
            .actor_email
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_lowercase),
        from,
        to,
    };
    Ok(HttpResponse::Ok()
        .json(audit::page(db.get_ref(), &filter, paging.limit, paging.offset).await?))
}
