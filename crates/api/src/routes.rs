//! The REST resources, one module each, all under `/api/v1`.

use utoipa_actix_web::{scope, service_config::ServiceConfig};

pub mod activities;
pub mod attachments;
pub mod audit;
pub mod auth;
pub mod authorities;
pub mod catalog;
pub mod delegates;
pub mod experts;
pub mod indicators;
pub mod meetings;
pub mod monitoring;
pub mod notifications;
pub mod password_reset;
pub mod phases;
pub mod registrations;
pub mod reports;
pub mod status;
pub mod support_requests;
pub mod users;

/// Registers every route (and its OpenAPI operation).
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(
        scope::scope("/api/v1")
            .service(status::status)
            .service(auth::login)
            .service(auth::refresh)
            .service(auth::logout)
            .service(auth::me)
            .service(password_reset::request_reset)
            .service(password_reset::reset_password)
            .service(audit::list_audit_events)
            .service(registrations::create_registration)
            .service(registrations::list_registrations)
            .service(registrations::get_registration)
            .service(registrations::upload_protocol)
            .service(registrations::download_protocol)
            .service(registrations::approve_registration)
            .service(registrations::reject_registration)
            .service(delegates::invite_delegate)
            .service(delegates::list_invitations)
            .service(delegates::revoke_invitation)
            .service(delegates::preview_invitation)
            .service(delegates::accept_invitation)
            .service(delegates::list_delegates)
            .service(delegates::remove_delegate)
            .service(delegates::change_representative)
            .service(experts::create_expert)
            .service(experts::list_experts)
            .service(experts::get_expert)
            .service(experts::update_expert)
            .service(experts::appoint_coordinator)
            .service(experts::remove_coordinator)
            .service(meetings::create_meeting)
            .service(meetings::list_meetings)
            .service(meetings::get_meeting)
            .service(meetings::rsvp)
            .service(meetings::attendance_csv)
            .service(meetings::calendar)
            .service(phases::list_phases)
            .service(phases::create_phase)
            .service(phases::get_phase)
            .service(phases::list_phase_authorities)
            .service(phases::enable_authorities)
            .service(phases::remove_phase_authority)
            .service(phases::programme_status)
            .service(support_requests::create_request)
            .service(support_requests::list_requests)
            .service(support_requests::export_requests)
            .service(support_requests::get_request)
            .service(support_requests::update_request)
            .service(support_requests::transition)
            .service(support_requests::candidates)
            .service(support_requests::list_messages)
            .service(support_requests::get_message)
            .service(support_requests::post_message)
            .service(reports::service_report)
            .service(monitoring::import_register)
            .service(monitoring::list_files)
            .service(monitoring::put_file)
            .service(monitoring::get_file)
            .service(monitoring::delete_file)
            .service(monitoring::list_semesters)
            .service(monitoring::enter_measurements)
            .service(monitoring::semester_transition)
            .service(monitoring::semester_history)
            .service(monitoring::semester_queue)
            .service(monitoring::get_settings)
            .service(monitoring::put_settings)
            .service(monitoring::get_targets)
            .service(monitoring::put_targets)
            .service(monitoring::delete_targets)
            .service(indicators::indicators)
            .service(indicators::completeness)
            .service(indicators::rankings)
            .service(indicators::open_data)
            .service(attachments::upload_attachment)
            .service(attachments::list_attachments)
            .service(attachments::download_attachment)
            .service(activities::list_activities)
            .service(activities::create_activity)
            .service(activities::update_activity)
            .service(activities::delete_activity)
            .service(activities::timesheet)
            .service(activities::timesheet_csv)
            .service(notifications::list_notifications)
            .service(notifications::unread_count)
            .service(notifications::mark_read)
            .service(notifications::mark_all_read)
            .service(notifications::list_outbox)
            .service(users::list_users)
            .service(users::create_user)
            .service(users::get_user)
            .service(users::add_grant)
            .service(users::revoke_grant)
            .service(authorities::list_authorities)
            .service(authorities::get_authority)
            .service(authorities::list_provinces)
            .service(catalog::list_task_forces)
            .service(catalog::list_procedures)
            .service(catalog::get_procedure)
            .service(catalog::create_procedure)
            .service(catalog::update_procedure)
            .service(catalog::deactivate_procedure)
            .default_service(actix_web::web::to(unknown_api_path)),
    );
}

/// Any other path under `/api/v1`: a 405 problem with `Allow` when the path exists with other
/// methods, otherwise a 404 problem, never the web client.
pub async fn unknown_api_path(
    req: actix_web::HttpRequest,
) -> Result<actix_web::HttpResponse, crate::error::ApiError> {
    match allowed_methods(req.path()) {
        Some(methods) => Ok(method_not_allowed(req.method().as_str(), &methods)),
        None => Err(crate::error::ApiError::not_found(
            "Questo indirizzo dell'API",
        )),
    }
}

/// 405 problem with `Allow` listing the methods the path has.
pub fn method_not_allowed(method: &str, allowed: &[&str]) -> actix_web::HttpResponse {
    use actix_web::ResponseError;
    let allow = allowed.join(", ");
    let mut res = crate::error::ApiError::new(
        actix_web::http::StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "Metodo non consentito",
    )
    .detail(format!(
        "Questo indirizzo non accetta il metodo {method}: usare {allow}."
    ))
    .error_response();
    if let Ok(v) = actix_web::http::header::HeaderValue::from_str(&allow) {
        res.headers_mut().insert(actix_web::http::header::ALLOW, v);
    }
    res
}

/// The methods the OpenAPI document lists for a concrete path (`/api/v1/status`,
/// `/api/v1/authorities/016024/files`), or `None` when no operation has that path. Path
/// templates match any one non-empty segment per `{parameter}`; a literal segment beats a
/// parameter (`/support-requests.csv` against `/support-requests/{id}`).
pub fn allowed_methods(path: &str) -> Option<Vec<&'static str>> {
    type Template = (Vec<Option<String>>, Vec<&'static str>);
    static TEMPLATES: std::sync::LazyLock<Vec<Template>> = std::sync::LazyLock::new(|| {
        let doc = crate::startup::openapi_document();
        let mut out = Vec::new();
        for (template, item) in &doc.paths.paths {
            let segments = template
                .split('/')
                .map(|s| (!(s.starts_with('{') && s.ends_with('}'))).then(|| s.to_owned()))
                .collect();
            let mut methods = Vec::new();
            for (op, name) in [
                (&item.get, "GET"),
                (&item.post, "POST"),
                (&item.put, "PUT"),
                (&item.patch, "PATCH"),
                (&item.delete, "DELETE"),
            ] {
                if op.is_some() {
                    methods.push(name);
                }
            }
            out.push((segments, methods));
        }
        out
    });
    let path = path.trim_end_matches('/');
    let parts: Vec<&str> = path.split('/').collect();
    let mut best: Option<(usize, &Vec<&'static str>)> = None;
    for (segments, methods) in TEMPLATES.iter() {
        if segments.len() != parts.len() || methods.is_empty() {
            continue;
        }
        let mut literal = 0;
        let fits = segments.iter().zip(&parts).all(|(t, p)| match t {
            Some(lit) => {
                literal += 1;
                lit == p
            }
            None => !p.is_empty(),
        });
        if fits && best.is_none_or(|(l, _)| literal > l) {
            best = Some((literal, methods));
        }
    }
    best.map(|(_, m)| m.clone())
}

/// Validated paging parameters.
#[derive(Debug, Clone, Copy)]
pub struct Paging {
    pub limit: u64,
    pub offset: u64,
}

pub const DEFAULT_LIMIT: u64 = 50;
pub const MAX_LIMIT: u64 = 200;
/// The largest `offset` accepted: far beyond any list, and far from the database's 2^63 limit.
pub const MAX_OFFSET: u64 = 10_000_000;

impl Paging {
    /// Checks `limit` (1..=200, default 50) and `offset` (0..=10,000,000), adding field errors to
    /// `errors`.
    pub fn parse(
        limit: Option<u64>,
        offset: Option<u64>,
        errors: &mut Vec<affianca_domain::dto::FieldError>,
    ) -> Self {
        let limit = match limit {
            None => DEFAULT_LIMIT,
            Some(l) if (1..=MAX_LIMIT).contains(&l) => l,
            Some(_) => {
                errors.push(affianca_domain::dto::FieldError {
                    field: "limit".into(),
                    message: format!("deve essere tra 1 e {MAX_LIMIT}"),
                });
                DEFAULT_LIMIT
            }
        };
        let offset = match offset {
            None => 0,
            Some(o) if o <= MAX_OFFSET => o,
            Some(_) => {
                errors.push(affianca_domain::dto::FieldError {
                    field: "offset".into(),
                    message: format!("deve essere tra 0 e {MAX_OFFSET}"),
                });
                0
            }
        };
        Self { limit, offset }
    }
}
