//! Safety checks of ZIP containers (XLSX, DOCX, ODS, ODT) before anything parses them: how many
//! entries, how many bytes they really inflate to (counted while inflating, never trusting the
//! sizes the archive declares), how long one run of XML text or one tag may be, no DTD (so no
//! entity expansion — billion laughs — and no external entity — XXE), and a time budget.

use std::io::Read;
use std::time::Instant;

/// The bounds of one container check.
#[derive(Debug, Clone, Copy)]
pub struct ZipLimits {
    /// Entries in the archive (read from its end record before the directory is parsed).
    pub max_entries: usize,
    /// Bytes of all entries once inflated.
    pub max_inflated: u64,
    /// Bytes of one entry once inflated, except worksheets (`xl/worksheets/…`), which are streamed.
    pub max_part: u64,
    /// Bytes of one run of XML between two `<`/`>` (one text node, one tag).
    pub max_xml_run: usize,
    /// When the check gives up.
    pub deadline: Instant,
}

/// Why a container was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ZipProblem {
    /// Not a ZIP archive the server can read (damaged, encrypted, unknown compression).
    Unreadable(String),
    TooManyEntries(usize),
    /// Inflates to more than the limit (a decompression bomb).
    Inflated(u64),
    /// One part inflates to more than the limit.
    Part(String, u64),
    /// One text or tag of the XML is longer than the limit.
    XmlRun(String, usize),
    /// The XML declares a DTD (entities: billion laughs, external entities).
    Dtd(String),
    /// Checking took longer than the budget.
    Timeout,
}

impl std::fmt::Display for ZipProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        const MB: u64 = 1024 * 1024;
        match self {
            Self::Unreadable(why) => write!(f, "archivio non leggibile ({why})"),
            Self::TooManyEntries(max) => write!(f, "l'archivio contiene più di {max} elementi"),
            Self::Inflated(max) => write!(
                f,
                "il contenuto decompresso supera {} MB (file compresso in modo anomalo)",
                max / MB
            ),
            Self::Part(name, max) => {
                write!(f, "la parte «{name}» decompressa supera {} MB", max / MB)
            }
            Self::XmlRun(name, max) => write!(
                f,
                "la parte «{name}» contiene un testo o un elemento più lungo di {} KB",
                max / 1024
            ),
            Self::Dtd(name) => write!(
                f,
                "la parte «{name}» dichiara una DTD (entità XML non ammesse)"
            ),
            Self::Timeout => write!(f, "la lettura ha superato il tempo massimo"),
        }
    }
}

/// How many entries the archive's end record declares, without parsing its directory: `None`
/// when there is no end record.
fn declared_entries(bytes: &[u8]) -> Option<usize> {
    // The end record is 22 bytes plus a comment of at most 65,535.
    let from = bytes.len().saturating_sub(22 + 65_535);
    let tail = &bytes[from..];
    let at = tail.windows(4).rposition(|w| w == b"PK\x05\x06")?;
    let record = tail.get(at..at + 22)?;
    let on_disk = u16::from_le_bytes([record[8], record[9]]);
    let total = u16::from_le_bytes([record[10], record[11]]);
    Some(usize::from(on_disk.max(total)))
}

fn is_xml(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.ends_with(".xml") || lower.ends_with(".rels") || lower.ends_with(".vml")
}

fn is_worksheet(name: &str) -> bool {
    name.starts_with("xl/worksheets/") && name.ends_with(".xml")
}

/// The state of the XML scan across the chunks of one entry.
struct XmlScan {
    run: usize,
    /// 0: nothing; 1: after `<`; 2: after `<!`.
    markup: u8,
}

impl XmlScan {
    /// Scans one chunk; `Err` with the kind of problem.
    fn feed(&mut self, chunk: &[u8], max_run: usize) -> Result<(), bool> {
        for &b in chunk {
            match (self.markup, b) {
                (2, b'-' | b'[') => self.markup = 0,
                // `<!DOCTYPE`, `<!ENTITY`, …: a DTD.
                (2, _) => return Err(true),
                (1, b'!') => self.markup = 2,
                _ => self.markup = 0,
            }
            if b == b'<' || b == b'>' {
                self.run = 0;
                if b == b'<' {
                    self.markup = 1;
                }
            } else {
                self.run += 1;
                if self.run > max_run {
                    return Err(false);
                }
            }
        }
        Ok(())
    }
}

/// Checks a ZIP container against `limits`, inflating every entry once (in 64 KB chunks).
pub fn inspect(bytes: &[u8], limits: &ZipLimits) -> Result<(), ZipProblem> {
    let declared = declared_entries(bytes)
        .ok_or_else(|| ZipProblem::Unreadable("manca l'indice dell'archivio".into()))?;
    if declared > limits.max_entries {
        return Err(ZipProblem::TooManyEntries(limits.max_entries));
    }
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| ZipProblem::Unreadable(e.to_string()))?;
    if archive.len() > limits.max_entries {
        return Err(ZipProblem::TooManyEntries(limits.max_entries));
    }
    let mut total: u64 = 0;
    let mut buf = vec![0u8; 64 * 1024];
    for i in 0..archive.len() {
        let mut entry = archive
            .by_index(i)
            .map_err(|e| ZipProblem::Unreadable(e.to_string()))?;
        if entry.is_dir() {
            continue;
        }
        let name: String = String::from_utf8_lossy(entry.name_raw())
            .chars()
            .take(100)
            .collect();
        let xml = is_xml(&name);
        let bounded = !is_worksheet(&name);
        let mut scan = XmlScan { run: 0, markup: 0 };
        let mut part: u64 = 0;
        loop {
            let n = entry
                .read(&mut buf)
                .map_err(|e| ZipProblem::Unreadable(e.to_string()))?;
            if n == 0 {
                break;
            }
            part += n as u64;
            total += n as u64;
            if total > limits.max_inflated {
                return Err(ZipProblem::Inflated(limits.max_inflated));
            }
            if bounded && part > limits.max_part {
                return Err(ZipProblem::Part(name, limits.max_part));
            }
            if xml {
                scan.feed(&buf[..n], limits.max_xml_run).map_err(|dtd| {
                    if dtd {
                        ZipProblem::Dtd(name.clone())
                    } else {
                        ZipProblem::XmlRun(name.clone(), limits.max_xml_run)
                    }
                })?;
            }
            if Instant::now() > limits.deadline {
                return Err(ZipProblem::Timeout);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::time::Duration;

    fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut out = std::io::Cursor::new(Vec::new());
        {
            let mut w = zip::ZipWriter::new(&mut out);
            let opts = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated);
            for (name, data) in entries {
                w.start_file(*name, opts).unwrap();
                w.write_all(data).unwrap();
            }
            w.finish().unwrap();
        }
        out.into_inner()
    }

    fn limits() -> ZipLimits {
        ZipLimits {
            max_entries: 10,
            max_inflated: 1 << 20,
            max_part: 256 * 1024,
            max_xml_run: 1024,
            deadline: Instant::now() + Duration::from_secs(30),
        }
    }

    #[test]
    fn a_plain_workbook_passes() {
        let z = zip_of(&[
            ("[Content_Types].xml", b"<?xml version=\"1.0\"?><Types/>"),
            (
                "xl/worksheets/sheet1.xml",
                b"<worksheet><sheetData/></worksheet>",
            ),
            ("xl/media/image1.png", &[0u8; 5000]),
        ]);
        assert_eq!(inspect(&z, &limits()), Ok(()));
    }

    #[test]
    fn bombs_dtds_and_long_runs_are_refused() {
        let big = vec![b'a'; 2 << 20];
        let z = zip_of(&[("xl/worksheets/sheet1.xml", &big)]);
        assert_eq!(
            inspect(&z, &limits()),
            Err(ZipProblem::XmlRun("xl/worksheets/sheet1.xml".into(), 1024))
        );
        let part = &big[..250 * 1024];
        let z = zip_of(&[
            ("xl/media/1.bin", part),
            ("xl/media/2.bin", part),
            ("xl/media/3.bin", part),
            ("xl/media/4.bin", part),
            ("xl/media/5.bin", part),
        ]);
        assert_eq!(inspect(&z, &limits()), Err(ZipProblem::Inflated(1 << 20)));
        let strings = "<si><t>x</t></si>".repeat(20_000);
        let z = zip_of(&[("xl/sharedStrings.xml", strings.as_bytes())]);
        assert!(matches!(inspect(&z, &limits()), Err(ZipProblem::Part(..))));
        let lol = b"<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">]><sst/>";
        let z = zip_of(&[("xl/sharedStrings.xml", lol)]);
        assert_eq!(
            inspect(&z, &limits()),
            Err(ZipProblem::Dtd("xl/sharedStrings.xml".into()))
        );
        let fine = b"<a><!-- note --><![CDATA[x]]></a>";
        assert_eq!(inspect(&zip_of(&[("a.xml", fine)]), &limits()), Ok(()));
        let many: Vec<(String, Vec<u8>)> = (0..11).map(|i| (format!("{i}.txt"), vec![])).collect();
        let refs: Vec<(&str, &[u8])> = many
            .iter()
            .map(|(n, d)| (n.as_str(), d.as_slice()))
            .collect();
        assert_eq!(
            inspect(&zip_of(&refs), &limits()),
            Err(ZipProblem::TooManyEntries(10))
        );
        assert!(matches!(
            inspect(b"PK\x03\x04 not really", &limits()),
            Err(ZipProblem::Unreadable(_))
        ));
    }
}
