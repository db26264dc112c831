//! Single-use tokens sent by e-mail (delegate invitations, password resets): random, stored as
//! SHA-256 only, with an expiry; using one is an atomic compare-and-set, so it works once.

use crate::auth::{random_token, token_hash};
use crate::entities::action_token;
use crate::error::{ApiError, ApiResult};
use actix_web::http::StatusCode;
use chrono::{Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

pub const INVITATION: &str = "invitation";
pub const PASSWORD_RESET: &str = "password_reset";

/// What a new token is for.
#[derive(Debug)]
pub struct NewToken<'a> {
    pub purpose: &'static str,
    pub email: &'a str,
    pub user_id: Option<i64>,
    pub authority_code: Option<&'a str>,
    pub created_by: Option<i64>,
    pub ttl: Duration,
}

/// Creates a token; returns its secret value (to put in a link, never stored) and the row.
pub async fn create(
    db: &impl ConnectionTrait,
    t: NewToken<'_>,
) -> Result<(String, action_token::Model), sea_orm::DbErr> {
    let value = random_token(32);
    let now = Utc::now();
    let res = action_token::Entity::insert(action_token::ActiveModel {
        purpose: Set(t.purpose.to_owned()),
        token_hash: Set(token_hash(&value)),
        email: Set(t.email.to_owned()),
        user_id: Set(t.user_id),
        authority_code: Set(t.authority_code.map(str::to_owned)),
        created_by: Set(t.created_by),
        created_at: Set(now),
        expires_at: Set(now + t.ttl),
        used_at: Set(None),
        revoked_at: Set(None),
        ..Default::default()
    })
    .exec(db)
    .await?;
    let row = action_token::Entity::find_by_id(res.last_insert_id)
        .one(db)
        .await?
        .ok_or_else(|| sea_orm::DbErr::RecordNotFound("token just inserted".into()))?;
    Ok((value, row))
}

fn gone(code: &'static str, title: &'static str, detail: &str) -> ApiError {
    ApiError::new(StatusCode::GONE, code, title).detail(detail)
}

/// The token behind a link, if it can still be used: unknown is 404, used or revoked is 410
/// `token_used`, expired is 410 `token_expired`.
pub async fn find_usable(
    db: &impl ConnectionTrait,
    purpose: &str,
    value: &str,
) -> ApiResult<action_token::Model> {
    let t = action_token::Entity::find()
        .filter(action_token::Column::TokenHash.eq(token_hash(value.trim())))
        .filter(action_token::Column::Purpose.eq(purpose))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("Il link"))?;
    if t.used_at.is_some() || t.revoked_at.is_some() {
        return Err(gone(
            "token_used",
            "Link già usato",
            "Questo link è già stato usato o è stato revocato: chiederne uno nuovo.",
        ));
    }
    if t.expires_at <= Utc::now() {
        return Err(gone(
            "token_expired",
            "Link scaduto",
            "Questo link è scaduto: chiederne uno nuovo.",
        ));
    }
    Ok(t)
}

/// Spends a token; of two concurrent uses one wins, the other gets 410.
pub async fn consume(db: &impl ConnectionTrait, id: i64) -> ApiResult<()> {
    let res = action_token::Entity::update_many()
        .col_expr(action_token::Column::UsedAt, Expr::value(Utc::now()))
        .filter(action_token::Column::Id.eq(id))
        .filter(action_token::Column::UsedAt.is_null())
        .filter(action_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    if res.rows_affected != 1 {
        return Err(gone(
            "token_used",
            "Link già usato",
            "Questo link è già stato usato o è stato revocato.",
        ));
    }
    Ok(())
}
