//! Onboarding in a real browser: a mayor registers the comune of Berzo San Fermo (016025) through
//! the wizard and uploads the signed protocol; the secretariat finds it in the queue (and in its
//! notifications) and approves it; the mayor invites a delegate, who accepts the e-mailed link,
//! logs in, and later resets the password with another e-mailed link.

use affianca_domain::Role;
use affianca_tests::browser::{
    browser, click, log_out, screenshot, start_driver, type_into, wait_for, wait_for_text,
};
use affianca_tests::smtp::SmtpReceiver;
use affianca_tests::{DEMO_PASSWORD, demo_email, spawn_app_with, workspace_root};
use fantoccini::{Client, Locator};
use std::time::{Duration, Instant};

const ISTAT: &str = "016025";
const AUTHORITY: &str = "Berzo San Fermo";
const MAYOR_NAME: &str = "Maria Rossi";
const MAYOR_EMAIL: &str = "sindaco@comune.berzosanfermo.bg.it";
const MAYOR_PASSWORD: &str = "una password lunga del sindaco";
const DELEGATE_EMAIL: &str = "delegato@esempio.it";
const DELEGATE_NAME: &str = "Luca Verdi";
const DELEGATE_PASSWORD: &str = "una password lunga del delegato";

async fn attr(client: &Client, css: &str, name: &str) -> Option<String> {
    wait_for(client, css).await.attr(name).await.unwrap()
}

/// Waits (at most 15 s) until the path of the current URL satisfies `pred`.
async fn wait_for_path(client: &Client, pred: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut last = String::new();
    while Instant::now() < deadline {
        last = client.current_url().await.unwrap().path().to_owned();
        if pred(&last) {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("never reached the expected page; last at {last}");
}

async fn log_in(client: &Client, app_url: &str, email: &str, password: &str, name: &str) {
    client.goto(&format!("{app_url}/accedi")).await.unwrap();
    type_into(client, "#email", email).await;
    type_into(client, "#password", password).await;
    click(client, "#login-submit").await;
    wait_for_text(client, "#user-name", |t| t.contains(name)).await;
}

/// The path (`/invito/<token>`) of the first link with this prefix in an e-mail to `to` (waits
/// at most 10 s).
async fn link_in_mail(smtp: &SmtpReceiver, to: &str, prefix: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        for m in smtp.messages() {
            if !m.to.iter().any(|t| t.eq_ignore_ascii_case(to)) {
                continue;
            }
            let text = m.text();
            if let Some(start) = text.find(prefix) {
                let token: String = text[start + prefix.len()..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                    .collect();
                assert!(token.len() >= 20, "a token in {text}");
                return format!("{prefix}{token}");
            }
        }
        assert!(
            Instant::now() < deadline,
            "no e-mail to {to} with {prefix}: {:?}",
            smtp.messages()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A small, valid one-page PDF.
fn pdf_bytes() -> Vec<u8> {
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        "<< /Length 62 >>\nstream\nBT /F1 18 Tf 72 760 Td (Protocollo di Collaborazione) Tj ET\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ];
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

#[tokio::test]
async fn a_mayor_registers_the_secretariat_approves_and_a_delegate_joins() {
    assert!(
        workspace_root()
            .join("crates/web/dist/index.html")
            .is_file(),
        "the web client is not built: run `just web` (just test does)"
    );
    let smtp = SmtpReceiver::start().await;
    let app = spawn_app_with(&[
        ("AFFIANCA_SMTP_URL", smtp.url()),
        ("AFFIANCA_MAIL_POLL_MS", "100".into()),
    ])
    .await;
    let files = tempfile::tempdir().unwrap();
    let protocol = files.path().join("protocollo-firmato.pdf");
    std::fs::write(&protocol, pdf_bytes()).unwrap();
    let not_pdf = files.path().join("protocollo.txt");
    std::fs::write(&not_pdf, "non è un PDF").unwrap();

    let driver = start_driver().await;
    let profile = tempfile::tempdir().unwrap();
    let client = browser(&driver, profile.path()).await;

    // ---- the mayor registers the comune --------------------------------------------------
    client.goto(&app.url("/accedi")).await.unwrap();
    click(&client, "#register-link").await;
    wait_for_path(&client, |p| p == "/registrazione").await;
    // A public page: no redirect to the login.
    type_into(&client, "#reg-istat", "16025").await;
    click(&client, "#reg-next").await;
    let msg = wait_for_text(&client, "[data-error-for=istat_code]", |t| !t.is_empty()).await;
    assert!(msg.contains("6 cifre"), "{msg}");
    assert_eq!(
        attr(&client, "#reg-istat", "aria-invalid").await.as_deref(),
        Some("true")
    );
    screenshot(&client, "onb-01-istat-invalid").await;
    type_into(&client, "#reg-istat", ISTAT).await;
    click(&client, "#reg-next").await;

    wait_for(&client, "#reg-name").await;
    // The office follows the kind of authority.
    let office = client
        .execute("return document.getElementById('reg-office').value", vec![])
        .await
        .unwrap();
    assert_eq!(office, "sindaco");
    // The password is checked before sending.
    type_into(&client, "#reg-name", MAYOR_NAME).await;
    type_into(&client, "#reg-email", MAYOR_EMAIL).await;
    type_into(&client, "#reg-password", "corta").await;
    click(&client, "#reg-submit").await;
    let msg = wait_for_text(&client, "[data-error-for=password]", |t| !t.is_empty()).await;
    assert!(msg.contains("12"), "{msg}");
    type_into(&client, "#reg-password", MAYOR_PASSWORD).await;
    type_into(&client, "#reg-password2", MAYOR_PASSWORD).await;
    screenshot(&client, "onb-02-representative").await;
    click(&client, "#reg-submit").await;

    // Registered and signed in: the protocol step.
    let created = wait_for_text(&client, "[data-testid=registration-created]", |t| {
        !t.is_empty()
    })
    .await;
    assert!(created.contains(AUTHORITY), "{created}");
    wait_for_text(&client, "#user-name", |t| t.contains(MAYOR_NAME)).await;
    // Not a PDF: refused before uploading.
    wait_for(&client, "#protocol-file")
        .await
        .send_keys(&not_pdf.display().to_string())
        .await
        .unwrap();
    let msg = wait_for_text(&client, "[data-error-for=protocol]", |t| !t.is_empty()).await;
    assert!(msg.contains("Solo file PDF"), "{msg}");
    wait_for(&client, "#protocol-file")
        .await
        .send_keys(&protocol.display().to_string())
        .await
        .unwrap();
    wait_for_text(&client, "[data-testid=protocol-chosen]", |t| {
        t.contains("protocollo-firmato.pdf")
    })
    .await;
    screenshot(&client, "onb-03-protocol").await;
    click(&client, "#protocol-submit").await;
    let done = wait_for_text(&client, "#registration-done", |t| !t.is_empty()).await;
    assert!(
        done.contains("Registrazione inviata: la Segreteria Tecnica la valuterà"),
        "{done}"
    );
    screenshot(&client, "onb-04-submitted").await;
    click(&client, "#reg-open").await;
    wait_for(&client, "#registration-status[data-status=submitted]").await;
    let name = wait_for_text(&client, "[data-field=protocol_name]", |t| !t.is_empty()).await;
    assert_eq!(name, "protocollo-firmato.pdf");
    // Submitted: no more uploads, no decision buttons for the mayor.
    assert!(client.find(Locator::Css("#protocol-file")).await.is_err());
    assert!(client.find(Locator::Css("#approve")).await.is_err());
    log_out(&client).await;

    // ---- the secretariat approves ---------------------------------------------------------
    log_in(
        &client,
        &app.address,
        demo_email(Role::Secretariat),
        DEMO_PASSWORD,
        "Giulia Bianchi",
    )
    .await;
    // The bell counts the new registration.
    let unread = wait_for_text(&client, "#unread-count", |t| !t.is_empty()).await;
    assert_eq!(unread, "1");
    click(&client, "#nav-registrazioni").await;
    wait_for(
        &client,
        &format!("#registrations-table tr[data-istat='{ISTAT}'][data-status=submitted]"),
    )
    .await;
    let count = wait_for_text(&client, "#registrations-count", |t| !t.is_empty()).await;
    assert_eq!(count, "1 registrazione");
    screenshot(&client, "onb-05-queue").await;

    // The notification leads to the registration and is then read.
    click(&client, "#notifications-bell").await;
    wait_for(&client, "#notifications-list li[data-unread=true]").await;
    screenshot(&client, "onb-06-notifications").await;
    click(
        &client,
        "#notifications-list li[data-unread=true] a[id^=open-notification-]",
    )
    .await;
    wait_for_path(&client, |p| p.starts_with("/registrazioni/")).await;
    wait_for(&client, "#registration-status[data-status=submitted]").await;
    let deadline = Instant::now() + Duration::from_secs(15);
    while client.find(Locator::Css("#unread-count")).await.is_ok() {
        assert!(Instant::now() < deadline, "the notification stays unread");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    click(&client, "#approve").await;
    let question = wait_for_text(&client, "#confirm-approve-text", |t| !t.is_empty()).await;
    assert!(
        question.contains(MAYOR_NAME) && question.contains(AUTHORITY),
        "{question}"
    );
    screenshot(&client, "onb-07-confirm-approve").await;
    click(&client, "#confirm-approve").await;
    wait_for(&client, "#registration-status[data-status=approved]").await;
    let news = wait_for_text(&client, "#registration-news", |t| !t.is_empty()).await;
    assert!(news.contains("Registrazione approvata"), "{news}");
    assert!(client.find(Locator::Css("#approve")).await.is_err());
    screenshot(&client, "onb-08-approved").await;
    log_out(&client).await;

    // ---- the mayor invites a delegate ------------------------------------------------------
    log_in(
        &client,
        &app.address,
        MAYOR_EMAIL,
        MAYOR_PASSWORD,
        MAYOR_NAME,
    )
    .await;
    let roles = wait_for_text(&client, "#user-roles", |t| !t.is_empty()).await;
    assert!(roles.contains("Rappresentante legale"), "{roles}");
    client
        .goto(&app.url(&format!("/enti/{ISTAT}")))
        .await
        .unwrap();
    click(&client, "#authority-delegates").await;
    wait_for_path(&client, |p| p == format!("/enti/{ISTAT}/delegati")).await;
    let title = wait_for_text(&client, "#delegates-title", |t| t.contains(AUTHORITY)).await;
    assert_eq!(title, format!("Delegati di {AUTHORITY}"));
    wait_for(&client, "[data-testid=no-delegates]").await;
    type_into(&client, "#invite-email", DELEGATE_EMAIL).await;
    click(&client, "#invite-submit").await;
    let news = wait_for_text(&client, "#delegates-news", |t| !t.is_empty()).await;
    assert!(
        news.contains("Invito inviato a delegato@esempio.it"),
        "{news}"
    );
    wait_for(
        &client,
        &format!("#invitations-table tr[data-email='{DELEGATE_EMAIL}'][data-status=pending]"),
    )
    .await;
    screenshot(&client, "onb-09-invited").await;

    // ---- the delegate accepts the e-mailed link -------------------------------------------------
    let link = link_in_mail(&smtp, DELEGATE_EMAIL, "/invito/").await;
    client.goto(&app.url(&link)).await.unwrap();
    let authority = wait_for_text(&client, "#invitation-authority", |t| !t.is_empty()).await;
    assert_eq!(authority, AUTHORITY);
    // The mayor is still signed in in this browser: the page says so.
    wait_for(&client, "[data-testid=other-session]").await;
    type_into(&client, "#invite-name", DELEGATE_NAME).await;
    type_into(&client, "#invite-password", DELEGATE_PASSWORD).await;
    type_into(&client, "#invite-password2", DELEGATE_PASSWORD).await;
    screenshot(&client, "onb-10-accept").await;
    click(&client, "#accept-submit").await;
    wait_for_path(&client, |p| p == "/accedi").await;
    let outcome = wait_for_text(&client, "#login-outcome", |t| !t.is_empty()).await;
    assert!(outcome.contains("Invito accettato"), "{outcome}");
    let prefilled = client
        .execute("return document.getElementById('email').value", vec![])
        .await
        .unwrap();
    assert_eq!(prefilled, DELEGATE_EMAIL);
    screenshot(&client, "onb-11-login-after-invite").await;
    type_into(&client, "#password", DELEGATE_PASSWORD).await;
    click(&client, "#login-submit").await;
    wait_for_text(&client, "#user-name", |t| t == DELEGATE_NAME).await;
    let roles = wait_for_text(&client, "#user-roles", |t| !t.is_empty()).await;
    assert!(roles.contains("Delegato dell'ente"), "{roles}");
    screenshot(&client, "onb-12-delegate").await;

    // The link works once.
    client.goto(&app.url(&link)).await.unwrap();
    let problem = wait_for_text(&client, "#link-problem-text", |t| !t.is_empty()).await;
    assert!(problem.contains("già stato usato"), "{problem}");

    // ---- the delegate forgets the password -----------------------------------------------------
    // Signed out from a public page, which stays where it is.
    click(&client, "#logout").await;
    let deadline = Instant::now() + Duration::from_secs(15);
    while client.find(Locator::Css("#logout")).await.is_ok() {
        assert!(Instant::now() < deadline, "still signed in");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    client.goto(&app.url("/accedi")).await.unwrap();
    click(&client, "#forgot-password").await;
    type_into(&client, "#reset-email", DELEGATE_EMAIL).await;
    click(&client, "#reset-request-submit").await;
    let sent = wait_for_text(&client, "[data-testid=reset-requested]", |t| !t.is_empty()).await;
    assert!(sent.contains("valido un'ora"), "{sent}");
    let link = link_in_mail(&smtp, DELEGATE_EMAIL, "/reimposta-password/").await;
    client.goto(&app.url(&link)).await.unwrap();
    type_into(&client, "#new-password", "una nuova password lunga").await;
    type_into(&client, "#new-password2", "una nuova password diversa").await;
    click(&client, "#new-password-submit").await;
    wait_for_text(&client, "[data-error-for=password_confirm]", |t| {
        t.contains("non coincidono")
    })
    .await;
    type_into(&client, "#new-password2", "una nuova password lunga").await;
    click(&client, "#new-password-submit").await;
    let outcome = wait_for_text(&client, "#login-outcome", |t| !t.is_empty()).await;
    assert!(outcome.contains("Password cambiata"), "{outcome}");
    log_in(
        &client,
        &app.address,
        DELEGATE_EMAIL,
        "una nuova password lunga",
        DELEGATE_NAME,
    )
    .await;
    client.close().await.unwrap();
}

/// Registers through the API (the wizard is covered above) and uploads `pdf`; returns the id.
async fn register_by_api(app: &affianca_tests::TestApp, istat: &str, email: &str) -> i64 {
    let res = app
        .post_json(
            "/api/v1/registrations",
            None,
            &serde_json::json!({
                "istat_code": istat, "full_name": "Paolo Neri", "office": "sindaco",
                "email": email, "password": MAYOR_PASSWORD
            }),
        )
        .await;
    assert_eq!(res.status(), 201);
    let reg: serde_json::Value = res.json().await.unwrap();
    reg["id"].as_i64().unwrap()
}

#[tokio::test]
async fn a_rejected_registration_is_corrected_and_the_representative_manages_delegates() {
    assert!(
        workspace_root()
            .join("crates/web/dist/index.html")
            .is_file(),
        "the web client is not built: run `just web` (just test does)"
    );
    let smtp = SmtpReceiver::start().await;
    let app = spawn_app_with(&[
        ("AFFIANCA_SMTP_URL", smtp.url()),
        ("AFFIANCA_MAIL_POLL_MS", "100".into()),
    ])
    .await;
    const ISTAT: &str = "016026";
    const AUTHORITY: &str = "Bianzano";
    const MAYOR: &str = "sindaco@comune.bianzano.bg.it";
    let id = register_by_api(&app, ISTAT, MAYOR).await;
    let files = tempfile::tempdir().unwrap();
    let protocol = files.path().join("protocollo-bianzano.pdf");
    std::fs::write(&protocol, pdf_bytes()).unwrap();

    let driver = start_driver().await;
    let (p1, p2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mayor = browser(&driver, p1.path()).await;
    let other = browser(&driver, p2.path()).await;

    // Someone else tries to register the same comune: 409, said in words.
    other.goto(&app.url("/registrazione")).await.unwrap();
    type_into(&other, "#reg-istat", ISTAT).await;
    click(&other, "#reg-next").await;
    type_into(&other, "#reg-name", "Qualcun Altro").await;
    type_into(&other, "#reg-email", "altro@esempio.it").await;
    type_into(&other, "#reg-password", MAYOR_PASSWORD).await;
    type_into(&other, "#reg-password2", MAYOR_PASSWORD).await;
    click(&other, "#reg-submit").await;
    let error = wait_for_text(&other, "#reg-failure [data-testid=error]", |t| {
        !t.is_empty()
    })
    .await;
    assert!(error.contains("ha già una registrazione"), "{error}");
    screenshot(&other, "onb-20-duplicate").await;

    // The mayor signed up but has not uploaded yet: the page of the registration offers it.
    log_in(&mayor, &app.address, MAYOR, MAYOR_PASSWORD, "Paolo Neri").await;
    wait_for(&mayor, "[data-testid=no-roles]").await;
    click(&mayor, "#my-registrations").await;
    click(
        &mayor,
        &format!("#registrations-table tr[data-registration-id='{id}'] a"),
    )
    .await;
    wait_for(
        &mayor,
        "#registration-status[data-status=awaiting_protocol]",
    )
    .await;
    wait_for(&mayor, "#protocol-file")
        .await
        .send_keys(&protocol.display().to_string())
        .await
        .unwrap();
    click(&mayor, "#protocol-submit").await;
    wait_for(&mayor, "#registration-status[data-status=submitted]").await;

    // The secretariat rejects it, with a reason.
    log_in(
        &other,
        &app.address,
        demo_email(Role::Secretariat),
        DEMO_PASSWORD,
        "Giulia Bianchi",
    )
    .await;
    other
        .goto(&app.url(&format!("/registrazioni/{id}")))
        .await
        .unwrap();
    click(&other, "#reject").await;
    click(&other, "#confirm-reject").await;
    wait_for_text(&other, "[data-error-for=reason]", |t| !t.is_empty()).await;
    type_into(
        &other,
        "#reject-reason",
        "Manca la firma digitale del Sindaco.",
    )
    .await;
    screenshot(&other, "onb-21-reject").await;
    click(&other, "#confirm-reject").await;
    wait_for(&other, "#registration-status[data-status=rejected]").await;

    // The mayor sees why, downloads what was sent and uploads a corrected protocol.
    mayor.refresh().await.unwrap();
    let reason = wait_for_text(&mayor, "[data-testid=rejection-reason]", |t| !t.is_empty()).await;
    assert!(reason.contains("Manca la firma digitale"), "{reason}");
    click(&mayor, "#protocol-download").await;
    wait_for_text(&mayor, "#protocol-download", |t| {
        t.contains("Scarica il PDF")
    })
    .await;
    assert!(
        mayor
            .find(Locator::Css("[data-testid=error]"))
            .await
            .is_err(),
        "the download failed"
    );
    screenshot(&mayor, "onb-22-rejected").await;
    wait_for(&mayor, "#protocol-file")
        .await
        .send_keys(&protocol.display().to_string())
        .await
        .unwrap();
    click(&mayor, "#protocol-submit").await;
    wait_for(&mayor, "#registration-status[data-status=submitted]").await;
    let news = wait_for_text(&mayor, "#registration-news", |t| !t.is_empty()).await;
    assert!(news.contains("in valutazione"), "{news}");

    // Approved while the mayor is signed in: the notification leads to the registration, and
    // the new role works without signing in again.
    other.refresh().await.unwrap();
    click(&other, "#approve").await;
    click(&other, "#confirm-approve").await;
    wait_for(&other, "#registration-status[data-status=approved]").await;
    // In the app (no reload, which would renew the session anyway).
    click(&mayor, "#notifications-bell").await;
    let first = wait_for(&mayor, "#notifications-list li[data-unread=true]").await;
    let title = first.text().await.unwrap();
    assert!(title.contains("Registrazione approvata"), "{title}");
    click(
        &mayor,
        "#notifications-list li[data-unread=true] a[id^=open-notification-]",
    )
    .await;
    wait_for(&mayor, "#registration-status[data-status=approved]").await;
    wait_for_text(&mayor, "#user-roles", |t| {
        t.contains("Rappresentante legale")
    })
    .await;
    click(&mayor, "[data-testid=approved-next] a").await;
    wait_for_text(&mayor, "#delegates-title", |t| t.contains(AUTHORITY)).await;

    // Invite someone who already has an account, and someone else, then revoke the second.
    let existing = demo_email(Role::AuthorityDelegate);
    type_into(&mayor, "#invite-email", existing).await;
    click(&mayor, "#invite-submit").await;
    wait_for(
        &mayor,
        &format!("#invitations-table tr[data-email='{existing}']"),
    )
    .await;
    type_into(&mayor, "#invite-email", "sbagliato@esempio.it").await;
    click(&mayor, "#invite-submit").await;
    let row = "#invitations-table tr[data-email='sbagliato@esempio.it'][data-status=pending]";
    let revoke = wait_for(&mayor, &format!("{row} button[id^=revoke-]")).await;
    revoke.click().await.unwrap();
    click(&mayor, &format!("{row} button[id^=confirm-revoke-]")).await;
    wait_for(
        &mayor,
        "#invitations-table tr[data-email='sbagliato@esempio.it'][data-status=revoked]",
    )
    .await;
    screenshot(&mayor, "onb-23-revoked").await;

    // The existing account accepts with its own password (the secretariat's session in that
    // browser ends).
    let link = link_in_mail(&smtp, existing, "/invito/").await;
    other.goto(&app.url(&link)).await.unwrap();
    wait_for(&other, "[data-testid=other-session]").await;
    assert!(other.find(Locator::Css("#invite-name")).await.is_err());
    type_into(&other, "#invite-password", "non è questa").await;
    click(&other, "#accept-submit").await;
    wait_for_text(&other, "[data-error-for=password]", |t| {
        t.contains("non corretta")
    })
    .await;
    type_into(&other, "#invite-password", DEMO_PASSWORD).await;
    click(&other, "#accept-submit").await;
    wait_for_text(&other, "#login-outcome", |t| t.contains("Invito accettato")).await;

    // Already a delegate: inviting again is refused; then the mayor removes them.
    mayor.refresh().await.unwrap();
    let delegate_row = format!("#delegates-table tr[data-email='{existing}']");
    wait_for(&mayor, &delegate_row).await;
    type_into(&mayor, "#invite-email", existing).await;
    click(&mayor, "#invite-submit").await;
    let error = wait_for_text(&mayor, "#invite-failure [data-testid=error]", |t| {
        !t.is_empty()
    })
    .await;
    assert!(error.contains("già delegato"), "{error}");
    click(&mayor, &format!("{delegate_row} button[id^=remove-]")).await;
    click(
        &mayor,
        &format!("{delegate_row} button[id^=confirm-remove-]"),
    )
    .await;
    wait_for(&mayor, "[data-testid=no-delegates]").await;
    let news = wait_for_text(&mayor, "#delegates-news", |t| !t.is_empty()).await;
    assert!(news.contains("non è più delegato"), "{news}");
    screenshot(&mayor, "onb-24-removed").await;

    // Every notification read at once.
    mayor.goto(&app.url("/notifiche")).await.unwrap();
    click(&mayor, "#read-all").await;
    let deadline = Instant::now() + Duration::from_secs(15);
    while mayor
        .find(Locator::Css("#notifications-list li[data-unread=true]"))
        .await
        .is_ok()
    {
        assert!(Instant::now() < deadline, "notifications stay unread");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(mayor.find(Locator::Css("#unread-count")).await.is_err());
    mayor.close().await.unwrap();
    other.close().await.unwrap();
}
