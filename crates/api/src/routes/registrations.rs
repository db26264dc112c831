//! Onboarding of authorities: a legal representative signs up for an authority, uploads the signed
//! Protocollo di Collaborazione (PDF), and the secretariat approves (granting `authority_rep`) or
//! rejects with a reason, after which the representative may upload a corrected protocol.

use crate::app::registrations;
use crate::audit::RequestMeta;
use crate::auth::Caller;
use crate::error::ApiResult;
use crate::extract::{Body, LazyBody, Query};
use crate::notify::PublicUrl;
use crate::registry::Registry;
use crate::storage::Storage;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, put, web};
use affianca_domain::dto::{CreateRegistrationRequest, Registration, RejectRegistrationRequest};
use sea_orm::DatabaseConnection;
use serde::Deserialize;
use utoipa::IntoParams;

/// Largest protocol accepted.
pub const PROTOCOL_MAX_BYTES: u64 = 10 * 1024 * 1024;

/// Sign up as the legal representative of an authority (no login needed).
///
/// Creates the account (which can log in at once, without roles) and the registration, which then
/// waits for the signed protocol. An authority has at most one registration that is not rejected.
#[utoipa::path(
    tag = "onboarding",
    security(()),
    request_body = CreateRegistrationRequest,
    responses(
        (status = 201, description = "Registered; upload the protocol next", body = Registration, headers(("Location" = String))),
        crate::openapi::BadRequest,
        (status = 409, description = "The authority already has a pending or approved registration, or the e-mail is taken", body = affianca_domain::dto::Problem, content_type = "application/problem+json"),
        crate::openapi::UnsupportedMediaType,
        crate::openapi::Unprocessable,
    )
)]
#[post("/registrations")]
pub async fn create_registration(
    db: web::Data<DatabaseConnection>,
    registry: web::Data<Registry>,
    meta: RequestMeta,
    body: Body<CreateRegistrationRequest>,
) -> ApiResult<HttpResponse> {
    let snapshot = registry.snapshot(&db).await?;
    let dto = registrations::create(db.get_ref(), &snapshot, &meta, body.0).await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/registrations/{}", dto.id),
        ))
        .json(dto))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListRegistrationsQuery {
    /// `awaiting_protocol`, `submitted` (the approval queue), `approved` or `rejected`.
    pub status: Option<String>,
}

/// Registrations: all of them for the secretariat (the approval queue is `status=submitted`),
/// one's own for anyone else. Oldest submission first.
#[utoipa::path(
    tag = "onboarding",
    security(("bearer" = [])),
    params(ListRegistrationsQuery),
    responses(
        (status = 200, description = "Registrations", body = Vec<Registration>),
        crate::openapi::Unauthorized,
        crate::openapi::Unprocessable,
    )
)]
#[get("/registrations")]
pub async fn list_registrations(
    db: web::Data<DatabaseConnection>,
    caller: Caller,
    query: Query<ListRegistrationsQuery>,
) -> ApiResult<HttpResponse> {
    let status = query.status.as_deref().filter(|s| !s.is_empty());
    Ok(HttpResponse::Ok().json(registrations::list(db.get_ref(), &caller, status).await?))
}

/// One registration (the secretariat, or the person who registered; 404 for anyone else).
#[utoipa::path(
    tag = "onboarding",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Registration id")),
    responses(
        (status = 200, description = "The registration", body = Registration),
        crate::openapi::Unauthorized,
        crate::openapi::NotFound,
    )
)]
#[get("/registrations/{id}")]
pub async fn get_registration(
    db: web::Data<DatabaseConnection>,
    caller: Caller,
    path: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    Ok(
        HttpResponse::Ok()
            .json(registrations::get(db.get_ref(), &caller, path.into_inner()).await?),
    )
}

/// Upload the signed Protocollo di Collaborazione (the person who registered).
///
/// The body is the PDF itself (`Content-Type: application/pdf`), at most 10 MB; it is checked by
/// content. The registration goes to the secretariat's approval queue. Allowed while awaiting the
/// protocol and after a rejection (to resubmit).
#[utoipa::path(
    tag = "onboarding",
    security(("bearer" = [])),
    params(
        ("id" = i64, Path, description = "Registration id"),
        ("X-File-Name" = Option<String>, Header, description = "The original file name, kept for the secretariat"),
    ),
    request_body(content = Vec<u8>, content_type = "application/pdf", description = "The signed protocol (PDF)"),
    responses(
        (status = 200, description = "Uploaded; the registration is submitted", body = Registration),
        crate::openapi::Unauthorized,
        crate::openapi::NotFound,
        (status = 409, description = "The registration is already submitted or approved", body = affianca_domain::dto::Problem, content_type = "application/problem+json"),
        (status = 413, description = "Larger than 10 MB", body = affianca_domain::dto::Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not a PDF (checked by content: the header, `%%EOF`, `startxref` and the cross-reference it points to), or a name whose extension is not `.pdf`", body = affianca_domain::dto::Problem, content_type = "application/problem+json"),
    )
)]
#[put("/registrations/{id}/protocol")]
#[expect(
    clippy::too_many_arguments,
    reason = "each argument is an actix extractor"
)]
pub async fn upload_protocol(
    req: HttpRequest,
    db: web::Data<DatabaseConnection>,
    storage: web::Data<Storage>,
    base: web::Data<PublicUrl>,
    caller: Caller,
    meta: RequestMeta,
    path: web::Path<i64>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let r = registrations::awaiting_protocol(db.get_ref(), &caller, path.into_inner()).await?;
    let original = file_name_header(&req).unwrap_or_else(|| "protocollo.pdf".into());
    let blob = storage
        .receive_named(payload, PROTOCOL_MAX_BYTES, &original)
        .await?;
    let dto = registrations::submit_protocol(
        db.get_ref(),
        &base,
        &storage,
        &caller,
        &meta,
        r,
        &blob,
        &original,
    )
    .await?;
    Ok(HttpResponse::Ok().json(dto))
}

/// Download the uploaded protocol (the secretariat, or the person who registered).
#[utoipa::path(
    tag = "onboarding",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Registration id")),
    responses(
        (status = 200, description = "The PDF, as an attachment", content_type = "application/pdf", body = Vec<u8>),
        crate::openapi::Unauthorized,
        crate::openapi::NotFound,
    )
)]
#[get("/registrations/{id}/protocol")]
pub async fn download_protocol(
    req: HttpRequest,
    db: web::Data<DatabaseConnection>,
    storage: web::Data<Storage>,
    caller: Caller,
    path: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    let (file, name) = registrations::protocol(db.get_ref(), &caller, path.into_inner()).await?;
    storage.download(&req, &file, &name).await
}

/// Approve a submitted registration (secretariat): the representative gets `authority_rep`.
#[utoipa::path(
    tag = "onboarding",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Registration id")),
    responses(
        (status = 200, description = "Approved", body = Registration),
        crate::openapi::Unauthorized,
        crate::openapi::Forbidden,
        crate::openapi::NotFound,
        (status = 409, description = "Not submitted (no protocol yet, or already decided)", body = affianca_domain::dto::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/registrations/{id}/approve")]
pub async fn approve_registration(
    db: web::Data<DatabaseConnection>,
    sessions: web::Data<crate::auth::Sessions>,
    base: web::Data<PublicUrl>,
    caller: Caller,
    meta: RequestMeta,
    path: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    let dto = registrations::approve(
        db.get_ref(),
        &sessions,
        &base,
        &caller,
        &meta,
        path.into_inner(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(dto))
}

/// Reject a submitted registration with a reason (secretariat). The representative may upload a
/// corrected protocol, which submits it again.
#[utoipa::path(
    tag = "onboarding",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Registration id")),
    request_body = RejectRegistrationRequest,
    responses(
        (status = 200, description = "Rejected", body = Registration),
        crate::openapi::BadRequest,
        crate::openapi::Unauthorized,
        crate::openapi::Forbidden,
        crate::openapi::NotFound,
        (status = 409, description = "Not submitted (no protocol yet, or already decided)", body = affianca_domain::dto::Problem, content_type = "application/problem+json"),
        crate::openapi::UnsupportedMediaType,
        crate::openapi::Unprocessable,
    )
)]
#[post("/registrations/{id}/reject")]
pub async fn reject_registration(
    db: web::Data<DatabaseConnection>,
    base: web::Data<PublicUrl>,
    caller: Caller,
    meta: RequestMeta,
    path: web::Path<i64>,
    body: LazyBody<RejectRegistrationRequest>,
) -> ApiResult<HttpResponse> {
    let body = Body(body.parse()?);
    let dto = registrations::reject(
        db.get_ref(),
        &base,
        &caller,
        &meta,
        path.into_inner(),
        body.0.reason,
    )
    .await?;
    Ok(HttpResponse::Ok().json(dto))
}

/// The original name of an uploaded file, from `X-File-Name` (clients percent-encode names that
/// are not ASCII: `citt%C3%A0.pdf`); only its last path component, at most 255 characters.
pub fn file_name_header(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get("x-file-name")
        .and_then(|v| v.to_str().ok())
        .map(|s| {
            url::form_urlencoded::parse(format!("n={}", s.trim().replace('+', "%2B")).as_bytes())
                .map(|(_, v)| v.into_owned())
                .next()
                .unwrap_or_default()
        })
        .map(|s| {
            s.rsplit(['/', '\\'])
                .next()
                .unwrap_or_default()
                .chars()
                .filter(|c| !c.is_control())
                .take(255)
                .collect::<String>()
        })
        .filter(|s| !s.trim().is_empty())
}
