//! Login, refresh-token rotation, logout and `/me`.
//!
//! Refresh tokens are single use. Each login starts a family; a refresh marks the presented token
//! used and issues the next one in the same family. Presenting a used token again means it was
//! copied: the whole family is revoked and both holders must log in again.
//!
//! Two ways to hold the refresh token:
//! - API clients send it in the JSON body of refresh and logout and get it in the answer's body;
//! - browser clients send `X-Affianca-CSRF: 1` with login, refresh and logout: the refresh token
//!   then travels only in the `affianca_refresh` cookie (`HttpOnly; Secure; SameSite=Strict;
//!   Path=/api/v1/auth`), never in a body a script could read. Refresh and logout from the
//!   cookie are refused (403 `csrf_header_missing`) without the header, which a cross-site form
//!   cannot send.
//!
//! Login is limited per account (5 failures in 15 minutes lock it) and per client IP (after 5
//! failures, each attempt waits longer: 15 s, 30 s, … up to 15 minutes). A locked account still
//! opens with the right password from an IP that has not failed within the window, so that
//! someone who knows only an e-mail address cannot keep its owner out.

use crate::app::accounts::{LOCKOUT_WINDOW_MINUTES, check_lockout, record_failure};
use crate::app::accounts::{load_grants, user_dto};
use crate::audit::{self, Entry, RequestMeta};
use crate::auth::{
    ACCESS_TOKEN_SECONDS, Caller, JwtKeys, REFRESH_TOKEN_DAYS, Sessions, password, random_token,
    token_hash,
};
use crate::entities::{login_failure, refresh_token, user};
use crate::error::{ApiError, ApiResult};
use crate::extract::Body;
use crate::throttle;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, HttpResponse, ResponseError, get, post, web};
use affianca_domain::dto::{LoginRequest, Me, RefreshRequest, TokenResponse};
use affianca_domain::{AuditAction, RoleScope, UserId};
use chrono::{Duration, Utc};
use futures_util::future::LocalBoxFuture;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
};

/// Failed logins from one IP within the window before each new attempt has to wait.
pub const IP_FREE_FAILURES: u64 = 5;

/// The cookie that holds a browser's refresh token.
pub const REFRESH_COOKIE: &str = "affianca_refresh";
/// The header browser clients send with login, refresh and logout.
pub const CSRF_HEADER: &str = "x-affianca-csrf";

/// How long an IP that has failed `failures` times within the window waits after its latest
/// failure: nothing up to [`IP_FREE_FAILURES`], then 15 s, doubling, at most 15 minutes.
pub fn ip_backoff_seconds(failures: u64) -> i64 {
    if failures < IP_FREE_FAILURES {
        0
    } else {
        (15i64 << (failures - IP_FREE_FAILURES).min(6)).min(LOCKOUT_WINDOW_MINUTES * 60)
    }
}

/// Whether the request comes from the browser client (`X-Affianca-CSRF: 1`).
fn from_browser(req: &HttpRequest) -> bool {
    req.headers()
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim() == "1")
}

fn refresh_cookie(value: &str) -> Cookie<'static> {
    Cookie::build(REFRESH_COOKIE, value.to_owned())
        .path("/api/v1/auth")
        .http_only(true)
        .secure(true)
        .same_site(SameSite::Strict)
        .max_age(actix_web::cookie::time::Duration::days(REFRESH_TOKEN_DAYS))
        .finish()
}

fn cleared_cookie() -> Cookie<'static> {
    let mut c = refresh_cookie("");
    c.make_removal();
    c
}

fn csrf_header_missing() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "csrf_header_missing",
        "Richiesta non consentita",
    )
    .detail("Per usare il cookie di sessione la richiesta deve avere l'intestazione X-Affianca-CSRF: 1.")
}

/// The answer with the tokens: in browser mode the refresh token goes in the cookie only.
fn tokens_response(mut tokens: TokenResponse, browser: bool) -> HttpResponse {
    let mut res = HttpResponse::Ok();
    res.insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"));
    if browser && let Some(rt) = tokens.refresh_token.take() {
        res.cookie(refresh_cookie(&rt));
    }
    res.json(tokens)
}

/// An optional JSON body: absent (no content type, no length) or a [`Body`] with its errors.
pub struct MaybeBody<T>(pub Option<T>);

impl<T: serde::de::DeserializeOwned + 'static> FromRequest for MaybeBody<T> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let empty = req
            .headers()
            .get(actix_web::http::header::CONTENT_TYPE)
            .is_none()
            && req
                .headers()
                .get(actix_web::http::header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .is_none_or(|v| v.trim() == "0");
        if empty {
            return Box::pin(std::future::ready(Ok(Self(None))));
        }
        let body = Body::<T>::from_request(req, payload);
        Box::pin(async move { Ok(Self(Some(body.await?.0))) })
    }
}

/// The refresh token of a refresh or logout: the body's, else the cookie's (which needs the
/// CSRF header). `Ok(None)`: neither.
fn presented_refresh_token(
    req: &HttpRequest,
    body: Option<RefreshRequest>,
) -> ApiResult<Option<String>> {
    if let Some(b) = body {
        return Ok(Some(b.refresh_token));
    }
    match req.cookie(REFRESH_COOKIE) {
        Some(c) if !c.value().is_empty() => {
            if from_browser(req) {
                Ok(Some(c.value().to_owned()))
            } else {
                Err(csrf_header_missing())
            }
        }
        _ => Ok(None),
    }
}

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
/// Returns a 15-minute access token and a single-use refresh token (with `X-Affianca-CSRF: 1`,
/// the refresh token is set in the `affianca_refresh` cookie instead of the body). Unknown e-mail
/// and wrong password get the same answer. After 5 failures for an account within 15 minutes,
/// 429 with `Retry-After`, unless the right password comes from an IP address that has not
/// failed within the window. After 5 failures from one IP address, each new attempt from it
/// waits (429 with `Retry-After`: 15 s, doubling up to 15 minutes).
#[utoipa::path(
    tag = "auth",
    security(()),
    request_body = LoginRequest,
    params(("X-Affianca-CSRF" = Option<String>, Header, description = "`1` from the browser client: the refresh token goes in the `affianca_refresh` cookie, not in the body")),
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
    req: HttpRequest,
    body: Body<LoginRequest>,
) -> ApiResult<HttpResponse> {
    let LoginRequest {
        email,
        password: plain,
    } = body.0;
    let email = email.trim().to_lowercase();
    let ip = meta.ip.clone().unwrap_or_else(|| "unknown".into());
    let now = Utc::now();
    let window_start = now - Duration::minutes(LOCKOUT_WINDOW_MINUTES);
    let ip_failures =
        throttle::count_since(db.get_ref(), throttle::LOGIN_FAILURE_IP, &ip, window_start).await?;
    let refused = if ip_failures >= IP_FREE_FAILURES {
        let latest = throttle::edge_since(
            db.get_ref(),
            throttle::LOGIN_FAILURE_IP,
            &ip,
            window_start,
            true,
        )
        .await?
        .unwrap_or(now);
        let wait =
            (latest + Duration::seconds(ip_backoff_seconds(ip_failures)) - now).num_seconds();
        (wait > 0).then(|| {
            tracing::warn!("login refused: too many failures from this address");
            ApiError::too_many_requests(
                wait as u64,
                format!(
                    "Troppi tentativi di accesso falliti da questo indirizzo: riprovare tra {} secondi.",
                    wait.max(1)
                ),
            )
        })
    } else {
        None
    };
    // A locked account still opens with the right password from an address that has not failed.
    let refused = match refused {
        Some(e) => Some(e),
        None => match check_lockout(db.get_ref(), &email).await {
            Err(e) if ip_failures > 0 => Some(e),
            Err(_) => {
                tracing::info!("account locked: trying the password from a clean address");
                None
            }
            Ok(()) => None,
        },
    };
    if let Some(e) = refused {
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
            throttle::record(db.get_ref(), throttle::LOGIN_FAILURE_IP, &ip).await?;
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
    let tokens = issue_tokens(
        db.get_ref(),
        &keys,
        UserId(user.id),
        user.session_version,
        &grants,
        &family,
    )
    .await?;
    audit::record(
        db.get_ref(),
        &meta,
        Entry::new(AuditAction::LoginSucceeded)
            .actor(UserId(user.id))
            .actor_email(&user.email),
    )
    .await?;
    tracing::info!(user_id = user.id, "login succeeded");
    Ok(tokens_response(tokens, from_browser(&req)))
}

async fn issue_tokens(
    db: &impl ConnectionTrait,
    keys: &JwtKeys,
    user_id: UserId,
    session_version: i64,
    grants: &[RoleScope],
    family: &str,
) -> ApiResult<TokenResponse> {
    let access_token = keys
        .issue(user_id, session_version, grants)
        .map_err(ApiError::internal)?;
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
        refresh_token: Some(refresh_value),
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
/// its login (it has been copied) and answers 401. API clients send the refresh token in the
/// body; browser clients send no body, the `affianca_refresh` cookie and `X-Affianca-CSRF: 1`
/// (403 `csrf_header_missing` with the cookie but without the header), and get the new refresh
/// token in the cookie only.
#[utoipa::path(
    tag = "auth",
    security(()),
    request_body(content = RefreshRequest, description = "Optional: without a body, the refresh token is read from the `affianca_refresh` cookie"),
    params(("X-Affianca-CSRF" = Option<String>, Header, description = "`1` from the browser client: required to use the cookie; the new refresh token goes in the cookie, not in the body")),
    responses(
        (status = 200, description = "New tokens; the old refresh token is spent", body = TokenResponse),
        crate::openapi::BadRequest,
        (status = 401, description = "No refresh token, or an unknown, expired, revoked or already used one", body = affianca_domain::dto::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The cookie without the `X-Affianca-CSRF: 1` header (`csrf_header_missing`)", body = affianca_domain::dto::Problem, content_type = "application/problem+json"),
        crate::openapi::UnsupportedMediaType,
        crate::openapi::Unprocessable,
    )
)]
#[post("/auth/refresh")]
pub async fn refresh(
    db: web::Data<DatabaseConnection>,
    keys: web::Data<JwtKeys>,
    meta: RequestMeta,
    req: HttpRequest,
    body: MaybeBody<RefreshRequest>,
) -> HttpResponse {
    let browser = from_browser(&req);
    match refresh_tokens(&db, &keys, &meta, &req, body.0).await {
        Ok(tokens) => tokens_response(tokens, browser),
        Err(e) => {
            let mut res = e.error_response();
            // A refused cookie is of no more use: drop it.
            if browser && e.status_code() == StatusCode::UNAUTHORIZED {
                let _ = res.add_cookie(&cleared_cookie());
            }
            res
        }
    }
}

async fn refresh_tokens(
    db: &DatabaseConnection,
    keys: &JwtKeys,
    meta: &RequestMeta,
    req: &HttpRequest,
    body: Option<RefreshRequest>,
) -> ApiResult<TokenResponse> {
    let presented = presented_refresh_token(req, body)?.ok_or_else(invalid_refresh)?;
    let hash = token_hash(presented.trim());
    let Some(token) = refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(hash))
        .one(db)
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
        .exec(db)
        .await?;
    if spent.rows_affected != 1 {
        tracing::warn!(
            user_id = token.user_id,
            "refresh token reused: revoking its family"
        );
        revoke_family(db, &token.family_id).await?;
        audit::record(
            db,
            meta,
            Entry::new(AuditAction::RefreshTokenReused)
                .actor(UserId(token.user_id))
                .target("user", token.user_id),
        )
        .await?;
        return Err(invalid_refresh());
    }
    let Some(user) = user::Entity::find_by_id(token.user_id)
        .one(db)
        .await?
        .filter(|u| u.active)
    else {
        revoke_family(db, &token.family_id).await?;
        return Err(invalid_refresh());
    };
    let grants: Vec<RoleScope> = load_grants(db, token.user_id)
        .await?
        .into_iter()
        .map(|(_, g, _)| g)
        .collect();
    issue_tokens(
        db,
        keys,
        UserId(token.user_id),
        user.session_version,
        &grants,
        &token.family_id,
    )
    .await
}

/// Log out: revoke the refresh token and every token of the same login; the access tokens
/// already issued to the user stop working at once (other logins of the user get a new one at
/// their next refresh).
///
/// Always `204`, also for a token that is unknown or already revoked (logging out twice is
/// harmless), and without any token. The `affianca_refresh` cookie is cleared; using it needs
/// `X-Affianca-CSRF: 1` (403 `csrf_header_missing` without).
#[utoipa::path(
    tag = "auth",
    security(()),
    request_body(content = RefreshRequest, description = "Optional: without a body, the refresh token is read from the `affianca_refresh` cookie"),
    params(("X-Affianca-CSRF" = Option<String>, Header, description = "`1` from the browser client: required to use the cookie")),
    responses(
        (status = 204, description = "Logged out"),
        crate::openapi::BadRequest,
        (status = 403, description = "The cookie without the `X-Affianca-CSRF: 1` header (`csrf_header_missing`)", body = affianca_domain::dto::Problem, content_type = "application/problem+json"),
        crate::openapi::UnsupportedMediaType,
        crate::openapi::Unprocessable,
    )
)]
#[post("/auth/logout")]
pub async fn logout(
    db: web::Data<DatabaseConnection>,
    sessions: web::Data<Sessions>,
    meta: RequestMeta,
    req: HttpRequest,
    body: MaybeBody<RefreshRequest>,
) -> ApiResult<HttpResponse> {
    let presented = presented_refresh_token(&req, body.0)?;
    let found = match presented {
        Some(p) => {
            refresh_token::Entity::find()
                .filter(refresh_token::Column::TokenHash.eq(token_hash(p.trim())))
                .one(db.get_ref())
                .await?
        }
        None => None,
    };
    if let Some(token) = found {
        let txn = crate::db::begin_write(&db).await?;
        revoke_family(&txn, &token.family_id).await?;
        crate::auth::bump_session_version(&txn, &sessions, [token.user_id]).await?;
        audit::record(
            &txn,
            &meta,
            Entry::new(AuditAction::Logout).actor(UserId(token.user_id)),
        )
        .await?;
        txn.commit().await?;
    }
    Ok(HttpResponse::NoContent().cookie(cleared_cookie()).finish())
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
