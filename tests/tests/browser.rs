//! The web client in a real browser: a demo user logs in, finds the comuni of Bergamo, opens one.

use affianca_domain::Role;
use affianca_tests::browser::{browser, screenshot, start_driver, wait_for, wait_for_text};
use affianca_tests::{DEMO_PASSWORD, demo_email, spawn_app, workspace_root};
use fantoccini::Locator;

#[tokio::test]
async fn the_secretariat_logs_in_searches_bergamo_and_opens_it() {
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

    // A protected page sends an anonymous visitor to the login form.
    client.goto(&app.url("/enti")).await.unwrap();
    let email = wait_for(&client, "#email").await;
    assert!(
        client
            .current_url()
            .await
            .unwrap()
            .path()
            .starts_with("/accedi")
    );
    email
        .send_keys(demo_email(Role::Secretariat))
        .await
        .unwrap();
    client
        .find(Locator::Css("#password"))
        .await
        .unwrap()
        .send_keys(DEMO_PASSWORD)
        .await
        .unwrap();
    screenshot(&client, "01-login").await;
    client
        .find(Locator::Css("#login-submit"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();

    let name = wait_for_text(&client, "#user-name", |t| !t.is_empty()).await;
    assert!(name.contains("Giulia Bianchi"), "{name}");
    let roles = wait_for_text(&client, "#user-roles", |t| !t.is_empty()).await;
    assert!(roles.contains("Segreteria Tecnica"), "{roles}");

    // Back on the directory it asked for; search Bergamo.
    let search = wait_for(&client, "#search-q").await;
    search.send_keys("Bergamo").await.unwrap();
    wait_for(&client, "#authorities-table tr[data-istat='016024']").await;
    // The comune and the Provincia di Bergamo.
    let count = wait_for_text(&client, "#result-count", |t| t.starts_with("2 ")).await;
    assert!(count.contains("enti"), "{count}");
    screenshot(&client, "02-search-bergamo").await;

    client
        .find(Locator::Css("#authorities-table tr[data-istat='016024'] a"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let heading = wait_for_text(&client, "h1#authority-name", |t| t.contains("Bergamo")).await;
    assert_eq!(heading, "Bergamo");
    assert!(
        client
            .current_url()
            .await
            .unwrap()
            .path()
            .ends_with("/enti/016024")
    );
    let fields = wait_for(&client, "[data-testid='authority-fields']")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        fields.contains("A794") && fields.contains("016024"),
        "{fields}"
    );
    let shot = screenshot(&client, "03-authority-bergamo").await;
    assert!(
        std::fs::metadata(&shot).unwrap().len() > 10_000,
        "a real screenshot"
    );

    // The province filter, through the URL the directory keeps in sync.
    client.goto(&app.url("/enti?provincia=BG")).await.unwrap();
    wait_for_text(&client, "#result-count", |t| t.contains("244")).await;

    // No token within reach of scripts: the refresh token is in an HttpOnly cookie, the access
    // token in memory.
    let visible = client
        .execute(
            "return JSON.stringify(Object.assign({}, window.localStorage)) + ' ' + JSON.stringify(Object.assign({}, window.sessionStorage)) + ' ' + document.cookie",
            vec![],
        )
        .await
        .unwrap();
    let visible = visible.as_str().unwrap();
    assert!(
        !visible.contains("afr_") && !visible.contains("eyJ"),
        "a token is readable by scripts: {visible}"
    );
    // A reload keeps the user signed in (silently, with the cookie).
    client.refresh().await.unwrap();
    let name = wait_for_text(&client, "#user-name", |t| !t.is_empty()).await;
    assert!(name.contains("Giulia Bianchi"), "{name}");
    wait_for_text(&client, "#result-count", |t| t.contains("244")).await;

    client
        .find(Locator::Css("#logout"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(&client, "#email").await;
    client.close().await.unwrap();
}
