//! The portal's page routes: the one place where a link to a page of the client is built. The
//! server writes them into notifications and e-mails, the client into its own links; [`ROUTES`]
//! lists every page the client's router serves, and a test on each side holds them together.

/// Every route of the client's router, as templates (`:name` is one path segment).
pub const ROUTES: &[&str] = &[
    "/",
    "/accedi",
    "/registrazione",
    "/invito/:token",
    "/password-dimenticata",
    "/reimposta-password/:token",
    "/enti",
    "/enti/:istat_code",
    "/enti/:istat_code/delegati",
    "/procedimenti",
    "/registrazioni",
    "/registrazioni/:id",
    "/notifiche",
    "/richieste",
    "/richieste/nuova",
    "/richieste/:id",
    "/foglio-ore",
    "/rapporti",
    "/monitoraggio",
    "/monitoraggio/enti/:istat_code",
    "/monitoraggio/cruscotto",
    "/monitoraggio/validazione",
    "/monitoraggio/obiettivi",
    "/incontri",
    "/incontri/:id",
    "/esperti",
    "/esperti/:id",
    "/fasi",
    "/fasi/:id",
    "/amministrazione/registro",
    "/amministrazione/utenti",
    "/amministrazione/utenti/:id",
];

/// Whether `link` (a path, with or without a query string) is a page of the client.
pub fn is_route(link: &str) -> bool {
    let path = link.split(['?', '#']).next().unwrap_or_default();
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    ROUTES.iter().any(|template| {
        let parts: Vec<&str> = template.trim_end_matches('/').split('/').collect();
        parts.len() == segments.len()
            && parts
                .iter()
                .zip(&segments)
                .all(|(p, s)| p == s || (p.starts_with(':') && !s.is_empty()))
    })
}

/// A support request's page.
pub fn request(id: i64) -> String {
    format!("/richieste/{id}")
}

/// An authority's page in the registry.
pub fn authority(istat: &str) -> String {
    format!("/enti/{}", istat)
}

/// An authority's delegates.
pub fn delegates(istat: &str) -> String {
    format!("/enti/{}/delegati", istat)
}

/// An authority's monitoring page (registers, semesters, indicators).
pub fn authority_monitoring(istat: &str) -> String {
    format!("/monitoraggio/enti/{}", istat)
}

/// The secretariat's queue of semesters to validate.
pub fn validation_queue() -> String {
    "/monitoraggio/validazione".to_owned()
}

/// An expert's profile.
pub fn expert(user_id: i64) -> String {
    format!("/esperti/{user_id}")
}

/// A province meeting.
pub fn meeting(id: i64) -> String {
    format!("/incontri/{id}")
}

/// A registration request.
pub fn registration(id: i64) -> String {
    format!("/registrazioni/{id}")
}

/// The page where an invited delegate accepts with the secret of the e-mail.
pub fn invitation(secret: &str) -> String {
    format!("/invito/{secret}")
}

/// The page where a password is chosen with the secret of the e-mail (a reset, or an account
/// created on someone's behalf).
pub fn password_setup(secret: &str) -> String {
    format!("/reimposta-password/{secret}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_link_built_here_is_a_route() {
        let istat = "016024";
        for link in [
            request(42),
            invitation("AbC-12_x"),
            password_setup("AbC-12_x"),
            authority(istat),
            delegates(istat),
            authority_monitoring(istat),
            validation_queue(),
            meeting(7),
            expert(5),
            registration(3),
        ] {
            assert!(is_route(&link), "{link} is not a page of the client");
        }
    }

    #[test]
    fn pages_the_client_does_not_have_are_not_routes() {
        // The link semester notifications carried before it was built here.
        assert!(!is_route("/monitoraggio/016024"));
        assert!(!is_route("/richieste//1"));
        assert!(!is_route("/richieste/1/altro"));
        assert!(!is_route("/api/v1/support-requests"));
        assert!(is_route("/richieste?stato=inviata"));
        assert!(is_route("/"));
    }
}
