//! Telling people: every notice becomes an in-app notification and an e-mail in the outbox,
//! written in the caller's transaction so that a rolled-back action notifies nobody. The e-mail
//! worker sends the outbox (see `mailer`).

use crate::entities::{notification, outbox, role_grant, user};
use affianca_domain::Role;
use chrono::Utc;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect,
};

/// What to tell.
#[derive(Debug, Clone)]
pub struct Notice {
    /// Stable code (`registration_submitted`, …).
    pub kind: &'static str,
    /// Italian title, also the e-mail subject (after "Affianca: ").
    pub title: String,
    /// Italian text, also the e-mail body.
    pub body: String,
    /// A client path to open (`/registrazioni/3`).
    pub link: Option<String>,
}

/// The address people use to reach Affianca (`AFFIANCA_PUBLIC_URL`), for links in e-mails.
#[derive(Debug, Clone)]
pub struct PublicUrl(pub String);

/// Notifies one user, in the app and by e-mail.
pub async fn user(
    db: &impl ConnectionTrait,
    base: &PublicUrl,
    user_id: i64,
    notice: &Notice,
) -> Result<(), sea_orm::DbErr> {
    let Some(u) = user::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .filter(|u| u.active)
    else {
        return Ok(());
    };
    let now = Utc::now();
    notification::Entity::insert(notification::ActiveModel {
        user_id: Set(u.id),
        kind: Set(notice.kind.to_owned()),
        title: Set(notice.title.clone()),
        body: Set(notice.body.clone()),
        link: Set(notice.link.clone()),
        created_at: Set(now),
        read_at: Set(None),
        ..Default::default()
    })
    .exec_without_returning(db)
    .await?;
    enqueue_email(
        db,
        &u.email,
        &format!("Affianca: {}", notice.title),
        &email_body(&u.full_name, base, notice),
    )
    .await
}

/// Notifies every active user holding `role` (in any scope).
pub async fn role(
    db: &impl ConnectionTrait,
    base: &PublicUrl,
    role: Role,
    notice: &Notice,
) -> Result<(), sea_orm::DbErr> {
    let ids: Vec<i64> = role_grant::Entity::find()
        .select_only()
        .column(role_grant::Column::UserId)
        .filter(role_grant::Column::Role.eq(role.code()))
        .distinct()
        .into_tuple()
        .all(db)
        .await?;
    for id in ids {
        user(db, base, id, notice).await?;
    }
    Ok(())
}

fn email_body(name: &str, base: &PublicUrl, notice: &Notice) -> String {
    let mut body = format!("Gentile {name},\n\n{}\n", notice.body);
    if let Some(link) = &notice.link {
        body.push_str(&format!("\nPer i dettagli: {}{link}\n", base.0));
    }
    body.push_str("\n--\nAffianca — Assistenza tecnica PNRR, Regione Lombardia\nMessaggio automatico: non rispondere.\n");
    body
}

/// Puts an e-mail in the outbox.
pub async fn enqueue_email(
    db: &impl ConnectionTrait,
    to: &str,
    subject: &str,
    body: &str,
) -> Result<(), sea_orm::DbErr> {
    let now = Utc::now();
    outbox::Entity::insert(outbox::ActiveModel {
        recipient: Set(to.to_owned()),
        subject: Set(subject.to_owned()),
        body: Set(body.to_owned()),
        status: Set("queued".to_owned()),
        attempts: Set(0),
        last_error: Set(None),
        next_attempt_at: Set(now),
        created_at: Set(now),
        sent_at: Set(None),
        ..Default::default()
    })
    .exec_without_returning(db)
    .await?;
    tracing::debug!(subject, "e-mail queued");
    Ok(())
}
