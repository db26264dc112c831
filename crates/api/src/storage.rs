//! What uploads are: the kinds of file Affianca accepts, recognised by their content, never by
//! name. Where they are kept is `crate::file_store` ([`Storage`], re-exported here).

pub use crate::file_store::{Blob, Storage};

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
    fn files_are_recognised_by_content() {
        assert_eq!(FileKind::sniff(b"%PDF-1.7\n..."), Some(FileKind::Pdf));
        assert_eq!(FileKind::sniff(b"PK\x03\x04"), None);
        assert_eq!(FileKind::sniff(b"%PD"), None);
        assert_eq!(FileKind::sniff(b""), None);
    }
}
