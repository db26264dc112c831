//! The caller's in-app notifications (the bell in the header), and the e-mail outbox for admins.

use crate::app::notifications;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::Query;
use crate::routes::Paging;
use actix_web::{HttpResponse, get, post, web};
use affianca_domain::dto::{Notification, OutboxMessage, Page, UnreadCount};
use sea_orm::DatabaseConnection;
use serde::Deserialize;
use utoipa::IntoParams;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListNotificationsQuery {
    /// Only unread notifications.
    pub unread_only: Option<bool>,
    /// 1–200, default 50.
    pub limit: Option<u64>,
    pub offset: Option<u64>,
}

/// The caller's notifications, newest first.
#[utoipa::path(
    tag = "notifications",
    security(("bearer" = [])),
    params(ListNotificationsQuery),
    responses(
        (status = 200, description = "A page of notifications", body = Page<Notification>,
            example = json!({"items": [{"id": 12, "kind": "registration_approved", "title": "Registrazione approvata", "body": "La registrazione del Comune di Bergamo è stata approvata.", "link": "/registrazioni/3", "created_at": "2026-11-26T10:05:00Z", "read_at": null}], "total": 1, "limit": 50, "offset": 0})),
        crate::openapi::Unauthorized,
        crate::openapi::Unprocessable,
    )
)]
#[get("/notifications")]
pub async fn list_notifications(
    db: web::Data<DatabaseConnection>,
    caller: Caller,
    query: Query<ListNotificationsQuery>,
) -> ApiResult<HttpResponse> {
    let mut errors = Vec::new();
    let paging = Paging::parse(query.limit, query.offset, &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let unread_only = query.unread_only.unwrap_or(false);
    Ok(HttpResponse::Ok().json(
        notifications::page(
            db.get_ref(),
            &caller,
            unread_only,
            paging.limit,
            paging.offset,
        )
        .await?,
    ))
}

/// How many of the caller's notifications are unread.
#[utoipa::path(
    tag = "notifications",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The unread count", body = UnreadCount),
        crate::openapi::Unauthorized,
    )
)]
#[get("/notifications/unread-count")]
pub async fn unread_count(
    db: web::Data<DatabaseConnection>,
    caller: Caller,
) -> ApiResult<HttpResponse> {
    let unread = notifications::unread(db.get_ref(), &caller).await?;
    Ok(HttpResponse::Ok().json(UnreadCount { unread }))
}

/// Mark one of the caller's notifications as read (404 for anyone else's).
#[utoipa::path(
    tag = "notifications",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Notification id")),
    responses(
        (status = 204, description = "Marked as read"),
        crate::openapi::Unauthorized,
        crate::openapi::NotFound,
    )
)]
#[post("/notifications/{id}/read")]
pub async fn mark_read(
    db: web::Data<DatabaseConnection>,
    caller: Caller,
    path: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    notifications::mark_read(db.get_ref(), &caller, path.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Mark all the caller's notifications as read.
#[utoipa::path(
    tag = "notifications",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "All marked as read"),
        crate::openapi::Unauthorized,
    )
)]
#[post("/notifications/read-all")]
pub async fn mark_all_read(
    db: web::Data<DatabaseConnection>,
    caller: Caller,
) -> ApiResult<HttpResponse> {
    notifications::mark_all_read(db.get_ref(), &caller).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListOutboxQuery {
    /// `queued`, `sending`, `sent` or `failed`.
    pub status: Option<String>,
    /// Part of the recipient's address.
    pub recipient: Option<String>,
    /// 1–200, default 50.
    pub limit: Option<u64>,
    pub offset: Option<u64>,
}

/// The e-mail outbox, newest first (admin). Without an SMTP server configured, messages stay
/// here `queued`, so that a demo or a test can read them.
#[utoipa::path(
    tag = "notifications",
    security(("bearer" = [])),
    params(ListOutboxQuery),
    responses(
        (status = 200, description = "A page of e-mails", body = Page<OutboxMessage>,
            example = json!({"items": [{"id": 5, "recipient": "sindaco@comune.bergamo.it", "subject": "Affianca: Registrazione approvata", "body": "Gentile Maria Bianchi, ...", "status": "queued", "attempts": 0, "last_error": null, "created_at": "2026-11-26T10:05:00Z", "sent_at": null}], "total": 1, "limit": 50, "offset": 0})),
        crate::openapi::Unauthorized,
        crate::openapi::Forbidden,
        crate::openapi::Unprocessable,
    )
)]
#[get("/outbox")]
pub async fn list_outbox(
    db: web::Data<DatabaseConnection>,
    _caller: Caller,
    query: Query<ListOutboxQuery>,
) -> ApiResult<HttpResponse> {
    let mut errors = Vec::new();
    let paging = Paging::parse(query.limit, query.offset, &mut errors);
    let status = query.status.as_deref().filter(|s| !s.is_empty());
    if let Some(s) = status
        && !notifications::OUTBOX_STATES.contains(&s)
    {
        errors.push(affianca_domain::dto::FieldError {
            field: "status".into(),
            message: "usare queued, sending, sent o failed".into(),
        });
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let recipient = query
        .recipient
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    Ok(HttpResponse::Ok().json(
        notifications::outbox(db.get_ref(), status, recipient, paging.limit, paging.offset).await?,
    ))
}
