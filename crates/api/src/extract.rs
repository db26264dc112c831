//! Request extractors shared by the handlers.

use crate::error::ApiError;
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

/// A JSON body deserialised into `T`. Malformed JSON is a 400; a body that is JSON but does not fit
/// `T` (a missing field, a wrong type, a value its parser refuses) is a 422 naming the field path.
#[derive(Debug)]
pub struct Body<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for Body<T> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let json = web::Json::<serde_json::Value>::from_request(req, payload);
        Box::pin(async move {
            let web::Json(value) = json.await?;
            parse_value(value).map(Body).map_err(Into::into)
        })
    }
}

/// A JSON value as `T`: control characters refused (422 naming the path), then deserialised.
fn parse_value<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, ApiError> {
    let mut errors = Vec::new();
    control_characters(&value, &mut String::new(), &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    serde_path_to_error::deserialize::<_, T>(value).map_err(|e| {
        let path = e.path().to_string();
        let (field, message) = explain(&path, &e.into_inner().to_string());
        ApiError::invalid_field(field, message)
    })
}

/// A JSON body read before the handler runs but parsed only when the handler asks, so that a
/// handler can refuse a caller without the role (403) before judging the body (400/415/422).
pub struct LazyBody<T> {
    value: Result<serde_json::Value, ApiError>,
    _t: std::marker::PhantomData<T>,
}

impl<T: DeserializeOwned> LazyBody<T> {
    /// The body as `T`, or the problem it has.
    pub fn parse(self) -> Result<T, ApiError> {
        parse_value(self.value?)
    }
}

impl<T: 'static> FromRequest for LazyBody<T> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let json = web::Json::<serde_json::Value>::from_request(req, payload);
        Box::pin(async move {
            let value = json.await.map(|j| j.0).map_err(|e| owned_problem(&e));
            Ok(Self {
                value,
                _t: std::marker::PhantomData,
            })
        })
    }
}

/// An actix error as the `ApiError` it carries (the extractors' error handlers make them).
fn owned_problem(e: &actix_web::Error) -> ApiError {
    match e.as_error::<ApiError>() {
        Some(api) => {
            let mut out = ApiError::new(api.status, api.code, api.title);
            out.detail.clone_from(&api.detail);
            out.errors.clone_from(&api.errors);
            out.retry_after_secs = api.retry_after_secs;
            out
        }
        None => ApiError::bad_request(e.to_string()),
    }
}

/// Whether a character may appear in text: no control characters but tab and line ends (CR only
/// before LF). NUL and the rest break PostgreSQL, terminals and CSV files.
fn bad_control(s: &str) -> bool {
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\r' {
            if chars.peek() != Some(&'\n') {
                return true;
            }
        } else if c.is_control() && c != '\n' && c != '\t' {
            return true;
        }
    }
    false
}

const CONTROL_MESSAGE: &str =
    "contiene caratteri di controllo non ammessi (sono ammessi solo a capo e tabulazione)";

/// Every string (and key) of `value` with control characters, as field errors on its JSON path.
fn control_characters(
    value: &serde_json::Value,
    path: &mut String,
    errors: &mut Vec<affianca_domain::dto::FieldError>,
) {
    use serde_json::Value;
    let mut push = |p: &str| {
        errors.push(affianca_domain::dto::FieldError {
            field: if p.is_empty() {
                "body".into()
            } else {
                p.to_owned()
            },
            message: CONTROL_MESSAGE.into(),
        });
    };
    match value {
        Value::String(s) if bad_control(s) => push(path),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                control_characters(item, path, errors);
                path.truncate(len);
            }
        }
        Value::Object(map) => {
            for (k, v) in map {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(k);
                if bad_control(k) || k.contains(['\n', '\t']) {
                    errors.push(affianca_domain::dto::FieldError {
                        field: path.escape_debug().to_string(),
                        message: CONTROL_MESSAGE.into(),
                    });
                } else {
                    control_characters(v, path, errors);
                }
                path.truncate(len);
            }
        }
        _ => {}
    }
}

/// A query string deserialised into `T`; a parameter that does not fit is a 422 naming it.
#[derive(Debug)]
pub struct Query<T>(pub T);

impl<T> std::ops::Deref for Query<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Query<T> {
    type Error = actix_web::Error;
    type Future = std::future::Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let pairs = url::form_urlencoded::parse(req.query_string().as_bytes());
        // A query parameter is one line: no control character at all.
        let bad: Vec<affianca_domain::dto::FieldError> = pairs
            .filter(|(k, v)| k.chars().any(char::is_control) || v.chars().any(char::is_control))
            .map(|(k, _)| affianca_domain::dto::FieldError {
                field: k.escape_debug().to_string(),
                message: "contiene caratteri di controllo non ammessi".into(),
            })
            .collect();
        if !bad.is_empty() {
            return std::future::ready(Err(ApiError::validation(bad).into()));
        }
        let de = serde_urlencoded::Deserializer::new(pairs);
        std::future::ready(
            serde_path_to_error::deserialize::<_, T>(de)
                .map(Query)
                .map_err(|e| {
                    let path = e.path().to_string();
                    let (field, message) = explain(&path, &e.into_inner().to_string());
                    ApiError::invalid_field(
                        if field.is_empty() {
                            "query".into()
                        } else {
                            field
                        },
                        message,
                    )
                    .into()
                }),
        )
    }
}

/// Turns serde's English into a field path and an Italian message.
fn explain(path: &str, msg: &str) -> (String, String) {
    let path = if path == "." {
        String::new()
    } else {
        path.to_owned()
    };
    let join = |name: &str| {
        if path.is_empty() {
            name.to_owned()
        } else {
            format!("{path}.{name}")
        }
    };
    let quoted = |m: &str| m.split('`').nth(1).unwrap_or_default().to_owned();
    if msg.starts_with("missing field") {
        (join(&quoted(msg)), "campo obbligatorio".into())
    } else if msg.starts_with("unknown field") {
        (join(&quoted(msg)), "campo non previsto".into())
    } else if let Some(rest) = msg.strip_prefix("unknown variant") {
        let allowed: Vec<&str> = rest.split('`').skip(3).step_by(2).collect();
        (
            path,
            format!(
                "valore «{}» non ammesso: usare uno tra {}",
                quoted(msg),
                allowed.join(", ")
            ),
        )
    } else if let Some(rest) = msg.strip_prefix("invalid type: ") {
        (path, format!("tipo non valido ({rest})"))
    } else if let Some(rest) = msg.strip_prefix("invalid value: ") {
        (path, format!("valore non valido ({rest})"))
    } else {
        (path, msg.to_owned())
    }
}

/// The value of `If-Match`, required for updates (428 when missing).
pub fn if_match(req: &HttpRequest) -> Result<String, ApiError> {
    req.headers()
        .get(header::IF_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.trim().trim_start_matches("W/").to_owned())
        .filter(|s| !s.is_empty())
        .ok_or_else(ApiError::precondition_required)
}

/// The strong ETag of a versioned resource: `"<kind>-<id>-v<version>"`.
pub fn etag(kind: &str, id: impl std::fmt::Display, version: i32) -> String {
    format!("\"{kind}-{id}-v{version}\"")
}

#[cfg(test)]
mod tests {
    use super::explain;

    #[test]
    fn serde_messages_become_field_paths_in_italian() {
        assert_eq!(
            explain(".", "missing field `email`"),
            ("email".into(), "campo obbligatorio".into())
        );
        assert_eq!(
            explain("grants[0]", "missing field `scope`"),
            ("grants[0].scope".into(), "campo obbligatorio".into())
        );
        let (f, m) = explain(
            "task_force",
            "unknown variant `edilizia`, expected `waste` or `remediation`",
        );
        assert_eq!(f, "task_force");
        assert!(
            m.contains("edilizia") && m.contains("waste") && m.contains("remediation"),
            "{m}"
        );
        let (f, m) = explain(
            "legal_term_days",
            "invalid type: string \"x\", expected i32",
        );
        assert_eq!(f, "legal_term_days");
        assert!(m.starts_with("tipo non valido"));
    }
}
