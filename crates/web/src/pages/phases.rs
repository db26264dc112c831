//! `/fasi`: the programme phases (for the secretariat): list and creation. `/fasi/:id`: a phase,
//! the authorities it enables, enabling more by a list of ISTAT codes or a CSV file (all or
//! nothing: every unknown code is reported), and removal of one.

use crate::api::{self, ApiError};
use crate::components::choice::TextArea;
use crate::components::crumbs::{Crumbs, crumb};
use crate::components::feedback::{ErrorAlert, Loading};
use crate::components::form::{FieldErrors, field_error};
use crate::components::text_field::{SuccessMessage, TextField};
use crate::util::{focus_id, set_title};
use affianca_domain::dto::{Authority, CreatePhaseRequest, EnableAuthoritiesResult, Phase};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::{use_navigate, use_params_map};
use wasm_bindgen::JsCast;

/// Whether a phase has started, in words.
fn phase_state(p: &Phase) -> &'static str {
    if p.started { "Avviata" } else { "Programmata" }
}

/// A date in the Italian way, `01/03/2026`.
pub fn day(d: chrono::NaiveDate) -> String {
    use chrono::Datelike;
    format!("{:02}/{:02}/{}", d.day(), d.month(), d.year())
}

/// The codes typed or pasted in the text area: separated by spaces, commas, semicolons or lines.
pub fn split_codes(text: &str) -> Vec<String> {
    text.split(|c: char| c.is_whitespace() || c == ',' || c == ';')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// What an enablement did, in words.
fn enabled_message(r: &EnableAuthoritiesResult) -> String {
    let added = match r.added {
        1 => "1 ente abilitato".to_owned(),
        n => format!("{n} enti abilitati"),
    };
    match r.already_enabled {
        0 => format!("{added}."),
        1 => format!("{added}; 1 era già abilitato."),
        n => format!("{added}; {n} erano già abilitati."),
    }
}

#[component]
pub fn Phases() -> impl IntoView {
    set_title("Fasi del programma");
    let list = LocalResource::new(api::phases);
    view! {
        <Crumbs trail=vec![] here="Fasi del programma".to_owned()/>
        <h1 class="mb-2">"Fasi del programma"</h1>
        <p class="lead mb-4">
            "Ogni fase abilita un insieme di enti. Un ente può chiedere supporto quando la sua registrazione è approvata ed è abilitato da una fase avviata."
        </p>
        {move || match list.get() {
            None => view! { <Loading label="Caricamento delle fasi…"/> }.into_any(),
            Some(Err(e)) => view! { <ErrorAlert error=e/> }.into_any(),
            Some(Ok(items)) if items.is_empty() => view! { <p id="phases-empty">"Nessuna fase per ora."</p> }.into_any(),
            Some(Ok(items)) => {
                view! {
                    <div class="table-responsive">
                        <table id="phases-table" class="table align-middle">
                            <thead>
                                <tr>
                                    <th scope="col">"Fase"</th>
                                    <th scope="col">"Inizio"</th>
                                    <th scope="col">"Stato"</th>
                                    <th scope="col" class="text-end">"Enti abilitati"</th>
                                </tr>
                            </thead>
                            <tbody>
                                {items
                                    .into_iter()
                                    .map(|p| {
                                        view! {
                                            <tr data-phase-id=p.id.to_string()>
                                                <th scope="row" class="fw-normal">
                                                    <a href=format!("/fasi/{}", p.id)>{p.name.clone()}</a>
                                                </th>
                                                <td>{day(p.start_date)}</td>
                                                <td>{phase_state(&p)}</td>
                                                <td class="text-end">{p.authorities}</td>
                                            </tr>
                                        }
                                    })
                                    .collect_view()}
                            </tbody>
                        </table>
                    </div>
                }
                    .into_any()
            }
        }}
        <NewPhaseForm/>
    }
}

#[component]
fn NewPhaseForm() -> impl IntoView {
    let navigate = use_navigate();
    let name = RwSignal::new(String::new());
    let start = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let errors = FieldErrors::new();
    let failure = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let mut errs = Vec::new();
        if name.get_untracked().trim().is_empty() {
            errs.push(field_error("name", "il nome della fase"));
        }
        let date = start
            .get_untracked()
            .parse::<chrono::NaiveDate>()
            .map_err(|_| errs.push(field_error("start_date", "una data valida")))
            .ok();
        failure.set(None);
        if !errs.is_empty() {
            errors.set(errs);
            return;
        }
        let Some(start_date) = date else { return };
        let body = CreatePhaseRequest {
            name: name.get_untracked().trim().to_owned(),
            start_date,
            description: description.get_untracked().trim().to_owned(),
        };
        busy.set(true);
        let navigate = navigate.clone();
        spawn_local(async move {
            let result = api::create_phase(&body).await;
            busy.try_set(false);
            match result {
                Ok(p) => navigate(&format!("/fasi/{}", p.id), Default::default()),
                Err(e) => {
                    errors.set_from(&e);
                    failure.try_set(Some(e));
                }
            }
        });
    };
    view! {
        <section class="mt-5" aria-labelledby="new-phase-title">
            <h2 id="new-phase-title" class="h4">"Nuova fase"</h2>
            {move || failure.get().map(|e| view! { <ErrorAlert error=e/> })}
            <form id="new-phase-form" class="d-grid gap-3" novalidate on:submit=submit>
                <div class="row g-3">
                    <div class="col-md-8">
                        <TextField id="phase-name" field="name" label="Nome" value=name errors=errors/>
                    </div>
                    <div class="col-md-4">
                        <TextField id="phase-start" field="start_date" label="Data di inizio" kind="date" value=start errors=errors/>
                    </div>
                </div>
                <TextArea id="phase-description" field="description" label="Descrizione" value=description errors=errors/>
                <div>
                    <button id="create-phase" type="submit" class="btn btn-primary" aria-disabled=move || busy.get().then_some("true")>
                        "Crea la fase"
                    </button>
                </div>
            </form>
        </section>
    }
}

#[component]
pub fn PhaseDetail() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").and_then(|s| s.parse::<i64>().ok())));
    let version = RwSignal::new(0_u32);
    let phase = LocalResource::new(move || {
        version.track();
        let id = id.get();
        async move {
            match id {
                Some(id) => api::phase(id).await,
                None => Err(ApiError::Status(404)),
            }
        }
    });
    let authorities = LocalResource::new(move || {
        version.track();
        let id = id.get();
        async move {
            match id {
                Some(id) => api::phase_authorities(id).await,
                None => Err(ApiError::Status(404)),
            }
        }
    });
    let news = RwSignal::new(None::<String>);
    let reload = Callback::new(move |()| version.update(|v| *v += 1));
    let name = move || {
        phase
            .get()
            .and_then(Result::ok)
            .map(|p| p.name)
            .unwrap_or_else(|| "Fase".to_owned())
    };
    Effect::new(move |_| set_title(&name()));

    view! {
        <Crumbs trail=vec![crumb("/fasi", "Fasi del programma")] here=Signal::derive(name)/>
        <h1 class="mb-3">{name}</h1>
        {move || {
            phase
                .get()
                .map(|r| match r {
                    Err(e) => view! { <ErrorAlert error=e/> }.into_any(),
                    Ok(p) => {
                        view! {
                            <dl class="row" id="phase-summary">
                                <dt class="col-sm-3">"Inizio"</dt>
                                <dd class="col-sm-9">{day(p.start_date)} " — " {phase_state(&p)}</dd>
                                <dt class="col-sm-3">"Enti abilitati"</dt>
                                <dd class="col-sm-9" data-field="authorities">{p.authorities}</dd>
                                <dt class="col-sm-3">"Descrizione"</dt>
                                <dd class="col-sm-9 preserve-lines">{p.description.clone()}</dd>
                            </dl>
                        }
                            .into_any()
                    }
                })
        }}
        <SuccessMessage id="phase-news" message=news/>
        {move || id.get().map(|id| view! { <EnableForm id=id news=news reload=reload/> })}
        <section class="mt-5" aria-labelledby="phase-authorities-title">
            <h2 id="phase-authorities-title" class="h4">"Enti abilitati dalla fase"</h2>
            {move || match (authorities.get(), id.get()) {
                (Some(Ok(items)), Some(id)) => view! { <PhaseAuthorities id=id items=items news=news reload=reload/> }.into_any(),
                (Some(Err(e)), _) => view! { <ErrorAlert error=e/> }.into_any(),
                _ => view! { <Loading label="Caricamento degli enti…"/> }.into_any(),
            }}
        </section>
    }
}

#[component]
fn EnableForm(id: i64, news: RwSignal<Option<String>>, reload: Callback<()>) -> impl IntoView {
    let codes = RwSignal::new(String::new());
    let errors = FieldErrors::new();
    let failure = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let done = move |result: Result<EnableAuthoritiesResult, ApiError>| {
        busy.try_set(false);
        match result {
            Ok(r) => {
                codes.try_set(String::new());
                news.try_set(Some(enabled_message(&r)));
                focus_id("phase-news");
                reload.run(());
            }
            Err(e) => {
                failure.try_set(Some(e));
                focus_id("enable-title");
            }
        }
    };
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let list = split_codes(&codes.get_untracked());
        failure.set(None);
        news.set(None);
        if list.is_empty() {
            errors.set(vec![field_error("istat_codes", "almeno un codice ISTAT")]);
            return;
        }
        busy.set(true);
        spawn_local(async move { done(api::enable_authorities(id, list).await) });
    };
    let upload = move |ev: leptos::ev::Event| {
        let Some(input) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        else {
            return;
        };
        let Some(file) = input.files().and_then(|f| f.get(0)) else {
            return;
        };
        input.set_value("");
        failure.set(None);
        news.set(None);
        busy.set(true);
        spawn_local(async move { done(api::enable_authorities_csv(id, &file).await) });
    };
    view! {
        <section class="mt-4" aria-labelledby="enable-title">
            <h2 id="enable-title" class="h4" tabindex="-1">"Abilita enti"</h2>
            <p>
                "Incollare i codici ISTAT (separati da spazi, virgole o a capo) oppure caricare un file CSV con il codice nella prima colonna. "
                "Se un codice non è valido non viene abilitato nessun ente e l'elenco degli errori indica quali correggere."
            </p>
            {move || failure.get().map(|e| view! { <ErrorAlert error=e/> })}
            <form id="enable-form" class="d-grid gap-3" novalidate on:submit=submit>
                <TextArea id="enable-codes" field="istat_codes" label="Codici ISTAT" value=codes errors=errors hint="Per esempio: 016024 017029 097042"/>
                <div class="d-flex flex-wrap align-items-center gap-3">
                    <button id="enable-submit" type="submit" class="btn btn-primary" aria-disabled=move || busy.get().then_some("true")>
                        "Abilita"
                    </button>
                    <input id="enable-csv" type="file" accept=".csv,text/csv" class="visually-hidden file-picker" on:change=upload/>
                    <label for="enable-csv" class="btn btn-outline-primary mb-0">"Carica un file CSV"</label>
                </div>
            </form>
        </section>
    }
}

#[component]
fn PhaseAuthorities(
    id: i64,
    items: Vec<Authority>,
    news: RwSignal<Option<String>>,
    reload: Callback<()>,
) -> impl IntoView {
    if items.is_empty() {
        return view! { <p id="phase-authorities-empty">"Nessun ente abilitato per ora."</p> }
            .into_any();
    }
    let failure = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let remove = Callback::new(move |a: Authority| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        failure.set(None);
        news.set(None);
        spawn_local(async move {
            let result = api::remove_phase_authority(id, &a.istat_code).await;
            busy.try_set(false);
            match result {
                Ok(()) => {
                    news.try_set(Some(format!("{} non è più abilitato dalla fase.", a.name)));
                    focus_id("phase-news");
                    reload.run(());
                }
                Err(e) => {
                    failure.try_set(Some(e));
                }
            }
        });
    });
    view! {
        {move || failure.get().map(|e| view! { <ErrorAlert error=e/> })}
        <div class="table-responsive">
            <table id="phase-authorities" class="table align-middle">
                <thead>
                    <tr>
                        <th scope="col">"Codice ISTAT"</th>
                        <th scope="col">"Ente"</th>
                        <th scope="col">"Provincia"</th>
                        <th scope="col"><span class="visually-hidden">"Azioni"</span></th>
                    </tr>
                </thead>
                <tbody>
                    {items
                        .into_iter()
                        .map(|a| {
                            let code = a.istat_code.to_string();
                            let name = a.name.clone();
                            let authority = a.clone();
                            view! {
                                <tr data-istat-code=code.clone()>
                                    <td>{code.clone()}</td>
                                    <th scope="row" class="fw-normal"><a href=format!("/enti/{code}")>{a.name.clone()}</a></th>
                                    <td>{a.province_name.clone().unwrap_or_else(|| "—".to_owned())}</td>
                                    <td class="text-end">
                                        <button
                                            id=format!("remove-{code}")
                                            type="button"
                                            class="btn btn-outline-danger btn-sm"
                                            aria-disabled=move || busy.get().then_some("true")
                                            on:click=move |_| remove.run(authority.clone())
                                        >
                                            "Rimuovi"
                                            <span class="visually-hidden">{format!(" {name}")}</span>
                                        </button>
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::split_codes;

    #[test]
    fn codes_are_split_on_any_separator() {
        assert_eq!(
            split_codes("016024, 017029;\n097042  015146\r\n"),
            ["016024", "017029", "097042", "015146"]
        );
        assert!(split_codes(" \n ,; ").is_empty());
    }
}
