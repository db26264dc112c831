//! The root component: session, router and routes.

use crate::components::layout::{AuthLayout, PublicLayout};
use crate::pages::{
    authorities::Authorities, authority::AuthorityDetail, home::Home, login::Login,
    not_found::NotFound, procedures::Procedures,
};
use crate::session::provide_session;
use leptos::prelude::*;
use leptos_router::components::{Outlet, ParentRoute, Route, Router, Routes};
use leptos_router::path;

/// The last URL of the authorities directory, so that a detail page can link back to the same
/// search.
#[derive(Debug, Clone, Copy)]
pub struct LastDirectoryUrl(pub RwSignal<String>);

#[component]
pub fn App() -> impl IntoView {
    provide_session();
    provide_context(LastDirectoryUrl(RwSignal::new("/enti".to_owned())));

    view! {
        <Router>
            <Routes fallback=|| view! { <AuthLayout><NotFound/></AuthLayout> }>
                <Route path=path!("/accedi") view=|| view! { <PublicLayout><Login/></PublicLayout> }/>
                <ParentRoute path=path!("") view=|| view! { <AuthLayout><Outlet/></AuthLayout> }>
                    <Route path=path!("") view=Home/>
                    <Route path=path!("enti") view=Authorities/>
                    <Route path=path!("enti/:istat_code") view=AuthorityDetail/>
                    <Route path=path!("procedimenti") view=Procedures/>
                </ParentRoute>
            </Routes>
        </Router>
    }
}
