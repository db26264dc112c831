//! `affianca import-authorities`: a newer ISTAT list renames, adds and retires comuni without
//! losing anything.

use affianca_api::entities::authority;
use affianca_api::reference::{COMUNI_CSV, import_authorities};
use affianca_tests::TestDatabase;
use sea_orm::EntityTrait;

fn edited_list() -> String {
    let mut out = String::new();
    for line in COMUNI_CSV.lines() {
        if line.starts_with("012002,") {
            continue; // Albizzate vanishes (merged)
        }
        if let Some(rest) = line.strip_prefix("012001,Agra,") {
            out.push_str(&format!("012001,Agra Nuova,{rest}\n"));
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out.push_str("012999,Nuovo Comune,VA,Z999,00000000000\n");
    out
}

#[tokio::test]
async fn a_newer_list_renames_adds_and_retires_without_deleting() {
    let database = TestDatabase::new().await;
    let db = database.connect_seeded().await;
    let report = import_authorities(&db, &edited_list()).await.unwrap();
    assert_eq!(report.added, ["012999 Nuovo Comune"]);
    assert_eq!(report.updated, ["012001 Agra Nuova (was Agra)"]);
    assert_eq!(report.retired, ["012002 Albizzate"]);
    assert_eq!(report.unchanged, 1500);

    let retired = authority::Entity::find_by_id("012002".to_owned())
        .one(&db)
        .await
        .unwrap()
        .expect("kept");
    assert!(!retired.active);
    let renamed = authority::Entity::find_by_id("012001".to_owned())
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (renamed.name.as_str(), renamed.name_search.as_str()),
        ("Agra Nuova", "agra nuova")
    );

    // Applying the same list again changes nothing; the original list brings Albizzate back.
    let again = import_authorities(&db, &edited_list()).await.unwrap();
    assert!(again.added.is_empty() && again.updated.is_empty() && again.retired.is_empty());
    let back = import_authorities(&db, COMUNI_CSV).await.unwrap();
    assert_eq!(back.reactivated, ["012002 Albizzate"]);
    assert_eq!(back.retired, ["012999 Nuovo Comune"]);
}

#[tokio::test]
async fn a_list_with_bad_rows_changes_nothing() {
    let database = TestDatabase::new().await;
    let db = database.connect_seeded().await;
    let bad = format!("{COMUNI_CSV}12,Broken,VA,,\n099001,Fuori Regione,XX,A000,0\n");
    let err = import_authorities(&db, &bad).await.unwrap_err().to_string();
    assert!(err.contains("line 1504"), "{err}");
    let err = import_authorities(
        &db,
        &format!("{COMUNI_CSV}099001,Fuori Regione,XX,A000,0\n"),
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(err.contains("unknown province XX"), "{err}");
    let count = authority::Entity::find().all(&db).await.unwrap().len();
    assert_eq!(count, 1502 + 12 + 1);
}

#[tokio::test]
async fn seeding_twice_adds_nothing() {
    let database = TestDatabase::new().await;
    let db = database.connect_seeded().await;
    affianca_api::reference::seed_reference(&db).await.unwrap();
    affianca_demo::seed_demo(&db).await.unwrap();
    affianca_demo::seed_demo(&db).await.unwrap();
    assert_eq!(
        authority::Entity::find().all(&db).await.unwrap().len(),
        1502 + 12 + 1
    );
    assert_eq!(
        affianca_api::entities::procedure::Entity::find()
            .all(&db)
            .await
            .unwrap()
            .len(),
        20
    );
    assert_eq!(
        affianca_api::entities::user::Entity::find()
            .all(&db)
            .await
            .unwrap()
            .len(),
        affianca_tests::DEMO_USERS.len()
    );
    assert_eq!(
        affianca_api::entities::role_grant::Entity::find()
            .all(&db)
            .await
            .unwrap()
            .len(),
        affianca_tests::DEMO_USERS.len()
    );
}

#[tokio::test]
async fn the_running_server_sees_an_import_made_by_another_process_at_once() {
    use affianca_domain::Role;
    use affianca_domain::dto::{Authority, Page};
    let app = affianca_tests::spawn_app().await;
    let token = app.token_for(Role::Observer).await;
    let before: Authority = app
        .get("/api/v1/authorities/012001", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(before.name, "Agra");

    // Another connection (as `affianca import-authorities` would) changes the registry.
    let other = affianca_api::db::connect(&app.database.url, 1)
        .await
        .unwrap();
    import_authorities(&other, &edited_list()).await.unwrap();

    let after: Authority = app
        .get("/api/v1/authorities/012001", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(after.name, "Agra Nuova");
    let found: Page<Authority> = app
        .get("/api/v1/authorities?q=agra%20nuova", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(found.total, 1);
    let retired: Page<Authority> = app
        .get("/api/v1/authorities?q=albizzate", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(retired.total, 0, "retired comuni leave the default listing");
    let with_inactive: Page<Authority> = app
        .get(
            "/api/v1/authorities?q=albizzate&include_inactive=true",
            &token,
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(!with_inactive.items[0].active);
    let new: Authority = app
        .get("/api/v1/authorities/012999", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(new.province_name.as_deref(), Some("Varese"));
}
