//! The client and Swagger UI work under the strict Content-Security-Policy: no inline script
//! (the client's loader runs by hash), no violation in the console.

use affianca_domain::Role;
use affianca_tests::browser::{
    browser, console_messages, log_in_demo, start_driver, wait_for, wait_for_text,
};
use affianca_tests::{demo_email, spawn_app, workspace_root};

/// Messages about the Content-Security-Policy (each violation is logged as an error).
fn violations(messages: &[String]) -> Vec<&String> {
    messages
        .iter()
        .filter(|m| m.contains("Content Security Policy") || m.contains("Content-Security-Policy"))
        .collect()
}

#[tokio::test]
async fn the_client_and_swagger_ui_run_under_the_content_security_policy() {
    assert!(
        workspace_root()
            .join("crates/web/dist/index.html")
            .is_file(),
        "the web client is not built: run `just web` (just test does)"
    );
    let app = spawn_app().await;
    let driver = start_driver().await;
    let profile = tempfile::tempdir().unwrap();
    let client = browser(&driver, profile.path()).await;

    // The app loads (its inline loader script is allowed by hash), signs in and renders pages.
    log_in_demo(
        &client,
        &app.address,
        demo_email(Role::Secretariat),
        "Giulia Bianchi",
    )
    .await;
    client.goto(&app.url("/enti/016024")).await.unwrap();
    wait_for_text(&client, "#may-request-support", |t| t.contains(':')).await;
    for page in [
        "/richieste",
        "/monitoraggio/cruscotto",
        "/monitoraggio/enti/016024",
    ] {
        client.goto(&app.url(page)).await.unwrap();
        wait_for(&client, "main h1").await;
        tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    }
    let messages = console_messages(&driver, &client).await;
    assert!(
        violations(&messages).is_empty(),
        "CSP violations in the client: {messages:#?}"
    );

    // Swagger UI renders the document, its operations and their icons.
    client.goto(&app.url("/api/docs/")).await.unwrap();
    let title = wait_for_text(&client, ".swagger-ui .info .title", |t| !t.is_empty()).await;
    assert!(title.contains("Affianca"), "{title}");
    wait_for(&client, ".swagger-ui .opblock").await;
    wait_for(&client, ".swagger-ui .opblock-summary")
        .await
        .click()
        .await
        .unwrap();
    wait_for(&client, ".swagger-ui .opblock-body").await;
    let messages = console_messages(&driver, &client).await;
    assert!(
        violations(&messages).is_empty(),
        "CSP violations in Swagger UI: {messages:#?}"
    );
    client.close().await.unwrap();
}
