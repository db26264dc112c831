//! Health and version.

use crate::error::ApiError;
use actix_web::{HttpResponse, get, web};
use affianca_domain::dto::{CubeStatus, Status};
use sea_orm::DatabaseConnection;

/// Health of the service.
///
/// `200` when the database answers; `503` problem with `Retry-After` when it does not, within
/// about three seconds (at once while the server already knows the database is down). No
/// authentication, so load balancers and uptime checks can call it.
#[utoipa::path(
    tag = "system",
    security(()),
    responses(
        (status = 200, description = "Healthy", body = Status),
        crate::openapi::ServiceUnavailable,
    )
)]
#[get("/status")]
pub async fn status(
    db: web::Data<DatabaseConnection>,
    cache: web::Data<crate::indicators::IndicatorCache>,
) -> Result<HttpResponse, ApiError> {
    if crate::db::ping(&db).await {
        Ok(HttpResponse::Ok().json(Status {
            status: "ok".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            database: "ok".into(),
            indicators: Some({
                let c = cache.status();
                CubeStatus {
                    ready: c.ready,
                    loads: c.loads,
                    catch_ups: c.catch_ups,
                    applied_change: c.applied,
                    cells: c.cells as u64,
                    last_load_ms: c.last_load_ms,
                }
            }),
        }))
    } else {
        Err(ApiError::database_unavailable().detail(format!(
            "Il database non risponde (versione {}): riprovare tra qualche secondo.",
            env!("CARGO_PKG_VERSION")
        )))
    }
}
