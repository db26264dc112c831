//! "Password dimenticata": an e-mailed single-use link valid one hour. The answer never says
//! whether the e-mail has an account.
//!
//! Limits, so that the form cannot be used to flood a mailbox or the outbox: at most
//! [`MAX_EMAILS_PER_ADDRESS`] e-mails per address per hour (further requests get the same 202,
//! and no e-mail), and at most [`MAX_REQUESTS_PER_IP`] requests per client IP per
//! [`IP_WINDOW_MINUTES`] minutes (then 429 with `Retry-After`, whatever the address).

use crate::app::accounts;
use crate::audit::RequestMeta;
use crate::error::ApiResult;
use crate::extract::Body;
use crate::notify::PublicUrl;
use actix_web::{HttpResponse, post, web};
use affianca_domain::dto::{NewPasswordRequest, PasswordResetRequest};
use sea_orm::DatabaseConnection;

pub use crate::app::accounts::{
    IP_WINDOW_MINUTES, MAX_EMAILS_PER_ADDRESS, MAX_REQUESTS_PER_IP, RESET_MINUTES,
};

/// Ask for a password reset link.
///
/// Always `202`: whether the e-mail has an account is not revealed. When it has, a link valid one
/// hour is e-mailed to it, at most 3 times per hour. More than 20 requests from one IP address
/// within 15 minutes: 429 with `Retry-After`.
#[utoipa::path(
    tag = "auth",
    security(()),
    request_body = PasswordResetRequest,
    responses(
        (status = 202, description = "If the e-mail has an account, a link is on its way"),
        crate::openapi::BadRequest,
        crate::openapi::UnsupportedMediaType,
        crate::openapi::Unprocessable,
        crate::openapi::TooManyRequests,
    )
)]
#[post("/auth/password-reset")]
pub async fn request_reset(
    db: web::Data<DatabaseConnection>,
    base: web::Data<PublicUrl>,
    meta: RequestMeta,
    body: Body<PasswordResetRequest>,
) -> ApiResult<HttpResponse> {
    accounts::request_reset(db.get_ref(), &base, &meta, &body.0.email).await?;
    Ok(HttpResponse::Accepted().finish())
}

/// Set a new password with the e-mailed link. Ends every session of the account.
#[utoipa::path(
    tag = "auth",
    security(()),
    params(("token" = String, Path, description = "The token from the e-mailed link")),
    request_body = NewPasswordRequest,
    responses(
        (status = 204, description = "Password changed: log in with it"),
        crate::openapi::BadRequest,
        crate::openapi::NotFound,
        (status = 410, description = "Expired (`token_expired`) or already used (`token_used`)", body = affianca_domain::dto::Problem, content_type = "application/problem+json"),
        crate::openapi::UnsupportedMediaType,
        crate::openapi::Unprocessable,
    )
)]
#[post("/auth/password-reset/{token}")]
pub async fn reset_password(
    db: web::Data<DatabaseConnection>,
    sessions: web::Data<crate::auth::Sessions>,
    meta: RequestMeta,
    path: web::Path<String>,
    body: Body<NewPasswordRequest>,
) -> ApiResult<HttpResponse> {
    accounts::reset_password(db.get_ref(), &sessions, &meta, &path, &body.0.password).await?;
    Ok(HttpResponse::NoContent().finish())
}
