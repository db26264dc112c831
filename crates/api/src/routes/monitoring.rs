//! Monitoring data of an authority (DOMAIN.md §5): the file register (upload, single-file writes),
//! the semester tables (computed or typed in), their validation by the secretariat, and the
//! baseline and targets.
//!
//! Who: the authority's representative and delegates, and the secretariat, write; observers of
//! the province, experts on the authority's requests, coordinators and admins read.

use crate::audit::{self, Entry, RequestMeta};
use crate::auth::Caller;
use crate::entities::{
    authority, measurement, measurement_change, monitoring_target, register_file, request_assignee,
    role_grant, semester_report, support_request, user,
};
use crate::error::{ApiError, ApiResult, PROBLEM_JSON};
use crate::extract::{Body, LazyBody, Query};
use crate::monitoring::{self as store, Catalog, Changed, PROGRAMME};
use crate::notify::{self, Notice, PublicUrl};
use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, delete, get, post, put, web};
use affianca_domain::dto::{
    AuthorityTargets, FieldError, FileWrite, ManualEntry, Measurement, MeasurementChange,
    MeasurementSource, MonitoringSettings, Page, RegisterFile, RegisterFileInput, RegisterImport,
    SemesterAction, SemesterQueueItem, SemesterReport, SemesterStatus, SemesterTransition,
    TargetOverride,
};
use affianca_domain::links;
use affianca_domain::monitoring::{
    FileRecord, IndicatorRow, Parts, check_file_dates, day_of_date, indicator_rows,
};
use affianca_domain::register::{Limits, RegisterErrors};
use affianca_domain::{AuditAction, IstatCode, Period, Role, Scope};
use chrono::Utc;
use futures_util::StreamExt;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde::Deserialize;
use std::collections::{BTreeSet, HashMap};
use utoipa::IntoParams;

/// The largest register accepted in one upload, and its rows.
pub const REGISTER_MAX_BYTES: usize = 50 * 1024 * 1024;
pub const REGISTER_MAX_ROWS: usize = 500_000;

/// What the caller may do with an authority's monitoring data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Access {
    write: bool,
    secretariat: bool,
}

async fn find_authority(db: &impl ConnectionTrait, code: &str) -> ApiResult<authority::Model> {
    let not_found = || ApiError::not_found("L'ente");
    IstatCode::parse(code).map_err(|_| not_found())?;
    authority::Entity::find_by_id(code.to_owned())
        .one(db)
        .await?
        .ok_or_else(not_found)
}

/// 403 when the caller may not see the authority's data (the registry of authorities is public).
async fn access(
    db: &impl ConnectionTrait,
    caller: &Caller,
    a: &authority::Model,
) -> ApiResult<Access> {
    let secretariat = caller.has_role(Role::Secretariat);
    let own = caller.authority_codes().contains(&a.istat_code);
    if secretariat || own {
        return Ok(Access {
            write: true,
            secretariat,
        });
    }
    if caller.has_role(Role::Admin) || caller.has_role(Role::Coordinator) {
        return Ok(Access {
            write: false,
            secretariat: false,
        });
    }
    let observer = caller.scopes_of(Role::Observer).any(|s| match s {
        Scope::Region => true,
        Scope::Province(p) => a.province.as_deref() == Some(p.as_str()),
        Scope::Authority(c) => c.as_str() == a.istat_code,
        Scope::TaskForce(_) => false,
    });
    if observer
        || (caller.has_role(Role::Expert) && expert_works_for(db, caller, &a.istat_code).await?)
    {
        return Ok(Access {
            write: false,
            secretariat: false,
        });
    }
    Err(ApiError::forbidden(
        "I dati di monitoraggio di un ente li vedono l'ente, la Segreteria Tecnica, i coordinatori, gli esperti che lo affiancano e l'ufficio della sua provincia.",
    ))
}

/// Whether the caller is assigned to a request of the authority.
pub async fn expert_works_for(
    db: &impl ConnectionTrait,
    caller: &Caller,
    authority: &str,
) -> Result<bool, sea_orm::DbErr> {
    let ids: Vec<i64> = request_assignee::Entity::find()
        .filter(request_assignee::Column::UserId.eq(caller.user_id.0))
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.request_id)
        .collect();
    if ids.is_empty() {
        return Ok(false);
    }
    Ok(support_request::Entity::find()
        .filter(support_request::Column::Id.is_in(ids))
        .filter(support_request::Column::AuthorityCode.eq(authority))
        .one(db)
        .await?
        .is_some())
}

fn require_write(a: Access) -> ApiResult<()> {
    if a.write {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "Scrivono i dati di monitoraggio il rappresentante e i delegati dell'ente e la Segreteria Tecnica.",
        ))
    }
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
    caller: Caller,
    meta: RequestMeta,
    path: web::Path<String>,
    query: Query<ImportQuery>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let a = find_authority(db.get_ref(), &path).await?;
    require_write(access(db.get_ref(), &caller, &a).await?)?;
    let bytes = read_body(payload, REGISTER_MAX_BYTES).await?;
    let catalog = store::catalog(db.get_ref()).await?;
    let terms = catalog.terms.clone();
    let today = day_of_date(affianca_domain::calendar::rome_date(Utc::now()));
    let parsed = web::block(move || {
        let mut files: Vec<(String, FileRecord)> = Vec::new();
        // Dates outside 1990..today (the reader knows no clock): refused like a bad row.
        let mut dates = affianca_domain::register::RegisterErrors::default();
        let read = crate::register::read(
            &bytes,
            &terms,
            Limits {
                max_rows: REGISTER_MAX_ROWS,
            },
            |code, f| {
                if let Err(r) = check_file_dates(f.start, f.decision, f.silent_assent, today) {
                    let value = match r.column {
                        "data_avvio" => Some(f.start),
                        "data_conclusione" => f.decision,
                        _ => f.silent_assent,
                    }
                    .map(|d| affianca_domain::monitoring::date_of_day(d).to_string())
                    .unwrap_or_default();
                    dates.total += 1;
                    if dates.errors.len() < affianca_domain::register::MAX_REPORTED_ERRORS {
                        dates.errors.push(affianca_domain::register::RowError {
                            // Good rows come in order after the header (blank lines aside).
                            row: files.len() + 2,
                            column: r.column.to_owned(),
                            value,
                            reason: format!("pratica «{code}»: {}", r.reason),
                        });
                    }
                }
                files.push((code.to_owned(), f));
            },
        )
        .map(|summary| (summary.rows, files));
        match read {
            Ok(_) if !dates.is_empty() => Err(dates),
            other => other,
        }
    })
    .await?;
    let (rows, uploaded) = match parsed {
        Ok(ok) => ok,
        Err(errors) => return Ok(register_problem(&errors)),
    };
    let terms = &catalog.terms;
    let settings = store::programme_settings(db.get_ref()).await?;
    let dry_run = query.dry_run;
    // A dry run only reads (and is rolled back); a real one serialises with the other writers of
    // this authority before it reads the stored files.
    let txn = if dry_run {
        crate::db::begin_read(db.get_ref()).await?
    } else {
        let txn = crate::db::begin_write(db.get_ref()).await?;
        store::lock_authority(&txn, &a.istat_code).await?;
        txn
    };
    let mut register = store::load_files(&txn, &a.istat_code, None, terms).await?;
    let (mut added, mut updated, mut unchanged) = (0, 0, 0);
    let mut to_write: Vec<(&str, FileRecord)> = Vec::new();
    for (code, f) in &uploaded {
        match register.get(code) {
            None => added += 1,
            Some(old) if old == f => {
                unchanged += 1;
                continue;
            }
            Some(_) => updated += 1,
        }
        to_write.push((code, *f));
    }
    for (code, f) in &to_write {
        register.insert((*code).to_owned(), *f);
    }
    let files: Vec<FileRecord> = register.into_values().collect();
    if !dry_run {
        store::upsert_files(&txn, &a.istat_code, &to_write, terms).await?;
    }
    let (computed, outcome) = store::recompute(
        &txn,
        &a.istat_code,
        terms,
        &files,
        None,
        store::Write {
            lock_days: settings.lock_days,
            user: Some(caller.user_id.0),
            dry_run,
        },
    )
    .await?;
    let summary = RegisterImport {
        dry_run,
        rows,
        files_added: added,
        files_updated: updated,
        files_unchanged: unchanged,
        semesters_affected: outcome.affected.into_iter().collect(),
        semesters_locked: outcome.locked.into_iter().collect(),
        indicators: computed
            .as_ref()
            .map(|c| indicator_rows(c, terms))
            .unwrap_or_default(),
    };
    if dry_run {
        txn.rollback().await?;
    } else {
        audit::record(
            &txn,
            &meta,
            Entry::new(AuditAction::RegisterImported)
                .actor(caller.user_id)
                .target("authority", &a.istat_code)
                .details(serde_json::json!({
                    "rows": rows, "files_added": added, "files_updated": updated,
                    "semesters_affected": summary.semesters_affected,
                })),
        )
        .await?;
        store::record_change(&txn, Changed::Authority(a.istat_code.clone())).await?;
        txn.commit().await?;
    }
    Ok(HttpResponse::Ok().json(summary))
}

fn file_dto(m: register_file::Model) -> RegisterFile {
    RegisterFile {
        code: m.code,
        procedure: m.procedure_code,
        start_date: m.start_date,
        term_days: m.term_days.max(0) as u32,
        decision_date: m.decision_date,
        silent_assent_date: m.silent_assent_date,
        conference: m.conference,
        suspension_days: m.suspension_days.max(0) as u32,
        updated_at: m.updated_at,
    }
}

fn check_file_code(code: &str) -> ApiResult<()> {
    let c = code.trim();
    if c.is_empty() || c.len() > affianca_domain::register::MAX_CODE_LEN || c != code {
        return Err(ApiError::invalid_field(
            "codice_pratica",
            "il codice della pratica va da 1 a 100 caratteri, senza spazi iniziali o finali",
        ));
    }
    Ok(())
}

/// Recomputes one procedure of an authority and writes what changed.
async fn recompute_procedure(
    db: &(impl ConnectionTrait + sea_orm::StreamTrait),
    authority: &str,
    catalog: &Catalog,
    procedure: u16,
    lock_days: u32,
    user: i64,
) -> ApiResult<store::Outcome> {
    let files: Vec<FileRecord> = store::load_files(
        db,
        authority,
        Some(catalog.terms.code(procedure)),
        &catalog.terms,
    )
    .await?
    .into_values()
    .collect();
    let (_, outcome) = store::recompute(
        db,
        authority,
        &catalog.terms,
        &files,
        Some(&[procedure]),
        store::Write {
            lock_days,
            user: Some(user),
            dry_run: false,
        },
    )
    .await?;
    Ok(outcome)
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
    caller: Caller,
    meta: RequestMeta,
    path: web::Path<(String, String)>,
    body: LazyBody<RegisterFileInput>,
) -> ApiResult<HttpResponse> {
    let (code, file_code) = path.into_inner();
    let a = find_authority(db.get_ref(), &code).await?;
    require_write(access(db.get_ref(), &caller, &a).await?)?;
    let body = Body(body.parse()?);
    check_file_code(&file_code)?;
    let input = body.0;
    let catalog = store::catalog(db.get_ref()).await?;
    let p = catalog.terms.index_of(&input.procedure).ok_or_else(|| {
        ApiError::invalid_field("procedure", "procedimento non presente nel catalogo")
    })?;
    let term = match input.term_days {
        Some(0) => {
            return Err(ApiError::invalid_field(
                "term_days",
                "il termine deve essere di almeno un giorno",
            ));
        }
        Some(t) => t,
        None => catalog.terms.term(p),
    };
    let record = FileRecord::new(
        p,
        day_of_date(input.start_date),
        term,
        input.decision_date.map(day_of_date),
        input.silent_assent_date.map(day_of_date),
        input.conference,
        input.suspension_days.unwrap_or(0),
    )
    .and_then(|r| {
        let today = day_of_date(affianca_domain::calendar::rome_date(Utc::now()));
        check_file_dates(r.start, r.decision, r.silent_assent, today).map(|()| r)
    })
    .map_err(|r| {
        let field = match r.column {
            "data_avvio" => "start_date",
            "data_conclusione" => "decision_date",
            "data_silenzio_assenso" => "silent_assent_date",
            "giorni_sospensione" => "suspension_days",
            "termine_giorni" => "term_days",
            other => other,
        };
        ApiError::invalid_field(field, r.reason)
    })?;
    let settings = store::programme_settings(db.get_ref()).await?;
    let txn = crate::db::begin_write(db.get_ref()).await?;
    store::lock_authority(&txn, &a.istat_code).await?;
    let previous = register_file::Entity::find_by_id((a.istat_code.clone(), file_code.clone()))
        .one(&txn)
        .await?;
    store::upsert_files(&txn, &a.istat_code, &[(&file_code, record)], &catalog.terms).await?;
    let mut procedures = vec![p];
    if let Some(old) = previous
        .as_ref()
        .and_then(|o| catalog.terms.index_of(&o.procedure_code))
        && old != p
    {
        procedures.push(old);
    }
    let mut outcome = store::Outcome::default();
    for proc_index in procedures {
        let o = recompute_procedure(
            &txn,
            &a.istat_code,
            &catalog,
            proc_index,
            settings.lock_days,
            caller.user_id.0,
        )
        .await?;
        outcome.affected.extend(o.affected);
        outcome.locked.extend(o.locked);
    }
    audit::record(
        &txn,
        &meta,
        Entry::new(AuditAction::RegisterFileWritten)
            .actor(caller.user_id)
            .target("authority", &a.istat_code)
            .details(serde_json::json!({"file": file_code})),
    )
    .await?;
    let saved = register_file::Entity::find_by_id((a.istat_code.clone(), file_code.clone()))
        .one(&txn)
        .await?
        .ok_or_else(|| ApiError::not_found("La pratica"))?;
    store::record_change(&txn, Changed::Authority(a.istat_code.clone())).await?;
    txn.commit().await?;
    let created = previous.is_none();
    let out = FileWrite {
        file: file_dto(saved),
        created,
        semesters_affected: outcome.affected.into_iter().collect(),
        semesters_locked: outcome.locked.into_iter().collect(),
    };
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
    access(db.get_ref(), &caller, &a).await?;
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
    access(db.get_ref(), &caller, &a).await?;
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
    caller: Caller,
    meta: RequestMeta,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (code, file_code) = path.into_inner();
    let a = find_authority(db.get_ref(), &code).await?;
    require_write(access(db.get_ref(), &caller, &a).await?)?;
    let catalog = store::catalog(db.get_ref()).await?;
    let settings = store::programme_settings(db.get_ref()).await?;
    let txn = crate::db::begin_write(db.get_ref()).await?;
    store::lock_authority(&txn, &a.istat_code).await?;
    let f = register_file::Entity::find_by_id((a.istat_code.clone(), file_code.clone()))
        .one(&txn)
        .await?
        .ok_or_else(|| ApiError::not_found("La pratica"))?;
    register_file::Entity::delete_by_id((a.istat_code.clone(), file_code.clone()))
        .exec(&txn)
        .await?;
    if let Some(p) = catalog.terms.index_of(&f.procedure_code) {
        recompute_procedure(
            &txn,
            &a.istat_code,
            &catalog,
            p,
            settings.lock_days,
            caller.user_id.0,
        )
        .await?;
    }
    audit::record(
        &txn,
        &meta,
        Entry::new(AuditAction::RegisterFileDeleted)
            .actor(caller.user_id)
            .target("authority", &a.istat_code)
            .details(serde_json::json!({"file": file_code})),
    )
    .await?;
    store::record_change(&txn, Changed::Authority(a.istat_code.clone())).await?;
    txn.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

/// What the caller may do to a semester now.
fn allowed(
    status: SemesterStatus,
    locked: bool,
    reopened: bool,
    has_data: bool,
    access: Access,
    own: bool,
) -> Vec<SemesterAction> {
    let mut out = Vec::new();
    // A reopened semester can be corrected and sent again, even after validation.
    let open = matches!(status, SemesterStatus::Draft | SemesterStatus::Returned)
        || (status == SemesterStatus::Validated && reopened);
    if own && !locked && has_data && open {
        out.push(SemesterAction::Submit);
    }
    if access.secretariat {
        if status == SemesterStatus::Submitted {
            out.push(SemesterAction::Validate);
            out.push(SemesterAction::Return);
        }
        if locked && !reopened {
            out.push(SemesterAction::Reopen);
        }
    }
    out
}

fn measurement_dto(m: &measurement::Model) -> Option<Measurement> {
    let period = Period::parse(&m.period).ok()?;
    let parts = store::parts_of(m);
    let cell = affianca_domain::monitoring::Cell {
        parts,
        max_term_days: m.max_term_days,
    };
    Some(Measurement {
        source: MeasurementSource::parse(&m.source).unwrap_or(MeasurementSource::Register),
        indicators: IndicatorRow::new(&m.procedure_code, period, &cell),
        parts,
    })
}

async fn semester_reports(
    db: &impl ConnectionTrait,
    caller: &Caller,
    a: &authority::Model,
    acc: Access,
    only: Option<Period>,
) -> ApiResult<Vec<SemesterReport>> {
    let settings = store::programme_settings(db).await?;
    let mut mq =
        measurement::Entity::find().filter(measurement::Column::AuthorityCode.eq(&a.istat_code));
    let mut rq = semester_report::Entity::find()
        .filter(semester_report::Column::AuthorityCode.eq(&a.istat_code));
    if let Some(p) = only {
        mq = mq.filter(measurement::Column::Period.eq(p.to_string()));
        rq = rq.filter(semester_report::Column::Period.eq(p.to_string()));
    }
    let measurements = mq
        .order_by_asc(measurement::Column::ProcedureCode)
        .all(db)
        .await?;
    let reports: HashMap<String, semester_report::Model> = rq
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.period.clone(), r))
        .collect();
    let mut by_period: std::collections::BTreeMap<Period, Vec<Measurement>> = Default::default();
    for m in &measurements {
        if let Some(d) = measurement_dto(m) {
            by_period.entry(d.indicators.period).or_default().push(d);
        }
    }
    for p in reports.keys().filter_map(|k| Period::parse(k).ok()) {
        by_period.entry(p).or_default();
    }
    if let Some(p) = only {
        by_period.entry(p).or_default();
    }
    let own = caller.authority_codes().contains(&a.istat_code);
    let today = Utc::now().date_naive();
    Ok(by_period
        .into_iter()
        .rev()
        .map(|(period, measurements)| {
            let r = reports.get(&period.to_string());
            let status = r
                .and_then(|r| SemesterStatus::parse(&r.status).ok())
                .unwrap_or(SemesterStatus::Draft);
            let locked = store::is_locked(period, settings.lock_days, r, today);
            let reopened = r.is_some_and(|r| r.reopened);
            SemesterReport {
                authority: a.istat_code.clone(),
                authority_name: a.name.clone(),
                province: a.province.clone(),
                period,
                status,
                comment: r.and_then(|r| r.comment.clone()),
                submitted_at: r.and_then(|r| r.submitted_at),
                reviewed_at: r.and_then(|r| r.reviewed_at),
                locks_on: store::locks_on(period, settings.lock_days),
                locked,
                reopened,
                allowed_actions: allowed(
                    status,
                    locked,
                    reopened,
                    !measurements.is_empty(),
                    acc,
                    own,
                ),
                measurements,
            }
        })
        .collect())
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
    let acc = access(db.get_ref(), &caller, &a).await?;
    Ok(HttpResponse::Ok().json(semester_reports(db.get_ref(), &caller, &a, acc, None).await?))
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
    caller: Caller,
    meta: RequestMeta,
    path: web::Path<(String, String)>,
    body: LazyBody<ManualEntry>,
) -> ApiResult<HttpResponse> {
    let (code, period) = path.into_inner();
    let a = find_authority(db.get_ref(), &code).await?;
    let acc = access(db.get_ref(), &caller, &a).await?;
    require_write(acc)?;
    let body = Body(body.parse()?);
    let period = parse_period(&period)?;
    let today = Utc::now().date_naive();
    if period.first_day() > today {
        return Err(ApiError::invalid_field(
            "period",
            "il semestre non è ancora iniziato",
        ));
    }
    let catalog = store::catalog(db.get_ref()).await?;
    let mut errors = Vec::new();
    let mut rows = Vec::new();
    let mut seen = BTreeSet::new();
    for (i, r) in body.0.rows.iter().enumerate() {
        let f = |name: &str| format!("rows[{i}].{name}");
        let Some(p) = catalog.terms.index_of(&r.procedure) else {
            errors.push(FieldError {
                field: f("procedure"),
                message: "procedimento non presente nel catalogo".into(),
            });
            continue;
        };
        if !seen.insert(p) {
            errors.push(FieldError {
                field: f("procedure"),
                message: "procedimento ripetuto".into(),
            });
        }
        for (name, v) in [
            ("started", r.started),
            ("concluded_express", r.concluded_express),
            (
                "concluded_express_with_suspension",
                r.concluded_express_with_suspension,
            ),
            (
                "concluded_express_with_conference",
                r.concluded_express_with_conference,
            ),
            ("concluded_silent_assent", r.concluded_silent_assent),
            ("backlog", r.backlog),
        ] {
            if !(0..=10_000_000).contains(&v) {
                errors.push(FieldError {
                    field: f(name),
                    message: "un numero intero da 0 in su".into(),
                });
            }
        }
        for (name, v) in [
            (
                "concluded_express_with_suspension",
                r.concluded_express_with_suspension,
            ),
            (
                "concluded_express_with_conference",
                r.concluded_express_with_conference,
            ),
        ] {
            if v > r.concluded_express {
                errors.push(FieldError {
                    field: f(name),
                    message: "non può superare le pratiche concluse con provvedimento espresso"
                        .into(),
                });
            }
        }
        let avg = match (r.concluded_express, r.avg_duration_days) {
            (0, _) => 0.0,
            (_, Some(v)) if v.is_finite() && (0.0..=36_500.0).contains(&v) => v,
            _ => {
                errors.push(FieldError {
                    field: f("avg_duration_days"),
                    message: "la durata media (giorni, da 0 in su) è obbligatoria se ci sono pratiche concluse".into(),
                });
                0.0
            }
        };
        let net = match r.avg_net_duration_days {
            None => avg,
            Some(v) if v.is_finite() && v >= 0.0 && v <= avg => v,
            Some(_) => {
                errors.push(FieldError {
                    field: f("avg_net_duration_days"),
                    message: "la durata netta media va da 0 alla durata media".into(),
                });
                avg
            }
        };
        let term = match r.max_term_days {
            None => f64::from(catalog.terms.term(p)),
            Some(v) if v.is_finite() && (1.0..=36_500.0).contains(&v) => v,
            Some(_) => {
                errors.push(FieldError {
                    field: f("max_term_days"),
                    message: "il termine va da 1 a 36500 giorni".into(),
                });
                0.0
            }
        };
        let n = r.concluded_express as f64;
        rows.push((
            p,
            Parts {
                started: r.started,
                concluded_express: r.concluded_express,
                concluded_express_with_suspension: r.concluded_express_with_suspension,
                concluded_express_with_conference: r.concluded_express_with_conference,
                concluded_silent_assent: r.concluded_silent_assent,
                duration_days_sum: (avg * n).round() as i64,
                net_duration_days_sum: (net * n).round() as i64,
                backlog: r.backlog,
            },
            term,
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let settings = store::programme_settings(db.get_ref()).await?;
    let txn = crate::db::begin_write(db.get_ref()).await?;
    store::lock_authority(&txn, &a.istat_code).await?;
    let report = semester_report::Entity::find_by_id((a.istat_code.clone(), period.to_string()))
        .one(&txn)
        .await?;
    if store::is_locked(period, settings.lock_days, report.as_ref(), today) {
        return Err(ApiError::conflict(format!(
            "Il semestre {period} è chiuso dal {}: chiedere alla Segreteria Tecnica di riaprirlo.",
            store::locks_on(period, settings.lock_days).format("%d/%m/%Y")
        )));
    }
    let existing: HashMap<String, measurement::Model> = measurement::Entity::find()
        .filter(measurement::Column::AuthorityCode.eq(&a.istat_code))
        .filter(measurement::Column::Period.eq(period.to_string()))
        .all(&txn)
        .await?
        .into_iter()
        .map(|m| (m.procedure_code.clone(), m))
        .collect();
    let mut changes = Vec::new();
    for (p, parts, term) in rows {
        let key = (catalog.terms.code(p).to_owned(), period);
        let old = existing.get(&key.0).map(|m| store::Stored {
            source: MeasurementSource::parse(&m.source).unwrap_or(MeasurementSource::Register),
            parts: store::parts_of(m),
            max_term_days: m.max_term_days,
        });
        let new = store::Stored {
            source: MeasurementSource::Manual,
            parts,
            max_term_days: term,
        };
        if old != Some(new) {
            changes.push(store::Change {
                key,
                new: Some(new),
                old,
            });
        }
    }
    let changed = changes.len();
    store::apply(&txn, &a.istat_code, changes, Some(caller.user_id.0)).await?;
    if report.is_none() {
        // A table with no change still opens the semester (as a draft).
        store::open_semesters(&txn, &a.istat_code, &[period]).await?;
    }
    audit::record(
        &txn,
        &meta,
        Entry::new(AuditAction::MeasurementsEntered)
            .actor(caller.user_id)
            .target("authority", &a.istat_code)
            .details(serde_json::json!({"period": period, "rows_changed": changed})),
    )
    .await?;
    store::record_change(&txn, Changed::Authority(a.istat_code.clone())).await?;
    txn.commit().await?;
    let out = semester_reports(db.get_ref(), &caller, &a, acc, Some(period)).await?;
    Ok(HttpResponse::Ok().json(&out[0]))
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
    let acc = access(db.get_ref(), &caller, &a).await?;
    let body = Body(body.parse()?);
    let period = parse_period(&period)?;
    let t = body.0;
    let comment = t
        .comment
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    if t.action == SemesterAction::Return && comment.is_none() {
        return Err(ApiError::invalid_field(
            "comment",
            "spiegare all'ente che cosa correggere",
        ));
    }
    if comment.is_some_and(|c| c.chars().count() > 2000) {
        return Err(ApiError::invalid_field(
            "comment",
            "al massimo 2000 caratteri",
        ));
    }
    let current = semester_reports(db.get_ref(), &caller, &a, acc, Some(period)).await?;
    let current = &current[0];
    if !current.allowed_actions.contains(&t.action) {
        let by_role = match t.action {
            SemesterAction::Submit => caller.authority_codes().contains(&a.istat_code),
            _ => acc.secretariat,
        };
        if !by_role {
            return Err(ApiError::forbidden(match t.action {
                SemesterAction::Submit => "Invia il semestre l'ente.",
                _ => "Valida, restituisce e riapre i semestri la Segreteria Tecnica.",
            }));
        }
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "transition_not_allowed",
            "Azione non consentita",
        )
        .detail(format!(
            "Il semestre {period} è «{}»{}{}: «{}» non è possibile ora.",
            current.status.label(),
            if current.locked { ", chiuso" } else { "" },
            if current.measurements.is_empty() {
                ", senza dati"
            } else {
                ""
            },
            t.action.label()
        )));
    }
    let now = Utc::now();
    let txn = crate::db::begin_write(db.get_ref()).await?;
    store::lock_authority(&txn, &a.istat_code).await?;
    let mut r = semester_report::Entity::find_by_id((a.istat_code.clone(), period.to_string()))
        .one(&txn)
        .await?
        .map(Into::into)
        .unwrap_or_else(|| store::draft_report(&a.istat_code, period));
    let expected = current.status.code().to_owned();
    match t.action {
        SemesterAction::Submit => {
            r.status = Set(SemesterStatus::Submitted.code().to_owned());
            r.submitted_at = Set(Some(now));
            r.submitted_by = Set(Some(caller.user_id.0));
        }
        SemesterAction::Validate => {
            r.status = Set(SemesterStatus::Validated.code().to_owned());
            r.reviewed_at = Set(Some(now));
            r.reviewed_by = Set(Some(caller.user_id.0));
            r.comment = Set(comment.map(str::to_owned));
            r.reopened = Set(false);
        }
        SemesterAction::Return => {
            r.status = Set(SemesterStatus::Returned.code().to_owned());
            r.reviewed_at = Set(Some(now));
            r.reviewed_by = Set(Some(caller.user_id.0));
            r.comment = Set(comment.map(str::to_owned));
        }
        SemesterAction::Reopen => {
            r.reopened = Set(true);
            r.comment = Set(comment.map(str::to_owned));
        }
    }
    r.updated_at = Set(now);
    // Compare-and-set on the state read above: two reviewers at once cannot both act.
    let exists = semester_report::Entity::find_by_id((a.istat_code.clone(), period.to_string()))
        .one(&txn)
        .await?;
    match exists {
        Some(e) if e.status != expected => {
            return Err(ApiError::conflict(
                "Il semestre è cambiato nel frattempo: ricaricare la pagina.",
            ));
        }
        Some(_) => {
            let res = semester_report::Entity::update_many()
                .set(r)
                .filter(semester_report::Column::AuthorityCode.eq(&a.istat_code))
                .filter(semester_report::Column::Period.eq(period.to_string()))
                .filter(semester_report::Column::Status.eq(expected))
                .exec(&txn)
                .await?;
            if res.rows_affected != 1 {
                return Err(ApiError::conflict(
                    "Il semestre è cambiato nel frattempo: ricaricare la pagina.",
                ));
            }
        }
        None => {
            semester_report::Entity::insert(r)
                .exec_without_returning(&txn)
                .await?;
        }
    }
    audit::record(
        &txn,
        &meta,
        Entry::new(AuditAction::SemesterTransition)
            .actor(caller.user_id)
            .target("authority", &a.istat_code)
            .details(serde_json::json!({"period": period, "action": t.action, "comment": comment})),
    )
    .await?;
    notify_semester(&txn, &base, &a, period, t.action, comment).await?;
    store::record_change(&txn, Changed::Authority(a.istat_code.clone())).await?;
    txn.commit().await?;
    let out = semester_reports(db.get_ref(), &caller, &a, acc, Some(period)).await?;
    Ok(HttpResponse::Ok().json(&out[0]))
}

/// Tells the secretariat of a submission, and the authority's people of a review.
async fn notify_semester(
    db: &impl ConnectionTrait,
    base: &PublicUrl,
    a: &authority::Model,
    period: Period,
    action: SemesterAction,
    comment: Option<&str>,
) -> Result<(), sea_orm::DbErr> {
    let link = Some(links::authority_monitoring(&a.istat_code));
    match action {
        SemesterAction::Submit => {
            let notice = Notice {
                kind: "semester_submitted",
                title: format!("Rilevazione {period} inviata: {}", a.name),
                body: format!(
                    "{} ha inviato i dati del semestre {period}: sono da validare.",
                    a.name
                ),
                link: Some(links::validation_queue()),
            };
            notify::role(db, base, Role::Secretariat, &notice).await
        }
        _ => {
            let (kind, title, body) = match action {
                SemesterAction::Validate => (
                    "semester_validated",
                    format!("Rilevazione {period} validata"),
                    format!("La Segreteria Tecnica ha validato i dati del semestre {period}."),
                ),
                SemesterAction::Return => (
                    "semester_returned",
                    format!("Rilevazione {period} restituita"),
                    format!(
                        "La Segreteria Tecnica ha restituito i dati del semestre {period}: {}",
                        comment.unwrap_or_default()
                    ),
                ),
                _ => (
                    "semester_reopened",
                    format!("Rilevazione {period} riaperta"),
                    format!(
                        "La Segreteria Tecnica ha riaperto il semestre {period}: i dati si possono correggere."
                    ),
                ),
            };
            let notice = Notice {
                kind,
                title,
                body,
                link,
            };
            let ids: Vec<i64> = role_grant::Entity::find()
                .filter(role_grant::Column::Scope.eq(format!("authority:{}", a.istat_code)))
                .filter(
                    role_grant::Column::Role
                        .is_in([Role::AuthorityRep.code(), Role::AuthorityDelegate.code()]),
                )
                .all(db)
                .await?
                .into_iter()
                .map(|g| g.user_id)
                .collect();
            for id in ids {
                notify::user(db, base, id, &notice).await?;
            }
            Ok(())
        }
    }
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
    access(db.get_ref(), &caller, &a).await?;
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
    access(db.get_ref(), &caller, &a).await?;
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
