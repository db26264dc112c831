//! Where uploaded files are kept: one [`Storage`] with two backends, chosen by
//! `AFFIANCA_FILE_STORE`.
//!
//! - `local`: a directory, `<data dir>/files/<2 hex>/<sha256>`. Right for one server on SQLite:
//!   files stream from disk with range requests, and the SQLite file stays small.
//! - `database`: the bytes in the database itself, in the `file_chunks` table (`bytea` on
//!   PostgreSQL, `BLOB` on SQLite), cut in chunks of [`CHUNK_BYTES`] so that neither an upload nor a
//!   download ever holds more than one chunk (plus what the request itself buffers) in memory. This
//!   is what several servers need: every server sees every file, and the database's own backup
//!   (`pg_dump`) holds the files too, with no second store to keep consistent.
//!
//! The default is `database` when `DATABASE_URL` is PostgreSQL (the deployment that can have
//! several servers) and `local` on SQLite (one server; writing 20 MB blobs through SQLite's single
//! writer would hold up every other write while they go in). The database backend works on SQLite
//! too, for whoever prefers one file to back up.
//!
//! Either way a file is named by the SHA-256 of its content (the same file is kept once), its
//! metadata is in `stored_files`, uploads are checked by content (`crate::storage::FileKind`),
//! never by name, and bounded in size while they stream. An upload that fails or is refused
//! leaves nothing behind. A database store still reads a file from the local directory when it is
//! not in the database, so files uploaded before the switch to `database` stay readable.

use crate::entities::{file_chunk, stored_file};
use crate::error::ApiError;
use crate::storage::{FileKind, SNIFF_BYTES};
use actix_web::http::StatusCode;
use actix_web::web;
use chrono::Utc;
use futures_util::StreamExt;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use tokio::io::AsyncWriteExt;

/// The size of one chunk of a file kept in the database.
pub const CHUNK_BYTES: usize = 1024 * 1024;
/// Chunks of an upload that never finished (the server died mid-upload) are removed after this.
const STALE_UPLOAD_HOURS: i64 = 6;

/// Which backend keeps the files (`AFFIANCA_FILE_STORE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileStoreKind {
    Local,
    Database,
}

impl FileStoreKind {
    /// Parses `AFFIANCA_FILE_STORE`; unset means `database` on PostgreSQL, `local` on SQLite.
    pub fn parse(value: Option<&str>, database_url: &str) -> anyhow::Result<Self> {
        match value.map(|v| v.trim().to_ascii_lowercase()).as_deref() {
            None | Some("") => Ok(if database_url.starts_with("sqlite:") {
                Self::Local
            } else {
                Self::Database
            }),
            Some("local") => Ok(Self::Local),
            Some("database") => Ok(Self::Database),
            Some(other) => anyhow::bail!("AFFIANCA_FILE_STORE={other:?}: use local or database"),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Storage {
    /// The local directory: the whole store for `local`; for `database`, where files uploaded
    /// before the switch are still read from.
    root: PathBuf,
    /// Set for the database backend.
    db: Option<DatabaseConnection>,
}

/// A file written to the store, not yet recorded in the database.
#[derive(Debug)]
pub struct Blob {
    pub sha256: String,
    pub size: u64,
    pub kind: Option<FileKind>,
}

fn too_large(max_bytes: u64) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        "File troppo grande",
    )
    .detail(format!(
        "Il file supera il limite di {} MB.",
        max_bytes / (1024 * 1024)
    ))
}

fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// What both stores learn of an upload while it streams, whatever they do with its bytes: its
/// size (413 past the limit), its first bytes (for its kind) and its SHA-256 (its name in the
/// store).
struct Intake {
    hasher: Sha256,
    size: u64,
    head: Vec<u8>,
    max_bytes: u64,
}

impl Intake {
    fn new(max_bytes: u64) -> Self {
        Self {
            hasher: Sha256::new(),
            size: 0,
            head: Vec::with_capacity(SNIFF_BYTES.min(8192)),
            max_bytes,
        }
    }

    /// The next piece of the body, counted, sniffed and hashed.
    fn take(
        &mut self,
        chunk: Result<web::Bytes, actix_web::error::PayloadError>,
    ) -> Result<web::Bytes, ApiError> {
        let chunk =
            chunk.map_err(|e| ApiError::bad_request(format!("Caricamento interrotto: {e}")))?;
        self.size += chunk.len() as u64;
        if self.size > self.max_bytes {
            return Err(too_large(self.max_bytes));
        }
        if self.head.len() < SNIFF_BYTES {
            let room = SNIFF_BYTES - self.head.len();
            self.head.extend(chunk.iter().take(room));
        }
        self.hasher.update(&chunk);
        Ok(chunk)
    }

    /// The received file: `name` only tells the two old Office formats apart.
    fn finish(self, name: &str) -> Blob {
        Blob {
            sha256: hex(&self.hasher.finalize()),
            size: self.size,
            kind: FileKind::sniff_named(&self.head, name),
        }
    }
}

/// `Content-Disposition: attachment` with the download's name, per RFC 6266
/// ([`crate::storage::content_disposition`]: an ASCII fallback and `filename*`).
fn disposition(
    name: &str,
) -> (
    actix_web::http::header::HeaderName,
    actix_web::http::header::HeaderValue,
) {
    (
        actix_web::http::header::CONTENT_DISPOSITION,
        crate::storage::content_disposition(name),
    )
}

impl Storage {
    /// The local directory store under `data_dir`.
    pub fn new(data_dir: &Path) -> Self {
        Self {
            root: data_dir.join("files"),
            db: None,
        }
    }

    /// The database store (reading files left in `data_dir` too).
    pub fn database(data_dir: &Path, db: DatabaseConnection) -> Self {
        Self {
            root: data_dir.join("files"),
            db: Some(db),
        }
    }

    /// The backend chosen by `kind`.
    pub fn build(kind: FileStoreKind, data_dir: &Path, db: &DatabaseConnection) -> Self {
        match kind {
            FileStoreKind::Local => Self::new(data_dir),
            FileStoreKind::Database => Self::database(data_dir, db.clone()),
        }
    }

    pub fn kind(&self) -> FileStoreKind {
        if self.db.is_some() {
            FileStoreKind::Database
        } else {
            FileStoreKind::Local
        }
    }

    /// The local directory of the store (`<data dir>/files`).
    pub fn root(&self) -> &Path {
        &self.root
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
        payload: web::Payload,
        max_bytes: u64,
        name: &str,
    ) -> Result<Blob, ApiError> {
        match &self.db {
            None => self.receive_local(payload, max_bytes, name).await,
            Some(db) => receive_db(db, payload, max_bytes, name).await,
        }
    }

    async fn receive_local(
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
            let mut intake = Intake::new(max_bytes);
            while let Some(chunk) = payload.next().await {
                let chunk = intake.take(chunk)?;
                file.write_all(&chunk).await.map_err(ApiError::internal)?;
            }
            file.flush().await.map_err(ApiError::internal)?;
            file.sync_all().await.map_err(ApiError::internal)?;
            Ok(intake.finish(name))
        }
        .await;
        match result {
            Ok(blob) if blob.kind.is_some() && blob.size > 0 => {
                if let Err(e) = crate::storage::inspect_upload(&tmp, &blob, name).await {
                    let _ = tokio::fs::remove_file(&tmp).await;
                    return Err(e);
                }
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
        let content_type: actix_web::mime::Mime = file
            .content_type
            .parse()
            .unwrap_or(actix_web::mime::APPLICATION_OCTET_STREAM);
        if let Some(db) = &self.db
            && chunk_exists(db, &file.sha256).await?
        {
            let size = u64::try_from(file.size).unwrap_or(0);
            let stream = chunk_stream(db.clone(), file.sha256.clone());
            return Ok(actix_web::HttpResponse::Ok()
                .content_type(content_type)
                .insert_header(disposition(download_name))
                .no_chunking(size)
                .streaming(stream));
        }
        let named = actix_files::NamedFile::open_async(self.path_of(&file.sha256))
            .await
            .map_err(|_| ApiError::not_found("Il file"))?
            .set_content_type(content_type);
        let mut res = named.into_response(req);
        let (name, value) = disposition(download_name);
        res.headers_mut().insert(name, value);
        Ok(res)
    }

    /// Removes the chunks of uploads that never finished (the server stopped mid-upload).
    pub async fn sweep_stale_uploads(&self) -> Result<u64, sea_orm::DbErr> {
        let Some(db) = &self.db else { return Ok(0) };
        let res = file_chunk::Entity::delete_many()
            .filter(file_chunk::Column::BlobKey.starts_with("tmp-"))
            .filter(
                file_chunk::Column::CreatedAt
                    .lt(Utc::now() - chrono::Duration::hours(STALE_UPLOAD_HOURS)),
            )
            .exec(db)
            .await?;
        Ok(res.rows_affected)
    }
}

async fn chunk_exists(db: &DatabaseConnection, key: &str) -> Result<bool, sea_orm::DbErr> {
    Ok(file_chunk::Entity::find()
        .select_only()
        .column(file_chunk::Column::Seq)
        .filter(file_chunk::Column::BlobKey.eq(key))
        .filter(file_chunk::Column::Seq.eq(0))
        .into_tuple::<i32>()
        .one(db)
        .await?
        .is_some())
}

/// The chunks of `key` in order, one query (and at most one chunk in memory) at a time.
fn chunk_stream(
    db: DatabaseConnection,
    key: String,
) -> impl futures_util::Stream<Item = Result<web::Bytes, std::io::Error>> {
    futures_util::stream::unfold(Some(0_i32), move |seq| {
        let db = db.clone();
        let key = key.clone();
        async move {
            let seq = seq?;
            match file_chunk::Entity::find_by_id((key, seq)).one(&db).await {
                Ok(Some(c)) => Some((Ok(web::Bytes::from(c.data)), Some(seq + 1))),
                Ok(None) => None,
                Err(e) => Some((Err(std::io::Error::other(e)), None)),
            }
        }
    })
}

async fn insert_chunk(
    db: &DatabaseConnection,
    key: &str,
    seq: i32,
    data: Vec<u8>,
) -> Result<(), ApiError> {
    file_chunk::Entity::insert(file_chunk::ActiveModel {
        blob_key: Set(key.to_owned()),
        seq: Set(seq),
        data: Set(data),
        created_at: Set(Utc::now()),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

async fn delete_key(db: &DatabaseConnection, key: &str) -> Result<(), sea_orm::DbErr> {
    file_chunk::Entity::delete_many()
        .filter(file_chunk::Column::BlobKey.eq(key))
        .exec(db)
        .await
        .map(|_| ())
}

/// The checks of [`crate::storage::inspect_upload`] on an upload kept in chunks under `key`.
async fn inspect_chunks(
    db: &DatabaseConnection,
    key: &str,
    blob: &Blob,
    name: &str,
) -> Result<(), ApiError> {
    let Some(kind) = blob.kind else {
        return Ok(());
    };
    crate::storage::check_name(kind, name)?;
    let chunks = file_chunk::Entity::find()
        .filter(file_chunk::Column::BlobKey.eq(key))
        .order_by_asc(file_chunk::Column::Seq)
        .all(db)
        .await?;
    let mut bytes = Vec::with_capacity(usize::try_from(blob.size).unwrap_or(0));
    for c in chunks {
        bytes.extend_from_slice(&c.data);
    }
    crate::storage::inspect_bytes(kind, bytes).await
}

/// Streams an upload into `file_chunks` under a temporary key, then renames it to the content's
/// SHA-256 (or drops it when that content is already stored).
async fn receive_db(
    db: &DatabaseConnection,
    mut payload: web::Payload,
    max_bytes: u64,
    name: &str,
) -> Result<Blob, ApiError> {
    let tmp = format!("tmp-{}", uuid::Uuid::new_v4().simple());
    let result = async {
        let mut intake = Intake::new(max_bytes);
        let mut buf: Vec<u8> = Vec::new();
        let mut seq = 0_i32;
        while let Some(chunk) = payload.next().await {
            let chunk = intake.take(chunk)?;
            let mut rest: &[u8] = &chunk;
            while !rest.is_empty() {
                let take = (CHUNK_BYTES - buf.len()).min(rest.len());
                buf.extend_from_slice(&rest[..take]);
                rest = &rest[take..];
                if buf.len() == CHUNK_BYTES {
                    insert_chunk(db, &tmp, seq, std::mem::take(&mut buf)).await?;
                    seq += 1;
                }
            }
        }
        if !buf.is_empty() {
            insert_chunk(db, &tmp, seq, buf).await?;
        }
        Ok(intake.finish(name))
    }
    .await;
    match result {
        Ok(blob) if blob.kind.is_some() && blob.size > 0 => {
            if let Err(e) = inspect_chunks(db, &tmp, &blob, name).await {
                let _ = delete_key(db, &tmp).await;
                return Err(e);
            }
            if chunk_exists(db, &blob.sha256).await? {
                delete_key(db, &tmp).await?;
                return Ok(blob);
            }
            let renamed = file_chunk::Entity::update_many()
                .col_expr(
                    file_chunk::Column::BlobKey,
                    sea_orm::sea_query::Expr::value(blob.sha256.clone()),
                )
                .filter(file_chunk::Column::BlobKey.eq(&tmp))
                .exec(db)
                .await;
            if let Err(e) = renamed {
                // Another upload of the same content won the race: keep its copy.
                delete_key(db, &tmp).await?;
                if !chunk_exists(db, &blob.sha256).await? {
                    return Err(e.into());
                }
            }
            Ok(blob)
        }
        other => {
            let _ = delete_key(db, &tmp).await;
            other
        }
    }
}

#[cfg(test)]
mod tests {
    use super::FileStoreKind;

    #[test]
    fn files_go_to_the_database_on_postgresql_unless_told_otherwise() {
        let pg = "postgres://u@h/db";
        let lite = "sqlite://var/affianca.db?mode=rwc";
        assert_eq!(
            FileStoreKind::parse(None, pg).unwrap(),
            FileStoreKind::Database
        );
        assert_eq!(
            FileStoreKind::parse(None, lite).unwrap(),
            FileStoreKind::Local
        );
        assert_eq!(
            FileStoreKind::parse(Some("local"), pg).unwrap(),
            FileStoreKind::Local
        );
        assert_eq!(
            FileStoreKind::parse(Some(" Database "), lite).unwrap(),
            FileStoreKind::Database
        );
        let err = FileStoreKind::parse(Some("s3"), pg)
            .unwrap_err()
            .to_string();
        assert!(err.contains("AFFIANCA_FILE_STORE"), "{err}");
    }
}
