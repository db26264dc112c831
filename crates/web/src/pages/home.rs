//! `/`: welcome and the sections.

use crate::components::icon::Icon;
use crate::pages::registrations::OnboardingNotice;
use crate::session::use_session;
use crate::util::set_title;
use affianca_domain::Role;
use leptos::prelude::*;

/// (path, id, icon, title, text, role needed to see it)
type Card = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    Option<Role>,
);

const CARDS: [Card; 5] = [
    (
        "/enti",
        "card-enti",
        "it-pa",
        "Enti",
        "L'anagrafe degli enti lombardi: Comuni, Province, Città metropolitana e Regione, con codici ISTAT, catastali e fiscali.",
        None,
    ),
    (
        "/procedimenti",
        "card-procedimenti",
        "it-files",
        "Procedimenti",
        "Il catalogo dei procedimenti seguiti dalle task force, con i termini di legge.",
        None,
    ),
    (
        "/registrazioni",
        "card-registrazioni",
        "it-file-signed",
        "Registrazioni degli enti",
        "Le registrazioni da approvare: il Protocollo di Collaborazione firmato dai rappresentanti legali.",
        Some(Role::Secretariat),
    ),
    (
        "/amministrazione/utenti",
        "card-utenti",
        "it-user",
        "Utenti",
        "Gli account e i loro ruoli: creare un utente, assegnare e revocare ruoli.",
        Some(Role::Admin),
    ),
    (
        "/amministrazione/registro",
        "card-registro",
        "it-clock",
        "Registro delle attività",
        "Chi ha fatto cosa e quando: accessi, utenti, ruoli, catalogo, importazioni.",
        Some(Role::Admin),
    ),
];

#[component]
pub fn Home() -> impl IntoView {
    set_title("Home");
    let session = use_session();
    view! {
        <h1 class="mb-2">
            "Buongiorno, " <span data-testid="welcome-name">{move || session.full_name().unwrap_or_default()}</span>
        </h1>
        <p class="lead mb-4">
            "Affianca accompagna gli enti della Lombardia nella riduzione dell'arretrato e dei tempi medi "
            "dei procedimenti complessi, con gli esperti dell'assistenza tecnica PNRR."
        </p>
        <OnboardingNotice/>
        <h2 class="h4 mb-3">"Sezioni"</h2>
        <div class="row">
            {move || CARDS
                .into_iter()
                .filter(|(.., role)| role.is_none_or(|r| session.has_role(r)))
                .map(|(href, id, icon, title, text, _)| {
                    view! {
                        <div class="col-12 col-md-6 col-lg-4 mb-4">
                            <div class="card-wrapper card-space">
                                <div class="card card-bg card-big rounded shadow-sm">
                                    <div class="card-body">
                                        <div class="top-icon">
                                            <Icon name=icon class="icon-primary"/>
                                        </div>
                                        <h3 class="card-title h5">
                                            <a id=id href=href class="stretched-link">{title}</a>
                                        </h3>
                                        <p class="card-text">{text}</p>
                                    </div>
                                </div>
                            </div>
                        </div>
                    }
                })
                .collect_view()}
        </div>
    }
}
