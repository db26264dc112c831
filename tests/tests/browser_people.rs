//! The people and programme pages in a real browser: the secretariat adds an expert and appoints
//! them coordinator, creates a phase and enables authorities (a list with a bad code is refused
//! whole, then a pasted list and a CSV file), schedules a province meeting; the mayor of Bergamo
//! confirms attendance; the secretariat sees it in the attendance list.

use affianca_tests::browser::{
    browser, click, log_in_demo as log_in, log_out, screenshot, select, set_value, start_driver,
    type_into, wait_for, wait_for_text,
};
use affianca_tests::{spawn_app, workspace_root};
use fantoccini::{Client, Locator};
use std::time::{Duration, Instant};

/// Waits (at most 15 s) until `css` matches `n` elements.
async fn wait_for_count(client: &Client, css: &str, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let found = client.find_all(Locator::Css(css)).await.unwrap().len();
        if found == n {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{css}: {found} elements, expected {n}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn the_secretariat_manages_experts_phases_and_meetings_and_a_mayor_answers() {
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
    let url = app.url("");

    // ---- experts ------------------------------------------------------------------------------
    log_in(
        &client,
        &url,
        "segreteria@demo.affianca.it",
        "Giulia Bianchi",
    )
    .await;
    click(&client, "#nav-esperti").await;
    wait_for_text(&client, "#experts-table", |t| t.contains("Anna Colombo")).await;

    // A form with nothing chosen is refused on the spot, next to the fields.
    click(&client, "#create-expert").await;
    wait_for(&client, "[data-error-for=task_forces]").await;
    wait_for(&client, "[data-error-for=email]").await;

    type_into(&client, "#expert-email", "sara.verdi@esperti.example.it").await;
    type_into(&client, "#expert-name", "Sara Verdi").await;
    click(&client, "label[for='expert-tf-environmental_assessments']").await;
    click(&client, "label[for='expert-provinces-BG']").await;
    click(&client, "label[for='expert-provinces-BS']").await;
    type_into(
        &client,
        "#expert-profile",
        "Ingegnera ambientale, AUA e VIA",
    )
    .await;
    type_into(&client, "#expert-max", "4").await;
    click(&client, "#create-expert").await;
    wait_for_text(&client, "#expert-news", |t| t.contains("Esperto aggiunto")).await;
    let summary = wait_for_text(&client, "[data-field=task_forces]", |t| !t.is_empty()).await;
    assert!(summary.contains("ambientali"), "{summary}");
    assert_eq!(
        wait_for_text(&client, "[data-field=provinces]", |t| !t.is_empty()).await,
        "BG, BS"
    );

    // Appointed coordinator of her task force.
    click(&client, "#coordinator-environmental_assessments").await;
    wait_for_text(&client, "#expert-news", |t| {
        t.contains("Nominato coordinatore")
    })
    .await;
    wait_for_text(&client, "[data-field=coordinator_of]", |t| {
        t.contains("ambientali")
    })
    .await;

    // The secretariat changes her load; the directory filter by province finds her.
    type_into(&client, "#edit-max", "7").await;
    click(&client, "#save-expert").await;
    wait_for_text(&client, "#expert-news", |t| t.contains("Profilo salvato")).await;
    wait_for_text(&client, "[data-field=max_concurrent_requests]", |t| {
        t == "7"
    })
    .await;
    screenshot(&client, "expert-profile").await;
    client.goto(&app.url("/esperti")).await.unwrap();
    select(&client, "#filter-task-force", "environmental_assessments").await;
    wait_for_text(&client, "#experts-table", |t| {
        t.contains("Sara Verdi") && !t.contains("Anna Colombo")
    })
    .await;
    screenshot(&client, "experts").await;

    // ---- phases -------------------------------------------------------------------------------
    click(&client, "#nav-fasi").await;
    wait_for(&client, "#phases-table").await;
    type_into(&client, "#phase-name", "Seconda fase — Valle Camonica").await;
    set_value(&client, "#phase-start", "2026-03-01").await;
    type_into(&client, "#phase-description", "Comuni della Valle Camonica").await;
    click(&client, "#create-phase").await;
    wait_for_text(&client, "h1", |t| t.contains("Seconda fase")).await;
    wait_for(&client, "#phase-authorities-empty").await;

    // One unknown code: nothing is enabled and the error says which one.
    type_into(&client, "#enable-codes", "017029 999999").await;
    click(&client, "#enable-submit").await;
    let error = wait_for_text(&client, "[data-testid=error]", |t| t.contains("Codice 2")).await;
    assert!(
        error.contains("999999") || error.contains("Codice 2"),
        "{error}"
    );
    assert!(
        client
            .find(Locator::Css("#phase-authorities"))
            .await
            .is_err()
    );

    type_into(&client, "#enable-codes", "017029").await;
    click(&client, "#enable-submit").await;
    wait_for_text(&client, "#phase-news", |t| t.contains("1 ente abilitato")).await;
    wait_for_count(&client, "#phase-authorities tbody tr", 1).await;

    // A CSV file with a header and two codes, one already enabled.
    let csv = profile.path().join("enti.csv");
    std::fs::write(&csv, "istat_code;nome\n017029;Brescia\n016024;Bergamo\n").unwrap();
    wait_for(&client, "#enable-csv")
        .await
        .send_keys(csv.to_str().unwrap())
        .await
        .unwrap();
    wait_for_text(&client, "#phase-news", |t| {
        t.contains("1 ente abilitato; 1 era già abilitato")
    })
    .await;
    wait_for_count(&client, "#phase-authorities tbody tr", 2).await;
    screenshot(&client, "phase").await;

    click(&client, "#remove-017029").await;
    wait_for_text(&client, "#phase-news", |t| {
        t.contains("non è più abilitato")
    })
    .await;
    wait_for_count(&client, "#phase-authorities tbody tr", 1).await;
    wait_for(&client, "#phase-authorities tr[data-istat-code='016024']").await;

    // ---- meetings -----------------------------------------------------------------------------
    click(&client, "#nav-incontri").await;
    wait_for(&client, "#new-meeting-form").await;
    select(&client, "#meeting-province", "BG").await;
    set_value(&client, "#meeting-starts", "2027-01-15T10:00").await;
    type_into(
        &client,
        "#meeting-place",
        "Sala consiliare, Via Tasso 8, Bergamo",
    )
    .await;
    type_into(&client, "#meeting-agenda", "Avvio del supporto agli enti").await;
    click(&client, "label[for='meeting-invite-all']").await;
    type_into(&client, "#meeting-codes", "016024 016011").await;
    click(&client, "#create-meeting").await;
    let when = wait_for_text(&client, "[data-field=starts_at]", |t| !t.is_empty()).await;
    assert!(
        when.contains("15 gennaio 2027") && when.contains("10:00"),
        "{when}"
    );
    wait_for_count(&client, "#attendance-table tbody tr", 2).await;
    wait_for(
        &client,
        "#attendance-table tr[data-istat-code='016024'][data-response=pending]",
    )
    .await;
    wait_for(&client, "#download-attendance").await;
    let meeting_url = client.current_url().await.unwrap().to_string();
    log_out(&client).await;

    // The mayor of Bergamo confirms for three people.
    log_in(
        &client,
        &url,
        "sindaco.bergamo@demo.affianca.it",
        "Sindaco di Bergamo",
    )
    .await;
    click(&client, "#nav-incontri").await;
    wait_for(&client, "#meetings-table a")
        .await
        .click()
        .await
        .unwrap();
    wait_for_text(&client, "[data-testid=rsvp-current]", |t| {
        t.contains("In attesa")
    })
    .await;
    // Authority users see only their own invitation.
    wait_for_count(&client, "#attendance-table tbody tr", 1).await;
    assert!(
        client
            .find(Locator::Css("#download-attendance"))
            .await
            .is_err()
    );
    click(&client, "label[for='rsvp-yes-016024']").await;
    type_into(&client, "#rsvp-people-016024", "3").await;
    click(&client, "#rsvp-submit-016024").await;
    wait_for_text(&client, "#meeting-news", |t| {
        t.contains("confermata (3 persone)")
    })
    .await;
    wait_for(
        &client,
        "#attendance-table tr[data-istat-code='016024'][data-response=attending]",
    )
    .await;
    screenshot(&client, "meeting-rsvp").await;
    log_out(&client).await;

    // The secretariat sees the answer in the attendance list.
    log_in(
        &client,
        &url,
        "segreteria@demo.affianca.it",
        "Giulia Bianchi",
    )
    .await;
    client.goto(&meeting_url).await.unwrap();
    let attendance = wait_for_text(&client, "[data-field=attendance]", |t| {
        t.contains("1 confermati")
    })
    .await;
    assert!(attendance.contains("3 persone attese"), "{attendance}");
    screenshot(&client, "meeting-attendance").await;

    client.close().await.unwrap();
}
