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
