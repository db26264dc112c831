//! Programme phases (DOMAIN.md §1): each enables a set of authorities from its start date. An
//! authority may ask for support when its registration is approved AND a started phase enables it.

use crate::app::sight::Sight;
use crate::audit::{self, Entry, RequestMeta};
use crate::auth::Caller;
use crate::entities::{phase, phase_authority, registration};
use crate::error::{ApiError, ApiResult};
use crate::registry::Snapshot;
use affianca_domain::dto::{
    Authority, CreatePhaseRequest, EnableAuthoritiesResult, FieldError, Phase, ProgrammeStatus,
};
use affianca_domain::policy::Object;
use affianca_domain::{AuditAction, IstatCode, RegistrationStatus};
use chrono::{NaiveDate, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
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

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// The phase as the API shows it.
pub async fn dto(db: &impl ConnectionTrait, p: phase::Model) -> Result<Phase, sea_orm::DbErr> {
    let authorities = phase_authority::Entity::find()
        .filter(phase_authority::Column::PhaseId.eq(p.id))
        .count(db)
        .await?;
    Ok(Phase {
        id: p.id,
        started: p.start_date <= today(),
        name: p.name,
        start_date: p.start_date,
        description: p.description,
        authorities,
    })
}

/// The programme phases, by start date.
pub async fn list(db: &DatabaseConnection) -> ApiResult<Vec<Phase>> {
    let rows = phase::Entity::find()
        .order_by_asc(phase::Column::StartDate)
        .order_by_asc(phase::Column::Id)
        .all(db)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for p in rows {
        out.push(dto(db, p).await?);
    }
    Ok(out)
}

/// Creates a phase (422 naming each bad field; 409 for a name in use).
pub async fn create(
    db: &DatabaseConnection,
    caller: &Caller,
    meta: &RequestMeta,
    req: CreatePhaseRequest,
) -> ApiResult<Phase> {
    let name = req.name.trim();
    let mut errors = Vec::new();
    affianca_domain::calendar::check_date_window(
        "start_date",
        req.start_date,
        affianca_domain::calendar::PROGRAMME_START,
        affianca_domain::calendar::horizon(affianca_domain::calendar::rome_date(Utc::now())),
        &mut errors,
    );
    if name.is_empty() || name.chars().count() > 200 {
        errors.push(FieldError {
            field: "name".into(),
            message: "obbligatorio, al massimo 200 caratteri".into(),
        });
    }
    if req.description.chars().count() > 5000 {
        errors.push(FieldError {
            field: "description".into(),
            message: "al massimo 5000 caratteri".into(),
        });
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    if phase::Entity::find()
        .filter(phase::Column::Name.eq(name))
        .one(db)
        .await?
        .is_some()
    {
        return Err(ApiError::conflict(format!("Esiste già una fase «{name}».")));
    }
    let txn = crate::db::begin_write(db).await?;
    let res = phase::Entity::insert(phase::ActiveModel {
        name: Set(name.to_owned()),
        start_date: Set(req.start_date),
        description: Set(req.description.trim().to_owned()),
        created_at: Set(Utc::now()),
        ..Default::default()
    })
    .exec(&txn)
    .await
    .map_err(|e| {
        // The same name created at once by someone else: the check above could not see it.
        if matches!(
            e.sql_err(),
            Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
        ) {
            ApiError::conflict(format!("Esiste già una fase «{name}»."))
        } else {
            e.into()
        }
    })?;
    audit::record(
        &txn,
        meta,
        Entry::new(AuditAction::PhaseCreated)
            .actor(caller.user_id)
            .target("phase", res.last_insert_id)
            .details(serde_json::json!({"name": name, "start_date": req.start_date})),
    )
    .await?;
    crate::monitoring::record_change(&txn, crate::monitoring::Changed::Phases).await?;
    txn.commit().await?;
    let p = phase::Entity::find_by_id(res.last_insert_id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("La fase"))?;
    Ok(dto(db, p).await?)
}

async fn find(db: &DatabaseConnection, id: i64) -> ApiResult<phase::Model> {
    phase::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("La fase"))
}

/// One phase (404 when there is none).
pub async fn get(db: &DatabaseConnection, id: i64) -> ApiResult<Phase> {
    let p = find(db, id).await?;
    Ok(dto(db, p).await?)
}

/// The authorities phase `id` enables, by name.
pub async fn authorities(
    db: &DatabaseConnection,
    snapshot: &Snapshot,
    id: i64,
) -> ApiResult<Vec<Authority>> {
    let p = find(db, id).await?;
    let codes: HashSet<String> = phase_authority::Entity::find()
        .select_only()
        .column(phase_authority::Column::AuthorityCode)
        .filter(phase_authority::Column::PhaseId.eq(p.id))
        .into_tuple::<String>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    Ok(snapshot
        .entries
        .iter()
        .map(|e| &e.authority)
        .filter(|a| codes.contains(a.istat_code.as_str()))
        .cloned()
        .collect())
}

/// Enables in phase `id` the authorities named by `entries` (position, ISTAT code), all or
/// nothing: any unknown or inactive code is a 422 listing every bad one by position.
pub async fn enable(
    db: &DatabaseConnection,
    snapshot: &Snapshot,
    caller: &Caller,
    meta: &RequestMeta,
    id: i64,
    entries: Vec<(String, String)>,
) -> ApiResult<EnableAuthoritiesResult> {
    let p = find(db, id).await?;
    if entries.is_empty() {
        return Err(ApiError::invalid_field(
            "istat_codes",
            "nessun codice ISTAT",
        ));
    }
    let mut errors = Vec::new();
    let mut codes = Vec::new();
    for (field, raw) in entries {
        match IstatCode::parse(&raw) {
            Ok(c) if snapshot.get(c.as_str()).is_some_and(|a| a.active) => {
                codes.push(c.to_string())
            }
            Ok(c) => errors.push(FieldError {
                field,
                message: format!("{c}: ente inesistente o non più attivo"),
            }),
            Err(e) => errors.push(FieldError {
                field,
                message: e.to_string(),
            }),
        }
    }
    if !errors.is_empty() {
        errors.truncate(1000);
        return Err(ApiError::validation(errors));
    }
    codes.sort();
    codes.dedup();
    let txn = crate::db::begin_write(db).await?;
    let existing: HashSet<String> = phase_authority::Entity::find()
        .select_only()
        .column(phase_authority::Column::AuthorityCode)
        .filter(phase_authority::Column::PhaseId.eq(p.id))
        .into_tuple::<String>()
        .all(&txn)
        .await?
        .into_iter()
        .collect();
    let new: Vec<&String> = codes.iter().filter(|c| !existing.contains(*c)).collect();
    let now = Utc::now();
    // Two secretariat users enabling the same authority at once (PostgreSQL, READ COMMITTED):
    // the second insert finds the row and skips it, and the counts say what each really added.
    let mut added = 0u64;
    for chunk in new.chunks(300) {
        added += phase_authority::Entity::insert_many(chunk.iter().map(|c| {
            phase_authority::ActiveModel {
                phase_id: Set(p.id),
                authority_code: Set((*c).clone()),
                added_at: Set(now),
            }
        }))
        .on_conflict(
            sea_orm::sea_query::OnConflict::columns([
                phase_authority::Column::PhaseId,
                phase_authority::Column::AuthorityCode,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
    }
    let result = EnableAuthoritiesResult {
        added,
        already_enabled: codes.len() as u64 - added,
    };
    audit::record(
        &txn,
        meta,
        Entry::new(AuditAction::PhaseAuthoritiesEnabled)
            .actor(caller.user_id)
            .target("phase", p.id)
            .details(serde_json::json!(result)),
    )
    .await?;
    crate::monitoring::record_change(&txn, crate::monitoring::Changed::Phases).await?;
    txn.commit().await?;
    Ok(result)
}

/// Takes an authority out of phase `id` (404 when it is not in it).
pub async fn remove(
    db: &DatabaseConnection,
    caller: &Caller,
    meta: &RequestMeta,
    id: i64,
    code: &str,
) -> ApiResult<()> {
    let txn = crate::db::begin_write(db).await?;
    let res = phase_authority::Entity::delete_many()
        .filter(phase_authority::Column::PhaseId.eq(id))
        .filter(phase_authority::Column::AuthorityCode.eq(code))
        .exec(&txn)
        .await?;
    if res.rows_affected == 0 {
        return Err(ApiError::not_found("L'ente nella fase"));
    }
    audit::record(
        &txn,
        meta,
        Entry::new(AuditAction::PhaseAuthorityRemoved)
            .actor(caller.user_id)
            .target("phase", id)
            .details(serde_json::json!({"istat_code": code})),
    )
    .await?;
    crate::monitoring::record_change(&txn, crate::monitoring::Changed::Phases).await?;
    txn.commit().await?;
    Ok(())
}

/// Where an authority stands in the programme: its registration, the phases that enable it, and
/// whether it may ask for support (404 for who may not know).
pub async fn status(
    db: &DatabaseConnection,
    snapshot: &Snapshot,
    caller: &Caller,
    code: &str,
) -> ApiResult<ProgrammeStatus> {
    let a = snapshot
        .get(code)
        .ok_or_else(|| ApiError::not_found("L'ente"))?;
    // DOMAIN.md §2: the authority's own users, programme staff and the observers of its province.
    if !Sight::of(caller, Object::Standing).sees_entry(
        a.istat_code.as_str(),
        a.province.as_ref().map(|p| p.as_str()),
    ) {
        return Err(ApiError::not_found("L'ente"));
    }
    let reg = registration::Entity::find()
        .filter(registration::Column::AuthorityCode.eq(a.istat_code.as_str()))
        .order_by_desc(registration::Column::Id)
        .one(db)
        .await?;
    let registration_status = reg.and_then(|r| RegistrationStatus::parse(&r.status).ok());
    let phase_ids: Vec<i64> = phase_authority::Entity::find()
        .select_only()
        .column(phase_authority::Column::PhaseId)
        .filter(phase_authority::Column::AuthorityCode.eq(a.istat_code.as_str()))
        .into_tuple()
        .all(db)
        .await?;
    let mut phases = Vec::new();
    for p in phase::Entity::find()
        .filter(phase::Column::Id.is_in(phase_ids))
        .order_by_asc(phase::Column::StartDate)
        .all(db)
        .await?
    {
        phases.push(dto(db, p).await?);
    }
    let may_request_support = registration_status == Some(RegistrationStatus::Approved)
        && phases.iter().any(|p| p.started);
    Ok(ProgrammeStatus {
        istat_code: a.istat_code.clone(),
        registration_status,
        phases,
        may_request_support,
    })
}
