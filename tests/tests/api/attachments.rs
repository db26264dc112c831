use affianca_domain::Role;
use affianca_domain::dto::Attachment;
use affianca_tests::{TestApp, assert_problem, files, spawn_app};
use reqwest::Method;
use serde_json::{Value, json};

async fn submitted_request(app: &TestApp, rep: &str) -> i64 {
    let res = app
        .post_json(
            "/api/v1/support-requests",
            Some(rep),
            &json!({"istat_code": "016024", "procedure": "PDC", "subject": "Con allegati",
                    "description": "Prova", "support_kind": "other"}),
        )
        .await;
    let id = res.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let res = app
        .request(
            Method::POST,
            &format!("/api/v1/support-requests/{id}/transitions"),
            Some(rep),
        )
        .header("If-Match", "*")
        .json(&json!({"action": "submit"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    id
}

async fn upload(
    app: &TestApp,
    token: &str,
    path: &str,
    name: &str,
    body: Vec<u8>,
) -> reqwest::Response {
    app.request(Method::POST, path, Some(token))
        .header("Content-Type", "application/octet-stream")
        .header("X-File-Name", name)
        .body(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn attachments_are_checked_by_content_and_kept_from_observers() {
    let app = spawn_app().await;
    let rep = app.token_for(Role::AuthorityRep).await;
    let coordinator = app.token_for(Role::Coordinator).await;
    let observer = app.token_for(Role::Observer).await;
    let id = submitted_request(&app, &rep).await;
    let path = format!("/api/v1/support-requests/{id}/attachments");

    let odt = files::opendocument("application/vnd.oasis.opendocument.text");
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("verbale.pdf", files::pdf("verbale"), "application/pdf"),
        ("foto.png", b"\x89PNG\r\n\x1a\n....".to_vec(), "image/png"),
        ("foto.jpg", vec![0xFF, 0xD8, 0xFF, 0xE0, 1, 2], "image/jpeg"),
        (
            "elenco.xlsx",
            files::xlsx_register(&[&["codice_pratica", "procedimento"], &["A1", "PDC"]]),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        (
            "relazione.docx",
            files::docx("Relazione"),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        ("nota.odt", odt, "application/vnd.oasis.opendocument.text"),
        (
            "vecchio.doc",
            vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0],
            "application/msword",
        ),
    ];
    for (name, body, ctype) in cases {
        let res = upload(&app, &rep, &path, name, body).await;
        assert_eq!(res.status(), 201, "{name}");
        let a: Attachment = res.json().await.unwrap();
        assert_eq!((a.name.as_str(), a.content_type.as_str()), (name, ctype));
    }
    // Not by name: a ZIP called .pdf, an old PowerPoint, a text file.
    for (name, body) in [
        ("finto.pdf", files::zip_of(&[("qualcosa.txt", b"ciao")])),
        (
            "slide.ppt",
            vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1],
        ),
        ("note.txt", b"ciao".to_vec()),
    ] {
        assert_problem(
            upload(&app, &rep, &path, name, body).await,
            415,
            "unsupported_media_type",
        )
        .await;
    }
    // Over 20 MB.
    let mut big = b"%PDF-1.7\n".to_vec();
    big.resize(20 * 1024 * 1024 + 1, b'x');
    assert_problem(
        upload(&app, &rep, &path, "grande.pdf", big).await,
        413,
        "payload_too_large",
    )
    .await;

    // An internal note's attachment stays among staff.
    let res = app
        .post_json(
            &format!("/api/v1/support-requests/{id}/messages"),
            Some(&coordinator),
            &json!({"body": "Nota con allegato", "internal": true}),
        )
        .await;
    let mid = res.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let res = upload(
        &app,
        &coordinator,
        &format!("{path}?message_id={mid}"),
        "istruttoria.pdf",
        files::pdf("interno"),
    )
    .await;
    assert_eq!(res.status(), 201);
    let internal: Attachment = res.json().await.unwrap();
    assert!(internal.internal);
    let staff: Vec<Attachment> = app.get(&path, &coordinator).await.json().await.unwrap();
    assert_eq!(staff.len(), 8);
    let authority: Vec<Attachment> = app.get(&path, &rep).await.json().await.unwrap();
    assert_eq!(authority.len(), 7);
    assert_problem(
        app.get(&format!("{path}/{}", internal.id), &rep).await,
        404,
        "not_found",
    )
    .await;
    // Downloads carry the content and the name.
    let res = app.get(&format!("{path}/{}", authority[0].id), &rep).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("verbale.pdf")
    );
    assert_eq!(res.bytes().await.unwrap().as_ref(), files::pdf("verbale"));
    // Observers read the request, not its files.
    assert_eq!(
        app.get(&format!("/api/v1/support-requests/{id}"), &observer)
            .await
            .status(),
        200
    );
    assert_problem(app.get(&path, &observer).await, 403, "forbidden").await;
    // Attaching to someone else's message is refused.
    let p = assert_problem(
        upload(
            &app,
            &rep,
            &format!("{path}?message_id={mid}"),
            "x.pdf",
            b"%PDF-1.4".to_vec(),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(p.errors[0].field, "message_id");
}

#[tokio::test]
async fn names_must_agree_with_content_pdfs_are_checked_and_downloads_name_files_safely() {
    let app = spawn_app().await;
    let rep = app.token_for(Role::AuthorityRep).await;
    let id = submitted_request(&app, &rep).await;
    let path = format!("/api/v1/support-requests/{id}/attachments");

    // A PDF called .html (or .exe) is refused, saying why.
    for name in ["evil.html", "fattura.pdf.exe"] {
        let p = assert_problem(
            upload(&app, &rep, &path, name, files::pdf("x")).await,
            415,
            "unsupported_media_type",
        )
        .await;
        let detail = p.detail.unwrap_or_default();
        assert!(
            detail.contains("PDF") && detail.contains(".pdf"),
            "{detail}"
        );
    }
    // A PNG called .jpg too; the right name, or none, is accepted.
    assert_problem(
        upload(
            &app,
            &rep,
            &path,
            "foto.jpg",
            b"\x89PNG\r\n\x1a\n....".to_vec(),
        )
        .await,
        415,
        "unsupported_media_type",
    )
    .await;
    assert_eq!(
        upload(&app, &rep, &path, "VERBALE.PDF", files::pdf("v"))
            .await
            .status(),
        201
    );
    // A PDF is more than its first bytes: the end marker, startxref and the xref it points to.
    let good = files::pdf("verbale");
    let cut = good[..good.len() - 20].to_vec();
    let mut no_xref = good.clone();
    let at = no_xref.windows(4).position(|w| w == b"xref").unwrap();
    no_xref[at..at + 4].copy_from_slice(b"junk");
    for (what, body) in [
        ("only the header", b"%PDF-1.7\n%...".to_vec()),
        ("cut short", cut),
        ("startxref pointing nowhere", no_xref),
    ] {
        let p = assert_problem(
            upload(&app, &rep, &path, "verbale.pdf", body).await,
            415,
            "unsupported_media_type",
        )
        .await;
        assert!(p.detail.unwrap_or_default().contains("PDF"), "{what}");
    }
    // A PDF with an xref stream instead of a table.
    let mut stream = b"%PDF-1.5\n".to_vec();
    let xref_at = stream.len();
    stream.extend(b"1 0 obj\n<< /Type /XRef /Size 1 /W [1 1 1] >>\nstream\n\nendstream\nendobj\n");
    stream.extend(format!("startxref\n{xref_at}\n%%EOF\n").as_bytes());
    assert_eq!(
        upload(&app, &rep, &path, "flusso.pdf", stream)
            .await
            .status(),
        201
    );

    // Downloads: RFC 6266, an ASCII fallback and the exact UTF-8 name.
    let res = upload(
        &app,
        &rep,
        &path,
        "Verbale%20%22finale%22%0D%0AX-Injected%3A%201%20citt%C3%A0%20%C3%A8.pdf",
        files::pdf("nome"),
    )
    .await;
    assert_eq!(res.status(), 201);
    let a: Attachment = res.json().await.unwrap();
    let res = app.get(&format!("{path}/{}", a.id), &rep).await;
    assert_eq!(res.status(), 200);
    assert!(res.headers().get("x-injected").is_none());
    let cd = res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    let fallback = cd
        .split("filename=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap();
    assert!(cd.starts_with("attachment; "), "{cd}");
    assert!(
        fallback.is_ascii() && !fallback.contains(['\\', '\r', '\n']),
        "{cd}"
    );
    assert!(fallback.ends_with(".pdf"), "{cd}");
    let exact = cd.split("filename*=UTF-8''").nth(1).unwrap();
    let decoded: String = url_decode(exact);
    assert_eq!(decoded, a.name, "{cd}");
    assert!(
        a.name.contains("città") && a.name.contains('"'),
        "{}",
        a.name
    );
    assert!(!a.name.contains(['\r', '\n']), "{}", a.name);
}

/// Percent-decoding of an RFC 5987 value.
fn url_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}
