use crate::delegates::emailed_token;
use affianca_domain::dto::{ExpertProfile, Me};
use affianca_domain::{Role, TaskForce};
use affianca_tests::{assert_problem, demo_email, spawn_app};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn the_secretariat_adds_an_expert_who_sets_a_password_by_the_emailed_link() {
    let app = spawn_app().await;
    let sec = app.token_for(Role::Secretariat).await;
    let body = json!({
        "email": "Paolo.Neri@Esperti.it", "full_name": "Paolo Neri", "task_forces": ["waste", "remediation"],
        "provinces": ["MI", "MB"], "professional_profile": "Ingegnere ambientale", "max_concurrent_requests": 4
    });
    let res = app.post_json("/api/v1/experts", Some(&sec), &body).await;
    assert_eq!(res.status(), 201);
    let e: ExpertProfile = res.json().await.unwrap();
    assert_eq!(e.task_forces, [TaskForce::Remediation, TaskForce::Waste]);
    assert_eq!(
        e.provinces.iter().map(|p| p.as_str()).collect::<Vec<_>>(),
        ["MB", "MI"]
    );
    assert_problem(
        app.post_json("/api/v1/experts", Some(&sec), &body).await,
        409,
        "conflict",
    )
    .await;

    let token = emailed_token(&app, "paolo.neri@esperti.it", "/reimposta-password/").await;
    let res = app
        .post_json(
            &format!("/api/v1/auth/password-reset/{token}"),
            None,
            &json!({"password": "la password di Paolo"}),
        )
        .await;
    assert_eq!(res.status(), 204);
    let tokens = app
        .try_login("paolo.neri@esperti.it", "la password di Paolo")
        .await;
    assert_eq!(tokens.status(), 200);
    let access = tokens.json::<serde_json::Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let me: Me = app.get("/api/v1/me", &access).await.json().await.unwrap();
    assert_eq!(me.user.grants.len(), 2);

    let waste: Vec<ExpertProfile> = app
        .get("/api/v1/experts?task_force=waste", &sec)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        waste
            .iter()
            .map(|e| e.full_name.as_str())
            .collect::<Vec<_>>(),
        ["Paolo Neri"]
    );
    let bg: Vec<ExpertProfile> = app
        .get("/api/v1/experts?province=BG", &sec)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        bg.iter().map(|e| e.email.as_str()).collect::<Vec<_>>(),
        [demo_email(Role::Expert)]
    );
    let p = assert_problem(
        app.post_json("/api/v1/experts", Some(&sec), &json!({"email": "x@esperti.it", "full_name": "X", "task_forces": [], "provinces": ["XX"], "max_concurrent_requests": 0})).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(
        p.errors
            .iter()
            .map(|e| e.field.as_str())
            .collect::<Vec<_>>(),
        ["task_forces", "provinces[0]", "max_concurrent_requests"]
    );
}

#[tokio::test]
async fn an_expert_edits_their_own_professional_profile_only() {
    let app = spawn_app().await;
    let expert = app.token_for(Role::Expert).await;
    let list: Vec<ExpertProfile> = app
        .get("/api/v1/experts", &expert)
        .await
        .json()
        .await
        .unwrap();
    let me = list
        .iter()
        .find(|e| e.email.as_str() == demo_email(Role::Expert))
        .unwrap()
        .clone();
    let path = format!("/api/v1/experts/{}", me.user_id);
    let res = app.get(&path, &expert).await;
    let etag = res.headers()["etag"].to_str().unwrap().to_owned();
    let patch = |token: &str, etag: &str, body: serde_json::Value| {
        app.request(Method::PATCH, &path, Some(token))
            .header("if-match", etag)
            .json(&body)
            .send()
    };
    let res = patch(&expert, &etag, json!({"max_concurrent_requests": 50}))
        .await
        .unwrap();
    assert_problem(res, 403, "forbidden").await;
    let res = patch(
        &expert,
        &etag,
        json!({"professional_profile": "Architetta, SUE e paesaggio"}),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 200);
    let updated: ExpertProfile = res.json().await.unwrap();
    assert_eq!(
        (updated.professional_profile.as_str(), updated.version),
        ("Architetta, SUE e paesaggio", 2)
    );
    assert_problem(
        patch(
            &expert,
            &etag,
            json!({"professional_profile": "vecchia versione"}),
        )
        .await
        .unwrap(),
        412,
        "precondition_failed",
    )
    .await;
    let coordinator = app.token_for(Role::Coordinator).await;
    assert_problem(
        patch(&coordinator, "*", json!({"professional_profile": "x"}))
            .await
            .unwrap(),
        403,
        "forbidden",
    )
    .await;
    let sec = app.token_for(Role::Secretariat).await;
    let res = patch(
        &sec,
        "*",
        json!({"task_forces": ["building_planning", "procurement"], "max_concurrent_requests": 8}),
    )
    .await
    .unwrap();
    let updated: ExpertProfile = res.json().await.unwrap();
    assert_eq!(
        updated.task_forces,
        [TaskForce::BuildingPlanning, TaskForce::Procurement]
    );
    assert_eq!(updated.max_concurrent_requests, 8);
    // The directory is for programme staff only.
    let delegate = app.token_for(Role::AuthorityDelegate).await;
    assert_problem(
        app.get("/api/v1/experts", &delegate).await,
        403,
        "forbidden",
    )
    .await;
}

#[tokio::test]
async fn coordinators_are_appointed_and_removed_by_the_secretariat() {
    let app = spawn_app().await;
    let sec = app.token_for(Role::Secretariat).await;
    let list: Vec<ExpertProfile> = app.get("/api/v1/experts", &sec).await.json().await.unwrap();
    let anna = list[0].user_id;
    let res = app
        .post_json(
            "/api/v1/task-forces/building_planning/coordinators",
            Some(&sec),
            &json!({"user_id": anna}),
        )
        .await;
    assert_eq!(res.status(), 204);
    let e: ExpertProfile = app
        .get(&format!("/api/v1/experts/{anna}"), &sec)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(e.coordinator_of, [TaskForce::BuildingPlanning]);
    assert_problem(
        app.post_json(
            "/api/v1/task-forces/nope/coordinators",
            Some(&sec),
            &json!({"user_id": anna}),
        )
        .await,
        404,
        "not_found",
    )
    .await;
    let res = app
        .request(
            Method::DELETE,
            &format!("/api/v1/task-forces/building_planning/coordinators/{anna}"),
            Some(&sec),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let res = app
        .request(
            Method::DELETE,
            &format!("/api/v1/task-forces/building_planning/coordinators/{anna}"),
            Some(&sec),
        )
        .send()
        .await
        .unwrap();
    assert_problem(res, 404, "not_found").await;
}
