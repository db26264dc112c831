//! Task forces and the catalog of procedure types. Everyone signed in reads it; the secretariat
//! edits it. Updates are guarded by `If-Match` so that two editors cannot overwrite each other.

use crate::audit::{self, Entry, RequestMeta};
use crate::auth::Caller;
use crate::entities::{procedure, task_force};
use crate::error::{ApiError, ApiResult};
use crate::extract::Query;
use crate::extract::{Body, LazyBody, etag, if_match};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use affianca_domain::dto::{
    CreateProcedureRequest, FieldError, Procedure, TaskForceInfo, UpdateProcedureRequest,
};
use affianca_domain::{AuditAction, ProcedureCode, ProcedureId, TaskForce};
use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
};
use serde::Deserialize;
use utoipa::IntoParams;

const LEGAL_TERM_RANGE: std::ops::RangeInclusive<i32> = 1..=3650;

fn procedure_dto(p: procedure::Model) -> Option<Procedure> {
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

fn procedure_etag(p: &Procedure) -> String {
    etag("procedure", p.id, p.version)
}

fn with_etag(mut res: actix_web::HttpResponseBuilder, p: &Procedure) -> HttpResponse {
    res.insert_header((header::ETAG, procedure_etag(p))).json(p)
}

/// The 8 task forces with their Italian names and how many active procedures each has.
#[utoipa::path(
    tag = "catalog",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Task forces in programme order", body = Vec<TaskForceInfo>),
        crate::openapi::Unauthorized,
    )
)]
#[get("/task-forces")]
pub async fn list_task_forces(
    db: web::Data<DatabaseConnection>,
    _caller: Caller,
) -> ApiResult<HttpResponse> {
    let tfs = task_force::Entity::find()
        .order_by_asc(task_force::Column::Position)
        .all(db.get_ref())
        .await?;
    let procedures = procedure::Entity::find()
        .filter(procedure::Column::Active.eq(true))
        .all(db.get_ref())
        .await?;
    let items: Vec<TaskForceInfo> = tfs
        .into_iter()
        .filter_map(|t| {
            let code = TaskForce::parse(&t.code).ok()?;
            Some(TaskForceInfo {
                procedures: procedures.iter().filter(|p| p.task_force == t.code).count() as u64,
                code,
                name: t.name,
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(items))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListProceduresQuery {
    /// Only the procedures of this task force.
    pub task_force: Option<String>,
    /// Include deactivated procedures (default false).
    pub include_inactive: Option<bool>,
}

/// The procedure catalog.
#[utoipa::path(
    tag = "catalog",
    security(("bearer" = [])),
    params(ListProceduresQuery),
    responses(
        (status = 200, description = "Procedures by task force, then code", body = Vec<Procedure>),
        crate::openapi::Unauthorized,
        crate::openapi::Unprocessable,
    )
)]
#[get("/procedures")]
pub async fn list_procedures(
    db: web::Data<DatabaseConnection>,
    _caller: Caller,
    query: Query<ListProceduresQuery>,
) -> ApiResult<HttpResponse> {
    let mut select = procedure::Entity::find();
    if let Some(tf) = query.task_force.as_deref().filter(|s| !s.is_empty()) {
        let tf = TaskForce::parse(tf)
            .map_err(|e| ApiError::invalid_field("task_force", e.to_string()))?;
        select = select.filter(procedure::Column::TaskForce.eq(tf.code()));
    }
    if !query.include_inactive.unwrap_or(false) {
        select = select.filter(procedure::Column::Active.eq(true));
    }
    let rows = select
        .order_by_asc(procedure::Column::Code)
        .all(db.get_ref())
        .await?;
    let mut items: Vec<Procedure> = rows.into_iter().filter_map(procedure_dto).collect();
    items.sort_by_key(|p| (TaskForce::ALL.iter().position(|t| *t == p.task_force), p.id));
    Ok(HttpResponse::Ok().json(items))
}

async fn find_procedure(db: &DatabaseConnection, id: i64) -> ApiResult<procedure::Model> {
    procedure::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("Il procedimento"))
}

/// One procedure; its `ETag` is needed to change it.
#[utoipa::path(
    tag = "catalog",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Procedure id")),
    responses(
        (status = 200, description = "The procedure", body = Procedure, headers(("ETag" = String, description = "Send it back in If-Match to change the procedure"))),
        crate::openapi::Unauthorized,
        crate::openapi::NotFound,
    )
)]
#[get("/procedures/{id}")]
pub async fn get_procedure(
    db: web::Data<DatabaseConnection>,
    _caller: Caller,
    path: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    let p = procedure_dto(find_procedure(&db, path.into_inner()).await?)
        .ok_or_else(|| ApiError::not_found("Il procedimento"))?;
    Ok(with_etag(HttpResponse::Ok(), &p))
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

/// Add a procedure type to the catalog (secretariat).
#[utoipa::path(
    tag = "catalog",
    security(("bearer" = [])),
    request_body = CreateProcedureRequest,
    responses(
        (status = 201, description = "Created", body = Procedure, headers(("ETag" = String), ("Location" = String))),
        crate::openapi::BadRequest,
        crate::openapi::Unauthorized,
        crate::openapi::Forbidden,
        crate::openapi::Conflict,
        crate::openapi::PayloadTooLarge,
        crate::openapi::UnsupportedMediaType,
        crate::openapi::Unprocessable,
    )
)]
#[post("/procedures")]
pub async fn create_procedure(
    db: web::Data<DatabaseConnection>,
    caller: Caller,
    meta: RequestMeta,
    body: LazyBody<CreateProcedureRequest>,
) -> ApiResult<HttpResponse> {
    let body = Body(body.parse()?);
    let req = body.0;
    let mut errors = Vec::new();
    check_name(&req.name, &mut errors);
    check_term(req.legal_term_days, &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let exists = procedure::Entity::find()
        .filter(procedure::Column::Code.eq(req.code.as_str()))
        .one(db.get_ref())
        .await?;
    if exists.is_some() {
        return Err(ApiError::conflict(format!(
            "Esiste già un procedimento con codice {}.",
            req.code
        )));
    }
    let now = Utc::now();
    let txn = crate::db::begin_write(db.get_ref()).await?;
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
            ApiError::conflict(format!(
                "Esiste già un procedimento con codice {}.",
                req.code
            ))
        } else {
            e.into()
        }
    })?;
    // The indicator cubes learn the new procedure.
    crate::monitoring::record_change(&txn, crate::monitoring::Changed::Catalog).await?;
    txn.commit().await?;
    let p =
        procedure_dto(find_procedure(&db, inserted.last_insert_id).await?).ok_or_else(|| {
            ApiError::internal(anyhow::anyhow!("procedure just inserted does not parse"))
        })?;
    audit::record(
        db.get_ref(),
        &meta,
        Entry::new(AuditAction::ProcedureCreated)
            .actor(caller.user_id)
            .target("procedure", p.id)
            .details(serde_json::json!(p)),
    )
    .await?;
    tracing::info!(
        procedure_id = p.id.0,
        by = caller.user_id.0,
        "procedure created"
    );
    let mut res = HttpResponse::Created();
    res.insert_header((header::LOCATION, format!("/api/v1/procedures/{}", p.id)));
    Ok(with_etag(res, &p))
}

/// Change a procedure (secretariat). Requires `If-Match` with the current `ETag`.
///
/// Only the fields present change. A stale `ETag` answers 412 and changes nothing.
#[utoipa::path(
    tag = "catalog",
    security(("bearer" = [])),
    params(
        ("id" = i64, Path, description = "Procedure id"),
        ("If-Match" = String, Header, description = "The ETag read with the procedure"),
    ),
    request_body = UpdateProcedureRequest,
    responses(
        (status = 200, description = "Updated", body = Procedure, headers(("ETag" = String))),
        crate::openapi::BadRequest,
        crate::openapi::Unauthorized,
        crate::openapi::Forbidden,
        crate::openapi::NotFound,
        crate::openapi::PreconditionFailed,
        crate::openapi::UnsupportedMediaType,
        crate::openapi::Unprocessable,
        crate::openapi::PreconditionRequired,
    )
)]
#[patch("/procedures/{id}")]
pub async fn update_procedure(
    req: HttpRequest,
    db: web::Data<DatabaseConnection>,
    caller: Caller,
    meta: RequestMeta,
    path: web::Path<i64>,
    body: LazyBody<UpdateProcedureRequest>,
) -> ApiResult<HttpResponse> {
    let body = Body(body.parse()?);
    let id = path.into_inner();
    let current = find_procedure(&db, id).await?;
    let expected = if_match(&req)?;
    if expected != "*" && expected != etag("procedure", id, current.version) {
        return Err(ApiError::precondition_failed());
    }
    let change = body.0;
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
    let txn = crate::db::begin_write(db.get_ref()).await?;
    let res = update
        .filter(procedure::Column::Id.eq(id))
        .filter(procedure::Column::Version.eq(current.version))
        .exec(&txn)
        .await?;
    if res.rows_affected != 1 {
        return Err(ApiError::precondition_failed());
    }
    // A new name or task force shows in the indicators at once.
    crate::monitoring::record_change(&txn, crate::monitoring::Changed::Catalog).await?;
    txn.commit().await?;
    let p = procedure_dto(find_procedure(&db, id).await?)
        .ok_or_else(|| ApiError::not_found("Il procedimento"))?;
    audit::record(
        db.get_ref(),
        &meta,
        Entry::new(AuditAction::ProcedureUpdated)
            .actor(caller.user_id)
            .target("procedure", id)
            .details(serde_json::json!({"changes": change, "version": p.version})),
    )
    .await?;
    tracing::info!(
        procedure_id = id,
        version = p.version,
        by = caller.user_id.0,
        "procedure updated"
    );
    Ok(with_etag(HttpResponse::Ok(), &p))
}

/// Deactivate a procedure (secretariat).
///
/// It leaves the catalog's default listing but stays, with everything attached to it;
/// `PATCH` with `"active": true` brings it back.
#[utoipa::path(
    tag = "catalog",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Procedure id")),
    responses(
        (status = 204, description = "Deactivated"),
        crate::openapi::Unauthorized,
        crate::openapi::Forbidden,
        crate::openapi::NotFound,
    )
)]
#[delete("/procedures/{id}")]
pub async fn deactivate_procedure(
    db: web::Data<DatabaseConnection>,
    caller: Caller,
    meta: RequestMeta,
    path: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    let id = path.into_inner();
    let current = find_procedure(&db, id).await?;
    if current.active {
        procedure::Entity::update_many()
            .col_expr(procedure::Column::Active, Expr::value(false))
            .col_expr(procedure::Column::Version, Expr::value(current.version + 1))
            .col_expr(procedure::Column::UpdatedAt, Expr::value(Utc::now()))
            .filter(procedure::Column::Id.eq(id))
            .exec(db.get_ref())
            .await?;
        audit::record(
            db.get_ref(),
            &meta,
            Entry::new(AuditAction::ProcedureDeactivated)
                .actor(caller.user_id)
                .target("procedure", id),
        )
        .await?;
        tracing::info!(
            procedure_id = id,
            by = caller.user_id.0,
            "procedure deactivated"
        );
    }
    Ok(HttpResponse::NoContent().finish())
}
