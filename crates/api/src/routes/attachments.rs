//! Attachments of support requests and of their messages: pdf, doc/docx, xls/xlsx, odt/ods, png,
//! jpg, recognised by their content, at most 20 MB each, kept by the storage component. The
//! parties who write on a request attach; whoever sees the request downloads — except observers,
//! who see no attachments, and the authority, which does not see those of internal notes.

use crate::app::sight;
use crate::auth::Caller;
use crate::entities::{request_assignee, request_attachment, request_message, stored_file};
use crate::error::{ApiError, ApiResult};
use crate::extract::Query;
use crate::routes::support_requests::{is_staff, names, person, relation};
use crate::storage::Storage;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use affianca_domain::Role;
use affianca_domain::dto::Attachment;
use chrono::Utc;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder,
};
use serde::Deserialize;
use std::collections::HashMap;
use utoipa::IntoParams;

/// The largest attachment.
pub const ATTACHMENT_MAX_BYTES: u64 = 20 * 1024 * 1024;

/// Observers read requests but not their files.
fn refuse_observers(caller: &Caller) -> ApiResult<()> {
    let staff = is_staff(caller);
    let authority = !caller.authority_codes().is_empty();
    if caller.has_role(Role::Observer) && !staff && !authority {
        return Err(ApiError::forbidden(
            "Gli osservatori non vedono gli allegati delle richieste.",
        ));
    }
    Ok(())
}

async fn dto(
    db: &impl ConnectionTrait,
    rows: Vec<request_attachment::Model>,
) -> Result<Vec<Attachment>, sea_orm::DbErr> {
    let files: HashMap<i64, stored_file::Model> = stored_file::Entity::find()
        .filter(stored_file::Column::Id.is_in(rows.iter().map(|a| a.file_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|f| (f.id, f))
        .collect();
    let names = names(db, rows.iter().map(|a| a.uploaded_by)).await?;
    Ok(rows
        .into_iter()
        .filter_map(|a| {
            let f = files.get(&a.file_id)?;
            Some(Attachment {
                id: a.id,
                request_id: a.request_id,
                message_id: a.message_id,
                name: f.original_name.clone(),
                content_type: f.content_type.clone(),
                size: f.size,
                internal: a.internal,
                uploaded_by: person(&names, a.uploaded_by),
                created_at: a.created_at,
            })
        })
        .collect())
}

/// Where an upload goes.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AttachQuery {
    /// Attach to this message of the request (one of the caller's own); else to the request.
    pub message_id: Option<i64>,
}

/// Attach a file: the raw body (`Content-Type` of the file, its name in `X-File-Name`,
/// percent-encoded when not ASCII). Recognised by content: pdf, doc/docx, xls/xlsx, odt/ods, png,
/// jpg (else 415); at most 20 MB (413). The name's extension must agree with the content
/// (`evil.html` holding a PDF is a 415), a PDF must end with a valid `startxref`/xref, and an
/// Office or OpenDocument file must pass the container checks (no decompression bomb, no DTD,
/// sheets within Excel's grid): else 415, saying why.
#[utoipa::path(
    tag = "support-requests",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Request id"), AttachQuery,
        ("X-File-Name" = String, Header, description = "The file's name")),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The file"),
    responses(
        (status = 201, description = "Attached", body = Attachment, headers(("Location" = String))),
        crate::openapi::Unauthorized,
        crate::openapi::Forbidden,
        crate::openapi::NotFound,
        crate::openapi::PayloadTooLarge,
        crate::openapi::UnsupportedMediaType,
        crate::openapi::Unprocessable,
    )
)]
#[post("/support-requests/{id}/attachments")]
pub async fn upload_attachment(
    req: HttpRequest,
    db: web::Data<DatabaseConnection>,
    storage: web::Data<Storage>,
    caller: Caller,
    path: web::Path<i64>,
    query: Query<AttachQuery>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let r = sight::request(db.get_ref(), &caller, path.into_inner()).await?;
    let is_assignee = request_assignee::Entity::find_by_id((r.id, caller.user_id.0))
        .one(db.get_ref())
        .await?
        .is_some();
    let rel = relation(&caller, &r);
    if !(rel.authority || rel.secretariat || rel.coordinator || is_assignee) {
        return Err(ApiError::forbidden(
            "Allegano file l'ente, la Segreteria Tecnica, i coordinatori e gli esperti assegnati.",
        ));
    }
    let mut internal = false;
    if let Some(mid) = query.0.message_id {
        let m = request_message::Entity::find_by_id(mid)
            .filter(request_message::Column::RequestId.eq(r.id))
            .filter(request_message::Column::AuthorId.eq(caller.user_id.0))
            .one(db.get_ref())
            .await?
            .ok_or_else(|| {
                ApiError::invalid_field("message_id", "non è un proprio messaggio della richiesta")
            })?;
        internal = m.internal;
    }
    let name = crate::routes::registrations::file_name_header(&req)
        .unwrap_or_else(|| "allegato".to_owned());
    let blob = storage
        .receive_named(payload, ATTACHMENT_MAX_BYTES, &name)
        .await?;
    if blob.kind.is_none() {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Formato non supportato",
        )
        .detail("Si possono allegare PDF, documenti Word o OpenDocument, fogli Excel o OpenDocument, immagini PNG o JPEG."));
    }
    let txn = crate::db::begin_write(&db).await?;
    let file = storage
        .record(&txn, &blob, &name, Some(caller.user_id.0))
        .await?;
    let id = request_attachment::Entity::insert(request_attachment::ActiveModel {
        request_id: Set(r.id),
        message_id: Set(query.0.message_id),
        file_id: Set(file.id),
        internal: Set(internal),
        uploaded_by: Set(caller.user_id.0),
        created_at: Set(Utc::now()),
        ..Default::default()
    })
    .exec(&txn)
    .await?
    .last_insert_id;
    let row = request_attachment::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| ApiError::not_found("L'allegato"))?;
    let out = dto(&txn, vec![row]).await?;
    txn.commit().await?;
    Ok(HttpResponse::Created()
        .insert_header((
            actix_web::http::header::LOCATION,
            format!(
                "/api/v1/support-requests/{}/attachments/{}",
                r.id, out[0].id
            ),
        ))
        .json(&out[0]))
}

/// The attachments of a request (not for observers; internal ones for staff only).
#[utoipa::path(
    tag = "support-requests",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Request id")),
    responses(
        (status = 200, description = "Attachments", body = Vec<Attachment>),
        crate::openapi::Unauthorized,
        crate::openapi::Forbidden,
        crate::openapi::NotFound,
    )
)]
#[get("/support-requests/{id}/attachments")]
pub async fn list_attachments(
    db: web::Data<DatabaseConnection>,
    caller: Caller,
    path: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    let r = sight::request(db.get_ref(), &caller, path.into_inner()).await?;
    refuse_observers(&caller)?;
    let mut select = request_attachment::Entity::find()
        .filter(request_attachment::Column::RequestId.eq(r.id))
        .order_by_asc(request_attachment::Column::Id);
    if !is_staff(&caller) {
        select = select.filter(request_attachment::Column::Internal.eq(false));
    }
    let rows = select.all(db.get_ref()).await?;
    Ok(HttpResponse::Ok().json(dto(db.get_ref(), rows).await?))
}

/// Download an attachment, with its content type and its name (`Content-Disposition` per RFC
/// 6266: an ASCII `filename` and the exact `filename*=UTF-8''…`).
#[utoipa::path(
    tag = "support-requests",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Request id"), ("attachment_id" = i64, Path, description = "Attachment id")),
    responses(
        (status = 200, description = "The file, with the content type it was recognised as when uploaded", content(
            (Vec<u8> = "application/pdf"),
            (Vec<u8> = "image/png"),
            (Vec<u8> = "image/jpeg"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            (Vec<u8> = "application/vnd.oasis.opendocument.text"),
            (Vec<u8> = "application/vnd.oasis.opendocument.spreadsheet"),
            (Vec<u8> = "application/msword"),
            (Vec<u8> = "application/vnd.ms-excel"),
        )),
        crate::openapi::Unauthorized,
        crate::openapi::Forbidden,
        crate::openapi::NotFound,
    )
)]
#[get("/support-requests/{id}/attachments/{attachment_id}")]
pub async fn download_attachment(
    req: HttpRequest,
    db: web::Data<DatabaseConnection>,
    storage: web::Data<Storage>,
    caller: Caller,
    path: web::Path<(i64, i64)>,
) -> ApiResult<HttpResponse> {
    let (rid, aid) = path.into_inner();
    let r = sight::request(db.get_ref(), &caller, rid).await?;
    refuse_observers(&caller)?;
    let a = request_attachment::Entity::find_by_id(aid)
        .filter(request_attachment::Column::RequestId.eq(r.id))
        .one(db.get_ref())
        .await?
        .filter(|a| !a.internal || is_staff(&caller))
        .ok_or_else(|| ApiError::not_found("L'allegato"))?;
    let file = stored_file::Entity::find_by_id(a.file_id)
        .one(db.get_ref())
        .await?
        .ok_or_else(|| ApiError::not_found("L'allegato"))?;
    let name = file.original_name.clone();
    storage.download(&req, &file, &name).await
}

#[cfg(test)]
mod tests {
    use crate::storage::FileKind;

    /// Every kind an attachment can be stored as is a content type the download documents
    /// (schemathesis found a PDF answered where only `application/octet-stream` was listed).
    #[test]
    fn the_download_documents_every_stored_content_type() {
        let doc = serde_json::to_value(crate::startup::openapi_document()).unwrap();
        let content = &doc["paths"]["/api/v1/support-requests/{id}/attachments/{attachment_id}"]["get"]
            ["responses"]["200"]["content"];
        for kind in [
            FileKind::Pdf,
            FileKind::Png,
            FileKind::Jpeg,
            FileKind::Docx,
            FileKind::Xlsx,
            FileKind::Odt,
            FileKind::Ods,
            FileKind::Doc,
            FileKind::Xls,
        ] {
            // Exhaustive: a new kind must be added here and to the document.
            match kind {
                FileKind::Pdf
                | FileKind::Png
                | FileKind::Jpeg
                | FileKind::Docx
                | FileKind::Xlsx
                | FileKind::Odt
                | FileKind::Ods
                | FileKind::Doc
                | FileKind::Xls => {}
            }
            assert!(
                content.get(kind.content_type()).is_some(),
                "{} missing from {content}",
                kind.content_type()
            );
        }
    }
}
