//! "Password dimenticata": an e-mailed single-use link valid one hour. The answer never says
//! whether the e-mail has an account.
//!
//! Limits, so that the form cannot be used to flood a mailbox or the outbox: at most
//! [`MAX_EMAILS_PER_ADDRESS`] e-mails per address per hour (further requests get the same 202,
//! and no e-mail), and at most [`MAX_REQUESTS_PER_IP`] requests per client IP per
//! [`IP_WINDOW_MINUTES`] minutes (then 429 with `Retry-After`, whatever the address).

use crate::audit::{self, Entry, RequestMeta};
use crate::auth::password;
use crate::entities::{action_token, login_failure, user};
use crate::error::{ApiError, ApiResult};
use crate::extract::Body;
use crate::notify::{self, PublicUrl};
use crate::throttle;
use crate::tokens;
use actix_web::{HttpResponse, post, web};
use affianca_domain::dto::{NewPasswordRequest, PasswordResetRequest};
use affianca_domain::{AuditAction, UserId};
use chrono::{Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};

/// How long a reset link works.
pub const RESET_MINUTES: i64 = 60;
/// Reset e-mails sent to one address within an hour, at most.
pub const MAX_EMAILS_PER_ADDRESS: u64 = 3;
/// Requests from one IP address within [`IP_WINDOW_MINUTES`], at most.
pub const MAX_REQUESTS_PER_IP: u64 = 20;
pub const IP_WINDOW_MINUTES: i64 = 15;

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
    let email = body.0.email.trim().to_lowercase();
    let ip = meta.ip.clone().unwrap_or_else(|| "unknown".into());
    let now = Utc::now();
    let ip_window = now - Duration::minutes(IP_WINDOW_MINUTES);
    let from_ip =
        throttle::count_since(db.get_ref(), throttle::PASSWORD_RESET_IP, &ip, ip_window).await?;
    if from_ip >= MAX_REQUESTS_PER_IP {
        let oldest = throttle::edge_since(
            db.get_ref(),
            throttle::PASSWORD_RESET_IP,
            &ip,
            ip_window,
            false,
        )
        .await?
        .unwrap_or(now);
        let wait = (oldest + Duration::minutes(IP_WINDOW_MINUTES) - now)
            .num_seconds()
            .max(1);
        tracing::warn!("password reset refused: too many requests from this address");
        return Err(ApiError::too_many_requests(
            wait as u64,
            format!(
                "Troppe richieste di reimpostazione da questo indirizzo: riprovare tra {} minuti.",
                (wait + 59) / 60
            ),
        ));
    }
    throttle::record(db.get_ref(), throttle::PASSWORD_RESET_IP, &ip).await?;
    let found = user::Entity::find()
        .filter(user::Column::Email.eq(&email))
        .one(db.get_ref())
        .await?
        .filter(|u| u.active);
    // Links asked for through this form (not those created by the staff) within the hour.
    let recent = match &found {
        Some(u) => {
            action_token::Entity::find()
                .filter(action_token::Column::Purpose.eq(tokens::PASSWORD_RESET))
                .filter(action_token::Column::UserId.eq(u.id))
                .filter(action_token::Column::CreatedBy.is_null())
                .filter(action_token::Column::CreatedAt.gt(now - Duration::hours(1)))
                .count(db.get_ref())
                .await?
        }
        None => 0,
    };
    let found = if recent >= MAX_EMAILS_PER_ADDRESS {
        tracing::warn!("password reset e-mail not sent: enough sent to this address this hour");
        audit::record(
            db.get_ref(),
            &meta,
            Entry::new(AuditAction::PasswordResetRequested)
                .actor_email(&email)
                .details(serde_json::json!({"throttled": true})),
        )
        .await?;
        return Ok(HttpResponse::Accepted().finish());
    } else {
        found
    };
    if let Some(u) = found {
        let txn = crate::db::begin_write(&db).await?;
        let (secret, _) = tokens::create(
            &txn,
            tokens::NewToken {
                purpose: tokens::PASSWORD_RESET,
                email: &u.email,
                user_id: Some(u.id),
                authority_code: None,
                created_by: None,
                ttl: Duration::minutes(RESET_MINUTES),
            },
        )
        .await?;
        notify::enqueue_email(
            &txn,
            &u.email,
            "Affianca: reimpostazione della password",
            &format!(
                "Gentile {},\n\nè stata chiesta la reimpostazione della password del vostro account Affianca.\nPer scegliere una nuova password aprite questo link entro {RESET_MINUTES} minuti (funziona una sola volta):\n{}{}\n\nSe non l'avete chiesta voi, ignorate il messaggio: la password attuale resta valida.\n\n--\nAffianca — Assistenza tecnica PNRR, Regione Lombardia\nMessaggio automatico: non rispondere.\n",
                u.full_name, base.0, affianca_domain::links::password_setup(&secret)
            ),
        )
        .await?;
        audit::record(
            &txn,
            &meta,
            Entry::new(AuditAction::PasswordResetRequested)
                .actor(UserId(u.id))
                .actor_email(&u.email),
        )
        .await?;
        txn.commit().await?;
    } else {
        audit::record(
            db.get_ref(),
            &meta,
            Entry::new(AuditAction::PasswordResetRequested).actor_email(&email),
        )
        .await?;
    }
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
    let t = tokens::find_usable(db.get_ref(), tokens::PASSWORD_RESET, &path).await?;
    password::check_policy(&body.0.password).map_err(|m| ApiError::invalid_field("password", m))?;
    let user_id = t
        .user_id
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("reset token without user")))?;
    let hash = password::hash_blocking(body.0.password.clone())
        .await
        .map_err(ApiError::internal)?;
    let txn = crate::db::begin_write(&db).await?;
    tokens::consume(&txn, t.id).await?;
    user::Entity::update_many()
        .col_expr(user::Column::PasswordHash, Expr::value(hash))
        .filter(user::Column::Id.eq(user_id))
        .exec(&txn)
        .await?;
    crate::auth::end_sessions(&txn, &sessions, [user_id]).await?;
    login_failure::Entity::delete_many()
        .filter(login_failure::Column::Email.eq(&t.email))
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        &meta,
        Entry::new(AuditAction::PasswordReset)
            .actor(UserId(user_id))
            .actor_email(&t.email),
    )
    .await?;
    txn.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}
