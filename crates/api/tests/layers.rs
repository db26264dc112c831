//! The server's layers, as docs/API-DESIGN.md ("Architecture") draws them, checked on the source:
//! the application layer (`src/app/`) does not depend on the HTTP layer (`src/routes/`), and the
//! handlers whose resource has its service no longer reach the store themselves. A handler file
//! joins [`HANDLERS_ON_SERVICES`] when its resource moves to `app/`; it cannot silently go back.

use std::path::{Path, PathBuf};

fn source(dir: &str) -> Vec<(PathBuf, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(dir);
    let mut out: Vec<(PathBuf, String)> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "rs"))
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            (p, text)
        })
        .collect();
    out.sort();
    out
}

#[test]
fn services_do_not_depend_on_the_http_layer() {
    let files = source("app");
    assert!(files.len() >= 8, "the services are in src/app");
    for (path, text) in files {
        for http in [
            "crate::routes",
            "HttpResponse",
            "HttpRequest",
            "actix_web::web",
        ] {
            assert!(
                !text.contains(http),
                "{} uses {http}: a service takes typed input and returns data or an ApiError",
                path.display()
            );
        }
    }
}

/// Handlers whose resource is served by an application service: they extract, call, respond.
const HANDLERS_ON_SERVICES: &[&str] = &[
    "audit.rs",
    "authorities.rs",
    "catalog.rs",
    "delegates.rs",
    "experts.rs",
    "indicators.rs",
    "meetings.rs",
    "monitoring.rs",
    "notifications.rs",
    "password_reset.rs",
    "phases.rs",
    "registrations.rs",
    "reports.rs",
    "status.rs",
    "users.rs",
];

#[test]
fn handlers_on_services_do_not_touch_the_store() {
    let files = source("routes");
    for name in HANDLERS_ON_SERVICES {
        let (path, text) = files
            .iter()
            .find(|(p, _)| p.file_name().is_some_and(|f| f == *name))
            .unwrap_or_else(|| panic!("src/routes/{name} is gone: update the list"));
        for store in [
            "crate::entities",
            "sea_orm::sea_query",
            "EntityTrait",
            "begin_write",
            "::find(",
        ] {
            assert!(
                !text.contains(store),
                "{} uses {store}: the service owns the store",
                path.display()
            );
        }
    }
}
