//! Province meetings (DOMAIN.md §1): the secretariat schedules a meeting at a province and invites
//! all or some of its authorities; their users confirm or decline (with how many people); the
//! secretariat reads the attendance list (also as CSV); every meeting has an `.ics` file.

use crate::app::{meetings, sight};
use crate::auth::Caller;
use crate::error::ApiResult;
use crate::extract::{Body, LazyBody};
use crate::notify::PublicUrl;
use crate::registry::Registry;
use actix_web::http::header;
use actix_web::{HttpResponse, get, post, web};
use affianca_domain::dto::{CreateMeetingRequest, Meeting, RsvpRequest};
use chrono::Duration;
use sea_orm::DatabaseConnection;

/// Schedule a meeting at a province and invite its authorities (secretariat). The invited
/// authorities' users are notified.
#[utoipa::path(
    tag = "meetings",
    security(("bearer" = [])),
    request_body = CreateMeetingRequest,
    responses(
        (status = 201, description = "Scheduled", body = Meeting, headers(("Location" = String))),
        crate::openapi::BadRequest,
        crate::openapi::Unauthorized,
        crate::openapi::Forbidden,
        crate::openapi::UnsupportedMediaType,
        crate::openapi::Unprocessable,
    )
)]
#[post("/meetings")]
pub async fn create_meeting(
    db: web::Data<DatabaseConnection>,
    registry: web::Data<Registry>,
    base: web::Data<PublicUrl>,
    caller: Caller,
    body: LazyBody<CreateMeetingRequest>,
) -> ApiResult<HttpResponse> {
    let body = Body(body.parse()?);
    let snapshot = registry.snapshot(&db).await?;
    let dto = meetings::schedule(db.get_ref(), &base, &snapshot, &caller, body.0).await?;
    let id = dto.id;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/meetings/{id}")))
        .json(dto))
}

/// The meetings the caller may see, soonest first.
#[utoipa::path(
    tag = "meetings",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Meetings", body = Vec<Meeting>),
        crate::openapi::Unauthorized,
    )
)]
#[get("/meetings")]
pub async fn list_meetings(
    db: web::Data<DatabaseConnection>,
    registry: web::Data<Registry>,
    caller: Caller,
) -> ApiResult<HttpResponse> {
    let snapshot = registry.snapshot(&db).await?;
    let out = meetings::list(db.get_ref(), &snapshot, &caller).await?;
    Ok(HttpResponse::Ok().json(out))
}

/// One meeting (404 outside the caller's sight); authority users see only their invitations.
#[utoipa::path(
    tag = "meetings",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Meeting id")),
    responses(
        (status = 200, description = "The meeting", body = Meeting),
        crate::openapi::Unauthorized,
        crate::openapi::NotFound,
    )
)]
#[get("/meetings/{id}")]
pub async fn get_meeting(
    db: web::Data<DatabaseConnection>,
    registry: web::Data<Registry>,
    caller: Caller,
    path: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    let (m, only) = sight::meeting(db.get_ref(), &caller, path.into_inner()).await?;
    let snapshot = registry.snapshot(&db).await?;
    Ok(HttpResponse::Ok().json(meetings::dto(db.get_ref(), &snapshot, m, only.as_ref()).await?))
}

/// Confirm or decline attendance for an invited authority (its representative or delegates).
#[utoipa::path(
    tag = "meetings",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Meeting id")),
    request_body = RsvpRequest,
    responses(
        (status = 200, description = "Recorded; the meeting as the caller sees it", body = Meeting),
        crate::openapi::BadRequest,
        crate::openapi::Unauthorized,
        crate::openapi::NotFound,
        crate::openapi::UnsupportedMediaType,
        crate::openapi::Unprocessable,
    )
)]
#[post("/meetings/{id}/rsvp")]
pub async fn rsvp(
    db: web::Data<DatabaseConnection>,
    registry: web::Data<Registry>,
    caller: Caller,
    path: web::Path<i64>,
    body: Body<RsvpRequest>,
) -> ApiResult<HttpResponse> {
    let id = path.into_inner();
    meetings::respond(db.get_ref(), &caller, id, body.0).await?;
    let (m, only) = sight::meeting(db.get_ref(), &caller, id).await?;
    let snapshot = registry.snapshot(&db).await?;
    Ok(HttpResponse::Ok().json(meetings::dto(db.get_ref(), &snapshot, m, only.as_ref()).await?))
}

/// The attendance list as CSV for Excel (secretariat): `;`-separated, UTF-8 with BOM, Italian headers.
#[utoipa::path(
    tag = "meetings",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Meeting id")),
    responses(
        (status = 200, description = "The attendance list", content_type = "text/csv", body = String),
        crate::openapi::Unauthorized,
        crate::openapi::Forbidden,
        crate::openapi::NotFound,
    )
)]
#[get("/meetings/{id}/attendance.csv")]
pub async fn attendance_csv(
    db: web::Data<DatabaseConnection>,
    registry: web::Data<Registry>,
    caller: Caller,
    path: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    let (m, _) = sight::meeting(db.get_ref(), &caller, path.into_inner()).await?;
    let snapshot = registry.snapshot(&db).await?;
    let dto = meetings::dto(db.get_ref(), &snapshot, m, None).await?;
    let mut out = format!(
        "{}codice_istat;ente;risposta;partecipanti;data_risposta\r\n",
        crate::csv::BOM
    );
    for i in &dto.invitations {
        let response = match i.response.as_str() {
            "attending" => "partecipa",
            "declined" => "non partecipa",
            _ => "in attesa",
        };
        use crate::csv::{number, text};
        out.push_str(&crate::csv::row(&[
            text(i.istat_code.to_string()),
            text(i.authority_name.clone()),
            text(response),
            number(i.attendees),
            text(
                i.responded_at
                    .map(|t| t.format("%d/%m/%Y %H:%M").to_string())
                    .unwrap_or_default(),
            ),
        ]));
    }
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"incontro-{}-presenze.csv\"", dto.id),
        ))
        .body(out))
}

fn ics_text(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace(';', "\\;")
        .replace(',', "\\,")
        .replace('\n', "\\n")
}

/// The meeting as an iCalendar file, to add to a calendar.
#[utoipa::path(
    tag = "meetings",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Meeting id")),
    responses(
        (status = 200, description = "The event", content_type = "text/calendar", body = String),
        crate::openapi::Unauthorized,
        crate::openapi::NotFound,
    )
)]
#[get("/meetings/{id}/calendar.ics")]
pub async fn calendar(
    db: web::Data<DatabaseConnection>,
    registry: web::Data<Registry>,
    caller: Caller,
    path: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    let (m, _) = sight::meeting(db.get_ref(), &caller, path.into_inner()).await?;
    let snapshot = registry.snapshot(&db).await?;
    let province = snapshot
        .province_names
        .get(&m.province)
        .cloned()
        .unwrap_or_default();
    let fmt = "%Y%m%dT%H%M%SZ";
    let end = m.starts_at + Duration::minutes(m.duration_minutes as i64);
    let body = [
        "BEGIN:VCALENDAR".to_owned(),
        "VERSION:2.0".into(),
        "PRODID:-//Regione Lombardia//Affianca//IT".into(),
        "METHOD:PUBLISH".into(),
        "BEGIN:VEVENT".into(),
        format!("UID:affianca-meeting-{}@affianca", m.id),
        format!("DTSTAMP:{}", m.created_at.format(fmt)),
        format!("DTSTART:{}", m.starts_at.format(fmt)),
        format!("DTEND:{}", end.format(fmt)),
        format!(
            "SUMMARY:{}",
            ics_text(&format!("Affianca: incontro in provincia di {province}"))
        ),
        format!("LOCATION:{}", ics_text(&m.place)),
        format!("DESCRIPTION:{}", ics_text(&m.agenda)),
        "END:VEVENT".into(),
        "END:VCALENDAR".into(),
    ]
    .join("\r\n")
        + "\r\n";
    Ok(HttpResponse::Ok()
        .content_type("text/calendar; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"incontro-{}.ics\"", m.id),
        ))
        .body(body))
}
