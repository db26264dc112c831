//! The OpenAPI 3.1 document: the paths come from the handlers' `#[utoipa::path]` attributes
//! (collected by utoipa-actix-web while the routes are registered), the rest from [`ApiDoc`].
//! Reusable problem responses keep every operation's error list short and uniform.

use affianca_domain::dto::{FieldError, Problem};
use serde_json::json;
use std::collections::BTreeMap;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Affianca API",
        description = "REST API of Affianca, the portal of Lombardy's PNRR technical-assistance programme \
(M1-C1 2.2.1). Conventions (paths, errors, pagination, concurrency) are in docs/API-DESIGN.md. \
Authenticate with `POST /api/v1/auth/login` and send `Authorization: Bearer <access_token>`.",
        license(name = "EUPL-1.2"),
    ),
    servers((url = "/", description = "This server")),
    components(schemas(Problem, FieldError)),
    modifiers(&BearerAuth),
    tags(
        (name = "auth", description = "Login, token refresh, logout, the current user"),
        (name = "users", description = "User accounts and role grants (admin)"),
        (name = "authorities", description = "The registry of authorities: comuni, province, Città metropolitana, Regione (ISTAT)"),
        (name = "catalog", description = "Task forces and the catalog of procedure types"),
        (name = "onboarding", description = "Registration of authorities by their legal representatives, the collaboration protocol, approval"),
        (name = "delegates", description = "Delegates of an authority: invitations by e-mail, acceptance, removal"),
        (name = "experts", description = "Experts, their profiles, and task force coordinators"),
        (name = "meetings", description = "Meetings at the provinces: invitations, attendance, calendar files"),
        (name = "phases", description = "Programme phases and which authorities they enable"),
        (name = "support-requests", description = "Support requests: filing, triage, assignment, the state machine, history, service levels, CSV export"),
        (name = "activities", description = "The experts' activity log on requests and their monthly timesheets"),
        (name = "monitoring", description = "Semester monitoring of an authority: file register upload (CSV/XLSX), single-file writes, manual entry, validation, locking, history, baseline and targets"),
        (name = "indicators", description = "Backlog and processing-time indicators at every level, progress against targets, completeness, rankings, CSV exports and open data"),
        (name = "notifications", description = "In-app notifications and the e-mail outbox"),
        (name = "audit", description = "The append-only audit log of security-relevant actions (admin)"),
        (name = "system", description = "Health and version"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

fn problem_response(
    description: &str,
    status: u16,
    code: &str,
    title: &str,
    detail: &str,
) -> RefOr<Response> {
    let mut example = json!({
        "type": format!("https://affianca.example/problems/{code}"),
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    });
    if status == 422 {
        example["errors"] =
            json!([{"field": "legal_term_days", "message": "deve essere tra 1 e 3650"}]);
    }
    ResponseBuilder::new()
        .description(description)
        .content(
            crate::error::PROBLEM_JSON,
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .example(Some(example))
                .build(),
        )
        .build()
        .into()
}

macro_rules! problem_responses {
    ($($(#[$doc:meta])* $name:ident => ($status:literal, $description:literal, $code:literal, $title:literal, $detail:literal);)*) => {
        $(
            $(#[$doc])*
            pub struct $name;
            impl utoipa::IntoResponses for $name {
                fn responses() -> BTreeMap<String, RefOr<Response>> {
                    BTreeMap::from([($status.to_string(), problem_response($description, $status, $code, $title, $detail))])
                }
            }
        )*
    };
}

problem_responses! {
    /// 400: the body is not JSON.
    BadRequest => (400, "Malformed request: the body is not valid JSON", "malformed_request", "Richiesta non leggibile", "Il corpo della richiesta non è JSON valido.");
    /// 401: no valid token.
    Unauthorized => (401, "Missing, expired or invalid bearer token", "unauthenticated", "Accesso richiesto", "Accedere per continuare: il token manca, è scaduto o non è valido.");
    /// 403: the caller's roles do not allow the operation.
    Forbidden => (403, "The caller's roles do not allow this operation", "forbidden", "Operazione non consentita", "Serve uno dei ruoli: Segreteria Tecnica.");
    /// 404: does not exist, or not in the caller's scope.
    NotFound => (404, "Not found, or outside the caller's scope", "not_found", "Risorsa non trovata", "L'elemento richiesto non esiste o non è visibile con i permessi attuali.");
    /// 409: conflicts with existing data.
    Conflict => (409, "Conflicts with existing data", "conflict", "Conflitto con lo stato attuale", "Esiste già un elemento con questo codice.");
    /// 412: the If-Match ETag is stale.
    PreconditionFailed => (412, "If-Match does not match the current ETag: reload and retry", "precondition_failed", "La risorsa è cambiata", "La risorsa è stata modificata da qualcun altro: ricaricarla e riprovare.");
    /// 413: body too large.
    PayloadTooLarge => (413, "The body exceeds the size limit", "payload_too_large", "Richiesta troppo grande", "Il corpo della richiesta supera il limite di 65536 byte.");
    /// 415: not JSON.
    UnsupportedMediaType => (415, "The body must be application/json", "unsupported_media_type", "Formato non supportato", "Il corpo della richiesta deve essere JSON (Content-Type: application/json).");
    /// 422: invalid values, per field.
    Unprocessable => (422, "Invalid values: `errors` lists each field and why", "validation_failed", "Dati non validi", "Un campo non è valido.");
    /// 428: If-Match missing.
    PreconditionRequired => (428, "If-Match is required to change this resource", "precondition_required", "Manca If-Match", "Per modificare la risorsa inviare l'intestazione If-Match con l'ETag letto.");
    /// 429: too many attempts.
    TooManyRequests => (429, "Too many failed attempts: retry after the seconds in Retry-After", "too_many_attempts", "Troppi tentativi", "Troppi tentativi di accesso falliti: riprovare tra 900 secondi.");
    /// 500: a bug; the body reveals nothing, the log has the cause under the request id.
    InternalError => (500, "Unexpected error: the log has the cause under the X-Request-Id", "internal_error", "Errore interno", "Si è verificato un errore imprevisto. Riprovare più tardi; se persiste, comunicare l'X-Request-Id.");
    /// 503: the database is unreachable.
    ServiceUnavailable => (503, "Degraded: the database does not answer", "service_unavailable", "Servizio non disponibile", "Il database non risponde.");
}

/// Adds the statuses an operation can answer because of how it is called, where its own list
/// lacks them: a JSON body can be malformed (400), too large (413), of another media type (415)
/// or hold invalid values such as control characters (422); query parameters can be invalid
/// (422). Applied to the finished document (the paths come from the routes).
pub fn add_common_responses(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::IntoResponses;
    use utoipa::openapi::path::ParameterIn;
    for item in doc.paths.paths.values_mut() {
        for op in [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ]
        .into_iter()
        .flatten()
        {
            let json_body = op.request_body.as_ref().is_some_and(
                |b| matches!(b, RefOr::T(b) if b.content.contains_key("application/json")),
            );
            let query = op.parameters.as_ref().is_some_and(|ps| {
                ps.iter().any(
                    |p| matches!(p, RefOr::T(p) if matches!(p.parameter_in, ParameterIn::Query)),
                )
            });
            // A semester in the path (`2023S1`) that does not parse is a 422 naming `period`.
            let period_path = op.parameters.as_ref().is_some_and(|ps| {
                ps.iter().any(|p| {
                    matches!(p, RefOr::T(p) if matches!(p.parameter_in, ParameterIn::Path) && p.name == "period")
                })
            });
            let mut wanted = Vec::new();
            if json_body {
                wanted.extend([
                    BadRequest::responses(),
                    PayloadTooLarge::responses(),
                    UnsupportedMediaType::responses(),
                ]);
            }
            if json_body || query || period_path {
                wanted.push(Unprocessable::responses());
            }
            for responses in wanted {
                for (status, response) in responses {
                    op.responses.responses.entry(status).or_insert(response);
                }
            }
        }
    }
}
