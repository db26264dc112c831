//! Background jobs of the server. Each is safe when several server processes share one database:
//! work is claimed row by row with a conditional update, so each item is handled exactly once.

use crate::app::requests::{self, Actor, Move};
use crate::entities::support_request;
use crate::notify::PublicUrl;
use affianca_domain::RequestStatus;
use affianca_domain::request::AUTO_CLOSE_DAYS;
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};

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
        match crate::app::events::compact(&db, Utc::now()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(removed = n, "events older than 90 days removed"),
            Err(e) => tracing::warn!(error = %e, "compacting the event stream failed; will retry"),
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
    crate::db::compact_log::<monitoring_change::Entity>(
        db,
        monitoring_change::Column::Seq,
        monitoring_change::Column::ChangedAt,
        now - CHANGES_KEPT,
    )
    .await
}

/// Closes the requests left `completed` for 15 days (as of `now`) without the authority's
/// feedback; returns how many this call closed. Each close is the workflow's own move
/// (`app::requests::transition` as the system): the state machine, the version check (two
/// processes running this at once close and notify each request once), history and notices.
pub async fn close_stale(
    db: &DatabaseConnection,
    base: &PublicUrl,
    now: DateTime<Utc>,
) -> Result<u64, sea_orm::DbErr> {
    let cutoff = now - Duration::days(AUTO_CLOSE_DAYS);
    let due: Vec<support_request::Model> = support_request::Entity::find()
        .filter(support_request::Column::Status.eq(RequestStatus::Completed.code()))
        .filter(support_request::Column::CompletedAt.lte(cutoff))
        .limit(500)
        .all(db)
        .await?;
    let mut closed = 0;
    for current in due {
        let id = current.id;
        match requests::transition(db, base, Actor::System, current, Move::AutoClose, now).await {
            Ok(_) => closed += 1,
            // Another process (or a person) got there first.
            Err(e) if matches!(e.status.as_u16(), 409 | 412) => {}
            Err(e) => {
                return Err(sea_orm::DbErr::Custom(format!(
                    "closing request {id}: {}",
                    e.detail.as_deref().unwrap_or(e.title)
                )));
            }
        }
    }
    Ok(closed)
}
