//! The indicators at every level (DOMAIN.md §5): region, province, task force, procedure, phase,
//! authority — always added up from the stored parts (total days / total files).
//!
//! All measurements (a few hundred thousand cells at region scale) are held in memory as a compact
//! cube, one slice per authority; a query is one pass over the slices in scope, a few
//! milliseconds, and its answer is memoised until something it depends on changes.
//!
//! The cube stays current by the change log (`monitoring_changes`, `monitoring::record_change`):
//! each query reads the log entries newer than the cube (one indexed query, normally empty) and,
//! when there are some, one loader per process applies them — re-reading only the authorities
//! they name, or the phases, settings or catalog — and publishes a new cube that shares every
//! untouched slice with the old one. A full load happens in the background at start, when the log
//! holds too many entries to apply, and after a long idle time (the log is compacted after a day).
//! Concurrent queries wait for the one loader (bounded), then answer from what it published.

use crate::entities::{
    authority, measurement, monitoring_change, monitoring_target, phase, phase_authority,
    procedure, province, semester_report,
};
use crate::error::ApiError;
use crate::monitoring::{self as store, Changed};
use affianca_domain::Period;
use affianca_domain::dto::{
    CompletenessRow, IndicatorLevel, IndicatorReport, MonitoringSettings, Progress, RankingRow,
    ScopeSummary, SemesterStatus, SeriesPoint, Snapshot, TargetOverride, TargetProgress,
    TrafficLight,
};
use affianca_domain::monitoring::{
    Parts, Sem, day_of_date, period_of_sem, sem_of_day, sem_of_period,
};
use chrono::Utc;
use futures_util::TryStreamExt;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, FromQueryResult,
    QueryFilter, QueryOrder, QuerySelect,
};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct Auth {
    pub code: String,
    pub name: String,
    pub province: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Proc {
    pub code: String,
    pub name: String,
    pub task_force: String,
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Row {
    authority: u32,
    procedure: u16,
    sem: Sem,
    parts: Parts,
    max_term: f64,
}

/// One authority's part of the cube: its cells (sorted by semester, procedure), the states of its
/// semesters and its target override.
#[derive(Debug, Default, PartialEq)]
struct AuthData {
    rows: Vec<Row>,
    status: Vec<(Sem, SemesterStatus)>,
    over: Option<TargetOverride>,
}

/// The registry and catalog as the cube indexes them (changed only by a catalog change).
#[derive(Debug, Default, PartialEq)]
struct Reference {
    authorities: Vec<Auth>,
    auth_index: HashMap<String, u32>,
    procedures: Vec<Proc>,
    proc_index: HashMap<String, u16>,
    provinces: HashMap<String, String>,
}

impl PartialEq for Auth {
    fn eq(&self, o: &Self) -> bool {
        (&self.code, &self.name, &self.province) == (&o.code, &o.name, &o.province)
    }
}

impl PartialEq for Proc {
    fn eq(&self, o: &Self) -> bool {
        (&self.code, &self.name, &self.task_force) == (&o.code, &o.name, &o.task_force)
    }
}

/// What a memoised answer depends on: a change of an authority drops the answers whose scope
/// contains it, and only those.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Dep {
    All,
    Province(String),
    Phase(String),
    Authority(u32),
}

/// Where a cube stands in the change log.
#[derive(Debug, Clone, Default)]
pub struct Position {
    /// The highest sequence number applied.
    pub applied: i64,
    /// Numbers below `applied` not seen yet: on PostgreSQL a transaction can take its number
    /// before another one and commit after it. They are asked for again at every query until
    /// [`GAP_PATIENCE`] has passed (then they were rolled back).
    gaps: Vec<(i64, Instant)>,
    /// When the log was last read.
    read_at: Option<Instant>,
}

impl Position {
    /// Takes in the sequence numbers just read: new ones are applied, the ones skipped below them
    /// become gaps (asked for again); gaps filled, or waited for longer than [`GAP_PATIENCE`],
    /// are dropped.
    fn advance(&mut self, read: impl IntoIterator<Item = i64>, now: Instant) {
        let seen: BTreeSet<i64> = read.into_iter().collect();
        self.gaps
            .retain(|(s, since)| !seen.contains(s) && now.duration_since(*since) < GAP_PATIENCE);
        let mut expected = self.applied + 1;
        for s in seen.iter().copied().filter(|s| *s > self.applied) {
            self.gaps.extend((expected..s).map(|g| (g, now)));
            expected = s + 1;
        }
        self.applied = self.applied.max(expected - 1);
        if self.gaps.len() > MAX_GAPS {
            self.gaps.sort_unstable_by_key(|g| g.0);
            let drop = self.gaps.len() - MAX_GAPS;
            self.gaps.drain(..drop);
        }
        self.read_at = Some(now);
    }

    #[cfg(test)]
    fn gap_numbers(&self) -> Vec<i64> {
        let mut g: Vec<i64> = self.gaps.iter().map(|(s, _)| *s).collect();
        g.sort_unstable();
        g
    }
}

/// How long a missing sequence number is waited for.
const GAP_PATIENCE: Duration = Duration::from_secs(30);
/// At most this many missing numbers are remembered (the newest).
const MAX_GAPS: usize = 256;
/// More new entries than this at once: a full load is quicker than applying them.
const MAX_APPLY: u64 = 5_000;
/// A cube that has not read the log for this long reloads fully (the log is compacted after a
/// day: entries it would need may be gone).
pub const MAX_IDLE: Duration = Duration::from_secs(6 * 3600);
/// How long a query waits for the loader before answering 503.
const LOADER_WAIT: Duration = Duration::from_secs(5);

/// Every measurement, with what is needed to place it in any scope.
#[derive(Debug, Default)]
pub struct Cube {
    pub position: Position,
    reference: Arc<Reference>,
    phases: Arc<HashMap<String, (String, HashSet<u32>)>>,
    data: Vec<Arc<AuthData>>,
    pub settings: MonitoringSettings,
    /// Answers already computed, by query, with what each depends on.
    answers: std::sync::Mutex<HashMap<String, (Dep, Arc<String>)>>,
}

/// How many answers a cube keeps before starting afresh.
const MAX_ANSWERS: usize = 2048;

impl Cube {
    /// The answer to `key` (a query of scope `f`), computed once by `make` and kept until a change
    /// touches the scope.
    pub fn memo<E>(
        &self,
        key: String,
        f: &Filter,
        make: impl FnOnce() -> Result<String, E>,
    ) -> Result<Arc<String>, E> {
        // Answers that count late semesters or default to the last semester ended move with the
        // calendar: the day is part of the key.
        let key = format!("{}|{key}", Utc::now().date_naive());
        if let Some((_, a)) = self
            .answers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
        {
            return Ok(a.clone());
        }
        let answer = Arc::new(make()?);
        let dep = self.dep_of(f);
        let mut answers = self.answers.lock().unwrap_or_else(|e| e.into_inner());
        if answers.len() >= MAX_ANSWERS {
            // One authority's answer is cheap to compute again; a region's or a province's is not.
            answers.retain(|_, (dep, _)| !matches!(dep, Dep::Authority(_)));
            if answers.len() >= MAX_ANSWERS / 2 {
                answers.clear();
            }
        }
        answers.insert(key, (dep, answer.clone()));
        Ok(answer)
    }

    fn dep_of(&self, f: &Filter) -> Dep {
        match (f.level, f.key.as_deref()) {
            (IndicatorLevel::Province, Some(k)) => Dep::Province(k.to_uppercase()),
            (IndicatorLevel::Phase, Some(k)) => Dep::Phase(k.to_owned()),
            (IndicatorLevel::Authority, Some(k)) => {
                self.authority_index(k).map_or(Dep::All, Dep::Authority)
            }
            _ => Dep::All,
        }
    }

    /// Whether a change of authority `a` may change an answer depending on `dep`.
    fn touches(&self, dep: &Dep, a: u32) -> bool {
        match dep {
            Dep::All => true,
            Dep::Authority(x) => *x == a,
            Dep::Province(p) => {
                self.reference.authorities[a as usize].province.as_deref() == Some(p.as_str())
            }
            Dep::Phase(id) => self.phases.get(id).is_none_or(|(_, set)| set.contains(&a)),
        }
    }

    /// How many cells the cube holds.
    pub fn cells(&self) -> usize {
        self.data.iter().map(|d| d.rows.len()).sum()
    }

    pub fn authorities(&self) -> &[Auth] {
        &self.reference.authorities
    }
}

/// What the cache has done, for `/status` and the tests.
#[derive(Debug, Default)]
struct Counters {
    loads: AtomicU64,
    catch_ups: AtomicU64,
    last_load_ms: AtomicU64,
}

/// The cube, shared by all workers of a server.
#[derive(Debug, Clone, Default)]
pub struct IndicatorCache {
    current: Arc<RwLock<Option<Arc<Cube>>>>,
    /// One full load or catch-up at a time per process.
    loader: Arc<tokio::sync::Mutex<()>>,
    counters: Arc<Counters>,
    loading: Arc<AtomicBool>,
}

/// The cache's state as `/status` shows it.
#[derive(Debug, Clone, Copy)]
pub struct CacheStatus {
    pub ready: bool,
    pub loads: u64,
    pub catch_ups: u64,
    pub applied: i64,
    pub cells: usize,
    pub last_load_ms: u64,
}

fn loading_error() -> ApiError {
    let mut e = ApiError::service_unavailable(
        "Gli indicatori si stanno caricando: riprovare tra qualche secondo.",
    );
    e.retry_after_secs = Some(3);
    e
}

/// A log entry as read.
#[derive(Debug, FromQueryResult)]
struct LogRow {
    seq: i64,
    kind: String,
    authority_code: Option<String>,
}

impl IndicatorCache {
    fn published(&self) -> Option<Arc<Cube>> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn publish(&self, cube: Arc<Cube>) {
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Some(cube);
    }

    pub fn status(&self) -> CacheStatus {
        let c = self.published();
        CacheStatus {
            ready: c.is_some(),
            loads: self.counters.loads.load(Ordering::Relaxed),
            catch_ups: self.counters.catch_ups.load(Ordering::Relaxed),
            applied: c.as_ref().map_or(0, |c| c.position.applied),
            cells: c.as_ref().map_or(0, |c| c.cells()),
            last_load_ms: self.counters.last_load_ms.load(Ordering::Relaxed),
        }
    }

    /// Loads the cube in the background (at start), so that the first user does not wait.
    pub fn warm(&self, db: DatabaseConnection) {
        let cache = self.clone();
        tokio::spawn(async move {
            // Retries while the database does not answer yet (a server started before it).
            for attempt in 0..60 {
                match cache.get(&db).await {
                    Ok(c) => {
                        tracing::info!(cells = c.cells(), "indicator cube ready");
                        return;
                    }
                    Err(e) => {
                        tracing::warn!(attempt, error = %e.detail.clone().unwrap_or_default(), "indicator cube not loaded yet");
                        tokio::time::sleep(Duration::from_secs(2)).await;
                    }
                }
            }
        });
    }

    /// The cube as of now: every change committed before this call (by any server) is in it.
    /// Normally one indexed query; when the log moved, the one loader applies the news.
    pub async fn get(&self, db: &DatabaseConnection) -> Result<Arc<Cube>, ApiError> {
        if let Some(c) = self.published()
            && !c.idle_too_long()
        {
            let news = read_log(db, &c.position, 1).await?;
            if news.is_empty() {
                return Ok(c);
            }
        }
        let _guard = match tokio::time::timeout(LOADER_WAIT, self.loader.lock()).await {
            Ok(g) => g,
            Err(_) => return Err(loading_error()),
        };
        // Someone else may have applied the news while this one waited.
        let current = self.published();
        let next = match current {
            Some(c) if !c.idle_too_long() => {
                let news = read_log(db, &c.position, MAX_APPLY + 1).await?;
                if news.is_empty() {
                    return Ok(c);
                }
                if news.len() as u64 > MAX_APPLY {
                    self.full_load(db).await?
                } else {
                    self.counters.catch_ups.fetch_add(1, Ordering::Relaxed);
                    Arc::new(c.apply(db, news).await?)
                }
            }
            _ => self.full_load(db).await?,
        };
        self.publish(next.clone());
        Ok(next)
    }

    async fn full_load(&self, db: &DatabaseConnection) -> Result<Arc<Cube>, DbErr> {
        self.loading.store(true, Ordering::Relaxed);
        let started = Instant::now();
        let cube = Cube::load(db).await;
        self.loading.store(false, Ordering::Relaxed);
        let cube = cube?;
        let ms = started.elapsed().as_millis() as u64;
        self.counters.loads.fetch_add(1, Ordering::Relaxed);
        self.counters.last_load_ms.store(ms, Ordering::Relaxed);
        tracing::info!(
            cells = cube.cells(),
            applied = cube.position.applied,
            ms,
            "indicator cube loaded"
        );
        Ok(Arc::new(cube))
    }
}

/// The log entries a cube at `pos` has not applied: newer than it, or missing below it.
async fn read_log(
    db: &impl ConnectionTrait,
    pos: &Position,
    limit: u64,
) -> Result<Vec<LogRow>, DbErr> {
    use monitoring_change::Column as C;
    use sea_orm::sea_query::{Expr, ExprTrait};
    let mut cond = Expr::col(C::Seq).gt(pos.applied);
    let gaps: Vec<i64> = pos.gaps.iter().map(|(s, _)| *s).collect();
    if !gaps.is_empty() {
        cond = cond.or(Expr::col(C::Seq).is_in(gaps));
    }
    monitoring_change::Entity::find()
        .select_only()
        .columns([C::Seq, C::Kind, C::AuthorityCode])
        .filter(cond)
        .order_by_asc(C::Seq)
        .limit(limit)
        .into_model::<LogRow>()
        .all(db)
        .await
}

/// A measurement as the cube reads it (no timestamps, no source).
#[derive(Debug, FromQueryResult)]
struct CellRow {
    authority_code: String,
    procedure_code: String,
    period: String,
    started: i64,
    concluded_express: i64,
    concluded_express_with_suspension: i64,
    concluded_express_with_conference: i64,
    concluded_silent_assent: i64,
    duration_days_sum: i64,
    net_duration_days_sum: i64,
    backlog: i64,
    max_term_days: f64,
}

#[derive(Debug, FromQueryResult)]
struct StatusRow {
    authority_code: String,
    period: String,
    status: String,
}

fn cell_query() -> sea_orm::Select<measurement::Entity> {
    use measurement::Column as C;
    measurement::Entity::find().select_only().columns([
        C::AuthorityCode,
        C::ProcedureCode,
        C::Period,
        C::Started,
        C::ConcludedExpress,
        C::ConcludedExpressWithSuspension,
        C::ConcludedExpressWithConference,
        C::ConcludedSilentAssent,
        C::DurationDaysSum,
        C::NetDurationDaysSum,
        C::Backlog,
        C::MaxTermDays,
    ])
}

fn status_query() -> sea_orm::Select<semester_report::Entity> {
    use semester_report::Column as C;
    semester_report::Entity::find()
        .select_only()
        .columns([C::AuthorityCode, C::Period, C::Status])
}

impl Reference {
    async fn load(db: &impl ConnectionTrait) -> Result<Self, DbErr> {
        let mut r = Reference::default();
        for a in authority::Entity::find()
            .order_by_asc(authority::Column::IstatCode)
            .all(db)
            .await?
        {
            r.auth_index
                .insert(a.istat_code.clone(), r.authorities.len() as u32);
            r.authorities.push(Auth {
                code: a.istat_code,
                name: a.name,
                province: a.province,
            });
        }
        for p in procedure::Entity::find()
            .order_by_asc(procedure::Column::Code)
            .all(db)
            .await?
        {
            r.proc_index
                .insert(p.code.clone(), r.procedures.len() as u16);
            r.procedures.push(Proc {
                code: p.code,
                name: p.name,
                task_force: p.task_force,
            });
        }
        r.provinces = province::Entity::find()
            .all(db)
            .await?
            .into_iter()
            .map(|p| (p.code, p.name))
            .collect();
        Ok(r)
    }

    fn row_of(&self, m: &CellRow) -> Option<Row> {
        Some(Row {
            authority: *self.auth_index.get(&m.authority_code)?,
            procedure: *self.proc_index.get(&m.procedure_code)?,
            sem: sem_of_period(Period::parse(&m.period).ok()?),
            parts: Parts {
                started: m.started,
                concluded_express: m.concluded_express,
                concluded_express_with_suspension: m.concluded_express_with_suspension,
                concluded_express_with_conference: m.concluded_express_with_conference,
                concluded_silent_assent: m.concluded_silent_assent,
                duration_days_sum: m.duration_days_sum,
                net_duration_days_sum: m.net_duration_days_sum,
                backlog: m.backlog,
            },
            max_term: m.max_term_days,
        })
    }

    fn status_of(&self, r: &StatusRow) -> Option<(u32, Sem, SemesterStatus)> {
        Some((
            *self.auth_index.get(&r.authority_code)?,
            sem_of_period(Period::parse(&r.period).ok()?),
            SemesterStatus::parse(&r.status).ok()?,
        ))
    }
}

async fn load_phases(
    db: &impl ConnectionTrait,
    reference: &Reference,
) -> Result<HashMap<String, (String, HashSet<u32>)>, DbErr> {
    let mut phases: HashMap<i64, (String, HashSet<u32>)> = phase::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, (p.name, HashSet::new())))
        .collect();
    for pa in phase_authority::Entity::find().all(db).await? {
        if let (Some(ph), Some(a)) = (
            phases.get_mut(&pa.phase_id),
            reference.auth_index.get(&pa.authority_code),
        ) {
            ph.1.insert(*a);
        }
    }
    Ok(phases
        .into_iter()
        .map(|(id, v)| (id.to_string(), v))
        .collect())
}

/// The current highest sequence number and the numbers missing just below it.
async fn log_position(db: &impl ConnectionTrait) -> Result<Position, DbErr> {
    use monitoring_change::Column as C;
    let recent: Vec<i64> = monitoring_change::Entity::find()
        .select_only()
        .column(C::Seq)
        .order_by_desc(C::Seq)
        .limit(MAX_GAPS as u64)
        .into_tuple()
        .all(db)
        .await?;
    let applied = recent.first().copied().unwrap_or(0);
    let now = Instant::now();
    let present: HashSet<i64> = recent.iter().copied().collect();
    let lowest = recent
        .last()
        .copied()
        .unwrap_or(0)
        .max(applied - MAX_GAPS as i64);
    Ok(Position {
        applied,
        gaps: (lowest + 1..applied)
            .filter(|s| !present.contains(s))
            .map(|s| (s, now))
            .collect(),
        read_at: Some(now),
    })
}

fn sort_rows(d: &mut AuthData) {
    d.rows.sort_unstable_by_key(|r| (r.sem, r.procedure));
    d.status.sort_unstable_by_key(|s| s.0);
}

impl Cube {
    /// Reads everything: one streaming query per big table, small ones at once. The log position
    /// is read first, so that whatever commits during the load is applied at the next query.
    pub async fn load(db: &DatabaseConnection) -> Result<Self, DbErr> {
        let position = log_position(db).await?;
        let reference = Reference::load(db).await?;
        let n = reference.authorities.len();
        let mut data: Vec<AuthData> = (0..n).map(|_| AuthData::default()).collect();
        {
            let mut cells = cell_query().into_model::<CellRow>().stream(db).await?;
            while let Some(m) = cells.try_next().await? {
                if let Some(r) = reference.row_of(&m) {
                    data[r.authority as usize].rows.push(r);
                }
            }
        }
        {
            let mut states = status_query().into_model::<StatusRow>().stream(db).await?;
            while let Some(r) = states.try_next().await? {
                if let Some((a, sem, s)) = reference.status_of(&r) {
                    data[a as usize].status.push((sem, s));
                }
            }
        }
        for t in monitoring_target::Entity::find().all(db).await? {
            if let Some(&a) = reference.auth_index.get(&t.scope) {
                data[a as usize].over = Some(store::override_of(&t));
            }
        }
        for d in &mut data {
            sort_rows(d);
            d.rows.shrink_to_fit();
        }
        let phases = load_phases(db, &reference).await?;
        Ok(Cube {
            position,
            settings: store::programme_settings(db).await?,
            phases: Arc::new(phases),
            reference: Arc::new(reference),
            data: data.into_iter().map(Arc::new).collect(),
            answers: Default::default(),
        })
    }

    fn idle_too_long(&self) -> bool {
        self.position.read_at.is_none_or(|t| t.elapsed() > MAX_IDLE)
    }

    /// A new cube with the log entries `news` applied: the authorities they name re-read (three
    /// queries for all of them), phases and settings re-read when named; a catalog change reloads
    /// everything. Untouched authorities' slices are shared with `self`; so are the answers that do
    /// not depend on what changed.
    async fn apply(&self, db: &DatabaseConnection, news: Vec<LogRow>) -> Result<Cube, DbErr> {
        let mut position = self.position.clone();
        let now = Instant::now();
        let mut changes: HashSet<Changed> = HashSet::new();
        for e in &news {
            changes.insert(Changed::of_row(&e.kind, e.authority_code.clone()));
        }
        if changes.contains(&Changed::Catalog) {
            return Cube::load(db).await;
        }
        position.advance(news.iter().map(|e| e.seq), now);

        let authorities: BTreeSet<u32> = changes
            .iter()
            .filter_map(|c| match c {
                Changed::Authority(code) => self.reference.auth_index.get(code).copied(),
                _ => None,
            })
            .collect();
        let mut data = self.data.clone();
        if !authorities.is_empty() {
            let codes: Vec<String> = authorities
                .iter()
                .map(|a| self.reference.authorities[*a as usize].code.clone())
                .collect();
            let mut fresh: BTreeMap<u32, AuthData> = authorities
                .iter()
                .map(|a| (*a, AuthData::default()))
                .collect();
            for m in cell_query()
                .filter(measurement::Column::AuthorityCode.is_in(codes.clone()))
                .into_model::<CellRow>()
                .all(db)
                .await?
            {
                if let Some(r) = self.reference.row_of(&m)
                    && let Some(d) = fresh.get_mut(&r.authority)
                {
                    d.rows.push(r);
                }
            }
            for r in status_query()
                .filter(semester_report::Column::AuthorityCode.is_in(codes.clone()))
                .into_model::<StatusRow>()
                .all(db)
                .await?
            {
                if let Some((a, sem, s)) = self.reference.status_of(&r)
                    && let Some(d) = fresh.get_mut(&a)
                {
                    d.status.push((sem, s));
                }
            }
            for t in monitoring_target::Entity::find()
                .filter(monitoring_target::Column::Scope.is_in(codes))
                .all(db)
                .await?
            {
                if let Some(a) = self.reference.auth_index.get(&t.scope)
                    && let Some(d) = fresh.get_mut(a)
                {
                    d.over = Some(store::override_of(&t));
                }
            }
            for (a, mut d) in fresh {
                sort_rows(&mut d);
                data[a as usize] = Arc::new(d);
            }
        }
        let phases = if changes.contains(&Changed::Phases) {
            Arc::new(load_phases(db, &self.reference).await?)
        } else {
            self.phases.clone()
        };
        let settings_changed = changes.contains(&Changed::Settings);
        let settings = if settings_changed {
            store::programme_settings(db).await?
        } else {
            self.settings.clone()
        };
        let next = Cube {
            position,
            reference: self.reference.clone(),
            phases,
            data,
            settings,
            answers: Default::default(),
        };
        if !settings_changed && !changes.contains(&Changed::Phases) {
            let kept: HashMap<String, (Dep, Arc<String>)> = self
                .answers
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .iter()
                .filter(|(_, (dep, _))| !authorities.iter().any(|a| self.touches(dep, *a)))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            *next.answers.lock().unwrap_or_else(|e| e.into_inner()) = kept;
        }
        Ok(next)
    }

    /// Whether two cubes hold the same data (the log position and the memo aside): incremental
    /// application must equal a full reload.
    pub fn same_data(&self, other: &Cube) -> bool {
        self.reference == other.reference
            && self.phases == other.phases
            && self.settings == other.settings
            && self.data.len() == other.data.len()
            && self.data.iter().zip(&other.data).all(|(a, b)| a == b)
    }

    pub fn authority_index(&self, code: &str) -> Option<u32> {
        self.reference.auth_index.get(code).copied()
    }

    pub fn province_name(&self, code: &str) -> String {
        self.reference
            .provinces
            .get(code)
            .cloned()
            .unwrap_or_else(|| code.to_owned())
    }

    pub fn settings_for(&self, authority: Option<u32>) -> MonitoringSettings {
        store::effective(
            &self.settings,
            authority.and_then(|a| self.data[a as usize].over.as_ref()),
        )
    }

    pub fn status_of(&self, authority: u32, sem: Sem) -> Option<SemesterStatus> {
        let s = &self.data[authority as usize].status;
        s.binary_search_by_key(&sem, |x| x.0).ok().map(|i| s[i].1)
    }
}

/// Which rows a query reads.
#[derive(Debug, Clone)]
pub struct Filter {
    pub level: IndicatorLevel,
    pub key: Option<String>,
    pub procedure: Option<String>,
    pub task_force: Option<String>,
    pub from: Option<Sem>,
    pub to: Option<Sem>,
    pub validated_only: bool,
}

/// A scope resolved against the cube.
enum Key {
    All,
    Province(String),
    TaskForce(String),
    Procedure(u16),
    Phase(HashSet<u32>),
    Authority(u32),
}

/// Why a query cannot be answered.
#[derive(Debug)]
pub enum QueryError {
    MissingKey,
    UnknownKey,
}

impl Cube {
    fn resolve(&self, level: IndicatorLevel, key: Option<&str>) -> Result<Key, QueryError> {
        let key = match (level, key) {
            (IndicatorLevel::Region, _) => return Ok(Key::All),
            (_, None) => return Err(QueryError::MissingKey),
            (_, Some(k)) => k,
        };
        Ok(match level {
            IndicatorLevel::Region => Key::All,
            IndicatorLevel::Province => {
                let k = key.to_uppercase();
                if !self.reference.provinces.contains_key(&k)
                    && !self
                        .reference
                        .authorities
                        .iter()
                        .any(|a| a.province.as_deref() == Some(&k))
                {
                    return Err(QueryError::UnknownKey);
                }
                Key::Province(k)
            }
            IndicatorLevel::TaskForce => {
                if !self
                    .reference
                    .procedures
                    .iter()
                    .any(|p| p.task_force == key)
                {
                    return Err(QueryError::UnknownKey);
                }
                Key::TaskForce(key.to_owned())
            }
            IndicatorLevel::Procedure => Key::Procedure(
                *self
                    .reference
                    .proc_index
                    .get(&key.to_uppercase())
                    .ok_or(QueryError::UnknownKey)?,
            ),
            IndicatorLevel::Phase => Key::Phase(
                self.phases
                    .get(key)
                    .ok_or(QueryError::UnknownKey)?
                    .1
                    .clone(),
            ),
            IndicatorLevel::Authority => {
                Key::Authority(self.authority_index(key).ok_or(QueryError::UnknownKey)?)
            }
        })
    }

    fn scope_name(&self, level: IndicatorLevel, key: Option<&str>) -> String {
        let key = key.unwrap_or_default();
        match level {
            IndicatorLevel::Region => "Regione Lombardia".to_owned(),
            IndicatorLevel::Province => {
                format!("Provincia di {}", self.province_name(&key.to_uppercase()))
            }
            IndicatorLevel::TaskForce => affianca_domain::TaskForce::parse(key)
                .map(|t| t.name_it().to_owned())
                .unwrap_or_else(|_| key.to_owned()),
            IndicatorLevel::Procedure => self
                .reference
                .proc_index
                .get(&key.to_uppercase())
                .map(|p| self.reference.procedures[usize::from(*p)].name.clone())
                .unwrap_or_else(|| key.to_owned()),
            IndicatorLevel::Phase => self
                .phases
                .get(key)
                .map(|p| p.0.clone())
                .unwrap_or_else(|| key.to_owned()),
            IndicatorLevel::Authority => self
                .authority_index(key)
                .map(|a| self.reference.authorities[a as usize].name.clone())
                .unwrap_or_else(|| key.to_owned()),
        }
    }

    /// The row-level part of a scope (the authority-level part is [`Cube::authority_in_key`]).
    fn in_key(&self, key: &Key, r: &Row) -> bool {
        match key {
            Key::TaskForce(t) => {
                self.reference.procedures[usize::from(r.procedure)].task_force == *t
            }
            Key::Procedure(p) => r.procedure == *p,
            Key::All | Key::Province(_) | Key::Phase(_) | Key::Authority(_) => true,
        }
    }

    /// The authorities a scope covers (for completeness): all of a province, of a phase, one.
    fn authorities_in(&self, key: &Key) -> Vec<u32> {
        (0..self.reference.authorities.len() as u32)
            .filter(|a| match key {
                Key::Province(p) => {
                    self.reference.authorities[*a as usize].province.as_deref() == Some(p.as_str())
                }
                Key::Phase(set) => set.contains(a),
                Key::Authority(x) => a == x,
                Key::All | Key::TaskForce(_) | Key::Procedure(_) => true,
            })
            .collect()
    }
}

/// The last semester already ended.
pub fn last_ended() -> Sem {
    sem_of_day(day_of_date(Utc::now().date_naive())) - 1
}

/// Per-semester sums over a set of rows. Rows come grouped by authority (the cube keeps them
/// sorted), so counting the authorities of a semester is comparing with the last one seen.
#[derive(Debug, Clone, Default)]
struct Acc {
    parts: Vec<Parts>,
    authorities: Vec<usize>,
    last: Vec<u32>,
    /// (term × 2, weight): a handful of distinct legal terms, searched linearly.
    terms: Vec<Vec<(u64, i64)>>,
}

impl Acc {
    fn new(n: usize) -> Self {
        Self {
            parts: vec![Parts::default(); n],
            authorities: vec![0; n],
            last: vec![u32::MAX; n],
            terms: vec![Vec::new(); n],
        }
    }
    fn add(&mut self, i: usize, r: &Row) {
        self.parts[i] += r.parts;
        if self.last[i] != r.authority {
            self.last[i] = r.authority;
            self.authorities[i] += 1;
        }
        let key = (r.max_term * 2.0).round() as u64;
        let w = r.parts.started.max(1);
        match self.terms[i].iter_mut().find(|(k, _)| *k == key) {
            Some(e) => e.1 += w,
            None => self.terms[i].push((key, w)),
        }
    }
    fn series(&self, from: Sem) -> Vec<SeriesPoint> {
        (0..self.parts.len())
            .filter_map(|i| {
                let period = period_of_sem(from + i as Sem)?;
                let h: BTreeMap<u64, i64> = self.terms[i].iter().copied().collect();
                Some(SeriesPoint::new(
                    period,
                    self.parts[i],
                    weighted_median(&h),
                    self.authorities[i],
                ))
            })
            .collect()
    }
}

fn weighted_median(h: &BTreeMap<u64, i64>) -> Option<f64> {
    let total: i64 = h.values().sum();
    if total == 0 {
        return None;
    }
    let mut seen = 0;
    for (k, w) in h {
        seen += w;
        if seen * 2 >= total {
            return Some(*k as f64 / 2.0);
        }
    }
    None
}

/// Where a series stands against its baseline and milestones.
pub fn progress(series: &[SeriesPoint], settings: &MonitoringSettings) -> Progress {
    let snap = |p: &SeriesPoint| Snapshot {
        period: p.period,
        backlog: p.backlog,
        avg_duration_days: p.avg_duration_days,
    };
    let baseline = series
        .iter()
        .find(|p| p.period == settings.baseline && p.authorities > 0)
        .map(snap);
    let latest = series
        .iter()
        .rev()
        .find(|p| p.authorities > 0 && p.period >= settings.baseline)
        .map(snap);
    let pct = |base: Option<f64>, latest: Option<f64>, reduction: f64| {
        let (Some(b), Some(l)) = (base, latest) else {
            return (None, None, None);
        };
        let target = b * (1.0 - reduction / 100.0);
        let change = (b > 0.0).then(|| (l - b) / b * 100.0);
        let required = b - target;
        let progress = if required > 0.0 {
            Some((b - l) / required * 100.0)
        } else if l <= b {
            Some(100.0)
        } else {
            Some(0.0)
        };
        (Some(target), change, progress)
    };
    let targets: Vec<TargetProgress> = settings
        .milestones
        .iter()
        .map(|m| {
            let (bt, bc, bp) = pct(
                baseline.as_ref().map(|b| b.backlog as f64),
                latest.as_ref().map(|l| l.backlog as f64),
                m.backlog_reduction_pct,
            );
            let (dt, dc, dp) = pct(
                baseline.as_ref().and_then(|b| b.avg_duration_days),
                latest.as_ref().and_then(|l| l.avg_duration_days),
                m.duration_reduction_pct,
            );
            let (bs, ds) = (TrafficLight::of_progress(bp), TrafficLight::of_progress(dp));
            // A scope with no concluded file in the baseline has no duration to reduce: its
            // status follows the backlog alone.
            let status = if dp.is_none() && bp.is_some() {
                bs
            } else {
                bs.worst(ds)
            };
            TargetProgress {
                milestone: m.clone(),
                backlog_target: bt,
                avg_duration_target: dt,
                backlog_change_pct: bc,
                avg_duration_change_pct: dc,
                backlog_progress_pct: bp,
                avg_duration_progress_pct: dp,
                backlog_status: bs,
                avg_duration_status: ds,
                status,
            }
        })
        .collect();
    let due = latest.as_ref().and_then(|l| {
        targets
            .iter()
            .find(|t| t.milestone.period >= l.period)
            .or(targets.last())
    });
    Progress {
        status: due.map_or(TrafficLight::NoData, |t| t.status),
        baseline,
        latest,
        targets,
    }
}

/// The child level of each level, for drill-down.
fn child_level(level: IndicatorLevel) -> IndicatorLevel {
    match level {
        IndicatorLevel::Region | IndicatorLevel::Procedure => IndicatorLevel::Province,
        IndicatorLevel::Province | IndicatorLevel::Phase => IndicatorLevel::Authority,
        IndicatorLevel::TaskForce | IndicatorLevel::Authority => IndicatorLevel::Procedure,
    }
}

impl Cube {
    fn window(&self, f: &Filter) -> (Sem, Sem) {
        let to = f.to.unwrap_or_else(last_ended);
        let from = f.from.unwrap_or_else(|| {
            let baseline = sem_of_period(self.settings.baseline);
            self.data
                .iter()
                .filter_map(|d| d.rows.first().map(|r| r.sem))
                .min()
                .unwrap_or(baseline)
                .min(baseline)
        });
        (from, to.max(from))
    }

    fn rows<'a>(
        &'a self,
        f: &'a Filter,
        key: &'a Key,
        from: Sem,
        to: Sem,
        visible: Option<&'a HashSet<u32>>,
    ) -> impl Iterator<Item = &'a Row> + 'a {
        let tf = f.task_force.as_deref();
        let pr = f
            .procedure
            .as_deref()
            .map(|p| self.reference.proc_index.get(&p.to_uppercase()).copied());
        // An authority out of scope is skipped whole; the rows of one in scope are in semester
        // order, so the window is a contiguous slice.
        let slices: Box<dyn Iterator<Item = (u32, &'a AuthData)> + 'a> = match key {
            Key::Authority(a) => Box::new(std::iter::once((*a, &*self.data[*a as usize]))),
            _ => Box::new(self.data.iter().enumerate().map(|(i, d)| (i as u32, &**d))),
        };
        slices
            .filter(move |(a, _)| {
                visible.is_none_or(|v| v.contains(a)) && self.authority_in_key(key, *a)
            })
            .flat_map(move |(_, d)| {
                let lo = d.rows.partition_point(|r| r.sem < from);
                let hi = d.rows.partition_point(|r| r.sem <= to);
                d.rows[lo..hi].iter()
            })
            .filter(move |r| {
                self.in_key(key, r)
                    && tf.is_none_or(|t| {
                        self.reference.procedures[usize::from(r.procedure)].task_force == t
                    })
                    && pr.is_none_or(|p| p == Some(r.procedure))
                    && (!f.validated_only
                        || self.status_of(r.authority, r.sem) == Some(SemesterStatus::Validated))
            })
    }

    /// Whether an authority's rows can be in a scope (the procedure levels filter by row).
    fn authority_in_key(&self, key: &Key, a: u32) -> bool {
        match key {
            Key::Province(p) => {
                self.reference.authorities[a as usize].province.as_deref() == Some(p.as_str())
            }
            Key::Phase(set) => set.contains(&a),
            Key::Authority(x) => *x == a,
            Key::All | Key::TaskForce(_) | Key::Procedure(_) => true,
        }
    }

    fn child_of(&self, level: IndicatorLevel, r: &Row) -> String {
        match level {
            IndicatorLevel::Province => self.reference.authorities[r.authority as usize]
                .province
                .clone()
                .unwrap_or_default(),
            IndicatorLevel::Authority => self.reference.authorities[r.authority as usize]
                .code
                .clone(),
            _ => self.reference.procedures[usize::from(r.procedure)]
                .code
                .clone(),
        }
    }

    fn child_name(&self, level: IndicatorLevel, key: &str) -> String {
        match level {
            IndicatorLevel::Province => self.province_name(key),
            IndicatorLevel::Authority => self
                .authority_index(key)
                .map(|a| self.reference.authorities[a as usize].name.clone())
                .unwrap_or_default(),
            _ => self
                .reference
                .proc_index
                .get(key)
                .map(|p| self.reference.procedures[usize::from(*p)].name.clone())
                .unwrap_or_default(),
        }
    }

    /// `GET /indicators`.
    pub fn report(
        &self,
        f: &Filter,
        visible: Option<&HashSet<u32>>,
    ) -> Result<IndicatorReport, QueryError> {
        let key = self.resolve(f.level, f.key.as_deref())?;
        let (from, to) = self.window(f);
        let n = (to - from + 1) as usize;
        let mut total = Acc::new(n);
        let child = child_level(f.level);
        let mut children: HashMap<String, Acc> = HashMap::new();
        for r in self.rows(f, &key, from, to, visible) {
            let i = (r.sem - from) as usize;
            total.add(i, r);
            children
                .entry(self.child_of(child, r))
                .or_insert_with(|| Acc::new(n))
                .add(i, r);
        }
        let own = match &key {
            Key::Authority(a) => Some(*a),
            _ => None,
        };
        let series = total.series(from);
        let settings = self.settings_for(own);
        let mut kids: Vec<ScopeSummary> = children
            .into_iter()
            .filter(|(k, _)| !k.is_empty())
            .map(|(k, acc)| {
                // An authority's targets apply to it and to its procedures.
                let s = match child {
                    IndicatorLevel::Authority => self.settings_for(self.authority_index(&k)),
                    _ if own.is_some() => settings.clone(),
                    _ => self.settings.clone(),
                };
                ScopeSummary {
                    level: child,
                    name: self.child_name(child, &k),
                    progress: progress(&acc.series(from), &s),
                    key: k,
                }
            })
            .collect();
        kids.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(IndicatorReport {
            level: f.level,
            key: f.key.clone(),
            name: self.scope_name(f.level, f.key.as_deref()),
            validated_only: f.validated_only,
            progress: progress(&series, &settings),
            series,
            children: kids,
        })
    }

    /// Per semester: authorities in scope, with data, submitted, validated, late.
    pub fn completeness(
        &self,
        f: &Filter,
        visible: Option<&HashSet<u32>>,
    ) -> Result<Vec<CompletenessRow>, QueryError> {
        let key = self.resolve(f.level, f.key.as_deref())?;
        let (from, to) = self.window(f);
        let scope: Vec<u32> = self
            .authorities_in(&key)
            .into_iter()
            .filter(|a| visible.is_none_or(|v| v.contains(a)))
            .collect();
        let n = (to - from + 1) as usize;
        let mut with_data = vec![HashSet::new(); n];
        let unfiltered = Filter {
            validated_only: false,
            ..f.clone()
        };
        for r in self.rows(&unfiltered, &key, from, to, visible) {
            with_data[(r.sem - from) as usize].insert(r.authority);
        }
        let today = Utc::now().date_naive();
        Ok((0..n)
            .filter_map(|i| {
                let sem = from + i as Sem;
                let period = period_of_sem(sem)?;
                let lock_day = store::locks_on(period, self.settings.lock_days);
                let mut row = CompletenessRow {
                    period,
                    authorities: scope.len(),
                    with_data: with_data[i].len(),
                    submitted: 0,
                    validated: 0,
                    late: 0,
                };
                for a in &scope {
                    match self.status_of(*a, sem) {
                        Some(SemesterStatus::Submitted) => row.submitted += 1,
                        Some(SemesterStatus::Validated) => row.validated += 1,
                        _ if today > lock_day => row.late += 1,
                        _ => {}
                    }
                }
                Some(row)
            })
            .collect())
    }

    /// Authorities of a scope ranked by `by` (backlog, duration or progress), worst first.
    pub fn rankings(
        &self,
        f: &Filter,
        visible: Option<&HashSet<u32>>,
        by: Ranking,
        limit: usize,
    ) -> Result<Vec<RankingRow>, QueryError> {
        let key = self.resolve(f.level, f.key.as_deref())?;
        let (from, to) = self.window(f);
        let n = (to - from + 1) as usize;
        let mut per: HashMap<u32, Acc> = HashMap::new();
        for r in self.rows(f, &key, from, to, visible) {
            per.entry(r.authority)
                .or_insert_with(|| Acc::new(n))
                .add((r.sem - from) as usize, r);
        }
        let mut rows: Vec<RankingRow> = per
            .into_iter()
            .map(|(a, acc)| {
                let p = progress(&acc.series(from), &self.settings_for(Some(a)));
                let due = p.latest.as_ref().and_then(|l| {
                    p.targets
                        .iter()
                        .find(|t| t.milestone.period >= l.period)
                        .or(p.targets.last())
                });
                let auth = &self.reference.authorities[a as usize];
                RankingRow {
                    authority: auth.code.clone(),
                    name: auth.name.clone(),
                    province: auth.province.clone(),
                    backlog: p.latest.as_ref().map_or(0, |l| l.backlog),
                    avg_duration_days: p.latest.as_ref().and_then(|l| l.avg_duration_days),
                    progress_pct: due.and_then(|t| t.backlog_progress_pct),
                    status: p.status,
                }
            })
            .collect();
        match by {
            Ranking::Backlog => {
                rows.sort_by(|a, b| b.backlog.cmp(&a.backlog).then(a.name.cmp(&b.name)))
            }
            Ranking::Duration => rows.sort_by(|a, b| {
                b.avg_duration_days
                    .unwrap_or(-1.0)
                    .total_cmp(&a.avg_duration_days.unwrap_or(-1.0))
                    .then(a.name.cmp(&b.name))
            }),
            Ranking::Progress => rows.sort_by(|a, b| {
                a.progress_pct
                    .unwrap_or(f64::INFINITY)
                    .total_cmp(&b.progress_pct.unwrap_or(f64::INFINITY))
                    .then(a.name.cmp(&b.name))
            }),
        }
        rows.truncate(limit);
        Ok(rows)
    }

    /// Validated measurements per authority, procedure and semester, for open data (no personal
    /// data: authorities are public bodies).
    pub fn open_data(&self) -> Vec<(&Auth, &Proc, Period, Parts, f64)> {
        let mut out: Vec<_> = self
            .data
            .iter()
            .flat_map(|d| d.rows.iter())
            .filter(|r| self.status_of(r.authority, r.sem) == Some(SemesterStatus::Validated))
            .filter_map(|r| {
                Some((
                    &self.reference.authorities[r.authority as usize],
                    &self.reference.procedures[usize::from(r.procedure)],
                    period_of_sem(r.sem)?,
                    r.parts,
                    r.max_term,
                ))
            })
            .collect();
        out.sort_by(|a, b| (&a.0.code, &a.1.code, a.2).cmp(&(&b.0.code, &b.1.code, b.2)));
        out
    }
}

/// What a ranking orders by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ranking {
    Backlog,
    Duration,
    Progress,
}

#[cfg(test)]
mod tests {
    use super::*;
    use affianca_domain::dto::Milestone;

    fn point(period: &str, backlog: i64, days: i64, files: i64) -> SeriesPoint {
        let parts = Parts {
            concluded_express: files,
            duration_days_sum: days * files,
            net_duration_days_sum: days * files,
            backlog,
            ..Parts::default()
        };
        SeriesPoint::new(Period::parse(period).unwrap(), parts, None, 1)
    }

    fn settings() -> MonitoringSettings {
        MonitoringSettings {
            baseline: Period::parse("2021S2").unwrap(),
            lock_days: 60,
            milestones: vec![
                Milestone {
                    period: Period::parse("2023S2").unwrap(),
                    backlog_reduction_pct: 50.0,
                    duration_reduction_pct: 10.0,
                },
                Milestone {
                    period: Period::parse("2025S1").unwrap(),
                    backlog_reduction_pct: 100.0,
                    duration_reduction_pct: 15.0,
                },
            ],
        }
    }

    #[test]
    fn progress_is_achieved_over_required_reduction_against_the_milestone_due() {
        // Baseline backlog 100, 100 days; in 2023S1 backlog 60 (−40 %), 95 days (−5 %).
        let series = vec![point("2021S2", 100, 100, 10), point("2023S1", 60, 95, 10)];
        let p = progress(&series, &settings());
        assert_eq!(p.baseline.as_ref().unwrap().backlog, 100);
        assert_eq!(p.latest.as_ref().unwrap().period.to_string(), "2023S1");
        let due = &p.targets[0];
        assert_eq!(due.backlog_target, Some(50.0));
        assert_eq!(due.backlog_change_pct, Some(-40.0));
        assert_eq!(
            due.backlog_progress_pct,
            Some(80.0),
            "40 achieved of 50 required"
        );
        assert_eq!(due.avg_duration_target, Some(90.0));
        assert_eq!(due.avg_duration_progress_pct, Some(50.0), "5 of 10 days");
        assert_eq!(due.status, TrafficLight::AtRisk);
        assert_eq!(
            p.status,
            TrafficLight::AtRisk,
            "2023S2 is the milestone due"
        );

        // Past every milestone, the last one counts: 2025S1 asks for no backlog at all.
        let series = vec![point("2021S2", 100, 100, 10), point("2025S2", 0, 80, 10)];
        let p = progress(&series, &settings());
        assert_eq!(p.targets[1].backlog_progress_pct, Some(100.0));
        assert_eq!(p.status, TrafficLight::OnTrack);

        // Worse than the baseline: negative progress, off track.
        let series = vec![point("2021S2", 100, 100, 10), point("2023S1", 120, 100, 10)];
        assert_eq!(
            progress(&series, &settings()).status,
            TrafficLight::OffTrack
        );

        // No baseline: no data to judge.
        let series = vec![point("2023S1", 120, 100, 10)];
        assert_eq!(progress(&series, &settings()).status, TrafficLight::NoData);
    }

    #[test]
    fn a_number_committed_late_is_applied_and_one_rolled_back_is_given_up() {
        let t0 = Instant::now();
        let mut p = Position {
            applied: 4,
            ..Position::default()
        };
        // 6 and 8 took their numbers before 7 and 9 but had not committed when the log was read.
        p.advance([5, 7, 9], t0);
        assert_eq!(p.applied, 9);
        assert_eq!(p.gap_numbers(), vec![6, 8]);
        // 6 commits: applied, no longer asked for.
        p.advance([6], t0 + Duration::from_secs(1));
        assert_eq!((p.applied, p.gap_numbers()), (9, vec![8]));
        p.advance([10, 11], t0 + Duration::from_secs(2));
        assert_eq!((p.applied, p.gap_numbers()), (11, vec![8]));
        // 8 never comes (rolled back): given up after the patience.
        p.advance([], t0 + GAP_PATIENCE + Duration::from_secs(1));
        assert_eq!((p.applied, p.gap_numbers()), (11, vec![]));
        // At most MAX_GAPS are remembered, the newest.
        p.advance([12 + 2 * MAX_GAPS as i64], t0 + GAP_PATIENCE * 2);
        assert_eq!(p.gaps.len(), MAX_GAPS);
        assert_eq!(p.gap_numbers().last(), Some(&(11 + 2 * MAX_GAPS as i64)));
    }

    #[test]
    fn the_weighted_median_of_terms() {
        let h: BTreeMap<u64, i64> = [(120, 3), (180, 1)].into_iter().collect();
        assert_eq!(weighted_median(&h), Some(60.0));
        assert_eq!(weighted_median(&BTreeMap::new()), None);
    }
}
