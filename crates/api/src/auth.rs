//! Authentication: argon2id passwords, short-lived JWT access tokens, and the [`Caller`]
//! extractor every protected handler takes, so that no handler can forget to authenticate.
//!
//! # Revocation is immediate
//!
//! An access token lives 15 minutes, but what it allows is decided on every request from the
//! database, through [`Sessions`], a small per-server cache with a one-second lifetime:
//!
//! - the token carries the user's *session version* (`sv`), a counter in `users` bumped in the
//!   transaction that ends the user's sessions (logout, password reset, removal as delegate or
//!   representative, revocation of a grant by an admin — see [`end_sessions`]). A token whose
//!   version is no longer the user's answers 401 `unauthenticated`; so does any token of a
//!   disabled account;
//! - the caller's grants are the ones in the database now, not the ones written in the token
//!   (which are kept only as information for clients). So a grant removed in any other way (an
//!   expert's task force changed, a coordinator removed) stops working just as fast, and a grant
//!   added works at once, without waiting for the next refresh.
//!
//! Several servers may share one database: each keeps its own cache, and an entry is at most
//! [`SESSION_CACHE_TTL`] old, so a change made through any server is seen by every server within
//! that time. The server that made the change forgets its entries at once ([`Sessions::forget`]).
//! The cost per request is one lookup in a hash map, plus two indexed queries per user and
//! second at most.

use crate::error::ApiError;
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use affianca_domain::{IstatCode, ProvinceCode, Role, RoleScope, Scope, TaskForce, UserId, policy};
use futures_util::future::LocalBoxFuture;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long an access token lives.
pub const ACCESS_TOKEN_SECONDS: u64 = 15 * 60;
/// How long a refresh token lives when unused.
pub const REFRESH_TOKEN_DAYS: i64 = 30;

pub mod password {
    //! argon2id hashing, run off the async executor.
    use argon2::Argon2;
    use argon2::password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash};
    use std::sync::LazyLock;

    pub fn hash(plain: &str) -> anyhow::Result<String> {
        Argon2::default()
            .hash_password(plain.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("argon2: {e}"))
    }

    pub fn verify(plain: &str, phc: &str) -> bool {
        PasswordHash::new(phc).is_ok_and(|h| {
            Argon2::default()
                .verify_password(plain.as_bytes(), &h)
                .is_ok()
        })
    }

    /// A hash to verify against when the e-mail is unknown, so that both answers take as long.
    pub static DUMMY_HASH: LazyLock<String> =
        LazyLock::new(|| hash("affianca dummy password for timing").expect("argon2 works"));

    pub async fn hash_blocking(plain: String) -> anyhow::Result<String> {
        tokio::task::spawn_blocking(move || hash(&plain)).await?
    }

    pub async fn verify_blocking(plain: String, phc: String) -> bool {
        tokio::task::spawn_blocking(move || verify(&plain, &phc))
            .await
            .unwrap_or(false)
    }

    /// Password policy: at least 12 characters, at most 256.
    pub fn check_policy(plain: &str) -> Result<(), String> {
        match plain.chars().count() {
            n if n < 12 => Err("la password deve avere almeno 12 caratteri".into()),
            n if n > 256 => Err("la password può avere al massimo 256 caratteri".into()),
            _ => Ok(()),
        }
    }
}

/// The claims of an access token.
#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    /// The user id, as a string (RFC 7519).
    sub: String,
    iat: u64,
    exp: u64,
    /// Grants written `role@scope` when the token was issued: information for clients only, the
    /// server authorises with the grants in the database (see the module's documentation).
    grants: Vec<String>,
    /// The user's session version when the token was issued (absent in tokens of older servers:
    /// 0, the first version).
    #[serde(default)]
    sv: i64,
}

/// The claims the server reads back from a token on every request: the grants claim is left
/// unread (the grants come from the database), so no request parses it.
#[derive(Debug, Deserialize)]
struct VerifiedClaims {
    sub: String,
    #[serde(default)]
    sv: i64,
}

/// What a valid signature says: who, and from which session version.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenClaims {
    pub user_id: UserId,
    pub session_version: i64,
}

/// Signing and verification keys for access tokens (HS256).
#[derive(Clone)]
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl JwtKeys {
    pub fn new(secret: &[u8]) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 5;
        validation.set_required_spec_claims(&["exp", "sub"]);
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
        }
    }

    pub fn issue(
        &self,
        user_id: UserId,
        session_version: i64,
        grants: &[RoleScope],
    ) -> anyhow::Result<String> {
        let now = chrono::Utc::now().timestamp().max(0) as u64;
        let claims = Claims {
            sub: user_id.0.to_string(),
            iat: now,
            exp: now + ACCESS_TOKEN_SECONDS,
            grants: grants
                .iter()
                .map(|g| format!("{}@{}", g.role, g.scope))
                .collect(),
            sv: session_version,
        };
        Ok(jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &self.encoding,
        )?)
    }

    fn verify(&self, token: &str) -> Option<TokenClaims> {
        let data =
            jsonwebtoken::decode::<VerifiedClaims>(token, &self.decoding, &self.validation).ok()?;
        Some(TokenClaims {
            user_id: UserId(data.claims.sub.parse().ok()?),
            session_version: data.claims.sv,
        })
    }

    /// The grants written in a token when it was issued (information for clients).
    #[cfg(test)]
    fn grants_claim(&self, token: &str) -> Option<Vec<RoleScope>> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation).ok()?;
        data.claims
            .grants
            .iter()
            .map(|g| {
                let (role, scope) = g.split_once('@')?;
                RoleScope::new(Role::parse(role).ok()?, Scope::parse(scope).ok()?).ok()
            })
            .collect()
    }
}

/// Reads or creates the JWT secret: `AFFIANCA_JWT_SECRET`, else `<data dir>/jwt-secret`
/// (generated on first start, readable by the owner only). Never logged.
pub fn load_or_create_secret(
    configured: Option<&str>,
    data_dir: &std::path::Path,
) -> anyhow::Result<Vec<u8>> {
    if let Some(s) = configured {
        return Ok(s.as_bytes().to_vec());
    }
    let path = data_dir.join("jwt-secret");
    if let Ok(existing) = std::fs::read_to_string(&path) {
        let trimmed = existing.trim();
        if trimmed.len() >= 32 {
            return Ok(trimmed.as_bytes().to_vec());
        }
    }
    std::fs::create_dir_all(data_dir)?;
    let secret = random_token(48);
    std::fs::write(&path, &secret)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    }
    tracing::info!(path = %path.display(), "generated a new JWT secret");
    Ok(secret.into_bytes())
}

/// Ends every session of these users, in the caller's transaction: their refresh tokens are
/// revoked, so no new access token is issued, and their session version moves, so the access
/// tokens already issued stop working at once (on every server within [`SESSION_CACHE_TTL`]).
pub async fn end_sessions(
    db: &impl sea_orm::ConnectionTrait,
    sessions: &Sessions,
    user_ids: impl IntoIterator<Item = i64>,
) -> Result<(), sea_orm::DbErr> {
    use crate::entities::refresh_token;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
    let ids: Vec<i64> = user_ids.into_iter().collect();
    if ids.is_empty() {
        return Ok(());
    }
    refresh_token::Entity::update_many()
        .col_expr(
            refresh_token::Column::RevokedAt,
            Expr::value(chrono::Utc::now()),
        )
        .filter(refresh_token::Column::UserId.is_in(ids.clone()))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    bump_session_version(db, sessions, ids).await
}

/// Moves the session version of these users (in the caller's transaction), so that every access
/// token issued to them so far stops working; their refresh tokens are left alone.
pub async fn bump_session_version(
    db: &impl sea_orm::ConnectionTrait,
    sessions: &Sessions,
    user_ids: impl IntoIterator<Item = i64>,
) -> Result<(), sea_orm::DbErr> {
    use crate::entities::user;
    use sea_orm::{ColumnTrait, EntityTrait, ExprTrait, QueryFilter, sea_query::Expr};
    let ids: Vec<i64> = user_ids.into_iter().collect();
    if ids.is_empty() {
        return Ok(());
    }
    user::Entity::update_many()
        .col_expr(
            user::Column::SessionVersion,
            Expr::col(user::Column::SessionVersion).add(1),
        )
        .filter(user::Column::Id.is_in(ids.clone()))
        .exec(db)
        .await?;
    sessions.forget(ids);
    Ok(())
}

/// How long a server trusts what it read about a user's sessions and grants. A revocation made
/// through another server sharing the database is honoured within this time.
pub const SESSION_CACHE_TTL: Duration = Duration::from_secs(1);

/// Entries kept before the stale ones are swept.
const SESSION_CACHE_SWEEP_AT: usize = 10_000;

/// What the database says about a user now.
#[derive(Debug, Clone, PartialEq)]
pub struct UserSession {
    pub session_version: i64,
    pub active: bool,
    pub grants: Arc<[RoleScope]>,
}

#[derive(Debug, Clone)]
enum CacheEntry {
    /// Read at `at`; `None` when the user does not exist.
    Known {
        at: Instant,
        session: Option<UserSession>,
    },
    /// Changed through this server: read from the database, without caching, until `until` (so
    /// that a read racing with the changing transaction cannot keep the old state).
    Forgotten { until: Instant },
}

/// The per-server cache of users' session versions and grants (see the module's documentation).
#[derive(Clone)]
pub struct Sessions {
    db: sea_orm::DatabaseConnection,
    ttl: Duration,
    entries: Arc<Mutex<HashMap<i64, CacheEntry>>>,
}

impl Sessions {
    pub fn new(db: sea_orm::DatabaseConnection) -> Self {
        Self::with_ttl(db, SESSION_CACHE_TTL)
    }

    pub fn with_ttl(db: sea_orm::DatabaseConnection, ttl: Duration) -> Self {
        Self {
            db,
            ttl,
            entries: Arc::default(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i64, CacheEntry>> {
        // A panic while holding the lock cannot leave the map inconsistent (single inserts).
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The users' sessions or grants changed through this server: read them again (and keep
    /// reading them from the database for a moment, while the change commits).
    pub fn forget(&self, user_ids: impl IntoIterator<Item = i64>) {
        let until = Instant::now() + self.ttl * 2 + Duration::from_secs(1);
        let mut entries = self.lock();
        for id in user_ids {
            entries.insert(id, CacheEntry::Forgotten { until });
        }
    }

    /// The user's session as the database has it, at most [`SESSION_CACHE_TTL`] old; read again
    /// when a token shows a version newer than the cached one.
    pub async fn current(
        &self,
        user_id: i64,
        at_least_version: i64,
    ) -> Result<Option<UserSession>, sea_orm::DbErr> {
        let now = Instant::now();
        let cacheable = match self.lock().get(&user_id) {
            Some(CacheEntry::Known { at, session })
                if now.duration_since(*at) < self.ttl
                    && session
                        .as_ref()
                        .is_none_or(|s| s.session_version >= at_least_version) =>
            {
                return Ok(session.clone());
            }
            Some(CacheEntry::Forgotten { until }) => now >= *until,
            _ => true,
        };
        let session = load_session(&self.db, user_id).await?;
        if cacheable {
            let mut entries = self.lock();
            if entries.len() >= SESSION_CACHE_SWEEP_AT {
                let ttl = self.ttl;
                entries.retain(|_, e| match e {
                    CacheEntry::Known { at, .. } => now.duration_since(*at) < ttl,
                    CacheEntry::Forgotten { until } => now < *until,
                });
            }
            // A `forget` that came while reading wins.
            if !matches!(entries.get(&user_id), Some(CacheEntry::Forgotten { until }) if Instant::now() < *until)
            {
                entries.insert(
                    user_id,
                    CacheEntry::Known {
                        at: now,
                        session: session.clone(),
                    },
                );
            }
        }
        Ok(session)
    }
}

async fn load_session(
    db: &sea_orm::DatabaseConnection,
    user_id: i64,
) -> Result<Option<UserSession>, sea_orm::DbErr> {
    use crate::entities::user;
    use sea_orm::EntityTrait;
    let Some(u) = user::Entity::find_by_id(user_id).one(db).await? else {
        return Ok(None);
    };
    let grants = crate::app::accounts::load_grants(db, user_id)
        .await?
        .into_iter()
        .map(|(_, g, _)| g)
        .collect();
    Ok(Some(UserSession {
        session_version: u.session_version,
        active: u.active,
        grants,
    }))
}

/// `n` random bytes from the OS, base64url without padding.
pub fn random_token(n: usize) -> String {
    use base64::Engine;
    let mut buf = vec![0u8; n];
    getrandom::fill(&mut buf).expect("the OS random source works");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}

/// SHA-256 of a token, hex: what is stored instead of the token itself.
pub fn token_hash(token: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The authenticated caller of a request: who, and with which grants.
///
/// Taking a `Caller` argument makes a handler protected: without a valid bearer token the request
/// ends with 401 before the handler runs.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user_id: UserId,
    pub grants: Vec<RoleScope>,
}

impl Caller {
    pub fn has_role(&self, role: Role) -> bool {
        self.grants.iter().any(|g| g.role == role)
    }

    /// Whether the caller holds one of `roles` (one of the named sets of `roles::set`).
    pub fn holds_any(&self, roles: &[Role]) -> bool {
        roles.iter().any(|r| self.has_role(*r))
    }

    /// The scopes in which the caller holds `role`.
    pub fn scopes_of(&self, role: Role) -> impl Iterator<Item = &Scope> {
        self.grants
            .iter()
            .filter(move |g| g.role == role)
            .map(|g| &g.scope)
    }

    /// The authorities the caller works for, as representative or delegate (ISTAT codes).
    pub fn authority_codes(&self) -> std::collections::BTreeSet<String> {
        self.grants
            .iter()
            .filter(|g| matches!(g.role, Role::AuthorityRep | Role::AuthorityDelegate))
            .filter_map(|g| match &g.scope {
                Scope::Authority(c) => Some(c.to_string()),
                _ => None,
            })
            .collect()
    }

    /// Whether any grant covers the authority (region-wide, its province, or itself).
    pub fn covers_authority(&self, code: &IstatCode, province: Option<&ProvinceCode>) -> bool {
        self.grants.iter().any(|g| match &g.scope {
            Scope::Region => true,
            Scope::Province(p) => Some(p) == province,
            Scope::Authority(a) => a == code,
            Scope::TaskForce(_) => false,
        })
    }

    /// Whether any grant is in the task force's scope or region-wide.
    pub fn covers_task_force(&self, tf: TaskForce) -> bool {
        self.grants
            .iter()
            .any(|g| matches!(&g.scope, Scope::Region) || g.scope == Scope::TaskForce(tf))
    }
}

/// The policy row of the request's route (`None` outside the API: a `Caller` taken by a page
/// that is not an operation). An API route without a row is a programming error: 500, logged.
fn policy_rule(req: &HttpRequest) -> Result<Option<&'static policy::Rule>, ApiError> {
    let Some(pattern) = req.match_pattern() else {
        return Ok(None);
    };
    if !pattern.starts_with("/api/") {
        return Ok(None);
    }
    match policy::find(req.method().as_str(), &pattern) {
        Some(rule) => Ok(Some(rule)),
        None => Err(ApiError::internal(anyhow::anyhow!(
            "{} {pattern} has no row in affianca_domain::policy::POLICY",
            req.method()
        ))),
    }
}

/// The 403 of the role gate, naming the roles that may call.
fn forbidden_for(roles: &[Role]) -> ApiError {
    ApiError::forbidden(format!(
        "Serve uno dei ruoli: {}.",
        roles
            .iter()
            .map(|r| r.label())
            .collect::<Vec<_>>()
            .join(", ")
    ))
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let (Some(keys), Some(sessions)) = (
            req.app_data::<web::Data<JwtKeys>>(),
            req.app_data::<web::Data<Sessions>>(),
        ) else {
            return Box::pin(std::future::ready(Err(ApiError::internal(
                anyhow::anyhow!("JwtKeys or Sessions missing from app data"),
            ))));
        };
        let token = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim);
        let Some(claims) = token.and_then(|t| keys.verify(t)) else {
            return Box::pin(std::future::ready(Err(ApiError::unauthenticated())));
        };
        tracing::Span::current().record("caller_id", claims.user_id.0);
        let rule = policy_rule(req);
        let sessions = sessions.clone();
        Box::pin(async move {
            let rule = rule?;
            let session = sessions
                .current(claims.user_id.0, claims.session_version)
                .await?;
            match session {
                Some(s) if s.active && s.session_version == claims.session_version => {
                    let caller = Caller {
                        user_id: claims.user_id,
                        grants: s.grants.to_vec(),
                    };
                    if let Some(rule) = rule {
                        policy::gate(rule, caller.grants.iter().map(|g| g.role))
                            .map_err(forbidden_for)?;
                    }
                    Ok(caller)
                }
                _ => {
                    tracing::info!(
                        user_id = claims.user_id.0,
                        "access token refused: its session has ended"
                    );
                    Err(ApiError::unauthenticated())
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(role: Role, scope: &str) -> RoleScope {
        RoleScope::new(role, Scope::parse(scope).unwrap()).unwrap()
    }

    #[test]
    fn a_token_carries_user_and_grants() {
        let keys = JwtKeys::new(&[7u8; 32]);
        let token = keys
            .issue(UserId(42), 3, &[grant(Role::Observer, "province:BG")])
            .unwrap();
        let claims = keys.verify(&token).unwrap();
        assert_eq!(claims.user_id, UserId(42));
        assert_eq!(claims.session_version, 3);
        assert_eq!(
            keys.grants_claim(&token).unwrap(),
            vec![grant(Role::Observer, "province:BG")]
        );
    }

    #[test]
    fn a_token_signed_with_another_key_is_refused() {
        let token = JwtKeys::new(&[1u8; 32]).issue(UserId(1), 0, &[]).unwrap();
        assert!(JwtKeys::new(&[2u8; 32]).verify(&token).is_none());
        assert!(JwtKeys::new(&[2u8; 32]).verify("not.a.token").is_none());
    }

    #[test]
    fn passwords_hash_and_verify() {
        let h = password::hash("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(password::verify("correct horse battery", &h));
        assert!(!password::verify("wrong horse battery", &h));
        assert!(password::check_policy("short").is_err());
        assert!(password::check_policy("abbastanza lunga").is_ok());
    }

    #[test]
    fn the_generated_secret_is_kept_and_reused() {
        let dir = std::env::temp_dir().join(format!("affianca-secret-{}", uuid::Uuid::new_v4()));
        let first = load_or_create_secret(None, &dir).unwrap();
        assert!(first.len() >= 32);
        assert_eq!(load_or_create_secret(None, &dir).unwrap(), first);
        assert_eq!(
            load_or_create_secret(Some("configured secret of enough length!!"), &dir).unwrap(),
            b"configured secret of enough length!!"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.join("jwt-secret"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o077, 0, "only the owner may read it");
        }
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn scope_coverage() {
        let bg = ProvinceCode::parse("BG").unwrap();
        let bergamo = IstatCode::parse("016024").unwrap();
        let observer = Caller {
            user_id: UserId(1),
            grants: vec![grant(Role::Observer, "province:BG")],
        };
        assert!(observer.covers_authority(&bergamo, Some(&bg)));
        assert!(!observer.covers_authority(
            &IstatCode::parse("017029").unwrap(),
            Some(&ProvinceCode::parse("BS").unwrap())
        ));
        let rep = Caller {
            user_id: UserId(2),
            grants: vec![grant(Role::AuthorityRep, "authority:016024")],
        };
        assert!(rep.covers_authority(&bergamo, Some(&bg)));
        assert!(!rep.covers_authority(&IstatCode::parse("016025").unwrap(), Some(&bg)));
        assert!(!rep.holds_any(affianca_domain::roles::set::STAFF));
    }
}
