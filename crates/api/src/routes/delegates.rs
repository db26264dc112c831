//! Delegates of an authority: the legal representative (or the secretariat) invites officials by
//! e-mail; the invitation link carries a single-use token valid 7 days; accepting grants
//! `authority_delegate`. Only the representative or the secretariat removes a delegate, which
//! revokes their sessions at once.

use crate::app::delegates;
use crate::audit::RequestMeta;
use crate::auth::Caller;
use crate::error::ApiResult;
use crate::extract::{Body, LazyBody};
use crate::notify::PublicUrl;
use crate::registry::Registry;
use actix_web::{HttpResponse, delete, get, post, put, web};
use affianca_domain::dto::{
    AcceptInvitationRequest, ChangeRepresentativeRequest, Delegate, Invitation, InvitationPreview,
    InviteDelegateRequest, Representative,
};
use sea_orm::DatabaseConnection;

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
    let snapshot = registry.snapshot(&db).await?;
    delegates::may_manage(&snapshot, &caller, &path)?;
    let body = Body(body.parse()?);
    let dto = delegates::invite(
        db.get_ref(),
        &base,
        &snapshot,
        &caller,
        &meta,
        &path,
        body.0.email,
    )
    .await?;
    let location = format!(
        "/api/v1/authorities/{}/invitations/{}",
        dto.istat_code, dto.id
    );
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
    let snapshot = registry.snapshot(&db).await?;
    Ok(HttpResponse::Ok()
        .json(delegates::invitations(db.get_ref(), &snapshot, &caller, &path).await?))
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
    let (code, id) = path.into_inner();
    let snapshot = registry.snapshot(&db).await?;
    delegates::revoke_invitation(db.get_ref(), &snapshot, &caller, &meta, &code, id).await?;
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
    let snapshot = registry.snapshot(&db).await?;
    Ok(HttpResponse::Ok().json(delegates::preview(db.get_ref(), &snapshot, &path).await?))
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
    delegates::accept(db.get_ref(), &sessions, &meta, &path, body.0).await?;
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
    let snapshot = registry.snapshot(&db).await?;
    Ok(HttpResponse::Ok()
        .json(delegates::delegates(db.get_ref(), &snapshot, &caller, &path).await?))
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
    let (code, user_id) = path.into_inner();
    let snapshot = registry.snapshot(&db).await?;
    delegates::remove(
        db.get_ref(),
        &sessions,
        &snapshot,
        &caller,
        &meta,
        &code,
        user_id,
    )
    .await?;
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
    let out = delegates::change_representative(
        db.get_ref(),
        &sessions,
        &base,
        &snapshot,
        &caller,
        &meta,
        &path,
        body.0,
    )
    .await?;
    Ok(HttpResponse::Ok().json(out))
}
