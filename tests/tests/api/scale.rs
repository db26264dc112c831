use affianca_api::entities::{activity_entry, request_transition, support_request};
use affianca_demo::scale::{Sizes, seed_region};
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
    affianca_demo::seed_demo(&db).await.unwrap();
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
    use affianca_demo::scale::seed_registers;
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
        affianca_demo::scale::seed_synthetic_authorities(&db, 1)
            .await
            .unwrap(),
        0
    );
    let added = affianca_demo::scale::seed_synthetic_authorities(&db, 3)
        .await
        .unwrap();
    assert_eq!(added as u64, 2 * real);
    assert_eq!(
        affianca_demo::scale::seed_synthetic_authorities(&db, 3)
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

/// The request list on a generated region: every sort, pages across the whole result and past its
/// end, as the secretariat and an expert — the same requests in the same order, with the same
/// total and lead experts' names, as an independent query of the database (SQLite answers a page
/// as one packed JSON value, PostgreSQL row by row: both must be the database's order).
#[tokio::test]
async fn every_page_of_the_list_is_the_database_order() {
    use affianca_api::entities::{request_assignee, user};
    use affianca_domain::dto::{Page, SupportRequestSummary};
    use sea_orm::{ColumnTrait, QueryFilter};
    let database = TestDatabase::new().await;
    let db = database.connect_seeded().await;
    affianca_demo::seed_demo(&db).await.unwrap();
    let sizes = Sizes {
        experts: 8,
        requests: 300,
        activities: 10,
    };
    seed_region(&db, sizes).await.unwrap();
    // The server closes stale completed requests when it starts: done here first, so that the
    // rows read below are the rows it serves.
    affianca_api::jobs::close_stale(
        &db,
        &affianca_api::notify::PublicUrl("http://127.0.0.1".into()),
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    let names: HashMap<i64, String> = user::Entity::find()
        .all(&db)
        .await
        .unwrap()
        .into_iter()
        .map(|u| (u.id, u.full_name))
        .collect();
    let mut requests = support_request::Entity::find()
        .filter(support_request::Column::Status.ne("draft"))
        .all(&db)
        .await
        .unwrap();
    let app = affianca_tests::spawn_app_on(database, &[]).await;
    let secretariat = app.token_for(affianca_domain::Role::Secretariat).await;
    let expert_id = app.demo_expert_id().await;
    let expert = app.token_for(affianca_domain::Role::Expert).await;
    let assigned: std::collections::HashSet<i64> = request_assignee::Entity::find()
        .filter(request_assignee::Column::UserId.eq(expert_id))
        .all(&db)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.request_id)
        .collect();
    // SQL orders NULLs as SQLite does (first ascending) or as PostgreSQL does (last ascending).
    let nulls_first = affianca_tests::backend() == "sqlite";
    let key = |v: Option<i64>| -> (bool, i64) {
        match v {
            None => (!nulls_first, 0),
            Some(n) => (nulls_first, n),
        }
    };
    let nanos = |t: chrono::DateTime<chrono::Utc>| t.timestamp_nanos_opt().unwrap();
    let day = |d: chrono::NaiveDate| i64::from(chrono::Datelike::num_days_from_ce(&d));
    type Sorter = Box<dyn Fn(&support_request::Model) -> (Option<i64>, Option<i64>)>;
    let sorts: [(&str, Sorter, bool); 7] = [
        (
            "submitted_at",
            Box::new(move |r| (r.submitted_at.map(nanos), None)),
            false,
        ),
        (
            "-submitted_at",
            Box::new(move |r| (r.submitted_at.map(nanos), None)),
            true,
        ),
        (
            "updated_at",
            Box::new(move |r| (Some(nanos(r.updated_at)), None)),
            false,
        ),
        (
            "-updated_at",
            Box::new(move |r| (Some(nanos(r.updated_at)), None)),
            true,
        ),
        (
            "due",
            Box::new(move |r| (r.take_charge_due.map(day), r.assign_due.map(day))),
            false,
        ),
        ("id", Box::new(|_| (None, None)), false),
        ("-id", Box::new(|_| (None, None)), true),
    ];
    for (sort, by, descending) in sorts {
        requests.sort_by(|a, b| {
            let (a1, a2) = by(a);
            let (b1, b2) = by(b);
            let order = key(a1)
                .cmp(&key(b1))
                .then(key(a2).cmp(&key(b2)))
                .then(a.id.cmp(&b.id));
            if descending { order.reverse() } else { order }
        });
        for (token, visible) in [(&secretariat, None), (&expert, Some(&assigned))] {
            let expected: Vec<&support_request::Model> = requests
                .iter()
                .filter(|r| visible.is_none_or(|v| v.contains(&r.id)))
                .collect();
            let mut offset = 0;
            loop {
                let page: Page<SupportRequestSummary> = app
                    .get(
                        &format!("/api/v1/support-requests?sort={sort}&limit=37&offset={offset}"),
                        token,
                    )
                    .await
                    .json()
                    .await
                    .unwrap();
                assert_eq!(page.total as usize, expected.len(), "{sort} at {offset}");
                let want = &expected[offset.min(expected.len())..(offset + 37).min(expected.len())];
                let got: Vec<i64> = page.items.iter().map(|i| i.id).collect();
                let want_ids: Vec<i64> = want.iter().map(|r| r.id).collect();
                assert_eq!(got, want_ids, "{sort} at {offset}");
                for (item, r) in page.items.iter().zip(want) {
                    assert_eq!(item.status.code(), r.status);
                    assert_eq!(item.version, r.version);
                    assert_eq!(item.submitted_at, r.submitted_at);
                    assert_eq!(item.service.take_charge_due, r.take_charge_due);
                    assert_eq!(
                        item.lead_expert
                            .as_ref()
                            .map(|p| (p.user_id.0, p.full_name.clone())),
                        r.lead_expert_id.map(|id| (id, names[&id].clone())),
                        "request {}",
                        r.id
                    );
                }
                if page.items.is_empty() {
                    break;
                }
                offset += 37;
            }
            // Past the end: no items, the total still counted.
            assert!(offset >= expected.len());
        }
    }
}
