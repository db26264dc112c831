//! `affianca import-authorities`: a newer ISTAT list renames, adds and retires comuni without
//! losing anything.

use affianca_api::entities::authority;
use affianca_api::seed::{COMUNI_CSV, import_authorities};
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
