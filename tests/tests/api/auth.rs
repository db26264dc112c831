use affianca_domain::Role;
use affianca_domain::dto::{Me, TokenResponse};
use affianca_tests::{DEMO_PASSWORD, assert_problem, demo_email, spawn_app};
use serde_json::json;

#[tokio::test]
async fn a_demo_user_logs_in_and_sees_their_grants() {
    let app = spawn_app().await;
    let tokens = app.login_tokens(demo_email(Role::Observer)).await;
    assert_eq!(tokens.token_type, "Bearer");
    assert_eq!(tokens.expires_in, 900);
    assert!(tokens.refresh_token.starts_with("afr_"));

    let res = app.get("/api/v1/me", &tokens.access_token).await;
    assert_eq!(res.status(), 200);
    let me: Me = res.json().await.unwrap();
    assert_eq!(me.user.email.as_str(), demo_email(Role::Observer));
    assert_eq!(me.user.grants.len(), 1);
    assert_eq!(me.user.grants[0].role, Role::Observer);
    assert_eq!(me.user.grants[0].scope.to_string(), "province:BG");
}

#[tokio::test]
async fn unknown_email_and_wrong_password_get_the_same_answer() {
    let app = spawn_app().await;
    let unknown = assert_problem(
        app.try_login("nessuno@example.org", "whatever-long-pass")
            .await,
        401,
        "invalid_credentials",
    )
    .await;
    let wrong = assert_problem(
        app.try_login(demo_email(Role::Secretariat), "wrong-password-123")
            .await,
        401,
        "invalid_credentials",
    )
    .await;
    assert_eq!(unknown, wrong);
}

#[tokio::test]
async fn the_email_is_case_and_space_insensitive_at_login() {
    let app = spawn_app().await;
    let email = format!("  {}  ", demo_email(Role::Admin).to_uppercase());
    assert_eq!(app.try_login(&email, DEMO_PASSWORD).await.status(), 200);
}

#[tokio::test]
async fn five_failures_lock_the_account_with_retry_after() {
    let app = spawn_app().await;
    let email = demo_email(Role::Expert);
    for _ in 0..5 {
        assert_eq!(app.try_login(email, "not-the-password").await.status(), 401);
    }
    // Locked: even the right password is refused for now.
    let res = app.try_login(email, DEMO_PASSWORD).await;
    let retry: u64 = res
        .headers()
        .get("retry-after")
        .expect("Retry-After")
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=900).contains(&retry), "{retry}");
    assert_problem(res, 429, "too_many_attempts").await;
    // Other accounts are not affected.
    assert_eq!(
        app.try_login(demo_email(Role::Admin), DEMO_PASSWORD)
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn refresh_rotates_the_token_and_the_old_one_is_spent() {
    let app = spawn_app().await;
    let first = app.login_tokens(demo_email(Role::Coordinator)).await;
    let res = app
        .post_json(
            "/api/v1/auth/refresh",
            None,
            &json!({"refresh_token": first.refresh_token}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let second: TokenResponse = res.json().await.unwrap();
    assert_ne!(second.refresh_token, first.refresh_token);
    assert_eq!(
        app.get("/api/v1/me", &second.access_token).await.status(),
        200
    );

    // Reusing the spent token revokes the whole family, including the newest token.
    let reuse = app
        .post_json(
            "/api/v1/auth/refresh",
            None,
            &json!({"refresh_token": first.refresh_token}),
        )
        .await;
    assert_problem(reuse, 401, "invalid_refresh_token").await;
    let newest = app
        .post_json(
            "/api/v1/auth/refresh",
            None,
            &json!({"refresh_token": second.refresh_token}),
        )
        .await;
    assert_problem(newest, 401, "invalid_refresh_token").await;
}

#[tokio::test]
async fn logout_revokes_the_refresh_token() {
    let app = spawn_app().await;
    let tokens = app.login_tokens(demo_email(Role::Secretariat)).await;
    let res = app
        .post_json(
            "/api/v1/auth/logout",
            None,
            &json!({"refresh_token": tokens.refresh_token}),
        )
        .await;
    assert_eq!(res.status(), 204);
    let res = app
        .post_json(
            "/api/v1/auth/refresh",
            None,
            &json!({"refresh_token": tokens.refresh_token}),
        )
        .await;
    assert_problem(res, 401, "invalid_refresh_token").await;
    // Logging out twice is harmless.
    let res = app
        .post_json(
            "/api/v1/auth/logout",
            None,
            &json!({"refresh_token": tokens.refresh_token}),
        )
        .await;
    assert_eq!(res.status(), 204);
}

#[tokio::test]
async fn protected_routes_refuse_missing_and_forged_tokens() {
    let app = spawn_app().await;
    let res = app
        .request(reqwest::Method::GET, "/api/v1/me", None)
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers().get("www-authenticate").unwrap(), "Bearer");
    assert_problem(res, 401, "unauthenticated").await;
    let forged = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIiwiZXhwIjo5OTk5OTk5OTk5LCJpYXQiOjAsImdyYW50cyI6WyJhZG1pbkByZWdpb24iXX0.bm90LXRoZS1zaWduYXR1cmU";
    assert_problem(app.get("/api/v1/me", forged).await, 401, "unauthenticated").await;
}
