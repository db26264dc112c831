//! Experts and coordinators (DOMAIN.md §1): the secretariat adds experts (who get an e-mail to
//! set their password) and appoints coordinators; experts keep their professional profile up to
//! date (on the version read); programme staff see the directory.

use crate::app::accounts;
use crate::audit::{self, Entry, RequestMeta};
use crate::auth::{Caller, Sessions};
use crate::entities::{expert_profile, role_grant, user};
use crate::error::{ApiError, ApiResult};
use crate::extract::etag;
use crate::notify::PublicUrl;
use affianca_domain::dto::{CreateExpertRequest, ExpertProfile, FieldError, UpdateExpertRequest};
use affianca_domain::text::fold_for_search;
use affianca_domain::{
    AuditAction, Email, ProvinceCode, Role, RoleScope, Scope, TaskForce, UserId,
};
use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
};
use std::collections::BTreeSet;

/// The expert's `ETag` (their profile's version).
pub fn expert_etag(e: &ExpertProfile) -> String {
    etag("expert", e.user_id, e.version)
}

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

/// The expert as the API shows it (`None` for a deactivated account).
pub async fn dto(
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

/// Adds an expert: the account with its task forces and profile, and an e-mailed link to set the
/// password (422 naming each bad field; 409 when the e-mail has an account).
pub async fn create(
    db: &DatabaseConnection,
    base: &PublicUrl,
    caller: &Caller,
    meta: &RequestMeta,
    req: CreateExpertRequest,
) -> ApiResult<ExpertProfile> {
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
        .one(db)
        .await?
        .is_some()
    {
        return Err(ApiError::conflict(format!(
            "Esiste già un account {}: assegnargli il ruolo dalla gestione utenti.",
            req.email
        )));
    }
    let now = Utc::now();
    let txn = crate::db::begin_write(db).await?;
    let uid = crate::app::accounts::create_with_setup_link(
        &txn,
        base,
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
        meta,
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
    let dto = dto(&txn, p)
        .await?
        .ok_or_else(|| ApiError::not_found("L'esperto"))?;
    txn.commit().await?;
    Ok(dto)
}

/// The experts directory, by name: of a task force, covering a province, whose name contains `q`
/// (case- and accent-insensitive).
pub async fn list(
    db: &DatabaseConnection,
    tf: Option<TaskForce>,
    province: Option<ProvinceCode>,
    q: Option<&str>,
) -> ApiResult<Vec<ExpertProfile>> {
    let q = q.map(fold_for_search).filter(|q| !q.is_empty());
    let mut out = Vec::new();
    for p in expert_profile::Entity::find().all(db).await? {
        if let Some(e) = dto(db, p).await? {
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
    Ok(out)
}

async fn find(db: &DatabaseConnection, id: i64) -> ApiResult<expert_profile::Model> {
    expert_profile::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("L'esperto"))
}

/// One expert (404 when there is none, or the account is deactivated).
pub async fn get(db: &DatabaseConnection, id: i64) -> ApiResult<ExpertProfile> {
    let p = find(db, id).await?;
    let dto = dto(db, p)
        .await?
        .ok_or_else(|| ApiError::not_found("L'esperto"))?;
    Ok(dto)
}

/// Changes expert `id`'s profile on the version of `expected` (the request's `If-Match`, checked
/// after who may change what): the secretariat changes everything, the expert only their own
/// professional profile. A task-force change works at once.
#[allow(clippy::too_many_arguments)]
pub async fn update(
    db: &DatabaseConnection,
    sessions: &Sessions,
    caller: &Caller,
    meta: &RequestMeta,
    id: i64,
    expected: ApiResult<String>,
    change: UpdateExpertRequest,
) -> ApiResult<ExpertProfile> {
    let current = find(db, id).await?;
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
    let expected = expected?;
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
    let txn = crate::db::begin_write(db).await?;
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
        meta,
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
    let dto = dto(&txn, p)
        .await?
        .ok_or_else(|| ApiError::not_found("L'esperto"))?;
    txn.commit().await?;
    // Task forces changed: the expert's grants work (or stop working) at once.
    sessions.forget([id]);
    Ok(dto)
}

/// Appoints user `uid` coordinator of task force `code` (any active user; several per task force),
/// working at once.
pub async fn appoint_coordinator(
    db: &DatabaseConnection,
    sessions: &Sessions,
    caller: &Caller,
    meta: &RequestMeta,
    code: &str,
    uid: i64,
) -> ApiResult<()> {
    let tf = TaskForce::parse(code).map_err(|_| ApiError::not_found("La task force"))?;
    user::Entity::find_by_id(uid)
        .one(db)
        .await?
        .filter(|u| u.active)
        .ok_or_else(|| ApiError::invalid_field("user_id", "utente inesistente o disattivato"))?;
    let grant =
        RoleScope::new(Role::Coordinator, Scope::TaskForce(tf)).map_err(ApiError::internal)?;
    let txn = crate::db::begin_write(db).await?;
    accounts::insert_grants(&txn, uid, &[grant], Some(caller.user_id.0)).await?;
    audit::record(
        &txn,
        meta,
        Entry::new(AuditAction::CoordinatorAppointed)
            .actor(caller.user_id)
            .target("user", uid)
            .details(serde_json::json!({"task_force": tf})),
    )
    .await?;
    txn.commit().await?;
    sessions.forget([uid]);
    Ok(())
}

/// Removes coordinator `uid` of task force `code` (404 when they are none), at once.
pub async fn remove_coordinator(
    db: &DatabaseConnection,
    sessions: &Sessions,
    caller: &Caller,
    meta: &RequestMeta,
    code: &str,
    uid: i64,
) -> ApiResult<()> {
    let tf = TaskForce::parse(code).map_err(|_| ApiError::not_found("La task force"))?;
    let txn = crate::db::begin_write(db).await?;
    let res = role_grant::Entity::delete_many()
        .filter(role_grant::Column::UserId.eq(uid))
        .filter(role_grant::Column::Role.eq(Role::Coordinator.code()))
        .filter(role_grant::Column::Scope.eq(Scope::TaskForce(tf).to_string()))
        .exec(&txn)
        .await?;
    if res.rows_affected == 0 {
        return Err(ApiError::not_found("Il coordinatore"));
    }
    audit::record(
        &txn,
        meta,
        Entry::new(AuditAction::CoordinatorRemoved)
            .actor(caller.user_id)
            .target("user", uid)
            .details(serde_json::json!({"task_force": tf})),
    )
    .await?;
    txn.commit().await?;
    sessions.forget([uid]);
    Ok(())
}
