//! "Password dimenticata": an e-mailed single-use link valid one hour. The answer never says
//! whether the e-mail has an account.

use crate::audit::{self, Entry, RequestMeta};
use crate::auth::password;
use crate::entities::{login_failure, user};
use crate::error::{ApiError, ApiResult};
use crate::extract::Body;
use crate::notify::{self, PublicUrl};
use crate::tokens;
use actix_web::{HttpResponse, post, web};
use affianca_domain::dto::{NewPasswordRequest, PasswordResetRequest};
use affianca_domain::{AuditAction, UserId};
use chrono::Duration;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, TransactionTrait};

/// How long a reset link works.
pub const RESET_MINUTES: i64 = 60;

/// Ask for a password reset link.
///
/// Always `202`: whether the e-mail has an account is not revealed. When it has, a link valid one
/// hour is e-mailed to it.
#[utoipa::path(
    tag = "auth",
    security(()),
    request_body = PasswordResetRequest,
    responses(
        (status = 202, description = "If the e-mail has an account, a link is on its way"),
        crate::openapi::BadRequest,
        crate::openapi::UnsupportedMediaType,
        crate::openapi::Unprocessable,
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
    let found = user::Entity::find()
        .filter(user::Column::Email.eq(&email))
        .one(db.get_ref())
        .await?
        .filter(|u| u.active);
    if let Some(u) = found {
        let txn = db.begin().await?;
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
                "Gentile {},\n\nè stata chiesta la reimpostazione della password del vostro account Affianca.\nPer scegliere una nuova password aprite questo link entro {RESET_MINUTES} minuti (funziona una sola volta):\n{}/reimposta-password/{secret}\n\nSe non l'avete chiesta voi, ignorate il messaggio: la password attuale resta valida.\n\n--\nAffianca — Assistenza tecnica PNRR, Regione Lombardia\nMessaggio automatico: non rispondere.\n",
                u.full_name, base.0
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
    let txn = db.begin().await?;
    tokens::consume(&txn, t.id).await?;
    user::Entity::update_many()
        .col_expr(user::Column::PasswordHash, Expr::value(hash))
        .filter(user::Column::Id.eq(user_id))
        .exec(&txn)
        .await?;
    crate::auth::end_sessions(&txn, [user_id]).await?;
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
