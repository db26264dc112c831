//! Schemathesis (PyPI, pinned in the justfile, installed by `just tools` into
//! `target/tools/venv`) against a live server: every operation of the committed OpenAPI document,
//! anonymously and as each demo role, with generated and hostile inputs. The run must find no
//! server error, no dropped connection, no status the document does not list, and no answer that
//! does not fit its schema.
//!
//! Bounded: a few examples per operation and phase, so that `.ci/run` stays well inside its time.
//! `AFFIANCA_SCHEMATHESIS_EXAMPLES` raises the bound for a deeper local run.

use affianca_domain::Role;
use affianca_tests::{spawn_app, workspace_root};
use std::process::Command;

/// The schemathesis executable installed by `just tools`.
fn schemathesis() -> std::path::PathBuf {
    let path = workspace_root().join("target/tools/venv/bin/schemathesis");
    assert!(
        path.is_file(),
        "schemathesis is not installed at {}: run `just tools`",
        path.display()
    );
    path
}

/// Runs schemathesis over every operation as one identity; returns (success, output).
fn run(base: &str, identity: &str, token: Option<&str>, examples: u32) -> (bool, String) {
    let report_dir = workspace_root().join(format!("target/schemathesis/{identity}"));
    std::fs::create_dir_all(&report_dir).expect("report dir");
    let dir = workspace_root().join("tests/schemathesis");
    let mut cmd = Command::new(schemathesis());
    // schemathesis.toml: no automatic sign-up (the demo accounts sign in instead).
    cmd.arg("--config-file")
        .arg(dir.join("schemathesis.toml"))
        .arg("--no-color")
        .arg("run")
        .arg(format!("{base}/api/v1/openapi.json"))
        .args(["--url", base])
        .args([
            "--checks",
            "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
        ])
        .args(["--phases", "examples,coverage,fuzzing"])
        .args(["--max-examples", &examples.to_string()])
        // One worker: with two, hypothesis' lambda descriptions race (a "Runtime Error" of the
        // tool itself, not of the server).
        .args(["--workers", "1"])
        .args(["--request-timeout", "30"])
        .args(["--generation-deterministic"])
        .args(["--suppress-health-check", "all"])
        .args(["--continue-on-failure"])
        // tests/schemathesis/hooks.py: real and hostile files for the upload bodies.
        .env("PYTHONPATH", &dir)
        .env("SCHEMATHESIS_HOOKS", "hooks")
        .current_dir(&report_dir);
    if let Some(t) = token {
        cmd.args(["-H", &format!("Authorization: Bearer {t}")]);
    }
    let out = cmd.output().expect("schemathesis runs");
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_no_server_error_undocumented_status_or_schema_violation() {
    let examples: u32 = std::env::var("AFFIANCA_SCHEMATHESIS_EXAMPLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(12);
    let identities: Vec<Option<Role>> = std::iter::once(None)
        .chain(Role::ALL.into_iter().map(Some))
        .collect();
    let mut failures = Vec::new();
    for role in identities {
        // A fresh server and database per identity: what one identity's run changes (an admin
        // disabling accounts, a representative removing delegates) does not blind the next.
        let app = spawn_app().await;
        let token = match role {
            Some(r) => Some(app.token_for(r).await),
            None => None,
        };
        let identity = role.map_or("anonymous".to_owned(), |r| format!("{r:?}").to_lowercase());
        let base = app.address.clone();
        let (ok, output) = tokio::task::spawn_blocking(move || {
            let (ok, output) = run(&base, &identity, token.as_deref(), examples);
            (ok, format!("=== {identity}\n{output}"))
        })
        .await
        .expect("the run ends");
        eprintln!("{output}");
        if !ok {
            failures.push(output);
        }
        // The server is still there and answers after the run.
        let status = app
            .client
            .get(app.url("/api/v1/status"))
            .send()
            .await
            .expect("the server answers after the run");
        assert!(status.status().is_success(), "status after the run");
    }
    assert!(
        failures.is_empty(),
        "schemathesis found problems:\n{}",
        failures.join("\n")
    );
}
