//! Experts and coordinators (DOMAIN.md §1): the secretariat adds experts (who get an e-mail to
//! set their password) and appoints coordinators; experts keep their professional profile up to
//! date; programme staff see the directory.

use crate::app::experts;
use crate::audit::RequestMeta;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Body, LazyBody, Query, if_match};
use crate::notify::PublicUrl;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use affianca_domain::dto::{
    AppointCoordinatorRequest, CreateExpertRequest, ExpertProfile, FieldError, UpdateExpertRequest,
};
use affianca_domain::{ProvinceCode, TaskForce};
use sea_orm::DatabaseConnection;
use serde::Deserialize;
use utoipa::IntoParams;

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
    let dto = experts::create(db.get_ref(), &base, &caller, &meta, body.0).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/experts/{}", dto.user_id)))
        .insert_header((header::ETAG, experts::expert_etag(&dto)))
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
    Ok(HttpResponse::Ok()
        .json(experts::list(db.get_ref(), tf, province, query.q.as_deref()).await?))
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
    let dto = experts::get(db.get_ref(), path.into_inner()).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, experts::expert_etag(&dto)))
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
    let dto = experts::update(
        db.get_ref(),
        &sessions,
        &caller,
        &meta,
        path.into_inner(),
        if_match(&req),
        body.0,
    )
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, experts::expert_etag(&dto)))
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
    experts::appoint_coordinator(
        db.get_ref(),
        &sessions,
        &caller,
        &meta,
        &path,
        body.0.user_id.0,
    )
    .await?;
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
    experts::remove_coordinator(db.get_ref(), &sessions, &caller, &meta, &code, uid).await?;
    Ok(HttpResponse::NoContent().finish())
}
