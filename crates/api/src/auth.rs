//! Authentication: argon2id passwords, short-lived JWT access tokens carrying the caller's grants,
//! and the [`Caller`] extractor every protected handler takes, so that no handler can forget to
//! authenticate.

use crate::error::ApiError;
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use affianca_domain::{IstatCode, ProvinceCode, Role, RoleScope, Scope, TaskForce, UserId};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use std::future::{Ready, ready};

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
    /// Grants written `role@scope`, so that authorising a request needs no database round trip.
    grants: Vec<String>,
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

    pub fn issue(&self, user_id: UserId, grants: &[RoleScope]) -> anyhow::Result<String> {
        let now = chrono::Utc::now().timestamp().max(0) as u64;
        let claims = Claims {
            sub: user_id.0.to_string(),
            iat: now,
            exp: now + ACCESS_TOKEN_SECONDS,
            grants: grants
                .iter()
                .map(|g| format!("{}@{}", g.role, g.scope))
                .collect(),
        };
        Ok(jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &self.encoding,
        )?)
    }

    fn verify(&self, token: &str) -> Option<Caller> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation).ok()?;
        let grants = data
            .claims
            .grants
            .iter()
            .map(|g| {
                let (role, scope) = g.split_once('@')?;
                RoleScope::new(Role::parse(role).ok()?, Scope::parse(scope).ok()?).ok()
            })
            .collect::<Option<Vec<_>>>()?;
        Some(Caller {
            user_id: UserId(data.claims.sub.parse().ok()?),
            grants,
        })
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

/// Ends every session of these users: their refresh tokens are revoked, so no new access token
/// is issued (one already issued lapses within [`ACCESS_TOKEN_SECONDS`]).
pub async fn end_sessions(
    db: &impl sea_orm::ConnectionTrait,
    user_ids: impl IntoIterator<Item = i64>,
) -> Result<(), sea_orm::DbErr> {
    use crate::entities::refresh_token;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
    refresh_token::Entity::update_many()
        .col_expr(
            refresh_token::Column::RevokedAt,
            Expr::value(chrono::Utc::now()),
        )
        .filter(refresh_token::Column::UserId.is_in(user_ids))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
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

    /// 403 unless the caller holds one of `roles` (operations whose existence is no secret).
    pub fn require_any(&self, roles: &[Role]) -> Result<(), ApiError> {
        if roles.iter().any(|r| self.has_role(*r)) {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!(
                "Serve uno dei ruoli: {}.",
                roles
                    .iter()
                    .map(|r| r.label())
                    .collect::<Vec<_>>()
                    .join(", ")
            )))
        }
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

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let Some(keys) = req.app_data::<web::Data<JwtKeys>>() else {
            return ready(Err(ApiError::internal(anyhow::anyhow!(
                "JwtKeys missing from app data"
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
        let caller = token.and_then(|t| keys.verify(t));
        if let Some(c) = &caller {
            tracing::Span::current().record("caller_id", c.user_id.0);
        }
        ready(caller.ok_or_else(ApiError::unauthenticated))
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
            .issue(UserId(42), &[grant(Role::Observer, "province:BG")])
            .unwrap();
        let caller = keys.verify(&token).unwrap();
        assert_eq!(caller.user_id, UserId(42));
        assert_eq!(caller.grants, vec![grant(Role::Observer, "province:BG")]);
    }

    #[test]
    fn a_token_signed_with_another_key_is_refused() {
        let token = JwtKeys::new(&[1u8; 32]).issue(UserId(1), &[]).unwrap();
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
        assert!(rep.require_any(&[Role::Secretariat]).is_err());
    }
}
