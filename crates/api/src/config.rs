//! Typed settings read from the environment once at start. A wrong value stops the program with a
//! message naming the variable, instead of surfacing later as a strange failure.

use anyhow::{Context, bail};
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

/// A secret that never prints: `Debug` and `Display` show `[redacted]`.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines, for a terminal.
    Human,
    /// One JSON object per line, for a log collector.
    Json,
}

#[derive(Debug, Clone)]
pub struct Settings {
    /// `AFFIANCA_BIND`: where the HTTP server listens.
    pub bind: SocketAddr,
    /// `AFFIANCA_DATA_DIR`: the SQLite file, the generated JWT secret and (later) stored files.
    pub data_dir: PathBuf,
    /// `DATABASE_URL`: `sqlite://…` or `postgres://…`; default the SQLite file in the data dir.
    pub database_url: Secret,
    /// `AFFIANCA_JWT_SECRET`: at least 32 bytes; when unset, generated once and kept in the data dir.
    pub jwt_secret: Option<Secret>,
    /// `AFFIANCA_LOG_FORMAT`: `human` (default) or `json`.
    pub log_format: LogFormat,
    /// `AFFIANCA_WEB_DIR`: the built web client served at `/` (default `crates/web/dist`).
    pub web_dir: PathBuf,
    /// `AFFIANCA_DB_MAX_CONNECTIONS`: the database pool size (default 32).
    pub db_max_connections: u32,
    /// `AFFIANCA_DEMO`: `1` loads the demo accounts and prints them at start.
    pub demo: bool,
    /// `AFFIANCA_SMTP_URL` (with `AFFIANCA_MAIL_FROM`, `AFFIANCA_MAIL_POLL_MS`): where e-mails go;
    /// unset, they stay in the outbox.
    pub mail: Option<crate::mailer::MailConfig>,
    /// `AFFIANCA_PUBLIC_URL`: the address people use, for links in e-mails.
    pub public_url: String,
    /// `AFFIANCA_FILE_STORE`: `local` or `database` (default: `database` on PostgreSQL, `local` on
    /// SQLite); see `crate::file_store`.
    pub file_store: crate::file_store::FileStoreKind,
    /// `AFFIANCA_TRUSTED_PROXIES`: the reverse proxies whose `X-Forwarded-For` gives the client's
    /// address (for the login and password-reset limits and the audit log); empty: none.
    pub trusted_proxies: crate::throttle::TrustedProxies,
}

impl Settings {
    /// Reads the settings from the process environment.
    pub fn from_env() -> anyhow::Result<Self> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Reads the settings through `get`, so tests can pass their own values.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let non_empty = |k: &str| get(k).filter(|v| !v.trim().is_empty());
        let bind = match non_empty("AFFIANCA_BIND") {
            Some(v) => v.trim().parse().with_context(|| {
                format!("AFFIANCA_BIND={v:?} is not an address such as 127.0.0.1:8080")
            })?,
            None => SocketAddr::from(([127, 0, 0, 1], 8080)),
        };
        let data_dir =
            PathBuf::from(non_empty("AFFIANCA_DATA_DIR").unwrap_or_else(|| "var".into()));
        let database_url = match non_empty("DATABASE_URL") {
            Some(v) => {
                let v = v.trim().to_owned();
                if !(v.starts_with("sqlite:")
                    || v.starts_with("postgres://")
                    || v.starts_with("postgresql://"))
                {
                    bail!("DATABASE_URL must start with sqlite:, postgres:// or postgresql://");
                }
                v
            }
            None => format!(
                "sqlite://{}?mode=rwc",
                data_dir.join("affianca.db").display()
            ),
        };
        let jwt_secret = match non_empty("AFFIANCA_JWT_SECRET") {
            Some(v) if v.len() < 32 => {
                bail!("AFFIANCA_JWT_SECRET must be at least 32 characters long")
            }
            Some(v) => Some(Secret::new(v)),
            None => None,
        };
        let log_format = match non_empty("AFFIANCA_LOG_FORMAT").as_deref().map(str::trim) {
            None | Some("human") => LogFormat::Human,
            Some("json") => LogFormat::Json,
            Some(other) => bail!("AFFIANCA_LOG_FORMAT={other:?}: use human or json"),
        };
        let web_dir = PathBuf::from(
            non_empty("AFFIANCA_WEB_DIR").unwrap_or_else(|| "crates/web/dist".into()),
        );
        let db_max_connections = match non_empty("AFFIANCA_DB_MAX_CONNECTIONS") {
            Some(v) => match v.trim().parse::<u32>() {
                Ok(n) if (1..=1000).contains(&n) => n,
                _ => bail!("AFFIANCA_DB_MAX_CONNECTIONS={v:?}: use a whole number from 1 to 1000"),
            },
            None => 32,
        };
        let demo = match non_empty("AFFIANCA_DEMO").as_deref().map(str::trim) {
            None | Some("0") | Some("false") => false,
            Some("1") | Some("true") => true,
            Some(other) => bail!("AFFIANCA_DEMO={other:?}: use 1 or 0"),
        };
        let mail = match non_empty("AFFIANCA_SMTP_URL") {
            None => None,
            Some(url) => {
                let url = url.trim().to_owned();
                if !(url.starts_with("smtp://") || url.starts_with("smtps://")) {
                    bail!("AFFIANCA_SMTP_URL must start with smtp:// or smtps://");
                }
                let from = non_empty("AFFIANCA_MAIL_FROM")
                    .unwrap_or_else(|| "Affianca <noreply@affianca.invalid>".into());
                let poll_ms = match non_empty("AFFIANCA_MAIL_POLL_MS") {
                    Some(v) => match v.trim().parse::<u64>() {
                        Ok(n) if (50..=600_000).contains(&n) => n,
                        _ => {
                            bail!("AFFIANCA_MAIL_POLL_MS={v:?}: use milliseconds from 50 to 600000")
                        }
                    },
                    None => 5_000,
                };
                Some(crate::mailer::MailConfig {
                    url,
                    from,
                    poll: std::time::Duration::from_millis(poll_ms),
                })
            }
        };
        let public_url = non_empty("AFFIANCA_PUBLIC_URL")
            .map(|u| u.trim().trim_end_matches('/').to_owned())
            .unwrap_or_else(|| format!("http://{bind}"));
        if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
            bail!("AFFIANCA_PUBLIC_URL must start with http:// or https://");
        }
        let file_store = crate::file_store::FileStoreKind::parse(
            non_empty("AFFIANCA_FILE_STORE").as_deref(),
            &database_url,
        )?;
        let trusted_proxies = crate::throttle::TrustedProxies::parse(
            &non_empty("AFFIANCA_TRUSTED_PROXIES").unwrap_or_default(),
        )
        .map_err(|e| anyhow::anyhow!("AFFIANCA_TRUSTED_PROXIES: {e}"))?;
        Ok(Self {
            file_store,
            mail,
            trusted_proxies,
            public_url,
            bind,
            data_dir,
            database_url: Secret::new(database_url),
            jwt_secret,
            log_format,
            web_dir,
            db_max_connections,
            demo,
        })
    }

    pub fn is_sqlite(&self) -> bool {
        self.database_url.expose().starts_with("sqlite:")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn settings(vars: &[(&str, &str)]) -> anyhow::Result<Settings> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_are_a_local_sqlite_server() {
        let s = settings(&[]).unwrap();
        assert_eq!(s.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(s.database_url.expose(), "sqlite://var/affianca.db?mode=rwc");
        assert!(s.jwt_secret.is_none());
        assert_eq!(s.log_format, LogFormat::Human);
    }

    #[test]
    fn wrong_values_name_the_variable() {
        for (k, v) in [
            ("AFFIANCA_BIND", "localhost"),
            ("DATABASE_URL", "mysql://x"),
            ("AFFIANCA_JWT_SECRET", "short"),
            ("AFFIANCA_LOG_FORMAT", "xml"),
            ("AFFIANCA_DB_MAX_CONNECTIONS", "0"),
            ("AFFIANCA_FILE_STORE", "s3"),
        ] {
            let err = settings(&[(k, v)]).unwrap_err().to_string();
            assert!(err.contains(k), "{err}");
        }
    }

    #[test]
    fn secrets_do_not_print() {
        let s = settings(&[("AFFIANCA_JWT_SECRET", &"x".repeat(40))]).unwrap();
        let shown = format!("{s:?}");
        assert!(!shown.contains(&"x".repeat(40)));
        assert!(shown.contains("[redacted]"));
    }
}
