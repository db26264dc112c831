//! User accounts and role grants, managed by admins.

use crate::app::accounts;
use crate::audit::{self, Entry, RequestMeta};
use crate::auth::{Caller, password};
use crate::entities::{role_grant, user};
use crate::error::{ApiError, ApiResult};
use crate::extract::Query;
use crate::extract::{Body, LazyBody};
use crate::routes::Paging;
use actix_web::http::header;
use actix_web::{HttpResponse, delete, get, post, web};
use affianca_domain::dto::{CreateUserRequest, FieldError, Grant, GrantRequest, Page, User};
use affianca_domain::{AuditAction, Email, GrantId, Role, RoleScope, Scope, UserId};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use serde::Deserialize;
use std::collections::HashMap;
use utoipa::IntoParams;

/// A user's grants: (id, role in scope, when granted). Rows that no longer parse are skipped.
pub async fn load_grants(
    db: &impl ConnectionTrait,
    user_id: i64,
) -> Result<Vec<(i64, RoleScope, DateTime<Utc>)>, sea_orm::DbErr> {
    let rows = role_grant::Entity::find()
        .filter(role_grant::Column::UserId.eq(user_id))
        .order_by_asc(role_grant::Column::Id)
        .all(db)
        .await?;
    Ok(rows.into_iter().filter_map(parse_grant).collect())
}

fn parse_grant(g: role_grant::Model) -> Option<(i64, RoleScope, DateTime<Utc>)> {
    let parsed = Role::parse(&g.role)
        .ok()
        .zip(Scope::parse(&g.scope).ok())
        .and_then(|(r, s)| RoleScope::new(r, s).ok());
    if parsed.is_none() {
        tracing::warn!(grant_id = g.id, "skipping a role grant that does not parse");
    }
    parsed.map(|rs| (g.id, rs, g.granted_at))
}

pub fn user_dto(u: user::Model, grants: Vec<(i64, RoleScope, DateTime<Utc>)>) -> User {
    User {
        id: UserId(u.id),
        // Stored e-mails were parsed on the way in.
        email: Email::parse(&u.email)
            .unwrap_or_else(|_| Email::parse("invalid@invalid.invalid").expect("valid")),
        full_name: u.full_name,
        active: u.active,
        created_at: u.created_at,
        grants: grants
            .into_iter()
            .map(|(id, g, at)| Grant {
                id: GrantId(id),
                role: g.role,
                scope: g.scope,
                granted_at: at,
            })
            .collect(),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListUsersQuery {
    /// Part of the e-mail or name, case-insensitive.
    pub q: Option<String>,
    /// Only users holding this role.
    pub role: Option<String>,
    /// 1–200, default 50.
    pub limit: Option<u64>,
    pub offset: Option<u64>,
}

/// List user accounts (admin).
#[utoipa::path(
    tag = "users",
    security(("bearer" = [])),
    params(ListUsersQuery),
    responses(
        (status = 200, description = "A page of users with their grants", body = Page<User>,
            example = json!({"items": [{"id": 7, "email": "osservatore.bg@demo.affianca.it", "full_name": "Ufficio PNRR Provincia di Bergamo", "active": true, "created_at": "2026-01-15T09:30:00Z", "grants": [{"id": 7, "role": "observer", "scope": "province:BG", "granted_at": "2026-01-15T09:30:00Z"}]}], "total": 1, "limit": 50, "offset": 0})),
        crate::openapi::Unauthorized,
        crate::openapi::Forbidden,
        crate::openapi::Unprocessable,
    )
)]
#[get("/users")]
pub async fn list_users(
    db: web::Data<DatabaseConnection>,
    _caller: Caller,
    query: Query<ListUsersQuery>,
) -> ApiResult<HttpResponse> {
    let mut errors = Vec::new();
    let paging = Paging::parse(query.limit, query.offset, &mut errors);
    let role = match query.role.as_deref() {
        None => None,
        Some(r) => match Role::parse(r) {
            Ok(r) => Some(r),
            Err(e) => {
                errors.push(FieldError {
                    field: "role".into(),
                    message: e.to_string(),
                });
                None
            }
        },
    };
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let mut select = user::Entity::find();
    if let Some(q) = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
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
    let total = select.clone().count(db.get_ref()).await?;
    let users = select
        .order_by_asc(user::Column::Email)
        .limit(paging.limit)
        .offset(paging.offset)
        .all(db.get_ref())
        .await?;
    let ids: Vec<i64> = users.iter().map(|u| u.id).collect();
    let mut grants: HashMap<i64, Vec<_>> = HashMap::new();
    for g in role_grant::Entity::find()
        .filter(role_grant::Column::UserId.is_in(ids))
        .order_by_asc(role_grant::Column::Id)
        .all(db.get_ref())
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
    Ok(HttpResponse::Ok().json(Page {
        items,
        total,
        limit: paging.limit,
        offset: paging.offset,
    }))
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
    db: &DatabaseConnection,
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

/// Create a user account with an initial password and grants (admin).
#[utoipa::path(
    tag = "users",
    security(("bearer" = [])),
    request_body = CreateUserRequest,
    responses(
        (status = 201, description = "Created; `Location` names the new user", body = User),
        crate::openapi::BadRequest,
        crate::openapi::Unauthorized,
        crate::openapi::Forbidden,
        crate::openapi::Conflict,
        crate::openapi::UnsupportedMediaType,
        crate::openapi::Unprocessable,
    )
)]
#[post("/users")]
pub async fn create_user(
    db: web::Data<DatabaseConnection>,
    caller: Caller,
    meta: RequestMeta,
    body: LazyBody<CreateUserRequest>,
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
    if let Err(m) = password::check_policy(&req.password) {
        errors.push(FieldError {
            field: "password".into(),
            message: m,
        });
    }
    let checked = check_grants(&req.grants, &mut errors);
    for (i, g) in &checked {
        ensure_authority_exists(&db, &g.scope, format!("grants[{i}].scope"), &mut errors).await?;
    }
    let grants: Vec<RoleScope> = checked.into_iter().map(|(_, g)| g).collect();
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
            "Esiste già un utente con l'e-mail {}.",
            req.email
        )));
    }
    let created = accounts::create_user(
        &db,
        &req.email,
        name,
        &req.password,
        &grants,
        Some(caller.user_id.0),
    )
    .await
    .map_err(|e| {
        // Two admins creating the same e-mail at once: the unique index decides.
        if e.to_string().to_lowercase().contains("unique") {
            ApiError::conflict(format!("Esiste già un utente con l'e-mail {}.", req.email))
        } else {
            ApiError::internal(e)
        }
    })?;
    let granted: Vec<String> = grants
        .iter()
        .map(|g| format!("{} {}", g.role, g.scope))
        .collect();
    audit::record(
        db.get_ref(),
        &meta,
        Entry::new(AuditAction::UserCreated)
            .actor(caller.user_id)
            .target("user", created.id)
            .details(serde_json::json!({"email": created.email, "grants": granted})),
    )
    .await?;
    tracing::info!(user_id = created.id, by = caller.user_id.0, "user created");
    let grants = load_grants(db.get_ref(), created.id).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/users/{}", created.id)))
        .json(user_dto(created, grants)))
}

/// One user account with its grants (admin).
#[utoipa::path(
    tag = "users",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "User id")),
    responses(
        (status = 200, description = "The user", body = User),
        crate::openapi::Unauthorized,
        crate::openapi::Forbidden,
        crate::openapi::NotFound,
    )
)]
#[get("/users/{id}")]
pub async fn get_user(
    db: web::Data<DatabaseConnection>,
    _caller: Caller,
    path: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    let id = path.into_inner();
    let u = user::Entity::find_by_id(id)
        .one(db.get_ref())
        .await?
        .ok_or_else(|| ApiError::not_found("L'utente"))?;
    let grants = load_grants(db.get_ref(), id).await?;
    Ok(HttpResponse::Ok().json(user_dto(u, grants)))
}

/// Grant a role in a scope to a user (admin).
///
/// Granting a role the user already holds in that scope answers 409. The new grant works at once,
/// with the access token the user already has.
#[utoipa::path(
    tag = "users",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "User id")),
    request_body = GrantRequest,
    responses(
        (status = 201, description = "Granted; `Location` names the grant (for `DELETE`)", body = Grant, headers(("Location" = String))),
        crate::openapi::BadRequest,
        crate::openapi::Unauthorized,
        crate::openapi::Forbidden,
        crate::openapi::NotFound,
        crate::openapi::Conflict,
        crate::openapi::UnsupportedMediaType,
        crate::openapi::Unprocessable,
    )
)]
#[post("/users/{id}/grants")]
pub async fn add_grant(
    db: web::Data<DatabaseConnection>,
    sessions: web::Data<crate::auth::Sessions>,
    caller: Caller,
    meta: RequestMeta,
    path: web::Path<i64>,
    body: LazyBody<GrantRequest>,
) -> ApiResult<HttpResponse> {
    let body = Body(body.parse()?);
    let id = path.into_inner();
    user::Entity::find_by_id(id)
        .one(db.get_ref())
        .await?
        .ok_or_else(|| ApiError::not_found("L'utente"))?;
    let mut errors = Vec::new();
    let grants: Vec<RoleScope> = check_grants(std::slice::from_ref(&body.0), &mut errors)
        .into_iter()
        .map(|(_, g)| g)
        .collect();
    if let Some(g) = grants.first() {
        ensure_authority_exists(&db, &g.scope, "scope".into(), &mut errors).await?;
    }
    if !errors.is_empty() {
        for e in &mut errors {
            e.field = "scope".into();
        }
        return Err(ApiError::validation(errors));
    }
    let grant = &grants[0];
    let before = load_grants(db.get_ref(), id).await?;
    if before.iter().any(|(_, g, _)| g == grant) {
        return Err(ApiError::conflict(format!(
            "L'utente ha già il ruolo «{}» con ambito {}.",
            grant.role.label(),
            grant.scope
        )));
    }
    accounts::insert_grants(
        db.get_ref(),
        id,
        std::slice::from_ref(grant),
        Some(caller.user_id.0),
    )
    .await?;
    sessions.forget([id]);
    let (gid, rs, at) = load_grants(db.get_ref(), id)
        .await?
        .into_iter()
        .find(|(_, g, _)| g == grant)
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("grant just inserted is missing")))?;
    audit::record(
        db.get_ref(),
        &meta,
        Entry::new(AuditAction::GrantAdded)
            .actor(caller.user_id)
            .target("user", id)
            .details(serde_json::json!({"grant_id": gid, "role": rs.role, "scope": rs.scope})),
    )
    .await?;
    tracing::info!(user_id = id, grant_id = gid, role = %rs.role, by = caller.user_id.0, "role granted");
    Ok(HttpResponse::Created()
        .insert_header((
            actix_web::http::header::LOCATION,
            format!("/api/v1/users/{id}/grants/{gid}"),
        ))
        .json(Grant {
            id: GrantId(gid),
            role: rs.role,
            scope: rs.scope,
            granted_at: at,
        }))
}

/// Revoke one of a user's grants (admin).
///
/// The user's sessions end: refresh tokens are revoked and the access tokens already issued stop
/// working at once (401); the user logs in again with the grants left.
#[utoipa::path(
    tag = "users",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "User id"), ("grant_id" = i64, Path, description = "Grant id")),
    responses(
        (status = 204, description = "Revoked"),
        crate::openapi::Unauthorized,
        crate::openapi::Forbidden,
        crate::openapi::NotFound,
    )
)]
#[delete("/users/{id}/grants/{grant_id}")]
pub async fn revoke_grant(
    db: web::Data<DatabaseConnection>,
    sessions: web::Data<crate::auth::Sessions>,
    caller: Caller,
    meta: RequestMeta,
    path: web::Path<(i64, i64)>,
) -> ApiResult<HttpResponse> {
    let (id, grant_id) = path.into_inner();
    let grant = role_grant::Entity::find_by_id(grant_id)
        .one(db.get_ref())
        .await?
        .filter(|g| g.user_id == id)
        .ok_or_else(|| ApiError::not_found("Il ruolo"))?;
    let deleted = role_grant::Entity::delete_many()
        .filter(role_grant::Column::Id.eq(grant_id))
        .filter(role_grant::Column::UserId.eq(id))
        .exec(db.get_ref())
        .await?;
    if deleted.rows_affected == 0 {
        return Err(ApiError::not_found("Il ruolo"));
    }
    crate::auth::end_sessions(db.get_ref(), &sessions, [id]).await?;
    audit::record(
        db.get_ref(),
        &meta,
        Entry::new(AuditAction::GrantRevoked)
            .actor(caller.user_id)
            .target("user", id)
            .details(
                serde_json::json!({"grant_id": grant_id, "role": grant.role, "scope": grant.scope}),
            ),
    )
    .await?;
    tracing::info!(
        user_id = id,
        grant_id,
        by = caller.user_id.0,
        "role revoked"
    );
    Ok(HttpResponse::NoContent().finish())
}
