//! Hand-computed fixtures for every rule of DOMAIN.md §5, and property tests against a direct
//! reading of the definitions.

use super::*;
use crate::register::parse_date;

const PDC: u16 = 0;
const SCIA: u16 = 1;

fn catalog() -> TermCatalog {
    TermCatalog::new([("PDC", 60), ("SCIA", 30)])
}

fn day(s: &str) -> i32 {
    parse_date(s).unwrap_or_else(|| panic!("bad date {s}"))
}

fn sem(s: &str) -> Sem {
    parse_sem(s).unwrap()
}

struct F {
    procedure: u16,
    start: &'static str,
    term: u32,
    decision: Option<&'static str>,
    silent: Option<&'static str>,
    conference: bool,
    suspension: i64,
}

impl F {
    fn new(start: &'static str) -> Self {
        Self {
            procedure: PDC,
            start,
            term: 60,
            decision: None,
            silent: None,
            conference: false,
            suspension: 0,
        }
    }
    fn decided(mut self, d: &'static str) -> Self {
        self.decision = Some(d);
        self
    }
    fn silent(mut self, d: &'static str) -> Self {
        self.silent = Some(d);
        self
    }
    fn suspended(mut self, days: i64) -> Self {
        self.suspension = days;
        self
    }
    fn term(mut self, t: u32) -> Self {
        self.term = t;
        self
    }
    fn conference(mut self) -> Self {
        self.conference = true;
        self
    }
    fn procedure(mut self, p: u16) -> Self {
        self.procedure = p;
        self
    }
    fn build(self) -> Result<FileRecord, FileRefusal> {
        FileRecord::new(
            self.procedure,
            day(self.start),
            self.term,
            self.decision.map(day),
            self.silent.map(day),
            self.conference,
            self.suspension,
        )
    }
}

fn run(files: Vec<F>, from: &str, to: &str) -> Computed {
    let files: Vec<FileRecord> = files.into_iter().map(|f| f.build().unwrap()).collect();
    compute(&files, &catalog(), sem(from), sem(to))
}

fn parts(c: &Computed, p: u16, s: &str) -> Parts {
    c.cell(p, sem(s)).parts
}

#[test]
fn day_numbers_round_trip() {
    assert_eq!(days_from_civil(1970, 1, 1), 0);
    for d in [-1000, 0, 1, 18_000, 19_358, 19_723, 30_000] {
        let date = date_of_day(d);
        assert_eq!(day_of_date(date), d);
        use chrono::Datelike;
        assert_eq!(year_month_of_day(d), (date.year(), date.month()));
    }
    assert_eq!(sem_of_day(day("2022-06-30")), sem("2022S1"));
    assert_eq!(sem_of_day(day("2022-07-01")), sem("2022S2"));
    assert_eq!(sem("2022S2") + 1, sem("2023S1"));
    assert_eq!(period_of_sem(sem("2023S1")).unwrap().to_string(), "2023S1");
    assert_eq!(
        date_of_day(last_day_of_sem(sem("2024S1"))).to_string(),
        "2024-06-30"
    );
}

#[test]
fn starts_on_the_edges_of_semesters() {
    let c = run(
        vec![
            F::new("2022-01-01"),
            F::new("2022-06-30"),
            F::new("2022-07-01"),
            F::new("2022-12-31"),
            F::new("2021-12-31"),
        ],
        "2022S1",
        "2022S2",
    );
    assert_eq!(parts(&c, PDC, "2022S1").started, 2);
    assert_eq!(
        parts(&c, PDC, "2022S2").started,
        2,
        "1 Jul and 31 Dec are in S2"
    );
    assert_eq!(parts(&c, SCIA, "2022S1").started, 0);
}

#[test]
fn decisions_on_the_edges_and_durations() {
    let c = run(
        vec![
            // 1 Jan → 30 Jun 2022: 180 days, in S1.
            F::new("2022-01-01").decided("2022-06-30"),
            // 1 Jan → 1 Jul: 181 days, in S2, with 20 days of suspension and a conference.
            F::new("2022-01-01")
                .decided("2022-07-01")
                .suspended(20)
                .conference(),
            // Same-day decision on 31 Dec: 0 days, in S2.
            F::new("2022-12-31").decided("2022-12-31"),
        ],
        "2022S1",
        "2022S2",
    );
    let s1 = parts(&c, PDC, "2022S1");
    assert_eq!((s1.concluded_express, s1.duration_days_sum), (1, 180));
    assert_eq!(s1.avg_duration_days(), Some(180.0));
    let s2 = parts(&c, PDC, "2022S2");
    assert_eq!(s2.concluded_express, 2);
    assert_eq!(s2.duration_days_sum, 181);
    assert_eq!(s2.net_duration_days_sum, 161);
    assert_eq!(s2.concluded_express_with_suspension, 1);
    assert_eq!(s2.concluded_express_with_conference, 1);
    assert_eq!(s2.avg_duration_days(), Some(90.5));
    assert_eq!(s2.avg_net_duration_days(), Some(80.5));
    // The first file was pending 180 days at 30 Jun > 60: in S1's backlog; decided on 30 Jun
    // (on or before the end) it is not.
    assert_eq!(
        s1.backlog, 1,
        "only the file decided on 1 Jul was pending at 30 Jun"
    );
    assert_eq!(s2.backlog, 0);
}

#[test]
fn silent_assent_is_counted_apart_and_ends_the_backlog() {
    let c = run(
        vec![
            F::new("2022-01-01").silent("2022-07-15"),
            F::new("2022-03-01").silent("2022-03-31"),
        ],
        "2022S1",
        "2022S2",
    );
    let s1 = parts(&c, PDC, "2022S1");
    assert_eq!(s1.concluded_silent_assent, 1);
    assert_eq!(s1.concluded_express, 0);
    assert_eq!(
        s1.avg_duration_days(),
        None,
        "no express decision, no average"
    );
    assert_eq!(s1.backlog, 1, "180 days pending at 30 Jun > 60");
    let s2 = parts(&c, PDC, "2022S2");
    assert_eq!((s2.concluded_silent_assent, s2.backlog), (1, 0));
}

#[test]
fn backlog_threshold_is_strictly_beyond_the_term_net_of_suspensions() {
    let c = run(
        vec![
            // 30 Jun − 1 May = 60 days: exactly the term, not late.
            F::new("2022-05-01"),
            // 30 Jun − 30 Apr = 61 days: late.
            F::new("2022-04-30"),
            // 180 days at 30 Jun, 130 of suspension: 50 ≤ 60, not late; at 31 Dec 364 − 130 = 234: late.
            F::new("2022-01-01").suspended(130).procedure(SCIA).term(60),
            // Started after the semester end: not counted at that end.
            F::new("2022-07-01").term(1),
        ],
        "2022S1",
        "2023S1",
    );
    assert_eq!(parts(&c, PDC, "2022S1").backlog, 1);
    assert_eq!(
        parts(&c, PDC, "2022S2").backlog,
        3,
        "all three pending PDC files are late by 31 Dec"
    );
    assert_eq!(
        parts(&c, SCIA, "2022S1").backlog,
        0,
        "the suspension keeps it out"
    );
    assert_eq!(parts(&c, SCIA, "2022S2").backlog, 1);
    assert_eq!(
        parts(&c, SCIA, "2023S1").backlog,
        1,
        "still pending, still late"
    );
}

#[test]
fn a_file_concluded_later_is_late_until_the_semester_before() {
    let c = run(
        vec![F::new("2021-01-10").decided("2023-01-01")],
        "2021S1",
        "2023S2",
    );
    let backlog: Vec<i64> = ["2021S1", "2021S2", "2022S1", "2022S2", "2023S1", "2023S2"]
        .iter()
        .map(|s| parts(&c, PDC, s).backlog)
        .collect();
    assert_eq!(backlog, vec![1, 1, 1, 1, 0, 0]);
}

#[test]
fn median_legal_term_and_the_catalog_when_nothing_started() {
    let c = run(
        vec![
            F::new("2022-01-10").term(60),
            F::new("2022-02-10").term(90),
            F::new("2022-07-10").term(90),
            F::new("2022-08-10").term(30),
            F::new("2022-09-10").term(120),
        ],
        "2022S1",
        "2023S1",
    );
    assert_eq!(
        c.cell(PDC, sem("2022S1")).max_term_days,
        75.0,
        "mean of the middle two"
    );
    assert_eq!(c.cell(PDC, sem("2022S2")).max_term_days, 90.0);
    assert_eq!(
        c.cell(PDC, sem("2023S1")).max_term_days,
        60.0,
        "the catalog's term"
    );
    assert_eq!(c.cell(SCIA, sem("2022S1")).max_term_days, 30.0);
}

#[test]
fn impossible_files_are_refused_with_a_reason() {
    let before = F::new("2022-03-01")
        .decided("2022-02-28")
        .build()
        .unwrap_err();
    assert_eq!(before.column, "data_conclusione");
    let both = F::new("2022-03-01")
        .decided("2022-04-01")
        .silent("2022-04-01")
        .build()
        .unwrap_err();
    assert_eq!(both.column, "data_silenzio_assenso");
    let negative = F::new("2022-03-01").suspended(-1).build().unwrap_err();
    assert_eq!(negative.column, "giorni_sospensione");
    let silent_before = F::new("2022-03-01")
        .silent("2022-01-01")
        .build()
        .unwrap_err();
    assert_eq!(silent_before.column, "data_silenzio_assenso");
    for r in [before, both, negative, silent_before] {
        assert!(!r.reason.is_empty());
    }
}

#[test]
fn rows_leave_out_empty_cells_and_are_sorted() {
    let c = run(
        vec![
            F::new("2022-01-10").procedure(SCIA).decided("2022-01-20"),
            F::new("2022-08-10").decided("2022-08-20"),
        ],
        "2021S1",
        "2022S2",
    );
    let rows = indicator_rows(&c, &catalog());
    let keys: Vec<String> = rows
        .iter()
        .map(|r| format!("{} {}", r.procedure, r.period))
        .collect();
    assert_eq!(keys, vec!["PDC 2022S2", "SCIA 2022S1"]);
    assert_eq!(rows[1].avg_duration_days, Some(10.0));
    let json = serde_json::to_value(&rows[0]).unwrap();
    let mut fields: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        vec![
            "avg_duration_days",
            "avg_net_duration_days",
            "backlog",
            "concluded_express",
            "concluded_express_with_conference",
            "concluded_express_with_suspension",
            "concluded_silent_assent",
            "max_term_days",
            "period",
            "procedure",
            "started",
        ]
    );
}

/// A small deterministic generator (xorshift), so the property tests need no dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn random_register(rng: &mut Rng, n: usize) -> Vec<FileRecord> {
    let base = day("2020-10-01");
    (0..n)
        .map(|_| {
            let start = base + rng.below(5 * 365) as i32;
            let end = start + rng.below(400) as i32;
            let (decision, silent) = match rng.below(3) {
                0 => (Some(end), None),
                1 => (None, Some(end)),
                _ => (None, None),
            };
            FileRecord::new(
                rng.below(2) as u16,
                start,
                1 + rng.below(200) as u32,
                decision,
                silent,
                rng.below(4) == 0,
                if rng.below(3) == 0 {
                    rng.below(90) as i64
                } else {
                    0
                },
            )
            .unwrap()
        })
        .collect()
}

/// The definitions of DOMAIN.md §5 read literally, one semester at a time.
fn by_definition(files: &[FileRecord], p: u16, s: Sem) -> Parts {
    let (first, end) = (last_day_of_sem(s - 1) + 1, last_day_of_sem(s));
    let within = |d: i32| d >= first && d <= end;
    let mut out = Parts::default();
    for f in files.iter().filter(|f| f.procedure == p) {
        out.started += i64::from(within(f.start));
        if let Some(d) = f.decision.filter(|d| within(*d)) {
            out.concluded_express += 1;
            out.duration_days_sum += i64::from(d - f.start);
            out.net_duration_days_sum += i64::from(d - f.start) - i64::from(f.suspension_days);
            out.concluded_express_with_suspension += i64::from(f.suspension_days > 0);
            out.concluded_express_with_conference += i64::from(f.conference);
        }
        out.concluded_silent_assent += i64::from(f.silent_assent.is_some_and(within));
        let open = f.decision.is_none_or(|d| d > end) && f.silent_assent.is_none_or(|d| d > end);
        let late = i64::from(end) - i64::from(f.start) - i64::from(f.suspension_days)
            > i64::from(f.term_days);
        out.backlog += i64::from(f.start <= end && open && late);
    }
    out
}

#[test]
fn one_pass_equals_the_definitions_read_literally() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..20 {
        let files = random_register(&mut rng, 300);
        let c = compute(&files, &catalog(), sem("2020S1"), sem("2026S1"));
        for p in [PDC, SCIA] {
            for s in sem("2020S1")..=sem("2026S1") {
                assert_eq!(c.cell(p, s).parts, by_definition(&files, p, s), "{p} {s}");
            }
        }
    }
}

#[test]
fn parts_of_two_registers_add_up_to_the_parts_of_their_union() {
    let mut rng = Rng(42);
    for _ in 0..30 {
        let (na, nb) = (1 + rng.below(200) as usize, rng.below(200) as usize);
        let a = random_register(&mut rng, na);
        let b = random_register(&mut rng, nb);
        let union: Vec<FileRecord> = a.iter().chain(&b).copied().collect();
        let (from, to) = (sem("2020S2"), sem("2025S2"));
        let (ca, cb, cu) = (
            compute(&a, &catalog(), from, to),
            compute(&b, &catalog(), from, to),
            compute(&union, &catalog(), from, to),
        );
        for ((x, y), u) in ca.iter().zip(cb.iter()).zip(cu.iter()) {
            assert_eq!(x.2.parts + y.2.parts, u.2.parts);
        }
    }
}

#[test]
fn an_empty_register_has_no_window_and_empty_cells() {
    assert_eq!(natural_window(&[]), None);
    let c = compute(&[], &catalog(), sem("2022S1"), sem("2022S2"));
    assert!(c.iter().all(|(_, _, cell)| cell.parts.is_empty()));
}

#[test]
fn engines_fed_apart_and_merged_equal_one_engine() {
    let mut rng = Rng(7);
    let files = random_register(&mut rng, 500);
    let (a, b) = files.split_at(200);
    let (from, to) = (sem("2020S1"), sem("2026S2"));
    let mut left = Engine::new(&catalog(), from, to);
    a.iter().for_each(|f| left.add(f));
    let mut right = Engine::new(&catalog(), from, to);
    b.iter().for_each(|f| right.add(f));
    left.merge(right);
    assert_eq!(left.natural_window(), natural_window(&files));
    let merged = left.finish(&catalog());
    let whole = compute(&files, &catalog(), from, to);
    for ((_, _, x), (_, _, y)) in merged.iter().zip(whole.iter()) {
        assert_eq!(x, y);
    }
}

#[test]
fn file_dates_stay_between_1990_and_today() {
    use super::{check_file_dates, days_from_civil};
    let today = days_from_civil(2026, 11, 29);
    let day = |y, m, d| days_from_civil(y, m, d);
    assert!(check_file_dates(day(2023, 1, 10), Some(day(2023, 3, 1)), None, today).is_ok());
    assert!(check_file_dates(day(1990, 1, 1), None, Some(today), today).is_ok());
    assert_eq!(
        check_file_dates(day(1, 1, 1), None, None, today)
            .unwrap_err()
            .column,
        "data_avvio"
    );
    assert_eq!(
        check_file_dates(today + 1, None, None, today)
            .unwrap_err()
            .column,
        "data_avvio"
    );
    assert_eq!(
        check_file_dates(day(2023, 1, 10), Some(day(9999, 12, 31)), None, today)
            .unwrap_err()
            .column,
        "data_conclusione"
    );
    assert_eq!(
        check_file_dates(day(2023, 1, 10), None, Some(today + 1), today)
            .unwrap_err()
            .column,
        "data_silenzio_assenso"
    );
}
