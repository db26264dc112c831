//! Programme phases (DOMAIN.md §1): each enables a set of authorities from its start date. An
//! authority may ask for support when its registration is approved AND a started phase enables it.

use crate::app::phases;
use crate::audit::RequestMeta;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, extractors::payload_error};
use crate::extract::{Body, LazyBody};
use crate::registry::Registry;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};
use affianca_domain::dto::{
    Authority, CreatePhaseRequest, EnableAuthoritiesRequest, EnableAuthoritiesResult, Phase,
    ProgrammeStatus,
};
use sea_orm::DatabaseConnection;

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
    Ok(HttpResponse::Ok().json(phases::list(db.get_ref()).await?))
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
    let p = phases::create(db.get_ref(), &caller, &meta, body.0).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/phases/{}", p.id)))
        .json(p))
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
    Ok(HttpResponse::Ok().json(phases::get(db.get_ref(), path.into_inner()).await?))
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
    let snapshot = registry.snapshot(&db).await?;
    Ok(HttpResponse::Ok()
        .json(phases::authorities(db.get_ref(), &snapshot, path.into_inner()).await?))
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
    let id = path.into_inner();
    phases::get(db.get_ref(), id).await?;
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
    let snapshot = registry.snapshot(&db).await?;
    let result = phases::enable(db.get_ref(), &snapshot, &caller, &meta, id, entries).await?;
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
    phases::remove(db.get_ref(), &caller, &meta, id, &code).await?;
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
    Ok(HttpResponse::Ok().json(phases::status(db.get_ref(), &snapshot, &caller, &path).await?))
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
