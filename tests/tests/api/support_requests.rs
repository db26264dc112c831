use affianca_domain::dto::{Notification, Page, SupportRequest, SupportRequestSummary};
use affianca_domain::{RequestAction, RequestStatus, Role};
use affianca_tests::{TestApp, assert_problem, spawn_app};
use reqwest::{Method, Response};
use serde_json::{Value, json};

fn draft_body() -> Value {
    json!({
        "istat_code": "016024", "procedure": "PDC",
        "subject": "Arretrato di permessi di costruire",
        "description": "Circa 120 pratiche in attesa dal 2023: serve supporto all'istruttoria.",
        "support_kind": "backlog_recovery", "urgency": "high", "files_count": 120,
        "contact": "Ufficio tecnico, 035 399111"
    })
}

async fn create(app: &TestApp, token: &str, body: &Value) -> (SupportRequest, String) {
    let res = app
        .post_json("/api/v1/support-requests", Some(token), body)
        .await;
    assert_eq!(res.status(), 201);
    read(res).await
}

async fn read(res: Response) -> (SupportRequest, String) {
    let etag = res
        .headers()
        .get("etag")
        .expect("an ETag")
        .to_str()
        .unwrap()
        .to_owned();
    (res.json().await.unwrap(), etag)
}

async fn get(app: &TestApp, token: &str, id: i64) -> (SupportRequest, String) {
    let res = app
        .get(&format!("/api/v1/support-requests/{id}"), token)
        .await;
    assert_eq!(res.status(), 200);
    read(res).await
}

async fn move_raw(
    app: &TestApp,
    token: &str,
    id: i64,
    etag: Option<&str>,
    body: Value,
) -> Response {
    let mut req = app.request(
        Method::POST,
        &format!("/api/v1/support-requests/{id}/transitions"),
        Some(token),
    );
    if let Some(e) = etag {
        req = req.header("If-Match", e);
    }
    req.json(&body).send().await.unwrap()
}

/// Reads the current ETag and moves the request; expects success.
async fn act(app: &TestApp, token: &str, id: i64, body: Value) -> SupportRequest {
    let (_, etag) = get(app, token, id).await;
    let res = move_raw(app, token, id, Some(&etag), body.clone()).await;
    let status = res.status();
    let text = res.text().await.unwrap();
    assert_eq!(status, 200, "{body}: {text}");
    serde_json::from_str(&text).unwrap()
}

#[tokio::test]
async fn a_request_goes_from_draft_to_closed_with_its_history() {
    let app = spawn_app().await;
    let rep = app.token_for(Role::AuthorityRep).await;
    let coordinator = app.token_for(Role::Coordinator).await;
    let expert = app.token_for(Role::Expert).await;
    let secretariat = app.token_for(Role::Secretariat).await;

    let (draft, etag) = create(&app, &rep, &draft_body()).await;
    assert_eq!(draft.summary.status, RequestStatus::Draft);
    assert_eq!(draft.summary.authority_name, "Bergamo");
    assert_eq!(draft.summary.task_force.code(), "building_planning");
    assert_eq!(
        draft.allowed_actions,
        [RequestAction::Submit, RequestAction::Withdraw]
    );
    let id = draft.summary.id;

    // Nobody but the authority sees a draft.
    for token in [&coordinator, &secretariat] {
        assert_problem(
            app.get(&format!("/api/v1/support-requests/{id}"), token)
                .await,
            404,
            "not_found",
        )
        .await;
    }

    // The draft is edited with If-Match.
    let res = app
        .request(
            Method::PATCH,
            &format!("/api/v1/support-requests/{id}"),
            Some(&rep),
        )
        .header("If-Match", &etag)
        .json(&json!({"subject": "Arretrato PDC 2023-2025", "procedure": "PDC_SANATORIA"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let (edited, _) = read(res).await;
    assert_eq!(edited.summary.subject, "Arretrato PDC 2023-2025");
    assert_eq!(edited.summary.procedure.as_str(), "PDC_SANATORIA");
    // The old ETag is stale now.
    let res = app
        .request(
            Method::PATCH,
            &format!("/api/v1/support-requests/{id}"),
            Some(&rep),
        )
        .header("If-Match", &etag)
        .json(&json!({"subject": "Altro"}))
        .send()
        .await
        .unwrap();
    assert_problem(res, 412, "precondition_failed").await;

    let submitted = act(&app, &rep, id, json!({"action": "submit"})).await;
    assert_eq!(submitted.summary.status, RequestStatus::Submitted);
    let sl = &submitted.summary.service;
    let (tc, asg) = (sl.take_charge_due.unwrap(), sl.assign_due.unwrap());
    assert!(tc > submitted.summary.submitted_at.unwrap().date_naive());
    assert!(asg > tc && !sl.take_charge_overdue && !sl.assign_overdue);
    assert!(!affianca_domain::calendar::is_holiday(tc));

    // The secretariat was told.
    let notes: Page<Notification> = app
        .get("/api/v1/notifications", &secretariat)
        .await
        .json()
        .await
        .unwrap();
    assert!(notes.items.iter().any(|n| n.kind == "request_submitted"));

    // The coordinator of the task force takes charge and assigns the expert.
    let (seen, _) = get(&app, &coordinator, id).await;
    assert_eq!(
        seen.allowed_actions,
        [RequestAction::TakeCharge, RequestAction::Reject]
    );
    act(&app, &coordinator, id, json!({"action": "take_charge"})).await;
    // The expert is not assigned yet: the request does not exist for them.
    assert_problem(
        app.get(&format!("/api/v1/support-requests/{id}"), &expert)
            .await,
        404,
        "not_found",
    )
    .await;
    let anna = app.demo_expert_id().await;
    let assigned = act(
        &app,
        &coordinator,
        id,
        json!({"action": "assign", "lead_expert": anna}),
    )
    .await;
    assert_eq!(assigned.summary.status, RequestStatus::Assigned);
    assert_eq!(assigned.assignees.len(), 1);
    assert!(assigned.assignees[0].lead);

    // The expert works it: start, suspend, resume, complete.
    let (mine, _) = get(&app, &expert, id).await;
    assert_eq!(
        mine.allowed_actions,
        [RequestAction::Start, RequestAction::Suspend]
    );
    act(&app, &expert, id, json!({"action": "start"})).await;
    let held = act(
        &app,
        &expert,
        id,
        json!({"action": "suspend", "reason": "In attesa dei fascicoli dall'archivio"}),
    )
    .await;
    assert_eq!(held.summary.status, RequestStatus::OnHold);
    assert_eq!(held.held_from, Some(RequestStatus::InProgress));
    let resumed = act(&app, &expert, id, json!({"action": "resume"})).await;
    assert_eq!(resumed.summary.status, RequestStatus::InProgress);
    act(
        &app,
        &expert,
        id,
        json!({"action": "complete", "report": "Istruite 118 pratiche; 2 rinviate al SUE."}),
    )
    .await;

    // The authority closes with feedback.
    let (done, _) = get(&app, &rep, id).await;
    assert_eq!(
        done.allowed_actions,
        [RequestAction::Close, RequestAction::Reopen]
    );
    let closed = act(
        &app,
        &rep,
        id,
        json!({"action": "close", "rating": 5, "comment": "Ottimo lavoro"}),
    )
    .await;
    assert_eq!(closed.summary.status, RequestStatus::Closed);
    assert_eq!(closed.rating, Some(5));
    assert!(closed.allowed_actions.is_empty());
    let steps: Vec<(&str, Option<RequestStatus>, RequestStatus)> = closed
        .history
        .iter()
        .map(|t| (t.action.as_str(), t.from, t.to))
        .collect();
    use RequestStatus as S;
    assert_eq!(
        steps,
        [
            ("create", None, S::Draft),
            ("submit", Some(S::Draft), S::Submitted),
            ("take_charge", Some(S::Submitted), S::UnderReview),
            ("assign", Some(S::UnderReview), S::Assigned),
            ("start", Some(S::Assigned), S::InProgress),
            ("suspend", Some(S::InProgress), S::OnHold),
            ("resume", Some(S::OnHold), S::InProgress),
            ("complete", Some(S::InProgress), S::Completed),
            ("close", Some(S::Completed), S::Closed),
        ]
    );
    assert_eq!(
        closed.history[5].reason.as_deref(),
        Some("In attesa dei fascicoli dall'archivio")
    );
    assert!(
        closed.history[2]
            .actor
            .as_ref()
            .is_some_and(|a| a.full_name.contains("Paolo Ricci"))
    );
    // The expert was told of the closing.
    let notes: Page<Notification> = app
        .get("/api/v1/notifications", &expert)
        .await
        .json()
        .await
        .unwrap();
    assert!(notes.items.iter().any(|n| n.title.contains("chiusa")));
}

#[tokio::test]
async fn moves_are_refused_with_a_clear_problem() {
    let app = spawn_app().await;
    let rep = app.token_for(Role::AuthorityRep).await;
    let coordinator = app.token_for(Role::Coordinator).await;
    let (draft, etag) = create(&app, &rep, &draft_body()).await;
    let id = draft.summary.id;

    // Without If-Match: 428; with a wrong one: 412.
    assert_problem(
        move_raw(&app, &rep, id, None, json!({"action": "submit"})).await,
        428,
        "precondition_required",
    )
    .await;
    assert_problem(
        move_raw(
            &app,
            &rep,
            id,
            Some("\"request-1-v99\""),
            json!({"action": "submit"}),
        )
        .await,
        412,
        "precondition_failed",
    )
    .await;
    // An action that does not apply to a draft.
    assert_problem(
        move_raw(
            &app,
            &rep,
            id,
            Some(&etag),
            json!({"action": "complete", "report": "x"}),
        )
        .await,
        409,
        "transition_not_allowed",
    )
    .await;
    // An unknown action or missing data: 422 naming the field.
    let p = assert_problem(
        move_raw(&app, &rep, id, Some(&etag), json!({"action": "explode"})).await,
        422,
        "validation_failed",
    )
    .await;
    assert!(!p.errors.is_empty());
    act(&app, &rep, id, json!({"action": "submit"})).await;
    // The authority cannot take its own request in charge.
    let (_, etag) = get(&app, &rep, id).await;
    assert_problem(
        move_raw(
            &app,
            &rep,
            id,
            Some(&etag),
            json!({"action": "take_charge"}),
        )
        .await,
        403,
        "transition_forbidden",
    )
    .await;
    // A rejection needs a reason.
    let (_, etag) = get(&app, &coordinator, id).await;
    let p = assert_problem(
        move_raw(
            &app,
            &coordinator,
            id,
            Some(&etag),
            json!({"action": "reject", "reason": "  "}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(p.errors[0].field, "reason");
    act(&app, &coordinator, id, json!({"action": "take_charge"})).await;
    // Only experts of the request's task force can be assigned.
    let (_, etag) = get(&app, &coordinator, id).await;
    let p = assert_problem(
        move_raw(
            &app,
            &coordinator,
            id,
            Some(&etag),
            json!({"action": "assign", "lead_expert": 1, "others": [1]}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    let fields: Vec<&str> = p.errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["lead_expert", "others[0]"]);
    // Nothing was half-applied by the refusals.
    let (now, _) = get(&app, &coordinator, id).await;
    assert_eq!(now.summary.status, RequestStatus::UnderReview);
    assert_eq!(now.history.len(), 3);
    assert!(now.assignees.is_empty());

    // A closing vote must be 1..5 (after the work is done).
    let expert = app.token_for(Role::Expert).await;
    let anna = app.demo_expert_id().await;
    act(
        &app,
        &coordinator,
        id,
        json!({"action": "assign", "lead_expert": anna}),
    )
    .await;
    act(&app, &expert, id, json!({"action": "start"})).await;
    act(
        &app,
        &expert,
        id,
        json!({"action": "complete", "report": "Fatto."}),
    )
    .await;
    let (_, etag) = get(&app, &rep, id).await;
    let p = assert_problem(
        move_raw(
            &app,
            &rep,
            id,
            Some(&etag),
            json!({"action": "close", "rating": 7}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(p.errors[0].field, "rating");
}

#[tokio::test]
async fn only_enabled_authorities_submit_and_only_their_users_file() {
    let app = spawn_app().await;
    let admin = app.token_for(Role::Admin).await;
    // The mayor of Agra (012001): an authority user, but not registered nor enabled.
    let body = json!({
        "email": "sindaco@comune.agra.va.it", "full_name": "Sindaco di Agra",
        "password": "una password lunga",
        "grants": [{"role": "authority_rep", "scope": "authority:012001"}]
    });
    assert_eq!(
        app.post_json("/api/v1/users", Some(&admin), &body)
            .await
            .status(),
        201
    );
    let res = app
        .try_login("sindaco@comune.agra.va.it", "una password lunga")
        .await;
    assert_eq!(res.status(), 200);
    let agra = res
        .json::<affianca_domain::dto::TokenResponse>()
        .await
        .unwrap()
        .access_token;
    let mut draft = draft_body();
    draft["istat_code"] = json!("012001");
    let (r, _) = create(&app, &agra, &draft).await;
    let (_, etag) = get(&app, &agra, r.summary.id).await;
    let p = assert_problem(
        move_raw(
            &app,
            &agra,
            r.summary.id,
            Some(&etag),
            json!({"action": "submit"}),
        )
        .await,
        409,
        "authority_not_enabled",
    )
    .await;
    assert!(p.detail.unwrap().contains("fase"));

    // Nobody files for an authority that is not theirs: 403 (the registry of authorities is
    // public, so the refusal hides nothing), naming the authority.
    let p = assert_problem(
        app.post_json("/api/v1/support-requests", Some(&agra), &draft_body())
            .await,
        403,
        "forbidden",
    )
    .await;
    assert!(p.detail.unwrap().contains("non è tra gli enti"));
    // A procedure outside the catalog.
    let rep = app.token_for(Role::AuthorityRep).await;
    let mut bad = draft_body();
    bad["procedure"] = json!("NON_ESISTE");
    bad["subject"] = json!("x");
    let p = assert_problem(
        app.post_json("/api/v1/support-requests", Some(&rep), &bad)
            .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(p.errors[0].field, "subject");
    bad["subject"] = json!("Oggetto valido");
    let p = assert_problem(
        app.post_json("/api/v1/support-requests", Some(&rep), &bad)
            .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(p.errors[0].field, "procedure");
}

#[tokio::test]
async fn two_concurrent_moves_on_one_version_exactly_one_wins() {
    let app = spawn_app().await;
    let rep = app.token_for(Role::AuthorityRep).await;
    let coordinator = app.token_for(Role::Coordinator).await;
    let secretariat = app.token_for(Role::Secretariat).await;
    for round in 0..5 {
        let (r, _) = create(&app, &rep, &draft_body()).await;
        let id = r.summary.id;
        act(&app, &rep, id, json!({"action": "submit"})).await;
        let (_, etag) = get(&app, &coordinator, id).await;
        let (a, b) = tokio::join!(
            move_raw(
                &app,
                &coordinator,
                id,
                Some(&etag),
                json!({"action": "take_charge"})
            ),
            move_raw(
                &app,
                &secretariat,
                id,
                Some(&etag),
                json!({"action": "reject", "reason": "Fuori dal programma"})
            ),
        );
        let mut statuses = [a.status().as_u16(), b.status().as_u16()];
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 412], "round {round}");
        let (now, _) = get(&app, &secretariat, id).await;
        // One move in the history after submit, and the status it made.
        assert_eq!(now.history.len(), 3, "round {round}");
        let last = now.history.last().unwrap();
        assert_eq!(last.to, now.summary.status);
        assert!(matches!(
            now.summary.status,
            RequestStatus::UnderReview | RequestStatus::Rejected
        ));
    }
}

#[tokio::test]
async fn the_list_filters_sorts_pages_and_exports() {
    let app = spawn_app().await;
    let rep = app.token_for(Role::AuthorityRep).await;
    let delegate = app.token_for(Role::AuthorityDelegate).await;
    let observer = app.token_for(Role::Observer).await;
    let secretariat = app.token_for(Role::Secretariat).await;
    let mut ids = Vec::new();
    for subject in [
        "Arretrato edilizia",
        "Formazione SUAP",
        "Gare d'appalto lavori",
    ] {
        let mut body = draft_body();
        body["subject"] = json!(subject);
        let (r, _) = create(&app, &rep, &body).await;
        ids.push(r.summary.id);
    }
    act(&app, &rep, ids[0], json!({"action": "submit"})).await;
    act(&app, &rep, ids[1], json!({"action": "submit"})).await;
    // Brescia's delegate files one for Brescia.
    let mut body = draft_body();
    body["istat_code"] = json!("017029");
    body["subject"] = json!("Paesaggistica Brescia");
    let (bs, _) = create(&app, &delegate, &body).await;
    act(&app, &delegate, bs.summary.id, json!({"action": "submit"})).await;

    let list = |token: String, query: &'static str| {
        let app = &app;
        async move {
            let res = app
                .get(&format!("/api/v1/support-requests{query}"), &token)
                .await;
            assert_eq!(res.status(), 200, "{query}");
            res.json::<Page<SupportRequestSummary>>().await.unwrap()
        }
    };
    // The secretariat sees the submitted ones of both, never the drafts.
    let all = list(secretariat.clone(), "").await;
    assert_eq!(all.total, 3);
    // A page shorter than the total counts them too (the unfiltered count: all but drafts).
    let first = list(secretariat.clone(), "?limit=1").await;
    assert_eq!((first.items.len(), first.total), (1, 3));
    let first = list(secretariat.clone(), "?limit=2&offset=1").await;
    assert_eq!((first.items.len(), first.total), (2, 3));
    let bg = list(
        secretariat.clone(),
        "?status=submitted&province=BG&limit=50",
    )
    .await;
    assert_eq!(bg.total, 2);
    assert!(bg.items.iter().all(|r| r.istat_code.as_str() == "016024"));
    let q = list(secretariat.clone(), "?q=formazione").await;
    assert_eq!(q.items.len(), 1);
    assert_eq!(q.items[0].subject, "Formazione SUAP");
    let paged = list(secretariat.clone(), "?limit=1&offset=1&sort=id").await;
    assert_eq!((paged.total, paged.items.len()), (3, 1));
    assert_eq!(paged.items[0].id, ids[1]);
    assert_eq!(list(secretariat.clone(), "?overdue=true").await.total, 0);
    // The authority sees its own, drafts included; the observer of Bergamo only Bergamo's.
    assert_eq!(list(rep.clone(), "").await.total, 3);
    assert_eq!(list(delegate.clone(), "").await.total, 1);
    let seen = list(observer.clone(), "").await;
    assert_eq!(seen.total, 2);
    // A bad filter is a 422 naming it.
    let p = assert_problem(
        app.get(
            "/api/v1/support-requests?status=finita&sort=chissà",
            &secretariat,
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    let fields: Vec<&str> = p.errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["status", "sort"]);
    // The admin does not take part in the programme's decisions.
    let admin = app.token_for(Role::Admin).await;
    assert_problem(
        app.get("/api/v1/support-requests", &admin).await,
        403,
        "forbidden",
    )
    .await;

    // The CSV export of the same query.
    let res = app
        .get("/api/v1/support-requests.csv?province=BG", &secretariat)
        .await;
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let text = res.text().await.unwrap();
    assert!(text.starts_with('\u{feff}'));
    let lines: Vec<&str> = text.trim_end().split("\r\n").collect();
    assert_eq!(lines.len(), 3);
    assert!(lines[0].contains("Numero;Codice ISTAT;Ente;Provincia"));
    assert!(lines[1..].iter().all(|l| l.contains(";016024;Bergamo;BG;")));
    assert!(text.contains("Inviata"));
}

#[tokio::test]
async fn candidates_are_ranked_and_internal_notes_stay_inside() {
    let app = spawn_app().await;
    let rep = app.token_for(Role::AuthorityRep).await;
    let coordinator = app.token_for(Role::Coordinator).await;
    let secretariat = app.token_for(Role::Secretariat).await;
    let expert = app.token_for(Role::Expert).await;
    let observer = app.token_for(Role::Observer).await;
    // A second expert of the task force, covering Milano only.
    let res = app
        .post_json(
            "/api/v1/experts",
            Some(&secretariat),
            &json!({"email": "luca.neri@esperti.example.it", "full_name": "Luca Neri",
                    "task_forces": ["building_planning"], "provinces": ["MI"], "max_concurrent_requests": 3}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let (r, _) = create(&app, &rep, &draft_body()).await;
    let id = r.summary.id;
    act(&app, &rep, id, json!({"action": "submit"})).await;
    act(&app, &coordinator, id, json!({"action": "take_charge"})).await;

    let res = app
        .get(
            &format!("/api/v1/support-requests/{id}/candidates"),
            &coordinator,
        )
        .await;
    assert_eq!(res.status(), 200);
    let list: Vec<Value> = res.json().await.unwrap();
    let names: Vec<&str> = list
        .iter()
        .map(|c| c["full_name"].as_str().unwrap())
        .collect();
    assert_eq!(names[0], "Anna Colombo (esperta edilizia)", "{list:?}");
    assert!(names.contains(&"Luca Neri"));
    assert_eq!(list[0]["covers_province"], true);
    assert_eq!(list[0]["suggested"], true);
    assert_eq!(list[0]["open_requests"], 0);
    let luca = list.iter().find(|c| c["full_name"] == "Luca Neri").unwrap();
    assert_eq!(
        (
            luca["covers_province"].as_bool(),
            luca["suggested"].as_bool()
        ),
        (Some(false), Some(false))
    );
    // The authority sees the request but not the candidates; an unassigned expert not even that.
    assert_problem(
        app.get(&format!("/api/v1/support-requests/{id}/candidates"), &rep)
            .await,
        403,
        "forbidden",
    )
    .await;
    assert_problem(
        app.get(
            &format!("/api/v1/support-requests/{id}/candidates"),
            &expert,
        )
        .await,
        404,
        "not_found",
    )
    .await;

    // The thread: a message of the authority, an internal note of the coordinator.
    let path = format!("/api/v1/support-requests/{id}/messages");
    let res = app
        .post_json(
            &path,
            Some(&rep),
            &json!({"body": "Buongiorno, vi mandiamo l'elenco."}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let res = app
        .post_json(
            &path,
            Some(&coordinator),
            &json!({"body": "Assegnare ad Anna: conosce l'ufficio.", "internal": true}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let count = |token: String| {
        let app = &app;
        let path = path.clone();
        async move {
            app.get(&path, &token)
                .await
                .json::<Vec<Value>>()
                .await
                .unwrap()
        }
    };
    assert_eq!(count(rep.clone()).await.len(), 1);
    assert_eq!(count(observer.clone()).await.len(), 1);
    let staff_view = count(secretariat.clone()).await;
    assert_eq!(staff_view.len(), 2);
    assert_eq!(staff_view[1]["internal"], true);
    // The authority cannot write internal notes, observers cannot write at all, empty is refused.
    let p = assert_problem(
        app.post_json(&path, Some(&rep), &json!({"body": "x", "internal": true}))
            .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(p.errors[0].field, "internal");
    assert_problem(
        app.post_json(&path, Some(&observer), &json!({"body": "Salve"}))
            .await,
        403,
        "forbidden",
    )
    .await;
    let p = assert_problem(
        app.post_json(&path, Some(&rep), &json!({"body": "   "}))
            .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(p.errors[0].field, "body");
    // The coordinator was told of the authority's message.
    let notes: Page<Notification> = app
        .get("/api/v1/notifications", &coordinator)
        .await
        .json()
        .await
        .unwrap();
    assert!(
        notes
            .items
            .iter()
            .any(|n| n.kind == "request_message" && n.body.contains("elenco"))
    );
}
