//! The registry of authorities and the provinces: public reference data (ISTAT, CC-BY), readable
//! without signing in (a legal representative picks their authority before having an account).

use crate::error::{ApiError, ApiResult};
use crate::extract::Query;
use crate::registry::Registry;
use crate::routes::Paging;
use actix_web::{HttpResponse, get, web};
use affianca_domain::dto::{Authority, FieldError, Page, Province};
use affianca_domain::text::fold_for_search;
use affianca_domain::{AuthorityKind, IstatCode, ProvinceCode};
use sea_orm::DatabaseConnection;
use serde::Deserialize;
use utoipa::IntoParams;

#[derive(Debug, Clone, Copy)]
enum Sort {
    Name,
    NameDesc,
    Code,
    CodeDesc,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListAuthoritiesQuery {
    /// Part of the name; case- and accent-insensitive ("fenegro" finds Fenegrò).
    pub q: Option<String>,
    /// Province code (sigla), e.g. `BG`: the province itself and its comuni.
    pub province: Option<String>,
    /// `comune`, `provincia`, `citta_metropolitana` or `regione`.
    pub kind: Option<String>,
    /// Include authorities retired from the ISTAT list (default false).
    pub include_inactive: Option<bool>,
    /// Only authorities that may (true) or may not (false) ask for support today: approved
    /// registration and enabled by a started phase.
    pub may_request_support: Option<bool>,
    /// `name` (default), `-name`, `istat_code` or `-istat_code`.
    pub sort: Option<String>,
    /// 1–200, default 50.
    pub limit: Option<u64>,
    pub offset: Option<u64>,
}

/// Search the registry of authorities.
#[utoipa::path(
    tag = "authorities",
    security(()),
    params(ListAuthoritiesQuery),
    responses(
        (status = 200, description = "A page of authorities and the total count", body = Page<Authority>,
            example = json!({"items": [{"istat_code": "016024", "name": "Bergamo", "kind": "comune", "province": "BG", "province_name": "Bergamo", "cadastral_code": "A794", "fiscal_code": "80034840167", "active": true}], "total": 1, "limit": 50, "offset": 0})),
                crate::openapi::Unprocessable,
    )
)]
#[get("/authorities")]
pub async fn list_authorities(
    db: web::Data<DatabaseConnection>,
    registry: web::Data<Registry>,
    query: Query<ListAuthoritiesQuery>,
) -> ApiResult<HttpResponse> {
    let mut errors = Vec::new();
    let paging = Paging::parse(query.limit, query.offset, &mut errors);
    let province = query
        .province
        .as_deref()
        .filter(|p| !p.trim().is_empty())
        .and_then(|p| match ProvinceCode::parse(p) {
            Ok(p) if crate::registry::PROVINCES.contains(&p.as_str()) => Some(p),
            Ok(p) => {
                errors.push(FieldError {
                    field: "province".into(),
                    message: format!("{p} non è una provincia lombarda"),
                });
                None
            }
            Err(e) => {
                errors.push(FieldError {
                    field: "province".into(),
                    message: e.to_string(),
                });
                None
            }
        });
    let kind = query
        .kind
        .as_deref()
        .filter(|k| !k.trim().is_empty())
        .and_then(|k| {
            AuthorityKind::parse(k)
                .map_err(|e| {
                    errors.push(FieldError {
                        field: "kind".into(),
                        message: e.to_string(),
                    })
                })
                .ok()
        });
    let sort = match query.sort.as_deref().unwrap_or("name") {
        "name" => Sort::Name,
        "-name" => Sort::NameDesc,
        "istat_code" => Sort::Code,
        "-istat_code" => Sort::CodeDesc,
        other => {
            errors.push(FieldError {
                field: "sort".into(),
                message: format!(
                    "«{other}» non ammesso: usare name, -name, istat_code o -istat_code"
                ),
            });
            Sort::Name
        }
    };
    let include_inactive = query.include_inactive.unwrap_or(false);
    let q = query
        .q
        .as_deref()
        .map(fold_for_search)
        .filter(|q| !q.is_empty());
    if q.as_ref().is_some_and(|q| q.chars().count() > 100) {
        errors.push(FieldError {
            field: "q".into(),
            message: "al massimo 100 caratteri".into(),
        });
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }

    let snapshot = registry.snapshot(&db).await?;
    let eligible = match query.may_request_support {
        Some(_) => Some(crate::app::phases::eligible_authorities(db.get_ref()).await?),
        None => None,
    };
    let matches: Vec<&Authority> = snapshot
        .entries
        .iter()
        .filter(|e| {
            let a = &e.authority;
            province
                .as_ref()
                .is_none_or(|p| a.province.as_ref() == Some(p))
                && kind.is_none_or(|k| a.kind == k)
                && (include_inactive || a.active)
                && q.as_ref()
                    .is_none_or(|q| e.name_search.contains(q.as_str()))
                && eligible.as_ref().is_none_or(|set| {
                    set.contains(a.istat_code.as_str()) == query.may_request_support.unwrap_or(true)
                })
        })
        .map(|e| &e.authority)
        .collect();
    let total = matches.len() as u64;
    let mut ordered = matches;
    match sort {
        Sort::Name => {}
        Sort::NameDesc => ordered.reverse(),
        Sort::Code => ordered.sort_by(|a, b| a.istat_code.cmp(&b.istat_code)),
        Sort::CodeDesc => ordered.sort_by(|a, b| b.istat_code.cmp(&a.istat_code)),
    }
    let items: Vec<&Authority> = ordered
        .into_iter()
        .skip(paging.offset as usize)
        .take(paging.limit as usize)
        .collect();
    Ok(HttpResponse::Ok().json(Page {
        items,
        total,
        limit: paging.limit,
        offset: paging.offset,
    }))
}

/// One authority by ISTAT code.
#[utoipa::path(
    tag = "authorities",
    security(()),
    params(("istat_code" = String, Path, description = "6 digits for a comune, 3 for a province body (215 = Città metropolitana di Milano), 03 for the region", example = "016024")),
    responses(
        (status = 200, description = "The authority", body = Authority),
                crate::openapi::NotFound,
    )
)]
#[get("/authorities/{istat_code}")]
pub async fn get_authority(
    db: web::Data<DatabaseConnection>,
    registry: web::Data<Registry>,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let code = IstatCode::parse(&path).map_err(|_| ApiError::not_found("L'ente"))?;
    let snapshot = registry.snapshot(&db).await?;
    let a = snapshot
        .get(code.as_str())
        .ok_or_else(|| ApiError::not_found("L'ente"))?;
    Ok(HttpResponse::Ok().json(a))
}

/// The 12 provinces (11 Province and the Città metropolitana di Milano).
#[utoipa::path(
    tag = "authorities",
    security(()),
    responses(
        (status = 200, description = "Provinces in name order", body = Vec<Province>),
        crate::openapi::InternalError,
            )
)]
#[get("/provinces")]
pub async fn list_provinces(db: web::Data<DatabaseConnection>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(crate::registry::provinces(db.get_ref()).await?))
}
