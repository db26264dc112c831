//! `/registrazione` (public): the legal representative registers the authority — its ISTAT code,
//! then who they are and the account, then (signed in automatically) the signed protocol.

use crate::api::{self, ApiError};
use crate::components::feedback::ErrorAlert;
use crate::components::form::{FieldErrors, FieldMessage, described_by, field_error};
use crate::components::protocol_upload::ProtocolUpload;
use crate::components::text_field::{ShowPassword, TextField, password_problem, signed_in_user};
use crate::session::use_session;
use crate::util::{focus_id, set_title};
use affianca_domain::dto::{CreateRegistrationRequest, Registration};
use affianca_domain::{Email, IstatCode, Office};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;

/// Where the wizard stands.
#[derive(Debug, Clone, PartialEq)]
enum Step {
    Authority,
    Representative,
    Protocol(Registration),
    Done(Registration),
}

impl Step {
    fn number(&self) -> usize {
        match self {
            Self::Authority => 1,
            Self::Representative => 2,
            Self::Protocol(_) => 3,
            Self::Done(_) => 4,
        }
    }
}

/// What the person typed, kept while they move between the steps.
#[derive(Debug, Clone, Copy)]
struct Draft {
    istat: RwSignal<String>,
    office: RwSignal<Option<Office>>,
    full_name: RwSignal<String>,
    email: RwSignal<String>,
    password: RwSignal<String>,
    confirm: RwSignal<String>,
}

const STEPS: [&str; 4] = [
    "Ente",
    "Rappresentante legale",
    "Protocollo firmato",
    "Invio",
];

/// Why a typed ISTAT code cannot name an authority that registers, checked before sending.
pub fn istat_problem(code: &str) -> Option<&'static str> {
    let code = code.trim();
    if code.is_empty() {
        Some("Inserire il codice ISTAT dell'ente.")
    } else if !code.bytes().all(|b| b.is_ascii_digit()) {
        Some("Il codice ISTAT contiene solo cifre (es. 016024).")
    } else if code.len() == 2 {
        Some("La Regione non si registra come ente assistito.")
    } else if code.len() != 6 && code.len() != 3 {
        Some("Servono 6 cifre per un Comune (es. 016024) o 3 per una Provincia (es. 016).")
    } else {
        None
    }
}

/// The office that goes with a code: a comune's Sindaco, Milano's Sindaco metropolitano (015),
/// otherwise a Presidente della Provincia.
pub fn office_for_code(code: &str) -> Option<Office> {
    match code.trim() {
        c if istat_problem(c).is_some() => None,
        "015" => Some(Office::SindacoMetropolitano),
        c if c.len() == 6 => Some(Office::Sindaco),
        _ => Some(Office::PresidenteProvincia),
    }
}

#[component]
pub fn SignUp() -> impl IntoView {
    set_title("Registrazione dell'ente");
    let step = RwSignal::new(Step::Authority);
    let errors = FieldErrors::new();
    let draft = Draft {
        istat: RwSignal::new(String::new()),
        office: RwSignal::new(None),
        full_name: RwSignal::new(String::new()),
        email: RwSignal::new(String::new()),
        password: RwSignal::new(String::new()),
        confirm: RwSignal::new(String::new()),
    };

    // Move focus to the new step's heading, so that keyboard and screen-reader users follow.
    Effect::new(move |prev: Option<usize>| {
        let n = step.with(Step::number);
        if prev.is_some_and(|p| p != n) {
            request_animation_frame(|| focus_id("step-title"));
        }
        n
    });

    view! {
        <div class="row justify-content-center">
            <div class="col-12 col-lg-9">
                <h1 class="mb-2">"Registrazione dell'ente"</h1>
                <p class="lead mb-4">
                    "Il rappresentante legale (Sindaco, Presidente della Provincia, Sindaco metropolitano) "
                    "registra l'ente al programma di assistenza tecnica e carica il Protocollo di Collaborazione firmato."
                </p>
                <ol class="signup-steps" aria-label="Passi della registrazione">
                    {STEPS
                        .into_iter()
                        .enumerate()
                        .map(|(i, label)| {
                            let n = i + 1;
                            let state = move || step.with(Step::number).cmp(&n);
                            view! {
                                <li
                                    class:done=move || state().is_gt()
                                    class:current=move || state().is_eq()
                                    aria-current=move || state().is_eq().then_some("step")
                                >
                                    <span class="step-number" aria-hidden="true">{n}</span>
                                    <span>{label}</span>
                                    <span class="visually-hidden">
                                        {move || if state().is_gt() { " (completato)" } else { "" }}
                                    </span>
                                </li>
                            }
                        })
                        .collect_view()}
                </ol>
                {move || match step.get() {
                    Step::Authority => {
                        view! { <AuthorityStep step draft errors/> }.into_any()
                    }
                    Step::Representative => {
                        view! { <RepresentativeStep step draft errors/> }.into_any()
                    }
                    Step::Protocol(r) => view! { <ProtocolStep step registration=r/> }.into_any(),
                    Step::Done(r) => view! { <DoneStep registration=r/> }.into_any(),
                }}
            </div>
        </div>
    }
}

#[component]
fn StepTitle(n: usize, #[prop(into)] title: String) -> impl IntoView {
    view! {
        <h2 id="step-title" class="h3 mt-4 mb-3" tabindex="-1">
            <span class="visually-hidden">{format!("Passo {n} di 4: ")}</span>
            {title}
        </h2>
    }
}

#[component]
fn AuthorityStep(step: RwSignal<Step>, draft: Draft, errors: FieldErrors) -> impl IntoView {
    let Draft { istat, office, .. } = draft;
    let next = move |ev: SubmitEvent| {
        ev.prevent_default();
        let code = istat.get_untracked().trim().to_owned();
        if let Some(p) = istat_problem(&code) {
            errors.set(vec![field_error("istat_code", p)]);
            focus_id("reg-istat");
            return;
        }
        istat.set(code.clone());
        // Suggest the office that goes with the code (it stays editable).
        office.set(office_for_code(&code));
        errors.clear_field("istat_code");
        step.set(Step::Representative);
    };
    view! {
        <StepTitle n=1 title="L'ente da registrare"/>
        <form id="reg-authority-form" novalidate=true on:submit=next>
            <div class="row">
                <div class="col-12 col-md-6">
                    <TextField
                        id="reg-istat"
                        field="istat_code"
                        label="Codice ISTAT dell'ente"
                        value=istat
                        errors=errors
                        inputmode="numeric"
                        maxlength=6
                        hint="6 cifre per un Comune (es. 016024 per Bergamo), 3 per una Provincia (es. 016) o per la Città metropolitana di Milano (015)."
                    />
                </div>
            </div>
            <p class="small mt-3">
                "Il codice si trova nell'elenco ufficiale dei "
                <a
                    href="https://www.istat.it/classificazione/codici-dei-comuni-delle-province-e-delle-regioni/"
                    rel="external noopener"
                    target="_blank"
                >
                    "codici dei comuni e delle province dell'ISTAT"
                    <span class="visually-hidden">" (si apre in una nuova finestra)"</span>
                </a>
                "."
            </p>
            <button id="reg-next" type="submit" class="btn btn-primary mt-3">"Avanti"</button>
        </form>
        <p class="mt-4 small">
            "L'ente è già registrato e avete un account? " <a href="/accedi">"Accedete"</a> "."
        </p>
    }
}

#[component]
fn RepresentativeStep(step: RwSignal<Step>, draft: Draft, errors: FieldErrors) -> impl IntoView {
    let session = use_session();
    let Draft {
        istat,
        office,
        full_name,
        email,
        password,
        confirm,
    } = draft;
    let show = RwSignal::new(false);
    let failure = RwSignal::new(None::<ApiError>);
    let pending = RwSignal::new(false);
    let office_invalid = Memo::new(move |_| errors.has("office"));

    const FIELDS: [(&str, &str); 6] = [
        ("full_name", "reg-name"),
        ("office", "reg-office"),
        ("email", "reg-email"),
        ("password", "reg-password"),
        ("password_confirm", "reg-password2"),
        ("istat_code", "reg-istat"),
    ];
    let focus_first_error = move || {
        let fields: Vec<(String, String)> = FIELDS
            .iter()
            .map(|(f, i)| ((*f).to_owned(), (*i).to_owned()))
            .collect();
        match errors.first_of(&fields) {
            Some(id) => focus_id(id),
            None => focus_id("reg-failure"),
        }
    };

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if pending.get_untracked() {
            return;
        }
        failure.set(None);
        let mut problems = Vec::new();
        let name = full_name.get_untracked().trim().to_owned();
        if name.is_empty() {
            problems.push(field_error("full_name", "Inserire nome e cognome."));
        }
        let chosen_office = office.get_untracked();
        if chosen_office.is_none() {
            problems.push(field_error("office", "Scegliere la carica."));
        }
        let mail = email.get_untracked();
        let parsed_email = if mail.trim().is_empty() {
            problems.push(field_error("email", "Inserire l'indirizzo email."));
            None
        } else {
            Email::parse(&mail)
                .map_err(|e| problems.push(field_error("email", e.to_string())))
                .ok()
        };
        let pw = password.get_untracked();
        if let Some(p) = password_problem(&pw) {
            problems.push(field_error("password", p));
        } else if confirm.get_untracked() != pw {
            problems.push(field_error(
                "password_confirm",
                "Le due password non coincidono.",
            ));
        }
        let code = IstatCode::parse(&istat.get_untracked());
        errors.set(problems);
        let (Some(parsed_email), Some(chosen_office), Ok(code)) = (
            parsed_email.filter(|_| errors.is_empty_untracked()),
            chosen_office,
            code,
        ) else {
            focus_first_error();
            return;
        };
        let body = CreateRegistrationRequest {
            istat_code: code,
            full_name: name,
            office: chosen_office,
            email: parsed_email,
            password: pw.clone(),
        };
        pending.set(true);
        spawn_local(async move {
            let result = api::create_registration(&body).await;
            let registration = match result {
                Ok(r) => r,
                Err(e) => {
                    pending.try_set(false);
                    errors.set_from(&e);
                    // A code the registry does not know is fixed on the first step.
                    if errors.has("istat_code") {
                        step.try_set(Step::Authority);
                        if e.field_errors().len() > 1 {
                            failure.try_set(Some(e));
                        }
                        return;
                    }
                    failure.try_set(Some(e));
                    request_animation_frame(focus_first_error);
                    return;
                }
            };
            // Sign in with the new account, to upload the protocol (someone else's session,
            // if any, ends first).
            if signed_in_user(session).is_some() {
                session.sign_out().await;
            }
            let signed = session
                .sign_in(body.email.to_string(), body.password.clone())
                .await;
            pending.try_set(false);
            password.try_set(String::new());
            confirm.try_set(String::new());
            match signed {
                Ok(()) => {
                    step.try_set(Step::Protocol(registration));
                }
                Err(e) => {
                    // Registered, but not signed in: the protocol can be uploaded after logging in.
                    failure.try_set(Some(e));
                    step.try_set(Step::Protocol(registration));
                }
            }
        });
    };

    let code = move || istat.get();
    view! {
        <StepTitle n=2 title="Il rappresentante legale e il suo account"/>
        <p>
            "Ente: codice ISTAT " <strong class="font-monospace" data-testid="reg-chosen-istat">{code}</strong> " · "
            <button
                id="reg-back"
                type="button"
                class="btn btn-link p-0 align-baseline"
                on:click=move |_| step.set(Step::Authority)
            >
                "cambia"
            </button>
        </p>
        <div id="reg-failure" tabindex="-1">
            {move || failure.get().map(|e| view! { <ErrorAlert error=e/> })}
        </div>
        <form id="reg-details-form" class="mt-5" novalidate=true on:submit=submit>
            <div class="row gx-3 gy-5">
                <div class="col-12 col-md-6">
                    <TextField
                        id="reg-name"
                        field="full_name"
                        label="Nome e cognome"
                        value=full_name
                        errors=errors
                        autocomplete="name"
                        maxlength=200
                    />
                </div>
                <div class="col-12 col-md-6">
                    <div class="select-wrapper">
                        <label for="reg-office">"Carica"</label>
                        <select
                            id="reg-office"
                            class:is-invalid=move || office_invalid.get()
                            aria-required="true"
                            aria-invalid=move || office_invalid.get().then_some("true")
                            aria-describedby=move || described_by(None, "reg-office-error", office_invalid.get())
                            on:change=move |ev| {
                                office.set(Office::parse(&event_target_value(&ev)).ok());
                                errors.clear_field("office");
                            }
                        >
                            <option value="" selected=move || office.get().is_none()>"Scegliere…"</option>
                            {Office::ALL
                                .into_iter()
                                .map(|o| {
                                    view! {
                                        <option value=o.code() selected=move || office.get() == Some(o)>
                                            {o.label()}
                                        </option>
                                    }
                                })
                                .collect_view()}
                        </select>
                    </div>
                    <FieldMessage errors=errors field="office" id="reg-office-error"/>
                </div>
                <div class="col-12 col-md-6">
                    <TextField
                        id="reg-email"
                        field="email"
                        label="Email"
                        kind="email"
                        value=email
                        errors=errors
                        autocomplete="email"
                        inputmode="email"
                        hint="Sarà il nome utente per accedere; qui arrivano le comunicazioni."
                    />
                </div>
                <div class="col-12 col-md-6"></div>
                <div class="col-12 col-md-6">
                    <TextField
                        id="reg-password"
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
                        id="reg-password2"
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
            <ShowPassword id="reg-show-password" show=show/>
            <button
                id="reg-submit"
                type="submit"
                class="btn btn-primary mt-4"
                aria-disabled=move || pending.get().then_some("true")
            >
                {move || if pending.get() { "Invio in corso…" } else { "Registra l'ente" }}
            </button>
        </form>
    }
}

#[component]
fn ProtocolStep(step: RwSignal<Step>, registration: Registration) -> impl IntoView {
    let session = use_session();
    let id = registration.id;
    let detail = format!("/registrazioni/{id}");
    view! {
        <StepTitle n=3 title="Il Protocollo di Collaborazione firmato"/>
        <div class="alert alert-success" role="status" data-testid="registration-created">
            "Registrazione di " <strong>{registration.authority_name.clone()}</strong>
            " creata a nome di " {registration.full_name.clone()} " ("
            {registration.office.label()} ")."
        </div>
        <p>
            "Caricare ora il Protocollo di Collaborazione firmato digitalmente dal rappresentante legale. "
            "Solo dopo il caricamento la Segreteria Tecnica può valutare la registrazione."
        </p>
        {move || {
            if session.is_signed_in() {
                view! {
                    <ProtocolUpload
                        registration_id=id
                        on_uploaded=Callback::new(move |r| step.set(Step::Done(r)))
                    />
                }
                    .into_any()
            } else {
                view! {
                    <p>
                        "Per caricarlo, " <a href=format!("/accedi?ritorno=/registrazioni/{id}")>"accedere"</a>
                        " con l'email e la password appena scelte."
                    </p>
                }
                    .into_any()
            }
        }}
        <p class="mt-4 small">
            "Non avete ancora il protocollo firmato? Potete caricarlo più tardi dalla "
            <a id="reg-later" href=detail>"pagina della registrazione"</a> "."
        </p>
    }
}

#[component]
fn DoneStep(registration: Registration) -> impl IntoView {
    view! {
        <StepTitle n=4 title="Registrazione inviata"/>
        <div class="callout success" data-testid="registration-submitted">
            <div class="callout-title">
                <crate::components::icon::Icon name="it-check-circle"/>
                <span class="text">"Fatto"</span>
            </div>
            <p id="registration-done" class="mb-0">
                "Registrazione inviata: la Segreteria Tecnica la valuterà. "
                "Riceverete l'esito per email e tra le notifiche di Affianca."
            </p>
        </div>
        <p>
            <a id="reg-open" class="btn btn-primary" href=format!("/registrazioni/{}", registration.id)>
                "Vedi la registrazione"
            </a>
        </p>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn istat_codes_are_checked_before_sending() {
        assert_eq!(istat_problem("016024"), None);
        assert_eq!(istat_problem(" 016 "), None);
        assert!(istat_problem("").is_some());
        assert!(istat_problem("16024").is_some());
        assert!(istat_problem("01602a").is_some());
        assert!(istat_problem("03").unwrap().contains("Regione"));
    }

    #[test]
    fn the_office_follows_the_code() {
        assert_eq!(office_for_code("016024"), Some(Office::Sindaco));
        assert_eq!(office_for_code("016"), Some(Office::PresidenteProvincia));
        assert_eq!(office_for_code("015"), Some(Office::SindacoMetropolitano));
        assert_eq!(office_for_code("1"), None);
    }
}
