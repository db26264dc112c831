//! `/amministrazione/registro` (admin): the audit log, newest first, read only. The filters live
//! in the query string (`?azione=grant_added&email=rossi&dal=2026-11-01&al=2026-11-30&pagina=2`).

use crate::api::{self, AuditQuery, PAGE_SIZE};
use crate::components::feedback::{ErrorAlert, Loading};
use crate::components::pagination::Pagination;
use crate::util::{
    compact_json, count_events, encode, format_datetime, parse_day, set_title, truncate_chars,
};
use affianca_domain::AuditAction;
use affianca_domain::dto::AuditEvent;
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::params::ParamsMap;
use std::time::Duration;

const BASE_URL: &str = "/amministrazione/registro";
const DEBOUNCE: Duration = Duration::from_millis(300);
/// Details longer than this are cut, with the whole JSON one click away.
const DETAILS_PREVIEW: usize = 60;

fn from_params(m: &ParamsMap) -> AuditQuery {
    let day = |k: &str| {
        m.get_str(k)
            .filter(|d| parse_day(d).is_some())
            .map(str::to_owned)
    };
    AuditQuery {
        action: m.get_str("azione").and_then(|a| AuditAction::parse(a).ok()),
        actor_email: m.get("email").unwrap_or_default(),
        from: day("dal"),
        to: day("al"),
        page: m
            .get_str("pagina")
            .and_then(|p| p.parse().ok())
            .filter(|p| *p >= 1)
            .unwrap_or(1),
    }
}

fn to_url(q: &AuditQuery) -> String {
    let mut parts = Vec::new();
    if let Some(a) = q.action {
        parts.push(format!("azione={}", a.code()));
    }
    let email = q.actor_email.trim();
    if !email.is_empty() {
        parts.push(format!("email={}", encode(email)));
    }
    if let Some(d) = &q.from {
        parts.push(format!("dal={d}"));
    }
    if let Some(d) = &q.to {
        parts.push(format!("al={d}"));
    }
    if q.page > 1 {
        parts.push(format!("pagina={}", q.page));
    }
    if parts.is_empty() {
        BASE_URL.to_owned()
    } else {
        format!("{BASE_URL}?{}", parts.join("&"))
    }
}

/// What an event acted on, in words, with a link when there is a page for it.
fn target_view(e: &AuditEvent) -> AnyView {
    match (e.target_type.as_deref(), e.target_id.as_deref()) {
        (Some("user"), Some(id)) => view! {
            <a class="text-nowrap" href=format!("/amministrazione/utenti/{id}")>{format!("Utente {id}")}</a>
        }
        .into_any(),
        (Some("procedure"), Some(id)) => format!("Procedimento {id}").into_any(),
        (Some(kind), Some(id)) => format!("{kind} {id}").into_any(),
        (Some(kind), None) => kind.to_owned().into_any(),
        (None, Some(id)) => id.to_owned().into_any(),
        (None, None) => "—".into_any(),
    }
}

/// Who acted: the e-mail, else the user's id with a link to the account, else a dash (failed
/// logins of unknown addresses, command-line imports).
fn actor_view(e: &AuditEvent) -> AnyView {
    match (&e.actor_email, e.actor_user_id) {
        (Some(email), _) => email.clone().into_any(),
        (None, Some(id)) => view! {
            <a class="text-nowrap" href=format!("/amministrazione/utenti/{id}")>{format!("Utente {id}")}</a>
        }
        .into_any(),
        (None, None) => "—".into_any(),
    }
}

/// The details as compact JSON, cut when long, with the full (indented) text in a `<details>`.
fn details_view(details: &serde_json::Value) -> AnyView {
    if details.is_null() {
        return "—".into_any();
    }
    let compact = compact_json(details);
    match truncate_chars(&compact, DETAILS_PREVIEW) {
        (_, false) => view! { <code class="audit-json">{compact.clone()}</code> }.into_any(),
        (head, true) => {
            let pretty = serde_json::to_string_pretty(details).unwrap_or_else(|_| compact.clone());
            view! {
                <details class="audit-details">
                    <summary>
                        <code class="audit-json">{format!("{head}…")}</code>
                        <span class="visually-hidden">" (mostra tutti i dettagli)"</span>
                    </summary>
                    <pre class="audit-json mb-0">{pretty}</pre>
                </details>
            }
            .into_any()
        }
    }
}

#[component]
pub fn AuditLog() -> impl IntoView {
    set_title("Registro delle attività");
    let query_map = use_query_map();
    let navigate = use_navigate();
    let current = Memo::new(move |_| query_map.with(from_params));

    let loaded_for = RwSignal::new(None::<AuditQuery>);
    let results = LocalResource::new(move || {
        let q = current.get();
        async move {
            let r = api::audit_events(&q).await;
            loaded_for.try_set(Some(q));
            r
        }
    });
    let pending = Memo::new(move |_| loaded_for.with(|l| l.as_ref() != Some(&current.get())));

    let email = RwSignal::new(current.get_untracked().actor_email);
    let url_email = Memo::new(move |_| current.with(|c| c.actor_email.clone()));
    Effect::new(move |_| {
        let e = url_email.get();
        if email.with_untracked(|t| t.trim() != e.trim()) {
            email.set(e);
        }
    });

    let go = move |q: AuditQuery| {
        let url = to_url(&q);
        if url != to_url(&current.get_untracked()) {
            navigate(
                &url,
                NavigateOptions {
                    scroll: false,
                    ..Default::default()
                },
            );
        }
    };
    let with_change = move |change: &dyn Fn(&mut AuditQuery)| {
        let mut q = current.get_untracked();
        q.actor_email = email.get_untracked();
        q.page = 1;
        change(&mut q);
        q
    };
    let mut search_later = debounce(DEBOUNCE, {
        let go = go.clone();
        move |_: ()| go(with_change(&|_| {}))
    });
    let on_email = move |ev| {
        email.set(event_target_value(&ev));
        search_later(());
    };
    let on_submit = {
        let go = go.clone();
        move |ev: SubmitEvent| {
            ev.prevent_default();
            go(with_change(&|_| {}));
        }
    };
    let on_action = {
        let go = go.clone();
        move |ev| {
            let v = event_target_value(&ev);
            go(with_change(&|q| q.action = AuditAction::parse(&v).ok()));
        }
    };
    let on_from = {
        let go = go.clone();
        move |ev| {
            let v = event_target_value(&ev);
            go(with_change(&|q| {
                q.from = parse_day(&v).is_some().then(|| v.clone());
            }));
        }
    };
    let on_to = {
        let go = go.clone();
        move |ev| {
            let v = event_target_value(&ev);
            go(with_change(&|q| {
                q.to = parse_day(&v).is_some().then(|| v.clone());
            }));
        }
    };
    let on_reset = {
        let go = go.clone();
        move |_| {
            email.set(String::new());
            go(AuditQuery {
                page: 1,
                ..Default::default()
            });
        }
    };
    let filtered = move || {
        current.with(|c| {
            c.action.is_some()
                || !c.actor_email.trim().is_empty()
                || c.from.is_some()
                || c.to.is_some()
        })
    };
    let inverted_days = move || {
        current.with(|c| match (&c.from, &c.to) {
            (Some(f), Some(t)) => parse_day(f) > parse_day(t),
            _ => false,
        })
    };

    let count_text = move || {
        results.with(|r| match r {
            Some(Ok(page)) => count_events(page.total),
            Some(Err(_)) => String::new(),
            None => "Ricerca in corso…".to_owned(),
        })
    };
    let total = move || results.with(|r| r.as_ref().and_then(|r| r.as_ref().ok()).map(|p| p.total));

    view! {
        <nav class="breadcrumb-container" aria-label="Percorso">
            <ol class="breadcrumb">
                <li class="breadcrumb-item">
                    <a href="/">"Home"</a>
                    <span class="separator" aria-hidden="true">"/"</span>
                </li>
                <li class="breadcrumb-item active" aria-current="page">"Registro delle attività"</li>
            </ol>
        </nav>
        <h1>"Registro delle attività"</h1>
        <p class="lead">
            "Accessi, utenti e ruoli, modifiche al catalogo e importazioni, dal più recente. "
            "Il registro si può solo consultare: nessuno può modificarlo o cancellarlo."
        </p>

        <form role="search" class="row g-3 mt-3 align-items-end" on:submit=on_submit aria-label="Filtri del registro">
            <div class="col-12 col-lg-4">
                <div class="select-wrapper">
                    <label for="audit-action">"Azione"</label>
                    <select id="audit-action" name="azione" on:change=on_action>
                        <option value="" prop:selected=move || current.with(|c| c.action.is_none())>
                            "Tutte le azioni"
                        </option>
                        {AuditAction::ALL
                            .into_iter()
                            .map(|a| {
                                view! {
                                    <option value=a.code() prop:selected=move || current.with(|c| c.action == Some(a))>
                                        {a.label()}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </div>
            </div>
            <div class="col-12 col-lg-4">
                <div class="form-group mb-0">
                    <label for="audit-email" class="active">"Email di chi ha agito"</label>
                    <input
                        type="search"
                        id="audit-email"
                        name="email"
                        class="form-control"
                        autocomplete="off"
                        aria-describedby="audit-email-hint"
                        prop:value=move || email.get()
                        on:input=on_email
                    />
                </div>
            </div>
            <div class="col-6 col-lg-2">
                <div class="form-group mb-0">
                    <label for="audit-from" class="active">"Dal giorno"</label>
                    <input
                        type="date"
                        id="audit-from"
                        name="dal"
                        class="form-control"
                        prop:value=move || current.with(|c| c.from.clone().unwrap_or_default())
                        on:change=on_from
                    />
                </div>
            </div>
            <div class="col-6 col-lg-2">
                <div class="form-group mb-0">
                    <label for="audit-to" class="active">"Al giorno"</label>
                    <input
                        type="date"
                        id="audit-to"
                        name="al"
                        class="form-control"
                        prop:value=move || current.with(|c| c.to.clone().unwrap_or_default())
                        on:change=on_to
                    />
                </div>
            </div>
            <p id="audit-email-hint" class="col-12 small text-secondary mt-2 mb-0">
                "Basta una parte dell'indirizzo; per gli accessi falliti è l'email tentata. "
                "I giorni vanno da mezzanotte a mezzanotte (UTC), estremi inclusi."
            </p>
        </form>
        <Show when=inverted_days>
            <p class="alert alert-warning mt-3 mb-0" data-testid="audit-days-inverted">
                "Il giorno finale precede quello iniziale: nessun evento può corrispondere."
            </p>
        </Show>

        <div class="d-flex flex-wrap align-items-center justify-content-between gap-2 mt-4 mb-2">
            <p
                id="audit-count"
                class="mb-0 fw-semibold"
                role="status"
                aria-live="polite"
                data-total=move || total().map(|t| t.to_string())
            >
                {count_text}
            </p>
            <Show when=filtered>
                <button id="audit-filters-reset" type="button" class="btn btn-outline-primary btn-sm" on:click=on_reset.clone()>
                    "Azzera i filtri"
                </button>
            </Show>
        </div>

        <div aria-busy=move || pending.get().to_string() class:results-pending=move || pending.get()>
            {move || match results.get() {
                None => view! { <Loading label="Caricamento del registro…"/> }.into_any(),
                Some(Err(e)) => view! { <ErrorAlert error=e/> }.into_any(),
                Some(Ok(page)) => {
                    let q = loaded_for.get_untracked().unwrap_or_else(|| current.get_untracked());
                    let pages = page.total.div_ceil(PAGE_SIZE).max(1);
                    let current_page = q.page;
                    view! {
                        <EventsTable items=page.items page=current_page pages=pages/>
                        {(page.total > 0 && current_page > pages)
                            .then(|| {
                                let first = to_url(&AuditQuery { page: 1, ..q.clone() });
                                view! {
                                    <p>
                                        "Questa pagina non esiste più. "
                                        <a href=first>"Vai alla prima pagina"</a>
                                    </p>
                                }
                            })}
                        <Pagination
                            current=current_page.min(pages)
                            pages=pages
                            link=move |p: u64| to_url(&AuditQuery { page: p, ..q.clone() })
                        />
                    }
                        .into_any()
                }
            }}
        </div>
    }
}

#[component]
fn EventsTable(items: Vec<AuditEvent>, page: u64, pages: u64) -> impl IntoView {
    (!items.is_empty()).then(|| {
        view! {
            <div class="table-responsive">
                <table id="audit-table" class="table table-striped align-middle audit-table">
                    <caption class="visually-hidden">
                        {format!("Eventi del registro, dal più recente, pagina {} di {}", page.min(pages), pages)}
                    </caption>
                    <thead>
                        <tr>
                            <th scope="col">"Quando"</th>
                            <th scope="col">"Azione"</th>
                            <th scope="col">"Chi"</th>
                            <th scope="col">"Oggetto"</th>
                            <th scope="col" class="text-nowrap">"Indirizzo IP"</th>
                            <th scope="col">"Dettagli"</th>
                            <th scope="col" class="text-nowrap">"Request id"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {items
                            .into_iter()
                            .map(|e| {
                                let when = format_datetime(e.at.timestamp_millis());
                                let iso = e.at.to_rfc3339();
                                view! {
                                    <tr data-event-id=e.id.to_string() data-action=e.action.code()>
                                        <td class="text-nowrap"><time datetime=iso>{when}</time></td>
                                        <th scope="row" class="fw-normal" data-field="action">{e.action.label()}</th>
                                        <td class="text-break" data-field="actor">{actor_view(&e)}</td>
                                        <td class="text-nowrap" data-field="target">{target_view(&e)}</td>
                                        <td class="font-monospace small" data-field="ip">
                                            {e.ip_address.clone().unwrap_or_else(|| "—".to_owned())}
                                        </td>
                                        <td class="audit-details-cell" data-field="details">{details_view(&e.details)}</td>
                                        <td class="font-monospace small audit-request-id" data-field="request_id">
                                            {e.request_id.clone().unwrap_or_else(|| "—".to_owned())}
                                        </td>
                                    </tr>
                                }
                            })
                            .collect_view()}
                    </tbody>
                </table>
            </div>
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_keep_only_the_filters_set() {
        assert_eq!(to_url(&AuditQuery::default()), "/amministrazione/registro");
        let q = AuditQuery {
            action: Some(AuditAction::GrantAdded),
            actor_email: String::new(),
            from: Some("2026-11-01".into()),
            to: Some("2026-11-30".into()),
            page: 3,
        };
        assert_eq!(
            to_url(&q),
            "/amministrazione/registro?azione=grant_added&dal=2026-11-01&al=2026-11-30&pagina=3"
        );
    }
}
