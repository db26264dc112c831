use affianca_domain::dto::{
    Me, Notification, OutboxMessage, Page, Registration, TokenResponse, UnreadCount,
};
use affianca_domain::{RegistrationStatus, Role};
use affianca_tests::{TestApp, assert_problem, spawn_app};
use reqwest::Method;
use serde_json::json;

const PASSWORD: &str = "una password lunga";

/// A small but real PDF.
pub fn pdf() -> Vec<u8> {
    affianca_tests::files::pdf("Protocollo di Collaborazione")
}

pub async fn register(app: &TestApp, istat: &str, office: &str, email: &str) -> reqwest::Response {
    app.post_json(
        "/api/v1/registrations",
        None,
        &json!({"istat_code": istat, "full_name": "Maria Bianchi", "office": office, "email": email, "password": PASSWORD}),
    )
    .await
}

pub async fn upload(app: &TestApp, token: &str, id: i64, body: Vec<u8>) -> reqwest::Response {
    app.request(
        Method::PUT,
        &format!("/api/v1/registrations/{id}/protocol"),
        Some(token),
    )
    .header("content-type", "application/pdf")
    .header("x-file-name", "protocollo%20firmato%20citt%C3%A0.pdf")
    .body(body)
    .send()
    .await
    .unwrap()
}

async fn login(app: &TestApp, email: &str) -> TokenResponse {
    let res = app.try_login(email, PASSWORD).await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

#[tokio::test]
async fn a_mayor_registers_uploads_the_protocol_and_is_approved() {
    let app = spawn_app().await;
    let res = register(&app, "016025", "sindaco", "Sindaco@Comune.Esempio.it").await;
    assert_eq!(res.status(), 201);
    let reg: Registration = res.json().await.unwrap();
    assert_eq!(reg.status, RegistrationStatus::AwaitingProtocol);
    assert_eq!(reg.email.as_str(), "sindaco@comune.esempio.it");
    assert!(reg.protocol.is_none());

    // The account logs in at once, with no role yet.
    let rep = login(&app, "sindaco@comune.esempio.it").await.access_token;
    let me: Me = app.get("/api/v1/me", &rep).await.json().await.unwrap();
    assert!(me.user.grants.is_empty());

    // A file that is not a PDF is refused whatever its name and type say.
    let res = upload(&app, &rep, reg.id, b"PK\x03\x04 this is a zip".to_vec()).await;
    assert_problem(res, 415, "unsupported_media_type").await;
    let res = upload(&app, &rep, reg.id, pdf()).await;
    assert_eq!(res.status(), 200);
    let reg: Registration = res.json().await.unwrap();
    assert_eq!(reg.status, RegistrationStatus::Submitted);
    let protocol = reg.protocol.clone().unwrap();
    assert_eq!(
        (
            protocol.size,
            protocol.content_type.as_str(),
            protocol.original_name.as_str()
        ),
        (
            pdf().len() as u64,
            "application/pdf",
            "protocollo firmato città.pdf"
        )
    );

    // The secretariat sees it in the queue, is notified, and downloads the protocol.
    let sec = app.token_for(Role::Secretariat).await;
    let queue: Vec<Registration> = app
        .get("/api/v1/registrations?status=submitted", &sec)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(queue.iter().map(|r| r.id).collect::<Vec<_>>(), [reg.id]);
    let notes: Page<Notification> = app
        .get("/api/v1/notifications", &sec)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(notes.items[0].kind, "registration_submitted");
    assert_eq!(
        notes.items[0].link.as_deref(),
        Some(format!("/registrazioni/{}", reg.id).as_str())
    );
    let res = app
        .get(&format!("/api/v1/registrations/{}/protocol", reg.id), &sec)
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    let disposition = res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        disposition.starts_with("attachment")
            && disposition.contains(&format!("protocollo-016025-{}.pdf", reg.id)),
        "{disposition}"
    );
    assert_eq!(res.bytes().await.unwrap().to_vec(), pdf());

    // Someone else cannot see it at all.
    let other = app.token_for(Role::AuthorityDelegate).await;
    assert_problem(
        app.get(&format!("/api/v1/registrations/{}", reg.id), &other)
            .await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.get(
            &format!("/api/v1/registrations/{}/protocol", reg.id),
            &other,
        )
        .await,
        404,
        "not_found",
    )
    .await;
    let theirs: Vec<Registration> = app
        .get("/api/v1/registrations", &other)
        .await
        .json()
        .await
        .unwrap();
    assert!(theirs.is_empty());

    let res = app
        .request(
            Method::POST,
            &format!("/api/v1/registrations/{}/approve", reg.id),
            Some(&sec),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let reg: Registration = res.json().await.unwrap();
    assert_eq!(reg.status, RegistrationStatus::Approved);
    assert!(reg.decided_at.is_some());
    let again = app
        .request(
            Method::POST,
            &format!("/api/v1/registrations/{}/approve", reg.id),
            Some(&sec),
        )
        .send()
        .await
        .unwrap();
    assert_problem(again, 409, "conflict").await;

    // The representative's next token carries authority_rep for the comune; they were told.
    let rep = login(&app, "sindaco@comune.esempio.it").await.access_token;
    let me: Me = app.get("/api/v1/me", &rep).await.json().await.unwrap();
    assert_eq!(me.user.grants.len(), 1);
    assert_eq!(
        (me.user.grants[0].role, me.user.grants[0].scope.to_string()),
        (Role::AuthorityRep, "authority:016025".to_owned())
    );
    let count: UnreadCount = app
        .get("/api/v1/notifications/unread-count", &rep)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(count.unread, 1);
    let admin = app.token_for(Role::Admin).await;
    let mails: Page<OutboxMessage> = app
        .get("/api/v1/outbox?recipient=sindaco@comune.esempio.it", &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(mails.total, 1);
    assert!(mails.items[0].subject.contains("Registrazione approvata"));
    assert!(mails.items[0].body.starts_with("Gentile Maria Bianchi"));
    assert_eq!(mails.items[0].status, "queued");
}

#[tokio::test]
async fn one_open_registration_per_authority_and_one_account_per_email() {
    let app = spawn_app().await;
    assert_eq!(
        register(&app, "016025", "sindaco", "a@esempio.it")
            .await
            .status(),
        201
    );
    assert_problem(
        register(&app, "016025", "sindaco", "b@esempio.it").await,
        409,
        "conflict",
    )
    .await;
    assert_problem(
        register(&app, "016026", "sindaco", "a@esempio.it").await,
        409,
        "conflict",
    )
    .await;
    assert_problem(
        register(&app, "016026", "sindaco", "segreteria@demo.affianca.it").await,
        409,
        "conflict",
    )
    .await;
}

#[tokio::test]
async fn the_office_must_fit_the_authority_and_values_are_checked() {
    let app = spawn_app().await;
    let p = assert_problem(
        register(&app, "016025", "presidente_provincia", "x@esempio.it").await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(p.errors[0].field, "office");
    assert_eq!(
        register(&app, "016", "presidente_provincia", "p@esempio.it")
            .await
            .status(),
        201
    );
    assert_eq!(
        register(&app, "215", "sindaco_metropolitano", "m@esempio.it")
            .await
            .status(),
        201
    );
    let p = assert_problem(
        register(&app, "03", "sindaco", "r@esempio.it").await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(p.errors[0].field, "istat_code");
    let p = assert_problem(
        register(&app, "099999", "sindaco", "r@esempio.it").await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(p.errors[0].field, "istat_code");
    let p = assert_problem(
        register(&app, "16025", "sindaco", "r@esempio.it").await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(p.errors[0].field, "istat_code");
    let res = app
        .post_json("/api/v1/registrations", None, &json!({"istat_code": "016027", "full_name": "", "office": "sindaco", "email": "r@esempio.it", "password": "corta"}))
        .await;
    let p = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(
        p.errors
            .iter()
            .map(|e| e.field.as_str())
            .collect::<Vec<_>>(),
        ["full_name", "password"]
    );
    assert_eq!(
        app.try_login("r@esempio.it", "corta").await.status(),
        401,
        "nothing was created"
    );
}

#[tokio::test]
async fn a_rejected_registration_is_corrected_and_resubmitted() {
    let app = spawn_app().await;
    let reg: Registration = register(&app, "017001", "sindaco", "s@esempio.it")
        .await
        .json()
        .await
        .unwrap();
    let rep = login(&app, "s@esempio.it").await.access_token;
    let sec = app.token_for(Role::Secretariat).await;
    // Nothing to decide before the protocol arrives.
    let early = app
        .post_json(
            &format!("/api/v1/registrations/{}/reject", reg.id),
            Some(&sec),
            &json!({"reason": "x"}),
        )
        .await;
    assert_problem(early, 409, "conflict").await;
    assert_eq!(upload(&app, &rep, reg.id, pdf()).await.status(), 200);
    assert_problem(upload(&app, &rep, reg.id, pdf()).await, 409, "conflict").await;
    let no_reason = app
        .post_json(
            &format!("/api/v1/registrations/{}/reject", reg.id),
            Some(&sec),
            &json!({"reason": "  "}),
        )
        .await;
    assert_problem(no_reason, 422, "validation_failed").await;
    let rep_tries = app
        .post_json(
            &format!("/api/v1/registrations/{}/reject", reg.id),
            Some(&rep),
            &json!({"reason": "no"}),
        )
        .await;
    assert_problem(rep_tries, 403, "forbidden").await;
    let res = app
        .post_json(
            &format!("/api/v1/registrations/{}/reject", reg.id),
            Some(&sec),
            &json!({"reason": "Manca la firma digitale."}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let rejected: Registration = res.json().await.unwrap();
    assert_eq!(
        (rejected.status, rejected.rejection_reason.as_deref()),
        (
            RegistrationStatus::Rejected,
            Some("Manca la firma digitale.")
        )
    );
    let notes: Page<Notification> = app
        .get("/api/v1/notifications?unread_only=true", &rep)
        .await
        .json()
        .await
        .unwrap();
    assert!(notes.items[0].body.contains("Manca la firma digitale."));

    let mut signed = pdf();
    signed.extend_from_slice(b"% signed\n");
    let res = upload(&app, &rep, reg.id, signed).await;
    assert_eq!(res.status(), 200);
    let again: Registration = res.json().await.unwrap();
    assert_eq!(again.status, RegistrationStatus::Submitted);
    assert_ne!(again.protocol.unwrap().id, rejected.protocol.unwrap().id);
}

#[tokio::test]
async fn a_protocol_over_10_mb_is_413_and_changes_nothing() {
    let app = spawn_app().await;
    let reg: Registration = register(&app, "017002", "sindaco", "big@esempio.it")
        .await
        .json()
        .await
        .unwrap();
    let rep = login(&app, "big@esempio.it").await.access_token;
    let mut big = pdf();
    big.resize(10 * 1024 * 1024 + 1, b' ');
    assert_problem(
        upload(&app, &rep, reg.id, big).await,
        413,
        "payload_too_large",
    )
    .await;
    let after: Registration = app
        .get(&format!("/api/v1/registrations/{}", reg.id), &rep)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(after.status, RegistrationStatus::AwaitingProtocol);
    let tmp = app.database.dir.path().join("files/tmp");
    assert_eq!(
        std::fs::read_dir(&tmp).map(|d| d.count()).unwrap_or(0),
        0,
        "no partial file is left behind"
    );
}

#[tokio::test]
async fn notifications_are_read_one_by_one_or_all_and_are_private() {
    let app = spawn_app().await;
    for (i, istat) in ["017003", "017004"].iter().enumerate() {
        let email = format!("n{i}@esempio.it");
        let reg: Registration = register(&app, istat, "sindaco", &email)
            .await
            .json()
            .await
            .unwrap();
        let rep = login(&app, &email).await.access_token;
        assert_eq!(upload(&app, &rep, reg.id, pdf()).await.status(), 200);
    }
    let sec = app.token_for(Role::Secretariat).await;
    let count: UnreadCount = app
        .get("/api/v1/notifications/unread-count", &sec)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(count.unread, 2);
    let notes: Page<Notification> = app
        .get("/api/v1/notifications", &sec)
        .await
        .json()
        .await
        .unwrap();
    let first = notes.items[0].id;
    let other = app.token_for(Role::Admin).await;
    let res = app
        .request(
            Method::POST,
            &format!("/api/v1/notifications/{first}/read"),
            Some(&other),
        )
        .send()
        .await
        .unwrap();
    assert_problem(res, 404, "not_found").await;
    let res = app
        .request(
            Method::POST,
            &format!("/api/v1/notifications/{first}/read"),
            Some(&sec),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let count: UnreadCount = app
        .get("/api/v1/notifications/unread-count", &sec)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(count.unread, 1);
    let res = app
        .request(Method::POST, "/api/v1/notifications/read-all", Some(&sec))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let unread: Page<Notification> = app
        .get("/api/v1/notifications?unread_only=true", &sec)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(unread.total, 0);
}
