//! Reading an uploaded or local file register: CSV (the domain crate's reader) or a spreadsheet
//! (XLSX, ODS, XLS through calamine, first sheet), against the procedure catalog's legal terms.

use crate::seed::DEFAULT_CATALOG;
use affianca_domain::monitoring::{FileRecord, TermCatalog};
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
