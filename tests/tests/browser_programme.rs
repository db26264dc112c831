//! The programme in a real browser: the authority page shows whether the authority may ask for
//! support (the demo data approves Bergamo, 016024, and enables it in a started phase), and the
//! directory filters by it, keeping the filter in the URL.

use affianca_tests::browser::{
    browser, click, log_in_demo as log_in, log_out, screenshot, start_driver, wait_for,
    wait_for_text,
};
use affianca_tests::{spawn_app, workspace_root};
use fantoccini::{Client, Locator};
use std::time::{Duration, Instant};

/// Waits (at most 15 s) until the directory lists the row `istat` (or, with `present` false,
/// until it answers without it).
async fn wait_for_row(client: &Client, istat: &str, present: bool) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        wait_for(client, "#result-count[data-total]").await;
        let found = client
            .find(Locator::Css(&format!(
                "#authorities-table tr[data-istat='{istat}']"
            )))
            .await
            .is_ok();
        if found == present {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "row {istat} present: {found}, expected {present}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn the_authority_page_and_the_directory_show_who_may_ask_for_support() {
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

    // The mayor of Bergamo sees that the comune may ask for support, and why.
    log_in(
        &client,
        &app.url(""),
        "sindaco.bergamo@demo.affianca.it",
        "Sindaco di Bergamo",
    )
    .await;
    client.goto(&app.url("/enti/016024")).await.unwrap();
    let may = wait_for_text(&client, "#may-request-support", |t| t.contains(':')).await;
    assert!(may.contains("Può chiedere supporto: sì"), "{may}");
    let status = wait_for_text(&client, "[data-field=registration_status]", |t| {
        !t.is_empty()
    })
    .await;
    assert!(status.to_lowercase().contains("approvat"), "{status}");
    let phases = wait_for_text(&client, "#programme-phases tbody", |t| !t.is_empty()).await;
    assert!(phases.contains("avviata"), "{phases}");
    assert!(!phases.contains("non ancora avviata"), "{phases}");
    client
        .execute(
            "document.getElementById('programme-status').scrollIntoView()",
            vec![],
        )
        .await
        .unwrap();
    screenshot(&client, "prog-01-authority-status").await;

    // Another authority's standing is not the mayor's to see (DOMAIN.md §2).
    client.goto(&app.url("/enti/016025")).await.unwrap();
    let note = wait_for_text(&client, "#programme-status-scope", |t| !t.is_empty()).await;
    assert!(note.contains("visibile"), "{note}");

    // The directory filter, kept in the URL.
    client
        .goto(&app.url("/enti?q=Ber&provincia=BG"))
        .await
        .unwrap();
    wait_for_row(&client, "016025", true).await;
    let select = wait_for(&client, "#filter-support").await;
    select.select_by_value("si").await.unwrap();
    wait_for_row(&client, "016025", false).await;
    wait_for_row(&client, "016024", true).await;
    let url = client.current_url().await.unwrap();
    assert!(url.query().unwrap_or("").contains("supporto=si"), "{url}");
    screenshot(&client, "prog-03-directory-support").await;

    let select = wait_for(&client, "#filter-support").await;
    select.select_by_value("no").await.unwrap();
    wait_for_row(&client, "016024", false).await;
    wait_for_row(&client, "016025", true).await;
    let url = client.current_url().await.unwrap();
    assert!(url.query().unwrap_or("").contains("supporto=no"), "{url}");

    // A reload keeps the filter.
    client.refresh().await.unwrap();
    wait_for_row(&client, "016025", true).await;
    let selected = wait_for(&client, "#filter-support")
        .await
        .prop("value")
        .await
        .unwrap();
    assert_eq!(selected.as_deref(), Some("no"));

    // Resetting the filters clears it too.
    click(&client, "#filters-reset").await;
    let deadline = Instant::now() + Duration::from_secs(15);
    while client.current_url().await.unwrap().query().is_some() {
        assert!(Instant::now() < deadline, "the filters stay in the URL");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let selected = wait_for(&client, "#filter-support")
        .await
        .prop("value")
        .await
        .unwrap();
    assert_eq!(selected.as_deref(), Some(""));

    // The province's observer sees that an authority without a registration may not.
    log_out(&client).await;
    log_in(
        &client,
        &app.url(""),
        "osservatore.bg@demo.affianca.it",
        "Ufficio PNRR Provincia di Bergamo",
    )
    .await;
    client.goto(&app.url("/enti/016025")).await.unwrap();
    let may = wait_for_text(&client, "#may-request-support", |t| t.contains(':')).await;
    assert!(may.contains("Può chiedere supporto: no"), "{may}");
    wait_for(&client, "[data-testid=no-phases]").await;
    screenshot(&client, "prog-02-authority-no-support").await;
    client.close().await.unwrap();
}
