//! User accounts and role grants, managed by administrators: create an account with a password
//! and grants, read them, add a grant (working at once) or revoke one (the person's sessions end
//! at once). Every change is audited in its transaction.

use crate::app::accounts::{self, load_grants, parse_grant, user_dto};
use crate::audit::{self, Entry, RequestMeta};
use crate::auth::{Caller, Sessions, password};
use crate::entities::{role_grant, user};
use crate::error::{ApiError, ApiResult};
use affianca_domain::dto::{CreateUserRequest, FieldError, Grant, GrantRequest, Page, User};
use affianca_domain::{AuditAction, GrantId, Role, RoleScope, Scope};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use std::collections::HashMap;

/// A page of accounts by e-mail, with their grants: whose e-mail or name contains `q`
/// (case-insensitive), holding `role`.
pub async fn list(
    db: &DatabaseConnection,
    q: Option<&str>,
    role: Option<Role>,
    limit: u64,
    offset: u64,
) -> ApiResult<Page<User>> {
    let mut select = user::Entity::find();
    if let Some(q) = q {
        let pattern = format!("%{}%", q.to_lowercase().replace(['%', '_'], ""));
        select =
            select.filter(Expr::col(user::Column::Email).like(pattern.clone()).or(
                sea_orm::sea_query::Func::lower(Expr::col(user::Column::FullName)).like(pattern),
            ));
    }
    if let Some(role) = role {
        select = select.filter(
            user::Column::Id.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(role_grant::Column::UserId)
                    .from(role_grant::Entity)
                    .and_where(role_grant::Column::Role.eq(role.code()))
                    .to_owned(),
            ),
        );
    }
    let total = select.clone().count(db).await?;
    let users = select
        .order_by_asc(user::Column::Email)
        .limit(limit)
        .offset(offset)
        .all(db)
        .await?;
    let ids: Vec<i64> = users.iter().map(|u| u.id).collect();
    let mut grants: HashMap<i64, Vec<_>> = HashMap::new();
    for g in role_grant::Entity::find()
        .filter(role_grant::Column::UserId.is_in(ids))
        .order_by_asc(role_grant::Column::Id)
        .all(db)
        .await?
    {
        let uid = g.user_id;
        if let Some(parsed) = parse_grant(g) {
            grants.entry(uid).or_default().push(parsed);
        }
    }
    let items = users
        .into_iter()
        .map(|u| {
            let g = grants.remove(&u.id).unwrap_or_default();
            user_dto(u, g)
        })
        .collect();
    Ok(Page {
        items,
        total,
        limit,
        offset,
    })
}

/// The grants that fit their role, each with its index in the request (for field paths).
fn check_grants(grants: &[GrantRequest], errors: &mut Vec<FieldError>) -> Vec<(usize, RoleScope)> {
    let mut out = Vec::new();
    for (i, g) in grants.iter().enumerate() {
        match RoleScope::new(g.role, g.scope.clone()) {
            Ok(rs) => out.push((i, rs)),
            Err(e) => errors.push(FieldError {
                field: format!("grants[{i}].scope"),
                message: e.to_string(),
            }),
        }
    }
    out
}

async fn ensure_authority_exists(
    db: &impl ConnectionTrait,
    scope: &Scope,
    field: String,
    errors: &mut Vec<FieldError>,
) -> ApiResult<()> {
    use crate::entities::{authority, province};
    let exists = match scope {
        Scope::Authority(code) => authority::Entity::find_by_id(code.to_string())
            .one(db)
            .await?
            .is_some(),
        Scope::Province(p) => province::Entity::find_by_id(p.to_string())
            .one(db)
            .await?
            .is_some(),
        Scope::Region | Scope::TaskForce(_) => true,
    };
    if !exists {
        errors.push(FieldError {
            field,
            message: format!("{scope}: ente o provincia inesistente"),
        });
    }
    Ok(())
}

/// Creates an account with an initial password and grants (422 naming each bad field; 409 for an
/// e-mail in use).
pub async fn create(
    db: &DatabaseConnection,
    caller: &Caller,
    meta: &RequestMeta,
    req: CreateUserRequest,
) -> ApiResult<User> {
    let mut errors = Vec::new();
    let name = req.full_name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        errors.push(FieldError {
            field: "full_name".into(),
            message: "obbligatorio, al massimo 200 caratteri".into(),
        });
    }
    if let Err(m) = password::check_policy(&req.password) {
        errors.push(FieldError {
            field: "password".into(),
            message: m,
        });
    }
    let checked = check_grants(&req.grants, &mut errors);
    for (i, g) in &checked {
        ensure_authority_exists(db, &g.scope, format!("grants[{i}].scope"), &mut errors).await?;
    }
    let grants: Vec<RoleScope> = checked.into_iter().map(|(_, g)| g).collect();
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
            "Esiste già un utente con l'e-mail {}.",
            req.email
        )));
    }
    let hash = password::hash_blocking(req.password.clone())
        .await
        .map_err(ApiError::internal)?;
    let txn = crate::db::begin_write(db).await?;
    let created = accounts::insert_user(
        &txn,
        &req.email,
        name,
        hash,
        &grants,
        Some(caller.user_id.0),
    )
    .await
    .map_err(|e| {
        // Two admins creating the same e-mail at once: the unique index decides.
        if matches!(
            e.sql_err(),
            Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
        ) {
            ApiError::conflict(format!("Esiste già un utente con l'e-mail {}.", req.email))
        } else {
            e.into()
        }
    })?;
    let granted: Vec<String> = grants
        .iter()
        .map(|g| format!("{} {}", g.role, g.scope))
        .collect();
    audit::record(
        &txn,
        meta,
        Entry::new(AuditAction::UserCreated)
            .actor(caller.user_id)
            .target("user", created.id)
            .details(serde_json::json!({"email": created.email, "grants": granted})),
    )
    .await?;
    let grants = load_grants(&txn, created.id).await?;
    txn.commit().await?;
    tracing::info!(user_id = created.id, by = caller.user_id.0, "user created");
    Ok(user_dto(created, grants))
}

/// One account with its grants (404 when there is none).
pub async fn get(db: &DatabaseConnection, id: i64) -> ApiResult<User> {
    let u = user::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("L'utente"))?;
    let grants = load_grants(db, id).await?;
    Ok(user_dto(u, grants))
}

/// Grants a role in a scope to user `id` (409 when held already), working at once.
pub async fn add_grant(
    db: &DatabaseConnection,
    sessions: &Sessions,
    caller: &Caller,
    meta: &RequestMeta,
    id: i64,
    req: GrantRequest,
) -> ApiResult<Grant> {
    user::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("L'utente"))?;
    let mut errors = Vec::new();
    let grants: Vec<RoleScope> = check_grants(std::slice::from_ref(&req), &mut errors)
        .into_iter()
        .map(|(_, g)| g)
        .collect();
    if let Some(g) = grants.first() {
        ensure_authority_exists(db, &g.scope, "scope".into(), &mut errors).await?;
    }
    if !errors.is_empty() {
        for e in &mut errors {
            e.field = "scope".into();
        }
        return Err(ApiError::validation(errors));
    }
    let grant = &grants[0];
    let before = load_grants(db, id).await?;
    if before.iter().any(|(_, g, _)| g == grant) {
        return Err(ApiError::conflict(format!(
            "L'utente ha già il ruolo «{}» con ambito {}.",
            grant.role.label(),
            grant.scope
        )));
    }
    let txn = crate::db::begin_write(db).await?;
    accounts::insert_grants(
        &txn,
        id,
        std::slice::from_ref(grant),
        Some(caller.user_id.0),
    )
    .await?;
    let (gid, rs, at) = load_grants(&txn, id)
        .await?
        .into_iter()
        .find(|(_, g, _)| g == grant)
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("grant just inserted is missing")))?;
    audit::record(
        &txn,
        meta,
        Entry::new(AuditAction::GrantAdded)
            .actor(caller.user_id)
            .target("user", id)
            .details(serde_json::json!({"grant_id": gid, "role": rs.role, "scope": rs.scope})),
    )
    .await?;
    txn.commit().await?;
    sessions.forget([id]);
    tracing::info!(user_id = id, grant_id = gid, role = %rs.role, by = caller.user_id.0, "role granted");
    Ok(Grant {
        id: GrantId(gid),
        role: rs.role,
        scope: rs.scope,
        granted_at: at,
    })
}

/// Revokes grant `grant_id` of user `id` (404 when it is not theirs); their sessions end at once.
pub async fn revoke_grant(
    db: &DatabaseConnection,
    sessions: &Sessions,
    caller: &Caller,
    meta: &RequestMeta,
    id: i64,
    grant_id: i64,
) -> ApiResult<()> {
    let txn = crate::db::begin_write(db).await?;
    let grant = role_grant::Entity::find_by_id(grant_id)
        .one(&txn)
        .await?
        .filter(|g| g.user_id == id)
        .ok_or_else(|| ApiError::not_found("Il ruolo"))?;
    let deleted = role_grant::Entity::delete_many()
        .filter(role_grant::Column::Id.eq(grant_id))
        .filter(role_grant::Column::UserId.eq(id))
        .exec(&txn)
        .await?;
    if deleted.rows_affected == 0 {
        return Err(ApiError::not_found("Il ruolo"));
    }
    crate::auth::end_sessions(&txn, sessions, [id]).await?;
    audit::record(
        &txn,
        meta,
        Entry::new(AuditAction::GrantRevoked)
            .actor(caller.user_id)
            .target("user", id)
            .details(
                serde_json::json!({"grant_id": grant_id, "role": grant.role, "scope": grant.scope}),
            ),
    )
    .await?;
    txn.commit().await?;
    tracing::info!(
        user_id = id,
        grant_id,
        by = caller.user_id.0,
        "role revoked"
    );
    Ok(())
}
