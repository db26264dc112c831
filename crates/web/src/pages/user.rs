//! `/amministrazione/utenti/:id` (admin): one account, its grants (each can be revoked, after a
//! confirmation) and a form to grant another role.

use crate::api::{self, ApiError};
use crate::components::feedback::{ErrorAlert, Loading};
use crate::components::form::FieldErrors;
use crate::components::grant_fields::{GrantDraft, GrantFields};
use crate::components::icon::Icon;
use crate::pages::users::grant_text;
use crate::session::use_session;
use crate::util::{focus_id, format_date, format_datetime, set_title};
use affianca_domain::dto::{Grant, User};
use affianca_domain::{GrantId, Role, UserId};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_params_map;

#[component]
pub fn UserDetail() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| {
        params.with(|p| {
            p.get_str("id")
                .and_then(|s| s.parse::<i64>().ok())
                .map(UserId)
        })
    });
    let user = LocalResource::new(move || {
        let id = id.get();
        async move {
            match id {
                Some(id) => api::user(id).await.map(Some),
                None => Ok(None),
            }
        }
    });
    let loaded = Memo::new(move |_| {
        user.with(|u| match u {
            Some(Ok(Some(u))) => Some(u.clone()),
            _ => None,
        })
    });
    // What the last change did, announced politely.
    let status = RwSignal::new(None::<String>);

    let heading = move || {
        loaded
            .get()
            .map(|u| u.full_name)
            .unwrap_or_else(|| "Utente".to_owned())
    };

    view! {
        <nav class="breadcrumb-container" aria-label="Percorso">
            <ol class="breadcrumb">
                <li class="breadcrumb-item">
                    <a href="/">"Home"</a>
                    <span class="separator" aria-hidden="true">"/"</span>
                </li>
                <li class="breadcrumb-item">
                    <a href="/amministrazione/utenti">"Utenti"</a>
                    <span class="separator" aria-hidden="true">"/"</span>
                </li>
                <li class="breadcrumb-item active" aria-current="page">{heading}</li>
            </ol>
        </nav>
        {move || match user.get() {
            None => view! { <Loading label="Caricamento dell'utente…"/> }.into_any(),
            Some(Ok(Some(_))) => ().into_any(),
            Some(Ok(None)) => view! { <UserNotFound/> }.into_any(),
            Some(Err(e)) if e.is_not_found() => view! { <UserNotFound/> }.into_any(),
            Some(Err(e)) => {
                set_title("Errore");
                view! { <ErrorAlert error=e/> }.into_any()
            }
        }}
        // Kept outside the block above so that reloading the user after a change keeps the
        // add-role form (and focus) as they are.
        <Show when=move || loaded.with(Option::is_some)>
            {move || {
                loaded
                    .get()
                    .map(|u| {
                        set_title(&u.full_name);
                        view! { <Profile user=u/> }
                    })
            }}
            <div
                id="grant-status"
                class="mt-3"
                role="status"
                aria-live="polite"
                tabindex="-1"
            >
                {move || status.get().map(|s| view! { <div class="alert alert-success mb-0">{s}</div> })}
            </div>
            <GrantsSection
                user=Signal::derive(move || loaded.get())
                status=status
                reload=Callback::new(move |()| user.refetch())
            />
            <AddGrant
                user_id=Signal::derive(move || loaded.get().map(|u| u.id))
                status=status
                reload=Callback::new(move |()| user.refetch())
            />
        </Show>
        <p class="mt-5">
            <a id="back-to-users" href="/amministrazione/utenti" class="btn btn-outline-primary">
                <Icon name="it-arrow-left" class="icon-primary icon-sm me-1"/>
                "Torna all'elenco degli utenti"
            </a>
        </p>
    }
}

#[component]
fn Profile(user: User) -> impl IntoView {
    let u = user;
    view! {
        <h1 id="user-full-name" class="mb-3">{u.full_name.clone()}</h1>
        <dl class="row authority-fields" data-testid="user-fields">
            <dt class="col-sm-4 col-lg-3">"Email"</dt>
            <dd class="col-sm-8 col-lg-9" data-field="email">{u.email.to_string()}</dd>
            <dt class="col-sm-4 col-lg-3">"Stato"</dt>
            <dd class="col-sm-8 col-lg-9" data-field="active">
                {if u.active { "Attivo" } else { "Disattivato" }}
            </dd>
            <dt class="col-sm-4 col-lg-3">"Creato il"</dt>
            <dd class="col-sm-8 col-lg-9" data-field="created_at">{format_date(u.created_at.timestamp_millis())}</dd>
        </dl>
    }
}

#[component]
fn GrantsSection(
    #[prop(into)] user: Signal<Option<User>>,
    status: RwSignal<Option<String>>,
    reload: Callback<()>,
) -> impl IntoView {
    let session = use_session();
    let confirming = RwSignal::new(None::<GrantId>);
    let busy = RwSignal::new(false);
    let failure = RwSignal::new(None::<ApiError>);

    let ask = move |gid: GrantId| {
        failure.set(None);
        confirming.set(Some(gid));
        request_animation_frame(move || focus_id(&format!("confirm-revoke-{gid}")));
    };
    let cancel = move |gid: GrantId| {
        confirming.set(None);
        request_animation_frame(move || focus_id(&format!("revoke-{gid}")));
    };
    let revoke = move |grant: Grant| {
        let Some(uid) = user.get_untracked().map(|u| u.id) else {
            return;
        };
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        status.set(None);
        spawn_local(async move {
            let result = api::revoke_grant(uid, grant.id).await;
            busy.try_set(false);
            confirming.try_set(None);
            match result {
                Ok(()) => {
                    status.try_set(Some(format!(
                        "Ruolo revocato: {}.",
                        grant_text(grant.role, &grant.scope)
                    )));
                    reload.run(());
                    focus_id("grant-status");
                }
                Err(e) => {
                    failure.try_set(Some(e));
                    // Someone else may have revoked it already: show the grants as they are.
                    reload.run(());
                }
            }
        });
    };

    view! {
        <section class="mt-5" aria-labelledby="grants-title">
            <h2 id="grants-title" class="h4">"Ruoli"</h2>
            {move || failure.get().map(|e| view! { <ErrorAlert error=e/> })}
            {move || {
                let Some(u) = user.get() else { return ().into_any() };
                if u.grants.is_empty() {
                    return view! {
                        <p data-testid="no-grants">
                            "Nessun ruolo: l'utente può accedere ma non vede nulla del programma."
                        </p>
                    }
                        .into_any();
                }
                let own = session.user_id() == Some(u.id);
                view! {
                    <div class="table-responsive">
                        <table id="grants-table" class="table align-middle">
                            <thead>
                                <tr>
                                    <th scope="col">"Ruolo"</th>
                                    <th scope="col">"Ambito"</th>
                                    <th scope="col">"Assegnato il"</th>
                                    <th scope="col"><span class="visually-hidden">"Azioni"</span></th>
                                </tr>
                            </thead>
                            <tbody>
                                {u.grants
                                    .into_iter()
                                    .map(|g| {
                                        let gid = g.id;
                                        let text = grant_text(g.role, &g.scope);
                                        let self_admin = own && g.role == Role::Admin;
                                        let grant = g.clone();
                                        view! {
                                            <tr data-grant-id=gid.to_string() data-grant=format!("{}@{}", g.role, g.scope)>
                                                <th scope="row" class="fw-normal">{g.role.label()}</th>
                                                <td>{crate::util::scope_label(&g.scope)}</td>
                                                <td>{format_datetime(g.granted_at.timestamp_millis())}</td>
                                                <td class="text-end">
                                                    {move || {
                                                        if confirming.get() == Some(gid) {
                                                            let grant = grant.clone();
                                                            view! {
                                                                <div class="revoke-confirm" role="group" aria-label=format!("Conferma della revoca: {text}")>
                                                                    <span class="me-2">
                                                                        {if self_admin {
                                                                            "È il proprio ruolo di amministratore: revocarlo davvero?"
                                                                        } else {
                                                                            "Revocare questo ruolo?"
                                                                        }}
                                                                    </span>
                                                                    <button
                                                                        id=format!("confirm-revoke-{gid}")
                                                                        type="button"
                                                                        class="btn btn-danger btn-sm me-2"
                                                                        aria-disabled=move || busy.get().then_some("true")
                                                                        on:click=move |_| revoke(grant.clone())
                                                                    >
                                                                        "Sì, revoca"
                                                                    </button>
                                                                    <button
                                                                        id=format!("cancel-revoke-{gid}")
                                                                        type="button"
                                                                        class="btn btn-outline-secondary btn-sm"
                                                                        on:click=move |_| cancel(gid)
                                                                    >
                                                                        "Annulla"
                                                                    </button>
                                                                </div>
                                                            }
                                                                .into_any()
                                                        } else {
                                                            view! {
                                                                <button
                                                                    id=format!("revoke-{gid}")
                                                                    type="button"
                                                                    class="btn btn-outline-danger btn-sm"
                                                                    on:click=move |_| ask(gid)
                                                                >
                                                                    "Revoca"
                                                                    <span class="visually-hidden">{format!(" il ruolo {text}")}</span>
                                                                </button>
                                                            }
                                                                .into_any()
                                                        }
                                                    }}
                                                </td>
                                            </tr>
                                        }
                                    })
                                    .collect_view()}
                            </tbody>
                        </table>
                    </div>
                    <p class="small text-secondary">
                        "Chi perde un ruolo deve accedere di nuovo; un accesso già aperto lo conserva al più per 15 minuti."
                    </p>
                }
                    .into_any()
            }}
        </section>
    }
}

#[component]
fn AddGrant(
    #[prop(into)] user_id: Signal<Option<UserId>>,
    status: RwSignal<Option<String>>,
    reload: Callback<()>,
) -> impl IntoView {
    let provinces_res = LocalResource::new(api::provinces);
    let provinces =
        Signal::derive(move || provinces_res.get().and_then(Result::ok).unwrap_or_default());
    let draft = GrantDraft::new(0);
    let errors = FieldErrors::new();
    let failure = RwSignal::new(None::<ApiError>);
    let pending = RwSignal::new(false);

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if pending.get_untracked() {
            return;
        }
        let Some(uid) = user_id.get_untracked() else {
            return;
        };
        failure.set(None);
        let body = match draft.check("role", "scope") {
            Ok(b) => b,
            Err(e) => {
                let id = if e.field == "role" {
                    "grant-role"
                } else {
                    "grant-scope"
                };
                errors.set(vec![e]);
                focus_id(id);
                return;
            }
        };
        errors.clear();
        pending.set(true);
        status.set(None);
        spawn_local(async move {
            let result = api::add_grant(uid, &body).await;
            pending.try_set(false);
            match result {
                Ok(g) => {
                    draft.reset();
                    status.try_set(Some(format!(
                        "Ruolo assegnato: {}.",
                        grant_text(g.role, &g.scope)
                    )));
                    reload.run(());
                    focus_id("grant-status");
                }
                Err(mut e) => {
                    errors.set_from(&e);
                    let field_error = !e.field_errors().is_empty();
                    // The server names the grant by its codes; say it as the page does.
                    if let ApiError::Problem(p) = &mut e
                        && p.status == 409
                    {
                        p.detail = Some(format!(
                            "L'utente ha già il ruolo «{}».",
                            grant_text(body.role, &body.scope)
                        ));
                    }
                    failure.try_set(Some(e));
                    if field_error {
                        focus_id("grant-scope");
                    } else {
                        focus_id("add-grant-failure");
                    }
                }
            }
        });
    };

    view! {
        <section class="mt-5" aria-labelledby="add-grant-title">
            <h2 id="add-grant-title" class="h4">"Aggiungi ruolo"</h2>
            <div id="add-grant-failure" tabindex="-1">
                {move || failure.get().map(|e| view! { <ErrorAlert error=e/> })}
            </div>
            <form id="add-grant-form" class="mt-5" novalidate=true on:submit=submit>
                <GrantFields
                    draft=draft
                    id_prefix="grant"
                    role_field="role"
                    scope_field="scope"
                    errors=errors
                    provinces=provinces
                />
                <button
                    id="add-grant-submit"
                    type="submit"
                    class="btn btn-primary mt-3"
                    aria-disabled=move || pending.get().then_some("true")
                >
                    {move || if pending.get() { "Assegnazione in corso…" } else { "Aggiungi ruolo" }}
                </button>
            </form>
        </section>
    }
}

#[component]
fn UserNotFound() -> impl IntoView {
    set_title("Utente non trovato");
    view! {
        <div class="callout warning" data-testid="user-not-found">
            <div class="callout-title">
                <Icon name="it-info-circle"/>
                <span class="text">"Attenzione"</span>
            </div>
            <h1 class="h3">"Utente non trovato"</h1>
            <p>"Nessun utente corrisponde a questo indirizzo."</p>
        </div>
    }
}
