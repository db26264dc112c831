use affianca_domain::Role;
use affianca_domain::dto::{Authority, Page, Province};
use affianca_tests::{assert_problem, spawn_app};

#[tokio::test]
async fn the_registry_holds_every_comune_and_province_of_lombardy() {
    let app = spawn_app().await;
    let token = app.token_for(Role::Observer).await;
    let comuni: Page<Authority> = app
        .get("/api/v1/authorities?kind=comune&limit=1", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(comuni.total, 1502);
    let provinces: Vec<Province> = app
        .get("/api/v1/provinces", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(provinces.len(), 12);
    assert_eq!(provinces.iter().map(|p| p.comuni).sum::<u64>(), 1502);
    let milano = provinces.iter().find(|p| p.code.as_str() == "MI").unwrap();
    assert_eq!(milano.authority_code.as_str(), "215");
    let bodies: Page<Authority> = app
        .get("/api/v1/authorities?kind=provincia&limit=200", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(bodies.total, 11);
    let region: Authority = app
        .get("/api/v1/authorities/03", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(region.name, "Regione Lombardia");
}

#[tokio::test]
async fn filtering_by_province_pages_through_bergamo() {
    let app = spawn_app().await;
    let token = app.token_for(Role::Secretariat).await;
    let page1: Page<Authority> = app
        .get(
            "/api/v1/authorities?province=bg&kind=comune&limit=100",
            &token,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page1.total, 243);
    assert_eq!(page1.items.len(), 100);
    assert!(
        page1
            .items
            .iter()
            .all(|a| a.province.as_ref().unwrap().as_str() == "BG")
    );
    let names: Vec<&str> = page1.items.iter().map(|a| a.name.as_str()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "sorted by name");
    let page3: Page<Authority> = app
        .get(
            "/api/v1/authorities?province=BG&kind=comune&limit=100&offset=200",
            &token,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page3.items.len(), 43);
    assert!(
        page1
            .items
            .iter()
            .all(|a| page3.items.iter().all(|b| a.istat_code != b.istat_code))
    );
}

#[tokio::test]
async fn name_search_ignores_accents_and_case() {
    let app = spawn_app().await;
    let token = app.token_for(Role::AuthorityDelegate).await;
    for q in ["fenegro", "FENEGRÒ", "Fenegrò"] {
        let page: Page<Authority> = app
            .get(&format!("/api/v1/authorities?q={}", urlencode(q)), &token)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(page.total, 1, "{q}");
        assert_eq!(page.items[0].name, "Fenegrò");
        assert_eq!(page.items[0].istat_code.as_str(), "013100");
    }
    let page: Page<Authority> = app
        .get("/api/v1/authorities?q=bergamo", &token)
        .await
        .json()
        .await
        .unwrap();
    assert!(page.items.iter().any(|a| a.istat_code.as_str() == "016024"));
    assert!(
        page.items.iter().any(|a| a.istat_code.as_str() == "016"),
        "the Provincia di Bergamo matches too"
    );
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test]
async fn sorting_by_code_descending() {
    let app = spawn_app().await;
    let token = app.token_for(Role::Expert).await;
    let page: Page<Authority> = app
        .get(
            "/api/v1/authorities?sort=-istat_code&kind=comune&limit=3",
            &token,
        )
        .await
        .json()
        .await
        .unwrap();
    let codes: Vec<&str> = page.items.iter().map(|a| a.istat_code.as_str()).collect();
    assert_eq!(codes, ["108055", "108054", "108053"]);
}

#[tokio::test]
async fn bad_filters_are_422_naming_each_field() {
    let app = spawn_app().await;
    let token = app.token_for(Role::Expert).await;
    let p = assert_problem(
        app.get(
            "/api/v1/authorities?limit=201&province=XX&kind=citta&sort=size",
            &token,
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    let fields: Vec<&str> = p.errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["limit", "province", "kind", "sort"]);
    let p = assert_problem(
        app.get("/api/v1/authorities?offset=-1", &token).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(p.errors[0].field, "offset");
}

#[tokio::test]
async fn an_authority_is_found_by_istat_code_or_is_404() {
    let app = spawn_app().await;
    let token = app.token_for(Role::Coordinator).await;
    let res = app.get("/api/v1/authorities/016024", &token).await;
    assert_eq!(res.status(), 200);
    let a: Authority = res.json().await.unwrap();
    assert_eq!(a.name, "Bergamo");
    assert_eq!(a.province_name.as_deref(), Some("Bergamo"));
    assert_eq!(a.cadastral_code.as_deref(), Some("A794"));
    assert_problem(
        app.get("/api/v1/authorities/999999", &token).await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.get("/api/v1/authorities/abc", &token).await,
        404,
        "not_found",
    )
    .await;
}
