//! Monitoring over HTTP: register upload (CSV, XLSX, dry run, all-or-nothing errors), single-file
//! writes, manual entry, validation with locking and history, settings, and the indicators at
//! every level with who may see what.

use affianca_domain::Role;
use affianca_tests::{TestApp, assert_problem, spawn_app, workspace_root};
use reqwest::Method;
use serde_json::{Value, json};

const HEADER: &str = "codice_pratica;procedimento;data_avvio;termine_giorni;data_conclusione;data_silenzio_assenso;conferenza_servizi;giorni_sospensione\n";

async fn upload(
    app: &TestApp,
    token: &str,
    code: &str,
    body: &str,
    dry_run: bool,
) -> reqwest::Response {
    app.request(
        Method::POST,
        &format!("/api/v1/authorities/{code}/register?dry_run={dry_run}"),
        Some(token),
    )
    .header("Content-Type", "text/csv")
    .body(body.to_owned())
    .send()
    .await
    .unwrap()
}

async fn json_of(res: reqwest::Response, status: u16) -> Value {
    let s = res.status().as_u16();
    let url = res.url().to_string();
    let text = res.text().await.unwrap();
    assert_eq!(s, status, "{url}: {text}");
    serde_json::from_str(&text).unwrap()
}

fn row<'a>(indicators: &'a Value, procedure: &str, period: &str) -> &'a Value {
    indicators
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["procedure"] == procedure && r["period"] == period)
        .unwrap_or_else(|| panic!("no {procedure} {period} in {indicators}"))
}

fn point<'a>(report: &'a Value, period: &str) -> &'a Value {
    report["series"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["period"] == period)
        .unwrap_or_else(|| panic!("no {period} in {report}"))
}

#[tokio::test]
async fn a_register_is_previewed_saved_updated_and_refused_whole_when_a_row_is_bad() {
    let app = spawn_app().await;
    let rep = app.token_for(Role::AuthorityRep).await;
    let register = format!(
        "\u{feff}{HEADER}A1;PDC;2023-01-10;;2023-03-01;;sì;\nA2;PDC;10/02/2023;60;;;no;0\nA3;SCIA;2023-07-01;;2023-07-11;;;5\n"
    );

    let preview = json_of(upload(&app, &rep, "016024", &register, true).await, 200).await;
    assert_eq!(preview["dry_run"], true);
    assert_eq!(preview["files_added"], 3);
    let pdc = row(&preview["indicators"], "PDC", "2023S1");
    assert_eq!(pdc["started"], 2);
    assert_eq!(pdc["concluded_express"], 1);
    assert_eq!(pdc["concluded_express_with_conference"], 1);
    assert_eq!(pdc["avg_duration_days"], 50.0);
    assert_eq!(pdc["backlog"], 1, "A2: 140 days at 30 June, term 60");
    let semesters = json_of(
        app.get("/api/v1/authorities/016024/semesters", &rep).await,
        200,
    )
    .await;
    assert_eq!(semesters, json!([]), "a dry run saves nothing");

    let saved = json_of(upload(&app, &rep, "016024", &register, false).await, 200).await;
    assert_eq!(saved["files_added"], 3);
    assert!(
        saved["semesters_affected"]
            .as_array()
            .unwrap()
            .contains(&json!("2023S1"))
    );
    let semesters = json_of(
        app.get("/api/v1/authorities/016024/semesters", &rep).await,
        200,
    )
    .await;
    let s1 = semesters
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["period"] == "2023S1")
        .unwrap();
    assert_eq!(s1["status"], "draft");
    assert_eq!(s1["allowed_actions"], json!(["submit"]));
    let m = &s1["measurements"].as_array().unwrap()[0];
    assert_eq!(
        (m["procedure"].as_str(), m["source"].as_str()),
        (Some("PDC"), Some("register"))
    );
    assert_eq!(m["parts"]["duration_days_sum"], 50);

    // A2 decided in August: one update, two unchanged; 2023S2 gains a decision of 172 days.
    let register2 = register.replace(
        "A2;PDC;10/02/2023;60;;;no;0",
        "A2;PDC;10/02/2023;60;2023-08-01;;no;0",
    );
    let again = json_of(upload(&app, &rep, "016024", &register2, false).await, 200).await;
    assert_eq!(
        (
            again["files_added"].as_i64(),
            again["files_updated"].as_i64(),
            again["files_unchanged"].as_i64()
        ),
        (Some(0), Some(1), Some(2))
    );
    assert!(
        !again["semesters_affected"]
            .as_array()
            .unwrap()
            .contains(&json!("2023S1")),
        "{again}"
    );
    let pdc2 = row(&again["indicators"], "PDC", "2023S2");
    assert_eq!(pdc2["avg_duration_days"], 172.0);

    // Bad rows: a 422 naming every row and column, and nothing saved.
    let bad = format!(
        "{HEADER}A1;PDC;2023-01-10;;2022-12-01;;;\nB9;XYZ;2023-01-10;;;;forse;\nA3;SCIA;2023-07-01;;2023-07-11;;;-2\n"
    );
    let res = upload(&app, &rep, "016024", &bad, false).await;
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let problem = json_of(res, 422).await;
    assert_eq!(problem["code"], "register_invalid");
    assert_eq!(problem["total_errors"], 4);
    let cells: Vec<(i64, String)> = problem["row_errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["row"].as_i64().unwrap(),
                e["column"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        cells,
        vec![
            (2, "data_conclusione".to_owned()),
            (3, "procedimento".to_owned()),
            (3, "conferenza_servizi".to_owned()),
            (4, "giorni_sospensione".to_owned()),
        ]
    );
    let a1 = json_of(
        app.get("/api/v1/authorities/016024/files/A1", &rep).await,
        200,
    )
    .await;
    assert_eq!(
        a1["decision_date"], "2023-03-01",
        "nothing of the bad upload was saved"
    );
    let res = app.get("/api/v1/authorities/016024/files/B9", &rep).await;
    assert_eq!(res.status(), 404);
    let page = json_of(
        app.get(
            "/api/v1/authorities/016024/files?procedure=pdc&limit=1",
            &rep,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(
        (page["total"].as_i64(), page["items"][0]["code"].as_str()),
        (Some(2), Some("A1"))
    );
    assert_eq!(page["items"].as_array().unwrap().len(), 1);

    // Not a register at all, and someone else's authority.
    let problem = json_of(
        upload(&app, &rep, "016024", "nome;cognome\nA;B\n", false).await,
        422,
    )
    .await;
    assert_eq!(problem["row_errors"][0]["row"], 1);
    let res = upload(&app, &rep, "017029", &register, false).await;
    assert_problem(res, 403, "forbidden").await;
    let res = upload(&app, &rep, "999999", &register, false).await;
    assert_problem(res, 404, "not_found").await;
}

#[tokio::test]
async fn a_spreadsheet_register_is_read_from_its_first_sheet() {
    let app = spawn_app().await;
    let sec = app.token_for(Role::Secretariat).await;
    let bytes = std::fs::read(workspace_root().join("tests/fixtures/registro.xlsx")).unwrap();
    let res = app
        .request(
            Method::POST,
            "/api/v1/authorities/016024/register",
            Some(&sec),
        )
        .header(
            "Content-Type",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        .body(bytes)
        .send()
        .await
        .unwrap();
    let out = json_of(res, 200).await;
    assert_eq!(out["files_added"], 3);
    let pdc = row(&out["indicators"], "PDC", "2023S1");
    assert_eq!(
        (pdc["started"].as_i64(), pdc["backlog"].as_i64()),
        (Some(2), Some(1))
    );
    let scia = row(&out["indicators"], "SCIA", "2023S1");
    assert_eq!(scia["concluded_silent_assent"], 1);
    assert_eq!(
        scia["max_term_days"], 30.0,
        "the catalog's term for an empty cell"
    );
}

#[tokio::test]
async fn an_oversized_register_is_a_413_problem() {
    let app = spawn_app().await;
    let rep = app.token_for(Role::AuthorityRep).await;
    let mut body = String::from(HEADER);
    let line = "X;PDC;2023-01-10;;;;;\n";
    while body.len() <= 50 * 1024 * 1024 {
        body.push_str(line);
    }
    let res = upload(&app, &rep, "016024", &body, false).await;
    assert_problem(res, 413, "payload_too_large").await;
}

#[tokio::test]
async fn single_files_are_written_and_deleted_recomputing_what_they_touch() {
    let app = spawn_app().await;
    let rep = app.token_for(Role::AuthorityRep).await;
    let put = |body: Value| {
        app.request(
            Method::PUT,
            "/api/v1/authorities/016024/files/GEST-1",
            Some(&rep),
        )
        .json(&body)
        .send()
    };
    let created = json_of(
        put(json!({"procedure": "pdc", "start_date": "2024-01-15", "decision_date": "2024-08-20", "conference": true}))
            .await
            .unwrap(),
        201,
    )
    .await;
    assert_eq!(created["created"], true);
    assert_eq!(created["file"]["procedure"], "PDC");
    assert_eq!(created["file"]["term_days"], 60);
    assert_eq!(created["semesters_affected"], json!(["2024S1", "2024S2"]));
    let same = json_of(
        put(json!({"procedure": "PDC", "start_date": "2024-01-15", "decision_date": "2024-08-20", "conference": true}))
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(same["created"], false);
    assert_eq!(
        same["semesters_affected"],
        json!([]),
        "nothing changed, nothing recomputed"
    );
    let bad =
        put(json!({"procedure": "PDC", "start_date": "2024-01-15", "decision_date": "2024-01-01"}))
            .await
            .unwrap();
    let problem = assert_problem(bad, 422, "validation_failed").await;
    assert_eq!(problem.errors[0].field, "decision_date");
    let bad = put(json!({"procedure": "PDC", "start_date": "2024-01-15", "decision_date": "2024-02-01", "silent_assent_date": "2024-02-01"}))
        .await
        .unwrap();
    assert_eq!(
        assert_problem(bad, 422, "validation_failed").await.errors[0].field,
        "silent_assent_date"
    );
    let bad = put(json!({"procedure": "NOPE", "start_date": "2024-01-15"}))
        .await
        .unwrap();
    assert_eq!(
        assert_problem(bad, 422, "validation_failed").await.errors[0].field,
        "procedure"
    );

    let report = json_of(
        app.get("/api/v1/indicators?level=authority&key=016024", &rep)
            .await,
        200,
    )
    .await;
    assert_eq!(point(&report, "2024S1")["backlog"], 1);
    assert_eq!(point(&report, "2024S2")["concluded_express"], 1);

    let res = app
        .request(
            Method::DELETE,
            "/api/v1/authorities/016024/files/GEST-1",
            Some(&rep),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let res = app
        .get("/api/v1/authorities/016024/files/GEST-1", &rep)
        .await;
    assert_problem(res, 404, "not_found").await;
    let report = json_of(
        app.get("/api/v1/indicators?level=authority&key=016024", &rep)
            .await,
        200,
    )
    .await;
    assert_eq!(
        point(&report, "2024S1")["backlog"],
        0,
        "the deleted file's cells are gone"
    );
    assert_eq!(point(&report, "2024S1")["authorities"], 0);
}

#[tokio::test]
async fn manual_entry_validation_locking_reopening_and_history() {
    let app = spawn_app().await;
    let rep = app.token_for(Role::AuthorityRep).await;
    let sec = app.token_for(Role::Secretariat).await;
    let observer = app.token_for(Role::Observer).await;
    let enter = |token: String, backlog: i64| {
        let app = &app;
        async move {
            app.request(
                Method::PUT,
                "/api/v1/authorities/016024/semesters/2024S1/measurements",
                Some(&token),
            )
            .json(
                &json!({"rows": [{"procedure": "PDC", "started": 10, "concluded_express": 4,
                "avg_duration_days": 45.5, "backlog": backlog}]}),
            )
            .send()
            .await
            .unwrap()
        }
    };
    let s = json_of(enter(rep.clone(), 3).await, 200).await;
    let m = &s["measurements"][0];
    assert_eq!(m["source"], "manual");
    assert_eq!(m["parts"]["duration_days_sum"], 182, "45.5 days × 4 files");
    assert_eq!(m["avg_duration_days"], 45.5);
    assert_eq!(m["max_term_days"], 60.0);

    let bad = app
        .request(Method::PUT, "/api/v1/authorities/016024/semesters/2024S1/measurements", Some(&rep))
        .json(&json!({"rows": [{"procedure": "PDC", "started": -1, "concluded_express": 2, "backlog": 0}]}))
        .send()
        .await
        .unwrap();
    let p = assert_problem(bad, 422, "validation_failed").await;
    let fields: Vec<&str> = p.errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, vec!["rows[0].started", "rows[0].avg_duration_days"]);

    let act = |token: String, body: Value| {
        let app = &app;
        async move {
            app.request(
                Method::POST,
                "/api/v1/authorities/016024/semesters/2024S1/transitions",
                Some(&token),
            )
            .json(&body)
            .send()
            .await
            .unwrap()
        }
    };
    assert_problem(
        act(sec.clone(), json!({"action": "validate"})).await,
        409,
        "transition_not_allowed",
    )
    .await;
    let s = json_of(act(rep.clone(), json!({"action": "submit"})).await, 200).await;
    assert_eq!(s["status"], "submitted");
    assert_problem(
        act(observer.clone(), json!({"action": "validate"})).await,
        403,
        "forbidden",
    )
    .await;
    assert_problem(
        act(rep.clone(), json!({"action": "validate"})).await,
        403,
        "forbidden",
    )
    .await;
    assert_problem(
        act(sec.clone(), json!({"action": "return"})).await,
        422,
        "validation_failed",
    )
    .await;
    let s = json_of(
        act(
            sec.clone(),
            json!({"action": "return", "comment": "Arretrato da verificare"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(
        (s["status"].as_str(), s["comment"].as_str()),
        (Some("returned"), Some("Arretrato da verificare"))
    );
    json_of(act(rep.clone(), json!({"action": "submit"})).await, 200).await;
    let s = json_of(act(sec.clone(), json!({"action": "validate"})).await, 200).await;
    assert_eq!(s["status"], "validated");
    // 2024S1 ended long ago: validated data is locked.
    assert_eq!(s["locked"], true);
    assert_eq!(
        s["allowed_actions"],
        json!(["reopen"]),
        "for the secretariat"
    );
    assert_problem(enter(rep.clone(), 2).await, 409, "conflict").await;

    // The authority was told.
    let notes: Value = app
        .get("/api/v1/notifications", &rep)
        .await
        .json()
        .await
        .unwrap();
    assert!(notes.to_string().contains("validata"), "{notes}");
    // Every notice of the round (the authority's reviews, the secretariat's submissions) links a
    // page the client has: the authority's monitoring page (it once pointed to
    // /monitoraggio/{istat}, which the client does not serve).
    let secretariat_notes: Value = app
        .get("/api/v1/notifications", &sec)
        .await
        .json()
        .await
        .unwrap();
    let mut linked = 0;
    for n in notes["items"]
        .as_array()
        .unwrap()
        .iter()
        .chain(secretariat_notes["items"].as_array().unwrap())
    {
        if let Some(link) = n["link"].as_str() {
            assert!(
                affianca_domain::links::is_route(link),
                "{link} is not a page of the client"
            );
            linked += 1;
        }
    }
    assert!(linked >= 3, "{notes} {secretariat_notes}");
    assert!(
        notes.to_string().contains("/monitoraggio/enti/016024"),
        "{notes}"
    );

    let s = json_of(act(sec.clone(), json!({"action": "reopen"})).await, 200).await;
    assert_eq!(
        (s["locked"].as_bool(), s["reopened"].as_bool()),
        (Some(false), Some(true))
    );
    let s = json_of(enter(rep.clone(), 2).await, 200).await;
    assert_eq!(s["status"], "validated");
    let history = json_of(
        app.get("/api/v1/authorities/016024/semesters/2024S1/history", &rep)
            .await,
        200,
    )
    .await;
    assert_eq!(history.as_array().unwrap().len(), 1, "{history}");
    assert_eq!(history[0]["field"], "backlog");
    assert_eq!(
        (
            history[0]["old_value"].as_str(),
            history[0]["new_value"].as_str()
        ),
        (Some("3"), Some("2"))
    );
    assert_eq!(history[0]["changed_by"], "Sindaco di Bergamo");
    // Corrected, it goes back to the secretariat and locks again once validated.
    let s = json_of(act(rep.clone(), json!({"action": "submit"})).await, 200).await;
    assert_eq!(
        (s["status"].as_str(), s["locked"].as_bool()),
        (Some("submitted"), Some(false))
    );
    let s = json_of(act(sec.clone(), json!({"action": "validate"})).await, 200).await;
    assert_eq!(
        (s["locked"].as_bool(), s["reopened"].as_bool()),
        (Some(true), Some(false))
    );

    // The queue of the secretariat.
    let res = app
        .request(
            Method::POST,
            "/api/v1/authorities/017029/semesters/2024S2/transitions",
            Some(&app.token_for(Role::AuthorityDelegate).await),
        )
        .json(&json!({"action": "submit"}))
        .send()
        .await
        .unwrap();
    assert_problem(res, 409, "transition_not_allowed").await;
    let queue = json_of(
        app.get("/api/v1/semester-reports?status=validated", &sec)
            .await,
        200,
    )
    .await;
    assert_eq!(queue[0]["authority"], "016024");
    assert_problem(
        app.get("/api/v1/semester-reports", &rep).await,
        403,
        "forbidden",
    )
    .await;
}

#[tokio::test]
async fn settings_and_overrides() {
    let app = spawn_app().await;
    let rep = app.token_for(Role::AuthorityRep).await;
    let sec = app.token_for(Role::Secretariat).await;
    let s = json_of(app.get("/api/v1/monitoring/settings", &rep).await, 200).await;
    assert_eq!(s["baseline"], "2021S2");
    assert_eq!(s["lock_days"], 60);
    assert_eq!(s["milestones"][1]["backlog_reduction_pct"], 100.0);
    let put = |token: &str, body: Value| {
        app.request(Method::PUT, "/api/v1/monitoring/settings", Some(token))
            .json(&body)
            .send()
    };
    let good = json!({"baseline": "2022S1", "lock_days": 90, "milestones": [
        {"period": "2023S2", "backlog_reduction_pct": 40, "duration_reduction_pct": 10}]});
    assert_problem(put(&rep, good.clone()).await.unwrap(), 403, "forbidden").await;
    let bad = json!({"baseline": "2024S1", "lock_days": 90, "milestones": [
        {"period": "2023S2", "backlog_reduction_pct": 40, "duration_reduction_pct": 10}]});
    let p = assert_problem(put(&sec, bad).await.unwrap(), 422, "validation_failed").await;
    assert_eq!(p.errors[0].field, "milestones[0].period");
    let saved = json_of(put(&sec, good).await.unwrap(), 200).await;
    assert_eq!(
        (saved["baseline"].as_str(), saved["lock_days"].as_i64()),
        (Some("2022S1"), Some(90))
    );

    let res = app
        .request(
            Method::PUT,
            "/api/v1/authorities/016024/targets",
            Some(&sec),
        )
        .json(&json!({"baseline": "2022S2"}))
        .send()
        .await
        .unwrap();
    let t = json_of(res, 200).await;
    assert_eq!(t["effective"]["baseline"], "2022S2");
    assert_eq!(
        t["effective"]["milestones"][0]["backlog_reduction_pct"],
        40.0
    );
    let t = json_of(
        app.get("/api/v1/authorities/016024/targets", &rep).await,
        200,
    )
    .await;
    assert_eq!(t["over"]["baseline"], "2022S2");
    let res = app
        .request(
            Method::DELETE,
            "/api/v1/authorities/016024/targets",
            Some(&sec),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let t = json_of(
        app.get("/api/v1/authorities/016024/targets", &rep).await,
        200,
    )
    .await;
    assert_eq!(
        (t["over"].clone(), t["effective"]["baseline"].clone()),
        (Value::Null, json!("2022S1"))
    );
}

#[tokio::test]
async fn indicators_add_parts_up_at_every_level_and_each_caller_sees_their_scope() {
    let app = spawn_app().await;
    let sec = app.token_for(Role::Secretariat).await;
    let rep = app.token_for(Role::AuthorityRep).await;
    let observer = app.token_for(Role::Observer).await;
    // Bergamo (BG): one PDC decided in 50 days, one late. Brescia (BS): three in 10, 20, 30 days.
    let bg = format!("{HEADER}A1;PDC;2023-01-10;;2023-03-01;;;\nA2;PDC;2023-02-10;;;;;\n");
    let bs = format!(
        "{HEADER}B1;PDC;2023-01-01;;2023-01-11;;;\nB2;PDC;2023-01-01;;2023-01-21;;;\nB3;SCIA;2023-01-01;;2023-01-31;;;\n"
    );
    json_of(upload(&app, &sec, "016024", &bg, false).await, 200).await;
    json_of(upload(&app, &sec, "017029", &bs, false).await, 200).await;

    let region = json_of(
        app.get(
            "/api/v1/indicators?level=region&from=2023S1&to=2023S2",
            &sec,
        )
        .await,
        200,
    )
    .await;
    let s1 = point(&region, "2023S1");
    assert_eq!(s1["concluded_express"], 4);
    assert_eq!(
        s1["avg_duration_days"], 27.5,
        "110 days / 4 files, not a mean of means"
    );
    assert_eq!(s1["parts"]["duration_days_sum"], 110);
    assert_eq!(s1["backlog"], 1);
    assert_eq!(s1["authorities"], 2);
    let kids: Vec<&str> = region["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["key"].as_str().unwrap())
        .collect();
    assert_eq!(kids, vec!["BG", "BS"]);

    let pdc = json_of(
        app.get(
            "/api/v1/indicators?level=procedure&key=PDC&from=2023S1&to=2023S1",
            &sec,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(point(&pdc, "2023S1")["concluded_express"], 3);
    let tf = json_of(app.get("/api/v1/indicators?level=task_force&key=building_planning&from=2023S1&to=2023S1&procedure=SCIA", &sec).await, 200).await;
    assert_eq!(point(&tf, "2023S1")["concluded_express"], 1);

    let province = json_of(
        app.get(
            "/api/v1/indicators?level=province&key=BG&from=2023S1&to=2023S1",
            &observer,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(point(&province, "2023S1")["concluded_express"], 1);
    assert_eq!(province["children"][0]["key"], "016024");
    assert_problem(
        app.get("/api/v1/indicators?level=region", &observer).await,
        403,
        "forbidden",
    )
    .await;
    assert_problem(
        app.get("/api/v1/indicators?level=province&key=BS", &observer)
            .await,
        403,
        "forbidden",
    )
    .await;
    assert_problem(
        app.get("/api/v1/indicators?level=authority&key=017029", &rep)
            .await,
        403,
        "forbidden",
    )
    .await;
    json_of(
        app.get("/api/v1/indicators?level=authority&key=016024", &rep)
            .await,
        200,
    )
    .await;
    assert_problem(
        app.get("/api/v1/indicators?level=province", &sec).await,
        422,
        "validation_failed",
    )
    .await;
    assert_problem(
        app.get("/api/v1/indicators?level=planet", &sec).await,
        422,
        "validation_failed",
    )
    .await;
    assert_problem(
        app.get("/api/v1/indicators?level=province&key=ZZ", &sec)
            .await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.get("/api/v1/indicators?from=2024S1&to=2023S1", &sec)
            .await,
        422,
        "validation_failed",
    )
    .await;

    // The demo's pilot phase enables Bergamo and Brescia (and the province bodies).
    let phases: Value = app.get("/api/v1/phases", &sec).await.json().await.unwrap();
    let phase = phases.as_array().unwrap()[0]["id"].as_i64().unwrap();
    let by_phase = json_of(
        app.get(
            &format!("/api/v1/indicators?level=phase&key={phase}&from=2023S1&to=2023S1"),
            &sec,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(point(&by_phase, "2023S1")["concluded_express"], 4);
    let kids: Vec<&str> = by_phase["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["key"].as_str().unwrap())
        .collect();
    assert_eq!(
        kids,
        vec!["016024", "017029"],
        "children are the phase's authorities with data"
    );
    assert_problem(
        app.get("/api/v1/indicators?level=phase&key=999999", &sec)
            .await,
        404,
        "not_found",
    )
    .await;

    let csv = app
        .get(
            "/api/v1/indicators?level=region&from=2023S1&to=2023S1&format=csv",
            &sec,
        )
        .await;
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    let text = csv.text().await.unwrap();
    assert!(
        text.starts_with("\u{feff}ambito;semestre;avviate"),
        "{text}"
    );
    assert!(
        text.contains("Regione Lombardia;2023S1;5;4;0;0;0;27,50"),
        "{text}"
    );

    // Validated only, open data and completeness follow validation.
    let only = json_of(
        app.get(
            "/api/v1/indicators?level=region&from=2023S1&to=2023S1&validated_only=true",
            &sec,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(point(&only, "2023S1")["authorities"], 0);
    let open = app
        .request(Method::GET, "/api/v1/open-data/indicators.csv", None)
        .send()
        .await
        .unwrap();
    assert_eq!(open.status(), 200);
    assert_eq!(
        open.text().await.unwrap().lines().count(),
        1,
        "only the header before validation"
    );
    let act = |code: &'static str, token: String, action: &'static str| {
        let app = &app;
        async move {
            app.request(
                Method::POST,
                &format!("/api/v1/authorities/{code}/semesters/2023S1/transitions"),
                Some(&token),
            )
            .json(&json!({"action": action}))
            .send()
            .await
            .unwrap()
        }
    };
    json_of(act("016024", rep.clone(), "submit").await, 200).await;
    json_of(act("016024", sec.clone(), "validate").await, 200).await;
    let only = json_of(
        app.get(
            "/api/v1/indicators?level=region&from=2023S1&to=2023S1&validated_only=true",
            &sec,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(point(&only, "2023S1")["authorities"], 1);
    assert_eq!(point(&only, "2023S1")["concluded_express"], 1);
    let open = app
        .request(Method::GET, "/api/v1/open-data/indicators.csv", None)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let lines: Vec<&str> = open.lines().collect();
    assert_eq!(lines.len(), 2, "{open}");
    assert!(
        lines[1].starts_with("016024;Bergamo;BG;PDC;building_planning;2023S1;2;1;"),
        "{open}"
    );
    assert!(!open.contains('@'), "no personal data");

    let completeness = json_of(
        app.get(
            "/api/v1/indicators/completeness?level=province&key=BG&from=2023S1&to=2023S1",
            &observer,
        )
        .await,
        200,
    )
    .await;
    let c = &completeness[0];
    assert_eq!(
        (c["with_data"].as_i64(), c["validated"].as_i64()),
        (Some(1), Some(1))
    );
    assert!(
        c["authorities"].as_i64().unwrap() > 200,
        "every authority of the province: {c}"
    );
    assert_eq!(
        c["late"].as_i64().unwrap(),
        c["authorities"].as_i64().unwrap() - 1
    );

    let ranking = json_of(
        app.get(
            "/api/v1/indicators/rankings?by=duration&from=2023S1&to=2023S1",
            &sec,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(ranking[0]["authority"], "016024", "50 days against 20");
    let ranking = json_of(
        app.get("/api/v1/indicators/rankings?by=backlog&limit=1", &sec)
            .await,
        200,
    )
    .await;
    assert_eq!(ranking.as_array().unwrap().len(), 1);
    assert_problem(
        app.get("/api/v1/indicators/rankings?by=height", &sec).await,
        422,
        "validation_failed",
    )
    .await;
}

/// Two servers on one database: what one writes, the other's dashboards show at once (each
/// server's cube follows the version of monitoring data kept in the database).
#[tokio::test]
async fn a_second_server_sees_the_first_servers_changes() {
    let app = spawn_app().await;
    let other = affianca_tests::spawn_app_with(&[
        ("DATABASE_URL", app.database.url.clone()),
        (
            "AFFIANCA_DATA_DIR",
            app.database.dir.path().display().to_string(),
        ),
    ])
    .await;
    let sec = app.token_for(Role::Secretariat).await;
    let url = "/api/v1/indicators?level=authority&key=016024&from=2023S1&to=2023S1";
    let before = json_of(other.get(url, &sec).await, 200).await;
    assert_eq!(point(&before, "2023S1")["started"], 0);
    let register = format!("{HEADER}A1;PDC;2023-01-10;;2023-03-01;;;\n");
    json_of(upload(&app, &sec, "016024", &register, false).await, 200).await;
    let after = json_of(other.get(url, &sec).await, 200).await;
    assert_eq!(point(&after, "2023S1")["started"], 1);
}
