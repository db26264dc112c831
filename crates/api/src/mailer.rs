//! The e-mail worker: sends the outbox through SMTP (`AFFIANCA_SMTP_URL`), with retries and
//! exponential backoff. Several server processes may share one database: a message is claimed by
//! a conditional update (`status = 'queued'` → `'sending'`), which only one process can win, and a
//! claim that is never finished (the process died) expires after a lease and is retried. Every
//! attempt of one row carries the same `Message-ID` ([`message_id`]).

use crate::entities::outbox;
use chrono::{Duration, Utc};
use lettre::message::{Mailbox, header::ContentType};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

/// After this many failed attempts a message is `failed` and left for an admin to look at.
pub const MAX_ATTEMPTS: i32 = 6;
/// How long a claim lasts before another worker may take the message over.
const LEASE_SECONDS: i64 = 120;

/// SMTP settings.
#[derive(Clone)]
pub struct MailConfig {
    /// `smtp://host:25`, `smtp://user:pass@host:587?tls=required`, `smtps://host:465`.
    pub url: String,
    /// The sender, e.g. `Affianca <noreply@example.org>`.
    pub from: String,
    /// How often the outbox is polled.
    pub poll: std::time::Duration,
}

impl std::fmt::Debug for MailConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may carry a password.
        f.debug_struct("MailConfig")
            .field("from", &self.from)
            .field("poll", &self.poll)
            .finish_non_exhaustive()
    }
}

/// Backoff before attempt `n + 1`: 30 s, 1 min, 2 min, 4 min, …
pub fn backoff(attempts: i32) -> Duration {
    Duration::seconds(30 * (1_i64 << attempts.clamp(0, 10)))
}

/// Runs forever: polls the outbox and sends what is due.
pub async fn run(db: DatabaseConnection, config: MailConfig) {
    let transport = match AsyncSmtpTransport::<Tokio1Executor>::from_url(&config.url) {
        Ok(b) => b.timeout(Some(std::time::Duration::from_secs(30))).build(),
        Err(e) => {
            tracing::error!(error = %e, "AFFIANCA_SMTP_URL is not a valid SMTP URL: e-mails stay in the outbox");
            return;
        }
    };
    let from: Mailbox = match config.from.parse() {
        Ok(m) => m,
        Err(e) => {
            tracing::error!(error = %e, "AFFIANCA_MAIL_FROM is not a valid mailbox: e-mails stay in the outbox");
            return;
        }
    };
    tracing::info!(from = %from, "e-mail worker started");
    loop {
        match send_due(&db, &transport, &from).await {
            Ok(0) => tokio::time::sleep(config.poll).await,
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %e, "e-mail worker: database error");
                tokio::time::sleep(config.poll).await;
            }
        }
    }
}

/// Sends up to 20 due messages; returns how many it handled.
pub async fn send_due(
    db: &DatabaseConnection,
    transport: &AsyncSmtpTransport<Tokio1Executor>,
    from: &Mailbox,
) -> Result<usize, sea_orm::DbErr> {
    let now = Utc::now();
    let due = Condition::any()
        .add(
            Condition::all()
                .add(outbox::Column::Status.eq("queued"))
                .add(outbox::Column::NextAttemptAt.lte(now)),
        )
        .add(
            Condition::all()
                .add(outbox::Column::Status.eq("sending"))
                .add(outbox::Column::NextAttemptAt.lte(now)),
        );
    let candidates = outbox::Entity::find()
        .filter(due)
        .order_by_asc(outbox::Column::Id)
        .limit(20)
        .all(db)
        .await?;
    let mut handled = 0;
    for m in candidates {
        // Claim: only one worker's conditional update matches the row as it was read.
        let claimed = outbox::Entity::update_many()
            .col_expr(outbox::Column::Status, Expr::value("sending"))
            .col_expr(outbox::Column::Attempts, Expr::value(m.attempts + 1))
            .col_expr(
                outbox::Column::NextAttemptAt,
                Expr::value(now + Duration::seconds(LEASE_SECONDS)),
            )
            .filter(outbox::Column::Id.eq(m.id))
            .filter(outbox::Column::Status.eq(m.status.clone()))
            .filter(outbox::Column::Attempts.eq(m.attempts))
            .exec(db)
            .await?;
        if claimed.rows_affected != 1 {
            continue;
        }
        handled += 1;
        let attempts = m.attempts + 1;
        let result = match build(&m, from) {
            Ok(email) => transport
                .send(email)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string()),
            Err(e) => Err(e),
        };
        let update = outbox::Entity::update_many().filter(outbox::Column::Id.eq(m.id));
        match result {
            Ok(()) => {
                update
                    .col_expr(outbox::Column::Status, Expr::value("sent"))
                    .col_expr(outbox::Column::SentAt, Expr::value(Utc::now()))
                    .col_expr(
                        outbox::Column::LastError,
                        Expr::value(Option::<String>::None),
                    )
                    .exec(db)
                    .await?;
                tracing::info!(outbox_id = m.id, "e-mail sent");
            }
            Err(error) => {
                let (status, next) = if attempts >= MAX_ATTEMPTS {
                    ("failed", Utc::now())
                } else {
                    ("queued", Utc::now() + backoff(attempts - 1))
                };
                update
                    .col_expr(outbox::Column::Status, Expr::value(status))
                    .col_expr(outbox::Column::NextAttemptAt, Expr::value(next))
                    .col_expr(
                        outbox::Column::LastError,
                        Expr::value(error.chars().take(1000).collect::<String>()),
                    )
                    .exec(db)
                    .await?;
                tracing::warn!(outbox_id = m.id, attempts, status, error = %error, "e-mail not sent");
            }
        }
    }
    Ok(handled)
}

/// The `Message-ID` of an outbox row: the same for every attempt, so that a message sent again
/// (the worker died after the SMTP server took it but before the row said `sent`; delivery is
/// at least once) is recognisable as a duplicate by mail servers and clients. The sender's domain
/// makes it globally unique, the row's id and creation time unique within it.
pub fn message_id(m: &outbox::Model, from: &Mailbox) -> String {
    format!(
        "<outbox-{}-{}@{}>",
        m.id,
        m.created_at.timestamp(),
        from.email.domain()
    )
}

fn build(m: &outbox::Model, from: &Mailbox) -> Result<Message, String> {
    let to: Mailbox = m.recipient.parse().map_err(|e| format!("recipient: {e}"))?;
    Message::builder()
        .message_id(Some(message_id(m, from)))
        .from(from.clone())
        .to(to)
        .subject(m.subject.clone())
        .header(ContentType::TEXT_PLAIN)
        .body(m.body.clone())
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::{backoff, message_id};

    #[test]
    fn the_message_id_is_stable_per_outbox_row() {
        let created = chrono::DateTime::from_timestamp(1_790_000_000, 0).unwrap();
        let row = crate::entities::outbox::Model {
            id: 42,
            recipient: "a@esempio.it".into(),
            subject: "s".into(),
            body: "b".into(),
            status: "queued".into(),
            attempts: 3,
            last_error: None,
            next_attempt_at: created,
            created_at: created,
            sent_at: None,
        };
        let from = "Affianca <noreply@affianca.example.it>".parse().unwrap();
        assert_eq!(
            message_id(&row, &from),
            "<outbox-42-1790000000@affianca.example.it>"
        );
        let later = crate::entities::outbox::Model {
            attempts: 4,
            status: "sending".into(),
            ..row.clone()
        };
        assert_eq!(message_id(&later, &from), message_id(&row, &from));
    }

    #[test]
    fn backoff_doubles_and_is_bounded() {
        assert_eq!(backoff(0).num_seconds(), 30);
        assert_eq!(backoff(1).num_seconds(), 60);
        assert_eq!(backoff(3).num_seconds(), 240);
        assert_eq!(backoff(50).num_seconds(), 30 * 1024);
    }
}
