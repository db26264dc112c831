//! `affianca backup FILE` and `affianca restore FILE` for a SQLite installation: one tar archive
//! holding a consistent copy of the database, the local file store and the JWT secret.
//!
//! The database is copied with `VACUUM INTO` (a transaction-consistent snapshot, taken while the
//! server keeps running and writing; SQLite's online `.backup` restarts forever under write load).
//! The stored files are walked after the snapshot: files are never deleted and are written before
//! the row that names them commits, so every file the copy names is in the archive (a few newer
//! ones may be too, harmlessly). With the database file store the files are inside the copy.
//!
//! PostgreSQL is backed up with its own tools (`pg_dump`/`pg_restore`, see docs/DEPLOY.md): with
//! the database file store (its default) that dump holds the files as well.

use anyhow::{Context, bail};
use sea_orm::ConnectionTrait;
use std::path::{Component, Path, PathBuf};

/// The database copy inside the archive.
const DB_ENTRY: &str = "affianca.db";
/// The JWT secret inside the archive (and in the data dir).
const SECRET_ENTRY: &str = "jwt-secret";
/// The local file store, inside the archive and under the data dir.
const FILES_DIR: &str = "files";
/// What the archive is, for a human and for `restore`.
const MANIFEST_ENTRY: &str = "affianca-backup.json";

/// What a backup or a restore did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub database_bytes: u64,
    pub files: u64,
    pub file_bytes: u64,
    pub secret: bool,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "database {} bytes, {} stored files ({} bytes), JWT secret {}",
            self.database_bytes,
            self.files,
            self.file_bytes,
            if self.secret {
                "included"
            } else {
                "not in the data dir"
            }
        )
    }
}

/// The SQLite file of a `sqlite://…` URL; an error naming PostgreSQL otherwise.
pub fn sqlite_path(database_url: &str) -> anyhow::Result<PathBuf> {
    let Some(rest) = database_url
        .strip_prefix("sqlite://")
        .or_else(|| database_url.strip_prefix("sqlite:"))
    else {
        bail!(
            "DATABASE_URL is PostgreSQL: back it up with pg_dump and restore it with pg_restore \
             (docs/DEPLOY.md); with AFFIANCA_FILE_STORE=database the dump holds the files too"
        );
    };
    let path = rest.split('?').next().unwrap_or(rest);
    if path.is_empty() || path == ":memory:" {
        bail!("DATABASE_URL names no SQLite file");
    }
    Ok(PathBuf::from(path))
}

fn sql_string(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Writes the archive `out` (atomically: a temporary file renamed at the end).
pub async fn backup(database_url: &str, data_dir: &Path, out: &Path) -> anyhow::Result<Summary> {
    let db_path = sqlite_path(database_url)?;
    if !db_path.is_file() {
        bail!("there is no database at {}", db_path.display());
    }
    let out_dir = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&out_dir)
        .with_context(|| format!("cannot create {}", out_dir.display()))?;
    let work = tempfile::Builder::new()
        .prefix(".affianca-backup-")
        .tempdir_in(&out_dir)
        .with_context(|| format!("cannot write in {}", out_dir.display()))?;
    let copy = work.path().join(DB_ENTRY);
    let conn = crate::db::connect(database_url, 1).await?;
    conn.execute_unprepared(&format!(
        "VACUUM INTO {}",
        sql_string(&copy.display().to_string())
    ))
    .await
    .context("VACUUM INTO failed")?;
    conn.close().await.ok();

    let out = out.to_path_buf();
    let data_dir = data_dir.to_path_buf();
    let tmp_archive = work.path().join("archive.tar");
    let summary = tokio::task::spawn_blocking(move || -> anyhow::Result<Summary> {
        let file = std::fs::File::create(&tmp_archive)?;
        let mut tar = tar::Builder::new(std::io::BufWriter::new(file));
        tar.mode(tar::HeaderMode::Deterministic);
        let mut summary = Summary {
            database_bytes: std::fs::metadata(&copy)?.len(),
            ..Default::default()
        };
        let manifest = serde_json::json!({
            "format": 1,
            "version": env!("CARGO_PKG_VERSION"),
            "created_at": chrono::Utc::now().to_rfc3339(),
        });
        let manifest = serde_json::to_vec_pretty(&manifest)?;
        let mut header = tar::Header::new_gnu();
        header.set_size(manifest.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        tar.append_data(&mut header, MANIFEST_ENTRY, manifest.as_slice())?;
        tar.append_path_with_name(&copy, DB_ENTRY)?;
        let secret = data_dir.join(SECRET_ENTRY);
        if secret.is_file() {
            tar.append_path_with_name(&secret, SECRET_ENTRY)?;
            summary.secret = true;
        }
        let files = data_dir.join(FILES_DIR);
        if files.is_dir() {
            for shard in std::fs::read_dir(&files)? {
                let shard = shard?;
                // `tmp/` holds uploads still streaming in.
                if !shard.file_type()?.is_dir() || shard.file_name() == "tmp" {
                    continue;
                }
                for f in std::fs::read_dir(shard.path())? {
                    let f = f?;
                    if !f.file_type()?.is_file() {
                        continue;
                    }
                    let name = Path::new(FILES_DIR)
                        .join(shard.file_name())
                        .join(f.file_name());
                    tar.append_path_with_name(f.path(), &name)?;
                    summary.files += 1;
                    summary.file_bytes += f.metadata()?.len();
                }
            }
        }
        let mut w = tar.into_inner()?;
        std::io::Write::flush(&mut w)?;
        w.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        std::fs::rename(&tmp_archive, &out)
            .with_context(|| format!("cannot write {}", out.display()))?;
        Ok(summary)
    })
    .await??;
    Ok(summary)
}

/// A path inside the archive that stays inside the directory it is unpacked to.
fn safe_relative(p: &Path) -> anyhow::Result<PathBuf> {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::Normal(s) => out.push(s),
            Component::CurDir => {}
            _ => bail!("the archive holds an unsafe path: {}", p.display()),
        }
    }
    Ok(out)
}

/// Whether `dir` holds anything (a missing directory is empty).
fn has_content(dir: &Path) -> anyhow::Result<bool> {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => Ok(entries.next().is_some()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", dir.display())),
    }
}

/// Unpacks the archive `from` into the data dir and the database file of `database_url`. Refuses
/// a data dir (or database file) that is not empty unless `force`; the server must be stopped.
pub fn restore(
    database_url: &str,
    data_dir: &Path,
    from: &Path,
    force: bool,
) -> anyhow::Result<Summary> {
    let db_path = sqlite_path(database_url)?;
    if !force && (has_content(data_dir)? || db_path.exists()) {
        bail!(
            "{} is not empty: restore into an empty data dir, or pass --force to replace what is \
             there (stop the server first)",
            data_dir.display()
        );
    }
    let file =
        std::fs::File::open(from).with_context(|| format!("cannot open {}", from.display()))?;
    let mut archive = tar::Archive::new(std::io::BufReader::new(file));
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("cannot create {}", data_dir.display()))?;
    let staging = tempfile::Builder::new()
        .prefix(".affianca-restore-")
        .tempdir_in(data_dir)?;
    let mut summary = Summary::default();
    let mut saw_manifest = false;
    let mut staged_db = None;
    let mut staged_secret = None;
    let mut staged_files = Vec::new();
    for entry in archive.entries()? {
        let mut entry = entry?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let rel = safe_relative(&entry.path()?)?;
        let size = entry.header().size()?;
        if rel == Path::new(MANIFEST_ENTRY) {
            saw_manifest = true;
            continue;
        }
        let dest = staging.path().join(&rel);
        if let Some(dir) = dest.parent() {
            std::fs::create_dir_all(dir)?;
        }
        entry.unpack(&dest)?;
        if rel == Path::new(DB_ENTRY) {
            summary.database_bytes = size;
            staged_db = Some(dest);
        } else if rel == Path::new(SECRET_ENTRY) {
            summary.secret = true;
            staged_secret = Some(dest);
        } else if rel.starts_with(FILES_DIR) && rel.components().count() == 3 {
            summary.files += 1;
            summary.file_bytes += size;
            staged_files.push(rel);
        } else {
            bail!("the archive holds an unexpected entry: {}", rel.display());
        }
    }
    let Some(staged_db) = staged_db.filter(|_| saw_manifest) else {
        bail!("{} is not an Affianca backup", from.display());
    };
    // Everything is unpacked and checked: now replace.
    if let Some(dir) = db_path.parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir)?;
    }
    for suffix in ["-wal", "-shm"] {
        let mut p = db_path.clone().into_os_string();
        p.push(suffix);
        match std::fs::remove_file(&p) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).context("cannot remove the old write-ahead log"),
        }
    }
    move_file(&staged_db, &db_path)?;
    if let Some(secret) = staged_secret {
        move_file(&secret, &data_dir.join(SECRET_ENTRY))?;
    }
    for rel in staged_files {
        let dest = data_dir.join(&rel);
        std::fs::create_dir_all(dest.parent().expect("files/xx/sha"))?;
        move_file(&staging.path().join(&rel), &dest)?;
    }
    Ok(summary)
}

/// Renames, or copies when the two paths are on different file systems.
fn move_file(from: &Path, to: &Path) -> anyhow::Result<()> {
    if std::fs::rename(from, to).is_err() {
        std::fs::copy(from, to).with_context(|| format!("cannot write {}", to.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_sqlite_urls_have_a_file() {
        assert_eq!(
            sqlite_path("sqlite://var/affianca.db?mode=rwc").unwrap(),
            PathBuf::from("var/affianca.db")
        );
        let err = sqlite_path("postgres://u@h/db").unwrap_err().to_string();
        assert!(err.contains("pg_dump"), "{err}");
    }

    #[test]
    fn archive_paths_stay_inside() {
        assert!(safe_relative(Path::new("files/ab/abc")).is_ok());
        assert!(safe_relative(Path::new("../etc/passwd")).is_err());
        assert!(safe_relative(Path::new("/etc/passwd")).is_err());
    }
}
