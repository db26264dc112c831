//! The breadcrumb trail at the top of a page.

use leptos::prelude::*;

/// "Home / Esperti / Anna Colombo": `trail` are the links before the current page (path,
/// label), `here` the current page.
#[component]
pub fn Crumbs(trail: Vec<(String, String)>, #[prop(into)] here: Signal<String>) -> impl IntoView {
    view! {
        <nav class="breadcrumb-container" aria-label="Percorso">
            <ol class="breadcrumb">
                <li class="breadcrumb-item">
                    <a href="/">"Home"</a>
                    <span class="separator" aria-hidden="true">"/"</span>
                </li>
                {trail
                    .into_iter()
                    .map(|(href, label)| {
                        view! {
                            <li class="breadcrumb-item">
                                <a href=href>{label}</a>
                                <span class="separator" aria-hidden="true">"/"</span>
                            </li>
                        }
                    })
                    .collect_view()}
                <li class="breadcrumb-item active" aria-current="page">{move || here.get()}</li>
            </ol>
        </nav>
    }
}

/// A trail entry.
pub fn crumb(href: &str, label: &str) -> (String, String) {
    (href.to_owned(), label.to_owned())
}
