//! The authorization matrix: every operation of the OpenAPI document, called anonymously and as
//! each role, must answer as the policy (`affianca_domain::policy::POLICY`) says. An operation
//! missing from the policy or from this file fails the test, so a new route cannot ship without
//! deciding who may call it.
//!
//! Every operation whose policy row names a scoped object (an authority, a request, a meeting, an
//! activity, an expert, a registration, a notification) is called twice by each caller: with an
//! object of the caller's own scope and with one of a foreign scope (the comune of Milano, in
//! another province and nobody's demo scope; a request of Milano in another task force, assigned to
//! another expert; a meeting of Milano's province; another expert; another user's notification).
//! A caller whose grant does not reach the foreign object gets 404 for objects it may not know and
//! 403 where the object is public (an authority of the registry, an expert of the directory) and
//! the row is a role-gated one.

use affianca_domain::policy::{self, Callers, Object, Rule};
use affianca_domain::{Role, RoleScope, Scope};
use affianca_tests::{TestApp, spawn_app};
use reqwest::Method;
use serde_json::{Value, json};
use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};

/// Which object a request names: one of the caller's own scope or a foreign one.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Side {
    Own,
    Foreign,
}

/// The comune outside every demo scope (Milano, province MI).
const FOREIGN_AUTHORITY: &str = "015146";

struct Req {
    method: Method,
    path: String,
    body: Option<Value>,
    raw: Option<Vec<u8>>,
    headers: Vec<(&'static str, String)>,
}

impl Req {
    fn new(method: Method, path: impl Into<String>) -> Self {
        Self {
            method,
            path: path.into(),
            body: None,
            raw: None,
            headers: Vec::new(),
        }
    }
    fn body(mut self, v: Value) -> Self {
        self.body = Some(v);
        self
    }
    fn raw(mut self, bytes: Vec<u8>) -> Self {
        self.raw = Some(bytes);
        self
    }
    fn header(mut self, k: &'static str, v: impl Into<String>) -> Self {
        self.headers.push((k, v.into()));
        self
    }
}

struct Ctx {
    refresh_tokens: RefCell<Vec<String>>,
    /// Objects made during setup: `registration` (submitted, to approve), `registration_b`
    /// (submitted, to reject), `notification` (the secretariat's).
    ids: HashMap<&'static str, i64>,
    /// Authorities free for new registrations, one per caller.
    free_comuni: RefCell<Vec<&'static str>>,
    /// Unused password-reset and invitation tokens, one per caller.
    reset_tokens: RefCell<Vec<String>>,
    invitation_tokens: RefCell<Vec<String>>,
    /// A pending invitation that stays pending, for the preview.
    preview_token: String,
    /// The objects of the demo delegate's authority (Brescia), by the key of `ids` they replace.
    brescia: HashMap<&'static str, i64>,
    /// Objects of a foreign scope (Milano, another task force, another expert), by the key of `ids`
    /// they replace.
    foreign: HashMap<&'static str, i64>,
    /// The first notification of each demo caller.
    notifications: HashMap<Role, i64>,
}

impl Ctx {
    /// The object `key` for `role` on `side`: the foreign one, the delegate's own (Brescia), or the
    /// one of Bergamo the other demo callers share.
    fn id(&self, role: Option<Role>, side: Side, key: &str) -> i64 {
        let map = match side {
            Side::Foreign => &self.foreign,
            Side::Own
                if role == Some(Role::AuthorityDelegate) && self.brescia.contains_key(key) =>
            {
                &self.brescia
            }
            Side::Own => &self.ids,
        };
        *map.get(key)
            .unwrap_or_else(|| panic!("no {side:?} object {key} for {role:?}"))
    }

    /// A notification of the caller's own, or one of somebody else's.
    fn notification(&self, role: Option<Role>, side: Side) -> i64 {
        let whose = match (side, role) {
            (Side::Own, Some(r)) => r,
            (Side::Own, None) | (Side::Foreign, Some(Role::AuthorityRep)) => Role::Secretariat,
            (Side::Foreign, _) => Role::AuthorityRep,
        };
        *self
            .notifications
            .get(&whose)
            .unwrap_or_else(|| panic!("no notification of {whose}"))
    }

    /// The authority a request names: the caller's own (Brescia for the delegate, Bergamo for the
    /// others) or the foreign one.
    fn istat(&self, role: Option<Role>, side: Side) -> &'static str {
        match side {
            Side::Foreign => FOREIGN_AUTHORITY,
            Side::Own if role == Some(Role::AuthorityDelegate) => "017029",
            Side::Own => "016024",
        }
    }
}

/// Of two objects made for the two roles that may act on them, the one for `role` (a foreign
/// caller gets the foreign object stored under `a`).
fn pick(ctx: &Ctx, role: Option<Role>, side: Side, a: &str, b: &str) -> i64 {
    match side {
        Side::Foreign => ctx.foreign[a],
        Side::Own if role == Some(Role::AuthorityRep) => ctx.ids[b],
        Side::Own => ctx.ids[a],
    }
}

/// Every token e-mailed to `email` in links containing `marker`, oldest first.
async fn emailed_tokens(app: &TestApp, admin: &str, email: &str, marker: &str) -> Vec<String> {
    let page: Value = app
        .get(
            &format!("/api/v1/outbox?limit=200&recipient={email}"),
            admin,
        )
        .await
        .json()
        .await
        .unwrap();
    let mut out: Vec<String> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| {
            let body = m["body"].as_str()?;
            let start = body.find(marker)? + marker.len();
            Some(body[start..].split_whitespace().next()?.to_owned())
        })
        .collect();
    out.reverse();
    out
}

/// Registers `email` as the representative of `istat` (office: sindaco), logs in and uploads the
/// signed protocol; returns the registration's id and the access token.
async fn register_with_protocol(
    app: &TestApp,
    istat: &str,
    full_name: &str,
    email: &str,
    password: &str,
) -> (i64, String) {
    let res = app
        .post_json(
            "/api/v1/registrations",
            None,
            &json!({"istat_code": istat, "full_name": full_name, "office": "sindaco", "email": email, "password": password}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let id = res.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let token = app
        .try_login(email, password)
        .await
        .json::<Value>()
        .await
        .unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = app
        .request(
            Method::PUT,
            &format!("/api/v1/registrations/{id}/protocol"),
            Some(&token),
        )
        .header("content-type", "application/pdf")
        .body(affianca_tests::files::pdf("protocollo"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    (id, token)
}

type Build = fn(&Ctx, Option<Role>, Side) -> Req;

/// The indicators a caller asks for: its own scope (its authority, its province, an authority it
/// works for, the region) or a foreign one (Milano, or Milano's province for the observer).
fn indicator_scope(role: Option<Role>, side: Side) -> &'static str {
    match (side, role) {
        (Side::Own, Some(Role::AuthorityRep | Role::Expert)) => "level=authority&key=016024",
        (Side::Own, Some(Role::AuthorityDelegate)) => "level=authority&key=017029",
        (Side::Own, Some(Role::Observer)) => "level=province&key=BG",
        (Side::Own, _) => "level=region",
        (Side::Foreign, Some(Role::Observer)) => "level=province&key=MI",
        (Side::Foreign, _) => "level=authority&key=015146",
    }
}

struct Case {
    /// `METHOD /path/{param}` exactly as in the OpenAPI document and the policy.
    op: &'static str,
    /// The request a permitted caller makes (it must succeed with 2xx), naming an object of the
    /// caller's own scope or of a foreign one (operations without a scoped object ignore the side).
    request: Build,
}

/// Creates a support request for `istat` as `token`'s user and moves it with `moves` (as the
/// tokens given with each move); returns its id.
async fn support_request(app: &TestApp, token: &str, istat: &str, moves: &[(&str, Value)]) -> i64 {
    support_request_for(app, token, istat, "PDC", moves).await
}

/// [`support_request`] for a request about `procedure` (and so in its task force).
async fn support_request_for(
    app: &TestApp,
    token: &str,
    istat: &str,
    procedure: &str,
    moves: &[(&str, Value)],
) -> i64 {
    let res = app
        .post_json(
            "/api/v1/support-requests",
            Some(token),
            &json!({"istat_code": istat, "procedure": procedure, "subject": "Matrice", "description": "Prova", "support_kind": "other"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let id = res.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    for (who, body) in moves {
        let res = app
            .request(
                Method::POST,
                &format!("/api/v1/support-requests/{id}/transitions"),
                Some(who),
            )
            .header("if-match", "*")
            .json(body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{body}");
    }
    id
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            op: "GET /api/v1/status",
            request: |_, _, _| Req::new(Method::GET, "/api/v1/status"),
        },
        Case {
            op: "POST /api/v1/auth/login",
            request: |_, _, _| {
                Req::new(Method::POST, "/api/v1/auth/login")
                    .body(json!({"email": "admin@demo.affianca.it", "password": affianca_tests::DEMO_PASSWORD}))
            },
        },
        Case {
            op: "POST /api/v1/auth/refresh",
            request: |ctx, _, _| {
                let t = ctx
                    .refresh_tokens
                    .borrow_mut()
                    .pop()
                    .expect("enough refresh tokens");
                Req::new(Method::POST, "/api/v1/auth/refresh").body(json!({"refresh_token": t}))
            },
        },
        Case {
            op: "POST /api/v1/auth/logout",
            request: |ctx, _, _| {
                let t = ctx
                    .refresh_tokens
                    .borrow_mut()
                    .pop()
                    .expect("enough refresh tokens");
                Req::new(Method::POST, "/api/v1/auth/logout").body(json!({"refresh_token": t}))
            },
        },
        Case {
            op: "GET /api/v1/me",
            request: |_, _, _| Req::new(Method::GET, "/api/v1/me"),
        },
        Case {
            op: "GET /api/v1/authorities",
            request: |_, _, _| Req::new(Method::GET, "/api/v1/authorities?province=BG"),
        },
        Case {
            op: "GET /api/v1/authorities/{istat_code}",
            request: |_, _, _| Req::new(Method::GET, "/api/v1/authorities/019036"),
        },
        Case {
            op: "GET /api/v1/provinces",
            request: |_, _, _| Req::new(Method::GET, "/api/v1/provinces"),
        },
        Case {
            op: "GET /api/v1/task-forces",
            request: |_, _, _| Req::new(Method::GET, "/api/v1/task-forces"),
        },
        Case {
            op: "GET /api/v1/procedures",
            request: |_, _, _| Req::new(Method::GET, "/api/v1/procedures"),
        },
        Case {
            op: "GET /api/v1/procedures/{id}",
            request: |_, _, _| Req::new(Method::GET, "/api/v1/procedures/1"),
        },
        Case {
            op: "POST /api/v1/procedures",
            request: |_, _, _| {
                Req::new(Method::POST, "/api/v1/procedures")
                    .body(json!({"code": "MATRIX", "task_force": "waste", "name": "Prova", "legal_term_days": 10}))
            },
        },
        Case {
            op: "PATCH /api/v1/procedures/{id}",
            request: |_, _, _| {
                Req::new(Method::PATCH, "/api/v1/procedures/5")
                    .header("if-match", "\"procedure-5-v1\"")
                    .body(json!({"legal_term_days": 100}))
            },
        },
        Case {
            op: "DELETE /api/v1/procedures/{id}",
            request: |_, _, _| Req::new(Method::DELETE, "/api/v1/procedures/6"),
        },
        Case {
            op: "POST /api/v1/registrations",
            request: |ctx, _, _| {
                let istat = ctx
                    .free_comuni
                    .borrow_mut()
                    .pop()
                    .expect("enough free comuni");
                Req::new(Method::POST, "/api/v1/registrations").body(json!({
                    "istat_code": istat, "full_name": "Sindaco", "office": "sindaco",
                    "email": format!("sindaco.{istat}@esempio.it"), "password": "una password lunga"
                }))
            },
        },
        Case {
            op: "GET /api/v1/registrations",
            request: |_, _, _| Req::new(Method::GET, "/api/v1/registrations"),
        },
        Case {
            op: "GET /api/v1/registrations/{id}",
            request: |ctx, _, _| {
                Req::new(
                    Method::GET,
                    format!("/api/v1/registrations/{}", ctx.ids["registration"]),
                )
            },
        },
        Case {
            op: "GET /api/v1/registrations/{id}/protocol",
            request: |ctx, _, _| {
                Req::new(
                    Method::GET,
                    format!("/api/v1/registrations/{}/protocol", ctx.ids["registration"]),
                )
            },
        },
        Case {
            // Only the person who registered uploads; the flow tests cover them.
            op: "PUT /api/v1/registrations/{id}/protocol",
            request: |ctx, _, _| {
                Req::new(
                    Method::PUT,
                    format!("/api/v1/registrations/{}/protocol", ctx.ids["registration"]),
                )
                .header("content-type", "application/pdf")
            },
        },
        Case {
            op: "POST /api/v1/registrations/{id}/approve",
            request: |ctx, _, _| {
                Req::new(
                    Method::POST,
                    format!("/api/v1/registrations/{}/approve", ctx.ids["registration"]),
                )
            },
        },
        Case {
            op: "POST /api/v1/registrations/{id}/reject",
            request: |ctx, _, _| {
                Req::new(
                    Method::POST,
                    format!("/api/v1/registrations/{}/reject", ctx.ids["registration_b"]),
                )
                .body(json!({"reason": "Firma mancante"}))
            },
        },
        Case {
            op: "POST /api/v1/auth/password-reset",
            request: |_, _, _| {
                Req::new(Method::POST, "/api/v1/auth/password-reset")
                    .body(json!({"email": "nessuno@esempio.it"}))
            },
        },
        Case {
            op: "POST /api/v1/auth/password-reset/{token}",
            request: |ctx, _, _| {
                let t = ctx
                    .reset_tokens
                    .borrow_mut()
                    .pop()
                    .expect("enough reset tokens");
                Req::new(Method::POST, format!("/api/v1/auth/password-reset/{t}"))
                    .body(json!({"password": "una password nuova"}))
            },
        },
        Case {
            op: "GET /api/v1/invitations/{token}",
            request: |ctx, _, _| {
                Req::new(
                    Method::GET,
                    format!("/api/v1/invitations/{}", ctx.preview_token),
                )
            },
        },
        Case {
            op: "POST /api/v1/invitations/{token}/accept",
            request: |ctx, _, _| {
                let t = ctx
                    .invitation_tokens
                    .borrow_mut()
                    .pop()
                    .expect("enough invitation tokens");
                Req::new(Method::POST, format!("/api/v1/invitations/{t}/accept"))
                    .body(json!({"full_name": "Nuovo delegato", "password": "una password lunga"}))
            },
        },
        Case {
            op: "POST /api/v1/authorities/{istat_code}/invitations",
            request: |ctx, role, side| {
                let who = role.map_or("anonimo", |r| r.code());
                Req::new(
                    Method::POST,
                    format!("/api/v1/authorities/{}/invitations", ctx.istat(role, side)),
                )
                .body(json!({"email": format!("invitato.{who}.{side:?}@esempio.it")}))
            },
        },
        Case {
            op: "GET /api/v1/authorities/{istat_code}/invitations",
            request: |ctx, role, side| {
                Req::new(
                    Method::GET,
                    format!("/api/v1/authorities/{}/invitations", ctx.istat(role, side)),
                )
            },
        },
        Case {
            op: "DELETE /api/v1/authorities/{istat_code}/invitations/{id}",
            request: |ctx, role, side| {
                Req::new(
                    Method::DELETE,
                    format!(
                        "/api/v1/authorities/{}/invitations/{}",
                        ctx.istat(role, side),
                        pick(ctx, role, side, "invitation_a", "invitation_b")
                    ),
                )
            },
        },
        Case {
            op: "GET /api/v1/authorities/{istat_code}/delegates",
            request: |ctx, role, side| {
                Req::new(
                    Method::GET,
                    format!("/api/v1/authorities/{}/delegates", ctx.istat(role, side)),
                )
            },
        },
        Case {
            op: "DELETE /api/v1/authorities/{istat_code}/delegates/{user_id}",
            request: |ctx, role, side| {
                Req::new(
                    Method::DELETE,
                    format!(
                        "/api/v1/authorities/{}/delegates/{}",
                        ctx.istat(role, side),
                        pick(ctx, role, side, "delegate_a", "delegate_b")
                    ),
                )
            },
        },
        Case {
            op: "GET /api/v1/phases",
            request: |_, _, _| Req::new(Method::GET, "/api/v1/phases"),
        },
        Case {
            op: "POST /api/v1/phases",
            request: |_, _, _| {
                Req::new(Method::POST, "/api/v1/phases")
                    .body(json!({"name": "Fase nuova", "start_date": "2024-01-01"}))
            },
        },
        Case {
            op: "GET /api/v1/phases/{id}",
            request: |ctx, _, _| {
                Req::new(Method::GET, format!("/api/v1/phases/{}", ctx.ids["phase"]))
            },
        },
        Case {
            op: "GET /api/v1/phases/{id}/authorities",
            request: |ctx, _, _| {
                Req::new(
                    Method::GET,
                    format!("/api/v1/phases/{}/authorities", ctx.ids["phase"]),
                )
            },
        },
        Case {
            op: "POST /api/v1/phases/{id}/authorities",
            request: |ctx, _, _| {
                Req::new(
                    Method::POST,
                    format!("/api/v1/phases/{}/authorities", ctx.ids["phase"]),
                )
                .body(json!({"istat_codes": ["016025"]}))
            },
        },
        Case {
            op: "DELETE /api/v1/phases/{id}/authorities/{istat_code}",
            request: |ctx, _, _| {
                Req::new(
                    Method::DELETE,
                    format!("/api/v1/phases/{}/authorities/017029", ctx.ids["phase"]),
                )
            },
        },
        Case {
            // Bergamo's standing: its own users, programme staff, observers of its province.
            op: "GET /api/v1/authorities/{istat_code}/programme-status",
            request: |ctx, role, side| {
                Req::new(
                    Method::GET,
                    format!(
                        "/api/v1/authorities/{}/programme-status",
                        ctx.istat(role, side)
                    ),
                )
            },
        },
        Case {
            op: "POST /api/v1/experts",
            request: |_, _, _| {
                Req::new(Method::POST, "/api/v1/experts").body(json!({"email": "nuovo.esperto@esempio.it", "full_name": "Nuovo", "task_forces": ["waste"]}))
            },
        },
        Case {
            op: "GET /api/v1/experts",
            request: |_, _, _| Req::new(Method::GET, "/api/v1/experts"),
        },
        Case {
            op: "GET /api/v1/experts/{user_id}",
            request: |ctx, _, _| {
                Req::new(
                    Method::GET,
                    format!("/api/v1/experts/{}", ctx.ids["expert"]),
                )
            },
        },
        Case {
            // The demo expert (user 5) edits their own profile; the secretariat anyone's.
            op: "PATCH /api/v1/experts/{user_id}",
            request: |ctx, role, side| {
                Req::new(
                    Method::PATCH,
                    format!("/api/v1/experts/{}", ctx.id(role, side, "expert")),
                )
                .header("if-match", "*")
                .body(json!({"professional_profile": "Aggiornato"}))
            },
        },
        Case {
            op: "POST /api/v1/task-forces/{code}/coordinators",
            request: |ctx, _, _| {
                Req::new(Method::POST, "/api/v1/task-forces/waste/coordinators")
                    .body(json!({"user_id": ctx.ids["spare"]}))
            },
        },
        Case {
            op: "DELETE /api/v1/task-forces/{code}/coordinators/{user_id}",
            request: |ctx, _, _| {
                Req::new(
                    Method::DELETE,
                    format!(
                        "/api/v1/task-forces/building_planning/coordinators/{}",
                        ctx.ids["spare"]
                    ),
                )
            },
        },
        Case {
            op: "PUT /api/v1/authorities/{istat_code}/representative",
            request: |_, _, _| {
                Req::new(Method::PUT, "/api/v1/authorities/017029/representative").body(json!({"email": "sindaco.brescia@esempio.it", "full_name": "Sindaco di Brescia"}))
            },
        },
        Case {
            op: "POST /api/v1/meetings",
            request: |_, _, _| {
                Req::new(Method::POST, "/api/v1/meetings").body(json!({"province": "BG", "starts_at": "2027-01-10T09:00:00Z", "place": "Bergamo", "istat_codes": ["016024"]}))
            },
        },
        Case {
            op: "GET /api/v1/meetings",
            request: |_, _, _| Req::new(Method::GET, "/api/v1/meetings"),
        },
        Case {
            // A meeting in Bergamo's province inviting the comune of Bergamo.
            op: "GET /api/v1/meetings/{id}",
            request: |ctx, role, side| {
                Req::new(
                    Method::GET,
                    format!("/api/v1/meetings/{}", ctx.id(role, side, "meeting")),
                )
            },
        },
        Case {
            op: "POST /api/v1/meetings/{id}/rsvp",
            request: |ctx, role, side| {
                Req::new(
                    Method::POST,
                    format!("/api/v1/meetings/{}/rsvp", ctx.id(role, side, "meeting")),
                )
                .body(json!({"istat_code": ctx.istat(role, Side::Own), "attending": true, "attendees": 2}))
            },
        },
        Case {
            op: "GET /api/v1/meetings/{id}/attendance.csv",
            request: |ctx, role, side| {
                Req::new(
                    Method::GET,
                    format!(
                        "/api/v1/meetings/{}/attendance.csv",
                        ctx.id(role, side, "meeting")
                    ),
                )
            },
        },
        Case {
            op: "GET /api/v1/meetings/{id}/calendar.ics",
            request: |ctx, role, side| {
                Req::new(
                    Method::GET,
                    format!(
                        "/api/v1/meetings/{}/calendar.ics",
                        ctx.id(role, side, "meeting")
                    ),
                )
            },
        },
        Case {
            op: "POST /api/v1/support-requests",
            request: |ctx, role, side| {
                Req::new(Method::POST, "/api/v1/support-requests").body(json!({
                    "istat_code": ctx.istat(role, side), "procedure": "PDC", "subject": "Matrice",
                    "description": "Prova", "support_kind": "other"
                }))
            },
        },
        Case {
            op: "GET /api/v1/support-requests",
            request: |_, _, _| Req::new(Method::GET, "/api/v1/support-requests?status=submitted"),
        },
        Case {
            op: "GET /api/v1/support-requests.csv",
            request: |_, _, _| Req::new(Method::GET, "/api/v1/support-requests.csv"),
        },
        Case {
            // Assigned to the demo expert, of Bergamo (BG), building and planning.
            op: "GET /api/v1/support-requests/{id}",
            request: |ctx, role, side| {
                Req::new(
                    Method::GET,
                    format!(
                        "/api/v1/support-requests/{}",
                        ctx.id(role, side, "sr_assigned")
                    ),
                )
            },
        },
        Case {
            // A draft: only its authority sees it.
            op: "PATCH /api/v1/support-requests/{id}",
            request: |ctx, role, side| {
                Req::new(
                    Method::PATCH,
                    format!(
                        "/api/v1/support-requests/{}",
                        ctx.id(role, side, "sr_draft")
                    ),
                )
                .header("if-match", "*")
                .body(json!({"subject": "Matrice modificata"}))
            },
        },
        Case {
            // Each role makes the move that is theirs on a request in the right status; the
            // observer sees the request but may not move it.
            op: "POST /api/v1/support-requests/{id}/transitions",
            request: |ctx, role, side| {
                let (key, body) = match role {
                    Some(Role::AuthorityRep) => ("sr_draft_rep", json!({"action": "submit"})),
                    Some(Role::AuthorityDelegate) => ("sr_draft_bs", json!({"action": "submit"})),
                    Some(Role::Expert) => ("sr_assigned_start", json!({"action": "start"})),
                    Some(Role::Coordinator) => {
                        ("sr_submitted_coord", json!({"action": "take_charge"}))
                    }
                    Some(Role::Secretariat) => {
                        ("sr_submitted_sec", json!({"action": "take_charge"}))
                    }
                    _ => ("sr_submitted_obs", json!({"action": "take_charge"})),
                };
                // A foreign caller tries the same move on a request of Milano in the same status.
                let id = match (side, key) {
                    (Side::Own, key) => ctx.ids[key],
                    (Side::Foreign, "sr_draft_rep" | "sr_draft_bs") => ctx.foreign["sr_draft"],
                    (Side::Foreign, "sr_assigned_start") => ctx.foreign["sr_assigned"],
                    (Side::Foreign, _) => ctx.foreign["sr_submitted"],
                };
                Req::new(
                    Method::POST,
                    format!("/api/v1/support-requests/{id}/transitions"),
                )
                .header("if-match", "*")
                .body(body)
            },
        },
        Case {
            op: "GET /api/v1/support-requests/{id}/candidates",
            request: |ctx, role, side| {
                Req::new(
                    Method::GET,
                    format!(
                        "/api/v1/support-requests/{}/candidates",
                        ctx.id(role, side, "sr_assigned")
                    ),
                )
            },
        },
        Case {
            op: "GET /api/v1/support-requests/{id}/messages",
            request: |ctx, role, side| {
                Req::new(
                    Method::GET,
                    format!(
                        "/api/v1/support-requests/{}/messages",
                        ctx.id(role, side, "sr_assigned")
                    ),
                )
            },
        },
        Case {
            op: "GET /api/v1/support-requests/{id}/messages/{message_id}",
            request: |ctx, role, side| {
                Req::new(
                    Method::GET,
                    format!(
                        "/api/v1/support-requests/{}/messages/{}",
                        ctx.id(role, side, "sr_assigned"),
                        ctx.id(role, side, "message")
                    ),
                )
            },
        },
        Case {
            op: "POST /api/v1/support-requests/{id}/messages",
            request: |ctx, role, side| {
                Req::new(
                    Method::POST,
                    format!(
                        "/api/v1/support-requests/{}/messages",
                        ctx.id(role, side, "sr_assigned")
                    ),
                )
                .body(json!({"body": "Matrice"}))
            },
        },
        Case {
            op: "GET /api/v1/support-requests/{id}/activities",
            request: |ctx, role, side| {
                Req::new(
                    Method::GET,
                    format!(
                        "/api/v1/support-requests/{}/activities",
                        ctx.id(role, side, "sr_assigned")
                    ),
                )
            },
        },
        Case {
            op: "POST /api/v1/support-requests/{id}/activities",
            request: |ctx, role, side| {
                Req::new(
                    Method::POST,
                    format!(
                        "/api/v1/support-requests/{}/activities",
                        ctx.id(role, side, "sr_assigned")
                    ),
                )
                .body(json!({"date": "2026-01-15", "kind": "document_review", "hours": 1}))
            },
        },
        Case {
            // The demo expert's own entry.
            op: "PATCH /api/v1/activities/{id}",
            request: |ctx, role, side| {
                Req::new(
                    Method::PATCH,
                    format!("/api/v1/activities/{}", ctx.id(role, side, "activity")),
                )
                .body(json!({"notes": "Matrice"}))
            },
        },
        Case {
            op: "DELETE /api/v1/activities/{id}",
            request: |ctx, role, side| {
                Req::new(
                    Method::DELETE,
                    format!("/api/v1/activities/{}", ctx.id(role, side, "activity_b")),
                )
            },
        },
        Case {
            // The demo expert's timesheet: hers, the secretariat's, her coordinator's.
            op: "GET /api/v1/experts/{user_id}/timesheet",
            request: |ctx, role, side| {
                Req::new(
                    Method::GET,
                    format!("/api/v1/experts/{}/timesheet", ctx.id(role, side, "expert")),
                )
            },
        },
        Case {
            op: "GET /api/v1/experts/{user_id}/timesheet.csv",
            request: |ctx, role, side| {
                Req::new(
                    Method::GET,
                    format!(
                        "/api/v1/experts/{}/timesheet.csv",
                        ctx.id(role, side, "expert")
                    ),
                )
            },
        },
        Case {
            op: "GET /api/v1/reports/service",
            request: |_, _, _| Req::new(Method::GET, "/api/v1/reports/service"),
        },
        Case {
            op: "POST /api/v1/support-requests/{id}/attachments",
            request: |ctx, role, side| {
                Req::new(
                    Method::POST,
                    format!(
                        "/api/v1/support-requests/{}/attachments",
                        ctx.id(role, side, "sr_assigned")
                    ),
                )
                .header("content-type", "application/pdf")
                .header("x-file-name", "matrice.pdf")
                .raw(affianca_tests::files::pdf("matrice"))
            },
        },
        Case {
            op: "GET /api/v1/support-requests/{id}/attachments",
            request: |ctx, role, side| {
                Req::new(
                    Method::GET,
                    format!(
                        "/api/v1/support-requests/{}/attachments",
                        ctx.id(role, side, "sr_assigned")
                    ),
                )
            },
        },
        Case {
            op: "GET /api/v1/support-requests/{id}/attachments/{attachment_id}",
            request: |ctx, role, side| {
                Req::new(
                    Method::GET,
                    format!(
                        "/api/v1/support-requests/{}/attachments/{}",
                        ctx.id(role, side, "sr_assigned"),
                        ctx.id(role, side, "attachment")
                    ),
                )
            },
        },
        Case {
            op: "POST /api/v1/authorities/{istat_code}/register",
            request: |ctx, role, side| {
                Req::new(Method::POST, format!("/api/v1/authorities/{}/register?dry_run=true", ctx.istat(role, side)))
                    .raw(b"codice_pratica;procedimento;data_avvio;data_conclusione\nM1;PDC;2023-01-10;2023-03-01\n".to_vec())
            },
        },
        Case {
            op: "PUT /api/v1/authorities/{istat_code}/files/{codice_pratica}",
            request: |ctx, role, side| {
                Req::new(
                    Method::PUT,
                    format!("/api/v1/authorities/{}/files/M2", ctx.istat(role, side)),
                )
                .body(json!({"procedure": "PDC", "start_date": "2023-02-01"}))
            },
        },
        Case {
            op: "GET /api/v1/authorities/{istat_code}/files",
            request: |ctx, role, side| {
                Req::new(
                    Method::GET,
                    format!(
                        "/api/v1/authorities/{}/files?procedure=PDC",
                        ctx.istat(role, side)
                    ),
                )
            },
        },
        Case {
            op: "GET /api/v1/authorities/{istat_code}/files/{codice_pratica}",
            request: |ctx, role, side| {
                Req::new(
                    Method::GET,
                    format!("/api/v1/authorities/{}/files/M1", ctx.istat(role, side)),
                )
            },
        },
        Case {
            op: "DELETE /api/v1/authorities/{istat_code}/files/{codice_pratica}",
            request: |ctx, caller, side| {
                Req::new(
                    Method::DELETE,
                    format!(
                        "/api/v1/authorities/{}/files/DEL-{}",
                        ctx.istat(caller, side),
                        caller.map_or("anonymous", |r| r.code())
                    ),
                )
            },
        },
        Case {
            op: "GET /api/v1/authorities/{istat_code}/semesters",
            request: |ctx, role, side| {
                Req::new(
                    Method::GET,
                    format!("/api/v1/authorities/{}/semesters", ctx.istat(role, side)),
                )
            },
        },
        Case {
            op: "PUT /api/v1/authorities/{istat_code}/semesters/{period}/measurements",
            request: |ctx, role, side| {
                Req::new(Method::PUT, format!("/api/v1/authorities/{}/semesters/2024S2/measurements", ctx.istat(role, side)))
                    .body(json!({"rows": [{"procedure": "SCIA", "started": 3, "concluded_express": 0, "backlog": 1}]}))
            },
        },
        Case {
            op: "POST /api/v1/authorities/{istat_code}/semesters/{period}/transitions",
            request: |ctx, role, side| {
                Req::new(
                    Method::POST,
                    format!("/api/v1/authorities/{}/semesters/2023S1/transitions", ctx.istat(role, side)),
                )
                // The authority submits; the secretariat validates what the authority submitted
                // (Bergamo's by the demo representative, Milano's during setup).
                .body(json!({"action": if role == Some(Role::Secretariat) { "validate" } else { "submit" }}))
            },
        },
        Case {
            op: "GET /api/v1/authorities/{istat_code}/semesters/{period}/history",
            request: |ctx, role, side| {
                Req::new(
                    Method::GET,
                    format!(
                        "/api/v1/authorities/{}/semesters/2023S1/history",
                        ctx.istat(role, side)
                    ),
                )
            },
        },
        Case {
            op: "GET /api/v1/semester-reports",
            request: |_, _, _| Req::new(Method::GET, "/api/v1/semester-reports"),
        },
        Case {
            op: "GET /api/v1/monitoring/settings",
            request: |_, _, _| Req::new(Method::GET, "/api/v1/monitoring/settings"),
        },
        Case {
            op: "PUT /api/v1/monitoring/settings",
            request: |_, _, _| {
                Req::new(Method::PUT, "/api/v1/monitoring/settings").body(json!({"baseline": "2021S2", "lock_days": 60,
                    "milestones": [{"period": "2023S2", "backlog_reduction_pct": 50, "duration_reduction_pct": 10}]}))
            },
        },
        Case {
            op: "GET /api/v1/authorities/{istat_code}/targets",
            request: |ctx, role, side| {
                Req::new(
                    Method::GET,
                    format!("/api/v1/authorities/{}/targets", ctx.istat(role, side)),
                )
            },
        },
        Case {
            op: "PUT /api/v1/authorities/{istat_code}/targets",
            request: |ctx, role, side| {
                Req::new(
                    Method::PUT,
                    format!("/api/v1/authorities/{}/targets", ctx.istat(role, side)),
                )
                .body(json!({"baseline": "2022S1"}))
            },
        },
        Case {
            op: "DELETE /api/v1/authorities/{istat_code}/targets",
            request: |ctx, role, side| {
                Req::new(
                    Method::DELETE,
                    format!("/api/v1/authorities/{}/targets", ctx.istat(role, side)),
                )
            },
        },
        Case {
            op: "GET /api/v1/indicators",
            request: |_, role, side| {
                Req::new(
                    Method::GET,
                    format!("/api/v1/indicators?{}", indicator_scope(role, side)),
                )
            },
        },
        Case {
            op: "GET /api/v1/indicators/completeness",
            request: |_, role, side| {
                Req::new(
                    Method::GET,
                    format!(
                        "/api/v1/indicators/completeness?{}",
                        indicator_scope(role, side)
                    ),
                )
            },
        },
        Case {
            op: "GET /api/v1/indicators/rankings",
            request: |_, role, side| {
                Req::new(
                    Method::GET,
                    format!(
                        "/api/v1/indicators/rankings?{}",
                        indicator_scope(role, side)
                    ),
                )
            },
        },
        Case {
            op: "GET /api/v1/open-data/indicators.csv",
            request: |_, _, _| Req::new(Method::GET, "/api/v1/open-data/indicators.csv"),
        },
        Case {
            op: "GET /api/v1/notifications",
            request: |_, _, _| Req::new(Method::GET, "/api/v1/notifications"),
        },
        Case {
            op: "GET /api/v1/notifications/unread-count",
            request: |_, _, _| Req::new(Method::GET, "/api/v1/notifications/unread-count"),
        },
        Case {
            op: "POST /api/v1/notifications/{id}/read",
            request: |ctx, role, side| {
                Req::new(
                    Method::POST,
                    format!(
                        "/api/v1/notifications/{}/read",
                        ctx.notification(role, side)
                    ),
                )
            },
        },
        Case {
            op: "POST /api/v1/notifications/read-all",
            request: |_, _, _| Req::new(Method::POST, "/api/v1/notifications/read-all"),
        },
        Case {
            op: "GET /api/v1/outbox",
            request: |_, _, _| Req::new(Method::GET, "/api/v1/outbox"),
        },
        Case {
            op: "GET /api/v1/audit-events",
            request: |_, _, _| Req::new(Method::GET, "/api/v1/audit-events?action=login_succeeded"),
        },
        Case {
            op: "GET /api/v1/users",
            request: |_, _, _| Req::new(Method::GET, "/api/v1/users"),
        },
        Case {
            op: "POST /api/v1/users",
            request: |_, _, _| {
                Req::new(Method::POST, "/api/v1/users").body(json!({
                    "email": "matrix@example.org", "full_name": "Matrix", "password": "una password lunga",
                    "grants": [{"role": "observer", "scope": "region"}]
                }))
            },
        },
        Case {
            op: "GET /api/v1/users/{id}",
            request: |_, _, _| Req::new(Method::GET, "/api/v1/users/1"),
        },
        Case {
            op: "POST /api/v1/users/{id}/grants",
            request: |ctx, _, _| {
                Req::new(
                    Method::POST,
                    format!("/api/v1/users/{}/grants", ctx.ids["spare"]),
                )
                .body(json!({"role": "observer", "scope": "province:CO"}))
            },
        },
        Case {
            op: "DELETE /api/v1/users/{id}/grants/{grant_id}",
            request: |ctx, _, _| {
                Req::new(
                    Method::DELETE,
                    format!(
                        "/api/v1/users/{}/grants/{}",
                        ctx.ids["spare"], ctx.ids["spare_grant"]
                    ),
                )
            },
        },
    ]
}

fn documented_operations(doc: &Value) -> BTreeSet<String> {
    let mut ops = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in ["get", "post", "put", "patch", "delete"] {
            if item.get(method).is_some() {
                ops.insert(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
    ops
}

async fn send(app: &TestApp, req: Req, token: Option<&str>) -> u16 {
    let mut rb = app.request(req.method, &req.path, token);
    for (k, v) in req.headers {
        rb = rb.header(k, v);
    }
    if let Some(b) = req.body {
        rb = rb.json(&b);
    }
    if let Some(raw) = req.raw {
        rb = rb.body(raw);
    }
    rb.send().await.expect("request sent").status().as_u16()
}

#[tokio::test]
async fn every_operation_answers_each_role_as_the_matrix_says() {
    let app = spawn_app().await;
    let doc: Value = app
        .request(Method::GET, "/api/v1/openapi.json", None)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let documented = documented_operations(&doc);
    let cases = cases();
    let in_matrix: BTreeSet<String> = cases.iter().map(|c| c.op.to_owned()).collect();
    let missing: Vec<_> = documented.difference(&in_matrix).collect();
    assert!(
        missing.is_empty(),
        "operations missing from the authorization matrix: {missing:?}"
    );
    let stale: Vec<_> = in_matrix.difference(&documented).collect();
    assert!(
        stale.is_empty(),
        "matrix entries for operations that do not exist: {stale:?}"
    );
    let in_policy: BTreeSet<String> = policy::POLICY.iter().map(|r| r.op.to_owned()).collect();
    assert_eq!(
        in_policy, documented,
        "the policy names exactly the documented operations"
    );

    let mut tokens: HashMap<Role, String> = HashMap::new();
    for role in Role::ALL {
        tokens.insert(role, app.token_for(role).await);
    }
    // Refresh tokens of an account that is none of the callers: a logout ends the access tokens
    // of the account's other logins too.
    let admin_token = &tokens[&Role::Admin];
    let res = app
        .post_json(
            "/api/v1/users",
            Some(admin_token),
            &json!({"email": "matrix-sessions@esempio.it", "full_name": "Sessioni", "password": "una password qualsiasi"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let mut refresh = Vec::new();
    for _ in 0..(2 * (Role::ALL.len() + 1)) {
        let res = app
            .try_login("matrix-sessions@esempio.it", "una password qualsiasi")
            .await;
        assert_eq!(res.status(), 200);
        refresh.push(
            res.json::<affianca_domain::dto::TokenResponse>()
                .await
                .unwrap()
                .refresh_token
                .expect("API clients get the refresh token in the body"),
        );
    }
    // Two registrations by someone who is none of the demo users, both with their protocol.
    let mut ids = HashMap::new();
    // An account whose grants the grant and coordinator cases change: grants work from the
    // database at once, so those cases must not touch the callers' own accounts.
    {
        let res = app
            .post_json(
                "/api/v1/users",
                Some(admin_token),
                &json!({"email": "matrix-grants@esempio.it", "full_name": "Ruoli", "password": "una password qualsiasi", "grants": [{"role": "observer", "scope": "province:MI"}]}),
            )
            .await;
        assert_eq!(res.status(), 201);
        let user = res.json::<Value>().await.unwrap();
        ids.insert("spare", user["id"].as_i64().unwrap());
        ids.insert("spare_grant", user["grants"][0]["id"].as_i64().unwrap());
        let res = app
            .post_json(
                "/api/v1/task-forces/building_planning/coordinators",
                Some(&tokens[&Role::Secretariat]),
                &json!({"user_id": ids["spare"]}),
            )
            .await;
        assert_eq!(res.status(), 204);
    }
    for (key, istat, email) in [
        ("registration", "018001", "matrix-a@esempio.it"),
        ("registration_b", "018003", "matrix-b@esempio.it"),
    ] {
        let (id, _) =
            register_with_protocol(&app, istat, "Matrice", email, "una password lunga").await;
        ids.insert(key, id);
    }
    // Invitations for Bergamo: two accepted (delegates to remove), two pending (to revoke),
    // one pending for the preview, eight for the callers to accept; eight password resets.
    let sec = tokens[&Role::Secretariat].clone();
    let admin = tokens[&Role::Admin].clone();
    let invite = |email: String| {
        let app = &app;
        let sec = sec.clone();
        async move {
            let res = app
                .post_json(
                    "/api/v1/authorities/016024/invitations",
                    Some(&sec),
                    &json!({"email": email}),
                )
                .await;
            assert_eq!(res.status(), 201);
            res.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
        }
    };
    for key in ["delegate_a", "delegate_b"] {
        let email = format!("{key}@esempio.it");
        invite(email.clone()).await;
        let token = emailed_tokens(&app, &admin, &email, "/invito/")
            .await
            .pop()
            .unwrap();
        let res = app
            .post_json(
                &format!("/api/v1/invitations/{token}/accept"),
                None,
                &json!({"full_name": key, "password": "una password lunga"}),
            )
            .await;
        assert_eq!(res.status(), 204);
        let login: Value = app
            .try_login(&email, "una password lunga")
            .await
            .json()
            .await
            .unwrap();
        let me: Value = app
            .get("/api/v1/me", login["access_token"].as_str().unwrap())
            .await
            .json()
            .await
            .unwrap();
        ids.insert(key, me["user"]["id"].as_i64().unwrap());
    }
    for key in ["invitation_a", "invitation_b"] {
        ids.insert(key, invite(format!("{key}@esempio.it")).await);
    }
    invite("preview@esempio.it".into()).await;
    let preview_token = emailed_tokens(&app, &admin, "preview@esempio.it", "/invito/")
        .await
        .pop()
        .unwrap();
    let mut invitation_tokens = Vec::new();
    for i in 0..8 {
        let email = format!("accept{i}@esempio.it");
        invite(email.clone()).await;
        invitation_tokens.extend(emailed_tokens(&app, &admin, &email, "/invito/").await);
    }
    // Reset links of accounts that are none of the callers (a reset ends the account's sessions),
    // one per account (the form sends at most 3 e-mails per address and hour).
    let mut reset_tokens = Vec::new();
    for i in 0..8 {
        let email = format!("reset{i}@esempio.it");
        let res = app
            .post_json(
                "/api/v1/users",
                Some(&admin),
                &json!({"email": email, "full_name": format!("Reset {i}"), "password": "una password qualsiasi"}),
            )
            .await;
        assert_eq!(res.status(), 201);
        let res = app
            .post_json(
                "/api/v1/auth/password-reset",
                None,
                &json!({ "email": email }),
            )
            .await;
        assert_eq!(res.status(), 202);
        reset_tokens.extend(emailed_tokens(&app, &admin, &email, "/reimposta-password/").await);
    }
    assert_eq!((invitation_tokens.len(), reset_tokens.len()), (8, 8));
    let res = app
        .post_json(
            "/api/v1/phases",
            Some(&sec),
            &json!({"name": "Matrice", "start_date": "2022-09-01"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let phase_id = res.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let res = app
        .post_json(
            &format!("/api/v1/phases/{phase_id}/authorities"),
            Some(&sec),
            &json!({"istat_codes": ["016024", "017029"]}),
        )
        .await;
    assert_eq!(res.status(), 200);
    ids.insert("phase", phase_id);
    let res = app
        .post_json("/api/v1/meetings", Some(&sec), &json!({"province": "BG", "starts_at": "2027-01-10T09:00:00Z", "place": "Bergamo", "istat_codes": ["016024"]}))
        .await;
    assert_eq!(res.status(), 201);
    ids.insert(
        "meeting",
        res.json::<Value>().await.unwrap()["id"].as_i64().unwrap(),
    );
    // Support requests in the statuses the cases need.
    {
        let rep = &tokens[&Role::AuthorityRep];
        let sec = &tokens[&Role::Secretariat];
        let experts: Value = app
            .get("/api/v1/experts?task_force=building_planning", sec)
            .await
            .json()
            .await
            .unwrap();
        let anna = experts
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["email"] == "esperta.edilizia@demo.affianca.it")
            .unwrap()["user_id"]
            .as_i64()
            .unwrap();
        let submit = (rep.as_str(), json!({"action": "submit"}));
        let assigned = [
            submit.clone(),
            (sec.as_str(), json!({"action": "take_charge"})),
            (
                sec.as_str(),
                json!({"action": "assign", "lead_expert": anna}),
            ),
        ];
        ids.insert("sr_draft", support_request(&app, rep, "016024", &[]).await);
        ids.insert(
            "sr_draft_rep",
            support_request(&app, rep, "016024", &[]).await,
        );
        ids.insert(
            "sr_draft_bs",
            support_request(&app, &tokens[&Role::AuthorityDelegate], "017029", &[]).await,
        );
        for key in ["sr_submitted_sec", "sr_submitted_coord", "sr_submitted_obs"] {
            ids.insert(
                key,
                support_request(&app, rep, "016024", std::slice::from_ref(&submit)).await,
            );
        }
        ids.insert(
            "sr_assigned",
            support_request(&app, rep, "016024", &assigned).await,
        );
        ids.insert(
            "sr_assigned_start",
            support_request(&app, rep, "016024", &assigned).await,
        );
        ids.insert("expert", anna);
        let res = app
            .request(
                Method::POST,
                &format!(
                    "/api/v1/support-requests/{}/attachments",
                    ids["sr_assigned"]
                ),
                Some(rep),
            )
            .header("x-file-name", "matrice.pdf")
            .body(affianca_tests::files::pdf("matrice"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
        ids.insert(
            "attachment",
            res.json::<Value>().await.unwrap()["id"].as_i64().unwrap(),
        );
        let res = app
            .post_json(
                &format!("/api/v1/support-requests/{}/messages", ids["sr_assigned"]),
                Some(rep),
                &json!({"body": "Messaggio della matrice"}),
            )
            .await;
        assert_eq!(res.status(), 201);
        ids.insert(
            "message",
            res.json::<Value>().await.unwrap()["id"].as_i64().unwrap(),
        );
        for key in ["activity", "activity_b"] {
            let res = app
                .post_json(
                    &format!("/api/v1/support-requests/{}/activities", ids["sr_assigned"]),
                    Some(&tokens[&Role::Expert]),
                    &json!({"date": "2026-01-14", "kind": "other", "hours": 1}),
                )
                .await;
            assert_eq!(res.status(), 201);
            ids.insert(
                key,
                res.json::<Value>().await.unwrap()["id"].as_i64().unwrap(),
            );
        }
    }
    // The delegate's own objects (Brescia) and the foreign ones (Milano, another task force,
    // another expert).
    let mut brescia: HashMap<&'static str, i64> = HashMap::new();
    let mut foreign: HashMap<&'static str, i64> = HashMap::new();
    {
        let sec = tokens[&Role::Secretariat].as_str();
        let del = tokens[&Role::AuthorityDelegate].as_str();
        let login = |email: &'static str, password: &'static str| {
            let app = &app;
            async move {
                let res = app.try_login(email, password).await;
                assert_eq!(res.status(), 200, "login of {email}");
                res.json::<Value>().await.unwrap()["access_token"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            }
        };
        let attach = |id: i64, token: String| {
            let app = &app;
            async move {
                let res = app
                    .request(
                        Method::POST,
                        &format!("/api/v1/support-requests/{id}/attachments"),
                        Some(&token),
                    )
                    .header("x-file-name", "matrice.pdf")
                    .body(affianca_tests::files::pdf("matrice"))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status(), 201);
                res.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
            }
        };
        let post = |path: String, token: String, body: Value| {
            let app = &app;
            async move {
                let res = app.post_json(&path, Some(&token), &body).await;
                let status = res.status();
                let v = res.json::<Value>().await.unwrap_or(Value::Null);
                assert_eq!(status, 201, "{path}: {v}");
                v
            }
        };
        let anna = ids["expert"];
        // Brescia: the delegate's request, assigned to the demo expert, with a message and an
        // attachment; a meeting of Brescia's province inviting Brescia.
        let assigned = [
            (del, json!({"action": "submit"})),
            (sec, json!({"action": "take_charge"})),
            (sec, json!({"action": "assign", "lead_expert": anna})),
        ];
        let sr = support_request(&app, del, "017029", &assigned).await;
        brescia.insert("sr_assigned", sr);
        brescia.insert("sr_draft", ids["sr_draft_bs"]);
        brescia.insert("attachment", attach(sr, del.to_owned()).await);
        let m = post(
            format!("/api/v1/support-requests/{sr}/messages"),
            del.to_owned(),
            json!({"body": "Messaggio di Brescia"}),
        )
        .await;
        brescia.insert("message", m["id"].as_i64().unwrap());
        let m = post(
            "/api/v1/meetings".into(),
            sec.to_owned(),
            json!({"province": "BS", "starts_at": "2027-01-11T09:00:00Z", "place": "Brescia", "istat_codes": ["017029"]}),
        )
        .await;
        brescia.insert("meeting", m["id"].as_i64().unwrap());

        // Milano: a representative, an expert of another task force, requests in each status the
        // cases need, a message, an attachment, an activity, a meeting, an invitation, a delegate.
        // Milano's representative registers, is approved and is enabled by the phase.
        let (reg, _) = register_with_protocol(
            &app,
            FOREIGN_AUTHORITY,
            "Sindaco di Milano",
            "sindaco.milano@esempio.it",
            "una password qualsiasi",
        )
        .await;
        let res = app
            .post_json(
                &format!("/api/v1/registrations/{reg}/approve"),
                Some(sec),
                &json!({}),
            )
            .await;
        assert!(res.status().is_success(), "approve: {}", res.status());
        let res = app
            .post_json(
                &format!("/api/v1/phases/{}/authorities", ids["phase"]),
                Some(sec),
                &json!({"istat_codes": [FOREIGN_AUTHORITY]}),
            )
            .await;
        assert_eq!(res.status(), 200);
        // The approval made the account the representative: a new login carries it.
        let mi = login("sindaco.milano@esempio.it", "una password qualsiasi").await;
        let other = post(
            "/api/v1/experts".into(),
            sec.to_owned(),
            json!({"email": "esperto.ambiente@esempio.it", "full_name": "Esperto ambiente", "task_forces": ["environmental_assessments"]}),
        )
        .await["user_id"]
            .as_i64()
            .expect("the new expert's user id");
        foreign.insert("expert", other);
        let res = app
            .post_json(
                "/api/v1/auth/password-reset",
                None,
                &json!({"email": "esperto.ambiente@esempio.it"}),
            )
            .await;
        assert_eq!(res.status(), 202);
        let token = emailed_tokens(
            &app,
            &admin,
            "esperto.ambiente@esempio.it",
            "/reimposta-password/",
        )
        .await
        .pop()
        .expect("a reset link for the new expert");
        let res = app
            .post_json(
                &format!("/api/v1/auth/password-reset/{token}"),
                None,
                &json!({"password": "una password qualsiasi"}),
            )
            .await;
        assert!(res.status().is_success(), "{}", res.status());
        let other_token = login("esperto.ambiente@esempio.it", "una password qualsiasi").await;
        let submit = (mi.as_str(), json!({"action": "submit"}));
        foreign.insert(
            "sr_draft",
            support_request_for(&app, &mi, FOREIGN_AUTHORITY, "VIA_PAUR", &[]).await,
        );
        foreign.insert(
            "sr_submitted",
            support_request_for(
                &app,
                &mi,
                FOREIGN_AUTHORITY,
                "VIA_PAUR",
                std::slice::from_ref(&submit),
            )
            .await,
        );
        let sr = support_request_for(
            &app,
            &mi,
            FOREIGN_AUTHORITY,
            "VIA_PAUR",
            &[
                submit.clone(),
                (sec, json!({"action": "take_charge"})),
                (sec, json!({"action": "assign", "lead_expert": other})),
            ],
        )
        .await;
        foreign.insert("sr_assigned", sr);
        foreign.insert("attachment", attach(sr, mi.clone()).await);
        let m = post(
            format!("/api/v1/support-requests/{sr}/messages"),
            mi.clone(),
            json!({"body": "Messaggio di Milano"}),
        )
        .await;
        foreign.insert("message", m["id"].as_i64().unwrap());
        let a = post(
            format!("/api/v1/support-requests/{sr}/activities"),
            other_token.clone(),
            json!({"date": "2026-01-14", "kind": "other", "hours": 1}),
        )
        .await;
        foreign.insert("activity", a["id"].as_i64().unwrap());
        foreign.insert("activity_b", a["id"].as_i64().unwrap());
        let m = post(
            "/api/v1/meetings".into(),
            sec.to_owned(),
            json!({"province": "MI", "starts_at": "2027-01-12T09:00:00Z", "place": "Milano", "istat_codes": [FOREIGN_AUTHORITY]}),
        )
        .await;
        foreign.insert("meeting", m["id"].as_i64().unwrap());
        let inv = post(
            format!("/api/v1/authorities/{FOREIGN_AUTHORITY}/invitations"),
            sec.to_owned(),
            json!({"email": "invito.milano@esempio.it"}),
        )
        .await;
        foreign.insert("invitation_a", inv["id"].as_i64().unwrap());
        post(
            format!("/api/v1/authorities/{FOREIGN_AUTHORITY}/invitations"),
            sec.to_owned(),
            json!({"email": "delegato.milano@esempio.it"}),
        )
        .await;
        let token = emailed_tokens(&app, &admin, "delegato.milano@esempio.it", "/invito/")
            .await
            .pop()
            .unwrap();
        let res = app
            .post_json(
                &format!("/api/v1/invitations/{token}/accept"),
                None,
                &json!({"full_name": "Delegato di Milano", "password": "una password lunga"}),
            )
            .await;
        assert_eq!(res.status(), 204);
        let del_mi = login("delegato.milano@esempio.it", "una password lunga").await;
        let me: Value = app.get("/api/v1/me", &del_mi).await.json().await.unwrap();
        foreign.insert("delegate_a", me["user"]["id"].as_i64().unwrap());
        // Registers of Brescia and Milano (a file to read, files to delete); Milano submits its
        // 2023S1 semester for the secretariat to validate.
        for (istat, token) in [("017029", sec.to_owned()), (FOREIGN_AUTHORITY, mi.clone())] {
            let res = app
                .request(Method::POST, &format!("/api/v1/authorities/{istat}/register"), Some(&token))
                .body("codice_pratica;procedimento;data_avvio;data_conclusione\nM1;PDC;2023-01-10;2023-03-01\nDEL-authority_rep;PDC;2023-01-11;\nDEL-authority_delegate;PDC;2023-01-11;\nDEL-secretariat;PDC;2023-01-12;\n")
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
        }
        let res = app
            .post_json(
                &format!("/api/v1/authorities/{FOREIGN_AUTHORITY}/semesters/2023S1/transitions"),
                Some(&mi),
                &json!({"action": "submit"}),
            )
            .await;
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    }
    {
        let sec = &tokens[&Role::Secretariat];
        let res = app
            .request(Method::POST, "/api/v1/authorities/016024/register", Some(sec))
            .body("codice_pratica;procedimento;data_avvio;data_conclusione\nM1;PDC;2023-01-10;2023-03-01\nDEL-authority_rep;PDC;2023-01-11;\nDEL-secretariat;PDC;2023-01-12;\n")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    }
    // The first notification of each demo caller (every one of them has been notified of
    // something by now: requests, meetings, invitations, registrations).
    let mut notifications = HashMap::new();
    for role in Role::ALL {
        let page: Value = app
            .get("/api/v1/notifications?limit=1", &tokens[&role])
            .await
            .json()
            .await
            .unwrap();
        if let Some(id) = page["items"][0]["id"].as_i64() {
            notifications.insert(role, id);
        }
    }
    let ctx = Ctx {
        reset_tokens: RefCell::new(reset_tokens),
        invitation_tokens: RefCell::new(invitation_tokens),
        preview_token,
        refresh_tokens: RefCell::new(refresh),
        ids,
        free_comuni: RefCell::new(vec![
            "018004", "018005", "018006", "018007", "018008", "018009", "018011", "018012",
        ]),
        brescia,
        foreign,
        notifications,
    };

    let mut failures = Vec::new();
    let callers: Vec<Option<Role>> = std::iter::once(None)
        .chain(Role::ALL.into_iter().map(Some))
        .collect();
    for case in &cases {
        let rule = policy::rule_of(case.op).expect("checked above");
        for &caller in &callers {
            let mut sides = vec![Side::Own];
            if rule.object != Object::None {
                sides.push(Side::Foreign);
            }
            for side in sides {
                if rule.object == Object::Notification
                    && side == Side::Own
                    && caller.is_some_and(|r| !ctx.notifications.contains_key(&r))
                {
                    // A caller nobody has notified has no notification of its own to read.
                    continue;
                }
                let expected = match side {
                    Side::Own => expected(rule.callers, caller),
                    Side::Foreign => expected_foreign(rule, caller),
                };
                let token = caller.map(|r| tokens[&r].as_str());
                let status = send(&app, (case.request)(&ctx, caller, side), token).await;
                if !expected.contains(&status) {
                    let who = caller.map_or("anonymous", |r| r.code());
                    failures.push(format!(
                        "{} as {who} ({side:?} scope): got {status}, expected {expected:?}",
                        case.op
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "authorization matrix violations:\n{}",
        failures.join("\n")
    );
    assert!(
        ctx.notifications.len() >= 5,
        "most demo callers have a notification of their own to read: {:?}",
        ctx.notifications.keys()
    );
    every_written_link_is_a_page_of_the_client(&app).await;
}

/// Every link the server wrote while the matrix ran (every operation, by every role: notices of
/// requests, semesters, registrations, meetings, invitations, password links in e-mails) is a route
/// of the client's router (`affianca_domain::links::ROUTES`).
async fn every_written_link_is_a_page_of_the_client(app: &TestApp) {
    use affianca_api::entities::{notification, outbox};
    use sea_orm::EntityTrait;
    let db = affianca_api::db::connect(&app.database.url, 2)
        .await
        .unwrap();
    let mut links: Vec<String> = notification::Entity::find()
        .all(&db)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|n| n.link)
        .collect();
    let notices = links.len();
    for mail in outbox::Entity::find().all(&db).await.unwrap() {
        for word in mail.body.split_whitespace() {
            if let Some(rest) = word
                .strip_prefix("http://")
                .or_else(|| word.strip_prefix("https://"))
            {
                let path = rest.find('/').map_or("/", |i| &rest[i..]);
                links.push(path.trim_end_matches(['.', ',', ')']).to_owned());
            }
        }
    }
    assert!(
        notices >= 20,
        "the matrix leaves notices with links: {notices}"
    );
    let mails = links.len() - notices;
    assert!(mails >= 10, "the matrix leaves e-mails with links: {mails}");
    for prefix in [
        "/richieste/",
        "/invito/",
        "/reimposta-password/",
        "/registrazioni/",
        "/incontri/",
    ] {
        assert!(
            links.iter().any(|l| l.starts_with(prefix)),
            "no link to {prefix}… was written: the check would not cover it"
        );
    }
    let broken: BTreeSet<&String> = links
        .iter()
        .filter(|l| !affianca_domain::links::is_route(l))
        .collect();
    assert!(
        broken.is_empty(),
        "links written by the server that are no page of the client: {broken:?}"
    );
}

/// What a caller gets for an object of its own scope.
fn expected(callers: Callers, caller: Option<Role>) -> &'static [u16] {
    const OK: &[u16] = &[200, 201, 204];
    match (callers, caller) {
        (Callers::Public, _) => &[200, 201, 202, 204],
        (_, None) => &[401],
        (Callers::AnyUser, Some(_)) => OK,
        (Callers::Roles(allowed), Some(r)) if allowed.contains(&r) => OK,
        (Callers::Roles(_), Some(_)) => &[403],
        (Callers::Scoped(allowed), Some(r)) if allowed.contains(&r) => OK,
        (Callers::Scoped(_), Some(_)) => &[404],
        (Callers::Acting { allowed, .. }, Some(r)) if allowed.contains(&r) => OK,
        (Callers::Acting { seeing, .. }, Some(r)) if seeing.contains(&r) => &[403],
        (Callers::Acting { .. }, Some(_)) => &[404],
    }
}

/// The demo user's grant for `role`.
fn demo_grant(role: Role) -> RoleScope {
    let (_, _, _, scope) = affianca_tests::DEMO_USERS
        .iter()
        .find(|u| u.2 == role)
        .expect("a demo user of every role");
    RoleScope::new(role, Scope::parse(scope).unwrap()).unwrap()
}

/// What a caller gets for an object of a foreign scope: what it gets for its own when its grant
/// reaches everywhere (or when it may not call at all); otherwise 404, or 403 for a public object
/// behind the role gate.
fn expected_foreign(rule: &Rule, caller: Option<Role>) -> &'static [u16] {
    let own = expected(rule.callers, caller);
    let Some(role) = caller else {
        return own;
    };
    if policy::reaches_everywhere(&demo_grant(role), rule.object) {
        return own;
    }
    let named = match rule.callers {
        Callers::Public => return own,
        Callers::AnyUser => true,
        Callers::Roles(r) | Callers::Scoped(r) => r.contains(&role),
        Callers::Acting { allowed, seeing } => allowed.contains(&role) || seeing.contains(&role),
    };
    match rule.callers {
        _ if !named => own,
        Callers::Roles(_) if rule.object.is_public() => &[403],
        _ => &[404],
    }
}
