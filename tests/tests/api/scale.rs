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

/// Small registers by the same generator: every active comune and province gets files, the
/// stored semesters are exactly what the engine computes from the stored files, and past
/// semesters are validated.
#[tokio::test]
async fn the_generated_registers_match_the_engine() {
    use affianca_api::entities::{measurement, register_file, semester_report};
    use affianca_api::scale::seed_registers;
    use affianca_domain::monitoring::{compute, sem_of_period};
    use sea_orm::{ColumnTrait, PaginatorTrait, QueryFilter};
    let database = TestDatabase::new().await;
    let db = database.connect_seeded().await;
    let report = seed_registers(&db, 15_000).await.unwrap();
    assert!(report.authorities > 1500, "{report:?}");
    assert!(report.files > 10_000, "{report:?}");
    assert_eq!(
        seed_registers(&db, 15_000).await.unwrap().files,
        0,
        "a second run adds nothing"
    );

    let catalog = affianca_api::monitoring::catalog(&db).await.unwrap();
    let files = affianca_api::monitoring::load_files(&db, "016024", None, &catalog.terms)
        .await
        .unwrap();
    assert!(!files.is_empty());
    let files: Vec<_> = files.into_values().collect();
    let stored = measurement::Entity::find()
        .filter(measurement::Column::AuthorityCode.eq("016024"))
        .all(&db)
        .await
        .unwrap();
    assert!(!stored.is_empty());
    let from = affianca_domain::monitoring::natural_window(&files)
        .unwrap()
        .0;
    let computed = compute(
        &files,
        &catalog.terms,
        from,
        affianca_api::indicators::last_ended(),
    );
    for m in &stored {
        let p = catalog.terms.index_of(&m.procedure_code).unwrap();
        let s = sem_of_period(affianca_domain::Period::parse(&m.period).unwrap());
        assert_eq!(
            computed.cell(p, s).parts,
            affianca_api::monitoring::parts_of(m),
            "{} {}",
            m.procedure_code,
            m.period
        );
    }
    let validated = semester_report::Entity::find()
        .filter(semester_report::Column::AuthorityCode.eq("016024"))
        .filter(semester_report::Column::Period.eq("2022S1"))
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(validated.status, "validated");
    let total = register_file::Entity::find().count(&db).await.unwrap();
    assert_eq!(total as usize, report.files);
}

/// `seed-demo --scale region --factor N`: (N − 1) synthetic authorities per real one, named as
/// such, coded 9xxxxx, spread over the provinces; once.
#[tokio::test]
async fn synthetic_authorities_multiply_the_region_and_are_named_as_such() {
    use affianca_api::entities::authority;
    use sea_orm::{ColumnTrait, PaginatorTrait, QueryFilter};
    let database = TestDatabase::new().await;
    let db = database.connect_seeded().await;
    let real = authority::Entity::find()
        .filter(authority::Column::Kind.ne("regione"))
        .count(&db)
        .await
        .unwrap();
    assert_eq!(
        affianca_api::scale::seed_synthetic_authorities(&db, 1)
            .await
            .unwrap(),
        0
    );
    let added = affianca_api::scale::seed_synthetic_authorities(&db, 3)
        .await
        .unwrap();
    assert_eq!(added as u64, 2 * real);
    assert_eq!(
        affianca_api::scale::seed_synthetic_authorities(&db, 3)
            .await
            .unwrap(),
        0
    );
    let synthetic = authority::Entity::find()
        .filter(authority::Column::IstatCode.like("9%"))
        .all(&db)
        .await
        .unwrap();
    assert_eq!(synthetic.len() as u64, 2 * real);
    assert!(synthetic.iter().all(|a| {
        a.name.starts_with("Ente sintetico ")
            && a.kind == "comune"
            && affianca_domain::IstatCode::parse(&a.istat_code).is_ok()
            && a.province
                .as_deref()
                .is_some_and(|p| affianca_api::registry::PROVINCES.contains(&p))
    }));
    // No real ISTAT code of Lombardy starts with 9.
    assert!(
        std::fs::read_to_string(affianca_tests::workspace_root().join("data/comuni-lombardia.csv"))
            .map(|s| s.lines().skip(1).all(|l| !l.starts_with('9')))
            .unwrap_or(true)
    );
}
