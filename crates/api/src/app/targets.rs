//! Baseline and targets (DOMAIN.md §5): the programme's settings (baseline semester, lock period,
//! milestones) set by the secretariat, and an authority's own baseline and milestones overriding
//! them. Every change moves the indicators (settings: all of them; an override: its authority's).

use crate::app::sight;
use crate::audit::{self, Entry, RequestMeta};
use crate::auth::Caller;
use crate::entities::{authority, monitoring_target};
use crate::error::{ApiError, ApiResult};
use crate::monitoring::{self as store, Changed, PROGRAMME};
use affianca_domain::dto::{AuthorityTargets, Milestone, MonitoringSettings, TargetOverride};
use affianca_domain::{AuditAction, Period};
use chrono::Utc;
use sea_orm::{ActiveValue::Set, ConnectionTrait, DatabaseConnection, EntityTrait};

/// The programme's settings (the defaults of DOMAIN.md §5 when none were set).
pub async fn settings(db: &DatabaseConnection) -> ApiResult<MonitoringSettings> {
    Ok(store::programme_settings(db).await?)
}

fn check(s: &MonitoringSettings) -> ApiResult<()> {
    s.check()
        .map_err(|(field, message)| ApiError::invalid_field(field, message))
}

/// Replaces the programme's settings (422 naming the field that does not hold).
pub async fn put_settings(
    db: &DatabaseConnection,
    caller: &Caller,
    meta: &RequestMeta,
    s: MonitoringSettings,
) -> ApiResult<MonitoringSettings> {
    check(&s)?;
    let txn = crate::db::begin_write(db).await?;
    save(
        &txn,
        PROGRAMME,
        Some(s.baseline),
        Some(s.lock_days),
        Some(&s.milestones),
        caller.user_id.0,
    )
    .await?;
    audit::record(
        &txn,
        meta,
        Entry::new(AuditAction::TargetsUpdated)
            .actor(caller.user_id)
            .target("monitoring", PROGRAMME)
            .details(serde_json::to_value(&s).unwrap_or_default()),
    )
    .await?;
    store::record_change(&txn, Changed::Settings).await?;
    txn.commit().await?;
    settings(db).await
}

async fn save(
    db: &impl ConnectionTrait,
    scope: &str,
    baseline: Option<Period>,
    lock_days: Option<u32>,
    milestones: Option<&Vec<Milestone>>,
    user: i64,
) -> ApiResult<()> {
    let model = monitoring_target::ActiveModel {
        scope: Set(scope.to_owned()),
        baseline: Set(baseline.map(|b| b.to_string())),
        lock_days: Set(lock_days.map(|d| d as i32)),
        milestones: Set(milestones.map(|m| serde_json::to_string(m).unwrap_or_default())),
        updated_at: Set(Utc::now()),
        updated_by: Set(Some(user)),
    };
    monitoring_target::Entity::insert(model)
        .on_conflict(
            sea_orm::sea_query::OnConflict::column(monitoring_target::Column::Scope)
                .update_columns([
                    monitoring_target::Column::Baseline,
                    monitoring_target::Column::LockDays,
                    monitoring_target::Column::Milestones,
                    monitoring_target::Column::UpdatedAt,
                    monitoring_target::Column::UpdatedBy,
                ])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}

async fn dto(db: &impl ConnectionTrait, code: &str) -> ApiResult<AuthorityTargets> {
    let programme = store::programme_settings(db).await?;
    let over = store::authority_override(db, code).await?;
    Ok(AuthorityTargets {
        authority: code.to_owned(),
        effective: store::effective(&programme, over.as_ref()),
        over,
    })
}

/// The targets that apply to the authority (the programme's, or its override), to whoever sees its
/// data (403 otherwise).
pub async fn of(
    db: &DatabaseConnection,
    caller: &Caller,
    a: &authority::Model,
) -> ApiResult<AuthorityTargets> {
    sight::monitoring(db, caller, a).await?;
    dto(db, &a.istat_code).await
}

/// Sets the authority's own baseline and milestones (422 when, with the programme's settings, they
/// do not hold).
pub async fn put(
    db: &DatabaseConnection,
    caller: &Caller,
    meta: &RequestMeta,
    a: &authority::Model,
    o: TargetOverride,
) -> ApiResult<AuthorityTargets> {
    let programme = store::programme_settings(db).await?;
    check(&store::effective(&programme, Some(&o)))?;
    let txn = crate::db::begin_write(db).await?;
    save(
        &txn,
        &a.istat_code,
        o.baseline,
        None,
        o.milestones.as_ref(),
        caller.user_id.0,
    )
    .await?;
    audit::record(
        &txn,
        meta,
        Entry::new(AuditAction::TargetsUpdated)
            .actor(caller.user_id)
            .target("authority", &a.istat_code)
            .details(serde_json::to_value(&o).unwrap_or_default()),
    )
    .await?;
    store::record_change(&txn, Changed::Authority(a.istat_code.clone())).await?;
    txn.commit().await?;
    dto(db, &a.istat_code).await
}

/// Removes the authority's override: the programme's targets apply again.
pub async fn delete(
    db: &DatabaseConnection,
    caller: &Caller,
    meta: &RequestMeta,
    a: &authority::Model,
) -> ApiResult<()> {
    let txn = crate::db::begin_write(db).await?;
    monitoring_target::Entity::delete_by_id(a.istat_code.clone())
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        meta,
        Entry::new(AuditAction::TargetsUpdated)
            .actor(caller.user_id)
            .target("authority", &a.istat_code)
            .details(serde_json::json!({"removed": true})),
    )
    .await?;
    store::record_change(&txn, Changed::Authority(a.istat_code.clone())).await?;
    txn.commit().await?;
    Ok(())
}
