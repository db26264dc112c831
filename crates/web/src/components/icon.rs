//! Icons from the Bootstrap Italia SVG sprite (copied into the dist at `/svg/sprites.svg`).

use leptos::prelude::*;

/// A decorative icon: hidden from assistive technology, so give its control a text label.
#[component]
pub fn Icon(
    /// The sprite id, e.g. `it-user`.
    name: &'static str,
    /// Extra classes (`icon-white`, `icon-sm`, ...).
    #[prop(optional)]
    class: &'static str,
) -> impl IntoView {
    view! {
        <svg
            class=format!("icon {class}")
            aria-hidden="true"
            focusable="false"
            inner_html=format!(r#"<use href="/svg/sprites.svg#{name}"></use>"#)
        ></svg>
    }
}
