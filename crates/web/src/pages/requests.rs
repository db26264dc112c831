//! `/richieste`: the support requests the user may see: for the authority its own (drafts too),
//! for the secretariat and coordinators the triage queue sorted by service-level urgency, for
//! experts their assignments. Filters live in the URL. `/richieste/nuova`: the new-request wizard
//! (task force → procedure → details → review → save or submit).

use crate::api::{self, ApiError, PAGE_SIZE, RequestQuery};
use crate::components::choice::TextArea;
use crate::components::crumbs::{Crumbs, crumb};
use crate::components::feedback::{ErrorAlert, Loading};
use crate::components::form::{FieldErrors, field_error};
use crate::components::pagination::Pagination;
use crate::components::text_field::TextField;
use crate::pages::phases::day;
use crate::session::use_session;
use crate::util::{format_date, save_file, set_title};
use affianca_domain::dto::{
    CreateSupportRequest, Procedure, ServiceLevels, SupportRequestSummary, TransitionRequest,
};
use affianca_domain::links;
use affianca_domain::roles::set;
use affianca_domain::{
    IstatCode, ProcedureCode, RequestStatus, Role, SupportKind, SupportMode, TaskForce, Urgency,
};
use chrono::NaiveDate;
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::{use_navigate, use_query_map};

/// The Bootstrap Italia class of a status chip.
pub fn status_class(s: RequestStatus) -> &'static str {
    use RequestStatus as S;
    match s {
        S::Draft | S::Withdrawn => "badge rounded-pill bg-secondary",
        S::Submitted | S::UnderReview => "badge rounded-pill bg-primary",
        S::Assigned | S::InProgress => "badge rounded-pill bg-info text-dark",
        S::OnHold => "badge rounded-pill bg-warning text-dark",
        S::Completed | S::Closed => "badge rounded-pill bg-success",
        S::Rejected => "badge rounded-pill bg-danger",
    }
}

/// Today in the browser's time zone.
pub fn today() -> NaiveDate {
    let now = web_sys::js_sys::Date::new_0();
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    NaiveDate::from_ymd_opt(
        now.get_full_year() as i32,
        now.get_month() + 1,
        now.get_date(),
    )
    .unwrap_or_default()
}

/// A due date with its urgency: overdue (red), due within two days (orange), or plain.
#[component]
pub fn Due(due: Option<NaiveDate>, overdue: bool, done: bool) -> impl IntoView {
    let Some(d) = due else {
        return view! { <span class="text-secondary">"—"</span> }.into_any();
    };
    let soon = !done && (d - today()).num_days() <= 2;
    let (class, note) = if overdue {
        ("badge bg-danger", " — in ritardo")
    } else if soon {
        ("badge bg-warning text-dark", " — in scadenza")
    } else {
        ("", "")
    };
    view! { <span class=class data-due=d.to_string() data-overdue=overdue.to_string()>{day(d)}{note}</span> }
        .into_any()
}

fn sla_done(s: &ServiceLevels, status: RequestStatus) -> (bool, bool) {
    use RequestStatus as S;
    let taken = !matches!(status, S::Draft | S::Submitted);
    let assigned = !matches!(status, S::Draft | S::Submitted | S::UnderReview);
    let _ = s;
    (taken || status.is_final(), assigned || status.is_final())
}

fn query_from_url(q: &leptos_router::params::ParamsMap) -> RequestQuery {
    let get = |k: &str| q.get_str(k).unwrap_or_default().to_owned();
    RequestQuery {
        status: get("stato"),
        q: get("q"),
        province: get("provincia"),
        task_force: get("task_force"),
        assignee: q
            .get_str("esperto")
            .and_then(|s| s.parse().ok())
            .map(affianca_domain::UserId),
        overdue: q.get_str("ritardo").is_some(),
        sort: get("ordine"),
        page: q
            .get_str("pagina")
            .and_then(|p| p.parse().ok())
            .unwrap_or(1)
            .max(1),
    }
}

fn url_of(q: &RequestQuery) -> String {
    let mut parts = Vec::new();
    for (k, v) in [
        ("stato", &q.status),
        ("q", &q.q),
        ("provincia", &q.province),
        ("task_force", &q.task_force),
        ("ordine", &q.sort),
    ] {
        if !v.is_empty() {
            parts.push(format!("{k}={}", crate::util::encode(v)));
        }
    }
    if let Some(a) = q.assignee {
        parts.push(format!("esperto={a}"));
    }
    if q.overdue {
        parts.push("ritardo=1".to_owned());
    }
    if q.page > 1 {
        parts.push(format!("pagina={}", q.page));
    }
    if parts.is_empty() {
        "/richieste".to_owned()
    } else {
        format!("/richieste?{}", parts.join("&"))
    }
}

#[component]
pub fn Requests() -> impl IntoView {
    set_title("Richieste di supporto");
    let session = use_session();
    let navigate = use_navigate();
    let params = use_query_map();
    let query = Memo::new(move |_| params.with(query_from_url));
    let list = LocalResource::new(move || {
        let q = query.get();
        async move { api::support_requests(&q).await }
    });
    let authority_user = move || session.has_any_role(set::AUTHORITY);
    let triage = move || session.has_any_role(set::TRIAGE);
    let expert = move || session.has_role(Role::Expert);
    let go = {
        let navigate = navigate.clone();
        move |q: RequestQuery| navigate(&url_of(&q), Default::default())
    };
    let set = {
        let go = go.clone();
        move |f: &dyn Fn(&mut RequestQuery)| {
            let mut q = query.get_untracked();
            f(&mut q);
            q.page = 1;
            go(q);
        }
    };
    let set1 = set.clone();
    let set2 = set.clone();
    let set3 = set.clone();
    let set4 = set.clone();
    let failure = RwSignal::new(None::<ApiError>);
    let export = move |_| {
        let path = query.get_untracked().csv_path();
        spawn_local(async move {
            match api::download(&path).await {
                Ok(bytes) => {
                    save_file(&bytes, "richieste.csv", "text/csv");
                }
                Err(e) => {
                    failure.try_set(Some(e));
                }
            }
        });
    };

    view! {
        <Crumbs trail=vec![] here="Richieste di supporto".to_owned()/>
        <div class="d-flex flex-wrap align-items-center justify-content-between gap-3 mb-3">
            <h1 class="mb-0">"Richieste di supporto"</h1>
            <Show when=authority_user>
                <a id="new-request" class="btn btn-primary" href="/richieste/nuova">"Nuova richiesta"</a>
            </Show>
        </div>
        <div class="d-flex flex-wrap gap-2 mb-4" role="group" aria-label="Viste">
            <Show when=triage>
                <a
                    id="view-triage"
                    class="btn btn-outline-primary btn-sm"
                    href="/richieste?stato=submitted%2Cunder_review&ordine=due"
                >
                    "Da smistare (per urgenza)"
                </a>
            </Show>
            <Show when=expert>
                <a
                    id="view-mine"
                    class="btn btn-outline-primary btn-sm"
                    href=move || format!("/richieste?esperto={}", session.user_id().map(|u| u.0).unwrap_or_default())
                >
                    "Assegnate a me"
                </a>
            </Show>
            <a class="btn btn-outline-secondary btn-sm" href="/richieste">"Tutte"</a>
        </div>
        <form class="row g-3 align-items-end mb-3" role="search" on:submit=|ev: SubmitEvent| ev.prevent_default()>
            <div class="col-md-4 form-group mb-0">
                <label for="requests-q" class="active">"Cerca nell'oggetto e nella descrizione"</label>
                <input
                    id="requests-q"
                    type="search"
                    class="form-control"
                    prop:value=move || query.with(|q| q.q.clone())
                    on:change=move |ev| {
                        let v = event_target_value(&ev);
                        set1(&move |q: &mut RequestQuery| q.q = v.clone());
                    }
                />
            </div>
            <div class="col-md-3">
                <div class="select-wrapper">
                    <label for="requests-status">"Stato"</label>
                    <select
                        id="requests-status"
                        on:change=move |ev| {
                            let v = event_target_value(&ev);
                            set2(&move |q: &mut RequestQuery| q.status = v.clone());
                        }
                    >
                        <option value="" selected=move || query.with(|q| q.status.is_empty())>"Tutti"</option>
                        {RequestStatus::ALL
                            .iter()
                            .map(|s| {
                                let code = s.code();
                                view! {
                                    <option value=code selected=move || query.with(|q| q.status == code)>
                                        {s.label()}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </div>
            </div>
            {(!authority_user() || triage()).then(move || view! {
                <div class="col-md-3">
                    <div class="select-wrapper">
                        <label for="requests-tf">"Task force"</label>
                        <select
                            id="requests-tf"
                            on:change=move |ev| {
                                let v = event_target_value(&ev);
                                set3(&move |q: &mut RequestQuery| q.task_force = v.clone());
                            }
                        >
                            <option value="">"Tutte"</option>
                            {TaskForce::ALL
                                .into_iter()
                                .map(|t| {
                                    view! {
                                        <option value=t.code() selected=move || query.with(|q| q.task_force == t.code())>
                                            {t.name_it()}
                                        </option>
                                    }
                                })
                                .collect_view()}
                        </select>
                    </div>
                </div>
            })}
            <div class="col-md-2">
                <div class="form-check mb-2">
                    <input
                        id="requests-overdue"
                        type="checkbox"
                        prop:checked=move || query.with(|q| q.overdue)
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            set4(&move |q: &mut RequestQuery| q.overdue = on);
                        }
                    />
                    <label for="requests-overdue">"Solo in ritardo"</label>
                </div>
            </div>
        </form>
        {move || failure.get().map(|e| view! { <ErrorAlert error=e/> })}
        {move || match list.get() {
            None => view! { <Loading label="Caricamento delle richieste…"/> }.into_any(),
            Some(Err(e)) => view! { <ErrorAlert error=e/> }.into_any(),
            Some(Ok(page)) => {
                let q = query.get_untracked();
                let pages = page.total.div_ceil(PAGE_SIZE).max(1);
                view! {
                    <div class="d-flex flex-wrap align-items-center justify-content-between gap-2 mb-2">
                        <p id="requests-count" class="small text-secondary mb-0" role="status" data-total=page.total.to_string()>
                            {match page.total {
                                1 => "1 richiesta".to_owned(),
                                n => format!("{n} richieste"),
                            }}
                        </p>
                        <button id="requests-export" type="button" class="btn btn-outline-primary btn-sm" on:click=export>
                            "Scarica CSV"
                        </button>
                    </div>
                    <RequestsTable items=page.items/>
                    <Pagination
                        current=q.page
                        pages=pages
                        link=Callback::new(move |p: u64| {
                            let mut q = q.clone();
                            q.page = p;
                            url_of(&q)
                        })
                    />
                }
                    .into_any()
            }
        }}
    }
}

#[component]
fn RequestsTable(items: Vec<SupportRequestSummary>) -> impl IntoView {
    if items.is_empty() {
        return view! { <p id="requests-empty">"Nessuna richiesta."</p> }.into_any();
    }
    view! {
        <div class="table-responsive">
            <table id="requests-table" class="table align-middle">
                <thead>
                    <tr>
                        <th scope="col">"N."</th>
                        <th scope="col">"Oggetto"</th>
                        <th scope="col">"Ente"</th>
                        <th scope="col">"Stato"</th>
                        <th scope="col">"Inviata il"</th>
                        <th scope="col">"Presa in carico entro"</th>
                        <th scope="col">"Assegnazione entro"</th>
                    </tr>
                </thead>
                <tbody>
                    {items
                        .into_iter()
                        .map(|r| {
                            let (taken, assigned) = sla_done(&r.service, r.status);
                            view! {
                                <tr data-request-id=r.id.to_string() data-status=r.status.code()>
                                    <td>{r.id}</td>
                                    <th scope="row" class="fw-normal">
                                        <a href=links::request(r.id)>{r.subject.clone()}</a>
                                        <div class="small text-secondary">{r.procedure.to_string()} " · " {r.task_force.name_it()}</div>
                                    </th>
                                    <td>{r.authority_name.clone()}</td>
                                    <td><span class=status_class(r.status)>{r.status.label()}</span></td>
                                    <td>{r.submitted_at.map(|t| format_date(t.timestamp_millis()))}</td>
                                    <td><Due due=r.service.take_charge_due overdue=r.service.take_charge_overdue done=taken/></td>
                                    <td><Due due=r.service.assign_due overdue=r.service.assign_overdue done=assigned/></td>
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

/// The wizard's steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Procedure,
    Details,
    Files,
    Review,
}

#[component]
pub fn NewRequest() -> impl IntoView {
    set_title("Nuova richiesta di supporto");
    let navigate = use_navigate();
    let authorities = use_session().authority_codes();
    let authority = RwSignal::new(
        authorities
            .first()
            .map(ToString::to_string)
            .unwrap_or_default(),
    );
    let task_force = RwSignal::new(String::new());
    let procedure = RwSignal::new(String::new());
    let subject = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let kind = RwSignal::new(SupportKind::BacklogRecovery.code().to_owned());
    let urgency = RwSignal::new(Urgency::Normal.code().to_owned());
    let mode = RwSignal::new(SupportMode::Either.code().to_owned());
    let files = RwSignal::new("0".to_owned());
    let contact = RwSignal::new(String::new());
    let step = RwSignal::new(Step::Procedure);
    // The files to attach once the draft exists (browser objects: kept on this thread).
    let files_picked = RwSignal::new_local(Vec::<web_sys::File>::new());
    let errors = FieldErrors::new();
    let failure = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let procedures = LocalResource::new(move || {
        let tf = TaskForce::parse(&task_force.get()).ok();
        async move {
            match tf {
                Some(tf) => api::procedures(Some(tf)).await,
                None => Ok(Vec::new()),
            }
        }
    });
    let procedure_name = move || {
        let code = procedure.get();
        procedures
            .get()
            .and_then(Result::ok)
            .and_then(|ps| ps.into_iter().find(|p| p.code.as_str() == code))
            .map(|p: Procedure| p.name)
            .unwrap_or_default()
    };

    let next_from_procedure = move |ev: SubmitEvent| {
        ev.prevent_default();
        let mut errs = Vec::new();
        if IstatCode::parse(&authority.get_untracked()).is_err() {
            errs.push(field_error("istat_code", "scegliere l'ente"));
        }
        if TaskForce::parse(&task_force.get_untracked()).is_err() {
            errs.push(field_error("task_force", "scegliere la task force"));
        }
        if ProcedureCode::parse(&procedure.get_untracked()).is_err() {
            errs.push(field_error("procedure", "scegliere il procedimento"));
        }
        if errs.is_empty() {
            errors.clear();
            step.set(Step::Details);
        } else {
            errors.set(errs);
        }
    };
    let next_from_details = move |ev: SubmitEvent| {
        ev.prevent_default();
        let mut errs = Vec::new();
        let n = subject.get_untracked().trim().chars().count();
        if !(3..=200).contains(&n) {
            errs.push(field_error("subject", "l'oggetto: da 3 a 200 caratteri"));
        }
        if description.get_untracked().trim().is_empty() {
            errs.push(field_error("description", "descrivere di cosa c'è bisogno"));
        }
        if !files
            .get_untracked()
            .trim()
            .parse::<i32>()
            .is_ok_and(|n| (0..=100_000).contains(&n))
        {
            errs.push(field_error("files_count", "un numero da 0 a 100000"));
        }
        if errs.is_empty() {
            errors.clear();
            step.set(Step::Files);
        } else {
            errors.set(errs);
        }
    };
    let save = move |submit: bool| {
        if busy.get_untracked() {
            return;
        }
        let (Ok(istat_code), Ok(procedure), Ok(support_kind), Ok(urgency), Ok(mode)) = (
            IstatCode::parse(&authority.get_untracked()),
            ProcedureCode::parse(&procedure.get_untracked()),
            SupportKind::parse(&kind.get_untracked()),
            Urgency::parse(&urgency.get_untracked()),
            SupportMode::parse(&mode.get_untracked()),
        ) else {
            step.set(Step::Procedure);
            return;
        };
        let body = CreateSupportRequest {
            istat_code,
            procedure,
            subject: subject.get_untracked().trim().to_owned(),
            description: description.get_untracked().trim().to_owned(),
            support_kind,
            urgency,
            mode,
            files_count: files.get_untracked().trim().parse().unwrap_or(0),
            contact: contact.get_untracked().trim().to_owned(),
        };
        busy.set(true);
        failure.set(None);
        let navigate = navigate.clone();
        spawn_local(async move {
            let created = api::create_support_request(&body).await;
            // The files go with the draft; a refused file stops here, on the draft's page.
            let created = match created {
                Ok(r) => {
                    let mut failed = None;
                    for f in files_picked.get_untracked() {
                        if let Err(e) = api::upload_attachment(r.summary.id, &f, None).await {
                            failed = Some(e);
                            break;
                        }
                    }
                    match failed {
                        None => Ok(r),
                        Some(_) => {
                            busy.try_set(false);
                            navigate(
                                &format!("{}?invio=fallito", links::request(r.summary.id)),
                                Default::default(),
                            );
                            return;
                        }
                    }
                }
                Err(e) => Err(e),
            };
            let result = match created {
                Ok(r) if submit => {
                    // Submitting is the draft's first move.
                    let etag = format!("\"request-{}-v{}\"", r.summary.id, r.summary.version);
                    api::transition(r.summary.id, &etag, &TransitionRequest::Submit)
                        .await
                        .map(|_| r.summary.id)
                        .map_err(|e| (Some(r.summary.id), e))
                }
                Ok(r) => Ok(r.summary.id),
                Err(e) => Err((None, e)),
            };
            busy.try_set(false);
            match result {
                Ok(id) => navigate(&links::request(id), Default::default()),
                // Saved as a draft but not sent: show the draft, whose page says why.
                Err((Some(id), _)) => navigate(
                    &format!("{}?invio=fallito", links::request(id)),
                    Default::default(),
                ),
                Err((None, e)) => {
                    errors.set_from(&e);
                    failure.try_set(Some(e));
                }
            }
        });
    };
    let save_draft = {
        let save = save.clone();
        move |_| save(false)
    };
    let submit = move |_| save(true);
    let step_label = move || match step.get() {
        Step::Procedure => "Passo 1 di 4: ente e procedimento",
        Step::Details => "Passo 2 di 4: di cosa c'è bisogno",
        Step::Files => "Passo 3 di 4: allegati (facoltativi)",
        Step::Review => "Passo 4 di 4: riepilogo e invio",
    };

    view! {
        <Crumbs trail=vec![crumb("/richieste", "Richieste di supporto")] here="Nuova richiesta".to_owned()/>
        <h1 class="mb-2">"Nuova richiesta di supporto"</h1>
        <p id="wizard-step" class="lead" aria-live="polite">{step_label}</p>
        {move || failure.get().map(|e| view! { <ErrorAlert error=e/> })}
        {
            let authorities = authorities.clone();
            move || match step.get() {
                Step::Procedure => {
                    let authorities = authorities.clone();
                    view! {
                        <form id="wizard-procedure" class="d-grid gap-3" novalidate on:submit=next_from_procedure>
                            {(authorities.len() > 1)
                                .then(|| {
                                    view! {
                                        <div class="select-wrapper">
                                            <label for="request-authority">"Ente"</label>
                                            <select id="request-authority" on:change=move |ev| authority.set(event_target_value(&ev))>
                                                {authorities
                                                    .iter()
                                                    .map(|c| {
                                                        let c = c.to_string();
                                                        view! { <option value=c.clone() selected=authority.get_untracked() == c>{c.clone()}</option> }
                                                    })
                                                    .collect_view()}
                                            </select>
                                        </div>
                                    }
                                })}
                            <div class="select-wrapper">
                                <label for="request-task-force">"Ambito (task force)"</label>
                                <select
                                    id="request-task-force"
                                    on:change=move |ev| {
                                        task_force.set(event_target_value(&ev));
                                        procedure.set(String::new());
                                        errors.clear_field("task_force");
                                    }
                                >
                                    <option value="">"Scegliere…"</option>
                                    {TaskForce::ALL
                                        .into_iter()
                                        .map(|t| view! { <option value=t.code() selected=task_force.get_untracked() == t.code()>{t.name_it()}</option> })
                                        .collect_view()}
                                </select>
                            </div>
                            <crate::components::form::FieldMessage errors=errors field="task_force" id="request-task-force-error"/>
                            <div class="select-wrapper">
                                <label for="request-procedure">"Procedimento"</label>
                                <select
                                    id="request-procedure"
                                    on:change=move |ev| {
                                        procedure.set(event_target_value(&ev));
                                        errors.clear_field("procedure");
                                    }
                                >
                                    <option value="">"Scegliere…"</option>
                                    {move || {
                                        procedures
                                            .get()
                                            .and_then(Result::ok)
                                            .unwrap_or_default()
                                            .into_iter()
                                            .filter(|p| p.active)
                                            .map(|p| {
                                                let code = p.code.to_string();
                                                view! { <option value=code.clone() selected=procedure.get_untracked() == code>{p.name}</option> }
                                            })
                                            .collect_view()
                                    }}
                                </select>
                            </div>
                            <crate::components::form::FieldMessage errors=errors field="procedure" id="request-procedure-error"/>
                            <div><button id="wizard-next-1" type="submit" class="btn btn-primary">"Avanti"</button></div>
                        </form>
                    }
                        .into_any()
                }
                Step::Details => {
                    view! {
                        <form id="wizard-details" class="d-grid gap-3" novalidate on:submit=next_from_details>
                            <TextField id="request-subject" field="subject" label="Oggetto" value=subject errors=errors maxlength=200/>
                            <TextArea id="request-description" field="description" label="Descrizione del bisogno" value=description errors=errors rows=5/>
                            <div class="row g-3">
                                <Choice id="request-kind" label="Tipo di supporto" value=kind options=SupportKind::ALL.iter().map(|k| (k.code(), k.label())).collect()/>
                                <Choice id="request-urgency" label="Urgenza" value=urgency options=Urgency::ALL.iter().map(|k| (k.code(), k.label())).collect()/>
                                <Choice id="request-mode" label="Modalità preferita" value=mode options=SupportMode::ALL.iter().map(|k| (k.code(), k.label())).collect()/>
                            </div>
                            <div class="row g-3">
                                <div class="col-md-4">
                                    <TextField id="request-files" field="files_count" label="Pratiche interessate" kind="number" inputmode="numeric" value=files errors=errors/>
                                </div>
                                <div class="col-md-8">
                                    <TextField id="request-contact" field="contact" label="Referente dell'ente (nome, telefono, ufficio)" value=contact errors=errors required=false/>
                                </div>
                            </div>
                            <div class="d-flex gap-3">
                                <button type="button" class="btn btn-outline-primary" on:click=move |_| step.set(Step::Procedure)>"Indietro"</button>
                                <button id="wizard-next-2" type="submit" class="btn btn-primary">"Avanti"</button>
                            </div>
                        </form>
                    }
                        .into_any()
                }
                Step::Files => {
                    let pick = move |ev: leptos::ev::Event| {
                        use wasm_bindgen::JsCast;
                        let Some(input) = ev
                            .target()
                            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
                        else {
                            return;
                        };
                        if let Some(list) = input.files() {
                            let more: Vec<web_sys::File> = (0..list.length()).filter_map(|i| list.get(i)).collect();
                            files_picked.update(|v| v.extend(more));
                        }
                        input.set_value("");
                    };
                    view! {
                        <div id="wizard-files" class="d-grid gap-3">
                            <p>"Documenti utili agli esperti: elenchi di pratiche, atti, regolamenti. PDF, Word, Excel, OpenDocument, PNG o JPEG, al massimo 20 MB ciascuno."</p>
                            <div class="d-flex flex-wrap align-items-center gap-3">
                                <input id="wizard-files-input" type="file" multiple class="visually-hidden file-picker" accept=crate::pages::request::ACCEPT on:change=pick/>
                                <label for="wizard-files-input" class="btn btn-outline-primary mb-0">"Scegli i file"</label>
                            </div>
                            <ul id="wizard-files-list" class="list-unstyled">
                                {move || files_picked.get().into_iter().enumerate().map(|(i, f)| view! {
                                    <li>
                                        {f.name()}
                                        <button type="button" class="btn btn-link btn-sm" on:click=move |_| files_picked.update(|v| { v.remove(i); })>
                                            "Togli" <span class="visually-hidden">{format!(" {}", f.name())}</span>
                                        </button>
                                    </li>
                                }).collect_view()}
                            </ul>
                            <div class="d-flex gap-3">
                                <button type="button" class="btn btn-outline-primary" on:click=move |_| step.set(Step::Details)>"Indietro"</button>
                                <button id="wizard-next-3" type="button" class="btn btn-primary" on:click=move |_| step.set(Step::Review)>"Avanti"</button>
                            </div>
                        </div>
                    }
                        .into_any()
                }
                Step::Review => {
                    let save_draft = save_draft.clone();
                    let submit = submit.clone();
                    view! {
                        <dl class="row" id="wizard-review">
                            <dt class="col-sm-3">"Ente"</dt>
                            <dd class="col-sm-9">{authority.get_untracked()}</dd>
                            <dt class="col-sm-3">"Procedimento"</dt>
                            <dd class="col-sm-9">{procedure_name}</dd>
                            <dt class="col-sm-3">"Oggetto"</dt>
                            <dd class="col-sm-9">{subject.get_untracked()}</dd>
                            <dt class="col-sm-3">"Descrizione"</dt>
                            <dd class="col-sm-9 preserve-lines">{description.get_untracked()}</dd>
                            <dt class="col-sm-3">"Pratiche"</dt>
                            <dd class="col-sm-9">{files.get_untracked()}</dd>
                            <dt class="col-sm-3">"Allegati"</dt>
                            <dd class="col-sm-9" id="wizard-review-files">
                                {move || {
                                    let names: Vec<String> = files_picked.get().iter().map(web_sys::File::name).collect();
                                    if names.is_empty() { "nessuno".to_owned() } else { names.join(", ") }
                                }}
                            </dd>
                        </dl>
                        <p>"Inviata, la richiesta va alla Segreteria Tecnica, che la prende in carico entro 5 giorni lavorativi."</p>
                        <div class="d-flex flex-wrap gap-3">
                            <button type="button" class="btn btn-outline-primary" on:click=move |_| step.set(Step::Files)>"Indietro"</button>
                            <button id="wizard-save" type="button" class="btn btn-outline-primary" aria-disabled=move || busy.get().then_some("true") on:click=save_draft>
                                "Salva come bozza"
                            </button>
                            <button id="wizard-submit" type="button" class="btn btn-primary" aria-disabled=move || busy.get().then_some("true") on:click=submit>
                                "Invia la richiesta"
                            </button>
                        </div>
                    }
                        .into_any()
                }
            }
        }
    }
}

/// A select over (code, label) options bound to a signal.
#[component]
fn Choice(
    id: &'static str,
    label: &'static str,
    value: RwSignal<String>,
    options: Vec<(&'static str, &'static str)>,
) -> impl IntoView {
    view! {
        <div class="col-md-4">
            <div class="select-wrapper">
                <label for=id>{label}</label>
                <select id=id on:change=move |ev| value.set(event_target_value(&ev))>
                    {options
                        .into_iter()
                        .map(|(code, text)| view! { <option value=code selected=value.get_untracked() == code>{text}</option> })
                        .collect_view()}
                </select>
            </div>
        </div>
    }
}
