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
        affianca_api::reference::COMUNI_CSV.replace("016024,Bergamo,", "016024,Bergamo Alta,");
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
        &["backup", "--help"],
        &["restore", "--help"],
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

/// `affianca backup` then `affianca restore` into a new data dir: the database (with its users),
/// the JWT secret and the stored files come back byte for byte; a data dir that is not empty is
/// refused unless `--force`; PostgreSQL is pointed to pg_dump.
#[test]
fn backup_and_restore_round_trip_through_the_command_line() {
    let old = tempfile::tempdir().unwrap();
    let out = affianca(old.path(), &["seed-demo"], "");
    assert!(out.status.success(), "{}", text(&out));
    std::fs::write(old.path().join("jwt-secret"), "s".repeat(48)).unwrap();
    let sha = "ab".to_owned() + &"0".repeat(62);
    let shard = old.path().join("files").join("ab");
    std::fs::create_dir_all(&shard).unwrap();
    let bytes: Vec<u8> = (0..200_000_u32).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(shard.join(&sha), &bytes).unwrap();
    // An upload still streaming in is not part of a backup.
    std::fs::create_dir_all(old.path().join("files/tmp")).unwrap();
    std::fs::write(old.path().join("files/tmp/partial"), b"half").unwrap();

    let archive_dir = tempfile::tempdir().unwrap();
    let archive = archive_dir.path().join("affianca.tar");
    let out = affianca(old.path(), &["backup", archive.to_str().unwrap()], "");
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("1 stored files"), "{}", text(&out));

    let new = tempfile::tempdir().unwrap();
    let out = affianca(new.path(), &["restore", archive.to_str().unwrap()], "");
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        std::fs::read(new.path().join("files/ab").join(&sha)).unwrap(),
        bytes
    );
    assert_eq!(
        std::fs::read_to_string(new.path().join("jwt-secret")).unwrap(),
        "s".repeat(48)
    );
    assert!(!new.path().join("files/tmp").exists());
    // The restored database opens, migrates and has the demo users.
    let again = affianca(
        new.path(),
        &[
            "user",
            "add",
            "--email",
            affianca_demo::DEMO_USERS[0].0,
            "--role",
            "admin",
            "--password-stdin",
        ],
        "una password lunga e sicura\n",
    );
    assert!(!again.status.success());
    assert!(text(&again).contains("exist already"), "{}", text(&again));

    // Not over data that is there, unless asked.
    let refused = affianca(new.path(), &["restore", archive.to_str().unwrap()], "");
    assert!(!refused.status.success());
    assert!(text(&refused).contains("--force"), "{}", text(&refused));
    let forced = affianca(
        new.path(),
        &["restore", "--force", archive.to_str().unwrap()],
        "",
    );
    assert!(forced.status.success(), "{}", text(&forced));

    // Not an archive of ours.
    std::fs::write(archive_dir.path().join("x.tar"), b"nonsense").unwrap();
    let empty = tempfile::tempdir().unwrap();
    let bad = affianca(
        empty.path(),
        &[
            "restore",
            archive_dir.path().join("x.tar").to_str().unwrap(),
        ],
        "",
    );
    assert!(!bad.status.success());

    let pg = Command::new(env!("CARGO_BIN_EXE_affianca"))
        .args(["backup", "x.tar"])
        .env("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")
        .env("AFFIANCA_DATA_DIR", empty.path())
        .output()
        .unwrap();
    assert!(!pg.status.success());
    assert!(text(&pg).contains("pg_dump"), "{}", text(&pg));
}
