use affianca_domain::Role;
use affianca_domain::dto::ServiceReport;
use affianca_tests::{assert_problem, spawn_app};
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn the_service_report_counts_times_ratings_and_hours() {
    let app = spawn_app().await;
    let rep = app.token_for(Role::AuthorityRep).await;
    let sec = app.token_for(Role::Secretariat).await;
    let coordinator = app.token_for(Role::Coordinator).await;
    let expert = app.token_for(Role::Expert).await;
    let anna = app.demo_expert_id().await;
    let yesterday = (chrono::Utc::now().date_naive() - chrono::Duration::days(1)).to_string();
    // Two requests: one worked and closed with a 4, one waiting.
    for (i, full) in [(0, true), (1, false)] {
        let res = app
            .post_json(
                "/api/v1/support-requests",
                Some(&rep),
                &json!({"istat_code": "016024", "procedure": "PDC", "subject": format!("Richiesta {i}"),
                        "description": "Prova", "support_kind": "other"}),
            )
            .await;
        let id = res.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
        let mut moves = vec![(&rep, json!({"action": "submit"}))];
        if full {
            moves.extend([
                (&sec, json!({"action": "take_charge"})),
                (&sec, json!({"action": "assign", "lead_expert": anna})),
                (&expert, json!({"action": "start"})),
            ]);
        }
        for (token, body) in moves {
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
            assert_eq!(res.status(), 200);
        }
        if full {
            let res = app
                .post_json(
                    &format!("/api/v1/support-requests/{id}/activities"),
                    Some(&expert),
                    &json!({"date": yesterday, "kind": "document_review", "hours": 2.75}),
                )
                .await;
            assert_eq!(res.status(), 201);
            for (token, body) in [
                (&expert, json!({"action": "complete", "report": "Fatto"})),
                (&rep, json!({"action": "close", "rating": 4})),
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
                assert_eq!(res.status(), 200);
            }
        }
    }
    let res = app.get("/api/v1/reports/service", &coordinator).await;
    assert_eq!(res.status(), 200);
    let r: ServiceReport = res.json().await.unwrap();
    // The coordinator sees their task force only.
    assert_eq!(r.task_forces.len(), 1);
    let tf = &r.task_forces[0];
    assert_eq!(tf.task_force.code(), "building_planning");
    assert_eq!((tf.submitted, tf.open, tf.overdue), (2, 1, 0));
    assert_eq!(tf.median_take_charge_days, Some(0.0));
    assert_eq!((tf.average_rating, tf.ratings), (Some(4.0), 1));
    assert_eq!(tf.hours, 2.75);
    let a = r
        .experts
        .iter()
        .find(|e| e.expert.user_id.0 == anna)
        .unwrap();
    assert_eq!(
        (a.lead_requests, a.average_rating, a.hours),
        (1, Some(4.0), 2.75)
    );
    assert_eq!(r.authorities[0].name, "Bergamo");
    assert_eq!(
        (r.authorities[0].requests, r.authorities[0].hours),
        (2, 2.75)
    );
    // The secretariat sees all eight; others may not.
    let all: ServiceReport = app
        .get("/api/v1/reports/service", &sec)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(all.task_forces.len(), 8);
    assert_problem(
        app.get("/api/v1/reports/service", &rep).await,
        403,
        "forbidden",
    )
    .await;
    let p = assert_problem(
        app.get(
            "/api/v1/reports/service?from=2026-12-01&to=2026-01-01",
            &sec,
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(p.errors[0].field, "to");
}
