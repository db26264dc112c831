//! Delegates of an authority: the legal representative (or the secretariat) invites officials by
//! e-mail; the invitation link carries a single-use token valid 7 days; accepting grants
//! `authority_delegate`. Only the representative or the secretariat removes a delegate, which
//! revokes their sessions at once.

use crate::app::accounts;
use crate::audit::{self, Entry, RequestMeta};
use crate::auth::{Caller, password};
use crate::entities::{action_token, role_grant, user};
use crate::error::{ApiError, ApiResult};
use crate::extract::{Body, LazyBody};
use crate::notify::{self, PublicUrl};
use crate::registry::Registry;
use crate::tokens;
use actix_web::{HttpResponse, delete, get, post, put, web};
use affianca_domain::dto::{
    AcceptInvitationRequest, ChangeRepresentativeRequest, Delegate, FieldError, Invitation,
    InvitationPreview, InviteDelegateRequest, Representative,
};
use affianca_domain::links;
use affianca_domain::{AuditAction, Email, IstatCode, Role, RoleScope, Scope, UserId};
use chrono::{Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

/// How long an invitation link works.
pub const INVITATION_DAYS: i64 = 7;

/// How the caller relates to an authority's people.
enum Standing {
    /// The secretariat or the authority's representative: may invite and remove.
    Manager,
    /// A delegate of the authority: may see, not manage.
    Member,
}

/// 404 for callers with nothing to do with the authority (its people are not their business).
async fn standing(
    db: &DatabaseConnection,
    registry: &Registry,
    caller: &Caller,
    code: &str,
) -> ApiResult<(IstatCode, String, Standing)> {
    let snapshot = registry.snapshot(db).await?;
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

fn manager_only(s: &Standing) -> ApiResult<()> {
    match s {
        Standing::Manager => Ok(()),
        Standing::Member => Err(ApiError::forbidden(
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

/// Invite a delegate by e-mail (the representative or the secretariat).
///
/// Sends a link valid 7 days that works once. Inviting again sends a new link.
#[utoipa::path(
    tag = "delegates",
    security(("bearer" = [])),
    params(("istat_code" = String, Path, description = "The authority", example = "016024")),
    request_body = InviteDelegateRequest,
    responses(
        (status = 201, description = "Invitation sent; `Location` names it (for `DELETE`)", body = Invitation, headers(("Location" = String))),
        crate::openapi::BadRequest,
        crate::openapi::Unauthorized,
        crate::openapi::Forbidden,
        crate::openapi::NotFound,
        (status = 409, description = "That person is already a delegate", body = affianca_domain::dto::Problem, content_type = "application/problem+json"),
        crate::openapi::UnsupportedMediaType,
        crate::openapi::Unprocessable,
    )
)]
#[post("/authorities/{istat_code}/invitations")]
pub async fn invite_delegate(
    db: web::Data<DatabaseConnection>,
    registry: web::Data<Registry>,
    base: web::Data<PublicUrl>,
    caller: Caller,
    meta: RequestMeta,
    path: web::Path<String>,
    body: LazyBody<InviteDelegateRequest>,
) -> ApiResult<HttpResponse> {
    let (code, name, standing) = standing(&db, &registry, &caller, &path).await?;
    manager_only(&standing)?;
    let body = Body(body.parse()?);
    let email = body.0.email;
    if let Some(u) = user::Entity::find()
        .filter(user::Column::Email.eq(email.as_str()))
        .one(db.get_ref())
        .await?
    {
        let already = role_grant::Entity::find()
            .filter(role_grant::Column::UserId.eq(u.id))
            .filter(role_grant::Column::Role.eq(Role::AuthorityDelegate.code()))
            .filter(role_grant::Column::Scope.eq(Scope::Authority(code.clone()).to_string()))
            .one(db.get_ref())
            .await?;
        if already.is_some() {
            return Err(ApiError::conflict(format!(
                "{email} è già delegato per {name}."
            )));
        }
    }
    let txn = crate::db::begin_write(&db).await?;
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
        &meta,
        Entry::new(AuditAction::DelegateInvited)
            .actor(caller.user_id)
            .target("authority", &code)
            .details(serde_json::json!({"email": email, "invitation_id": row.id})),
    )
    .await?;
    txn.commit().await?;
    let location = format!("/api/v1/authorities/{code}/invitations/{}", row.id);
    let dto = invitation_dto(row)
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("invitation does not parse")))?;
    Ok(HttpResponse::Created()
        .insert_header((actix_web::http::header::LOCATION, location))
        .json(dto))
}

/// Invitations of an authority, newest first (the representative or the secretariat).
#[utoipa::path(
    tag = "delegates",
    security(("bearer" = [])),
    params(("istat_code" = String, Path, description = "The authority", example = "016024")),
    responses(
        (status = 200, description = "Invitations with their status", body = Vec<Invitation>),
        crate::openapi::Unauthorized,
        crate::openapi::Forbidden,
        crate::openapi::NotFound,
    )
)]
#[get("/authorities/{istat_code}/invitations")]
pub async fn list_invitations(
    db: web::Data<DatabaseConnection>,
    registry: web::Data<Registry>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let (code, _, standing) = standing(&db, &registry, &caller, &path).await?;
    manager_only(&standing)?;
    let rows = action_token::Entity::find()
        .filter(action_token::Column::Purpose.eq(tokens::INVITATION))
        .filter(action_token::Column::AuthorityCode.eq(code.as_str()))
        .order_by_desc(action_token::Column::Id)
        .all(db.get_ref())
        .await?;
    Ok(HttpResponse::Ok().json(
        rows.into_iter()
            .filter_map(invitation_dto)
            .collect::<Vec<_>>(),
    ))
}

/// Revoke a pending invitation (the representative or the secretariat): its link stops working.
#[utoipa::path(
    tag = "delegates",
    security(("bearer" = [])),
    params(("istat_code" = String, Path, description = "The authority", example = "016024"), ("id" = i64, Path, description = "Invitation id")),
    responses(
        (status = 204, description = "Revoked"),
        crate::openapi::Unauthorized,
        crate::openapi::Forbidden,
        crate::openapi::NotFound,
    )
)]
#[delete("/authorities/{istat_code}/invitations/{id}")]
pub async fn revoke_invitation(
    db: web::Data<DatabaseConnection>,
    registry: web::Data<Registry>,
    caller: Caller,
    meta: RequestMeta,
    path: web::Path<(String, i64)>,
) -> ApiResult<HttpResponse> {
    let (raw, id) = path.into_inner();
    let (code, _, standing) = standing(&db, &registry, &caller, &raw).await?;
    manager_only(&standing)?;
    let res = action_token::Entity::update_many()
        .col_expr(action_token::Column::RevokedAt, Expr::value(Utc::now()))
        .filter(action_token::Column::Id.eq(id))
        .filter(action_token::Column::Purpose.eq(tokens::INVITATION))
        .filter(action_token::Column::AuthorityCode.eq(code.as_str()))
        .filter(action_token::Column::UsedAt.is_null())
        .filter(action_token::Column::RevokedAt.is_null())
        .exec(db.get_ref())
        .await?;
    if res.rows_affected == 0 {
        return Err(ApiError::not_found("L'invito in attesa"));
    }
    audit::record(
        db.get_ref(),
        &meta,
        Entry::new(AuditAction::InvitationRevoked)
            .actor(caller.user_id)
            .target("invitation", id),
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// What an invitation link is for (no login: the link is the credential).
///
/// 404 for an unknown link; 410 `token_expired` or `token_used` for one that no longer works.
#[utoipa::path(
    tag = "delegates",
    security(()),
    params(("token" = String, Path, description = "The token from the e-mailed link")),
    responses(
        (status = 200, description = "The invitation", body = InvitationPreview),
        crate::openapi::NotFound,
        (status = 410, description = "Expired (`token_expired`) or already used or revoked (`token_used`)", body = affianca_domain::dto::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/invitations/{token}")]
pub async fn preview_invitation(
    db: web::Data<DatabaseConnection>,
    registry: web::Data<Registry>,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let t = tokens::find_usable(db.get_ref(), tokens::INVITATION, &path).await?;
    let code = t.authority_code.clone().unwrap_or_default();
    let snapshot = registry.snapshot(&db).await?;
    let authority = snapshot
        .get(&code)
        .ok_or_else(|| ApiError::not_found("L'ente dell'invito"))?;
    let existing = user::Entity::find()
        .filter(user::Column::Email.eq(&t.email))
        .one(db.get_ref())
        .await?
        .is_some();
    Ok(HttpResponse::Ok().json(InvitationPreview {
        istat_code: authority.istat_code.clone(),
        authority_name: authority.name.clone(),
        email: Email::parse(&t.email).map_err(ApiError::internal)?,
        expires_at: t.expires_at,
        existing_account: existing,
    }))
}

/// Accept an invitation: creates the account (or, for an existing one, checks its password) and
/// grants `authority_delegate`. Then log in as usual.
#[utoipa::path(
    tag = "delegates",
    security(()),
    params(("token" = String, Path, description = "The token from the e-mailed link")),
    request_body = AcceptInvitationRequest,
    responses(
        (status = 204, description = "Accepted: log in with the e-mail and password"),
        crate::openapi::BadRequest,
        (status = 401, description = "The account exists and the password is not its password", body = affianca_domain::dto::Problem, content_type = "application/problem+json"),
        crate::openapi::NotFound,
        (status = 410, description = "Expired (`token_expired`) or already used or revoked (`token_used`)", body = affianca_domain::dto::Problem, content_type = "application/problem+json"),
        crate::openapi::UnsupportedMediaType,
        crate::openapi::Unprocessable,
    )
)]
#[post("/invitations/{token}/accept")]
pub async fn accept_invitation(
    db: web::Data<DatabaseConnection>,
    sessions: web::Data<crate::auth::Sessions>,
    meta: RequestMeta,
    path: web::Path<String>,
    body: Body<AcceptInvitationRequest>,
) -> ApiResult<HttpResponse> {
    let t = tokens::find_usable(db.get_ref(), tokens::INVITATION, &path).await?;
    let code = IstatCode::parse(t.authority_code.as_deref().unwrap_or_default())
        .map_err(ApiError::internal)?;
    let email = Email::parse(&t.email).map_err(ApiError::internal)?;
    let req = body.0;
    let existing = user::Entity::find()
        .filter(user::Column::Email.eq(email.as_str()))
        .one(db.get_ref())
        .await?;
    let new_hash = match &existing {
        Some(u) => {
            // The same lock-out as at login: an invitation link is no way to guess passwords.
            crate::routes::auth::check_lockout(db.get_ref(), &u.email).await?;
            if !password::verify_blocking(req.password.clone(), u.password_hash.clone()).await
                || !u.active
            {
                crate::routes::auth::record_failure(db.get_ref(), &u.email).await?;
                return Err(ApiError::new(actix_web::http::StatusCode::UNAUTHORIZED, "invalid_credentials", "Credenziali non valide")
                    .detail(format!("Esiste già un account {email}: inserire la sua password per accettare l'invito.")));
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
    let txn = crate::db::begin_write(&db).await?;
    tokens::consume(&txn, t.id).await?;
    let user_id = match (existing, new_hash) {
        (Some(u), _) => u.id,
        (None, Some(hash)) => {
            user::Entity::insert(user::ActiveModel {
                email: sea_orm::ActiveValue::Set(email.to_string()),
                full_name: sea_orm::ActiveValue::Set(req.full_name.trim().to_owned()),
                password_hash: sea_orm::ActiveValue::Set(hash),
                active: sea_orm::ActiveValue::Set(true),
                created_at: sea_orm::ActiveValue::Set(Utc::now()),
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
        &meta,
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
    Ok(HttpResponse::NoContent().finish())
}

/// The delegates of an authority (its representative, its delegates, the secretariat).
#[utoipa::path(
    tag = "delegates",
    security(("bearer" = [])),
    params(("istat_code" = String, Path, description = "The authority", example = "016024")),
    responses(
        (status = 200, description = "Delegates, by name", body = Vec<Delegate>),
        crate::openapi::Unauthorized,
        crate::openapi::NotFound,
    )
)]
#[get("/authorities/{istat_code}/delegates")]
pub async fn list_delegates(
    db: web::Data<DatabaseConnection>,
    registry: web::Data<Registry>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let (code, _, _) = standing(&db, &registry, &caller, &path).await?;
    let grants = role_grant::Entity::find()
        .filter(role_grant::Column::Role.eq(Role::AuthorityDelegate.code()))
        .filter(role_grant::Column::Scope.eq(Scope::Authority(code).to_string()))
        .all(db.get_ref())
        .await?;
    let mut out = Vec::new();
    for g in grants {
        if let Some(u) = user::Entity::find_by_id(g.user_id)
            .one(db.get_ref())
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
    Ok(HttpResponse::Ok().json(out))
}

/// Remove a delegate (the representative or the secretariat): the role goes, and their sessions
/// end at once (refresh tokens revoked; the access tokens already issued answer 401).
#[utoipa::path(
    tag = "delegates",
    security(("bearer" = [])),
    params(("istat_code" = String, Path, description = "The authority", example = "016024"), ("user_id" = i64, Path, description = "The delegate's user id")),
    responses(
        (status = 204, description = "Removed"),
        crate::openapi::Unauthorized,
        crate::openapi::Forbidden,
        crate::openapi::NotFound,
    )
)]
#[delete("/authorities/{istat_code}/delegates/{user_id}")]
pub async fn remove_delegate(
    db: web::Data<DatabaseConnection>,
    sessions: web::Data<crate::auth::Sessions>,
    registry: web::Data<Registry>,
    caller: Caller,
    meta: RequestMeta,
    path: web::Path<(String, i64)>,
) -> ApiResult<HttpResponse> {
    let (raw, user_id) = path.into_inner();
    let (code, _, standing) = standing(&db, &registry, &caller, &raw).await?;
    manager_only(&standing)?;
    let txn = crate::db::begin_write(&db).await?;
    let res = role_grant::Entity::delete_many()
        .filter(role_grant::Column::UserId.eq(user_id))
        .filter(role_grant::Column::Role.eq(Role::AuthorityDelegate.code()))
        .filter(role_grant::Column::Scope.eq(Scope::Authority(code.clone()).to_string()))
        .exec(&txn)
        .await?;
    if res.rows_affected == 0 {
        return Err(ApiError::not_found("Il delegato"));
    }
    crate::auth::end_sessions(&txn, &sessions, [user_id]).await?;
    audit::record(
        &txn,
        &meta,
        Entry::new(AuditAction::DelegateRemoved)
            .actor(caller.user_id)
            .target("user", user_id)
            .details(serde_json::json!({"istat_code": code})),
    )
    .await?;
    txn.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Change the legal representative of an authority (secretariat), e.g. a new mayor after
/// elections: the `authority_rep` grant moves to the new person (an account is created if needed,
/// with an e-mailed link to set the password); the previous representative's sessions end; the
/// authority's data, delegates and registration stay.
#[utoipa::path(
    tag = "delegates",
    security(("bearer" = [])),
    params(("istat_code" = String, Path, description = "The authority", example = "016024")),
    request_body = ChangeRepresentativeRequest,
    responses(
        (status = 200, description = "The new representative", body = Representative),
        crate::openapi::BadRequest,
        crate::openapi::Unauthorized,
        crate::openapi::Forbidden,
        crate::openapi::NotFound,
        crate::openapi::UnsupportedMediaType,
        crate::openapi::Unprocessable,
    )
)]
#[put("/authorities/{istat_code}/representative")]
#[allow(clippy::too_many_arguments)]
pub async fn change_representative(
    db: web::Data<DatabaseConnection>,
    sessions: web::Data<crate::auth::Sessions>,
    registry: web::Data<Registry>,
    base: web::Data<PublicUrl>,
    caller: Caller,
    meta: RequestMeta,
    path: web::Path<String>,
    body: LazyBody<ChangeRepresentativeRequest>,
) -> ApiResult<HttpResponse> {
    let body = Body(body.parse()?);
    let snapshot = registry.snapshot(&db).await?;
    let authority = snapshot
        .get(path.as_str())
        .ok_or_else(|| ApiError::not_found("L'ente"))?
        .clone();
    let req = body.0;
    let existing = user::Entity::find()
        .filter(user::Column::Email.eq(req.email.as_str()))
        .one(db.get_ref())
        .await?;
    let name = req.full_name.trim().to_owned();
    if existing.is_none() && (name.is_empty() || name.chars().count() > 200) {
        return Err(ApiError::invalid_field(
            "full_name",
            "obbligatorio per un nuovo account, al massimo 200 caratteri",
        ));
    }
    let scope = Scope::Authority(authority.istat_code.clone()).to_string();
    let txn = crate::db::begin_write(&db).await?;
    let (user_id, full_name, new_account) = match existing {
        Some(u) => (u.id, u.full_name, false),
        None => {
            let id = crate::app::accounts::create_with_setup_link(
                &txn,
                &base,
                crate::app::accounts::NewAccount {
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
    crate::auth::end_sessions(&txn, &sessions, previous.clone()).await?;
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
            &base,
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
        &meta,
        Entry::new(AuditAction::RepresentativeChanged)
            .actor(caller.user_id)
            .target("authority", &authority.istat_code)
            .details(serde_json::json!({"new_user_id": user_id, "previous_user_ids": previous})),
    )
    .await?;
    txn.commit().await?;
    Ok(HttpResponse::Ok().json(Representative {
        user_id: UserId(user_id),
        full_name,
        email: req.email,
    }))
}
