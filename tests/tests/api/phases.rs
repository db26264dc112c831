use crate::onboarding::{pdf, register, upload};
use affianca_domain::dto::{
    Authority, EnableAuthoritiesResult, Page, Phase, ProgrammeStatus, Registration,
};
use affianca_domain::{RegistrationStatus, Role};
use affianca_tests::{TestApp, assert_problem, spawn_app};
use reqwest::Method;
use serde_json::{Value, json};

async fn create_phase(app: &TestApp, token: &str, name: &str, start: &str) -> Phase {
    let res = app
        .post_json(
            "/api/v1/phases",
            Some(token),
            &json!({"name": name, "start_date": start, "description": "Prova"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    res.json().await.unwrap()
}

#[tokio::test]
async fn phases_enable_authorities_by_json_or_csv_all_or_nothing() {
    let app = spawn_app().await;
    let sec = app.token_for(Role::Secretariat).await;
    let pilot = create_phase(&app, &sec, "Fase pilota", "2022-09-01").await;
    assert!(pilot.started);
    assert_eq!(pilot.authorities, 0);
    assert_problem(
        app.post_json(
            "/api/v1/phases",
            Some(&sec),
            &json!({"name": "Fase pilota", "start_date": "2022-09-01"}),
        )
        .await,
        409,
        "conflict",
    )
    .await;
    let p = assert_problem(
        app.post_json(
            "/api/v1/phases",
            Some(&sec),
            &json!({"name": "X", "start_date": "2022-13-01"}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(p.errors[0].field, "start_date");

    let path = format!("/api/v1/phases/{}/authorities", pilot.id);
    let res = app
        .post_json(
            &path,
            Some(&sec),
            &json!({"istat_codes": ["016024", "017029", "215", "016024"]}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let r: EnableAuthoritiesResult = res.json().await.unwrap();
    assert_eq!((r.added, r.already_enabled), (3, 0));

    // A CSV with one bad and one unknown code changes nothing and names both rows.
    let csv = "istat_code;nome\n018001;Alagna\n12345;Sbagliato\n099999;Inesistente\n";
    let res = app
        .request(Method::POST, &path, Some(&sec))
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    let p = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(
        p.errors
            .iter()
            .map(|e| e.field.as_str())
            .collect::<Vec<_>>(),
        ["riga 3", "riga 4"]
    );
    let listed: Vec<Authority> = app.get(&path, &sec).await.json().await.unwrap();
    assert_eq!(listed.len(), 3);

    let res = app
        .request(Method::POST, &path, Some(&sec))
        .header("content-type", "text/csv")
        .body("016024\n018001\n")
        .send()
        .await
        .unwrap();
    let r: EnableAuthoritiesResult = res.json().await.unwrap();
    assert_eq!((r.added, r.already_enabled), (1, 1));
    let res = app
        .request(Method::POST, &path, Some(&sec))
        .header("content-type", "application/xml")
        .body("<x/>")
        .send()
        .await
        .unwrap();
    assert_problem(res, 415, "unsupported_media_type").await;

    let res = app
        .request(Method::DELETE, &format!("{path}/018001"), Some(&sec))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let phase: Phase = app
        .get(&format!("/api/v1/phases/{}", pilot.id), &sec)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(phase.authorities, 3);
    let delegate = app.token_for(Role::AuthorityDelegate).await;
    assert_problem(
        app.post_json(&path, Some(&delegate), &json!({"istat_codes": ["016025"]}))
            .await,
        403,
        "forbidden",
    )
    .await;
}

#[tokio::test]
async fn support_needs_an_approved_registration_and_a_started_phase() {
    let app = spawn_app().await;
    let sec = app.token_for(Role::Secretariat).await;
    let status = |app: &TestApp, token: String| {
        let app = app.clone_ref();
        async move {
            app.get("/api/v1/authorities/016025/programme-status", &token)
                .await
                .json::<ProgrammeStatus>()
                .await
                .unwrap()
        }
    };
    let s = status(&app, sec.clone()).await;
    assert_eq!(
        (s.registration_status, s.phases.len(), s.may_request_support),
        (None, 0, false)
    );

    // Enabled by a future phase only: not yet.
    // (Phases start at most two years ahead.)
    let next_year = (chrono::Utc::now().date_naive() + chrono::Days::new(365)).to_string();
    let future = create_phase(&app, &sec, "Fase 3", &next_year).await;
    app.post_json(
        &format!("/api/v1/phases/{}/authorities", future.id),
        Some(&sec),
        &json!({"istat_codes": ["016025"]}),
    )
    .await;
    let reg: Registration = register(&app, "016025", "sindaco", "s@esempio.it")
        .await
        .json()
        .await
        .unwrap();
    let rep = app
        .try_login("s@esempio.it", "una password lunga")
        .await
        .json::<serde_json::Value>()
        .await
        .unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    upload(&app, &rep, reg.id, pdf()).await;
    let res = app
        .request(
            Method::POST,
            &format!("/api/v1/registrations/{}/approve", reg.id),
            Some(&sec),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let s = status(&app, sec.clone()).await;
    assert_eq!(
        (s.registration_status, s.phases.len(), s.may_request_support),
        (Some(RegistrationStatus::Approved), 1, false)
    );
    assert!(!s.phases[0].started);

    // A started phase enables it.
    let pilot = create_phase(&app, &sec, "Fase pilota", "2022-09-01").await;
    app.post_json(
        &format!("/api/v1/phases/{}/authorities", pilot.id),
        Some(&sec),
        &json!({"istat_codes": ["016025", "016024"]}),
    )
    .await;
    let s = status(&app, sec.clone()).await;
    assert!(s.may_request_support);

    // The directory filters on it (the demo data adds Bergamo and Brescia, approved and enabled).
    let yes: Page<Authority> = app
        .get(
            "/api/v1/authorities?may_request_support=true&limit=200",
            &sec,
        )
        .await
        .json()
        .await
        .unwrap();
    let codes: Vec<&str> = yes.items.iter().map(|a| a.istat_code.as_str()).collect();
    assert!(
        codes.contains(&"016025") && codes.contains(&"016024"),
        "{codes:?}"
    );
    assert!(!codes.contains(&"016026"));
    let bg_yes = yes
        .items
        .iter()
        .filter(|a| {
            a.province.as_ref().is_some_and(|p| p.as_str() == "BG")
                && a.kind == affianca_domain::AuthorityKind::Comune
        })
        .count() as u64;
    let no: Page<Authority> = app
        .get(
            "/api/v1/authorities?may_request_support=false&province=BG&kind=comune",
            &sec,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(no.total + bg_yes, 243);
}

/// Two secretariat users at once (several tabs, two servers): the same phase name created twice
/// gives one 201 and 409s, never a 500; the same authorities enabled at once end enabled once,
/// and the answers' counts add up to what was really added.
#[tokio::test]
async fn concurrent_phase_writes_are_conflicts_or_no_ops_never_errors() {
    let app = spawn_app().await;
    let other = app.second_server().await;
    let sec = app.token_for(Role::Secretariat).await;
    let servers = [&app, &other, &app, &other];
    let body = json!({"name": "Fase contesa", "start_date": "2026-02-01", "description": ""});
    let created = futures_util::future::join_all(
        servers
            .iter()
            .map(|s| s.post_json("/api/v1/phases", Some(&sec), &body)),
    )
    .await;
    let mut statuses: Vec<u16> = created.iter().map(|r| r.status().as_u16()).collect();
    statuses.sort_unstable();
    assert_eq!(statuses, vec![201, 409, 409, 409]);
    let phase = app
        .get("/api/v1/phases", &sec)
        .await
        .json::<Vec<Phase>>()
        .await
        .unwrap();
    let id = phase.iter().find(|p| p.name == "Fase contesa").unwrap().id;
    let path = format!("/api/v1/phases/{id}/authorities");
    let body = json!({"istat_codes": ["016024", "017029", "016011"]});
    let enabled = futures_util::future::join_all(
        servers
            .iter()
            .map(|s| s.post_json(&path, Some(&sec), &body)),
    )
    .await;
    let mut added = 0;
    for r in enabled {
        assert_eq!(r.status(), 200);
        let body: Value = r.json().await.unwrap();
        assert_eq!(
            body["added"].as_u64().unwrap() + body["already_enabled"].as_u64().unwrap(),
            3
        );
        added += body["added"].as_u64().unwrap();
    }
    assert_eq!(added, 3, "each authority added exactly once");
    let list: Vec<Authority> = app.get(&path, &sec).await.json().await.unwrap();
    assert_eq!(list.len(), 3, "{list:?}");
}
