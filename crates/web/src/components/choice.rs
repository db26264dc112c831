//! More form inputs: a group of checkboxes and a multi-line text, with their errors.

use super::form::{FieldErrors, FieldMessage, described_by};
use leptos::prelude::*;

/// A fieldset of checkboxes: `options` are (value, label); `selected` holds the checked values.
/// Each box is `{id}-{value}`.
#[component]
pub fn CheckGroup(
    id: &'static str,
    field: &'static str,
    legend: &'static str,
    options: Vec<(String, String)>,
    selected: RwSignal<Vec<String>>,
    errors: FieldErrors,
) -> impl IntoView {
    let error_id = format!("{id}-error");
    view! {
        <fieldset id=id class="mb-0" aria-describedby=error_id.clone()>
            <legend class="h6 mb-2">{legend}</legend>
            <div class="d-flex flex-wrap column-gap-4">
                {options
                    .into_iter()
                    .map(|(value, label)| {
                        let box_id = format!("{id}-{value}");
                        let v1 = value.clone();
                        let v2 = value.clone();
                        view! {
                            <div class="form-check my-1">
                                <input
                                    id=box_id.clone()
                                    type="checkbox"
                                    value=value
                                    prop:checked=move || selected.with(|s| s.contains(&v1))
                                    on:change=move |ev| {
                                        let on = event_target_checked(&ev);
                                        selected.update(|s| {
                                            s.retain(|x| *x != v2);
                                            if on {
                                                s.push(v2.clone());
                                            }
                                        });
                                        errors.clear_field(field);
                                    }
                                />
                                <label for=box_id>{label}</label>
                            </div>
                        }
                    })
                    .collect_view()}
            </div>
        </fieldset>
        <FieldMessage errors=errors field=field id=error_id/>
    }
}

/// A labelled `<textarea>`; its error element is `{id}-error`.
#[component]
pub fn TextArea(
    id: &'static str,
    field: &'static str,
    label: &'static str,
    value: RwSignal<String>,
    errors: FieldErrors,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(default = 3)] rows: u32,
) -> impl IntoView {
    let invalid = Memo::new(move |_| errors.has(field));
    let error_id = format!("{id}-error");
    let hint_id = hint.map(|_| format!("{id}-hint"));
    let described = {
        let error_id = error_id.clone();
        let hint_id = hint_id.clone();
        move || described_by(hint_id.as_deref(), &error_id, invalid.get())
    };
    view! {
        <div class="form-group mb-0 mt-3">
            <label for=id class="active">{label}</label>
            <textarea
                id=id
                name=field
                rows=rows
                class="form-control"
                class:is-invalid=move || invalid.get()
                aria-invalid=move || invalid.get().then_some("true")
                aria-describedby=described
                prop:value=move || value.get()
                on:input=move |ev| {
                    value.set(event_target_value(&ev));
                    errors.clear_field(field);
                }
            ></textarea>
        </div>
        {hint.map(|h| view! { <p id=hint_id.clone() class="form-text small text-secondary mb-0 mt-1">{h}</p> })}
        <FieldMessage errors=errors field=field id=error_id/>
    }
}
