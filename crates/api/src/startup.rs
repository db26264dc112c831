//! Building the application: database, keys, routes, static client. `Application::build` binds
//! the listener (port 0 in tests) and exposes the port, zero2prod style.

use crate::auth::{JwtKeys, load_or_create_secret};
use crate::config::Settings;
use crate::error::{ApiError, extractors};
use crate::notify::PublicUrl;
use crate::registry::Registry;
use crate::storage::Storage;
use crate::{db, openapi::ApiDoc, routes, seed, telemetry};
use actix_files::{Files, NamedFile};
use actix_web::dev::{Server, ServiceRequest, ServiceResponse, fn_service};
use actix_web::middleware::{Compress, from_fn};
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
    /// Connects, migrates, seeds the reference data (and the demo accounts in demo mode), binds.
    pub async fn build(settings: &Settings) -> anyhow::Result<Self> {
        let db = db::connect(settings.database_url.expose(), settings.db_max_connections).await?;
        db::migrate(&db).await?;
        seed::seed_reference(&db).await?;
        if settings.demo {
            seed::seed_demo(&db).await?;
        }
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
        let server = HttpServer::new(move || app(state.clone(), web_dir.clone()))
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
        api
    });
    DOC.clone()
}

fn app(
    state: AppState,
    web_dir: PathBuf,
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
        .service(web::scope("/api").default_service(web::to(|| async {
            Err::<HttpResponse, _>(ApiError::not_found("Questo indirizzo dell'API"))
        })))
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
        .wrap(Compress::default())
        .wrap(from_fn(telemetry::request_span))
}
