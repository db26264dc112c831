//! The upload of the signed Protocollo di Collaborazione (PDF, at most 10 MB): in the sign-up
//! wizard and, to resubmit, on the registration page.

use super::form::{FieldErrors, FieldMessage, described_by, field_error};
use super::text_field::human_size;
use crate::api;
use affianca_domain::dto::Registration;
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;

/// The largest protocol the server accepts.
pub const PROTOCOL_MAX_BYTES: u64 = 10 * 1024 * 1024;

/// Why a chosen file cannot be the protocol, checked before uploading it.
pub fn protocol_file_problem(name: &str, mime: &str, size: u64) -> Option<String> {
    let pdf_name = name.to_lowercase().ends_with(".pdf");
    if !(pdf_name || mime == "application/pdf") {
        Some("Solo file PDF: il file scelto non è un PDF.".to_owned())
    } else if size == 0 {
        Some("Il file scelto è vuoto.".to_owned())
    } else if size > PROTOCOL_MAX_BYTES {
        Some(format!(
            "Il file pesa {}: il limite è 10 MB.",
            human_size(size)
        ))
    } else {
        None
    }
}

const FIELD: &str = "protocol";

/// The form: a file input, its checks and the upload. `on_uploaded` receives the registration,
/// now submitted.
#[component]
pub fn ProtocolUpload(
    registration_id: i64,
    on_uploaded: Callback<Registration>,
    /// The submit button's text.
    #[prop(default = "Carica il protocollo")]
    action: &'static str,
) -> impl IntoView {
    let file = StoredValue::new_local(None::<web_sys::File>);
    let chosen = RwSignal::new(None::<(String, u64)>);
    let errors = FieldErrors::new();
    let failure = RwSignal::new(None::<api::ApiError>);
    let pending = RwSignal::new(false);
    let invalid = Memo::new(move |_| errors.has(FIELD));

    let on_change = move |ev: leptos::ev::Event| {
        errors.clear();
        failure.set(None);
        let picked = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
            .and_then(|i| i.files())
            .and_then(|f| f.get(0));
        match picked {
            Some(f) => {
                // Sizes are whole numbers of bytes, exact in an f64.
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                let size = f.size() as u64;
                let name = f.name();
                if let Some(p) = protocol_file_problem(&name, &f.type_(), size) {
                    errors.set(vec![field_error(FIELD, p)]);
                }
                chosen.set(Some((name, size)));
                file.set_value(Some(f));
            }
            None => {
                chosen.set(None);
                file.set_value(None);
            }
        }
    };

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if pending.get_untracked() {
            return;
        }
        failure.set(None);
        let Some(f) = file.get_value() else {
            errors.set(vec![field_error(
                FIELD,
                "Scegliere il file PDF del protocollo firmato.",
            )]);
            crate::util::focus_id("protocol-file");
            return;
        };
        if !errors.is_empty_untracked() {
            crate::util::focus_id("protocol-file");
            return;
        }
        pending.set(true);
        spawn_local(async move {
            let result = api::upload_protocol(registration_id, &f).await;
            pending.try_set(false);
            match result {
                Ok(r) => on_uploaded.run(r),
                Err(e) => {
                    // Say what is wrong with the file next to it, in plain Italian.
                    let about_file = match e.status() {
                        Some(413) => Some("Il file è troppo grande: il limite è 10 MB.".to_owned()),
                        Some(415) => Some(
                            "Il file non è un PDF valido: caricare il protocollo firmato in formato PDF."
                                .to_owned(),
                        ),
                        _ => None,
                    };
                    match about_file {
                        Some(m) => {
                            errors.set(vec![field_error(FIELD, m)]);
                            crate::util::focus_id("protocol-file");
                        }
                        None => {
                            failure.try_set(Some(e));
                            crate::util::focus_id("protocol-failure");
                        }
                    }
                }
            }
        });
    };

    view! {
        <div id="protocol-failure" tabindex="-1">
            {move || failure.get().map(|e| view! { <super::feedback::ErrorAlert error=e/> })}
        </div>
        <form id="protocol-form" novalidate=true on:submit=submit>
            <div class="mb-2">
                <label for="protocol-file" class="form-label fw-semibold">
                    "Protocollo di Collaborazione firmato"
                </label>
                <input
                    id="protocol-file"
                    name="protocol"
                    type="file"
                    accept="application/pdf,.pdf"
                    class="form-control"
                    class:is-invalid=move || invalid.get()
                    aria-required="true"
                    aria-invalid=move || invalid.get().then_some("true")
                    aria-describedby=move || described_by(Some("protocol-file-hint"), "protocol-file-error", invalid.get())
                    on:change=on_change
                />
                <p id="protocol-file-hint" class="form-text small text-secondary mb-0 mt-1">
                    "Solo PDF, al massimo 10 MB, firmato digitalmente dal rappresentante legale."
                </p>
                <FieldMessage errors=errors field=FIELD id="protocol-file-error"/>
                {move || {
                    chosen
                        .get()
                        .map(|(name, size)| {
                            view! {
                                <p class="small mb-0 mt-1" data-testid="protocol-chosen">
                                    "File scelto: " <strong>{name}</strong> {format!(" ({})", human_size(size))}
                                </p>
                            }
                        })
                }}
            </div>
            <button
                id="protocol-submit"
                type="submit"
                class="btn btn-primary mt-3"
                aria-disabled=move || pending.get().then_some("true")
            >
                {move || if pending.get() { "Caricamento in corso…" } else { action }}
            </button>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::protocol_file_problem;

    #[test]
    fn only_pdfs_up_to_ten_megabytes() {
        assert_eq!(
            protocol_file_problem("protocollo.pdf", "application/pdf", 1000),
            None
        );
        assert_eq!(protocol_file_problem("PROTOCOLLO.PDF", "", 1000), None);
        assert!(protocol_file_problem("protocollo.docx", "application/msword", 1000).is_some());
        assert!(protocol_file_problem("protocollo.pdf", "application/pdf", 0).is_some());
        let big = protocol_file_problem("p.pdf", "application/pdf", 10 * 1024 * 1024 + 1).unwrap();
        assert!(big.contains("10 MB"), "{big}");
        assert_eq!(
            protocol_file_problem("p.pdf", "application/pdf", 10 * 1024 * 1024),
            None
        );
    }
}
