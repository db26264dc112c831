//! Accounts created on someone's behalf (an expert added by the secretariat, a new legal
//! representative): the account gets a password nobody knows, and its owner an e-mailed
//! single-use link, valid 7 days, to choose one.

use crate::auth::{password, random_token};
use crate::entities::user;
use crate::error::{ApiError, ApiResult};
use crate::notify::{self, PublicUrl};
use crate::tokens;
use affianca_domain::Email;
use chrono::{Duration, Utc};
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait};

/// How long the link to set the first password works.
pub const SETUP_LINK_DAYS: i64 = 7;

/// Who to create, and what to tell them.
#[derive(Debug)]
pub struct NewAccount<'a> {
    pub email: &'a Email,
    pub full_name: &'a str,
    pub created_by: i64,
    /// The e-mail's subject.
    pub subject: String,
    /// Why they have an account, in Italian (a sentence or two).
    pub reason: String,
}

/// Creates the account (in the caller's transaction) and queues the e-mail; returns the user id.
pub async fn create_with_setup_link(
    db: &impl ConnectionTrait,
    base: &PublicUrl,
    a: NewAccount<'_>,
) -> ApiResult<i64> {
    let hash = password::hash_blocking(random_token(32))
        .await
        .map_err(ApiError::internal)?;
    let id = user::Entity::insert(user::ActiveModel {
        email: Set(a.email.to_string()),
        full_name: Set(a.full_name.to_owned()),
        password_hash: Set(hash),
        active: Set(true),
        created_at: Set(Utc::now()),
        ..Default::default()
    })
    .exec(db)
    .await?
    .last_insert_id;
    let (secret, _) = tokens::create(
        db,
        tokens::NewToken {
            purpose: tokens::PASSWORD_RESET,
            email: a.email.as_str(),
            user_id: Some(id),
            authority_code: None,
            created_by: Some(a.created_by),
            ttl: Duration::days(SETUP_LINK_DAYS),
        },
    )
    .await?;
    notify::enqueue_email(
        db,
        a.email.as_str(),
        &a.subject,
        &format!(
            "Gentile {},\n\n{}\nPer scegliere la password aprite questo link entro {SETUP_LINK_DAYS} giorni (funziona una sola volta):\n{}/reimposta-password/{secret}\n\n--\nAffianca — Assistenza tecnica PNRR, Regione Lombardia\nMessaggio automatico: non rispondere.\n",
            a.full_name, a.reason, base.0
        ),
    )
    .await?;
    Ok(id)
}
