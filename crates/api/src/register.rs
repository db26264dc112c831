//! Reading an uploaded or local file register: CSV (the domain crate's reader) or a spreadsheet
//! (XLSX, ODS, XLS through calamine, first sheet), against the procedure catalog's legal terms.

use crate::reference::DEFAULT_CATALOG;
use affianca_domain::monitoring::{Engine, FileRecord, Sem, TermCatalog};
use affianca_domain::register::{self, Limits, ReadSummary, RegisterErrors};
use calamine::DataRef;

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

/// Bytes the parts of an XLSX register may inflate to, together (10× the upload limit).
pub const MAX_INFLATED_BYTES: u64 = 10 * crate::routes::monitoring::REGISTER_MAX_BYTES as u64;
/// Bytes one part other than the worksheet (shared strings, styles, …) may inflate to: these are
/// held in memory while the sheet is read.
pub const MAX_PART_BYTES: u64 = 100 * 1024 * 1024;
/// Entries of an XLSX register.
pub const MAX_ZIP_ENTRIES: usize = 1000;
/// Bytes of one run of XML (one text, one tag) in an XLSX register.
pub const MAX_XML_RUN_BYTES: usize = 1024 * 1024;
/// How long reading one spreadsheet may take.
pub const PARSE_BUDGET: std::time::Duration = std::time::Duration::from_secs(60);

/// One cell as the text the register reader expects: dates as `YYYY-MM-DD`, whole numbers without
/// decimals, booleans as `1`/`0`.
fn cell_text(cell: &DataRef<'_>) -> String {
    let date_only = |s: &str| {
        // An ISO date-time keeps only its date.
        if s.len() > 10 && s.as_bytes().get(10) == Some(&b'T') {
            s[..10].to_owned()
        } else {
            s.to_owned()
        }
    };
    match cell {
        DataRef::Empty => String::new(),
        DataRef::SharedString(s) => date_only(s),
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => date_only(s),
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        DataRef::Float(f) => f.to_string(),
        DataRef::Bool(b) => if *b { "1" } else { "0" }.to_owned(),
        DataRef::DateTime(dt) => dt
            .as_datetime()
            .map(|d| d.date().format("%Y-%m-%d").to_string())
            .unwrap_or_else(|| dt.as_f64().to_string()),
        DataRef::Error(e) => format!("#{e:?}"),
    }
}

/// The name of a cell as a spreadsheet shows it: `(0, 0)` is `A1`, `(1_048_575, 16_383)` is
/// `XFD1048576`.
pub fn cell_name(row: u32, col: u32) -> String {
    let mut letters = Vec::new();
    let mut c = u64::from(col) + 1;
    while c > 0 {
        let rem = ((c - 1) % 26) as u8;
        letters.push(b'A' + rem);
        c = (c - 1) / 26;
    }
    letters.reverse();
    format!(
        "{}{}",
        String::from_utf8(letters).unwrap_or_default(),
        u64::from(row) + 1
    )
}

fn file_error(value: &str, reason: String) -> RegisterErrors {
    RegisterErrors {
        errors: vec![register::RowError {
            row: 1,
            column: "file".into(),
            value: value.to_owned(),
            reason,
        }],
        total: 1,
    }
}

fn unreadable(why: impl std::fmt::Display) -> RegisterErrors {
    file_error("", format!("foglio di calcolo non leggibile: {why}"))
}

/// Reads a register (CSV or spreadsheet), handing every good file to `sink`; any error means the
/// whole register is refused (the caller drops what `sink` received).
///
/// A spreadsheet is read only as XLSX, cell by cell, within the limits of this module checked
/// before anything is allocated for a cell (the container first: [`crate::container`]); the old
/// Excel format (XLS) and OpenDocument (ODS) are refused with a message asking for XLSX or CSV.
pub fn read(
    bytes: &[u8],
    catalog: &TermCatalog,
    limits: Limits,
    sink: impl FnMut(&str, FileRecord),
) -> Result<ReadSummary, RegisterErrors> {
    if !is_spreadsheet(bytes) {
        return register::read_csv(bytes, catalog, limits, sink);
    }
    read_xlsx(bytes, catalog, limits, PARSE_BUDGET, sink)
}

/// Reads an XLSX register (see [`read`]) within `budget`.
pub fn read_xlsx(
    bytes: &[u8],
    catalog: &TermCatalog,
    limits: Limits,
    budget: std::time::Duration,
    sink: impl FnMut(&str, FileRecord),
) -> Result<ReadSummary, RegisterErrors> {
    let unsupported = || {
        file_error(
            "",
            "formato non supportato: salvare il foglio come «Cartella di lavoro Excel (.xlsx)» \
             oppure come «CSV UTF-8»"
                .into(),
        )
    };
    // OpenDocument: its first entry is `mimetype`, stored.
    if !bytes.starts_with(b"PK\x03\x04") || bytes.get(30..38) == Some(b"mimetype".as_slice()) {
        // XLS: its reader builds the whole sheet in memory, sized by the cells it declares.
        return Err(unsupported());
    }
    let deadline = std::time::Instant::now() + budget;
    crate::container::inspect(
        bytes,
        &crate::container::ZipLimits {
            max_entries: MAX_ZIP_ENTRIES,
            max_inflated: MAX_INFLATED_BYTES,
            max_part: MAX_PART_BYTES,
            max_xml_run: MAX_XML_RUN_BYTES,
            deadline,
        },
    )
    .map_err(unreadable)?;
    // The parser's own checks may panic on hostile input (an overflowing cell reference): that is
    // a refusal of the file, not a failure of the server.
    let mut sink = sink;
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        read_xlsx_cells(bytes, catalog, limits, deadline, &mut sink, unsupported)
    }))
    .unwrap_or_else(|_| Err(unreadable("struttura non valida")))
}

fn read_xlsx_cells(
    bytes: &[u8],
    catalog: &TermCatalog,
    limits: Limits,
    deadline: std::time::Instant,
    sink: &mut impl FnMut(&str, FileRecord),
    unsupported: impl Fn() -> RegisterErrors,
) -> Result<ReadSummary, RegisterErrors> {
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> = match calamine::Xlsx::new(std::io::Cursor::new(bytes)) {
        Ok(b) => b,
        // An OpenDocument spreadsheet, or a ZIP that is no workbook.
        Err(calamine::XlsxError::FileNotFound(_)) => return Err(unsupported()),
        Err(e) => return Err(unreadable(e)),
    };
    let first = book
        .sheet_names()
        .first()
        .cloned()
        .ok_or_else(|| unreadable("il file non contiene fogli"))?;
    let mut cells = book.worksheet_cells_reader(&first).map_err(unreadable)?;
    // The header and the data rows; the register's columns and any others up to the limit.
    let max_row = u32::try_from(limits.max_rows).unwrap_or(u32::MAX);
    let max_col = register::MAX_COLUMNS as u32 - 1;
    let beyond = |row: u32, col: u32, declared: bool| {
        let name = cell_name(row, col);
        file_error(
            &name,
            format!(
                "{} {name} è oltre i limiti del registro: al massimo {} colonne (fino a {}) e \
                 {} righe di dati oltre all'intestazione",
                if declared {
                    "l'area usata dichiarata dal foglio arriva alla cella"
                } else {
                    "la cella"
                },
                register::MAX_COLUMNS,
                cell_name(0, max_col).trim_end_matches('1'),
                limits.max_rows
            ),
        )
    };
    let dims = cells.dimensions();
    if dims.end.0 > max_row || dims.end.1 > max_col {
        return Err(beyond(dims.end.0, dims.end.1, true));
    }
    let mut rows = register::SheetRows::new(catalog, limits, sink);
    let mut current: Option<u32> = None;
    let mut fields: Vec<String> = Vec::new();
    let mut seen: u64 = 0;
    loop {
        seen += 1;
        if seen.is_multiple_of(4096) && std::time::Instant::now() > deadline {
            return Err(unreadable("la lettura ha superato il tempo massimo"));
        }
        let Some(cell) = cells.next_cell().map_err(unreadable)? else {
            break;
        };
        let value = cell.get_value();
        if matches!(value, DataRef::Empty) {
            continue;
        }
        let (row, col) = cell.get_position();
        if row > max_row || col > max_col {
            return Err(beyond(row, col, false));
        }
        if current != Some(row) {
            if let Some(previous) = current {
                if row < previous {
                    return Err(unreadable(format!(
                        "la cella {} viene dopo la riga {}: celle fuori ordine",
                        cell_name(row, col),
                        previous + 1
                    )));
                }
                if !rows.push(previous as usize + 1, &fields) {
                    return rows.finish();
                }
                fields.clear();
            }
            current = Some(row);
        }
        let text = cell_text(value);
        if text.len() > register::MAX_FIELD_BYTES {
            let name = cell_name(row, col);
            return Err(file_error(
                &name,
                format!(
                    "la cella {name} contiene più di {} KB di testo",
                    register::MAX_FIELD_BYTES / 1024
                ),
            ));
        }
        let col = col as usize;
        if fields.len() <= col {
            fields.resize(col + 1, String::new());
        }
        fields[col] = text;
    }
    if let Some(previous) = current {
        rows.push(previous as usize + 1, &fields);
    }
    rows.finish()
}

/// Reads a CSV register on two threads into an engine over `[from, to]` (the command line's fast
/// path): the body is cut at the line nearest its middle and each half read on its own thread.
/// `None` when the bytes are not a CSV register of some size, or when it has any error or a code
/// (by its hash: see [`affianca_domain::register::CodeHashes`]) in both halves or twice in one: the
/// caller then reads it sequentially, which reports every error exactly.
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
    let hasher = foldhash::quality::RandomState::default();
    let read = |part, row| read_part(&layout, part, row, catalog, from, to, hasher.clone());
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
    // A hash twice (a repeated code, or two codes sharing a hash): the exact reading.
    if affianca_domain::register::share_any(&seen_a?, &seen_b?) {
        return None;
    }
    engine.merge(engine_b);
    Some((files_a + files_b, engine))
}

type Part = (Option<Vec<u64>>, RegisterErrors, Engine, usize);

/// One half of [`read_parallel`]: its codes, errors, engine and number of files.
fn read_part(
    layout: &affianca_domain::register::CsvLayout,
    part: &[u8],
    row: usize,
    catalog: &TermCatalog,
    from: Sem,
    to: Sem,
    hasher: foldhash::quality::RandomState,
) -> Part {
    let mut seen = affianca_domain::register::CodeHashes::new(hasher, part.len() / 40);
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
    (seen.sorted(), errors, engine, files)
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

    /// A workbook whose first sheet is `sheet` (a whole worksheet document).
    fn xlsx(sheet: &str) -> Vec<u8> {
        use std::io::Write;
        let parts = [
            (
                "_rels/.rels",
                r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#,
            ),
            (
                "xl/workbook.xml",
                r#"<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="R" sheetId="1" r:id="rId1"/></sheets></workbook>"#,
            ),
            (
                "xl/_rels/workbook.xml.rels",
                r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#,
            ),
            ("xl/worksheets/sheet1.xml", sheet),
        ];
        let mut out = std::io::Cursor::new(Vec::new());
        let mut w = zip::ZipWriter::new(&mut out);
        for (name, text) in parts {
            w.start_file(name, zip::write::SimpleFileOptions::default())
                .unwrap();
            w.write_all(text.as_bytes()).unwrap();
        }
        w.finish().unwrap();
        out.into_inner()
    }

    fn sheet(dimension: &str, cells: &[(&str, &str)]) -> String {
        let mut s = String::from(
            r#"<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">"#,
        );
        s.push_str(dimension);
        s.push_str("<sheetData>");
        let mut row = String::new();
        for (r, t) in cells {
            let digits = r.trim_start_matches(|c: char| c.is_ascii_alphabetic());
            if digits != row {
                if !row.is_empty() {
                    s.push_str("</row>");
                }
                s.push_str("<row>");
                row = digits.to_owned();
            }
            s.push_str(&format!(
                r#"<c r="{r}" t="inlineStr"><is><t>{t}</t></is></c>"#
            ));
        }
        if !row.is_empty() {
            s.push_str("</row>");
        }
        s.push_str("</sheetData></worksheet>");
        s
    }

    fn read_bytes(bytes: &[u8]) -> Result<Vec<(String, FileRecord)>, RegisterErrors> {
        let mut out = Vec::new();
        read(bytes, &default_catalog(), Limits::default(), |c, f| {
            out.push((c.to_owned(), f))
        })?;
        Ok(out)
    }

    const HEAD: [(&str, &str); 3] = [
        ("A1", "codice_pratica"),
        ("B1", "procedimento"),
        ("C1", "data_avvio"),
    ];

    #[test]
    fn a_workbook_is_read_cell_by_cell() {
        let mut cells = HEAD.to_vec();
        cells.extend([("A3", "X1"), ("B3", "PDC"), ("C3", "2023-01-10")]);
        cells.extend([("A4", "X2"), ("C4", "2023-01-11"), ("B4", "SCIA")]);
        let files = read_bytes(&xlsx(&sheet("", &cells))).unwrap();
        assert_eq!(files.len(), 2);
        assert_eq!(files[0].0, "X1");
        // A bad row is reported with its row number as the sheet shows it.
        cells.extend([("A5", "X3"), ("B5", "PDC"), ("C5", "ieri")]);
        let err = read_bytes(&xlsx(&sheet("", &cells))).unwrap_err();
        assert_eq!(
            (err.errors[0].row, err.errors[0].column.as_str()),
            (5, "data_avvio")
        );
    }

    #[test]
    fn the_dimension_bomb_is_refused_naming_the_cell_before_allocating() {
        for dimension in [r#"<dimension ref="A1:XFD1048576"/>"#, ""] {
            let mut cells = HEAD.to_vec();
            cells.push(("XFD1048576", "x"));
            let err = read_bytes(&xlsx(&sheet(dimension, &cells))).unwrap_err();
            assert_eq!(err.errors[0].value, "XFD1048576", "{dimension}");
            assert!(
                err.errors[0].reason.contains("XFD1048576"),
                "{:?}",
                err.errors[0]
            );
        }
        // Column 65 (BM) and row 500,002 are beyond; an empty styled cell there is not.
        for far in ["BM2", "A500002"] {
            let mut cells = HEAD.to_vec();
            cells.push((far, "x"));
            let err = read_bytes(&xlsx(&sheet("", &cells))).unwrap_err();
            assert_eq!(err.errors[0].value, far);
        }
        let mut s = sheet("", &HEAD);
        s = s.replace(
            "</sheetData>",
            r#"<row r="1048576"><c r="XFD1048576" s="1"/></row></sheetData>"#,
        );
        assert_eq!(read_bytes(&xlsx(&s)).unwrap().len(), 0);
    }

    #[test]
    fn long_cells_other_formats_and_broken_references_are_refused() {
        let long = "x".repeat(register::MAX_FIELD_BYTES + 1);
        let mut cells = HEAD.to_vec();
        cells.extend([("A2", long.as_str()), ("B2", "PDC"), ("C2", "2023-01-10")]);
        let err = read_bytes(&xlsx(&sheet("", &cells))).unwrap_err();
        assert_eq!(err.errors[0].value, "A2");
        let mut ods = b"PK\x03\x04".to_vec();
        ods.extend([0u8; 26]);
        ods.extend(b"mimetypeapplication/vnd.oasis.opendocument.spreadsheet");
        let xls = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0];
        for other in [ods.as_slice(), xls.as_slice()] {
            let err = read_bytes(other).unwrap_err();
            assert!(err.errors[0].reason.contains("xlsx"), "{:?}", err.errors[0]);
        }
        // A reference whose column overflows calamine's arithmetic: refused, not a panic.
        let mut cells = HEAD.to_vec();
        cells.push(("AAAAAAAAAAAAAAAAAAAAAAAAA1", "x"));
        assert!(read_bytes(&xlsx(&sheet("", &cells))).is_err());
        let mut cells = HEAD.to_vec();
        cells.push(("A99999999999999", "x"));
        assert!(read_bytes(&xlsx(&sheet("", &cells))).is_err());
    }

    #[test]
    fn the_parse_has_a_time_budget() {
        let mut cells = HEAD.to_vec();
        let rows: Vec<(String, String)> = (2..6000)
            .map(|r| (format!("A{r}"), format!("C{r}")))
            .collect();
        cells.extend(rows.iter().map(|(a, b)| (a.as_str(), b.as_str())));
        let bytes = xlsx(&sheet("", &cells));
        let err = read_xlsx(
            &bytes,
            &default_catalog(),
            Limits::default(),
            std::time::Duration::ZERO,
            |_, _| {},
        )
        .unwrap_err();
        assert!(
            err.errors[0].reason.contains("tempo"),
            "{:?}",
            err.errors[0]
        );
    }

    /// Random bytes and random mutations of a good workbook and a good CSV: the reader answers
    /// (good or refused) and never panics. `fuzz/` runs the same under libFuzzer (`just fuzz`).
    #[test]
    fn random_and_mutated_files_never_panic() {
        let mut cells = HEAD.to_vec();
        cells.extend([("A2", "X1"), ("B2", "PDC"), ("C2", "2023-01-10")]);
        let good_xlsx = xlsx(&sheet(r#"<dimension ref="A1:C2"/>"#, &cells));
        let good_csv = b"codice_pratica;procedimento;data_avvio\nX1;PDC;2023-01-10\n".to_vec();
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for i in 0..600 {
            let mut bytes = match i % 3 {
                0 => good_xlsx.clone(),
                1 => good_csv.clone(),
                _ => (0..(next() % 512)).map(|_| next() as u8).collect(),
            };
            if !bytes.is_empty() {
                for _ in 0..(1 + next() % 8) {
                    let at = (next() as usize) % bytes.len();
                    bytes[at] = next() as u8;
                }
            }
            let _ = read_bytes(&bytes);
        }
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
