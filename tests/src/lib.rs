//! Test harness: `spawn_app()` starts Affianca on a random port against a fresh database
//! (SQLite in a temporary directory, or a new PostgreSQL database when `TEST_DATABASE_URL` is
//! set), with the reference data and the demo accounts, and gives a client to talk to it.

pub mod browser;
pub mod files;
pub mod proxy;
pub mod smtp;

use affianca_api::config::Settings;
use affianca_api::startup::Application;
use affianca_domain::dto::{Problem, TokenResponse};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde_json::Value;
use std::collections::HashMap;
use std::path::PathBuf;

pub use affianca_demo::{DEMO_PASSWORD, DEMO_USERS};

/// The e-mail of the demo account holding `role`.
pub fn demo_email(role: affianca_domain::Role) -> &'static str {
    DEMO_USERS
        .iter()
        .find(|(_, _, r, _)| *r == role)
        .map(|(e, ..)| *e)
        .expect("one demo user per role")
}

/// The repository root (for the built web client).
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ is in the workspace")
        .to_path_buf()
}

/// Which database the tests run on.
pub fn backend() -> &'static str {
    if std::env::var("TEST_DATABASE_URL").is_ok_and(|v| !v.is_empty()) {
        "postgres"
    } else {
        "sqlite"
    }
}

pub struct TestApp {
    pub address: String,
    pub port: u16,
    pub client: reqwest::Client,
    pub database: TestDatabase,
}

/// A fresh, empty database: a SQLite file in a temporary directory, or a new PostgreSQL database
/// (dropped again on drop) when `TEST_DATABASE_URL` is set.
pub struct TestDatabase {
    pub url: String,
    pub dir: tempfile::TempDir,
    pg_database: Option<(String, String)>,
}

impl TestDatabase {
    pub async fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        match std::env::var("TEST_DATABASE_URL") {
            Ok(admin) if !admin.is_empty() => {
                let (url, name) = create_pg_database(&admin).await;
                Self {
                    url,
                    dir,
                    pg_database: Some((admin, name)),
                }
            }
            _ => {
                let url = format!(
                    "sqlite://{}?mode=rwc",
                    dir.path().join("affianca.db").display()
                );
                Self {
                    url,
                    dir,
                    pg_database: None,
                }
            }
        }
    }

    /// The same database for another server: its own (empty) data dir, and dropping it drops
    /// nothing on PostgreSQL (the first owner does).
    pub fn shared(&self) -> Self {
        Self {
            url: self.url.clone(),
            dir: tempfile::tempdir().expect("temp dir"),
            pg_database: None,
        }
    }

    /// A migrated connection with the reference data.
    pub async fn connect_seeded(&self) -> sea_orm::DatabaseConnection {
        let db = affianca_api::db::connect(&self.url, 4)
            .await
            .expect("connect");
        affianca_api::db::migrate(&db).await.expect("migrate");
        affianca_api::reference::seed_reference(&db)
            .await
            .expect("seed");
        db
    }
}

/// A fresh PostgreSQL database on the server of `TEST_DATABASE_URL`; returns its URL.
async fn create_pg_database(admin_url: &str) -> (String, String) {
    use sea_orm::{ConnectionTrait, Database};
    let name = format!("affianca_t_{}", uuid::Uuid::new_v4().simple());
    let admin = Database::connect(admin_url)
        .await
        .expect("TEST_DATABASE_URL is reachable");
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .expect("create test database");
    admin.close().await.ok();
    let base = admin_url
        .rsplit_once('/')
        .map(|(b, _)| b)
        .expect("TEST_DATABASE_URL ends with /database");
    (format!("{base}/{name}"), name)
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// `spawn_app` with extra settings (`AFFIANCA_SMTP_URL`, …).
pub async fn spawn_app_with(extra: &[(&'static str, String)]) -> TestApp {
    spawn_app_on(TestDatabase::new().await, extra).await
}

/// A second server on the database of another (`app.database`), with its own data dir: what
/// several servers behind a load balancer share is the database and the JWT secret only.
pub async fn spawn_second_app(database: &TestDatabase) -> TestApp {
    spawn_second_app_with(database, &[]).await
}

/// [`spawn_second_app`] with extra settings.
pub async fn spawn_second_app_with(
    database: &TestDatabase,
    extra: &[(&'static str, String)],
) -> TestApp {
    spawn_app_on(database.shared(), extra).await
}

/// Starts a server on `database` (its URL and data dir), with extra settings.
pub async fn spawn_app_on(database: TestDatabase, extra: &[(&'static str, String)]) -> TestApp {
    let mut vars: HashMap<&str, String> = HashMap::from([
        ("DATABASE_URL", database.url.clone()),
        ("AFFIANCA_BIND", "127.0.0.1:0".to_owned()),
        (
            "AFFIANCA_DATA_DIR",
            database.dir.path().display().to_string(),
        ),
        (
            "AFFIANCA_JWT_SECRET",
            "a test secret that is long enough for HS256 keys".to_owned(),
        ),
        ("AFFIANCA_DEMO", "1".to_owned()),
        ("AFFIANCA_DB_MAX_CONNECTIONS", "8".to_owned()),
        (
            "AFFIANCA_WEB_DIR",
            workspace_root()
                .join("crates/web/dist")
                .display()
                .to_string(),
        ),
    ]);
    vars.extend(extra.iter().cloned());
    let settings = Settings::from_lookup(|k| vars.get(k).cloned()).expect("test settings");
    let db = Application::prepare(&settings)
        .await
        .expect("the database is ready");
    if settings.demo {
        affianca_demo::seed_demo(&db).await.expect("demo accounts");
    }
    let app = Application::build_on(&settings, db)
        .await
        .expect("the application starts");
    let port = app.port();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        port,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client"),
        database,
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        // Drop the PostgreSQL test database (FORCE closes the server's pooled connections).
        if let Some((admin_url, name)) = self.pg_database.take() {
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .ok()?;
                rt.block_on(async {
                    use sea_orm::{ConnectionTrait, Database};
                    let admin = Database::connect(&admin_url).await.ok()?;
                    admin
                        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .await
                        .ok()?;
                    admin.close().await.ok()
                })
            })
            .join();
        }
    }
}

impl TestApp {
    /// A second server on the same database and data directory, as two servers behind one load
    /// balancer (its own caches, its own port).
    pub async fn second_server(&self) -> TestApp {
        spawn_app_with(&[
            ("DATABASE_URL", self.database.url.clone()),
            (
                "AFFIANCA_DATA_DIR",
                self.database.dir.path().display().to_string(),
            ),
        ])
        .await
    }

    /// A handle to the same server (address and client), for use in closures.
    pub fn clone_ref(&self) -> TestAppRef {
        TestAppRef {
            address: self.address.clone(),
            client: self.client.clone(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub fn request(&self, method: Method, path: &str, token: Option<&str>) -> RequestBuilder {
        let rb = self.client.request(method, self.url(path));
        match token {
            Some(t) => rb.bearer_auth(t),
            None => rb,
        }
    }

    pub async fn get(&self, path: &str, token: &str) -> Response {
        self.request(Method::GET, path, Some(token))
            .send()
            .await
            .expect("request sent")
    }

    pub async fn post_json(&self, path: &str, token: Option<&str>, body: &Value) -> Response {
        self.request(Method::POST, path, token)
            .json(body)
            .send()
            .await
            .expect("request sent")
    }

    pub async fn try_login(&self, email: &str, password: &str) -> Response {
        self.post_json(
            "/api/v1/auth/login",
            None,
            &serde_json::json!({"email": email, "password": password}),
        )
        .await
    }

    /// Logs in as a demo account from the client address `ip` (the server must trust the test
    /// client as a proxy: `AFFIANCA_TRUSTED_PROXIES=127.0.0.1`).
    pub async fn try_login_from(&self, ip: &str, email: &str, password: &str) -> Response {
        self.request(Method::POST, "/api/v1/auth/login", None)
            .header("x-forwarded-for", ip)
            .json(&serde_json::json!({"email": email, "password": password}))
            .send()
            .await
            .expect("request sent")
    }

    /// Logs in as a demo account and returns its tokens.
    pub async fn login_tokens(&self, email: &str) -> TokenResponse {
        let res = self.try_login(email, DEMO_PASSWORD).await;
        assert_eq!(res.status(), StatusCode::OK, "login of {email}");
        res.json().await.expect("token response")
    }

    /// The user id of the demo expert (building and planning, provinces BG and BS).
    pub async fn demo_expert_id(&self) -> i64 {
        let token = self.token_for(affianca_domain::Role::Secretariat).await;
        let experts: Vec<serde_json::Value> = self
            .get("/api/v1/experts?task_force=building_planning", &token)
            .await
            .json()
            .await
            .expect("the experts");
        experts
            .iter()
            .find(|e| e["email"] == demo_email(affianca_domain::Role::Expert))
            .and_then(|e| e["user_id"].as_i64())
            .expect("the demo expert")
    }

    /// Logs in as the demo account holding `role` and returns the access token.
    pub async fn token_for(&self, role: affianca_domain::Role) -> String {
        self.login_tokens(demo_email(role)).await.access_token
    }
}

/// Asserts a problem+json response with the status and code, and returns it.
pub async fn assert_problem(res: Response, status: u16, code: &str) -> Problem {
    assert_eq!(res.status().as_u16(), status, "status of {}", res.url());
    let ct = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert_eq!(
        ct,
        "application/problem+json",
        "content type of {}",
        res.url()
    );
    let problem: Problem = res.json().await.expect("a problem body");
    assert_eq!(problem.status, status);
    assert_eq!(problem.code, code, "problem: {problem:?}");
    assert!(!problem.title.is_empty());
    problem
}

/// A cheap handle to a running [`TestApp`].
#[derive(Clone)]
pub struct TestAppRef {
    pub address: String,
    pub client: reqwest::Client,
}

impl TestAppRef {
    pub async fn get(&self, path: &str, token: &str) -> Response {
        self.client
            .get(format!("{}{path}", self.address))
            .bearer_auth(token)
            .send()
            .await
            .expect("request sent")
    }
}
