//! Programme phases (DOMAIN.md §1): each enables a set of authorities from its start date. An
//! authority may ask for support when its registration is approved AND a started phase enables it.

use crate::audit::{self, Entry, RequestMeta};
use crate::auth::Caller;
use crate::entities::{phase, phase_authority, registration};
use crate::error::{ApiError, ApiResult, extractors::payload_error};
use crate::extract::{Body, LazyBody};
use crate::registry::Registry;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};
use affianca_domain::dto::{
    Authority, CreatePhaseRequest, EnableAuthoritiesRequest, EnableAuthoritiesResult, FieldError,
    Phase, ProgrammeStatus,
};
use affianca_domain::{AuditAction, IstatCode, RegistrationStatus, Role};
use chrono::{NaiveDate, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use std::collections::HashSet;

pub use crate::app::phases::eligible_authorities;

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

async fn phase_dto(db: &impl ConnectionTrait, p: phase::Model) -> Result<Phase, sea_orm::DbErr> {
    let authorities = phase_authority::Entity::find()
        .filter(phase_authority::Column::PhaseId.eq(p.id))
        .count(db)
        .await?;
    Ok(Phase {
        id: p.id,
        started: p.start_date <= today(),
        name: p.name,
        start_date: p.start_date,
        description: p.description,
        authorities,
    })
}

/// The programme phases, by start date.
#[utoipa::path(
    tag = "phases",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Phases", body = Vec<Phase>),
        crate::openapi::Unauthorized,
    )
)]
#[get("/phases")]
pub async fn list_phases(
    db: web::Data<DatabaseConnection>,
    _caller: Caller,
) -> ApiResult<HttpResponse> {
    let rows = phase::Entity::find()
        .order_by_asc(phase::Column::StartDate)
        .order_by_asc(phase::Column::Id)
        .all(db.get_ref())
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for p in rows {
        out.push(phase_dto(db.get_ref(), p).await?);
    }
    Ok(HttpResponse::Ok().json(out))
}

/// Create a phase (secretariat).
#[utoipa::path(
    tag = "phases",
    security(("bearer" = [])),
    request_body = CreatePhaseRequest,
    responses(
        (status = 201, description = "Created", body = Phase, headers(("Location" = String))),
        crate::openapi::BadRequest,
        crate::openapi::Unauthorized,
        crate::openapi::Forbidden,
        crate::openapi::Conflict,
        crate::openapi::UnsupportedMediaType,
        crate::openapi::Unprocessable,
    )
)]
#[post("/phases")]
pub async fn create_phase(
    db: web::Data<DatabaseConnection>,
    caller: Caller,
    meta: RequestMeta,
    body: LazyBody<CreatePhaseRequest>,
) -> ApiResult<HttpResponse> {
    let body = Body(body.parse()?);
    let req = body.0;
    let name = req.name.trim();
    let mut errors = Vec::new();
    affianca_domain::calendar::check_date_window(
        "start_date",
        req.start_date,
        affianca_domain::calendar::PROGRAMME_START,
        affianca_domain::calendar::horizon(affianca_domain::calendar::rome_date(Utc::now())),
        &mut errors,
    );
    if name.is_empty() || name.chars().count() > 200 {
        errors.push(FieldError {
            field: "name".into(),
            message: "obbligatorio, al massimo 200 caratteri".into(),
        });
    }
    if req.description.chars().count() > 5000 {
        errors.push(FieldError {
            field: "description".into(),
            message: "al massimo 5000 caratteri".into(),
        });
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    if phase::Entity::find()
        .filter(phase::Column::Name.eq(name))
        .one(db.get_ref())
        .await?
        .is_some()
    {
        return Err(ApiError::conflict(format!("Esiste già una fase «{name}».")));
    }
    let txn = crate::db::begin_write(db.get_ref()).await?;
    let res = phase::Entity::insert(phase::ActiveModel {
        name: Set(name.to_owned()),
        start_date: Set(req.start_date),
        description: Set(req.description.trim().to_owned()),
        created_at: Set(Utc::now()),
        ..Default::default()
    })
    .exec(&txn)
    .await
    .map_err(|e| {
        // The same name created at once by someone else: the check above could not see it.
        if matches!(
            e.sql_err(),
            Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
        ) {
            ApiError::conflict(format!("Esiste già una fase «{name}»."))
        } else {
            e.into()
        }
    })?;
    audit::record(
        &txn,
        &meta,
        Entry::new(AuditAction::PhaseCreated)
            .actor(caller.user_id)
            .target("phase", res.last_insert_id)
            .details(serde_json::json!({"name": name, "start_date": req.start_date})),
    )
    .await?;
    crate::monitoring::record_change(&txn, crate::monitoring::Changed::Phases).await?;
    txn.commit().await?;
    let p = phase::Entity::find_by_id(res.last_insert_id)
        .one(db.get_ref())
        .await?
        .ok_or_else(|| ApiError::not_found("La fase"))?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/phases/{}", p.id)))
        .json(phase_dto(db.get_ref(), p).await?))
}

async fn find_phase(db: &DatabaseConnection, id: i64) -> ApiResult<phase::Model> {
    phase::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("La fase"))
}

/// One phase.
#[utoipa::path(
    tag = "phases",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Phase id")),
    responses(
        (status = 200, description = "The phase", body = Phase),
        crate::openapi::Unauthorized,
        crate::openapi::NotFound,
    )
)]
#[get("/phases/{id}")]
pub async fn get_phase(
    db: web::Data<DatabaseConnection>,
    _caller: Caller,
    path: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    let p = find_phase(&db, path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(phase_dto(db.get_ref(), p).await?))
}

/// The authorities a phase enables, by name.
#[utoipa::path(
    tag = "phases",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Phase id")),
    responses(
        (status = 200, description = "Authorities", body = Vec<Authority>),
        crate::openapi::Unauthorized,
        crate::openapi::NotFound,
    )
)]
#[get("/phases/{id}/authorities")]
pub async fn list_phase_authorities(
    db: web::Data<DatabaseConnection>,
    registry: web::Data<Registry>,
    _caller: Caller,
    path: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    let p = find_phase(&db, path.into_inner()).await?;
    let codes: HashSet<String> = phase_authority::Entity::find()
        .select_only()
        .column(phase_authority::Column::AuthorityCode)
        .filter(phase_authority::Column::PhaseId.eq(p.id))
        .into_tuple::<String>()
        .all(db.get_ref())
        .await?
        .into_iter()
        .collect();
    let snapshot = registry.snapshot(&db).await?;
    let items: Vec<&Authority> = snapshot
        .entries
        .iter()
        .map(|e| &e.authority)
        .filter(|a| codes.contains(a.istat_code.as_str()))
        .collect();
    Ok(HttpResponse::Ok().json(items))
}

/// Codes from a CSV upload: one per line, the first column; an `istat_code` header is skipped.
fn codes_from_csv(text: &str) -> Vec<(String, String)> {
    text.trim_start_matches('\u{feff}')
        .lines()
        .enumerate()
        .filter_map(|(i, line)| {
            let first = line
                .split([';', ','])
                .next()
                .unwrap_or_default()
                .trim()
                .trim_matches('"')
                .to_owned();
            (!(first.is_empty() || (i == 0 && first.eq_ignore_ascii_case("istat_code"))))
                .then(|| (format!("riga {}", i + 1), first))
        })
        .collect()
}

/// Enable authorities in a phase (secretariat), by ISTAT code: JSON `{"istat_codes": [...]}` or a
/// CSV file (`Content-Type: text/csv`, the code in the first column, optional `istat_code`
/// header). All or nothing: any unknown code is a 422 listing every bad one by position.
#[utoipa::path(
    tag = "phases",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Phase id")),
    request_body(content(
        (EnableAuthoritiesRequest = "application/json"),
        (String = "text/csv", example = "istat_code\n016024\n017029\n"),
    )),
    responses(
        (status = 200, description = "Enabled", body = EnableAuthoritiesResult),
        crate::openapi::BadRequest,
        crate::openapi::Unauthorized,
        crate::openapi::Forbidden,
        crate::openapi::NotFound,
        crate::openapi::PayloadTooLarge,
        crate::openapi::UnsupportedMediaType,
        crate::openapi::Unprocessable,
    )
)]
#[post("/phases/{id}/authorities")]
pub async fn enable_authorities(
    req: HttpRequest,
    db: web::Data<DatabaseConnection>,
    registry: web::Data<Registry>,
    caller: Caller,
    meta: RequestMeta,
    path: web::Path<i64>,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let p = find_phase(&db, path.into_inner()).await?;
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let entries: Vec<(String, String)> = if content_type.starts_with("application/json") {
        let parsed: EnableAuthoritiesRequest = serde_json::from_slice(&body).map_err(|e| {
            if e.is_data() {
                ApiError::invalid_field("istat_codes", format!("serve un elenco di codici: {e}"))
            } else {
                ApiError::bad_request(format!("Il corpo della richiesta non è JSON valido: {e}"))
            }
        })?;
        parsed
            .istat_codes
            .into_iter()
            .enumerate()
            .map(|(i, c)| (format!("istat_codes[{i}]"), c))
            .collect()
    } else if content_type.starts_with("text/csv") || content_type.starts_with("text/plain") {
        let text = std::str::from_utf8(&body)
            .map_err(|_| ApiError::invalid_field("file", "il file non è testo UTF-8"))?;
        codes_from_csv(text)
    } else {
        return Err(payload_error(
            &actix_web::error::JsonPayloadError::ContentType,
        ));
    };
    if entries.is_empty() {
        return Err(ApiError::invalid_field(
            "istat_codes",
            "nessun codice ISTAT",
        ));
    }
    let snapshot = registry.snapshot(&db).await?;
    let mut errors = Vec::new();
    let mut codes = Vec::new();
    for (field, raw) in entries {
        match IstatCode::parse(&raw) {
            Ok(c) if snapshot.get(c.as_str()).is_some_and(|a| a.active) => {
                codes.push(c.to_string())
            }
            Ok(c) => errors.push(FieldError {
                field,
                message: format!("{c}: ente inesistente o non più attivo"),
            }),
            Err(e) => errors.push(FieldError {
                field,
                message: e.to_string(),
            }),
        }
    }
    if !errors.is_empty() {
        errors.truncate(1000);
        return Err(ApiError::validation(errors));
    }
    codes.sort();
    codes.dedup();
    let txn = crate::db::begin_write(db.get_ref()).await?;
    let existing: HashSet<String> = phase_authority::Entity::find()
        .select_only()
        .column(phase_authority::Column::AuthorityCode)
        .filter(phase_authority::Column::PhaseId.eq(p.id))
        .into_tuple::<String>()
        .all(&txn)
        .await?
        .into_iter()
        .collect();
    let new: Vec<&String> = codes.iter().filter(|c| !existing.contains(*c)).collect();
    let now = Utc::now();
    // Two secretariat users enabling the same authority at once (PostgreSQL, READ COMMITTED):
    // the second insert finds the row and skips it, and the counts say what each really added.
    let mut added = 0u64;
    for chunk in new.chunks(300) {
        added += phase_authority::Entity::insert_many(chunk.iter().map(|c| {
            phase_authority::ActiveModel {
                phase_id: Set(p.id),
                authority_code: Set((*c).clone()),
                added_at: Set(now),
            }
        }))
        .on_conflict(
            sea_orm::sea_query::OnConflict::columns([
                phase_authority::Column::PhaseId,
                phase_authority::Column::AuthorityCode,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
    }
    let result = EnableAuthoritiesResult {
        added,
        already_enabled: codes.len() as u64 - added,
    };
    audit::record(
        &txn,
        &meta,
        Entry::new(AuditAction::PhaseAuthoritiesEnabled)
            .actor(caller.user_id)
            .target("phase", p.id)
            .details(serde_json::json!(result)),
    )
    .await?;
    crate::monitoring::record_change(&txn, crate::monitoring::Changed::Phases).await?;
    txn.commit().await?;
    Ok(HttpResponse::Ok().json(result))
}

/// Take an authority out of a phase (secretariat).
#[utoipa::path(
    tag = "phases",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Phase id"), ("istat_code" = String, Path, description = "The authority")),
    responses(
        (status = 204, description = "Removed"),
        crate::openapi::Unauthorized,
        crate::openapi::Forbidden,
        crate::openapi::NotFound,
    )
)]
#[delete("/phases/{id}/authorities/{istat_code}")]
pub async fn remove_phase_authority(
    db: web::Data<DatabaseConnection>,
    caller: Caller,
    meta: RequestMeta,
    path: web::Path<(i64, String)>,
) -> ApiResult<HttpResponse> {
    let (id, code) = path.into_inner();
    let txn = crate::db::begin_write(db.get_ref()).await?;
    let res = phase_authority::Entity::delete_many()
        .filter(phase_authority::Column::PhaseId.eq(id))
        .filter(phase_authority::Column::AuthorityCode.eq(&code))
        .exec(&txn)
        .await?;
    if res.rows_affected == 0 {
        return Err(ApiError::not_found("L'ente nella fase"));
    }
    audit::record(
        &txn,
        &meta,
        Entry::new(AuditAction::PhaseAuthorityRemoved)
            .actor(caller.user_id)
            .target("phase", id)
            .details(serde_json::json!({"istat_code": code})),
    )
    .await?;
    crate::monitoring::record_change(&txn, crate::monitoring::Changed::Phases).await?;
    txn.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Where an authority stands in the programme: its registration, the phases that enable it, and
/// whether it may ask for support. Seen by the authority's own users, programme staff
/// (secretariat, coordinators, experts) and observers of its province; 404 for anyone else.
#[utoipa::path(
    tag = "phases",
    security(("bearer" = [])),
    params(("istat_code" = String, Path, description = "The authority", example = "016024")),
    responses(
        (status = 200, description = "The authority's standing", body = ProgrammeStatus),
        crate::openapi::Unauthorized,
        crate::openapi::NotFound,
    )
)]
#[get("/authorities/{istat_code}/programme-status")]
pub async fn programme_status(
    db: web::Data<DatabaseConnection>,
    registry: web::Data<Registry>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let snapshot = registry.snapshot(&db).await?;
    let a = snapshot
        .get(path.as_str())
        .ok_or_else(|| ApiError::not_found("L'ente"))?;
    // DOMAIN.md §2: the authority's own users, programme staff and the observers of its province.
    let staff = [Role::Secretariat, Role::Coordinator, Role::Expert]
        .iter()
        .any(|r| caller.has_role(*r));
    let own = caller.authority_codes().contains(a.istat_code.as_str());
    let observer = caller.scopes_of(Role::Observer).any(|s| match s {
        affianca_domain::Scope::Region => true,
        affianca_domain::Scope::Province(p) => a.province.as_ref() == Some(p),
        affianca_domain::Scope::Authority(c) => c == &a.istat_code,
        affianca_domain::Scope::TaskForce(_) => false,
    });
    if !(staff || own || observer) {
        return Err(ApiError::not_found("L'ente"));
    }
    let reg = registration::Entity::find()
        .filter(registration::Column::AuthorityCode.eq(a.istat_code.as_str()))
        .order_by_desc(registration::Column::Id)
        .one(db.get_ref())
        .await?;
    let registration_status = reg.and_then(|r| RegistrationStatus::parse(&r.status).ok());
    let phase_ids: Vec<i64> = phase_authority::Entity::find()
        .select_only()
        .column(phase_authority::Column::PhaseId)
        .filter(phase_authority::Column::AuthorityCode.eq(a.istat_code.as_str()))
        .into_tuple()
        .all(db.get_ref())
        .await?;
    let mut phases = Vec::new();
    for p in phase::Entity::find()
        .filter(phase::Column::Id.is_in(phase_ids))
        .order_by_asc(phase::Column::StartDate)
        .all(db.get_ref())
        .await?
    {
        phases.push(phase_dto(db.get_ref(), p).await?);
    }
    let may_request_support = registration_status == Some(RegistrationStatus::Approved)
        && phases.iter().any(|p| p.started);
    Ok(HttpResponse::Ok().json(ProgrammeStatus {
        istat_code: a.istat_code.clone(),
        registration_status,
        phases,
        may_request_support,
    }))
}

#[cfg(test)]
mod tests {
    use super::codes_from_csv;

    #[test]
    fn csv_codes_are_read_from_the_first_column_with_row_numbers() {
        let rows =
            codes_from_csv("\u{feff}istat_code;nome\n016024;Bergamo\n\n\"017029\",Brescia\nxx\n");
        assert_eq!(
            rows,
            [
                ("riga 2".to_owned(), "016024".to_owned()),
                ("riga 4".into(), "017029".into()),
                ("riga 5".into(), "xx".into())
            ]
        );
    }
}
