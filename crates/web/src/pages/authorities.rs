//! `/enti`: the directory of authorities. The search lives in the query string
//! (`?q=berg&provincia=BG&tipo=comune&ordina=-name&pagina=2`), so links, reloads and
//! back/forward all work.

use crate::api::{self, AuthorityQuery, PAGE_SIZE};
use crate::app::LastDirectoryUrl;
use crate::components::feedback::{ErrorAlert, Loading};
use crate::components::pagination::Pagination;
use crate::util::{count_authorities, encode, set_title};
use affianca_domain::dto::Authority;
use affianca_domain::{AuthorityKind, ProvinceCode};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::params::ParamsMap;
use std::time::Duration;

const DEFAULT_SORT: &str = "name";
const SORTS: [(&str, &str); 4] = [
    ("name", "Nome (A–Z)"),
    ("-name", "Nome (Z–A)"),
    ("istat_code", "Codice ISTAT (crescente)"),
    ("-istat_code", "Codice ISTAT (decrescente)"),
];
const DEBOUNCE: Duration = Duration::from_millis(300);

/// Reads the search from the query string; unknown or malformed values fall back to defaults.
fn from_params(m: &ParamsMap) -> AuthorityQuery {
    AuthorityQuery {
        q: m.get("q").unwrap_or_default(),
        province: m
            .get_str("provincia")
            .and_then(|p| ProvinceCode::parse(p).ok()),
        kind: m.get_str("tipo").and_then(|k| AuthorityKind::parse(k).ok()),
        support: match m.get_str("supporto") {
            Some("si") => Some(true),
            Some("no") => Some(false),
            _ => None,
        },
        sort: m
            .get_str("ordina")
            .filter(|s| SORTS.iter().any(|(code, _)| code == s))
            .unwrap_or(DEFAULT_SORT)
            .to_owned(),
        page: m
            .get_str("pagina")
            .and_then(|p| p.parse().ok())
            .filter(|p| *p >= 1)
            .unwrap_or(1),
    }
}

/// The directory URL for a search, leaving defaults out.
fn to_url(q: &AuthorityQuery) -> String {
    let mut parts = Vec::new();
    let text = q.q.trim();
    if !text.is_empty() {
        parts.push(format!("q={}", encode(text)));
    }
    if let Some(p) = &q.province {
        parts.push(format!("provincia={p}"));
    }
    if let Some(k) = q.kind {
        parts.push(format!("tipo={}", k.code()));
    }
    if let Some(b) = q.support {
        parts.push(format!("supporto={}", if b { "si" } else { "no" }));
    }
    if q.sort != DEFAULT_SORT {
        parts.push(format!("ordina={}", encode(&q.sort)));
    }
    if q.page > 1 {
        parts.push(format!("pagina={}", q.page));
    }
    if parts.is_empty() {
        "/enti".to_owned()
    } else {
        format!("/enti?{}", parts.join("&"))
    }
}

#[component]
pub fn Authorities() -> impl IntoView {
    set_title("Enti");
    let query_map = use_query_map();
    let navigate = use_navigate();
    let current = Memo::new(move |_| query_map.with(from_params));
    let last_url = expect_context::<LastDirectoryUrl>().0;
    Effect::new(move |_| last_url.set(to_url(&current.get())));

    let provinces = LocalResource::new(api::provinces);
    let loaded_for = RwSignal::new(None::<AuthorityQuery>);
    let results = LocalResource::new(move || {
        let q = current.get();
        async move {
            let r = api::authorities(&q).await;
            loaded_for.try_set(Some(q));
            r
        }
    });
    let pending = Memo::new(move |_| loaded_for.with(|l| l.as_ref() != Some(&current.get())));

    // The text box follows the URL (back/forward, links). Our own debounced navigation puts the
    // typed text into the URL, so it is left alone then (keeping, say, a trailing space).
    let text = RwSignal::new(current.get_untracked().q);
    let url_q = Memo::new(move |_| current.with(|c| c.q.clone()));
    Effect::new(move |_| {
        let q = url_q.get();
        if text.with_untracked(|t| t.trim() != q.trim()) {
            text.set(q);
        }
    });

    // Goes to the directory URL of a search (a new history entry).
    let go = move |q: AuthorityQuery| {
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
    // The search as shown on screen, with one change applied, back at page 1.
    let with_change = move |change: &dyn Fn(&mut AuthorityQuery)| {
        let mut q = current.get_untracked();
        q.q = text.get_untracked();
        q.page = 1;
        change(&mut q);
        q
    };

    let mut search_later = debounce(DEBOUNCE, {
        let go = go.clone();
        move |_: ()| go(with_change(&|_| {}))
    });
    let on_input = move |ev| {
        text.set(event_target_value(&ev));
        search_later(());
    };
    let on_submit = {
        let go = go.clone();
        move |ev: SubmitEvent| {
            ev.prevent_default();
            go(with_change(&|_| {}));
        }
    };
    let on_province = {
        let go = go.clone();
        move |ev| {
            let v = event_target_value(&ev);
            go(with_change(&|q| q.province = ProvinceCode::parse(&v).ok()));
        }
    };
    let on_kind = {
        let go = go.clone();
        move |ev| {
            let v = event_target_value(&ev);
            go(with_change(&|q| q.kind = AuthorityKind::parse(&v).ok()));
        }
    };
    let on_support = {
        let go = go.clone();
        move |ev| {
            let v = event_target_value(&ev);
            go(with_change(&|q| {
                q.support = match v.as_str() {
                    "si" => Some(true),
                    "no" => Some(false),
                    _ => None,
                }
            }));
        }
    };
    let on_sort = {
        let go = go.clone();
        move |ev| {
            let v = event_target_value(&ev);
            go(with_change(&|q| q.sort = v.clone()));
        }
    };
    let on_reset = {
        let go = go.clone();
        move |_| {
            text.set(String::new());
            go(AuthorityQuery {
                sort: DEFAULT_SORT.to_owned(),
                page: 1,
                ..Default::default()
            });
        }
    };
    let filtered = move || {
        current.with(|c| {
            !c.q.trim().is_empty()
                || c.province.is_some()
                || c.kind.is_some()
                || c.support.is_some()
        })
    };

    let count_text = move || {
        results.with(|r| match r {
            Some(Ok(page)) => count_authorities(page.total),
            Some(Err(_)) => String::new(),
            None => "Ricerca in corso…".to_owned(),
        })
    };
    let total = move || results.with(|r| r.as_ref().and_then(|r| r.as_ref().ok()).map(|p| p.total));

    view! {
        <h1>"Enti"</h1>
        <p class="lead">"Comuni, Province, Città metropolitana e Regione del programma."</p>

        <form role="search" class="row g-3 mt-3 align-items-end" on:submit=on_submit aria-label="Ricerca degli enti">
            <div class="col-12 col-lg-3">
                <div class="form-group mb-0">
                    <label for="search-q" class="active">"Nome dell'ente"</label>
                    <input
                        type="search"
                        id="search-q"
                        name="q"
                        class="form-control"
                        autocomplete="off"
                        aria-describedby="search-q-hint"
                        prop:value=move || text.get()
                        on:input=on_input
                    />
                </div>
            </div>
            <div class="col-12 col-sm-6 col-lg-3">
                <div class="select-wrapper">
                    <label for="filter-province">"Provincia"</label>
                    <select id="filter-province" name="provincia" on:change=on_province>
                        <option value="" prop:selected=move || current.with(|c| c.province.is_none())>
                            "Tutte le province"
                        </option>
                        {move || {
                            provinces
                                .get()
                                .and_then(Result::ok)
                                .unwrap_or_default()
                                .into_iter()
                                .map(|p| {
                                    let code = p.code.clone();
                                    let selected = move || current.with(|c| c.province.as_ref() == Some(&code));
                                    view! {
                                        <option value=p.code.to_string() prop:selected=selected>
                                            {format!("{} ({})", p.name, p.code)}
                                        </option>
                                    }
                                })
                                .collect_view()
                        }}
                    </select>
                </div>
            </div>
            <div class="col-12 col-sm-6 col-lg-2">
                <div class="select-wrapper">
                    <label for="filter-kind">"Tipo"</label>
                    <select id="filter-kind" name="tipo" on:change=on_kind>
                        <option value="" prop:selected=move || current.with(|c| c.kind.is_none())>
                            "Tutti i tipi"
                        </option>
                        {AuthorityKind::ALL
                            .into_iter()
                            .map(|k| {
                                view! {
                                    <option value=k.code() prop:selected=move || current.with(|c| c.kind == Some(k))>
                                        {k.label()}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </div>
            </div>
            <div class="col-12 col-sm-6 col-lg-2">
                <div class="select-wrapper">
                    <label for="sort">"Ordina per"</label>
                    <select id="sort" name="ordina" on:change=on_sort>
                        {SORTS
                            .into_iter()
                            .map(|(code, label)| {
                                view! {
                                    <option value=code prop:selected=move || current.with(|c| c.sort == code)>
                                        {label}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </div>
            </div>
            <div class="col-12 col-sm-6 col-lg-2">
                <div class="select-wrapper">
                    <label for="filter-support">"Può chiedere supporto"</label>
                    <select id="filter-support" name="supporto" on:change=on_support>
                        {[("", "Tutti", None), ("si", "Sì", Some(true)), ("no", "No", Some(false))]
                            .into_iter()
                            .map(|(code, label, value)| {
                                view! {
                                    <option value=code prop:selected=move || current.with(|c| c.support == value)>
                                        {label}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </div>
            </div>
            <p id="search-q-hint" class="col-12 small text-secondary mt-2 mb-0">
                "La ricerca parte mentre si scrive; maiuscole e accenti non contano."
            </p>
        </form>
        {move || {
            provinces
                .get()
                .and_then(Result::err)
                .map(|e| view! { <div class="mt-3"><ErrorAlert error=e/></div> })
        }}

        <div class="d-flex flex-wrap align-items-center justify-content-between gap-2 mt-4 mb-2">
            <p
                id="result-count"
                class="mb-0 fw-semibold"
                role="status"
                aria-live="polite"
                data-total=move || total().map(|t| t.to_string())
            >
                {count_text}
            </p>
            <Show when=filtered>
                <button id="filters-reset" type="button" class="btn btn-outline-primary btn-sm" on:click=on_reset.clone()>
                    "Azzera i filtri"
                </button>
            </Show>
        </div>

        <div aria-busy=move || pending.get().to_string() class:results-pending=move || pending.get()>
            {move || match results.get() {
                None => view! { <Loading label="Caricamento degli enti…"/> }.into_any(),
                Some(Err(e)) => view! { <ErrorAlert error=e/> }.into_any(),
                Some(Ok(page)) => {
                    let q = loaded_for.get_untracked().unwrap_or_else(|| current.get_untracked());
                    let pages = page.total.div_ceil(PAGE_SIZE).max(1);
                    let current_page = q.page;
                    view! {
                        <ResultsTable items=page.items page=current_page pages=pages/>
                        {(page.total > 0 && current_page > pages)
                            .then(|| {
                                let first = to_url(&AuthorityQuery { page: 1, ..q.clone() });
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
                            link=move |p: u64| to_url(&AuthorityQuery { page: p, ..q.clone() })
                        />
                    }
                        .into_any()
                }
            }}
        </div>
    }
}

#[component]
fn ResultsTable(items: Vec<Authority>, page: u64, pages: u64) -> impl IntoView {
    (!items.is_empty()).then(|| {
        view! {
            <div class="table-responsive">
                <table id="authorities-table" class="table table-striped table-hover align-middle">
                    <caption class="visually-hidden">
                        {format!("Enti trovati, pagina {} di {}", page.min(pages), pages)}
                    </caption>
                    <thead>
                        <tr>
                            <th scope="col">"Codice ISTAT"</th>
                            <th scope="col">"Nome"</th>
                            <th scope="col">"Tipo"</th>
                            <th scope="col">"Provincia"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {items
                            .into_iter()
                            .map(|a| {
                                let code = a.istat_code.to_string();
                                let province = match (&a.province_name, &a.province) {
                                    (Some(name), Some(code)) => format!("{name} ({code})"),
                                    (None, Some(code)) => code.to_string(),
                                    _ => "—".to_owned(),
                                };
                                view! {
                                    <tr data-istat=code.clone()>
                                        <td class="font-monospace">{code.clone()}</td>
                                        <th scope="row" class="fw-normal">
                                            <a href=format!("/enti/{code}")>{a.name}</a>
                                            {(!a.active)
                                                .then(|| view! { <span class="badge bg-secondary ms-2">"cessato"</span> })}
                                        </th>
                                        <td>{a.kind.label()}</td>
                                        <td>{province}</td>
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
