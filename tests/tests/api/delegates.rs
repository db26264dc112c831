use affianca_domain::Role;
use affianca_domain::dto::{Delegate, Invitation, InvitationPreview, Me, OutboxMessage, Page};
use affianca_tests::{DEMO_PASSWORD, TestApp, assert_problem, demo_email, spawn_app};
use reqwest::Method;
use serde_json::json;

/// The token of the newest link of that kind e-mailed to `email`, read from the outbox.
pub async fn emailed_token(app: &TestApp, email: &str, marker: &str) -> String {
    let admin = app.token_for(Role::Admin).await;
    let page: Page<OutboxMessage> = app
        .get(&format!("/api/v1/outbox?recipient={email}"), &admin)
        .await
        .json()
        .await
        .unwrap();
    let body = &page
        .items
        .iter()
        .find(|m| m.body.contains(marker))
        .unwrap_or_else(|| panic!("no e-mail with {marker} to {email}"))
        .body;
    let start = body.find(marker).unwrap() + marker.len();
    body[start..].split_whitespace().next().unwrap().to_owned()
}

async fn invite(app: &TestApp, token: &str, istat: &str, email: &str) -> reqwest::Response {
    app.post_json(
        &format!("/api/v1/authorities/{istat}/invitations"),
        Some(token),
        &json!({"email": email}),
    )
    .await
}

#[tokio::test]
async fn the_mayor_invites_a_delegate_who_accepts_and_is_later_removed() {
    let app = spawn_app().await;
    let rep = app.token_for(Role::AuthorityRep).await;
    let res = invite(&app, &rep, "016024", "Ufficio.Tecnico@Comune.Bergamo.it").await;
    assert_eq!(res.status(), 201);
    let inv: Invitation = res.json().await.unwrap();
    assert_eq!(
        (inv.status.as_str(), inv.email.as_str()),
        ("pending", "ufficio.tecnico@comune.bergamo.it")
    );
    assert_eq!((inv.expires_at - inv.created_at).num_days(), 7);

    let token = emailed_token(&app, "ufficio.tecnico@comune.bergamo.it", "/invito/").await;
    let preview: InvitationPreview = app
        .request(Method::GET, &format!("/api/v1/invitations/{token}"), None)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (preview.authority_name.as_str(), preview.existing_account),
        ("Bergamo", false)
    );

    let bad = app
        .post_json(
            &format!("/api/v1/invitations/{token}/accept"),
            None,
            &json!({"full_name": "", "password": "corta"}),
        )
        .await;
    let p = assert_problem(bad, 422, "validation_failed").await;
    assert_eq!(p.errors.len(), 2);
    let res = app
        .post_json(
            &format!("/api/v1/invitations/{token}/accept"),
            None,
            &json!({"full_name": "Luca Verdi", "password": "una password lunga"}),
        )
        .await;
    assert_eq!(res.status(), 204);
    let again = app
        .post_json(
            &format!("/api/v1/invitations/{token}/accept"),
            None,
            &json!({"full_name": "Luca Verdi", "password": "una password lunga"}),
        )
        .await;
    assert_problem(again, 410, "token_used").await;
    assert_problem(
        app.request(Method::GET, &format!("/api/v1/invitations/{token}"), None)
            .send()
            .await
            .unwrap(),
        410,
        "token_used",
    )
    .await;

    let delegate = app
        .try_login("ufficio.tecnico@comune.bergamo.it", "una password lunga")
        .await
        .json::<serde_json::Value>()
        .await
        .unwrap();
    let access = delegate["access_token"].as_str().unwrap().to_owned();
    let me: Me = app.get("/api/v1/me", &access).await.json().await.unwrap();
    assert_eq!(
        (me.user.grants[0].role, me.user.grants[0].scope.to_string()),
        (Role::AuthorityDelegate, "authority:016024".to_owned())
    );

    // The delegate sees the delegates, but cannot manage them.
    let list: Vec<Delegate> = app
        .get("/api/v1/authorities/016024/delegates", &access)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        list.iter()
            .map(|d| d.full_name.as_str())
            .collect::<Vec<_>>(),
        ["Luca Verdi"]
    );
    assert_problem(
        invite(&app, &access, "016024", "altro@esempio.it").await,
        403,
        "forbidden",
    )
    .await;
    let invitations: Vec<Invitation> = app
        .get("/api/v1/authorities/016024/invitations", &rep)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(invitations[0].status, "accepted");

    let res = app
        .request(
            Method::DELETE,
            &format!("/api/v1/authorities/016024/delegates/{}", list[0].user_id),
            Some(&rep),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let refresh = app
        .post_json(
            "/api/v1/auth/refresh",
            None,
            &json!({"refresh_token": delegate["refresh_token"]}),
        )
        .await;
    assert_problem(refresh, 401, "invalid_refresh_token").await;
    let list: Vec<Delegate> = app
        .get("/api/v1/authorities/016024/delegates", &rep)
        .await
        .json()
        .await
        .unwrap();
    assert!(list.is_empty());
}

#[tokio::test]
async fn other_authorities_people_are_not_your_business() {
    let app = spawn_app().await;
    let rep = app.token_for(Role::AuthorityRep).await; // Bergamo
    assert_problem(
        invite(&app, &rep, "017029", "x@esempio.it").await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.get("/api/v1/authorities/017029/delegates", &rep).await,
        404,
        "not_found",
    )
    .await;
    let observer = app.token_for(Role::Observer).await;
    assert_problem(
        app.get("/api/v1/authorities/016024/delegates", &observer)
            .await,
        404,
        "not_found",
    )
    .await;
    // The secretariat may act for any authority.
    let sec = app.token_for(Role::Secretariat).await;
    assert_eq!(
        invite(&app, &sec, "017029", "x@esempio.it").await.status(),
        201
    );
    // An existing delegate is not invited twice.
    assert_problem(
        invite(&app, &sec, "017029", demo_email(Role::AuthorityDelegate)).await,
        409,
        "conflict",
    )
    .await;
}

#[tokio::test]
async fn an_expired_or_revoked_invitation_no_longer_works() {
    let app = spawn_app().await;
    let rep = app.token_for(Role::AuthorityRep).await;
    let inv: Invitation = invite(&app, &rep, "016024", "late@esempio.it")
        .await
        .json()
        .await
        .unwrap();
    let token = emailed_token(&app, "late@esempio.it", "/invito/").await;
    let db = affianca_api::db::connect(&app.database.url, 1)
        .await
        .unwrap();
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    affianca_api::entities::action_token::Entity::update_many()
        .col_expr(
            affianca_api::entities::action_token::Column::ExpiresAt,
            sea_orm::sea_query::Expr::value(chrono::Utc::now() - chrono::Duration::minutes(1)),
        )
        .filter(affianca_api::entities::action_token::Column::Id.eq(inv.id))
        .exec(&db)
        .await
        .unwrap();
    let res = app
        .post_json(
            &format!("/api/v1/invitations/{token}/accept"),
            None,
            &json!({"full_name": "Tardi", "password": "una password lunga"}),
        )
        .await;
    assert_problem(res, 410, "token_expired").await;

    let inv: Invitation = invite(&app, &rep, "016024", "revoked@esempio.it")
        .await
        .json()
        .await
        .unwrap();
    let token = emailed_token(&app, "revoked@esempio.it", "/invito/").await;
    let res = app
        .request(
            Method::DELETE,
            &format!("/api/v1/authorities/016024/invitations/{}", inv.id),
            Some(&rep),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_problem(
        app.request(Method::GET, &format!("/api/v1/invitations/{token}"), None)
            .send()
            .await
            .unwrap(),
        410,
        "token_used",
    )
    .await;
    assert_problem(
        app.request(Method::GET, "/api/v1/invitations/not-a-token", None)
            .send()
            .await
            .unwrap(),
        404,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn an_existing_account_accepts_with_its_own_password() {
    let app = spawn_app().await;
    let rep = app.token_for(Role::AuthorityRep).await;
    let observer = demo_email(Role::Observer);
    assert_eq!(invite(&app, &rep, "016024", observer).await.status(), 201);
    let token = emailed_token(&app, observer, "/invito/").await;
    let preview: InvitationPreview = app
        .request(Method::GET, &format!("/api/v1/invitations/{token}"), None)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(preview.existing_account);
    let wrong = app
        .post_json(
            &format!("/api/v1/invitations/{token}/accept"),
            None,
            &json!({"password": "not the password"}),
        )
        .await;
    assert_problem(wrong, 401, "invalid_credentials").await;
    let ok = app
        .post_json(
            &format!("/api/v1/invitations/{token}/accept"),
            None,
            &json!({"password": DEMO_PASSWORD}),
        )
        .await;
    assert_eq!(ok.status(), 204);
    let me: Me = app
        .get("/api/v1/me", &app.token_for(Role::Observer).await)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me.user.grants.len(), 2);
}

#[tokio::test]
async fn a_forgotten_password_is_reset_with_a_single_use_link() {
    let app = spawn_app().await;
    let email = demo_email(Role::Coordinator);
    let old = app.login_tokens(email).await;
    let admin = app.token_for(Role::Admin).await;
    let before: Page<OutboxMessage> = app
        .get("/api/v1/outbox", &admin)
        .await
        .json()
        .await
        .unwrap();

    // The same answer whether or not the e-mail has an account; only a real one gets mail.
    for who in ["nessuno@esempio.it", email] {
        let res = app
            .post_json("/api/v1/auth/password-reset", None, &json!({"email": who}))
            .await;
        assert_eq!(res.status(), 202);
        assert!(res.text().await.unwrap().is_empty());
    }
    let after: Page<OutboxMessage> = app
        .get("/api/v1/outbox", &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(after.total, before.total + 1);
    let token = emailed_token(&app, email, "/reimposta-password/").await;

    let short = app
        .post_json(
            &format!("/api/v1/auth/password-reset/{token}"),
            None,
            &json!({"password": "corta"}),
        )
        .await;
    assert_problem(short, 422, "validation_failed").await;
    let res = app
        .post_json(
            &format!("/api/v1/auth/password-reset/{token}"),
            None,
            &json!({"password": "la mia nuova password"}),
        )
        .await;
    assert_eq!(res.status(), 204);
    assert_eq!(app.try_login(email, DEMO_PASSWORD).await.status(), 401);
    assert_eq!(
        app.try_login(email, "la mia nuova password").await.status(),
        200
    );
    let again = app
        .post_json(
            &format!("/api/v1/auth/password-reset/{token}"),
            None,
            &json!({"password": "un'altra password lunga"}),
        )
        .await;
    assert_problem(again, 410, "token_used").await;
    // Every earlier session ended.
    let res = app
        .post_json(
            "/api/v1/auth/refresh",
            None,
            &json!({"refresh_token": old.refresh_token}),
        )
        .await;
    assert_problem(res, 401, "invalid_refresh_token").await;
}

#[tokio::test]
async fn after_elections_the_secretariat_moves_the_representative_role() {
    let app = spawn_app().await;
    let old = app.login_tokens(demo_email(Role::AuthorityRep)).await;
    let sec = app.token_for(Role::Secretariat).await;
    let body = json!({"email": "nuovo.sindaco@comune.bergamo.it", "full_name": "Giovanni Rossi"});
    let rep = app.token_for(Role::AuthorityRep).await;
    let res = app
        .request(
            Method::PUT,
            "/api/v1/authorities/016024/representative",
            Some(&rep),
        )
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_problem(res, 403, "forbidden").await;
    let res = app
        .request(
            Method::PUT,
            "/api/v1/authorities/016024/representative",
            Some(&sec),
        )
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    // The old mayor's session ends and their next login has no role on Bergamo.
    let res = app
        .post_json(
            "/api/v1/auth/refresh",
            None,
            &json!({"refresh_token": old.refresh_token}),
        )
        .await;
    assert_problem(res, 401, "invalid_refresh_token").await;
    let me: Me = app
        .get("/api/v1/me", &app.token_for(Role::AuthorityRep).await)
        .await
        .json()
        .await
        .unwrap();
    assert!(me.user.grants.is_empty());

    // The new one sets a password with the e-mailed link and holds the role.
    let token = emailed_token(
        &app,
        "nuovo.sindaco@comune.bergamo.it",
        "/reimposta-password/",
    )
    .await;
    let res = app
        .post_json(
            &format!("/api/v1/auth/password-reset/{token}"),
            None,
            &json!({"password": "la password del sindaco"}),
        )
        .await;
    assert_eq!(res.status(), 204);
    let login: serde_json::Value = app
        .try_login("nuovo.sindaco@comune.bergamo.it", "la password del sindaco")
        .await
        .json()
        .await
        .unwrap();
    let me: Me = app
        .get("/api/v1/me", login["access_token"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (me.user.grants[0].role, me.user.grants[0].scope.to_string()),
        (Role::AuthorityRep, "authority:016024".to_owned())
    );
    let p = assert_problem(
        app.request(
            Method::PUT,
            "/api/v1/authorities/016024/representative",
            Some(&sec),
        )
        .json(&json!({"email": "altro@esempio.it"}))
        .send()
        .await
        .unwrap(),
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(p.errors[0].field, "full_name");
}
