use affianca_api::entities::{activity_entry, request_transition, support_request};
use affianca_api::scale::{Sizes, seed_region};
use affianca_domain::request::{Context, Relation, next_status};
use affianca_domain::{RequestAction, RequestStatus};
use affianca_tests::TestDatabase;
use sea_orm::{EntityTrait, QueryOrder};
use std::collections::HashMap;

/// A small region by the same generator: every history is a legal walk of the state machine
/// ending in the request's status, and no expert logs more than 24 hours a day.
#[tokio::test]
async fn the_generated_region_is_consistent() {
    let database = TestDatabase::new().await;
    let db = database.connect_seeded().await;
    affianca_api::seed::seed_demo(&db).await.unwrap();
    let sizes = Sizes {
        experts: 16,
        requests: 400,
        activities: 3000,
    };
    let report = seed_region(&db, sizes).await.unwrap();
    assert_eq!((report.experts, report.requests), (16, 400));
    assert!(report.activities > 2500, "{report:?}");
    // A second run leaves it as it is.
    assert_eq!(seed_region(&db, sizes).await.unwrap().requests, 0);

    let requests = support_request::Entity::find().all(&db).await.unwrap();
    assert_eq!(requests.len(), 400);
    let mut by_request: HashMap<i64, Vec<request_transition::Model>> = HashMap::new();
    for t in request_transition::Entity::find()
        .order_by_asc(request_transition::Column::Id)
        .all(&db)
        .await
        .unwrap()
    {
        by_request.entry(t.request_id).or_default().push(t);
    }
    let every = Relation {
        authority: true,
        secretariat: true,
        coordinator: true,
        lead_expert: true,
        system: true,
    };
    let mut seen = std::collections::BTreeSet::new();
    for r in &requests {
        let steps = &by_request[&r.id];
        assert_eq!(steps[0].action, "create");
        let mut status = RequestStatus::Draft;
        for t in &steps[1..] {
            let action = RequestAction::parse(&t.action).unwrap();
            let ctx = Context {
                held_from: Some(RequestStatus::InProgress),
                days_since_completed: Some(0),
            };
            status = next_status(status, action, every, ctx)
                .unwrap_or_else(|e| panic!("request {}: {e}", r.id));
            assert_eq!(status.code(), t.to_status);
        }
        assert_eq!(status.code(), r.status, "request {}", r.id);
        seen.insert(r.status.clone());
        if r.submitted_at.is_some() {
            assert!(r.take_charge_due.is_some() && r.assign_due.is_some());
        }
        assert_eq!(r.lead_expert_id.is_some(), r.assigned_at.is_some());
    }
    assert!(seen.len() >= 8, "statuses: {seen:?}");
    let mut per_day: HashMap<(i64, chrono::NaiveDate), i32> = HashMap::new();
    for e in activity_entry::Entity::find().all(&db).await.unwrap() {
        *per_day.entry((e.expert_id, e.day)).or_default() += e.quarters;
        assert!((1..=48).contains(&e.quarters));
    }
    assert!(per_day.values().all(|q| *q <= 96));
}
