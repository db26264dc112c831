//! Reading an uploaded or local file register: CSV (the domain crate's reader) or a spreadsheet
//! (XLSX, ODS, XLS through calamine, first sheet), against the procedure catalog's legal terms.

use crate::seed::DEFAULT_CATALOG;
use affianca_domain::monitoring::{Engine, FileRecord, Sem, TermCatalog};
use affianca_domain::register::{self, Limits, ReadSummary, RegisterErrors};
use calamine::{Data, Reader};

/// The catalog shipped by default (DOMAIN.md §3), for checking a register without a database.
pub fn default_catalog() -> TermCatalog {
    TermCatalog::new(
        DEFAULT_CATALOG
            .iter()
            .map(|(_, code, _, term)| (*code, (*term).max(1) as u32)),
    )
}

/// True when the bytes are a spreadsheet (a ZIP container, or an old compound Excel document)
/// rather than CSV text.
pub fn is_spreadsheet(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0])
}

/// One cell as the text the register reader expects: dates as `YYYY-MM-DD`, whole numbers without
/// decimals, booleans as `1`/`0`.
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => {
            // An ISO date-time keeps only its date.
            if s.len() > 10 && s.as_bytes().get(10) == Some(&b'T') {
                s[..10].to_owned()
            } else {
                s.clone()
            }
        }
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => if *b { "1" } else { "0" }.to_owned(),
        Data::DateTime(dt) => dt
            .as_datetime()
            .map(|d| d.date().format("%Y-%m-%d").to_string())
            .unwrap_or_else(|| dt.as_f64().to_string()),
        Data::Error(e) => format!("#{e:?}"),
    }
}

/// Reads a register (CSV or spreadsheet), handing every good file to `sink`; any error means the
/// whole register is refused (the caller drops what `sink` received).
pub fn read(
    bytes: &[u8],
    catalog: &TermCatalog,
    limits: Limits,
    sink: impl FnMut(&str, FileRecord),
) -> Result<ReadSummary, RegisterErrors> {
    if !is_spreadsheet(bytes) {
        return register::read_csv(bytes, catalog, limits, sink);
    }
    let unreadable = |why: String| RegisterErrors {
        errors: vec![register::RowError {
            row: 1,
            column: "file".into(),
            value: String::new(),
            reason: format!("foglio di calcolo non leggibile: {why}"),
        }],
        total: 1,
    };
    let mut book = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes))
        .map_err(|e| unreadable(e.to_string()))?;
    let range = book
        .worksheet_range_at(0)
        .ok_or_else(|| unreadable("il file non contiene fogli".into()))?
        .map_err(|e| unreadable(e.to_string()))?;
    // Row numbers as the spreadsheet shows them: the used range may start below row 1.
    let offset = range.start().map_or(0, |(r, _)| r as usize);
    let mut blank_rows = std::iter::repeat_n(Vec::new(), offset);
    let rows = blank_rows
        .by_ref()
        .chain(range.rows().map(|r| r.iter().map(cell_text).collect()));
    register::read_rows(rows, catalog, limits, sink)
}

/// Reads a CSV register on two threads into an engine over `[from, to]` (the command line's fast
/// path): the body is cut at the line nearest its middle and each half read on its own thread.
/// `None` when the bytes are not a CSV register of some size, or when it has any error or a code
/// in both halves: the caller then reads it sequentially, which reports every error exactly.
pub fn read_parallel(
    bytes: &[u8],
    catalog: &TermCatalog,
    from: Sem,
    to: Sem,
) -> Option<(usize, Engine)> {
    use affianca_domain::register::csv_layout;
    if is_spreadsheet(bytes) {
        return None;
    }
    let layout = csv_layout(bytes).ok()?;
    let body = &bytes[layout.body_start..];
    if body.len() < 1 << 20 {
        return None;
    }
    let mid = body.len() / 2;
    let cut = body[mid..]
        .iter()
        .position(|b| *b == b'\n')
        .map_or(body.len(), |p| mid + p + 1);
    let (first, second) = body.split_at(cut);
    let read = |part, row| read_part(&layout, part, row, catalog, from, to);
    let ((seen_a, errors_a, mut engine, files_a), (seen_b, errors_b, engine_b, files_b)) =
        std::thread::scope(|s| {
            let b = s.spawn(|| {
                let lines_before = first.iter().filter(|c| **c == b'\n').count();
                read(second, layout.first_row + lines_before)
            });
            let a = read(first, layout.first_row);
            (a, b.join().expect("the reading thread"))
        });
    if !errors_a.is_empty() || !errors_b.is_empty() {
        return None;
    }
    let (small, large) = if seen_a.len() < seen_b.len() {
        (&seen_a, &seen_b)
    } else {
        (&seen_b, &seen_a)
    };
    if small.iter().any(|k| large.contains(k)) {
        return None;
    }
    engine.merge(engine_b);
    Some((files_a + files_b, engine))
}

type Part<'a> = (
    std::collections::HashSet<std::borrow::Cow<'a, str>>,
    RegisterErrors,
    Engine,
    usize,
);

/// One half of [`read_parallel`]: its codes, errors, engine and number of files.
fn read_part<'a>(
    layout: &affianca_domain::register::CsvLayout,
    part: &'a [u8],
    row: usize,
    catalog: &TermCatalog,
    from: Sem,
    to: Sem,
) -> Part<'a> {
    let mut seen = std::collections::HashSet::with_capacity(part.len() / 40);
    let mut errors = RegisterErrors::default();
    let mut engine = Engine::new(catalog, from, to);
    let mut files = 0usize;
    affianca_domain::register::read_csv_rows(
        layout,
        part,
        row,
        catalog,
        usize::MAX,
        &mut seen,
        &mut errors,
        &mut |_, f| {
            files += 1;
            engine.add(&f);
        },
    );
    (seen, errors, engine, files)
}

#[cfg(test)]
mod tests {
    use super::*;
    use affianca_domain::monitoring::{compute, parse_sem};

    fn register(rows: usize, extra: &str) -> String {
        let mut s = String::from(
            "codice_pratica;procedimento;data_avvio;termine_giorni;data_conclusione;data_silenzio_assenso;conferenza_servizi;giorni_sospensione\n",
        );
        let codes = ["PDC", "SCIA", "AUA", "CILA"];
        for i in 0..rows {
            let start = chrono::NaiveDate::from_ymd_opt(2021, 1, 1).unwrap()
                + chrono::Duration::days((i * 7 % 1800) as i64);
            let end = start + chrono::Duration::days((i * 13 % 200) as i64);
            let decided = if i % 3 == 0 {
                String::new()
            } else {
                end.to_string()
            };
            s.push_str(&format!(
                "C{i};{};{start};;{decided};;{};{}\n",
                codes[i % 4],
                if i % 5 == 0 { "sì" } else { "no" },
                i % 7
            ));
        }
        s.push_str(extra);
        s
    }

    #[test]
    fn two_threads_read_what_one_reads() {
        let text = register(40_000, "");
        let catalog = default_catalog();
        let (from, to) = (parse_sem("2020S1").unwrap(), parse_sem("2027S2").unwrap());
        let (files, engine) =
            read_parallel(text.as_bytes(), &catalog, from, to).expect("fast path");
        assert_eq!(files, 40_000);
        let mut all = Vec::new();
        read(text.as_bytes(), &catalog, Limits::default(), |_, f| {
            all.push(f)
        })
        .unwrap();
        let whole = compute(&all, &catalog, from, to);
        for ((_, _, a), (_, _, b)) in engine.finish(&catalog).iter().zip(whole.iter()) {
            assert_eq!(a, b);
        }
    }

    #[test]
    fn errors_and_codes_in_both_halves_fall_back_to_the_exact_report() {
        let catalog = default_catalog();
        let (from, to) = (parse_sem("2020S1").unwrap(), parse_sem("2027S2").unwrap());
        let duplicate = register(40_000, "C1;PDC;2022-01-01;;;;;\n");
        assert!(read_parallel(duplicate.as_bytes(), &catalog, from, to).is_none());
        let errors =
            read(duplicate.as_bytes(), &catalog, Limits::default(), |_, _| {}).unwrap_err();
        assert_eq!(errors.errors[0].row, 40_002);
        let bad = register(40_000, "Z1;PDC;ieri;;;;;\n");
        assert!(read_parallel(bad.as_bytes(), &catalog, from, to).is_none());
    }
}
