//! `/richieste/:id`: one support request: its data and service levels, the actions the state
//! machine allows the user now (and only those), the timeline of its transitions, the message
//! thread (internal notes for staff) and the experts' activity log.

use crate::api::{self, ApiError};
use crate::components::choice::TextArea;
use crate::components::crumbs::{Crumbs, crumb};
use crate::components::feedback::{ErrorAlert, Loading};
use crate::components::form::FieldErrors;
use crate::components::text_field::{SuccessMessage, TextField};
use crate::pages::requests::{Due, status_class};
use crate::session::use_session;
use crate::util::{focus_id, format_datetime, set_title};
use affianca_domain::dto::{NewActivity, NewMessage, SupportRequest, TransitionRequest};
use affianca_domain::{ActivityKind, RequestAction, RequestStatus, Role, UserId};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::{use_params_map, use_query_map};

#[component]
pub fn RequestDetail() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").and_then(|s| s.parse::<i64>().ok())));
    let version = RwSignal::new(0_u32);
    let request = LocalResource::new(move || {
        version.track();
        let id = id.get();
        async move {
            match id {
                Some(id) => api::support_request(id).await,
                None => Err(ApiError::Status(404)),
            }
        }
    });
    let news = RwSignal::new(
        use_query_map()
            .with_untracked(|q| q.get_str("invio").is_some())
            .then(|| {
                "La bozza è salvata ma non è stata inviata: vedere sotto che cosa manca.".to_owned()
            }),
    );
    let reload = Callback::new(move |()| version.update(|v| *v += 1));
    let title = move || {
        request
            .get()
            .and_then(Result::ok)
            .map(|(r, _)| format!("Richiesta n. {}", r.summary.id))
            .unwrap_or_else(|| "Richiesta".to_owned())
    };
    Effect::new(move |_| set_title(&title()));
    view! {
        <Crumbs trail=vec![crumb("/richieste", "Richieste di supporto")] here=Signal::derive(title)/>
        <SuccessMessage id="request-news" message=news/>
        {move || match request.get() {
            None => view! { <Loading label="Caricamento della richiesta…"/> }.into_any(),
            Some(Err(e)) => view! { <ErrorAlert error=e/> }.into_any(),
            Some(Ok((r, etag))) => view! { <RequestView request=r etag=etag news=news reload=reload/> }.into_any(),
        }}
    }
}

#[component]
fn RequestView(
    request: SupportRequest,
    etag: String,
    news: RwSignal<Option<String>>,
    reload: Callback<()>,
) -> impl IntoView {
    let session = use_session();
    let s = &request.summary;
    let id = s.id;
    let me = session.user_id();
    let assigned_to_me = request.assignees.iter().any(|a| Some(a.user_id) == me);
    let staff = session.has_any_role(affianca_domain::roles::set::STAFF);
    let can_log = assigned_to_me
        && matches!(
            s.status,
            RequestStatus::Assigned
                | RequestStatus::InProgress
                | RequestStatus::OnHold
                | RequestStatus::Completed
        );
    let authority_user = session.has_any_role(affianca_domain::roles::set::AUTHORITY);
    let may_write = !session.has_role(Role::Observer) || staff || authority_user;
    // Observers read requests but not their files.
    let may_see_files = staff || authority_user;
    view! {
        <div class="d-flex flex-wrap align-items-center gap-3 mb-2">
            <h1 id="request-title" class="mb-0">{s.subject.clone()}</h1>
            <span id="request-status" class=status_class(s.status) data-status=s.status.code()>{s.status.label()}</span>
        </div>
        <p class="lead">
            "Richiesta n. " {id} " di " {s.authority_name.clone()} " · " {s.procedure.to_string()} " · " {s.task_force.name_it()}
        </p>
        <dl class="row" id="request-summary">
            <dt class="col-sm-3">"Descrizione"</dt>
            <dd class="col-sm-9 preserve-lines">{request.description.clone()}</dd>
            <dt class="col-sm-3">"Tipo di supporto"</dt>
            <dd class="col-sm-9">{request.support_kind.label()} " · modalità " {request.mode.label().to_lowercase()} " · urgenza " {s.urgency.label().to_lowercase()}</dd>
            <dt class="col-sm-3">"Pratiche interessate"</dt>
            <dd class="col-sm-9">{request.files_count}</dd>
            <dt class="col-sm-3">"Referente"</dt>
            <dd class="col-sm-9">{if request.contact.is_empty() { request.created_by.full_name.clone() } else { request.contact.clone() }}</dd>
            <dt class="col-sm-3">"Presa in carico entro"</dt>
            <dd class="col-sm-9"><Due due=s.service.take_charge_due overdue=s.service.take_charge_overdue done=request.taken_at.is_some()/></dd>
            <dt class="col-sm-3">"Assegnazione entro"</dt>
            <dd class="col-sm-9"><Due due=s.service.assign_due overdue=s.service.assign_overdue done=request.assigned_at.is_some()/></dd>
            <dt class="col-sm-3">"Esperti"</dt>
            <dd class="col-sm-9" data-field="assignees">
                {if request.assignees.is_empty() {
                    "Non ancora assegnata".to_owned()
                } else {
                    request
                        .assignees
                        .iter()
                        .map(|a| if a.lead { format!("{} (referente)", a.full_name) } else { a.full_name.clone() })
                        .collect::<Vec<_>>()
                        .join(", ")
                }}
            </dd>
            {request.report.clone().map(|r| view! {
                <dt class="col-sm-3">"Relazione finale"</dt>
                <dd class="col-sm-9 preserve-lines" data-field="report">{r}</dd>
            })}
            {request.rating.map(|r| view! {
                <dt class="col-sm-3">"Valutazione dell'ente"</dt>
                <dd class="col-sm-9" data-field="rating">{format!("{r} su 5")} {request.feedback.clone().map(|f| format!(" — {f}"))}</dd>
            })}
        </dl>
        <Actions request=request.clone() etag=etag news=news reload=reload/>
        <section class="mt-5" aria-labelledby="timeline-title">
            <h2 id="timeline-title" class="h4">"Cronologia"</h2>
            <ol id="timeline" class="timeline-list">
                {request
                    .history
                    .iter()
                    .map(|t| {
                        let what = match RequestAction::parse(&t.action) {
                            Ok(a) => a.label().to_owned(),
                            Err(_) => "Creata".to_owned(),
                        };
                        view! {
                            <li data-action=t.action.clone()>
                                <strong>{what}</strong>
                                " → " {t.to.label()}
                                <span class="small text-secondary">
                                    " · " {format_datetime(t.at.timestamp_millis())} " · "
                                    {t.actor.as_ref().map_or_else(|| "automatico".to_owned(), |a| a.full_name.clone())}
                                </span>
                                {t.reason.clone().map(|r| view! { <div class="preserve-lines">"Motivo: " {r}</div> })}
                            </li>
                        }
                    })
                    .collect_view()}
            </ol>
        </section>
        <Messages id=id staff=staff may_write=may_write/>
        {may_see_files.then(|| view! { <Files id=id may_write=may_write/> })}
        <Activities id=id can_log=can_log/>
    }
}

/// The buttons of the allowed actions; an action that needs data opens its small form.
#[component]
fn Actions(
    request: SupportRequest,
    etag: String,
    news: RwSignal<Option<String>>,
    reload: Callback<()>,
) -> impl IntoView {
    let id = request.summary.id;
    let open = RwSignal::new(None::<RequestAction>);
    let text = RwSignal::new(String::new());
    let rating = RwSignal::new(0_i32);
    let lead = RwSignal::new(None::<UserId>);
    let others = RwSignal::new(Vec::<UserId>::new());
    let errors = FieldErrors::new();
    let failure = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let send = Callback::new(move |body: TransitionRequest| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        failure.set(None);
        news.set(None);
        let etag = etag.clone();
        spawn_local(async move {
            let result = api::transition(id, &etag, &body).await;
            busy.try_set(false);
            match result {
                Ok(r) => {
                    news.try_set(Some(format!(
                        "Fatto: la richiesta è ora «{}».",
                        r.summary.status.label()
                    )));
                    focus_id("request-news");
                    reload.run(());
                }
                Err(e) => {
                    errors.set_from(&e);
                    failure.try_set(Some(e));
                }
            }
        });
    });
    let confirm = move |ev: SubmitEvent| {
        ev.prevent_default();
        let Some(action) = open.get_untracked() else {
            return;
        };
        let t = text.get_untracked();
        let body = match action {
            RequestAction::Reject => TransitionRequest::Reject { reason: t },
            RequestAction::Suspend => TransitionRequest::Suspend { reason: t },
            RequestAction::Reopen => TransitionRequest::Reopen { reason: t },
            RequestAction::Withdraw => TransitionRequest::Withdraw {
                reason: Some(t).filter(|t| !t.trim().is_empty()),
            },
            RequestAction::Complete => TransitionRequest::Complete { report: t },
            RequestAction::Close => TransitionRequest::Close {
                rating: rating.get_untracked(),
                comment: Some(t).filter(|t| !t.trim().is_empty()),
            },
            RequestAction::Assign => match lead.get_untracked() {
                Some(l) => TransitionRequest::Assign {
                    lead_expert: l,
                    others: others
                        .get_untracked()
                        .into_iter()
                        .filter(|o| *o != l)
                        .collect(),
                },
                None => {
                    errors.set(vec![crate::components::form::field_error(
                        "lead_expert",
                        "scegliere l'esperto referente",
                    )]);
                    return;
                }
            },
            RequestAction::Submit => TransitionRequest::Submit,
            RequestAction::TakeCharge => TransitionRequest::TakeCharge,
            RequestAction::Start => TransitionRequest::Start,
            RequestAction::Resume => TransitionRequest::Resume,
            RequestAction::AutoClose => return,
        };
        send.run(body);
    };
    if request.allowed_actions.is_empty() {
        return ().into_any();
    }
    let actions = request.allowed_actions.clone();
    view! {
        <section class="mt-4" aria-labelledby="actions-title">
            <h2 id="actions-title" class="h4">"Azioni"</h2>
            {move || failure.get().map(|e| view! { <ErrorAlert error=e/> })}
            <div class="d-flex flex-wrap gap-2 mb-3">
                {actions
                    .into_iter()
                    .map(|a| {
                        let danger = matches!(a, RequestAction::Reject | RequestAction::Withdraw);
                        view! {
                            <button
                                id=format!("action-{}", a.code())
                                type="button"
                                class=if danger { "btn btn-outline-danger" } else { "btn btn-primary" }
                                aria-expanded=move || (open.get() == Some(a)).to_string()
                                on:click=move |_| {
                                    text.set(String::new());
                                    errors.clear();
                                    failure.set(None);
                                    open.set(Some(a));
                                    request_animation_frame(|| focus_id("action-form-title"));
                                }
                            >
                                {a.label()}
                            </button>
                        }
                    })
                    .collect_view()}
            </div>
            {move || open.get().map(|a| {
                let (label, hint): (&str, Option<&'static str>) = match a {
                    RequestAction::Reject => ("Motivo del rifiuto", None),
                    RequestAction::Suspend => ("Motivo della sospensione", None),
                    RequestAction::Reopen => ("Motivo della riapertura", None),
                    RequestAction::Withdraw => ("Motivo del ritiro (facoltativo)", None),
                    RequestAction::Complete => ("Relazione finale", Some("Che cosa è stato fatto e con quali risultati.")),
                    RequestAction::Close => ("Commento (facoltativo)", None),
                    _ => ("", None),
                };
                let field = if a == RequestAction::Complete { "report" } else if a == RequestAction::Close { "comment" } else { "reason" };
                view! {
                    <form id="action-form" class="card card-bg p-3 d-grid gap-3" novalidate on:submit=confirm>
                        <h3 id="action-form-title" class="h5 mb-0" tabindex="-1">{a.label()}</h3>
                        {(a == RequestAction::Assign).then(|| view! { <AssignChoice id=id lead=lead others=others errors=errors/> })}
                        {(a == RequestAction::Close).then(|| view! { <Rating rating=rating errors=errors/> })}
                        {(!label.is_empty()).then(|| match hint {
                            Some(h) => view! { <TextArea id="action-text" field=field label=label value=text errors=errors hint=h/> }.into_any(),
                            None => view! { <TextArea id="action-text" field=field label=label value=text errors=errors/> }.into_any(),
                        })}
                        <div class="d-flex gap-2">
                            <button id="action-confirm" type="submit" class="btn btn-primary" aria-disabled=move || busy.get().then_some("true")>
                                "Conferma: " {a.label().to_lowercase()}
                            </button>
                            <button type="button" class="btn btn-outline-secondary" on:click=move |_| open.set(None)>"Annulla"</button>
                        </div>
                    </form>
                }
            })}
        </section>
    }
    .into_any()
}

/// The candidates of the assignment: one lead (radio), optional others (checkboxes).
#[component]
fn AssignChoice(
    id: i64,
    lead: RwSignal<Option<UserId>>,
    others: RwSignal<Vec<UserId>>,
    errors: FieldErrors,
) -> impl IntoView {
    let list = LocalResource::new(move || api::candidates(id));
    view! {
        {move || match list.get() {
            None => view! { <Loading label="Caricamento degli esperti…"/> }.into_any(),
            Some(Err(e)) => view! { <ErrorAlert error=e/> }.into_any(),
            Some(Ok(cs)) if cs.is_empty() => view! { <p>"La task force non ha esperti attivi."</p> }.into_any(),
            Some(Ok(cs)) => {
                if lead.get_untracked().is_none() {
                    lead.set(cs.iter().find(|c| c.suggested).map(|c| c.user_id));
                }
                view! {
                    <div class="table-responsive">
                        <table id="candidates" class="table table-sm align-middle">
                            <caption>"Esperti della task force, i più adatti per primi"</caption>
                            <thead>
                                <tr>
                                    <th scope="col">"Referente"</th>
                                    <th scope="col">"Anche"</th>
                                    <th scope="col">"Esperto"</th>
                                    <th scope="col">"Carico"</th>
                                    <th scope="col">"Provincia"</th>
                                    <th scope="col">"Con l'ente"</th>
                                </tr>
                            </thead>
                            <tbody>
                                {cs.into_iter().map(|c| {
                                    let uid = c.user_id;
                                    let lead_id = format!("lead-{uid}");
                                    let other_id = format!("other-{uid}");
                                    view! {
                                        <tr data-user-id=uid.to_string() data-suggested=c.suggested.to_string()>
                                            <td>
                                                <input
                                                    id=lead_id
                                                    class="candidate-choice"
                                                    type="radio"
                                                    name="lead"
                                                    aria-label=format!("Referente: {}", c.full_name)
                                                    prop:checked=move || lead.get() == Some(uid)
                                                    on:change=move |_| { lead.set(Some(uid)); errors.clear_field("lead_expert"); }
                                                />
                                            </td>
                                            <td>
                                                <input
                                                    id=other_id
                                                    class="candidate-choice"
                                                    type="checkbox"
                                                    aria-label=format!("Anche {}", c.full_name)
                                                    prop:checked=move || others.with(|o| o.contains(&uid))
                                                    on:change=move |ev| {
                                                        let on = event_target_checked(&ev);
                                                        others.update(|o| { o.retain(|x| *x != uid); if on { o.push(uid); } });
                                                    }
                                                />
                                            </td>
                                            <td>
                                                {c.full_name.clone()}
                                                {c.suggested.then(|| view! { <span class="badge bg-success ms-2">"Consigliato"</span> })}
                                            </td>
                                            <td>{format!("{} / {}", c.open_requests, c.max_concurrent_requests)}</td>
                                            <td>{if c.covers_province { "sì" } else { "no" }}</td>
                                            <td>{c.past_requests_with_authority}</td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                    <crate::components::form::FieldMessage errors=errors field="lead_expert" id="lead-error"/>
                }
                    .into_any()
            }
        }}
    }
}

/// The authority's vote, 1 to 5.
#[component]
fn Rating(rating: RwSignal<i32>, errors: FieldErrors) -> impl IntoView {
    view! {
        <fieldset id="rating">
            <legend class="h6">"Valutazione del supporto ricevuto (1 = insufficiente, 5 = ottimo)"</legend>
            <div class="d-flex gap-3">
                {(1..=5)
                    .map(|n| {
                        let rid = format!("rating-{n}");
                        view! {
                            <div class="form-check form-check-inline">
                                <input id=rid.clone() type="radio" name="rating" prop:checked=move || rating.get() == n on:change=move |_| { rating.set(n); errors.clear_field("rating"); }/>
                                <label for=rid>{n}</label>
                            </div>
                        }
                    })
                    .collect_view()}
            </div>
        </fieldset>
        <crate::components::form::FieldMessage errors=errors field="rating" id="rating-error"/>
    }
}

#[component]
fn Messages(id: i64, staff: bool, may_write: bool) -> impl IntoView {
    let version = RwSignal::new(0_u32);
    let list = LocalResource::new(move || {
        version.track();
        api::messages(id)
    });
    let body = RwSignal::new(String::new());
    let internal = RwSignal::new(false);
    let errors = FieldErrors::new();
    let failure = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        if body.get_untracked().trim().is_empty() {
            errors.set(vec![crate::components::form::field_error(
                "body",
                "scrivere il messaggio",
            )]);
            return;
        }
        busy.set(true);
        failure.set(None);
        let msg = NewMessage {
            body: body.get_untracked(),
            internal: internal.get_untracked(),
        };
        spawn_local(async move {
            let result = api::post_message(id, &msg).await;
            busy.try_set(false);
            match result {
                Ok(_) => {
                    body.try_set(String::new());
                    version.try_update(|v| *v += 1);
                }
                Err(e) => {
                    errors.set_from(&e);
                    failure.try_set(Some(e));
                }
            }
        });
    };
    view! {
        <section class="mt-5" aria-labelledby="messages-title">
            <h2 id="messages-title" class="h4">"Messaggi"</h2>
            {move || match list.get() {
                None => view! { <Loading label="Caricamento dei messaggi…"/> }.into_any(),
                Some(Err(e)) => view! { <ErrorAlert error=e/> }.into_any(),
                Some(Ok(ms)) if ms.is_empty() => view! { <p id="messages-empty">"Nessun messaggio."</p> }.into_any(),
                Some(Ok(ms)) => view! {
                    <ul id="messages" class="list-unstyled d-grid gap-3">
                        {ms.into_iter().map(|m| view! {
                            <li class="message" class:internal=m.internal data-internal=m.internal.to_string()>
                                <div class="small text-secondary">
                                    {m.author.full_name.clone()} " · " {format_datetime(m.created_at.timestamp_millis())}
                                    {m.internal.then(|| view! { <span class="badge bg-warning text-dark ms-2">"Nota interna"</span> })}
                                </div>
                                <div class="preserve-lines">{m.body.clone()}</div>
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any(),
            }}
            {may_write.then(|| view! {
                {move || failure.get().map(|e| view! { <ErrorAlert error=e/> })}
                <form id="message-form" class="d-grid gap-2" novalidate on:submit=submit>
                    <TextArea id="message-body" field="body" label="Nuovo messaggio" value=body errors=errors/>
                    {staff.then(|| view! {
                        <div class="form-check mb-0">
                            <input id="message-internal" type="checkbox" prop:checked=move || internal.get() on:change=move |ev| internal.set(event_target_checked(&ev))/>
                            <label for="message-internal">"Nota interna (non visibile all'ente)"</label>
                        </div>
                    })}
                    <div><button id="message-send" type="submit" class="btn btn-primary" aria-disabled=move || busy.get().then_some("true")>"Invia"</button></div>
                </form>
            })}
        </section>
    }
}

#[component]
fn Activities(id: i64, can_log: bool) -> impl IntoView {
    let version = RwSignal::new(0_u32);
    let list = LocalResource::new(move || {
        version.track();
        api::activities(id)
    });
    let date = RwSignal::new(crate::pages::requests::today().to_string());
    let kind = RwSignal::new(ActivityKind::FileProcessing.code().to_owned());
    let hours = RwSignal::new(String::new());
    let files = RwSignal::new("0".to_owned());
    let notes = RwSignal::new(String::new());
    let errors = FieldErrors::new();
    let failure = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let mut errs = Vec::new();
        let d = date.get_untracked().parse::<chrono::NaiveDate>();
        if d.is_err() {
            errs.push(crate::components::form::field_error("date", "una data"));
        }
        let h = hours
            .get_untracked()
            .trim()
            .replace(',', ".")
            .parse::<f64>();
        if h.is_err() {
            errs.push(crate::components::form::field_error(
                "hours",
                "le ore, per esempio 1,5",
            ));
        }
        let f = files.get_untracked().trim().parse::<i32>().unwrap_or(-1);
        if !errs.is_empty() {
            errors.set(errs);
            return;
        }
        let (Ok(date), Ok(hours_value)) = (d, h) else {
            return;
        };
        let body = NewActivity {
            date,
            kind: ActivityKind::parse(&kind.get_untracked()).unwrap_or(ActivityKind::Other),
            hours: hours_value,
            files_handled: f,
            notes: notes.get_untracked(),
        };
        busy.set(true);
        failure.set(None);
        spawn_local(async move {
            let result = api::log_activity(id, &body).await;
            busy.try_set(false);
            match result {
                Ok(_) => {
                    notes.try_set(String::new());
                    hours.try_set(String::new());
                    version.try_update(|v| *v += 1);
                }
                Err(e) => {
                    errors.set_from(&e);
                    failure.try_set(Some(e));
                }
            }
        });
    };
    let remove = move |entry: i64| {
        spawn_local(async move {
            match api::delete_activity(entry).await {
                Ok(()) => {
                    version.try_update(|v| *v += 1);
                }
                Err(e) => {
                    failure.try_set(Some(e));
                }
            }
        });
    };
    let me = use_session().user_id();
    view! {
        <section class="mt-5" aria-labelledby="activities-title">
            <h2 id="activities-title" class="h4">"Attività degli esperti"</h2>
            {move || match list.get() {
                None => view! { <Loading label="Caricamento delle attività…"/> }.into_any(),
                Some(Err(e)) => view! { <ErrorAlert error=e/> }.into_any(),
                Some(Ok(es)) if es.is_empty() => view! { <p id="activities-empty">"Nessuna attività registrata."</p> }.into_any(),
                Some(Ok(es)) => {
                    let total: f64 = es.iter().map(|e| e.hours).sum();
                    view! {
                        <div class="table-responsive">
                            <table id="activities" class="table align-middle">
                                <thead>
                                    <tr>
                                        <th scope="col">"Data"</th>
                                        <th scope="col">"Esperto"</th>
                                        <th scope="col">"Attività"</th>
                                        <th scope="col" class="text-end">"Ore"</th>
                                        <th scope="col" class="text-end">"Pratiche"</th>
                                        <th scope="col">"Note"</th>
                                        <th scope="col"><span class="visually-hidden">"Azioni"</span></th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {es.into_iter().map(|e| {
                                        let mine = Some(e.expert.user_id) == me;
                                        let eid = e.id;
                                        view! {
                                            <tr data-activity-id=eid.to_string()>
                                                <td>{crate::pages::phases::day(e.date)}</td>
                                                <td>{e.expert.full_name.clone()}</td>
                                                <td>{e.kind.label()}</td>
                                                <td class="text-end">{hours_it(e.hours)}</td>
                                                <td class="text-end">{e.files_handled}</td>
                                                <td class="preserve-lines">{e.notes.clone()}</td>
                                                <td class="text-end">
                                                    {mine.then(|| view! {
                                                        <button id=format!("delete-activity-{eid}") type="button" class="btn btn-outline-danger btn-sm" on:click=move |_| remove(eid)>
                                                            "Elimina"
                                                        </button>
                                                    })}
                                                </td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                                <tfoot>
                                    <tr>
                                        <th scope="row" colspan="3">"Totale"</th>
                                        <td id="activities-total" class="text-end fw-semibold">{hours_it(total)}</td>
                                        <td colspan="3"></td>
                                    </tr>
                                </tfoot>
                            </table>
                        </div>
                    }.into_any()
                }
            }}
            {can_log.then(|| view! {
                {move || failure.get().map(|e| view! { <ErrorAlert error=e/> })}
                <form id="activity-form" class="d-grid gap-3 card card-bg p-3" novalidate on:submit=submit>
                    <h3 class="h5 mb-0">"Registra un'attività"</h3>
                    <div class="row g-3">
                        <div class="col-md-3">
                            <TextField id="activity-date" field="date" label="Data" kind="date" value=date errors=errors/>
                        </div>
                        <div class="col-md-3">
                            <div class="select-wrapper">
                                <label for="activity-kind">"Attività"</label>
                                <select id="activity-kind" on:change=move |ev| kind.set(event_target_value(&ev))>
                                    {ActivityKind::ALL.iter().map(|k| view! { <option value=k.code() selected=kind.get_untracked() == k.code()>{k.label()}</option> }).collect_view()}
                                </select>
                            </div>
                        </div>
                        <div class="col-md-3">
                            <TextField id="activity-hours" field="hours" label="Ore (a quarti d'ora)" inputmode="decimal" value=hours errors=errors/>
                        </div>
                        <div class="col-md-3">
                            <TextField id="activity-files" field="files_handled" label="Pratiche lavorate" kind="number" inputmode="numeric" value=files errors=errors/>
                        </div>
                    </div>
                    <TextArea id="activity-notes" field="notes" label="Note" value=notes errors=errors/>
                    <div><button id="activity-save" type="submit" class="btn btn-primary" aria-disabled=move || busy.get().then_some("true")>"Registra"</button></div>
                </form>
            })}
        </section>
    }
}

/// Hours with an Italian decimal comma: `3,5`.
pub fn hours_it(h: f64) -> String {
    format!("{h}").replace('.', ",")
}

/// The files of a request: the list with downloads, and the upload for those who write on it.
#[component]
fn Files(id: i64, may_write: bool) -> impl IntoView {
    let version = RwSignal::new(0_u32);
    let list = LocalResource::new(move || {
        version.track();
        api::attachments(id)
    });
    let failure = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let upload = move |ev: leptos::ev::Event| {
        use wasm_bindgen::JsCast;
        let Some(input) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        else {
            return;
        };
        let Some(files) = input.files() else { return };
        let picked: Vec<web_sys::File> = (0..files.length()).filter_map(|i| files.get(i)).collect();
        input.set_value("");
        if picked.is_empty() {
            return;
        }
        busy.set(true);
        failure.set(None);
        spawn_local(async move {
            for f in picked {
                if let Err(e) = api::upload_attachment(id, &f, None).await {
                    failure.try_set(Some(e));
                    break;
                }
            }
            busy.try_set(false);
            version.try_update(|v| *v += 1);
        });
    };
    let download = move |aid: i64, name: String, ctype: String| {
        spawn_local(async move {
            match api::download(&format!("/support-requests/{id}/attachments/{aid}")).await {
                Ok(bytes) => {
                    crate::util::save_file(&bytes, &name, &ctype);
                }
                Err(e) => {
                    failure.try_set(Some(e));
                }
            }
        });
    };
    view! {
        <section class="mt-5" aria-labelledby="files-title">
            <h2 id="files-title" class="h4">"Allegati"</h2>
            {move || failure.get().map(|e| view! { <ErrorAlert error=e/> })}
            {move || match list.get() {
                None => view! { <Loading label="Caricamento degli allegati…"/> }.into_any(),
                Some(Err(e)) => view! { <ErrorAlert error=e/> }.into_any(),
                Some(Ok(fs)) if fs.is_empty() => view! { <p id="files-empty">"Nessun allegato."</p> }.into_any(),
                Some(Ok(fs)) => view! {
                    <ul id="files" class="list-unstyled d-grid gap-2">
                        {fs.into_iter().map(|a| {
                            let (aid, name, ctype) = (a.id, a.name.clone(), a.content_type.clone());
                            view! {
                                <li data-attachment-id=aid.to_string()>
                                    <button type="button" class="btn btn-link p-0" on:click=move |_| download(aid, name.clone(), ctype.clone())>
                                        {a.name.clone()}
                                    </button>
                                    <span class="small text-secondary">
                                        " · " {crate::components::text_field::human_size(u64::try_from(a.size).unwrap_or(0))}
                                        " · " {a.uploaded_by.full_name.clone()} " · " {format_datetime(a.created_at.timestamp_millis())}
                                    </span>
                                    {a.internal.then(|| view! { <span class="badge bg-warning text-dark ms-2">"Nota interna"</span> })}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any(),
            }}
            {may_write.then(|| view! {
                <div class="d-flex flex-wrap align-items-center gap-3">
                    <input id="files-input" type="file" multiple class="visually-hidden file-picker" accept=ACCEPT on:change=upload/>
                    <label for="files-input" class="btn btn-outline-primary mb-0">"Aggiungi allegati"</label>
                    <span class="small text-secondary">"PDF, Word, Excel, OpenDocument, PNG o JPEG; al massimo 20 MB ciascuno."</span>
                    {move || busy.get().then(|| view! { <span role="status">"Caricamento…"</span> })}
                </div>
            })}
        </section>
    }
}

/// What the file picker offers.
pub const ACCEPT: &str = ".pdf,.doc,.docx,.xls,.xlsx,.odt,.ods,.png,.jpg,.jpeg";
