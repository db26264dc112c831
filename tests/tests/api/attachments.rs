use affianca_domain::Role;
use affianca_domain::dto::Attachment;
use affianca_tests::{TestApp, assert_problem, spawn_app};
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

fn zip_with(names: &[&str]) -> Vec<u8> {
    let mut v = b"PK\x03\x04".to_vec();
    v.extend([0_u8; 26]);
    for n in names {
        v.extend(n.as_bytes());
        v.extend([0_u8; 40]);
    }
    v
}

#[tokio::test]
async fn attachments_are_checked_by_content_and_kept_from_observers() {
    let app = spawn_app().await;
    let rep = app.token_for(Role::AuthorityRep).await;
    let coordinator = app.token_for(Role::Coordinator).await;
    let observer = app.token_for(Role::Observer).await;
    let id = submitted_request(&app, &rep).await;
    let path = format!("/api/v1/support-requests/{id}/attachments");

    let mut odt = b"PK\x03\x04".to_vec();
    odt.extend([0_u8; 26]);
    odt.extend(b"mimetypeapplication/vnd.oasis.opendocument.text");
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("verbale.pdf", b"%PDF-1.7\n%...".to_vec(), "application/pdf"),
        ("foto.png", b"\x89PNG\r\n\x1a\n....".to_vec(), "image/png"),
        ("foto.jpg", vec![0xFF, 0xD8, 0xFF, 0xE0, 1, 2], "image/jpeg"),
        (
            "elenco.xlsx",
            zip_with(&["[Content_Types].xml", "_rels/.rels", "xl/workbook.xml"]),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        (
            "relazione.docx",
            zip_with(&["[Content_Types].xml", "word/document.xml"]),
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
        ("finto.pdf", zip_with(&["qualcosa.txt"])),
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
        b"%PDF-1.4 interno".to_vec(),
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
    assert_eq!(res.bytes().await.unwrap().as_ref(), b"%PDF-1.7\n%...");
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
