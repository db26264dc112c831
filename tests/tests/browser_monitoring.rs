//! Monitoring in a real browser: Bergamo uploads its file register (a bad one first, refused
//! with the row table; then a good one, previewed and saved), sees its charts and submits a
//! semester; the secretariat drills down from the region to Bergamo and validates it; the
//! province office of Bergamo sees its province.

use affianca_tests::browser::{
    browser, click, log_in_demo as log_in, log_out, screenshot, start_driver, wait_for,
    wait_for_text,
};
use affianca_tests::{spawn_app, workspace_root};
use fantoccini::{Client, Locator};

const HEADER: &str = "codice_pratica;procedimento;data_avvio;termine_giorni;data_conclusione;data_silenzio_assenso;conferenza_servizi;giorni_sospensione\n";

/// Chooses a file in the register's file input.
async fn choose(client: &Client, path: &std::path::Path) {
    let input = wait_for(client, "#register-file").await;
    input
        .send_keys(path.to_str().unwrap())
        .await
        .expect("the file is chosen");
    wait_for_text(client, "#register-chosen", |t| t.contains(".csv")).await;
}

#[tokio::test]
async fn an_authority_uploads_its_register_and_the_secretariat_validates_it() {
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
    let files = tempfile::tempdir().unwrap();
    let bad = files.path().join("registro-errato.csv");
    std::fs::write(
        &bad,
        format!("{HEADER}A1;PDC;2023-01-10;;2022-12-01;;;\nA2;XYZ;31/02/2023;;;;;\n"),
    )
    .unwrap();
    let mut good_text = String::from(HEADER);
    for i in 0..40 {
        // Half decided in 50 days, half still open (late at 30 June).
        let decided = if i % 2 == 0 { "2023-03-01" } else { "" };
        good_text.push_str(&format!("P{i};PDC;2023-01-10;;{decided};;no;0\n"));
    }
    good_text.push_str("S1;SCIA;2023-02-01;;;2023-03-01;;\n");
    let good = files.path().join("registro.csv");
    std::fs::write(&good, good_text).unwrap();

    // ---- Bergamo ---------------------------------------------------------------------------------
    log_in(
        &client,
        &url,
        "sindaco.bergamo@demo.affianca.it",
        "Sindaco di Bergamo",
    )
    .await;
    click(&client, "#nav-monitoraggio").await;
    wait_for_text(&client, "h1", |t| t.contains("Bergamo")).await;
    wait_for(&client, "#no-semesters").await;

    choose(&client, &bad).await;
    click(&client, "#register-save").await;
    wait_for(&client, "#register-errors-table").await;
    let errors = wait_for_text(&client, "#register-errors-table", |t| {
        t.contains("data_conclusione")
    })
    .await;
    assert!(
        errors.contains("procedimento") && errors.contains("31/02/2023"),
        "{errors}"
    );
    client
        .execute(
            "document.getElementById('register-errors').scrollIntoView()",
            vec![],
        )
        .await
        .unwrap();
    screenshot(&client, "monitoring-register-errors").await;
    // Nothing was saved.
    assert!(client.find(Locator::Css("#no-semesters")).await.is_ok());

    choose(&client, &good).await;
    click(&client, "#register-preview").await;
    let preview = wait_for_text(&client, "#register-preview-result", |t| {
        t.contains("Anteprima")
    })
    .await;
    assert!(preview.contains("41 pratiche, 41 nuove"), "{preview}");
    assert!(
        client.find(Locator::Css("#no-semesters")).await.is_ok(),
        "a preview saves nothing"
    );
    click(&client, "#register-save").await;
    let saved = wait_for_text(&client, "#register-saved", |t| {
        t.contains("Registro salvato")
    })
    .await;
    assert!(saved.contains("41 nuove"), "{saved}");
    wait_for(&client, "#sem-2023S1").await;
    // The chart and its table alternative.
    wait_for(&client, "#chart-backlog svg path.series").await;
    let table = client
        .find(Locator::Css("#chart-backlog-table"))
        .await
        .unwrap()
        .html(false)
        .await
        .unwrap();
    assert!(table.contains("2023S1") && table.contains("20"), "{table}");
    screenshot(&client, "monitoring-authority").await;
    click(&client, "#sem-2023S1 button[data-action=submit]").await;
    wait_for(&client, "#sem-2023S1[data-status=submitted]").await;
    log_out(&client).await;

    // ---- the secretariat -------------------------------------------------------------------------
    log_in(&client, &url, "segreteria@demo.affianca.it", "Segreteria").await;
    click(&client, "#nav-monitoraggio").await;
    wait_for_text(&client, "h1", |t| t.contains("Regione")).await;
    click(&client, "#children-table tr[data-key=BG] a").await;
    wait_for_text(&client, "h1", |t| t.contains("Provincia")).await;
    screenshot(&client, "monitoring-province").await;
    click(&client, "#children-table tr[data-key='016024'] a").await;
    wait_for_text(&client, "h1", |t| t.contains("Bergamo")).await;
    click(&client, "#sem-2023S1 button[data-action=validate]").await;
    wait_for(&client, "#sem-2023S1[data-status=validated]").await;
    client
        .goto(&format!("{url}/monitoraggio/cruscotto?solo_validati=1"))
        .await
        .unwrap();
    wait_for(&client, "#series-table").await;
    let html = client
        .find(Locator::Css("#series-table"))
        .await
        .unwrap()
        .html(false)
        .await
        .unwrap();
    assert!(html.contains("data-period=\"2023S1\""), "{html}");
    screenshot(&client, "monitoring-region").await;
    log_out(&client).await;

    // ---- the province office of Bergamo ----------------------------------------------------------
    log_in(
        &client,
        &url,
        "osservatore.bg@demo.affianca.it",
        "Ufficio PNRR Provincia di Bergamo",
    )
    .await;
    click(&client, "#nav-monitoraggio").await;
    wait_for_text(&client, "h1", |t| {
        t.contains("Provincia") && t.contains("Bergamo")
    })
    .await;
    wait_for(&client, "#children-table tr[data-key='016024']").await;

    client.close().await.unwrap();
}
