//! Faults and data safety: a database that stops answering (fast 503s, recovery without a
//! restart), files seen by every server of one database, and `Location` on every 201.

use affianca_domain::Role;
use affianca_tests::proxy::TcpProxy;
use affianca_tests::{
    TestApp, TestDatabase, assert_problem, demo_email, spawn_app, spawn_app_on, spawn_app_with,
    spawn_second_app, spawn_second_app_with,
};
use reqwest::{Method, Response};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// A 503 problem with `Retry-After`, answered within `within`.
async fn assert_unavailable(started: Instant, res: Response, within: Duration) {
    let took = started.elapsed();
    assert!(
        took <= within,
        "{} answered after {took:?}, more than {within:?}",
        res.url()
    );
    let retry = res
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    assert!(retry.is_some_and(|s| s > 0), "Retry-After on {}", res.url());
    assert_problem(res, 503, "service_unavailable").await;
}

/// With the database unreachable (a forwarder between the server and PostgreSQL, stopped),
/// `/status`, logins and authenticated calls answer 503 problem+json with Retry-After within
/// about three seconds (at once, well under that, once the server knows), never a 500 after 10–20 s; when the
/// database is back they answer 200 again, without a restart. PostgreSQL only.
#[tokio::test]
async fn an_unreachable_database_answers_a_fast_503_and_recovers() {
    if affianca_tests::backend() != "postgres" {
        return;
    }
    let database = TestDatabase::new().await;
    let mut url = reqwest::Url::parse(&database.url).expect("a database URL");
    let target = std::net::SocketAddr::from((
        url.host_str()
            .unwrap_or("127.0.0.1")
            .parse::<std::net::IpAddr>()
            .unwrap_or([127, 0, 0, 1].into()),
        url.port().unwrap_or(5432),
    ));
    let proxy = TcpProxy::start(target).await;
    url.set_host(Some("127.0.0.1")).unwrap();
    url.set_port(Some(proxy.port())).unwrap();
    let app = spawn_app_on(database, &[("DATABASE_URL", url.to_string())]).await;
    let sec = app.token_for(Role::Secretariat).await;
    let status = || app.client.get(app.url("/api/v1/status")).send();
    let login = || app.try_login(demo_email(Role::Secretariat), affianca_tests::DEMO_PASSWORD);
    let list = || app.get("/api/v1/support-requests?limit=1", &sec);
    assert_eq!(status().await.unwrap().status(), 200);

    proxy.stop();
    // The first requests find out (the pool gives up after 3 s) ...
    let within = Duration::from_millis(5_000);
    let t = Instant::now();
    assert_unavailable(t, list().await, within).await;
    let t = Instant::now();
    assert_unavailable(t, login().await, within).await;
    let t = Instant::now();
    assert_unavailable(t, status().await.unwrap(), within).await;
    // ... and from then on nothing waits.
    let fast = Duration::from_millis(1_500);
    for _ in 0..3 {
        let t = Instant::now();
        assert_unavailable(t, status().await.unwrap(), fast).await;
        let t = Instant::now();
        assert_unavailable(t, login().await, fast).await;
        let t = Instant::now();
        assert_unavailable(t, list().await, fast).await;
    }

    proxy.resume().await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while status().await.unwrap().status() != 200 {
        assert!(Instant::now() < deadline, "never recovered");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(list().await.status(), 200);
    assert_eq!(login().await.status(), 200);
}

/// A request submitted by the authority, to attach files to.
async fn submitted_request(app: &TestApp, rep: &str) -> i64 {
    let res = app
        .post_json(
            "/api/v1/support-requests",
            Some(rep),
            &json!({"istat_code": "016024", "procedure": "PDC", "subject": "Con allegati",
                    "description": "Prova", "support_kind": "other"}),
        )
        .await;
    assert_eq!(res.status(), 201);
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

/// A PNG header followed by `len` bytes that are not all alike (2.5 MB: three database chunks).
fn big_png(len: usize) -> Vec<u8> {
    let mut v = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut x: u32 = 2_463_534_242;
    v.extend((0..len).map(|_| {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        x as u8
    }));
    v
}

async fn attach(app: &TestApp, token: &str, request: i64, name: &str, body: Vec<u8>) -> Response {
    app.request(
        Method::POST,
        &format!("/api/v1/support-requests/{request}/attachments"),
        Some(token),
    )
    .header("Content-Type", "application/octet-stream")
    .header("X-File-Name", name)
    .body(body)
    .send()
    .await
    .unwrap()
}

/// Two servers on one database, each with its own data dir: an attachment and a protocol
/// uploaded through one are downloaded byte for byte through the other. On PostgreSQL this is the
/// default file store; on SQLite the database store is asked for (`AFFIANCA_FILE_STORE`).
#[tokio::test]
async fn files_uploaded_through_one_server_are_served_by_another() {
    let extra: Vec<(&'static str, String)> = if affianca_tests::backend() == "sqlite" {
        vec![("AFFIANCA_FILE_STORE", "database".into())]
    } else {
        vec![]
    };
    let a = spawn_app_with(&extra).await;
    let b = spawn_second_app_with(&a.database, &extra).await;
    let rep = a.token_for(Role::AuthorityRep).await;
    let id = submitted_request(&a, &rep).await;
    let bytes = big_png(2_500_000);
    let res = attach(&a, &rep, id, "planimetria.png", bytes.clone()).await;
    assert_eq!(res.status(), 201);
    let location = res
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .expect("Location of the attachment")
        .to_owned();
    let got = b.get(&location, &rep).await;
    assert_eq!(got.status(), 200, "served by the other server");
    assert_eq!(got.headers()["content-type"], "image/png");
    assert_eq!(
        got.headers()["content-length"],
        bytes.len().to_string().as_str()
    );
    let body = got.bytes().await.unwrap();
    assert!(body.as_ref() == bytes.as_slice(), "byte-identical");
    // The same content again is kept once and still served whole.
    let res = attach(&b, &rep, id, "copia.png", bytes.clone()).await;
    assert_eq!(res.status(), 201);
    let again = res.headers()["location"].to_str().unwrap().to_owned();
    let body = a.get(&again, &rep).await.bytes().await.unwrap();
    assert!(body.as_ref() == bytes.as_slice(), "deduplicated, whole");

    // The protocol of a registration.
    let pdf = crate::onboarding::pdf();
    let reg: Value = crate::onboarding::register(&a, "019001", "sindaco", "file@esempio.it")
        .await
        .json()
        .await
        .unwrap();
    let reg_id = reg["id"].as_i64().unwrap();
    let tokens: Value = a
        .try_login("file@esempio.it", "una password lunga")
        .await
        .json()
        .await
        .unwrap();
    let res = crate::onboarding::upload(
        &a,
        tokens["access_token"].as_str().unwrap(),
        reg_id,
        pdf.clone(),
    )
    .await;
    assert_eq!(res.status(), 200);
    let sec = b.token_for(Role::Secretariat).await;
    let got = b
        .get(&format!("/api/v1/registrations/{reg_id}/protocol"), &sec)
        .await;
    assert_eq!(got.status(), 200);
    assert_eq!(got.bytes().await.unwrap().as_ref(), pdf.as_slice());
}

/// The same file uploaded at once through two servers into the database store: every upload is
/// answered 201, the content is kept once (one set of chunks) and served whole by both servers;
/// another authority's user can neither attach to the request nor read its files.
#[tokio::test]
async fn concurrent_uploads_of_one_file_through_two_servers_keep_one_whole_copy() {
    use sea_orm::{EntityTrait, PaginatorTrait};
    let extra = vec![("AFFIANCA_FILE_STORE", "database".to_owned())];
    let a = spawn_app_with(&extra).await;
    let b = spawn_second_app_with(&a.database, &extra).await;
    let rep = a.token_for(Role::AuthorityRep).await;
    let id = submitted_request(&a, &rep).await;
    let bytes = big_png(2_500_000);
    let uploads = (0..6).map(|i| {
        let server = if i % 2 == 0 { &a } else { &b };
        attach(server, &rep, id, "planimetria.png", bytes.clone())
    });
    let answers = futures_util::future::join_all(uploads).await;
    let mut locations = Vec::new();
    for res in answers {
        assert_eq!(res.status(), 201, "every concurrent upload is kept");
        locations.push(res.headers()["location"].to_str().unwrap().to_owned());
    }
    for (i, location) in locations.iter().enumerate() {
        let server = if i % 2 == 0 { &b } else { &a };
        let body = server.get(location, &rep).await.bytes().await.unwrap();
        assert!(
            body.as_ref() == bytes.as_slice(),
            "served whole: {location}"
        );
    }
    let db = affianca_api::db::connect(&a.database.url, 1).await.unwrap();
    let chunks = affianca_api::entities::file_chunk::Entity::find()
        .count(&db)
        .await
        .unwrap();
    assert_eq!(chunks, 3, "one copy of 2.5 MB in 1 MB chunks, no leftovers");

    // A foreign scope: Brescia's delegate, on either server.
    let foreign = a.token_for(Role::AuthorityDelegate).await;
    let res = attach(&b, &foreign, id, "intruso.png", big_png(1000)).await;
    assert_problem(res, 404, "not_found").await;
    assert_problem(a.get(&locations[0], &foreign).await, 404, "not_found").await;
}

/// A refused upload leaves nothing in the database store (no chunks under any key).
#[tokio::test]
async fn a_refused_upload_leaves_no_chunks() {
    use sea_orm::{EntityTrait, PaginatorTrait};
    let a = spawn_app_with(&[("AFFIANCA_FILE_STORE", "database".into())]).await;
    let rep = a.token_for(Role::AuthorityRep).await;
    let id = submitted_request(&a, &rep).await;
    // Too large: streamed past the limit (20 MB).
    let res = attach(&a, &rep, id, "enorme.png", big_png(21 * 1024 * 1024)).await;
    assert_problem(res, 413, "payload_too_large").await;
    // Not a kind we keep.
    let res = attach(&a, &rep, id, "x.gif", b"GIF89a....".repeat(200_000)).await;
    assert_eq!(res.status(), 415);
    let db = affianca_api::db::connect(&a.database.url, 1).await.unwrap();
    let chunks = affianca_api::entities::file_chunk::Entity::find()
        .count(&db)
        .await
        .unwrap();
    assert_eq!(chunks, 0);
}

/// Every 201 names what it created in `Location`, and that address answers.
#[tokio::test]
async fn every_created_resource_has_a_location() {
    let app = spawn_app().await;
    let rep = app.token_for(Role::AuthorityRep).await;
    let admin = app.token_for(Role::Admin).await;
    let id = submitted_request(&app, &rep).await;
    let location = |res: &Response| {
        assert_eq!(res.status(), 201, "{}", res.url());
        res.headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_else(|| panic!("no Location on {}", res.url()))
            .to_owned()
    };

    // A message: its Location reads it back.
    let res = app
        .post_json(
            &format!("/api/v1/support-requests/{id}/messages"),
            Some(&rep),
            &json!({"body": "Ecco il verbale."}),
        )
        .await;
    let at = location(&res);
    let posted: Value = res.json().await.unwrap();
    assert_eq!(
        at,
        format!(
            "/api/v1/support-requests/{id}/messages/{}",
            posted["id"].as_i64().unwrap()
        )
    );
    let read = app.get(&at, &rep).await;
    assert_eq!(read.status(), 200);
    let read: Value = read.json().await.unwrap();
    for field in ["id", "author", "body", "internal"] {
        assert_eq!(read[field], posted[field], "{field}");
    }
    // An internal note is not readable by the authority there either.
    let coordinator = app.token_for(Role::Coordinator).await;
    let res = app
        .post_json(
            &format!("/api/v1/support-requests/{id}/messages"),
            Some(&coordinator),
            &json!({"body": "Nota interna.", "internal": true}),
        )
        .await;
    let note = location(&res);
    assert_eq!(app.get(&note, &coordinator).await.status(), 200);
    assert_problem(app.get(&note, &rep).await, 404, "not_found").await;

    // An attachment: its Location downloads it.
    let res = attach(&app, &rep, id, "foto.png", big_png(100)).await;
    let at = location(&res);
    assert_eq!(app.get(&at, &rep).await.status(), 200);

    // An invitation (its Location is what DELETE withdraws).
    let res = app
        .post_json(
            "/api/v1/authorities/016024/invitations",
            Some(&rep),
            &json!({"email": "nuovo.delegato@esempio.it"}),
        )
        .await;
    let at = location(&res);
    let inv: Value = res.json().await.unwrap();
    assert_eq!(
        at,
        format!("/api/v1/authorities/016024/invitations/{}", inv["id"])
    );

    // A grant (its Location is what DELETE revokes).
    let users: Value = app
        .get("/api/v1/users?role=expert", &admin)
        .await
        .json()
        .await
        .unwrap();
    let uid = users["items"][0]["id"].as_i64().unwrap();
    let res = app
        .post_json(
            &format!("/api/v1/users/{uid}/grants"),
            Some(&admin),
            &json!({"role": "expert", "scope": "task_force:waste"}),
        )
        .await;
    let at = location(&res);
    let grant: Value = res.json().await.unwrap();
    assert_eq!(at, format!("/api/v1/users/{uid}/grants/{}", grant["id"]));
    let res = app
        .request(Method::DELETE, &at, Some(&admin))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.status());

    // A register file written by PUT: 201 the first time, with its address.
    let res = app
        .request(
            Method::PUT,
            "/api/v1/authorities/016024/files/GEST%201",
            Some(&rep),
        )
        .json(&json!({"procedure": "PDC", "start_date": "2024-01-15"}))
        .send()
        .await
        .unwrap();
    let at = location(&res);
    assert_eq!(at, "/api/v1/authorities/016024/files/GEST%201");
    assert_eq!(app.get(&at, &rep).await.status(), 200);
}

/// Without the database store, a second server with its own data dir does not see the first
/// one's files: the default on SQLite is the local directory (one server).
#[tokio::test]
async fn the_local_store_is_the_default_on_sqlite() {
    if affianca_tests::backend() != "sqlite" {
        return;
    }
    let a = spawn_app().await;
    let b = spawn_second_app(&a.database).await;
    let rep = a.token_for(Role::AuthorityRep).await;
    let id = submitted_request(&a, &rep).await;
    let res = attach(&a, &rep, id, "foto.png", big_png(100)).await;
    let at = res.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(a.get(&at, &rep).await.status(), 200);
    assert!(
        a.database
            .dir
            .path()
            .join("files")
            .read_dir()
            .unwrap()
            .next()
            .is_some()
    );
    assert_eq!(b.get(&at, &rep).await.status(), 404);
}

/// A backup taken while the server runs, restored into a new data dir, starts a server that has
/// the data, attachments included (SQLite; PostgreSQL is backed up with pg_dump).
#[tokio::test]
async fn a_backup_restored_elsewhere_serves_the_same_data_and_files() {
    if affianca_tests::backend() != "sqlite" {
        return;
    }
    let a = spawn_app().await;
    let rep = a.token_for(Role::AuthorityRep).await;
    let id = submitted_request(&a, &rep).await;
    let bytes = big_png(300_000);
    let res = attach(&a, &rep, id, "planimetria.png", bytes.clone()).await;
    let at = res.headers()["location"].to_str().unwrap().to_owned();

    let archive_dir = tempfile::tempdir().unwrap();
    let archive = archive_dir.path().join("backup.tar");
    let summary = affianca_api::backup::backup(&a.database.url, a.database.dir.path(), &archive)
        .await
        .expect("backup");
    assert_eq!(summary.files, 1);

    let restored = TestDatabase::new().await;
    affianca_api::backup::restore(&restored.url, restored.dir.path(), &archive, false)
        .expect("restore");
    let b = spawn_app_on(restored, &[]).await;
    let rep = b.token_for(Role::AuthorityRep).await;
    let got = b.get(&format!("/api/v1/support-requests/{id}"), &rep).await;
    assert_eq!(got.status(), 200);
    let got = b.get(&at, &rep).await;
    assert_eq!(got.status(), 200);
    assert!(got.bytes().await.unwrap().as_ref() == bytes.as_slice());
}
