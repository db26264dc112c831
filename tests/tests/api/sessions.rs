//! Revocation is immediate: an access token stops working as soon as the session it belongs to
//! ends (logout, password reset, removal as delegate, revocation of a grant), on every server
//! sharing the database.

use affianca_domain::Role;
use affianca_tests::{TestApp, assert_problem, demo_email, spawn_app};
use reqwest::{Method, Response};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// The user id behind a token.
async fn user_id(app: &TestApp, token: &str) -> i64 {
    let me: Value = app.get("/api/v1/me", token).await.json().await.unwrap();
    me["user"]["id"].as_i64().unwrap()
}

async fn create_request(app: &TestApp, token: &str, istat: &str) -> Response {
    app.post_json(
        "/api/v1/support-requests",
        Some(token),
        &json!({"istat_code": istat, "procedure": "PDC", "subject": "Revoca", "description": "Prova", "support_kind": "other"}),
    )
    .await
}

async fn put_file(app: &TestApp, token: &str, istat: &str, code: &str) -> Response {
    app.request(
        Method::PUT,
        &format!("/api/v1/authorities/{istat}/files/{code}"),
        Some(token),
    )
    .json(&json!({"procedure": "pdc", "start_date": "2024-01-15"}))
    .send()
    .await
    .unwrap()
}

/// A token that no longer works: 401 `unauthenticated` on reads and writes alike.
async fn assert_refused(app: &TestApp, token: &str, istat: &str) {
    assert_problem(
        app.get(&format!("/api/v1/authorities/{istat}/files"), token)
            .await,
        401,
        "unauthenticated",
    )
    .await;
    assert_problem(
        create_request(app, token, istat).await,
        401,
        "unauthenticated",
    )
    .await;
    assert_problem(
        put_file(app, token, istat, "REVOCA-2").await,
        401,
        "unauthenticated",
    )
    .await;
}

#[tokio::test]
async fn a_removed_delegate_is_refused_at_once() {
    let app = spawn_app().await;
    let delegate = app.token_for(Role::AuthorityDelegate).await;
    let rep = app
        .login_tokens("sindaca.brescia@demo.affianca.it")
        .await
        .access_token;
    // The delegate works for Brescia…
    assert_eq!(
        app.get("/api/v1/authorities/017029/files", &delegate)
            .await
            .status(),
        200
    );
    assert_eq!(
        create_request(&app, &delegate, "017029").await.status(),
        201
    );
    assert_eq!(
        put_file(&app, &delegate, "017029", "REVOCA-1")
            .await
            .status(),
        201
    );
    // …until the representative removes them: the same token is refused on the next request.
    let id = user_id(&app, &delegate).await;
    let res = app
        .request(
            Method::DELETE,
            &format!("/api/v1/authorities/017029/delegates/{id}"),
            Some(&rep),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_refused(&app, &delegate, "017029").await;
    assert_problem(
        app.get("/api/v1/me", &delegate).await,
        401,
        "unauthenticated",
    )
    .await;
}

#[tokio::test]
async fn a_revoked_grant_stops_working_at_once() {
    let app = spawn_app().await;
    let admin = app.token_for(Role::Admin).await;
    let rep = app.token_for(Role::AuthorityRep).await;
    assert_eq!(
        put_file(&app, &rep, "016024", "REVOCA-1").await.status(),
        201
    );
    let id = user_id(&app, &rep).await;
    let user: Value = app
        .get(&format!("/api/v1/users/{id}"), &admin)
        .await
        .json()
        .await
        .unwrap();
    let grant = user["grants"][0]["id"].as_i64().unwrap();
    let res = app
        .request(
            Method::DELETE,
            &format!("/api/v1/users/{id}/grants/{grant}"),
            Some(&admin),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_refused(&app, &rep, "016024").await;
    // Signed in again, the user has only what is left: no access to the authority.
    let fresh = app
        .login_tokens(demo_email(Role::AuthorityRep))
        .await
        .access_token;
    assert_eq!(
        put_file(&app, &fresh, "016024", "REVOCA-3").await.status(),
        403
    );
}

#[tokio::test]
async fn a_grant_added_works_with_the_token_already_held() {
    let app = spawn_app().await;
    let admin = app.token_for(Role::Admin).await;
    let observer = app.token_for(Role::Observer).await;
    assert_eq!(
        app.get("/api/v1/authorities/017029/files", &observer)
            .await
            .status(),
        403
    );
    let id = user_id(&app, &observer).await;
    let res = app
        .post_json(
            &format!("/api/v1/users/{id}/grants"),
            Some(&admin),
            &json!({"role": "observer", "scope": "province:BS"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    assert_eq!(
        app.get("/api/v1/authorities/017029/files", &observer)
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn logout_ends_the_access_token_too() {
    let app = spawn_app().await;
    let tokens = app.login_tokens(demo_email(Role::AuthorityRep)).await;
    assert_eq!(
        put_file(&app, &tokens.access_token, "016024", "REVOCA-1")
            .await
            .status(),
        201
    );
    let res = app
        .post_json(
            "/api/v1/auth/logout",
            None,
            &json!({"refresh_token": tokens.refresh_token}),
        )
        .await;
    assert_eq!(res.status(), 204);
    assert_refused(&app, &tokens.access_token, "016024").await;
}

#[tokio::test]
async fn a_password_reset_ends_the_access_tokens() {
    let app = spawn_app().await;
    let admin = app.token_for(Role::Admin).await;
    let email = demo_email(Role::AuthorityRep);
    let rep = app.token_for(Role::AuthorityRep).await;
    let res = app
        .post_json(
            "/api/v1/auth/password-reset",
            None,
            &json!({"email": email}),
        )
        .await;
    assert_eq!(res.status(), 202);
    let outbox: Value = app
        .get(&format!("/api/v1/outbox?recipient={email}"), &admin)
        .await
        .json()
        .await
        .unwrap();
    let body = outbox["items"][0]["body"].as_str().unwrap().to_owned();
    let token = body
        .split("/reimposta-password/")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    let res = app
        .post_json(
            &format!("/api/v1/auth/password-reset/{token}"),
            None,
            &json!({"password": "una password nuova e lunga"}),
        )
        .await;
    assert_eq!(res.status(), 204);
    assert_refused(&app, &rep, "016024").await;
}

/// Two servers on one database: a delegate removed through one server is refused by the other
/// within the cache's lifetime (one second), although that server had just let the token in.
#[tokio::test]
async fn a_revocation_through_one_server_is_honoured_by_the_other() {
    let a = spawn_app().await;
    let b = a.second_server().await;
    let delegate = a.token_for(Role::AuthorityDelegate).await;
    let rep = a
        .login_tokens("sindaca.brescia@demo.affianca.it")
        .await
        .access_token;
    // Server B knows the delegate (and caches what it read).
    assert_eq!(
        b.get("/api/v1/authorities/017029/files", &delegate)
            .await
            .status(),
        200
    );
    let id = user_id(&b, &delegate).await;
    let res = a
        .request(
            Method::DELETE,
            &format!("/api/v1/authorities/017029/delegates/{id}"),
            Some(&rep),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let removed = Instant::now();
    // Server A refuses at once; server B within the cache's lifetime.
    assert_problem(
        create_request(&a, &delegate, "017029").await,
        401,
        "unauthenticated",
    )
    .await;
    loop {
        let status = create_request(&b, &delegate, "017029").await.status();
        if status == 401 {
            break;
        }
        assert_eq!(status, 201, "before the revocation reached server B");
        assert!(
            removed.elapsed() < Duration::from_millis(1_500),
            "server B still accepts the token {:?} after the removal",
            removed.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    assert_refused(&b, &delegate, "017029").await;
}
