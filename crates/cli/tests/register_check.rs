//! `affianca register check`: the indicators of a register without a server, as JSON or a
//! table, and the row/column report with exit code 2 for a bad register.

use std::process::Command;

const HEADER: &str = "codice_pratica;procedimento;data_avvio;termine_giorni;data_conclusione;data_silenzio_assenso;conferenza_servizi;giorni_sospensione\n";

fn check(body: &str, args: &[&str]) -> (i32, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("registro.csv");
    std::fs::write(&path, body).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_affianca"))
        .args(["register", "check"])
        .arg(&path)
        .args(args)
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn json_has_the_indicator_fields_sorted_without_empty_rows() {
    let body = format!(
        "{HEADER}A1;PDC;2022-01-10;;2022-03-01;;sì;\nA2;PDC;2022-02-10;;;;;\nA3;SCIA;10/07/2022;;;2022-08-01;;\nA4;AUA;2021-03-01;120;2021-04-01;;;10\n"
    );
    let (code, out, err) = check(&body, &["--json"]);
    assert_eq!(code, 0, "{err}");
    let rows: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    let keys: Vec<String> = rows
        .iter()
        .map(|r| {
            format!(
                "{} {}",
                r["procedure"].as_str().unwrap(),
                r["period"].as_str().unwrap()
            )
        })
        .collect();
    // PDC stays late (A2) until the end of the register's window (2022S2); AUA has nothing after
    // 2021S1; empty rows are left out.
    assert_eq!(
        keys,
        vec!["AUA 2021S1", "PDC 2022S1", "PDC 2022S2", "SCIA 2022S2"]
    );
    let pdc = &rows[1];
    assert_eq!(pdc["started"], 2);
    assert_eq!(pdc["concluded_express"], 1);
    assert_eq!(pdc["concluded_express_with_conference"], 1);
    assert_eq!(pdc["avg_duration_days"], 50.0);
    assert_eq!(pdc["max_term_days"], 60.0);
    assert_eq!(pdc["backlog"], 1);
    assert_eq!(
        rows[0]["avg_net_duration_days"], 21.0,
        "31 days less 10 of suspension"
    );
    assert_eq!(rows[3]["concluded_silent_assent"], 1);
    assert_eq!(rows[3]["avg_duration_days"], serde_json::Value::Null);
    let mut fields: Vec<&str> = pdc
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    fields.sort_unstable();
    assert_eq!(fields.len(), 11, "{fields:?}");

    // --from/--to choose the semesters; the backlog goes on past the last date.
    let (_, out, _) = check(&body, &["--json", "--from", "2022S1", "--to", "2023S2"]);
    let rows: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    let late: Vec<&str> = rows
        .iter()
        .filter(|r| r["procedure"] == "PDC")
        .map(|r| r["period"].as_str().unwrap())
        .collect();
    assert_eq!(late, vec!["2022S1", "2022S2", "2023S1", "2023S2"]);

    // The table for people.
    let (code, out, _) = check(&body, &[]);
    assert_eq!(code, 0);
    assert!(out.starts_with("procedimento"), "{out}");
    assert!(out.contains("4 pratiche lette."), "{out}");
}

#[test]
fn a_bad_register_lists_row_column_value_and_reason_and_exits_with_2() {
    let body = format!(
        "{HEADER}A1;PDC;2022-01-10;;2021-12-01;;;\nA2;NOPE;2022-01-10;;;;;\nA1;PDC;2022-01-11;;;;;-4\n"
    );
    let (code, out, err) = check(&body, &["--json"]);
    assert_eq!(code, 2);
    assert!(out.is_empty(), "{out}");
    assert!(
        err.contains("riga 2, colonna data_conclusione, valore «2021-12-01»"),
        "{err}"
    );
    assert!(
        err.contains("riga 3, colonna procedimento, valore «NOPE»"),
        "{err}"
    );
    assert!(err.contains("riga 4, colonna codice_pratica"), "{err}");
    assert!(err.contains("riga 4, colonna giorni_sospensione"), "{err}");
    let (code, _, err) = check(&body, &["--from", "2022S9"]);
    assert_eq!(code, 2, "{err}");
}
