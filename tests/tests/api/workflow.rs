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

    // The event stream holds the same moves (none of the refused ones), each with its actor.
    let stream: Vec<_> = affianca_api::app::events::of_authority(&db, "016024", 0, 1000)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|(_, e)| match e {
            affianca_domain::events::Event::RequestTransitioned(t) if t.request_id == id => Some(t),
            _ => None,
        })
        .collect();
    let moved: Vec<(&str, Option<i64>)> = stream.iter().map(|t| (t.action.code(), t.by)).collect();
    assert_eq!(
        moved,
        [
            ("submit", Some(rep.user_id.0)),
            ("take_charge", Some(sec.user_id.0)),
            ("assign", Some(sec.user_id.0)),
            ("start", Some(expert.user_id.0)),
            ("complete", Some(expert.user_id.0)),
            ("auto_close", None)
        ]
    );
    assert_eq!(stream[0].from.code(), "draft");
    assert_eq!(stream[5].to.code(), "closed");
}

#[tokio::test]
async fn the_semester_workflow_moves_a_semester_and_tells_the_stream_without_http() {
    use affianca_api::app::{events, semesters};
    use affianca_api::audit::RequestMeta;
    use affianca_api::entities::{authority, notification};
    use affianca_domain::Period;
    use affianca_domain::dto::{ManualEntry, SemesterAction, SemesterStatus, SemesterTransition};
    use affianca_domain::events::Event;

    let app = spawn_app().await;
    let db = affianca_api::db::connect(&app.database.url, 2)
        .await
        .unwrap();
    let base = PublicUrl("http://127.0.0.1".into());
    let meta = RequestMeta {
        ip: None,
        request_id: None,
    };
    let rep = person(&db, Role::AuthorityRep).await;
    let sec = person(&db, Role::Secretariat).await;
    let observer = person(&db, Role::Observer).await;
    let bergamo = authority::Entity::find_by_id("016024".to_owned())
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    // The semester running now: begun, not locked.
    let today = Utc::now().date_naive();
    let period = Period::containing(today);
    let table = |backlog: i64| -> ManualEntry {
        serde_json::from_value(json!({"rows": [{"procedure": "PDC", "started": 40,
            "concluded_express": 10, "avg_duration_days": 30.0, "concluded_silent_assent": 2,
            "backlog": backlog}]}))
        .unwrap()
    };
    let go = async |who: &Caller, action: &str, comment: Option<&str>| {
        let t: SemesterTransition =
            serde_json::from_value(json!({"action": action, "comment": comment})).unwrap();
        semesters::transition(&db, &base, who, &meta, &bergamo, period, t).await
    };
    let kinds = |db: DatabaseConnection| async move {
        events::of_authority(&db, "016024", 0, 100)
            .await
            .unwrap()
            .into_iter()
            .map(|(_, e)| e)
            .collect::<Vec<Event>>()
    };

    // The observer of the province reads but may not write; a bad row names its field; nothing
    // of either is written or told.
    let refused = semesters::enter(&db, &base, &observer, &meta, &bergamo, period, table(5))
        .await
        .unwrap_err();
    assert_eq!(refused.status.as_u16(), 403);
    let bad = semesters::enter(&db, &base, &rep, &meta, &bergamo, period, table(-1))
        .await
        .unwrap_err();
    assert_eq!(bad.status.as_u16(), 422);
    assert_eq!(bad.errors[0].field, "rows[0].backlog");
    assert!(kinds(db.clone()).await.is_empty());

    let s = semesters::enter(&db, &base, &rep, &meta, &bergamo, period, table(5))
        .await
        .unwrap();
    assert_eq!(s.status, SemesterStatus::Draft);
    assert_eq!(s.measurements.len(), 1);
    assert!(s.allowed_actions.contains(&SemesterAction::Submit));

    // Submitting is the authority's; validating the secretariat's.
    let r = go(&sec, "submit", None).await.unwrap_err();
    assert_eq!(r.status.as_u16(), 403);
    let r = go(&rep, "validate", None).await.unwrap_err();
    assert_eq!(r.status.as_u16(), 403);
    let s = go(&rep, "submit", None).await.unwrap();
    assert_eq!(s.status, SemesterStatus::Submitted);
    let again = go(&rep, "submit", None).await.unwrap_err();
    assert_eq!(again.status.as_u16(), 409);

    // A return must say why; then back to the authority, sent again, validated.
    let bad = go(&sec, "return", None).await.unwrap_err();
    assert_eq!(bad.status.as_u16(), 422);
    assert_eq!(bad.errors[0].field, "comment");
    let why = "Manca l'arretrato di luglio";
    let s = go(&sec, "return", Some(why)).await.unwrap();
    assert_eq!(s.status, SemesterStatus::Returned);
    assert_eq!(s.comment.as_deref(), Some(why));
    go(&rep, "submit", None).await.unwrap();
    let s = go(&sec, "validate", None).await.unwrap();
    assert_eq!(s.status, SemesterStatus::Validated);
    // A validated semester is not sent again (unless reopened).
    assert!(!s.allowed_actions.contains(&SemesterAction::Submit));

    // The stream holds each applied move once, in order, and nothing of the refused ones.
    let stream = kinds(db.clone()).await;
    let names: Vec<&str> = stream.iter().map(Event::kind).collect();
    assert_eq!(
        names,
        [
            "register.updated",
            "semester.submitted",
            "semester.returned",
            "semester.submitted",
            "semester.validated"
        ]
    );
    match &stream[2] {
        Event::SemesterReturned(e) => {
            assert_eq!(e.comment.as_deref(), Some(why));
            assert_eq!(e.by, sec.user_id.0);
            assert_eq!(e.period, period);
        }
        other => panic!("not a return: {other:?}"),
    }
    // The stream's subscriber told the people: the secretariat of each submission, the
    // representative of the return (with the reason) and of the validation.
    let to = |uid: i64, kind: &'static str| {
        let db = db.clone();
        async move {
            notification::Entity::find()
                .filter(notification::Column::UserId.eq(uid))
                .filter(notification::Column::Kind.eq(kind))
                .all(&db)
                .await
                .unwrap()
        }
    };
    assert_eq!(to(sec.user_id.0, "semester_submitted").await.len(), 2);
    let returned = to(rep.user_id.0, "semester_returned").await;
    assert_eq!(returned.len(), 1);
    assert!(returned[0].body.contains(why));
    assert_eq!(to(rep.user_id.0, "semester_validated").await.len(), 1);
    for n in to(rep.user_id.0, "semester_validated").await {
        assert!(affianca_domain::links::is_route(
            n.link.as_deref().unwrap_or("")
        ));
    }
}

#[tokio::test]
async fn the_stream_keeps_ninety_days_and_always_its_newest_event() {
    use affianca_api::app::events::{EVENTS_KEPT, compact, emit, of_authority};
    use affianca_domain::events::{Event, RegisterUpdated};
    // No server on this database: its background job compacts too, and would race the test.
    let database = affianca_tests::TestDatabase::new().await;
    let db = database.connect_seeded().await;
    let base = PublicUrl("http://127.0.0.1".into());
    let now = Utc::now();
    let at = |days: i64| now - chrono::Duration::days(days);
    let updated = |authority: &str, at| {
        Event::RegisterUpdated(RegisterUpdated {
            authority: authority.to_owned(),
            how: "file".to_owned(),
            files_changed: 1,
            periods: Vec::new(),
            by: 1,
            at,
        })
    };
    assert!(EVENTS_KEPT >= chrono::Duration::days(90));
    for e in [
        updated("016024", at(120)),
        updated("016024", at(91)),
        updated("016024", at(89)),
        updated("017029", at(1)),
    ] {
        emit(&db, &base, &e).await.unwrap();
    }
    assert_eq!(compact(&db, now).await.unwrap(), 2);
    let left = of_authority(&db, "016024", 0, 10).await.unwrap();
    assert_eq!(left.len(), 1, "the event of 89 days ago stays");
    assert_eq!(of_authority(&db, "017029", 0, 10).await.unwrap().len(), 1);
    // Long after, everything is old: the newest event stays, so the sequence goes on from it.
    let later = now + chrono::Duration::days(400);
    assert_eq!(compact(&db, later).await.unwrap(), 1);
    let newest = of_authority(&db, "017029", 0, 10).await.unwrap();
    assert_eq!(newest.len(), 1);
    emit(&db, &base, &updated("017029", later)).await.unwrap();
    let after = of_authority(&db, "017029", newest[0].0, 10).await.unwrap();
    assert_eq!(after.len(), 1);
    assert!(after[0].0 > newest[0].0, "sequence numbers keep growing");
}
