//! `/accedi`: sign in with email and password.

use crate::api::ApiError;
use crate::components::feedback::ErrorAlert;
use crate::session::use_session;
use crate::util::{safe_return_path, set_title};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_navigate, use_query_map};

#[component]
pub fn Login() -> impl IntoView {
    set_title("Accedi");
    let session = use_session();
    let query = use_query_map();
    let navigate = use_navigate();
    let target = Memo::new(move |_| query.with(|q| safe_return_path(q.get_str("ritorno"))));

    // Once signed in (now, or already from a stored session) go to the page asked for.
    Effect::new(move |_| {
        if session.is_signed_in() {
            navigate(
                &target.get_untracked(),
                NavigateOptions {
                    replace: true,
                    ..Default::default()
                },
            );
        }
    });

    // Prefilled after accepting an invitation; a message after an invitation or a new password.
    let email = RwSignal::new(query.with_untracked(|q| q.get("email").unwrap_or_default()));
    let outcome = query.with_untracked(|q| match q.get_str("esito") {
        Some("invito") => {
            Some("Invito accettato: accedere con l'account per operare come delegato dell'ente.")
        }
        Some("password") => Some("Password cambiata: accedere con la nuova password."),
        _ => None,
    });
    let password = RwSignal::new(String::new());
    let show_password = RwSignal::new(false);
    let pending = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    let email_missing = RwSignal::new(false);
    let password_missing = RwSignal::new(false);

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if pending.get_untracked() {
            return;
        }
        let e = email.get_untracked().trim().to_owned();
        let p = password.get_untracked();
        email_missing.set(e.is_empty());
        password_missing.set(p.is_empty());
        if e.is_empty() || p.is_empty() {
            crate::util::focus_id(if e.is_empty() { "email" } else { "password" });
            return;
        }
        error.set(None);
        pending.set(true);
        spawn_local(async move {
            let result = session.sign_in(e, p).await;
            pending.try_set(false);
            if let Err(e) = result {
                password.try_set(String::new());
                error.try_set(Some(e));
            }
        });
    };

    view! {
        <div class="row justify-content-center">
            <div class="col-12 col-md-8 col-lg-6">
                <h1 class="mb-3">"Accedi"</h1>
                <p class="mb-4">
                    "Accedere con l'indirizzo email e la password dell'account Affianca."
                </p>
                {outcome
                    .map(|m| {
                        view! {
                            <div id="login-outcome" class="alert alert-success" role="status">{m}</div>
                        }
                    })}
                <div>
                    {move || error.get().map(|e| view! { <ErrorAlert error=e/> })}
                </div>
                <form id="login-form" class="mt-4" novalidate=true on:submit=submit>
                    <div class="form-group">
                        <label for="email" class="active">"Email"</label>
                        <input
                            type="email"
                            id="email"
                            name="email"
                            class="form-control"
                            class:is-invalid=move || email_missing.get()
                            autocomplete="username"
                            inputmode="email"
                            spellcheck="false"
                            required=true
                            aria-required="true"
                            aria-invalid=move || email_missing.get().then_some("true")
                            aria-describedby=move || email_missing.get().then_some("email-error")
                            prop:value=move || email.get()
                            on:input=move |ev| {
                                email.set(event_target_value(&ev));
                                email_missing.set(false);
                            }
                        />
                        <Show when=move || email_missing.get()>
                            <div id="email-error" class="invalid-feedback d-block">
                                "Inserire l'indirizzo email."
                            </div>
                        </Show>
                    </div>
                    <div class="form-group mb-2">
                        <label for="password" class="active">"Password"</label>
                        <input
                            type=move || if show_password.get() { "text" } else { "password" }
                            id="password"
                            name="password"
                            class="form-control"
                            class:is-invalid=move || password_missing.get()
                            autocomplete="current-password"
                            required=true
                            aria-required="true"
                            aria-invalid=move || password_missing.get().then_some("true")
                            aria-describedby=move || password_missing.get().then_some("password-error")
                            prop:value=move || password.get()
                            on:input=move |ev| {
                                password.set(event_target_value(&ev));
                                password_missing.set(false);
                            }
                        />
                        <Show when=move || password_missing.get()>
                            <div id="password-error" class="invalid-feedback d-block">
                                "Inserire la password."
                            </div>
                        </Show>
                    </div>
                    <div class="form-check mb-4">
                        <input
                            id="show-password"
                            type="checkbox"
                            prop:checked=move || show_password.get()
                            on:change=move |ev| show_password.set(event_target_checked(&ev))
                        />
                        <label for="show-password">"Mostra la password"</label>
                    </div>
                    <button
                        id="login-submit"
                        type="submit"
                        class="btn btn-primary"
                        aria-disabled=move || pending.get().then_some("true")
                    >
                        {move || if pending.get() { "Accesso in corso…" } else { "Accedi" }}
                    </button>
                </form>
                <p class="mt-4 mb-2">
                    <a id="forgot-password" href="/password-dimenticata">"Password dimenticata?"</a>
                </p>
                <p class="mb-0">
                    "Il vostro ente non è ancora registrato? "
                    <a id="register-link" href="/registrazione">"Registrate l'ente"</a>
                </p>
            </div>
        </div>
    }
}
