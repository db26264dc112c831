//! CSV formula injection (issue 10): text a user typed (a request's subject, an activity's notes)
//! reaches the spreadsheet as text, never as a formula, in every CSV export; numbers stay numbers.

use affianca_domain::Role;
use affianca_tests::{TestApp, spawn_app};
use chrono::Utc;
use reqwest::Method;
use serde_json::{Value, json};

const SUBJECT: &str = "=HYPERLINK(\"http://evil.example\";\"Apri\")";
const NOTES: &str = "@SUM(1+1)*cmd|' /C calc'!A0";

/// The fields of one CSV line (`;`, `"` quoting).
fn fields(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (';', false) => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out
}

fn is_number(s: &str) -> bool {
    let d = s.strip_prefix('-').unwrap_or(s);
    !d.is_empty() && d.chars().all(|c| c.is_ascii_digit() || c == ',')
}

/// Every field of the export: a number, or text that no spreadsheet runs as a formula.
fn assert_no_formula(what: &str, csv: &str) {
    assert!(csv.starts_with('\u{feff}'), "{what}: {csv}");
    for line in csv.trim_start_matches('\u{feff}').split("\r\n") {
        for f in fields(line) {
            let risky = f.starts_with(['=', '+', '-', '@', '\t', '\r']);
            assert!(!risky || is_number(&f), "{what}: «{f}» in «{line}»");
        }
    }
}

async fn csv(app: &TestApp, path: &str, token: &str) -> String {
    let res = app.get(path, token).await;
    assert_eq!(res.status(), 200, "{path}");
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv"),
        "{path}"
    );
    res.text().await.unwrap()
}

#[tokio::test]
async fn every_csv_export_keeps_formulas_out_and_numbers_in() {
    let app = spawn_app().await;
    let rep = app.token_for(Role::AuthorityRep).await;
    let sec = app.token_for(Role::Secretariat).await;
    let expert = app.token_for(Role::Expert).await;

    // A request whose subject is a formula, assigned and worked on with formula notes.
    let res = app
        .post_json(
            "/api/v1/support-requests",
            Some(&rep),
            &json!({"istat_code": "016024", "procedure": "PDC", "subject": SUBJECT,
                    "description": "-2+3+cmd|' /C calc'!A0", "support_kind": "backlog_recovery"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let id = res.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let anna = app.demo_expert_id().await;
    for (token, body) in [
        (&rep, json!({"action": "submit"})),
        (&sec, json!({"action": "take_charge"})),
        (&sec, json!({"action": "assign", "lead_expert": anna})),
        (&expert, json!({"action": "start"})),
    ] {
        let res = app
            .request(
                Method::POST,
                &format!("/api/v1/support-requests/{id}/transitions"),
                Some(token),
            )
            .header("If-Match", "*")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{body}");
    }
    let today = Utc::now().date_naive().pred_opt().unwrap().to_string();
    for notes in [NOTES, "\t=1+1", "+39 035 1234"] {
        let res = app
            .post_json(
                &format!("/api/v1/support-requests/{id}/activities"),
                Some(&expert),
                &json!({"date": today, "kind": "file_processing", "hours": 1.5, "files_handled": 2, "notes": notes}),
            )
            .await;
        assert_eq!(res.status(), 201);
    }

    // Support requests: the subject as text, the hours as a number.
    let export = csv(&app, "/api/v1/support-requests.csv", &sec).await;
    assert_no_formula("support-requests.csv", &export);
    let line = export
        .split("\r\n")
        .find(|l| l.contains("HYPERLINK"))
        .unwrap();
    let f = fields(line);
    assert_eq!(f[6], format!("'{SUBJECT}"));
    assert_eq!(f.last().unwrap(), "4,5", "{line}");

    // The timesheet: notes and subject as text, hours and files as numbers.
    let month = &today[..7];
    let sheet = csv(
        &app,
        &format!("/api/v1/experts/{anna}/timesheet.csv?month={month}"),
        &expert,
    )
    .await;
    assert_no_formula("timesheet.csv", &sheet);
    let lines: Vec<Vec<String>> = sheet.split("\r\n").skip(1).map(fields).collect();
    let notes: Vec<&str> = lines
        .iter()
        .filter_map(|l| l.get(7))
        .map(String::as_str)
        .collect();
    // (The server trims the notes: the tab is gone, the formula stays text.)
    for n in [NOTES, "=1+1", "+39 035 1234"] {
        assert!(notes.contains(&format!("'{n}").as_str()), "{notes:?}");
    }
    assert!(
        lines
            .iter()
            .any(|l| l.get(3) == Some(&format!("'{SUBJECT}")))
    );
    assert!(
        lines
            .iter()
            .any(|l| l.get(5).map(String::as_str) == Some("1,5"))
    );
    assert!(sheet.trim_end().ends_with("Totale;;;;;4,5;;"), "{sheet}");

    // Meeting attendance.
    let res = app
        .post_json(
            "/api/v1/meetings",
            Some(&sec),
            &json!({"province": "BG", "starts_at": "2026-12-10T09:30:00Z", "duration_minutes": 90,
                    "place": "=1+1", "agenda": "@agenda", "istat_codes": ["016024", "016025"]}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let meeting = res.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let res = app
        .post_json(
            &format!("/api/v1/meetings/{meeting}/rsvp"),
            Some(&rep),
            &json!({"istat_code": "016024", "attending": true, "attendees": 3}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let attendance = csv(
        &app,
        &format!("/api/v1/meetings/{meeting}/attendance.csv"),
        &sec,
    )
    .await;
    assert_no_formula("attendance.csv", &attendance);
    assert!(attendance.contains(";partecipa;3;"), "{attendance}");

    // Indicators, completeness, rankings, open data: after a register.
    let register = "codice_pratica;procedimento;data_avvio;termine_giorni;data_conclusione;data_silenzio_assenso;conferenza_servizi;giorni_sospensione\n\
                    A1;PDC;2023-01-10;;2023-03-01;;;\nA2;PDC;2023-02-10;;;;;\n";
    let res = app
        .request(
            Method::POST,
            "/api/v1/authorities/016024/register",
            Some(&rep),
        )
        .header("Content-Type", "text/csv")
        .body(register)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    for path in [
        "/api/v1/indicators?level=region&from=2023S1&to=2023S2&format=csv",
        "/api/v1/indicators/completeness?format=csv",
        "/api/v1/indicators/rankings?format=csv",
    ] {
        let text = csv(&app, path, &sec).await;
        assert_no_formula(path, &text);
        assert!(text.split("\r\n").count() > 2, "{path}: {text}");
    }
    let open = app
        .request(Method::GET, "/api/v1/open-data/indicators.csv", None)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_no_formula("open data", &open);
}
