//! Task forces and the catalog of procedure types. Everyone signed in reads it; the secretariat
//! edits it. Updates are guarded by `If-Match` so that two editors cannot overwrite each other.

use crate::app::catalog;
use crate::audit::RequestMeta;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::Query;
use crate::extract::{Body, LazyBody, if_match};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use affianca_domain::TaskForce;
use affianca_domain::dto::{
    CreateProcedureRequest, Procedure, TaskForceInfo, UpdateProcedureRequest,
};
use sea_orm::DatabaseConnection;
use serde::Deserialize;
use utoipa::IntoParams;

fn with_etag(mut res: actix_web::HttpResponseBuilder, p: &Procedure) -> HttpResponse {
    res.insert_header((header::ETAG, catalog::procedure_etag(p)))
        .json(p)
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
    Ok(HttpResponse::Ok().json(catalog::task_forces(db.get_ref()).await?))
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
    let task_force = match query.task_force.as_deref().filter(|s| !s.is_empty()) {
        Some(tf) => Some(
            TaskForce::parse(tf)
                .map_err(|e| ApiError::invalid_field("task_force", e.to_string()))?,
        ),
        None => None,
    };
    let include_inactive = query.include_inactive.unwrap_or(false);
    Ok(HttpResponse::Ok()
        .json(catalog::procedures(db.get_ref(), task_force, include_inactive).await?))
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
    let p = catalog::procedure(db.get_ref(), path.into_inner()).await?;
    Ok(with_etag(HttpResponse::Ok(), &p))
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
    let p = catalog::create(db.get_ref(), &caller, &meta, body.0).await?;
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
    // 404 for an unknown procedure comes before 428 for a missing If-Match.
    catalog::procedure(db.get_ref(), id).await?;
    let expected = if_match(&req)?;
    let p = catalog::update(db.get_ref(), &caller, &meta, id, &expected, body.0).await?;
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
    catalog::deactivate(db.get_ref(), &caller, &meta, path.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}
