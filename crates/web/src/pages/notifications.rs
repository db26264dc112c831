//! `/notifiche`: the signed-in user's notifications, newest first; unread ones in bold. Opening a
//! notification's link marks it read.

use crate::api::{self, ApiError, PAGE_SIZE};
use crate::components::feedback::{ErrorAlert, Loading};
use crate::components::notifications::use_refresh_unread;
use crate::components::pagination::Pagination;
use crate::util::{format_datetime, set_title};
use affianca_domain::dto::{Notification, Page};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_query_map;

/// Only links inside the app are followed (a notification's link is a client path).
fn internal_link(link: Option<&str>) -> Option<String> {
    link.filter(|l| l.starts_with('/') && !l.starts_with("//") && !l.starts_with("/\\"))
        .map(str::to_owned)
}

#[component]
pub fn Notifications() -> impl IntoView {
    set_title("Notifiche");
    let query = use_query_map();
    let page = Memo::new(move |_| {
        query.with(|q| {
            q.get_str("pagina")
                .and_then(|p| p.parse::<u64>().ok())
                .unwrap_or(1)
                .max(1)
        })
    });
    let version = RwSignal::new(0_u32);
    let list = LocalResource::new(move || {
        version.track();
        api::notifications(page.get())
    });
    let failure = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let refresh_unread = use_refresh_unread();
    let changed = move |result: Result<(), ApiError>| {
        busy.try_set(false);
        if let Err(e) = result {
            failure.try_set(Some(e));
        }
        version.try_update(|v| *v += 1);
        refresh_unread();
    };
    let read_all = move |_| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        failure.set(None);
        spawn_local(async move { changed(api::mark_all_notifications_read().await) });
    };
    let read_one = Callback::new(move |id: i64| {
        failure.set(None);
        spawn_local(async move { changed(api::mark_notification_read(id).await) });
    });
    let any_unread = move || {
        list.get()
            .and_then(Result::ok)
            .is_some_and(|p| p.items.iter().any(|n| n.read_at.is_none()))
    };

    view! {
        <nav class="breadcrumb-container" aria-label="Percorso">
            <ol class="breadcrumb">
                <li class="breadcrumb-item">
                    <a href="/">"Home"</a>
                    <span class="separator" aria-hidden="true">"/"</span>
                </li>
                <li class="breadcrumb-item active" aria-current="page">"Notifiche"</li>
            </ol>
        </nav>
        <div class="d-flex flex-wrap align-items-center justify-content-between gap-3 mb-3">
            <h1 class="mb-0">"Notifiche"</h1>
            <Show when=any_unread>
                <button
                    id="read-all"
                    type="button"
                    class="btn btn-outline-primary btn-sm"
                    aria-disabled=move || busy.get().then_some("true")
                    on:click=read_all
                >
                    "Segna tutte come lette"
                </button>
            </Show>
        </div>
        {move || failure.get().map(|e| view! { <ErrorAlert error=e/> })}
        {move || match list.get() {
            None => view! { <Loading label="Caricamento delle notifiche…"/> }.into_any(),
            Some(Err(e)) => view! { <ErrorAlert error=e/> }.into_any(),
            Some(Ok(p)) => view! { <NotificationList page=p current=page.get_untracked() read_one=read_one/> }.into_any(),
        }}
    }
}

#[component]
fn NotificationList(
    page: Page<Notification>,
    current: u64,
    read_one: Callback<i64>,
) -> impl IntoView {
    if page.items.is_empty() {
        return view! { <p id="notifications-empty">"Nessuna notifica."</p> }.into_any();
    }
    let pages = page.total.div_ceil(PAGE_SIZE).max(1);
    view! {
        <ul id="notifications-list" class="list-unstyled notifications-list">
            {page
                .items
                .into_iter()
                .map(|n| {
                    let id = n.id;
                    let unread = n.read_at.is_none();
                    let link = internal_link(n.link.as_deref());
                    view! {
                        <li class="notice-item" class:unread=unread data-notification-id=id.to_string() data-unread=unread.to_string()>
                            <div class="d-flex flex-wrap justify-content-between gap-2">
                                <h2 class="h6 mb-1 notice-title">
                                    {unread.then(|| view! { <span class="visually-hidden">"Da leggere: "</span> })}
                                    {n.title.clone()}
                                </h2>
                                <span class="small text-secondary">{format_datetime(n.created_at.timestamp_millis())}</span>
                            </div>
                            <p class="mb-2 preserve-lines notice-body">{n.body.clone()}</p>
                            <div class="d-flex flex-wrap gap-3">
                                {link
                                    .map(|href| {
                                        view! {
                                            <a
                                                href=href
                                                id=format!("open-notification-{id}")
                                                on:click=move |_| {
                                                    if unread {
                                                        read_one.run(id);
                                                    }
                                                }
                                            >
                                                "Apri"
                                                <span class="visually-hidden">{format!(": {}", n.title)}</span>
                                            </a>
                                        }
                                    })}
                                {unread
                                    .then(|| {
                                        view! {
                                            <button
                                                id=format!("read-notification-{id}")
                                                type="button"
                                                class="btn btn-link btn-sm p-0"
                                                on:click=move |_| read_one.run(id)
                                            >
                                                "Segna come letta"
                                            </button>
                                        }
                                    })}
                            </div>
                        </li>
                    }
                })
                .collect_view()}
        </ul>
        <Pagination
            current=current
            pages=pages
            link=Callback::new(|p: u64| format!("/notifiche?pagina={p}"))
        />
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::internal_link;

    #[test]
    fn only_app_paths_are_opened() {
        assert_eq!(
            internal_link(Some("/registrazioni/3")).as_deref(),
            Some("/registrazioni/3")
        );
        assert_eq!(internal_link(Some("//evil.example")), None);
        assert_eq!(internal_link(Some("https://evil.example")), None);
        assert_eq!(internal_link(None), None);
    }
}
