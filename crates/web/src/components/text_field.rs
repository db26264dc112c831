//! A labelled text input with its hint and its error (from the client's checks or a 422), for the
//! onboarding forms; and small shared pieces of those pages.

use super::form::{FieldErrors, FieldMessage, described_by};
use crate::session::{AuthState, Session};
use affianca_domain::dto::User;
use leptos::prelude::*;

/// One input. Its error element is `{id}-error` (with `data-error-for=<field>`), its hint
/// `{id}-hint`. With `reveal`, a password input shows its text while the signal is true.
#[component]
pub fn TextField(
    /// The input's id.
    id: &'static str,
    /// The request field its errors are filed under (`email`, `full_name`, …).
    field: &'static str,
    label: &'static str,
    value: RwSignal<String>,
    errors: FieldErrors,
    /// `text`, `email`, `password`.
    #[prop(default = "text")]
    kind: &'static str,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(default = "off")] autocomplete: &'static str,
    #[prop(optional)] reveal: Option<RwSignal<bool>>,
    #[prop(optional)] inputmode: Option<&'static str>,
    #[prop(optional)] maxlength: Option<u32>,
    #[prop(default = true)] required: bool,
) -> impl IntoView {
    let invalid = Memo::new(move |_| errors.has(field));
    let error_id = format!("{id}-error");
    let hint_id = hint.map(|_| format!("{id}-hint"));
    let input_type = move || match reveal {
        Some(r) if r.get() => "text",
        _ => kind,
    };
    let described = {
        let error_id = error_id.clone();
        let hint_id = hint_id.clone();
        move || described_by(hint_id.as_deref(), &error_id, invalid.get())
    };
    view! {
        <div class="form-group mb-0">
            <label for=id class="active">{label}</label>
            <input
                id=id
                name=field
                type=input_type
                class="form-control"
                class:is-invalid=move || invalid.get()
                autocomplete=autocomplete
                inputmode=inputmode
                maxlength=maxlength
                spellcheck=(kind != "text").then_some("false")
                aria-required=required.then_some("true")
                aria-invalid=move || invalid.get().then_some("true")
                aria-describedby=described
                prop:value=move || value.get()
                on:input=move |ev| {
                    value.set(event_target_value(&ev));
                    errors.clear_field(field);
                }
            />
        </div>
        {hint
            .map(|h| {
                view! {
                    <p id=hint_id.clone() class="form-text small text-secondary mb-0 mt-1">{h}</p>
                }
            })}
        <FieldMessage errors=errors field=field id=error_id/>
    }
}

/// "Mostra la password" for the password inputs of a form.
#[component]
pub fn ShowPassword(id: &'static str, show: RwSignal<bool>) -> impl IntoView {
    view! {
        <div class="form-check mt-3 mb-0">
            <input
                id=id
                type="checkbox"
                prop:checked=move || show.get()
                on:change=move |ev| show.set(event_target_checked(&ev))
            />
            <label for=id>"Mostra la password"</label>
        </div>
    }
}

/// A success message in a live region, so that screen readers announce it.
#[component]
pub fn SuccessMessage(
    /// The id of the region (focusable, to move focus onto the news).
    id: &'static str,
    message: RwSignal<Option<String>>,
) -> impl IntoView {
    view! {
        <div id=id role="status" aria-live="polite" tabindex="-1">
            {move || message.get().map(|m| view! { <div class="alert alert-success">{m}</div> })}
        </div>
    }
}

/// The signed-in user, if any.
pub fn signed_in_user(session: Session) -> Option<User> {
    session.state.with(|s| match s {
        AuthState::SignedIn(u) => Some((**u).clone()),
        _ => None,
    })
}

/// The password rule the server applies, checked before sending.
pub fn password_problem(password: &str) -> Option<&'static str> {
    if password.is_empty() {
        Some("Inserire la password.")
    } else if password.chars().count() < 12 {
        Some("La password deve avere almeno 12 caratteri.")
    } else if password.chars().count() > 256 {
        Some("La password può avere al massimo 256 caratteri.")
    } else {
        None
    }
}

/// A size in bytes for people: "850 byte", "12 KB", "3,4 MB".
pub fn human_size(bytes: u64) -> String {
    const KB: u64 = 1024;
    const MB: u64 = 1024 * 1024;
    if bytes < KB {
        format!("{bytes} byte")
    } else if bytes < MB {
        format!("{} KB", bytes.div_ceil(KB))
    } else {
        // One decimal, with a decimal comma.
        let tenths = (bytes * 10).div_ceil(MB);
        format!("{},{} MB", tenths / 10, tenths % 10)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_in_italian() {
        assert_eq!(human_size(850), "850 byte");
        assert_eq!(human_size(12 * 1024), "12 KB");
        assert_eq!(human_size(10 * 1024 * 1024), "10,0 MB");
        assert_eq!(human_size(3_565_158), "3,4 MB");
    }

    #[test]
    fn passwords_need_twelve_characters() {
        assert!(password_problem("").is_some());
        assert!(password_problem("corta").is_some());
        assert_eq!(password_problem("dodici caratt"), None);
        assert!(password_problem("àèìòùàèìòùà").is_some());
    }
}
