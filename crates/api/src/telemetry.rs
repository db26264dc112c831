//! The one place that sets up `tracing`, and the per-request span: request id, method, route,
//! status, latency and caller id. Never tokens, passwords or personal data beyond ids.

use crate::config::LogFormat;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage};
use std::time::Instant;
use tracing::Instrument;
use tracing_subscriber::EnvFilter;

pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// Installs the global subscriber. `RUST_LOG` overrides the default filter.
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Human => builder.try_init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init(),
    };
}

/// The id of the current request, put in request extensions by [`request_span`].
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

fn acceptable_request_id(v: &HeaderValue) -> Option<String> {
    let s = v.to_str().ok()?;
    (!s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
    .then(|| s.to_owned())
}

/// Middleware: takes the caller's `X-Request-Id` when it is sane (or makes one), echoes it on the
/// response, and runs the request inside a span that is closed with the status and latency.
pub async fn request_span(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody + 'static>, Error> {
    let request_id = req
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(acceptable_request_id)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    req.extensions_mut().insert(RequestId(request_id.clone()));
    let route = req.match_pattern().unwrap_or_else(|| "unmatched".into());
    let span = tracing::info_span!(
        "request",
        request_id = %request_id,
        method = %req.method(),
        route = %route,
        status = tracing::field::Empty,
        latency_ms = tracing::field::Empty,
        caller_id = tracing::field::Empty,
    );
    let started = Instant::now();
    let result = next.call(req).instrument(span.clone()).await;
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    match result {
        Ok(mut res) => {
            let status = res.status().as_u16();
            span.record("status", status);
            span.record("latency_ms", latency_ms);
            if let Ok(v) = HeaderValue::from_str(&request_id) {
                res.headers_mut()
                    .insert(HeaderName::from_static(REQUEST_ID_HEADER), v);
            }
            span.in_scope(|| {
                if status >= 500 {
                    // The one line per failed request: the cause's chain on one line, never the
                    // backtrace (`ApiError::error_response` logs that once per distinct error).
                    let api = res
                        .response()
                        .error()
                        .and_then(|e| e.as_error::<crate::error::ApiError>());
                    let cause = api
                        .and_then(|e| e.source.as_ref())
                        .map(|s| format!("{s:#}"))
                        .or_else(|| res.response().error().map(|e| e.to_string()))
                        .unwrap_or_default();
                    let code = api.map(|e| e.code).unwrap_or("");
                    tracing::error!(status, latency_ms, code, error = %cause, "request failed");
                } else {
                    tracing::info!(status, latency_ms, "request served");
                }
            });
            Ok(res)
        }
        Err(e) => {
            span.in_scope(|| tracing::error!(latency_ms, error = %e, "request errored"));
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::error::ApiError;
    use actix_web::middleware::from_fn;
    use actix_web::{App, HttpResponse, test, web};
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl Write for Buffer {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// The same 500 three times: three lines naming the request id and the cause, and the full
    /// details (the Debug form, with its backtrace when enabled) only once.
    #[actix_web::test]
    async fn a_repeated_500_writes_one_line_each_and_its_details_once() {
        let buffer = Buffer::default();
        let writer = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        let _guard = tracing::subscriber::set_default(subscriber);
        let app = test::init_service(
            App::new()
                .route(
                    "/boom",
                    web::get().to(|| async {
                        Err::<HttpResponse, _>(ApiError::internal(
                            anyhow::anyhow!("disk unplugged 7f3a").context("saving the register"),
                        ))
                    }),
                )
                .wrap(from_fn(super::request_span)),
        )
        .await;
        for id in ["req-1", "req-2", "req-3"] {
            let req = test::TestRequest::get()
                .uri("/boom")
                .insert_header(("x-request-id", id))
                .to_request();
            let res = test::call_service(&app, req).await;
            assert_eq!(res.status(), 500);
        }
        let log = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
        let failed: Vec<&str> = log
            .lines()
            .filter(|l| l.contains("request failed"))
            .collect();
        assert_eq!(failed.len(), 3, "{log}");
        for (line, id) in failed.iter().zip(["req-1", "req-2", "req-3"]) {
            assert!(line.contains(id), "{line}");
            assert!(
                line.contains("saving the register: disk unplugged 7f3a"),
                "{line}"
            );
        }
        let details = log
            .lines()
            .filter(|l| l.contains("details are logged once"))
            .count();
        assert_eq!(details, 1, "{log}");
    }
}
