//! `/invito/:token` (public): accept an invitation to act as a delegate of an authority — with a
//! new account (name and password) or with the existing account's password.

use crate::api::{self, ApiError};
use crate::components::feedback::{ErrorAlert, Loading};
use crate::components::form::{FieldErrors, field_error};
use crate::components::icon::Icon;
use crate::components::text_field::{ShowPassword, TextField, password_problem, signed_in_user};
use crate::session::{Session, use_session};
use crate::util::{encode, focus_id, format_date, set_title};
use affianca_domain::dto::{AcceptInvitationRequest, InvitationPreview};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_navigate, use_params_map};

/// Why a link from an e-mail does not work, in words: 404 unknown, 410 expired or used.
pub fn link_problem(error: &ApiError, what: &str) -> Option<(&'static str, String)> {
    let code = match error {
        ApiError::Problem(p) => Some(p.code.as_str()),
        _ => None,
    };
    match (error.status(), code) {
        (Some(404), _) => Some((
            "Link non valido",
            format!(
                "Il link non è valido: controllare di averlo copiato per intero dall'email, oppure chiedere {what}."
            ),
        )),
        (Some(410), Some("token_expired")) => Some((
            "Link scaduto",
            format!("Il link è scaduto: chiedere {what}."),
        )),
        (Some(410), _) => Some((
            "Link già usato",
            format!(
                "Il link è già stato usato (o è stato revocato) e non funziona più: chiedere {what} se serve."
            ),
        )),
        _ => None,
    }
}

/// A link that no longer works: a warning with what to do.
#[component]
pub fn LinkProblem(title: &'static str, message: String) -> impl IntoView {
    view! {
        <div class="callout warning" data-testid="link-problem">
            <div class="callout-title">
                <Icon name="it-warning-circle"/>
                <span class="text">{title}</span>
            </div>
            <p class="mb-0" id="link-problem-text">{message}</p>
        </div>
    }
}

/// Ends any session in this browser, then opens the login with a message and the e-mail.
pub async fn to_login(
    session: Session,
    navigate: impl Fn(&str, NavigateOptions),
    outcome: &str,
    email: &str,
) {
    if signed_in_user(session).is_some() {
        session.sign_out().await;
    }
    navigate(
        &format!("/accedi?esito={outcome}&email={}", encode(email)),
        NavigateOptions::default(),
    );
}

#[component]
pub fn AcceptInvitation() -> impl IntoView {
    set_title("Invito come delegato");
    let params = use_params_map();
    let token = Memo::new(move |_| params.with(|p| p.get("token").unwrap_or_default()));
    let preview = LocalResource::new(move || {
        let t = token.get();
        async move { api::invitation_preview(&t).await }
    });
    view! {
        <div class="row justify-content-center">
            <div class="col-12 col-lg-8">
                <h1 class="mb-3">"Invito come delegato"</h1>
                {move || match preview.get() {
                    None => view! { <Loading label="Verifica del link…"/> }.into_any(),
                    Some(Ok(p)) => view! { <AcceptForm preview=p token=token.get_untracked()/> }.into_any(),
                    Some(Err(e)) => match link_problem(&e, "un nuovo invito al rappresentante legale dell'ente") {
                        Some((title, message)) => view! { <LinkProblem title message/> }.into_any(),
                        None => view! { <ErrorAlert error=e/> }.into_any(),
                    },
                }}
            </div>
        </div>
    }
}

#[component]
fn AcceptForm(preview: InvitationPreview, token: String) -> impl IntoView {
    let session = use_session();
    let navigate = use_navigate();
    let existing = preview.existing_account;
    let invited = preview.email.to_string();
    let full_name = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let confirm = RwSignal::new(String::new());
    let show = RwSignal::new(false);
    let errors = FieldErrors::new();
    let failure = RwSignal::new(None::<ApiError>);
    let pending = RwSignal::new(false);
    let token = StoredValue::new(token);
    // Someone else is signed in in this browser: say that accepting will sign them out.
    let other_session = Memo::new({
        let invited = invited.clone();
        move |_| {
            signed_in_user(session)
                .map(|u| u.email.to_string())
                .filter(|e| *e != invited)
        }
    });

    let submit = {
        let invited = invited.clone();
        move |ev: SubmitEvent| {
            ev.prevent_default();
            if pending.get_untracked() {
                return;
            }
            failure.set(None);
            let mut problems = Vec::new();
            let name = full_name.get_untracked().trim().to_owned();
            let pw = password.get_untracked();
            if existing {
                if pw.is_empty() {
                    problems.push(field_error(
                        "password",
                        "Inserire la password dell'account.",
                    ));
                }
            } else {
                if name.is_empty() {
                    problems.push(field_error("full_name", "Inserire nome e cognome."));
                }
                if let Some(p) = password_problem(&pw) {
                    problems.push(field_error("password", p));
                } else if confirm.get_untracked() != pw {
                    problems.push(field_error(
                        "password_confirm",
                        "Le due password non coincidono.",
                    ));
                }
            }
            if let Some(first) = problems.first() {
                let id = match first.field.as_str() {
                    "full_name" => "invite-name",
                    "password_confirm" => "invite-password2",
                    _ => "invite-password",
                };
                errors.set(problems);
                focus_id(id);
                return;
            }
            errors.clear();
            pending.set(true);
            let body = AcceptInvitationRequest {
                full_name: name,
                password: pw,
            };
            let invited = invited.clone();
            let navigate = navigate.clone();
            spawn_local(async move {
                let result = api::accept_invitation(&token.get_value(), &body).await;
                match result {
                    Ok(()) => to_login(session, navigate, "invito", &invited).await,
                    Err(e) => {
                        pending.try_set(false);
                        errors.set_from(&e);
                        if e.status() == Some(401) {
                            errors.set(vec![field_error("password", "Password non corretta.")]);
                        }
                        let id = if errors.has("full_name") {
                            "invite-name"
                        } else if errors.has("password") {
                            "invite-password"
                        } else {
                            "accept-failure"
                        };
                        failure.try_set(Some(e));
                        focus_id(id);
                    }
                }
            });
        }
    };

    view! {
        <p class="lead" data-testid="invitation-summary">
            "Siete stati invitati a operare su Affianca come delegati di "
            <strong id="invitation-authority">{preview.authority_name.clone()}</strong>
            " (codice ISTAT " {preview.istat_code.to_string()} ")."
        </p>
        <dl class="row">
            <dt class="col-sm-4">"Email dell'account"</dt>
            <dd class="col-sm-8" id="invitation-email">{invited.clone()}</dd>
            <dt class="col-sm-4">"Il link scade il"</dt>
            <dd class="col-sm-8">{format_date(preview.expires_at.timestamp_millis())}</dd>
        </dl>
        {move || {
            other_session
                .get()
                .map(|who| {
                    view! {
                        <div class="alert alert-warning" data-testid="other-session">
                            "In questo browser è aperto l'accesso di " {who}
                            ": accettando l'invito verrà chiuso, per accedere poi con l'account invitato."
                        </div>
                    }
                })
        }}
        <div id="accept-failure" tabindex="-1">
            {move || failure.get().map(|e| view! { <ErrorAlert error=e/> })}
        </div>
        <form id="accept-form" class="mt-4" novalidate=true on:submit=submit>
            {if existing {
                view! {
                    <p>
                        "Esiste già un account con questa email: inserire la sua password per aggiungere il ruolo di delegato."
                    </p>
                    <div class="row">
                        <div class="col-12 col-md-6">
                            <TextField
                                id="invite-password"
                                field="password"
                                label="Password dell'account"
                                kind="password"
                                value=password
                                errors=errors
                                autocomplete="current-password"
                                reveal=show
                            />
                        </div>
                    </div>
                }
                    .into_any()
            } else {
                view! {
                    <p>"Per accettare, creare l'account: l'email è quella dell'invito."</p>
                    <div class="row gx-3 gy-5">
                        <div class="col-12 col-md-6">
                            <TextField
                                id="invite-name"
                                field="full_name"
                                label="Nome e cognome"
                                value=full_name
                                errors=errors
                                autocomplete="name"
                                maxlength=200
                            />
                        </div>
                        <div class="col-12 col-md-6"></div>
                        <div class="col-12 col-md-6">
                            <TextField
                                id="invite-password"
                                field="password"
                                label="Password"
                                kind="password"
                                value=password
                                errors=errors
                                autocomplete="new-password"
                                reveal=show
                                hint="Almeno 12 caratteri."
                            />
                        </div>
                        <div class="col-12 col-md-6">
                            <TextField
                                id="invite-password2"
                                field="password_confirm"
                                label="Conferma della password"
                                kind="password"
                                value=confirm
                                errors=errors
                                autocomplete="new-password"
                                reveal=show
                            />
                        </div>
                    </div>
                }
                    .into_any()
            }}
            <ShowPassword id="invite-show-password" show=show/>
            <button
                id="accept-submit"
                type="submit"
                class="btn btn-primary mt-4"
                aria-disabled=move || pending.get().then_some("true")
            >
                {move || if pending.get() { "Invio in corso…" } else { "Accetta l'invito" }}
            </button>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::link_problem;
    use crate::api::ApiError;
    use affianca_domain::dto::Problem;

    fn problem(status: u16, code: &str) -> ApiError {
        ApiError::Problem(Box::new(Problem {
            kind: String::new(),
            title: "t".into(),
            status,
            detail: None,
            code: code.into(),
            request_id: None,
            errors: Vec::new(),
        }))
    }

    #[test]
    fn dead_links_are_explained() {
        let what = "un nuovo invito";
        assert_eq!(
            link_problem(&problem(404, "not_found"), what).unwrap().0,
            "Link non valido"
        );
        assert_eq!(
            link_problem(&problem(410, "token_expired"), what)
                .unwrap()
                .0,
            "Link scaduto"
        );
        assert_eq!(
            link_problem(&problem(410, "token_used"), what).unwrap().0,
            "Link già usato"
        );
        assert!(link_problem(&problem(500, "internal_error"), what).is_none());
        assert!(link_problem(&ApiError::Network, what).is_none());
    }
}
