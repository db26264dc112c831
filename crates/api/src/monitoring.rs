//! Storing the monitoring data: an authority's register files, the measurements computed from them
//! (only the cells that changed are written), the semesters' states, the history of changes to
//! validated values, and the settings (baseline, lock period, targets).

use crate::entities::{
    measurement, measurement_change, monitoring_target, procedure, register_file, semester_report,
};
use affianca_domain::Period;
use affianca_domain::dto::{MeasurementSource, MonitoringSettings, SemesterStatus, TargetOverride};
use affianca_domain::monitoring::{
    Computed, FileRecord, Parts, Sem, TermCatalog, compute, date_of_day, day_of_date,
    natural_window, period_of_sem, sem_of_day,
};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
};
use std::collections::{BTreeSet, HashMap};

pub const PROGRAMME: &str = "programme";

/// What a write of monitoring data changed, as the change log records it (one row each).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Changed {
    /// An authority's cells, semester states or target override.
    Authority(String),
    /// The programme's settings (baseline, lock period, milestones).
    Settings,
    /// Phases and the authorities they enable.
    Phases,
    /// The catalog of procedures or the registry of authorities (rare: the cubes reload).
    Catalog,
}

impl Changed {
    pub fn kind(&self) -> &'static str {
        match self {
            Changed::Authority(_) => "authority",
            Changed::Settings => "settings",
            Changed::Phases => "phases",
            Changed::Catalog => "catalog",
        }
    }

    /// Reads a stored row back (an unknown kind is treated as a catalog change: reload all).
    pub fn of_row(kind: &str, authority: Option<String>) -> Self {
        match (kind, authority) {
            ("authority", Some(a)) => Changed::Authority(a),
            ("settings", _) => Changed::Settings,
            ("phases", _) => Changed::Phases,
            _ => Changed::Catalog,
        }
    }
}

/// Appends to the change log, in the writer's transaction, as its last statement before the commit
/// (so that the sequence number it takes is committed a moment later: readers treat a missing
/// number as in flight for a while, see `crate::indicators`). Every server applies the change at
/// its next query.
pub async fn record_change(db: &impl ConnectionTrait, change: Changed) -> Result<(), DbErr> {
    use crate::entities::monitoring_change;
    let authority = match &change {
        Changed::Authority(a) => Some(a.clone()),
        _ => None,
    };
    monitoring_change::Entity::insert(monitoring_change::ActiveModel {
        kind: Set(change.kind().to_owned()),
        authority_code: Set(authority),
        changed_at: Set(Utc::now()),
        ..Default::default()
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Serialises the writers of one authority's monitoring data: the first statement of their
/// transaction. On PostgreSQL a row lock on the authority (other authorities' writers go on in
/// parallel; readers are not blocked); on SQLite the transaction already holds the database's
/// write lock (`db::begin_write`), so there is nothing more to take.
pub async fn lock_authority(db: &impl ConnectionTrait, authority: &str) -> Result<(), DbErr> {
    if db.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        db.execute_raw(sea_orm::Statement::from_sql_and_values(
            sea_orm::DatabaseBackend::Postgres,
            "SELECT 1 FROM authorities WHERE istat_code = $1 FOR NO KEY UPDATE",
            [authority.into()],
        ))
        .await?;
    }
    Ok(())
}

/// The procedure catalog as the engine reads it (every procedure, active or not: old files may
/// name a procedure since retired), with the task force of each.
#[derive(Debug, Clone)]
pub struct Catalog {
    pub terms: TermCatalog,
    pub task_forces: Vec<String>,
    pub names: Vec<String>,
}

pub async fn catalog(db: &impl ConnectionTrait) -> Result<Catalog, DbErr> {
    let rows = procedure::Entity::find()
        .order_by_asc(procedure::Column::Code)
        .all(db)
        .await?;
    Ok(Catalog {
        terms: TermCatalog::new(
            rows.iter()
                .map(|p| (p.code.as_str(), p.legal_term_days.max(1) as u32)),
        ),
        task_forces: rows.iter().map(|p| p.task_force.clone()).collect(),
        names: rows.iter().map(|p| p.name.clone()).collect(),
    })
}

/// The programme's settings, or the defaults of DOMAIN.md §5 when the secretariat set none.
pub async fn programme_settings(db: &impl ConnectionTrait) -> Result<MonitoringSettings, DbErr> {
    let row = monitoring_target::Entity::find_by_id(PROGRAMME.to_owned())
        .one(db)
        .await?;
    let mut s = effective(
        &MonitoringSettings::default(),
        row.as_ref().map(override_of).as_ref(),
    );
    if let Some(d) = row.and_then(|r| r.lock_days) {
        s.lock_days = d.max(0) as u32;
    }
    Ok(s)
}

/// The baseline and milestones a stored row sets (unset or unreadable fields set nothing).
pub fn override_of(r: &monitoring_target::Model) -> TargetOverride {
    TargetOverride {
        baseline: r.baseline.as_deref().and_then(|b| Period::parse(b).ok()),
        milestones: r
            .milestones
            .as_deref()
            .and_then(|m| serde_json::from_str(m).ok()),
    }
}

/// An authority's override, if any.
pub async fn authority_override(
    db: &impl ConnectionTrait,
    authority: &str,
) -> Result<Option<TargetOverride>, DbErr> {
    Ok(monitoring_target::Entity::find_by_id(authority.to_owned())
        .one(db)
        .await?
        .as_ref()
        .map(override_of))
}

/// The settings that apply to an authority: the programme's with its override on top.
pub fn effective(
    programme: &MonitoringSettings,
    over: Option<&TargetOverride>,
) -> MonitoringSettings {
    let mut s = programme.clone();
    if let Some(o) = over {
        if let Some(b) = o.baseline {
            s.baseline = b;
        }
        if let Some(m) = &o.milestones {
            s.milestones = m.clone();
        }
    }
    s
}

/// The day a semester's data locks: `lock_days` after its last day.
pub fn locks_on(period: Period, lock_days: u32) -> NaiveDate {
    period.last_day() + chrono::Duration::days(i64::from(lock_days))
}

/// Reported data locks: a semester submitted or validated can no longer change once `lock_days`
/// have passed since its end, unless the secretariat reopened it. A semester never reported stays
/// open (it is late, not locked), so an authority can load its history at any time.
pub fn is_locked(
    period: Period,
    lock_days: u32,
    report: Option<&semester_report::Model>,
    today: NaiveDate,
) -> bool {
    let reported = report.is_some_and(|r| {
        r.status == SemesterStatus::Submitted.code() || r.status == SemesterStatus::Validated.code()
    });
    reported && today > locks_on(period, lock_days) && !report.is_some_and(|r| r.reopened)
}

/// The semesters an authority's register is computed over: from its first start to the later of
/// its last date and the last semester already ended.
pub fn window(files: &[FileRecord], today: NaiveDate) -> Option<(Sem, Sem)> {
    let (from, to) = natural_window(files)?;
    let last_ended = sem_of_day(day_of_date(today)) - 1;
    Some((from, to.max(last_ended).max(from)))
}

pub fn model_of(
    authority: &str,
    code: &str,
    f: &FileRecord,
    terms: &TermCatalog,
    now: DateTime<Utc>,
) -> register_file::ActiveModel {
    register_file::ActiveModel {
        authority_code: Set(authority.to_owned()),
        code: Set(code.to_owned()),
        procedure_code: Set(terms.code(f.procedure).to_owned()),
        start_date: Set(date_of_day(f.start)),
        term_days: Set(f.term_days as i32),
        decision_date: Set(f.decision.map(date_of_day)),
        silent_assent_date: Set(f.silent_assent.map(date_of_day)),
        conference: Set(f.conference),
        suspension_days: Set(f.suspension_days as i32),
        updated_at: Set(now),
    }
}

/// Every file of an authority (optionally of one procedure), by code. Read as a stream of the
/// columns the engine needs (no model objects: an authority can hold a million files).
pub async fn load_files<C>(
    db: &C,
    authority: &str,
    procedure: Option<&str>,
    terms: &TermCatalog,
) -> Result<HashMap<String, FileRecord>, DbErr>
where
    C: ConnectionTrait + sea_orm::StreamTrait + Send,
{
    use futures_util::TryStreamExt;
    use sea_orm::QuerySelect;
    #[derive(Debug, sea_orm::FromQueryResult)]
    struct FileRow {
        code: String,
        procedure_code: String,
        start_date: NaiveDate,
        term_days: i32,
        decision_date: Option<NaiveDate>,
        silent_assent_date: Option<NaiveDate>,
        conference: bool,
        suspension_days: i32,
    }
    use register_file::Column as C;
    let mut q = register_file::Entity::find()
        .select_only()
        .columns([
            C::Code,
            C::ProcedureCode,
            C::StartDate,
            C::TermDays,
            C::DecisionDate,
            C::SilentAssentDate,
            C::Conference,
            C::SuspensionDays,
        ])
        .filter(C::AuthorityCode.eq(authority));
    if let Some(p) = procedure {
        q = q.filter(C::ProcedureCode.eq(p));
    }
    let mut out = HashMap::new();
    let mut rows = q.into_model::<FileRow>().stream(db).await?;
    while let Some(r) = rows.try_next().await? {
        let Some(p) = terms.index_of(&r.procedure_code) else {
            continue;
        };
        if let Ok(f) = FileRecord::new(
            p,
            day_of_date(r.start_date),
            r.term_days.max(1) as u32,
            r.decision_date.map(day_of_date),
            r.silent_assent_date.map(day_of_date),
            r.conference,
            i64::from(r.suspension_days),
        ) {
            out.insert(r.code, f);
        }
    }
    Ok(out)
}

/// Upserts files in chunks (one statement per chunk).
pub async fn upsert_files(
    db: &impl ConnectionTrait,
    authority: &str,
    files: &[(&str, FileRecord)],
    terms: &TermCatalog,
) -> Result<(), DbErr> {
    let now = Utc::now();
    // 10 columns a row: 1,000 rows stay under SQLite's 32,766 bound parameters.
    for chunk in files.chunks(1000) {
        let models = chunk
            .iter()
            .map(|(code, f)| model_of(authority, code, f, terms, now));
        register_file::Entity::insert_many(models)
            .on_conflict(
                OnConflict::columns([
                    register_file::Column::AuthorityCode,
                    register_file::Column::Code,
                ])
                .update_columns([
                    register_file::Column::ProcedureCode,
                    register_file::Column::StartDate,
                    register_file::Column::TermDays,
                    register_file::Column::DecisionDate,
                    register_file::Column::SilentAssentDate,
                    register_file::Column::Conference,
                    register_file::Column::SuspensionDays,
                    register_file::Column::UpdatedAt,
                ])
                .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// The parts and median term of one stored measurement.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stored {
    pub source: MeasurementSource,
    pub parts: Parts,
    pub max_term_days: f64,
}

pub fn parts_of(m: &measurement::Model) -> Parts {
    Parts {
        started: m.started,
        concluded_express: m.concluded_express,
        concluded_express_with_suspension: m.concluded_express_with_suspension,
        concluded_express_with_conference: m.concluded_express_with_conference,
        concluded_silent_assent: m.concluded_silent_assent,
        duration_days_sum: m.duration_days_sum,
        net_duration_days_sum: m.net_duration_days_sum,
        backlog: m.backlog,
    }
}

fn fields(p: &Parts, max_term: f64) -> [(&'static str, String); 9] {
    [
        ("started", p.started.to_string()),
        ("concluded_express", p.concluded_express.to_string()),
        (
            "concluded_express_with_suspension",
            p.concluded_express_with_suspension.to_string(),
        ),
        (
            "concluded_express_with_conference",
            p.concluded_express_with_conference.to_string(),
        ),
        (
            "concluded_silent_assent",
            p.concluded_silent_assent.to_string(),
        ),
        ("duration_days_sum", p.duration_days_sum.to_string()),
        ("net_duration_days_sum", p.net_duration_days_sum.to_string()),
        ("backlog", p.backlog.to_string()),
        ("max_term_days", max_term.to_string()),
    ]
}

/// What a write of measurements did.
#[derive(Debug, Default)]
pub struct Outcome {
    pub affected: BTreeSet<Period>,
    pub locked: BTreeSet<Period>,
}

/// A planned change of one cell: its key, the new value (`None` deletes it) and the stored one.
#[derive(Debug, Clone)]
pub struct Change {
    pub key: (String, Period),
    pub new: Option<Stored>,
    pub old: Option<Stored>,
}

/// Compares the computed cells of some procedures (all when `procedures` is `None`) with the
/// stored ones: what would change, and which of those semesters are locked.
pub async fn plan(
    db: &impl ConnectionTrait,
    authority: &str,
    terms: &TermCatalog,
    computed: Option<&Computed>,
    procedures: Option<&[u16]>,
    lock_days: u32,
    today: NaiveDate,
) -> Result<(Vec<Change>, Outcome), DbErr> {
    let mut q =
        measurement::Entity::find().filter(measurement::Column::AuthorityCode.eq(authority));
    if let Some(ps) = procedures {
        q = q.filter(
            measurement::Column::ProcedureCode.is_in(ps.iter().map(|p| terms.code(*p).to_owned())),
        );
    }
    let stored: HashMap<(String, Period), Stored> = q
        .all(db)
        .await?
        .into_iter()
        .filter_map(|m| {
            let period = Period::parse(&m.period).ok()?;
            let source = MeasurementSource::parse(&m.source).ok()?;
            Some((
                (m.procedure_code.clone(), period),
                Stored {
                    source,
                    parts: parts_of(&m),
                    max_term_days: m.max_term_days,
                },
            ))
        })
        .collect();
    let mut fresh: HashMap<(String, Period), Stored> = HashMap::new();
    if let Some(c) = computed {
        for (p, s, cell) in c.iter() {
            if procedures.is_some_and(|ps| !ps.contains(&p)) || cell.parts.is_empty() {
                continue;
            }
            let Some(period) = period_of_sem(s) else {
                continue;
            };
            fresh.insert(
                (terms.code(p).to_owned(), period),
                Stored {
                    source: MeasurementSource::Register,
                    parts: cell.parts,
                    max_term_days: cell.max_term_days,
                },
            );
        }
    }
    let mut changes = Vec::new();
    for (key, new) in &fresh {
        let old = stored.get(key).copied();
        if old.as_ref() != Some(new) {
            changes.push(Change {
                key: key.clone(),
                new: Some(*new),
                old,
            });
        }
    }
    for (key, old) in &stored {
        // A register without data for a cell leaves a typed-in value alone.
        if !fresh.contains_key(key) && old.source == MeasurementSource::Register {
            changes.push(Change {
                key: key.clone(),
                new: None,
                old: Some(*old),
            });
        }
    }
    changes.sort_by(|a, b| a.key.cmp(&b.key));
    let periods: BTreeSet<Period> = changes.iter().map(|c| c.key.1).collect();
    let reports = reports_of(db, authority, &periods).await?;
    let mut outcome = Outcome::default();
    changes.retain(|c| {
        if is_locked(c.key.1, lock_days, reports.get(&c.key.1), today) {
            outcome.locked.insert(c.key.1);
            false
        } else {
            outcome.affected.insert(c.key.1);
            true
        }
    });
    Ok((changes, outcome))
}

async fn reports_of(
    db: &impl ConnectionTrait,
    authority: &str,
    periods: &BTreeSet<Period>,
) -> Result<HashMap<Period, semester_report::Model>, DbErr> {
    if periods.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(semester_report::Entity::find()
        .filter(semester_report::Column::AuthorityCode.eq(authority))
        .filter(semester_report::Column::Period.is_in(periods.iter().map(|p| p.to_string())))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|r| Some((Period::parse(&r.period).ok()?, r)))
        .collect())
}

/// Writes planned changes: the cells, the history of validated semesters, and a draft state for
/// semesters that had none.
pub async fn apply(
    db: &impl ConnectionTrait,
    authority: &str,
    changes: Vec<Change>,
    user: Option<i64>,
) -> Result<(), DbErr> {
    if changes.is_empty() {
        return Ok(());
    }
    let now = Utc::now();
    let periods: BTreeSet<Period> = changes.iter().map(|c| c.key.1).collect();
    let reports = reports_of(db, authority, &periods).await?;
    let mut history = Vec::new();
    let mut upserts = Vec::new();
    for Change {
        key: (procedure, period),
        new,
        old,
    } in changes
    {
        let validated = reports
            .get(&period)
            .is_some_and(|r| r.status == SemesterStatus::Validated.code());
        if validated {
            let b = old.map(|s| fields(&s.parts, s.max_term_days));
            let a = new.map(|s| fields(&s.parts, s.max_term_days));
            for i in 0..9 {
                let ov = b.as_ref().map(|f| f[i].1.clone());
                let nv = a.as_ref().map(|f| f[i].1.clone());
                if ov != nv {
                    let field = b.as_ref().or(a.as_ref()).map_or("", |f| f[i].0);
                    history.push(measurement_change::ActiveModel {
                        authority_code: Set(authority.to_owned()),
                        procedure_code: Set(procedure.clone()),
                        period: Set(period.to_string()),
                        field: Set(field.to_owned()),
                        old_value: Set(ov),
                        new_value: Set(nv),
                        changed_by: Set(user),
                        changed_at: Set(now),
                        ..Default::default()
                    });
                }
            }
        }
        match new {
            Some(s) => upserts.push(measurement::ActiveModel {
                authority_code: Set(authority.to_owned()),
                procedure_code: Set(procedure),
                period: Set(period.to_string()),
                source: Set(s.source.code().to_owned()),
                started: Set(s.parts.started),
                concluded_express: Set(s.parts.concluded_express),
                concluded_express_with_suspension: Set(s.parts.concluded_express_with_suspension),
                concluded_express_with_conference: Set(s.parts.concluded_express_with_conference),
                concluded_silent_assent: Set(s.parts.concluded_silent_assent),
                duration_days_sum: Set(s.parts.duration_days_sum),
                net_duration_days_sum: Set(s.parts.net_duration_days_sum),
                backlog: Set(s.parts.backlog),
                max_term_days: Set(s.max_term_days),
                updated_at: Set(now),
            }),
            None => {
                measurement::Entity::delete_many()
                    .filter(measurement::Column::AuthorityCode.eq(authority))
                    .filter(measurement::Column::ProcedureCode.eq(procedure))
                    .filter(measurement::Column::Period.eq(period.to_string()))
                    .exec(db)
                    .await?;
            }
        }
    }
    for chunk in upserts.chunks(1000) {
        measurement::Entity::insert_many(chunk.to_vec())
            .on_conflict(
                OnConflict::columns([
                    measurement::Column::AuthorityCode,
                    measurement::Column::ProcedureCode,
                    measurement::Column::Period,
                ])
                .update_columns([
                    measurement::Column::Source,
                    measurement::Column::Started,
                    measurement::Column::ConcludedExpress,
                    measurement::Column::ConcludedExpressWithSuspension,
                    measurement::Column::ConcludedExpressWithConference,
                    measurement::Column::ConcludedSilentAssent,
                    measurement::Column::DurationDaysSum,
                    measurement::Column::NetDurationDaysSum,
                    measurement::Column::Backlog,
                    measurement::Column::MaxTermDays,
                    measurement::Column::UpdatedAt,
                ])
                .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
    }
    for chunk in history.chunks(500) {
        measurement_change::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(db)
            .await?;
    }
    let missing: Vec<Period> = periods
        .into_iter()
        .filter(|p| !reports.contains_key(p))
        .collect();
    open_semesters(db, authority, &missing).await
}

/// A semester of an authority with no state yet: a draft.
pub fn draft_report(authority: &str, period: Period) -> semester_report::ActiveModel {
    semester_report::ActiveModel {
        authority_code: Set(authority.to_owned()),
        period: Set(period.to_string()),
        status: Set(SemesterStatus::Draft.code().to_owned()),
        comment: Set(None),
        submitted_at: Set(None),
        submitted_by: Set(None),
        reviewed_at: Set(None),
        reviewed_by: Set(None),
        reopened: Set(false),
        updated_at: Set(Utc::now()),
    }
}

/// Gives the semesters that have no state a draft one (those that have one keep it).
pub async fn open_semesters(
    db: &impl ConnectionTrait,
    authority: &str,
    periods: &[Period],
) -> Result<(), DbErr> {
    if periods.is_empty() {
        return Ok(());
    }
    semester_report::Entity::insert_many(periods.iter().map(|p| draft_report(authority, *p)))
        .on_conflict(
            OnConflict::columns([
                semester_report::Column::AuthorityCode,
                semester_report::Column::Period,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// How a recomputation writes: the lock period, who acts, and whether to write at all.
#[derive(Debug, Clone, Copy)]
pub struct Write {
    pub lock_days: u32,
    pub user: Option<i64>,
    pub dry_run: bool,
}

/// Plans and, unless `dry_run`, writes the measurements of an authority's register.
pub async fn recompute(
    db: &impl ConnectionTrait,
    authority: &str,
    terms: &TermCatalog,
    files: &[FileRecord],
    procedures: Option<&[u16]>,
    Write {
        lock_days,
        user,
        dry_run,
    }: Write,
) -> Result<(Option<Computed>, Outcome), DbErr> {
    let today = Utc::now().date_naive();
    let computed = window(files, today).map(|(from, to)| compute(files, terms, from, to));
    let (changes, outcome) = plan(
        db,
        authority,
        terms,
        computed.as_ref(),
        procedures,
        lock_days,
        today,
    )
    .await?;
    if !dry_run {
        apply(db, authority, changes, user).await?;
    }
    Ok((computed, outcome))
}
