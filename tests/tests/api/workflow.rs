//! The request workflow service (`affianca_api::app::requests`) called directly, without HTTP: the
//! same path the API's transition handler and the automatic-close job take.

use affianca_api::app::requests::{Actor, Move, transition};
use affianca_api::auth::Caller;
use affianca_api::entities::{request_assignee, request_transition, support_request, user};
use affianca_api::notify::PublicUrl;
use affianca_domain::dto::TransitionRequest;
use affianca_domain::{Role, RoleScope, Scope, UserId};
use affianca_tests::spawn_app;
use chrono::Utc;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};

async fn person(db: &DatabaseConnection, role: Role) -> Caller {
    let (email, _, _, scope) = affianca_tests::DEMO_USERS
        .iter()
        .find(|u| u.2 == role)
        .expect("a demo user of every role");
    let u = user::Entity::find()
        .filter(user::Column::Email.eq(*email))
        .one(db)
        .await
        .unwrap()
        .expect("the demo user exists");
    Caller {
        user_id: UserId(u.id),
        grants: vec![RoleScope::new(role, Scope::parse(scope).unwrap()).unwrap()],
    }
}

async fn load(db: &DatabaseConnection, id: i64) -> support_request::Model {
    support_request::Entity::find_by_id(id)
        .one(db)
        .await
        .unwrap()
        .unwrap()
}

fn act(body: Value) -> Move {
    Move::Person(serde_json::from_value::<TransitionRequest>(body).unwrap())
}

#[tokio::test]
async fn the_workflow_moves_a_request_as_the_state_machine_says_without_http() {
    let app = spawn_app().await;
    // Setup only: the representative's draft, made through the API.
    let rep_token = app.token_for(Role::AuthorityRep).await;
    let res = app
        .post_json(
            "/api/v1/support-requests",
            Some(&rep_token),
            &json!({"istat_code": "016024", "procedure": "PDC", "subject": "Servizio",
                    "description": "Prova", "support_kind": "other"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let id = res.json::<Value>().await.unwrap()["id"].as_i64().unwrap();

    let db = affianca_api::db::connect(&app.database.url, 2)
        .await
        .unwrap();
    let base = PublicUrl("http://127.0.0.1".into());
    let rep = person(&db, Role::AuthorityRep).await;
    let sec = person(&db, Role::Secretariat).await;
    let expert = person(&db, Role::Expert).await;
    let observer = person(&db, Role::Observer).await;
    let now = Utc::now();

    // The representative submits; the secretariat may not submit for them (403, nothing written).
    let draft = load(&db, id).await;
    let refused = transition(
        &db,
        &base,
        Actor::Person(&sec),
        draft.clone(),
        act(json!({"action": "submit"})),
        now,
    )
    .await
    .unwrap_err();
    assert_eq!(refused.status.as_u16(), 403);
    let r = transition(
        &db,
        &base,
        Actor::Person(&rep),
        draft.clone(),
        act(json!({"action": "submit"})),
        now,
    )
    .await
    .unwrap();
    assert_eq!(r.status, "submitted");
    assert_eq!(r.version, draft.version + 1);
    assert!(r.take_charge_due.is_some() && r.assign_due.is_some());

    // A move on the version read before the submit is refused (412) and applies nothing.
    let stale = transition(
        &db,
        &base,
        Actor::Person(&rep),
        draft,
        act(json!({"action": "withdraw"})),
        now,
    )
    .await
    .unwrap_err();
    assert_eq!(stale.status.as_u16(), 412);
    assert_eq!(load(&db, id).await.status, "submitted");

    // The observer sees but may not act; the system may not close what is not completed.
    let current = load(&db, id).await;
    let refused = transition(
        &db,
        &base,
        Actor::Person(&observer),
        current.clone(),
        act(json!({"action": "take_charge"})),
        now,
    )
    .await
    .unwrap_err();
    assert_eq!(refused.status.as_u16(), 403);
    let refused = transition(
        &db,
        &base,
        Actor::System,
        current.clone(),
        Move::AutoClose,
        now,
    )
    .await
    .unwrap_err();
    assert_eq!(refused.status.as_u16(), 409);

    // Take charge, then an assignment naming someone who is not an expert of the task force
    // (422 naming the field), then the right one.
    let r = transition(
        &db,
        &base,
        Actor::Person(&sec),
        current,
        act(json!({"action": "take_charge"})),
        now,
    )
    .await
    .unwrap();
    assert_eq!(r.status, "under_review");
    let bad = transition(
        &db,
        &base,
        Actor::Person(&sec),
        r.clone(),
        act(json!({"action": "assign", "lead_expert": rep.user_id.0})),
        now,
    )
    .await
    .unwrap_err();
    assert_eq!(bad.status.as_u16(), 422);
    assert_eq!(bad.errors[0].field, "lead_expert");
    let r = transition(
        &db,
        &base,
        Actor::Person(&sec),
        r,
        act(json!({"action": "assign", "lead_expert": expert.user_id.0})),
        now,
    )
    .await
    .unwrap();
    assert_eq!(r.status, "assigned");
    assert_eq!(r.lead_expert_id, Some(expert.user_id.0));
    let assignees = request_assignee::Entity::find()
        .filter(request_assignee::Column::RequestId.eq(id))
        .all(&db)
        .await
        .unwrap();
    assert_eq!(assignees.len(), 1);
    assert!(assignees[0].lead);

    // The lead expert works it to completion; the system closes it for lack of feedback.
    let r = transition(
        &db,
        &base,
        Actor::Person(&expert),
        r,
        act(json!({"action": "start"})),
        now,
    )
    .await
    .unwrap();
    let r = transition(
        &db,
        &base,
        Actor::Person(&expert),
        r,
        act(json!({"action": "complete", "report": "Fatto"})),
        now,
    )
    .await
    .unwrap();
    assert_eq!(r.status, "completed");
    let r = transition(&db, &base, Actor::System, r, Move::AutoClose, now)
        .await
        .unwrap();
    assert_eq!(r.status, "closed");
    assert!(r.closed_at.is_some());

    // The history holds each applied move once, in order, with who made it.
    let history: Vec<(String, Option<i64>)> = request_transition::Entity::find()
        .filter(request_transition::Column::RequestId.eq(id))
        .order_by_asc(request_transition::Column::Id)
        .all(&db)
        .await
        .unwrap()
        .into_iter()
        .map(|t| (t.action, t.actor_id))
        .collect();
    let moves: Vec<&str> = history.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(
        moves[moves.len() - 6..],
        [
            "submit",
            "take_charge",
            "assign",
            "start",
            "complete",
            "auto_close"
        ]
    );
    assert_eq!(history.last().unwrap().1, None, "the system acted");
    assert_eq!(history[history.len() - 6].1, Some(rep.user_id.0));
}
