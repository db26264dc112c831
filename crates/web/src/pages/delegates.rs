//! `/enti/:istat_code/delegati`: the delegates of an authority and its invitations, for its legal
//! representative and the secretariat (who invite, revoke and remove); its delegates only see
//! the list.

use crate::api::{self, ApiError};
use crate::components::feedback::{ErrorAlert, Loading};
use crate::components::form::{FieldErrors, field_error};
use crate::components::icon::Icon;
use crate::components::text_field::{SuccessMessage, TextField, signed_in_user};
use crate::session::{Session, use_session};
use crate::util::{focus_id, format_date, set_title};
use affianca_domain::dto::{Delegate, Invitation, InviteDelegateRequest};
use affianca_domain::links;
use affianca_domain::{Email, IstatCode, Role, Scope};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_params_map;

/// Whether the signed-in user may manage the delegates of `code`: the secretariat, or the
/// authority's legal representative.
pub fn manages_delegates(session: Session, code: &IstatCode) -> bool {
    signed_in_user(session).is_some_and(|u| {
        u.grants.iter().any(|g| {
            g.role == Role::Secretariat
                || (g.role == Role::AuthorityRep && g.scope == Scope::Authority(code.clone()))
        })
    })
}

/// An invitation's status in Italian.
pub fn invitation_status_label(status: &str) -> &'static str {
    match status {
        "pending" => "In attesa",
        "accepted" => "Accettato",
        "expired" => "Scaduto",
        "revoked" => "Revocato",
        _ => "Sconosciuto",
    }
}

#[component]
pub fn Delegates() -> impl IntoView {
    let session = use_session();
    let params = use_params_map();
    let raw = Memo::new(move |_| params.with(|p| p.get("istat_code").unwrap_or_default()));
    let code = Memo::new(move |_| IstatCode::parse(&raw.get()).ok());
    let manager = Memo::new(move |_| code.get().is_some_and(|c| manages_delegates(session, &c)));
    let authority = LocalResource::new(move || {
        let code = code.get();
        async move {
            match code {
                Some(c) => api::authority(&c).await,
                None => Err(ApiError::Status(404)),
            }
        }
    });
    let name = move || {
        authority
            .get()
            .and_then(Result::ok)
            .map(|a| a.name)
            .unwrap_or_else(|| raw.get())
    };
    Effect::new(move |_| set_title(&format!("Delegati — {}", name())));
    let status = RwSignal::new(None::<String>);

    // Both lists, reloaded together after every change.
    let version = RwSignal::new(0_u32);
    let delegates = LocalResource::new(move || {
        version.track();
        let code = code.get();
        async move {
            match code {
                Some(c) => api::delegates(&c).await,
                None => Err(ApiError::Status(404)),
            }
        }
    });
    let invitations = LocalResource::new(move || {
        version.track();
        let code = code.get();
        let manager = manager.get();
        async move {
            match code {
                Some(c) if manager => api::invitations(&c).await.map(Some),
                _ => Ok(None),
            }
        }
    });
    let reload = Callback::new(move |()| version.update(|v| *v += 1));

    view! {
        <nav class="breadcrumb-container" aria-label="Percorso">
            <ol class="breadcrumb">
                <li class="breadcrumb-item">
                    <a href="/">"Home"</a>
                    <span class="separator" aria-hidden="true">"/"</span>
                </li>
                <li class="breadcrumb-item">
                    <a href="/enti">"Enti"</a>
                    <span class="separator" aria-hidden="true">"/"</span>
                </li>
                <li class="breadcrumb-item">
                    <a href=move || links::authority(&raw.get())>{name}</a>
                    <span class="separator" aria-hidden="true">"/"</span>
                </li>
                <li class="breadcrumb-item active" aria-current="page">"Delegati"</li>
            </ol>
        </nav>
        <h1 id="delegates-title" class="mb-2">"Delegati di " {name}</h1>
        <p class="lead mb-4">
            "I delegati operano su Affianca per conto dell'ente: chiedono il supporto degli esperti e ne seguono le richieste. "
            "Il rappresentante legale li invita per email e può rimuoverli in ogni momento."
        </p>
        <SuccessMessage id="delegates-news" message=status/>
        {move || match delegates.get() {
            None => view! { <Loading label="Caricamento dei delegati…"/> }.into_any(),
            Some(Err(e)) if e.is_not_found() => {
                view! {
                    <div class="callout warning" data-testid="delegates-not-found">
                        <div class="callout-title">
                            <Icon name="it-info-circle"/>
                            <span class="text">"Attenzione"</span>
                        </div>
                        <p class="mb-0">
                            "L'ente non esiste, oppure i suoi delegati non sono tra i dati che è possibile consultare."
                        </p>
                    </div>
                }
                    .into_any()
            }
            Some(Err(e)) => view! { <ErrorAlert error=e/> }.into_any(),
            Some(Ok(items)) => {
                view! {
                    <DelegatesTable
                        items=items
                        code=code.get_untracked()
                        manager=manager.get_untracked()
                        status=status
                        reload=reload
                    />
                }
                    .into_any()
            }
        }}
        <Show
            when=move || manager.get()
            fallback=move || {
                view! {
                    <p class="mt-4" data-testid="delegates-read-only">
                        "Solo il rappresentante legale dell'ente o la Segreteria Tecnica invitano e rimuovono i delegati."
                    </p>
                }
            }
        >
            <InviteForm code=code status=status reload=reload/>
            {move || match invitations.get() {
                None => view! { <Loading label="Caricamento degli inviti…"/> }.into_any(),
                Some(Err(e)) => view! { <ErrorAlert error=e/> }.into_any(),
                Some(Ok(None)) => ().into_any(),
                Some(Ok(Some(items))) => {
                    view! {
                        <InvitationsTable items=items code=code.get_untracked() status=status reload=reload/>
                    }
                        .into_any()
                }
            }}
        </Show>
        <p class="mt-5">
            <a id="back-to-authority" href=move || links::authority(&raw.get()) class="btn btn-outline-primary">
                <Icon name="it-arrow-left" class="icon-primary icon-sm me-1"/>
                "Torna all'ente"
            </a>
        </p>
    }
}

/// A row action with an inline confirmation: the button, then "Sì" / "Annulla".
#[component]
fn ConfirmAction(
    /// `remove-<id>` or `revoke-<id>`; the confirmation buttons are `confirm-<id>` and
    /// `cancel-<id>`.
    id: String,
    label: &'static str,
    /// Read by screen readers after the label ("il delegato Luca Verdi").
    what: String,
    question: &'static str,
    yes: &'static str,
    on_confirm: Callback<()>,
    busy: RwSignal<bool>,
) -> impl IntoView {
    let asking = RwSignal::new(false);
    let (confirm_id, cancel_id) = (format!("confirm-{id}"), format!("cancel-{id}"));
    move || {
        if asking.get() {
            let id = id.clone();
            let focus_confirm = confirm_id.clone();
            request_animation_frame(move || focus_id(&focus_confirm));
            view! {
                <div class="d-inline-flex flex-wrap align-items-center gap-2" role="group" aria-label=format!("{label}: {what}")>
                    <span>{question}</span>
                    <button
                        id=confirm_id.clone()
                        type="button"
                        class="btn btn-danger btn-sm"
                        aria-disabled=move || busy.get().then_some("true")
                        on:click=move |_| {
                            if !busy.get_untracked() {
                                on_confirm.run(());
                            }
                        }
                    >
                        {yes}
                    </button>
                    <button
                        id=cancel_id.clone()
                        type="button"
                        class="btn btn-outline-secondary btn-sm"
                        on:click=move |_| {
                            asking.set(false);
                            let id = id.clone();
                            request_animation_frame(move || focus_id(&id));
                        }
                    >
                        "Annulla"
                    </button>
                </div>
            }
                .into_any()
        } else {
            view! {
                <button
                    id=id.clone()
                    type="button"
                    class="btn btn-outline-danger btn-sm"
                    on:click=move |_| asking.set(true)
                >
                    {label}
                    <span class="visually-hidden">{format!(" {what}")}</span>
                </button>
            }
            .into_any()
        }
    }
}

#[component]
fn DelegatesTable(
    items: Vec<Delegate>,
    code: Option<IstatCode>,
    manager: bool,
    status: RwSignal<Option<String>>,
    reload: Callback<()>,
) -> impl IntoView {
    let busy = RwSignal::new(false);
    let failure = RwSignal::new(None::<ApiError>);
    let remove = Callback::new(move |d: Delegate| {
        let Some(code) = code.clone() else { return };
        busy.set(true);
        failure.set(None);
        status.set(None);
        spawn_local(async move {
            let result = api::remove_delegate(&code, d.user_id).await;
            busy.try_set(false);
            match result {
                Ok(()) => {
                    status.try_set(Some(format!(
                        "{} non è più delegato dell'ente: i suoi accessi sono stati chiusi.",
                        d.full_name
                    )));
                    focus_id("delegates-news");
                }
                Err(e) => {
                    failure.try_set(Some(e));
                }
            }
            reload.run(());
        });
    });
    view! {
        <section class="mt-4" aria-labelledby="delegates-list-title">
            <h2 id="delegates-list-title" class="h4">"Delegati"</h2>
            {move || failure.get().map(|e| view! { <ErrorAlert error=e/> })}
            {if items.is_empty() {
                view! { <p data-testid="no-delegates">"Nessun delegato per ora."</p> }.into_any()
            } else {
                view! {
                    <div class="table-responsive">
                        <table id="delegates-table" class="table align-middle">
                            <thead>
                                <tr>
                                    <th scope="col">"Nome"</th>
                                    <th scope="col">"Email"</th>
                                    <th scope="col">"Delegato dal"</th>
                                    {manager.then(|| view! { <th scope="col"><span class="visually-hidden">"Azioni"</span></th> })}
                                </tr>
                            </thead>
                            <tbody>
                                {items
                                    .into_iter()
                                    .map(|d| {
                                        let uid = d.user_id;
                                        let delegate = d.clone();
                                        view! {
                                            <tr data-user-id=uid.to_string() data-email=d.email.to_string()>
                                                <th scope="row" class="fw-normal" data-field="full_name">{d.full_name.clone()}</th>
                                                <td data-field="email">{d.email.to_string()}</td>
                                                <td>{format_date(d.since.timestamp_millis())}</td>
                                                {manager
                                                    .then(|| {
                                                        view! {
                                                            <td class="text-end">
                                                                <ConfirmAction
                                                                    id=format!("remove-{uid}")
                                                                    label="Rimuovi"
                                                                    what=format!("il delegato {}", d.full_name)
                                                                    question="Rimuovere il delegato? Perderà l'accesso ai dati dell'ente."
                                                                    yes="Sì, rimuovi"
                                                                    busy=busy
                                                                    on_confirm=Callback::new(move |()| remove.run(delegate.clone()))
                                                                />
                                                            </td>
                                                        }
                                                    })}
                                            </tr>
                                        }
                                    })
                                    .collect_view()}
                            </tbody>
                        </table>
                    </div>
                }
                    .into_any()
            }}
        </section>
    }
}

#[component]
fn InvitationsTable(
    items: Vec<Invitation>,
    code: Option<IstatCode>,
    status: RwSignal<Option<String>>,
    reload: Callback<()>,
) -> impl IntoView {
    let busy = RwSignal::new(false);
    let failure = RwSignal::new(None::<ApiError>);
    let revoke = Callback::new(move |inv: Invitation| {
        let Some(code) = code.clone() else { return };
        busy.set(true);
        failure.set(None);
        status.set(None);
        spawn_local(async move {
            let result = api::revoke_invitation(&code, inv.id).await;
            busy.try_set(false);
            match result {
                Ok(()) => {
                    status.try_set(Some(format!(
                        "Invito a {} revocato: il link non funziona più.",
                        inv.email
                    )));
                    focus_id("delegates-news");
                }
                Err(e) => {
                    failure.try_set(Some(e));
                }
            }
            reload.run(());
        });
    });
    view! {
        <section class="mt-5" aria-labelledby="invitations-title">
            <h2 id="invitations-title" class="h4">"Inviti"</h2>
            {move || failure.get().map(|e| view! { <ErrorAlert error=e/> })}
            {if items.is_empty() {
                view! { <p data-testid="no-invitations">"Nessun invito inviato."</p> }.into_any()
            } else {
                view! {
                    <div class="table-responsive">
                        <table id="invitations-table" class="table align-middle">
                            <thead>
                                <tr>
                                    <th scope="col">"Email"</th>
                                    <th scope="col">"Stato"</th>
                                    <th scope="col">"Inviato il"</th>
                                    <th scope="col">"Scadenza"</th>
                                    <th scope="col"><span class="visually-hidden">"Azioni"</span></th>
                                </tr>
                            </thead>
                            <tbody>
                                {items
                                    .into_iter()
                                    .map(|inv| {
                                        let id = inv.id;
                                        let pending = inv.status == "pending";
                                        let invitation = inv.clone();
                                        view! {
                                            <tr data-invitation-id=id.to_string() data-email=inv.email.to_string() data-status=inv.status.clone()>
                                                <th scope="row" class="fw-normal">{inv.email.to_string()}</th>
                                                <td data-field="status">{invitation_status_label(&inv.status)}</td>
                                                <td>{format_date(inv.created_at.timestamp_millis())}</td>
                                                <td>{format_date(inv.expires_at.timestamp_millis())}</td>
                                                <td class="text-end">
                                                    {pending
                                                        .then(|| {
                                                            view! {
                                                                <ConfirmAction
                                                                    id=format!("revoke-{id}")
                                                                    label="Revoca"
                                                                    what=format!("l'invito a {}", inv.email)
                                                                    question="Revocare l'invito? Il link smetterà di funzionare."
                                                                    yes="Sì, revoca"
                                                                    busy=busy
                                                                    on_confirm=Callback::new(move |()| revoke.run(invitation.clone()))
                                                                />
                                                            }
                                                        })}
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
            }}
        </section>
    }
}

#[component]
fn InviteForm(
    code: Memo<Option<IstatCode>>,
    status: RwSignal<Option<String>>,
    reload: Callback<()>,
) -> impl IntoView {
    let email = RwSignal::new(String::new());
    let errors = FieldErrors::new();
    let failure = RwSignal::new(None::<ApiError>);
    let pending = RwSignal::new(false);
    // News from elsewhere on the page (a removal, a revocation) makes an old failure stale.
    Effect::new(move |_| {
        if status.with(Option::is_some) {
            failure.set(None);
        }
    });

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if pending.get_untracked() {
            return;
        }
        let Some(code) = code.get_untracked() else {
            return;
        };
        failure.set(None);
        let mail = email.get_untracked();
        let parsed = if mail.trim().is_empty() {
            Err("Inserire l'indirizzo email del delegato.".to_owned())
        } else {
            Email::parse(&mail).map_err(|e| e.to_string())
        };
        let parsed = match parsed {
            Ok(e) => e,
            Err(m) => {
                errors.set(vec![field_error("email", m)]);
                focus_id("invite-email");
                return;
            }
        };
        errors.clear();
        pending.set(true);
        status.set(None);
        spawn_local(async move {
            let result =
                api::invite_delegate(&code, &InviteDelegateRequest { email: parsed }).await;
            pending.try_set(false);
            match result {
                Ok(inv) => {
                    email.try_set(String::new());
                    status.try_set(Some(format!(
                        "Invito inviato a {}: il link vale fino al {} e funziona una sola volta.",
                        inv.email,
                        format_date(inv.expires_at.timestamp_millis())
                    )));
                    reload.run(());
                    focus_id("delegates-news");
                }
                Err(e) => {
                    errors.set_from(&e);
                    let field = errors.has("email");
                    failure.try_set(Some(e));
                    focus_id(if field {
                        "invite-email"
                    } else {
                        "invite-failure"
                    });
                }
            }
        });
    };

    view! {
        <section class="mt-5" aria-labelledby="invite-title">
            <h2 id="invite-title" class="h4">"Invita un delegato"</h2>
            <p>"La persona riceve per email un link valido 7 giorni per creare l'account (o collegare quello che ha già)."</p>
            <div id="invite-failure" tabindex="-1">
                {move || failure.get().map(|e| view! { <ErrorAlert error=e/> })}
            </div>
            <form id="invite-form" class="mt-4" novalidate=true on:submit=submit>
                <div class="row">
                    <div class="col-12 col-md-8 col-lg-6">
                        <TextField
                            id="invite-email"
                            field="email"
                            label="Email del delegato"
                            kind="email"
                            value=email
                            errors=errors
                            inputmode="email"
                        />
                    </div>
                </div>
                <button
                    id="invite-submit"
                    type="submit"
                    class="btn btn-primary mt-3"
                    aria-disabled=move || pending.get().then_some("true")
                >
                    {move || if pending.get() { "Invio in corso…" } else { "Invia l'invito" }}
                </button>
            </form>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::invitation_status_label;

    #[test]
    fn invitation_statuses_read_in_italian() {
        assert_eq!(invitation_status_label("pending"), "In attesa");
        assert_eq!(invitation_status_label("accepted"), "Accettato");
        assert_eq!(invitation_status_label("expired"), "Scaduto");
        assert_eq!(invitation_status_label("revoked"), "Revocato");
    }
}
