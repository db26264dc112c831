//! Monitoring data of an authority (DOMAIN.md §5): the file register (upload, single-file writes),
//! the semester tables (computed or typed in), their validation by the secretariat, and the
//! baseline and targets.
//!
//! Who: the authority's representative and delegates, and the secretariat, write; observers of
//! the province, experts on the authority's requests, coordinators and admins read.

use crate::app::register::{self, file_dto};
use crate::app::semesters;
use crate::app::sight;
use crate::audit::{self, Entry, RequestMeta};
use crate::auth::Caller;
use crate::entities::{
    authority, measurement_change, monitoring_target, register_file, semester_report, user,
};
use crate::error::{ApiError, ApiResult, PROBLEM_JSON};
use crate::extract::{Body, LazyBody, Query};
use crate::monitoring::{self as store, Changed, PROGRAMME};
use crate::notify::PublicUrl;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, delete, get, post, put, web};
use affianca_domain::dto::{
    AuthorityTargets, FieldError, FileWrite, ManualEntry, MeasurementChange, MonitoringSettings,
    Page, RegisterFile, RegisterFileInput, RegisterImport, SemesterQueueItem, SemesterReport,
    SemesterStatus, SemesterTransition, TargetOverride,
};
use affianca_domain::register::RegisterErrors;
use affianca_domain::{AuditAction, IstatCode, Period};
use chrono::Utc;
use futures_util::StreamExt;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde::Deserialize;
use std::collections::HashMap;
use utoipa::IntoParams;

/// The largest register accepted in one upload, and its rows.
pub const REGISTER_MAX_BYTES: usize = 50 * 1024 * 1024;

async fn find_authority(db: &impl ConnectionTrait, code: &str) -> ApiResult<authority::Model> {
    let not_found = || ApiError::not_found("L'ente");
    IstatCode::parse(code).map_err(|_| not_found())?;
    authority::Entity::find_by_id(code.to_owned())
        .one(db)
        .await?
        .ok_or_else(not_found)
}

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
    let a = find_authority(db.get_ref(), &path).await?;
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
    let a = find_authority(db.get_ref(), &code).await?;
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
    let a = find_authority(db.get_ref(), &path).await?;
    sight::monitoring(db.get_ref(), &caller, &a).await?;
    let mut errors = Vec::new();
    let paging = crate::routes::Paging::parse(query.limit, query.offset, &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let mut q = register_file::Entity::find()
        .filter(register_file::Column::AuthorityCode.eq(&a.istat_code));
    if let Some(p) = query.procedure.as_deref() {
        q = q.filter(register_file::Column::ProcedureCode.eq(p.trim().to_uppercase()));
    }
    let total = q.clone().count(db.get_ref()).await?;
    let items = q
        .order_by_asc(register_file::Column::Code)
        .offset(paging.offset)
        .limit(paging.limit)
        .all(db.get_ref())
        .await?
        .into_iter()
        .map(file_dto)
        .collect();
    Ok(HttpResponse::Ok().json(Page {
        items,
        total,
        limit: paging.limit,
        offset: paging.offset,
    }))
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
    let a = find_authority(db.get_ref(), &code).await?;
    sight::monitoring(db.get_ref(), &caller, &a).await?;
    let f = register_file::Entity::find_by_id((a.istat_code, file_code))
        .one(db.get_ref())
        .await?
        .ok_or_else(|| ApiError::not_found("La pratica"))?;
    Ok(HttpResponse::Ok().json(file_dto(f)))
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
    let a = find_authority(db.get_ref(), &code).await?;
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
    let a = find_authority(db.get_ref(), &path).await?;
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
    let a = find_authority(db.get_ref(), &code).await?;
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
    let a = find_authority(db.get_ref(), &code).await?;
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
    let a = find_authority(db.get_ref(), &code).await?;
    sight::monitoring(db.get_ref(), &caller, &a).await?;
    let period = parse_period(&period)?;
    let rows = measurement_change::Entity::find()
        .filter(measurement_change::Column::AuthorityCode.eq(&a.istat_code))
        .filter(measurement_change::Column::Period.eq(period.to_string()))
        .order_by_desc(measurement_change::Column::Id)
        .all(db.get_ref())
        .await?;
    let users: HashMap<i64, String> = user::Entity::find()
        .filter(user::Column::Id.is_in(rows.iter().filter_map(|r| r.changed_by)))
        .all(db.get_ref())
        .await?
        .into_iter()
        .map(|u| (u.id, u.full_name))
        .collect();
    let out: Vec<MeasurementChange> = rows
        .into_iter()
        .map(|r| MeasurementChange {
            procedure: r.procedure_code,
            period,
            field: r.field,
            old_value: r.old_value,
            new_value: r.new_value,
            changed_by: r.changed_by.and_then(|u| users.get(&u).cloned()),
            changed_at: r.changed_at,
        })
        .collect();
    Ok(HttpResponse::Ok().json(out))
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
    let rows = semester_report::Entity::find()
        .filter(semester_report::Column::Status.eq(status.code()))
        .order_by_asc(semester_report::Column::SubmittedAt)
        .order_by_asc(semester_report::Column::Period)
        .limit(1000)
        .all(db.get_ref())
        .await?;
    let authorities: HashMap<String, authority::Model> = authority::Entity::find()
        .filter(authority::Column::IstatCode.is_in(rows.iter().map(|r| r.authority_code.clone())))
        .all(db.get_ref())
        .await?
        .into_iter()
        .map(|a| (a.istat_code.clone(), a))
        .collect();
    let out: Vec<SemesterQueueItem> = rows
        .into_iter()
        .filter_map(|r| {
            let a = authorities.get(&r.authority_code)?;
            Some(SemesterQueueItem {
                authority: r.authority_code.clone(),
                authority_name: a.name.clone(),
                province: a.province.clone(),
                period: Period::parse(&r.period).ok()?,
                status,
                submitted_at: r.submitted_at,
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(out))
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
    Ok(HttpResponse::Ok().json(store::programme_settings(db.get_ref()).await?))
}

fn check_settings(s: &MonitoringSettings) -> ApiResult<()> {
    s.check()
        .map_err(|(field, message)| ApiError::invalid_field(field, message))
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
    let s = body.0;
    check_settings(&s)?;
    let txn = crate::db::begin_write(db.get_ref()).await?;
    save_targets(
        &txn,
        PROGRAMME,
        Some(s.baseline),
        Some(s.lock_days),
        Some(&s.milestones),
        caller.user_id.0,
    )
    .await?;
    audit::record(
        &txn,
        &meta,
        Entry::new(AuditAction::TargetsUpdated)
            .actor(caller.user_id)
            .target("monitoring", PROGRAMME)
            .details(serde_json::to_value(&s).unwrap_or_default()),
    )
    .await?;
    store::record_change(&txn, Changed::Settings).await?;
    txn.commit().await?;
    Ok(HttpResponse::Ok().json(store::programme_settings(db.get_ref()).await?))
}

async fn save_targets(
    db: &impl ConnectionTrait,
    scope: &str,
    baseline: Option<Period>,
    lock_days: Option<u32>,
    milestones: Option<&Vec<affianca_domain::dto::Milestone>>,
    user: i64,
) -> ApiResult<()> {
    let model = monitoring_target::ActiveModel {
        scope: Set(scope.to_owned()),
        baseline: Set(baseline.map(|b| b.to_string())),
        lock_days: Set(lock_days.map(|d| d as i32)),
        milestones: Set(milestones.map(|m| serde_json::to_string(m).unwrap_or_default())),
        updated_at: Set(Utc::now()),
        updated_by: Set(Some(user)),
    };
    monitoring_target::Entity::insert(model)
        .on_conflict(
            sea_orm::sea_query::OnConflict::column(monitoring_target::Column::Scope)
                .update_columns([
                    monitoring_target::Column::Baseline,
                    monitoring_target::Column::LockDays,
                    monitoring_target::Column::Milestones,
                    monitoring_target::Column::UpdatedAt,
                    monitoring_target::Column::UpdatedBy,
                ])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}

async fn targets_dto(db: &impl ConnectionTrait, code: &str) -> ApiResult<AuthorityTargets> {
    let programme = store::programme_settings(db).await?;
    let over = store::authority_override(db, code).await?;
    Ok(AuthorityTargets {
        authority: code.to_owned(),
        effective: store::effective(&programme, over.as_ref()),
        over,
    })
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
    let a = find_authority(db.get_ref(), &path).await?;
    sight::monitoring(db.get_ref(), &caller, &a).await?;
    Ok(HttpResponse::Ok().json(targets_dto(db.get_ref(), &a.istat_code).await?))
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
    let a = find_authority(db.get_ref(), &path).await?;
    let o = body.0;
    let programme = store::programme_settings(db.get_ref()).await?;
    check_settings(&store::effective(&programme, Some(&o)))?;
    let txn = crate::db::begin_write(db.get_ref()).await?;
    save_targets(
        &txn,
        &a.istat_code,
        o.baseline,
        None,
        o.milestones.as_ref(),
        caller.user_id.0,
    )
    .await?;
    audit::record(
        &txn,
        &meta,
        Entry::new(AuditAction::TargetsUpdated)
            .actor(caller.user_id)
            .target("authority", &a.istat_code)
            .details(serde_json::to_value(&o).unwrap_or_default()),
    )
    .await?;
    store::record_change(&txn, Changed::Authority(a.istat_code.clone())).await?;
    txn.commit().await?;
    Ok(HttpResponse::Ok().json(targets_dto(db.get_ref(), &a.istat_code).await?))
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
    let a = find_authority(db.get_ref(), &path).await?;
    let txn = crate::db::begin_write(db.get_ref()).await?;
    monitoring_target::Entity::delete_by_id(a.istat_code.clone())
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        &meta,
        Entry::new(AuditAction::TargetsUpdated)
            .actor(caller.user_id)
            .target("authority", &a.istat_code)
            .details(serde_json::json!({"removed": true})),
    )
    .await?;
    store::record_change(&txn, Changed::Authority(a.istat_code.clone())).await?;
    txn.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}
