//! Form helpers: the errors of a form, by field, from the client's own checks and from a 422.

use crate::api::ApiError;
use affianca_domain::dto::FieldError;
use leptos::prelude::*;

/// The invalid fields of a form, keyed by the request's field path (`email`, `grants[0].scope`),
/// so that the server's 422 `errors[]` land next to the right input.
#[derive(Debug, Clone, Copy)]
pub struct FieldErrors(RwSignal<Vec<FieldError>>);

impl Default for FieldErrors {
    fn default() -> Self {
        Self::new()
    }
}

impl FieldErrors {
    pub fn new() -> Self {
        Self(RwSignal::new(Vec::new()))
    }

    /// The message(s) for a field, joined; reactive.
    pub fn message(&self, field: &str) -> Option<String> {
        self.0.with(|errors| {
            let msgs: Vec<&str> = errors
                .iter()
                .filter(|e| e.field == field)
                .map(|e| e.message.as_str())
                .collect();
            (!msgs.is_empty()).then(|| msgs.join("; "))
        })
    }

    pub fn has(&self, field: &str) -> bool {
        self.0
            .with(|errors| errors.iter().any(|e| e.field == field))
    }

    pub fn is_empty_untracked(&self) -> bool {
        self.0.with_untracked(Vec::is_empty)
    }

    pub fn set(&self, errors: Vec<FieldError>) {
        self.0.set(errors);
    }

    /// Takes the field errors of a failed call (none for other failures).
    pub fn set_from(&self, error: &ApiError) {
        self.0.set(error.field_errors().to_vec());
    }

    pub fn clear(&self) {
        self.0.set(Vec::new());
    }

    /// Forgets a field's error (when the person edits it).
    pub fn clear_field(&self, field: &str) {
        if self
            .0
            .with_untracked(|e| e.iter().any(|e| e.field == field))
        {
            self.0.update(|e| e.retain(|e| e.field != field));
        }
    }

    /// The first invalid field among `fields`, in form order.
    pub fn first_of<'a>(&self, fields: &'a [(String, String)]) -> Option<&'a str> {
        self.0.with_untracked(|errors| {
            fields
                .iter()
                .find(|(field, _)| errors.iter().any(|e| &e.field == field))
                .map(|(_, id)| id.as_str())
        })
    }
}

/// A field error, pushed by the client's own checks.
pub fn field_error(field: impl Into<String>, message: impl Into<String>) -> FieldError {
    FieldError {
        field: field.into(),
        message: message.into(),
    }
}

/// The message under an input when its field is invalid; give the input
/// `aria-describedby` with the same `id` (see [`described_by`]).
#[component]
pub fn FieldMessage(
    errors: FieldErrors,
    #[prop(into)] field: String,
    #[prop(into)] id: String,
) -> impl IntoView {
    let msg = {
        let field = field.clone();
        Memo::new(move |_| errors.message(&field))
    };
    move || {
        msg.get().map(|m| {
            view! {
                <div id=id.clone() class="invalid-feedback d-block" data-error-for=field.clone()>
                    {m}
                </div>
            }
        })
    }
}

/// The `aria-describedby` of an input: its hint (if any) and, when invalid, its error.
pub fn described_by(hint: Option<&str>, error_id: &str, invalid: bool) -> Option<String> {
    let ids: Vec<&str> = hint
        .into_iter()
        .chain(invalid.then_some(error_id))
        .collect();
    (!ids.is_empty()).then(|| ids.join(" "))
}
