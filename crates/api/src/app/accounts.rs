//! Accounts and their grants: a user created with a password (by an administrator, the command
//! line, the demo data), or on someone's behalf (an expert added by the secretariat, a new legal
//! representative): such an account gets a password nobody knows, and its owner an e-mailed
//! single-use link, valid 7 days, to choose one. Every grant is added by [`insert_grants`].

use crate::auth::{password, random_token};
use crate::entities::{login_failure, role_grant, user};
use crate::error::{ApiError, ApiResult};
use crate::notify::{self, PublicUrl};
use crate::tokens;
use affianca_domain::dto::{Grant, User};
use affianca_domain::{Email, GrantId, Role, RoleScope, Scope, UserId};
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder,
};

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
            "Gentile {},\n\n{}\nPer scegliere la password aprite questo link entro {SETUP_LINK_DAYS} giorni (funziona una sola volta):\n{}{}\n\n--\nAffianca — Assistenza tecnica PNRR, Regione Lombardia\nMessaggio automatico: non rispondere.\n",
            a.full_name, a.reason, base.0, affianca_domain::links::password_setup(&secret)
        ),
    )
    .await?;
    Ok(id)
}

/// Creates a user with grants in one transaction; fails if the e-mail is taken.
pub async fn create_user(
    db: &DatabaseConnection,
    email: &Email,
    full_name: &str,
    plain_password: &str,
    grants: &[RoleScope],
    granted_by: Option<i64>,
) -> anyhow::Result<user::Model> {
    let hash = password::hash_blocking(plain_password.to_owned()).await?;
    let txn = crate::db::begin_write(db).await?;
    let model = insert_user(&txn, email, full_name, hash, grants, granted_by).await?;
    txn.commit().await?;
    Ok(model)
}

/// Inserts a user with the password hash `hash` and grants, in the caller's transaction.
pub async fn insert_user(
    txn: &impl ConnectionTrait,
    email: &Email,
    full_name: &str,
    hash: String,
    grants: &[RoleScope],
    granted_by: Option<i64>,
) -> Result<user::Model, DbErr> {
    let res = user::Entity::insert(user::ActiveModel {
        email: Set(email.to_string()),
        full_name: Set(full_name.trim().to_owned()),
        password_hash: Set(hash),
        active: Set(true),
        created_at: Set(Utc::now()),
        ..Default::default()
    })
    .exec(txn)
    .await?;
    insert_grants(txn, res.last_insert_id, grants, granted_by).await?;
    user::Entity::find_by_id(res.last_insert_id)
        .one(txn)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("user just inserted".into()))
}

/// Adds grants to a user; a grant the user already holds is left as it is.
pub async fn insert_grants(
    db: &impl ConnectionTrait,
    user_id: i64,
    grants: &[RoleScope],
    granted_by: Option<i64>,
) -> Result<(), sea_orm::DbErr> {
    if grants.is_empty() {
        return Ok(());
    }
    let now = Utc::now();
    let rows = grants.iter().map(|g| role_grant::ActiveModel {
        user_id: Set(user_id),
        role: Set(g.role.code().to_owned()),
        scope: Set(g.scope.to_string()),
        granted_at: Set(now),
        granted_by: Set(granted_by),
        ..Default::default()
    });
    role_grant::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::columns([
                role_grant::Column::UserId,
                role_grant::Column::Role,
                role_grant::Column::Scope,
            ])
            .do_nothing()
            .to_owned(),
        )
        .try_insert()
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Failed logins allowed per account within [`LOCKOUT_WINDOW_MINUTES`].
pub const MAX_FAILURES: u64 = 5;
pub const LOCKOUT_WINDOW_MINUTES: i64 = 15;

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

/// A user's grants: (id, role in scope, when granted). Rows that no longer parse are skipped.
pub async fn load_grants(
    db: &impl ConnectionTrait,
    user_id: i64,
) -> Result<Vec<(i64, RoleScope, DateTime<Utc>)>, sea_orm::DbErr> {
    let rows = role_grant::Entity::find()
        .filter(role_grant::Column::UserId.eq(user_id))
        .order_by_asc(role_grant::Column::Id)
        .all(db)
        .await?;
    Ok(rows.into_iter().filter_map(parse_grant).collect())
}

/// A grant row as (id, role in scope, when granted); `None` (logged) for one that no longer parses.
pub fn parse_grant(g: role_grant::Model) -> Option<(i64, RoleScope, DateTime<Utc>)> {
    let parsed = Role::parse(&g.role)
        .ok()
        .zip(Scope::parse(&g.scope).ok())
        .and_then(|(r, s)| RoleScope::new(r, s).ok());
    if parsed.is_none() {
        tracing::warn!(grant_id = g.id, "skipping a role grant that does not parse");
    }
    parsed.map(|rs| (g.id, rs, g.granted_at))
}

/// The account as the API shows it.
pub fn user_dto(u: user::Model, grants: Vec<(i64, RoleScope, DateTime<Utc>)>) -> User {
    User {
        id: UserId(u.id),
        // Stored e-mails were parsed on the way in.
        email: Email::parse(&u.email)
            .unwrap_or_else(|_| Email::parse("invalid@invalid.invalid").expect("valid")),
        full_name: u.full_name,
        active: u.active,
        created_at: u.created_at,
        grants: grants
            .into_iter()
            .map(|(id, g, at)| Grant {
                id: GrantId(id),
                role: g.role,
                scope: g.scope,
                granted_at: at,
            })
            .collect(),
    }
}

/// How long a reset link works.
pub const RESET_MINUTES: i64 = 60;
/// Reset e-mails sent to one address within an hour, at most.
pub const MAX_EMAILS_PER_ADDRESS: u64 = 3;
/// Requests from one IP address within [`IP_WINDOW_MINUTES`], at most.
pub const MAX_REQUESTS_PER_IP: u64 = 20;
pub const IP_WINDOW_MINUTES: i64 = 15;

/// Asks for a password reset link for `email`: when it has an active account, a link valid
/// [`RESET_MINUTES`] minutes is e-mailed to it, at most [`MAX_EMAILS_PER_ADDRESS`] times an hour.
/// The outcome never says whether the account exists; more than [`MAX_REQUESTS_PER_IP`] requests
/// from one address within [`IP_WINDOW_MINUTES`] minutes are 429.
pub async fn request_reset(
    db: &DatabaseConnection,
    base: &PublicUrl,
    meta: &crate::audit::RequestMeta,
    email: &str,
) -> ApiResult<()> {
    use crate::audit::{self, Entry};
    use crate::entities::action_token;
    use crate::throttle;
    use affianca_domain::AuditAction;
    let email = email.trim().to_lowercase();
    let ip = meta.ip.clone().unwrap_or_else(|| "unknown".into());
    let now = Utc::now();
    let ip_window = now - Duration::minutes(IP_WINDOW_MINUTES);
    let from_ip = throttle::count_since(db, throttle::PASSWORD_RESET_IP, &ip, ip_window).await?;
    if from_ip >= MAX_REQUESTS_PER_IP {
        let oldest = throttle::edge_since(db, throttle::PASSWORD_RESET_IP, &ip, ip_window, false)
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
    throttle::record(db, throttle::PASSWORD_RESET_IP, &ip).await?;
    let found = user::Entity::find()
        .filter(user::Column::Email.eq(&email))
        .one(db)
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
                .count(db)
                .await?
        }
        None => 0,
    };
    let found = if recent >= MAX_EMAILS_PER_ADDRESS {
        tracing::warn!("password reset e-mail not sent: enough sent to this address this hour");
        audit::record(
            db,
            meta,
            Entry::new(AuditAction::PasswordResetRequested)
                .actor_email(&email)
                .details(serde_json::json!({"throttled": true})),
        )
        .await?;
        return Ok(());
    } else {
        found
    };
    if let Some(u) = found {
        let txn = crate::db::begin_write(db).await?;
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
            meta,
            Entry::new(AuditAction::PasswordResetRequested)
                .actor(UserId(u.id))
                .actor_email(&u.email),
        )
        .await?;
        txn.commit().await?;
    } else {
        audit::record(
            db,
            meta,
            Entry::new(AuditAction::PasswordResetRequested).actor_email(&email),
        )
        .await?;
    }
    Ok(())
}

/// Sets a new password with the secret of an e-mailed link (410 when it no longer works, 422 for a
/// password outside the policy); every session of the account ends.
pub async fn reset_password(
    db: &DatabaseConnection,
    sessions: &crate::auth::Sessions,
    meta: &crate::audit::RequestMeta,
    secret: &str,
    password: &str,
) -> ApiResult<()> {
    use crate::audit::{self, Entry};
    use affianca_domain::AuditAction;
    use sea_orm::sea_query::Expr;
    let t = tokens::find_usable(db, tokens::PASSWORD_RESET, secret).await?;
    self::password::check_policy(password).map_err(|m| ApiError::invalid_field("password", m))?;
    let user_id = t
        .user_id
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("reset token without user")))?;
    let hash = self::password::hash_blocking(password.to_owned())
        .await
        .map_err(ApiError::internal)?;
    let txn = crate::db::begin_write(db).await?;
    tokens::consume(&txn, t.id).await?;
    user::Entity::update_many()
        .col_expr(user::Column::PasswordHash, Expr::value(hash))
        .filter(user::Column::Id.eq(user_id))
        .exec(&txn)
        .await?;
    crate::auth::end_sessions(&txn, sessions, [user_id]).await?;
    login_failure::Entity::delete_many()
        .filter(login_failure::Column::Email.eq(&t.email))
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        meta,
        Entry::new(AuditAction::PasswordReset)
            .actor(UserId(user_id))
            .actor_email(&t.email),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
