//! The file register of an authority (DOMAIN.md §5): a whole register uploaded (all or nothing,
//! or a dry run), one file written or deleted (case-management software). Each write serialises
//! with the authority's other monitoring writers, recomputes the semesters it touches, records
//! the audit entry, the `register.updated` event and the change that moves the indicators.

use crate::app::events;
use crate::audit::{self, Entry, RequestMeta};
use crate::auth::Caller;
use crate::entities::{authority, register_file};
use crate::error::{ApiError, ApiResult};
use crate::monitoring::{self as store, Catalog, Changed};
use crate::notify::PublicUrl;
use affianca_domain::dto::{FileWrite, Page, RegisterFile, RegisterFileInput, RegisterImport};
use affianca_domain::events::{Event, RegisterUpdated};
use affianca_domain::monitoring::{FileRecord, check_file_dates, day_of_date, indicator_rows};
use affianca_domain::register::{Limits, RegisterErrors};
use affianca_domain::{AuditAction, Period};
use chrono::Utc;
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait};

/// The most rows one upload may hold.
pub const REGISTER_MAX_ROWS: usize = 500_000;

/// Reads the register `bytes` (CSV or XLSX) of the authority and adds or updates its files by
/// code, recomputing its semesters; with `dry_run` nothing is saved. `Ok(Err(_))`: bad rows,
/// every one listed, nothing saved.
pub async fn import(
    db: &DatabaseConnection,
    base: &PublicUrl,
    caller: &Caller,
    meta: &RequestMeta,
    a: &authority::Model,
    bytes: Vec<u8>,
    dry_run: bool,
) -> ApiResult<Result<RegisterImport, RegisterErrors>> {
    // The handler checks before it reads the body; the service holds on its own too.
    crate::app::sight::monitoring(db, caller, a)
        .await?
        .require_write()?;
    let catalog = store::catalog(db).await?;
    let terms = catalog.terms.clone();
    let today = day_of_date(affianca_domain::calendar::rome_date(Utc::now()));
    let parsed = tokio::task::spawn_blocking(move || {
        let mut files: Vec<(String, FileRecord)> = Vec::new();
        // Dates outside 1990..today (the reader knows no clock): refused like a bad row.
        let mut dates = affianca_domain::register::RegisterErrors::default();
        let read = crate::register::read(
            &bytes,
            &terms,
            Limits {
                max_rows: REGISTER_MAX_ROWS,
            },
            |code, f| {
                if let Err(r) = check_file_dates(f.start, f.decision, f.silent_assent, today) {
                    let value = match r.column {
                        "data_avvio" => Some(f.start),
                        "data_conclusione" => f.decision,
                        _ => f.silent_assent,
                    }
                    .map(|d| affianca_domain::monitoring::date_of_day(d).to_string())
                    .unwrap_or_default();
                    dates.total += 1;
                    if dates.errors.len() < affianca_domain::register::MAX_REPORTED_ERRORS {
                        dates.errors.push(affianca_domain::register::RowError {
                            // Good rows come in order after the header (blank lines aside).
                            row: files.len() + 2,
                            column: r.column.to_owned(),
                            value,
                            reason: format!("pratica «{code}»: {}", r.reason),
                        });
                    }
                }
                files.push((code.to_owned(), f));
            },
        )
        .map(|summary| (summary.rows, files));
        match read {
            Ok(_) if !dates.is_empty() => Err(dates),
            other => other,
        }
    })
    .await
    .map_err(ApiError::internal)?;
    let (rows, uploaded) = match parsed {
        Ok(ok) => ok,
        Err(errors) => return Ok(Err(errors)),
    };
    let terms = &catalog.terms;
    let settings = store::programme_settings(db).await?;
    // A dry run only reads (and is rolled back); a real one serialises with the other writers of
    // this authority before it reads the stored files.
    let txn = if dry_run {
        crate::db::begin_read(db).await?
    } else {
        let txn = crate::db::begin_write(db).await?;
        store::lock_authority(&txn, &a.istat_code).await?;
        txn
    };
    let mut register = store::load_files(&txn, &a.istat_code, None, terms).await?;
    let (mut added, mut updated, mut unchanged) = (0, 0, 0);
    let mut to_write: Vec<(&str, FileRecord)> = Vec::new();
    for (code, f) in &uploaded {
        match register.get(code) {
            None => added += 1,
            Some(old) if old == f => {
                unchanged += 1;
                continue;
            }
            Some(_) => updated += 1,
        }
        to_write.push((code, *f));
    }
    for (code, f) in &to_write {
        register.insert((*code).to_owned(), *f);
    }
    let files: Vec<FileRecord> = register.into_values().collect();
    if !dry_run {
        store::upsert_files(&txn, &a.istat_code, &to_write, terms).await?;
    }
    let (computed, outcome) = store::recompute(
        &txn,
        &a.istat_code,
        terms,
        &files,
        None,
        store::Write {
            lock_days: settings.lock_days,
            user: Some(caller.user_id.0),
            dry_run,
        },
    )
    .await?;
    let summary = RegisterImport {
        dry_run,
        rows,
        files_added: added,
        files_updated: updated,
        files_unchanged: unchanged,
        semesters_affected: outcome.affected.into_iter().collect(),
        semesters_locked: outcome.locked.into_iter().collect(),
        indicators: computed
            .as_ref()
            .map(|c| indicator_rows(c, terms))
            .unwrap_or_default(),
    };
    if dry_run {
        txn.rollback().await?;
    } else {
        audit::record(
            &txn,
            meta,
            Entry::new(AuditAction::RegisterImported)
                .actor(caller.user_id)
                .target("authority", &a.istat_code)
                .details(serde_json::json!({
                    "rows": rows, "files_added": added, "files_updated": updated,
                    "semesters_affected": summary.semesters_affected,
                })),
        )
        .await?;
        changed(
            &txn,
            base,
            a,
            "upload",
            (added + updated) as u64,
            summary.semesters_affected.clone(),
            caller,
        )
        .await?;
        txn.commit().await?;
    }
    Ok(Ok(summary))
}

/// Writes one file of the authority's register (created or replaced by its code) and recomputes
/// the semesters of its procedure (and of its old procedure, if it changed).
pub async fn put_file(
    db: &DatabaseConnection,
    base: &PublicUrl,
    caller: &Caller,
    meta: &RequestMeta,
    a: &authority::Model,
    file_code: &str,
    input: RegisterFileInput,
) -> ApiResult<FileWrite> {
    // The handler checks before it reads the body; the service holds on its own too.
    crate::app::sight::monitoring(db, caller, a)
        .await?
        .require_write()?;
    check_file_code(file_code)?;
    let catalog = store::catalog(db).await?;
    let p = catalog.terms.index_of(&input.procedure).ok_or_else(|| {
        ApiError::invalid_field("procedure", "procedimento non presente nel catalogo")
    })?;
    let term = match input.term_days {
        Some(0) => {
            return Err(ApiError::invalid_field(
                "term_days",
                "il termine deve essere di almeno un giorno",
            ));
        }
        Some(t) => t,
        None => catalog.terms.term(p),
    };
    let record = FileRecord::new(
        p,
        day_of_date(input.start_date),
        term,
        input.decision_date.map(day_of_date),
        input.silent_assent_date.map(day_of_date),
        input.conference,
        input.suspension_days.unwrap_or(0),
    )
    .and_then(|r| {
        let today = day_of_date(affianca_domain::calendar::rome_date(Utc::now()));
        check_file_dates(r.start, r.decision, r.silent_assent, today).map(|()| r)
    })
    .map_err(|r| {
        let field = match r.column {
            "data_avvio" => "start_date",
            "data_conclusione" => "decision_date",
            "data_silenzio_assenso" => "silent_assent_date",
            "giorni_sospensione" => "suspension_days",
            "termine_giorni" => "term_days",
            other => other,
        };
        ApiError::invalid_field(field, r.reason)
    })?;
    let settings = store::programme_settings(db).await?;
    let txn = crate::db::begin_write(db).await?;
    store::lock_authority(&txn, &a.istat_code).await?;
    let previous = register_file::Entity::find_by_id((a.istat_code.clone(), file_code.to_owned()))
        .one(&txn)
        .await?;
    store::upsert_files(&txn, &a.istat_code, &[(file_code, record)], &catalog.terms).await?;
    let mut procedures = vec![p];
    if let Some(old) = previous
        .as_ref()
        .and_then(|o| catalog.terms.index_of(&o.procedure_code))
        && old != p
    {
        procedures.push(old);
    }
    let mut outcome = store::Outcome::default();
    for proc_index in procedures {
        let o = recompute_procedure(
            &txn,
            &a.istat_code,
            &catalog,
            proc_index,
            settings.lock_days,
            caller.user_id.0,
        )
        .await?;
        outcome.affected.extend(o.affected);
        outcome.locked.extend(o.locked);
    }
    audit::record(
        &txn,
        meta,
        Entry::new(AuditAction::RegisterFileWritten)
            .actor(caller.user_id)
            .target("authority", &a.istat_code)
            .details(serde_json::json!({"file": file_code})),
    )
    .await?;
    let saved = register_file::Entity::find_by_id((a.istat_code.clone(), file_code.to_owned()))
        .one(&txn)
        .await?
        .ok_or_else(|| ApiError::not_found("La pratica"))?;
    changed(
        &txn,
        base,
        a,
        "file",
        1,
        outcome.affected.iter().copied().collect(),
        caller,
    )
    .await?;
    txn.commit().await?;
    let created = previous.is_none();
    let out = FileWrite {
        file: file_dto(saved),
        created,
        semesters_affected: outcome.affected.into_iter().collect(),
        semesters_locked: outcome.locked.into_iter().collect(),
    };
    Ok(out)
}

/// Deletes one file of the authority's register (404 if there is none) and recomputes the
/// semesters of its procedure.
pub async fn delete_file(
    db: &DatabaseConnection,
    base: &PublicUrl,
    caller: &Caller,
    meta: &RequestMeta,
    a: &authority::Model,
    file_code: &str,
) -> ApiResult<()> {
    // The handler checks before it reads the body; the service holds on its own too.
    crate::app::sight::monitoring(db, caller, a)
        .await?
        .require_write()?;
    let catalog = store::catalog(db).await?;
    let settings = store::programme_settings(db).await?;
    let txn = crate::db::begin_write(db).await?;
    store::lock_authority(&txn, &a.istat_code).await?;
    let f = register_file::Entity::find_by_id((a.istat_code.clone(), file_code.to_owned()))
        .one(&txn)
        .await?
        .ok_or_else(|| ApiError::not_found("La pratica"))?;
    register_file::Entity::delete_by_id((a.istat_code.clone(), file_code.to_owned()))
        .exec(&txn)
        .await?;
    let mut periods = Vec::new();
    if let Some(p) = catalog.terms.index_of(&f.procedure_code) {
        let outcome = recompute_procedure(
            &txn,
            &a.istat_code,
            &catalog,
            p,
            settings.lock_days,
            caller.user_id.0,
        )
        .await?;
        periods.extend(outcome.affected);
    }
    audit::record(
        &txn,
        meta,
        Entry::new(AuditAction::RegisterFileDeleted)
            .actor(caller.user_id)
            .target("authority", &a.istat_code)
            .details(serde_json::json!({"file": file_code})),
    )
    .await?;
    changed(&txn, base, a, "file_deleted", 1, periods, caller).await?;
    txn.commit().await?;
    Ok(())
}

pub fn file_dto(m: register_file::Model) -> RegisterFile {
    RegisterFile {
        code: m.code,
        procedure: m.procedure_code,
        start_date: m.start_date,
        term_days: m.term_days.max(0) as u32,
        decision_date: m.decision_date,
        silent_assent_date: m.silent_assent_date,
        conference: m.conference,
        suspension_days: m.suspension_days.max(0) as u32,
        updated_at: m.updated_at,
    }
}

fn check_file_code(code: &str) -> ApiResult<()> {
    let c = code.trim();
    if c.is_empty() || c.len() > affianca_domain::register::MAX_CODE_LEN || c != code {
        return Err(ApiError::invalid_field(
            "codice_pratica",
            "il codice della pratica va da 1 a 100 caratteri, senza spazi iniziali o finali",
        ));
    }
    Ok(())
}

/// Recomputes one procedure of an authority and writes what changed.
async fn recompute_procedure(
    db: &(impl ConnectionTrait + sea_orm::StreamTrait),
    authority: &str,
    catalog: &Catalog,
    procedure: u16,
    lock_days: u32,
    user: i64,
) -> ApiResult<store::Outcome> {
    let files: Vec<FileRecord> = store::load_files(
        db,
        authority,
        Some(catalog.terms.code(procedure)),
        &catalog.terms,
    )
    .await?
    .into_values()
    .collect();
    let (_, outcome) = store::recompute(
        db,
        authority,
        &catalog.terms,
        &files,
        Some(&[procedure]),
        store::Write {
            lock_days,
            user: Some(user),
            dry_run: false,
        },
    )
    .await?;
    Ok(outcome)
}

/// Records in the writer's transaction that the authority's register changed (`how`: `upload`,
/// `file`, `file_deleted`, `manual`): the change that moves the indicators, and the
/// `register.updated` event for the stream's subscribers.
pub(super) async fn changed(
    txn: &impl ConnectionTrait,
    base: &PublicUrl,
    a: &authority::Model,
    how: &str,
    files_changed: u64,
    periods: Vec<Period>,
    caller: &Caller,
) -> Result<(), sea_orm::DbErr> {
    let e = Event::RegisterUpdated(RegisterUpdated {
        authority: a.istat_code.clone(),
        how: how.to_owned(),
        files_changed,
        periods,
        by: caller.user_id.0,
        at: Utc::now(),
    });
    events::emit(txn, base, &e).await?;
    store::record_change(txn, Changed::Authority(a.istat_code.clone())).await
}

/// A page of the authority's files, by code (`procedure`: only those of one procedure), to whoever
/// sees its data (403 otherwise).
pub async fn files(
    db: &DatabaseConnection,
    caller: &Caller,
    a: &authority::Model,
    procedure: Option<&str>,
    limit: u64,
    offset: u64,
) -> ApiResult<Page<RegisterFile>> {
    use sea_orm::{ColumnTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
    crate::app::sight::monitoring(db, caller, a).await?;
    let mut q = register_file::Entity::find()
        .filter(register_file::Column::AuthorityCode.eq(&a.istat_code));
    if let Some(p) = procedure {
        q = q.filter(register_file::Column::ProcedureCode.eq(p.trim().to_uppercase()));
    }
    let total = q.clone().count(db).await?;
    let items = q
        .order_by_asc(register_file::Column::Code)
        .offset(offset)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(file_dto)
        .collect();
    Ok(Page {
        items,
        total,
        limit,
        offset,
    })
}

/// One file of the authority's register (403 for who does not see its data, 404 when there is
/// none).
pub async fn file(
    db: &DatabaseConnection,
    caller: &Caller,
    a: &authority::Model,
    code: &str,
) -> ApiResult<RegisterFile> {
    crate::app::sight::monitoring(db, caller, a).await?;
    let f = register_file::Entity::find_by_id((a.istat_code.clone(), code.to_owned()))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("La pratica"))?;
    Ok(file_dto(f))
}
