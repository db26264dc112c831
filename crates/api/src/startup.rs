//! Building the application: database, keys, routes, static client. `Application::build` binds
//! the listener (port 0 in tests) and exposes the port, zero2prod style.

use crate::auth::{JwtKeys, load_or_create_secret};
use crate::config::Settings;
use crate::error::{ApiError, extractors};
use crate::notify::PublicUrl;
use crate::registry::Registry;
use crate::storage::Storage;
use crate::{db, openapi::ApiDoc, reference, routes, telemetry};
use actix_files::{Files, NamedFile};
use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceRequest, ServiceResponse, fn_service};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::{Compress, Next, from_fn};
use actix_web::{App, HttpResponse, HttpServer, web};
use sea_orm::DatabaseConnection;
use std::net::TcpListener;
use std::path::PathBuf;
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

/// Largest JSON body accepted (bigger uploads will have their own endpoints and limits).
pub const JSON_LIMIT: usize = 64 * 1024;

/// What every handler may need, shared by all workers.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub keys: JwtKeys,
    pub registry: Registry,
    pub storage: Storage,
    pub health: db::DbHealth,
    pub public_url: PublicUrl,
    pub indicators: crate::indicators::IndicatorCache,
    pub sessions: crate::auth::Sessions,
    pub trusted_proxies: crate::throttle::TrustedProxies,
}

pub struct Application {
    port: u16,
    server: Server,
}

impl Application {
    /// Connects, migrates and seeds the reference data: the database [`Self::build_on`] takes
    /// (the command line seeds the demo accounts in between, in demo mode).
    pub async fn prepare(settings: &Settings) -> anyhow::Result<sea_orm::DatabaseConnection> {
        let db = db::connect(settings.database_url.expose(), settings.db_max_connections).await?;
        db::migrate(&db).await?;
        reference::seed_reference(&db).await?;
        Ok(db)
    }

    /// [`Self::prepare`], then [`Self::build_on`].
    pub async fn build(settings: &Settings) -> anyhow::Result<Self> {
        let db = Self::prepare(settings).await?;
        Self::build_on(settings, db).await
    }

    /// Builds the application on a prepared database and binds.
    pub async fn build_on(
        settings: &Settings,
        db: sea_orm::DatabaseConnection,
    ) -> anyhow::Result<Self> {
        let secret = load_or_create_secret(
            settings.jwt_secret.as_ref().map(|s| s.expose()),
            &settings.data_dir,
        )?;
        let registry = Registry::default();
        registry.snapshot(&db).await?;
        let storage = Storage::build(settings.file_store, &settings.data_dir, &db);
        let health = db::DbHealth::default();
        tokio::spawn(db::watch(db.clone(), health.clone()));
        if let Err(e) = storage.sweep_stale_uploads().await {
            tracing::warn!(error = %e, "could not remove unfinished uploads");
        }
        let sessions = crate::auth::Sessions::new(db.clone());
        let state = AppState {
            health,
            public_url: PublicUrl(settings.public_url.clone()),
            storage,
            db,
            keys: JwtKeys::new(&secret),
            registry,
            indicators: Default::default(),
            sessions,
            trusted_proxies: settings.trusted_proxies.clone(),
        };
        // The indicator cube loads in the background: the first dashboard does not wait for it.
        state.indicators.warm(state.db.clone());
        tokio::spawn(crate::jobs::run(state.db.clone(), state.public_url.clone()));
        if let Some(mail) = settings.mail.clone() {
            tokio::spawn(crate::mailer::run(state.db.clone(), mail));
        } else {
            tracing::info!(
                "AFFIANCA_SMTP_URL not set: e-mails stay in the outbox (admins see them at /api/v1/outbox)"
            );
        }
        let listener = TcpListener::bind(settings.bind)?;
        let port = listener.local_addr()?.port();
        let web_dir = settings.web_dir.clone();
        let policy = SecurityPolicy::new(
            std::fs::read_to_string(web_dir.join("index.html"))
                .ok()
                .as_deref(),
            &settings.public_url,
        );
        let server = HttpServer::new(move || app(state.clone(), web_dir.clone(), policy.clone()))
            .listen(listener)?
            .run();
        Ok(Self { port, server })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// The OpenAPI document as the running server serves it, built once from the routes.
pub fn openapi_document() -> utoipa::openapi::OpenApi {
    static DOC: std::sync::LazyLock<utoipa::openapi::OpenApi> = std::sync::LazyLock::new(|| {
        let (_, api) = App::new()
            .into_utoipa_app()
            .openapi(ApiDoc::openapi())
            .configure(routes::configure)
            .split_for_parts();
        let mut api = api;
        crate::openapi::add_common_responses(&mut api);
        api
    });
    DOC.clone()
}

fn app(
    state: AppState,
    web_dir: PathBuf,
    policy: SecurityPolicy,
) -> App<
    impl actix_web::dev::ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl actix_web::body::MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    // Registered first: `/api/v1/openapi.json` must win over the API scope's 404 for unknown paths.
    let (app, _) = App::new()
        .service(SwaggerUi::new("/api/docs/{_:.*}").url("/api/v1/openapi.json", openapi_document()))
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .app_data(web::Data::new(state.db.clone()))
        .app_data(web::Data::new(state.keys.clone()))
        .app_data(web::Data::new(state.registry.clone()))
        .app_data(web::Data::new(state.storage.clone()))
        .app_data(web::Data::new(state.health.clone()))
        .app_data(web::Data::new(state.public_url.clone()))
        .app_data(web::Data::new(state.indicators.clone()))
        .app_data(web::Data::new(state.sessions.clone()))
        .app_data(web::Data::new(state.trusted_proxies.clone()))
        .app_data(web::Data::new(policy))
        .app_data(
            web::JsonConfig::default()
                .limit(JSON_LIMIT)
                .error_handler(extractors::json_error),
        )
        .app_data(web::QueryConfig::default().error_handler(extractors::query_error))
        .app_data(web::PathConfig::default().error_handler(extractors::path_error))
        .configure(routes::configure)
        .split_for_parts();
    let index = web_dir.join("index.html");
    let client_built = index.is_file();
    app.service(web::redirect("/api/docs", "/api/docs/"))
        .route("/.well-known/security.txt", web::get().to(security_txt))
        .service(web::scope("/api").default_service(web::to(routes::unknown_api_path)))
        .configure(move |cfg| {
            if client_built {
                cfg.service(Files::new("/", web_dir).index_file("index.html").default_handler(fn_service(
                    move |req: ServiceRequest| {
                        // Client-side routes (/enti/016024, ...) get the SPA, which routes them itself.
                        let index = index.clone();
                        async move {
                            let (req, _) = req.into_parts();
                            let res = NamedFile::open_async(&index).await?.into_response(&req);
                            Ok(ServiceResponse::new(req, res))
                        }
                    },
                )));
            } else {
                cfg.default_service(web::to(|| async {
                    HttpResponse::NotFound()
                        .content_type("text/plain; charset=utf-8")
                        .body("Il client web non è compilato: eseguire `just run` (o `just web`). L'API è su /api/v1, la documentazione su /api/docs/.")
                }));
            }
        })
        .wrap(from_fn(db::fail_fast))
        .wrap(from_fn(catch_panic))
        .wrap(from_fn(refuse_control_characters_in_path))
        .wrap(Compress::default())
        .wrap(from_fn(security_headers))
        .wrap(from_fn(telemetry::request_span))
}

/// Where to report a vulnerability (docs/SECURITY.md).
pub const SECURITY_CONTACT: &str = "mailto:sicurezza@affianca.example";

/// `/.well-known/security.txt` (RFC 9116): whom to tell about a vulnerability, valid for a year
/// from now (the file must carry an expiry).
async fn security_txt() -> HttpResponse {
    let expires = (chrono::Utc::now() + chrono::Duration::days(365))
        .format("%Y-%m-%dT00:00:00Z")
        .to_string();
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body(format!(
            "Contact: {SECURITY_CONTACT}\nExpires: {expires}\nPreferred-Languages: it, en\n"
        ))
}

/// Middleware: a panic in a handler (a bug) answers 500 problem+json, like any other bug, instead
/// of dropping the connection and the worker's other requests in flight.
pub async fn catch_panic(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody + 'static>, actix_web::Error> {
    use futures_util::FutureExt;
    match std::panic::AssertUnwindSafe(next.call(req))
        .catch_unwind()
        .await
    {
        Ok(res) => res,
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_owned());
            // The request went down with the handler: the error becomes the answer.
            Err(ApiError::internal(anyhow::anyhow!("handler panicked: {what}")).into())
        }
    }
}

/// Whether the path, percent-decoded, holds a control character (`%00`, `%0A`, `%C2%85`, …).
fn path_has_control_characters(path: &str) -> bool {
    let bytes = path.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        if bytes[i] == b'%'
            && let (Some(h), Some(l)) = (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            )
        {
            // Two hex digits: at most 255.
            #[allow(clippy::cast_possible_truncation)]
            decoded.push((h * 16 + l) as u8);
            i += 3;
        } else {
            decoded.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&decoded)
        .chars()
        .any(char::is_control)
}

/// Middleware: a path with a control character names nothing (404), and never reaches a handler
/// (NUL breaks PostgreSQL).
pub async fn refuse_control_characters_in_path(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody + 'static>, actix_web::Error> {
    if path_has_control_characters(req.path()) {
        return Err(ApiError::not_found("Questo indirizzo").into());
    }
    next.call(req).await
}

/// The browser security headers, worked out once at start: the client's Content-Security-Policy
/// allows its inline loader script by hash (trunk writes one `<script type="module">` into
/// dist/index.html that imports the wasm bindings), so scripts never need `'unsafe-inline'`.
#[derive(Clone)]
pub struct SecurityPolicy {
    spa_csp: HeaderValue,
    hsts: bool,
}

/// Features the application never uses, denied to every page.
const PERMISSIONS_POLICY: &str = "accelerometer=(), autoplay=(), camera=(), display-capture=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), midi=(), payment=(), publickey-credentials-get=(), screen-wake-lock=(), serial=(), usb=(), xr-spatial-tracking=()";

/// Swagger UI (/api/docs/) loads its scripts from files: no hash needed. Its bundle applies
/// inline styles at run time (measured in the browser test: blocked under `style-src 'self'`), so
/// styles, and only styles, may be inline there; scripts never.
const DOCS_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/// The client's policy when no inline script is known (no policy in the app data).
const SPA_CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/// JSON, CSV and downloads are never rendered as pages: nothing may run or frame them.
const API_CSP: &str =
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

impl SecurityPolicy {
    /// `index_html` is the built client's dist/index.html (when built); `public_url` decides HSTS.
    pub fn new(index_html: Option<&str>, public_url: &str) -> Self {
        let hashes: String = index_html
            .map(inline_script_hashes)
            .unwrap_or_default()
            .iter()
            .map(|h| format!(" 'sha256-{h}'"))
            .collect();
        let spa = format!(
            "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{hashes}; style-src 'self'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
        );
        Self {
            spa_csp: HeaderValue::from_str(&spa).unwrap_or(HeaderValue::from_static(SPA_CSP)),
            hsts: public_url.starts_with("https://"),
        }
    }
}

/// The base64 SHA-256 of each inline `<script>` of an HTML page, as CSP source hashes want them.
pub fn inline_script_hashes(html: &str) -> Vec<String> {
    use base64::Engine;
    use sha2::Digest;
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<script") {
        let after = &rest[start..];
        let Some(tag_end) = after.find('>') else {
            break;
        };
        let tag = &after[..tag_end];
        let body = &after[tag_end + 1..];
        let Some(close) = body.find("</script>") else {
            break;
        };
        if !tag.contains(" src=") {
            let digest = sha2::Sha256::digest(&body.as_bytes()[..close]);
            out.push(base64::engine::general_purpose::STANDARD.encode(digest));
        }
        rest = &body[close..];
    }
    out
}

/// Whether a file name carries trunk's content hash (`affianca-web-0123456789abcdef_bg.wasm`,
/// `style-0123456789abcdef.css`): such a file never changes, so it may be cached for a year.
fn is_hashed_asset(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or_default();
    // Trunk writes the 64-bit hash as `{:x}`: up to 16 lowercase hex digits.
    name.split(['-', '_', '.']).any(|part| {
        (12..=16).contains(&part.len())
            && part
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
            && part.bytes().any(|b| b.is_ascii_digit())
    })
}

/// Middleware: `nosniff`, no referrer, no powerful features on every answer; `no-store` for the
/// API (but its public OpenAPI document), long caching for hashed client files and revalidation
/// for the rest; a strict Content-Security-Policy for the client and Swagger UI; HSTS behind https.
pub async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody + 'static>, actix_web::Error> {
    let policy = req.app_data::<web::Data<SecurityPolicy>>().cloned();
    let path = req.path().to_owned();
    match next.call(req).await {
        Ok(mut res) => {
            let status = res.status();
            add_security_headers(
                res.headers_mut(),
                &path,
                status,
                policy.as_ref().map(|p| p.get_ref()),
            );
            Ok(res)
        }
        // An error from a middleware (a handler's errors are already responses), such as a caught
        // panic: its answer, with the headers.
        Err(e) => {
            let mut res = e.error_response();
            let status = res.status();
            add_security_headers(
                res.headers_mut(),
                &path,
                status,
                policy.as_ref().map(|p| p.get_ref()),
            );
            Err(actix_web::error::InternalError::from_response(e, res).into())
        }
    }
}

fn add_security_headers(
    h: &mut header::HeaderMap,
    path: &str,
    status: actix_web::http::StatusCode,
    policy: Option<&SecurityPolicy>,
) {
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::HeaderName::from_static("permissions-policy"),
        HeaderValue::from_static(PERMISSIONS_POLICY),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    let api = path == "/api" || path.starts_with("/api/");
    let docs = path == "/api/docs" || path.starts_with("/api/docs/");
    let spa_csp = || policy.map_or(HeaderValue::from_static(SPA_CSP), |p| p.spa_csp.clone());
    let (cache, csp) = if path == "/api/v1/openapi.json" {
        ("public, max-age=300", HeaderValue::from_static(API_CSP))
    } else if docs {
        ("no-cache", HeaderValue::from_static(DOCS_CSP))
    } else if api {
        ("no-store", HeaderValue::from_static(API_CSP))
    } else if is_hashed_asset(path) && status.is_success() {
        ("public, max-age=31536000, immutable", spa_csp())
    } else {
        ("no-cache", spa_csp())
    };
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(header::CONTENT_SECURITY_POLICY, csp);
    if policy.is_some_and(|p| p.hsts) {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::dev::Service;
    use actix_web::test as atest;

    #[actix_web::test]
    async fn a_panicking_handler_answers_500_problem_and_the_server_goes_on() {
        let app = atest::init_service(
            App::new()
                .route(
                    "/boom",
                    web::get().to(|| async {
                        let v: Vec<u8> = Vec::new();
                        #[allow(clippy::indexing_slicing)]
                        HttpResponse::Ok().body(v[7].to_string())
                    }),
                )
                .route("/fine", web::get().to(HttpResponse::Ok))
                .wrap(from_fn(catch_panic))
                .wrap(from_fn(security_headers)),
        )
        .await;
        // The answer is the error's (the request went down with the handler).
        let res = match app
            .call(atest::TestRequest::get().uri("/boom").to_request())
            .await
        {
            Ok(res) => res.into_parts().1.map_into_boxed_body(),
            Err(e) => e.error_response(),
        };
        assert_eq!(res.status(), 500);
        assert_eq!(
            res.headers().get(header::CONTENT_TYPE).unwrap(),
            crate::error::PROBLEM_JSON
        );
        assert_eq!(
            res.headers().get(header::X_CONTENT_TYPE_OPTIONS).unwrap(),
            "nosniff"
        );
        let body = actix_web::body::to_bytes(res.into_body()).await.unwrap();
        let problem: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(problem["code"], "internal_error");
        let res =
            atest::call_service(&app, atest::TestRequest::get().uri("/fine").to_request()).await;
        assert_eq!(res.status(), 200);
    }

    #[test]
    fn the_client_loader_script_is_allowed_by_its_hash() {
        let html = "<html><head><script type=\"module\">\nimport init from '/a.js';\n</script><script src=\"/x.js\"></script></head></html>";
        let hashes = inline_script_hashes(html);
        assert_eq!(hashes.len(), 1);
        use base64::Engine;
        use sha2::Digest;
        let expected = base64::engine::general_purpose::STANDARD
            .encode(sha2::Sha256::digest(b"\nimport init from '/a.js';\n"));
        assert_eq!(hashes[0], expected);
        let policy = SecurityPolicy::new(Some(html), "https://affianca.example");
        let csp = policy.spa_csp.to_str().unwrap();
        assert!(csp.contains(&format!(
            "script-src 'self' 'wasm-unsafe-eval' 'sha256-{expected}';"
        )));
        assert!(!csp.contains("unsafe-inline"));
        assert!(policy.hsts);
        assert!(!SecurityPolicy::new(None, "http://localhost:8080").hsts);
    }

    #[test]
    fn control_characters_in_paths_are_seen_through_percent_encoding() {
        assert!(path_has_control_characters(
            "/api/v1/authorities/016024/files/A%00B"
        ));
        assert!(path_has_control_characters("/x/%0a"));
        assert!(path_has_control_characters("/x/%C2%85"));
        assert!(!path_has_control_characters(
            "/api/v1/authorities/016024/files/A%20B"
        ));
        assert!(!path_has_control_characters("/enti/016024"));
        assert!(!path_has_control_characters("/x/%zz%"));
    }

    #[test]
    fn trunk_hashed_names_are_recognised() {
        assert!(is_hashed_asset("/affianca-web-5d2b8c9e0f1a2b3c_bg.wasm"));
        assert!(is_hashed_asset("/affianca-web-5d2b8c9e0f1a2b3.js"));
        assert!(is_hashed_asset(
            "/bootstrap-italia.min-0a1b2c3d4e5f6071.css"
        ));
        assert!(!is_hashed_asset("/index.html"));
        assert!(!is_hashed_asset("/fonts/titillium-web-v10-latin-300.woff2"));
        assert!(!is_hashed_asset("/svg/sprites.svg"));
    }
}
