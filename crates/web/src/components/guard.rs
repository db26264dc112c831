//! Pages reserved to a role: anyone else sees a plain "non autorizzato".

use crate::session::use_session;
use crate::util::set_title;
use affianca_domain::Role;
use leptos::prelude::*;

/// Shows `children` only to holders of one of `roles`. The server refuses the calls anyway (403);
/// this spares other users a page of errors.
#[component]
pub fn RequireRole(roles: &'static [Role], children: ChildrenFn) -> impl IntoView {
    let session = use_session();
    let allowed = Memo::new(move |_| session.has_any_role(roles));
    move || {
        if allowed.get() {
            children().into_any()
        } else {
            view! { <NotAuthorized roles=roles/> }.into_any()
        }
    }
}

#[component]
fn NotAuthorized(roles: &'static [Role]) -> impl IntoView {
    let labels = roles
        .iter()
        .map(|r| format!("«{}»", r.label()))
        .collect::<Vec<_>>()
        .join(" o ");
    set_title("Non autorizzato");
    view! {
        <div class="py-4" data-testid="not-authorized">
            <h1>"Non autorizzato"</h1>
            <p class="lead">
                "Questa pagina è riservata al ruolo " {labels} ", che il proprio account non ha."
            </p>
            <a class="btn btn-primary" href="/">"Torna alla pagina iniziale"</a>
        </div>
    }
}
