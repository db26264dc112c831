//! Login, refresh-token rotation, logout and `/me`.
//!
//! Refresh tokens are single use. Each login starts a family; a refresh marks the presented token
//! used and issues the next one in the same family. Presenting a used token again means it was
//! copied: the whole family is revoked and both holders must log in again.

use crate::audit::{self, Entry, RequestMeta};
use crate::auth::{
    ACCESS_TOKEN_SECONDS, Caller, JwtKeys, REFRESH_TOKEN_DAYS, password, random_token, token_hash,
};
use crate::entities::{login_failure, refresh_token, user};
use crate::error::{ApiError, ApiResult};
use crate::extract::Body;
use crate::routes::users::{load_grants, user_dto};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use affianca_domain::dto::{LoginRequest, Me, RefreshRequest, TokenResponse};
use affianca_domain::{AuditAction, RoleScope, UserId};
use chrono::{Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder,
};

/// Failed logins allowed per account within [`LOCKOUT_WINDOW_MINUTES`].
pub const MAX_FAILURES: u64 = 5;
pub const LOCKOUT_WINDOW_MINUTES: i64 = 15;

fn invalid_credentials() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
        "Credenziali non valide",
    )
    .detail("E-mail o password non corrette.")
}

fn invalid_refresh() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "invalid_refresh_token",
        "Sessione scaduta",
    )
    .detail("La sessione non è più valida: accedere di nuovo.")
}

/// Log in with e-mail and password.
///
/// Returns a 15-minute access token and a single-use refresh token. Unknown e-mail and wrong
/// password get the same answer; after 5 failures for an account within 15 minutes, 429 with
/// `Retry-After`, whatever the password.
#[utoipa::path(
    tag = "auth",
    security(()),
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in", body = TokenResponse),
        crate::openapi::BadRequest,
        (status = 401, description = "Unknown e-mail or wrong password (the same answer for both)", body = affianca_domain::dto::Problem, content_type = "application/problem+json"),
        crate::openapi::UnsupportedMediaType,
        crate::openapi::Unprocessable,
        crate::openapi::TooManyRequests,
    )
)]
#[post("/auth/login")]
pub async fn login(
    db: web::Data<DatabaseConnection>,
    keys: web::Data<JwtKeys>,
    meta: RequestMeta,
    body: Body<LoginRequest>,
) -> ApiResult<HttpResponse> {
    let LoginRequest {
        email,
        password: plain,
    } = body.0;
    let email = email.trim().to_lowercase();
    if let Err(e) = check_lockout(db.get_ref(), &email).await {
        audit::record(
            db.get_ref(),
            &meta,
            Entry::new(AuditAction::LoginLocked).actor_email(&email),
        )
        .await?;
        return Err(e);
    }
    let found = user::Entity::find()
        .filter(user::Column::Email.eq(&email))
        .one(db.get_ref())
        .await?;
    let hash = found
        .as_ref()
        .map_or_else(|| password::DUMMY_HASH.clone(), |u| u.password_hash.clone());
    let ok = password::verify_blocking(plain, hash).await;
    let user = match found {
        Some(u) if ok && u.active => u,
        _ => {
            record_failure(db.get_ref(), &email).await?;
            audit::record(
                db.get_ref(),
                &meta,
                Entry::new(AuditAction::LoginFailed).actor_email(&email),
            )
            .await?;
            tracing::info!("login failed");
            return Err(invalid_credentials());
        }
    };
    login_failure::Entity::delete_many()
        .filter(login_failure::Column::Email.eq(&email))
        .exec(db.get_ref())
        .await?;
    let grants: Vec<RoleScope> = load_grants(db.get_ref(), user.id)
        .await?
        .into_iter()
        .map(|(_, g, _)| g)
        .collect();
    let family = uuid::Uuid::new_v4().to_string();
    let tokens = issue_tokens(db.get_ref(), &keys, UserId(user.id), &grants, &family).await?;
    audit::record(
        db.get_ref(),
        &meta,
        Entry::new(AuditAction::LoginSucceeded)
            .actor(UserId(user.id))
            .actor_email(&user.email),
    )
    .await?;
    tracing::info!(user_id = user.id, "login succeeded");
    Ok(HttpResponse::Ok().json(tokens))
}

/// 429 when the account has had [`MAX_FAILURES`] failed password checks within the window.
pub async fn check_lockout(db: &impl ConnectionTrait, email: &str) -> ApiResult<()> {
    let now = Utc::now();
    let window_start = now - Duration::minutes(LOCKOUT_WINDOW_MINUTES);
    let recent = login_failure::Entity::find()
        .filter(login_failure::Column::Email.eq(email))
        .filter(login_failure::Column::At.gt(window_start));
    if recent.clone().count(db).await? >= MAX_FAILURES {
        let oldest = recent
            .order_by_asc(login_failure::Column::At)
            .one(db)
            .await?;
        let retry = oldest.map_or(LOCKOUT_WINDOW_MINUTES * 60, |f| {
            (f.at + Duration::minutes(LOCKOUT_WINDOW_MINUTES) - now).num_seconds()
        });
        tracing::warn!("password check refused: account locked after repeated failures");
        return Err(ApiError::too_many_requests(
            retry.max(1) as u64,
            format!(
                "Troppi tentativi di accesso falliti: riprovare tra {} minuti.",
                (retry.max(1) + 59) / 60
            ),
        ));
    }
    Ok(())
}

/// Counts a failed password check for an account (known or not).
pub async fn record_failure(db: &impl ConnectionTrait, email: &str) -> Result<(), sea_orm::DbErr> {
    login_failure::Entity::insert(login_failure::ActiveModel {
        email: Set(email.to_owned()),
        at: Set(Utc::now()),
        ..Default::default()
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

async fn issue_tokens(
    db: &impl ConnectionTrait,
    keys: &JwtKeys,
    user_id: UserId,
    grants: &[RoleScope],
    family: &str,
) -> ApiResult<TokenResponse> {
    let access_token = keys.issue(user_id, grants).map_err(ApiError::internal)?;
    let refresh_value = format!("afr_{}", random_token(32));
    let now = Utc::now();
    refresh_token::Entity::insert(refresh_token::ActiveModel {
        user_id: Set(user_id.0),
        family_id: Set(family.to_owned()),
        token_hash: Set(token_hash(&refresh_value)),
        created_at: Set(now),
        expires_at: Set(now + Duration::days(REFRESH_TOKEN_DAYS)),
        used_at: Set(None),
        revoked_at: Set(None),
        ..Default::default()
    })
    .exec_without_returning(db)
    .await?;
    Ok(TokenResponse {
        access_token,
        refresh_token: refresh_value,
        token_type: "Bearer".into(),
        expires_in: ACCESS_TOKEN_SECONDS,
    })
}

async fn revoke_family(db: &impl ConnectionTrait, family: &str) -> Result<(), sea_orm::DbErr> {
    refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, Expr::value(Utc::now()))
        .filter(refresh_token::Column::FamilyId.eq(family))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Exchange a refresh token for a new token pair.
///
/// The presented refresh token is spent. Presenting a spent token again revokes every token of
/// its login (it has been copied) and answers 401.
#[utoipa::path(
    tag = "auth",
    security(()),
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "New tokens; the old refresh token is spent", body = TokenResponse),
        crate::openapi::BadRequest,
        (status = 401, description = "Unknown, expired, revoked or already used refresh token", body = affianca_domain::dto::Problem, content_type = "application/problem+json"),
        crate::openapi::UnsupportedMediaType,
        crate::openapi::Unprocessable,
    )
)]
#[post("/auth/refresh")]
pub async fn refresh(
    db: web::Data<DatabaseConnection>,
    keys: web::Data<JwtKeys>,
    meta: RequestMeta,
    body: Body<RefreshRequest>,
) -> ApiResult<HttpResponse> {
    let hash = token_hash(body.0.refresh_token.trim());
    let Some(token) = refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(hash))
        .one(db.get_ref())
        .await?
    else {
        return Err(invalid_refresh());
    };
    let now = Utc::now();
    if token.revoked_at.is_some() || token.expires_at <= now {
        return Err(invalid_refresh());
    }
    // Spend the token atomically: of two concurrent refreshes with one token, one wins.
    let spent = refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::UsedAt, Expr::value(now))
        .filter(refresh_token::Column::Id.eq(token.id))
        .filter(refresh_token::Column::UsedAt.is_null())
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(db.get_ref())
        .await?;
    if spent.rows_affected != 1 {
        tracing::warn!(
            user_id = token.user_id,
            "refresh token reused: revoking its family"
        );
        revoke_family(db.get_ref(), &token.family_id).await?;
        audit::record(
            db.get_ref(),
            &meta,
            Entry::new(AuditAction::RefreshTokenReused)
                .actor(UserId(token.user_id))
                .target("user", token.user_id),
        )
        .await?;
        return Err(invalid_refresh());
    }
    let active = user::Entity::find_by_id(token.user_id)
        .one(db.get_ref())
        .await?
        .is_some_and(|u| u.active);
    if !active {
        revoke_family(db.get_ref(), &token.family_id).await?;
        return Err(invalid_refresh());
    }
    let grants: Vec<RoleScope> = load_grants(db.get_ref(), token.user_id)
        .await?
        .into_iter()
        .map(|(_, g, _)| g)
        .collect();
    let tokens = issue_tokens(
        db.get_ref(),
        &keys,
        UserId(token.user_id),
        &grants,
        &token.family_id,
    )
    .await?;
    Ok(HttpResponse::Ok().json(tokens))
}

/// Log out: revoke the refresh token and every token of the same login.
///
/// Always `204`, also for a token that is unknown or already revoked.
#[utoipa::path(
    tag = "auth",
    security(()),
    request_body = RefreshRequest,
    responses(
        (status = 204, description = "Logged out"),
        crate::openapi::BadRequest,
        crate::openapi::UnsupportedMediaType,
        crate::openapi::Unprocessable,
    )
)]
#[post("/auth/logout")]
pub async fn logout(
    db: web::Data<DatabaseConnection>,
    meta: RequestMeta,
    body: Body<RefreshRequest>,
) -> ApiResult<HttpResponse> {
    let hash = token_hash(body.0.refresh_token.trim());
    if let Some(token) = refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(hash))
        .one(db.get_ref())
        .await?
    {
        revoke_family(db.get_ref(), &token.family_id).await?;
        audit::record(
            db.get_ref(),
            &meta,
            Entry::new(AuditAction::Logout).actor(UserId(token.user_id)),
        )
        .await?;
    }
    Ok(HttpResponse::NoContent().finish())
}

/// The current user and their role grants.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller", body = Me),
        crate::openapi::Unauthorized,
    )
)]
#[get("/me")]
pub async fn me(db: web::Data<DatabaseConnection>, caller: Caller) -> ApiResult<HttpResponse> {
    let user = user::Entity::find_by_id(caller.user_id.0)
        .one(db.get_ref())
        .await?
        .filter(|u| u.active)
        .ok_or_else(ApiError::unauthenticated)?;
    let grants = load_grants(db.get_ref(), user.id).await?;
    Ok(HttpResponse::Ok().json(Me {
        user: user_dto(user, grants),
    }))
}
