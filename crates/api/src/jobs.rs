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
        match compact_changes(&db, Utc::now()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(
                removed = n,
                "old entries of the monitoring change log removed"
            ),
            Err(e) => {
                tracing::warn!(error = %e, "compacting the monitoring change log failed; will retry")
            }
        }
    }
}

/// How long entries of the monitoring change log are kept. A server whose cube has not read the
/// log for [`crate::indicators::MAX_IDLE`] (much less) reloads fully instead of catching up.
pub const CHANGES_KEPT: Duration = Duration::days(1);

/// Removes the entries of the monitoring change log older than [`CHANGES_KEPT`] (as of `now`),
/// always keeping the newest one (so the sequence never restarts). Safe with several servers.
pub async fn compact_changes(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
) -> Result<u64, sea_orm::DbErr> {
    use crate::entities::monitoring_change;
    use sea_orm::QueryOrder;
    let newest: Option<i64> = monitoring_change::Entity::find()
        .select_only()
        .column(monitoring_change::Column::Seq)
        .order_by_desc(monitoring_change::Column::Seq)
        .limit(1)
        .into_tuple()
        .one(db)
        .await?;
    let Some(newest) = newest else {
        return Ok(0);
    };
    Ok(monitoring_change::Entity::delete_many()
        .filter(monitoring_change::Column::ChangedAt.lt(now - CHANGES_KEPT))
        .filter(monitoring_change::Column::Seq.lt(newest))
        .exec(db)
        .await?
        .rows_affected)
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
        let txn = crate::db::begin_write(db).await?;
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
