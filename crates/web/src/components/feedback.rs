//! Loading and error messages.

use crate::api::ApiError;
use leptos::prelude::*;

/// An error from the server, in plain Italian. `role="alert"` makes screen readers announce it.
#[component]
pub fn ErrorAlert(error: ApiError) -> impl IntoView {
    let fields = error.field_errors().to_vec();
    // The request id helps support with server failures; for a wrong password it is noise.
    let request_id = error
        .request_id()
        .filter(|_| error.status().is_none_or(|s| s >= 500))
        .map(str::to_owned);
    view! {
        <div class="alert alert-danger" role="alert" data-testid="error">
            <p class="mb-0">{error.message()}</p>
            {(!fields.is_empty())
                .then(|| {
                    view! {
                        <ul class="mb-0 mt-2">
                            {fields
                                .into_iter()
                                .map(|f| view! { <li>{field_label(&f.field)}": "{f.message}</li> })
                                .collect_view()}
                        </ul>
                    }
                })}
            {request_id
                .map(|id| {
                    view! {
                        <p class="small mb-0 mt-2">
                            "Codice della richiesta da citare all'assistenza: " <code>{id}</code>
                        </p>
                    }
                })}
        </div>
    }
}

/// The Italian name of a request field or query parameter named in a 422 problem.
pub fn field_label(field: &str) -> String {
    // `grants[1].scope` → "Ruolo 2, ambito".
    if let Some(rest) = field.strip_prefix("grants[")
        && let Some((index, sub)) = rest.split_once(']')
        && let Ok(index) = index.parse::<usize>()
    {
        let n = index + 1;
        return match sub {
            ".role" => format!("Ruolo {n}"),
            ".scope" => format!("Ruolo {n}, ambito"),
            _ => format!("Ruolo {n}"),
        };
    }
    // `istat_codes[3]` → "Codice 4" (a list typed or pasted in a form).
    if let Some(rest) = field.strip_prefix("istat_codes[")
        && let Some(index) = rest.strip_suffix(']')
        && let Ok(index) = index.parse::<usize>()
    {
        return format!("Codice {}", index + 1);
    }
    match field {
        "email" => "Email".into(),
        "task_forces" | "task_force" => "Task force".into(),
        "provinces" => "Province".into(),
        "professional_profile" => "Profilo professionale".into(),
        "max_concurrent_requests" => "Richieste contemporanee".into(),
        "name" => "Nome".into(),
        "start_date" => "Data di inizio".into(),
        "description" => "Descrizione".into(),
        "istat_codes" => "Codici ISTAT".into(),
        "file" => "File".into(),
        "starts_at" => "Data e ora".into(),
        "duration_minutes" => "Durata".into(),
        "place" => "Luogo".into(),
        "agenda" => "Ordine del giorno".into(),
        "attendees" => "Partecipanti".into(),
        "user_id" => "Utente".into(),
        "password" => "Password".into(),
        "full_name" => "Nome".into(),
        "grants" => "Ruoli".into(),
        "role" => "Ruolo".into(),
        "scope" => "Ambito".into(),
        "action" => "Azione".into(),
        "actor_email" => "Email di chi ha agito".into(),
        "from" => "Dal giorno".into(),
        "to" => "Al giorno".into(),
        "q" => "Ricerca".into(),
        "province" => "Provincia".into(),
        "kind" => "Tipo".into(),
        "sort" => "Ordinamento".into(),
        "limit" | "offset" => "Paginazione".into(),
        other => other.into(),
    }
}

/// A polite "loading" message.
#[component]
pub fn Loading(#[prop(into)] label: String) -> impl IntoView {
    view! {
        <div class="d-flex align-items-center gap-2 my-4" role="status" data-testid="loading">
            <div class="progress-spinner progress-spinner-active size-sm" aria-hidden="true"></div>
            <span>{label}</span>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::field_label;

    #[test]
    fn field_paths_read_in_italian() {
        assert_eq!(field_label("grants[0].scope"), "Ruolo 1, ambito");
        assert_eq!(field_label("grants[2].role"), "Ruolo 3");
        assert_eq!(field_label("full_name"), "Nome");
        assert_eq!(field_label("something_else"), "something_else");
        assert_eq!(field_label("istat_codes[3]"), "Codice 4");
        assert_eq!(field_label("riga 7"), "riga 7");
    }
}
