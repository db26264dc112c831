//! The append-only audit log: who did what, when, from which address. There is no code path that
//! updates or deletes an entry, and no endpoint for it.

use crate::entities::audit_event;
use crate::telemetry::RequestId;
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use affianca_domain::{AuditAction, UserId};
use chrono::Utc;
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait};
use std::future::{Ready, ready};

/// Where a request came from, for the audit log: the TCP peer address (not a header a client
/// could forge) and the request id.
#[derive(Debug, Clone, Default)]
pub struct RequestMeta {
    pub ip: Option<String>,
    pub request_id: Option<String>,
}

impl FromRequest for RequestMeta {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Self {
            ip: crate::throttle::client_ip(req),
            request_id: req.extensions().get::<RequestId>().map(|r| r.0.clone()),
        }))
    }
}

/// One entry to write.
#[derive(Debug)]
pub struct Entry<'a> {
    pub action: AuditAction,
    pub actor: Option<UserId>,
    pub actor_email: Option<&'a str>,
    pub target: Option<(&'static str, String)>,
    pub details: serde_json::Value,
}

impl<'a> Entry<'a> {
    pub fn new(action: AuditAction) -> Self {
        Self {
            action,
            actor: None,
            actor_email: None,
            target: None,
            details: serde_json::Value::Null,
        }
    }
    pub fn actor(mut self, id: UserId) -> Self {
        self.actor = Some(id);
        self
    }
    pub fn actor_email(mut self, email: &'a str) -> Self {
        self.actor_email = Some(email);
        self
    }
    pub fn target(mut self, kind: &'static str, id: impl ToString) -> Self {
        self.target = Some((kind, id.to_string()));
        self
    }
    pub fn details(mut self, details: serde_json::Value) -> Self {
        self.details = details;
        self
    }
}

/// Appends an entry (inside the caller's transaction when given one).
pub async fn record(
    db: &impl ConnectionTrait,
    meta: &RequestMeta,
    entry: Entry<'_>,
) -> Result<(), sea_orm::DbErr> {
    let (target_type, target_id) = entry
        .target
        .map_or((None, None), |(k, id)| (Some(k.to_owned()), Some(id)));
    // Record who acted by e-mail too, so that the log reads (and filters) without joins.
    let actor_email = match (entry.actor_email, entry.actor) {
        (Some(e), _) => Some(e.to_owned()),
        (None, Some(id)) => crate::entities::user::Entity::find_by_id(id.0)
            .one(db)
            .await?
            .map(|u| u.email),
        (None, None) => None,
    };
    audit_event::Entity::insert(audit_event::ActiveModel {
        at: Set(Utc::now()),
        actor_user_id: Set(entry.actor.map(|u| u.0)),
        actor_email: Set(actor_email),
        action: Set(entry.action.code().to_owned()),
        target_type: Set(target_type),
        target_id: Set(target_id),
        details: Set((!entry.details.is_null()).then(|| entry.details.to_string())),
        ip_address: Set(meta.ip.clone()),
        request_id: Set(meta.request_id.clone()),
        ..Default::default()
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// What to read of the audit log (every part optional).
#[derive(Debug, Default)]
pub struct Filter {
    pub action: Option<AuditAction>,
    pub actor_user_id: Option<i64>,
    /// Part of the actor's e-mail, lower case.
    pub actor_email: Option<String>,
    /// From this instant, inclusive.
    pub from: Option<chrono::DateTime<chrono::Utc>>,
    /// Until this instant, exclusive.
    pub to: Option<chrono::DateTime<chrono::Utc>>,
}

fn event_dto(e: crate::entities::audit_event::Model) -> Option<affianca_domain::dto::AuditEvent> {
    Some(affianca_domain::dto::AuditEvent {
        id: e.id,
        at: e.at,
        actor_user_id: e.actor_user_id.map(affianca_domain::UserId),
        actor_email: e.actor_email,
        action: AuditAction::parse(&e.action).ok()?,
        target_type: e.target_type,
        target_id: e.target_id,
        details: e
            .details
            .and_then(|d| serde_json::from_str(&d).ok())
            // The document promises an object: an action without specifics has an empty one.
            .unwrap_or_else(|| serde_json::json!({})),
        ip_address: e.ip_address,
        request_id: e.request_id,
    })
}

/// A page of the audit log, newest first.
pub async fn page(
    db: &sea_orm::DatabaseConnection,
    f: &Filter,
    limit: u64,
    offset: u64,
) -> crate::error::ApiResult<affianca_domain::dto::Page<affianca_domain::dto::AuditEvent>> {
    use crate::entities::audit_event;
    use affianca_domain::dto::{AuditEvent, Page};
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
    let mut select = audit_event::Entity::find();
    if let Some(a) = f.action {
        select = select.filter(audit_event::Column::Action.eq(a.code()));
    }
    if let Some(id) = f.actor_user_id {
        select = select.filter(audit_event::Column::ActorUserId.eq(id));
    }
    if let Some(email) = &f.actor_email {
        select = select.filter(audit_event::Column::ActorEmail.contains(email));
    }
    if let Some(from) = f.from {
        select = select.filter(audit_event::Column::At.gte(from));
    }
    if let Some(t) = f.to {
        select = select.filter(audit_event::Column::At.lt(t));
    }
    let total = select.clone().count(db).await?;
    let rows = select
        .order_by_desc(audit_event::Column::Id)
        .limit(limit)
        .offset(offset)
        .all(db)
        .await?;
    let items: Vec<AuditEvent> = rows.into_iter().filter_map(event_dto).collect();
    Ok(Page {
        items,
        total,
        limit,
        offset,
    })
}
