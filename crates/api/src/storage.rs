//! What uploads are: the kinds of file Affianca accepts, recognised by their content, never by
//! name, and the checks an upload passes before it is kept (its name's extension, the structure of
//! PDFs, the containers of Office and OpenDocument files). Where they are kept is
//! `crate::file_store` ([`Storage`], re-exported here).

pub use crate::file_store::{Blob, Storage};

use crate::error::ApiError;
use actix_web::http::StatusCode;
use actix_web::web;
use std::path::Path;
/// The kinds of file Affianca accepts, recognised by their content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Pdf,
    Png,
    Jpeg,
    /// Word (docx).
    Docx,
    /// Excel (xlsx).
    Xlsx,
    /// OpenDocument text (odt).
    Odt,
    /// OpenDocument spreadsheet (ods).
    Ods,
    /// Word 97–2003 (doc).
    Doc,
    /// Excel 97–2003 (xls).
    Xls,
}

/// How many first bytes [`FileKind::sniff`] looks at.
pub const SNIFF_BYTES: usize = 64 * 1024;

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

impl FileKind {
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Pdf => "application/pdf",
            Self::Png => "image/png",
            Self::Jpeg => "image/jpeg",
            Self::Docx => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            Self::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Self::Odt => "application/vnd.oasis.opendocument.text",
            Self::Ods => "application/vnd.oasis.opendocument.spreadsheet",
            Self::Doc => "application/msword",
            Self::Xls => "application/vnd.ms-excel",
        }
    }

    /// Recognises a file by its first bytes (up to [`SNIFF_BYTES`]); `name` only tells apart the
    /// two old Office formats, which share one container.
    pub fn sniff_named(head: &[u8], name: &str) -> Option<Self> {
        if head.starts_with(b"%PDF-") {
            return Some(Self::Pdf);
        }
        if head.starts_with(b"\x89PNG\r\n\x1a\n") {
            return Some(Self::Png);
        }
        if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
            return Some(Self::Jpeg);
        }
        if head.starts_with(b"PK\x03\x04") {
            // OpenDocument: the first entry is `mimetype`, stored, with the type as its content.
            if head.get(30..38) == Some(b"mimetype".as_slice()) {
                let rest = &head[38..head.len().min(120)];
                if contains(rest, b"application/vnd.oasis.opendocument.text") {
                    return Some(Self::Odt);
                }
                if contains(rest, b"application/vnd.oasis.opendocument.spreadsheet") {
                    return Some(Self::Ods);
                }
                return None;
            }
            // Office Open XML: the parts' names tell the application.
            if contains(head, b"[Content_Types].xml") || contains(head, b"_rels/") {
                if contains(head, b"word/") {
                    return Some(Self::Docx);
                }
                if contains(head, b"xl/") {
                    return Some(Self::Xlsx);
                }
            }
            return None;
        }
        if head.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
            let lower = name.to_ascii_lowercase();
            if lower.ends_with(".doc") {
                return Some(Self::Doc);
            }
            if lower.ends_with(".xls") {
                return Some(Self::Xls);
            }
        }
        None
    }

    /// Recognises a PDF (the only kind whose name does not matter).
    pub fn sniff(head: &[u8]) -> Option<Self> {
        Self::sniff_named(head, "")
    }
}

/// Bytes the parts of an uploaded Office or OpenDocument file may inflate to (10× the largest
/// attachment).
pub const MAX_INFLATED_UPLOAD: u64 = 200 * 1024 * 1024;
/// Entries of an uploaded Office or OpenDocument file.
pub const MAX_UPLOAD_ZIP_ENTRIES: usize = 10_000;
/// Bytes of one run of XML (one text, one tag) in an uploaded Office or OpenDocument file.
pub const MAX_UPLOAD_XML_RUN: usize = 8 * 1024 * 1024;
/// Cells in the used range of one sheet of an uploaded spreadsheet (XLSX).
pub const MAX_UPLOAD_SHEET_CELLS: u64 = 10_000_000;
/// Characters of one cell: Excel's own limit.
pub const MAX_EXCEL_CELL_CHARS: usize = 32_767;
/// How long checking one upload may take.
pub const UPLOAD_CHECK_BUDGET: std::time::Duration = std::time::Duration::from_secs(30);

impl FileKind {
    /// The extensions a file of this kind may have in its name.
    pub fn extensions(self) -> &'static [&'static str] {
        match self {
            Self::Pdf => &["pdf"],
            Self::Png => &["png"],
            Self::Jpeg => &["jpg", "jpeg"],
            Self::Docx => &["docx"],
            Self::Xlsx => &["xlsx"],
            Self::Odt => &["odt"],
            Self::Ods => &["ods"],
            Self::Doc => &["doc"],
            Self::Xls => &["xls"],
        }
    }

    /// The name people know the kind by.
    pub fn label(self) -> &'static str {
        match self {
            Self::Pdf => "PDF",
            Self::Png => "immagine PNG",
            Self::Jpeg => "immagine JPEG",
            Self::Docx => "documento Word (.docx)",
            Self::Xlsx => "foglio Excel (.xlsx)",
            Self::Odt => "documento OpenDocument (.odt)",
            Self::Ods => "foglio OpenDocument (.ods)",
            Self::Doc => "documento Word 97–2003 (.doc)",
            Self::Xls => "foglio Excel 97–2003 (.xls)",
        }
    }
}

fn unsupported(detail: String) -> ApiError {
    ApiError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        "Formato non supportato",
    )
    .detail(detail)
}

/// The name's extension must agree with the kind found in the content (`evil.html` holding a PDF
/// is refused); a name without an extension is taken as it is. The extension is what follows the
/// last dot, unless it is all digits or holds a space (`Relazione v1.2` and `Verbale 3.5 finale`
/// have none); anything else (`.html`, `.pdf.exe`, `.html` followed by an invisible character)
/// must be one of the kind's.
pub fn check_name(kind: FileKind, name: &str) -> Result<(), ApiError> {
    let Some((_, ext)) = name.trim_end().rsplit_once('.') else {
        return Ok(());
    };
    if ext.is_empty()
        || ext.bytes().all(|b| b.is_ascii_digit())
        || ext.contains(char::is_whitespace)
    {
        return Ok(());
    }
    let ext = ext.to_lowercase();
    if kind.extensions().contains(&ext.as_str()) {
        return Ok(());
    }
    let shown: String = ext.chars().take(20).collect();
    Err(unsupported(format!(
        "Il nome del file finisce in «.{shown}» ma il contenuto è un {}: rinominarlo con \
         l'estensione giusta (.{}).",
        kind.label(),
        kind.extensions()[0]
    )))
}

fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).rposition(|w| w == needle)
}

/// Checks a PDF beyond its first bytes: `%%EOF` in its last KB, a `startxref` before it whose
/// offset is inside the file, and there a cross-reference table (`xref` and a subsection
/// `first count`) or a cross-reference stream (`n g obj`).
pub fn check_pdf(b: &[u8]) -> Result<(), &'static str> {
    let tail_start = b.len().saturating_sub(1024);
    let eof = rfind(&b[tail_start..], b"%%EOF").ok_or("manca il marcatore finale %%EOF")?;
    let before_eof = &b[..tail_start + eof];
    let from = before_eof.len().saturating_sub(4096);
    let sx = rfind(&before_eof[from..], b"startxref").ok_or("manca «startxref»")? + from;
    let digits: Vec<u8> = before_eof[sx + 9..]
        .iter()
        .skip_while(|c| c.is_ascii_whitespace())
        .take_while(|c| c.is_ascii_digit())
        .copied()
        .take(20)
        .collect();
    let offset: usize = std::str::from_utf8(&digits)
        .ok()
        .and_then(|d| d.parse().ok())
        .filter(|o| *o < sx)
        .ok_or("la posizione indicata da «startxref» non è valida")?;
    let at: &[u8] = &b[offset..];
    let at = &at[at
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(at.len())..];
    let mut words = at
        .split(|c| c.is_ascii_whitespace())
        .filter(|w| !w.is_empty())
        .take(3);
    let number = |w: Option<&[u8]>| w.is_some_and(|w| w.iter().all(u8::is_ascii_digit));
    let first = words.next();
    let ok = if first == Some(b"xref".as_slice()) {
        number(words.next()) && number(words.next())
    } else {
        let second = words.next();
        let third = words.next();
        number(first) && number(second) && third.is_some_and(|w| w.starts_with(b"obj"))
    };
    if ok {
        Ok(())
    } else {
        Err("la tabella dei riferimenti (xref) non è dove «startxref» indica")
    }
}

/// Checks the used range of every sheet of an XLSX file (declared and actual) against
/// [`MAX_UPLOAD_SHEET_CELLS`], reading the cells as a stream.
fn check_sheet_extent(bytes: &[u8], deadline: std::time::Instant) -> Result<(), String> {
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> =
        calamine::Xlsx::new(std::io::Cursor::new(bytes)).map_err(|e| e.to_string())?;
    // Excel's grid: 1,048,576 rows and 16,384 columns (A1:XFD1048576).
    let too_big = |end: (u32, u32)| {
        end.0 >= 1_048_576
            || end.1 >= 16_384
            || (u64::from(end.0) + 1) * (u64::from(end.1) + 1) > MAX_UPLOAD_SHEET_CELLS
    };
    let refuse = |end: (u32, u32)| {
        format!(
            "il foglio arriva alla cella {}: oltre la griglia di Excel o più di {} milioni di celle",
            crate::register::cell_name(end.0, end.1),
            MAX_UPLOAD_SHEET_CELLS / 1_000_000
        )
    };
    for name in book.sheet_names() {
        let mut cells = book
            .worksheet_cells_reader(&name)
            .map_err(|e| e.to_string())?;
        if too_big(cells.dimensions().end) {
            return Err(refuse(cells.dimensions().end));
        }
        let mut end = (0u32, 0u32);
        let mut seen = 0u64;
        while let Some(cell) = cells.next_cell().map_err(|e| e.to_string())? {
            seen += 1;
            if seen.is_multiple_of(4096) && std::time::Instant::now() > deadline {
                return Err("il controllo ha superato il tempo massimo".into());
            }
            let long = match cell.get_value() {
                calamine::DataRef::Empty => continue,
                calamine::DataRef::String(t) => t.chars().count() > MAX_EXCEL_CELL_CHARS,
                calamine::DataRef::SharedString(t) => t.chars().count() > MAX_EXCEL_CELL_CHARS,
                _ => false,
            };
            let (r, c) = cell.get_position();
            if long {
                return Err(format!(
                    "la cella {} supera i {MAX_EXCEL_CELL_CHARS} caratteri che Excel ammette",
                    crate::register::cell_name(r, c)
                ));
            }
            end = (end.0.max(r), end.1.max(c));
            if too_big(end) {
                return Err(refuse(end));
            }
        }
    }
    Ok(())
}

/// Checks an upload's content beyond its first bytes: a PDF's structure ([`check_pdf`]); an
/// Office or OpenDocument file's container ([`crate::container`]) and, for a spreadsheet, the
/// extent of its sheets. `Err` says why, in Italian.
pub fn check_content(kind: FileKind, bytes: &[u8]) -> Result<(), String> {
    let deadline = std::time::Instant::now() + UPLOAD_CHECK_BUDGET;
    match kind {
        FileKind::Pdf => check_pdf(bytes).map_err(str::to_owned),
        FileKind::Docx | FileKind::Xlsx | FileKind::Odt | FileKind::Ods => {
            crate::container::inspect(
                bytes,
                &crate::container::ZipLimits {
                    max_entries: MAX_UPLOAD_ZIP_ENTRIES,
                    max_inflated: MAX_INFLATED_UPLOAD,
                    max_part: MAX_INFLATED_UPLOAD,
                    max_xml_run: MAX_UPLOAD_XML_RUN,
                    deadline,
                },
            )
            .map_err(|p| p.to_string())?;
            if kind == FileKind::Xlsx {
                // The parser may panic on hostile input: that refuses the file.
                std::panic::catch_unwind(|| check_sheet_extent(bytes, deadline))
                    .unwrap_or_else(|_| Err("struttura del foglio non valida".into()))?;
            }
            Ok(())
        }
        FileKind::Png | FileKind::Jpeg | FileKind::Doc | FileKind::Xls => Ok(()),
    }
}

/// The checks of a received file kept at `tmp` before it enters the store: its name against its
/// kind ([`check_name`]), then its content ([`check_content`], on a blocking thread).
pub(crate) async fn inspect_upload(tmp: &Path, blob: &Blob, name: &str) -> Result<(), ApiError> {
    let Some(kind) = blob.kind else {
        return Ok(());
    };
    check_name(kind, name)?;
    let bytes = tokio::fs::read(tmp).await.map_err(ApiError::internal)?;
    inspect_bytes(kind, bytes).await
}

/// The content checks of [`check_content`] on a blocking thread, as a 415 problem.
pub(crate) async fn inspect_bytes(kind: FileKind, bytes: Vec<u8>) -> Result<(), ApiError> {
    let verdict = web::block(move || check_content(kind, &bytes)).await?;
    verdict.map_err(|why| {
        unsupported(format!(
            "Il file non è un {} valido o è pericoloso da aprire: {why}.",
            kind.label()
        ))
    })
}

/// The `Content-Disposition` of a download (RFC 6266): an ASCII `filename` where quotes,
/// backslashes, control and non-ASCII characters become `_`, and the exact name in
/// `filename*=UTF-8''…` (percent-encoded).
pub fn content_disposition(name: &str) -> actix_web::http::header::HeaderValue {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let ascii = if ascii.trim().is_empty() {
        "file".to_owned()
    } else {
        ascii
    };
    let mut encoded = String::with_capacity(name.len() * 3);
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(char::from(b));
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    actix_web::http::header::HeaderValue::from_str(&format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"
    ))
    .unwrap_or_else(|_| actix_web::http::header::HeaderValue::from_static("attachment"))
}

#[cfg(test)]
mod tests {
    use super::FileKind;

    #[test]
    fn office_and_image_files_are_recognised_by_content() {
        let mut odt = b"PK\x03\x04".to_vec();
        odt.extend([0_u8; 26]);
        odt.extend(b"mimetypeapplication/vnd.oasis.opendocument.spreadsheet");
        assert_eq!(FileKind::sniff_named(&odt, "x"), Some(FileKind::Ods));
        let mut xlsx = b"PK\x03\x04".to_vec();
        xlsx.extend([0_u8; 26]);
        xlsx.extend(b"[Content_Types].xml....xl/workbook.xml");
        assert_eq!(FileKind::sniff_named(&xlsx, "x"), Some(FileKind::Xlsx));
        let ole = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
        assert_eq!(
            FileKind::sniff_named(&ole, "Verbale.XLS"),
            Some(FileKind::Xls)
        );
        assert_eq!(FileKind::sniff_named(&ole, "slide.ppt"), None);
        assert_eq!(
            FileKind::sniff_named(b"\x89PNG\r\n\x1a\n", ""),
            Some(FileKind::Png)
        );
        assert_eq!(FileKind::sniff_named(b"GIF89a", "a.gif"), None);
    }

    #[test]
    fn names_must_agree_with_the_kind() {
        use super::check_name;
        assert!(check_name(FileKind::Pdf, "verbale.PDF").is_ok());
        assert!(check_name(FileKind::Pdf, "senza estensione").is_ok());
        assert!(check_name(FileKind::Jpeg, "foto.jpeg").is_ok());
        assert!(check_name(FileKind::Pdf, "Relazione v1.2").is_ok());
        assert!(check_name(FileKind::Pdf, "Verbale 3.5 finale").is_ok());
        assert!(check_name(FileKind::Pdf, "evil.html").is_err());
        assert!(check_name(FileKind::Pdf, "evil.HTML ").is_err());
        assert!(check_name(FileKind::Pdf, "fattura.pdf.exe").is_err());
        assert!(check_name(FileKind::Pdf, "evil.html\u{200b}").is_err());
        assert!(check_name(FileKind::Xlsx, "foglio.xls").is_err());
    }

    #[test]
    fn pdfs_are_checked_past_their_header() {
        use super::check_pdf;
        let mut pdf = b"%PDF-1.4\n1 0 obj\n<< >>\nendobj\n".to_vec();
        let xref = pdf.len();
        pdf.extend(
            b"xref\n0 2\n0000000000 65535 f \n0000000009 00000 n \ntrailer\n<< /Size 2 >>\n",
        );
        pdf.extend(format!("startxref\n{xref}\n%%EOF\n").as_bytes());
        assert_eq!(check_pdf(&pdf), Ok(()));
        assert!(check_pdf(b"%PDF-1.4\n%%EOF\n").is_err());
        assert!(check_pdf(b"%PDF-1.4\nstartxref\n99999\n%%EOF").is_err());
        assert!(check_pdf(b"%PDF-1.4\nstartxref\n3\n%%EOF").is_err());
        assert!(check_pdf(b"%PDF-1.4\nstartxref\n").is_err());
        let mut padded = pdf.clone();
        padded.extend(vec![b' '; 2000]);
        assert!(check_pdf(&padded).is_err(), "%%EOF must be in the last KB");
    }

    #[test]
    fn downloads_name_files_per_rfc_6266() {
        let h = super::content_disposition("Verbale \"finale\"\\\r\nX: città.pdf");
        assert_eq!(
            h.to_str().unwrap(),
            "attachment; filename=\"Verbale _finale____X: citt_.pdf\"; \
             filename*=UTF-8''Verbale%20%22finale%22%5C%0D%0AX%3A%20citt%C3%A0.pdf"
        );
        assert_eq!(
            super::content_disposition("").to_str().unwrap(),
            "attachment; filename=\"file\"; filename*=UTF-8''"
        );
    }

    #[test]
    fn files_are_recognised_by_content() {
        assert_eq!(FileKind::sniff(b"%PDF-1.7\n..."), Some(FileKind::Pdf));
        assert_eq!(FileKind::sniff(b"PK\x03\x04"), None);
        assert_eq!(FileKind::sniff(b"%PD"), None);
        assert_eq!(FileKind::sniff(b""), None);
    }
}
