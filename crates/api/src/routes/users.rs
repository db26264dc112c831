//! User accounts and role grants, managed by admins.

use crate::app::users;
use crate::audit::RequestMeta;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::Query;
use crate::extract::{Body, LazyBody};
use crate::routes::Paging;
use actix_web::http::header;
use actix_web::{HttpResponse, delete, get, post, web};
use affianca_domain::Role;
use affianca_domain::dto::{CreateUserRequest, FieldError, Grant, GrantRequest, Page, User};
use sea_orm::DatabaseConnection;
use serde::Deserialize;
use utoipa::IntoParams;

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
    let q = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
    Ok(HttpResponse::Ok()
        .json(users::list(db.get_ref(), q, role, paging.limit, paging.offset).await?))
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
    let u = users::create(db.get_ref(), &caller, &meta, body.0).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/users/{}", u.id)))
        .json(u))
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
    Ok(HttpResponse::Ok().json(users::get(db.get_ref(), path.into_inner()).await?))
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
    let g = users::add_grant(db.get_ref(), &sessions, &caller, &meta, id, body.0).await?;
    Ok(HttpResponse::Created()
        .insert_header((
            actix_web::http::header::LOCATION,
            format!("/api/v1/users/{id}/grants/{}", g.id),
        ))
        .json(g))
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
    users::revoke_grant(db.get_ref(), &sessions, &caller, &meta, id, grant_id).await?;
    Ok(HttpResponse::NoContent().finish())
}
