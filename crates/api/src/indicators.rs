//! The indicators at every level (DOMAIN.md §5): region, province, task force, procedure, phase,
//! authority — always added up from the stored parts (total days / total files).
//!
//! All measurements (a few hundred thousand rows at region scale) are held in memory as a compact
//! cube, loaded at the first query and again after monitoring data changed;
//! a query is then one pass over the cube, a few milliseconds. Every write bumps a version number
//! in the database (in its transaction), so each server reloads when any server changed the data.

use crate::entities::{
    authority, measurement, monitoring_target, phase, phase_authority, procedure, province,
    semester_report,
};
use crate::monitoring::{self as store, PROGRAMME};
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
use sea_orm::{ConnectionTrait, DbErr, EntityTrait};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, RwLock};

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

#[derive(Debug, Clone, Copy)]
struct Row {
    authority: u32,
    procedure: u16,
    sem: Sem,
    parts: Parts,
    max_term: f64,
}

/// Every measurement, with what is needed to place it in any scope.
#[derive(Debug, Default)]
pub struct Cube {
    /// The version of monitoring data it was loaded at (`monitoring::version`).
    pub version: i64,
    pub authorities: Vec<Auth>,
    auth_index: HashMap<String, u32>,
    pub procedures: Vec<Proc>,
    proc_index: HashMap<String, u16>,
    provinces: HashMap<String, String>,
    phases: HashMap<String, (String, HashSet<u32>)>,
    rows: Vec<Row>,
    status: HashMap<(u32, Sem), SemesterStatus>,
    pub settings: MonitoringSettings,
    overrides: HashMap<u32, TargetOverride>,
    /// Answers already computed from this cube, by query (dropped with the cube).
    answers: std::sync::Mutex<HashMap<String, Arc<String>>>,
}

/// How many answers a cube keeps before starting afresh.
const MAX_ANSWERS: usize = 512;

impl Cube {
    /// The answer to `key`, computed once per cube by `make`.
    pub fn memo<E>(
        &self,
        key: String,
        make: impl FnOnce() -> Result<String, E>,
    ) -> Result<Arc<String>, E> {
        if let Some(a) = self
            .answers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
        {
            return Ok(a.clone());
        }
        let answer = Arc::new(make()?);
        let mut answers = self.answers.lock().unwrap_or_else(|e| e.into_inner());
        if answers.len() >= MAX_ANSWERS {
            answers.clear();
        }
        answers.insert(key, answer.clone());
        Ok(answer)
    }
}

/// The cube, shared by all workers; `None` until loaded or after a change.
#[derive(Debug, Clone, Default)]
pub struct IndicatorCache(Arc<RwLock<Option<Arc<Cube>>>>);

impl IndicatorCache {
    pub fn invalidate(&self) {
        *self.0.write().unwrap_or_else(|e| e.into_inner()) = None;
    }

    /// The cube of the current version of monitoring data (one indexed read), reloaded when any
    /// server changed the data since it was loaded.
    pub async fn get(&self, db: &impl ConnectionTrait) -> Result<Arc<Cube>, DbErr> {
        let version = store::version(db).await?;
        if let Some(c) = self.0.read().unwrap_or_else(|e| e.into_inner()).clone()
            && c.version == version
        {
            return Ok(c);
        }
        let mut cube = Cube::load(db).await?;
        cube.version = version;
        let cube = Arc::new(cube);
        *self.0.write().unwrap_or_else(|e| e.into_inner()) = Some(cube.clone());
        Ok(cube)
    }
}

impl Cube {
    pub async fn load(db: &impl ConnectionTrait) -> Result<Self, DbErr> {
        let mut c = Cube::default();
        for a in authority::Entity::find().all(db).await? {
            c.auth_index
                .insert(a.istat_code.clone(), c.authorities.len() as u32);
            c.authorities.push(Auth {
                code: a.istat_code,
                name: a.name,
                province: a.province,
            });
        }
        for p in procedure::Entity::find().all(db).await? {
            c.proc_index
                .insert(p.code.clone(), c.procedures.len() as u16);
            c.procedures.push(Proc {
                code: p.code,
                name: p.name,
                task_force: p.task_force,
            });
        }
        c.provinces = province::Entity::find()
            .all(db)
            .await?
            .into_iter()
            .map(|p| (p.code, p.name))
            .collect();
        let mut phases: HashMap<i64, (String, HashSet<u32>)> = phase::Entity::find()
            .all(db)
            .await?
            .into_iter()
            .map(|p| (p.id, (p.name, HashSet::new())))
            .collect();
        for pa in phase_authority::Entity::find().all(db).await? {
            if let (Some(ph), Some(a)) = (
                phases.get_mut(&pa.phase_id),
                c.auth_index.get(&pa.authority_code),
            ) {
                ph.1.insert(*a);
            }
        }
        c.phases = phases
            .into_iter()
            .map(|(id, v)| (id.to_string(), v))
            .collect();
        for m in measurement::Entity::find().all(db).await? {
            let (Some(&a), Some(&p), Ok(period)) = (
                c.auth_index.get(&m.authority_code),
                c.proc_index.get(&m.procedure_code),
                Period::parse(&m.period),
            ) else {
                continue;
            };
            c.rows.push(Row {
                authority: a,
                procedure: p,
                sem: sem_of_period(period),
                parts: store::parts_of(&m),
                max_term: m.max_term_days,
            });
        }
        c.rows
            .sort_unstable_by_key(|r| (r.authority, r.sem, r.procedure));
        for r in semester_report::Entity::find().all(db).await? {
            if let (Some(&a), Ok(p), Ok(s)) = (
                c.auth_index.get(&r.authority_code),
                Period::parse(&r.period),
                SemesterStatus::parse(&r.status),
            ) {
                c.status.insert((a, sem_of_period(p)), s);
            }
        }
        c.settings = store::programme_settings(db).await?;
        for t in monitoring_target::Entity::find().all(db).await? {
            if t.scope == PROGRAMME {
                continue;
            }
            if let Some(&a) = c.auth_index.get(&t.scope) {
                c.overrides.insert(a, store::override_of(&t));
            }
        }
        Ok(c)
    }

    pub fn authority_index(&self, code: &str) -> Option<u32> {
        self.auth_index.get(code).copied()
    }

    pub fn province_name(&self, code: &str) -> String {
        self.provinces
            .get(code)
            .cloned()
            .unwrap_or_else(|| code.to_owned())
    }

    pub fn settings_for(&self, authority: Option<u32>) -> MonitoringSettings {
        store::effective(
            &self.settings,
            authority.and_then(|a| self.overrides.get(&a)),
        )
    }

    pub fn status_of(&self, authority: u32, sem: Sem) -> Option<SemesterStatus> {
        self.status.get(&(authority, sem)).copied()
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
                if !self.provinces.contains_key(&k)
                    && !self
                        .authorities
                        .iter()
                        .any(|a| a.province.as_deref() == Some(&k))
                {
                    return Err(QueryError::UnknownKey);
                }
                Key::Province(k)
            }
            IndicatorLevel::TaskForce => {
                if !self.procedures.iter().any(|p| p.task_force == key) {
                    return Err(QueryError::UnknownKey);
                }
                Key::TaskForce(key.to_owned())
            }
            IndicatorLevel::Procedure => Key::Procedure(
                *self
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
                .proc_index
                .get(&key.to_uppercase())
                .map(|p| self.procedures[usize::from(*p)].name.clone())
                .unwrap_or_else(|| key.to_owned()),
            IndicatorLevel::Phase => self
                .phases
                .get(key)
                .map(|p| p.0.clone())
                .unwrap_or_else(|| key.to_owned()),
            IndicatorLevel::Authority => self
                .authority_index(key)
                .map(|a| self.authorities[a as usize].name.clone())
                .unwrap_or_else(|| key.to_owned()),
        }
    }

    fn in_key(&self, key: &Key, r: &Row) -> bool {
        match key {
            Key::All => true,
            Key::Province(p) => {
                self.authorities[r.authority as usize].province.as_deref() == Some(p.as_str())
            }
            Key::TaskForce(t) => self.procedures[usize::from(r.procedure)].task_force == *t,
            Key::Procedure(p) => r.procedure == *p,
            Key::Phase(set) => set.contains(&r.authority),
            Key::Authority(a) => r.authority == *a,
        }
    }

    /// The authorities a scope covers (for completeness): all of a province, of a phase, one.
    fn authorities_in(&self, key: &Key) -> Vec<u32> {
        (0..self.authorities.len() as u32)
            .filter(|a| match key {
                Key::Province(p) => {
                    self.authorities[*a as usize].province.as_deref() == Some(p.as_str())
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
            self.rows
                .iter()
                .map(|r| r.sem)
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
            .map(|p| self.proc_index.get(&p.to_uppercase()).copied());
        self.rows.iter().filter(move |r| {
            r.sem >= from
                && r.sem <= to
                && self.in_key(key, r)
                && visible.is_none_or(|v| v.contains(&r.authority))
                && tf.is_none_or(|t| self.procedures[usize::from(r.procedure)].task_force == t)
                && pr.is_none_or(|p| p == Some(r.procedure))
                && (!f.validated_only
                    || self.status_of(r.authority, r.sem) == Some(SemesterStatus::Validated))
        })
    }

    fn child_of(&self, level: IndicatorLevel, r: &Row) -> String {
        match level {
            IndicatorLevel::Province => self.authorities[r.authority as usize]
                .province
                .clone()
                .unwrap_or_default(),
            IndicatorLevel::Authority => self.authorities[r.authority as usize].code.clone(),
            _ => self.procedures[usize::from(r.procedure)].code.clone(),
        }
    }

    fn child_name(&self, level: IndicatorLevel, key: &str) -> String {
        match level {
            IndicatorLevel::Province => self.province_name(key),
            IndicatorLevel::Authority => self
                .authority_index(key)
                .map(|a| self.authorities[a as usize].name.clone())
                .unwrap_or_default(),
            _ => self
                .proc_index
                .get(key)
                .map(|p| self.procedures[usize::from(*p)].name.clone())
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
                let auth = &self.authorities[a as usize];
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
            .rows
            .iter()
            .filter(|r| self.status_of(r.authority, r.sem) == Some(SemesterStatus::Validated))
            .filter_map(|r| {
                Some((
                    &self.authorities[r.authority as usize],
                    &self.procedures[usize::from(r.procedure)],
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
    fn the_weighted_median_of_terms() {
        let h: BTreeMap<u64, i64> = [(120, 3), (180, 1)].into_iter().collect();
        assert_eq!(weighted_median(&h), Some(60.0));
        assert_eq!(weighted_median(&BTreeMap::new()), None);
    }
}
