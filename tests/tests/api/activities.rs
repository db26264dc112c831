use affianca_domain::Role;
use affianca_tests::{TestApp, assert_problem, spawn_app};
use chrono::Utc;
use reqwest::Method;
use serde_json::{Value, json};

/// A Bergamo request assigned to the demo expert and started; returns (id, expert's user id).
async fn assigned_request(app: &TestApp) -> (i64, i64) {
    let rep = app.token_for(Role::AuthorityRep).await;
    let sec = app.token_for(Role::Secretariat).await;
    let expert = app.token_for(Role::Expert).await;
    let res = app
        .post_json(
            "/api/v1/support-requests",
            Some(&rep),
            &json!({"istat_code": "016024", "procedure": "PDC", "subject": "Arretrato PDC",
                    "description": "120 pratiche", "support_kind": "backlog_recovery"}),
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
    (id, anna)
}

#[tokio::test]
async fn experts_log_activities_within_the_daily_limit_and_get_their_timesheet() {
    let app = spawn_app().await;
    let (id, anna) = assigned_request(&app).await;
    let expert = app.token_for(Role::Expert).await;
    let coordinator = app.token_for(Role::Coordinator).await;
    let rep = app.token_for(Role::AuthorityRep).await;
    let today = Utc::now().date_naive().pred_opt().unwrap().to_string();
    let path = format!("/api/v1/support-requests/{id}/activities");

    let res = app
        .post_json(
            &path,
            Some(&expert),
            &json!({"date": today, "kind": "file_processing", "hours": 10.5, "files_handled": 14, "notes": "Istruttoria; 14 PDC"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let first: Value = res.json().await.unwrap();
    assert_eq!(first["hours"], 10.5);
    let res = app
        .post_json(
            &path,
            Some(&expert),
            &json!({"date": today, "kind": "remote_meeting", "hours": 12}),
        )
        .await;
    assert_eq!(res.status(), 201);
    // 22.5 hours on the day: 2 more would pass 24.
    let p = assert_problem(
        app.post_json(
            &path,
            Some(&expert),
            &json!({"date": today, "kind": "other", "hours": 2}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(p.errors[0].field, "hours");
    assert!(
        p.errors[0].message.contains("22.5"),
        "{}",
        p.errors[0].message
    );
    // Bad values, each named.
    let p = assert_problem(
        app.post_json(
            &path,
            Some(&expert),
            &json!({"date": "2999-01-01", "kind": "other", "hours": 0.3, "files_handled": -1}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    let fields: Vec<&str> = p.errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["date", "hours", "files_handled"]);
    // Only the assigned expert records.
    assert_problem(
        app.post_json(
            &path,
            Some(&coordinator),
            &json!({"date": today, "kind": "other", "hours": 1}),
        )
        .await,
        403,
        "forbidden",
    )
    .await;

    // The entry is edited (the day limit counts the others only) and one is deleted.
    let entry = first["id"].as_i64().unwrap();
    let res = app
        .request(
            Method::PATCH,
            &format!("/api/v1/activities/{entry}"),
            Some(&expert),
        )
        .json(&json!({"hours": 12}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    // Someone else's entry does not exist for them.
    let res = app
        .request(
            Method::DELETE,
            &format!("/api/v1/activities/{entry}"),
            Some(&coordinator),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);

    // Everyone who sees the request sees its log.
    let log: Vec<Value> = app.get(&path, &rep).await.json().await.unwrap();
    assert_eq!(log.len(), 2);

    // The timesheet of the month, JSON and CSV; the coordinator of her task force reads it too.
    let month = &today[..7];
    let res = app
        .get(
            &format!("/api/v1/experts/{anna}/timesheet?month={month}"),
            &coordinator,
        )
        .await;
    assert_eq!(res.status(), 200);
    let t: Value = res.json().await.unwrap();
    assert_eq!(t["total_hours"], 24.0);
    assert_eq!(t["lines"].as_array().unwrap().len(), 2);
    assert_eq!(t["lines"][0]["authority_name"], "Bergamo");
    assert_eq!(t["days"][0]["hours"], 24.0);
    let csv = app
        .get(
            &format!("/api/v1/experts/{anna}/timesheet.csv?month={month}"),
            &expert,
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(csv.starts_with("\u{feff}Data;Richiesta;Ente;Oggetto;Attività;Ore"));
    assert!(csv.contains("\"Istruttoria; 14 PDC\""));
    assert!(csv.trim_end().ends_with("Totale;;;;;24;;"));
    // Not for the authority.
    assert_problem(
        app.get(&format!("/api/v1/experts/{anna}/timesheet"), &rep)
            .await,
        404,
        "not_found",
    )
    .await;
    let p = assert_problem(
        app.get(
            &format!("/api/v1/experts/{anna}/timesheet?month=2026-13"),
            &expert,
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(p.errors[0].field, "month");

    // The request export totals the hours of each request.
    let sec = app.token_for(Role::Secretariat).await;
    let export = app
        .get("/api/v1/support-requests.csv", &sec)
        .await
        .text()
        .await
        .unwrap();
    let header = export.lines().next().unwrap();
    assert!(header.ends_with(";Ore registrate"), "{header}");
    let row = export
        .lines()
        .find(|l| l.starts_with(&format!("{id};")))
        .unwrap();
    assert!(row.ends_with(";24"), "{row}");

    let res = app
        .request(
            Method::DELETE,
            &format!("/api/v1/activities/{entry}"),
            Some(&expert),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let log: Vec<Value> = app.get(&path, &expert).await.json().await.unwrap();
    assert_eq!(log.len(), 1);
}

#[tokio::test]
async fn two_entries_saved_at_once_never_pass_24_hours_together() {
    let app = spawn_app().await;
    let (id, _) = assigned_request(&app).await;
    let expert = app.token_for(Role::Expert).await;
    let path = format!("/api/v1/support-requests/{id}/activities");
    for round in 0..3 {
        let day = (Utc::now().date_naive() - chrono::Duration::days(2 + round)).to_string();
        let body = json!({"date": day, "kind": "other", "hours": 12.0});
        let first = app.post_json(&path, Some(&expert), &body).await;
        assert_eq!(first.status(), 201);
        // 12 h are there: of two more 7-hour entries at once, one fits and one does not.
        let body = json!({"date": day, "kind": "other", "hours": 7.0});
        let (a, b) = tokio::join!(
            app.post_json(&path, Some(&expert), &body),
            app.post_json(&path, Some(&expert), &body),
        );
        let mut statuses = [a.status().as_u16(), b.status().as_u16()];
        statuses.sort_unstable();
        assert_eq!(statuses, [201, 422], "round {round}");
    }
}
