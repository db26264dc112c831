//! The workload and service report of the support requests (DOMAIN.md §4): per task force the
//! open and overdue requests, the median working days to take charge and to assign, the
//! authorities' ratings and the hours logged; per expert their load, ratings and hours; per
//! authority the requests and hours. The secretariat sees every task force, a coordinator theirs.

use crate::app::reports;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::Query;
use crate::registry::Registry;
use actix_web::{HttpResponse, get, web};
use affianca_domain::calendar::rome_date;
use affianca_domain::dto::ServiceReport;
use chrono::{Datelike, NaiveDate, Utc};
use sea_orm::DatabaseConnection;
use serde::Deserialize;
use utoipa::IntoParams;

/// The period of the report.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// First day of submission (`YYYY-MM-DD`); 1 January of this year by default.
    pub from: Option<String>,
    /// Last day of submission, included; today by default.
    pub to: Option<String>,
}

/// The workload and service report for requests submitted in a period.
#[utoipa::path(
    tag = "support-requests",
    security(("bearer" = [])),
    params(ReportQuery),
    responses(
        (status = 200, description = "The report", body = ServiceReport),
        crate::openapi::Unauthorized,
        crate::openapi::Forbidden,
        crate::openapi::Unprocessable,
    )
)]
#[get("/reports/service")]
pub async fn service_report(
    db: web::Data<DatabaseConnection>,
    registry: web::Data<Registry>,
    caller: Caller,
    query: Query<ReportQuery>,
) -> ApiResult<HttpResponse> {
    let today = rome_date(Utc::now());
    let day = |field: &str, v: &Option<String>, default: NaiveDate| match v
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => Ok(default),
        Some(s) => s
            .parse::<NaiveDate>()
            .map_err(|_| ApiError::invalid_field(field, "una data AAAA-MM-GG")),
    };
    let from = day(
        "from",
        &query.from,
        NaiveDate::from_ymd_opt(today.year(), 1, 1).expect("1 January"),
    )?;
    let to = day("to", &query.to, today)?;
    if to < from {
        return Err(ApiError::invalid_field("to", "non può precedere «from»"));
    }
    let snapshot = registry.snapshot_recent(&db).await?;
    Ok(HttpResponse::Ok()
        .json(reports::service(db.get_ref(), &snapshot, &caller, from, to, today).await?))
}
