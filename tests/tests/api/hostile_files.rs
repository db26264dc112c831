//! Hostile files (issue 10): a corpus generated here — the dimension bomb, the decompression
//! bomb, billion laughs and XXE inside XLSX, Latin-1 and UTF-16 CSV, a 5 MB field, 100,000
//! columns, 600,000 rows — uploaded as a register, as a support-request attachment and as a
//! registration protocol. Every answer is a quick 4xx problem, the server keeps answering, and the
//! memory of the process (server and test share it) stays bounded.

use affianca_domain::Role;
use affianca_domain::dto::Registration;
use affianca_tests::files::{sheet_xml, xlsx_with, zip_of};
use affianca_tests::{TestApp, spawn_app};
use reqwest::Method;
use serde_json::{Value, json};
use std::io::Write;
use std::time::{Duration, Instant};

const HEADER: &str = "codice_pratica;procedimento;data_avvio;termine_giorni;data_conclusione;data_silenzio_assenso;conferenza_servizi;giorni_sospensione";

/// A field of `/proc/self/status` in KB (`VmRSS`, `VmHWM`).
fn status_kb(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// A workbook whose only cell is the last of the grid, with the used range declared or not.
fn dimension_bomb(declared: bool) -> Vec<u8> {
    let cells = vec![vec![("XFD1048576".to_owned(), "x".to_owned())]];
    xlsx_with(&sheet_xml(declared.then_some("A1:XFD1048576"), &cells), &[])
}

/// About 1 MB that inflates to a 1 GB cell (or, `small_cells`, to 600 MB of small rows), written
/// in chunks (the test never holds it whole).
fn decompression_bomb(small_cells: bool) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    {
        let mut w = zip::ZipWriter::new(&mut out);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        let plain = xlsx_with(&sheet_xml(None, &[]), &[]);
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(plain)).unwrap();
        for i in 0..archive.len() {
            let entry = archive.by_index(i).unwrap();
            if entry.name_raw() != b"xl/worksheets/sheet1.xml" {
                w.raw_copy_file(entry).unwrap();
            }
        }
        w.start_file("xl/worksheets/sheet1.xml", opts).unwrap();
        w.write_all(br#"<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#).unwrap();
        if small_cells {
            let chunk = b"<row><c><v>1</v></c></row>".repeat(40_000);
            for _ in 0..(600 << 20) / chunk.len() {
                w.write_all(&chunk).unwrap();
            }
        } else {
            w.write_all(br#"<row r="1"><c r="A1" t="inlineStr"><is><t>"#)
                .unwrap();
            let chunk = vec![b'a'; 1 << 20];
            for _ in 0..1024 {
                w.write_all(&chunk).unwrap();
            }
            w.write_all(b"</t></is></c></row>").unwrap();
        }
        w.write_all(b"</sheetData></worksheet>").unwrap();
        w.finish().unwrap();
    }
    out.into_inner()
}

fn billion_laughs() -> Vec<u8> {
    let mut dtd = String::from("<?xml version=\"1.0\"?><!DOCTYPE sst [<!ENTITY lol0 \"lol\">");
    for i in 1..10 {
        let prev = format!("&lol{};", i - 1);
        dtd.push_str(&format!("<!ENTITY lol{i} \"{}\">", prev.repeat(10)));
    }
    dtd.push_str("]><sst xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" count=\"1\" uniqueCount=\"1\"><si><t>&lol9;</t></si></sst>");
    let sheet = br#"<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row></sheetData></worksheet>"#;
    xlsx_with(sheet, &[("xl/sharedStrings.xml", dtd.as_bytes())])
}

fn xxe() -> Vec<u8> {
    let sheet = br#"<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&xxe;</t></is></c></row></sheetData></worksheet>"#;
    xlsx_with(sheet, &[])
}

fn latin1_csv() -> Vec<u8> {
    let mut v = format!("{HEADER}\n").into_bytes();
    v.extend(b"A1;PDC;2023-01-10;;;;s\xEC;\n");
    v
}

fn utf16_csv() -> Vec<u8> {
    let text = format!("{HEADER}\nA1;PDC;2023-01-10;;;;sì;\n");
    let mut v = vec![0xFF, 0xFE];
    for u in text.encode_utf16() {
        v.extend(u.to_le_bytes());
    }
    v
}

fn long_field_csv() -> Vec<u8> {
    format!("{HEADER}\n{};PDC;2023-01-10;;;;;\n", "x".repeat(5 << 20)).into_bytes()
}

fn long_field_xlsx() -> Vec<u8> {
    let cells = vec![
        vec![
            ("A1".to_owned(), "codice_pratica".to_owned()),
            ("B1".to_owned(), "procedimento".to_owned()),
            ("C1".to_owned(), "data_avvio".to_owned()),
        ],
        vec![
            ("A2".to_owned(), "x".repeat(5 << 20)),
            ("B2".to_owned(), "PDC".to_owned()),
            ("C2".to_owned(), "2023-01-10".to_owned()),
        ],
    ];
    xlsx_with(&sheet_xml(None, &cells), &[])
}

fn wide_csv() -> Vec<u8> {
    let mut s = String::from("codice_pratica;procedimento;data_avvio");
    for i in 3..100_000 {
        s.push_str(&format!(";c{i}"));
    }
    s.push_str("\nA1;PDC;2023-01-10\n");
    s.into_bytes()
}

fn wide_xlsx() -> Vec<u8> {
    // Excel's grid ends at column 16,384 (XFD): a cell reference beyond it, and many cells.
    let mut row: Vec<(String, String)> = Vec::new();
    for c in 0..100_000u32 {
        let mut n = c + 1;
        let mut letters = Vec::new();
        while n > 0 {
            letters.push(b'A' + ((n - 1) % 26) as u8);
            n = (n - 1) / 26;
        }
        letters.reverse();
        row.push((
            format!("{}1", String::from_utf8(letters).unwrap()),
            format!("c{c}"),
        ));
    }
    xlsx_with(&sheet_xml(None, &[row]), &[])
}

fn tall_csv() -> Vec<u8> {
    let mut s = format!("{HEADER}\n");
    for i in 0..600_000 {
        s.push_str(&format!("C{i};PDC;2023-01-10;;;;;\n"));
    }
    s.into_bytes()
}

struct Corpus {
    name: &'static str,
    bytes: Vec<u8>,
    /// The name it is uploaded with.
    file_name: &'static str,
}

/// What the register's answer must mention for some files.
fn register_mentions(name: &str) -> Option<&'static str> {
    match name {
        n if n.starts_with("dimension bomb") => Some("XFD1048576"),
        "decompression bomb" => Some("più lungo di 1024 KB"),
        "decompression bomb (small cells)" => Some("decompresso supera 500 MB"),
        "billion laughs" | "XXE" => Some("DTD"),
        "UTF-16 CSV" => Some("UTF-16"),
        "Latin-1 CSV" => Some("UTF-8"),
        "600,000 rows (CSV)" => Some("500000 righe"),
        _ => None,
    }
}

fn corpus() -> Vec<Corpus> {
    let c = |name, file_name, bytes| Corpus {
        name,
        bytes,
        file_name,
    };
    vec![
        c(
            "dimension bomb (declared)",
            "registro.xlsx",
            dimension_bomb(true),
        ),
        c(
            "dimension bomb (one cell)",
            "registro.xlsx",
            dimension_bomb(false),
        ),
        c(
            "decompression bomb",
            "registro.xlsx",
            decompression_bomb(false),
        ),
        c(
            "decompression bomb (small cells)",
            "registro.xlsx",
            decompression_bomb(true),
        ),
        c("billion laughs", "registro.xlsx", billion_laughs()),
        c("XXE", "registro.xlsx", xxe()),
        c("Latin-1 CSV", "registro.csv", latin1_csv()),
        c("UTF-16 CSV", "registro.csv", utf16_csv()),
        c("5 MB field (CSV)", "registro.csv", long_field_csv()),
        c("5 MB field (XLSX)", "registro.xlsx", long_field_xlsx()),
        c("100,000 columns (CSV)", "registro.csv", wide_csv()),
        c("100,000 columns (XLSX)", "registro.xlsx", wide_xlsx()),
        c("600,000 rows (CSV)", "registro.csv", tall_csv()),
        c(
            "an archive that is no workbook",
            "registro.xlsx",
            zip_of(&[("a.txt", b"ciao")]),
        ),
    ]
}

async fn support_request(app: &TestApp, rep: &str) -> i64 {
    let res = app
        .post_json(
            "/api/v1/support-requests",
            Some(rep),
            &json!({"istat_code": "016024", "procedure": "PDC", "subject": "File ostili",
                    "description": "Prova", "support_kind": "other"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    res.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
}

async fn registration(app: &TestApp) -> (i64, String) {
    let res = app
        .post_json(
            "/api/v1/registrations",
            None,
            &json!({"istat_code": "016025", "full_name": "Maria Bianchi", "office": "sindaco",
                    "email": "ostile@comune.esempio.it", "password": "una password lunga"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let reg: Registration = res.json().await.unwrap();
    let res = app
        .try_login("ostile@comune.esempio.it", "una password lunga")
        .await;
    let token = res.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    (reg.id, token)
}

/// Sends one upload; asserts a 4xx problem within the time budget.
async fn expect_refused(
    app: &TestApp,
    what: &str,
    method: Method,
    path: &str,
    token: &str,
    file: &Corpus,
) {
    let started = Instant::now();
    let res = app
        .request(method, path, Some(token))
        .header("Content-Type", "application/octet-stream")
        .header("X-File-Name", file.file_name)
        .body(file.bytes.clone())
        .send()
        .await
        .unwrap_or_else(|e| panic!("{} as {what}: no answer ({e})", file.name));
    let took = started.elapsed();
    let status = res.status().as_u16();
    let ctype = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = res.text().await.unwrap_or_default();
    if what == "register"
        && let Some(m) = register_mentions(file.name)
    {
        assert!(body.contains(m), "{} as {what}: {body}", file.name);
    }
    assert!(
        (400..500).contains(&status),
        "{} as {what}: {status} {}",
        file.name,
        body.chars().take(300).collect::<String>()
    );
    assert_eq!(ctype, "application/problem+json", "{} as {what}", file.name);
    assert!(
        took < Duration::from_secs(30),
        "{} as {what} took {took:?}",
        file.name
    );
    eprintln!(
        "{} as {what}: {status} in {took:?}: {}",
        file.name,
        body.chars().take(200).collect::<String>()
    );
}

#[tokio::test]
async fn hostile_files_are_refused_quickly_and_the_server_survives() {
    let app = spawn_app().await;
    let rep = app.token_for(Role::AuthorityRep).await;
    let request = support_request(&app, &rep).await;
    let (registration, applicant) = registration(&app).await;
    let files = corpus();
    let rss_before = status_kb("VmRSS");
    for file in &files {
        for dry_run in [true, false] {
            expect_refused(
                &app,
                "register",
                Method::POST,
                &format!("/api/v1/authorities/016024/register?dry_run={dry_run}"),
                &rep,
                file,
            )
            .await;
        }
        expect_refused(
            &app,
            "attachment",
            Method::POST,
            &format!("/api/v1/support-requests/{request}/attachments"),
            &rep,
            file,
        )
        .await;
        expect_refused(
            &app,
            "protocol",
            Method::PUT,
            &format!("/api/v1/registrations/{registration}/protocol"),
            &applicant,
            file,
        )
        .await;
        // Still alive.
        let res = app.get("/api/v1/me", &rep).await;
        assert_eq!(res.status(), 200, "after {}", file.name);
    }
    let peak = status_kb("VmHWM");
    let growth_mb = peak.saturating_sub(rss_before) / 1024;
    eprintln!(
        "RSS before {} MB, peak {} MB, after {} MB",
        rss_before / 1024,
        peak / 1024,
        status_kb("VmRSS") / 1024
    );
    assert!(
        growth_mb < 1536,
        "memory grew by {growth_mb} MB (peak) while refusing hostile files"
    );
    // Nothing of it was saved.
    let files = app
        .get("/api/v1/authorities/016024/files", &rep)
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(files["total"], 0, "{files}");
}

#[tokio::test]
async fn a_protocol_whose_name_disagrees_with_its_content_or_a_broken_pdf_is_refused() {
    let app = spawn_app().await;
    let (id, token) = registration(&app).await;
    let path = format!("/api/v1/registrations/{id}/protocol");
    let good = affianca_tests::files::pdf("Protocollo");
    for (name, body) in [
        ("protocollo.html", good.clone()),
        ("protocollo.pdf", b"%PDF-1.4\n%%EOF\n".to_vec()),
        ("protocollo.pdf", good[..good.len() / 2].to_vec()),
    ] {
        let res = app
            .request(Method::PUT, &path, Some(&token))
            .header("Content-Type", "application/pdf")
            .header("X-File-Name", name)
            .body(body)
            .send()
            .await
            .unwrap();
        let p = affianca_tests::assert_problem(res, 415, "unsupported_media_type").await;
        assert!(p.detail.unwrap_or_default().contains("PDF"), "{name}");
    }
    let res = app
        .request(Method::PUT, &path, Some(&token))
        .header("Content-Type", "application/pdf")
        .header("X-File-Name", "protocollo.pdf")
        .body(good)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}
