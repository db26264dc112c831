//! Experts and coordinators (DOMAIN.md §1): the secretariat adds experts (who get an e-mail to
//! set their password) and appoints coordinators; experts keep their professional profile up to
//! date; programme staff see the directory.

use crate::app::accounts;
use crate::audit::{self, Entry, RequestMeta};
use crate::auth::Caller;
use crate::entities::{expert_profile, role_grant, user};
use crate::error::{ApiError, ApiResult};
use crate::extract::{Body, LazyBody, Query, etag, if_match};
use crate::notify::PublicUrl;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use affianca_domain::dto::{
    AppointCoordinatorRequest, CreateExpertRequest, ExpertProfile, FieldError, UpdateExpertRequest,
};
use affianca_domain::text::fold_for_search;
use affianca_domain::{
    AuditAction, Email, ProvinceCode, Role, RoleScope, Scope, TaskForce, UserId,
};
use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
};
use serde::Deserialize;
use std::collections::BTreeSet;
use utoipa::IntoParams;

fn task_forces_of(grants: &[role_grant::Model], role: Role) -> Vec<TaskForce> {
    let set: BTreeSet<TaskForce> = grants
        .iter()
        .filter(|g| g.role == role.code())
        .filter_map(|g| match Scope::parse(&g.scope) {
            Ok(Scope::TaskForce(tf)) => Some(tf),
            _ => None,
        })
        .collect();
    set.into_iter().collect()
}

async fn profile_dto(
    db: &impl ConnectionTrait,
    p: expert_profile::Model,
) -> ApiResult<Option<ExpertProfile>> {
    let Some(u) = user::Entity::find_by_id(p.user_id)
        .one(db)
        .await?
        .filter(|u| u.active)
    else {
        return Ok(None);
    };
    let grants = role_grant::Entity::find()
        .filter(role_grant::Column::UserId.eq(u.id))
        .all(db)
        .await?;
    Ok(Some(ExpertProfile {
        user_id: UserId(u.id),
        email: Email::parse(&u.email).map_err(ApiError::internal)?,
        full_name: u.full_name,
        task_forces: task_forces_of(&grants, Role::Expert),
        coordinator_of: task_forces_of(&grants, Role::Coordinator),
        provinces: p
            .provinces
            .split(',')
            .filter(|s| !s.is_empty())
            .filter_map(|s| ProvinceCode::parse(s).ok())
            .collect(),
        professional_profile: p.professional_profile,
        max_concurrent_requests: p.max_concurrent_requests,
        version: p.version,
    }))
}

fn check_fields(
    task_forces: Option<&Vec<TaskForce>>,
    provinces: Option<&Vec<ProvinceCode>>,
    profile: Option<&String>,
    max: Option<i32>,
    errors: &mut Vec<FieldError>,
) {
    if task_forces.is_some_and(Vec::is_empty) {
        errors.push(FieldError {
            field: "task_forces".into(),
            message: "almeno una task force".into(),
        });
    }
    for (i, p) in provinces.into_iter().flatten().enumerate() {
        if !crate::registry::PROVINCES.contains(&p.as_str()) {
            errors.push(FieldError {
                field: format!("provinces[{i}]"),
                message: format!("{p} non è una provincia lombarda"),
            });
        }
    }
    if profile.is_some_and(|p| p.chars().count() > 5000) {
        errors.push(FieldError {
            field: "professional_profile".into(),
            message: "al massimo 5000 caratteri".into(),
        });
    }
    if max.is_some_and(|m| !(1..=50).contains(&m)) {
        errors.push(FieldError {
            field: "max_concurrent_requests".into(),
            message: "deve essere tra 1 e 50".into(),
        });
    }
}

fn provinces_column(p: &[ProvinceCode]) -> String {
    let set: BTreeSet<&str> = p.iter().map(ProvinceCode::as_str).collect();
    set.into_iter().collect::<Vec<_>>().join(",")
}

async fn set_task_forces(
    db: &impl ConnectionTrait,
    user_id: i64,
    tfs: &[TaskForce],
    by: i64,
) -> Result<(), sea_orm::DbErr> {
    role_grant::Entity::delete_many()
        .filter(role_grant::Column::UserId.eq(user_id))
        .filter(role_grant::Column::Role.eq(Role::Expert.code()))
        .exec(db)
        .await?;
    let grants: Vec<RoleScope> = tfs
        .iter()
        .map(|tf| RoleScope {
            role: Role::Expert,
            scope: Scope::TaskForce(*tf),
        })
        .collect();
    accounts::insert_grants(db, user_id, &grants, Some(by)).await
}

/// Add an expert (secretariat): creates the account with its task forces and e-mails a link to
/// set the password (valid 7 days).
#[utoipa::path(
    tag = "experts",
    security(("bearer" = [])),
    request_body = CreateExpertRequest,
    responses(
        (status = 201, description = "Created", body = ExpertProfile, headers(("Location" = String), ("ETag" = String))),
        crate::openapi::BadRequest,
        crate::openapi::Unauthorized,
        crate::openapi::Forbidden,
        crate::openapi::Conflict,
        crate::openapi::UnsupportedMediaType,
        crate::openapi::Unprocessable,
    )
)]
#[post("/experts")]
pub async fn create_expert(
    db: web::Data<DatabaseConnection>,
    base: web::Data<PublicUrl>,
    caller: Caller,
    meta: RequestMeta,
    body: LazyBody<CreateExpertRequest>,
) -> ApiResult<HttpResponse> {
    let body = Body(body.parse()?);
    let req = body.0;
    let mut errors = Vec::new();
    let name = req.full_name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        errors.push(FieldError {
            field: "full_name".into(),
            message: "obbligatorio, al massimo 200 caratteri".into(),
        });
    }
    check_fields(
        Some(&req.task_forces),
        Some(&req.provinces),
        Some(&req.professional_profile),
        Some(req.max_concurrent_requests),
        &mut errors,
    );
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    if user::Entity::find()
        .filter(user::Column::Email.eq(req.email.as_str()))
        .one(db.get_ref())
        .await?
        .is_some()
    {
        return Err(ApiError::conflict(format!(
            "Esiste già un account {}: assegnargli il ruolo dalla gestione utenti.",
            req.email
        )));
    }
    let now = Utc::now();
    let txn = crate::db::begin_write(&db).await?;
    let uid = crate::app::accounts::create_with_setup_link(
        &txn,
        &base,
        crate::app::accounts::NewAccount {
            email: &req.email,
            full_name: name,
            created_by: caller.user_id.0,
            subject: "Affianca: benvenuto nel programma di assistenza tecnica".into(),
            reason: "la Segreteria Tecnica vi ha aggiunto come esperto su Affianca, il portale dell'assistenza tecnica PNRR di Regione Lombardia.".into(),
        },
    )
    .await?;
    set_task_forces(&txn, uid, &req.task_forces, caller.user_id.0).await?;
    expert_profile::Entity::insert(expert_profile::ActiveModel {
        user_id: Set(uid),
        provinces: Set(provinces_column(&req.provinces)),
        professional_profile: Set(req.professional_profile.trim().to_owned()),
        max_concurrent_requests: Set(req.max_concurrent_requests),
        version: Set(1),
        updated_at: Set(now),
    })
    .exec_without_returning(&txn)
    .await?;
    audit::record(
        &txn,
        &meta,
        Entry::new(AuditAction::ExpertCreated)
            .actor(caller.user_id)
            .target("user", uid)
            .details(serde_json::json!({"email": req.email, "task_forces": req.task_forces})),
    )
    .await?;
    let p = expert_profile::Entity::find_by_id(uid)
        .one(&txn)
        .await?
        .ok_or_else(|| ApiError::not_found("L'esperto"))?;
    let dto = profile_dto(&txn, p)
        .await?
        .ok_or_else(|| ApiError::not_found("L'esperto"))?;
    txn.commit().await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/experts/{uid}")))
        .insert_header((header::ETAG, etag("expert", uid, dto.version)))
        .json(dto))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListExpertsQuery {
    /// Only experts of this task force.
    pub task_force: Option<String>,
    /// Only experts covering this province.
    pub province: Option<String>,
    /// Part of the name, case- and accent-insensitive.
    pub q: Option<String>,
}

/// The experts directory (programme staff), by name.
#[utoipa::path(
    tag = "experts",
    security(("bearer" = [])),
    params(ListExpertsQuery),
    responses(
        (status = 200, description = "Experts", body = Vec<ExpertProfile>),
        crate::openapi::Unauthorized,
        crate::openapi::Forbidden,
        crate::openapi::Unprocessable,
    )
)]
#[get("/experts")]
pub async fn list_experts(
    db: web::Data<DatabaseConnection>,
    _caller: Caller,
    query: Query<ListExpertsQuery>,
) -> ApiResult<HttpResponse> {
    let mut errors = Vec::new();
    let tf = query
        .task_force
        .as_deref()
        .filter(|s| !s.is_empty())
        .and_then(|s| {
            TaskForce::parse(s)
                .map_err(|e| {
                    errors.push(FieldError {
                        field: "task_force".into(),
                        message: e.to_string(),
                    })
                })
                .ok()
        });
    let province = query
        .province
        .as_deref()
        .filter(|s| !s.is_empty())
        .and_then(|s| {
            ProvinceCode::parse(s)
                .map_err(|e| {
                    errors.push(FieldError {
                        field: "province".into(),
                        message: e.to_string(),
                    })
                })
                .ok()
        });
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let q = query
        .q
        .as_deref()
        .map(fold_for_search)
        .filter(|q| !q.is_empty());
    let mut out = Vec::new();
    for p in expert_profile::Entity::find().all(db.get_ref()).await? {
        if let Some(e) = profile_dto(db.get_ref(), p).await? {
            let keep = tf.is_none_or(|tf| e.task_forces.contains(&tf))
                && province.as_ref().is_none_or(|pr| e.provinces.contains(pr))
                && q.as_ref()
                    .is_none_or(|q| fold_for_search(&e.full_name).contains(q.as_str()));
            if keep {
                out.push(e);
            }
        }
    }
    out.sort_by(|a, b| a.full_name.cmp(&b.full_name));
    Ok(HttpResponse::Ok().json(out))
}

async fn find_profile(db: &DatabaseConnection, id: i64) -> ApiResult<expert_profile::Model> {
    expert_profile::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("L'esperto"))
}

/// One expert (programme staff); its `ETag` is needed to change it.
#[utoipa::path(
    tag = "experts",
    security(("bearer" = [])),
    params(("user_id" = i64, Path, description = "The expert's user id")),
    responses(
        (status = 200, description = "The expert", body = ExpertProfile, headers(("ETag" = String))),
        crate::openapi::Unauthorized,
        crate::openapi::Forbidden,
        crate::openapi::NotFound,
    )
)]
#[get("/experts/{user_id}")]
pub async fn get_expert(
    db: web::Data<DatabaseConnection>,
    _caller: Caller,
    path: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    let p = find_profile(&db, path.into_inner()).await?;
    let dto = profile_dto(db.get_ref(), p)
        .await?
        .ok_or_else(|| ApiError::not_found("L'esperto"))?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag("expert", dto.user_id, dto.version)))
        .json(dto))
}

/// Change an expert's profile. The secretariat changes everything; the expert only their own
/// `professional_profile`. Requires `If-Match`.
#[utoipa::path(
    tag = "experts",
    security(("bearer" = [])),
    params(("user_id" = i64, Path, description = "The expert's user id"), ("If-Match" = String, Header, description = "The ETag read with the profile")),
    request_body = UpdateExpertRequest,
    responses(
        (status = 200, description = "Updated", body = ExpertProfile, headers(("ETag" = String))),
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
#[patch("/experts/{user_id}")]
pub async fn update_expert(
    req: HttpRequest,
    db: web::Data<DatabaseConnection>,
    sessions: web::Data<crate::auth::Sessions>,
    caller: Caller,
    meta: RequestMeta,
    path: web::Path<i64>,
    body: LazyBody<UpdateExpertRequest>,
) -> ApiResult<HttpResponse> {
    let body = Body(body.parse()?);
    let id = path.into_inner();
    let current = find_profile(&db, id).await?;
    let change = body.0;
    let secretariat = caller.has_role(Role::Secretariat);
    let own = caller.user_id.0 == id;
    let only_profile = change.task_forces.is_none()
        && change.provinces.is_none()
        && change.max_concurrent_requests.is_none();
    if !(secretariat || (own && only_profile)) {
        return Err(ApiError::forbidden(if own {
            "Il proprio profilo professionale si modifica; task force, province e carico massimo li decide la Segreteria Tecnica."
        } else {
            "Solo la Segreteria Tecnica modifica il profilo di un altro esperto."
        }));
    }
    let expected = if_match(&req)?;
    if expected != "*" && expected != etag("expert", id, current.version) {
        return Err(ApiError::precondition_failed());
    }
    let mut errors = Vec::new();
    check_fields(
        change.task_forces.as_ref(),
        change.provinces.as_ref(),
        change.professional_profile.as_ref(),
        change.max_concurrent_requests,
        &mut errors,
    );
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let txn = crate::db::begin_write(&db).await?;
    let mut update = expert_profile::Entity::update_many()
        .col_expr(
            expert_profile::Column::Version,
            Expr::value(current.version + 1),
        )
        .col_expr(expert_profile::Column::UpdatedAt, Expr::value(Utc::now()));
    if let Some(p) = &change.provinces {
        update = update.col_expr(
            expert_profile::Column::Provinces,
            Expr::value(provinces_column(p)),
        );
    }
    if let Some(p) = &change.professional_profile {
        update = update.col_expr(
            expert_profile::Column::ProfessionalProfile,
            Expr::value(p.trim()),
        );
    }
    if let Some(m) = change.max_concurrent_requests {
        update = update.col_expr(
            expert_profile::Column::MaxConcurrentRequests,
            Expr::value(m),
        );
    }
    let res = update
        .filter(expert_profile::Column::UserId.eq(id))
        .filter(expert_profile::Column::Version.eq(current.version))
        .exec(&txn)
        .await?;
    if res.rows_affected != 1 {
        return Err(ApiError::precondition_failed());
    }
    if let Some(tfs) = &change.task_forces {
        set_task_forces(&txn, id, tfs, caller.user_id.0).await?;
    }
    audit::record(
        &txn,
        &meta,
        Entry::new(AuditAction::ExpertUpdated)
            .actor(caller.user_id)
            .target("user", id)
            .details(serde_json::json!(change)),
    )
    .await?;
    let p = expert_profile::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| ApiError::not_found("L'esperto"))?;
    let dto = profile_dto(&txn, p)
        .await?
        .ok_or_else(|| ApiError::not_found("L'esperto"))?;
    txn.commit().await?;
    // Task forces changed: the expert's grants work (or stop working) at once.
    sessions.forget([id]);
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag("expert", id, dto.version)))
        .json(dto))
}

/// Appoint a coordinator of a task force (secretariat). Any active user may be appointed; a task
/// force may have several.
#[utoipa::path(
    tag = "experts",
    security(("bearer" = [])),
    params(("code" = String, Path, description = "Task force code", example = "building_planning")),
    request_body = AppointCoordinatorRequest,
    responses(
        (status = 204, description = "Appointed (or already coordinator)"),
        crate::openapi::BadRequest,
        crate::openapi::Unauthorized,
        crate::openapi::Forbidden,
        crate::openapi::NotFound,
        crate::openapi::UnsupportedMediaType,
        crate::openapi::Unprocessable,
    )
)]
#[post("/task-forces/{code}/coordinators")]
pub async fn appoint_coordinator(
    db: web::Data<DatabaseConnection>,
    sessions: web::Data<crate::auth::Sessions>,
    caller: Caller,
    meta: RequestMeta,
    path: web::Path<String>,
    body: LazyBody<AppointCoordinatorRequest>,
) -> ApiResult<HttpResponse> {
    let body = Body(body.parse()?);
    let tf = TaskForce::parse(&path).map_err(|_| ApiError::not_found("La task force"))?;
    let uid = body.0.user_id.0;
    user::Entity::find_by_id(uid)
        .one(db.get_ref())
        .await?
        .filter(|u| u.active)
        .ok_or_else(|| ApiError::invalid_field("user_id", "utente inesistente o disattivato"))?;
    let grant =
        RoleScope::new(Role::Coordinator, Scope::TaskForce(tf)).map_err(ApiError::internal)?;
    let txn = crate::db::begin_write(&db).await?;
    accounts::insert_grants(&txn, uid, &[grant], Some(caller.user_id.0)).await?;
    audit::record(
        &txn,
        &meta,
        Entry::new(AuditAction::CoordinatorAppointed)
            .actor(caller.user_id)
            .target("user", uid)
            .details(serde_json::json!({"task_force": tf})),
    )
    .await?;
    txn.commit().await?;
    sessions.forget([uid]);
    Ok(HttpResponse::NoContent().finish())
}

/// Remove a coordinator of a task force (secretariat).
#[utoipa::path(
    tag = "experts",
    security(("bearer" = [])),
    params(("code" = String, Path, description = "Task force code", example = "building_planning"), ("user_id" = i64, Path, description = "The coordinator's user id")),
    responses(
        (status = 204, description = "Removed"),
        crate::openapi::Unauthorized,
        crate::openapi::Forbidden,
        crate::openapi::NotFound,
    )
)]
#[delete("/task-forces/{code}/coordinators/{user_id}")]
pub async fn remove_coordinator(
    db: web::Data<DatabaseConnection>,
    sessions: web::Data<crate::auth::Sessions>,
    caller: Caller,
    meta: RequestMeta,
    path: web::Path<(String, i64)>,
) -> ApiResult<HttpResponse> {
    let (code, uid) = path.into_inner();
    let tf = TaskForce::parse(&code).map_err(|_| ApiError::not_found("La task force"))?;
    let res = role_grant::Entity::delete_many()
        .filter(role_grant::Column::UserId.eq(uid))
        .filter(role_grant::Column::Role.eq(Role::Coordinator.code()))
        .filter(role_grant::Column::Scope.eq(Scope::TaskForce(tf).to_string()))
        .exec(db.get_ref())
        .await?;
    if res.rows_affected == 0 {
        return Err(ApiError::not_found("Il coordinatore"));
    }
    sessions.forget([uid]);
    audit::record(
        db.get_ref(),
        &meta,
        Entry::new(AuditAction::CoordinatorRemoved)
            .actor(caller.user_id)
            .target("user", uid)
            .details(serde_json::json!({"task_force": tf})),
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
