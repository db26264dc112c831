//! Task forces and the catalog of procedure types (DOMAIN.md §3): everyone signed in reads it; the
//! secretariat adds, changes (on the version read: two editors cannot overwrite each other) and
//! deactivates procedures. Every change is audited with it and moves the indicators (names and task
//! forces show there).

use crate::audit::{self, Entry, RequestMeta};
use crate::auth::Caller;
use crate::entities::{procedure, task_force};
use crate::error::{ApiError, ApiResult};
use crate::extract::etag;
use crate::monitoring::{Changed, record_change};
use affianca_domain::dto::{
    CreateProcedureRequest, FieldError, Procedure, TaskForceInfo, UpdateProcedureRequest,
};
use affianca_domain::{AuditAction, ProcedureCode, ProcedureId, TaskForce};
use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder,
};

const LEGAL_TERM_RANGE: std::ops::RangeInclusive<i32> = 1..=3650;

fn dto(p: procedure::Model) -> Option<Procedure> {
    Some(Procedure {
        id: ProcedureId(p.id),
        code: ProcedureCode::parse(&p.code).ok()?,
        task_force: TaskForce::parse(&p.task_force).ok()?,
        name: p.name,
        legal_term_days: p.legal_term_days,
        term_indicative: p.term_indicative,
        active: p.active,
        version: p.version,
    })
}

/// The procedure's `ETag` (its version).
pub fn procedure_etag(p: &Procedure) -> String {
    etag("procedure", p.id, p.version)
}

/// The 8 task forces in programme order, each with how many active procedures it has.
pub async fn task_forces(db: &DatabaseConnection) -> ApiResult<Vec<TaskForceInfo>> {
    let tfs = task_force::Entity::find()
        .order_by_asc(task_force::Column::Position)
        .all(db)
        .await?;
    let procedures = procedure::Entity::find()
        .filter(procedure::Column::Active.eq(true))
        .all(db)
        .await?;
    Ok(tfs
        .into_iter()
        .filter_map(|t| {
            let code = TaskForce::parse(&t.code).ok()?;
            Some(TaskForceInfo {
                procedures: procedures.iter().filter(|p| p.task_force == t.code).count() as u64,
                code,
                name: t.name,
            })
        })
        .collect())
}

/// The catalog (of one task force; with the deactivated procedures too when asked), by task force
/// then code.
pub async fn procedures(
    db: &DatabaseConnection,
    task_force: Option<TaskForce>,
    include_inactive: bool,
) -> ApiResult<Vec<Procedure>> {
    let mut select = procedure::Entity::find();
    if let Some(tf) = task_force {
        select = select.filter(procedure::Column::TaskForce.eq(tf.code()));
    }
    if !include_inactive {
        select = select.filter(procedure::Column::Active.eq(true));
    }
    let rows = select.order_by_asc(procedure::Column::Code).all(db).await?;
    let mut items: Vec<Procedure> = rows.into_iter().filter_map(dto).collect();
    items.sort_by_key(|p| (TaskForce::ALL.iter().position(|t| *t == p.task_force), p.id));
    Ok(items)
}

async fn find(db: &impl ConnectionTrait, id: i64) -> ApiResult<procedure::Model> {
    procedure::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("Il procedimento"))
}

/// One procedure (404 when there is none).
pub async fn procedure(db: &impl ConnectionTrait, id: i64) -> ApiResult<Procedure> {
    dto(find(db, id).await?).ok_or_else(|| ApiError::not_found("Il procedimento"))
}

fn check_name(name: &str, errors: &mut Vec<FieldError>) {
    let n = name.trim().chars().count();
    if n == 0 || n > 300 {
        errors.push(FieldError {
            field: "name".into(),
            message: "obbligatorio, al massimo 300 caratteri".into(),
        });
    }
}

fn check_term(days: i32, errors: &mut Vec<FieldError>) {
    if !LEGAL_TERM_RANGE.contains(&days) {
        errors.push(FieldError {
            field: "legal_term_days".into(),
            message: "deve essere tra 1 e 3650".into(),
        });
    }
}

/// Adds a procedure type (422 naming each bad field; 409 for a code in use).
pub async fn create(
    db: &DatabaseConnection,
    caller: &Caller,
    meta: &RequestMeta,
    req: CreateProcedureRequest,
) -> ApiResult<Procedure> {
    let mut errors = Vec::new();
    check_name(&req.name, &mut errors);
    check_term(req.legal_term_days, &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let taken = || {
        ApiError::conflict(format!(
            "Esiste già un procedimento con codice {}.",
            req.code
        ))
    };
    let exists = procedure::Entity::find()
        .filter(procedure::Column::Code.eq(req.code.as_str()))
        .one(db)
        .await?;
    if exists.is_some() {
        return Err(taken());
    }
    let now = Utc::now();
    let txn = crate::db::begin_write(db).await?;
    let inserted = procedure::Entity::insert(procedure::ActiveModel {
        code: Set(req.code.to_string()),
        task_force: Set(req.task_force.code().to_owned()),
        name: Set(req.name.trim().to_owned()),
        legal_term_days: Set(req.legal_term_days),
        term_indicative: Set(req.term_indicative),
        active: Set(true),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
    .exec(&txn)
    .await
    .map_err(|e| {
        if matches!(
            e.sql_err(),
            Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
        ) {
            taken()
        } else {
            e.into()
        }
    })?;
    let p = procedure(&txn, inserted.last_insert_id).await?;
    audit::record(
        &txn,
        meta,
        Entry::new(AuditAction::ProcedureCreated)
            .actor(caller.user_id)
            .target("procedure", p.id)
            .details(serde_json::json!(p)),
    )
    .await?;
    // The indicator cubes learn the new procedure.
    record_change(&txn, Changed::Catalog).await?;
    txn.commit().await?;
    tracing::info!(
        procedure_id = p.id.0,
        by = caller.user_id.0,
        "procedure created"
    );
    Ok(p)
}

/// Changes the fields present in `change` of procedure `id`, if `expected` (an `If-Match`) is its
/// current `ETag` or `*`: 412 and nothing changed otherwise, or when someone changed it meanwhile.
pub async fn update(
    db: &DatabaseConnection,
    caller: &Caller,
    meta: &RequestMeta,
    id: i64,
    expected: &str,
    change: UpdateProcedureRequest,
) -> ApiResult<Procedure> {
    let current = find(db, id).await?;
    if expected != "*" && expected != etag("procedure", id, current.version) {
        return Err(ApiError::precondition_failed());
    }
    let mut errors = Vec::new();
    if let Some(n) = &change.name {
        check_name(n, &mut errors);
    }
    if let Some(d) = change.legal_term_days {
        check_term(d, &mut errors);
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let mut update = procedure::Entity::update_many()
        .col_expr(procedure::Column::Version, Expr::value(current.version + 1))
        .col_expr(procedure::Column::UpdatedAt, Expr::value(Utc::now()));
    if let Some(tf) = change.task_force {
        update = update.col_expr(procedure::Column::TaskForce, Expr::value(tf.code()));
    }
    if let Some(n) = &change.name {
        update = update.col_expr(procedure::Column::Name, Expr::value(n.trim()));
    }
    if let Some(d) = change.legal_term_days {
        update = update.col_expr(procedure::Column::LegalTermDays, Expr::value(d));
    }
    if let Some(t) = change.term_indicative {
        update = update.col_expr(procedure::Column::TermIndicative, Expr::value(t));
    }
    if let Some(a) = change.active {
        update = update.col_expr(procedure::Column::Active, Expr::value(a));
    }
    // The version check in the WHERE makes the compare-and-set atomic against a concurrent edit.
    let txn = crate::db::begin_write(db).await?;
    let res = update
        .filter(procedure::Column::Id.eq(id))
        .filter(procedure::Column::Version.eq(current.version))
        .exec(&txn)
        .await?;
    if res.rows_affected != 1 {
        return Err(ApiError::precondition_failed());
    }
    let p = procedure(&txn, id).await?;
    audit::record(
        &txn,
        meta,
        Entry::new(AuditAction::ProcedureUpdated)
            .actor(caller.user_id)
            .target("procedure", id)
            .details(serde_json::json!({"changes": change, "version": p.version})),
    )
    .await?;
    // A new name or task force shows in the indicators at once.
    record_change(&txn, Changed::Catalog).await?;
    txn.commit().await?;
    tracing::info!(
        procedure_id = id,
        version = p.version,
        by = caller.user_id.0,
        "procedure updated"
    );
    Ok(p)
}

/// Deactivates procedure `id`: it leaves the default listing but stays, with everything attached
/// to it (a `PATCH` with `"active": true` brings it back). Nothing happens to one already inactive.
pub async fn deactivate(
    db: &DatabaseConnection,
    caller: &Caller,
    meta: &RequestMeta,
    id: i64,
) -> ApiResult<()> {
    let txn = crate::db::begin_write(db).await?;
    let current = find(&txn, id).await?;
    if !current.active {
        return Ok(());
    }
    procedure::Entity::update_many()
        .col_expr(procedure::Column::Active, Expr::value(false))
        .col_expr(procedure::Column::Version, Expr::value(current.version + 1))
        .col_expr(procedure::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(procedure::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        meta,
        Entry::new(AuditAction::ProcedureDeactivated)
            .actor(caller.user_id)
            .target("procedure", id),
    )
    .await?;
    record_change(&txn, Changed::Catalog).await?;
    txn.commit().await?;
    tracing::info!(
        procedure_id = id,
        by = caller.user_id.0,
        "procedure deactivated"
    );
    Ok(())
}
