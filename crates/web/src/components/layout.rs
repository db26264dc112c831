//! Page frames: skip link, header, main landmark, footer; and the guard that sends anonymous
//! visitors to the login.

use super::feedback::Loading;
use super::header::Header;
use crate::session::{AuthState, use_session};
use crate::util::{encode, focus_id};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_location, use_navigate};

/// The id of the `<main>` landmark, target of the skip link.
pub const MAIN_ID: &str = "main-content";

/// "Vai al contenuto": the first focusable element of every page.
#[component]
fn SkipLink() -> impl IntoView {
    view! {
        <div class="skiplinks">
            <a
                class="visually-hidden-focusable"
                href=format!("#{MAIN_ID}")
                id="skip-link"
                on:click=|ev| {
                    ev.prevent_default();
                    focus_id(MAIN_ID);
                }
            >
                "Vai al contenuto principale"
            </a>
        </div>
    }
}

#[component]
fn Footer() -> impl IntoView {
    view! {
        <footer class="it-footer mt-5">
            <div class="it-footer-main">
                <div class="container py-4">
                    <p class="fw-semibold mb-1">"Affianca — Assistenza tecnica PNRR"</p>
                    <p class="mb-1">
                        "Regione Lombardia · PNRR, Missione 1 Componente 1, investimento 2.2.1 "
                        "«Assistenza tecnica a livello centrale e locale» · Finanziato dall'Unione europea — NextGenerationEU"
                    </p>
                    <p class="small mb-0">"Codici territoriali: ISTAT (SITUAS), CC-BY 4.0"</p>
                </div>
            </div>
        </footer>
    }
}

/// The frame of pages anyone may see (the login).
#[component]
pub fn PublicLayout(children: Children) -> impl IntoView {
    view! {
        <SkipLink/>
        <Header/>
        <main id=MAIN_ID tabindex="-1" class="container my-4">
            {children()}
        </main>
        <Footer/>
    }
}

/// What the guarded frame shows.
#[derive(Debug, Clone, PartialEq)]
enum Phase {
    Loading,
    Ready,
    Away { signed_out: bool },
    Unavailable(String),
}

/// The frame of pages for signed-in users. Anonymous visitors are sent to `/accedi`, with the
/// page they asked for in `ritorno`.
#[component]
pub fn AuthLayout(children: ChildrenFn) -> impl IntoView {
    let session = use_session();
    let location = use_location();
    let navigate = use_navigate();

    let phase = Memo::new(move |_| {
        session.state.with(|s| match s {
            AuthState::Checking => Phase::Loading,
            AuthState::SignedIn(_) => Phase::Ready,
            AuthState::Anonymous => Phase::Away { signed_out: false },
            AuthState::SignedOut => Phase::Away { signed_out: true },
            AuthState::Unavailable(msg) => Phase::Unavailable(msg.clone()),
        })
    });

    Effect::new(move |_| {
        if let Phase::Away { signed_out } = phase.get() {
            let target = if signed_out {
                "/accedi".to_owned()
            } else {
                let search = location.search.get_untracked();
                let mut here = location.pathname.get_untracked();
                if !search.is_empty() {
                    here = format!("{here}?{search}");
                }
                if here == "/" {
                    "/accedi".to_owned()
                } else {
                    format!("/accedi?ritorno={}", encode(&here))
                }
            };
            navigate(
                &target,
                NavigateOptions {
                    replace: true,
                    ..Default::default()
                },
            );
        }
    });

    // After moving to another page, put keyboard and screen-reader focus at the top of the
    // new content (not on the first load, and not when only the query string changes).
    Effect::new(move |prev: Option<String>| {
        let path = location.pathname.get();
        if prev.is_some_and(|p| p != path) {
            focus_id(MAIN_ID);
        }
        path
    });

    let retry = move |_| spawn_local(session.resume());

    view! {
        <SkipLink/>
        <Header/>
        <main id=MAIN_ID tabindex="-1" class="container my-4">
            {move || match phase.get() {
                Phase::Ready => children().into_any(),
                Phase::Loading | Phase::Away { .. } => {
                    view! { <Loading label="Verifica dell'accesso in corso…"/> }.into_any()
                }
                Phase::Unavailable(msg) => {
                    view! {
                        <div class="alert alert-danger" role="alert" data-testid="error">
                            <p>{msg}</p>
                            <button id="session-retry" type="button" class="btn btn-primary" on:click=retry>
                                "Riprova"
                            </button>
                        </div>
                    }
                        .into_any()
                }
            }}
        </main>
        <Footer/>
    }
}
