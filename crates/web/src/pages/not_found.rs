//! Any unknown address.

use crate::util::set_title;
use leptos::prelude::*;

#[component]
pub fn NotFound() -> impl IntoView {
    set_title("Pagina non trovata");
    view! {
        <div class="py-4" data-testid="not-found">
            <h1>"Pagina non trovata"</h1>
            <p class="lead">"L'indirizzo richiesto non corrisponde a nessuna pagina di Affianca."</p>
            <p>"Controllare l'indirizzo oppure tornare alla pagina iniziale."</p>
            <a class="btn btn-primary" href="/">"Torna alla pagina iniziale"</a>
        </div>
    }
}
