//! `/amministrazione/utenti` (admin): the user accounts, with a form to create one. The search
//! lives in the query string (`?q=rossi&ruolo=observer&pagina=2`), like the authorities
//! directory.

use crate::api::{self, ApiError, PAGE_SIZE, UserQuery};
use crate::components::feedback::{ErrorAlert, Loading};
use crate::components::form::{FieldErrors, FieldMessage, described_by, field_error};
use crate::components::grant_fields::{GrantDraft, GrantFields};
use crate::components::icon::Icon;
use crate::components::pagination::Pagination;
use crate::util::{count_users, encode, focus_id, scope_label, set_title};
use affianca_domain::dto::{CreateUserRequest, Province, User};
use affianca_domain::{Email, Role};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::params::ParamsMap;
use std::time::Duration;

const BASE_URL: &str = "/amministrazione/utenti";
const DEBOUNCE: Duration = Duration::from_millis(300);

fn from_params(m: &ParamsMap) -> UserQuery {
    UserQuery {
        q: m.get("q").unwrap_or_default(),
        role: m.get_str("ruolo").and_then(|r| Role::parse(r).ok()),
        page: m
            .get_str("pagina")
            .and_then(|p| p.parse().ok())
            .filter(|p| *p >= 1)
            .unwrap_or(1),
    }
}

fn to_url(q: &UserQuery) -> String {
    let mut parts = Vec::new();
    let text = q.q.trim();
    if !text.is_empty() {
        parts.push(format!("q={}", encode(text)));
    }
    if let Some(r) = q.role {
        parts.push(format!("ruolo={}", r.code()));
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

/// A grant in words: "Osservatore · provincia BG".
pub fn grant_text(role: Role, scope: &affianca_domain::Scope) -> String {
    format!("{} · {}", role.label(), scope_label(scope))
}

#[component]
pub fn Users() -> impl IntoView {
    set_title("Utenti");
    let query_map = use_query_map();
    let navigate = use_navigate();
    let current = Memo::new(move |_| query_map.with(from_params));

    let provinces_res = LocalResource::new(api::provinces);
    let provinces =
        Signal::derive(move || provinces_res.get().and_then(Result::ok).unwrap_or_default());
    let loaded_for = RwSignal::new(None::<UserQuery>);
    let results = LocalResource::new(move || {
        let q = current.get();
        async move {
            let r = api::users(&q).await;
            loaded_for.try_set(Some(q));
            r
        }
    });
    let pending = Memo::new(move |_| loaded_for.with(|l| l.as_ref() != Some(&current.get())));

    // The search box follows the URL (back/forward, links), as in the directory.
    let text = RwSignal::new(current.get_untracked().q);
    let url_q = Memo::new(move |_| current.with(|c| c.q.clone()));
    Effect::new(move |_| {
        let q = url_q.get();
        if text.with_untracked(|t| t.trim() != q.trim()) {
            text.set(q);
        }
    });

    let go = move |q: UserQuery| {
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
    let with_change = move |change: &dyn Fn(&mut UserQuery)| {
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
    let on_role = {
        let go = go.clone();
        move |ev| {
            let v = event_target_value(&ev);
            go(with_change(&|q| q.role = Role::parse(&v).ok()));
        }
    };
    let on_reset = {
        let go = go.clone();
        move |_| {
            text.set(String::new());
            go(UserQuery {
                page: 1,
                ..Default::default()
            });
        }
    };
    let filtered = move || current.with(|c| !c.q.trim().is_empty() || c.role.is_some());

    // The "Nuovo utente" panel and what it created last.
    let form_open = RwSignal::new(false);
    let created = RwSignal::new(None::<User>);
    let on_created = Callback::new(move |user: User| {
        created.set(Some(user));
        form_open.set(false);
        results.refetch();
        request_animation_frame(|| focus_id("user-created"));
    });
    let toggle_form = move |_| {
        let open = !form_open.get_untracked();
        form_open.set(open);
        if open {
            created.set(None);
            request_animation_frame(|| focus_id("new-user-name"));
        }
    };

    let count_text = move || {
        results.with(|r| match r {
            Some(Ok(page)) => count_users(page.total),
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
                <li class="breadcrumb-item active" aria-current="page">"Utenti"</li>
            </ol>
        </nav>
        <div class="d-flex flex-wrap align-items-start justify-content-between gap-3">
            <div>
                <h1>"Utenti"</h1>
                <p class="lead mb-0">"Gli account di Affianca e i ruoli con cui operano."</p>
            </div>
            <button
                id="new-user-toggle"
                type="button"
                class="btn btn-primary"
                aria-expanded=move || form_open.get().to_string()
                aria-controls="new-user-panel"
                on:click=toggle_form
            >
                <Icon name="it-plus" class="icon-white icon-sm me-1"/>
                "Nuovo utente"
            </button>
        </div>

        {move || {
            created
                .get()
                .map(|u| {
                    let href = format!("{BASE_URL}/{}", u.id);
                    view! {
                        <div
                            id="user-created"
                            class="alert alert-success mt-4"
                            role="status"
                            tabindex="-1"
                        >
                            "Creato l'utente " <strong>{u.full_name.clone()}</strong> " (" {u.email.to_string()} "). "
                            <a href=href>"Apri la scheda dell'utente"</a>
                        </div>
                    }
                })
        }}

        <Show when=move || form_open.get()>
            <section id="new-user-panel" class="new-user-panel mt-4" aria-labelledby="new-user-title">
                <h2 id="new-user-title" class="h4">"Nuovo utente"</h2>
                <NewUserForm provinces=provinces on_created=on_created on_cancel=Callback::new(move |()| {
                    form_open.set(false);
                    focus_id("new-user-toggle");
                })/>
            </section>
        </Show>

        <form role="search" class="row g-3 mt-5 align-items-end" on:submit=on_submit aria-label="Ricerca degli utenti">
            <div class="col-12 col-md-7">
                <div class="form-group mb-0">
                    <label for="users-q" class="active">"Nome o email"</label>
                    <input
                        type="search"
                        id="users-q"
                        name="q"
                        class="form-control"
                        autocomplete="off"
                        prop:value=move || text.get()
                        on:input=on_input
                    />
                </div>
            </div>
            <div class="col-12 col-md-5">
                <div class="select-wrapper">
                    <label for="users-role">"Ruolo"</label>
                    <select id="users-role" name="ruolo" on:change=on_role>
                        <option value="" prop:selected=move || current.with(|c| c.role.is_none())>
                            "Tutti i ruoli"
                        </option>
                        {Role::ALL
                            .into_iter()
                            .map(|r| {
                                view! {
                                    <option value=r.code() prop:selected=move || current.with(|c| c.role == Some(r))>
                                        {r.label()}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </div>
            </div>
        </form>

        <div class="d-flex flex-wrap align-items-center justify-content-between gap-2 mt-4 mb-2">
            <p
                id="users-count"
                class="mb-0 fw-semibold"
                role="status"
                aria-live="polite"
                data-total=move || total().map(|t| t.to_string())
            >
                {count_text}
            </p>
            <Show when=filtered>
                <button id="users-filters-reset" type="button" class="btn btn-outline-primary btn-sm" on:click=on_reset.clone()>
                    "Azzera i filtri"
                </button>
            </Show>
        </div>

        <div aria-busy=move || pending.get().to_string() class:results-pending=move || pending.get()>
            {move || match results.get() {
                None => view! { <Loading label="Caricamento degli utenti…"/> }.into_any(),
                Some(Err(e)) => view! { <ErrorAlert error=e/> }.into_any(),
                Some(Ok(page)) => {
                    let q = loaded_for.get_untracked().unwrap_or_else(|| current.get_untracked());
                    let pages = page.total.div_ceil(PAGE_SIZE).max(1);
                    let current_page = q.page;
                    view! {
                        <UsersTable items=page.items page=current_page pages=pages/>
                        {(page.total > 0 && current_page > pages)
                            .then(|| {
                                let first = to_url(&UserQuery { page: 1, ..q.clone() });
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
                            link=move |p: u64| to_url(&UserQuery { page: p, ..q.clone() })
                        />
                    }
                        .into_any()
                }
            }}
        </div>
    }
}

#[component]
fn UsersTable(items: Vec<User>, page: u64, pages: u64) -> impl IntoView {
    (!items.is_empty()).then(|| {
        view! {
            <div class="table-responsive">
                <table id="users-table" class="table table-striped table-hover align-middle">
                    <caption class="visually-hidden">
                        {format!("Utenti trovati, pagina {} di {}", page.min(pages), pages)}
                    </caption>
                    <thead>
                        <tr>
                            <th scope="col">"Nome"</th>
                            <th scope="col">"Email"</th>
                            <th scope="col">"Ruoli"</th>
                            <th scope="col">"Attivo"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {items
                            .into_iter()
                            .map(|u| {
                                let grants = u.grants.clone();
                                view! {
                                    <tr data-user-id=u.id.to_string() data-email=u.email.to_string()>
                                        <th scope="row" class="fw-normal">
                                            <a href=format!("{BASE_URL}/{}", u.id)>{u.full_name.clone()}</a>
                                        </th>
                                        <td class="text-break">{u.email.to_string()}</td>
                                        <td>
                                            {if grants.is_empty() {
                                                view! { <span class="text-secondary">"Nessun ruolo"</span> }.into_any()
                                            } else {
                                                view! {
                                                    <ul class="list-unstyled mb-0">
                                                        {grants
                                                            .into_iter()
                                                            .map(|g| view! { <li>{grant_text(g.role, &g.scope)}</li> })
                                                            .collect_view()}
                                                    </ul>
                                                }
                                                    .into_any()
                                            }}
                                        </td>
                                        <td>
                                            {if u.active {
                                                view! { <span>"Sì"</span> }.into_any()
                                            } else {
                                                view! { <span class="badge bg-secondary">"No"</span> }.into_any()
                                            }}
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

/// The form creating an account: name, e-mail, initial password, one or more roles.
#[component]
fn NewUserForm(
    #[prop(into)] provinces: Signal<Vec<Province>>,
    on_created: Callback<User>,
    on_cancel: Callback<()>,
) -> impl IntoView {
    let full_name = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let show_password = RwSignal::new(false);
    let next_key = StoredValue::new(1_u64);
    let rows = RwSignal::new(vec![GrantDraft::new(0)]);
    let errors = FieldErrors::new();
    let failure = RwSignal::new(None::<ApiError>);
    let pending = RwSignal::new(false);

    let add_row = move |_| {
        let key = next_key.get_value();
        next_key.set_value(key + 1);
        rows.update(|r| r.push(GrantDraft::new(key)));
        let i = rows.with_untracked(Vec::len) - 1;
        request_animation_frame(move || focus_id(&format!("new-user-grant-{i}-role")));
    };

    // The fields in form order with their input ids, to focus the first invalid one.
    let field_ids = move || {
        let mut f = vec![
            ("full_name".to_owned(), "new-user-name".to_owned()),
            ("email".to_owned(), "new-user-email".to_owned()),
            ("password".to_owned(), "new-user-password".to_owned()),
        ];
        for i in 0..rows.with_untracked(Vec::len) {
            f.push((
                format!("grants[{i}].role"),
                format!("new-user-grant-{i}-role"),
            ));
            f.push((
                format!("grants[{i}].scope"),
                format!("new-user-grant-{i}-scope"),
            ));
        }
        f
    };
    let focus_first_error = move || {
        let fields = field_ids();
        if let Some(id) = errors.first_of(&fields) {
            focus_id(id);
        } else {
            focus_id("new-user-failure");
        }
    };

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if pending.get_untracked() {
            return;
        }
        failure.set(None);
        let mut problems = Vec::new();
        let name = full_name.get_untracked().trim().to_owned();
        if name.is_empty() {
            problems.push(field_error(
                "full_name",
                "Inserire il nome e cognome, o il nome dell'ufficio.",
            ));
        }
        let mail = email.get_untracked();
        let parsed_email = if mail.trim().is_empty() {
            problems.push(field_error("email", "Inserire l'indirizzo email."));
            None
        } else {
            Email::parse(&mail)
                .map_err(|e| problems.push(field_error("email", e.to_string())))
                .ok()
        };
        let pw = password.get_untracked();
        if pw.is_empty() {
            problems.push(field_error("password", "Inserire una password iniziale."));
        }
        let mut grants = Vec::new();
        for (i, row) in rows.get_untracked().iter().enumerate() {
            match row.check(&format!("grants[{i}].role"), &format!("grants[{i}].scope")) {
                Ok(g) if grants.contains(&g) => problems.push(field_error(
                    format!("grants[{i}].scope"),
                    "Questo ruolo con questo ambito è già indicato sopra.",
                )),
                Ok(g) => grants.push(g),
                Err(e) => problems.push(e),
            }
        }
        errors.set(problems);
        let Some(parsed_email) = parsed_email.filter(|_| errors.is_empty_untracked()) else {
            focus_first_error();
            return;
        };
        let body = CreateUserRequest {
            email: parsed_email,
            full_name: name,
            password: pw,
            grants,
        };
        pending.set(true);
        spawn_local(async move {
            let result = api::create_user(&body).await;
            pending.try_set(false);
            match result {
                Ok(user) => {
                    full_name.try_set(String::new());
                    email.try_set(String::new());
                    password.try_set(String::new());
                    rows.try_set(vec![GrantDraft::new(0)]);
                    on_created.run(user);
                }
                Err(e) => {
                    errors.set_from(&e);
                    failure.try_set(Some(e));
                    request_animation_frame(focus_first_error);
                }
            }
        });
    };

    let invalid = move |field: &'static str| Memo::new(move |_| errors.has(field));
    let name_invalid = invalid("full_name");
    let email_invalid = invalid("email");
    let password_invalid = invalid("password");

    view! {
        <div id="new-user-failure" tabindex="-1">
            {move || failure.get().map(|e| view! { <ErrorAlert error=e/> })}
        </div>
        <form id="new-user-form" class="mt-5" novalidate=true on:submit=submit>
            <div class="row gx-3 gy-5">
                <div class="col-12 col-md-6">
                    <div class="form-group mb-0">
                        <label for="new-user-name" class="active">"Nome e cognome (o ufficio)"</label>
                        <input
                            id="new-user-name"
                            type="text"
                            class="form-control"
                            class:is-invalid=move || name_invalid.get()
                            autocomplete="off"
                            aria-required="true"
                            aria-invalid=move || name_invalid.get().then_some("true")
                            aria-describedby=move || described_by(None, "new-user-name-error", name_invalid.get())
                            prop:value=move || full_name.get()
                            on:input=move |ev| {
                                full_name.set(event_target_value(&ev));
                                errors.clear_field("full_name");
                            }
                        />
                    </div>
                    <FieldMessage errors=errors field="full_name" id="new-user-name-error"/>
                </div>
                <div class="col-12 col-md-6">
                    <div class="form-group mb-0">
                        <label for="new-user-email" class="active">"Email"</label>
                        <input
                            id="new-user-email"
                            type="email"
                            class="form-control"
                            class:is-invalid=move || email_invalid.get()
                            autocomplete="off"
                            inputmode="email"
                            spellcheck="false"
                            aria-required="true"
                            aria-invalid=move || email_invalid.get().then_some("true")
                            aria-describedby=move || described_by(None, "new-user-email-error", email_invalid.get())
                            prop:value=move || email.get()
                            on:input=move |ev| {
                                email.set(event_target_value(&ev));
                                errors.clear_field("email");
                            }
                        />
                    </div>
                    <FieldMessage errors=errors field="email" id="new-user-email-error"/>
                </div>
                <div class="col-12 col-md-6">
                    <div class="form-group mb-0">
                        <label for="new-user-password" class="active">"Password iniziale"</label>
                        <input
                            id="new-user-password"
                            type=move || if show_password.get() { "text" } else { "password" }
                            class="form-control"
                            class:is-invalid=move || password_invalid.get()
                            autocomplete="new-password"
                            aria-required="true"
                            aria-invalid=move || password_invalid.get().then_some("true")
                            aria-describedby=move || {
                                described_by(Some("new-user-password-hint"), "new-user-password-error", password_invalid.get())
                            }
                            prop:value=move || password.get()
                            on:input=move |ev| {
                                password.set(event_target_value(&ev));
                                errors.clear_field("password");
                            }
                        />
                    </div>
                    <p id="new-user-password-hint" class="form-text small text-secondary mb-0 mt-1">
                        "Almeno 12 caratteri. Va comunicata all'utente per un canale sicuro."
                    </p>
                    <FieldMessage errors=errors field="password" id="new-user-password-error"/>
                    <div class="form-check mt-2 mb-0">
                        <input
                            id="new-user-show-password"
                            type="checkbox"
                            prop:checked=move || show_password.get()
                            on:change=move |ev| show_password.set(event_target_checked(&ev))
                        />
                        <label for="new-user-show-password">"Mostra la password"</label>
                    </div>
                </div>
            </div>

            {move || {
                let count = rows.with(Vec::len);
                rows.get()
                    .into_iter()
                    .enumerate()
                    .map(|(i, row)| {
                        let remove = move |_| {
                            rows.update(|r| r.retain(|d| d.key != row.key));
                            errors.clear();
                            focus_id("new-user-add-grant");
                        };
                        view! {
                            <fieldset class="grant-row mt-4" data-grant-row=i.to_string()>
                                <legend class="h6">{format!("Ruolo {}", i + 1)}</legend>
                                <GrantFields
                                    draft=row
                                    id_prefix=format!("new-user-grant-{i}")
                                    role_field=format!("grants[{i}].role")
                                    scope_field=format!("grants[{i}].scope")
                                    errors=errors
                                    provinces=provinces
                                />
                                {(count > 1)
                                    .then(|| {
                                        view! {
                                            <button
                                                type="button"
                                                class="btn btn-link btn-sm px-0 mt-2"
                                                id=format!("new-user-grant-{i}-remove")
                                                on:click=remove
                                            >
                                                {format!("Togli il ruolo {}", i + 1)}
                                            </button>
                                        }
                                    })}
                            </fieldset>
                        }
                    })
                    .collect_view()
            }}
            <FieldMessage errors=errors field="grants" id="new-user-grants-error"/>

            <div class="d-flex flex-wrap gap-2 mt-4">
                <button id="new-user-add-grant" type="button" class="btn btn-outline-primary" on:click=add_row>
                    "Aggiungi un altro ruolo"
                </button>
                <button
                    id="new-user-submit"
                    type="submit"
                    class="btn btn-primary"
                    aria-disabled=move || pending.get().then_some("true")
                >
                    {move || if pending.get() { "Creazione in corso…" } else { "Crea l'utente" }}
                </button>
                <button id="new-user-cancel" type="button" class="btn btn-outline-secondary" on:click=move |_| on_cancel.run(())>
                    "Annulla"
                </button>
            </div>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use affianca_domain::Scope;

    #[test]
    fn urls_leave_defaults_out() {
        assert_eq!(to_url(&UserQuery::default()), "/amministrazione/utenti");
        let q = UserQuery {
            q: "  ".into(),
            role: Some(Role::Observer),
            page: 2,
        };
        assert_eq!(
            to_url(&q),
            "/amministrazione/utenti?ruolo=observer&pagina=2"
        );
    }

    #[test]
    fn grants_read_as_role_and_scope() {
        assert_eq!(
            grant_text(Role::Observer, &Scope::parse("province:BG").unwrap()),
            "Osservatore · provincia BG"
        );
    }
}
