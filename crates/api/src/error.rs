//! Errors a client can act on. Every handler returns `Result<_, ApiError>`; an `ApiError` renders
//! as an RFC 9457 `application/problem+json` body with a stable `code` (the list is in
//! docs/API-DESIGN.md). Database "not found" becomes 404; anything unexpected is logged once with
//! its cause chain and becomes a 500 whose body says nothing of the internals.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use affianca_domain::dto::{FieldError, Problem};
use std::fmt;

pub const PROBLEM_JSON: &str = "application/problem+json";
const TYPE_BASE: &str = "https://affianca.example/problems/";

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub title: &'static str,
    pub detail: Option<String>,
    pub errors: Vec<FieldError>,
    pub retry_after_secs: Option<u64>,
    /// The cause of a 500, logged and never sent.
    pub source: Option<anyhow::Error>,
    /// The database did not answer (a connection error, not a bug): the server's health flag
    /// goes down until the database answers again (`crate::db::fail_fast`).
    pub database_down: bool,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, title: &'static str) -> Self {
        Self {
            status,
            code,
            title,
            detail: None,
            errors: Vec::new(),
            retry_after_secs: None,
            source: None,
            database_down: false,
        }
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "malformed_request",
            "Richiesta non leggibile",
        )
        .detail(detail)
    }

    pub fn unauthenticated() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "Accesso richiesto",
        )
        .detail("Accedere per continuare: il token manca, è scaduto o non è valido.")
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "Risorsa non trovata").detail(format!(
            "{what} non esiste o non è visibile con i permessi attuali."
        ))
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Operazione non consentita",
        )
        .detail(detail)
    }

    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::CONFLICT,
            "conflict",
            "Conflitto con lo stato attuale",
        )
        .detail(detail)
    }

    pub fn precondition_failed() -> Self {
        Self::new(
            StatusCode::PRECONDITION_FAILED,
            "precondition_failed",
            "La risorsa è cambiata",
        )
        .detail("La risorsa è stata modificata da qualcun altro: ricaricarla e riprovare.")
    }

    pub fn precondition_required() -> Self {
        Self::new(
            StatusCode::PRECONDITION_REQUIRED,
            "precondition_required",
            "Manca If-Match",
        )
        .detail("Per modificare la risorsa inviare l'intestazione If-Match con l'ETag letto.")
    }

    /// 422 for one invalid field.
    pub fn invalid_field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::validation(vec![FieldError {
            field: field.into(),
            message: message.into(),
        }])
    }

    /// 422 listing every invalid field.
    pub fn validation(errors: Vec<FieldError>) -> Self {
        let mut e = Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            "Dati non validi",
        )
        .detail(if errors.len() == 1 {
            "Un campo non è valido."
        } else {
            "Alcuni campi non sono validi."
        });
        e.errors = errors;
        e
    }

    pub fn too_many_requests(retry_after_secs: u64, detail: impl Into<String>) -> Self {
        let mut e = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_attempts",
            "Troppi tentativi",
        )
        .detail(detail);
        e.retry_after_secs = Some(retry_after_secs.max(1));
        e
    }

    pub fn service_unavailable(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "service_unavailable",
            "Servizio non disponibile",
        )
        .detail(detail)
    }

    /// 503 + `Retry-After`: the database does not answer (down, unreachable, out of connections).
    pub fn database_unavailable() -> Self {
        let mut e = Self::service_unavailable(
            "Il database non risponde in questo momento: riprovare tra qualche secondo.",
        );
        e.retry_after_secs = Some(crate::db::RETRY_AFTER_DOWN_SECS);
        e.database_down = true;
        e
    }

    /// 503 + `Retry-After`: SQLite stayed busy (another writer held the lock) beyond the busy
    /// timeout. The database is up; the request can simply be repeated.
    pub fn database_busy() -> Self {
        let mut e = Self::service_unavailable(
            "Il database è occupato da altre scritture: riprovare tra qualche secondo.",
        );
        e.retry_after_secs = Some(2);
        e
    }

    /// 500: logs the cause and answers with a body that reveals nothing. A database error that
    /// only says the database is unreachable or busy (wrapped in the cause) is a 503 instead.
    pub fn internal(source: impl Into<anyhow::Error>) -> Self {
        let source = source.into();
        if let Some(e) = source
            .chain()
            .find_map(|c| c.downcast_ref::<sea_orm::DbErr>())
            .and_then(db_fault)
        {
            return e;
        }
        let mut e = Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", "Errore interno")
            .detail("Si è verificato un errore imprevisto. Riprovare più tardi; se persiste, comunicare l'X-Request-Id.");
        e.source = Some(source);
        e
    }

    pub fn problem(&self) -> Problem {
        Problem {
            kind: format!("{TYPE_BASE}{}", self.code),
            title: self.title.to_owned(),
            status: self.status.as_u16(),
            detail: self.detail.clone(),
            code: self.code.to_owned(),
            request_id: None,
            errors: self.errors.clone(),
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.status.as_u16(), self.code)?;
        if let Some(d) = &self.detail {
            write!(f, ": {d}")?;
        }
        Ok(())
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        // One line per error is written by the request span (`telemetry::request_span`, with the
        // request id and the cause chain); the full chain and backtrace only the first time.
        if let Some(source) = &self.source
            && ERROR_LOG.first_time(&format!("{source:#}"))
        {
            tracing::error!(error = ?source, "unexpected error (details are logged once per distinct error)");
        }
        let mut res = HttpResponse::build(self.status);
        res.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON)));
        if let Some(secs) = self.retry_after_secs {
            res.insert_header((header::RETRY_AFTER, secs.to_string()));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            res.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        res.body(serde_json::to_string(&self.problem()).unwrap_or_default())
    }
}

impl From<sea_orm::DbErr> for ApiError {
    fn from(e: sea_orm::DbErr) -> Self {
        match e {
            sea_orm::DbErr::RecordNotFound(_) => Self::not_found("L'elemento richiesto"),
            other => db_fault(&other).unwrap_or_else(|| Self::internal(other)),
        }
    }
}

/// The 503 for a database error that is not a bug: the database is unreachable (pool timed out or
/// closed, connection refused or reset, server shutting down, too many connections) or SQLite is
/// still busy after its busy timeout. `None` for everything else (a 500).
pub fn db_fault(e: &sea_orm::DbErr) -> Option<ApiError> {
    use sea_orm::sqlx::Error as Sqlx;
    use sea_orm::{DbErr, RuntimeErr};
    let sqlx = match e {
        DbErr::ConnectionAcquire(_) => return Some(ApiError::database_unavailable()),
        DbErr::Conn(RuntimeErr::SqlxError(s))
        | DbErr::Exec(RuntimeErr::SqlxError(s))
        | DbErr::Query(RuntimeErr::SqlxError(s)) => s,
        DbErr::Conn(_) => return Some(ApiError::database_unavailable()),
        _ => return None,
    };
    match sqlx.as_ref() {
        Sqlx::PoolTimedOut
        | Sqlx::PoolClosed
        | Sqlx::Io(_)
        | Sqlx::Tls(_)
        | Sqlx::WorkerCrashed => Some(ApiError::database_unavailable()),
        Sqlx::Database(d) => {
            let code = d.code()?;
            // SQLite: SQLITE_BUSY (5) and its extended codes (517 BUSY_SNAPSHOT, 261
            // BUSY_RECOVERY, 773 BUSY_TIMEOUT), SQLITE_LOCKED (6) and 262 LOCKED_SHAREDCACHE.
            if let Ok(n) = code.parse::<i64>() {
                return matches!(n & 0xff, 5 | 6).then(ApiError::database_busy);
            }
            // PostgreSQL: class 08 (connection exception), 57P01–57P03 (shutting down, cannot
            // connect now), 53300 (too many connections).
            (code.starts_with("08")
                || matches!(code.as_ref(), "57P01" | "57P02" | "57P03" | "53300"))
            .then(ApiError::database_unavailable)
        }
        _ => None,
    }
}

/// Which unexpected errors have had their details logged: a bounded set of their texts, so a
/// flood of the same 500 writes one backtrace, not one per request.
pub struct ErrorLog {
    seen: std::sync::Mutex<std::collections::HashSet<String>>,
    capacity: usize,
}

/// The server's [`ErrorLog`].
pub static ERROR_LOG: std::sync::LazyLock<ErrorLog> =
    std::sync::LazyLock::new(|| ErrorLog::new(1024));

impl ErrorLog {
    pub fn new(capacity: usize) -> Self {
        Self {
            seen: Default::default(),
            capacity,
        }
    }

    /// True the first time `text` is seen (keys are cut to 512 bytes). When the set is full it
    /// is emptied, so new errors are still detailed and the memory stays bounded.
    pub fn first_time(&self, text: &str) -> bool {
        let mut end = text.len().min(512);
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let key = &text[..end];
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        if seen.contains(key) {
            return false;
        }
        if seen.len() >= self.capacity {
            seen.clear();
        }
        seen.insert(key.to_owned());
        true
    }
}

impl From<sea_orm::TransactionError<ApiError>> for ApiError {
    fn from(e: sea_orm::TransactionError<ApiError>) -> Self {
        match e {
            sea_orm::TransactionError::Connection(db) => db.into(),
            sea_orm::TransactionError::Transaction(api) => api,
        }
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        Self::internal(anyhow::anyhow!("blocking task failed: {e}"))
    }
}

/// Problems for what actix refuses before a handler runs: malformed query strings, paths and
/// bodies, wrong content types, oversized payloads.
pub mod extractors {
    use super::ApiError;
    use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
    use actix_web::http::StatusCode;
    use actix_web::{HttpRequest, error::Error};

    pub fn query_error(err: QueryPayloadError, _req: &HttpRequest) -> Error {
        let msg = err.to_string();
        // serde_urlencoded says "unknown variant `x`, expected …" or "invalid digit …".
        let field = msg
            .split('`')
            .nth(1)
            .filter(|_| msg.starts_with("missing field"))
            .unwrap_or("query");
        ApiError::invalid_field(
            field,
            format!(
                "parametro non valido: {}",
                msg.trim_start_matches("Query deserialize error: ")
            ),
        )
        .into()
    }

    pub fn path_error(err: PathError, _req: &HttpRequest) -> Error {
        ApiError::not_found(&format!("La risorsa ({err})")).into()
    }

    pub fn json_error(err: JsonPayloadError, _req: &HttpRequest) -> Error {
        payload_error(&err).into()
    }

    pub(crate) fn payload_error(err: &JsonPayloadError) -> ApiError {
        match err {
            JsonPayloadError::ContentType => ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "Formato non supportato",
            )
            .detail("Il corpo della richiesta deve essere JSON (Content-Type: application/json)."),
            JsonPayloadError::Overflow { limit }
            | JsonPayloadError::OverflowKnownLength { limit, .. } => ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "Richiesta troppo grande",
            )
            .detail(format!(
                "Il corpo della richiesta supera il limite di {limit} byte."
            )),
            other => ApiError::bad_request(format!(
                "Il corpo della richiesta non è JSON valido: {other}"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{ApiError, ErrorLog};
    use actix_web::ResponseError;
    use actix_web::http::StatusCode;
    use sea_orm::{ConnectionTrait, DbErr, TransactionTrait};

    #[test]
    fn each_distinct_error_is_detailed_once_in_a_bounded_set() {
        let log = ErrorLog::new(3);
        assert!(log.first_time("boom: disk full"));
        assert!(!log.first_time("boom: disk full"));
        assert!(!log.first_time("boom: disk full"));
        assert!(log.first_time("other"));
        assert!(log.first_time("third"));
        assert_eq!(log.seen.lock().unwrap().len(), 3);
        // Full: the set starts over instead of growing.
        assert!(log.first_time("fourth"));
        assert_eq!(log.seen.lock().unwrap().len(), 1);
        // Long texts are keyed by their first 512 bytes, cut on a character boundary.
        let long = "è".repeat(1000);
        assert!(log.first_time(&long));
        assert!(!log.first_time(&format!("{long}tail")));
    }

    fn assert_503(e: &ApiError, retry: u64) {
        assert_eq!(e.status, StatusCode::SERVICE_UNAVAILABLE, "{e:?}");
        assert_eq!(e.code, "service_unavailable");
        assert_eq!(e.retry_after_secs, Some(retry));
        let res = e.error_response();
        let header = |name| res.headers().get(name).and_then(|v| v.to_str().ok());
        assert_eq!(header("retry-after"), Some(retry.to_string().as_str()));
        assert_eq!(header("content-type"), Some(super::PROBLEM_JSON));
    }

    #[test]
    fn an_unreachable_database_is_a_503_and_a_bug_stays_a_500() {
        let timeout = DbErr::ConnectionAcquire(sea_orm::ConnAcquireErr::Timeout);
        let e = ApiError::from(timeout.clone());
        assert_503(&e, crate::db::RETRY_AFTER_DOWN_SECS);
        assert!(e.database_down);
        let refused = DbErr::Conn(sea_orm::RuntimeErr::SqlxError(std::sync::Arc::new(
            sea_orm::sqlx::Error::Io(std::io::ErrorKind::ConnectionRefused.into()),
        )));
        assert_503(&ApiError::from(refused), crate::db::RETRY_AFTER_DOWN_SECS);
        let closed = DbErr::Query(sea_orm::RuntimeErr::SqlxError(std::sync::Arc::new(
            sea_orm::sqlx::Error::PoolClosed,
        )));
        assert_503(&ApiError::from(closed), crate::db::RETRY_AFTER_DOWN_SECS);
        // Also when a handler wrapped it as an internal error.
        assert_503(
            &ApiError::internal(anyhow::Error::new(timeout).context("loading")),
            crate::db::RETRY_AFTER_DOWN_SECS,
        );
        // A bug is a 500.
        let bug = ApiError::from(DbErr::Custom("no such column".into()));
        assert_eq!(bug.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!bug.database_down);
        let protocol = DbErr::Query(sea_orm::RuntimeErr::SqlxError(std::sync::Arc::new(
            sea_orm::sqlx::Error::ColumnNotFound("x".into()),
        )));
        assert_eq!(
            ApiError::from(protocol).status,
            StatusCode::INTERNAL_SERVER_ERROR
        );
    }

    /// A real SQLite "database is locked": another connection holds the write lock past the
    /// busy timeout. The answer is a 503 with Retry-After, never a 500.
    #[tokio::test]
    async fn sqlite_still_busy_after_the_timeout_is_a_503() {
        use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("busy.db");
        let opts = SqliteConnectOptions::new()
            .filename(&file)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .busy_timeout(std::time::Duration::from_millis(50));
        let pool = SqlitePoolOptions::new()
            .max_connections(2)
            .connect_with(opts)
            .await
            .unwrap();
        let db = sea_orm::SqlxSqliteConnector::from_sqlx_sqlite_pool(pool);
        db.execute_unprepared("CREATE TABLE t (x INTEGER)")
            .await
            .unwrap();
        #[allow(clippy::disallowed_methods)] // a deferred writer on purpose: it holds the lock
        let holder = db.begin().await.unwrap();
        holder
            .execute_unprepared("INSERT INTO t VALUES (1)")
            .await
            .unwrap();
        let err = db
            .execute_unprepared("INSERT INTO t VALUES (2)")
            .await
            .unwrap_err();
        assert!(err.to_string().contains("locked"), "{err}");
        let e = ApiError::from(err);
        assert_503(&e, 2);
        assert!(!e.database_down, "busy is not down");
        holder.rollback().await.unwrap();
    }
}
