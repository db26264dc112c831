//! Who is signed in: a context shared by every page.

use crate::api::{self, ApiError};
use affianca_domain::dto::User;
use affianca_domain::{Role, UserId};
use leptos::prelude::*;
use leptos::task::spawn_local;

/// Where the session stands.
#[derive(Debug, Clone, PartialEq)]
pub enum AuthState {
    /// The refresh cookie from an earlier visit is being exchanged.
    Checking,
    /// Signed in, with the user's profile.
    SignedIn(Box<User>),
    /// No session (never signed in, or it expired): pages send the visitor to the login.
    Anonymous,
    /// The user has just signed out.
    SignedOut,
    /// The session could not be resumed because the server is unreachable or failing.
    Unavailable(String),
}

/// The session, provided as context by [`provide_session`].
#[derive(Debug, Clone, Copy)]
pub struct Session {
    pub state: RwSignal<AuthState>,
}

impl Session {
    /// Starts the session: resumes it with the refresh cookie, if a previous visit signed in.
    pub fn start() -> Self {
        let resuming = api::has_session_hint();
        let state = RwSignal::new(if resuming {
            AuthState::Checking
        } else {
            AuthState::Anonymous
        });
        let session = Self { state };
        api::set_on_session_expired(move || {
            state.try_set(AuthState::Anonymous);
        });
        if resuming {
            spawn_local(session.resume());
        }
        session
    }

    /// Exchanges the refresh cookie, then loads the profile.
    pub async fn resume(self) {
        self.state.set(AuthState::Checking);
        let result = match api::refresh().await {
            Ok(()) => self.load_profile().await,
            Err(e) => Err(e),
        };
        match result {
            Ok(()) => {}
            Err(ApiError::SessionExpired) => self.state.set(AuthState::Anonymous),
            Err(e) => self.state.set(AuthState::Unavailable(e.message())),
        }
    }

    async fn load_profile(self) -> Result<(), ApiError> {
        let me = api::me().await?;
        self.state.set(AuthState::SignedIn(Box::new(me.user)));
        Ok(())
    }

    /// After the user's roles changed (an approval): a new access token, which carries the
    /// roles, and the profile again, without leaving the page.
    pub async fn refresh_roles(self) -> Result<(), ApiError> {
        api::refresh().await?;
        self.load_profile().await
    }

    /// Signs in and loads the profile.
    pub async fn sign_in(self, email: String, password: String) -> Result<(), ApiError> {
        api::login(&email, &password).await?;
        if let Err(e) = self.load_profile().await {
            api::clear_tokens();
            return Err(e);
        }
        Ok(())
    }

    /// Signs out, on the server too.
    pub async fn sign_out(self) {
        api::logout().await;
        self.state.set(AuthState::SignedOut);
    }

    pub fn is_signed_in(&self) -> bool {
        self.state.with(|s| matches!(s, AuthState::SignedIn(_)))
    }

    /// The signed-in user's full name.
    pub fn full_name(&self) -> Option<String> {
        self.state.with(|s| match s {
            AuthState::SignedIn(u) => Some(u.full_name.clone()),
            _ => None,
        })
    }

    /// Whether the signed-in user holds `role` (in any scope).
    pub fn has_role(&self, role: Role) -> bool {
        self.state.with(|s| match s {
            AuthState::SignedIn(u) => u.grants.iter().any(|g| g.role == role),
            _ => false,
        })
    }

    /// Whether the signed-in user holds any of `roles`.
    pub fn has_any_role(&self, roles: &[Role]) -> bool {
        roles.iter().any(|r| self.has_role(*r))
    }

    /// Whether the signed-in user may call the API operation `op` (`"GET /api/v1/users"`) on
    /// objects of their own scope, as `affianca_domain::policy` says.
    pub fn may_call(&self, op: &str) -> bool {
        self.state.with(|s| match s {
            AuthState::SignedIn(u) => {
                affianca_domain::policy::may_call(u.grants.iter().map(|g| g.role), op)
            }
            _ => false,
        })
    }

    /// The authorities the signed-in user works for (as representative or delegate).
    pub fn authority_codes(&self) -> Vec<affianca_domain::IstatCode> {
        self.state.with(|s| match s {
            AuthState::SignedIn(u) => u
                .grants
                .iter()
                .filter(|g| matches!(g.role, Role::AuthorityRep | Role::AuthorityDelegate))
                .filter_map(|g| match &g.scope {
                    affianca_domain::Scope::Authority(c) => Some(c.clone()),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        })
    }

    /// The provinces the signed-in user observes (province offices), as codes (`BG`).
    pub fn observed_provinces(&self) -> Vec<String> {
        self.state.with(|s| match s {
            AuthState::SignedIn(u) => u
                .grants
                .iter()
                .filter(|g| g.role == Role::Observer)
                .filter_map(|g| match &g.scope {
                    affianca_domain::Scope::Province(p) => Some(p.to_string()),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        })
    }

    /// The signed-in user's id.
    pub fn user_id(&self) -> Option<UserId> {
        self.state.with(|s| match s {
            AuthState::SignedIn(u) => Some(u.id),
            _ => None,
        })
    }

    /// The signed-in user's roles in Italian, each once.
    pub fn role_labels(&self) -> Vec<&'static str> {
        self.state.with(|s| match s {
            AuthState::SignedIn(u) => {
                role_labels(&u.grants.iter().map(|g| g.role).collect::<Vec<_>>())
            }
            _ => Vec::new(),
        })
    }
}

/// Distinct roles, in the order of [`Role::ALL`], as Italian labels.
pub fn role_labels(roles: &[Role]) -> Vec<&'static str> {
    Role::ALL
        .into_iter()
        .filter(|r| roles.contains(r))
        .map(Role::label)
        .collect()
}

/// Creates the session and makes it available to every component below.
pub fn provide_session() -> Session {
    let session = Session::start();
    provide_context(session);
    session
}

/// The session of the app.
pub fn use_session() -> Session {
    expect_context::<Session>()
}
