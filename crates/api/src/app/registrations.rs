//! Onboarding of authorities (DOMAIN.md §2): a legal representative signs up for an authority,
//! uploads the signed Protocollo di Collaborazione (PDF), and the secretariat approves (granting
//! `authority_rep`, working at once) or rejects with a reason, after which the representative may
//! upload a corrected protocol. A registration is seen by the secretariat and by whoever made it.

use crate::app::accounts;
use crate::audit::{self, Entry, RequestMeta};
use crate::auth::{Caller, Sessions, password};
use crate::entities::{authority, registration, stored_file, user};
use crate::error::{ApiError, ApiResult};
use crate::notify::{self, Notice, PublicUrl};
use crate::registry::Snapshot;
use crate::storage::{Blob, FileKind, Storage};
use actix_web::http::StatusCode;
use affianca_domain::dto::{CreateRegistrationRequest, FieldError, Registration, StoredFileInfo};
use affianca_domain::links;
use affianca_domain::{
    AuditAction, Email, IstatCode, Office, RegistrationStatus, Role, RoleScope, Scope,
};
use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder,
};

/// The registration as the API shows it.
pub async fn dto(db: &impl ConnectionTrait, r: registration::Model) -> ApiResult<Registration> {
    let a = authority::Entity::find_by_id(r.authority_code.clone())
        .one(db)
        .await?;
    let u = user::Entity::find_by_id(r.user_id).one(db).await?;
    let protocol = match r.protocol_file_id {
        Some(id) => stored_file::Entity::find_by_id(id)
            .one(db)
            .await?
            .map(|f| StoredFileInfo {
                id: f.id,
                size: f.size.max(0) as u64,
                content_type: f.content_type,
                original_name: f.original_name,
                uploaded_at: f.uploaded_at,
            }),
        None => None,
    };
    let corrupt = || {
        ApiError::internal(anyhow::anyhow!(
            "registration {} has invalid stored values",
            r.id
        ))
    };
    Ok(Registration {
        id: r.id,
        istat_code: IstatCode::parse(&r.authority_code).map_err(|_| corrupt())?,
        authority_name: a.map(|a| a.name).unwrap_or_default(),
        full_name: r.full_name,
        office: Office::parse(&r.office).map_err(|_| corrupt())?,
        email: u
            .and_then(|u| Email::parse(&u.email).ok())
            .ok_or_else(corrupt)?,
        status: RegistrationStatus::parse(&r.status).map_err(|_| corrupt())?,
        protocol,
        rejection_reason: r.rejection_reason,
        created_at: r.created_at,
        submitted_at: r.submitted_at,
        decided_at: r.decided_at,
    })
}

/// The registration if the caller may see it (the secretariat, or the person who registered).
async fn visible(
    db: &impl ConnectionTrait,
    caller: &Caller,
    id: i64,
) -> ApiResult<registration::Model> {
    let r = registration::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("La registrazione"))?;
    if caller.has_role(Role::Secretariat) || r.user_id == caller.user_id.0 {
        Ok(r)
    } else {
        Err(ApiError::not_found("La registrazione"))
    }
}

fn is_unique_violation(e: &sea_orm::DbErr) -> bool {
    matches!(
        e.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}

/// Signs up `req` as the legal representative of an authority (no login needed): the account
/// (which can log in at once, without roles) and the registration, waiting for the protocol. 422
/// naming each bad field; 409 when the authority has a registration open or approved, or the
/// e-mail has an account.
pub async fn create(
    db: &DatabaseConnection,
    snapshot: &Snapshot,
    meta: &RequestMeta,
    req: CreateRegistrationRequest,
) -> ApiResult<Registration> {
    let mut errors = Vec::new();
    let authority = snapshot
        .get(req.istat_code.as_str())
        .filter(|a| a.active)
        .cloned();
    match &authority {
        None => errors.push(FieldError {
            field: "istat_code".into(),
            message: format!("{} non è un ente attivo del registro", req.istat_code),
        }),
        Some(a) => match Office::for_kind(a.kind) {
            None => errors.push(FieldError {
                field: "istat_code".into(),
                message: "la Regione non si registra come ente assistito".into(),
            }),
            Some(expected) if expected != req.office => errors.push(FieldError {
                field: "office".into(),
                message: format!(
                    "per un ente di tipo {} la carica è «{}»",
                    a.kind.label(),
                    expected.label()
                ),
            }),
            Some(_) => {}
        },
    }
    let name = req.full_name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        errors.push(FieldError {
            field: "full_name".into(),
            message: "obbligatorio, al massimo 200 caratteri".into(),
        });
    }
    if let Err(m) = password::check_policy(&req.password) {
        errors.push(FieldError {
            field: "password".into(),
            message: m,
        });
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let authority = authority.expect("checked above");
    let open = registration::Entity::find()
        .filter(registration::Column::AuthorityCode.eq(req.istat_code.as_str()))
        .filter(registration::Column::Status.ne(RegistrationStatus::Rejected.code()))
        .one(db)
        .await?;
    if open.is_some() {
        return Err(ApiError::conflict(format!(
            "{} ha già una registrazione in corso o approvata: per cambiare rappresentante contattare la Segreteria Tecnica.",
            authority.name
        )));
    }
    if user::Entity::find()
        .filter(user::Column::Email.eq(req.email.as_str()))
        .one(db)
        .await?
        .is_some()
    {
        return Err(ApiError::conflict(format!(
            "Esiste già un account con l'e-mail {}: accedere con quello.",
            req.email
        )));
    }
    let hash = password::hash_blocking(req.password.clone())
        .await
        .map_err(ApiError::internal)?;
    let now = Utc::now();
    let txn = crate::db::begin_write(db).await?;
    let conflict = |e: sea_orm::DbErr| {
        if is_unique_violation(&e) {
            ApiError::conflict("Registrazione già presente per questo ente o e-mail già in uso.")
        } else {
            e.into()
        }
    };
    let u = user::Entity::insert(user::ActiveModel {
        email: Set(req.email.to_string()),
        full_name: Set(name.to_owned()),
        password_hash: Set(hash),
        active: Set(true),
        created_at: Set(now),
        ..Default::default()
    })
    .exec(&txn)
    .await
    .map_err(conflict)?;
    let r = registration::Entity::insert(registration::ActiveModel {
        authority_code: Set(req.istat_code.to_string()),
        user_id: Set(u.last_insert_id),
        full_name: Set(name.to_owned()),
        office: Set(req.office.code().to_owned()),
        status: Set(RegistrationStatus::AwaitingProtocol.code().to_owned()),
        created_at: Set(now),
        version: Set(1),
        ..Default::default()
    })
    .exec(&txn)
    .await
    .map_err(conflict)?;
    audit::record(
        &txn,
        meta,
        Entry::new(AuditAction::RegistrationCreated)
            .actor(affianca_domain::UserId(u.last_insert_id))
            .actor_email(req.email.as_str())
            .target("registration", r.last_insert_id)
            .details(serde_json::json!({"istat_code": req.istat_code, "office": req.office})),
    )
    .await?;
    let model = registration::Entity::find_by_id(r.last_insert_id)
        .one(&txn)
        .await?
        .ok_or_else(|| ApiError::not_found("La registrazione"))?;
    let dto = dto(&txn, model).await?;
    txn.commit().await?;
    Ok(dto)
}

/// The registrations of `status` (all for the secretariat, one's own for anyone else), oldest
/// submission first.
pub async fn list(
    db: &DatabaseConnection,
    caller: &Caller,
    status: Option<&str>,
) -> ApiResult<Vec<Registration>> {
    let mut select = registration::Entity::find();
    if let Some(s) = status {
        let status = RegistrationStatus::parse(s)
            .map_err(|e| ApiError::invalid_field("status", e.to_string()))?;
        select = select.filter(registration::Column::Status.eq(status.code()));
    }
    if !caller.has_role(Role::Secretariat) {
        select = select.filter(registration::Column::UserId.eq(caller.user_id.0));
    }
    let rows = select
        .order_by_asc(registration::Column::SubmittedAt)
        .order_by_asc(registration::Column::Id)
        .all(db)
        .await?;
    let mut items = Vec::with_capacity(rows.len());
    for r in rows {
        items.push(dto(db, r).await?);
    }
    Ok(items)
}

/// One registration (404 unless the secretariat's or one's own).
pub async fn get(db: &DatabaseConnection, caller: &Caller, id: i64) -> ApiResult<Registration> {
    let r = visible(db, caller, id).await?;
    dto(db, r).await
}

/// The caller's own registration `id` if it takes a protocol now (awaiting it, or rejected): 404
/// for another's, 409 once submitted or approved. Checked before the upload is received.
pub async fn awaiting_protocol(
    db: &DatabaseConnection,
    caller: &Caller,
    id: i64,
) -> ApiResult<registration::Model> {
    let r = visible(db, caller, id).await?;
    if r.user_id != caller.user_id.0 {
        return Err(ApiError::not_found("La registrazione"));
    }
    let status = RegistrationStatus::parse(&r.status).map_err(ApiError::internal)?;
    if !status.accepts_protocol() {
        return Err(ApiError::conflict(format!(
            "La registrazione è «{}»: il protocollo non si può più cambiare.",
            status.label()
        )));
    }
    Ok(r)
}

/// Records the received protocol (415 unless a PDF) and submits the registration to the
/// secretariat's approval queue, telling the secretariat.
#[allow(clippy::too_many_arguments)]
pub async fn submit_protocol(
    db: &DatabaseConnection,
    base: &PublicUrl,
    storage: &Storage,
    caller: &Caller,
    meta: &RequestMeta,
    r: registration::Model,
    blob: &Blob,
    original: &str,
) -> ApiResult<Registration> {
    if blob.kind != Some(FileKind::Pdf) {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Formato non supportato",
        )
        .detail("Il protocollo deve essere un file PDF."));
    }
    let txn = crate::db::begin_write(db).await?;
    let file = storage
        .record(&txn, blob, original, Some(caller.user_id.0))
        .await?;
    let now = Utc::now();
    let updated = registration::Entity::update_many()
        .col_expr(registration::Column::ProtocolFileId, Expr::value(file.id))
        .col_expr(
            registration::Column::Status,
            Expr::value(RegistrationStatus::Submitted.code()),
        )
        .col_expr(registration::Column::SubmittedAt, Expr::value(now))
        .col_expr(registration::Column::Version, Expr::value(r.version + 1))
        .filter(registration::Column::Id.eq(r.id))
        .filter(registration::Column::Version.eq(r.version))
        .exec(&txn)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                ApiError::conflict(
                    "Nel frattempo l'ente ha un'altra registrazione in corso o approvata.",
                )
            } else {
                e.into()
            }
        })?;
    if updated.rows_affected != 1 {
        return Err(ApiError::conflict(
            "La registrazione è cambiata nel frattempo: ricaricarla.",
        ));
    }
    let model = registration::Entity::find_by_id(r.id)
        .one(&txn)
        .await?
        .ok_or_else(|| ApiError::not_found("La registrazione"))?;
    let dto = dto(&txn, model).await?;
    audit::record(
        &txn,
        meta,
        Entry::new(AuditAction::RegistrationSubmitted)
            .actor(caller.user_id)
            .target("registration", r.id)
            .details(
                serde_json::json!({"file_id": file.id, "sha256": file.sha256, "size": file.size}),
            ),
    )
    .await?;
    notify::role(
        &txn,
        base,
        Role::Secretariat,
        &Notice {
            kind: "registration_submitted",
            title: format!("Nuova registrazione: {}", dto.authority_name),
            body: format!(
                "{} ({}) ha caricato il Protocollo di Collaborazione per {}: la registrazione attende la vostra approvazione.",
                dto.full_name,
                dto.office.label(),
                dto.authority_name
            ),
            link: Some(links::registration(dto.id)),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(dto)
}

/// The stored protocol of registration `id` and the name to download it as (the secretariat, or
/// whoever registered; 404 otherwise or when there is none).
pub async fn protocol(
    db: &DatabaseConnection,
    caller: &Caller,
    id: i64,
) -> ApiResult<(stored_file::Model, String)> {
    let r = visible(db, caller, id).await?;
    let file_id = r
        .protocol_file_id
        .ok_or_else(|| ApiError::not_found("Il protocollo"))?;
    let file = stored_file::Entity::find_by_id(file_id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("Il protocollo"))?;
    Ok((
        file,
        format!("protocollo-{}-{}.pdf", r.authority_code, r.id),
    ))
}

async fn decide(
    r: &registration::Model,
    to: RegistrationStatus,
    by: i64,
    reason: Option<&str>,
    txn: &impl ConnectionTrait,
) -> ApiResult<()> {
    let now = Utc::now();
    let updated = registration::Entity::update_many()
        .col_expr(registration::Column::Status, Expr::value(to.code()))
        .col_expr(registration::Column::DecidedAt, Expr::value(now))
        .col_expr(registration::Column::DecidedBy, Expr::value(by))
        .col_expr(
            registration::Column::RejectionReason,
            Expr::value(reason.map(str::to_owned)),
        )
        .col_expr(registration::Column::Version, Expr::value(r.version + 1))
        .filter(registration::Column::Id.eq(r.id))
        .filter(registration::Column::Status.eq(RegistrationStatus::Submitted.code()))
        .filter(registration::Column::Version.eq(r.version))
        .exec(txn)
        .await?;
    if updated.rows_affected != 1 {
        return Err(ApiError::conflict(
            "La registrazione non è (più) in valutazione.",
        ));
    }
    Ok(())
}

async fn submitted(
    db: &impl ConnectionTrait,
    caller: &Caller,
    id: i64,
) -> ApiResult<registration::Model> {
    let r = visible(db, caller, id).await?;
    if r.status != RegistrationStatus::Submitted.code() {
        return Err(ApiError::conflict(
            "La registrazione non è in valutazione: si decide solo dopo il caricamento del protocollo.",
        ));
    }
    Ok(r)
}

/// Approves a submitted registration: the representative gets `authority_rep`, at once.
pub async fn approve(
    db: &DatabaseConnection,
    sessions: &Sessions,
    base: &PublicUrl,
    caller: &Caller,
    meta: &RequestMeta,
    id: i64,
) -> ApiResult<Registration> {
    let r = submitted(db, caller, id).await?;
    let txn = crate::db::begin_write(db).await?;
    decide(
        &r,
        RegistrationStatus::Approved,
        caller.user_id.0,
        None,
        &txn,
    )
    .await?;
    let code = IstatCode::parse(&r.authority_code).map_err(ApiError::internal)?;
    let grant =
        RoleScope::new(Role::AuthorityRep, Scope::Authority(code)).map_err(ApiError::internal)?;
    accounts::insert_grants(&txn, r.user_id, &[grant], Some(caller.user_id.0)).await?;
    let model = registration::Entity::find_by_id(r.id)
        .one(&txn)
        .await?
        .ok_or_else(|| ApiError::not_found("La registrazione"))?;
    let dto = dto(&txn, model).await?;
    audit::record(
        &txn,
        meta,
        Entry::new(AuditAction::RegistrationApproved)
            .actor(caller.user_id)
            .target("registration", r.id),
    )
    .await?;
    notify::user(
        &txn,
        base,
        r.user_id,
        &Notice {
            kind: "registration_approved",
            title: "Registrazione approvata".into(),
            body: format!(
                "La registrazione di {} al programma di assistenza tecnica è stata approvata. Ora potete invitare i delegati e chiedere il supporto degli esperti.",
                dto.authority_name
            ),
            link: Some(links::registration(dto.id)),
        },
    )
    .await?;
    txn.commit().await?;
    // The new representative's grant works at once.
    sessions.forget([r.user_id]);
    Ok(dto)
}

/// Rejects a submitted registration with a reason (1–2000 characters); the representative may
/// upload a corrected protocol, which submits it again.
pub async fn reject(
    db: &DatabaseConnection,
    base: &PublicUrl,
    caller: &Caller,
    meta: &RequestMeta,
    id: i64,
    reason: String,
) -> ApiResult<Registration> {
    let reason = reason.trim().to_owned();
    if reason.is_empty() || reason.chars().count() > 2000 {
        return Err(ApiError::invalid_field(
            "reason",
            "obbligatorio, al massimo 2000 caratteri",
        ));
    }
    let r = submitted(db, caller, id).await?;
    let txn = crate::db::begin_write(db).await?;
    decide(
        &r,
        RegistrationStatus::Rejected,
        caller.user_id.0,
        Some(&reason),
        &txn,
    )
    .await?;
    let model = registration::Entity::find_by_id(r.id)
        .one(&txn)
        .await?
        .ok_or_else(|| ApiError::not_found("La registrazione"))?;
    let dto = dto(&txn, model).await?;
    audit::record(
        &txn,
        meta,
        Entry::new(AuditAction::RegistrationRejected)
            .actor(caller.user_id)
            .target("registration", r.id)
            .details(serde_json::json!({"reason": reason})),
    )
    .await?;
    notify::user(
        &txn,
        base,
        r.user_id,
        &Notice {
            kind: "registration_rejected",
            title: "Registrazione da correggere".into(),
            body: format!(
                "La Segreteria Tecnica non ha approvato la registrazione di {}. Motivo: {reason}\nCaricare un protocollo corretto per inviarla di nuovo.",
                dto.authority_name
            ),
            link: Some(links::registration(dto.id)),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(dto)
}
