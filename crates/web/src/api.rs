//! All HTTP of the client: the REST API under `/api/v1`, over the domain DTOs.
//!
//! Token handling lives here too. The access token (a 15-minute JWT) is kept only in memory. The
//! refresh token never reaches this code: login, refresh and logout send `X-Affianca-CSRF: 1`, and
//! the server keeps the refresh token in the `affianca_refresh` cookie (`HttpOnly`, `Secure`,
//! `SameSite=Strict`, only sent to `/api/v1/auth`), which no script can read. A reload signs in
//! again silently by calling refresh with the cookie; `localStorage` holds only a flag saying
//! that there may be a session to resume (no token). The refresh token rotates: every refresh
//! consumes it and sets a new cookie, so refreshes are single-flight (all callers that need a
//! refresh at the same time wait for the same request) and serialised across tabs with a Web
//! Lock, which keeps several open tabs (sharing the cookie) in step.
//!
//! Access tokens are refreshed a minute before they expire (timer) and, as a fallback, when a
//! request answers 401: the request is then retried once. When the refresh token is refused the
//! tokens are cleared and the session-expired callback (set by [`crate::session`]) runs.

use affianca_domain::dto::{
    ActivityEntry, Attachment, Candidate, CreateSupportRequest, Message, NewActivity, NewMessage,
    ServiceReport, SupportRequest, SupportRequestSummary, Timesheet, TransitionRequest,
};
use affianca_domain::dto::{
    AppointCoordinatorRequest, AuditEvent, Authority, CreateExpertRequest, CreateMeetingRequest,
    CreatePhaseRequest, CreateUserRequest, EnableAuthoritiesRequest, EnableAuthoritiesResult,
    ExpertProfile, FieldError, Grant, GrantRequest, LoginRequest, Me, Meeting, Page, Phase,
    Problem, Procedure, ProgrammeStatus, Province, RsvpRequest, TaskForceInfo, TokenResponse,
    UpdateExpertRequest, User,
};
use affianca_domain::{
    AuditAction, AuthorityKind, GrantId, IstatCode, ProvinceCode, Role, TaskForce, UserId,
};
use gloo_net::http::{Request, RequestBuilder, Response};
use leptos::prelude::{TimeoutHandle, set_timeout_with_handle};
use leptos::task::spawn_local;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::js_sys::{Function, Promise, Reflect};

const BASE: &str = "/api/v1";
/// A flag kept between visits: there may be a session (a refresh cookie) to resume. Not a token.
pub const SESSION_HINT_KEY: &str = "affianca.session";
/// Where earlier versions kept the refresh token itself: removed when found.
const LEGACY_REFRESH_TOKEN_KEY: &str = "affianca.refresh_token";
/// The header that lets the server use (and set) the refresh cookie.
const CSRF_HEADER: &str = "X-Affianca-CSRF";
/// The page size of the paginated lists (authorities, users, audit log).
pub const PAGE_SIZE: u64 = 50;

// ---- errors ------------------------------------------------------------------------------------

/// Why a call failed, with an Italian message for people.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiError {
    /// The server could not be reached (offline, DNS, CORS, server down).
    Network,
    /// The server answered with a problem+json body.
    Problem(Box<Problem>),
    /// The server answered an error without a readable problem body.
    Status(u16),
    /// A success response whose body did not match the expected type.
    Decode,
    /// The session is over (refresh token missing or refused): sign in again.
    SessionExpired,
}

impl ApiError {
    /// The Italian sentence to show.
    pub fn message(&self) -> String {
        match self {
            Self::Network => {
                "Impossibile contattare il server. Verificare la connessione e riprovare.".into()
            }
            Self::Problem(p) => p
                .detail
                .clone()
                .filter(|d| !d.trim().is_empty())
                .unwrap_or_else(|| p.title.clone()),
            Self::Status(404) => "La risorsa richiesta non esiste.".into(),
            Self::Status(s) if *s >= 500 => {
                format!(
                    "Il server ha avuto un problema (errore {s}). Riprovare tra qualche minuto."
                )
            }
            Self::Status(s) => format!("Il server ha rifiutato la richiesta (errore {s})."),
            Self::Decode => "Il server ha inviato una risposta non valida.".into(),
            Self::SessionExpired => "La sessione è scaduta: accedere di nuovo.".into(),
        }
    }

    /// The HTTP status, when the server answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Problem(p) => Some(p.status),
            Self::Status(s) => Some(*s),
            _ => None,
        }
    }

    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    /// For 422: the invalid fields.
    pub fn field_errors(&self) -> &[FieldError] {
        match self {
            Self::Problem(p) => &p.errors,
            _ => &[],
        }
    }

    /// The request id to quote when asking for help.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Self::Problem(p) => p.request_id.as_deref(),
            _ => None,
        }
    }
}

impl From<gloo_net::Error> for ApiError {
    fn from(_: gloo_net::Error) -> Self {
        // gloo reports a failed `fetch` (no answer at all) and a bad request build the same way;
        // for a person both mean the server could not be reached.
        Self::Network
    }
}

// ---- token state -------------------------------------------------------------------------------

#[derive(Default)]
struct Auth {
    access_token: Option<String>,
    timer: Option<TimeoutHandle>,
    refreshing: Option<SharedGate<Result<(), ApiError>>>,
    on_expired: Option<Rc<dyn Fn()>>,
}

thread_local! {
    static AUTH: RefCell<Auth> = RefCell::new(Auth::default());
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// Whether a previous visit left a session to resume (its refresh token is in the cookie).
pub fn has_session_hint() -> bool {
    let Some(s) = storage() else {
        return false;
    };
    // A refresh token left in storage by an earlier version goes, unused.
    let _ = s.remove_item(LEGACY_REFRESH_TOKEN_KEY);
    s.get_item(SESSION_HINT_KEY).ok().flatten().as_deref() == Some("1")
}

fn access_token() -> Option<String> {
    AUTH.with(|a| a.borrow().access_token.clone())
}

/// Sets what runs when the session ends on its own (refresh token refused).
pub fn set_on_session_expired(f: impl Fn() + 'static) {
    AUTH.with(|a| a.borrow_mut().on_expired = Some(Rc::new(f)));
}

fn store_tokens(tokens: &TokenResponse) {
    if let Some(s) = storage() {
        let _ = s.set_item(SESSION_HINT_KEY, "1");
    }
    AUTH.with(|a| {
        let mut a = a.borrow_mut();
        a.access_token = Some(tokens.access_token.clone());
        if let Some(t) = a.timer.take() {
            t.clear();
        }
    });
    schedule_refresh(refresh_delay(tokens.expires_in));
}

/// Refresh a minute before expiry (or at three quarters of a short lifetime).
fn refresh_delay(expires_in: u64) -> Duration {
    let secs = if expires_in > 120 {
        expires_in - 60
    } else {
        expires_in * 3 / 4
    };
    Duration::from_secs(secs.max(5))
}

fn schedule_refresh(delay: Duration) {
    let handle = set_timeout_with_handle(
        || {
            spawn_local(async {
                match refresh().await {
                    Ok(()) | Err(ApiError::SessionExpired) => {}
                    // The server is unreachable or failing: try again shortly; a request that
                    // meets an expired token will also refresh on its own.
                    Err(_) => schedule_refresh(Duration::from_secs(30)),
                }
            })
        },
        delay,
    )
    .ok();
    AUTH.with(|a| {
        if let Some(old) = std::mem::replace(&mut a.borrow_mut().timer, handle) {
            old.clear();
        }
    });
}

/// Forgets the access token and the session flag, and stops the refresh timer (the refresh
/// cookie is cleared by the server, at logout or when it refuses it).
pub fn clear_tokens() {
    if let Some(s) = storage() {
        let _ = s.remove_item(SESSION_HINT_KEY);
    }
    AUTH.with(|a| {
        let mut a = a.borrow_mut();
        a.access_token = None;
        if let Some(t) = a.timer.take() {
            t.clear();
        }
    });
}

fn session_expired() {
    clear_tokens();
    let cb = AUTH.with(|a| a.borrow().on_expired.clone());
    if let Some(cb) = cb {
        cb();
    }
}

/// A value that arrives later, awaited by any number of futures.
struct Gate<T> {
    value: Option<T>,
    wakers: Vec<Waker>,
}

type SharedGate<T> = Rc<RefCell<Gate<T>>>;

fn gate<T>() -> SharedGate<T> {
    Rc::new(RefCell::new(Gate {
        value: None,
        wakers: Vec::new(),
    }))
}

fn open_gate<T>(gate: &SharedGate<T>, value: T) {
    let wakers = {
        let mut g = gate.borrow_mut();
        g.value = Some(value);
        std::mem::take(&mut g.wakers)
    };
    wakers.into_iter().for_each(Waker::wake);
}

struct WaitGate<T>(SharedGate<T>);

impl<T: Clone> Future for WaitGate<T> {
    type Output = T;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let mut g = self.0.borrow_mut();
        match &g.value {
            Some(v) => Poll::Ready(v.clone()),
            None => {
                g.wakers.push(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

/// Exchanges the stored refresh token for a new pair. Concurrent callers share one request.
/// On [`ApiError::SessionExpired`] the tokens are already cleared.
pub async fn refresh() -> Result<(), ApiError> {
    let (flight, leader) = AUTH.with(|a| {
        let mut a = a.borrow_mut();
        match &a.refreshing {
            Some(f) => (f.clone(), false),
            None => {
                let f = gate();
                a.refreshing = Some(f.clone());
                (f, true)
            }
        }
    });
    if leader {
        let flight = flight.clone();
        spawn_local(async move {
            let result = with_cross_tab_lock(do_refresh).await;
            AUTH.with(|a| a.borrow_mut().refreshing = None);
            open_gate(&flight, result);
        });
    }
    WaitGate(flight).await
}

/// Runs `f` holding the Web Lock `affianca.refresh`, so that tabs of the same browser refresh one
/// at a time: the refresh token is single-use and shared through the cookie, and the server
/// revokes the whole login when a spent token is presented again. Without Web Locks, runs `f`
/// directly.
async fn with_cross_tab_lock<T, Fut: Future<Output = T>>(f: impl FnOnce() -> Fut) -> T {
    let Some((locks, request)) = lock_manager() else {
        return f().await;
    };
    // The lock is held until the promise returned by the callback settles: resolve it when done.
    let mut release: Option<Function> = None;
    let held = Promise::new(&mut |resolve, _reject| release = Some(resolve));
    let granted = gate::<()>();
    let on_granted = {
        let granted = granted.clone();
        Closure::once_into_js(move |_lock: JsValue| -> JsValue {
            open_gate(&granted, ());
            held.into()
        })
    };
    if request
        .call2(&locks, &JsValue::from_str("affianca.refresh"), &on_granted)
        .is_err()
    {
        return f().await;
    }
    WaitGate(granted).await;
    let out = f().await;
    if let Some(release) = release {
        let _ = release.call0(&JsValue::UNDEFINED);
    }
    out
}

/// `navigator.locks` and its `request` method, when the browser has them.
fn lock_manager() -> Option<(JsValue, Function)> {
    let window: JsValue = web_sys::window()?.into();
    let navigator = Reflect::get(&window, &JsValue::from_str("navigator")).ok()?;
    let locks = Reflect::get(&navigator, &JsValue::from_str("locks")).ok()?;
    if locks.is_undefined() || locks.is_null() {
        return None;
    }
    let request = Reflect::get(&locks, &JsValue::from_str("request"))
        .ok()?
        .dyn_into()
        .ok()?;
    Some((locks, request))
}

async fn do_refresh() -> Result<(), ApiError> {
    // The browser sends the cookie as it is now, inside the lock: another tab may have just
    // rotated it.
    let resp = Request::post(&format!("{BASE}/auth/refresh"))
        .header(CSRF_HEADER, "1")
        .header("Accept", "application/json")
        .send()
        .await?;
    if resp.ok() {
        let tokens: TokenResponse = resp.json().await.map_err(|_| ApiError::Decode)?;
        store_tokens(&tokens);
        Ok(())
    } else if (400..500).contains(&resp.status()) && resp.status() != 429 {
        // Refused (unknown, used or expired refresh token): the session is over.
        clear_tokens();
        Err(ApiError::SessionExpired)
    } else {
        Err(error_of(resp).await)
    }
}

// ---- plumbing ----------------------------------------------------------------------------------

async fn error_of(resp: Response) -> ApiError {
    let status = resp.status();
    let is_json = resp
        .headers()
        .get("content-type")
        .is_some_and(|ct| ct.contains("json"));
    if is_json && let Ok(problem) = resp.json::<Problem>().await {
        return ApiError::Problem(Box::new(problem));
    }
    ApiError::Status(status)
}

async fn decode<T: DeserializeOwned>(resp: Response) -> Result<T, ApiError> {
    if resp.ok() {
        resp.json().await.map_err(|_| ApiError::Decode)
    } else {
        Err(error_of(resp).await)
    }
}

/// Sends an authenticated request built by `build`, refreshing the access token when it is
/// missing or refused and retrying once.
async fn send_authed(build: impl Fn() -> RequestBuilder) -> Result<Response, ApiError> {
    send_authed_with_body(build, None).await
}

/// Like [`send_authed`], with an optional JSON body (already serialised).
async fn send_authed_with_body(
    build: impl Fn() -> RequestBuilder,
    body: Option<&str>,
) -> Result<Response, ApiError> {
    let token = match access_token() {
        Some(t) => t,
        None => {
            refresh().await.inspect_err(expire_on_refusal)?;
            access_token().ok_or(ApiError::SessionExpired)?
        }
    };
    let resp = send_with_token(build(), &token, body).await?;
    if resp.status() != 401 {
        return Ok(resp);
    }
    // The token was refused. If someone refreshed meanwhile use theirs, else refresh now.
    if access_token().as_deref() == Some(token.as_str()) || access_token().is_none() {
        refresh().await.inspect_err(expire_on_refusal)?;
    }
    let token = access_token().ok_or(ApiError::SessionExpired)?;
    let resp = send_with_token(build(), &token, body).await?;
    if resp.status() == 401 {
        session_expired();
        return Err(ApiError::SessionExpired);
    }
    Ok(resp)
}

async fn send_with_token(
    req: RequestBuilder,
    token: &str,
    body: Option<&str>,
) -> Result<Response, ApiError> {
    let req = with_token(req, token);
    Ok(match body {
        Some(body) => {
            req.header("Content-Type", "application/json")
                .body(body.to_owned())?
                .send()
                .await?
        }
        None => req.send().await?,
    })
}

fn expire_on_refusal(e: &ApiError) {
    if *e == ApiError::SessionExpired {
        session_expired();
    }
}

fn with_token(req: RequestBuilder, token: &str) -> RequestBuilder {
    req.header("Authorization", &format!("Bearer {token}"))
        .header("Accept", "application/json")
}

async fn get<T: DeserializeOwned>(path: &str, query: &[(&str, String)]) -> Result<T, ApiError> {
    let url = format!("{BASE}{path}");
    let resp =
        send_authed(|| Request::get(&url).query(query.iter().map(|(k, v)| (*k, v.as_str()))))
            .await?;
    decode(resp).await
}

/// `POST` of a JSON body; decodes the answer.
async fn post<B: Serialize, T: DeserializeOwned>(path: &str, body: &B) -> Result<T, ApiError> {
    let url = format!("{BASE}{path}");
    let body = serde_json::to_string(body).map_err(|_| ApiError::Decode)?;
    let resp = send_authed_with_body(|| Request::post(&url), Some(&body)).await?;
    decode(resp).await
}

/// `DELETE`, expecting an empty success (204).
async fn delete(path: &str) -> Result<(), ApiError> {
    let url = format!("{BASE}{path}");
    let resp = send_authed(|| Request::delete(&url)).await?;
    if resp.ok() {
        Ok(())
    } else {
        Err(error_of(resp).await)
    }
}

/// The `offset` of a 1-based page.
fn offset_of(page: u64) -> String {
    (page.max(1) - 1).saturating_mul(PAGE_SIZE).to_string()
}

// ---- authentication ----------------------------------------------------------------------------

/// Signs in; on success the tokens are stored.
pub async fn login(email: &str, password: &str) -> Result<(), ApiError> {
    let body = LoginRequest {
        email: email.trim().to_owned(),
        password: password.to_owned(),
    };
    let resp = Request::post(&format!("{BASE}/auth/login"))
        .header("Accept", "application/json")
        .header(CSRF_HEADER, "1")
        .json(&body)?
        .send()
        .await?;
    let tokens: TokenResponse = decode(resp).await?;
    store_tokens(&tokens);
    Ok(())
}

/// Signs out: revokes the login on the server, which clears the cookie (best effort), and
/// forgets the access token.
pub async fn logout() {
    clear_tokens();
    let _ = Request::post(&format!("{BASE}/auth/logout"))
        .header(CSRF_HEADER, "1")
        .send()
        .await;
    clear_tokens();
}

/// `GET /me`.
pub async fn me() -> Result<Me, ApiError> {
    get("/me", &[]).await
}

// ---- reference data ----------------------------------------------------------------------------

/// The filters of the authorities directory.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuthorityQuery {
    pub q: String,
    pub province: Option<ProvinceCode>,
    pub kind: Option<AuthorityKind>,
    /// `may_request_support`: only those that may (or may not) ask for support today.
    pub support: Option<bool>,
    /// One of `name`, `-name`, `istat_code`, `-istat_code`.
    pub sort: String,
    /// 1-based.
    pub page: u64,
}

/// `GET /authorities`.
pub async fn authorities(query: &AuthorityQuery) -> Result<Page<Authority>, ApiError> {
    let mut params = vec![
        ("limit", PAGE_SIZE.to_string()),
        ("offset", offset_of(query.page)),
    ];
    let q = query.q.trim();
    if !q.is_empty() {
        params.push(("q", q.to_owned()));
    }
    if let Some(p) = &query.province {
        params.push(("province", p.to_string()));
    }
    if let Some(k) = query.kind {
        params.push(("kind", k.code().to_owned()));
    }
    if let Some(b) = query.support {
        params.push(("may_request_support", b.to_string()));
    }
    if !query.sort.is_empty() {
        params.push(("sort", query.sort.clone()));
    }
    get("/authorities", &params).await
}

/// `GET /authorities/{istat_code}`.
pub async fn authority(code: &IstatCode) -> Result<Authority, ApiError> {
    get(&format!("/authorities/{code}"), &[]).await
}

/// `GET /authorities/{istat_code}/programme-status`.
pub async fn programme_status(code: &IstatCode) -> Result<ProgrammeStatus, ApiError> {
    get(&format!("/authorities/{code}/programme-status"), &[]).await
}

/// `GET /provinces`.
pub async fn provinces() -> Result<Vec<Province>, ApiError> {
    get("/provinces", &[]).await
}

/// `GET /task-forces`.
pub async fn task_forces() -> Result<Vec<TaskForceInfo>, ApiError> {
    get("/task-forces", &[]).await
}

/// `GET /procedures`, optionally for one task force.
pub async fn procedures(task_force: Option<TaskForce>) -> Result<Vec<Procedure>, ApiError> {
    let query: Vec<(&str, String)> = task_force
        .map(|t| ("task_force", t.code().to_owned()))
        .into_iter()
        .collect();
    get("/procedures", &query).await
}

// ---- administration ----------------------------------------------------------------------------

/// The filters of the user list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserQuery {
    /// Part of the e-mail or name.
    pub q: String,
    pub role: Option<Role>,
    /// 1-based.
    pub page: u64,
}

/// `GET /users` (admin).
pub async fn users(query: &UserQuery) -> Result<Page<User>, ApiError> {
    let mut params = vec![
        ("limit", PAGE_SIZE.to_string()),
        ("offset", offset_of(query.page)),
    ];
    let q = query.q.trim();
    if !q.is_empty() {
        params.push(("q", q.to_owned()));
    }
    if let Some(r) = query.role {
        params.push(("role", r.code().to_owned()));
    }
    get("/users", &params).await
}

/// `GET /users/{id}` (admin).
pub async fn user(id: UserId) -> Result<User, ApiError> {
    get(&format!("/users/{id}"), &[]).await
}

/// `POST /users` (admin): the new account.
pub async fn create_user(body: &CreateUserRequest) -> Result<User, ApiError> {
    post("/users", body).await
}

/// `POST /users/{id}/grants` (admin): the new grant.
pub async fn add_grant(user: UserId, body: &GrantRequest) -> Result<Grant, ApiError> {
    post(&format!("/users/{user}/grants"), body).await
}

/// `DELETE /users/{id}/grants/{grant_id}` (admin).
pub async fn revoke_grant(user: UserId, grant: GrantId) -> Result<(), ApiError> {
    delete(&format!("/users/{user}/grants/{grant}")).await
}

/// The filters of the audit log. Days are `YYYY-MM-DD`, already checked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditQuery {
    pub action: Option<AuditAction>,
    /// Part of the actor's e-mail.
    pub actor_email: String,
    /// From this day (inclusive).
    pub from: Option<String>,
    /// Until this day (inclusive).
    pub to: Option<String>,
    /// 1-based.
    pub page: u64,
}

/// `GET /audit-events` (admin), newest first.
pub async fn audit_events(query: &AuditQuery) -> Result<Page<AuditEvent>, ApiError> {
    let mut params = vec![
        ("limit", PAGE_SIZE.to_string()),
        ("offset", offset_of(query.page)),
    ];
    if let Some(a) = query.action {
        params.push(("action", a.code().to_owned()));
    }
    let email = query.actor_email.trim();
    if !email.is_empty() {
        params.push(("actor_email", email.to_owned()));
    }
    if let Some(from) = query.from.as_deref().and_then(crate::util::day_start) {
        params.push(("from", from));
    }
    if let Some(to) = query.to.as_deref().and_then(crate::util::day_end) {
        params.push(("to", to));
    }
    get("/audit-events", &params).await
}

// ---- onboarding, delegates, password reset, notifications ----------------------------------------

use affianca_domain::RegistrationStatus;
use affianca_domain::dto::{
    AcceptInvitationRequest, CreateRegistrationRequest, Delegate, Invitation, InvitationPreview,
    InviteDelegateRequest, NewPasswordRequest, Notification, PasswordResetRequest, Registration,
    RejectRegistrationRequest, UnreadCount,
};
use gloo_net::http::Request as BuiltRequest;

/// Sends a request without a token (the public endpoints: sign-up, links from e-mails).
async fn send_public(req: Result<BuiltRequest, gloo_net::Error>) -> Result<Response, ApiError> {
    Ok(req?.send().await?)
}

/// A `POST` of JSON without a token.
async fn post_public<B: Serialize>(path: &str, body: &B) -> Result<Response, ApiError> {
    send_public(
        Request::post(&format!("{BASE}{path}"))
            .header("Accept", "application/json")
            .json(body),
    )
    .await
}

/// An empty success (204, 202), or the error.
async fn no_content(resp: Response) -> Result<(), ApiError> {
    if resp.ok() {
        Ok(())
    } else {
        Err(error_of(resp).await)
    }
}

/// Like [`send_authed`], for a request whose body `finish` adds (a file): refreshes the access
/// token when it is missing or refused and retries once.
async fn send_authed_finished(
    build: impl Fn() -> RequestBuilder,
    finish: impl Fn(RequestBuilder) -> Result<BuiltRequest, gloo_net::Error>,
) -> Result<Response, ApiError> {
    let token = match access_token() {
        Some(t) => t,
        None => {
            refresh().await.inspect_err(expire_on_refusal)?;
            access_token().ok_or(ApiError::SessionExpired)?
        }
    };
    let resp = finish(with_token(build(), &token))?.send().await?;
    if resp.status() != 401 {
        return Ok(resp);
    }
    if access_token().as_deref() == Some(token.as_str()) || access_token().is_none() {
        refresh().await.inspect_err(expire_on_refusal)?;
    }
    let token = access_token().ok_or(ApiError::SessionExpired)?;
    let resp = finish(with_token(build(), &token))?.send().await?;
    if resp.status() == 401 {
        session_expired();
        return Err(ApiError::SessionExpired);
    }
    Ok(resp)
}

/// A `POST` without a body, expecting an empty success.
async fn post_action(path: &str) -> Result<Response, ApiError> {
    let url = format!("{BASE}{path}");
    send_authed(|| Request::post(&url)).await
}

/// `POST /registrations` (no login): the account and the registration, awaiting the protocol.
pub async fn create_registration(
    body: &CreateRegistrationRequest,
) -> Result<Registration, ApiError> {
    decode(post_public("/registrations", body).await?).await
}

/// `GET /registrations`: all of them for the secretariat, one's own for anyone else.
pub async fn registrations(
    status: Option<RegistrationStatus>,
) -> Result<Vec<Registration>, ApiError> {
    let query: Vec<(&str, String)> = status
        .map(|s| ("status", s.code().to_owned()))
        .into_iter()
        .collect();
    get("/registrations", &query).await
}

/// `GET /registrations/{id}`.
pub async fn registration(id: i64) -> Result<Registration, ApiError> {
    get(&format!("/registrations/{id}"), &[]).await
}

/// The file name for `X-File-Name`: header values must be ASCII, so anything else becomes `_`.
pub fn header_file_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let cleaned = cleaned.trim();
    if cleaned.is_empty() {
        "protocollo.pdf".to_owned()
    } else {
        cleaned.to_owned()
    }
}

/// `PUT /registrations/{id}/protocol`: the signed protocol, the PDF itself as the body.
pub async fn upload_protocol(id: i64, file: &web_sys::File) -> Result<Registration, ApiError> {
    let url = format!("{BASE}/registrations/{id}/protocol");
    let name = header_file_name(&file.name());
    let resp = send_authed_finished(
        || {
            Request::put(&url)
                .header("Content-Type", "application/pdf")
                .header("X-File-Name", &name)
        },
        |req| req.body(file.clone()),
    )
    .await?;
    decode(resp).await
}

/// `GET /registrations/{id}/protocol`: the PDF's bytes.
pub async fn download_protocol(id: i64) -> Result<Vec<u8>, ApiError> {
    let url = format!("{BASE}/registrations/{id}/protocol");
    let resp = send_authed(|| Request::get(&url)).await?;
    if resp.ok() {
        resp.binary().await.map_err(|_| ApiError::Decode)
    } else {
        Err(error_of(resp).await)
    }
}

/// `POST /registrations/{id}/approve` (secretariat).
pub async fn approve_registration(id: i64) -> Result<Registration, ApiError> {
    decode(post_action(&format!("/registrations/{id}/approve")).await?).await
}

/// `POST /registrations/{id}/reject` (secretariat), with the reason shown to the representative.
pub async fn reject_registration(id: i64, reason: String) -> Result<Registration, ApiError> {
    post(
        &format!("/registrations/{id}/reject"),
        &RejectRegistrationRequest { reason },
    )
    .await
}

/// `GET /authorities/{istat_code}/delegates`.
pub async fn delegates(code: &IstatCode) -> Result<Vec<Delegate>, ApiError> {
    get(&format!("/authorities/{code}/delegates"), &[]).await
}

/// `DELETE /authorities/{istat_code}/delegates/{user_id}`.
pub async fn remove_delegate(code: &IstatCode, user: UserId) -> Result<(), ApiError> {
    delete(&format!("/authorities/{code}/delegates/{user}")).await
}

/// `GET /authorities/{istat_code}/invitations` (the representative or the secretariat).
pub async fn invitations(code: &IstatCode) -> Result<Vec<Invitation>, ApiError> {
    get(&format!("/authorities/{code}/invitations"), &[]).await
}

/// `POST /authorities/{istat_code}/invitations`: e-mails a link valid 7 days.
pub async fn invite_delegate(
    code: &IstatCode,
    body: &InviteDelegateRequest,
) -> Result<Invitation, ApiError> {
    post(&format!("/authorities/{code}/invitations"), body).await
}

/// `DELETE /authorities/{istat_code}/invitations/{id}`.
pub async fn revoke_invitation(code: &IstatCode, id: i64) -> Result<(), ApiError> {
    delete(&format!("/authorities/{code}/invitations/{id}")).await
}

/// `GET /invitations/{token}` (no login: the link is the credential).
pub async fn invitation_preview(token: &str) -> Result<InvitationPreview, ApiError> {
    let url = format!("{BASE}/invitations/{}", crate::util::encode(token));
    let resp = send_public(
        Request::get(&url)
            .header("Accept", "application/json")
            .build(),
    )
    .await?;
    decode(resp).await
}

/// `POST /invitations/{token}/accept` (no login).
pub async fn accept_invitation(
    token: &str,
    body: &AcceptInvitationRequest,
) -> Result<(), ApiError> {
    let path = format!("/invitations/{}/accept", crate::util::encode(token));
    no_content(post_public(&path, body).await?).await
}

/// `POST /auth/password-reset`: always 202, whether or not the e-mail has an account.
pub async fn request_password_reset(email: &str) -> Result<(), ApiError> {
    let body = PasswordResetRequest {
        email: email.trim().to_owned(),
    };
    no_content(post_public("/auth/password-reset", &body).await?).await
}

/// `POST /auth/password-reset/{token}`.
pub async fn reset_password(token: &str, password: String) -> Result<(), ApiError> {
    let path = format!("/auth/password-reset/{}", crate::util::encode(token));
    no_content(post_public(&path, &NewPasswordRequest { password }).await?).await
}

/// `GET /notifications`, newest first (1-based page).
pub async fn notifications(page: u64) -> Result<Page<Notification>, ApiError> {
    get(
        "/notifications",
        &[
            ("limit", PAGE_SIZE.to_string()),
            ("offset", offset_of(page)),
        ],
    )
    .await
}

/// `GET /notifications/unread-count`.
pub async fn unread_count() -> Result<UnreadCount, ApiError> {
    get("/notifications/unread-count", &[]).await
}

/// `POST /notifications/{id}/read`.
pub async fn mark_notification_read(id: i64) -> Result<(), ApiError> {
    no_content(post_action(&format!("/notifications/{id}/read")).await?).await
}

/// `POST /notifications/read-all`.
pub async fn mark_all_notifications_read() -> Result<(), ApiError> {
    no_content(post_action("/notifications/read-all").await?).await
}

#[cfg(test)]
mod tests {
    use super::header_file_name;

    #[test]
    fn file_names_fit_in_a_header() {
        assert_eq!(
            header_file_name("protocollo firmato.pdf"),
            "protocollo firmato.pdf"
        );
        assert_eq!(header_file_name("città.pdf"), "citt_.pdf");
        assert_eq!(header_file_name("a\nb.pdf"), "a_b.pdf");
        assert_eq!(header_file_name("  "), "protocollo.pdf");
    }
}

// ---- downloads ---------------------------------------------------------------------------------

/// `GET` of a file (CSV, calendar): its bytes.
pub async fn download(path: &str) -> Result<Vec<u8>, ApiError> {
    let url = format!("{BASE}{path}");
    let resp = send_authed(|| Request::get(&url)).await?;
    if resp.ok() {
        resp.binary().await.map_err(|_| ApiError::Decode)
    } else {
        Err(error_of(resp).await)
    }
}

// ---- experts and coordinators ------------------------------------------------------------------

/// `GET /experts` with optional task force, province and name filters.
pub async fn experts(
    task_force: Option<TaskForce>,
    province: Option<ProvinceCode>,
    q: &str,
) -> Result<Vec<ExpertProfile>, ApiError> {
    let mut query: Vec<(&str, String)> = Vec::new();
    if let Some(tf) = task_force {
        query.push(("task_force", tf.code().to_owned()));
    }
    if let Some(p) = province {
        query.push(("province", p.to_string()));
    }
    if !q.trim().is_empty() {
        query.push(("q", q.trim().to_owned()));
    }
    get("/experts", &query).await
}

/// `GET /experts/{user_id}`: the profile and its `ETag` (for the `If-Match` of a change).
pub async fn expert(id: UserId) -> Result<(ExpertProfile, String), ApiError> {
    let url = format!("{BASE}/experts/{id}");
    let resp = send_authed(|| Request::get(&url)).await?;
    let etag = resp.headers().get("etag").unwrap_or_default();
    Ok((decode(resp).await?, etag))
}

/// `POST /experts` (secretariat): the account, its grants and the profile; e-mails a link to
/// set the password.
pub async fn create_expert(body: &CreateExpertRequest) -> Result<ExpertProfile, ApiError> {
    post("/experts", body).await
}

/// `PATCH /experts/{user_id}` guarded by `If-Match`.
pub async fn update_expert(
    id: UserId,
    etag: &str,
    body: &UpdateExpertRequest,
) -> Result<(ExpertProfile, String), ApiError> {
    let url = format!("{BASE}/experts/{id}");
    let body = serde_json::to_string(body).map_err(|_| ApiError::Decode)?;
    let resp = send_authed_with_body(
        || Request::patch(&url).header("If-Match", etag),
        Some(&body),
    )
    .await?;
    let etag = resp.headers().get("etag").unwrap_or_default();
    Ok((decode(resp).await?, etag))
}

/// `POST /task-forces/{code}/coordinators` (secretariat).
pub async fn appoint_coordinator(tf: TaskForce, user_id: UserId) -> Result<(), ApiError> {
    let path = format!("/task-forces/{}/coordinators", tf.code());
    let url = format!("{BASE}{path}");
    let body = serde_json::to_string(&AppointCoordinatorRequest { user_id })
        .map_err(|_| ApiError::Decode)?;
    no_content(send_authed_with_body(|| Request::post(&url), Some(&body)).await?).await
}

/// `DELETE /task-forces/{code}/coordinators/{user_id}` (secretariat).
pub async fn remove_coordinator(tf: TaskForce, user_id: UserId) -> Result<(), ApiError> {
    delete(&format!(
        "/task-forces/{}/coordinators/{user_id}",
        tf.code()
    ))
    .await
}

// ---- programme phases --------------------------------------------------------------------------

/// `GET /phases`, by start date.
pub async fn phases() -> Result<Vec<Phase>, ApiError> {
    get("/phases", &[]).await
}

/// `GET /phases/{id}`.
pub async fn phase(id: i64) -> Result<Phase, ApiError> {
    get(&format!("/phases/{id}"), &[]).await
}

/// `POST /phases` (secretariat).
pub async fn create_phase(body: &CreatePhaseRequest) -> Result<Phase, ApiError> {
    post("/phases", body).await
}

/// `GET /phases/{id}/authorities`: the authorities the phase enables.
pub async fn phase_authorities(id: i64) -> Result<Vec<Authority>, ApiError> {
    get(&format!("/phases/{id}/authorities"), &[]).await
}

/// `POST /phases/{id}/authorities` with a list of ISTAT codes (all or nothing).
pub async fn enable_authorities(
    id: i64,
    istat_codes: Vec<String>,
) -> Result<EnableAuthoritiesResult, ApiError> {
    post(
        &format!("/phases/{id}/authorities"),
        &EnableAuthoritiesRequest { istat_codes },
    )
    .await
}

/// `POST /phases/{id}/authorities` with a CSV file (the code in the first column).
pub async fn enable_authorities_csv(
    id: i64,
    file: &web_sys::File,
) -> Result<EnableAuthoritiesResult, ApiError> {
    let url = format!("{BASE}/phases/{id}/authorities");
    let resp = send_authed_finished(
        || Request::post(&url).header("Content-Type", "text/csv"),
        |req| req.body(file.clone()),
    )
    .await?;
    decode(resp).await
}

/// `DELETE /phases/{id}/authorities/{istat_code}`.
pub async fn remove_phase_authority(id: i64, code: &IstatCode) -> Result<(), ApiError> {
    delete(&format!("/phases/{id}/authorities/{code}")).await
}

// ---- province meetings -------------------------------------------------------------------------

/// `GET /meetings`: those the caller may see, soonest first.
pub async fn meetings() -> Result<Vec<Meeting>, ApiError> {
    get("/meetings", &[]).await
}

/// `GET /meetings/{id}`.
pub async fn meeting(id: i64) -> Result<Meeting, ApiError> {
    get(&format!("/meetings/{id}"), &[]).await
}

/// `POST /meetings` (secretariat): schedules it and notifies the invited authorities.
pub async fn create_meeting(body: &CreateMeetingRequest) -> Result<Meeting, ApiError> {
    post("/meetings", body).await
}

/// `POST /meetings/{id}/rsvp`: an invited authority confirms or declines.
pub async fn rsvp(id: i64, body: &RsvpRequest) -> Result<Meeting, ApiError> {
    post(&format!("/meetings/{id}/rsvp"), body).await
}

// ---- support requests --------------------------------------------------------------------------

/// The filters of the request list (and of its CSV export), as query parameters.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RequestQuery {
    pub status: String,
    pub q: String,
    pub province: String,
    pub task_force: String,
    pub assignee: Option<UserId>,
    pub overdue: bool,
    pub sort: String,
    pub page: u64,
}

impl RequestQuery {
    fn params(&self, paged: bool) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        for (k, v) in [
            ("status", &self.status),
            ("q", &self.q),
            ("province", &self.province),
            ("task_force", &self.task_force),
            ("sort", &self.sort),
        ] {
            if !v.trim().is_empty() {
                out.push((k, v.trim().to_owned()));
            }
        }
        if let Some(a) = self.assignee {
            out.push(("assignee", a.to_string()));
        }
        if self.overdue {
            out.push(("overdue", "true".to_owned()));
        }
        if paged {
            out.push(("limit", PAGE_SIZE.to_string()));
            out.push(("offset", offset_of(self.page)));
        }
        out
    }

    /// The CSV export of the same query.
    pub fn csv_path(&self) -> String {
        let q: Vec<String> = self
            .params(false)
            .into_iter()
            .map(|(k, v)| format!("{k}={}", crate::util::encode(&v)))
            .collect();
        format!("/support-requests.csv?{}", q.join("&"))
    }
}

/// `GET /support-requests`.
pub async fn support_requests(
    query: &RequestQuery,
) -> Result<Page<SupportRequestSummary>, ApiError> {
    get("/support-requests", &query.params(true)).await
}

/// `GET /support-requests/{id}` with its `ETag`.
pub async fn support_request(id: i64) -> Result<(SupportRequest, String), ApiError> {
    let url = format!("{BASE}/support-requests/{id}");
    let resp = send_authed(|| Request::get(&url)).await?;
    let etag = resp.headers().get("etag").unwrap_or_default();
    Ok((decode(resp).await?, etag))
}

/// `POST /support-requests`: a new draft.
pub async fn create_support_request(
    body: &CreateSupportRequest,
) -> Result<SupportRequest, ApiError> {
    post("/support-requests", body).await
}

/// `POST /support-requests/{id}/transitions` with `If-Match`.
pub async fn transition(
    id: i64,
    etag: &str,
    body: &TransitionRequest,
) -> Result<SupportRequest, ApiError> {
    let url = format!("{BASE}/support-requests/{id}/transitions");
    let body = serde_json::to_string(body).map_err(|_| ApiError::Decode)?;
    let resp =
        send_authed_with_body(|| Request::post(&url).header("If-Match", etag), Some(&body)).await?;
    decode(resp).await
}

/// `GET /support-requests/{id}/candidates`.
pub async fn candidates(id: i64) -> Result<Vec<Candidate>, ApiError> {
    get(&format!("/support-requests/{id}/candidates"), &[]).await
}

/// `GET /support-requests/{id}/messages`.
pub async fn messages(id: i64) -> Result<Vec<Message>, ApiError> {
    get(&format!("/support-requests/{id}/messages"), &[]).await
}

/// `POST /support-requests/{id}/messages`.
pub async fn post_message(id: i64, body: &NewMessage) -> Result<Message, ApiError> {
    post(&format!("/support-requests/{id}/messages"), body).await
}

/// `GET /support-requests/{id}/activities`.
pub async fn activities(id: i64) -> Result<Vec<ActivityEntry>, ApiError> {
    get(&format!("/support-requests/{id}/activities"), &[]).await
}

/// `POST /support-requests/{id}/activities`.
pub async fn log_activity(id: i64, body: &NewActivity) -> Result<ActivityEntry, ApiError> {
    post(&format!("/support-requests/{id}/activities"), body).await
}

/// `DELETE /activities/{id}`.
pub async fn delete_activity(id: i64) -> Result<(), ApiError> {
    delete(&format!("/activities/{id}")).await
}

/// `GET /experts/{user_id}/timesheet?month=YYYY-MM`.
pub async fn timesheet(expert: UserId, month: &str) -> Result<Timesheet, ApiError> {
    get(
        &format!("/experts/{expert}/timesheet"),
        &[("month", month.to_owned())],
    )
    .await
}

/// `GET /reports/service?from&to` (secretariat, coordinators).
pub async fn service_report(from: &str, to: &str) -> Result<ServiceReport, ApiError> {
    get(
        "/reports/service",
        &[("from", from.to_owned()), ("to", to.to_owned())],
    )
    .await
}

/// `GET /support-requests/{id}/attachments`.
pub async fn attachments(id: i64) -> Result<Vec<Attachment>, ApiError> {
    get(&format!("/support-requests/{id}/attachments"), &[]).await
}

/// `POST /support-requests/{id}/attachments`: the file itself as the body.
pub async fn upload_attachment(
    id: i64,
    file: &web_sys::File,
    message_id: Option<i64>,
) -> Result<Attachment, ApiError> {
    let url = match message_id {
        Some(m) => format!("{BASE}/support-requests/{id}/attachments?message_id={m}"),
        None => format!("{BASE}/support-requests/{id}/attachments"),
    };
    // Header values are ASCII: the name travels percent-encoded.
    let name = crate::util::encode(&file.name());
    let resp = send_authed_finished(
        || {
            Request::post(&url)
                .header("Content-Type", "application/octet-stream")
                .header("X-File-Name", &name)
        },
        |req| req.body(file.clone()),
    )
    .await?;
    decode(resp).await
}

// ---- monitoring (issue 5) ----------------------------------------------------------------------

use affianca_domain::dto::{
    CompletenessRow, IndicatorReport, ManualEntry, MeasurementChange, MonitoringSettings,
    RankingRow, RegisterImport, RegisterProblem, SemesterQueueItem, SemesterReport,
    SemesterTransition,
};

/// `GET /authorities/{code}/semesters`: newest first.
pub async fn semesters(code: &str) -> Result<Vec<SemesterReport>, ApiError> {
    get(&format!("/authorities/{code}/semesters"), &[]).await
}

/// `POST /authorities/{code}/semesters/{period}/transitions`.
pub async fn semester_transition(
    code: &str,
    period: &str,
    body: &SemesterTransition,
) -> Result<SemesterReport, ApiError> {
    post(
        &format!("/authorities/{code}/semesters/{period}/transitions"),
        body,
    )
    .await
}

/// `PUT /authorities/{code}/semesters/{period}/measurements`: the manual table.
pub async fn enter_measurements(
    code: &str,
    period: &str,
    body: &ManualEntry,
) -> Result<SemesterReport, ApiError> {
    let url = format!("{BASE}/authorities/{code}/semesters/{period}/measurements");
    let body = serde_json::to_string(body).map_err(|_| ApiError::Decode)?;
    let resp = send_authed_with_body(|| Request::put(&url), Some(&body)).await?;
    decode(resp).await
}

/// `GET /authorities/{code}/semesters/{period}/history`.
pub async fn semester_history(
    code: &str,
    period: &str,
) -> Result<Vec<MeasurementChange>, ApiError> {
    get(
        &format!("/authorities/{code}/semesters/{period}/history"),
        &[],
    )
    .await
}

/// `GET /semester-reports?status=…`: the validation queue.
pub async fn semester_queue(status: &str) -> Result<Vec<SemesterQueueItem>, ApiError> {
    get("/semester-reports", &[("status", status.to_owned())]).await
}

/// `GET /monitoring/settings`.
pub async fn monitoring_settings() -> Result<MonitoringSettings, ApiError> {
    get("/monitoring/settings", &[]).await
}

/// `PUT /monitoring/settings` (secretariat).
pub async fn put_monitoring_settings(
    body: &MonitoringSettings,
) -> Result<MonitoringSettings, ApiError> {
    let url = format!("{BASE}/monitoring/settings");
    let body = serde_json::to_string(body).map_err(|_| ApiError::Decode)?;
    let resp = send_authed_with_body(|| Request::put(&url), Some(&body)).await?;
    decode(resp).await
}

/// `GET /indicators` with the query pairs (level, key, from, to, procedure, validated_only…).
pub async fn indicators(query: &[(&str, String)]) -> Result<IndicatorReport, ApiError> {
    get("/indicators", query).await
}

/// `GET /indicators/completeness`.
pub async fn completeness(query: &[(&str, String)]) -> Result<Vec<CompletenessRow>, ApiError> {
    get("/indicators/completeness", query).await
}

/// `GET /indicators/rankings`.
pub async fn rankings(query: &[(&str, String)]) -> Result<Vec<RankingRow>, ApiError> {
    get("/indicators/rankings", query).await
}

/// Downloads a CSV export with the session's token (a plain link would carry no token).
pub async fn download_csv(path_and_query: &str) -> Result<Vec<u8>, ApiError> {
    let url = format!("{BASE}{path_and_query}");
    let resp = send_authed(|| Request::get(&url)).await?;
    if resp.ok() {
        resp.binary().await.map_err(|_| ApiError::Decode)
    } else {
        Err(error_of(resp).await)
    }
}

/// Why an upload of a register did not go through.
#[derive(Debug, Clone, PartialEq)]
pub enum UploadError {
    /// The register has bad rows: every one, and how many.
    Invalid(Box<RegisterProblem>),
    Api(ApiError),
}

/// One XHR upload; `Err(None)` means 401 (the caller refreshes and retries).
async fn xhr_upload(
    url: &str,
    token: &str,
    file: &web_sys::File,
    on_progress: Rc<dyn Fn(f64)>,
) -> Result<(u16, String), Option<ApiError>> {
    let xhr = web_sys::XmlHttpRequest::new().map_err(|_| Some(ApiError::Network))?;
    xhr.open("POST", url).map_err(|_| Some(ApiError::Network))?;
    let ct = if file.name().to_lowercase().ends_with(".csv") {
        "text/csv"
    } else {
        "application/octet-stream"
    };
    let _ = xhr.set_request_header("Content-Type", ct);
    let _ = xhr.set_request_header("Authorization", &format!("Bearer {token}"));
    let done: SharedGate<bool> = gate();
    let progress =
        Closure::<dyn Fn(web_sys::ProgressEvent)>::new(move |e: web_sys::ProgressEvent| {
            if e.length_computable() && e.total() > 0.0 {
                on_progress(e.loaded() / e.total());
            }
        });
    if let Ok(upload) = xhr.upload() {
        upload.set_onprogress(Some(progress.as_ref().unchecked_ref()));
    }
    let (ok_gate, err_gate) = (done.clone(), done.clone());
    let onload = Closure::<dyn Fn()>::new(move || open_gate(&ok_gate, true));
    let onerror = Closure::<dyn Fn()>::new(move || open_gate(&err_gate, false));
    xhr.set_onload(Some(onload.as_ref().unchecked_ref()));
    xhr.set_onerror(Some(onerror.as_ref().unchecked_ref()));
    xhr.set_onabort(Some(onerror.as_ref().unchecked_ref()));
    xhr.send_with_opt_blob(Some(file))
        .map_err(|_| Some(ApiError::Network))?;
    let loaded = WaitGate(done).await;
    drop((progress, onload, onerror));
    if !loaded {
        return Err(Some(ApiError::Network));
    }
    let status = xhr.status().unwrap_or(0);
    if status == 401 {
        return Err(None);
    }
    Ok((
        status,
        xhr.response_text().ok().flatten().unwrap_or_default(),
    ))
}

/// `POST /authorities/{code}/register` with the file, reporting the upload's progress (0–1).
pub async fn upload_register(
    code: &str,
    file: &web_sys::File,
    dry_run: bool,
    on_progress: impl Fn(f64) + 'static,
) -> Result<RegisterImport, UploadError> {
    let url = format!("{BASE}/authorities/{code}/register?dry_run={dry_run}");
    let on_progress: Rc<dyn Fn(f64)> = Rc::new(on_progress);
    let mut attempt = 0;
    let (status, text) = loop {
        let token = match access_token() {
            Some(t) => t,
            None => {
                refresh().await.map_err(UploadError::Api)?;
                access_token().ok_or(UploadError::Api(ApiError::SessionExpired))?
            }
        };
        match xhr_upload(&url, &token, file, on_progress.clone()).await {
            Ok(r) => break r,
            Err(Some(e)) => return Err(UploadError::Api(e)),
            Err(None) if attempt == 0 => {
                attempt += 1;
                refresh().await.map_err(UploadError::Api)?;
            }
            Err(None) => {
                session_expired();
                return Err(UploadError::Api(ApiError::SessionExpired));
            }
        }
    };
    if (200..300).contains(&status) {
        return serde_json::from_str(&text).map_err(|_| UploadError::Api(ApiError::Decode));
    }
    if let Ok(p) = serde_json::from_str::<RegisterProblem>(&text)
        && p.code == "register_invalid"
    {
        return Err(UploadError::Invalid(Box::new(p)));
    }
    Err(UploadError::Api(
        match serde_json::from_str::<Problem>(&text) {
            Ok(p) => ApiError::Problem(Box::new(p)),
            Err(_) => ApiError::Status(status),
        },
    ))
}

/// `GET /authorities/{code}/targets`: the targets that apply and the authority's override.
pub async fn authority_targets(
    code: &str,
) -> Result<affianca_domain::dto::AuthorityTargets, ApiError> {
    get(&format!("/authorities/{code}/targets"), &[]).await
}

/// `PUT /authorities/{code}/targets` (secretariat).
pub async fn put_authority_targets(
    code: &str,
    body: &affianca_domain::dto::TargetOverride,
) -> Result<affianca_domain::dto::AuthorityTargets, ApiError> {
    let url = format!("{BASE}/authorities/{code}/targets");
    let body = serde_json::to_string(body).map_err(|_| ApiError::Decode)?;
    let resp = send_authed_with_body(|| Request::put(&url), Some(&body)).await?;
    decode(resp).await
}

/// `DELETE /authorities/{code}/targets` (secretariat): back to the programme's targets.
pub async fn delete_authority_targets(code: &str) -> Result<(), ApiError> {
    delete(&format!("/authorities/{code}/targets")).await
}
