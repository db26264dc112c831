//! Live data (issue 11): monitoring writes that are correct under concurrency, and indicators that
//! stay current while data changes — applied from the change log, equal to a full reload, read
//! after a write on the same and on another server, never stale when the database is away.
//! Each runs on SQLite and, with `TEST_DATABASE_URL`, on PostgreSQL.

use affianca_domain::Role;
use affianca_domain::monitoring::{Sem, period_of_sem};
use affianca_tests::{TestApp, spawn_app, spawn_second_app};
use futures_util::future::join_all;
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

const HEADER: &str = "codice_pratica;procedimento;data_avvio;termine_giorni;data_conclusione;data_silenzio_assenso;conferenza_servizi;giorni_sospensione\n";

/// A register of `n` files coded `{prefix}-{i}`, spread over 2022–2025 and two procedures, some
/// concluded, some with conference or suspension, some still open.
fn register(prefix: &str, n: usize) -> String {
    let mut out = String::from(HEADER);
    for i in 0..n {
        let proc_ = if i % 3 == 0 { "VIA_PAUR" } else { "PDC" };
        let start = chrono::NaiveDate::from_ymd_opt(2022, 1, 3).unwrap()
            + chrono::Duration::days((i * 7 % 1400) as i64);
        let decision = (i % 4 != 0).then(|| start + chrono::Duration::days(20 + (i % 90) as i64));
        out.push_str(&format!(
            "{prefix}-{i};{proc_};{start};;{};;{};{}\n",
            decision.map(|d| d.to_string()).unwrap_or_default(),
            if i % 5 == 0 { "si" } else { "" },
            if i % 7 == 0 { "10" } else { "" },
        ));
    }
    out
}

async fn upload(app: &TestApp, token: &str, code: &str, body: String) -> reqwest::Response {
    app.request(
        Method::POST,
        &format!("/api/v1/authorities/{code}/register"),
        Some(token),
    )
    .header("Content-Type", "text/csv")
    .body(body)
    .send()
    .await
    .unwrap()
}

async fn put_file(
    app: &TestApp,
    token: &str,
    code: &str,
    file: &str,
    i: usize,
) -> reqwest::Response {
    let start = chrono::NaiveDate::from_ymd_opt(2023, 1, 2).unwrap()
        + chrono::Duration::days((i * 11 % 900) as i64);
    app.request(
        Method::PUT,
        &format!("/api/v1/authorities/{code}/files/{file}"),
        Some(token),
    )
    .json(
        &json!({"procedure": if i.is_multiple_of(2) { "PDC" } else { "SCIA" }, "start_date": start,
        "decision_date": (!i.is_multiple_of(3)).then(|| start + chrono::Duration::days(30))}),
    )
    .send()
    .await
    .unwrap()
}

async fn json_of(res: reqwest::Response, status: u16) -> Value {
    let s = res.status().as_u16();
    let url = res.url().to_string();
    let text = res.text().await.unwrap();
    assert_eq!(s, status, "{url}: {text}");
    serde_json::from_str(&text).unwrap()
}

/// `GET /api/v1/status` of a server (its indicator cube: ready, loads, catch-ups, …).
async fn cube_status(app: &TestApp) -> Value {
    json_of(
        app.client
            .get(app.url("/api/v1/status"))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await
}

/// The files started in a scope over every semester (each file starts in exactly one).
fn started(report: &Value) -> i64 {
    report["series"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["started"].as_i64().unwrap())
        .sum()
}

const ALL: &str = "from=2021S1&to=2026S2";

/// The stored cells of an authority equal a recomputation from its stored files: nothing lost to
/// an interleaving of writers.
async fn assert_cells_match_files(app: &TestApp, authority: &str) -> usize {
    use affianca_api::entities::{measurement, register_file};
    use affianca_api::monitoring as store;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let db = affianca_api::db::connect(&app.database.url, 2)
        .await
        .unwrap();
    let catalog = store::catalog(&db).await.unwrap();
    let files: Vec<_> = store::load_files(&db, authority, None, &catalog.terms)
        .await
        .unwrap()
        .into_values()
        .collect();
    let stored_files = register_file::Entity::find()
        .filter(register_file::Column::AuthorityCode.eq(authority))
        .all(&db)
        .await
        .unwrap()
        .len();
    assert_eq!(files.len(), stored_files, "every stored file reads back");
    let today = chrono::Utc::now().date_naive();
    let (from, to) = store::window(&files, today).expect("files");
    let computed = affianca_domain::monitoring::compute(&files, &catalog.terms, from, to);
    let mut expected: BTreeMap<(String, String), store::Stored> = BTreeMap::new();
    for (p, s, cell) in computed.iter() {
        if cell.parts.is_empty() {
            continue;
        }
        expected.insert(
            (
                catalog.terms.code(p).to_owned(),
                period_of_sem(s as Sem).unwrap().to_string(),
            ),
            store::Stored {
                source: affianca_domain::dto::MeasurementSource::Register,
                parts: cell.parts,
                max_term_days: cell.max_term_days,
            },
        );
    }
    let stored: BTreeMap<(String, String), store::Stored> = measurement::Entity::find()
        .filter(measurement::Column::AuthorityCode.eq(authority))
        .filter(measurement::Column::Source.eq("register"))
        .all(&db)
        .await
        .unwrap()
        .into_iter()
        .map(|m| {
            (
                (m.procedure_code.clone(), m.period.clone()),
                store::Stored {
                    source: affianca_domain::dto::MeasurementSource::Register,
                    parts: store::parts_of(&m),
                    max_term_days: m.max_term_days,
                },
            )
        })
        .collect();
    assert_eq!(
        stored.len(),
        expected.len(),
        "as many stored cells as computed ones"
    );
    for (k, v) in &expected {
        assert_eq!(stored.get(k), Some(v), "cell {k:?}");
    }
    db.close().await.ok();
    stored_files
}

#[tokio::test]
async fn concurrent_uploads_and_single_file_writes_to_one_authority_lose_nothing() {
    // The probe: 8 simultaneous 2,000-row uploads to 017029 answered 500 "database is locked" on
    // SQLite (7 of 8) and left `started` 14,000 short on PostgreSQL; 8 threads of single-file
    // PUTs lost updates. Now every writer of one authority waits for the one before.
    let app = spawn_app().await;
    let sec = app.token_for(Role::Secretariat).await;
    let code = "017029";
    let uploads = (0..8).map(|u| {
        let (app, sec) = (&app, &sec);
        async move {
            // A writer that waited longer than SQLite's busy timeout gets 503 + Retry-After (never
            // a 500) and tries again, as a client would.
            for _ in 0..10 {
                let r = upload(app, sec, code, register(&format!("U{u}"), 2_000)).await;
                if r.status() != 503 {
                    return r;
                }
                assert!(r.headers().contains_key("retry-after"));
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            panic!("still busy after 10 tries");
        }
    });
    let puts = (0..8).map(|t| {
        let (app, sec) = (&app, &sec);
        async move {
            let mut codes = Vec::new();
            for k in 0..10 {
                let mut status = 503;
                for _ in 0..10 {
                    let r = put_file(app, sec, code, &format!("P{t}-{k}"), t * 10 + k).await;
                    status = r.status().as_u16();
                    if status != 503 {
                        break;
                    }
                    assert!(r.headers().contains_key("retry-after"));
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                codes.push(status);
            }
            codes
        }
    });
    let (up, put) = tokio::join!(join_all(uploads), join_all(puts));
    for r in up {
        let status = r.status().as_u16();
        assert_eq!(status, 200, "upload: {}", r.text().await.unwrap());
    }
    for codes in put {
        assert!(
            codes.iter().all(|c| *c == 201),
            "single-file writes: {codes:?}"
        );
    }
    let files = assert_cells_match_files(&app, code).await;
    assert_eq!(files, 8 * 2_000 + 80);
    // The dashboard read right after reflects every file.
    let report = json_of(
        app.get(
            &format!("/api/v1/indicators?level=authority&key={code}&{ALL}"),
            &sec,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(started(&report), files as i64);
}

#[tokio::test]
async fn single_file_writes_read_back_at_once_on_this_and_on_another_server() {
    let app = spawn_app().await;
    let other = spawn_second_app(&app.database).await;
    let sec = app.token_for(Role::Secretariat).await;
    let url = format!("/api/v1/indicators?level=province&key=BG&{ALL}");
    let auth_url = format!("/api/v1/indicators?level=authority&key=016024&{ALL}");
    let base = started(&json_of(other.get(&url, &sec).await, 200).await);
    let base_auth = started(&json_of(app.get(&auth_url, &sec).await, 200).await);
    for i in 0..12 {
        json_of(
            put_file(&app, &sec, "016024", &format!("RYW-{i}"), i).await,
            201,
        )
        .await;
        // The other server (its own cube) and this one both see the write at once.
        let there = json_of(other.get(&url, &sec).await, 200).await;
        assert_eq!(
            started(&there),
            base + i as i64 + 1,
            "other server after write {i}"
        );
        let here = json_of(app.get(&auth_url, &sec).await, 200).await;
        assert_eq!(
            started(&here),
            base_auth + i as i64 + 1,
            "same server after write {i}"
        );
    }
    // Both applied the writes incrementally: one full load each, at start.
    for server in [&app, &other] {
        let status = cube_status(server).await;
        assert_eq!(status["indicators"]["loads"], 1, "{status}");
        assert!(status["indicators"]["catch_ups"].as_u64().unwrap() >= 1);
    }
}

#[tokio::test]
async fn a_phase_and_its_authorities_are_in_the_indicators_at_once() {
    // The probe: creating a phase did not move the version, so `level=phase` answered 404 until
    // some unrelated monitoring write happened.
    let app = spawn_app().await;
    let sec = app.token_for(Role::Secretariat).await;
    // The cube is loaded before the phase exists.
    json_of(app.get("/api/v1/indicators", &sec).await, 200).await;
    let phase = json_of(
        app.post_json(
            "/api/v1/phases",
            Some(&sec),
            &json!({"name": "Fase live", "start_date": "2026-01-01", "description": "Prova"}),
        )
        .await,
        201,
    )
    .await;
    let id = phase["id"].as_i64().unwrap();
    let url = format!("/api/v1/indicators?level=phase&key={id}&{ALL}");
    let empty = json_of(app.get(&url, &sec).await, 200).await;
    assert_eq!(empty["name"], "Fase live");
    assert_eq!(started(&empty), 0);
    json_of(put_file(&app, &sec, "016024", "PH-1", 1).await, 201).await;
    json_of(
        app.post_json(
            &format!("/api/v1/phases/{id}/authorities"),
            Some(&sec),
            &json!({"istat_codes": ["016024"]}),
        )
        .await,
        200,
    )
    .await;
    let with = json_of(app.get(&url, &sec).await, 200).await;
    assert!(started(&with) >= 1, "{with}");
    assert_eq!(with["children"][0]["key"], "016024");
    let res = app
        .request(
            Method::DELETE,
            &format!("/api/v1/phases/{id}/authorities/016024"),
            Some(&sec),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(started(&json_of(app.get(&url, &sec).await, 200).await), 0);
}

/// A small deterministic generator (no dependency): the same sequence at every run.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) % n as u64) as usize
    }
}

/// The answers compared between the incremental cube and a fresh one.
fn probes(authorities: &[&str], phase: i64) -> Vec<String> {
    let mut out = vec![
        format!("/api/v1/indicators?{ALL}"),
        format!("/api/v1/indicators?{ALL}&validated_only=true"),
        format!("/api/v1/indicators?level=procedure&key=PDC&{ALL}"),
        format!("/api/v1/indicators?level=task_force&key=building_planning&{ALL}"),
        format!("/api/v1/indicators?level=phase&key={phase}&{ALL}"),
        format!("/api/v1/indicators/completeness?level=province&key=BG&{ALL}"),
        format!("/api/v1/indicators/rankings?level=region&by=progress&limit=50&{ALL}"),
        "/api/v1/indicators?level=province&key=BS".to_owned(),
    ];
    for p in ["BG", "BS", "MI"] {
        out.push(format!("/api/v1/indicators?level=province&key={p}&{ALL}"));
    }
    for a in authorities {
        out.push(format!("/api/v1/indicators?level=authority&key={a}&{ALL}"));
        out.push(format!("/api/v1/indicators?level=authority&key={a}"));
    }
    out
}

#[tokio::test]
async fn incremental_application_of_random_writes_equals_a_full_reload() {
    let app = spawn_app().await;
    let sec = app.token_for(Role::Secretariat).await;
    // The demo representative's authority is 016024: it submits; the secretariat reviews.
    let rep = app.token_for(Role::AuthorityRep).await;
    let authorities = ["016024", "017029", "016011", "017001", "015146"];
    let phase = json_of(
        app.post_json(
            "/api/v1/phases",
            Some(&sec),
            &json!({"name": "Fase prova", "start_date": "2026-01-01", "description": "Prova"}),
        )
        .await,
        201,
    )
    .await["id"]
        .as_i64()
        .unwrap();
    let probes = probes(&authorities, phase);
    let mut rng = Lcg(11);
    let mut files: HashMap<&str, usize> = HashMap::new();
    for step in 0..60 {
        let a = authorities[rng.next(authorities.len())];
        let n = files.entry(a).or_default();
        let ok: (bool, String) = match rng.next(9) {
            0 => {
                let r = upload(
                    &app,
                    &sec,
                    a,
                    register(&format!("R{step}"), 40 + rng.next(60)),
                )
                .await;
                let s = r.status().as_u16();
                (s == 200, format!("{s} {}", r.text().await.unwrap()))
            }
            1 | 2 => {
                *n += 1;
                let r = put_file(&app, &sec, a, &format!("F{}", *n), step).await;
                let s = r.status().as_u16();
                (
                    r.status().is_success(),
                    format!("{s} {}", r.text().await.unwrap()),
                )
            }
            3 if *n > 0 => {
                let r = app
                    .request(
                        Method::DELETE,
                        &format!("/api/v1/authorities/{a}/files/F{}", *n),
                        Some(&sec),
                    )
                    .send()
                    .await
                    .unwrap();
                *n -= 1;
                let s = r.status().as_u16();
                (s == 204, format!("{s} {}", r.text().await.unwrap()))
            }
            4 => {
                let body = json!({"baseline": if rng.next(2) == 0 { "2022S1" } else { "2021S2" },
                    "milestones": [{"period": "2025S2", "backlog_reduction_pct": 10 + rng.next(50), "duration_reduction_pct": 5}]});
                let r = app
                    .request(
                        Method::PUT,
                        &format!("/api/v1/authorities/{a}/targets"),
                        Some(&sec),
                    )
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                let s = r.status().as_u16();
                (s == 200, format!("{s} {}", r.text().await.unwrap()))
            }
            5 => {
                let r = app
                    .request(
                        Method::DELETE,
                        &format!("/api/v1/authorities/{a}/targets"),
                        Some(&sec),
                    )
                    .send()
                    .await
                    .unwrap();
                let s = r.status().as_u16();
                (s == 204, format!("{s} {}", r.text().await.unwrap()))
            }
            6 => {
                let r = app
                    .post_json(
                        &format!("/api/v1/phases/{phase}/authorities"),
                        Some(&sec),
                        &json!({"istat_codes": [a]}),
                    )
                    .await;
                let s = r.status().as_u16();
                (s == 200, format!("{s} {}", r.text().await.unwrap()))
            }
            7 => {
                let period = ["2023S1", "2023S2", "2024S1"][rng.next(3)];
                let action = ["submit", "validate", "return"][rng.next(3)];
                let (a, who) = if action == "submit" {
                    ("016024", &rep)
                } else {
                    (a, &sec)
                };
                let r = app
                    .post_json(
                        &format!("/api/v1/authorities/{a}/semesters/{period}/transitions"),
                        Some(who),
                        &json!({"action": action, "comment": "prova"}),
                    )
                    .await;
                // A transition not allowed from the current state is a 409: no change.
                let s = r.status().as_u16();
                (
                    matches!(s, 200 | 409 | 422),
                    format!("{s} {}", r.text().await.unwrap()),
                )
            }
            _ => {
                let body = json!({"baseline": "2021S2", "lock_days": 60 + rng.next(30),
                    "milestones": [{"period": "2024S2", "backlog_reduction_pct": 20, "duration_reduction_pct": 10},
                                   {"period": "2026S1", "backlog_reduction_pct": 40 + rng.next(30), "duration_reduction_pct": 15}]});
                let r = app
                    .request(Method::PUT, "/api/v1/monitoring/settings", Some(&sec))
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                let s = r.status().as_u16();
                (s == 200, format!("{s} {}", r.text().await.unwrap()))
            }
        };
        assert!(ok.0, "step {step}: {}", ok.1);
        // Read after most steps (so that every answer is memoised and a later write must drop
        // exactly the answers it touches), sometimes not (so that changes are applied in batches).
        if rng.next(4) != 0 {
            for p in &probes {
                json_of(app.get(p, &sec).await, 200).await;
            }
        }
        // Now and then a server that loads everything afresh must give every answer the same.
        if step % 15 == 14 {
            let fresh = spawn_second_app(&app.database).await;
            for p in &probes {
                let incremental = app.get(p, &sec).await.text().await.unwrap();
                let reloaded = fresh.get(p, &sec).await.text().await.unwrap();
                assert_eq!(incremental, reloaded, "step {step}: {p}");
            }
        }
    }
    let status = cube_status(&app).await;
    assert_eq!(
        status["indicators"]["loads"], 1,
        "only incremental changes: {status}"
    );
}

#[tokio::test]
async fn a_new_procedure_is_in_the_indicators_at_once() {
    let app = spawn_app().await;
    let sec = app.token_for(Role::Secretariat).await;
    json_of(app.get("/api/v1/indicators", &sec).await, 200).await;
    let res = app
        .post_json(
            "/api/v1/procedures",
            Some(&sec),
            &json!({"code": "LIVE_PROC", "task_force": "building_planning", "name": "Procedimento nuovo", "legal_term_days": 30, "term_indicative": false}),
        )
        .await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let r = json_of(
        app.get(
            &format!("/api/v1/indicators?level=procedure&key=LIVE_PROC&{ALL}"),
            &sec,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(r["name"], "Procedimento nuovo");
}

#[tokio::test]
async fn concurrent_first_queries_share_one_load() {
    // The probe: 32 dashboards opened at once after start each loaded the whole cube, took every
    // pooled connection and answered 500 "Connection pool timed out".
    let app = spawn_app().await;
    let sec = app.token_for(Role::Secretariat).await;
    let codes: Vec<String> = json_of(
        app.get("/api/v1/authorities?limit=32&kind=comune", &sec)
            .await,
        200,
    )
    .await["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["istat_code"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(codes.len(), 32);
    let answers = join_all(codes.iter().map(|c| {
        let (app, sec) = (&app, &sec);
        async move {
            app.get(&format!("/api/v1/indicators?level=authority&key={c}"), sec)
                .await
        }
    }))
    .await;
    for r in answers {
        let status = r.status().as_u16();
        // At most a 503 with Retry-After while the first load runs: never a 500.
        if status == 503 {
            assert!(r.headers().contains_key("retry-after"));
        } else {
            assert_eq!(status, 200, "{}", r.text().await.unwrap());
        }
    }
    let status = cube_status(&app).await;
    assert_eq!(status["indicators"]["loads"], 1, "{status}");
    assert_eq!(status["indicators"]["ready"], true);
}

#[tokio::test]
async fn a_database_outage_during_a_catch_up_answers_503_never_stale_data() {
    if affianca_tests::backend() != "postgres" {
        return;
    }
    use affianca_tests::proxy::TcpProxy;
    let database = affianca_tests::TestDatabase::new().await;
    let mut url = reqwest::Url::parse(&database.url).unwrap();
    let proxy = TcpProxy::start(std::net::SocketAddr::from((
        [127, 0, 0, 1],
        url.port().unwrap_or(5432),
    )))
    .await;
    url.set_host(Some("127.0.0.1")).unwrap();
    url.set_port(Some(proxy.port())).unwrap();
    // The writer reaches the database directly; the reader through the proxy.
    let writer = spawn_second_app(&database).await;
    let reader =
        affianca_tests::spawn_app_on(database.shared(), &[("DATABASE_URL", url.to_string())]).await;
    let sec = writer.token_for(Role::Secretariat).await;
    let q = format!("/api/v1/indicators?level=authority&key=016024&{ALL}");
    let before = started(&json_of(reader.get(&q, &sec).await, 200).await);
    proxy.stop();
    json_of(put_file(&writer, &sec, "016024", "OUT-1", 1).await, 201).await;
    // The reader cannot read the log: it does not answer with what it had.
    let t = Instant::now();
    let r = reader.get(&q, &sec).await;
    assert_eq!(r.status(), 503);
    assert!(r.headers().contains_key("retry-after"));
    assert!(t.elapsed() < Duration::from_secs(8));
    proxy.resume().await;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let r = reader.get(&q, &sec).await;
        if r.status() == 200 {
            assert_eq!(started(&json_of(r, 200).await), before + 1);
            break;
        }
        assert_eq!(r.status(), 503);
        assert!(Instant::now() < deadline, "never recovered");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // It caught up: no second full load.
    let status = cube_status(&reader).await;
    assert_eq!(status["indicators"]["loads"], 1, "{status}");
}

#[tokio::test]
async fn a_foreign_authority_writes_nothing_and_moves_no_indicator() {
    // The representative of Bergamo (016024) against Brescia (017029), and on its own authority.
    let app = spawn_app().await;
    let sec = app.token_for(Role::Secretariat).await;
    let rep = app.token_for(Role::AuthorityRep).await;
    let q = format!("/api/v1/indicators?level=authority&key=017029&{ALL}");
    let before = started(&json_of(app.get(&q, &sec).await, 200).await);
    let applied = cube_status(&app).await["indicators"]["applied_change"].clone();
    assert_eq!(put_file(&app, &rep, "017029", "X-1", 1).await.status(), 403);
    assert_eq!(
        upload(&app, &rep, "017029", register("X", 5))
            .await
            .status(),
        403
    );
    let del = app
        .request(
            Method::DELETE,
            "/api/v1/authorities/017029/files/X-1",
            Some(&rep),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(del.status(), 403);
    assert_eq!(
        started(&json_of(app.get(&q, &sec).await, 200).await),
        before
    );
    assert_eq!(
        cube_status(&app).await["indicators"]["applied_change"],
        applied,
        "no change logged"
    );
    // Its own authority: written, logged, visible.
    json_of(put_file(&app, &rep, "016024", "OWN-1", 1).await, 201).await;
    let own = format!("/api/v1/indicators?level=authority&key=016024&{ALL}");
    assert!(started(&json_of(app.get(&own, &rep).await, 200).await) >= 1);
}
