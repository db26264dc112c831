//! The indicator engine of DOMAIN.md §5 (DPCM 12/11/2021, Allegato B, Appendice 2).
//!
//! Input: the register of files (*pratiche*) of one authority, already checked
//! ([`FileRecord::new`] refuses what cannot be computed). Output: for every procedure type ×
//! semester the indicators, together with the additive [`Parts`] they come from, so that any set
//! of authorities adds up exactly (total days / total files, never a mean of means).
//!
//! One pass over the files: each file adds to the cells of its start, decision and silent-assent
//! semesters, and marks the run of semester ends it spends in the backlog with two entries of a
//! difference array; a prefix sum per procedure then turns those marks into counts. The medians of
//! the legal terms use a linear selection per cell. Nothing is quadratic.

use crate::{ParseError, Period};
use serde::{Deserialize, Serialize};
use std::ops::{Add, AddAssign};

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
pub fn days_from_civil(y: i32, m: u32, d: u32) -> i32 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = (y - era * 400) as u32;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe as i32 - 719_468
}

/// The year and month of a day number (inverse of [`days_from_civil`]).
pub fn year_month_of_day(z: i32) -> (i32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = (z - era * 146_097) as u32;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe as i32 + era * 400 + i32::from(m <= 2);
    (y, m)
}

/// The day number and the [`chrono::NaiveDate`] it stands for.
pub fn day_of_date(date: chrono::NaiveDate) -> i32 {
    use chrono::Datelike;
    days_from_civil(date.year(), date.month(), date.day())
}
pub fn date_of_day(day: i32) -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch") + chrono::Duration::days(day.into())
}

/// A semester as one integer, `year * 2 + (half - 1)`, so consecutive semesters differ by one.
pub type Sem = i32;

pub fn sem_of_day(day: i32) -> Sem {
    let (y, m) = year_month_of_day(day);
    y * 2 + i32::from(m > 6)
}
pub fn sem_of_period(p: Period) -> Sem {
    p.year() * 2 + i32::from(p.half()) - 1
}
/// The period of a semester index; `None` outside the years a [`Period`] accepts.
pub fn period_of_sem(s: Sem) -> Option<Period> {
    Period::new(s.div_euclid(2), (s.rem_euclid(2) + 1) as u8).ok()
}
/// The day number of the last day of a semester.
pub fn last_day_of_sem(s: Sem) -> i32 {
    let (y, half) = (s.div_euclid(2), s.rem_euclid(2));
    if half == 0 {
        days_from_civil(y, 6, 30)
    } else {
        days_from_civil(y, 12, 31)
    }
}

/// One file of a register, dates as day numbers ([`days_from_civil`]). Build it with
/// [`FileRecord::new`], which refuses a file the rules cannot count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileRecord {
    /// Index of the procedure type in the [`TermCatalog`] the register was read with.
    pub procedure: u16,
    pub start: i32,
    /// The legal term in days (the catalog's when the register leaves it empty).
    pub term_days: u32,
    pub decision: Option<i32>,
    pub silent_assent: Option<i32>,
    pub conference: bool,
    pub suspension_days: u32,
}

/// Why a file cannot be counted: the register column at fault and a sentence in Italian.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRefusal {
    pub column: &'static str,
    pub reason: String,
}

impl FileRecord {
    pub fn new(
        procedure: u16,
        start: i32,
        term_days: u32,
        decision: Option<i32>,
        silent_assent: Option<i32>,
        conference: bool,
        suspension_days: i64,
    ) -> Result<Self, FileRefusal> {
        let refuse = |column, reason: &str| {
            Err(FileRefusal {
                column,
                reason: reason.to_owned(),
            })
        };
        if suspension_days < 0 {
            return refuse(
                "giorni_sospensione",
                "i giorni di sospensione non possono essere negativi",
            );
        }
        if term_days == 0 {
            return refuse(
                "termine_giorni",
                "il termine deve essere di almeno un giorno",
            );
        }
        if decision.is_some() && silent_assent.is_some() {
            return refuse(
                "data_silenzio_assenso",
                "una pratica si conclude con un provvedimento espresso oppure per silenzio-assenso, non con entrambi",
            );
        }
        if decision.is_some_and(|d| d < start) {
            return refuse(
                "data_conclusione",
                "la data di conclusione precede la data di avvio",
            );
        }
        if silent_assent.is_some_and(|d| d < start) {
            return refuse(
                "data_silenzio_assenso",
                "la data del silenzio-assenso precede la data di avvio",
            );
        }
        let Ok(suspension_days) = u32::try_from(suspension_days) else {
            return refuse("giorni_sospensione", "numero di giorni troppo grande");
        };
        Ok(Self {
            procedure,
            start,
            term_days,
            decision,
            silent_assent,
            conference,
            suspension_days,
        })
    }

    /// The day the file left the backlog for good: its decision or silent assent.
    fn concluded_on(&self) -> Option<i32> {
        self.decision.or(self.silent_assent)
    }
}

/// The first day a register file may start: older dates are typing errors (0001-01-01), and each
/// one would add decades of empty semesters to the series.
pub const EARLIEST_FILE_DAY: (i32, u32, u32) = (1990, 1, 1);

/// The dates of a file against the calendar (separate from [`FileRecord::new`], which knows no
/// clock): the start from 1990-01-01 to `today`, the decision and the silent assent not after
/// `today` (a file is recorded once concluded). Day numbers as [`days_from_civil`].
pub fn check_file_dates(
    start: i32,
    decision: Option<i32>,
    silent_assent: Option<i32>,
    today: i32,
) -> Result<(), FileRefusal> {
    let (y, m, d) = EARLIEST_FILE_DAY;
    let refuse = |column, reason: String| Err(FileRefusal { column, reason });
    if start < days_from_civil(y, m, d) {
        return refuse(
            "data_avvio",
            format!("la data di avvio è anteriore al {d:02}/{m:02}/{y}"),
        );
    }
    if start > today {
        return refuse("data_avvio", "la data di avvio è nel futuro".into());
    }
    if decision.is_some_and(|x| x > today) {
        return refuse(
            "data_conclusione",
            "la data di conclusione è nel futuro".into(),
        );
    }
    if silent_assent.is_some_and(|x| x > today) {
        return refuse(
            "data_silenzio_assenso",
            "la data del silenzio-assenso è nel futuro".into(),
        );
    }
    Ok(())
}

/// The procedure types a register may name, with the catalog's legal term of each.
#[derive(Debug, Clone, Default)]
pub struct TermCatalog {
    codes: Vec<String>,
    terms: Vec<u32>,
}

impl TermCatalog {
    pub fn new<'a>(entries: impl IntoIterator<Item = (&'a str, u32)>) -> Self {
        let (codes, terms) = entries.into_iter().map(|(c, t)| (c.to_owned(), t)).unzip();
        Self { codes, terms }
    }
    /// The index of a code, ignoring case and surrounding blanks.
    pub fn index_of(&self, code: &str) -> Option<u16> {
        let code = code.trim();
        // Registers write codes as the catalog does: an exact match first (a length check and
        // one memcmp per candidate), then ignoring case.
        self.codes
            .iter()
            .position(|c| c.len() == code.len() && c.as_bytes() == code.as_bytes())
            .or_else(|| self.codes.iter().position(|c| c.eq_ignore_ascii_case(code)))
            .map(|i| i as u16)
    }
    pub fn code(&self, index: u16) -> &str {
        &self.codes[usize::from(index)]
    }
    pub fn term(&self, index: u16) -> u32 {
        self.terms[usize::from(index)]
    }
    pub fn len(&self) -> usize {
        self.codes.len()
    }
    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }
    pub fn codes(&self) -> impl Iterator<Item = &str> {
        self.codes.iter().map(String::as_str)
    }
}

/// The additive parts of the indicators of one cell (authority × procedure × semester, or any
/// sum of such cells). Averages are derived from them, never stored alone.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Parts {
    pub started: i64,
    pub concluded_express: i64,
    pub concluded_express_with_suspension: i64,
    pub concluded_express_with_conference: i64,
    pub concluded_silent_assent: i64,
    /// Sum over the files concluded with an express decision of (decision − start) in days.
    pub duration_days_sum: i64,
    /// The same sum less the suspension days.
    pub net_duration_days_sum: i64,
    pub backlog: i64,
}

impl Parts {
    pub fn avg_duration_days(&self) -> Option<f64> {
        (self.concluded_express > 0)
            .then(|| self.duration_days_sum as f64 / self.concluded_express as f64)
    }
    pub fn avg_net_duration_days(&self) -> Option<f64> {
        (self.concluded_express > 0)
            .then(|| self.net_duration_days_sum as f64 / self.concluded_express as f64)
    }
    /// True when nothing happened in the cell (no file started, concluded or pending).
    pub fn is_empty(&self) -> bool {
        self.started == 0
            && self.concluded_express == 0
            && self.concluded_silent_assent == 0
            && self.backlog == 0
    }
}

impl AddAssign for Parts {
    fn add_assign(&mut self, o: Self) {
        self.started += o.started;
        self.concluded_express += o.concluded_express;
        self.concluded_express_with_suspension += o.concluded_express_with_suspension;
        self.concluded_express_with_conference += o.concluded_express_with_conference;
        self.concluded_silent_assent += o.concluded_silent_assent;
        self.duration_days_sum += o.duration_days_sum;
        self.net_duration_days_sum += o.net_duration_days_sum;
        self.backlog += o.backlog;
    }
}
impl Add for Parts {
    type Output = Self;
    fn add(mut self, o: Self) -> Self {
        self += o;
        self
    }
}

/// The indicators of one procedure × semester, with the parts they come from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cell {
    pub parts: Parts,
    /// Median legal term of the files started in the semester (the catalog's term if none).
    pub max_term_days: f64,
}

/// The indicators of a register over a window of semesters.
#[derive(Debug, Clone)]
pub struct Computed {
    pub from: Sem,
    pub to: Sem,
    /// `cells[procedure * semesters + (sem - from)]`.
    cells: Vec<Cell>,
}

impl Computed {
    pub fn semesters(&self) -> usize {
        (self.to - self.from + 1).max(0) as usize
    }
    pub fn cell(&self, procedure: u16, sem: Sem) -> &Cell {
        &self.cells[usize::from(procedure) * self.semesters() + (sem - self.from) as usize]
    }
    /// Every cell as (procedure index, semester, cell), by procedure then semester.
    pub fn iter(&self) -> impl Iterator<Item = (u16, Sem, &Cell)> {
        let n = self.semesters().max(1);
        self.cells
            .iter()
            .enumerate()
            .map(move |(i, c)| ((i / n) as u16, self.from + (i % n) as Sem, c))
    }
}

/// The semesters a register speaks of: from the first start to the last date it holds.
pub fn natural_window(files: &[FileRecord]) -> Option<(Sem, Sem)> {
    let mut lo = i32::MAX;
    let mut hi = i32::MIN;
    for f in files {
        lo = lo.min(f.start);
        hi = hi
            .max(f.start)
            .max(f.decision.unwrap_or(i32::MIN))
            .max(f.silent_assent.unwrap_or(i32::MIN));
    }
    (lo <= hi).then(|| (sem_of_day(lo), sem_of_day(hi)))
}

/// The median of a list of terms (the mean of the two middle values when their number is even).
fn median(values: &mut [u32]) -> Option<f64> {
    let n = values.len();
    if n == 0 {
        return None;
    }
    let (_, &mut upper, _) = values.select_nth_unstable(n / 2);
    if n % 2 == 1 {
        return Some(f64::from(upper));
    }
    let lower = *values[..n / 2].iter().max().expect("n >= 2");
    Some((f64::from(lower) + f64::from(upper)) / 2.0)
}

/// Computes every procedure × semester of the window `[from, to]` in one pass over the files.
pub fn compute(files: &[FileRecord], catalog: &TermCatalog, from: Sem, to: Sem) -> Computed {
    let mut engine = Engine::new(catalog, from, to);
    for f in files {
        engine.add(f);
    }
    engine.finish(catalog)
}

/// The engine fed one file at a time (a register need not be held in memory).
#[derive(Debug, Clone)]
pub struct Engine {
    from: Sem,
    to: Sem,
    nsem: usize,
    parts: Vec<Parts>,
    backlog_marks: Vec<i64>,
    terms: Vec<Vec<u32>>,
    first_day: i32,
    last_day: i32,
}

impl Engine {
    pub fn new(catalog: &TermCatalog, from: Sem, to: Sem) -> Self {
        let nsem = (to - from + 1).max(0) as usize;
        let nproc = catalog.len();
        Self {
            from,
            to,
            nsem,
            parts: vec![Parts::default(); nproc * nsem],
            backlog_marks: vec![0i64; nproc * (nsem + 1)],
            terms: vec![Vec::new(); nproc * nsem],
            first_day: i32::MAX,
            last_day: i32::MIN,
        }
    }

    fn slot(&self, sem: Sem) -> Option<usize> {
        (sem >= self.from && sem <= self.to).then(|| (sem - self.from) as usize)
    }

    /// Adds one file to the cells it touches.
    pub fn add(&mut self, f: &FileRecord) {
        self.first_day = self.first_day.min(f.start);
        self.last_day = self
            .last_day
            .max(f.start)
            .max(f.decision.unwrap_or(i32::MIN))
            .max(f.silent_assent.unwrap_or(i32::MIN));
        let p = usize::from(f.procedure);
        let row = p * self.nsem;
        if let Some(s) = self.slot(sem_of_day(f.start)) {
            self.parts[row + s].started += 1;
            self.terms[row + s].push(f.term_days);
        }
        if let Some(d) = f.decision
            && let Some(s) = self.slot(sem_of_day(d))
        {
            let c = &mut self.parts[row + s];
            let days = i64::from(d - f.start);
            c.concluded_express += 1;
            c.duration_days_sum += days;
            c.net_duration_days_sum += days - i64::from(f.suspension_days);
            c.concluded_express_with_suspension += i64::from(f.suspension_days > 0);
            c.concluded_express_with_conference += i64::from(f.conference);
        }
        if let Some(d) = f.silent_assent
            && let Some(s) = self.slot(sem_of_day(d))
        {
            self.parts[row + s].concluded_silent_assent += 1;
        }
        // In the backlog at a semester end E when E − start − suspension > term, i.e. E ≥ T with
        // T = start + suspension + term + 1, and not concluded on or before E, i.e. E < C. The
        // first such end is the end of T's semester; the last is the end before C's semester.
        let first_day =
            i64::from(f.start) + i64::from(f.suspension_days) + i64::from(f.term_days) + 1;
        let first = if first_day > i64::from(i32::MAX) {
            Sem::MAX
        } else {
            sem_of_day(first_day as i32).max(self.from)
        };
        let last = f
            .concluded_on()
            .map_or(self.to, |c| (sem_of_day(c) - 1).min(self.to));
        if first <= last {
            let marks = p * (self.nsem + 1);
            self.backlog_marks[marks + (first - self.from) as usize] += 1;
            self.backlog_marks[marks + (last - self.from) as usize + 1] -= 1;
        }
    }

    /// Adds the files another engine over the same catalog and window has seen.
    pub fn merge(&mut self, other: Engine) {
        assert_eq!((self.from, self.to), (other.from, other.to), "same window");
        for (a, b) in self.parts.iter_mut().zip(other.parts) {
            *a += b;
        }
        for (a, b) in self.backlog_marks.iter_mut().zip(other.backlog_marks) {
            *a += b;
        }
        for (a, b) in self.terms.iter_mut().zip(other.terms) {
            a.extend(b);
        }
        self.first_day = self.first_day.min(other.first_day);
        self.last_day = self.last_day.max(other.last_day);
    }

    /// The semesters of the files added so far (see [`natural_window`]).
    pub fn natural_window(&self) -> Option<(Sem, Sem)> {
        (self.first_day <= self.last_day)
            .then(|| (sem_of_day(self.first_day), sem_of_day(self.last_day)))
    }

    pub fn finish(mut self, catalog: &TermCatalog) -> Computed {
        let (nsem, nproc) = (self.nsem, catalog.len());
        let mut cells = Vec::with_capacity(nproc * nsem);
        for p in 0..nproc {
            let mut running = 0;
            for s in 0..nsem {
                running += self.backlog_marks[p * (nsem + 1) + s];
                let i = p * nsem + s;
                let mut c = self.parts[i];
                c.backlog = running;
                let max_term_days =
                    median(&mut self.terms[i]).unwrap_or_else(|| f64::from(catalog.term(p as u16)));
                cells.push(Cell {
                    parts: c,
                    max_term_days,
                });
            }
        }
        Computed {
            from: self.from,
            to: self.to,
            cells,
        }
    }
}

/// A row of the indicators, as `affianca register check --json` prints it and the API returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IndicatorRow {
    pub procedure: String,
    pub period: Period,
    pub started: i64,
    pub concluded_express: i64,
    pub concluded_express_with_suspension: i64,
    pub concluded_express_with_conference: i64,
    pub concluded_silent_assent: i64,
    pub avg_duration_days: Option<f64>,
    pub avg_net_duration_days: Option<f64>,
    pub max_term_days: f64,
    pub backlog: i64,
}

impl IndicatorRow {
    pub fn new(procedure: &str, period: Period, cell: &Cell) -> Self {
        let p = &cell.parts;
        Self {
            procedure: procedure.to_owned(),
            period,
            started: p.started,
            concluded_express: p.concluded_express,
            concluded_express_with_suspension: p.concluded_express_with_suspension,
            concluded_express_with_conference: p.concluded_express_with_conference,
            concluded_silent_assent: p.concluded_silent_assent,
            avg_duration_days: p.avg_duration_days(),
            avg_net_duration_days: p.avg_net_duration_days(),
            max_term_days: cell.max_term_days,
            backlog: p.backlog,
        }
    }
}

/// The rows of a computation, by procedure code then period, leaving out the empty cells.
pub fn indicator_rows(computed: &Computed, catalog: &TermCatalog) -> Vec<IndicatorRow> {
    let mut rows: Vec<IndicatorRow> = computed
        .iter()
        .filter(|(_, _, c)| !c.parts.is_empty())
        .filter_map(|(p, s, c)| Some(IndicatorRow::new(catalog.code(p), period_of_sem(s)?, c)))
        .collect();
    rows.sort_by(|a, b| (&a.procedure, a.period).cmp(&(&b.procedure, b.period)));
    rows
}

/// One row of a typed-in semester table, checked: the procedure (index in the catalog), its
/// parts (averages turned into sums of days) and the legal term.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ManualCell {
    pub procedure: u16,
    pub parts: Parts,
    pub max_term_days: f64,
}

/// Checks a semester table typed in by an authority without a register against the catalog
/// `terms`: every procedure known and named once, counts from 0 to 10 million, the concluded
/// with suspension or conference within the concluded, average durations required when files
/// were concluded (net within gross), terms from 1 to 36,500 days (the catalog's when left out).
/// Every error names its field (`rows[2].backlog`).
pub fn manual_cells(
    entry: &crate::dto::ManualEntry,
    terms: &TermCatalog,
) -> Result<Vec<ManualCell>, Vec<crate::dto::FieldError>> {
    use crate::dto::FieldError;
    let mut errors = Vec::new();
    let mut rows = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for (i, r) in entry.rows.iter().enumerate() {
        let f = |name: &str| format!("rows[{i}].{name}");
        let Some(p) = terms.index_of(&r.procedure) else {
            errors.push(FieldError {
                field: f("procedure"),
                message: "procedimento non presente nel catalogo".into(),
            });
            continue;
        };
        if !seen.insert(p) {
            errors.push(FieldError {
                field: f("procedure"),
                message: "procedimento ripetuto".into(),
            });
        }
        for (name, v) in [
            ("started", r.started),
            ("concluded_express", r.concluded_express),
            (
                "concluded_express_with_suspension",
                r.concluded_express_with_suspension,
            ),
            (
                "concluded_express_with_conference",
                r.concluded_express_with_conference,
            ),
            ("concluded_silent_assent", r.concluded_silent_assent),
            ("backlog", r.backlog),
        ] {
            if !(0..=10_000_000).contains(&v) {
                errors.push(FieldError {
                    field: f(name),
                    message: "un numero intero da 0 in su".into(),
                });
            }
        }
        for (name, v) in [
            (
                "concluded_express_with_suspension",
                r.concluded_express_with_suspension,
            ),
            (
                "concluded_express_with_conference",
                r.concluded_express_with_conference,
            ),
        ] {
            if v > r.concluded_express {
                errors.push(FieldError {
                    field: f(name),
                    message: "non può superare le pratiche concluse con provvedimento espresso"
                        .into(),
                });
            }
        }
        let avg = match (r.concluded_express, r.avg_duration_days) {
            (0, _) => 0.0,
            (_, Some(v)) if v.is_finite() && (0.0..=36_500.0).contains(&v) => v,
            _ => {
                errors.push(FieldError {
                    field: f("avg_duration_days"),
                    message: "la durata media (giorni, da 0 in su) è obbligatoria se ci sono pratiche concluse".into(),
                });
                0.0
            }
        };
        let net = match r.avg_net_duration_days {
            None => avg,
            Some(v) if v.is_finite() && v >= 0.0 && v <= avg => v,
            Some(_) => {
                errors.push(FieldError {
                    field: f("avg_net_duration_days"),
                    message: "la durata netta media va da 0 alla durata media".into(),
                });
                avg
            }
        };
        let term = match r.max_term_days {
            None => f64::from(terms.term(p)),
            Some(v) if v.is_finite() && (1.0..=36_500.0).contains(&v) => v,
            Some(_) => {
                errors.push(FieldError {
                    field: f("max_term_days"),
                    message: "il termine va da 1 a 36500 giorni".into(),
                });
                0.0
            }
        };
        let n = r.concluded_express as f64;
        rows.push(ManualCell {
            procedure: p,
            parts: Parts {
                started: r.started,
                concluded_express: r.concluded_express,
                concluded_express_with_suspension: r.concluded_express_with_suspension,
                concluded_express_with_conference: r.concluded_express_with_conference,
                concluded_silent_assent: r.concluded_silent_assent,
                duration_days_sum: (avg * n).round() as i64,
                net_duration_days_sum: (net * n).round() as i64,
                backlog: r.backlog,
            },
            max_term_days: term,
        });
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(errors)
    }
}

/// Parses `2022S1` into a semester index.
pub fn parse_sem(s: &str) -> Result<Sem, ParseError> {
    Period::parse(s).map(sem_of_period)
}

#[cfg(test)]
mod tests;
