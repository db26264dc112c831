//! Programme phases: who may ask for support today.

use crate::entities::{phase, phase_authority, registration};
use affianca_domain::RegistrationStatus;
use chrono::Utc;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use std::collections::HashSet;

/// The codes of the authorities that may ask for support today.
pub async fn eligible_authorities(
    db: &impl ConnectionTrait,
) -> Result<HashSet<String>, sea_orm::DbErr> {
    let started: Vec<i64> = phase::Entity::find()
        .select_only()
        .column(phase::Column::Id)
        .filter(phase::Column::StartDate.lte(Utc::now().date_naive()))
        .into_tuple()
        .all(db)
        .await?;
    let enabled: HashSet<String> = phase_authority::Entity::find()
        .select_only()
        .column(phase_authority::Column::AuthorityCode)
        .filter(phase_authority::Column::PhaseId.is_in(started))
        .into_tuple::<String>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let approved: Vec<String> = registration::Entity::find()
        .select_only()
        .column(registration::Column::AuthorityCode)
        .filter(registration::Column::Status.eq(RegistrationStatus::Approved.code()))
        .into_tuple()
        .all(db)
        .await?;
    Ok(approved
        .into_iter()
        .filter(|c| enabled.contains(c))
        .collect())
}
