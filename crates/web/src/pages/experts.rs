//! `/esperti`: the directory of the programme's experts (for programme staff), with filters by
//! task force, province and name; the secretariat adds experts here. `/esperti/:id`: a profile,
//! which the secretariat edits in full (and appoints coordinators) and the expert edits in the
//! part that is theirs (the professional profile).

use crate::api::{self, ApiError};
use crate::components::choice::{CheckGroup, TextArea};
use crate::components::crumbs::{Crumbs, crumb};
use crate::components::feedback::{ErrorAlert, Loading};
use crate::components::form::{FieldErrors, field_error};
use crate::components::text_field::{SuccessMessage, TextField};
use crate::session::use_session;
use crate::util::{focus_id, set_title};
use affianca_domain::dto::{CreateExpertRequest, ExpertProfile, Province, UpdateExpertRequest};
use affianca_domain::links;
use affianca_domain::{Email, ProvinceCode, Role, TaskForce, UserId};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::{use_navigate, use_params_map};

fn task_force_options() -> Vec<(String, String)> {
    TaskForce::ALL
        .into_iter()
        .map(|t| (t.code().to_owned(), t.name_it().to_owned()))
        .collect()
}

fn province_options(provinces: &[Province]) -> Vec<(String, String)> {
    provinces
        .iter()
        .map(|p| (p.code.to_string(), p.name.clone()))
        .collect()
}

/// Task forces in words, comma-separated.
fn task_force_names(tfs: &[TaskForce]) -> String {
    tfs.iter()
        .map(|t| t.name_it())
        .collect::<Vec<_>>()
        .join(", ")
}

fn province_list(ps: &[ProvinceCode]) -> String {
    if ps.is_empty() {
        "—".to_owned()
    } else {
        ps.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The fields shared by the creation and the edit forms, checked on the client: at least one task
/// force, valid provinces, a load between 1 and 50.
#[derive(Clone, Copy)]
struct ProfileFields {
    task_forces: RwSignal<Vec<String>>,
    provinces: RwSignal<Vec<String>>,
    profile: RwSignal<String>,
    max: RwSignal<String>,
}

impl ProfileFields {
    fn new(p: Option<&ExpertProfile>) -> Self {
        Self {
            task_forces: RwSignal::new(
                p.map(|p| p.task_forces.iter().map(|t| t.code().to_owned()).collect())
                    .unwrap_or_default(),
            ),
            provinces: RwSignal::new(
                p.map(|p| p.provinces.iter().map(ToString::to_string).collect())
                    .unwrap_or_default(),
            ),
            profile: RwSignal::new(
                p.map(|p| p.professional_profile.clone())
                    .unwrap_or_default(),
            ),
            max: RwSignal::new(p.map_or(5, |p| p.max_concurrent_requests).to_string()),
        }
    }

    fn check(
        &self,
        errors: &mut Vec<affianca_domain::dto::FieldError>,
    ) -> (Vec<TaskForce>, Vec<ProvinceCode>, i32) {
        let tfs: Vec<TaskForce> = self
            .task_forces
            .get_untracked()
            .iter()
            .filter_map(|c| TaskForce::parse(c).ok())
            .collect();
        if tfs.is_empty() {
            errors.push(field_error(
                "task_forces",
                "scegliere almeno una task force",
            ));
        }
        let provinces = self
            .provinces
            .get_untracked()
            .iter()
            .filter_map(|c| ProvinceCode::parse(c).ok())
            .collect();
        let max = match self.max.get_untracked().trim().parse::<i32>() {
            Ok(n) if (1..=50).contains(&n) => n,
            _ => {
                errors.push(field_error(
                    "max_concurrent_requests",
                    "un numero intero da 1 a 50",
                ));
                0
            }
        };
        (tfs, provinces, max)
    }
}

#[component]
pub fn Experts() -> impl IntoView {
    set_title("Esperti");
    let session = use_session();
    let task_force = RwSignal::new(String::new());
    let province = RwSignal::new(String::new());
    let q = RwSignal::new(String::new());
    let version = RwSignal::new(0_u32);
    let provinces = LocalResource::new(api::provinces);
    let list = LocalResource::new(move || {
        version.track();
        let tf = TaskForce::parse(&task_force.get()).ok();
        let pr = ProvinceCode::parse(&province.get()).ok();
        let q = q.get();
        async move { api::experts(tf, pr, &q).await }
    });
    let secretariat = move || session.has_role(Role::Secretariat);

    view! {
        <Crumbs trail=vec![] here="Esperti".to_owned()/>
        <h1 class="mb-2">"Esperti"</h1>
        <p class="lead mb-4">
            "Gli esperti del programma, con le task force in cui lavorano, le province che seguono e il numero massimo di richieste contemporanee."
        </p>
        <form class="row g-3 align-items-end mb-4" role="search" on:submit=|ev: SubmitEvent| ev.prevent_default()>
            <div class="col-md-4">
                <div class="select-wrapper">
                    <label for="filter-task-force">"Task force"</label>
                    <select id="filter-task-force" on:change=move |ev| task_force.set(event_target_value(&ev))>
                        <option value="">"Tutte"</option>
                        {TaskForce::ALL
                            .into_iter()
                            .map(|t| view! { <option value=t.code()>{t.name_it()}</option> })
                            .collect_view()}
                    </select>
                </div>
            </div>
            <div class="col-md-4">
                <div class="select-wrapper">
                    <label for="filter-province">"Provincia"</label>
                    <select id="filter-province" on:change=move |ev| province.set(event_target_value(&ev))>
                        <option value="">"Tutte"</option>
                        {move || {
                            provinces
                                .get()
                                .and_then(Result::ok)
                                .unwrap_or_default()
                                .into_iter()
                                .map(|p| view! { <option value=p.code.to_string()>{p.name}</option> })
                                .collect_view()
                        }}
                    </select>
                </div>
            </div>
            <div class="col-md-4 form-group mb-0">
                <label for="filter-q" class="active">"Nome"</label>
                <input
                    id="filter-q"
                    type="search"
                    class="form-control"
                    autocomplete="off"
                    on:change=move |ev| q.set(event_target_value(&ev))
                />
            </div>
        </form>
        {move || match list.get() {
            None => view! { <Loading label="Caricamento degli esperti…"/> }.into_any(),
            Some(Err(e)) => view! { <ErrorAlert error=e/> }.into_any(),
            Some(Ok(items)) => view! { <ExpertsTable items=items/> }.into_any(),
        }}
        <Show when=secretariat>
            {move || {
                provinces
                    .get()
                    .and_then(Result::ok)
                    .map(|ps| {
                        view! {
                            <NewExpertForm provinces=ps reload=Callback::new(move |()| version.update(|v| *v += 1))/>
                        }
                    })
            }}
        </Show>
    }
}

#[component]
fn ExpertsTable(items: Vec<ExpertProfile>) -> impl IntoView {
    if items.is_empty() {
        return view! { <p id="experts-empty">"Nessun esperto corrisponde ai filtri."</p> }
            .into_any();
    }
    let count = match items.len() {
        1 => "1 esperto".to_owned(),
        n => format!("{n} esperti"),
    };
    view! {
        <p id="experts-count" class="small text-secondary" role="status">{count}</p>
        <div class="table-responsive">
            <table id="experts-table" class="table align-middle">
                <thead>
                    <tr>
                        <th scope="col">"Nome"</th>
                        <th scope="col">"Task force"</th>
                        <th scope="col">"Province"</th>
                        <th scope="col" class="text-end">"Richieste max"</th>
                    </tr>
                </thead>
                <tbody>
                    {items
                        .into_iter()
                        .map(|e| {
                            view! {
                                <tr data-user-id=e.user_id.to_string()>
                                    <th scope="row" class="fw-normal">
                                        <a href=links::expert(e.user_id.0)>{e.full_name.clone()}</a>
                                        {(!e.coordinator_of.is_empty())
                                            .then(|| view! { <span class="badge bg-primary ms-2">"Coordinatore"</span> })}
                                    </th>
                                    <td>{task_force_names(&e.task_forces)}</td>
                                    <td>{province_list(&e.provinces)}</td>
                                    <td class="text-end">{e.max_concurrent_requests}</td>
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

#[component]
fn NewExpertForm(provinces: Vec<Province>, reload: Callback<()>) -> impl IntoView {
    let navigate = use_navigate();
    let email = RwSignal::new(String::new());
    let full_name = RwSignal::new(String::new());
    let fields = ProfileFields::new(None);
    let (task_forces, province_sel, profile, max) = (
        fields.task_forces,
        fields.provinces,
        fields.profile,
        fields.max,
    );
    let errors = FieldErrors::new();
    let failure = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let mut errs = Vec::new();
        let parsed_email = Email::parse(email.get_untracked().trim())
            .map_err(|_| errs.push(field_error("email", "un indirizzo email valido")))
            .ok();
        if full_name.get_untracked().trim().is_empty() {
            errs.push(field_error("full_name", "il nome e cognome"));
        }
        let (tfs, provinces, max_n) = fields.check(&mut errs);
        failure.set(None);
        if !errs.is_empty() {
            errors.set(errs);
            focus_id("new-expert-title");
            return;
        }
        let Some(email) = parsed_email else { return };
        let body = CreateExpertRequest {
            email,
            full_name: full_name.get_untracked().trim().to_owned(),
            task_forces: tfs,
            provinces,
            professional_profile: profile.get_untracked().trim().to_owned(),
            max_concurrent_requests: max_n,
        };
        busy.set(true);
        let navigate = navigate.clone();
        spawn_local(async move {
            let result = api::create_expert(&body).await;
            busy.try_set(false);
            match result {
                Ok(e) => {
                    reload.run(());
                    navigate(
                        &format!("{}?nuovo=1", links::expert(e.user_id.0)),
                        Default::default(),
                    );
                }
                Err(e) => {
                    errors.set_from(&e);
                    failure.try_set(Some(e));
                }
            }
        });
    };
    view! {
        <section class="mt-5" aria-labelledby="new-expert-title">
            <h2 id="new-expert-title" class="h4" tabindex="-1">"Nuovo esperto"</h2>
            <p>
                "L'esperto riceve per email un collegamento per scegliere la password (valido 7 giorni)."
            </p>
            {move || failure.get().map(|e| view! { <ErrorAlert error=e/> })}
            <form id="new-expert-form" class="d-grid gap-3" novalidate on:submit=submit>
                <div class="row g-3">
                    <div class="col-md-6">
                        <TextField id="expert-email" field="email" label="Email" kind="email" value=email errors=errors/>
                    </div>
                    <div class="col-md-6">
                        <TextField id="expert-name" field="full_name" label="Nome e cognome" value=full_name errors=errors/>
                    </div>
                </div>
                <CheckGroup id="expert-tf" field="task_forces" legend="Task force" options=task_force_options() selected=task_forces errors=errors/>
                <CheckGroup
                    id="expert-provinces"
                    field="provinces"
                    legend="Province seguite"
                    options=province_options(&provinces)
                    selected=province_sel
                    errors=errors
                />
                <TextArea id="expert-profile" field="professional_profile" label="Profilo professionale" value=profile errors=errors/>
                <div class="col-md-4">
                    <TextField
                        id="expert-max"
                        field="max_concurrent_requests"
                        label="Richieste contemporanee (massimo)"
                        kind="number"
                        inputmode="numeric"
                        value=max
                        errors=errors
                    />
                </div>
                <div>
                    <button id="create-expert" type="submit" class="btn btn-primary" aria-disabled=move || busy.get().then_some("true")>
                        "Aggiungi esperto"
                    </button>
                </div>
            </form>
        </section>
    }
}

#[component]
pub fn ExpertDetail() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| {
        params.with(|p| p.get("id").and_then(|s| s.parse::<i64>().ok()).map(UserId))
    });
    let version = RwSignal::new(0_u32);
    let loaded = LocalResource::new(move || {
        version.track();
        let id = id.get();
        async move {
            match id {
                Some(id) => api::expert(id).await,
                None => Err(ApiError::Status(404)),
            }
        }
    });
    let provinces = LocalResource::new(api::provinces);
    let news = RwSignal::new(
        leptos_router::hooks::use_query_map()
            .with_untracked(|q| q.get_str("nuovo").is_some())
            .then(|| {
                "Esperto aggiunto: gli è stata inviata l'email per scegliere la password."
                    .to_owned()
            }),
    );
    let name = move || {
        loaded
            .get()
            .and_then(Result::ok)
            .map(|(e, _)| e.full_name)
            .unwrap_or_else(|| "Esperto".to_owned())
    };
    Effect::new(move |_| set_title(&name()));
    let reload = Callback::new(move |()| version.update(|v| *v += 1));

    view! {
        <Crumbs trail=vec![crumb("/esperti", "Esperti")] here=Signal::derive(name)/>
        <h1 id="expert-title" class="mb-3">{name}</h1>
        <SuccessMessage id="expert-news" message=news/>
        {move || match (loaded.get(), provinces.get()) {
            (Some(Err(e)), _) | (_, Some(Err(e))) => view! { <ErrorAlert error=e/> }.into_any(),
            (Some(Ok((e, etag))), Some(Ok(ps))) => {
                view! { <ExpertProfileView expert=e etag=etag provinces=ps news=news reload=reload/> }.into_any()
            }
            _ => view! { <Loading label="Caricamento del profilo…"/> }.into_any(),
        }}
    }
}

#[component]
fn ExpertProfileView(
    expert: ExpertProfile,
    etag: String,
    provinces: Vec<Province>,
    news: RwSignal<Option<String>>,
    reload: Callback<()>,
) -> impl IntoView {
    let session = use_session();
    let secretariat = session.has_role(Role::Secretariat);
    let own = session.user_id() == Some(expert.user_id);
    let fields = ProfileFields::new(Some(&expert));
    let (task_forces, province_sel, profile, max) = (
        fields.task_forces,
        fields.provinces,
        fields.profile,
        fields.max,
    );
    let errors = FieldErrors::new();
    let failure = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let id = expert.user_id;
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let mut errs = Vec::new();
        let body = if secretariat {
            let (tfs, ps, max_n) = fields.check(&mut errs);
            UpdateExpertRequest {
                task_forces: Some(tfs),
                provinces: Some(ps),
                professional_profile: Some(profile.get_untracked().trim().to_owned()),
                max_concurrent_requests: Some(max_n),
            }
        } else {
            UpdateExpertRequest {
                task_forces: None,
                provinces: None,
                professional_profile: Some(profile.get_untracked().trim().to_owned()),
                max_concurrent_requests: None,
            }
        };
        failure.set(None);
        news.set(None);
        if !errs.is_empty() {
            errors.set(errs);
            return;
        }
        busy.set(true);
        let etag = etag.clone();
        spawn_local(async move {
            let result = api::update_expert(id, &etag, &body).await;
            busy.try_set(false);
            match result {
                Ok(_) => {
                    news.try_set(Some("Profilo salvato.".to_owned()));
                    focus_id("expert-news");
                    reload.run(());
                }
                Err(e) => {
                    errors.set_from(&e);
                    failure.try_set(Some(e));
                }
            }
        });
    };
    let editable = secretariat || own;
    view! {
        <dl class="row mb-4" id="expert-summary">
            <dt class="col-sm-3">"Email"</dt>
            <dd class="col-sm-9" data-field="email">{expert.email.to_string()}</dd>
            <dt class="col-sm-3">"Task force"</dt>
            <dd class="col-sm-9" data-field="task_forces">{task_force_names(&expert.task_forces)}</dd>
            <dt class="col-sm-3">"Coordina"</dt>
            <dd class="col-sm-9" data-field="coordinator_of">
                {if expert.coordinator_of.is_empty() {
                    "—".to_owned()
                } else {
                    task_force_names(&expert.coordinator_of)
                }}
            </dd>
            <dt class="col-sm-3">"Province seguite"</dt>
            <dd class="col-sm-9" data-field="provinces">{province_list(&expert.provinces)}</dd>
            <dt class="col-sm-3">"Richieste contemporanee"</dt>
            <dd class="col-sm-9" data-field="max_concurrent_requests">{expert.max_concurrent_requests}</dd>
            <dt class="col-sm-3">"Profilo professionale"</dt>
            <dd class="col-sm-9 preserve-lines" data-field="professional_profile">
                {if expert.professional_profile.is_empty() { "—".to_owned() } else { expert.professional_profile.clone() }}
            </dd>
        </dl>
        {editable
            .then(|| {
                view! {
                    <section aria-labelledby="edit-expert-title">
                        <h2 id="edit-expert-title" class="h4">"Modifica il profilo"</h2>
                        {(!secretariat)
                            .then(|| {
                                view! {
                                    <p>"Task force, province e carico massimo sono stabiliti dalla Segreteria Tecnica."</p>
                                }
                            })}
                        {move || failure.get().map(|e| view! { <ErrorAlert error=e/> })}
                        <form id="edit-expert-form" class="d-grid gap-3" novalidate on:submit=submit.clone()>
                            {secretariat
                                .then(|| {
                                    view! {
                                        <CheckGroup id="edit-tf" field="task_forces" legend="Task force" options=task_force_options() selected=task_forces errors=errors/>
                                        <CheckGroup
                                            id="edit-provinces"
                                            field="provinces"
                                            legend="Province seguite"
                                            options=province_options(&provinces)
                                            selected=province_sel
                                            errors=errors
                                        />
                                        <div class="col-md-4">
                                            <TextField
                                                id="edit-max"
                                                field="max_concurrent_requests"
                                                label="Richieste contemporanee (massimo)"
                                                kind="number"
                                                inputmode="numeric"
                                                value=max
                                                errors=errors
                                            />
                                        </div>
                                    }
                                })}
                            <TextArea id="edit-profile" field="professional_profile" label="Profilo professionale" value=profile errors=errors rows=5/>
                            <div>
                                <button id="save-expert" type="submit" class="btn btn-primary" aria-disabled=move || busy.get().then_some("true")>
                                    "Salva"
                                </button>
                            </div>
                        </form>
                    </section>
                }
            })}
        {secretariat.then(|| view! { <Coordination expert=expert.clone() news=news reload=reload/> })}
    }
}

/// The secretariat appoints the expert coordinator of their task forces, or removes them.
#[component]
fn Coordination(
    expert: ExpertProfile,
    news: RwSignal<Option<String>>,
    reload: Callback<()>,
) -> impl IntoView {
    let failure = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let id = expert.user_id;
    let act = Callback::new(move |(tf, appoint): (TaskForce, bool)| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        failure.set(None);
        news.set(None);
        spawn_local(async move {
            let result = if appoint {
                api::appoint_coordinator(tf, id).await
            } else {
                api::remove_coordinator(tf, id).await
            };
            busy.try_set(false);
            match result {
                Ok(()) => {
                    news.try_set(Some(if appoint {
                        format!("Nominato coordinatore della task force {}.", tf.name_it())
                    } else {
                        format!("Non è più coordinatore della task force {}.", tf.name_it())
                    }));
                    focus_id("expert-news");
                    reload.run(());
                }
                Err(e) => {
                    failure.try_set(Some(e));
                }
            }
        });
    });
    view! {
        <section class="mt-5" aria-labelledby="coordination-title">
            <h2 id="coordination-title" class="h4">"Coordinamento"</h2>
            <p>"Ogni task force ha uno o più coordinatori, che assegnano le richieste agli esperti."</p>
            {move || failure.get().map(|e| view! { <ErrorAlert error=e/> })}
            <ul class="list-unstyled d-grid gap-2">
                {expert
                    .task_forces
                    .iter()
                    .map(|&tf| {
                        let coordinates = expert.coordinator_of.contains(&tf);
                        view! {
                            <li class="d-flex flex-wrap align-items-center gap-3">
                                <span>{tf.name_it()}</span>
                                <button
                                    id=format!("coordinator-{}", tf.code())
                                    type="button"
                                    class=if coordinates { "btn btn-outline-danger btn-sm" } else { "btn btn-outline-primary btn-sm" }
                                    aria-disabled=move || busy.get().then_some("true")
                                    on:click=move |_| act.run((tf, !coordinates))
                                >
                                    {if coordinates { "Revoca coordinatore" } else { "Nomina coordinatore" }}
                                </button>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </section>
    }
}
