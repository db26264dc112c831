use affianca_domain::Role;
use affianca_domain::dto::Status;
use affianca_tests::{assert_problem, spawn_app};
use reqwest::Method;

#[tokio::test]
async fn status_reports_the_database_and_version() {
    let app = spawn_app().await;
    let res = app
        .request(Method::GET, "/api/v1/status", None)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let status: Status = res.json().await.unwrap();
    assert_eq!(status.status, "ok");
    assert_eq!(status.database, "ok");
    assert_eq!(status.version, env!("CARGO_PKG_VERSION"));
}

#[tokio::test]
async fn malformed_json_is_400_and_wrong_content_type_is_415() {
    let app = spawn_app().await;
    let res = app
        .request(Method::POST, "/api/v1/auth/login", None)
        .header("content-type", "application/json")
        .body("{\"email\": ")
        .send()
        .await
        .unwrap();
    assert_problem(res, 400, "malformed_request").await;
    let res = app
        .request(Method::POST, "/api/v1/auth/login", None)
        .header("content-type", "text/plain")
        .body("hello")
        .send()
        .await
        .unwrap();
    assert_problem(res, 415, "unsupported_media_type").await;
}

#[tokio::test]
async fn an_oversized_body_is_413() {
    let app = spawn_app().await;
    let token = app.token_for(Role::Secretariat).await;
    let big = serde_json::json!({"code": "BIG", "task_force": "waste", "name": "x".repeat(100_000), "legal_term_days": 5});
    assert_problem(
        app.post_json("/api/v1/procedures", Some(&token), &big)
            .await,
        413,
        "payload_too_large",
    )
    .await;
}

#[tokio::test]
async fn unknown_api_paths_are_404_problems() {
    let app = spawn_app().await;
    for path in [
        "/api/v1/nothing-here",
        "/api/v2/authorities",
        "/api/v1/authorities/016024/extra",
    ] {
        let res = app.request(Method::GET, path, None).send().await.unwrap();
        assert_problem(res, 404, "not_found").await;
    }
}

#[tokio::test]
async fn every_response_carries_a_request_id_and_a_sane_one_is_echoed() {
    let app = spawn_app().await;
    let res = app
        .request(Method::GET, "/api/v1/status", None)
        .header("x-request-id", "abc-123_X")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers().get("x-request-id").unwrap(), "abc-123_X");
    let res = app
        .request(Method::GET, "/api/v1/me", None)
        .send()
        .await
        .unwrap();
    let generated = res.headers().get("x-request-id").unwrap().to_str().unwrap();
    assert_eq!(generated.len(), 36, "a UUID is generated: {generated}");
    // A header that could inject into logs is replaced.
    let res = app
        .request(Method::GET, "/api/v1/status", None)
        .header("x-request-id", "bad id\twith spaces")
        .send()
        .await
        .unwrap();
    assert_ne!(
        res.headers().get("x-request-id").unwrap(),
        "bad id\twith spaces"
    );
}

#[tokio::test]
async fn swagger_ui_is_served_without_internet() {
    let app = spawn_app().await;
    let res = app
        .request(Method::GET, "/api/docs/", None)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains("swagger-ui"), "{html}");
    assert!(
        !html.contains("https://"),
        "no asset is loaded from the internet"
    );
    let res = app
        .request(Method::GET, "/api/docs/swagger-ui-bundle.js", None)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}
