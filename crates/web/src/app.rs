//! The root component: session, router and routes.

use crate::components::guard::RequireRole;
use crate::components::layout::{AuthLayout, PublicLayout};
use crate::pages::{
    audit::AuditLog, authorities::Authorities, authority::AuthorityDetail, home::Home,
    login::Login, not_found::NotFound, procedures::Procedures, user::UserDetail, users::Users,
};
use crate::pages::{
    delegates::Delegates,
    experts::{ExpertDetail, Experts},
    invitation::AcceptInvitation,
    meetings::{MeetingDetail, Meetings},
    monitoring::{
        AuthorityMonitoring, Dashboard, MonitoringHome, TargetsSettings, ValidationQueue,
    },
    notifications::Notifications,
    password_reset::{ForgotPassword, ResetPassword},
    phases::{PhaseDetail, Phases},
    registrations::{RegistrationDetail, Registrations},
    reports::Reports,
    request::RequestDetail,
    requests::{NewRequest, Requests},
    sign_up::SignUp,
    timesheet::TimesheetPage,
};
use crate::session::provide_session;
use affianca_domain::Role;
use affianca_domain::roles::set;
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
    crate::components::notifications::provide_notifications();
    provide_context(LastDirectoryUrl(RwSignal::new("/enti".to_owned())));

    view! {
        <Router>
            <Routes fallback=|| view! { <AuthLayout><NotFound/></AuthLayout> }>
                <Route path=path!("/accedi") view=|| view! { <PublicLayout><Login/></PublicLayout> }/>
                // Public: sign-up and the links sent by e-mail.
                <Route path=path!("/registrazione") view=|| view! { <PublicLayout><SignUp/></PublicLayout> }/>
                <Route path=path!("/invito/:token") view=|| view! { <PublicLayout><AcceptInvitation/></PublicLayout> }/>
                <Route
                    path=path!("/password-dimenticata")
                    view=|| view! { <PublicLayout><ForgotPassword/></PublicLayout> }
                />
                <Route
                    path=path!("/reimposta-password/:token")
                    view=|| view! { <PublicLayout><ResetPassword/></PublicLayout> }
                />
                <ParentRoute path=path!("") view=|| view! { <AuthLayout><Outlet/></AuthLayout> }>
                    <Route path=path!("") view=Home/>
                    <Route path=path!("enti") view=Authorities/>
                    <Route path=path!("enti/:istat_code") view=AuthorityDetail/>
                    <Route path=path!("procedimenti") view=Procedures/>
                    <Route path=path!("enti/:istat_code/delegati") view=Delegates/>
                    <Route path=path!("registrazioni") view=Registrations/>
                    <Route path=path!("registrazioni/:id") view=RegistrationDetail/>
                    <Route path=path!("notifiche") view=Notifications/>
                    <Route path=path!("richieste") view=Requests/>
                    <Route path=path!("richieste/nuova") view=NewRequest/>
                    <Route path=path!("richieste/:id") view=RequestDetail/>
                    <Route
                        path=path!("foglio-ore")
                        view=|| view! { <RequireRole roles=&[Role::Expert]><TimesheetPage/></RequireRole> }
                    />
                    <Route
                        path=path!("rapporti")
                        view=|| view! { <RequireRole roles=set::TRIAGE><Reports/></RequireRole> }
                    />
                    <Route path=path!("monitoraggio") view=MonitoringHome/>
                    <Route path=path!("monitoraggio/enti/:istat_code") view=AuthorityMonitoring/>
                    <Route path=path!("monitoraggio/cruscotto") view=Dashboard/>
                    <Route
                        path=path!("monitoraggio/validazione")
                        view=|| view! { <RequireRole roles=set::OVERSIGHT><ValidationQueue/></RequireRole> }
                    />
                    <Route path=path!("monitoraggio/obiettivi") view=TargetsSettings/>
                    <Route path=path!("incontri") view=Meetings/>
                    <Route path=path!("incontri/:id") view=MeetingDetail/>
                    <Route
                        path=path!("esperti")
                        view=|| view! { <RequireRole roles=set::STAFF><Experts/></RequireRole> }
                    />
                    <Route
                        path=path!("esperti/:id")
                        view=|| view! { <RequireRole roles=set::STAFF><ExpertDetail/></RequireRole> }
                    />
                    <Route
                        path=path!("fasi")
                        view=|| view! { <RequireRole roles=set::SECRETARIAT><Phases/></RequireRole> }
                    />
                    <Route
                        path=path!("fasi/:id")
                        view=|| view! { <RequireRole roles=set::SECRETARIAT><PhaseDetail/></RequireRole> }
                    />
                    <Route
                        path=path!("amministrazione/registro")
                        view=|| view! { <RequireRole roles=set::ADMIN><AuditLog/></RequireRole> }
                    />
                    <Route
                        path=path!("amministrazione/utenti")
                        view=|| view! { <RequireRole roles=set::ADMIN><Users/></RequireRole> }
                    />
                    <Route
                        path=path!("amministrazione/utenti/:id")
                        view=|| view! { <RequireRole roles=set::ADMIN><UserDetail/></RequireRole> }
                    />
                </ParentRoute>
            </Routes>
        </Router>
    }
}

#[cfg(test)]
mod tests {
    /// The router above serves exactly the pages of `affianca_domain::links::ROUTES`, the list the
    /// server's notifications and e-mails are checked against.
    #[test]
    fn the_router_serves_the_routes_of_the_links_module() {
        let source = include_str!("app.rs");
        let mut served: Vec<String> = source
            .split("path!(\"")
            .skip(1)
            .filter_map(|rest| rest.split_once("\")").map(|(p, _)| p))
            .map(|p| {
                if p.starts_with('/') {
                    p.to_owned()
                } else {
                    format!("/{p}")
                }
            })
            .collect();
        // The parent route of the signed-in pages (`path!("")`) is the home page too.
        served.sort();
        served.dedup();
        let mut routes: Vec<String> = affianca_domain::links::ROUTES
            .iter()
            .map(|r| (*r).to_owned())
            .collect();
        routes.sort();
        assert_eq!(served, routes);
    }
}
