use affianca_domain::Role;
use affianca_domain::dto::{Me, TokenResponse};
use affianca_tests::{DEMO_PASSWORD, assert_problem, demo_email, spawn_app, spawn_app_with};
use serde_json::{Value, json};

#[tokio::test]
async fn a_demo_user_logs_in_and_sees_their_grants() {
    let app = spawn_app().await;
    let tokens = app.login_tokens(demo_email(Role::Observer)).await;
    assert_eq!(tokens.token_type, "Bearer");
    assert_eq!(tokens.expires_in, 900);
    assert!(tokens.refresh_token.as_deref().unwrap().starts_with("afr_"));

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
}

fn retry_after(res: &reqwest::Response) -> u64 {
    res.headers()
        .get("retry-after")
        .expect("Retry-After")
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

/// Someone who knows only the (public) address of an account cannot keep its owner out: their
/// address is throttled, the owner signs in from theirs.
#[tokio::test]
async fn an_attacker_locks_out_their_address_not_the_account() {
    let app = spawn_app_with(&[("AFFIANCA_TRUSTED_PROXIES", "127.0.0.1".into())]).await;
    let email = demo_email(Role::Secretariat);
    let attacker = "203.0.113.66";
    for _ in 0..5 {
        assert_eq!(
            app.try_login_from(attacker, email, "not-the-password")
                .await
                .status(),
            401
        );
    }
    // The attacker's address waits, whatever the account and the password.
    let res = app
        .try_login_from(attacker, email, "not-the-password")
        .await;
    assert!(
        (1..=15).contains(&retry_after(&res)),
        "{}",
        retry_after(&res)
    );
    assert_problem(res, 429, "too_many_attempts").await;
    let res = app
        .try_login_from(attacker, demo_email(Role::Admin), DEMO_PASSWORD)
        .await;
    assert_problem(res, 429, "too_many_attempts").await;
    // The account is locked, but its owner, from an address that has not failed, signs in.
    let owner = "198.51.100.7";
    let res = app.try_login_from(owner, email, DEMO_PASSWORD).await;
    assert_eq!(res.status(), 200);
    // Other accounts from other addresses are not affected.
    assert_eq!(
        app.try_login_from("198.51.100.8", demo_email(Role::Admin), DEMO_PASSWORD)
            .await
            .status(),
        200
    );
    // A wrong guess from a fresh address while the account is locked counts against that
    // address: it no longer opens the locked account.
    let expert = demo_email(Role::Expert);
    for _ in 0..5 {
        let res = app
            .try_login_from("203.0.113.67", expert, "x-not-the-password")
            .await;
        assert_eq!(res.status(), 401);
    }
    let guesser = "192.0.2.10";
    assert_problem(
        app.try_login_from(guesser, expert, "another-wrong-guess")
            .await,
        401,
        "invalid_credentials",
    )
    .await;
    assert_problem(
        app.try_login_from(guesser, expert, DEMO_PASSWORD).await,
        429,
        "too_many_attempts",
    )
    .await;
}

/// Without a trusted proxy, `X-Forwarded-For` is ignored: an attacker cannot dodge the limit by
/// inventing addresses.
#[tokio::test]
async fn forwarded_for_is_ignored_without_a_trusted_proxy() {
    let app = spawn_app().await;
    let email = demo_email(Role::Secretariat);
    for i in 0..5 {
        let res = app
            .try_login_from(&format!("203.0.113.{i}"), email, "not-the-password")
            .await;
        assert_eq!(res.status(), 401);
    }
    let res = app
        .try_login_from("203.0.113.99", email, DEMO_PASSWORD)
        .await;
    assert_problem(res, 429, "too_many_attempts").await;
}

/// The password-reset form sends at most 3 e-mails per address per hour (the answer stays 202,
/// as for an unknown address) and accepts at most 20 requests per IP per 15 minutes.
#[tokio::test]
async fn password_reset_requests_are_throttled() {
    let app = spawn_app_with(&[("AFFIANCA_TRUSTED_PROXIES", "127.0.0.1".into())]).await;
    let admin = app.token_for(Role::Admin).await;
    let email = demo_email(Role::Observer);
    let reset = |ip: &'static str, email: String| {
        app.request(reqwest::Method::POST, "/api/v1/auth/password-reset", None)
            .header("x-forwarded-for", ip)
            .json(&json!({ "email": email }))
            .send()
    };
    for i in 0..10 {
        let ip = ["198.51.100.1", "198.51.100.2"][i % 2];
        assert_eq!(reset(ip, email.to_owned()).await.unwrap().status(), 202);
    }
    let outbox: Value = app
        .get(&format!("/api/v1/outbox?recipient={email}"), &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(outbox["total"], 3, "{outbox}");
    // Per IP: 20 requests in 15 minutes, known addresses or not, then 429.
    for i in 0..20 {
        let res = reset("203.0.113.5", format!("nessuno{i}@esempio.it"))
            .await
            .unwrap();
        assert_eq!(res.status(), 202, "request {i}");
    }
    let res = reset("203.0.113.5", "altro@esempio.it".into())
        .await
        .unwrap();
    assert!((1..=900).contains(&retry_after(&res)));
    assert_problem(res, 429, "too_many_attempts").await;
    // Another address is not affected.
    assert_eq!(
        reset("203.0.113.6", "altro@esempio.it".into())
            .await
            .unwrap()
            .status(),
        202
    );
}

/// Logout answers 204 whatever the token (as docs/API-DESIGN.md says): unknown, already revoked,
/// or none at all.
#[tokio::test]
async fn logout_with_an_unknown_token_is_204() {
    let app = spawn_app().await;
    let res = app
        .post_json(
            "/api/v1/auth/logout",
            None,
            &json!({"refresh_token": "afr_unknown"}),
        )
        .await;
    assert_eq!(res.status(), 204);
    let res = app
        .request(reqwest::Method::POST, "/api/v1/auth/logout", None)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
}

/// The browser client keeps the refresh token in an `HttpOnly` cookie scoped to the auth paths,
/// never in a body a script could read; using the cookie needs the CSRF header.
#[tokio::test]
async fn browsers_keep_the_refresh_token_in_an_http_only_cookie() {
    let app = spawn_app().await;
    let login = |csrf: bool| {
        let rb = app.request(reqwest::Method::POST, "/api/v1/auth/login", None);
        let rb = if csrf {
            rb.header("x-affianca-csrf", "1")
        } else {
            rb
        };
        rb.json(&json!({"email": demo_email(Role::Observer), "password": DEMO_PASSWORD}))
            .send()
    };
    // API clients: the body, no cookie.
    let res = login(false).await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers().get("set-cookie").is_none());
    let body: Value = res.json().await.unwrap();
    assert!(body["refresh_token"].as_str().unwrap().starts_with("afr_"));
    // Browsers: the cookie, not the body.
    let res = login(true).await.unwrap();
    assert_eq!(res.status(), 200);
    let cookie = res
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    for attr in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/api/v1/auth"] {
        assert!(cookie.contains(attr), "{attr} in {cookie}");
    }
    let body: Value = res.json().await.unwrap();
    assert!(body.get("refresh_token").is_none(), "{body}");
    assert!(body["access_token"].is_string());
    let pair = cookie.split(';').next().unwrap().to_owned();
    assert!(pair.starts_with("affianca_refresh=afr_"));
    let refresh = |cookie: String, csrf: bool| {
        let rb = app
            .request(reqwest::Method::POST, "/api/v1/auth/refresh", None)
            .header("cookie", cookie);
        let rb = if csrf {
            rb.header("x-affianca-csrf", "1")
        } else {
            rb
        };
        rb.send()
    };
    // The cookie alone (a cross-site form) is refused.
    assert_problem(
        refresh(pair.clone(), false).await.unwrap(),
        403,
        "csrf_header_missing",
    )
    .await;
    let res = refresh(pair.clone(), true).await.unwrap();
    assert_eq!(res.status(), 200);
    let next = res
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    assert_ne!(next, pair);
    let body: Value = res.json().await.unwrap();
    assert!(body.get("refresh_token").is_none());
    let access = body["access_token"].as_str().unwrap().to_owned();
    assert_eq!(app.get("/api/v1/me", &access).await.status(), 200);
    // The spent cookie is refused, and cleared.
    let res = refresh(pair, true).await.unwrap();
    let cleared = res
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    assert_problem(res, 401, "invalid_refresh_token").await;
    // Logout from the cookie needs the header too, clears the cookie, ends the session.
    let logout = |csrf: bool| {
        let rb = app
            .request(reqwest::Method::POST, "/api/v1/auth/logout", None)
            .header("cookie", next.clone());
        let rb = if csrf {
            rb.header("x-affianca-csrf", "1")
        } else {
            rb
        };
        rb.send()
    };
    assert_problem(logout(false).await.unwrap(), 403, "csrf_header_missing").await;
    let res = logout(true).await.unwrap();
    assert_eq!(res.status(), 204);
    assert!(
        res.headers()
            .get("set-cookie")
            .unwrap()
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    assert_problem(app.get("/api/v1/me", &access).await, 401, "unauthenticated").await;
    // Without cookie nor body, refresh says the session is over.
    assert_problem(
        app.request(reqwest::Method::POST, "/api/v1/auth/refresh", None)
            .header("x-affianca-csrf", "1")
            .send()
            .await
            .unwrap(),
        401,
        "invalid_refresh_token",
    )
    .await;
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
