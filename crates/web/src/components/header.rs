//! The PA header (Bootstrap Italia "it-header": slim + center + navbar).

use super::icon::Icon;
use super::notifications::NotificationBell;
use crate::session::use_session;
use affianca_domain::Role;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_location;

/// Who sees a section of the navigation bar.
#[derive(Clone, Copy)]
enum Sees {
    Everyone,
    /// Whoever may call this operation of the API (`affianca_domain::policy`): the section lists
    /// what it answers.
    Caller(&'static str),
    /// Holders of these roles (pages that are not one operation's list).
    Roles(&'static [Role]),
}

/// The sections in the navigation bar: (path, label, id, who sees it).
const SECTIONS: [(&str, &str, &str, Sees); 13] = [
    ("/", "Home", "nav-home", Sees::Everyone),
    (
        "/richieste",
        "Richieste",
        "nav-richieste",
        Sees::Caller("GET /api/v1/support-requests"),
    ),
    (
        "/foglio-ore",
        "Foglio ore",
        "nav-foglio-ore",
        Sees::Roles(&[Role::Expert]),
    ),
    (
        "/rapporti",
        "Rapporti",
        "nav-rapporti",
        Sees::Caller("GET /api/v1/reports/service"),
    ),
    (
        "/monitoraggio",
        "Monitoraggio",
        "nav-monitoraggio",
        Sees::Roles(&[
            Role::AuthorityRep,
            Role::AuthorityDelegate,
            Role::Secretariat,
            Role::Coordinator,
            Role::Admin,
            Role::Observer,
        ]),
    ),
    ("/enti", "Enti", "nav-enti", Sees::Everyone),
    (
        "/procedimenti",
        "Procedimenti",
        "nav-procedimenti",
        Sees::Everyone,
    ),
    ("/incontri", "Incontri", "nav-incontri", Sees::Everyone),
    (
        "/esperti",
        "Esperti",
        "nav-esperti",
        Sees::Caller("GET /api/v1/experts"),
    ),
    (
        "/fasi",
        "Fasi",
        "nav-fasi",
        Sees::Caller("POST /api/v1/phases"),
    ),
    (
        "/registrazioni",
        "Registrazioni",
        "nav-registrazioni",
        Sees::Caller("POST /api/v1/registrations/{id}/approve"),
    ),
    (
        "/amministrazione/utenti",
        "Utenti",
        "nav-utenti",
        Sees::Caller("GET /api/v1/users"),
    ),
    (
        "/amministrazione/registro",
        "Registro attività",
        "nav-registro",
        Sees::Caller("GET /api/v1/audit-events"),
    ),
];

#[component]
pub fn Header() -> impl IntoView {
    let session = use_session();
    let signed_in = Memo::new(move |_| session.is_signed_in());
    let location = use_location();
    let busy = RwSignal::new(false);

    let logout = move |_| {
        busy.set(true);
        spawn_local(async move {
            session.sign_out().await;
            busy.try_set(false);
        });
    };

    let current = move |path: &'static str| {
        let here = location.pathname.get();
        let on = if path == "/" {
            here == "/"
        } else {
            here == path || here.starts_with(&format!("{path}/"))
        };
        on.then_some("page")
    };

    view! {
        <header class="it-header-wrapper">
            <div class="it-header-slim-wrapper">
                <div class="container">
                    <div class="row">
                        <div class="col-12">
                            <div class="it-header-slim-wrapper-content">
                                <a
                                    class="d-lg-block navbar-brand"
                                    href="https://www.regione.lombardia.it"
                                    rel="external"
                                >
                                    "Regione Lombardia"
                                </a>
                                <Show when=move || signed_in.get()>
                                    <div class="it-header-slim-right-zone user-zone">
                                        <div class="user-info text-white text-end">
                                            <span id="user-name" class="fw-semibold">
                                                {move || session.full_name().unwrap_or_default()}
                                            </span>
                                            <span class="visually-hidden">", ruolo: "</span>
                                            <span id="user-roles" class="user-roles">
                                                {move || session.role_labels().join(", ")}
                                            </span>
                                        </div>
                                        <NotificationBell/>
                                        <button
                                            id="logout"
                                            type="button"
                                            class="btn btn-primary btn-icon btn-full"
                                            on:click=logout
                                            disabled=move || busy.get()
                                        >
                                            <span class="rounded-icon">
                                                <Icon name="it-logout" class="icon-primary"/>
                                            </span>
                                            <span>"Esci"</span>
                                        </button>
                                    </div>
                                </Show>
                            </div>
                        </div>
                    </div>
                </div>
            </div>
            <div class="it-nav-wrapper">
                <div class="it-header-center-wrapper">
                    <div class="container">
                        <div class="row">
                            <div class="col-12">
                                <div class="it-header-center-content-wrapper">
                                    <div class="it-brand-wrapper">
                                        <a href="/">
                                            <Icon name="it-pa"/>
                                            <div class="it-brand-text">
                                                <div class="it-brand-title">
                                                    "Affianca"
                                                    <span class="visually-hidden">" — "</span>
                                                </div>
                                                <div class="it-brand-tagline">
                                                    "Assistenza tecnica PNRR"
                                                </div>
                                            </div>
                                        </a>
                                    </div>
                                </div>
                            </div>
                        </div>
                    </div>
                </div>
                <Show when=move || signed_in.get()>
                    <div class="it-header-navbar-wrapper">
                        <div class="container">
                            <nav class="navbar navbar-expand affianca-nav" aria-label="Sezioni">
                                <ul class="navbar-nav">
                                    {move || SECTIONS
                                        .into_iter()
                                        .filter(|(.., sees)| match sees {
                                            Sees::Everyone => true,
                                            Sees::Caller(op) => session.may_call(op),
                                            Sees::Roles(roles) => session.has_any_role(roles),
                                        })
                                        .map(|(path, label, id, _)| {
                                            view! {
                                                <li class="nav-item">
                                                    <a
                                                        id=id
                                                        class="nav-link"
                                                        class:active=move || current(path).is_some()
                                                        href=path
                                                        aria-current=move || current(path)
                                                    >
                                                        <span>{label}</span>
                                                    </a>
                                                </li>
                                            }
                                        })
                                        .collect_view()}
                                </ul>
                            </nav>
                        </div>
                    </div>
                </Show>
            </div>
        </header>
    }
}
