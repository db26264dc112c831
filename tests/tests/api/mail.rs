//! E-mail: the outbox is sent through a real SMTP server on 127.0.0.1, retried when the server
//! is away, and sent once even with two workers on one database.

use crate::onboarding::{pdf, register, upload};
use affianca_api::entities::outbox;
use affianca_api::mailer::{self, MAX_ATTEMPTS};
use affianca_domain::Role;
use affianca_domain::dto::{OutboxMessage, Page, Registration};
use affianca_tests::smtp::SmtpReceiver;
use affianca_tests::{TestDatabase, spawn_app_with};
use lettre::{AsyncSmtpTransport, Tokio1Executor};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use std::time::Duration;

#[tokio::test]
async fn notices_reach_the_smtp_server_with_a_link_to_the_portal() {
    let smtp = SmtpReceiver::start().await;
    let app = spawn_app_with(&[
        ("AFFIANCA_SMTP_URL", smtp.url()),
        ("AFFIANCA_MAIL_POLL_MS", "100".into()),
        (
            "AFFIANCA_MAIL_FROM",
            "Affianca <noreply@affianca.test>".into(),
        ),
        ("AFFIANCA_PUBLIC_URL", "https://affianca.example.it/".into()),
    ])
    .await;
    let reg: Registration = register(&app, "019001", "sindaco", "mail@esempio.it")
        .await
        .json()
        .await
        .unwrap();
    let rep = app
        .try_login("mail@esempio.it", "una password lunga")
        .await
        .json::<serde_json::Value>()
        .await
        .unwrap();
    assert_eq!(
        upload(&app, rep["access_token"].as_str().unwrap(), reg.id, pdf())
            .await
            .status(),
        200
    );

    let mail = smtp
        .wait_for("segreteria@demo.affianca.it", Duration::from_secs(10))
        .await;
    assert_eq!(mail.from, "noreply@affianca.test");
    let text = mail.text();
    assert!(
        text.contains("Subject: Affianca: Nuova registrazione"),
        "{text}"
    );
    assert!(text.contains("Gentile Giulia Bianchi"), "{text}");
    assert!(
        text.contains(&format!(
            "https://affianca.example.it/registrazioni/{}",
            reg.id
        )),
        "{text}"
    );

    // The outbox says it was sent.
    let admin = app.token_for(Role::Admin).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let page: Page<OutboxMessage> = app
            .get("/api/v1/outbox?recipient=segreteria@demo", &admin)
            .await
            .json()
            .await
            .unwrap();
        if page.items[0].status == "sent" {
            assert!(page.items[0].sent_at.is_some());
            assert_eq!(page.items[0].attempts, 1);
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never marked sent: {:?}",
            page.items[0]
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn an_unreachable_server_means_a_retry_later_then_failed() {
    let database = TestDatabase::new().await;
    let db = database.connect_seeded().await;
    affianca_api::notify::enqueue_email(&db, "x@esempio.it", "Prova", "Testo")
        .await
        .unwrap();
    // Nothing listens on this port.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let transport =
        AsyncSmtpTransport::<Tokio1Executor>::from_url(&format!("smtp://127.0.0.1:{port}"))
            .unwrap()
            .timeout(Some(Duration::from_secs(2)))
            .build();
    let from = "Affianca <noreply@affianca.test>".parse().unwrap();
    assert_eq!(mailer::send_due(&db, &transport, &from).await.unwrap(), 1);
    let m = outbox::Entity::find().one(&db).await.unwrap().unwrap();
    assert_eq!((m.status.as_str(), m.attempts), ("queued", 1));
    assert!(m.last_error.is_some());
    assert!(
        m.next_attempt_at > chrono::Utc::now() + chrono::Duration::seconds(20),
        "backed off"
    );
    // Not due yet: nothing to do.
    assert_eq!(mailer::send_due(&db, &transport, &from).await.unwrap(), 0);

    // After the last attempt it is failed, for an admin to look at.
    for _ in 1..MAX_ATTEMPTS {
        outbox::Entity::update_many()
            .col_expr(
                outbox::Column::NextAttemptAt,
                sea_orm::sea_query::Expr::value(chrono::Utc::now()),
            )
            .exec(&db)
            .await
            .unwrap();
        mailer::send_due(&db, &transport, &from).await.unwrap();
    }
    let m = outbox::Entity::find().one(&db).await.unwrap().unwrap();
    assert_eq!((m.status.as_str(), m.attempts), ("failed", MAX_ATTEMPTS));
}

#[tokio::test]
async fn two_workers_on_one_database_send_each_message_once() {
    let smtp = SmtpReceiver::start().await;
    let database = TestDatabase::new().await;
    let db = database.connect_seeded().await;
    for i in 0..15 {
        affianca_api::notify::enqueue_email(
            &db,
            &format!("r{i}@esempio.it"),
            &format!("Messaggio {i}"),
            "Testo",
        )
        .await
        .unwrap();
    }
    let worker = || async {
        let conn = affianca_api::db::connect(&database.url, 2).await.unwrap();
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&smtp.url())
            .unwrap()
            .build();
        let from = "Affianca <noreply@affianca.test>".parse().unwrap();
        let mut total = 0;
        loop {
            let n = mailer::send_due(&conn, &transport, &from).await.unwrap();
            if n == 0 {
                return total;
            }
            total += n;
        }
    };
    let (a, b) = tokio::join!(worker(), worker());
    assert_eq!(a + b, 15, "every message handled by exactly one worker");
    let received = smtp.messages();
    assert_eq!(received.len(), 15, "each message delivered once");
    let mut recipients: Vec<String> = received.iter().flat_map(|m| m.to.clone()).collect();
    recipients.sort();
    recipients.dedup();
    assert_eq!(recipients.len(), 15);
    let sent = outbox::Entity::find()
        .filter(outbox::Column::Status.eq("sent"))
        .all(&db)
        .await
        .unwrap();
    assert_eq!(sent.len(), 15);
}

/// The `Message-ID` header of a raw message.
fn message_id_of(raw: &str) -> Option<String> {
    raw.lines().find_map(|l| {
        let (name, value) = l.split_once(':')?;
        name.eq_ignore_ascii_case("message-id")
            .then(|| value.trim().to_owned())
    })
}

/// A message sent again (the worker died after the SMTP server took it, before the row said
/// `sent`) carries the same Message-ID, so that it is recognisable as a duplicate.
#[tokio::test]
async fn a_message_sent_twice_has_the_same_message_id() {
    let smtp = SmtpReceiver::start().await;
    let database = TestDatabase::new().await;
    let db = database.connect_seeded().await;
    affianca_api::notify::enqueue_email(&db, "doppio@esempio.it", "Prova", "Testo")
        .await
        .unwrap();
    affianca_api::notify::enqueue_email(&db, "altro@esempio.it", "Prova", "Testo")
        .await
        .unwrap();
    let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&smtp.url())
        .unwrap()
        .build();
    let from = "Affianca <noreply@affianca.test>".parse().unwrap();
    assert_eq!(mailer::send_due(&db, &transport, &from).await.unwrap(), 2);
    // As after a crash between the delivery and the update: the row is due again.
    outbox::Entity::update_many()
        .col_expr(
            outbox::Column::Status,
            sea_orm::sea_query::Expr::value("queued"),
        )
        .col_expr(
            outbox::Column::NextAttemptAt,
            sea_orm::sea_query::Expr::value(chrono::Utc::now()),
        )
        .filter(outbox::Column::Recipient.eq("doppio@esempio.it"))
        .exec(&db)
        .await
        .unwrap();
    assert_eq!(mailer::send_due(&db, &transport, &from).await.unwrap(), 1);
    let received = smtp.messages();
    let ids: Vec<String> = received
        .iter()
        .filter(|m| m.to.iter().any(|t| t == "doppio@esempio.it"))
        .map(|m| message_id_of(&m.data).expect("a Message-ID header"))
        .collect();
    assert_eq!(ids.len(), 2, "sent twice");
    assert_eq!(ids[0], ids[1], "the same Message-ID both times");
    let row = outbox::Entity::find()
        .filter(outbox::Column::Recipient.eq("doppio@esempio.it"))
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        ids[0],
        format!(
            "<outbox-{}-{}@affianca.test>",
            row.id,
            row.created_at.timestamp()
        )
    );
    let other = received
        .iter()
        .find(|m| m.to.iter().any(|t| t == "altro@esempio.it"))
        .and_then(|m| message_id_of(&m.data))
        .expect("the other message's id");
    assert_ne!(other, ids[0], "each row its own");
}
