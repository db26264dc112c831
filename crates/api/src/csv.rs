//! The CSV files Affianca writes for spreadsheets (Italian Excel): `;` between fields, CRLF line
//! ends, UTF-8 with a byte-order mark so that Excel reads the accents.
//!
//! Every export goes through this writer, which keeps text from becoming a formula (CSV
//! injection): a text cell beginning with `=`, `+`, `-`, `@`, a tab or a carriage return gets a
//! leading `'`, which Excel and LibreOffice show as text. Numeric columns are written with
//! [`Cell::Number`] and stay numbers (`-3`, `-12,5`).

/// The start of every CSV file: the UTF-8 byte-order mark.
pub const BOM: &str = "\u{feff}";

/// One cell of an export, typed by its column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    /// Text: neutralised when it could be read as a formula.
    Text(String),
    /// A number of a numeric column (`-3`, `12,5`), written as it is; a value that is not a
    /// number is treated as text.
    Number(String),
}

/// A text cell.
pub fn text(s: impl Into<String>) -> Cell {
    Cell::Text(s.into())
}

/// A numeric cell (an integer, or a decimal with `,` or `.`; empty when there is no value).
pub fn number(s: impl ToString) -> Cell {
    Cell::Number(s.to_string())
}

/// True when `s` is a plain number: an optional sign, digits, at most one `,` or `.` between
/// digits.
fn is_number(s: &str) -> bool {
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (int, frac) = match digits.split_once([',', '.']) {
        Some((i, f)) => (i, Some(f)),
        None => (digits, None),
    };
    !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()))
}

/// True when a spreadsheet would read the text as a formula.
fn looks_like_formula(s: &str) -> bool {
    s.starts_with(['=', '+', '-', '@', '\t', '\r'])
}

fn quoted(s: &str) -> String {
    if s.contains([';', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// One text field: neutralised when it could be a formula, quoted when it holds a separator, a
/// quote or a line end.
pub fn field(s: &str) -> String {
    if looks_like_formula(s) {
        quoted(&format!("'{s}"))
    } else {
        quoted(s)
    }
}

impl Cell {
    fn write(&self) -> String {
        match self {
            Self::Number(n) if n.is_empty() || is_number(n) => n.clone(),
            Self::Number(s) | Self::Text(s) => field(s),
        }
    }
}

/// One line of text fields, with its CRLF.
pub fn line<S: AsRef<str>>(fields: &[S]) -> String {
    let mut out = fields
        .iter()
        .map(|f| field(f.as_ref()))
        .collect::<Vec<_>>()
        .join(";");
    out.push_str("\r\n");
    out
}

/// One line of typed cells, with its CRLF.
pub fn row(cells: &[Cell]) -> String {
    let mut out = cells.iter().map(Cell::write).collect::<Vec<_>>().join(";");
    out.push_str("\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::{field, line, number, row, text};

    #[test]
    fn fields_are_quoted_only_when_needed() {
        assert_eq!(field("Bergamo"), "Bergamo");
        assert_eq!(field("Sala; piano 1"), "\"Sala; piano 1\"");
        assert_eq!(field("detto \"ok\""), "\"detto \"\"ok\"\"\"");
        assert_eq!(line(&["a", "b;c"]), "a;\"b;c\"\r\n");
    }

    #[test]
    fn text_that_a_spreadsheet_would_run_is_neutralised() {
        for (input, out) in [
            ("=1+1", "'=1+1"),
            ("+39 035 1234", "'+39 035 1234"),
            ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\t=1", "'\t=1"),
            (
                "=HYPERLINK(\"x\";\"y\")",
                "\"'=HYPERLINK(\"\"x\"\";\"\"y\"\")\"",
            ),
            ("\r=1", "\"'\r=1\""),
            ("a=1", "a=1"),
        ] {
            assert_eq!(field(input), out, "{input:?}");
        }
    }

    #[test]
    fn numbers_stay_numbers_by_column_not_by_value() {
        assert_eq!(
            row(&[
                number(-3),
                number("-12,5"),
                number(""),
                text("-3"),
                number("=1")
            ]),
            "-3;-12,5;;'-3;'=1\r\n"
        );
    }
}
