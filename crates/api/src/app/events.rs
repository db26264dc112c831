//! The event stream: the services [`emit`] what happened inside their writing transaction; the
//! event is stored (table `events`, an outbox: committed with the write or not at all) and handed
//! to the subscribers in the same transaction — today the notices to the people concerned (which
//! also queue their e-mails); webhooks (issue 13) read the stored stream.

use super::semesters::on_moved as on_semester;
use crate::entities::event;
use crate::notify::PublicUrl;
use affianca_domain::dto::SemesterAction;
use affianca_domain::events::Event;
use sea_orm::{ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait};

/// Records `e` in the writer's transaction `db` and tells its subscribers.
pub async fn emit(db: &impl ConnectionTrait, base: &PublicUrl, e: &Event) -> Result<(), DbErr> {
    let payload = serde_json::to_string(e).map_err(|err| DbErr::Custom(err.to_string()))?;
    let request_id = match e {
        Event::RequestTransitioned(t) => Some(t.request_id),
        _ => None,
    };
    let at = match e {
        Event::RequestTransitioned(t) => t.at,
        Event::SemesterSubmitted(s)
        | Event::SemesterValidated(s)
        | Event::SemesterReturned(s)
        | Event::SemesterReopened(s) => s.at,
        Event::RegisterUpdated(r) => r.at,
    };
    event::Entity::insert(event::ActiveModel {
        kind: Set(e.kind().to_owned()),
        authority_code: Set(e.authority().to_owned()),
        request_id: Set(request_id),
        payload: Set(payload),
        occurred_at: Set(at),
        ..Default::default()
    })
    .exec_without_returning(db)
    .await?;
    match e {
        Event::RequestTransitioned(t) => super::requests::on_transitioned(db, base, t).await,
        Event::SemesterSubmitted(s) => on_semester(db, base, SemesterAction::Submit, s).await,
        Event::SemesterValidated(s) => on_semester(db, base, SemesterAction::Validate, s).await,
        Event::SemesterReturned(s) => on_semester(db, base, SemesterAction::Return, s).await,
        Event::SemesterReopened(s) => on_semester(db, base, SemesterAction::Reopen, s).await,
        Event::RegisterUpdated(_) => Ok(()),
    }
}

/// The events of an authority after `after` (sequence), oldest first, at most `limit`.
pub async fn of_authority(
    db: &impl ConnectionTrait,
    authority: &str,
    after: i64,
    limit: u64,
) -> Result<Vec<(i64, Event)>, DbErr> {
    use sea_orm::{ColumnTrait, QueryFilter, QueryOrder, QuerySelect};
    event::Entity::find()
        .filter(event::Column::AuthorityCode.eq(authority))
        .filter(event::Column::Seq.gt(after))
        .order_by_asc(event::Column::Seq)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(|row| {
            serde_json::from_str(&row.payload)
                .map(|e| (row.seq, e))
                .map_err(|err| DbErr::Custom(format!("event {}: {err}", row.seq)))
        })
        .collect()
}

/// How long the stream keeps an event: subscribers that read it later (webhook deliveries retried
/// for days, an integrator's catch-up after a holiday) find it; older ones are removed.
pub const EVENTS_KEPT: chrono::Duration = chrono::Duration::days(90);

/// Removes the events older than [`EVENTS_KEPT`] (as of `now`), always keeping the newest one (so
/// the sequence never restarts). Safe with several servers; returns how many went.
pub async fn compact(
    db: &impl ConnectionTrait,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<u64, DbErr> {
    crate::db::compact_log::<event::Entity>(
        db,
        event::Column::Seq,
        event::Column::OccurredAt,
        now - EVENTS_KEPT,
    )
    .await
}
