use affianca_domain::dto::{Procedure, TaskForceInfo};
use affianca_domain::{Role, TaskForce};
use affianca_tests::{assert_problem, spawn_app};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn the_default_catalog_has_20_procedures_in_8_task_forces() {
    let app = spawn_app().await;
    let token = app.token_for(Role::AuthorityRep).await;
    let tfs: Vec<TaskForceInfo> = app
        .get("/api/v1/task-forces", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        tfs.iter().map(|t| t.code).collect::<Vec<_>>(),
        TaskForce::ALL
    );
    assert_eq!(
        tfs.iter()
            .find(|t| t.code == TaskForce::BuildingPlanning)
            .unwrap()
            .procedures,
        6
    );
    assert_eq!(tfs[0].name, "Valutazioni e autorizzazioni ambientali");
    let all: Vec<Procedure> = app
        .get("/api/v1/procedures", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(all.len(), 20);
    let pdc = all.iter().find(|p| p.code.as_str() == "PDC").unwrap();
    assert_eq!(
        (pdc.legal_term_days, pdc.term_indicative, pdc.task_force),
        (60, true, TaskForce::BuildingPlanning)
    );
    let waste: Vec<Procedure> = app
        .get("/api/v1/procedures?task_force=waste", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        waste.iter().map(|p| p.code.as_str()).collect::<Vec<_>>(),
        ["RIFIUTI_208", "RIFIUTI_SEMPLIFICATA"]
    );
    let p = assert_problem(
        app.get("/api/v1/procedures?task_force=edilizia", &token)
            .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(p.errors[0].field, "task_force");
}

#[tokio::test]
async fn the_secretariat_adds_a_procedure_and_others_may_not() {
    let app = spawn_app().await;
    let body = json!({"code": "SUAP", "task_force": "building_planning", "name": "Autorizzazione SUAP", "legal_term_days": 60});
    for role in [
        Role::AuthorityRep,
        Role::Expert,
        Role::Coordinator,
        Role::Observer,
        Role::Admin,
    ] {
        let token = app.token_for(role).await;
        assert_problem(
            app.post_json("/api/v1/procedures", Some(&token), &body)
                .await,
            403,
            "forbidden",
        )
        .await;
    }
    let token = app.token_for(Role::Secretariat).await;
    let res = app
        .post_json("/api/v1/procedures", Some(&token), &body)
        .await;
    assert_eq!(res.status(), 201);
    let location = res
        .headers()
        .get("location")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let etag = res
        .headers()
        .get("etag")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let created: Procedure = res.json().await.unwrap();
    assert_eq!(location, format!("/api/v1/procedures/{}", created.id));
    assert_eq!(etag, format!("\"procedure-{}-v1\"", created.id));
    assert!(!created.term_indicative);
    let again = app
        .post_json("/api/v1/procedures", Some(&token), &body)
        .await;
    assert_problem(again, 409, "conflict").await;
    let list: Vec<Procedure> = app
        .get("/api/v1/procedures?task_force=building_planning", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list.len(), 7);
}

#[tokio::test]
async fn invalid_procedures_are_refused_field_by_field() {
    let app = spawn_app().await;
    let token = app.token_for(Role::Secretariat).await;
    let p = assert_problem(
        app.post_json(
            "/api/v1/procedures",
            Some(&token),
            &json!({"code": "ok_lower", "task_force": "waste", "name": "x", "legal_term_days": 5}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(p.errors[0].field, "code");
    let p = assert_problem(
        app.post_json(
            "/api/v1/procedures",
            Some(&token),
            &json!({"code": "NEW", "task_force": "waste", "name": " ", "legal_term_days": 0}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(
        p.errors
            .iter()
            .map(|e| e.field.as_str())
            .collect::<Vec<_>>(),
        ["name", "legal_term_days"]
    );
    let p = assert_problem(
        app.post_json(
            "/api/v1/procedures",
            Some(&token),
            &json!({"code": "NEW", "name": "x", "legal_term_days": 5}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(p.errors[0].field, "task_force");
    assert_eq!(p.errors[0].message, "campo obbligatorio");
    // Nothing was written.
    let all: Vec<Procedure> = app
        .get("/api/v1/procedures?include_inactive=true", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(all.len(), 20);
}

async fn get_with_etag(app: &affianca_tests::TestApp, token: &str, id: i64) -> (Procedure, String) {
    let res = app.get(&format!("/api/v1/procedures/{id}"), token).await;
    assert_eq!(res.status(), 200);
    let etag = res
        .headers()
        .get("etag")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    (res.json().await.unwrap(), etag)
}

#[tokio::test]
async fn updates_need_the_current_etag() {
    let app = spawn_app().await;
    let token = app.token_for(Role::Secretariat).await;
    let (p, etag) = get_with_etag(&app, &token, 10).await;
    let path = format!("/api/v1/procedures/{}", p.id);
    let patch = |if_match: Option<&str>, body: serde_json::Value| {
        let mut rb = app.request(Method::PATCH, &path, Some(&token)).json(&body);
        if let Some(v) = if_match {
            rb = rb.header("if-match", v);
        }
        rb.send()
    };
    assert_problem(
        patch(None, json!({"legal_term_days": 45})).await.unwrap(),
        428,
        "precondition_required",
    )
    .await;
    assert_problem(
        patch(Some("\"procedure-10-v99\""), json!({"legal_term_days": 45}))
            .await
            .unwrap(),
        412,
        "precondition_failed",
    )
    .await;
    let res = patch(
        Some(&etag),
        json!({"legal_term_days": 45, "term_indicative": false}),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 200);
    let new_etag = res
        .headers()
        .get("etag")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let updated: Procedure = res.json().await.unwrap();
    assert_eq!(
        (
            updated.legal_term_days,
            updated.term_indicative,
            updated.version
        ),
        (45, false, p.version + 1)
    );
    assert_eq!(updated.name, p.name, "fields not sent are unchanged");
    assert_ne!(new_etag, etag);
    // The old ETag is stale now.
    assert_problem(
        patch(Some(&etag), json!({"name": "x"})).await.unwrap(),
        412,
        "precondition_failed",
    )
    .await;
    assert_problem(
        patch(Some(&new_etag), json!({"legal_term_days": 9999}))
            .await
            .unwrap(),
        422,
        "validation_failed",
    )
    .await;
}

#[tokio::test]
async fn of_two_concurrent_edits_on_one_version_exactly_one_wins() {
    let app = spawn_app().await;
    let token = app.token_for(Role::Secretariat).await;
    let (_, etag) = get_with_etag(&app, &token, 3).await;
    let send = |days: i32| {
        app.request(Method::PATCH, "/api/v1/procedures/3", Some(&token))
            .header("if-match", etag.clone())
            .json(&json!({"legal_term_days": days}))
            .send()
    };
    let (a, b) = tokio::join!(send(100), send(200));
    let mut statuses = [a.unwrap().status().as_u16(), b.unwrap().status().as_u16()];
    statuses.sort();
    assert_eq!(statuses, [200, 412]);
    let (p, _) = get_with_etag(&app, &token, 3).await;
    assert_eq!(p.version, 2);
    assert!([100, 200].contains(&p.legal_term_days));
}

#[tokio::test]
async fn a_deactivated_procedure_leaves_the_default_listing() {
    let app = spawn_app().await;
    let token = app.token_for(Role::Secretariat).await;
    let res = app
        .request(Method::DELETE, "/api/v1/procedures/20", Some(&token))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let active: Vec<Procedure> = app
        .get("/api/v1/procedures", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(active.len(), 19);
    let all: Vec<Procedure> = app
        .get("/api/v1/procedures?include_inactive=true", &token)
        .await
        .json()
        .await
        .unwrap();
    assert!(all.iter().any(|p| p.id.0 == 20 && !p.active));
    let tfs: Vec<TaskForceInfo> = app
        .get("/api/v1/task-forces", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        tfs.iter()
            .find(|t| t.code == TaskForce::ReportingMonitoring)
            .unwrap()
            .procedures,
        0
    );
    let missing = app
        .request(Method::DELETE, "/api/v1/procedures/999", Some(&token))
        .send()
        .await
        .unwrap();
    assert_problem(missing, 404, "not_found").await;

    // The deactivation is audited and tells the indicator cubes (the catalog's log entry), with
    // it; deactivating again does neither.
    use affianca_api::entities::{audit_event, monitoring_change};
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    let db = affianca_api::db::connect(&app.database.url, 2)
        .await
        .unwrap();
    let counts = || {
        let db = db.clone();
        async move {
            let audited = audit_event::Entity::find()
                .filter(audit_event::Column::Action.eq("procedure_deactivated"))
                .count(&db)
                .await
                .unwrap();
            let logged = monitoring_change::Entity::find()
                .filter(monitoring_change::Column::Kind.eq("catalog"))
                .count(&db)
                .await
                .unwrap();
            (audited, logged)
        }
    };
    let (audited, logged) = counts().await;
    let res = app
        .request(Method::DELETE, "/api/v1/procedures/19", Some(&token))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let (audited, logged) = {
        let after = counts().await;
        assert_eq!(after, (audited + 1, logged + 1), "audited and logged, once");
        after
    };
    let again = app
        .request(Method::DELETE, "/api/v1/procedures/19", Some(&token))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 204);
    assert_eq!(counts().await, (audited, logged));
}
