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

    /// 500: logs the cause and answers with a body that reveals nothing.
    pub fn internal(source: impl Into<anyhow::Error>) -> Self {
        let mut e = Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", "Errore interno")
            .detail("Si è verificato un errore imprevisto. Riprovare più tardi; se persiste, comunicare l'X-Request-Id.");
        e.source = Some(source.into());
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
        if let Some(source) = &self.source {
            tracing::error!(error = ?source, "unexpected error");
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
            other => Self::internal(other),
        }
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
