//! The semester workflow (DOMAIN.md §5): an authority submits a semester's data, the secretariat
//! validates it or returns it with a comment, and reopens a semester past its lock date. One
//! write transaction per move: the authority's monitoring lock, a compare-and-set on the state
//! that was read, the audit entry, the notices and the change that moves the indicators.

use crate::app::events;
use crate::app::sight::{self, Access};
use crate::audit::{self, Entry, RequestMeta};
use crate::auth::Caller;
use crate::entities::{authority, measurement, role_grant, semester_report};
use crate::error::{ApiError, ApiResult};
use crate::monitoring::{self as store, Changed};
use crate::notify::{self, Notice, PublicUrl};
use actix_web::http::StatusCode;
use affianca_domain::dto::{
    ManualEntry, Measurement, MeasurementChange, MeasurementSource, SemesterAction,
    SemesterQueueItem, SemesterReport, SemesterStatus, SemesterTransition,
};
use affianca_domain::events::{Event, SemesterMoved};
use affianca_domain::links;
use affianca_domain::monitoring::IndicatorRow;
use affianca_domain::monitoring::ManualCell;
use affianca_domain::{AuditAction, Period, Role};
use chrono::Utc;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder,
};
use std::collections::HashMap;

/// What the caller may do to a semester now.
fn allowed(
    status: SemesterStatus,
    locked: bool,
    reopened: bool,
    has_data: bool,
    access: Access,
    own: bool,
) -> Vec<SemesterAction> {
    let mut out = Vec::new();
    // A reopened semester can be corrected and sent again, even after validation.
    let open = matches!(status, SemesterStatus::Draft | SemesterStatus::Returned)
        || (status == SemesterStatus::Validated && reopened);
    if own && !locked && has_data && open {
        out.push(SemesterAction::Submit);
    }
    if access.secretariat {
        if status == SemesterStatus::Submitted {
            out.push(SemesterAction::Validate);
            out.push(SemesterAction::Return);
        }
        if locked && !reopened {
            out.push(SemesterAction::Reopen);
        }
    }
    out
}

fn measurement_dto(m: &measurement::Model) -> Option<Measurement> {
    let period = Period::parse(&m.period).ok()?;
    let parts = store::parts_of(m);
    let cell = affianca_domain::monitoring::Cell {
        parts,
        max_term_days: m.max_term_days,
    };
    Some(Measurement {
        source: MeasurementSource::parse(&m.source).unwrap_or(MeasurementSource::Register),
        indicators: IndicatorRow::new(&m.procedure_code, period, &cell),
        parts,
    })
}

/// The semesters of the authority as the caller sees them (newest first; only `only` when
/// given, even if nothing is stored for it yet), with the actions the caller may take now.
/// 403 when the caller may not see the authority's data.
pub async fn reports(
    db: &impl ConnectionTrait,
    caller: &Caller,
    a: &authority::Model,
    only: Option<Period>,
) -> ApiResult<Vec<SemesterReport>> {
    let acc = sight::monitoring(db, caller, a).await?;
    reports_for(db, caller, a, acc, only).await
}

async fn reports_for(
    db: &impl ConnectionTrait,
    caller: &Caller,
    a: &authority::Model,
    acc: Access,
    only: Option<Period>,
) -> ApiResult<Vec<SemesterReport>> {
    let settings = store::programme_settings(db).await?;
    let mut mq =
        measurement::Entity::find().filter(measurement::Column::AuthorityCode.eq(&a.istat_code));
    let mut rq = semester_report::Entity::find()
        .filter(semester_report::Column::AuthorityCode.eq(&a.istat_code));
    if let Some(p) = only {
        mq = mq.filter(measurement::Column::Period.eq(p.to_string()));
        rq = rq.filter(semester_report::Column::Period.eq(p.to_string()));
    }
    let measurements = mq
        .order_by_asc(measurement::Column::ProcedureCode)
        .all(db)
        .await?;
    let reports: HashMap<String, semester_report::Model> = rq
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.period.clone(), r))
        .collect();
    let mut by_period: std::collections::BTreeMap<Period, Vec<Measurement>> = Default::default();
    for m in &measurements {
        if let Some(d) = measurement_dto(m) {
            by_period.entry(d.indicators.period).or_default().push(d);
        }
    }
    for p in reports.keys().filter_map(|k| Period::parse(k).ok()) {
        by_period.entry(p).or_default();
    }
    if let Some(p) = only {
        by_period.entry(p).or_default();
    }
    let own = caller.authority_codes().contains(&a.istat_code);
    let today = Utc::now().date_naive();
    Ok(by_period
        .into_iter()
        .rev()
        .map(|(period, measurements)| {
            let r = reports.get(&period.to_string());
            let status = r
                .and_then(|r| SemesterStatus::parse(&r.status).ok())
                .unwrap_or(SemesterStatus::Draft);
            let locked = store::is_locked(period, settings.lock_days, r, today);
            let reopened = r.is_some_and(|r| r.reopened);
            SemesterReport {
                authority: a.istat_code.clone(),
                authority_name: a.name.clone(),
                province: a.province.clone(),
                period,
                status,
                comment: r.and_then(|r| r.comment.clone()),
                submitted_at: r.and_then(|r| r.submitted_at),
                reviewed_at: r.and_then(|r| r.reviewed_at),
                locks_on: store::locks_on(period, settings.lock_days),
                locked,
                reopened,
                allowed_actions: allowed(
                    status,
                    locked,
                    reopened,
                    !measurements.is_empty(),
                    acc,
                    own,
                ),
                measurements,
            }
        })
        .collect())
}

/// Moves the authority's semester `period` by `t` for `caller`; returns the semester after the
/// move. 403 when the action is not the caller's,
/// 409 when the semester's state does not allow it (or changed meanwhile: nothing is applied),
/// 422 for a missing or too long comment.
#[allow(clippy::too_many_arguments)]
pub async fn transition(
    db: &DatabaseConnection,
    base: &PublicUrl,
    caller: &Caller,
    meta: &RequestMeta,
    a: &authority::Model,
    period: Period,
    t: SemesterTransition,
) -> ApiResult<SemesterReport> {
    let acc = sight::monitoring(db, caller, a).await?;
    let comment = t
        .comment
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    if t.action == SemesterAction::Return && comment.is_none() {
        return Err(ApiError::invalid_field(
            "comment",
            "spiegare all'ente che cosa correggere",
        ));
    }
    if comment.is_some_and(|c| c.chars().count() > 2000) {
        return Err(ApiError::invalid_field(
            "comment",
            "al massimo 2000 caratteri",
        ));
    }
    let current = reports_for(db, caller, a, acc, Some(period)).await?;
    let current = &current[0];
    if !current.allowed_actions.contains(&t.action) {
        let by_role = match t.action {
            SemesterAction::Submit => caller.authority_codes().contains(&a.istat_code),
            _ => acc.secretariat,
        };
        if !by_role {
            return Err(ApiError::forbidden(match t.action {
                SemesterAction::Submit => "Invia il semestre l'ente.",
                _ => "Valida, restituisce e riapre i semestri la Segreteria Tecnica.",
            }));
        }
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "transition_not_allowed",
            "Azione non consentita",
        )
        .detail(format!(
            "Il semestre {period} è «{}»{}{}: «{}» non è possibile ora.",
            current.status.label(),
            if current.locked { ", chiuso" } else { "" },
            if current.measurements.is_empty() {
                ", senza dati"
            } else {
                ""
            },
            t.action.label()
        )));
    }
    let now = Utc::now();
    let txn = crate::db::begin_write(db).await?;
    store::lock_authority(&txn, &a.istat_code).await?;
    let mut r = semester_report::Entity::find_by_id((a.istat_code.clone(), period.to_string()))
        .one(&txn)
        .await?
        .map(Into::into)
        .unwrap_or_else(|| store::draft_report(&a.istat_code, period));
    let expected = current.status.code().to_owned();
    match t.action {
        SemesterAction::Submit => {
            r.status = Set(SemesterStatus::Submitted.code().to_owned());
            r.submitted_at = Set(Some(now));
            r.submitted_by = Set(Some(caller.user_id.0));
        }
        SemesterAction::Validate => {
            r.status = Set(SemesterStatus::Validated.code().to_owned());
            r.reviewed_at = Set(Some(now));
            r.reviewed_by = Set(Some(caller.user_id.0));
            r.comment = Set(comment.map(str::to_owned));
            r.reopened = Set(false);
        }
        SemesterAction::Return => {
            r.status = Set(SemesterStatus::Returned.code().to_owned());
            r.reviewed_at = Set(Some(now));
            r.reviewed_by = Set(Some(caller.user_id.0));
            r.comment = Set(comment.map(str::to_owned));
        }
        SemesterAction::Reopen => {
            r.reopened = Set(true);
            r.comment = Set(comment.map(str::to_owned));
        }
    }
    r.updated_at = Set(now);
    // Compare-and-set on the state read above: two reviewers at once cannot both act.
    let exists = semester_report::Entity::find_by_id((a.istat_code.clone(), period.to_string()))
        .one(&txn)
        .await?;
    match exists {
        Some(e) if e.status != expected => {
            return Err(ApiError::conflict(
                "Il semestre è cambiato nel frattempo: ricaricare la pagina.",
            ));
        }
        Some(_) => {
            let res = semester_report::Entity::update_many()
                .set(r)
                .filter(semester_report::Column::AuthorityCode.eq(&a.istat_code))
                .filter(semester_report::Column::Period.eq(period.to_string()))
                .filter(semester_report::Column::Status.eq(expected))
                .exec(&txn)
                .await?;
            if res.rows_affected != 1 {
                return Err(ApiError::conflict(
                    "Il semestre è cambiato nel frattempo: ricaricare la pagina.",
                ));
            }
        }
        None => {
            semester_report::Entity::insert(r)
                .exec_without_returning(&txn)
                .await?;
        }
    }
    audit::record(
        &txn,
        meta,
        Entry::new(AuditAction::SemesterTransition)
            .actor(caller.user_id)
            .target("authority", &a.istat_code)
            .details(serde_json::json!({"period": period, "action": t.action, "comment": comment})),
    )
    .await?;
    let moved = SemesterMoved {
        authority: a.istat_code.clone(),
        period,
        status: match t.action {
            SemesterAction::Submit => SemesterStatus::Submitted,
            SemesterAction::Validate => SemesterStatus::Validated,
            SemesterAction::Return => SemesterStatus::Returned,
            SemesterAction::Reopen => current.status,
        },
        comment: comment.map(str::to_owned),
        by: caller.user_id.0,
        at: now,
    };
    events::emit(&txn, base, &Event::semester(t.action, moved)).await?;
    store::record_change(&txn, Changed::Authority(a.istat_code.clone())).await?;
    txn.commit().await?;
    let out = reports_for(db, caller, a, acc, Some(period)).await?;
    Ok(out.into_iter().next().expect("the semester asked for"))
}

/// Stores a semester table typed in by the authority (one row per procedure, for authorities
/// without a register) as measurements with `source = manual`; returns the semester. 422 naming
/// each bad field, 409 when the semester is locked.
#[allow(clippy::too_many_arguments)]
pub async fn enter(
    db: &DatabaseConnection,
    base: &PublicUrl,
    caller: &Caller,
    meta: &RequestMeta,
    a: &authority::Model,
    period: Period,
    entry: ManualEntry,
) -> ApiResult<SemesterReport> {
    let acc = sight::monitoring(db, caller, a).await?;
    acc.require_write()?;
    let today = Utc::now().date_naive();
    if period.first_day() > today {
        return Err(ApiError::invalid_field(
            "period",
            "il semestre non è ancora iniziato",
        ));
    }
    let catalog = store::catalog(db).await?;
    let rows = affianca_domain::monitoring::manual_cells(&entry, &catalog.terms)
        .map_err(ApiError::validation)?;
    let settings = store::programme_settings(db).await?;
    let txn = crate::db::begin_write(db).await?;
    store::lock_authority(&txn, &a.istat_code).await?;
    let report = semester_report::Entity::find_by_id((a.istat_code.clone(), period.to_string()))
        .one(&txn)
        .await?;
    if store::is_locked(period, settings.lock_days, report.as_ref(), today) {
        return Err(ApiError::conflict(format!(
            "Il semestre {period} è chiuso dal {}: chiedere alla Segreteria Tecnica di riaprirlo.",
            store::locks_on(period, settings.lock_days).format("%d/%m/%Y")
        )));
    }
    let existing: HashMap<String, measurement::Model> = measurement::Entity::find()
        .filter(measurement::Column::AuthorityCode.eq(&a.istat_code))
        .filter(measurement::Column::Period.eq(period.to_string()))
        .all(&txn)
        .await?
        .into_iter()
        .map(|m| (m.procedure_code.clone(), m))
        .collect();
    let mut changes = Vec::new();
    for ManualCell {
        procedure: p,
        parts,
        max_term_days: term,
    } in rows
    {
        let key = (catalog.terms.code(p).to_owned(), period);
        let old = existing.get(&key.0).map(|m| store::Stored {
            source: MeasurementSource::parse(&m.source).unwrap_or(MeasurementSource::Register),
            parts: store::parts_of(m),
            max_term_days: m.max_term_days,
        });
        let new = store::Stored {
            source: MeasurementSource::Manual,
            parts,
            max_term_days: term,
        };
        if old != Some(new) {
            changes.push(store::Change {
                key,
                new: Some(new),
                old,
            });
        }
    }
    let changed = changes.len();
    store::apply(&txn, &a.istat_code, changes, Some(caller.user_id.0)).await?;
    if report.is_none() {
        // A table with no change still opens the semester (as a draft).
        store::open_semesters(&txn, &a.istat_code, &[period]).await?;
    }
    audit::record(
        &txn,
        meta,
        Entry::new(AuditAction::MeasurementsEntered)
            .actor(caller.user_id)
            .target("authority", &a.istat_code)
            .details(serde_json::json!({"period": period, "rows_changed": changed})),
    )
    .await?;
    super::register::changed(
        &txn,
        base,
        a,
        "manual",
        changed as u64,
        vec![period],
        caller,
    )
    .await?;
    txn.commit().await?;
    let out = reports_for(db, caller, a, acc, Some(period)).await?;
    Ok(out.into_iter().next().expect("the semester asked for"))
}

/// The changes made to the values of the authority's semester `period` after its validation: who,
/// when, old → new; newest first.
pub async fn history(
    db: &DatabaseConnection,
    caller: &Caller,
    a: &authority::Model,
    period: Period,
) -> ApiResult<Vec<MeasurementChange>> {
    use crate::entities::{measurement_change, user};
    sight::monitoring(db, caller, a).await?;
    let rows = measurement_change::Entity::find()
        .filter(measurement_change::Column::AuthorityCode.eq(&a.istat_code))
        .filter(measurement_change::Column::Period.eq(period.to_string()))
        .order_by_desc(measurement_change::Column::Id)
        .all(db)
        .await?;
    let users: HashMap<i64, String> = user::Entity::find()
        .filter(user::Column::Id.is_in(rows.iter().filter_map(|r| r.changed_by)))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.full_name))
        .collect();
    Ok(rows
        .into_iter()
        .map(|r| MeasurementChange {
            procedure: r.procedure_code,
            period,
            field: r.field,
            old_value: r.old_value,
            new_value: r.new_value,
            changed_by: r.changed_by.and_then(|u| users.get(&u).cloned()),
            changed_at: r.changed_at,
        })
        .collect())
}

/// The secretariat's queue: semesters in `status`, oldest submission first (at most 1,000).
pub async fn queue(
    db: &DatabaseConnection,
    status: SemesterStatus,
) -> ApiResult<Vec<SemesterQueueItem>> {
    use sea_orm::QuerySelect;
    let rows = semester_report::Entity::find()
        .filter(semester_report::Column::Status.eq(status.code()))
        .order_by_asc(semester_report::Column::SubmittedAt)
        .order_by_asc(semester_report::Column::Period)
        .limit(1000)
        .all(db)
        .await?;
    let authorities: HashMap<String, authority::Model> = authority::Entity::find()
        .filter(authority::Column::IstatCode.is_in(rows.iter().map(|r| r.authority_code.clone())))
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.istat_code.clone(), a))
        .collect();
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let a = authorities.get(&r.authority_code)?;
            Some(SemesterQueueItem {
                authority: r.authority_code.clone(),
                authority_name: a.name.clone(),
                province: a.province.clone(),
                period: Period::parse(&r.period).ok()?,
                status,
                submitted_at: r.submitted_at,
            })
        })
        .collect())
}

/// Tells the secretariat of a submission, and the authority's people of a review (the semester
/// events' subscriber).
pub(super) async fn on_moved(
    db: &impl ConnectionTrait,
    base: &PublicUrl,
    action: SemesterAction,
    s: &SemesterMoved,
) -> Result<(), sea_orm::DbErr> {
    let Some(a) = authority::Entity::find_by_id(s.authority.clone())
        .one(db)
        .await?
    else {
        return Ok(());
    };
    let (period, comment) = (s.period, s.comment.as_deref());
    let link = Some(links::authority_monitoring(&a.istat_code));
    match action {
        SemesterAction::Submit => {
            let notice = Notice {
                kind: "semester_submitted",
                title: format!("Rilevazione {period} inviata: {}", a.name),
                body: format!(
                    "{} ha inviato i dati del semestre {period}: sono da validare.",
                    a.name
                ),
                link: Some(links::validation_queue()),
            };
            notify::role(db, base, Role::Secretariat, &notice).await
        }
        _ => {
            let (kind, title, body) = match action {
                SemesterAction::Validate => (
                    "semester_validated",
                    format!("Rilevazione {period} validata"),
                    format!("La Segreteria Tecnica ha validato i dati del semestre {period}."),
                ),
                SemesterAction::Return => (
                    "semester_returned",
                    format!("Rilevazione {period} restituita"),
                    format!(
                        "La Segreteria Tecnica ha restituito i dati del semestre {period}: {}",
                        comment.unwrap_or_default()
                    ),
                ),
                _ => (
                    "semester_reopened",
                    format!("Rilevazione {period} riaperta"),
                    format!(
                        "La Segreteria Tecnica ha riaperto il semestre {period}: i dati si possono correggere."
                    ),
                ),
            };
            let notice = Notice {
                kind,
                title,
                body,
                link,
            };
            let ids: Vec<i64> = role_grant::Entity::find()
                .filter(role_grant::Column::Scope.eq(format!("authority:{}", a.istat_code)))
                .filter(
                    role_grant::Column::Role
                        .is_in([Role::AuthorityRep.code(), Role::AuthorityDelegate.code()]),
                )
                .all(db)
                .await?
                .into_iter()
                .map(|g| g.user_id)
                .collect();
            for id in ids {
                notify::user(db, base, id, &notice).await?;
            }
            Ok(())
        }
    }
}
