//! Reading a file register (DOMAIN.md §5): CSV text with Italian headers, or the rows of a
//! spreadsheet's first sheet handed over as text fields.
//!
//! The CSV reader works on the bytes in one pass, line by line, borrowing every field from the
//! input (a field is copied only when it is quoted with doubled quotes inside). All-or-nothing:
//! every bad row is reported (row, column, value, reason; the first [`MAX_REPORTED_ERRORS`] kept,
//! all counted) and the caller saves nothing when there is any.

use crate::monitoring::{FileRecord, TermCatalog, days_from_civil};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::HashSet;

/// The codes of the files read so far (duplicates are refused): a fast hasher, seeded per process
/// so that a register cannot be built to collide.
pub type CodeSet<'a> = HashSet<Cow<'a, str>, foldhash::quality::RandomState>;

/// An empty [`CodeSet`] for about `n` codes.
pub fn code_set<'a>(n: usize) -> CodeSet<'a> {
    HashSet::with_capacity_and_hasher(n, foldhash::quality::RandomState::default())
}

/// What the CSV reader needs of the set of codes read so far: whether a code is new.
pub trait SeenCodes<'a> {
    /// Adds `code`; false when it was there already.
    fn first_time(&mut self, code: Cow<'a, str>) -> bool;
}

impl<'a> SeenCodes<'a> for CodeSet<'a> {
    fn first_time(&mut self, code: Cow<'a, str>) -> bool {
        self.insert(code)
    }
}

/// The 64-bit hashes of the codes read so far, for a fast first pass over a large register
/// (`affianca register check`): appended in order (no hash table's random writes), then sorted
/// once by [`CodeHashes::sorted`]; a repeat is found at the end, not at its row. Two different
/// codes may also share a hash (about one chance in 10⁸ for a million codes), so a repeated hash
/// is not proof of a repeated code: whoever uses this reads the register again with a [`CodeSet`]
/// when it finds one, for the exact report.
pub struct CodeHashes {
    hasher: foldhash::quality::RandomState,
    hashes: Vec<u64>,
}

impl CodeHashes {
    /// An empty set for about `n` codes; sets that are compared must share `hasher`.
    pub fn new(hasher: foldhash::quality::RandomState, n: usize) -> Self {
        Self {
            hasher,
            hashes: Vec::with_capacity(n),
        }
    }

    /// The hashes in order; `None` when one is there twice.
    pub fn sorted(mut self) -> Option<Vec<u64>> {
        self.hashes.sort_unstable();
        (!self.hashes.windows(2).any(|w| w[0] == w[1])).then_some(self.hashes)
    }
}

impl<'a> SeenCodes<'a> for CodeHashes {
    fn first_time(&mut self, code: Cow<'a, str>) -> bool {
        use std::hash::BuildHasher;
        self.hashes.push(self.hasher.hash_one(code.as_ref()));
        true
    }
}

/// Whether two sorted lists share a value.
pub fn share_any(a: &[u64], b: &[u64]) -> bool {
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => return true,
        }
    }
    false
}

/// `str::trim`, without decoding characters when the field starts and ends with a character that
/// is plainly not white space (nearly every field of a register).
fn trim(s: &str) -> &str {
    let plain = |b: &u8| b.is_ascii() && !matches!(b, 0x09..=0x0D | b' ');
    let b = s.as_bytes();
    if b.first().is_some_and(plain) && b.last().is_some_and(plain) {
        s
    } else {
        s.trim()
    }
}

/// The columns of a register, in the order of DOMAIN.md §5.
pub const COLUMNS: [&str; 8] = [
    "codice_pratica",
    "procedimento",
    "data_avvio",
    "termine_giorni",
    "data_conclusione",
    "data_silenzio_assenso",
    "conferenza_servizi",
    "giorni_sospensione",
];
const CODE: usize = 0;
const PROCEDURE: usize = 1;
const START: usize = 2;
const TERM: usize = 3;
const DECISION: usize = 4;
const SILENT: usize = 5;
const CONFERENCE: usize = 6;
const SUSPENSION: usize = 7;
/// Columns a register must have; the others may be left out (empty).
const REQUIRED: [usize; 3] = [CODE, PROCEDURE, START];

pub const MAX_REPORTED_ERRORS: usize = 1000;
pub const MAX_CODE_LEN: usize = 100;
/// Columns a CSV row may have (the known ones and any others, which are ignored).
pub const MAX_COLUMNS: usize = 64;
/// Bytes of one field (a CSV field, a spreadsheet cell): every value of a register is short.
pub const MAX_FIELD_BYTES: usize = 4 * 1024;
/// Bytes of one CSV line.
pub const MAX_LINE_BYTES: usize = 64 * 1024;

/// One problem of a register: the row (1 is the header), the column, the value and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RowError {
    pub row: usize,
    pub column: String,
    pub value: String,
    pub reason: String,
}

/// The problems of a register: the first [`MAX_REPORTED_ERRORS`] and how many there were.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegisterErrors {
    pub errors: Vec<RowError>,
    pub total: usize,
}

impl RegisterErrors {
    fn push(&mut self, row: usize, column: &str, value: &str, reason: impl Into<String>) {
        self.total += 1;
        if self.errors.len() < MAX_REPORTED_ERRORS {
            let value: String = value.chars().take(200).collect();
            self.errors.push(RowError {
                row,
                column: column.to_owned(),
                value,
                reason: reason.into(),
            });
        }
    }
    pub fn is_empty(&self) -> bool {
        self.total == 0
    }
    fn single(row: usize, column: &str, value: &str, reason: impl Into<String>) -> Self {
        let mut e = Self::default();
        e.push(row, column, value, reason);
        e
    }
}

impl std::fmt::Display for RegisterErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for e in &self.errors {
            writeln!(
                f,
                "riga {}, colonna {}, valore «{}»: {}",
                e.row, e.column, e.value, e.reason
            )?;
        }
        if self.total > self.errors.len() {
            writeln!(f, "… e altri {} errori", self.total - self.errors.len())?;
        }
        Ok(())
    }
}

/// Where each known column is in the rows of a register.
#[derive(Debug, Clone)]
pub struct Header {
    positions: [Option<usize>; COLUMNS.len()],
    width: usize,
}

fn normalise_header(h: &str) -> String {
    h.trim_start_matches('\u{feff}')
        .trim()
        .trim_matches('"')
        .trim()
        .to_lowercase()
        .replace([' ', '-'], "_")
}

impl Header {
    /// The name of the column at position `i` of a row (`colonna N` for columns not read).
    fn column_name(&self, i: usize) -> String {
        self.positions
            .iter()
            .position(|p| *p == Some(i))
            .map_or_else(|| format!("colonna {}", i + 1), |c| COLUMNS[c].to_owned())
    }

    pub fn parse(fields: &[&str]) -> Result<Self, RegisterErrors> {
        let mut positions = [None; COLUMNS.len()];
        let mut errors = RegisterErrors::default();
        for (i, raw) in fields.iter().enumerate() {
            let name = normalise_header(raw);
            if let Some(c) = COLUMNS.iter().position(|c| *c == name) {
                if positions[c].is_some() {
                    errors.push(1, COLUMNS[c], raw, "colonna ripetuta nell'intestazione");
                }
                positions[c] = Some(i);
            }
        }
        for c in REQUIRED {
            if positions[c].is_none() {
                errors.push(
                    1,
                    COLUMNS[c],
                    "",
                    format!(
                        "manca la colonna «{}»: la prima riga deve contenere le intestazioni {}",
                        COLUMNS[c],
                        COLUMNS.join(";")
                    ),
                );
            }
        }
        if errors.is_empty() {
            Ok(Self {
                positions,
                width: fields.len(),
            })
        } else {
            Err(errors)
        }
    }
}

/// A date `YYYY-MM-DD` or `DD/MM/YYYY` (day and month may have one digit) as a day number.
pub fn parse_date(s: &str) -> Option<i32> {
    let b = s.as_bytes();
    let num = |bytes: &[u8]| -> Option<u32> {
        if bytes.is_empty() || bytes.len() > 4 {
            return None;
        }
        bytes.iter().try_fold(0u32, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    };
    let (y, m, d) = if b.len() == 10 && b[4] == b'-' && b[7] == b'-' {
        (num(&b[..4])?, num(&b[5..7])?, num(&b[8..])?)
    } else {
        let mut parts = s.split('/');
        let (d, m, y) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() || y.len() != 4 || d.len() > 2 || m.len() > 2 {
            return None;
        }
        (num(y.as_bytes())?, num(m.as_bytes())?, num(d.as_bytes())?)
    };
    if !(1990..=2100).contains(&y) || !(1..=12).contains(&m) || d == 0 {
        return None;
    }
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days_in_month = match m {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    (d <= days_in_month).then(|| days_from_civil(y as i32, m, d))
}

fn parse_flag(s: &str) -> Option<bool> {
    match s.as_bytes() {
        b"" => Some(false),
        b"1" | b"x" | b"X" => Some(true),
        b"0" => Some(false),
        _ => match s.to_lowercase().as_str() {
            "sì" | "si" | "true" => Some(true),
            "no" | "false" => Some(false),
            _ => None,
        },
    }
}

fn parse_int(s: &str) -> Option<i64> {
    let (neg, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    if digits.is_empty() || digits.len() > 12 {
        return None;
    }
    let v = digits.bytes().try_fold(0i64, |acc, c| {
        c.is_ascii_digit().then(|| acc * 10 + i64::from(c - b'0'))
    })?;
    Some(if neg { -v } else { v })
}

/// Turns the text fields of one data row into a file, or records why it cannot be one.
pub fn read_row<'f>(
    header: &Header,
    catalog: &TermCatalog,
    row: usize,
    fields: &[&'f str],
    errors: &mut RegisterErrors,
) -> Option<(&'f str, FileRecord)> {
    if fields.len() != header.width {
        errors.push(
            row,
            "riga",
            "",
            format!(
                "la riga ha {} campi, l'intestazione {}: controllare il separatore e le virgolette",
                fields.len(),
                header.width
            ),
        );
        return None;
    }
    let field = |c: usize| header.positions[c].map_or("", |i| trim(fields[i]));
    let before = errors.total;
    let code = field(CODE);
    if code.is_empty() {
        errors.push(
            row,
            COLUMNS[CODE],
            code,
            "il codice della pratica è obbligatorio",
        );
    } else if code.len() > MAX_CODE_LEN {
        errors.push(
            row,
            COLUMNS[CODE],
            code,
            format!("il codice della pratica supera {MAX_CODE_LEN} caratteri"),
        );
    }
    let procedure_text = field(PROCEDURE);
    let procedure = catalog.index_of(procedure_text);
    if procedure.is_none() {
        let reason = if procedure_text.is_empty() {
            "il procedimento è obbligatorio".to_owned()
        } else {
            "procedimento non presente nel catalogo (usare il codice, ad esempio PDC)".to_owned()
        };
        errors.push(row, COLUMNS[PROCEDURE], procedure_text, reason);
    }
    let mut date = |c: usize, required: bool| -> Option<Option<i32>> {
        let text = field(c);
        if text.is_empty() {
            if required {
                errors.push(row, COLUMNS[c], text, "la data è obbligatoria");
                return None;
            }
            return Some(None);
        }
        match parse_date(text) {
            Some(d) => Some(Some(d)),
            None => {
                errors.push(
                    row,
                    COLUMNS[c],
                    text,
                    "data non valida: scrivere AAAA-MM-GG oppure GG/MM/AAAA",
                );
                None
            }
        }
    };
    let start = date(START, true);
    let decision = date(DECISION, false);
    let silent = date(SILENT, false);
    let term_text = field(TERM);
    let term = if term_text.is_empty() {
        procedure.map(|p| catalog.term(p))
    } else {
        match parse_int(term_text) {
            Some(t) if (1..=36_500).contains(&t) => Some(t as u32),
            _ => {
                errors.push(
                    row,
                    COLUMNS[TERM],
                    term_text,
                    "il termine deve essere un numero intero di giorni, almeno 1",
                );
                None
            }
        }
    };
    let conference_text = field(CONFERENCE);
    let conference = parse_flag(conference_text);
    if conference.is_none() {
        errors.push(
            row,
            COLUMNS[CONFERENCE],
            conference_text,
            "valore non valido: scrivere sì o no (anche 1/0, x, true/false)",
        );
    }
    let suspension_text = field(SUSPENSION);
    let suspension = if suspension_text.is_empty() {
        Some(0)
    } else {
        let v = parse_int(suspension_text);
        if v.is_none() {
            errors.push(
                row,
                COLUMNS[SUSPENSION],
                suspension_text,
                "i giorni di sospensione devono essere un numero intero",
            );
        }
        v
    };
    if errors.total > before {
        return None;
    }
    let (Some(p), Some(Some(start)), Some(decision), Some(silent), Some(term), Some(conf), Some(s)) = (
        procedure, start, decision, silent, term, conference, suspension,
    ) else {
        return None;
    };
    match FileRecord::new(p, start, term, decision, silent, conf, s) {
        Ok(f) => Some((code, f)),
        Err(refusal) => {
            let value = field(
                COLUMNS
                    .iter()
                    .position(|c| *c == refusal.column)
                    .unwrap_or(CODE),
            );
            errors.push(row, refusal.column, value, refusal.reason);
            None
        }
    }
}

/// Limits of one register.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_rows: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self { max_rows: 500_000 }
    }
}

/// What a read register held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadSummary {
    pub rows: usize,
}

/// Splits one CSV line into fields; quoted fields (`"a;b"`, `"say ""hi"""`) are unquoted.
fn split_line<'a>(line: &'a str, sep: u8, out: &mut Vec<Cow<'a, str>>) -> Result<(), &'static str> {
    out.clear();
    let b = line.as_bytes();
    if !b.contains(&b'"') {
        // The common case, byte by byte (`sep` is ASCII, so every cut is a char boundary).
        let mut start = 0;
        for (i, c) in b.iter().enumerate() {
            if *c == sep {
                out.push(Cow::Borrowed(&line[start..i]));
                start = i + 1;
            }
        }
        out.push(Cow::Borrowed(&line[start..]));
        return Ok(());
    }
    let mut i = 0;
    loop {
        if b.get(i) == Some(&b'"') {
            let mut value = String::new();
            let mut j = i + 1;
            loop {
                match b.get(j) {
                    None => return Err("virgolette non chiuse"),
                    Some(b'"') if b.get(j + 1) == Some(&b'"') => {
                        value.push('"');
                        j += 2;
                    }
                    Some(b'"') => {
                        j += 1;
                        break;
                    }
                    Some(_) => {
                        let next = line[j..].find('"').map_or(line.len(), |k| j + k);
                        value.push_str(&line[j..next]);
                        j = next;
                    }
                }
            }
            // Blanks after the closing quote are tolerated; anything else is not.
            while b.get(j).is_some_and(|c| *c == b' ' || *c == b'\t') {
                j += 1;
            }
            out.push(Cow::Owned(value));
            match b.get(j) {
                None => return Ok(()),
                Some(c) if *c == sep => i = j + 1,
                Some(_) => return Err("testo dopo le virgolette di chiusura"),
            }
        } else {
            let end = b[i..].iter().position(|c| *c == sep).map(|k| i + k);
            match end {
                Some(e) => {
                    out.push(Cow::Borrowed(&line[i..e]));
                    i = e + 1;
                }
                None => {
                    out.push(Cow::Borrowed(&line[i..]));
                    return Ok(());
                }
            }
        }
    }
}

/// Where the rows of a CSV register start, and how to read them.
#[derive(Debug, Clone)]
pub struct CsvLayout {
    header: Header,
    sep: u8,
    /// Offset of the first data line in the bytes given to [`csv_layout`].
    pub body_start: usize,
    /// The row number of that line (the header is row 1 when it is the first line).
    pub first_row: usize,
}

/// Reads the header of a CSV register (UTF-8 with or without BOM, `;` or `,` detected).
pub fn csv_layout(bytes: &[u8]) -> Result<CsvLayout, RegisterErrors> {
    let bom = if bytes.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    let mut offset = bom;
    let mut row = 0;
    let header_line = loop {
        if offset >= bytes.len() {
            return Err(RegisterErrors::single(
                1,
                "intestazione",
                "",
                "il file è vuoto: la prima riga deve contenere le intestazioni",
            ));
        }
        let end = bytes[offset..]
            .iter()
            .position(|b| *b == b'\n')
            .map_or(bytes.len(), |p| offset + p);
        let line = &bytes[offset..end];
        offset = (end + 1).min(bytes.len());
        row += 1;
        if !line.iter().all(u8::is_ascii_whitespace) {
            break line;
        }
    };
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        return Err(RegisterErrors::single(
            1,
            "intestazione",
            "",
            "il file è in UTF-16: salvarlo come «CSV UTF-8»",
        ));
    }
    if header_line.len() > MAX_LINE_BYTES {
        return Err(RegisterErrors::single(
            row,
            "intestazione",
            "",
            format!(
                "l'intestazione supera {} KB: controllare che il file sia un registro",
                MAX_LINE_BYTES / 1024
            ),
        ));
    }
    let header_text = std::str::from_utf8(header_line).map_err(|_| {
        RegisterErrors::single(
            row,
            "intestazione",
            "",
            "il file non è in UTF-8: salvarlo come «CSV UTF-8»",
        )
    })?;
    let header_text = header_text.trim_end_matches('\r');
    let sep = if header_text.contains(';') {
        b';'
    } else {
        b','
    };
    let mut fields: Vec<Cow<str>> = Vec::with_capacity(COLUMNS.len());
    split_line(header_text, sep, &mut fields)
        .map_err(|e| RegisterErrors::single(row, "intestazione", header_text, e))?;
    if fields.len() > MAX_COLUMNS {
        return Err(RegisterErrors::single(
            row,
            "intestazione",
            "",
            format!("l'intestazione ha più di {MAX_COLUMNS} colonne"),
        ));
    }
    let header = Header::parse(&fields.iter().map(|f| f.as_ref()).collect::<Vec<_>>())?;
    Ok(CsvLayout {
        header,
        sep,
        body_start: offset,
        first_row: row + 1,
    })
}

/// Reads data lines of a CSV register: `body` is a run of whole lines whose first is row
/// `first_row`. Codes already in `seen` are duplicates; every problem goes to `errors`; good
/// files go to `sink` only while there is no error. Returns the rows read.
#[allow(clippy::too_many_arguments)]
pub fn read_csv_rows<'a>(
    layout: &CsvLayout,
    body: &'a [u8],
    first_row: usize,
    catalog: &TermCatalog,
    max_rows: usize,
    seen: &mut impl SeenCodes<'a>,
    errors: &mut RegisterErrors,
    sink: &mut impl FnMut(&str, FileRecord),
) -> usize {
    let (header, sep) = (&layout.header, layout.sep);
    let mut fields: Vec<Cow<str>> = Vec::with_capacity(COLUMNS.len());
    let mut rows = 0usize;
    for (index, raw) in body.split(|b| *b == b'\n').enumerate() {
        let row = first_row + index;
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        if raw.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        rows += 1;
        if rows > max_rows {
            errors.push(
                row,
                "riga",
                "",
                format!("il registro supera {max_rows} righe: dividerlo in più file"),
            );
            break;
        }
        if raw.len() > MAX_LINE_BYTES {
            errors.push(
                row,
                "riga",
                "",
                format!("la riga supera {} KB", MAX_LINE_BYTES / 1024),
            );
            continue;
        }
        let Ok(line) = std::str::from_utf8(raw) else {
            errors.push(
                row,
                "riga",
                "",
                "la riga non è in UTF-8: salvare il file come «CSV UTF-8»",
            );
            continue;
        };
        if let Err(e) = split_line(line, sep, &mut fields) {
            errors.push(row, "riga", line, e);
            continue;
        }
        if fields.len() > MAX_COLUMNS {
            errors.push(row, "riga", "", format!("più di {MAX_COLUMNS} colonne"));
            continue;
        }
        if let Some(i) = fields.iter().position(|f| f.len() > MAX_FIELD_BYTES) {
            errors.push(
                row,
                &header.column_name(i),
                "",
                format!("il campo supera {} KB", MAX_FIELD_BYTES / 1024),
            );
            continue;
        }
        let mut refs: [&str; MAX_COLUMNS] = [""; MAX_COLUMNS];
        for (r, f) in refs.iter_mut().zip(&fields) {
            *r = f.as_ref();
        }
        let refs = &refs[..fields.len()];
        let key = header.positions[CODE].map(|i| match &fields[i] {
            Cow::Borrowed(b) => Cow::Borrowed(trim(b)),
            Cow::Owned(o) => Cow::Owned(trim(o).to_owned()),
        });
        if let Some(key) = key.filter(|k| !k.is_empty())
            && !seen.first_time(key.clone())
        {
            errors.push(
                row,
                COLUMNS[CODE],
                &key,
                "codice della pratica ripetuto in questo registro",
            );
        }
        if let Some((code, file)) = read_row(header, catalog, row, refs, errors)
            && errors.is_empty()
        {
            sink(code, file);
        }
    }
    rows
}

/// Reads a CSV register (UTF-8 with or without BOM, `;` or `,` detected from the header), calling
/// `sink` with the code and file of every good row. On any error the rows already handed to
/// `sink` must be dropped by the caller: the result says whether the register is good.
pub fn read_csv(
    bytes: &[u8],
    catalog: &TermCatalog,
    limits: Limits,
    mut sink: impl FnMut(&str, FileRecord),
) -> Result<ReadSummary, RegisterErrors> {
    let layout = csv_layout(bytes)?;
    let body = &bytes[layout.body_start..];
    let mut errors = RegisterErrors::default();
    let mut seen = code_set(body.len() / 40);
    let rows = read_csv_rows(
        &layout,
        body,
        layout.first_row,
        catalog,
        limits.max_rows,
        &mut seen,
        &mut errors,
        &mut sink,
    );
    if errors.is_empty() {
        Ok(ReadSummary { rows })
    } else {
        Err(errors)
    }
}

/// Reads the rows of a spreadsheet's first sheet, one at a time, as they are read from the file:
/// the first non-empty row is the header. Rows are numbered as the spreadsheet shows them.
pub struct SheetRows<'c, F> {
    catalog: &'c TermCatalog,
    limits: Limits,
    sink: F,
    header: Option<(Header, usize)>,
    errors: RegisterErrors,
    seen: HashSet<String>,
    rows: usize,
}

impl<'c, F: FnMut(&str, FileRecord)> SheetRows<'c, F> {
    pub fn new(catalog: &'c TermCatalog, limits: Limits, sink: F) -> Self {
        Self {
            catalog,
            limits,
            sink,
            header: None,
            errors: RegisterErrors::default(),
            seen: HashSet::new(),
            rows: 0,
        }
    }

    /// Reads row `row` (1 is the sheet's first). `false`: stop reading, the register is refused
    /// whatever follows (a bad header, too many rows).
    pub fn push(&mut self, row: usize, cells: &[String]) -> bool {
        if cells.iter().all(|c| c.trim().is_empty()) {
            return true;
        }
        if cells.len() > MAX_COLUMNS {
            self.errors
                .push(row, "riga", "", format!("più di {MAX_COLUMNS} colonne"));
            return false;
        }
        if let Some(i) = cells.iter().position(|c| c.len() > MAX_FIELD_BYTES) {
            self.errors.push(
                row,
                &format!("colonna {}", i + 1),
                "",
                format!("il campo supera {} KB", MAX_FIELD_BYTES / 1024),
            );
            return self.errors.total < MAX_REPORTED_ERRORS;
        }
        let Some((header, width)) = &self.header else {
            // Spreadsheets often carry empty columns after the data: ignore them in the header
            // and rows.
            let width = cells
                .iter()
                .rposition(|c| !c.trim().is_empty())
                .map_or(0, |i| i + 1);
            let names: Vec<&str> = cells[..width].iter().map(String::as_str).collect();
            return match Header::parse(&names) {
                Ok(h) => {
                    self.header = Some((h, width));
                    true
                }
                Err(e) => {
                    self.errors = e;
                    false
                }
            };
        };
        let width = *width;
        self.rows += 1;
        if self.rows > self.limits.max_rows {
            self.errors.push(
                row,
                "riga",
                "",
                format!(
                    "il registro supera {} righe: dividerlo in più file",
                    self.limits.max_rows
                ),
            );
            return false;
        }
        if cells.len() > width && cells[width..].iter().any(|c| !c.trim().is_empty()) {
            self.errors.push(
                row,
                "riga",
                "",
                "valori oltre l'ultima colonna dell'intestazione",
            );
            return true;
        }
        let mut refs: Vec<&str> = cells.iter().take(width).map(String::as_str).collect();
        refs.resize(width, "");
        let key = header.positions[CODE].map_or("", |i| refs[i].trim());
        if !key.is_empty() && !self.seen.insert(key.to_owned()) {
            self.errors.push(
                row,
                COLUMNS[CODE],
                key,
                "codice della pratica ripetuto in questo registro",
            );
        }
        if let Some((code, file)) = read_row(header, self.catalog, row, &refs, &mut self.errors)
            && self.errors.is_empty()
        {
            (self.sink)(code, file);
        }
        true
    }

    /// The outcome: the rows read, or every problem found.
    pub fn finish(self) -> Result<ReadSummary, RegisterErrors> {
        if !self.errors.is_empty() {
            return Err(self.errors);
        }
        if self.header.is_none() {
            return Err(RegisterErrors::single(
                1,
                "intestazione",
                "",
                "il foglio è vuoto: la prima riga deve contenere le intestazioni",
            ));
        }
        Ok(ReadSummary { rows: self.rows })
    }
}

/// Reads rows of text fields (a spreadsheet's first sheet): the first non-empty row is the header.
pub fn read_rows(
    rows_in: impl IntoIterator<Item = Vec<String>>,
    catalog: &TermCatalog,
    limits: Limits,
    sink: impl FnMut(&str, FileRecord),
) -> Result<ReadSummary, RegisterErrors> {
    let mut sheet = SheetRows::new(catalog, limits, sink);
    for (index, r) in rows_in.into_iter().enumerate() {
        if !sheet.push(index + 1, &r) {
            break;
        }
    }
    sheet.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monitoring::date_of_day;

    fn catalog() -> TermCatalog {
        TermCatalog::new([("PDC", 60), ("SCIA", 30)])
    }

    fn read(text: &str) -> Result<Vec<(String, FileRecord)>, RegisterErrors> {
        let mut out = Vec::new();
        read_csv(text.as_bytes(), &catalog(), Limits::default(), |c, f| {
            out.push((c.to_owned(), f))
        })?;
        Ok(out)
    }

    #[test]
    fn the_fast_trim_is_str_trim() {
        for s in [
            "",
            " ",
            "PDC",
            " PDC ",
            "\u{a0}PDC",
            "PDC\u{a0}",
            "\u{b}x",
            "x\u{b}",
            "\u{1c}x\u{1f}",
            "\u{3000}x",
            "x\u{2028}",
            "\tx\r",
            "é",
            " è ",
            "a b",
        ] {
            assert_eq!(trim(s), s.trim(), "{s:?}");
        }
    }

    #[test]
    fn repeated_hashes_are_found_within_and_across_lists() {
        let hasher = foldhash::quality::RandomState::default();
        let mut a = CodeHashes::new(hasher.clone(), 4);
        let mut b = CodeHashes::new(hasher.clone(), 4);
        for c in ["P1", "P2", "P3"] {
            a.first_time(Cow::Borrowed(c));
        }
        for c in ["Q1", "P2"] {
            b.first_time(Cow::Borrowed(c));
        }
        let (a, b) = (a.sorted().unwrap(), b.sorted().unwrap());
        assert!(share_any(&a, &b));
        let mut c = CodeHashes::new(hasher.clone(), 4);
        c.first_time(Cow::Borrowed("Q9"));
        assert!(!share_any(&a, &c.sorted().unwrap()));
        let mut twice = CodeHashes::new(hasher, 4);
        twice.first_time(Cow::Borrowed("P1"));
        twice.first_time(Cow::Borrowed("P1"));
        assert!(twice.sorted().is_none());
    }

    #[test]
    fn dates_in_both_formats() {
        let iso = parse_date("2022-06-30").unwrap();
        assert_eq!(Some(iso), parse_date("30/06/2022"));
        assert_eq!(Some(iso), parse_date("30/6/2022"));
        assert_eq!(date_of_day(iso).to_string(), "2022-06-30");
        assert_eq!(
            parse_date("2024-02-29")
                .map(date_of_day)
                .unwrap()
                .to_string(),
            "2024-02-29"
        );
        for bad in [
            "2023-02-29",
            "31/04/2022",
            "2022-13-01",
            "2022/01/01",
            "1/1/22",
            "",
            "ieri",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn semicolon_bom_and_defaults() {
        let files = read(
            "\u{feff}codice_pratica;procedimento;data_avvio;termine_giorni;data_conclusione;data_silenzio_assenso;conferenza_servizi;giorni_sospensione\r\n\
             A1;PDC;2022-01-10;;2022-03-01;;Sì;\r\n\
             A2;scia;10/01/2022;45;;;no;5\r\n\
             \r\n",
        )
        .unwrap();
        assert_eq!(files.len(), 2);
        let (code, a1) = &files[0];
        assert_eq!(code, "A1");
        assert_eq!(a1.term_days, 60, "the catalog's term when empty");
        assert!(a1.conference);
        assert_eq!(a1.suspension_days, 0);
        assert_eq!(a1.decision, parse_date("2022-03-01"));
        let (_, a2) = &files[1];
        assert_eq!(a2.procedure, 1, "procedure codes ignore case");
        assert_eq!(
            (a2.term_days, a2.suspension_days, a2.conference),
            (45, 5, false)
        );
    }

    #[test]
    fn comma_quotes_any_column_order_and_missing_optional_columns() {
        let files = read(
            "procedimento,data_avvio,codice_pratica,conferenza_servizi\n\
             PDC,2022-01-10,\"B,1\",X\n\
             PDC,2022-01-11,\"say \"\"hi\"\"\",true\n",
        )
        .unwrap();
        assert_eq!(files[0].0, "B,1");
        assert!(files[0].1.conference);
        assert_eq!(files[1].0, "say \"hi\"");
    }

    #[test]
    fn flags() {
        for (t, v) in [
            ("sì", true),
            ("SÌ", true),
            ("si", true),
            ("SI", true),
            ("true", true),
            ("1", true),
            ("x", true),
            ("no", false),
            ("NO", false),
            ("false", false),
            ("0", false),
            ("", false),
        ] {
            assert_eq!(parse_flag(t), Some(v), "{t}");
        }
        assert_eq!(parse_flag("forse"), None);
    }

    #[test]
    fn every_bad_row_is_reported_with_row_column_value_and_reason() {
        let err = read(
            "codice_pratica;procedimento;data_avvio;termine_giorni;data_conclusione;data_silenzio_assenso;conferenza_servizi;giorni_sospensione\n\
             A1;PDC;2022-01-10;;2022-01-09;;;\n\
             A2;PDC;2022-01-10;;2022-02-01;2022-02-01;;\n\
             A3;PDC;2022-01-10;;;;;-3\n\
             A4;XYZ;2022-31-01;0;;;forse;\n\
             A1;PDC;2022-01-10;;;;;\n\
             A6;PDC;2022-01-10\n",
        )
        .unwrap_err();
        let found: Vec<(usize, &str)> = err
            .errors
            .iter()
            .map(|e| (e.row, e.column.as_str()))
            .collect();
        assert_eq!(
            found,
            vec![
                (2, "data_conclusione"),
                (3, "data_silenzio_assenso"),
                (4, "giorni_sospensione"),
                (5, "procedimento"),
                (5, "data_avvio"),
                (5, "termine_giorni"),
                (5, "conferenza_servizi"),
                (6, "codice_pratica"),
                (7, "riga"),
            ]
        );
        assert_eq!(err.total, 9);
        assert_eq!(err.errors[0].value, "2022-01-09");
        assert!(
            err.errors[0].reason.contains("precede"),
            "{}",
            err.errors[0].reason
        );
        assert_eq!(err.errors[4].value, "2022-31-01");
        assert!(err.errors[2].reason.contains("negativ"));
    }

    #[test]
    fn a_missing_required_column_is_an_error_of_the_header() {
        let err = read("codice_pratica;data_avvio\nA;2022-01-01\n").unwrap_err();
        assert_eq!(err.errors.len(), 1);
        assert_eq!(
            (err.errors[0].row, err.errors[0].column.as_str()),
            (1, "procedimento")
        );
    }

    #[test]
    fn too_many_rows() {
        let mut text = String::from("codice_pratica;procedimento;data_avvio\n");
        for i in 0..5 {
            text.push_str(&format!("C{i};PDC;2022-01-01\n"));
        }
        let err = read_csv(
            text.as_bytes(),
            &catalog(),
            Limits { max_rows: 3 },
            |_, _| {},
        )
        .unwrap_err();
        assert_eq!(err.errors[0].row, 5);
        assert!(err.errors[0].reason.contains("3 righe"));
    }

    #[test]
    fn errors_are_capped_but_counted() {
        let mut text = String::from("codice_pratica;procedimento;data_avvio\n");
        for i in 0..1500 {
            text.push_str(&format!("C{i};PDC;ieri\n"));
        }
        let err = read(&text).unwrap_err();
        assert_eq!(err.errors.len(), MAX_REPORTED_ERRORS);
        assert_eq!(err.total, 1500);
    }

    #[test]
    fn long_lines_long_fields_wide_headers_and_utf16_are_refused() {
        let head = "codice_pratica;procedimento;data_avvio\n";
        let long = "x".repeat(MAX_FIELD_BYTES + 1);
        let err = read(&format!("{head}{long};PDC;2023-01-10\n")).unwrap_err();
        assert_eq!(
            (err.errors[0].row, err.errors[0].column.as_str()),
            (2, "codice_pratica")
        );
        let line = format!("A;PDC;2023-01-10;{}\n", "y".repeat(MAX_LINE_BYTES));
        let err = read(&format!("{head}{line}")).unwrap_err();
        assert!(err.errors[0].reason.contains("KB"), "{:?}", err.errors[0]);
        let wide: Vec<String> = (0..=MAX_COLUMNS).map(|i| format!("c{i}")).collect();
        let err = read(&format!(
            "codice_pratica;procedimento;data_avvio;{}\n",
            wide.join(";")
        ))
        .unwrap_err();
        assert_eq!(err.errors[0].row, 1);
        let mut utf16 = vec![0xFF, 0xFE];
        for u in head.encode_utf16() {
            utf16.extend(u.to_le_bytes());
        }
        let err = read_csv(&utf16, &catalog(), Limits::default(), |_, _| {}).unwrap_err();
        assert!(err.errors[0].reason.contains("UTF-16"));
        let catalog = catalog();
        let mut sheet = SheetRows::new(&catalog, Limits::default(), |_, _| {});
        assert!(sheet.push(
            1,
            &[
                "codice_pratica".into(),
                "procedimento".into(),
                "data_avvio".into()
            ]
        ));
        sheet.push(2, &[long.clone(), "PDC".into(), "2023-01-10".into()]);
        assert_eq!(sheet.finish().unwrap_err().errors[0].row, 2);
    }

    /// Random bytes and mutations of a good register through the CSV reader and the parsers of
    /// dates, semesters, ISTAT codes and e-mails: answers, never a panic (the same targets run
    /// under libFuzzer in `fuzz/`, `just fuzz`).
    #[test]
    fn random_input_never_panics() {
        let good = "codice_pratica;procedimento;data_avvio;termine_giorni;data_conclusione;data_silenzio_assenso;conferenza_servizi;giorni_sospensione\nA1;PDC;2022-01-10;;2022-03-01;;sì;\n\"B;1\";SCIA;10/01/2022;45;;;no;5\n";
        let alphabet = b";,\"\n\r0123456789-/SsPDC@.\xC3\xAC \t=";
        let mut state: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for i in 0..5000 {
            let mut bytes: Vec<u8> = if i % 2 == 0 {
                good.as_bytes().to_vec()
            } else {
                (0..(next() % 64))
                    .map(|_| alphabet[(next() as usize) % alphabet.len()])
                    .collect()
            };
            if !bytes.is_empty() {
                for _ in 0..(1 + next() % 6) {
                    let at = (next() as usize) % bytes.len();
                    bytes[at] = if next() % 2 == 0 {
                        alphabet[(next() as usize) % alphabet.len()]
                    } else {
                        next() as u8
                    };
                }
            }
            let mut files = 0;
            if let Ok(summary) = read_csv(&bytes, &catalog(), Limits { max_rows: 100 }, |_, _| {
                files += 1
            }) {
                assert_eq!(summary.rows, files);
            }
            let text = String::from_utf8_lossy(&bytes);
            for piece in text.split(['\n', ';']) {
                let _ = parse_date(piece);
                if let Ok(p) = crate::Period::parse(piece) {
                    assert_eq!(crate::Period::parse(&p.to_string()), Ok(p));
                }
                let _ = crate::IstatCode::parse(piece);
                if let Ok(e) = crate::Email::parse(piece) {
                    assert_eq!(crate::Email::parse(e.as_str()).as_ref(), Ok(&e));
                }
            }
        }
    }

    #[test]
    fn spreadsheet_rows_share_the_rules() {
        let rows = vec![
            vec![
                "codice_pratica".into(),
                "procedimento".into(),
                "data_avvio".into(),
                "".into(),
            ],
            vec!["X1".into(), "PDC".into(), "2022-05-01".into(), "".into()],
            vec!["X2".into(), "PDC".into(), "nope".into(), "".into()],
        ];
        let err = read_rows(rows, &catalog(), Limits::default(), |_, _| {}).unwrap_err();
        assert_eq!(
            (err.errors[0].row, err.errors[0].column.as_str()),
            (3, "data_avvio")
        );
    }
}
