//! A person's in-app notifications (the bell in the header; made by the services through
//! `crate::notify`), and the e-mail outbox the administrators read.

use crate::auth::Caller;
use crate::entities::{notification, outbox};
use crate::error::{ApiError, ApiResult};
use affianca_domain::dto::{Notification, OutboxMessage, Page};
use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

fn dto(n: notification::Model) -> Notification {
    Notification {
        id: n.id,
        kind: n.kind,
        title: n.title,
        body: n.body,
        link: n.link,
        created_at: n.created_at,
        read_at: n.read_at,
    }
}

/// A page of the caller's notifications (all, or only the unread ones), newest first.
pub async fn page(
    db: &DatabaseConnection,
    caller: &Caller,
    unread_only: bool,
    limit: u64,
    offset: u64,
) -> ApiResult<Page<Notification>> {
    let mut select =
        notification::Entity::find().filter(notification::Column::UserId.eq(caller.user_id.0));
    if unread_only {
        select = select.filter(notification::Column::ReadAt.is_null());
    }
    let total = select.clone().count(db).await?;
    let items = select
        .order_by_desc(notification::Column::Id)
        .limit(limit)
        .offset(offset)
        .all(db)
        .await?
        .into_iter()
        .map(dto)
        .collect();
    Ok(Page {
        items,
        total,
        limit,
        offset,
    })
}

/// How many of the caller's notifications are unread.
pub async fn unread(db: &DatabaseConnection, caller: &Caller) -> ApiResult<u64> {
    Ok(notification::Entity::find()
        .filter(notification::Column::UserId.eq(caller.user_id.0))
        .filter(notification::Column::ReadAt.is_null())
        .count(db)
        .await?)
}

/// Marks one of the caller's notifications as read (404 for anyone else's).
pub async fn mark_read(db: &DatabaseConnection, caller: &Caller, id: i64) -> ApiResult<()> {
    let n = notification::Entity::find_by_id(id)
        .one(db)
        .await?
        .filter(|n| n.user_id == caller.user_id.0)
        .ok_or_else(|| ApiError::not_found("La notifica"))?;
    if n.read_at.is_none() {
        notification::Entity::update_many()
            .col_expr(notification::Column::ReadAt, Expr::value(Utc::now()))
            .filter(notification::Column::Id.eq(id))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// Marks all the caller's notifications as read.
pub async fn mark_all_read(db: &DatabaseConnection, caller: &Caller) -> ApiResult<()> {
    notification::Entity::update_many()
        .col_expr(notification::Column::ReadAt, Expr::value(Utc::now()))
        .filter(notification::Column::UserId.eq(caller.user_id.0))
        .filter(notification::Column::ReadAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// The e-mail states a message of the outbox may be in.
pub const OUTBOX_STATES: [&str; 4] = ["queued", "sending", "sent", "failed"];

/// A page of the e-mail outbox, newest first: of one state, to recipients whose address contains
/// `recipient`.
pub async fn outbox(
    db: &DatabaseConnection,
    status: Option<&str>,
    recipient: Option<&str>,
    limit: u64,
    offset: u64,
) -> ApiResult<Page<OutboxMessage>> {
    let mut select = outbox::Entity::find();
    if let Some(s) = status {
        select = select.filter(outbox::Column::Status.eq(s));
    }
    if let Some(r) = recipient {
        select = select.filter(outbox::Column::Recipient.contains(r.to_lowercase()));
    }
    let total = select.clone().count(db).await?;
    let items = select
        .order_by_desc(outbox::Column::Id)
        .limit(limit)
        .offset(offset)
        .all(db)
        .await?
        .into_iter()
        .map(|m| OutboxMessage {
            id: m.id,
            recipient: m.recipient,
            subject: m.subject,
            body: m.body,
            status: m.status,
            attempts: m.attempts,
            last_error: m.last_error,
            created_at: m.created_at,
            sent_at: m.sent_at,
        })
        .collect();
    Ok(Page {
        items,
        total,
        limit,
        offset,
    })
}
