//! The whole story of a support request in a real browser: Brescia's delegate files a request
//! with the wizard; the secretariat takes it in charge and assigns the suggested expert; the
//! expert starts, logs an activity and completes with a report; the delegate closes it with
//! feedback. Each step shows only the actions the state machine allows.

use affianca_tests::browser::{
    browser, click, log_in_demo as log_in, log_out, screenshot, select, start_driver, type_into,
    wait_for, wait_for_text,
};
use affianca_tests::{spawn_app, workspace_root};
use fantoccini::{Client, Locator};

/// The action buttons shown, by action code.
async fn actions(client: &Client) -> Vec<String> {
    let mut out = Vec::new();
    for b in client
        .find_all(Locator::Css("button[id^='action-']:not(#action-confirm)"))
        .await
        .unwrap()
    {
        out.push(
            b.attr("id")
                .await
                .unwrap()
                .unwrap()
                .trim_start_matches("action-")
                .to_owned(),
        );
    }
    out
}

async fn status_is(client: &Client, code: &str) {
    wait_for(client, &format!("#request-status[data-status={code}]")).await;
}

/// Opens an action, fills its text (if any) and confirms; waits for the new status.
async fn act(client: &Client, action: &str, text: Option<&str>, then: &str) {
    click(client, &format!("#action-{action}")).await;
    wait_for(client, "#action-form").await;
    if let Some(t) = text {
        type_into(client, "#action-text", t).await;
    }
    click(client, "#action-confirm").await;
    status_is(client, then).await;
}

#[tokio::test]
async fn a_request_from_filing_to_closing_in_the_browser() {
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

    // ---- the delegate files it ------------------------------------------------------------------
    log_in(
        &client,
        &url,
        "delegato.brescia@demo.affianca.it",
        "Luca Rossi",
    )
    .await;
    click(&client, "#nav-richieste").await;
    click(&client, "#new-request").await;
    // Nothing chosen: the wizard says what is missing.
    click(&client, "#wizard-next-1").await;
    wait_for(&client, "[data-error-for=task_force]").await;
    select(&client, "#request-task-force", "building_planning").await;
    select(&client, "#request-procedure", "PAESAGGISTICA").await;
    click(&client, "#wizard-next-1").await;
    type_into(
        &client,
        "#request-subject",
        "Arretrato di autorizzazioni paesaggistiche",
    )
    .await;
    type_into(
        &client,
        "#request-description",
        "Circa 60 pratiche in attesa: serve supporto all'istruttoria e alla commissione.",
    )
    .await;
    select(&client, "#request-urgency", "high").await;
    type_into(&client, "#request-files", "60").await;
    type_into(
        &client,
        "#request-contact",
        "Ufficio paesaggio, 030 2977111",
    )
    .await;
    click(&client, "#wizard-next-2").await;
    // An attachment, chosen in the wizard, goes with the request.
    let pdf = profile.path().join("elenco-pratiche.pdf");
    std::fs::write(&pdf, affianca_tests::files::pdf("elenco delle pratiche")).unwrap();
    wait_for(&client, "#wizard-files-input")
        .await
        .send_keys(pdf.to_str().unwrap())
        .await
        .unwrap();
    wait_for_text(&client, "#wizard-files-list", |t| {
        t.contains("elenco-pratiche.pdf")
    })
    .await;
    click(&client, "#wizard-next-3").await;
    wait_for_text(&client, "#wizard-review", |t| {
        t.contains("Autorizzazione paesaggistica")
    })
    .await;
    screenshot(&client, "request-wizard-review").await;
    click(&client, "#wizard-submit").await;
    status_is(&client, "submitted").await;
    assert_eq!(actions(&client).await, ["withdraw"]);
    wait_for_text(&client, "#files", |t| t.contains("elenco-pratiche.pdf")).await;
    let request_url = client.current_url().await.unwrap().to_string();
    // A message for the secretariat.
    type_into(
        &client,
        "#message-body",
        "Possiamo mandare l'elenco delle pratiche.",
    )
    .await;
    click(&client, "#message-send").await;
    wait_for_text(&client, "#messages", |t| {
        t.contains("elenco delle pratiche")
    })
    .await;
    log_out(&client).await;

    // ---- the secretariat takes charge and assigns -------------------------------------------------
    log_in(
        &client,
        &url,
        "segreteria@demo.affianca.it",
        "Giulia Bianchi",
    )
    .await;
    click(&client, "#nav-richieste").await;
    click(&client, "#view-triage").await;
    wait_for_text(&client, "#requests-table", |t| {
        t.contains("Arretrato di autorizzazioni")
    })
    .await;
    screenshot(&client, "requests-triage").await;
    client.goto(&request_url).await.unwrap();
    status_is(&client, "submitted").await;
    assert_eq!(actions(&client).await, ["take_charge", "reject"]);
    click(&client, "#action-take_charge").await;
    click(&client, "#action-confirm").await;
    status_is(&client, "under_review").await;
    click(&client, "#action-assign").await;
    // The suggested expert is preselected as lead.
    wait_for(&client, "#candidates tr[data-suggested=true]").await;
    let suggested = wait_for_text(&client, "#candidates tr[data-suggested=true]", |t| {
        !t.is_empty()
    })
    .await;
    assert!(suggested.contains("Anna Colombo"), "{suggested}");
    screenshot(&client, "request-assign").await;
    // An internal note stays among staff.
    type_into(
        &client,
        "#message-body",
        "Anna conosce già l'ufficio di Brescia.",
    )
    .await;
    click(&client, "label[for='message-internal']").await;
    click(&client, "#message-send").await;
    wait_for(&client, "#messages li[data-internal=true]").await;
    click(&client, "#action-confirm").await;
    status_is(&client, "assigned").await;
    wait_for_text(&client, "[data-field=assignees]", |t| {
        t.contains("Anna Colombo")
    })
    .await;
    // The service report counts it for its task force.
    click(&client, "#nav-rapporti").await;
    let row = wait_for_text(
        &client,
        "#report-task-forces tr[data-task-force=building_planning]",
        |t| t.contains("Edilizia"),
    )
    .await;
    // Submitted 1, open 1, overdue 0.
    let cells = row.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(cells.starts_with("Edilizia e urbanistica 1 1 0"), "{cells}");
    screenshot(&client, "report").await;
    log_out(&client).await;

    // ---- the expert works it -------------------------------------------------------------------------
    log_in(
        &client,
        &url,
        "esperta.edilizia@demo.affianca.it",
        "Anna Colombo",
    )
    .await;
    click(&client, "#nav-richieste").await;
    click(&client, "#view-mine").await;
    wait_for_text(&client, "#requests-table", |t| {
        t.contains("Arretrato di autorizzazioni")
    })
    .await;
    client.goto(&request_url).await.unwrap();
    status_is(&client, "assigned").await;
    assert_eq!(actions(&client).await, ["start", "suspend"]);
    click(&client, "#action-start").await;
    click(&client, "#action-confirm").await;
    status_is(&client, "in_progress").await;
    type_into(&client, "#activity-hours", "3,5").await;
    type_into(&client, "#activity-files", "12").await;
    type_into(
        &client,
        "#activity-notes",
        "Istruttoria di 12 pratiche con l'ufficio",
    )
    .await;
    click(&client, "#activity-save").await;
    wait_for_text(&client, "#activities-total", |t| t == "3,5").await;
    act(
        &client,
        "complete",
        Some("Istruite 58 pratiche, 2 rinviate alla commissione."),
        "completed",
    )
    .await;
    screenshot(&client, "request-completed").await;
    click(&client, "#nav-foglio-ore").await;
    wait_for_text(&client, "#timesheet-total", |t| t.contains("3,5")).await;
    log_out(&client).await;

    // ---- the delegate closes it with feedback -----------------------------------------------------
    log_in(
        &client,
        &url,
        "delegato.brescia@demo.affianca.it",
        "Luca Rossi",
    )
    .await;
    client.goto(&request_url).await.unwrap();
    status_is(&client, "completed").await;
    assert_eq!(actions(&client).await, ["close", "reopen"]);
    // The internal note is not there for the authority.
    wait_for(&client, "#messages").await;
    assert!(
        client
            .find(Locator::Css("#messages li[data-internal=true]"))
            .await
            .is_err()
    );
    click(&client, "#action-close").await;
    click(&client, "label[for='rating-5']").await;
    type_into(&client, "#action-text", "Supporto molto utile").await;
    click(&client, "#action-confirm").await;
    status_is(&client, "closed").await;
    wait_for_text(&client, "[data-field=rating]", |t| t.contains("5 su 5")).await;
    assert!(actions(&client).await.is_empty());
    let timeline = wait_for_text(&client, "#timeline", |t| t.contains("Chiudi")).await;
    for step in [
        "Invia",
        "Prendi in carico",
        "Assegna",
        "Avvia il lavoro",
        "Completa",
        "Chiudi",
    ] {
        assert!(timeline.contains(step), "{step} missing in {timeline}");
    }
    screenshot(&client, "request-closed").await;
    client.close().await.unwrap();
}
