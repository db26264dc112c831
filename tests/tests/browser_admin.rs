//! The administration pages in a real browser: the demo admin creates an observer for the
//! Provincia di Bergamo, grants and revokes a role, then finds all of it in the audit log; a
//! non-admin sees neither the links nor the pages.

use affianca_domain::Role;
use affianca_tests::browser::{
    browser, click, screenshot, start_driver, type_into, wait_for, wait_for_text,
};
use affianca_tests::{DEMO_PASSWORD, demo_email, spawn_app, workspace_root};
use fantoccini::{Client, Locator};
use std::time::{Duration, Instant};

const NEW_EMAIL: &str = "ufficio.pnrr@provincia.bergamo.it";
const NEW_NAME: &str = "Ufficio PNRR Provincia di Bergamo";

async fn select(client: &Client, css: &str, value: &str) {
    wait_for(client, css)
        .await
        .select_by_value(value)
        .await
        .unwrap_or_else(|e| panic!("option {value} of {css}: {e}"));
}

/// Waits (at most 15 s) until no element matches.
async fn wait_gone(client: &Client, css: &str) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline {
        if client
            .find_all(Locator::Css(css))
            .await
            .is_ok_and(|v| v.is_empty())
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{css} is still there");
}

/// The texts of every element matching `css`.
async fn texts(client: &Client, css: &str) -> Vec<String> {
    let mut out = Vec::new();
    for el in client.find_all(Locator::Css(css)).await.unwrap() {
        out.push(el.text().await.unwrap());
    }
    out
}

async fn log_in(client: &Client, email: &str) {
    type_into(client, "#email", email).await;
    type_into(client, "#password", DEMO_PASSWORD).await;
    click(client, "#login-submit").await;
    wait_for_text(client, "#user-name", |t| !t.is_empty()).await;
}

#[tokio::test]
async fn the_admin_manages_a_user_and_reads_the_audit_log() {
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

    // Straight to the user list: the login comes first, then back to it.
    client
        .goto(&app.url("/amministrazione/utenti"))
        .await
        .unwrap();
    wait_for(&client, "#email").await;
    log_in(&client, demo_email(Role::Admin)).await;
    assert_eq!(demo_email(Role::Admin), "admin@demo.affianca.it");
    wait_for(&client, "#users-table").await;
    wait_for_text(&client, "#users-count", |t| t.contains("utenti trovati")).await;
    wait_for(&client, "#nav-utenti").await;
    wait_for(&client, "#nav-registro").await;

    // A new observer for the province of Bergamo, first with a password the server refuses.
    click(&client, "#new-user-toggle").await;
    type_into(&client, "#new-user-name", NEW_NAME).await;
    type_into(&client, "#new-user-email", NEW_EMAIL).await;
    type_into(&client, "#new-user-password", "corta").await;
    select(&client, "#new-user-grant-0-role", "observer").await;
    select(&client, "#new-user-grant-0-scope", "BG").await;
    screenshot(&client, "admin-01-new-user-form").await;
    click(&client, "#new-user-submit").await;
    let msg = wait_for_text(&client, "[data-error-for='password']", |t| !t.is_empty()).await;
    assert!(msg.contains("12 caratteri"), "{msg}");
    assert_eq!(
        wait_for(&client, "#new-user-password")
            .await
            .attr("aria-invalid")
            .await
            .unwrap()
            .as_deref(),
        Some("true")
    );
    screenshot(&client, "admin-02-new-user-422").await;

    type_into(
        &client,
        "#new-user-password",
        "una password lunga abbastanza",
    )
    .await;
    click(&client, "#new-user-submit").await;
    let created = wait_for_text(&client, "#user-created", |t| t.contains(NEW_EMAIL)).await;
    assert!(created.contains(NEW_NAME), "{created}");

    // In the list, with its role and scope.
    let row = format!("#users-table tr[data-email='{NEW_EMAIL}']");
    let row_text = wait_for_text(&client, &row, |t| t.contains(NEW_NAME)).await;
    assert!(
        row_text.contains("Osservatore · provincia BG"),
        "{row_text}"
    );
    assert!(row_text.contains("Sì"), "{row_text}");
    screenshot(&client, "admin-03-users-list").await;

    // The same e-mail again is a conflict, shown as a message.
    click(&client, "#new-user-toggle").await;
    type_into(&client, "#new-user-name", "Doppione").await;
    type_into(&client, "#new-user-email", NEW_EMAIL).await;
    type_into(
        &client,
        "#new-user-password",
        "una password lunga abbastanza",
    )
    .await;
    select(&client, "#new-user-grant-0-role", "observer").await;
    select(&client, "#new-user-grant-0-scope", "region").await;
    click(&client, "#new-user-submit").await;
    let conflict = wait_for_text(&client, "#new-user-failure [data-testid='error']", |t| {
        !t.is_empty()
    })
    .await;
    assert!(conflict.contains("Esiste già"), "{conflict}");
    click(&client, "#new-user-cancel").await;
    wait_gone(&client, "#new-user-form").await;

    // Its page.
    click(&client, &format!("{row} a")).await;
    let heading = wait_for_text(&client, "h1#user-full-name", |t| !t.is_empty()).await;
    assert_eq!(heading, NEW_NAME);
    wait_for(
        &client,
        "#grants-table tr[data-grant='observer@province:BG']",
    )
    .await;
    screenshot(&client, "admin-04-user-detail").await;

    // Another role: delegate of the Comune di Bergamo, typed as an ISTAT code.
    select(&client, "#grant-role", "authority_delegate").await;
    type_into(&client, "#grant-scope", "016024").await;
    wait_for_text(&client, "[data-testid='scope-authority']", |t| {
        t.contains("Bergamo")
    })
    .await;
    screenshot(&client, "admin-05-add-grant").await;
    click(&client, "#add-grant-submit").await;
    wait_for_text(&client, "#grant-status", |t| t.contains("Ruolo assegnato")).await;
    let delegate = "#grants-table tr[data-grant='authority_delegate@authority:016024']";
    wait_for(&client, delegate).await;

    // Granting it twice is a conflict.
    select(&client, "#grant-role", "authority_delegate").await;
    type_into(&client, "#grant-scope", "016024").await;
    click(&client, "#add-grant-submit").await;
    let twice = wait_for_text(&client, "#add-grant-failure [data-testid='error']", |t| {
        !t.is_empty()
    })
    .await;
    assert!(twice.contains("già"), "{twice}");

    // Revoke it, after confirming.
    click(&client, &format!("{delegate} button[id^='revoke-']")).await;
    let confirm = wait_for(
        &client,
        &format!("{delegate} button[id^='confirm-revoke-']"),
    )
    .await;
    screenshot(&client, "admin-06-confirm-revoke").await;
    confirm.click().await.unwrap();
    wait_for_text(&client, "#grant-status", |t| t.contains("Ruolo revocato")).await;
    wait_gone(&client, delegate).await;
    wait_for(
        &client,
        "#grants-table tr[data-grant='observer@province:BG']",
    )
    .await;
    screenshot(&client, "admin-07-revoked").await;

    // The audit log has all three.
    click(&client, "#nav-registro").await;
    wait_for(&client, "#audit-table").await;
    wait_for_text(&client, "#audit-count", |t| t.contains("eventi trovati")).await;
    let actions = texts(&client, "#audit-table [data-field='action']").await;
    for expected in ["Utente creato", "Ruolo assegnato", "Ruolo revocato"] {
        assert!(
            actions.iter().any(|a| a == expected),
            "{expected} missing from {actions:?}"
        );
    }
    // No way to change it.
    assert!(
        client
            .find_all(Locator::Css("#audit-table button, #audit-table input"))
            .await
            .unwrap()
            .is_empty()
    );
    // The newest entry's details, expanded.
    client
        .execute(
            "const d = document.querySelector('#audit-table details'); \
             if (d) { d.open = true; } \
             document.getElementById('audit-count').scrollIntoView();",
            vec![],
        )
        .await
        .unwrap();
    screenshot(&client, "admin-08-audit").await;

    // Filtered by action, through the URL.
    select(&client, "#audit-action", "grant_revoked").await;
    wait_for_text(&client, "#audit-count", |t| t == "1 evento trovato").await;
    let url = client.current_url().await.unwrap();
    assert_eq!(url.query(), Some("azione=grant_revoked"), "{url}");
    let rows = texts(&client, "#audit-table [data-field='action']").await;
    assert_eq!(rows, ["Ruolo revocato"]);
    // Who: the admin's e-mail or, when the server records only the user id (as it does today
    // for admin actions), a link to the account.
    let actor = texts(&client, "#audit-table [data-field='actor']").await;
    assert!(
        actor == ["admin@demo.affianca.it"] || actor[0].starts_with("Utente "),
        "{actor:?}"
    );
    screenshot(&client, "admin-09-audit-filtered").await;

    // A reload keeps the filter.
    client.refresh().await.unwrap();
    wait_for_text(&client, "#audit-count", |t| t == "1 evento trovato").await;

    // The home page has the two admin cards; the user list on a phone.
    click(&client, "#nav-home").await;
    wait_for(&client, "#card-utenti").await;
    wait_for(&client, "#card-registro").await;
    screenshot(&client, "admin-10-home").await;
    client.set_window_size(390, 844).await.unwrap();
    click(&client, "#nav-utenti").await;
    wait_for(&client, "#users-table").await;
    click(&client, "#new-user-toggle").await;
    select(&client, "#new-user-grant-0-role", "expert").await;
    wait_for(&client, "select#new-user-grant-0-scope").await;
    screenshot(&client, "admin-11-phone-new-user").await;
    client.set_window_size(1280, 900).await.unwrap();

    // Someone else sees no admin links, and the pages say so.
    click(&client, "#logout").await;
    wait_for(&client, "#email").await;
    log_in(&client, demo_email(Role::Secretariat)).await;
    wait_for(&client, "#nav-enti").await;
    assert!(
        client
            .find_all(Locator::Css(
                "#nav-utenti, #nav-registro, #card-utenti, #card-registro"
            ))
            .await
            .unwrap()
            .is_empty()
    );
    client
        .goto(&app.url("/amministrazione/registro"))
        .await
        .unwrap();
    let refused = wait_for_text(&client, "[data-testid='not-authorized']", |t| !t.is_empty()).await;
    assert!(refused.contains("Non autorizzato"), "{refused}");
    screenshot(&client, "admin-12-not-authorized").await;

    client.close().await.unwrap();
}
