//! `/enti/:istat_code`: one authority.

use crate::api;
use crate::app::LastDirectoryUrl;
use crate::components::feedback::{ErrorAlert, Loading};
use crate::components::icon::Icon;
use crate::pages::delegates::manages_delegates;
use crate::session::use_session;
use crate::util::set_title;
use affianca_domain::IstatCode;
use affianca_domain::dto::{Authority, ProgrammeStatus};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

#[component]
pub fn AuthorityDetail() -> impl IntoView {
    let params = use_params_map();
    let back = expect_context::<LastDirectoryUrl>().0;
    let code = Memo::new(move |_| params.with(|p| p.get("istat_code").unwrap_or_default()));
    let authority = LocalResource::new(move || {
        let code = code.get();
        async move {
            match IstatCode::parse(&code) {
                Ok(code) => api::authority(&code).await.map(Some),
                // A malformed code cannot name an authority: no need to ask.
                Err(_) => Ok(None),
            }
        }
    });

    view! {
        <nav class="breadcrumb-container" aria-label="Percorso">
            <ol class="breadcrumb">
                <li class="breadcrumb-item">
                    <a href="/">"Home"</a>
                    <span class="separator" aria-hidden="true">"/"</span>
                </li>
                <li class="breadcrumb-item">
                    <a href=move || back.get()>"Enti"</a>
                    <span class="separator" aria-hidden="true">"/"</span>
                </li>
                <li class="breadcrumb-item active" aria-current="page">{move || code.get()}</li>
            </ol>
        </nav>
        {move || match authority.get() {
            None => view! { <Loading label="Caricamento dell'ente…"/> }.into_any(),
            Some(Ok(Some(a))) => {
                set_title(&a.name);
                view! { <Details authority=a/> }.into_any()
            }
            Some(Ok(None)) => view! { <NotFoundAuthority code=code.get_untracked()/> }.into_any(),
            Some(Err(e)) if e.is_not_found() => {
                view! { <NotFoundAuthority code=code.get_untracked()/> }.into_any()
            }
            Some(Err(e)) => {
                set_title("Errore");
                view! { <ErrorAlert error=e/> }.into_any()
            }
        }}
        <p class="mt-4">
            <a id="back-to-list" href=move || back.get() class="btn btn-outline-primary">
                <Icon name="it-arrow-left" class="icon-primary icon-sm me-1"/>
                "Torna all'elenco degli enti"
            </a>
        </p>
    }
}

#[component]
fn Details(authority: Authority) -> impl IntoView {
    let a = authority;
    let session = use_session();
    let code = a.istat_code.clone();
    let province = match (&a.province_name, &a.province) {
        (Some(name), Some(code)) => Some((
            format!("{name} ({code})"),
            format!("/enti?provincia={code}"),
        )),
        (None, Some(code)) => Some((code.to_string(), format!("/enti?provincia={code}"))),
        _ => None,
    };
    let dash = || "—".to_owned();
    view! {
        <h1 id="authority-name" class="mb-1">{a.name.clone()}</h1>
        <p class="lead mb-4">
            {a.kind.label()}
            {(!a.active).then(|| view! { <span class="badge bg-secondary ms-2">"cessato"</span> })}
        </p>
        <dl class="row authority-fields" data-testid="authority-fields">
            <dt class="col-sm-4 col-lg-3">"Codice ISTAT"</dt>
            <dd class="col-sm-8 col-lg-9 font-monospace" data-field="istat_code">{a.istat_code.to_string()}</dd>
            <dt class="col-sm-4 col-lg-3">"Nome"</dt>
            <dd class="col-sm-8 col-lg-9" data-field="name">{a.name.clone()}</dd>
            <dt class="col-sm-4 col-lg-3">"Tipo"</dt>
            <dd class="col-sm-8 col-lg-9" data-field="kind">{a.kind.label()}</dd>
            <dt class="col-sm-4 col-lg-3">"Provincia"</dt>
            <dd class="col-sm-8 col-lg-9" data-field="province">
                {match province {
                    Some((label, href)) => {
                        view! {
                            {label}
                            " · "
                            <a href=href>"enti della provincia"</a>
                        }
                            .into_any()
                    }
                    None => dash().into_any(),
                }}
            </dd>
            <dt class="col-sm-4 col-lg-3">"Codice catastale"</dt>
            <dd class="col-sm-8 col-lg-9 font-monospace" data-field="cadastral_code">
                {a.cadastral_code.clone().unwrap_or_else(dash)}
            </dd>
            <dt class="col-sm-4 col-lg-3">"Codice fiscale"</dt>
            <dd class="col-sm-8 col-lg-9 font-monospace" data-field="fiscal_code">
                {a.fiscal_code.clone().unwrap_or_else(dash)}
            </dd>
            <dt class="col-sm-4 col-lg-3">"Stato"</dt>
            <dd class="col-sm-8 col-lg-9" data-field="active">
                {if a.active { "Attivo" } else { "Cessato (codice non più presente nell'elenco ISTAT)" }}
            </dd>
        </dl>
        <ProgrammeStatusSection code=a.istat_code.clone()/>
        // The representative and the secretariat manage the delegates.
        {move || {
            manages_delegates(session, &code)
                .then(|| {
                    view! {
                        <p class="mt-4">
                            <a id="authority-delegates" class="btn btn-primary" href=format!("/enti/{code}/delegati")>
                                <Icon name="it-user" class="icon-white icon-sm me-1"/>
                                "Delegati dell'ente"
                            </a>
                        </p>
                    }
                })
        }}
    }
}

/// `2026-01-15` → `15/01/2026`.
fn italian_date(iso: &str) -> String {
    let mut parts = iso.splitn(3, '-');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(y), Some(m), Some(d)) => format!("{d}/{m}/{y}"),
        _ => iso.to_owned(),
    }
}

/// Whether the authority may ask for support, its registration and the phases enabling it.
#[component]
fn ProgrammeStatusSection(code: IstatCode) -> impl IntoView {
    let status = LocalResource::new(move || {
        let code = code.clone();
        async move { api::programme_status(&code).await }
    });
    view! {
        <section class="mt-4" id="programme-status" aria-labelledby="programme-status-title">
            <h2 id="programme-status-title" class="h4">"Programma"</h2>
            {move || match status.get() {
                None => view! { <Loading label="Caricamento dello stato nel programma…"/> }.into_any(),
                Some(Ok(s)) => view! { <StatusFields status=s/> }.into_any(),
                // Outside the caller's scope (DOMAIN.md §2): nothing to show.
                Some(Err(api::ApiError::Problem(p))) if p.status == 404 => {
                    view! { <p id="programme-status-scope" class="text-muted">"Lo stato nel programma è visibile all'ente, alla Segreteria Tecnica, agli esperti e all'ufficio della sua provincia."</p> }.into_any()
                }
                Some(Err(e)) => view! { <ErrorAlert error=e/> }.into_any(),
            }}
        </section>
    }
}

#[component]
fn StatusFields(status: ProgrammeStatus) -> impl IntoView {
    let s = status;
    let may = s.may_request_support;
    view! {
        <p id="may-request-support" data-may=may.to_string() class="fw-semibold">
            "Può chiedere supporto: "
            <span class=if may { "badge bg-success" } else { "badge bg-secondary" }>{if may { "sì" } else { "no" }}</span>
        </p>
        <dl class="row">
            <dt class="col-sm-4 col-lg-3">"Adesione"</dt>
            <dd class="col-sm-8 col-lg-9" data-field="registration_status">
                {s.registration_status.map_or("nessuna richiesta di adesione", |r| r.label())}
            </dd>
        </dl>
        {if s.phases.is_empty() {
            view! { <p data-testid="no-phases">"Nessuna fase del programma abilita l'ente."</p> }.into_any()
        } else {
            view! {
                <table id="programme-phases" class="table table-sm">
                    <caption>"Fasi che abilitano l'ente"</caption>
                    <thead>
                        <tr>
                            <th scope="col">"Fase"</th>
                            <th scope="col">"Inizio"</th>
                            <th scope="col">"Stato"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {s
                            .phases
                            .into_iter()
                            .map(|p| {
                                view! {
                                    <tr data-phase-id=p.id.to_string()>
                                        <td>{p.name}</td>
                                        <td>{italian_date(&p.start_date.to_string())}</td>
                                        <td>{if p.started { "avviata" } else { "non ancora avviata" }}</td>
                                    </tr>
                                }
                            })
                            .collect_view()}
                    </tbody>
                </table>
            }
                .into_any()
        }}
    }
}

#[component]
fn NotFoundAuthority(code: String) -> impl IntoView {
    set_title("Ente non trovato");
    view! {
        <div class="callout warning" data-testid="authority-not-found">
            <div class="callout-title">
                <Icon name="it-info-circle"/>
                <span class="text">"Attenzione"</span>
            </div>
            <h1 class="h3">"Ente non trovato"</h1>
            <p>
                "Nessun ente ha il codice ISTAT «" {code} "», oppure l'ente non è tra quelli che è possibile consultare."
            </p>
        </div>
    }
}
