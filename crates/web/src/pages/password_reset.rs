//! `/password-dimenticata` (public): ask for a reset link; `/reimposta-password/:token` (public):
//! choose a new password with it.

use crate::api::{self, ApiError};
use crate::components::feedback::ErrorAlert;
use crate::components::form::{FieldErrors, field_error};
use crate::components::text_field::{ShowPassword, TextField, password_problem};
use crate::pages::invitation::{LinkProblem, link_problem, to_login};
use crate::session::use_session;
use crate::util::{focus_id, set_title};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::{use_navigate, use_params_map};

#[component]
pub fn ForgotPassword() -> impl IntoView {
    set_title("Password dimenticata");
    let email = RwSignal::new(String::new());
    let errors = FieldErrors::new();
    let failure = RwSignal::new(None::<ApiError>);
    let pending = RwSignal::new(false);
    let sent = RwSignal::new(false);

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if pending.get_untracked() {
            return;
        }
        failure.set(None);
        let mail = email.get_untracked().trim().to_owned();
        if mail.is_empty() || !mail.contains('@') {
            errors.set(vec![field_error(
                "email",
                "Inserire l'indirizzo email dell'account.",
            )]);
            focus_id("reset-email");
            return;
        }
        errors.clear();
        pending.set(true);
        spawn_local(async move {
            let result = api::request_password_reset(&mail).await;
            pending.try_set(false);
            match result {
                Ok(()) => {
                    sent.try_set(true);
                    focus_id("reset-sent");
                }
                Err(e) => {
                    errors.set_from(&e);
                    failure.try_set(Some(e));
                    focus_id("reset-failure");
                }
            }
        });
    };

    view! {
        <div class="row justify-content-center">
            <div class="col-12 col-md-8 col-lg-6">
                <h1 class="mb-3">"Password dimenticata"</h1>
                <div id="reset-sent" role="status" aria-live="polite" tabindex="-1">
                    {move || {
                        sent.get()
                            .then(|| {
                                view! {
                                    <div class="alert alert-success" data-testid="reset-requested">
                                        "Se l'indirizzo corrisponde a un account, riceverete un link valido un'ora "
                                        "per scegliere una nuova password. Controllate anche la posta indesiderata."
                                    </div>
                                }
                            })
                    }}
                </div>
                <Show when=move || !sent.get()>
                    <p class="mb-4">
                        "Indicare l'email dell'account: vi invieremo un link per scegliere una nuova password."
                    </p>
                    <div id="reset-failure" tabindex="-1">
                        {move || failure.get().map(|e| view! { <ErrorAlert error=e/> })}
                    </div>
                    <form id="reset-request-form" novalidate=true on:submit=submit>
                        <TextField
                            id="reset-email"
                            field="email"
                            label="Email"
                            kind="email"
                            value=email
                            errors=errors
                            autocomplete="username"
                            inputmode="email"
                        />
                        <button
                            id="reset-request-submit"
                            type="submit"
                            class="btn btn-primary mt-4"
                            aria-disabled=move || pending.get().then_some("true")
                        >
                            {move || if pending.get() { "Invio in corso…" } else { "Invia il link" }}
                        </button>
                    </form>
                </Show>
                <p class="mt-4"><a href="/accedi">"Torna all'accesso"</a></p>
            </div>
        </div>
    }
}

#[component]
pub fn ResetPassword() -> impl IntoView {
    set_title("Nuova password");
    let session = use_session();
    let navigate = use_navigate();
    let params = use_params_map();
    let token = Memo::new(move |_| params.with(|p| p.get("token").unwrap_or_default()));
    let password = RwSignal::new(String::new());
    let confirm = RwSignal::new(String::new());
    let show = RwSignal::new(false);
    let errors = FieldErrors::new();
    let failure = RwSignal::new(None::<ApiError>);
    let dead_link = RwSignal::new(None::<(&'static str, String)>);
    let pending = RwSignal::new(false);

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if pending.get_untracked() {
            return;
        }
        failure.set(None);
        let pw = password.get_untracked();
        let problem = match password_problem(&pw) {
            Some(p) => Some(("password", "new-password", p)),
            None if confirm.get_untracked() != pw => Some((
                "password_confirm",
                "new-password2",
                "Le due password non coincidono.",
            )),
            None => None,
        };
        if let Some((field, id, message)) = problem {
            errors.set(vec![field_error(field, message)]);
            focus_id(id);
            return;
        }
        errors.clear();
        pending.set(true);
        let navigate = navigate.clone();
        spawn_local(async move {
            match api::reset_password(&token.get_untracked(), pw).await {
                // The e-mail is not known here: the login asks for it.
                Ok(()) => to_login(session, navigate, "password", "").await,
                Err(e) => {
                    pending.try_set(false);
                    if let Some(p) =
                        link_problem(&e, "un nuovo link dalla pagina «Password dimenticata»")
                    {
                        dead_link.try_set(Some(p));
                        return;
                    }
                    errors.set_from(&e);
                    failure.try_set(Some(e));
                    focus_id(if errors.has("password") {
                        "new-password"
                    } else {
                        "new-password-failure"
                    });
                }
            }
        });
    };

    view! {
        <div class="row justify-content-center">
            <div class="col-12 col-md-8 col-lg-6">
                <h1 class="mb-3">"Nuova password"</h1>
                {move || match dead_link.get() {
                    Some((title, message)) => {
                        view! {
                            <LinkProblem title message/>
                            <p class="mt-3"><a id="reset-again" href="/password-dimenticata">"Chiedi un nuovo link"</a></p>
                        }
                            .into_any()
                    }
                    None => ().into_any(),
                }}
                <Show when=move || dead_link.with(Option::is_none)>
                    <p class="mb-4">
                        "Scegliere la nuova password dell'account. Gli accessi aperti su altri dispositivi verranno chiusi."
                    </p>
                    <div id="new-password-failure" tabindex="-1">
                        {move || failure.get().map(|e| view! { <ErrorAlert error=e/> })}
                    </div>
                    <form id="new-password-form" novalidate=true on:submit=submit.clone()>
                        <div class="row gx-3 gy-5">
                            <div class="col-12">
                                <TextField
                                    id="new-password"
                                    field="password"
                                    label="Nuova password"
                                    kind="password"
                                    value=password
                                    errors=errors
                                    autocomplete="new-password"
                                    reveal=show
                                    hint="Almeno 12 caratteri."
                                />
                            </div>
                            <div class="col-12">
                                <TextField
                                    id="new-password2"
                                    field="password_confirm"
                                    label="Conferma della nuova password"
                                    kind="password"
                                    value=confirm
                                    errors=errors
                                    autocomplete="new-password"
                                    reveal=show
                                />
                            </div>
                        </div>
                        <ShowPassword id="new-password-show" show=show/>
                        <button
                            id="new-password-submit"
                            type="submit"
                            class="btn btn-primary mt-4"
                            aria-disabled=move || pending.get().then_some("true")
                        >
                            {move || if pending.get() { "Salvataggio in corso…" } else { "Salva la nuova password" }}
                        </button>
                    </form>
                </Show>
            </div>
        </div>
    }
}
