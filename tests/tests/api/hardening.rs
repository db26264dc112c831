//! Issue 10, protocol and input: paging bounds, the CSV export's paging, browser security headers,
//! 405 with `Allow`, control characters, roles before bodies, date windows, `programme-status`
//! scope.

use affianca_domain::Role;
use affianca_tests::{assert_problem, spawn_app, spawn_app_with};
use reqwest::Method;
use serde_json::{Value, json};

const HUGE: &str = "9223372036854775808";

async fn fields_of(res: reqwest::Response, status: u16) -> Vec<String> {
    let p = assert_problem(res, status, "validation_failed").await;
    p.errors.into_iter().map(|e| e.field).collect()
}

#[tokio::test]
async fn huge_offsets_are_refused_and_the_server_keeps_answering() {
    let app = spawn_app().await;
    let sec = app.token_for(Role::Secretariat).await;
    let admin = app.token_for(Role::Admin).await;
    let lists = [
        ("/api/v1/support-requests", &sec),
        ("/api/v1/notifications", &sec),
        ("/api/v1/users", &admin),
        ("/api/v1/audit-events", &admin),
        ("/api/v1/outbox", &admin),
        ("/api/v1/authorities/016024/files", &sec),
        ("/api/v1/authorities", &sec),
    ];
    for (path, token) in lists {
        for offset in [HUGE, "18446744073709551615", "10000001"] {
            let res = app.get(&format!("{path}?offset={offset}"), token).await;
            assert_eq!(
                fields_of(res, 422).await,
                ["offset"],
                "{path}?offset={offset}"
            );
        }
        let res = app.get(&format!("{path}?offset=10000000"), token).await;
        assert_eq!(res.status(), 200, "{path}: the largest offset is fine");
        for limit in ["0", "201", HUGE] {
            let res = app.get(&format!("{path}?limit={limit}"), token).await;
            assert_eq!(res.status(), 422, "{path}?limit={limit}");
        }
    }
    let res = app
        .get(&format!("/api/v1/support-requests.csv?offset={HUGE}"), &sec)
        .await;
    assert_eq!(fields_of(res, 422).await, ["offset"]);
    let status = app.get("/api/v1/status", &sec).await;
    assert_eq!(status.status(), 200, "the server is still alive");
}

fn draft(subject: &str) -> Value {
    json!({
        "istat_code": "016024", "procedure": "PDC", "subject": subject,
        "description": "Pratiche arretrate.", "support_kind": "backlog_recovery",
        "urgency": "low", "files_count": 1, "contact": "Ufficio tecnico"
    })
}

fn data_lines(csv: &str) -> Vec<String> {
    csv.trim_end()
        .split("\r\n")
        .skip(1)
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn the_csv_export_pages_like_the_list_and_streams_every_row() {
    let app = spawn_app().await;
    let rep = app.token_for(Role::AuthorityRep).await;
    // More than one page of the export (500 rows) of drafts, which the authority sees.
    let total = 503;
    let mut pending = Vec::new();
    for i in 0..total {
        let app = &app;
        let rep = &rep;
        pending.push(async move {
            app.post_json(
                "/api/v1/support-requests",
                Some(rep),
                &draft(&format!("Richiesta {i:04}")),
            )
            .await
        });
        if pending.len() == 8 || i == total - 1 {
            for res in futures_util::future::join_all(pending.drain(..)).await {
                assert_eq!(res.status(), 201);
            }
        }
    }
    let csv = |query: &'static str| {
        let app = &app;
        let rep = rep.clone();
        async move {
            let res = app
                .get(&format!("/api/v1/support-requests.csv{query}"), &rep)
                .await;
            assert_eq!(res.status(), 200, "{query}");
            assert_eq!(res.headers()["cache-control"], "no-store");
            res.text().await.unwrap()
        }
    };
    // The ids of the list's page for the same query.
    let ids = |query: &'static str| {
        let app = &app;
        let rep = rep.clone();
        async move {
            let page: Value = app
                .get(&format!("/api/v1/support-requests{query}"), &rep)
                .await
                .json()
                .await
                .unwrap();
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["id"].to_string())
                .collect::<Vec<_>>()
        }
    };
    let numbers = |lines: &[String]| {
        lines
            .iter()
            .map(|l| l.split(';').next().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    let one = csv("?limit=1&sort=id").await;
    assert!(one.starts_with('\u{feff}'));
    let lines = data_lines(&one);
    assert_eq!(lines.len(), 1, "limit=1 is one row: {one}");
    assert_eq!(numbers(&lines), ids("?limit=1&sort=id").await);
    let second = data_lines(&csv("?limit=2&offset=1&sort=-id").await);
    assert_eq!(numbers(&second), ids("?limit=2&offset=1&sort=-id").await);
    let all = data_lines(&csv("?sort=id").await);
    assert_eq!(all.len(), total, "no limit: every row, across pages");
    let mut seen: Vec<String> = numbers(&all);
    seen.dedup();
    assert_eq!(seen.len(), total, "no row twice");
    let tail = data_lines(&csv("?sort=id&offset=499&limit=3").await);
    assert_eq!(numbers(&tail), ids("?sort=id&offset=499&limit=3").await);
    assert_eq!(numbers(&tail), numbers(&all[499..502]));
    let filtered = data_lines(&csv("?q=0042").await);
    assert_eq!(filtered.len(), 1, "the list's filters apply");
    assert!(filtered[0].contains("Richiesta 0042"));
}

fn header<'a>(res: &'a reqwest::Response, name: &str) -> Option<&'a str> {
    res.headers().get(name).and_then(|v| v.to_str().ok())
}

fn assert_common_headers(res: &reqwest::Response, what: &str) {
    assert_eq!(
        header(res, "x-content-type-options"),
        Some("nosniff"),
        "{what}"
    );
    assert_eq!(
        header(res, "referrer-policy"),
        Some("no-referrer"),
        "{what}"
    );
    let pp = header(res, "permissions-policy").unwrap_or_default();
    for feature in ["camera=()", "microphone=()", "geolocation=()"] {
        assert!(pp.contains(feature), "{what}: {pp}");
    }
}

#[tokio::test]
async fn every_answer_carries_the_browser_security_headers() {
    let app = spawn_app().await;
    let sec = app.token_for(Role::Secretariat).await;
    for (path, token) in [
        ("/api/v1/status", None),
        ("/api/v1/auth/me", Some(sec.as_str())),
        ("/api/v1/support-requests.csv", Some(&sec)),
        ("/api/v1/nothing-here", None),
        ("/api/v1/auth/me", None),
    ] {
        let res = app.request(Method::GET, path, token).send().await.unwrap();
        assert_common_headers(&res, path);
        assert_eq!(header(&res, "cache-control"), Some("no-store"), "{path}");
        assert!(
            header(&res, "content-security-policy").is_some_and(|c| c
                .contains("default-src 'none'")
                && c.contains("frame-ancestors 'none'")),
            "{path}"
        );
        assert!(
            header(&res, "strict-transport-security").is_none(),
            "no HSTS over http"
        );
    }
    // The public OpenAPI document may be cached.
    let res = app
        .client
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_common_headers(&res, "openapi.json");
    assert_ne!(header(&res, "cache-control"), Some("no-store"));
    // Swagger UI gets a strict policy: files only, no inline script.
    let res = app.client.get(app.url("/api/docs/")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_common_headers(&res, "/api/docs/");
    let csp = header(&res, "content-security-policy").unwrap().to_owned();
    for directive in [
        "default-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ] {
        assert!(csp.contains(directive), "{csp}");
    }
    assert!(!script_src(&csp).contains("unsafe-inline"), "{csp}");
    // The client, when built: a CSP allowing its loader script by hash, hashed files cached.
    let dist = affianca_tests::workspace_root().join("crates/web/dist");
    if let Ok(index) = std::fs::read_to_string(dist.join("index.html")) {
        let res = app.client.get(app.url("/")).send().await.unwrap();
        assert_common_headers(&res, "/");
        assert_eq!(header(&res, "cache-control"), Some("no-cache"));
        let csp = header(&res, "content-security-policy").unwrap().to_owned();
        let script = script_src(&csp);
        assert!(
            script.contains("'wasm-unsafe-eval'") && !script.contains("unsafe-inline"),
            "{csp}"
        );
        for hash in affianca_api::startup::inline_script_hashes(&index) {
            assert!(script.contains(&format!("'sha256-{hash}'")), "{csp}");
        }
        // A client route gets the SPA with the same policy.
        let res = app
            .client
            .get(app.url("/enti/016024"))
            .send()
            .await
            .unwrap();
        assert_eq!(
            header(&res, "content-security-policy").map(str::to_owned),
            Some(csp)
        );
        let hashed = std::fs::read_dir(&dist)
            .unwrap()
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .find(|n| n.ends_with(".wasm"))
            .expect("the wasm file");
        let res = app
            .client
            .get(app.url(&format!("/{hashed}")))
            .send()
            .await
            .unwrap();
        assert_eq!(
            header(&res, "cache-control"),
            Some("public, max-age=31536000, immutable"),
            "{hashed}"
        );
    }
}

fn script_src(csp: &str) -> String {
    csp.split(';')
        .map(str::trim)
        .find(|d| d.starts_with("script-src"))
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn hsts_is_sent_when_the_public_address_is_https() {
    let app =
        spawn_app_with(&[("AFFIANCA_PUBLIC_URL", "https://affianca.example".to_owned())]).await;
    let res = app
        .client
        .get(app.url("/api/v1/status"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        header(&res, "strict-transport-security"),
        Some("max-age=31536000; includeSubDomains")
    );
}

#[tokio::test]
async fn a_known_path_with_another_method_is_405_with_allow() {
    let app = spawn_app().await;
    let sec = app.token_for(Role::Secretariat).await;
    for (method, path, allow) in [
        (Method::DELETE, "/api/v1/status", "GET"),
        (Method::POST, "/api/v1/authorities/016024", "GET"),
        (Method::GET, "/api/v1/auth/login", "POST"),
        (Method::PATCH, "/api/v1/support-requests", "GET, POST"),
        (Method::PUT, "/api/v1/support-requests.csv", "GET"),
        (
            Method::DELETE,
            "/api/v1/support-requests/1/transitions",
            "POST",
        ),
        (
            Method::POST,
            "/api/v1/authorities/016024/files/PDC-1",
            "GET, PUT, DELETE",
        ),
        (Method::PUT, "/api/v1/procedures", "GET, POST"),
    ] {
        let res = app
            .request(method.clone(), path, Some(&sec))
            .send()
            .await
            .unwrap();
        let allowed = header(&res, "allow").map(str::to_owned);
        let p = assert_problem(res, 405, "method_not_allowed").await;
        assert!(p.detail.unwrap_or_default().contains(method.as_str()));
        let mut got: Vec<String> = allowed
            .unwrap_or_default()
            .split(", ")
            .map(str::to_owned)
            .collect();
        let mut want: Vec<String> = allow.split(", ").map(str::to_owned).collect();
        got.sort();
        want.sort();
        assert_eq!(got, want, "{method} {path}");
    }
    for path in [
        "/api/v1/nothing",
        "/api/v1/authorities/016024/nothing",
        "/api/v2/status",
    ] {
        let res = app
            .request(Method::DELETE, path, Some(&sec))
            .send()
            .await
            .unwrap();
        assert_problem(res, 404, "not_found").await;
    }
}

#[tokio::test]
async fn control_characters_are_refused_naming_the_field() {
    let app = spawn_app().await;
    let sec = app.token_for(Role::Secretariat).await;
    let admin = app.token_for(Role::Admin).await;
    let res = app
        .post_json(
            "/api/v1/procedures",
            Some(&sec),
            &json!({"code": "NUOVA", "task_force": "waste", "name": "Nome\u{0}nullo", "legal_term_days": 30}),
        )
        .await;
    assert_eq!(fields_of(res, 422).await, ["name"]);
    let res = app
        .post_json(
            "/api/v1/users",
            Some(&admin),
            &json!({"email": "nuovo@esempio.it", "full_name": "Nuovo\u{7}", "grants": [{"role": "observer", "scope": "province:BG\u{1b}"}]}),
        )
        .await;
    assert_eq!(fields_of(res, 422).await, ["full_name", "grants[0].scope"]);
    // Line ends and tabs in multi-line text are fine.
    let rep = app.token_for(Role::AuthorityRep).await;
    let mut body = draft("Oggetto");
    body["description"] = json!("Prima riga\r\nseconda\triga\nterza");
    let res = app
        .post_json("/api/v1/support-requests", Some(&rep), &body)
        .await;
    assert_eq!(res.status(), 201);
    // Query parameters: none at all.
    for query in ["q=a%00b", "province=B%0AG", "q=%1B"] {
        let res = app
            .get(&format!("/api/v1/support-requests?{query}"), &sec)
            .await;
        let field = query.split('=').next().unwrap();
        assert_eq!(fields_of(res, 422).await, [field], "{query}");
    }
}

#[tokio::test]
async fn forbidden_callers_get_403_before_their_body_is_judged() {
    let app = spawn_app().await;
    let expert = app.token_for(Role::Expert).await;
    let observer = app.token_for(Role::Observer).await;
    let rep = app.token_for(Role::AuthorityRep).await;
    let cases: [(Method, &str, &str); 10] = [
        (Method::POST, "/api/v1/procedures", expert.as_str()),
        (
            Method::PUT,
            "/api/v1/monitoring/settings",
            observer.as_str(),
        ),
        (Method::POST, "/api/v1/experts", rep.as_str()),
        (Method::POST, "/api/v1/users", rep.as_str()),
        (Method::POST, "/api/v1/phases", observer.as_str()),
        (Method::POST, "/api/v1/meetings", expert.as_str()),
        (
            Method::PUT,
            "/api/v1/authorities/016024/targets",
            rep.as_str(),
        ),
        (Method::POST, "/api/v1/support-requests", observer.as_str()),
        (Method::POST, "/api/v1/registrations/1/reject", rep.as_str()),
        (
            Method::PUT,
            "/api/v1/authorities/017029/files/X-1",
            rep.as_str(),
        ),
    ];
    for (method, path, token) in cases {
        for body in [json!({}), json!({"name": 5}), json!([1, 2])] {
            let res = app
                .request(method.clone(), path, Some(token))
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_problem(res, 403, "forbidden").await;
        }
        // Not even JSON: still 403.
        let res = app
            .request(method.clone(), path, Some(token))
            .header("content-type", "application/json")
            .body("{not json")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403, "{method} {path}");
    }
}

#[tokio::test]
async fn programme_status_is_seen_only_in_scope() {
    let app = spawn_app().await;
    for (role, code, status) in [
        (Role::AuthorityRep, "016024", 200),
        (Role::Observer, "016024", 200),
        (Role::Secretariat, "016024", 200),
        (Role::Expert, "016024", 200),
        (Role::Coordinator, "016024", 200),
        (Role::AuthorityDelegate, "016024", 404),
        (Role::AuthorityDelegate, "017029", 200),
        (Role::Observer, "017029", 404),
        (Role::AuthorityRep, "017029", 404),
        (Role::Admin, "016024", 404),
    ] {
        let token = app.token_for(role).await;
        let res = app
            .get(
                &format!("/api/v1/authorities/{code}/programme-status"),
                &token,
            )
            .await;
        assert_eq!(res.status().as_u16(), status, "{role:?} on {code}");
    }
    // A user without any role.
    let admin = app.token_for(Role::Admin).await;
    let password = "una password lunga abbastanza 7";
    let res = app
        .post_json(
            "/api/v1/users",
            Some(&admin),
            &json!({"email": "senza.ruolo@esempio.it", "full_name": "Senza ruolo", "password": password, "grants": []}),
        )
        .await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let res = app.try_login("senza.ruolo@esempio.it", password).await;
    assert_eq!(res.status(), 200);
    let tokens: affianca_domain::dto::TokenResponse = res.json().await.unwrap();
    let res = app
        .get(
            "/api/v1/authorities/016024/programme-status",
            &tokens.access_token,
        )
        .await;
    assert_problem(res, 404, "not_found").await;
}

async fn date_refused(res: reqwest::Response, field: &str) {
    assert_eq!(fields_of(res, 422).await, [field]);
}

#[tokio::test]
async fn dates_far_from_the_programme_are_refused() {
    let app = spawn_app().await;
    let sec = app.token_for(Role::Secretariat).await;
    let rep = app.token_for(Role::AuthorityRep).await;
    for when in [
        "0001-01-01T10:00:00Z",
        "9999-12-31T10:00:00Z",
        "2019-12-31T10:00:00Z",
    ] {
        let res = app
            .post_json(
                "/api/v1/meetings",
                Some(&sec),
                &json!({"province": "BG", "starts_at": when, "place": "Bergamo", "istat_codes": ["016024"]}),
            )
            .await;
        date_refused(res, "starts_at").await;
    }
    for day in ["0001-01-01", "9999-12-31"] {
        let res = app
            .post_json(
                "/api/v1/phases",
                Some(&sec),
                &json!({"name": "Fase lontana", "start_date": day}),
            )
            .await;
        date_refused(res, "start_date").await;
    }
    let put = |body: Value| {
        app.request(
            Method::PUT,
            "/api/v1/authorities/016024/files/LONTANA-1",
            Some(&rep),
        )
        .json(&body)
        .send()
    };
    let put = |body: Value| {
        let f = put(body);
        async move { f.await.unwrap() }
    };
    let res = put(json!({"procedure": "PDC", "start_date": "0001-01-01"})).await;
    date_refused(res, "start_date").await;
    let res =
        put(json!({"procedure": "PDC", "start_date": "2023-01-10", "decision_date": "9999-12-31"}))
            .await;
    date_refused(res, "decision_date").await;
    let res = put(
        json!({"procedure": "PDC", "start_date": "2023-01-10", "silent_assent_date": "9999-12-31"}),
    )
    .await;
    date_refused(res, "silent_assent_date").await;
    let res =
        put(json!({"procedure": "PDC", "start_date": "2023-01-10", "decision_date": "2023-03-01"}))
            .await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    // The same in an uploaded register: refused whole, row and column named.
    let register = "codice_pratica;procedimento;data_avvio;data_conclusione\nOK-1;PDC;2023-01-10;2023-03-01\nANTICA;PDC;0001-01-01;9999-12-31\n";
    let res = app
        .request(
            Method::POST,
            "/api/v1/authorities/016024/register",
            Some(&rep),
        )
        .header("Content-Type", "text/csv")
        .body(register)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["code"], "register_invalid");
    assert_eq!(body["row_errors"][0]["row"], 3, "{body}");
    assert_eq!(body["row_errors"][0]["column"], "data_avvio", "{body}");
    let semesters: Value = app
        .get("/api/v1/authorities/016024/semesters", &rep)
        .await
        .json()
        .await
        .unwrap();
    assert!(
        !semesters.to_string().contains("1990S1") && !semesters.to_string().contains("2100S"),
        "nothing of the bad register was saved"
    );
}

#[tokio::test]
async fn control_characters_in_paths_are_never_a_server_error() {
    let app = spawn_app().await;
    let sec = app.token_for(Role::Secretariat).await;
    for path in [
        "/api/v1/authorities/01%0024",
        "/api/v1/authorities/%00/programme-status",
        "/api/v1/authorities/016024/files/A%00B",
        "/api/v1/authorities/%00/files",
        "/api/v1/authorities/016024/semesters/2023S1%00/history",
        "/api/v1/invitations/afi_%00",
        "/api/v1/task-forces/wa%00ste/coordinators",
        "/api/v1/authorities/016024/targets%00",
    ] {
        let res = app.get(path, &sec).await;
        assert!(res.status().is_client_error(), "{path}: {}", res.status());
    }
}

#[tokio::test]
async fn security_txt_says_whom_to_tell_and_until_when() {
    let app = spawn_app().await;
    let res = app
        .client
        .get(app.url("/.well-known/security.txt"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    let body = res.text().await.unwrap();
    assert!(
        body.contains("Contact: mailto:sicurezza@affianca.example"),
        "{body}"
    );
    let expires = body
        .lines()
        .find_map(|l| l.strip_prefix("Expires: "))
        .expect("RFC 9116 requires Expires");
    let expires = chrono::DateTime::parse_from_rfc3339(expires).expect("an RFC 3339 date");
    assert!(expires > chrono::Utc::now() + chrono::Duration::days(300));
}
