//! The `affianca` command line, run as a user would (a real process, a real SQLite file).

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn affianca(data_dir: &std::path::Path, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_affianca"))
        .args(args)
        .env_remove("DATABASE_URL")
        .env("AFFIANCA_DATA_DIR", data_dir)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("affianca runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn user_add_creates_a_user_once_and_checks_its_arguments() {
    let dir = tempfile::tempdir().unwrap();
    let ok = affianca(
        dir.path(),
        &[
            "user",
            "add",
            "--email",
            "Ufficio@Provincia.BG.it",
            "--role",
            "observer",
            "--scope",
            "province:BG",
            "--password-stdin",
        ],
        "una password lunga\n",
    );
    assert!(ok.status.success(), "{}", text(&ok));
    assert!(
        text(&ok).contains("ufficio@provincia.bg.it") && text(&ok).contains("observer province:BG"),
        "{}",
        text(&ok)
    );

    let again = affianca(
        dir.path(),
        &[
            "user",
            "add",
            "--email",
            "ufficio@provincia.bg.it",
            "--role",
            "observer",
            "--scope",
            "province:BG",
            "--password-stdin",
        ],
        "una password lunga\n",
    );
    assert!(!again.status.success());

    let bad_role = affianca(
        dir.path(),
        &[
            "user",
            "add",
            "--email",
            "a@b.it",
            "--role",
            "mayor",
            "--password-stdin",
        ],
        "una password lunga\n",
    );
    assert!(!bad_role.status.success());
    assert!(text(&bad_role).contains("--role"), "{}", text(&bad_role));

    let bad_scope = affianca(
        dir.path(),
        &[
            "user",
            "add",
            "--email",
            "a@b.it",
            "--role",
            "secretariat",
            "--scope",
            "province:BG",
            "--password-stdin",
        ],
        "una password lunga\n",
    );
    assert!(!bad_scope.status.success());
    assert!(text(&bad_scope).contains("--scope"), "{}", text(&bad_scope));

    let short = affianca(
        dir.path(),
        &[
            "user",
            "add",
            "--email",
            "a@b.it",
            "--role",
            "admin",
            "--password-stdin",
        ],
        "short\n",
    );
    assert!(!short.status.success());
    assert!(text(&short).contains("12"), "{}", text(&short));
}

#[test]
fn import_authorities_reports_what_changed() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("comuni.csv");
    let mut list =
        affianca_api::seed::COMUNI_CSV.replace("016024,Bergamo,", "016024,Bergamo Alta,");
    list.push_str("016999,Comune Nuovo,BG,Z998,00000000001\n");
    std::fs::write(&csv, list).unwrap();
    let out = affianca(
        dir.path(),
        &["import-authorities", csv.to_str().unwrap()],
        "",
    );
    assert!(out.status.success(), "{}", text(&out));
    let report = text(&out);
    assert!(
        report.contains("added: 1") && report.contains("+ 016999 Comune Nuovo"),
        "{report}"
    );
    assert!(
        report.contains("updated: 1") && report.contains("016024 Bergamo Alta (was Bergamo)"),
        "{report}"
    );
    assert!(
        report.contains("retired (marked inactive, data kept): 0"),
        "{report}"
    );

    std::fs::write(
        &csv,
        "istat_code,name,province,cadastral_code,fiscal_code\nxx,Bad,BG,,\n",
    )
    .unwrap();
    let bad = affianca(
        dir.path(),
        &["import-authorities", csv.to_str().unwrap()],
        "",
    );
    assert!(!bad.status.success());
    assert!(text(&bad).contains("line 2"), "{}", text(&bad));
}

#[test]
fn wrong_settings_stop_the_program_with_the_variable_name() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_affianca"))
        .arg("migrate")
        .env("AFFIANCA_DATA_DIR", dir.path())
        .env("AFFIANCA_BIND", "not-an-address")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(text(&out).contains("AFFIANCA_BIND"), "{}", text(&out));
}

#[test]
fn openapi_prints_the_document() {
    let out = Command::new(env!("CARGO_BIN_EXE_affianca"))
        .arg("openapi")
        .output()
        .unwrap();
    assert!(out.status.success());
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(doc["paths"]["/api/v1/authorities"]["get"].is_object());
}

#[test]
fn every_command_has_help() {
    for args in [
        &["--help"][..],
        &["serve", "--help"],
        &["user", "add", "--help"],
        &["import-authorities", "--help"],
        &["migrate", "--help"],
        &["seed-demo", "--help"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_affianca"))
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("Usage"),
            "{args:?}"
        );
    }
}
