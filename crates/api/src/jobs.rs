//! Background jobs of the server. Each is safe when several server processes share one database:
//! work is claimed row by row with a conditional update, so each item is handled exactly once.

use crate::entities::{request_transition, support_request};
use crate::notify::PublicUrl;
use affianca_domain::request::AUTO_CLOSE_DAYS;
use affianca_domain::{RequestAction, RequestStatus};
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect,
    TransactionTrait,
};

/// How often the jobs look for work.
pub const POLL: std::time::Duration = std::time::Duration::from_secs(600);

/// Runs the jobs forever.
pub async fn run(db: DatabaseConnection, base: PublicUrl) {
    let mut tick = tokio::time::interval(POLL);
    loop {
        tick.tick().await;
        match close_stale(&db, &base, Utc::now()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(closed = n, "requests closed after 15 days without feedback"),
            Err(e) => tracing::warn!(error = %e, "automatic closing failed; will retry"),
        }
    }
}

/// Closes the requests left `completed` for 15 days (as of `now`) without the authority's
/// feedback; returns how many this call closed. Each request is claimed by a conditional update
/// on its version, so two processes running this at once close (and notify) each request once.
pub async fn close_stale(
    db: &DatabaseConnection,
    base: &PublicUrl,
    now: DateTime<Utc>,
) -> Result<u64, sea_orm::DbErr> {
    let cutoff = now - Duration::days(AUTO_CLOSE_DAYS);
    let due: Vec<(i64, i32)> = support_request::Entity::find()
        .select_only()
        .column(support_request::Column::Id)
        .column(support_request::Column::Version)
        .filter(support_request::Column::Status.eq(RequestStatus::Completed.code()))
        .filter(support_request::Column::CompletedAt.lte(cutoff))
        .limit(500)
        .into_tuple()
        .all(db)
        .await?;
    let mut closed = 0;
    for (id, version) in due {
        let txn = db.begin().await?;
        let claimed = support_request::Entity::update_many()
            .col_expr(
                support_request::Column::Status,
                Expr::value(RequestStatus::Closed.code()),
            )
            .col_expr(support_request::Column::Version, Expr::value(version + 1))
            .col_expr(support_request::Column::ClosedAt, Expr::value(now))
            .col_expr(support_request::Column::UpdatedAt, Expr::value(now))
            .filter(support_request::Column::Id.eq(id))
            .filter(support_request::Column::Version.eq(version))
            .filter(support_request::Column::Status.eq(RequestStatus::Completed.code()))
            .exec(&txn)
            .await?
            .rows_affected
            == 1;
        if !claimed {
            // Another process (or a person) got there first.
            txn.rollback().await?;
            continue;
        }
        request_transition::Entity::insert(request_transition::ActiveModel {
            request_id: Set(id),
            action: Set(RequestAction::AutoClose.code().to_owned()),
            from_status: Set(Some(RequestStatus::Completed.code().to_owned())),
            to_status: Set(RequestStatus::Closed.code().to_owned()),
            actor_id: Set(None),
            reason: Set(Some(format!(
                "Nessun riscontro dell'ente entro {AUTO_CLOSE_DAYS} giorni dal completamento."
            ))),
            at: Set(now),
            ..Default::default()
        })
        .exec_without_returning(&txn)
        .await?;
        if let Some(r) = support_request::Entity::find_by_id(id).one(&txn).await? {
            crate::routes::support_requests::notify_parties(
                &txn,
                base,
                &r,
                RequestAction::AutoClose,
                0,
                None,
            )
            .await?;
        }
        txn.commit().await?;
        closed += 1;
    }
    Ok(closed)
}
