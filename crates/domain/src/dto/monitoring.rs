//! Monitoring (DOMAIN.md §5): registers, semester measurements, validation, targets, indicators.

use crate::monitoring::{IndicatorRow, Parts};
use crate::register::RowError;
use crate::request::code_enum;
use crate::{ParseError, Period};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
#[cfg(feature = "openapi")]
use utoipa::ToSchema;

code_enum! {
    /// Where an authority's data for one semester stands.
    SemesterStatus, "uno stato del semestre" {
        Draft => "draft", "Bozza";
        Submitted => "submitted", "Inviato";
        Validated => "validated", "Validato";
        Returned => "returned", "Restituito";
    }
}

code_enum! {
    /// What can be done to a semester: the authority submits, the secretariat validates, returns
    /// (with a comment) or reopens a locked semester for the authority.
    SemesterAction, "un'azione sul semestre" {
        Submit => "submit", "Invia alla Segreteria";
        Validate => "validate", "Valida";
        Return => "return", "Restituisci";
        Reopen => "reopen", "Riapri";
    }
}

code_enum! {
    /// Where a measurement comes from.
    MeasurementSource, "una fonte" {
        Register => "register", "Registro delle pratiche";
        Manual => "manual", "Inserimento manuale";
    }
}

code_enum! {
    /// The level at which indicators are added up.
    IndicatorLevel, "un livello" {
        Region => "region", "Regione";
        Province => "province", "Provincia";
        TaskForce => "task_force", "Task force";
        Procedure => "procedure", "Procedimento";
        Phase => "phase", "Fase";
        Authority => "authority", "Ente";
    }
}

code_enum! {
    /// Progress towards a target: on track ≥ 100 %, at risk ≥ 50 %, otherwise off track.
    TrafficLight, "uno stato di avanzamento" {
        OnTrack => "on_track", "In linea";
        AtRisk => "at_risk", "A rischio";
        OffTrack => "off_track", "Non in linea";
        NoData => "no_data", "Dati insufficienti";
    }
}

impl TrafficLight {
    pub fn of_progress(progress_pct: Option<f64>) -> Self {
        match progress_pct {
            None => Self::NoData,
            Some(p) if p >= 100.0 => Self::OnTrack,
            Some(p) if p >= 50.0 => Self::AtRisk,
            Some(_) => Self::OffTrack,
        }
    }
    /// The worse of two lights (no data counts as the worst).
    pub fn worst(self, other: Self) -> Self {
        let rank = |t: Self| match t {
            Self::OnTrack => 0,
            Self::AtRisk => 1,
            Self::OffTrack => 2,
            Self::NoData => 3,
        };
        if rank(other) > rank(self) {
            other
        } else {
            self
        }
    }
}

/// What an upload of a register did (or, with `dry_run`, would do).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema), schema(example = json!({"dry_run": false, "rows": 1250, "files_added": 1200,
        "files_updated": 50, "files_unchanged": 0, "semesters_affected": ["2023S1", "2023S2"],
        "semesters_locked": [], "indicators": [{"procedure": "PDC", "period": "2023S1", "started": 42, "concluded_express": 35,
        "concluded_express_with_suspension": 6, "concluded_express_with_conference": 2,
        "concluded_silent_assent": 3, "avg_duration_days": 58.4, "avg_net_duration_days": 51.2,
        "max_term_days": 60.0, "backlog": 9}]})))]
pub struct RegisterImport {
    pub dry_run: bool,
    /// Data rows read.
    pub rows: usize,
    pub files_added: usize,
    pub files_updated: usize,
    pub files_unchanged: usize,
    /// Semesters whose indicators changed (or would change).
    pub semesters_affected: Vec<Period>,
    /// Semesters the register would change but that are locked (kept as they were).
    pub semesters_locked: Vec<Period>,
    /// The indicators of the whole register after the upload, by procedure and semester.
    pub indicators: Vec<IndicatorRow>,
}

/// A 422 for a register: every bad row (the first 1,000) and how many there were.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema), schema(example = json!({"type": "https://affianca.example/problems/register_invalid",
        "title": "Registro non valido", "status": 422, "code": "register_invalid",
        "detail": "Il registro contiene 1 errori: nessuna pratica è stata salvata.",
        "errors": [{"field": "riga 7 · data_avvio", "message": "data non valida: scrivere AAAA-MM-GG oppure GG/MM/AAAA"}],
        "row_errors": [{"row": 7, "column": "data_avvio", "value": "31/02/2023",
          "reason": "data non valida: scrivere AAAA-MM-GG oppure GG/MM/AAAA"}], "total_errors": 1})))]
pub struct RegisterProblem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub code: String,
    pub detail: String,
    /// The same errors as `row_errors`, in the shape of every other 422.
    pub errors: Vec<super::FieldError>,
    /// Absent when the problem is not in the rows (a bad query parameter).
    #[serde(default)]
    pub row_errors: Vec<RowError>,
    #[serde(default)]
    pub total_errors: usize,
}

/// One file written by third-party case-management software (`PUT …/files/{code}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RegisterFileInput {
    /// Procedure code of the catalog (`PDC`).
    pub procedure: String,
    pub start_date: NaiveDate,
    /// Legal term in days; the catalog's when left out.
    #[serde(default)]
    pub term_days: Option<u32>,
    #[serde(default)]
    pub decision_date: Option<NaiveDate>,
    #[serde(default)]
    pub silent_assent_date: Option<NaiveDate>,
    #[serde(default)]
    pub conference: bool,
    #[serde(default)]
    pub suspension_days: Option<i64>,
}

/// One file of a register.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema), schema(example = json!({"code": "PDC-2023-0042", "procedure": "PDC", "start_date": "2023-01-10", "term_days": 60,
        "decision_date": "2023-03-01", "silent_assent_date": null, "conference": false,
        "suspension_days": 0, "updated_at": "2026-11-20T09:30:00Z"})))]
pub struct RegisterFile {
    pub code: String,
    pub procedure: String,
    pub start_date: NaiveDate,
    pub term_days: u32,
    pub decision_date: Option<NaiveDate>,
    pub silent_assent_date: Option<NaiveDate>,
    pub conference: bool,
    pub suspension_days: u32,
    pub updated_at: DateTime<Utc>,
}

/// The answer to a single-file write: the file and the semesters whose indicators changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema), schema(example = json!({"file": {"code": "PDC-2023-0042", "procedure": "PDC", "start_date": "2023-01-10", "term_days": 60,
        "decision_date": "2023-03-01", "silent_assent_date": null, "conference": false,
        "suspension_days": 0, "updated_at": "2026-11-20T09:30:00Z"}, "created": true, "semesters_affected": ["2023S1"], "semesters_locked": []})))]
pub struct FileWrite {
    pub file: RegisterFile,
    pub created: bool,
    pub semesters_affected: Vec<Period>,
    pub semesters_locked: Vec<Period>,
}

/// One procedure × semester of an authority: the indicators, their parts and their source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Measurement {
    pub source: MeasurementSource,
    #[serde(flatten)]
    pub indicators: IndicatorRow,
    pub parts: Parts,
}

/// One semester of one authority: its state and its measurements.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema), schema(example = json!({"authority": "016024", "authority_name": "Bergamo", "province": "BG",
        "period": "2023S1", "status": "submitted", "comment": null,
        "submitted_at": "2023-07-20T10:00:00Z", "reviewed_at": null, "locks_on": "2023-08-29",
        "locked": false, "reopened": false, "allowed_actions": ["validate", "return"],
        "measurements": [{"source": "register", "procedure": "PDC", "period": "2023S1", "started": 42,
          "concluded_express": 35, "concluded_express_with_suspension": 6,
          "concluded_express_with_conference": 2, "concluded_silent_assent": 3,
          "avg_duration_days": 58.4, "avg_net_duration_days": 51.2, "max_term_days": 60.0,
          "backlog": 9, "parts": {"started": 42, "concluded_express": 35, "concluded_express_with_suspension": 6,
        "concluded_express_with_conference": 2, "concluded_silent_assent": 3,
        "duration_days_sum": 2044, "net_duration_days_sum": 1792, "backlog": 9}}]})))]
pub struct SemesterReport {
    pub authority: String,
    pub authority_name: String,
    pub province: Option<String>,
    pub period: Period,
    pub status: SemesterStatus,
    /// The secretariat's comment when it returned the semester.
    pub comment: Option<String>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub reviewed_at: Option<DateTime<Utc>>,
    /// The day after which the semester can no longer change (unless reopened).
    pub locks_on: NaiveDate,
    pub locked: bool,
    pub reopened: bool,
    /// What the caller may do now.
    pub allowed_actions: Vec<SemesterAction>,
    pub measurements: Vec<Measurement>,
}

/// An action on a semester.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SemesterTransition {
    pub action: SemesterAction,
    /// Required to return a semester: what the authority should fix.
    #[serde(default)]
    pub comment: Option<String>,
}

/// One row of the manual semester table (one per procedure).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ManualRow {
    pub procedure: String,
    pub started: i64,
    pub concluded_express: i64,
    #[serde(default)]
    pub concluded_express_with_suspension: i64,
    #[serde(default)]
    pub concluded_express_with_conference: i64,
    #[serde(default)]
    pub concluded_silent_assent: i64,
    /// Required when `concluded_express` > 0.
    #[serde(default)]
    pub avg_duration_days: Option<f64>,
    /// Defaults to the average duration (no suspensions).
    #[serde(default)]
    pub avg_net_duration_days: Option<f64>,
    /// Defaults to the catalog's legal term.
    #[serde(default)]
    pub max_term_days: Option<f64>,
    pub backlog: i64,
}

/// The manual semester table of an authority.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ManualEntry {
    pub rows: Vec<ManualRow>,
}

/// A change to a validated value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema), schema(example = json!({"procedure": "PDC", "period": "2023S1", "field": "backlog",
        "old_value": "9", "new_value": "7", "changed_by": "Sindaco di Bergamo",
        "changed_at": "2023-08-02T08:15:00Z"})))]
pub struct MeasurementChange {
    pub procedure: String,
    pub period: Period,
    pub field: String,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub changed_by: Option<String>,
    pub changed_at: DateTime<Utc>,
}

/// A target milestone: by `period`, the backlog and the average duration reduced by these
/// percentages from the baseline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Milestone {
    pub period: Period,
    pub backlog_reduction_pct: f64,
    pub duration_reduction_pct: f64,
}

/// The programme's monitoring settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema), schema(example = json!({"baseline": "2021S2", "lock_days": 60, "milestones": [{"period": "2023S2", "backlog_reduction_pct": 50.0, "duration_reduction_pct": 10.0},
        {"period": "2025S1", "backlog_reduction_pct": 100.0, "duration_reduction_pct": 15.0}]})))]
#[serde(deny_unknown_fields)]
pub struct MonitoringSettings {
    pub baseline: Period,
    /// Days after a semester's end when its data locks.
    pub lock_days: u32,
    pub milestones: Vec<Milestone>,
}

impl Default for MonitoringSettings {
    fn default() -> Self {
        let p = |s: &str| Period::parse(s).expect("valid default period");
        Self {
            baseline: p("2021S2"),
            lock_days: 60,
            milestones: vec![
                Milestone {
                    period: p("2023S2"),
                    backlog_reduction_pct: 50.0,
                    duration_reduction_pct: 10.0,
                },
                Milestone {
                    period: p("2025S1"),
                    backlog_reduction_pct: 100.0,
                    duration_reduction_pct: 15.0,
                },
            ],
        }
    }
}

impl MonitoringSettings {
    /// Checks the values a person typed.
    pub fn check(&self) -> Result<(), (String, String)> {
        if self.lock_days > 3650 {
            return Err(("lock_days".into(), "al massimo 3650 giorni".into()));
        }
        let mut last = self.baseline;
        for (i, m) in self.milestones.iter().enumerate() {
            if m.period <= last {
                return Err((
                    format!("milestones[{i}].period"),
                    "ogni traguardo deve seguire la baseline e il traguardo precedente".into(),
                ));
            }
            last = m.period;
            for (f, v) in [
                ("backlog_reduction_pct", m.backlog_reduction_pct),
                ("duration_reduction_pct", m.duration_reduction_pct),
            ] {
                if !(0.0..=100.0).contains(&v) || v.is_nan() {
                    return Err((
                        format!("milestones[{i}].{f}"),
                        "una percentuale tra 0 e 100".into(),
                    ));
                }
            }
        }
        Ok(())
    }
}

/// An authority's own baseline and milestones (unset fields follow the programme).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TargetOverride {
    #[serde(default)]
    pub baseline: Option<Period>,
    #[serde(default)]
    pub milestones: Option<Vec<Milestone>>,
}

/// The targets that apply to an authority: its override and the result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema), schema(example = json!({"authority": "016024", "over": {"baseline": "2022S1", "milestones": null},
        "effective": {"baseline": "2022S1", "lock_days": 60, "milestones": [{"period": "2023S2", "backlog_reduction_pct": 50.0, "duration_reduction_pct": 10.0},
        {"period": "2025S1", "backlog_reduction_pct": 100.0, "duration_reduction_pct": 15.0}]}})))]
pub struct AuthorityTargets {
    pub authority: String,
    pub over: Option<TargetOverride>,
    pub effective: MonitoringSettings,
}

/// The totals of one semester at some level, with the parts they come from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct SeriesPoint {
    pub period: Period,
    pub started: i64,
    pub concluded_express: i64,
    pub concluded_express_with_suspension: i64,
    pub concluded_express_with_conference: i64,
    pub concluded_silent_assent: i64,
    pub avg_duration_days: Option<f64>,
    pub avg_net_duration_days: Option<f64>,
    /// Median of the authorities' median legal terms, weighted by files started.
    pub max_term_days: Option<f64>,
    pub backlog: i64,
    pub parts: Parts,
    /// Authorities with data for the semester.
    pub authorities: usize,
}

impl SeriesPoint {
    pub fn new(
        period: Period,
        parts: Parts,
        max_term_days: Option<f64>,
        authorities: usize,
    ) -> Self {
        Self {
            period,
            started: parts.started,
            concluded_express: parts.concluded_express,
            concluded_express_with_suspension: parts.concluded_express_with_suspension,
            concluded_express_with_conference: parts.concluded_express_with_conference,
            concluded_silent_assent: parts.concluded_silent_assent,
            avg_duration_days: parts.avg_duration_days(),
            avg_net_duration_days: parts.avg_net_duration_days(),
            max_term_days,
            backlog: parts.backlog,
            parts,
            authorities,
        }
    }
}

/// Backlog and average duration of one semester.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Snapshot {
    pub period: Period,
    pub backlog: i64,
    pub avg_duration_days: Option<f64>,
}

/// Where a scope stands against one milestone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct TargetProgress {
    pub milestone: Milestone,
    pub backlog_target: Option<f64>,
    pub avg_duration_target: Option<f64>,
    /// Latest vs baseline, in % (negative is a reduction).
    pub backlog_change_pct: Option<f64>,
    pub avg_duration_change_pct: Option<f64>,
    /// Achieved reduction / required reduction, in %.
    pub backlog_progress_pct: Option<f64>,
    pub avg_duration_progress_pct: Option<f64>,
    pub backlog_status: TrafficLight,
    pub avg_duration_status: TrafficLight,
    /// The worse of the two.
    pub status: TrafficLight,
}

/// A scope compared with its baseline and targets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Progress {
    pub baseline: Option<Snapshot>,
    pub latest: Option<Snapshot>,
    pub targets: Vec<TargetProgress>,
    /// Against the milestone now due (the first not yet passed, or the last).
    pub status: TrafficLight,
}

/// One part of a scope (a province of the region, an authority of a province, …) with its figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ScopeSummary {
    pub level: IndicatorLevel,
    pub key: String,
    pub name: String,
    pub progress: Progress,
}

/// `GET /indicators`: a scope's semesters, its progress, and the parts one level down.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema), schema(example = json!({"level": "region", "key": null, "name": "Regione Lombardia",
        "validated_only": false, "series": [{"period": "2025S2", "started": 5120, "concluded_express": 4870,
        "concluded_express_with_suspension": 610, "concluded_express_with_conference": 95,
        "concluded_silent_assent": 120, "avg_duration_days": 80.5, "avg_net_duration_days": 71.9,
        "max_term_days": 60.0, "backlog": 410, "parts": {"started": 42, "concluded_express": 35, "concluded_express_with_suspension": 6,
        "concluded_express_with_conference": 2, "concluded_silent_assent": 3,
        "duration_days_sum": 2044, "net_duration_days_sum": 1792, "backlog": 9}, "authorities": 1320}], "progress": {"baseline": {"period": "2021S2", "backlog": 1200, "avg_duration_days": 96.0},
        "latest": {"period": "2025S2", "backlog": 410, "avg_duration_days": 80.5},
        "targets": [{"milestone": {"period": "2025S1", "backlog_reduction_pct": 100.0, "duration_reduction_pct": 15.0},
          "backlog_target": 0.0, "avg_duration_target": 81.6, "backlog_change_pct": -65.8,
          "avg_duration_change_pct": -16.1, "backlog_progress_pct": 65.8, "avg_duration_progress_pct": 107.6,
          "backlog_status": "at_risk", "avg_duration_status": "on_track", "status": "at_risk"}],
        "status": "at_risk"},
        "children": [{"level": "province", "key": "BG", "name": "Bergamo", "progress": {"baseline": {"period": "2021S2", "backlog": 1200, "avg_duration_days": 96.0},
        "latest": {"period": "2025S2", "backlog": 410, "avg_duration_days": 80.5},
        "targets": [{"milestone": {"period": "2025S1", "backlog_reduction_pct": 100.0, "duration_reduction_pct": 15.0},
          "backlog_target": 0.0, "avg_duration_target": 81.6, "backlog_change_pct": -65.8,
          "avg_duration_change_pct": -16.1, "backlog_progress_pct": 65.8, "avg_duration_progress_pct": 107.6,
          "backlog_status": "at_risk", "avg_duration_status": "on_track", "status": "at_risk"}],
        "status": "at_risk"}}]})))]
pub struct IndicatorReport {
    pub level: IndicatorLevel,
    pub key: Option<String>,
    pub name: String,
    pub validated_only: bool,
    pub series: Vec<SeriesPoint>,
    pub progress: Progress,
    /// The scope one level down, for drill-down: provinces of the region, authorities of a
    /// province, procedures of an authority, …
    pub children: Vec<ScopeSummary>,
}

/// How many authorities of a scope reported each semester.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema), schema(example = json!({"period": "2025S2", "authorities": 1515, "with_data": 1320,
        "submitted": 80, "validated": 1200, "late": 235})))]
pub struct CompletenessRow {
    pub period: Period,
    pub authorities: usize,
    pub with_data: usize,
    pub submitted: usize,
    pub validated: usize,
    /// Past the lock date without validated data.
    pub late: usize,
}

/// One authority of a ranking.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema), schema(example = json!({"authority": "015146", "name": "Milano", "province": "MI", "backlog": 310,
        "avg_duration_days": 122.4, "progress_pct": 22.5, "status": "off_track"})))]
pub struct RankingRow {
    pub authority: String,
    pub name: String,
    pub province: Option<String>,
    pub backlog: i64,
    pub avg_duration_days: Option<f64>,
    pub progress_pct: Option<f64>,
    pub status: TrafficLight,
}

/// A semester waiting for the secretariat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema), schema(example = json!({"authority": "016024", "authority_name": "Bergamo", "province": "BG",
        "period": "2025S2", "status": "submitted", "submitted_at": "2026-01-20T10:00:00Z"})))]
pub struct SemesterQueueItem {
    pub authority: String,
    pub authority_name: String,
    pub province: Option<String>,
    pub period: Period,
    pub status: SemesterStatus,
    pub submitted_at: Option<DateTime<Utc>>,
}

impl std::str::FromStr for IndicatorLevel {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}
