//! File storage: uploads are streamed to disk under `<data dir>/files/`, named by the SHA-256 of
//! their content (so the same file is kept once), with their metadata in `stored_files`. Uploads
//! are checked by content, never by name, and bounded in size while they stream.

use crate::entities::stored_file;
use crate::error::ApiError;
use actix_web::http::StatusCode;
use actix_web::web;
use chrono::Utc;
use futures_util::StreamExt;
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use tokio::io::AsyncWriteExt;

/// The kinds of file Affianca accepts, recognised by their content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Pdf,
    Png,
    Jpeg,
    /// Word (docx).
    Docx,
    /// Excel (xlsx).
    Xlsx,
    /// OpenDocument text (odt).
    Odt,
    /// OpenDocument spreadsheet (ods).
    Ods,
    /// Word 97–2003 (doc).
    Doc,
    /// Excel 97–2003 (xls).
    Xls,
}

/// How many first bytes [`FileKind::sniff`] looks at.
pub const SNIFF_BYTES: usize = 64 * 1024;

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

impl FileKind {
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Pdf => "application/pdf",
            Self::Png => "image/png",
            Self::Jpeg => "image/jpeg",
            Self::Docx => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            Self::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Self::Odt => "application/vnd.oasis.opendocument.text",
            Self::Ods => "application/vnd.oasis.opendocument.spreadsheet",
            Self::Doc => "application/msword",
            Self::Xls => "application/vnd.ms-excel",
        }
    }

    /// Recognises a file by its first bytes (up to [`SNIFF_BYTES`]); `name` only tells apart the
    /// two old Office formats, which share one container.
    pub fn sniff_named(head: &[u8], name: &str) -> Option<Self> {
        if head.starts_with(b"%PDF-") {
            return Some(Self::Pdf);
        }
        if head.starts_with(b"\x89PNG\r\n\x1a\n") {
            return Some(Self::Png);
        }
        if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
            return Some(Self::Jpeg);
        }
        if head.starts_with(b"PK\x03\x04") {
            // OpenDocument: the first entry is `mimetype`, stored, with the type as its content.
            if head.get(30..38) == Some(b"mimetype".as_slice()) {
                let rest = &head[38..head.len().min(120)];
                if contains(rest, b"application/vnd.oasis.opendocument.text") {
                    return Some(Self::Odt);
                }
                if contains(rest, b"application/vnd.oasis.opendocument.spreadsheet") {
                    return Some(Self::Ods);
                }
                return None;
            }
            // Office Open XML: the parts' names tell the application.
            if contains(head, b"[Content_Types].xml") || contains(head, b"_rels/") {
                if contains(head, b"word/") {
                    return Some(Self::Docx);
                }
                if contains(head, b"xl/") {
                    return Some(Self::Xlsx);
                }
            }
            return None;
        }
        if head.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
            let lower = name.to_ascii_lowercase();
            if lower.ends_with(".doc") {
                return Some(Self::Doc);
            }
            if lower.ends_with(".xls") {
                return Some(Self::Xls);
            }
        }
        None
    }

    /// Recognises a PDF (the only kind whose name does not matter).
    pub fn sniff(head: &[u8]) -> Option<Self> {
        Self::sniff_named(head, "")
    }
}

#[derive(Debug, Clone)]
pub struct Storage {
    root: PathBuf,
}

/// A file written to the store, not yet recorded in the database.
#[derive(Debug)]
pub struct Blob {
    pub sha256: String,
    pub size: u64,
    pub kind: Option<FileKind>,
}

impl Storage {
    pub fn new(data_dir: &Path) -> Self {
        Self {
            root: data_dir.join("files"),
        }
    }

    pub fn path_of(&self, sha256: &str) -> PathBuf {
        self.root.join(&sha256[..2]).join(sha256)
    }

    /// Streams a request body to the store; more than `max_bytes` is a 413 and nothing is kept.
    /// Only PDF files are kept.
    pub async fn receive(&self, payload: web::Payload, max_bytes: u64) -> Result<Blob, ApiError> {
        self.receive_named(payload, max_bytes, "").await
    }

    /// Like [`Storage::receive`], for every accepted kind ([`FileKind`]); `name` is the file's
    /// name, which only tells the two old Office formats apart. An unrecognised file is not kept.
    pub async fn receive_named(
        &self,
        mut payload: web::Payload,
        max_bytes: u64,
        name: &str,
    ) -> Result<Blob, ApiError> {
        let tmp_dir = self.root.join("tmp");
        tokio::fs::create_dir_all(&tmp_dir)
            .await
            .map_err(ApiError::internal)?;
        let tmp = tmp_dir.join(uuid::Uuid::new_v4().to_string());
        let result = async {
            let mut file = tokio::fs::File::create(&tmp)
                .await
                .map_err(ApiError::internal)?;
            let mut hasher = Sha256::new();
            let mut size: u64 = 0;
            let mut head = Vec::with_capacity(SNIFF_BYTES.min(8192));
            while let Some(chunk) = payload.next().await {
                let chunk = chunk
                    .map_err(|e| ApiError::bad_request(format!("Caricamento interrotto: {e}")))?;
                size += chunk.len() as u64;
                if size > max_bytes {
                    return Err(ApiError::new(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "payload_too_large",
                        "File troppo grande",
                    )
                    .detail(format!(
                        "Il file supera il limite di {} MB.",
                        max_bytes / (1024 * 1024)
                    )));
                }
                if head.len() < SNIFF_BYTES {
                    head.extend(chunk.iter().take(SNIFF_BYTES - head.len()));
                }
                hasher.update(&chunk);
                file.write_all(&chunk).await.map_err(ApiError::internal)?;
            }
            file.flush().await.map_err(ApiError::internal)?;
            file.sync_all().await.map_err(ApiError::internal)?;
            let sha256: String = hasher
                .finalize()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            Ok(Blob {
                sha256,
                size,
                kind: FileKind::sniff_named(&head, name),
            })
        }
        .await;
        match result {
            Ok(blob) if blob.kind.is_some() && blob.size > 0 => {
                let dest = self.path_of(&blob.sha256);
                tokio::fs::create_dir_all(dest.parent().expect("has a parent"))
                    .await
                    .map_err(ApiError::internal)?;
                tokio::fs::rename(&tmp, &dest)
                    .await
                    .map_err(ApiError::internal)?;
                Ok(blob)
            }
            other => {
                let _ = tokio::fs::remove_file(&tmp).await;
                other
            }
        }
    }

    /// Records a received file's metadata.
    pub async fn record(
        &self,
        db: &impl ConnectionTrait,
        blob: &Blob,
        original_name: &str,
        uploaded_by: Option<i64>,
    ) -> Result<stored_file::Model, sea_orm::DbErr> {
        let kind = blob.kind.expect("only recognised files are kept");
        let res = stored_file::Entity::insert(stored_file::ActiveModel {
            sha256: Set(blob.sha256.clone()),
            size: Set(blob.size as i64),
            content_type: Set(kind.content_type().to_owned()),
            original_name: Set(original_name.chars().take(255).collect()),
            uploaded_by: Set(uploaded_by),
            uploaded_at: Set(Utc::now()),
            ..Default::default()
        })
        .exec(db)
        .await?;
        stored_file::Entity::find_by_id(res.last_insert_id)
            .one(db)
            .await?
            .ok_or_else(|| sea_orm::DbErr::RecordNotFound("stored file just inserted".into()))
    }

    /// Streams a stored file as a download with its content type and a safe file name.
    pub async fn download(
        &self,
        req: &actix_web::HttpRequest,
        file: &stored_file::Model,
        download_name: &str,
    ) -> Result<actix_web::HttpResponse, ApiError> {
        use actix_web::http::header::{ContentDisposition, DispositionParam, DispositionType};
        let named = actix_files::NamedFile::open_async(self.path_of(&file.sha256))
            .await
            .map_err(|_| ApiError::not_found("Il file"))?
            .set_content_type(
                file.content_type
                    .parse()
                    .unwrap_or(actix_web::mime::APPLICATION_OCTET_STREAM),
            )
            .set_content_disposition(ContentDisposition {
                disposition: DispositionType::Attachment,
                parameters: vec![DispositionParam::Filename(download_name.to_owned())],
            });
        Ok(named.into_response(req))
    }
}

#[cfg(test)]
mod tests {
    use super::FileKind;

    #[test]
    fn office_and_image_files_are_recognised_by_content() {
        let mut odt = b"PK\x03\x04".to_vec();
        odt.extend([0_u8; 26]);
        odt.extend(b"mimetypeapplication/vnd.oasis.opendocument.spreadsheet");
        assert_eq!(FileKind::sniff_named(&odt, "x"), Some(FileKind::Ods));
        let mut xlsx = b"PK\x03\x04".to_vec();
        xlsx.extend([0_u8; 26]);
        xlsx.extend(b"[Content_Types].xml....xl/workbook.xml");
        assert_eq!(FileKind::sniff_named(&xlsx, "x"), Some(FileKind::Xlsx));
        let ole = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
        assert_eq!(
            FileKind::sniff_named(&ole, "Verbale.XLS"),
            Some(FileKind::Xls)
        );
        assert_eq!(FileKind::sniff_named(&ole, "slide.ppt"), None);
        assert_eq!(
            FileKind::sniff_named(b"\x89PNG\r\n\x1a\n", ""),
            Some(FileKind::Png)
        );
        assert_eq!(FileKind::sniff_named(b"GIF89a", "a.gif"), None);
    }

    #[test]
    fn files_are_recognised_by_content() {
        assert_eq!(FileKind::sniff(b"%PDF-1.7\n..."), Some(FileKind::Pdf));
        assert_eq!(FileKind::sniff(b"PK\x03\x04"), None);
        assert_eq!(FileKind::sniff(b"%PD"), None);
        assert_eq!(FileKind::sniff(b""), None);
    }
}
