use affianca_domain::Role;
use affianca_domain::dto::{Grant, Page, TokenResponse, User};
use affianca_tests::{assert_problem, spawn_app};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn an_admin_creates_a_province_office_that_can_log_in() {
    let app = spawn_app().await;
    let admin = app.token_for(Role::Admin).await;
    let body = json!({
        "email": "Ufficio.PNRR@provincia.bergamo.it",
        "full_name": "Ufficio PNRR",
        "password": "una password lunga",
        "grants": [{"role": "observer", "scope": "province:BG"}]
    });
    let res = app.post_json("/api/v1/users", Some(&admin), &body).await;
    assert_eq!(res.status(), 201);
    let user: User = res.json().await.unwrap();
    assert_eq!(user.email.as_str(), "ufficio.pnrr@provincia.bergamo.it");
    assert_eq!(user.grants.len(), 1);
    assert_eq!(
        app.try_login("ufficio.pnrr@provincia.bergamo.it", "una password lunga")
            .await
            .status(),
        200
    );
    assert_problem(
        app.post_json("/api/v1/users", Some(&admin), &body).await,
        409,
        "conflict",
    )
    .await;

    let list: Page<User> = app
        .get("/api/v1/users?role=observer", &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list.total, 2);
    let found: Page<User> = app
        .get("/api/v1/users?q=pnrr", &admin)
        .await
        .json()
        .await
        .unwrap();
    assert!(found.items.iter().any(|u| u.id == user.id));
}

#[tokio::test]
async fn grants_must_fit_their_role_and_name_real_authorities() {
    let app = spawn_app().await;
    let admin = app.token_for(Role::Admin).await;
    let body = json!({
        "email": "x@example.org", "full_name": "X", "password": "short",
        "grants": [{"role": "secretariat", "scope": "province:BG"}, {"role": "authority_rep", "scope": "authority:099999"}]
    });
    let p = assert_problem(
        app.post_json("/api/v1/users", Some(&admin), &body).await,
        422,
        "validation_failed",
    )
    .await;
    let fields: Vec<&str> = p.errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["password", "grants[0].scope", "grants[1].scope"]);
    let p = assert_problem(
        app.post_json(
            "/api/v1/users",
            Some(&admin),
            &json!({"email": "not-an-email", "full_name": "X", "password": "abbastanza lunga"}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(p.errors[0].field, "email");
    let users: Page<User> = app.get("/api/v1/users", &admin).await.json().await.unwrap();
    assert_eq!(
        users.total,
        affianca_tests::DEMO_USERS.len() as u64,
        "nothing was created"
    );
}

#[tokio::test]
async fn granting_and_revoking_a_role() {
    let app = spawn_app().await;
    let admin = app.token_for(Role::Admin).await;
    let users: Page<User> = app
        .get("/api/v1/users?role=expert", &admin)
        .await
        .json()
        .await
        .unwrap();
    let expert = &users.items[0];
    let res = app
        .post_json(
            &format!("/api/v1/users/{}/grants", expert.id),
            Some(&admin),
            &json!({"role": "expert", "scope": "task_force:waste"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let grant: Grant = res.json().await.unwrap();
    let again = app
        .post_json(
            &format!("/api/v1/users/{}/grants", expert.id),
            Some(&admin),
            &json!({"role": "expert", "scope": "task_force:waste"}),
        )
        .await;
    assert_problem(again, 409, "conflict").await;

    // The expert's next token carries the new grant.
    let tokens = app.login_tokens(expert.email.as_str()).await;
    let me: affianca_domain::dto::Me = app
        .get("/api/v1/me", &tokens.access_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me.user.grants.len(), 2);

    let res = app
        .request(
            Method::DELETE,
            &format!("/api/v1/users/{}/grants/{}", expert.id, grant.id),
            Some(&admin),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    // Revoking a grant ends the user's sessions: their refresh token no longer works.
    let res = app
        .post_json(
            "/api/v1/auth/refresh",
            None,
            &json!({"refresh_token": tokens.refresh_token}),
        )
        .await;
    assert_problem(res, 401, "invalid_refresh_token").await;
    let fresh: TokenResponse = app.login_tokens(expert.email.as_str()).await;
    let me: affianca_domain::dto::Me = app
        .get("/api/v1/me", &fresh.access_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me.user.grants.len(), 1);
    let gone = app
        .request(
            Method::DELETE,
            &format!("/api/v1/users/{}/grants/{}", expert.id, grant.id),
            Some(&admin),
        )
        .send()
        .await
        .unwrap();
    assert_problem(gone, 404, "not_found").await;
}
