//! Connecting to the database (SQLite by default, PostgreSQL via `DATABASE_URL`), migrating it, and
//! knowing whether it answers.
//!
//! When the database is unreachable, requests must fail fast with a `503` and `Retry-After`
//! instead of waiting for the pool: the pool gives up after [`ACQUIRE_TIMEOUT`], and a background
//! task ([`watch`]) keeps a [`DbHealth`] flag that the [`fail_fast`] middleware reads, so that
//! while the database is known to be down no request waits at all. The flag is set down by the
//! watcher's failed ping and by any request that met a connection error, and set up again by the
//! first ping that succeeds: recovery needs no restart.

use crate::error::ApiError;
use crate::migration::Migrator;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web;
use anyhow::Context;
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection};
use sea_orm_migration::MigratorTrait;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// How long a request waits for a pooled connection before it is answered 503.
pub const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);
/// How long a SQLite statement waits for the write lock before it is answered 503.
pub const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// How often the watcher pings the database.
const WATCH_INTERVAL: Duration = Duration::from_secs(1);
/// What `Retry-After` says while the database does not answer.
pub const RETRY_AFTER_DOWN_SECS: u64 = 5;

/// How SQLite syncs its write-ahead log to disk (`AFFIANCA_SQLITE_SYNCHRONOUS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SqliteSync {
    /// `synchronous=NORMAL` (default): a process crash loses nothing committed; a power loss or
    /// an operating-system crash may lose the last commits (never corrupts the file).
    #[default]
    Normal,
    /// `synchronous=FULL`: every commit is on disk before it is acknowledged, at the cost of one
    /// fsync per commit.
    Full,
}

impl SqliteSync {
    /// Reads `AFFIANCA_SQLITE_SYNCHRONOUS` (`normal` or `full`; unset is `normal`).
    pub fn from_env() -> anyhow::Result<Self> {
        Self::parse(std::env::var("AFFIANCA_SQLITE_SYNCHRONOUS").ok().as_deref())
    }

    pub fn parse(v: Option<&str>) -> anyhow::Result<Self> {
        match v.map(|v| v.trim().to_ascii_lowercase()).as_deref() {
            None | Some("") | Some("normal") => Ok(Self::Normal),
            Some("full") => Ok(Self::Full),
            Some(other) => {
                anyhow::bail!("AFFIANCA_SQLITE_SYNCHRONOUS={other:?}: use normal or full")
            }
        }
    }
}

/// Opens a pool. For SQLite every connection gets WAL, a busy timeout and foreign keys, so that
/// concurrent readers never block the single writer and constraints hold as on PostgreSQL.
pub async fn connect(url: &str, max_connections: u32) -> anyhow::Result<DatabaseConnection> {
    connect_with(url, max_connections, SqliteSync::from_env()?).await
}

/// [`connect`] with an explicit SQLite durability setting.
pub async fn connect_with(
    url: &str,
    max_connections: u32,
    sync: SqliteSync,
) -> anyhow::Result<DatabaseConnection> {
    if let Some(path) = url
        .strip_prefix("sqlite://")
        .map(|p| p.split('?').next().unwrap_or(p))
        && let Some(dir) = std::path::Path::new(path).parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let mut opts = ConnectOptions::new(url.to_owned());
    opts.max_connections(max_connections)
        .min_connections(1)
        .connect_timeout(ACQUIRE_TIMEOUT)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .sqlx_logging(false)
        .map_sqlx_sqlite_pool_opts(|pool| {
            pool.after_connect(|conn, _| Box::pin(async move { stable_plans(conn).await }))
        })
        .map_sqlx_sqlite_opts(move |o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(match sync {
                    SqliteSync::Normal => SqliteSynchronous::Normal,
                    SqliteSync::Full => SqliteSynchronous::Full,
                })
                .busy_timeout(SQLITE_BUSY_TIMEOUT)
                .foreign_keys(true)
                .create_if_missing(true)
        });
    let db = Database::connect(opts)
        .await
        .context("cannot connect to the database (check DATABASE_URL)")?;
    Ok(db)
}

/// Turns on SQLite's query planner stability guarantee (`SQLITE_DBCONFIG_ENABLE_QPSG`) for a new
/// connection. Without it, a statement whose plan may depend on a bound value — since SQLite 3.48
/// any `LIMIT ?` (and so every page of every list) — is marked expired at each bind and parsed and
/// planned again at its next step: the statement cache never helps, and on the request list this
/// re-preparation was 18 % of the server's time. With it, a statement is planned once, for any
/// value, and kept in sqlx's cache. No query of ours depends on a value-specific plan (no partial
/// index, no `LIKE` prefix search, no `ANALYZE` statistics).
async fn stable_plans(
    conn: &mut sea_orm::sqlx::SqliteConnection,
) -> Result<(), sea_orm::sqlx::Error> {
    let mut handle = conn.lock_handle().await?;
    match qpsg(handle.as_raw_handle(), 1) {
        Ok(true) => Ok(()),
        Ok(false) | Err(_) => Err(sea_orm::sqlx::Error::Configuration(
            "SQLite refused the query planner stability guarantee".into(),
        )),
    }
}

/// Whether the connections of `db` plan each statement once (see [`stable_plans`]); for tests.
pub async fn plans_are_stable(db: &DatabaseConnection) -> anyhow::Result<bool> {
    let mut conn = db.get_sqlite_connection_pool().acquire().await?;
    let mut handle = conn.lock_handle().await?;
    qpsg(handle.as_raw_handle(), -1).map_err(|rc| anyhow::anyhow!("sqlite3_db_config: {rc}"))
}

/// `sqlite3_db_config(SQLITE_DBCONFIG_ENABLE_QPSG, set)`: 1 turns it on, 0 off, -1 only reads it.
/// The setting after the call, or SQLite's error code. The one `unsafe` of the workspace.
#[allow(unsafe_code)]
fn qpsg(db: std::ptr::NonNull<libsqlite3_sys::sqlite3>, set: i32) -> Result<bool, i32> {
    use std::os::raw::c_int;
    let mut now: c_int = -1;
    // SAFETY: `db` is an open connection, held locked by the caller's `LockedSqliteHandle` for the
    // duration of the call (no other thread uses it); SQLITE_DBCONFIG_ENABLE_QPSG takes exactly
    // the variadic pair (int, int*), and `now` outlives the call.
    let rc = unsafe {
        libsqlite3_sys::sqlite3_db_config(
            db.as_ptr(),
            libsqlite3_sys::SQLITE_DBCONFIG_ENABLE_QPSG,
            set as c_int,
            &mut now as *mut c_int,
        )
    };
    if rc == libsqlite3_sys::SQLITE_OK {
        Ok(now == 1)
    } else {
        Err(rc)
    }
}

/// Starts a transaction that will write. On SQLite it begins `IMMEDIATE`: it takes the write lock
/// at once, waiting up to [`SQLITE_BUSY_TIMEOUT`] for it, instead of reading first and failing at
/// once with "database is locked" when it upgrades to write (SQLite cannot wait at the upgrade:
/// its snapshot could be stale). A lock still held after the timeout answers 503 + `Retry-After`.
/// On PostgreSQL it is a plain `BEGIN` (READ COMMITTED); writers that must not interleave lock a
/// row (see `monitoring::lock_authority`). Every transaction of the server that writes starts
/// here (clippy's `disallowed-methods` refuses `TransactionTrait::begin`).
pub async fn begin_write(
    db: &DatabaseConnection,
) -> Result<sea_orm::DatabaseTransaction, sea_orm::DbErr> {
    use sea_orm::{SqliteTransactionMode, TransactionOptions, TransactionTrait};
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}

/// Starts a transaction that only reads (a consistent snapshot; or a dry run that is rolled back):
/// on SQLite it does not take the write lock.
pub async fn begin_read(
    db: &DatabaseConnection,
) -> Result<sea_orm::DatabaseTransaction, sea_orm::DbErr> {
    use sea_orm::{SqliteTransactionMode, TransactionOptions, TransactionTrait};
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Deferred),
        ..Default::default()
    })
    .await
}

/// Removes the rows of an append-only log `E` whose time `at` is before `cutoff`, always keeping
/// the newest row by sequence `seq` (so the sequence never restarts); returns how many went. Safe
/// with several servers at once (a row deleted twice is counted once).
pub async fn compact_log<E: sea_orm::EntityTrait>(
    db: &impl ConnectionTrait,
    seq: E::Column,
    at: E::Column,
    cutoff: chrono::DateTime<chrono::Utc>,
) -> Result<u64, sea_orm::DbErr> {
    use sea_orm::{ColumnTrait, QueryFilter, QueryOrder, QuerySelect};
    let newest: Option<i64> = E::find()
        .select_only()
        .column(seq)
        .order_by_desc(seq)
        .limit(1)
        .into_tuple()
        .one(db)
        .await?;
    let Some(newest) = newest else {
        return Ok(0);
    };
    Ok(E::delete_many()
        .filter(at.lt(cutoff))
        .filter(seq.lt(newest))
        .exec(db)
        .await?
        .rows_affected)
}

/// Applies every pending migration.
pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    Migrator::up(db, None)
        .await
        .context("database migration failed")
}

/// Whether the database answers a trivial query within [`ACQUIRE_TIMEOUT`] (plus a little).
pub async fn ping(db: &DatabaseConnection) -> bool {
    matches!(
        tokio::time::timeout(
            ACQUIRE_TIMEOUT + Duration::from_millis(500),
            db.execute_unprepared("SELECT 1")
        )
        .await,
        Ok(Ok(_))
    )
}

/// Whether the database answered the last time anyone asked; shared by a server's workers.
#[derive(Debug, Clone)]
pub struct DbHealth(Arc<AtomicBool>);

impl Default for DbHealth {
    fn default() -> Self {
        Self(Arc::new(AtomicBool::new(true)))
    }
}

impl DbHealth {
    pub fn is_up(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    pub fn set(&self, up: bool) {
        let was = self.0.swap(up, Ordering::Relaxed);
        if was != up {
            if up {
                tracing::info!("the database answers again");
            } else {
                tracing::error!("the database does not answer: requests get 503 until it does");
            }
        }
    }
}

/// Runs until the pool is closed: pings the database every second and keeps `health` current.
pub async fn watch(db: DatabaseConnection, health: DbHealth) {
    loop {
        let up = ping(&db).await;
        health.set(up);
        tokio::time::sleep(WATCH_INTERVAL).await;
    }
}

/// The 503 for a database that does not answer.
pub fn unavailable() -> ApiError {
    ApiError::database_unavailable()
}

/// Middleware for the API: while the database is known down, answers 503 at once (no request waits
/// for the pool); a request that met a connection error marks it down.
pub async fn fail_fast(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let health = req.app_data::<web::Data<DbHealth>>().cloned();
    let path = req.path();
    let needs_db = path.starts_with("/api/v1/") && path != "/api/v1/openapi.json";
    if let Some(h) = &health
        && needs_db
        && !h.is_up()
    {
        let (req, _) = req.into_parts();
        let res = actix_web::ResponseError::error_response(&unavailable());
        return Ok(ServiceResponse::new(req, res));
    }
    let res = next.call(req).await?;
    if let Some(h) = health
        && let Some(e) = res.response().error()
        && e.as_error::<ApiError>().is_some_and(|e| e.database_down)
    {
        h.set(false);
    }
    Ok(res.map_into_boxed_body())
}

#[cfg(test)]
mod tests {
    use super::SqliteSync;
    use sea_orm::{ConnectionTrait, Statement};

    async fn synchronous_of(sync: SqliteSync) -> i64 {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("s.db").display());
        let db = super::connect_with(&url, 1, sync).await.unwrap();
        let row = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                "PRAGMA synchronous",
            ))
            .await
            .unwrap()
            .unwrap();
        row.try_get_by_index::<i64>(0).unwrap()
    }

    #[tokio::test]
    async fn every_sqlite_connection_plans_a_statement_once() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("s.db").display());
        let db = super::connect_with(&url, 2, SqliteSync::Normal)
            .await
            .unwrap();
        assert!(super::plans_are_stable(&db).await.unwrap());
    }

    #[tokio::test]
    async fn the_setting_reaches_every_sqlite_connection() {
        // 1 = NORMAL, 2 = FULL.
        assert_eq!(synchronous_of(SqliteSync::Normal).await, 1);
        assert_eq!(synchronous_of(SqliteSync::Full).await, 2);
    }

    #[test]
    fn sqlite_synchronous_is_normal_unless_full_is_asked() {
        assert_eq!(SqliteSync::parse(None).unwrap(), SqliteSync::Normal);
        assert_eq!(
            SqliteSync::parse(Some("NORMAL")).unwrap(),
            SqliteSync::Normal
        );
        assert_eq!(SqliteSync::parse(Some("full")).unwrap(), SqliteSync::Full);
        let err = SqliteSync::parse(Some("off")).unwrap_err().to_string();
        assert!(err.contains("AFFIANCA_SQLITE_SYNCHRONOUS"), "{err}");
    }
}
