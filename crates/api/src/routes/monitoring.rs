//! Monitoring data of an authority (DOMAIN.md §5): the file register (upload, single-file writes),
//! the semester tables (computed or typed in), their validation by the secretariat, and the
//! baseline and targets.
//!
//! Who: the authority's representative and delegates, and the secretariat, write; observers of
//! the province, experts on the authority's requests, coordinators and admins read.

use crate::app::{register, semesters, sight, targets};
use crate::audit::RequestMeta;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, PROBLEM_JSON};
use crate::extract::{Body, LazyBody, Query};
use crate::notify::PublicUrl;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, delete, get, post, put, web};
use affianca_domain::Period;
use affianca_domain::dto::{
    AuthorityTargets, FieldError, FileWrite, ManualEntry, MeasurementChange, MonitoringSettings,
    Page, RegisterFile, RegisterFileInput, RegisterImport, SemesterQueueItem, SemesterReport,
    SemesterStatus, SemesterTransition, TargetOverride,
};
use affianca_domain::register::RegisterErrors;
use futures_util::StreamExt;
use sea_orm::DatabaseConnection;
use serde::Deserialize;
use utoipa::IntoParams;

/// The largest register accepted in one upload, and its rows.
pub const REGISTER_MAX_BYTES: usize = 50 * 1024 * 1024;

/// The 422 of a register: every bad row, with row, column, value and reason.
pub fn register_problem(errors: &RegisterErrors) -> HttpResponse {
    let body = serde_json::json!({
        "type": "https://affianca.example/problems/register_invalid",
        "title": "Registro non valido",
        "status": 422,
        "code": "register_invalid",
        "detail": format!(
            "Il registro contiene {} errori: nessuna pratica è stata salvata. Correggere le righe indicate e ricaricarlo.",
            errors.total
        ),
        "errors": errors.errors.iter().map(|e| FieldError {
            field: format!("riga {} · {}", e.row, e.column),
            message: e.reason.clone(),
        }).collect::<Vec<_>>(),
        "row_errors": errors.errors,
        "total_errors": errors.total,
    });
    HttpResponse::build(StatusCode::UNPROCESSABLE_ENTITY)
        .insert_header((header::CONTENT_TYPE, PROBLEM_JSON))
        .body(body.to_string())
}

async fn read_body(mut payload: web::Payload, max: usize) -> ApiResult<Vec<u8>> {
    let mut body = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|e| ApiError::bad_request(format!("Caricamento interrotto: {e}")))?;
        if body.len() + chunk.len() > max {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "File troppo grande",
            )
            .detail(format!(
                "Il registro supera il limite di {} MB: dividerlo in più file.",
                max / (1024 * 1024)
            )));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// `true`: check the register and show the indicators without saving anything.
    #[serde(default)]
    pub dry_run: bool,
}

/// Upload the file register of an authority (CSV or XLSX, the headers of DOMAIN.md §5).
///
/// All-or-nothing: any bad row is a 422 listing every error (row, column, value, reason; the
/// first 1,000) and nothing is saved. Otherwise the files are added or updated by `codice_pratica`
/// (files not in the upload stay), the authority's semesters are recomputed, and the answer says
/// what changed. Locked semesters keep their values. With `dry_run=true` nothing is saved.
#[utoipa::path(
    tag = "monitoring",
    security(("bearer" = [])),
    params(("istat_code" = String, Path, description = "ISTAT code of the authority"), ImportQuery),
    request_body(content = Vec<u8>, content_type = "text/csv", description = "The register: CSV (UTF-8, `;` or `,`) or an XLSX workbook (first sheet)"),
    responses(
        (status = 200, description = "Imported (or previewed)", body = RegisterImport),
        crate::openapi::Unauthorized,
        crate::openapi::Forbidden,
        crate::openapi::NotFound,
        crate::openapi::PayloadTooLarge,
        (status = 422, description = "Bad rows: `row_errors` lists each (row, column, value, reason); nothing saved", content_type = "application/problem+json", body = affianca_domain::dto::RegisterProblem),
    )
)]
#[post("/authorities/{istat_code}/register")]
pub async fn import_register(
    db: web::Data<DatabaseConnection>,
    base: web::Data<PublicUrl>,
    caller: Caller,
    meta: RequestMeta,
    path: web::Path<String>,
    query: Query<ImportQuery>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let a = sight::authority(db.get_ref(), &path).await?;
    sight::monitoring(db.get_ref(), &caller, &a)
        .await?
        .require_write()?;
    let bytes = read_body(payload, REGISTER_MAX_BYTES).await?;
    match register::import(
        db.get_ref(),
        &base,
        &caller,
        &meta,
        &a,
        bytes,
        query.dry_run,
    )
    .await?
    {
        Ok(summary) => Ok(HttpResponse::Ok().json(summary)),
        Err(errors) => Ok(register_problem(&errors)),
    }
}

/// Write one file of the register (for case-management software): created or replaced by its
/// code; only the semesters it touches are recomputed.
#[utoipa::path(
    tag = "monitoring",
    security(("bearer" = [])),
    params(("istat_code" = String, Path, description = "ISTAT code of the authority"),
        ("codice_pratica" = String, Path, description = "The authority's own code of the file")),
    request_body = RegisterFileInput,
    responses(
        (status = 200, description = "Replaced", body = FileWrite),
        (status = 201, description = "Created", body = FileWrite, headers(("Location" = String))),
        crate::openapi::Unauthorized,
        crate::openapi::Forbidden,
        crate::openapi::NotFound,
        crate::openapi::Unprocessable,
    )
)]
#[put("/authorities/{istat_code}/files/{codice_pratica}")]
pub async fn put_file(
    db: web::Data<DatabaseConnection>,
    base: web::Data<PublicUrl>,
    caller: Caller,
    meta: RequestMeta,
    path: web::Path<(String, String)>,
    body: LazyBody<RegisterFileInput>,
) -> ApiResult<HttpResponse> {
    let (code, file_code) = path.into_inner();
    let a = sight::authority(db.get_ref(), &code).await?;
    sight::monitoring(db.get_ref(), &caller, &a)
        .await?
        .require_write()?;
    let body = Body(body.parse()?);
    let out =
        register::put_file(db.get_ref(), &base, &caller, &meta, &a, &file_code, body.0).await?;
    let created = out.created;
    Ok(if created {
        let mut location =
            url::Url::parse("http://localhost/api/v1/authorities/").expect("a valid base");
        location
            .path_segments_mut()
            .expect("a base with a path")
            .pop_if_empty()
            .push(&code)
            .push("files")
            .push(&file_code);
        HttpResponse::Created()
            .insert_header((actix_web::http::header::LOCATION, location.path()))
            .json(out)
    } else {
        HttpResponse::Ok().json(out)
    })
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FilesQuery {
    /// Only this procedure (`PDC`).
    pub procedure: Option<String>,
    /// 1–200, default 50.
    pub limit: Option<u64>,
    pub offset: Option<u64>,
}

/// The files of an authority's register, by code, a page at a time.
#[utoipa::path(
    tag = "monitoring",
    security(("bearer" = [])),
    params(("istat_code" = String, Path, description = "ISTAT code of the authority"), FilesQuery),
    responses(
        (status = 200, description = "A page of files and the total count", body = Page<RegisterFile>,
            example = json!({"items": [{"code": "PDC-2023-0042", "procedure": "PDC", "start_date": "2023-01-10", "term_days": 60,
                "decision_date": "2023-03-01", "silent_assent_date": null, "conference": false, "suspension_days": 0,
                "updated_at": "2026-11-20T09:30:00Z"}], "total": 1, "limit": 50, "offset": 0})),
        crate::openapi::Unauthorized,
        crate::openapi::Forbidden,
        crate::openapi::NotFound,
        crate::openapi::Unprocessable,
    )
)]
#[get("/authorities/{istat_code}/files")]
pub async fn list_files(
    db: web::Data<DatabaseConnection>,
    caller: Caller,
    path: web::Path<String>,
    query: Query<FilesQuery>,
) -> ApiResult<HttpResponse> {
    let a = sight::authority(db.get_ref(), &path).await?;
    sight::monitoring(db.get_ref(), &caller, &a).await?;
    let mut errors = Vec::new();
    let paging = crate::routes::Paging::parse(query.limit, query.offset, &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let page = register::files(
        db.get_ref(),
        &caller,
        &a,
        query.procedure.as_deref(),
        paging.limit,
        paging.offset,
    )
    .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// One file of the register.
#[utoipa::path(
    tag = "monitoring",
    security(("bearer" = [])),
    params(("istat_code" = String, Path, description = "ISTAT code of the authority"),
        ("codice_pratica" = String, Path, description = "The authority's own code of the file")),
    responses(
        (status = 200, description = "The file", body = RegisterFile),
        crate::openapi::Unauthorized,
        crate::openapi::Forbidden,
        crate::openapi::NotFound,
    )
)]
#[get("/authorities/{istat_code}/files/{codice_pratica}")]
pub async fn get_file(
    db: web::Data<DatabaseConnection>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (code, file_code) = path.into_inner();
    let a = sight::authority(db.get_ref(), &code).await?;
    Ok(HttpResponse::Ok().json(register::file(db.get_ref(), &caller, &a, &file_code).await?))
}

/// Delete a file entered by mistake; its procedure's semesters are recomputed.
#[utoipa::path(
    tag = "monitoring",
    security(("bearer" = [])),
    params(("istat_code" = String, Path, description = "ISTAT code of the authority"),
        ("codice_pratica" = String, Path, description = "The authority's own code of the file")),
    responses(
        (status = 204, description = "Deleted"),
        crate::openapi::Unauthorized,
        crate::openapi::Forbidden,
        crate::openapi::NotFound,
    )
)]
#[delete("/authorities/{istat_code}/files/{codice_pratica}")]
pub async fn delete_file(
    db: web::Data<DatabaseConnection>,
    base: web::Data<PublicUrl>,
    caller: Caller,
    meta: RequestMeta,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (code, file_code) = path.into_inner();
    let a = sight::authority(db.get_ref(), &code).await?;
    sight::monitoring(db.get_ref(), &caller, &a)
        .await?
        .require_write()?;
    register::delete_file(db.get_ref(), &base, &caller, &meta, &a, &file_code).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The semesters of an authority, newest first: state, lock date, measurements.
#[utoipa::path(
    tag = "monitoring",
    security(("bearer" = [])),
    params(("istat_code" = String, Path, description = "ISTAT code of the authority")),
    responses(
        (status = 200, description = "Semesters", body = Vec<SemesterReport>),
        crate::openapi::Unauthorized,
        crate::openapi::Forbidden,
        crate::openapi::NotFound,
    )
)]
#[get("/authorities/{istat_code}/semesters")]
pub async fn list_semesters(
    db: web::Data<DatabaseConnection>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let a = sight::authority(db.get_ref(), &path).await?;
    Ok(HttpResponse::Ok().json(semesters::reports(db.get_ref(), &caller, &a, None).await?))
}

fn parse_period(s: &str) -> ApiResult<Period> {
    Period::parse(s).map_err(|e| ApiError::invalid_field("period", e.to_string()))
}

/// Type in the semester table of an authority (one row per procedure), for authorities without
/// a register: stored as measurements with `source = manual`, averages turned into sums of days.
#[utoipa::path(
    tag = "monitoring",
    security(("bearer" = [])),
    params(("istat_code" = String, Path, description = "ISTAT code of the authority"),
        ("period" = String, Path, description = "Semester, e.g. 2023S1")),
    request_body = ManualEntry,
    responses(
        (status = 200, description = "The semester", body = SemesterReport),
        crate::openapi::Unauthorized,
        crate::openapi::Forbidden,
        crate::openapi::NotFound,
        crate::openapi::Conflict,
        crate::openapi::Unprocessable,
    )
)]
#[put("/authorities/{istat_code}/semesters/{period}/measurements")]
pub async fn enter_measurements(
    db: web::Data<DatabaseConnection>,
    base: web::Data<PublicUrl>,
    caller: Caller,
    meta: RequestMeta,
    path: web::Path<(String, String)>,
    body: LazyBody<ManualEntry>,
) -> ApiResult<HttpResponse> {
    let (code, period) = path.into_inner();
    let a = sight::authority(db.get_ref(), &code).await?;
    sight::monitoring(db.get_ref(), &caller, &a)
        .await?
        .require_write()?;
    let body = Body(body.parse()?);
    let period = parse_period(&period)?;
    let out = semesters::enter(db.get_ref(), &base, &caller, &meta, &a, period, body.0).await?;
    Ok(HttpResponse::Ok().json(out))
}

/// Submit (the authority), validate, return with a comment, or reopen a locked semester (the
/// secretariat).
#[utoipa::path(
    tag = "monitoring",
    security(("bearer" = [])),
    params(("istat_code" = String, Path, description = "ISTAT code of the authority"),
        ("period" = String, Path, description = "Semester, e.g. 2023S1")),
    request_body = SemesterTransition,
    responses(
        (status = 200, description = "The semester after the action", body = SemesterReport),
        crate::openapi::Unauthorized,
        crate::openapi::Forbidden,
        crate::openapi::NotFound,
        crate::openapi::Conflict,
        crate::openapi::Unprocessable,
    )
)]
#[post("/authorities/{istat_code}/semesters/{period}/transitions")]
pub async fn semester_transition(
    db: web::Data<DatabaseConnection>,
    base: web::Data<PublicUrl>,
    caller: Caller,
    meta: RequestMeta,
    path: web::Path<(String, String)>,
    body: LazyBody<SemesterTransition>,
) -> ApiResult<HttpResponse> {
    let (code, period) = path.into_inner();
    let a = sight::authority(db.get_ref(), &code).await?;
    // Who may see the data hears 422 for a bad body; anyone else 403 first.
    sight::monitoring(db.get_ref(), &caller, &a).await?;
    let body = Body(body.parse()?);
    let period = parse_period(&period)?;
    let out =
        semesters::transition(db.get_ref(), &base, &caller, &meta, &a, period, body.0).await?;
    Ok(HttpResponse::Ok().json(out))
}

/// The changes made to the values of a validated semester: who, when, old → new.
#[utoipa::path(
    tag = "monitoring",
    security(("bearer" = [])),
    params(("istat_code" = String, Path, description = "ISTAT code of the authority"),
        ("period" = String, Path, description = "Semester, e.g. 2023S1")),
    responses(
        (status = 200, description = "Changes, newest first", body = Vec<MeasurementChange>),
        crate::openapi::Unauthorized,
        crate::openapi::Forbidden,
        crate::openapi::NotFound,
    )
)]
#[get("/authorities/{istat_code}/semesters/{period}/history")]
pub async fn semester_history(
    db: web::Data<DatabaseConnection>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (code, period) = path.into_inner();
    let a = sight::authority(db.get_ref(), &code).await?;
    sight::monitoring(db.get_ref(), &caller, &a).await?;
    let period = parse_period(&period)?;
    Ok(HttpResponse::Ok().json(semesters::history(db.get_ref(), &caller, &a, period).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QueueQuery {
    /// `submitted` (default): waiting for validation; or any other state.
    pub status: Option<String>,
}

/// The secretariat's validation queue: semesters in a state (submitted by default), oldest first.
#[utoipa::path(
    tag = "monitoring",
    security(("bearer" = [])),
    params(QueueQuery),
    responses(
        (status = 200, description = "Semesters", body = Vec<SemesterQueueItem>),
        crate::openapi::Unauthorized,
        crate::openapi::Forbidden,
        crate::openapi::Unprocessable,
    )
)]
#[get("/semester-reports")]
pub async fn semester_queue(
    db: web::Data<DatabaseConnection>,
    _caller: Caller,
    query: Query<QueueQuery>,
) -> ApiResult<HttpResponse> {
    let status = match query.status.as_deref() {
        None => SemesterStatus::Submitted,
        Some(s) => SemesterStatus::parse(s)
            .map_err(|e| ApiError::invalid_field("status", e.to_string()))?,
    };
    Ok(HttpResponse::Ok().json(semesters::queue(db.get_ref(), status).await?))
}

/// The programme's monitoring settings: baseline semester, lock period, target milestones.
#[utoipa::path(
    tag = "monitoring",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Settings", body = MonitoringSettings),
        crate::openapi::Unauthorized,
        crate::openapi::Forbidden,
    )
)]
#[get("/monitoring/settings")]
pub async fn get_settings(
    db: web::Data<DatabaseConnection>,
    _caller: Caller,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(targets::settings(db.get_ref()).await?))
}

/// Change the programme's settings (the secretariat).
#[utoipa::path(
    tag = "monitoring",
    security(("bearer" = [])),
    request_body = MonitoringSettings,
    responses(
        (status = 200, description = "Settings", body = MonitoringSettings),
        crate::openapi::Unauthorized,
        crate::openapi::Forbidden,
        crate::openapi::Unprocessable,
    )
)]
#[put("/monitoring/settings")]
pub async fn put_settings(
    db: web::Data<DatabaseConnection>,
    caller: Caller,
    meta: RequestMeta,
    body: LazyBody<MonitoringSettings>,
) -> ApiResult<HttpResponse> {
    let body = Body(body.parse()?);
    Ok(HttpResponse::Ok().json(targets::put_settings(db.get_ref(), &caller, &meta, body.0).await?))
}

/// The targets that apply to an authority (the programme's, or its override).
#[utoipa::path(
    tag = "monitoring",
    security(("bearer" = [])),
    params(("istat_code" = String, Path, description = "ISTAT code of the authority")),
    responses(
        (status = 200, description = "Targets", body = AuthorityTargets),
        crate::openapi::Unauthorized,
        crate::openapi::Forbidden,
        crate::openapi::NotFound,
    )
)]
#[get("/authorities/{istat_code}/targets")]
pub async fn get_targets(
    db: web::Data<DatabaseConnection>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let a = sight::authority(db.get_ref(), &path).await?;
    Ok(HttpResponse::Ok().json(targets::of(db.get_ref(), &caller, &a).await?))
}

/// Set an authority's own baseline and milestones (the secretariat).
#[utoipa::path(
    tag = "monitoring",
    security(("bearer" = [])),
    params(("istat_code" = String, Path, description = "ISTAT code of the authority")),
    request_body = TargetOverride,
    responses(
        (status = 200, description = "Targets", body = AuthorityTargets),
        crate::openapi::Unauthorized,
        crate::openapi::Forbidden,
        crate::openapi::NotFound,
        crate::openapi::Unprocessable,
    )
)]
#[put("/authorities/{istat_code}/targets")]
pub async fn put_targets(
    db: web::Data<DatabaseConnection>,
    caller: Caller,
    meta: RequestMeta,
    path: web::Path<String>,
    body: LazyBody<TargetOverride>,
) -> ApiResult<HttpResponse> {
    let body = Body(body.parse()?);
    let a = sight::authority(db.get_ref(), &path).await?;
    Ok(HttpResponse::Ok().json(targets::put(db.get_ref(), &caller, &meta, &a, body.0).await?))
}

/// Remove an authority's override: the programme's targets apply again.
#[utoipa::path(
    tag = "monitoring",
    security(("bearer" = [])),
    params(("istat_code" = String, Path, description = "ISTAT code of the authority")),
    responses(
        (status = 204, description = "Removed"),
        crate::openapi::Unauthorized,
        crate::openapi::Forbidden,
        crate::openapi::NotFound,
    )
)]
#[delete("/authorities/{istat_code}/targets")]
pub async fn delete_targets(
    db: web::Data<DatabaseConnection>,
    caller: Caller,
    meta: RequestMeta,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let a = sight::authority(db.get_ref(), &path).await?;
    targets::delete(db.get_ref(), &caller, &meta, &a).await?;
    Ok(HttpResponse::NoContent().finish())
}
