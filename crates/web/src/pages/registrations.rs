//! `/registrazioni`: the secretariat's approval queue (any status on request), or one's own
//! registrations; `/registrazioni/:id`: one registration, its protocol, the secretariat's
//! decision and the representative's resubmission.

use crate::api::{self, ApiError};
use crate::components::feedback::{ErrorAlert, Loading};
use crate::components::form::{FieldErrors, FieldMessage, described_by, field_error};
use crate::components::icon::Icon;
use crate::components::protocol_upload::ProtocolUpload;
use crate::components::text_field::{SuccessMessage, human_size, signed_in_user};
use crate::session::use_session;
use crate::util::{focus_id, format_date, format_datetime, set_title};
use affianca_domain::dto::Registration;
use affianca_domain::links;
use affianca_domain::{RegistrationStatus, Role};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};

/// The badge of a status.
#[component]
pub fn StatusBadge(status: RegistrationStatus) -> impl IntoView {
    let class = match status {
        RegistrationStatus::AwaitingProtocol => "badge bg-warning text-dark",
        RegistrationStatus::Submitted => "badge bg-primary",
        RegistrationStatus::Approved => "badge bg-success",
        RegistrationStatus::Rejected => "badge bg-danger",
    };
    view! { <span class=class data-status=status.code()>{status.label()}</span> }
}

/// A moment (milliseconds since the epoch) or a dash.
fn when(millis: Option<i64>) -> String {
    millis.map_or_else(|| "—".to_owned(), format_datetime)
}

/// The status filter of the list: `stato=<code>` or `stato=tutti`; without it the secretariat
/// sees the queue (submitted) and everyone else all of their own.
pub fn status_filter(param: Option<&str>, secretariat: bool) -> Option<RegistrationStatus> {
    match param {
        Some("tutti") => None,
        Some(code) => RegistrationStatus::parse(code).ok(),
        None if secretariat => Some(RegistrationStatus::Submitted),
        None => None,
    }
}

#[component]
pub fn Registrations() -> impl IntoView {
    let session = use_session();
    let query = use_query_map();
    let navigate = use_navigate();
    let secretariat = Memo::new(move |_| session.has_role(Role::Secretariat));
    let filter =
        Memo::new(move |_| query.with(|q| status_filter(q.get_str("stato"), secretariat.get())));
    let list = LocalResource::new(move || api::registrations(filter.get()));
    let title = move || {
        if secretariat.get() {
            "Registrazioni degli enti"
        } else {
            "Le mie registrazioni"
        }
    };
    Effect::new(move |_| set_title(title()));

    let on_filter = move |ev| {
        let v = event_target_value(&ev);
        navigate(
            &format!(
                "/registrazioni?stato={}",
                if v.is_empty() { "tutti" } else { &v }
            ),
            NavigateOptions::default(),
        );
    };

    view! {
        <nav class="breadcrumb-container" aria-label="Percorso">
            <ol class="breadcrumb">
                <li class="breadcrumb-item">
                    <a href="/">"Home"</a>
                    <span class="separator" aria-hidden="true">"/"</span>
                </li>
                <li class="breadcrumb-item active" aria-current="page">{title}</li>
            </ol>
        </nav>
        <h1 class="mb-2">{title}</h1>
        <p class="lead mb-4">
            {move || {
                if secretariat.get() {
                    "Le registrazioni con il protocollo caricato attendono l'approvazione della Segreteria Tecnica."
                } else {
                    "Le registrazioni di enti fatte con questo account."
                }
            }}
        </p>
        <div class="row mb-4">
            <div class="col-12 col-md-6 col-lg-4">
                <div class="select-wrapper">
                    <label for="registrations-status">"Stato"</label>
                    <select id="registrations-status" on:change=on_filter>
                        <option value="" selected=move || filter.get().is_none()>"Tutti gli stati"</option>
                        {RegistrationStatus::ALL
                            .into_iter()
                            .map(|s| {
                                view! {
                                    <option value=s.code() selected=move || filter.get() == Some(s)>
                                        {s.label()}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </div>
            </div>
        </div>
        {move || match list.get() {
            None => view! { <Loading label="Caricamento delle registrazioni…"/> }.into_any(),
            Some(Err(e)) => view! { <ErrorAlert error=e/> }.into_any(),
            Some(Ok(items)) => view! { <RegistrationsTable items=items/> }.into_any(),
        }}
        {move || {
            (!secretariat.get())
                .then(|| {
                    view! {
                        <p class="mt-4">
                            "Per registrare un altro ente: " <a href="/registrazione">"Registrazione dell'ente"</a> "."
                        </p>
                    }
                })
        }}
    }
}

#[component]
fn RegistrationsTable(items: Vec<Registration>) -> impl IntoView {
    let n = items.len();
    let count = match n {
        0 => "Nessuna registrazione".to_owned(),
        1 => "1 registrazione".to_owned(),
        n => format!("{n} registrazioni"),
    };
    view! {
        <p id="registrations-count" data-total=n.to_string() role="status">{count}</p>
        {(n > 0)
            .then(|| {
                view! {
                    <div class="table-responsive">
                        <table id="registrations-table" class="table align-middle">
                            <caption class="visually-hidden">"Registrazioni, dalla più vecchia"</caption>
                            <thead>
                                <tr>
                                    <th scope="col">"Ente"</th>
                                    <th scope="col">"Rappresentante"</th>
                                    <th scope="col">"Carica"</th>
                                    <th scope="col">"Inviata il"</th>
                                    <th scope="col">"Stato"</th>
                                </tr>
                            </thead>
                            <tbody>
                                {items
                                    .into_iter()
                                    .map(|r| {
                                        view! {
                                            <tr
                                                data-registration-id=r.id.to_string()
                                                data-istat=r.istat_code.to_string()
                                                data-status=r.status.code()
                                            >
                                                <th scope="row" class="fw-normal">
                                                    <a href=links::registration(r.id)>
                                                        {r.authority_name.clone()}
                                                    </a>
                                                    <div class="small text-secondary font-monospace">
                                                        {r.istat_code.to_string()}
                                                    </div>
                                                </th>
                                                <td>
                                                    {r.full_name.clone()}
                                                    <div class="small text-secondary">{r.email.to_string()}</div>
                                                </td>
                                                <td>{r.office.label()}</td>
                                                <td>{when(r.submitted_at.map(|t| t.timestamp_millis()))}</td>
                                                <td><StatusBadge status=r.status/></td>
                                            </tr>
                                        }
                                    })
                                    .collect_view()}
                            </tbody>
                        </table>
                    </div>
                }
            })}
    }
}

// ---- one registration ----------------------------------------------------------------------

#[component]
pub fn RegistrationDetail() -> impl IntoView {
    let params = use_params_map();
    let id =
        Memo::new(move |_| params.with(|p| p.get_str("id").and_then(|s| s.parse::<i64>().ok())));
    // What the server said last: loaded, or returned by an action.
    let current = RwSignal::new(None::<Result<Registration, ApiError>>);
    let load = move |id: Option<i64>| {
        spawn_local(async move {
            let result = match id {
                Some(id) => api::registration(id).await,
                None => Err(ApiError::Status(404)),
            };
            current.try_set(Some(result));
        });
    };
    Effect::new(move |_| {
        current.set(None);
        load(id.get());
    });
    let reload = Callback::new(move |()| load(id.get_untracked()));

    view! {
        <nav class="breadcrumb-container" aria-label="Percorso">
            <ol class="breadcrumb">
                <li class="breadcrumb-item">
                    <a href="/">"Home"</a>
                    <span class="separator" aria-hidden="true">"/"</span>
                </li>
                <li class="breadcrumb-item">
                    <a href="/registrazioni">"Registrazioni"</a>
                    <span class="separator" aria-hidden="true">"/"</span>
                </li>
                <li class="breadcrumb-item active" aria-current="page">
                    {move || id.get().map(|i| format!("n. {i}")).unwrap_or_default()}
                </li>
            </ol>
        </nav>
        {move || match current.get() {
            None => view! { <Loading label="Caricamento della registrazione…"/> }.into_any(),
            Some(Err(e)) if e.is_not_found() => {
                set_title("Registrazione non trovata");
                view! {
                    <div class="callout warning" data-testid="registration-not-found">
                        <div class="callout-title">
                            <Icon name="it-info-circle"/>
                            <span class="text">"Attenzione"</span>
                        </div>
                        <h1 class="h3">"Registrazione non trovata"</h1>
                        <p>"La registrazione non esiste, oppure non è tra quelle che è possibile consultare."</p>
                    </div>
                }
                    .into_any()
            }
            Some(Err(e)) => {
                set_title("Errore");
                view! { <ErrorAlert error=e/> }.into_any()
            }
            Some(Ok(_)) => ().into_any(),
        }}
        // Outside the block above, so that the forms keep their state when the data changes.
        <Show when=move || matches!(current.get(), Some(Ok(_)))>
            <Detail current=current reload=reload/>
        </Show>
        <p class="mt-5">
            <a id="back-to-registrations" href="/registrazioni" class="btn btn-outline-primary">
                <Icon name="it-arrow-left" class="icon-primary icon-sm me-1"/>
                "Torna alle registrazioni"
            </a>
        </p>
    }
}

#[component]
fn Detail(
    current: RwSignal<Option<Result<Registration, ApiError>>>,
    reload: Callback<()>,
) -> impl IntoView {
    let session = use_session();
    let reg = Memo::new(move |_| match current.get() {
        Some(Ok(r)) => Some(r),
        _ => None,
    });
    let status = RwSignal::new(None::<String>);
    let updated = Callback::new(move |r: Registration| current.set(Some(Ok(r))));

    let is_owner = move || {
        let mine = signed_in_user(session).map(|u| u.email);
        reg.with(|r| r.as_ref().is_some_and(|r| mine.as_ref() == Some(&r.email)))
    };
    let can_upload = Memo::new(move |_| {
        is_owner() && reg.with(|r| r.as_ref().is_some_and(|r| r.status.accepts_protocol()))
    });
    // Just approved, seen by its representative: their session does not have the new role yet
    // (the access token carries the roles). Take it, once.
    let roles_refreshed = StoredValue::new(false);
    Effect::new(move |_| {
        let approved_code = reg.with(|r| {
            r.as_ref()
                .filter(|r| r.status == RegistrationStatus::Approved)
                .map(|r| r.istat_code.clone())
        });
        if let Some(code) = approved_code
            && is_owner()
            && !roles_refreshed.get_value()
            && !crate::pages::delegates::manages_delegates(session, &code)
        {
            roles_refreshed.set_value(true);
            spawn_local(async move {
                let _ = session.refresh_roles().await;
            });
        }
    });
    let can_decide = Memo::new(move |_| {
        session.has_role(Role::Secretariat)
            && reg.with(|r| {
                r.as_ref()
                    .is_some_and(|r| r.status == RegistrationStatus::Submitted)
            })
    });

    view! {
        {move || {
            reg.get()
                .map(|r| {
                    set_title(&format!("Registrazione di {}", r.authority_name));
                    view! { <Summary registration=r/> }
                })
        }}
        <SuccessMessage id="registration-news" message=status/>
        {move || reg.get().map(|r| view! { <ProtocolInfo registration=r/> })}
        <Show when=move || can_upload.get()>
            {move || {
                reg.get_untracked()
                    .map(|r| {
                        let again = r.status == RegistrationStatus::Rejected;
                        view! {
                            <section class="mt-5" aria-labelledby="upload-title">
                                <h2 id="upload-title" class="h4">
                                    {if again { "Carica il protocollo corretto" } else { "Carica il protocollo firmato" }}
                                </h2>
                                <p>
                                    {if again {
                                        "Il nuovo protocollo invia di nuovo la registrazione alla Segreteria Tecnica."
                                    } else {
                                        "Con il caricamento la registrazione passa alla Segreteria Tecnica per l'approvazione."
                                    }}
                                </p>
                                <ProtocolUpload
                                    registration_id=r.id
                                    action=if again { "Carica e invia di nuovo" } else { "Carica il protocollo" }
                                    on_uploaded=Callback::new(move |r: Registration| {
                                        updated.run(r);
                                        status.set(Some("Protocollo caricato: la registrazione è in valutazione.".to_owned()));
                                        focus_id("registration-news");
                                    })
                                />
                            </section>
                        }
                    })
            }}
        </Show>
        <Show when=move || can_decide.get()>
            <Decision reg=reg updated=updated status=status reload=reload/>
        </Show>
    }
}

#[component]
fn Summary(registration: Registration) -> impl IntoView {
    let r = registration;
    view! {
        <h1 id="registration-title" class="mb-3">"Registrazione di " {r.authority_name.clone()}</h1>
        <dl class="row authority-fields" data-testid="registration-fields">
            <dt class="col-sm-4 col-lg-3">"Stato"</dt>
            <dd class="col-sm-8 col-lg-9" id="registration-status" data-field="status" data-status=r.status.code()>
                <StatusBadge status=r.status/>
            </dd>
            <dt class="col-sm-4 col-lg-3">"Ente"</dt>
            <dd class="col-sm-8 col-lg-9" data-field="authority">
                <a href=links::authority(r.istat_code.as_ref())>{r.authority_name.clone()}</a>
                " (codice ISTAT " <span class="font-monospace">{r.istat_code.to_string()}</span> ")"
            </dd>
            <dt class="col-sm-4 col-lg-3">"Rappresentante legale"</dt>
            <dd class="col-sm-8 col-lg-9" data-field="full_name">{r.full_name.clone()}</dd>
            <dt class="col-sm-4 col-lg-3">"Carica"</dt>
            <dd class="col-sm-8 col-lg-9" data-field="office">{r.office.label()}</dd>
            <dt class="col-sm-4 col-lg-3">"Email"</dt>
            <dd class="col-sm-8 col-lg-9" data-field="email">{r.email.to_string()}</dd>
            <dt class="col-sm-4 col-lg-3">"Creata il"</dt>
            <dd class="col-sm-8 col-lg-9" data-field="created_at">{when(Some(r.created_at.timestamp_millis()))}</dd>
            <dt class="col-sm-4 col-lg-3">"Inviata il"</dt>
            <dd class="col-sm-8 col-lg-9" data-field="submitted_at">{when(r.submitted_at.map(|t| t.timestamp_millis()))}</dd>
            <dt class="col-sm-4 col-lg-3">"Decisa il"</dt>
            <dd class="col-sm-8 col-lg-9" data-field="decided_at">{when(r.decided_at.map(|t| t.timestamp_millis()))}</dd>
        </dl>
        {r.rejection_reason
            .clone()
            .filter(|_| r.status == RegistrationStatus::Rejected)
            .map(|reason| {
                view! {
                    <div class="callout danger" data-testid="rejection-reason">
                        <div class="callout-title">
                            <Icon name="it-error"/>
                            <span class="text">"Motivo del rifiuto"</span>
                        </div>
                        <p class="mb-0 preserve-lines">{reason}</p>
                    </div>
                }
            })}
        {(r.status == RegistrationStatus::Approved)
            .then(|| {
                view! {
                    <p data-testid="approved-next">
                        "L'ente è registrato: il rappresentante legale può "
                        <a href=links::delegates(r.istat_code.as_ref())>"invitare i delegati"</a> "."
                    </p>
                }
            })}
    }
}

#[component]
fn ProtocolInfo(registration: Registration) -> impl IntoView {
    let id = registration.id;
    let busy = RwSignal::new(false);
    let failure = RwSignal::new(None::<ApiError>);
    let download = move |name: String| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        failure.set(None);
        spawn_local(async move {
            let result = api::download_protocol(id).await;
            busy.try_set(false);
            match result {
                Ok(bytes) => {
                    if crate::util::save_file(&bytes, &name, "application/pdf").is_none() {
                        failure.try_set(Some(ApiError::Decode));
                    }
                }
                Err(e) => {
                    failure.try_set(Some(e));
                }
            }
        });
    };
    view! {
        <section class="mt-5" aria-labelledby="protocol-title">
            <h2 id="protocol-title" class="h4">"Protocollo di Collaborazione"</h2>
            {match registration.protocol {
                None => {
                    view! { <p data-testid="no-protocol">"Non ancora caricato."</p> }.into_any()
                }
                Some(p) => {
                    let name = p.original_name.clone();
                    view! {
                        <p data-testid="protocol-info">
                            <Icon name="it-file-pdf" class="icon-sm me-1"/>
                            <strong data-field="protocol_name">{p.original_name.clone()}</strong>
                            {format!(
                                " · {} · caricato il {}",
                                human_size(p.size),
                                format_date(p.uploaded_at.timestamp_millis()),
                            )}
                        </p>
                        <button
                            id="protocol-download"
                            type="button"
                            class="btn btn-outline-primary btn-sm"
                            aria-disabled=move || busy.get().then_some("true")
                            on:click=move |_| download(name.clone())
                        >
                            <Icon name="it-download" class="icon-primary icon-sm me-1"/>
                            {move || if busy.get() { "Download in corso…" } else { "Scarica il PDF" }}
                        </button>
                    }
                        .into_any()
                }
            }}
            {move || failure.get().map(|e| view! { <div class="mt-3"><ErrorAlert error=e/></div> })}
        </section>
    }
}

/// What the secretariat is about to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pending {
    Nothing,
    Approve,
    Reject,
}

#[component]
fn Decision(
    reg: Memo<Option<Registration>>,
    updated: Callback<Registration>,
    status: RwSignal<Option<String>>,
    reload: Callback<()>,
) -> impl IntoView {
    let asking = RwSignal::new(Pending::Nothing);
    let busy = RwSignal::new(false);
    let failure = RwSignal::new(None::<ApiError>);
    let reason = RwSignal::new(String::new());
    let errors = FieldErrors::new();
    let reason_invalid = Memo::new(move |_| errors.has("reason"));

    let ask = move |what: Pending| {
        failure.set(None);
        errors.clear();
        asking.set(what);
        request_animation_frame(move || {
            focus_id(if what == Pending::Approve {
                "confirm-approve"
            } else {
                "reject-reason"
            });
        });
    };
    let cancel = move |_| {
        let was = asking.get_untracked();
        asking.set(Pending::Nothing);
        request_animation_frame(move || {
            focus_id(if was == Pending::Reject {
                "reject"
            } else {
                "approve"
            })
        });
    };
    let finish = move |result: Result<Registration, ApiError>, done: &'static str| {
        busy.try_set(false);
        match result {
            Ok(r) => {
                asking.try_set(Pending::Nothing);
                let text = format!("{done} {}.", r.authority_name);
                updated.run(r);
                status.try_set(Some(text));
                focus_id("registration-news");
            }
            Err(e) => {
                errors.set_from(&e);
                let conflict = e.status() == Some(409);
                failure.try_set(Some(e));
                focus_id("decision-failure");
                if conflict {
                    // Someone else decided meanwhile: show the registration as it is now.
                    asking.try_set(Pending::Nothing);
                    reload.run(());
                }
            }
        }
    };
    let approve = move |_| {
        let Some(id) = reg.get_untracked().map(|r| r.id) else {
            return;
        };
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        spawn_local(async move {
            finish(
                api::approve_registration(id).await,
                "Registrazione approvata:",
            );
        });
    };
    let reject = move |ev: SubmitEvent| {
        ev.prevent_default();
        let Some(id) = reg.get_untracked().map(|r| r.id) else {
            return;
        };
        if busy.get_untracked() {
            return;
        }
        let text = reason.get_untracked().trim().to_owned();
        if text.is_empty() {
            errors.set(vec![field_error(
                "reason",
                "Scrivere il motivo: il rappresentante lo leggerà per correggere il protocollo.",
            )]);
            focus_id("reject-reason");
            return;
        }
        busy.set(true);
        spawn_local(async move {
            finish(
                api::reject_registration(id, text).await,
                "Registrazione respinta:",
            );
        });
    };

    let who = move || {
        reg.get()
            .map(|r| (r.full_name, r.authority_name))
            .unwrap_or_default()
    };

    view! {
        <section class="mt-5 decision" aria-labelledby="decision-title">
            <h2 id="decision-title" class="h4">"Decisione della Segreteria Tecnica"</h2>
            <div id="decision-failure" tabindex="-1">
                {move || failure.get().map(|e| view! { <ErrorAlert error=e/> })}
            </div>
            {move || match asking.get() {
                Pending::Nothing => {
                    view! {
                        <p>"Verificare il protocollo firmato, poi approvare o respingere la registrazione."</p>
                        <button id="approve" type="button" class="btn btn-success me-2" on:click=move |_| ask(Pending::Approve)>
                            <Icon name="it-check" class="icon-white icon-sm me-1"/>
                            "Approva"
                        </button>
                        <button id="reject" type="button" class="btn btn-outline-danger" on:click=move |_| ask(Pending::Reject)>
                            "Respingi"
                        </button>
                    }
                        .into_any()
                }
                Pending::Approve => {
                    let (name, authority) = who();
                    view! {
                        <div class="confirm-box" role="group" aria-labelledby="confirm-approve-text">
                            <p id="confirm-approve-text">
                                "Approvare la registrazione? " {name} " diventerà rappresentante legale di "
                                {authority} " su Affianca e potrà invitare i delegati."
                            </p>
                            <button
                                id="confirm-approve"
                                type="button"
                                class="btn btn-success me-2"
                                aria-disabled=move || busy.get().then_some("true")
                                on:click=approve
                            >
                                {move || if busy.get() { "Approvazione in corso…" } else { "Sì, approva" }}
                            </button>
                            <button id="cancel-approve" type="button" class="btn btn-outline-secondary" on:click=cancel>
                                "Annulla"
                            </button>
                        </div>
                    }
                        .into_any()
                }
                Pending::Reject => {
                    view! {
                        <form id="reject-form" class="confirm-box" novalidate=true on:submit=reject>
                            <div class="form-group mb-0">
                                <label for="reject-reason" class="active">"Motivo del rifiuto"</label>
                                <textarea
                                    id="reject-reason"
                                    class="form-control"
                                    class:is-invalid=move || reason_invalid.get()
                                    rows="4"
                                    maxlength="2000"
                                    aria-required="true"
                                    aria-invalid=move || reason_invalid.get().then_some("true")
                                    aria-describedby=move || {
                                        described_by(Some("reject-reason-hint"), "reject-reason-error", reason_invalid.get())
                                    }
                                    prop:value=move || reason.get()
                                    on:input=move |ev| {
                                        reason.set(event_target_value(&ev));
                                        errors.clear_field("reason");
                                    }
                                ></textarea>
                            </div>
                            <p id="reject-reason-hint" class="form-text small text-secondary mb-0 mt-1">
                                "Obbligatorio: il rappresentante lo riceve per email e può caricare un protocollo corretto."
                            </p>
                            <FieldMessage errors=errors field="reason" id="reject-reason-error"/>
                            <button
                                id="confirm-reject"
                                type="submit"
                                class="btn btn-danger mt-3 me-2"
                                aria-disabled=move || busy.get().then_some("true")
                            >
                                {move || if busy.get() { "Invio in corso…" } else { "Respingi la registrazione" }}
                            </button>
                            <button id="cancel-reject" type="button" class="btn btn-outline-secondary mt-3" on:click=cancel>
                                "Annulla"
                            </button>
                        </form>
                    }
                        .into_any()
                }
            }}
        </section>
    }
}

// ---- on the home page -------------------------------------------------------------------------

/// For the home page: what a legal representative can do next — follow their registration while
/// they have no role yet, manage the delegates of the authorities they represent.
#[component]
pub fn OnboardingNotice() -> impl IntoView {
    let session = use_session();
    move || {
        let user = signed_in_user(session)?;
        let represented: Vec<affianca_domain::IstatCode> = user
            .grants
            .iter()
            .filter(|g| g.role == Role::AuthorityRep)
            .filter_map(|g| match &g.scope {
                affianca_domain::Scope::Authority(c) => Some(c.clone()),
                _ => None,
            })
            .collect();
        if user.grants.is_empty() {
            return Some(
                view! {
                    <div class="callout note" data-testid="no-roles">
                        <div class="callout-title">
                            <Icon name="it-info-circle"/>
                            <span class="text">"Registrazione dell'ente"</span>
                        </div>
                        <p>
                            "L'account non ha ancora un ruolo nel programma. Se avete registrato il vostro ente, "
                            "la Segreteria Tecnica sta valutando la registrazione, oppure attende il protocollo firmato."
                        </p>
                        <a id="my-registrations" class="btn btn-outline-primary btn-sm" href="/registrazioni">
                            "Le mie registrazioni"
                        </a>
                    </div>
                }
                .into_any(),
            );
        }
        (!represented.is_empty()).then(|| {
            view! {
                <section class="mb-4" aria-labelledby="represented-title">
                    <h2 id="represented-title" class="h4 mb-3">"Gli enti che rappresentate"</h2>
                    <ul class="list-unstyled">
                        {represented
                            .into_iter()
                            .map(|code| view! { <RepresentedAuthority code=code/> })
                            .collect_view()}
                    </ul>
                </section>
            }
            .into_any()
        })
    }
}

#[component]
fn RepresentedAuthority(code: affianca_domain::IstatCode) -> impl IntoView {
    let name = LocalResource::new({
        let code = code.clone();
        move || {
            let code = code.clone();
            async move { api::authority(&code).await.map(|a| a.name).ok() }
        }
    });
    let label = {
        let code = code.clone();
        move || {
            name.get()
                .flatten()
                .unwrap_or_else(|| format!("Ente {code}"))
        }
    };
    view! {
        <li class="mb-2" data-istat=code.to_string()>
            <a href=links::authority(code.as_str())>{label}</a>
            " · "
            <a id=format!("rep-delegates-{code}") href=format!("/enti/{code}/delegati")>"Delegati"</a>
        </li>
    }
}

#[cfg(test)]
mod tests {
    use super::status_filter;
    use affianca_domain::RegistrationStatus;

    #[test]
    fn the_secretariat_starts_from_the_queue() {
        assert_eq!(
            status_filter(None, true),
            Some(RegistrationStatus::Submitted)
        );
        assert_eq!(status_filter(None, false), None);
        assert_eq!(status_filter(Some("tutti"), true), None);
        assert_eq!(
            status_filter(Some("rejected"), false),
            Some(RegistrationStatus::Rejected)
        );
        assert_eq!(status_filter(Some("boh"), true), None);
    }
}
