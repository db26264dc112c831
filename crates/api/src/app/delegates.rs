//! An authority's people (DOMAIN.md §2): the legal representative (or the secretariat) invites
//! officials by e-mail; the invitation link carries a single-use token valid 7 days; accepting
//! grants `authority_delegate`. Only the representative or the secretariat removes a delegate,
//! which ends their sessions at once; the secretariat changes the representative.

use crate::app::accounts;
use crate::audit::{self, Entry, RequestMeta};
use crate::auth::{Caller, Sessions, password};
use crate::entities::{action_token, role_grant, user};
use crate::error::{ApiError, ApiResult};
use crate::notify::{self, PublicUrl};
use crate::registry::Snapshot;
use crate::tokens;
use actix_web::http::StatusCode;
use affianca_domain::dto::{
    AcceptInvitationRequest, ChangeRepresentativeRequest, Delegate, FieldError, Invitation,
    InvitationPreview, Representative,
};
use affianca_domain::links;
use affianca_domain::{AuditAction, Email, IstatCode, Role, RoleScope, Scope, UserId};
use chrono::{Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
};

/// How long an invitation link works.
pub const INVITATION_DAYS: i64 = 7;

/// How the caller relates to an authority's people.
enum Standing {
    /// The secretariat or the authority's representative: may invite and remove.
    Manager,
    /// A delegate of the authority: may see, not manage.
    Member,
}

/// The authority (code, name) and how the caller stands to its people; 404 for callers with
/// nothing to do with it (its people are not their business).
fn standing(
    snapshot: &Snapshot,
    caller: &Caller,
    code: &str,
) -> ApiResult<(IstatCode, String, Standing)> {
    let authority = snapshot
        .get(code)
        .ok_or_else(|| ApiError::not_found("L'ente"))?;
    let scope = Scope::Authority(authority.istat_code.clone());
    let holds = |role: Role| caller.scopes_of(role).any(|s| *s == scope);
    let standing = if caller.has_role(Role::Secretariat) || holds(Role::AuthorityRep) {
        Standing::Manager
    } else if holds(Role::AuthorityDelegate) {
        Standing::Member
    } else {
        return Err(ApiError::not_found("L'ente"));
    };
    Ok((
        authority.istat_code.clone(),
        authority.name.clone(),
        standing,
    ))
}

/// The authority's code and name, when the caller manages its people (403 for its delegates).
fn managed(snapshot: &Snapshot, caller: &Caller, code: &str) -> ApiResult<(IstatCode, String)> {
    match standing(snapshot, caller, code)? {
        (code, name, Standing::Manager) => Ok((code, name)),
        (_, _, Standing::Member) => Err(ApiError::forbidden(
            "Solo il rappresentante legale dell'ente o la Segreteria Tecnica gestiscono i delegati.",
        )),
    }
}

fn invitation_dto(t: action_token::Model) -> Option<Invitation> {
    let now = Utc::now();
    let status = if t.used_at.is_some() {
        "accepted"
    } else if t.revoked_at.is_some() {
        "revoked"
    } else if t.expires_at <= now {
        "expired"
    } else {
        "pending"
    };
    Some(Invitation {
        id: t.id,
        istat_code: IstatCode::parse(t.authority_code.as_deref()?).ok()?,
        email: Email::parse(&t.email).ok()?,
        created_at: t.created_at,
        expires_at: t.expires_at,
        status: status.into(),
    })
}

/// 403 unless the caller manages the authority's people (the check before reading a body).
pub fn may_manage(snapshot: &Snapshot, caller: &Caller, code: &str) -> ApiResult<()> {
    managed(snapshot, caller, code).map(|_| ())
}

/// Invites `email` as a delegate of the authority: a link valid [`INVITATION_DAYS`] days that works
/// once, e-mailed. 409 when that person is a delegate already.
pub async fn invite(
    db: &DatabaseConnection,
    base: &PublicUrl,
    snapshot: &Snapshot,
    caller: &Caller,
    meta: &RequestMeta,
    code: &str,
    email: Email,
) -> ApiResult<Invitation> {
    let (code, name) = managed(snapshot, caller, code)?;
    if let Some(u) = user::Entity::find()
        .filter(user::Column::Email.eq(email.as_str()))
        .one(db)
        .await?
    {
        let already = role_grant::Entity::find()
            .filter(role_grant::Column::UserId.eq(u.id))
            .filter(role_grant::Column::Role.eq(Role::AuthorityDelegate.code()))
            .filter(role_grant::Column::Scope.eq(Scope::Authority(code.clone()).to_string()))
            .one(db)
            .await?;
        if already.is_some() {
            return Err(ApiError::conflict(format!(
                "{email} è già delegato per {name}."
            )));
        }
    }
    let txn = crate::db::begin_write(db).await?;
    let (secret, row) = tokens::create(
        &txn,
        tokens::NewToken {
            purpose: tokens::INVITATION,
            email: email.as_str(),
            user_id: None,
            authority_code: Some(code.as_str()),
            created_by: Some(caller.user_id.0),
            ttl: Duration::days(INVITATION_DAYS),
        },
    )
    .await?;
    let link = format!("{}{}", base.0, links::invitation(&secret));
    notify::enqueue_email(
        &txn,
        email.as_str(),
        &format!("Affianca: invito come delegato di {name}"),
        &format!(
            "Buongiorno,\n\nsiete stati invitati a operare su Affianca, il portale dell'assistenza tecnica PNRR di Regione Lombardia, come delegati di {name}.\n\nPer accettare aprite questo link entro {INVITATION_DAYS} giorni (funziona una sola volta):\n{link}\n\nSe non vi aspettavate questo invito, ignorate il messaggio.\n\n--\nAffianca — Assistenza tecnica PNRR, Regione Lombardia\nMessaggio automatico: non rispondere.\n"
        ),
    )
    .await?;
    audit::record(
        &txn,
        meta,
        Entry::new(AuditAction::DelegateInvited)
            .actor(caller.user_id)
            .target("authority", &code)
            .details(serde_json::json!({"email": email, "invitation_id": row.id})),
    )
    .await?;
    txn.commit().await?;
    invitation_dto(row)
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("invitation does not parse")))
}

/// The authority's invitations, newest first (to those who manage its people).
pub async fn invitations(
    db: &DatabaseConnection,
    snapshot: &Snapshot,
    caller: &Caller,
    code: &str,
) -> ApiResult<Vec<Invitation>> {
    let (code, _) = managed(snapshot, caller, code)?;
    let rows = action_token::Entity::find()
        .filter(action_token::Column::Purpose.eq(tokens::INVITATION))
        .filter(action_token::Column::AuthorityCode.eq(code.as_str()))
        .order_by_desc(action_token::Column::Id)
        .all(db)
        .await?;
    Ok(rows.into_iter().filter_map(invitation_dto).collect())
}

/// Revokes a pending invitation of the authority: its link stops working (404 if there is none).
pub async fn revoke_invitation(
    db: &DatabaseConnection,
    snapshot: &Snapshot,
    caller: &Caller,
    meta: &RequestMeta,
    code: &str,
    id: i64,
) -> ApiResult<()> {
    let (code, _) = managed(snapshot, caller, code)?;
    let txn = crate::db::begin_write(db).await?;
    let res = action_token::Entity::update_many()
        .col_expr(action_token::Column::RevokedAt, Expr::value(Utc::now()))
        .filter(action_token::Column::Id.eq(id))
        .filter(action_token::Column::Purpose.eq(tokens::INVITATION))
        .filter(action_token::Column::AuthorityCode.eq(code.as_str()))
        .filter(action_token::Column::UsedAt.is_null())
        .filter(action_token::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    if res.rows_affected == 0 {
        return Err(ApiError::not_found("L'invito in attesa"));
    }
    audit::record(
        &txn,
        meta,
        Entry::new(AuditAction::InvitationRevoked)
            .actor(caller.user_id)
            .target("invitation", id),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// What an invitation link is for (the link is the credential): 404 for an unknown one, 410 for
/// one that no longer works.
pub async fn preview(
    db: &DatabaseConnection,
    snapshot: &Snapshot,
    secret: &str,
) -> ApiResult<InvitationPreview> {
    let t = tokens::find_usable(db, tokens::INVITATION, secret).await?;
    let code = t.authority_code.clone().unwrap_or_default();
    let authority = snapshot
        .get(&code)
        .ok_or_else(|| ApiError::not_found("L'ente dell'invito"))?;
    let existing = user::Entity::find()
        .filter(user::Column::Email.eq(&t.email))
        .one(db)
        .await?
        .is_some();
    Ok(InvitationPreview {
        istat_code: authority.istat_code.clone(),
        authority_name: authority.name.clone(),
        email: Email::parse(&t.email).map_err(ApiError::internal)?,
        expires_at: t.expires_at,
        existing_account: existing,
    })
}

/// Accepts an invitation: creates the account (or, for an existing one, checks its password,
/// with the login's lock-out) and grants `authority_delegate`, working at once.
pub async fn accept(
    db: &DatabaseConnection,
    sessions: &Sessions,
    meta: &RequestMeta,
    secret: &str,
    req: AcceptInvitationRequest,
) -> ApiResult<()> {
    let t = tokens::find_usable(db, tokens::INVITATION, secret).await?;
    let code = IstatCode::parse(t.authority_code.as_deref().unwrap_or_default())
        .map_err(ApiError::internal)?;
    let email = Email::parse(&t.email).map_err(ApiError::internal)?;
    let existing = user::Entity::find()
        .filter(user::Column::Email.eq(email.as_str()))
        .one(db)
        .await?;
    let new_hash = match &existing {
        Some(u) => {
            // The same lock-out as at login: an invitation link is no way to guess passwords.
            accounts::check_lockout(db, &u.email).await?;
            if !password::verify_blocking(req.password.clone(), u.password_hash.clone()).await
                || !u.active
            {
                accounts::record_failure(db, &u.email).await?;
                return Err(ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "invalid_credentials",
                    "Credenziali non valide",
                )
                .detail(format!(
                    "Esiste già un account {email}: inserire la sua password per accettare l'invito."
                )));
            }
            None
        }
        None => {
            let mut errors = Vec::new();
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
            Some(
                password::hash_blocking(req.password.clone())
                    .await
                    .map_err(ApiError::internal)?,
            )
        }
    };
    let txn = crate::db::begin_write(db).await?;
    tokens::consume(&txn, t.id).await?;
    let user_id = match (existing, new_hash) {
        (Some(u), _) => u.id,
        (None, Some(hash)) => {
            user::Entity::insert(user::ActiveModel {
                email: Set(email.to_string()),
                full_name: Set(req.full_name.trim().to_owned()),
                password_hash: Set(hash),
                active: Set(true),
                created_at: Set(Utc::now()),
                ..Default::default()
            })
            .exec(&txn)
            .await?
            .last_insert_id
        }
        (None, None) => unreachable!("a new account always has a hash"),
    };
    let grant = RoleScope::new(Role::AuthorityDelegate, Scope::Authority(code.clone()))
        .map_err(ApiError::internal)?;
    accounts::insert_grants(&txn, user_id, &[grant], t.created_by).await?;
    audit::record(
        &txn,
        meta,
        Entry::new(AuditAction::InvitationAccepted)
            .actor(UserId(user_id))
            .actor_email(email.as_str())
            .target("authority", &code)
            .details(serde_json::json!({"invitation_id": t.id})),
    )
    .await?;
    txn.commit().await?;
    // An existing user's new grant works at once.
    sessions.forget([user_id]);
    Ok(())
}

/// The authority's active delegates, by name (to its representative, its delegates, the
/// secretariat).
pub async fn delegates(
    db: &DatabaseConnection,
    snapshot: &Snapshot,
    caller: &Caller,
    code: &str,
) -> ApiResult<Vec<Delegate>> {
    let (code, _, _) = standing(snapshot, caller, code)?;
    let grants = role_grant::Entity::find()
        .filter(role_grant::Column::Role.eq(Role::AuthorityDelegate.code()))
        .filter(role_grant::Column::Scope.eq(Scope::Authority(code).to_string()))
        .all(db)
        .await?;
    let mut out = Vec::new();
    for g in grants {
        if let Some(u) = user::Entity::find_by_id(g.user_id)
            .one(db)
            .await?
            .filter(|u| u.active)
            && let Ok(email) = Email::parse(&u.email)
        {
            out.push(Delegate {
                user_id: UserId(u.id),
                full_name: u.full_name,
                email,
                since: g.granted_at,
            });
        }
    }
    out.sort_by(|a, b| a.full_name.cmp(&b.full_name));
    Ok(out)
}

/// Removes a delegate of the authority: the role goes and their sessions end at once (404 if
/// they are no delegate of it).
pub async fn remove(
    db: &DatabaseConnection,
    sessions: &Sessions,
    snapshot: &Snapshot,
    caller: &Caller,
    meta: &RequestMeta,
    code: &str,
    user_id: i64,
) -> ApiResult<()> {
    let (code, _) = managed(snapshot, caller, code)?;
    let txn = crate::db::begin_write(db).await?;
    let res = role_grant::Entity::delete_many()
        .filter(role_grant::Column::UserId.eq(user_id))
        .filter(role_grant::Column::Role.eq(Role::AuthorityDelegate.code()))
        .filter(role_grant::Column::Scope.eq(Scope::Authority(code.clone()).to_string()))
        .exec(&txn)
        .await?;
    if res.rows_affected == 0 {
        return Err(ApiError::not_found("Il delegato"));
    }
    crate::auth::end_sessions(&txn, sessions, [user_id]).await?;
    audit::record(
        &txn,
        meta,
        Entry::new(AuditAction::DelegateRemoved)
            .actor(caller.user_id)
            .target("user", user_id)
            .details(serde_json::json!({"istat_code": code})),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Moves the authority's `authority_rep` grant to the person of `req` (an account is created if
/// needed, with an e-mailed link to set the password); the previous representative's sessions
/// end; the authority's data, delegates and registration stay.
#[allow(clippy::too_many_arguments)]
pub async fn change_representative(
    db: &DatabaseConnection,
    sessions: &Sessions,
    base: &PublicUrl,
    snapshot: &Snapshot,
    caller: &Caller,
    meta: &RequestMeta,
    code: &str,
    req: ChangeRepresentativeRequest,
) -> ApiResult<Representative> {
    let authority = snapshot
        .get(code)
        .ok_or_else(|| ApiError::not_found("L'ente"))?
        .clone();
    let existing = user::Entity::find()
        .filter(user::Column::Email.eq(req.email.as_str()))
        .one(db)
        .await?;
    let name = req.full_name.trim().to_owned();
    if existing.is_none() && (name.is_empty() || name.chars().count() > 200) {
        return Err(ApiError::invalid_field(
            "full_name",
            "obbligatorio per un nuovo account, al massimo 200 caratteri",
        ));
    }
    let scope = Scope::Authority(authority.istat_code.clone()).to_string();
    let txn = crate::db::begin_write(db).await?;
    let (user_id, full_name, new_account) = match existing {
        Some(u) => (u.id, u.full_name, false),
        None => {
            let id = accounts::create_with_setup_link(
                &txn,
                base,
                accounts::NewAccount {
                    email: &req.email,
                    full_name: &name,
                    created_by: caller.user_id.0,
                    subject: format!("Affianca: rappresentante legale di {}", authority.name),
                    reason: format!(
                        "la Segreteria Tecnica vi ha registrato come rappresentante legale di {} su Affianca, il portale dell'assistenza tecnica PNRR di Regione Lombardia.",
                        authority.name
                    ),
                },
            )
            .await?;
            (id, name, true)
        }
    };
    let previous: Vec<i64> = role_grant::Entity::find()
        .filter(role_grant::Column::Role.eq(Role::AuthorityRep.code()))
        .filter(role_grant::Column::Scope.eq(&scope))
        .filter(role_grant::Column::UserId.ne(user_id))
        .all(&txn)
        .await?
        .into_iter()
        .map(|g| g.user_id)
        .collect();
    role_grant::Entity::delete_many()
        .filter(role_grant::Column::Role.eq(Role::AuthorityRep.code()))
        .filter(role_grant::Column::Scope.eq(&scope))
        .filter(role_grant::Column::UserId.is_in(previous.clone()))
        .exec(&txn)
        .await?;
    crate::auth::end_sessions(&txn, sessions, previous.clone()).await?;
    sessions.forget([user_id]);
    let grant = RoleScope::new(
        Role::AuthorityRep,
        Scope::Authority(authority.istat_code.clone()),
    )
    .map_err(ApiError::internal)?;
    accounts::insert_grants(&txn, user_id, &[grant], Some(caller.user_id.0)).await?;
    if !new_account {
        notify::user(
            &txn,
            base,
            user_id,
            &notify::Notice {
                kind: "representative_appointed",
                title: format!("Rappresentante legale di {}", authority.name),
                body: format!(
                    "Siete ora il rappresentante legale di {} su Affianca.",
                    authority.name
                ),
                link: Some(links::authority(authority.istat_code.as_str())),
            },
        )
        .await?;
    }
    audit::record(
        &txn,
        meta,
        Entry::new(AuditAction::RepresentativeChanged)
            .actor(caller.user_id)
            .target("authority", &authority.istat_code)
            .details(serde_json::json!({"new_user_id": user_id, "previous_user_ids": previous})),
    )
    .await?;
    txn.commit().await?;
    Ok(Representative {
        user_id: UserId(user_id),
        full_name,
        email: req.email,
    })
}
