use affianca_api::entities::{notification, request_transition, support_request};
use affianca_api::jobs::close_stale;
use affianca_api::notify::PublicUrl;
use affianca_domain::Role;
use affianca_tests::spawn_app;
use chrono::{Duration, Utc};
use reqwest::Method;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

/// Requests completed long ago close by themselves, once, even with two processes at work.
#[tokio::test]
async fn completed_requests_without_feedback_close_once_with_two_processes() {
    let app = spawn_app().await;
    let database = &app.database;
    let rep = app.token_for(Role::AuthorityRep).await;
    let sec = app.token_for(Role::Secretariat).await;
    let expert = app.token_for(Role::Expert).await;
    let anna = app.demo_expert_id().await;
    let mut ids = Vec::new();
    for i in 0..6 {
        let res = app
            .post_json(
                "/api/v1/support-requests",
                Some(&rep),
                &json!({"istat_code": "016024", "procedure": "PDC", "subject": format!("Richiesta {i}"),
                        "description": "Prova", "support_kind": "other"}),
            )
            .await;
        let id = res.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
        for (token, body) in [
            (&rep, json!({"action": "submit"})),
            (&sec, json!({"action": "take_charge"})),
            (&sec, json!({"action": "assign", "lead_expert": anna})),
            (&expert, json!({"action": "start"})),
            (&expert, json!({"action": "complete", "report": "Fatto"})),
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
        ids.push(id);
    }
    let db = database.connect_seeded().await;
    // Five of them were completed 16 days ago; one only yesterday.
    let long_ago = Utc::now() - Duration::days(16);
    support_request::Entity::update_many()
        .col_expr(
            support_request::Column::CompletedAt,
            sea_orm::sea_query::Expr::value(long_ago),
        )
        .filter(support_request::Column::Id.is_in(ids[..5].to_vec()))
        .exec(&db)
        .await
        .unwrap();
    support_request::Entity::update_many()
        .col_expr(
            support_request::Column::CompletedAt,
            sea_orm::sea_query::Expr::value(Utc::now() - Duration::days(1)),
        )
        .filter(support_request::Column::Id.eq(ids[5]))
        .exec(&db)
        .await
        .unwrap();
    let notes_before = notification::Entity::find()
        .filter(notification::Column::Kind.eq("request_transition"))
        .all(&db)
        .await
        .unwrap()
        .len();

    // Two processes, each with its own connections, at the same time.
    let base = PublicUrl("http://127.0.0.1".into());
    let worker = || async {
        let conn = affianca_api::db::connect(&database.url, 2).await.unwrap();
        close_stale(&conn, &base, Utc::now()).await.unwrap()
    };
    let (a, b) = tokio::join!(worker(), worker());
    assert_eq!(a + b, 5, "each stale request closed by exactly one process");

    for (i, id) in ids.iter().enumerate() {
        let r = support_request::Entity::find_by_id(*id)
            .one(&db)
            .await
            .unwrap()
            .unwrap();
        let autos = request_transition::Entity::find()
            .filter(request_transition::Column::RequestId.eq(*id))
            .filter(request_transition::Column::Action.eq("auto_close"))
            .all(&db)
            .await
            .unwrap();
        if i < 5 {
            assert_eq!(r.status, "closed");
            assert_eq!(autos.len(), 1);
            assert!(autos[0].actor_id.is_none());
        } else {
            assert_eq!(
                r.status, "completed",
                "completed yesterday: still open to feedback"
            );
            assert!(autos.is_empty());
        }
    }
    // The authority's two users and the expert were told once per closed request: the rep of
    // Bergamo and the expert (Bergamo has no delegate in the demo).
    let notes_after = notification::Entity::find()
        .filter(notification::Column::Kind.eq("request_transition"))
        .all(&db)
        .await
        .unwrap()
        .len();
    assert_eq!(notes_after - notes_before, 5 * 2);
    // Running again finds nothing.
    assert_eq!(close_stale(&db, &base, Utc::now()).await.unwrap(), 0);
}
