//! The authorization matrix: every operation of the OpenAPI document, called anonymously and as
//! each role, must answer as this table says. An operation missing from the table fails the test,
//! so a new route cannot ship without deciding who may call it.
//!
//! `Access` says who may call an operation; `foreign` requests name objects outside a caller's
//! scope, which must answer 404 (never 403) to callers without a region-wide grant. Later issues
//! add their routes here.

use affianca_domain::Role;
use affianca_tests::{TestApp, spawn_app};
use reqwest::Method;
use serde_json::{Value, json};
use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};

#[derive(Clone, Copy)]
enum Access {
    /// Anyone, signed in or not.
    Public,
    /// Any signed-in user, whatever their role.
    AnyUser,
    /// Only these roles; other signed-in users get 403, anonymous callers 401.
    Roles(&'static [Role]),
    /// An object only these roles (or its owner, who is none of the demo users) may see: other
    /// signed-in users get 404, so its existence does not leak; anonymous callers 401.
    Scoped(&'static [Role]),
    /// An object `allowed` roles may act on; `seeing` roles see it but may not act (403); other
    /// signed-in users get 404; anonymous callers 401.
    Acting {
        allowed: &'static [Role],
        seeing: &'static [Role],
    },
}

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
}

/// Of two objects made for the two roles that may act on them, the one for `role`.
fn pick(ctx: &Ctx, role: Option<Role>, a: &str, b: &str) -> i64 {
    if role == Some(Role::AuthorityRep) {
        ctx.ids[b]
    } else {
        ctx.ids[a]
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

type Build = fn(&Ctx, Option<Role>) -> Req;

struct Case {
    /// `METHOD /path/{param}` exactly as in the OpenAPI document.
    op: &'static str,
    access: Access,
    /// The request a permitted caller makes (it must succeed with 2xx).
    request: Build,
}

/// The roles that take part in the programme's requests (all but the admin).
const PROGRAMME: &[Role] = &[
    Role::AuthorityRep,
    Role::AuthorityDelegate,
    Role::Expert,
    Role::Coordinator,
    Role::Secretariat,
    Role::Observer,
];

/// Creates a support request for `istat` as `token`'s user and moves it with `moves` (as the
/// tokens given with each move); returns its id.
async fn support_request(app: &TestApp, token: &str, istat: &str, moves: &[(&str, Value)]) -> i64 {
    let res = app
        .post_json(
            "/api/v1/support-requests",
            Some(token),
            &json!({"istat_code": istat, "procedure": "PDC", "subject": "Matrice", "description": "Prova", "support_kind": "other"}),
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
    use Access::*;
    vec![
        Case {
            op: "GET /api/v1/status",
            access: Public,
            request: |_, _| Req::new(Method::GET, "/api/v1/status"),
        },
        Case {
            op: "POST /api/v1/auth/login",
            access: Public,
            request: |_, _| {
                Req::new(Method::POST, "/api/v1/auth/login")
                    .body(json!({"email": "admin@demo.affianca.it", "password": affianca_tests::DEMO_PASSWORD}))
            },
        },
        Case {
            op: "POST /api/v1/auth/refresh",
            access: Public,
            request: |ctx, _| {
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
            access: Public,
            request: |ctx, _| {
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
            access: AnyUser,
            request: |_, _| Req::new(Method::GET, "/api/v1/me"),
        },
        Case {
            op: "GET /api/v1/authorities",
            access: Public,
            request: |_, _| Req::new(Method::GET, "/api/v1/authorities?province=BG"),
        },
        Case {
            op: "GET /api/v1/authorities/{istat_code}",
            access: Public,
            // The registry is public reference data: a comune outside every demo scope is visible.
            request: |_, _| Req::new(Method::GET, "/api/v1/authorities/019036"),
        },
        Case {
            op: "GET /api/v1/provinces",
            access: Public,
            request: |_, _| Req::new(Method::GET, "/api/v1/provinces"),
        },
        Case {
            op: "GET /api/v1/task-forces",
            access: AnyUser,
            request: |_, _| Req::new(Method::GET, "/api/v1/task-forces"),
        },
        Case {
            op: "GET /api/v1/procedures",
            access: AnyUser,
            request: |_, _| Req::new(Method::GET, "/api/v1/procedures"),
        },
        Case {
            op: "GET /api/v1/procedures/{id}",
            access: AnyUser,
            request: |_, _| Req::new(Method::GET, "/api/v1/procedures/1"),
        },
        Case {
            op: "POST /api/v1/procedures",
            access: Roles(&[Role::Secretariat]),
            request: |_, _| {
                Req::new(Method::POST, "/api/v1/procedures")
                    .body(json!({"code": "MATRIX", "task_force": "waste", "name": "Prova", "legal_term_days": 10}))
            },
        },
        Case {
            op: "PATCH /api/v1/procedures/{id}",
            access: Roles(&[Role::Secretariat]),
            request: |_, _| {
                Req::new(Method::PATCH, "/api/v1/procedures/5")
                    .header("if-match", "\"procedure-5-v1\"")
                    .body(json!({"legal_term_days": 100}))
            },
        },
        Case {
            op: "DELETE /api/v1/procedures/{id}",
            access: Roles(&[Role::Secretariat]),
            request: |_, _| Req::new(Method::DELETE, "/api/v1/procedures/6"),
        },
        Case {
            op: "POST /api/v1/registrations",
            access: Public,
            request: |ctx, _| {
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
            access: AnyUser,
            request: |_, _| Req::new(Method::GET, "/api/v1/registrations"),
        },
        Case {
            op: "GET /api/v1/registrations/{id}",
            access: Scoped(&[Role::Secretariat]),
            request: |ctx, _| {
                Req::new(
                    Method::GET,
                    format!("/api/v1/registrations/{}", ctx.ids["registration"]),
                )
            },
        },
        Case {
            op: "GET /api/v1/registrations/{id}/protocol",
            access: Scoped(&[Role::Secretariat]),
            request: |ctx, _| {
                Req::new(
                    Method::GET,
                    format!("/api/v1/registrations/{}/protocol", ctx.ids["registration"]),
                )
            },
        },
        Case {
            // Only the person who registered uploads; the flow tests cover them.
            op: "PUT /api/v1/registrations/{id}/protocol",
            access: Scoped(&[]),
            request: |ctx, _| {
                Req::new(
                    Method::PUT,
                    format!("/api/v1/registrations/{}/protocol", ctx.ids["registration"]),
                )
                .header("content-type", "application/pdf")
            },
        },
        Case {
            op: "POST /api/v1/registrations/{id}/approve",
            access: Roles(&[Role::Secretariat]),
            request: |ctx, _| {
                Req::new(
                    Method::POST,
                    format!("/api/v1/registrations/{}/approve", ctx.ids["registration"]),
                )
            },
        },
        Case {
            op: "POST /api/v1/registrations/{id}/reject",
            access: Roles(&[Role::Secretariat]),
            request: |ctx, _| {
                Req::new(
                    Method::POST,
                    format!("/api/v1/registrations/{}/reject", ctx.ids["registration_b"]),
                )
                .body(json!({"reason": "Firma mancante"}))
            },
        },
        Case {
            op: "POST /api/v1/auth/password-reset",
            access: Public,
            request: |_, _| {
                Req::new(Method::POST, "/api/v1/auth/password-reset")
                    .body(json!({"email": "nessuno@esempio.it"}))
            },
        },
        Case {
            op: "POST /api/v1/auth/password-reset/{token}",
            access: Public,
            request: |ctx, _| {
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
            access: Public,
            request: |ctx, _| {
                Req::new(
                    Method::GET,
                    format!("/api/v1/invitations/{}", ctx.preview_token),
                )
            },
        },
        Case {
            op: "POST /api/v1/invitations/{token}/accept",
            access: Public,
            request: |ctx, _| {
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
            access: Scoped(&[Role::Secretariat, Role::AuthorityRep]),
            request: |_, role| {
                let who = role.map_or("anonimo", |r| r.code());
                Req::new(Method::POST, "/api/v1/authorities/016024/invitations")
                    .body(json!({"email": format!("invitato.{who}@esempio.it")}))
            },
        },
        Case {
            op: "GET /api/v1/authorities/{istat_code}/invitations",
            access: Scoped(&[Role::Secretariat, Role::AuthorityRep]),
            request: |_, _| Req::new(Method::GET, "/api/v1/authorities/016024/invitations"),
        },
        Case {
            op: "DELETE /api/v1/authorities/{istat_code}/invitations/{id}",
            access: Scoped(&[Role::Secretariat, Role::AuthorityRep]),
            request: |ctx, role| {
                Req::new(
                    Method::DELETE,
                    format!(
                        "/api/v1/authorities/016024/invitations/{}",
                        pick(ctx, role, "invitation_a", "invitation_b")
                    ),
                )
            },
        },
        Case {
            op: "GET /api/v1/authorities/{istat_code}/delegates",
            access: Scoped(&[Role::Secretariat, Role::AuthorityRep]),
            request: |_, _| Req::new(Method::GET, "/api/v1/authorities/016024/delegates"),
        },
        Case {
            op: "DELETE /api/v1/authorities/{istat_code}/delegates/{user_id}",
            access: Scoped(&[Role::Secretariat, Role::AuthorityRep]),
            request: |ctx, role| {
                Req::new(
                    Method::DELETE,
                    format!(
                        "/api/v1/authorities/016024/delegates/{}",
                        pick(ctx, role, "delegate_a", "delegate_b")
                    ),
                )
            },
        },
        Case {
            op: "GET /api/v1/phases",
            access: AnyUser,
            request: |_, _| Req::new(Method::GET, "/api/v1/phases"),
        },
        Case {
            op: "POST /api/v1/phases",
            access: Roles(&[Role::Secretariat]),
            request: |_, _| {
                Req::new(Method::POST, "/api/v1/phases")
                    .body(json!({"name": "Fase nuova", "start_date": "2024-01-01"}))
            },
        },
        Case {
            op: "GET /api/v1/phases/{id}",
            access: AnyUser,
            request: |ctx, _| Req::new(Method::GET, format!("/api/v1/phases/{}", ctx.ids["phase"])),
        },
        Case {
            op: "GET /api/v1/phases/{id}/authorities",
            access: AnyUser,
            request: |ctx, _| {
                Req::new(
                    Method::GET,
                    format!("/api/v1/phases/{}/authorities", ctx.ids["phase"]),
                )
            },
        },
        Case {
            op: "POST /api/v1/phases/{id}/authorities",
            access: Roles(&[Role::Secretariat]),
            request: |ctx, _| {
                Req::new(
                    Method::POST,
                    format!("/api/v1/phases/{}/authorities", ctx.ids["phase"]),
                )
                .body(json!({"istat_codes": ["016025"]}))
            },
        },
        Case {
            op: "DELETE /api/v1/phases/{id}/authorities/{istat_code}",
            access: Roles(&[Role::Secretariat]),
            request: |ctx, _| {
                Req::new(
                    Method::DELETE,
                    format!("/api/v1/phases/{}/authorities/017029", ctx.ids["phase"]),
                )
            },
        },
        Case {
            // Bergamo's standing: its own users, programme staff, observers of its province.
            op: "GET /api/v1/authorities/{istat_code}/programme-status",
            access: Scoped(&[
                Role::Secretariat,
                Role::Coordinator,
                Role::Expert,
                Role::Observer,
                Role::AuthorityRep,
            ]),
            request: |_, _| Req::new(Method::GET, "/api/v1/authorities/016024/programme-status"),
        },
        Case {
            op: "POST /api/v1/experts",
            access: Roles(&[Role::Secretariat]),
            request: |_, _| {
                Req::new(Method::POST, "/api/v1/experts").body(json!({"email": "nuovo.esperto@esempio.it", "full_name": "Nuovo", "task_forces": ["waste"]}))
            },
        },
        Case {
            op: "GET /api/v1/experts",
            access: Roles(&[Role::Expert, Role::Coordinator, Role::Secretariat]),
            request: |_, _| Req::new(Method::GET, "/api/v1/experts"),
        },
        Case {
            op: "GET /api/v1/experts/{user_id}",
            access: Roles(&[Role::Expert, Role::Coordinator, Role::Secretariat]),
            request: |_, _| Req::new(Method::GET, "/api/v1/experts/5"),
        },
        Case {
            // The demo expert (user 5) edits their own profile; the secretariat anyone's.
            op: "PATCH /api/v1/experts/{user_id}",
            access: Roles(&[Role::Expert, Role::Secretariat]),
            request: |_, _| {
                Req::new(Method::PATCH, "/api/v1/experts/5")
                    .header("if-match", "*")
                    .body(json!({"professional_profile": "Aggiornato"}))
            },
        },
        Case {
            op: "POST /api/v1/task-forces/{code}/coordinators",
            access: Roles(&[Role::Secretariat]),
            request: |ctx, _| {
                Req::new(Method::POST, "/api/v1/task-forces/waste/coordinators")
                    .body(json!({"user_id": ctx.ids["spare"]}))
            },
        },
        Case {
            op: "DELETE /api/v1/task-forces/{code}/coordinators/{user_id}",
            access: Roles(&[Role::Secretariat]),
            request: |ctx, _| {
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
            access: Roles(&[Role::Secretariat]),
            request: |_, _| {
                Req::new(Method::PUT, "/api/v1/authorities/017029/representative").body(json!({"email": "sindaco.brescia@esempio.it", "full_name": "Sindaco di Brescia"}))
            },
        },
        Case {
            op: "POST /api/v1/meetings",
            access: Roles(&[Role::Secretariat]),
            request: |_, _| {
                Req::new(Method::POST, "/api/v1/meetings").body(json!({"province": "BG", "starts_at": "2027-01-10T09:00:00Z", "place": "Bergamo", "istat_codes": ["016024"]}))
            },
        },
        Case {
            op: "GET /api/v1/meetings",
            access: AnyUser,
            request: |_, _| Req::new(Method::GET, "/api/v1/meetings"),
        },
        Case {
            // A meeting in Bergamo's province inviting the comune of Bergamo.
            op: "GET /api/v1/meetings/{id}",
            access: Scoped(&[
                Role::Secretariat,
                Role::Coordinator,
                Role::Expert,
                Role::Observer,
                Role::AuthorityRep,
            ]),
            request: |ctx, _| {
                Req::new(
                    Method::GET,
                    format!("/api/v1/meetings/{}", ctx.ids["meeting"]),
                )
            },
        },
        Case {
            op: "POST /api/v1/meetings/{id}/rsvp",
            access: Scoped(&[Role::AuthorityRep]),
            request: |ctx, _| {
                Req::new(
                    Method::POST,
                    format!("/api/v1/meetings/{}/rsvp", ctx.ids["meeting"]),
                )
                .body(json!({"istat_code": "016024", "attending": true, "attendees": 2}))
            },
        },
        Case {
            op: "GET /api/v1/meetings/{id}/attendance.csv",
            access: Roles(&[Role::Secretariat]),
            request: |ctx, _| {
                Req::new(
                    Method::GET,
                    format!("/api/v1/meetings/{}/attendance.csv", ctx.ids["meeting"]),
                )
            },
        },
        Case {
            op: "GET /api/v1/meetings/{id}/calendar.ics",
            access: Scoped(&[
                Role::Secretariat,
                Role::Coordinator,
                Role::Expert,
                Role::Observer,
                Role::AuthorityRep,
            ]),
            request: |ctx, _| {
                Req::new(
                    Method::GET,
                    format!("/api/v1/meetings/{}/calendar.ics", ctx.ids["meeting"]),
                )
            },
        },
        Case {
            op: "POST /api/v1/support-requests",
            access: Roles(&[Role::AuthorityRep, Role::AuthorityDelegate]),
            request: |_, role| {
                let istat = if role == Some(Role::AuthorityDelegate) {
                    "017029"
                } else {
                    "016024"
                };
                Req::new(Method::POST, "/api/v1/support-requests").body(json!({
                    "istat_code": istat, "procedure": "PDC", "subject": "Matrice",
                    "description": "Prova", "support_kind": "other"
                }))
            },
        },
        Case {
            op: "GET /api/v1/support-requests",
            access: Roles(PROGRAMME),
            request: |_, _| Req::new(Method::GET, "/api/v1/support-requests?status=submitted"),
        },
        Case {
            op: "GET /api/v1/support-requests.csv",
            access: Roles(PROGRAMME),
            request: |_, _| Req::new(Method::GET, "/api/v1/support-requests.csv"),
        },
        Case {
            // Assigned to the demo expert, of Bergamo (BG), building and planning.
            op: "GET /api/v1/support-requests/{id}",
            access: Scoped(&[
                Role::AuthorityRep,
                Role::Expert,
                Role::Coordinator,
                Role::Secretariat,
                Role::Observer,
            ]),
            request: |ctx, _| {
                Req::new(
                    Method::GET,
                    format!("/api/v1/support-requests/{}", ctx.ids["sr_assigned"]),
                )
            },
        },
        Case {
            // A draft: only its authority sees it.
            op: "PATCH /api/v1/support-requests/{id}",
            access: Scoped(&[Role::AuthorityRep]),
            request: |ctx, _| {
                Req::new(
                    Method::PATCH,
                    format!("/api/v1/support-requests/{}", ctx.ids["sr_draft"]),
                )
                .header("if-match", "*")
                .body(json!({"subject": "Matrice modificata"}))
            },
        },
        Case {
            // Each role makes the move that is theirs on a request in the right status; the
            // observer sees the request but may not move it.
            op: "POST /api/v1/support-requests/{id}/transitions",
            access: Acting {
                allowed: &[
                    Role::AuthorityRep,
                    Role::AuthorityDelegate,
                    Role::Expert,
                    Role::Coordinator,
                    Role::Secretariat,
                ],
                seeing: &[Role::Observer],
            },
            request: |ctx, role| {
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
                Req::new(
                    Method::POST,
                    format!("/api/v1/support-requests/{}/transitions", ctx.ids[key]),
                )
                .header("if-match", "*")
                .body(body)
            },
        },
        Case {
            op: "GET /api/v1/support-requests/{id}/candidates",
            access: Acting {
                allowed: &[Role::Coordinator, Role::Secretariat],
                seeing: &[Role::AuthorityRep, Role::Expert, Role::Observer],
            },
            request: |ctx, _| {
                Req::new(
                    Method::GET,
                    format!(
                        "/api/v1/support-requests/{}/candidates",
                        ctx.ids["sr_assigned"]
                    ),
                )
            },
        },
        Case {
            op: "GET /api/v1/support-requests/{id}/messages",
            access: Scoped(&[
                Role::AuthorityRep,
                Role::Expert,
                Role::Coordinator,
                Role::Secretariat,
                Role::Observer,
            ]),
            request: |ctx, _| {
                Req::new(
                    Method::GET,
                    format!(
                        "/api/v1/support-requests/{}/messages",
                        ctx.ids["sr_assigned"]
                    ),
                )
            },
        },
        Case {
            op: "GET /api/v1/support-requests/{id}/messages/{message_id}",
            access: Scoped(&[
                Role::AuthorityRep,
                Role::Expert,
                Role::Coordinator,
                Role::Secretariat,
                Role::Observer,
            ]),
            request: |ctx, _| {
                Req::new(
                    Method::GET,
                    format!(
                        "/api/v1/support-requests/{}/messages/{}",
                        ctx.ids["sr_assigned"], ctx.ids["message"]
                    ),
                )
            },
        },
        Case {
            op: "POST /api/v1/support-requests/{id}/messages",
            access: Acting {
                allowed: &[
                    Role::AuthorityRep,
                    Role::Expert,
                    Role::Coordinator,
                    Role::Secretariat,
                ],
                seeing: &[Role::Observer],
            },
            request: |ctx, _| {
                Req::new(
                    Method::POST,
                    format!(
                        "/api/v1/support-requests/{}/messages",
                        ctx.ids["sr_assigned"]
                    ),
                )
                .body(json!({"body": "Matrice"}))
            },
        },
        Case {
            op: "GET /api/v1/support-requests/{id}/activities",
            access: Scoped(&[
                Role::AuthorityRep,
                Role::Expert,
                Role::Coordinator,
                Role::Secretariat,
                Role::Observer,
            ]),
            request: |ctx, _| {
                Req::new(
                    Method::GET,
                    format!(
                        "/api/v1/support-requests/{}/activities",
                        ctx.ids["sr_assigned"]
                    ),
                )
            },
        },
        Case {
            op: "POST /api/v1/support-requests/{id}/activities",
            access: Acting {
                allowed: &[Role::Expert],
                seeing: &[
                    Role::AuthorityRep,
                    Role::Coordinator,
                    Role::Secretariat,
                    Role::Observer,
                ],
            },
            request: |ctx, _| {
                Req::new(
                    Method::POST,
                    format!(
                        "/api/v1/support-requests/{}/activities",
                        ctx.ids["sr_assigned"]
                    ),
                )
                .body(json!({"date": "2026-01-15", "kind": "document_review", "hours": 1}))
            },
        },
        Case {
            // The demo expert's own entry.
            op: "PATCH /api/v1/activities/{id}",
            access: Scoped(&[Role::Expert]),
            request: |ctx, _| {
                Req::new(
                    Method::PATCH,
                    format!("/api/v1/activities/{}", ctx.ids["activity"]),
                )
                .body(json!({"notes": "Matrice"}))
            },
        },
        Case {
            op: "DELETE /api/v1/activities/{id}",
            access: Scoped(&[Role::Expert]),
            request: |ctx, _| {
                Req::new(
                    Method::DELETE,
                    format!("/api/v1/activities/{}", ctx.ids["activity_b"]),
                )
            },
        },
        Case {
            // The demo expert's timesheet: hers, the secretariat's, her coordinator's.
            op: "GET /api/v1/experts/{user_id}/timesheet",
            access: Scoped(&[Role::Expert, Role::Coordinator, Role::Secretariat]),
            request: |ctx, _| {
                Req::new(
                    Method::GET,
                    format!("/api/v1/experts/{}/timesheet", ctx.ids["expert"]),
                )
            },
        },
        Case {
            op: "GET /api/v1/experts/{user_id}/timesheet.csv",
            access: Scoped(&[Role::Expert, Role::Coordinator, Role::Secretariat]),
            request: |ctx, _| {
                Req::new(
                    Method::GET,
                    format!("/api/v1/experts/{}/timesheet.csv", ctx.ids["expert"]),
                )
            },
        },
        Case {
            op: "GET /api/v1/reports/service",
            access: Roles(&[Role::Coordinator, Role::Secretariat]),
            request: |_, _| Req::new(Method::GET, "/api/v1/reports/service"),
        },
        Case {
            op: "POST /api/v1/support-requests/{id}/attachments",
            access: Acting {
                allowed: &[
                    Role::AuthorityRep,
                    Role::Expert,
                    Role::Coordinator,
                    Role::Secretariat,
                ],
                seeing: &[Role::Observer],
            },
            request: |ctx, _| {
                Req::new(
                    Method::POST,
                    format!(
                        "/api/v1/support-requests/{}/attachments",
                        ctx.ids["sr_assigned"]
                    ),
                )
                .header("content-type", "application/pdf")
                .header("x-file-name", "matrice.pdf")
                .raw(affianca_tests::files::pdf("matrice"))
            },
        },
        Case {
            op: "GET /api/v1/support-requests/{id}/attachments",
            access: Acting {
                allowed: &[
                    Role::AuthorityRep,
                    Role::Expert,
                    Role::Coordinator,
                    Role::Secretariat,
                ],
                seeing: &[Role::Observer],
            },
            request: |ctx, _| {
                Req::new(
                    Method::GET,
                    format!(
                        "/api/v1/support-requests/{}/attachments",
                        ctx.ids["sr_assigned"]
                    ),
                )
            },
        },
        Case {
            op: "GET /api/v1/support-requests/{id}/attachments/{attachment_id}",
            access: Acting {
                allowed: &[
                    Role::AuthorityRep,
                    Role::Expert,
                    Role::Coordinator,
                    Role::Secretariat,
                ],
                seeing: &[Role::Observer],
            },
            request: |ctx, _| {
                Req::new(
                    Method::GET,
                    format!(
                        "/api/v1/support-requests/{}/attachments/{}",
                        ctx.ids["sr_assigned"], ctx.ids["attachment"]
                    ),
                )
            },
        },
        Case {
            op: "POST /api/v1/authorities/{istat_code}/register",
            access: Roles(&[Role::AuthorityRep, Role::Secretariat]),
            request: |_, _| {
                Req::new(Method::POST, "/api/v1/authorities/016024/register?dry_run=true")
                    .raw(b"codice_pratica;procedimento;data_avvio;data_conclusione\nM1;PDC;2023-01-10;2023-03-01\n".to_vec())
            },
        },
        Case {
            op: "PUT /api/v1/authorities/{istat_code}/files/{codice_pratica}",
            access: Roles(&[Role::AuthorityRep, Role::Secretariat]),
            request: |_, _| {
                Req::new(Method::PUT, "/api/v1/authorities/016024/files/M2")
                    .body(json!({"procedure": "PDC", "start_date": "2023-02-01"}))
            },
        },
        Case {
            op: "GET /api/v1/authorities/{istat_code}/files",
            access: Roles(&[
                Role::AuthorityRep,
                Role::Expert,
                Role::Coordinator,
                Role::Secretariat,
                Role::Observer,
                Role::Admin,
            ]),
            request: |_, _| {
                Req::new(
                    Method::GET,
                    "/api/v1/authorities/016024/files?procedure=PDC",
                )
            },
        },
        Case {
            op: "GET /api/v1/authorities/{istat_code}/files/{codice_pratica}",
            access: Roles(&[
                Role::AuthorityRep,
                Role::Expert,
                Role::Coordinator,
                Role::Secretariat,
                Role::Observer,
                Role::Admin,
            ]),
            request: |_, _| Req::new(Method::GET, "/api/v1/authorities/016024/files/M1"),
        },
        Case {
            op: "DELETE /api/v1/authorities/{istat_code}/files/{codice_pratica}",
            access: Roles(&[Role::AuthorityRep, Role::Secretariat]),
            request: |_, caller| {
                Req::new(
                    Method::DELETE,
                    format!(
                        "/api/v1/authorities/016024/files/DEL-{}",
                        caller.map_or("anonymous", |r| r.code())
                    ),
                )
            },
        },
        Case {
            op: "GET /api/v1/authorities/{istat_code}/semesters",
            access: Roles(&[
                Role::AuthorityRep,
                Role::Expert,
                Role::Coordinator,
                Role::Secretariat,
                Role::Observer,
                Role::Admin,
            ]),
            request: |_, _| Req::new(Method::GET, "/api/v1/authorities/016024/semesters"),
        },
        Case {
            op: "PUT /api/v1/authorities/{istat_code}/semesters/{period}/measurements",
            access: Roles(&[Role::AuthorityRep, Role::Secretariat]),
            request: |_, _| {
                Req::new(Method::PUT, "/api/v1/authorities/016024/semesters/2024S2/measurements")
                    .body(json!({"rows": [{"procedure": "SCIA", "started": 3, "concluded_express": 0, "backlog": 1}]}))
            },
        },
        Case {
            op: "POST /api/v1/authorities/{istat_code}/semesters/{period}/transitions",
            access: Roles(&[Role::AuthorityRep]),
            request: |_, _| {
                Req::new(
                    Method::POST,
                    "/api/v1/authorities/016024/semesters/2023S1/transitions",
                )
                .body(json!({"action": "submit"}))
            },
        },
        Case {
            op: "GET /api/v1/authorities/{istat_code}/semesters/{period}/history",
            access: Roles(&[
                Role::AuthorityRep,
                Role::Expert,
                Role::Coordinator,
                Role::Secretariat,
                Role::Observer,
                Role::Admin,
            ]),
            request: |_, _| {
                Req::new(
                    Method::GET,
                    "/api/v1/authorities/016024/semesters/2023S1/history",
                )
            },
        },
        Case {
            op: "GET /api/v1/semester-reports",
            access: Roles(&[Role::Secretariat, Role::Coordinator, Role::Admin]),
            request: |_, _| Req::new(Method::GET, "/api/v1/semester-reports"),
        },
        Case {
            op: "GET /api/v1/monitoring/settings",
            access: AnyUser,
            request: |_, _| Req::new(Method::GET, "/api/v1/monitoring/settings"),
        },
        Case {
            op: "PUT /api/v1/monitoring/settings",
            access: Roles(&[Role::Secretariat]),
            request: |_, _| {
                Req::new(Method::PUT, "/api/v1/monitoring/settings").body(json!({"baseline": "2021S2", "lock_days": 60,
                    "milestones": [{"period": "2023S2", "backlog_reduction_pct": 50, "duration_reduction_pct": 10}]}))
            },
        },
        Case {
            op: "GET /api/v1/authorities/{istat_code}/targets",
            access: Roles(&[
                Role::AuthorityRep,
                Role::Expert,
                Role::Coordinator,
                Role::Secretariat,
                Role::Observer,
                Role::Admin,
            ]),
            request: |_, _| Req::new(Method::GET, "/api/v1/authorities/016024/targets"),
        },
        Case {
            op: "PUT /api/v1/authorities/{istat_code}/targets",
            access: Roles(&[Role::Secretariat]),
            request: |_, _| {
                Req::new(Method::PUT, "/api/v1/authorities/016024/targets")
                    .body(json!({"baseline": "2022S1"}))
            },
        },
        Case {
            op: "DELETE /api/v1/authorities/{istat_code}/targets",
            access: Roles(&[Role::Secretariat]),
            request: |_, _| Req::new(Method::DELETE, "/api/v1/authorities/016024/targets"),
        },
        Case {
            op: "GET /api/v1/indicators",
            access: Roles(&[Role::Secretariat, Role::Coordinator, Role::Admin]),
            request: |_, _| Req::new(Method::GET, "/api/v1/indicators?level=region"),
        },
        Case {
            op: "GET /api/v1/indicators/completeness",
            access: Roles(&[Role::Secretariat, Role::Coordinator, Role::Admin]),
            request: |_, _| Req::new(Method::GET, "/api/v1/indicators/completeness"),
        },
        Case {
            op: "GET /api/v1/indicators/rankings",
            access: Roles(&[Role::Secretariat, Role::Coordinator, Role::Admin]),
            request: |_, _| Req::new(Method::GET, "/api/v1/indicators/rankings"),
        },
        Case {
            op: "GET /api/v1/open-data/indicators.csv",
            access: Public,
            request: |_, _| Req::new(Method::GET, "/api/v1/open-data/indicators.csv"),
        },
        Case {
            op: "GET /api/v1/notifications",
            access: AnyUser,
            request: |_, _| Req::new(Method::GET, "/api/v1/notifications"),
        },
        Case {
            op: "GET /api/v1/notifications/unread-count",
            access: AnyUser,
            request: |_, _| Req::new(Method::GET, "/api/v1/notifications/unread-count"),
        },
        Case {
            op: "POST /api/v1/notifications/{id}/read",
            access: Scoped(&[Role::Secretariat]),
            request: |ctx, _| {
                Req::new(
                    Method::POST,
                    format!("/api/v1/notifications/{}/read", ctx.ids["notification"]),
                )
            },
        },
        Case {
            op: "POST /api/v1/notifications/read-all",
            access: AnyUser,
            request: |_, _| Req::new(Method::POST, "/api/v1/notifications/read-all"),
        },
        Case {
            op: "GET /api/v1/outbox",
            access: Roles(&[Role::Admin]),
            request: |_, _| Req::new(Method::GET, "/api/v1/outbox"),
        },
        Case {
            op: "GET /api/v1/audit-events",
            access: Roles(&[Role::Admin]),
            request: |_, _| Req::new(Method::GET, "/api/v1/audit-events?action=login_succeeded"),
        },
        Case {
            op: "GET /api/v1/users",
            access: Roles(&[Role::Admin]),
            request: |_, _| Req::new(Method::GET, "/api/v1/users"),
        },
        Case {
            op: "POST /api/v1/users",
            access: Roles(&[Role::Admin]),
            request: |_, _| {
                Req::new(Method::POST, "/api/v1/users").body(json!({
                    "email": "matrix@example.org", "full_name": "Matrix", "password": "una password lunga",
                    "grants": [{"role": "observer", "scope": "region"}]
                }))
            },
        },
        Case {
            op: "GET /api/v1/users/{id}",
            access: Roles(&[Role::Admin]),
            request: |_, _| Req::new(Method::GET, "/api/v1/users/1"),
        },
        Case {
            op: "POST /api/v1/users/{id}/grants",
            access: Roles(&[Role::Admin]),
            request: |ctx, _| {
                Req::new(
                    Method::POST,
                    format!("/api/v1/users/{}/grants", ctx.ids["spare"]),
                )
                .body(json!({"role": "observer", "scope": "province:CO"}))
            },
        },
        Case {
            op: "DELETE /api/v1/users/{id}/grants/{grant_id}",
            access: Roles(&[Role::Admin]),
            request: |ctx, _| {
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
        let res = app
            .post_json(
                "/api/v1/registrations",
                None,
                &json!({"istat_code": istat, "full_name": "Matrice", "office": "sindaco", "email": email, "password": "una password lunga"}),
            )
            .await;
        assert_eq!(res.status(), 201);
        let id = res.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
        let token = app
            .try_login(email, "una password lunga")
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
        ids.insert(key, id);
    }
    let notes: Value = app
        .get("/api/v1/notifications", &tokens[&Role::Secretariat])
        .await
        .json()
        .await
        .unwrap();
    ids.insert(
        "notification",
        notes["items"][0]["id"]
            .as_i64()
            .expect("the secretariat was notified"),
    );
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
    let ctx = Ctx {
        reset_tokens: RefCell::new(reset_tokens),
        invitation_tokens: RefCell::new(invitation_tokens),
        preview_token,
        refresh_tokens: RefCell::new(refresh),
        ids,
        free_comuni: RefCell::new(vec![
            "018004", "018005", "018006", "018007", "018008", "018009", "018011", "018012",
        ]),
    };

    let mut failures = Vec::new();
    for case in &cases {
        let callers: Vec<Option<Role>> = std::iter::once(None)
            .chain(Role::ALL.into_iter().map(Some))
            .collect();
        for caller in callers {
            let expected: &[u16] = match (case.access, caller) {
                (Access::Public, _) => &[200, 201, 202, 204],
                (_, None) => &[401],
                (Access::AnyUser, Some(_)) => &[200, 201, 204],
                (Access::Roles(allowed), Some(r)) if allowed.contains(&r) => &[200, 201, 204],
                (Access::Roles(_), Some(_)) => &[403],
                (Access::Scoped(allowed), Some(r)) if allowed.contains(&r) => &[200, 201, 204],
                (Access::Scoped(_), Some(_)) => &[404],
                (Access::Acting { allowed, .. }, Some(r)) if allowed.contains(&r) => {
                    &[200, 201, 204]
                }
                (Access::Acting { seeing, .. }, Some(r)) if seeing.contains(&r) => &[403],
                (Access::Acting { .. }, Some(_)) => &[404],
            };
            let token = caller.map(|r| tokens[&r].as_str());
            let status = send(&app, (case.request)(&ctx, caller), token).await;
            if !expected.contains(&status) {
                let who = caller.map_or("anonymous", |r| r.code());
                failures.push(format!(
                    "{} as {who}: got {status}, expected {expected:?}",
                    case.op
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "authorization matrix violations:\n{}",
        failures.join("\n")
    );
}
