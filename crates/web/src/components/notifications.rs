//! The unread notifications: a count shared by the app (refreshed on navigation, every 60 s and
//! after the notifications page changes something) and the bell in the header.

use crate::api;
use crate::session::{Session, use_session};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_location;
use std::time::Duration;

/// How many notifications are unread (`None` until known, or when signed out).
#[derive(Debug, Clone, Copy)]
pub struct Unread(pub RwSignal<Option<u64>>);

/// Creates the count, follows the session and refreshes it every minute. Call once, in `App`.
pub fn provide_notifications() {
    let session = use_session();
    let unread = Unread(RwSignal::new(None));
    provide_context(unread);
    // Forget the count on sign-out (the bell counts again when it appears).
    Effect::new(move |_| {
        if session.user_id().is_none() {
            unread.0.set(None);
        }
    });
    if let Ok(handle) = set_interval_with_handle(
        move || refresh_unread_with(session, unread),
        Duration::from_secs(60),
    ) {
        on_cleanup(move || handle.clear());
    }
}

fn refresh_unread_with(session: Session, unread: Unread) {
    // Only with a session: asking without one would end it (a refused refresh).
    if !session.is_signed_in() {
        return;
    }
    spawn_local(async move {
        if let Ok(c) = api::unread_count().await
            && session.is_signed_in()
        {
            unread.0.try_set(Some(c.unread));
        }
    });
}

/// What counts the unread notifications again; get it while rendering (it reads the context),
/// run it later.
pub fn use_refresh_unread() -> impl Fn() + Copy + 'static {
    let session = use_context::<Session>();
    let unread = use_context::<Unread>();
    move || {
        if let (Some(session), Some(unread)) = (session, unread) {
            refresh_unread_with(session, unread);
        }
    }
}

/// "Notifiche: 3 non lette".
pub fn bell_label(unread: Option<u64>) -> String {
    match unread {
        Some(0) | None => "Notifiche: nessuna da leggere".to_owned(),
        Some(1) => "Notifiche: 1 da leggere".to_owned(),
        Some(n) => format!("Notifiche: {n} da leggere"),
    }
}

/// The bell of the header, with the unread count, linking to `/notifiche`.
#[component]
pub fn NotificationBell() -> impl IntoView {
    let Some(Unread(unread)) = use_context::<Unread>() else {
        return ().into_any();
    };
    let session = use_session();
    let location = use_location();
    // Count again on every navigation.
    Effect::new(move |_| {
        location.pathname.track();
        refresh_unread_with(session, Unread(unread));
    });
    let count = move || unread.get().filter(|n| *n > 0);
    view! {
        <a
            id="notifications-bell"
            href="/notifiche"
            class="notifications-bell"
            aria-label=move || bell_label(unread.get())
            title=move || bell_label(unread.get())
        >
            <svg class="icon icon-white" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
                <path d="M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22zm7-6v-5a7 7 0 0 0-5.5-6.84V3.5a1.5 1.5 0 0 0-3 0v.66A7 7 0 0 0 5 11v5l-2 2v1h18v-1z"></path>
            </svg>
            {move || {
                count()
                    .map(|n| {
                        view! {
                            <span id="unread-count" class="badge bg-danger" data-unread=n.to_string() aria-hidden="true">
                                {if n > 99 { "99+".to_owned() } else { n.to_string() }}
                            </span>
                        }
                    })
            }}
        </a>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::bell_label;

    #[test]
    fn the_bell_says_how_many() {
        assert_eq!(bell_label(None), "Notifiche: nessuna da leggere");
        assert_eq!(bell_label(Some(0)), "Notifiche: nessuna da leggere");
        assert_eq!(bell_label(Some(1)), "Notifiche: 1 da leggere");
        assert_eq!(bell_label(Some(4)), "Notifiche: 4 da leggere");
    }
}
