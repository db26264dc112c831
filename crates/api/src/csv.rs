//! The CSV files Affianca writes for spreadsheets (Italian Excel): `;` between fields, CRLF line
//! ends, UTF-8 with a byte-order mark so that Excel reads the accents.

/// The start of every CSV file: the UTF-8 byte-order mark.
pub const BOM: &str = "\u{feff}";

/// One field, quoted when it holds a separator, a quote or a line end.
pub fn field(s: &str) -> String {
    if s.contains([';', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// One line of fields, with its CRLF.
pub fn line<S: AsRef<str>>(fields: &[S]) -> String {
    let mut out = fields
        .iter()
        .map(|f| field(f.as_ref()))
        .collect::<Vec<_>>()
        .join(";");
    out.push_str("\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::{field, line};

    #[test]
    fn fields_are_quoted_only_when_needed() {
        assert_eq!(field("Bergamo"), "Bergamo");
        assert_eq!(field("Sala; piano 1"), "\"Sala; piano 1\"");
        assert_eq!(field("detto \"ok\""), "\"detto \"\"ok\"\"\"");
        assert_eq!(line(&["a", "b;c"]), "a;\"b;c\"\r\n");
    }
}
