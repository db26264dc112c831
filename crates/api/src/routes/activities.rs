//! The experts' activity log (DOMAIN.md §4): experts record what they did on the requests assigned
//! to them (date, kind, hours in quarter hours from 0.25 to 12, files handled, notes), edit an
//! entry within 30 days and delete their own; at most 24 hours per expert per day across entries.
//! Monthly timesheets per expert come out of it, as JSON and as CSV.

use crate::app::sight;
use crate::auth::Caller;
use crate::entities::{activity_entry, request_assignee, support_request};
use crate::error::{ApiError, ApiResult};
use crate::extract::{Body, LazyBody, Query};
use crate::registry::Registry;
use crate::routes::support_requests::{names, person, status_of};
use actix_web::http::header;
use actix_web::{HttpResponse, delete, get, patch, post, web};
use affianca_domain::calendar::rome_date;
use affianca_domain::dto::{
    ActivityEntry, DayTotal, FieldError, NewActivity, Timesheet, TimesheetLine, UpdateActivity,
};
use affianca_domain::{ActivityKind, RequestStatus, Role, Scope, TaskForce};
use chrono::{Datelike, Days, NaiveDate, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use utoipa::IntoParams;

/// How long an entry stays editable.
const EDIT_DAYS: u64 = 30;
/// At most this many hours per expert per day.
const DAY_LIMIT_QUARTERS: i32 = 24 * 4;

fn hours(quarters: i32) -> f64 {
    f64::from(quarters) / 4.0
}

fn dto(e: activity_entry::Model, names: &HashMap<i64, String>) -> ActivityEntry {
    let created_day = rome_date(e.created_at);
    ActivityEntry {
        id: e.id,
        request_id: e.request_id,
        expert: person(names, e.expert_id),
        date: e.day,
        kind: ActivityKind::parse(&e.kind).unwrap_or(ActivityKind::Other),
        hours: hours(e.quarters),
        files_handled: e.files_handled,
        notes: e.notes,
        created_at: e.created_at,
        editable_until: created_day + Days::new(EDIT_DAYS),
    }
}

/// Hours as quarter hours, when they are a multiple of 0.25 between 0.25 and 12.
fn quarters_of(h: f64) -> Option<i32> {
    let q = h * 4.0;
    if !(1.0..=48.0).contains(&q) || (q - q.round()).abs() > 1e-9 {
        return None;
    }
    // 1..=48 by the check above.
    #[allow(clippy::cast_possible_truncation)]
    Some(q.round() as i32)
}

fn check(
    errors: &mut Vec<FieldError>,
    date: Option<NaiveDate>,
    hours: Option<f64>,
    files: Option<i32>,
    notes: Option<&str>,
) -> Option<i32> {
    let mut q = None;
    if let Some(d) = date
        && d > rome_date(Utc::now())
    {
        errors.push(FieldError {
            field: "date".into(),
            message: "non può essere nel futuro".into(),
        });
    } else if let Some(d) = date {
        affianca_domain::calendar::check_date_window(
            "date",
            d,
            affianca_domain::calendar::PROGRAMME_START,
            rome_date(Utc::now()),
            errors,
        );
    }
    if let Some(h) = hours {
        q = quarters_of(h);
        if q.is_none() {
            errors.push(FieldError {
                field: "hours".into(),
                message: "da 0.25 a 12, a quarti d'ora".into(),
            });
        }
    }
    if files.is_some_and(|f| !(0..=10_000).contains(&f)) {
        errors.push(FieldError {
            field: "files_handled".into(),
            message: "un numero da 0 a 10000".into(),
        });
    }
    if notes.is_some_and(|n| n.chars().count() > 4000) {
        errors.push(FieldError {
            field: "notes".into(),
            message: "al massimo 4000 caratteri".into(),
        });
    }
    q
}

/// Takes the expert's row lock (PostgreSQL) or the database's write lock (SQLite) before the
/// day-limit check, so that two entries saved at the same moment for one expert are checked one
/// after the other and never pass 24 hours together.
async fn serialise_expert(db: &impl ConnectionTrait, expert: i64) -> Result<(), sea_orm::DbErr> {
    crate::entities::user::Entity::update_many()
        .col_expr(
            crate::entities::user::Column::Active,
            Expr::col(crate::entities::user::Column::Active),
        )
        .filter(crate::entities::user::Column::Id.eq(expert))
        .exec(db)
        .await?;
    Ok(())
}

/// 422 when `quarters` more on `day` would take the expert past 24 hours (not counting the
/// entry `except`, being changed).
async fn check_day_limit(
    db: &impl ConnectionTrait,
    expert: i64,
    day: NaiveDate,
    quarters: i32,
    except: Option<i64>,
) -> ApiResult<()> {
    let mut select = activity_entry::Entity::find()
        .select_only()
        .column(activity_entry::Column::Quarters)
        .filter(activity_entry::Column::ExpertId.eq(expert))
        .filter(activity_entry::Column::Day.eq(day));
    if let Some(id) = except {
        select = select.filter(activity_entry::Column::Id.ne(id));
    }
    let already: i32 = select.into_tuple::<i32>().all(db).await?.into_iter().sum();
    if already + quarters > DAY_LIMIT_QUARTERS {
        return Err(ApiError::invalid_field(
            "hours",
            format!(
                "oltre le 24 ore del giorno {}: già registrate {} ore",
                day.format("%d/%m/%Y"),
                hours(already)
            ),
        ));
    }
    Ok(())
}

/// The activity log of a request, newest day first (whoever sees the request).
#[utoipa::path(
    tag = "activities",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Request id")),
    responses(
        (status = 200, description = "Entries", body = Vec<ActivityEntry>),
        crate::openapi::Unauthorized,
        crate::openapi::NotFound,
    )
)]
#[get("/support-requests/{id}/activities")]
pub async fn list_activities(
    db: web::Data<DatabaseConnection>,
    caller: Caller,
    path: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    let r = sight::request(db.get_ref(), &caller, path.into_inner()).await?;
    let rows = activity_entry::Entity::find()
        .filter(activity_entry::Column::RequestId.eq(r.id))
        .order_by_desc(activity_entry::Column::Day)
        .order_by_desc(activity_entry::Column::Id)
        .all(db.get_ref())
        .await?;
    let names = names(db.get_ref(), rows.iter().map(|e| e.expert_id)).await?;
    let out: Vec<ActivityEntry> = rows.into_iter().map(|e| dto(e, &names)).collect();
    Ok(HttpResponse::Ok().json(out))
}

/// Record an activity on a request assigned to the caller (while it is assigned, in progress,
/// on hold or just completed).
#[utoipa::path(
    tag = "activities",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Request id")),
    request_body = NewActivity,
    responses(
        (status = 201, description = "Recorded", body = ActivityEntry, headers(("Location" = String))),
        crate::openapi::BadRequest,
        crate::openapi::Unauthorized,
        crate::openapi::Forbidden,
        crate::openapi::NotFound,
        crate::openapi::Conflict,
        crate::openapi::UnsupportedMediaType,
        crate::openapi::Unprocessable,
    )
)]
#[post("/support-requests/{id}/activities")]
pub async fn create_activity(
    db: web::Data<DatabaseConnection>,
    caller: Caller,
    path: web::Path<i64>,
    body: LazyBody<NewActivity>,
) -> ApiResult<HttpResponse> {
    let r = sight::request(db.get_ref(), &caller, path.into_inner()).await?;
    let assigned = request_assignee::Entity::find_by_id((r.id, caller.user_id.0))
        .one(db.get_ref())
        .await?
        .is_some();
    if !assigned {
        return Err(ApiError::forbidden(
            "Registrano attività solo gli esperti assegnati alla richiesta.",
        ));
    }
    let body = Body(body.parse()?);
    if !matches!(
        status_of(&r.status),
        RequestStatus::Assigned
            | RequestStatus::InProgress
            | RequestStatus::OnHold
            | RequestStatus::Completed
    ) {
        return Err(ApiError::conflict(format!(
            "Sulla richiesta nello stato «{}» non si registrano attività.",
            status_of(&r.status).label()
        )));
    }
    let a = body.0;
    let mut errors = Vec::new();
    let q = check(
        &mut errors,
        Some(a.date),
        Some(a.hours),
        Some(a.files_handled),
        Some(&a.notes),
    );
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let q = q.unwrap_or(0);
    let now = Utc::now();
    let txn = crate::db::begin_write(&db).await?;
    serialise_expert(&txn, caller.user_id.0).await?;
    check_day_limit(&txn, caller.user_id.0, a.date, q, None).await?;
    let id = activity_entry::Entity::insert(activity_entry::ActiveModel {
        request_id: Set(r.id),
        expert_id: Set(caller.user_id.0),
        day: Set(a.date),
        kind: Set(a.kind.code().to_owned()),
        quarters: Set(q),
        files_handled: Set(a.files_handled),
        notes: Set(a.notes.trim().to_owned()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
    .exec(&txn)
    .await?
    .last_insert_id;
    let e = activity_entry::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| ApiError::not_found("L'attività"))?;
    txn.commit().await?;
    let names = names(db.get_ref(), [caller.user_id.0]).await?;
    Ok(HttpResponse::Created()
        .insert_header((
            actix_web::http::header::LOCATION,
            format!("/api/v1/activities/{}", e.id),
        ))
        .json(dto(e, &names)))
}

/// The caller's own entry (404 for anyone else's).
async fn own_entry(
    db: &impl ConnectionTrait,
    caller: &Caller,
    id: i64,
) -> ApiResult<activity_entry::Model> {
    activity_entry::Entity::find_by_id(id)
        .filter(activity_entry::Column::ExpertId.eq(caller.user_id.0))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("L'attività"))
}

/// Change an own entry, within 30 days of writing it.
#[utoipa::path(
    tag = "activities",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Entry id")),
    request_body = UpdateActivity,
    responses(
        (status = 200, description = "Changed", body = ActivityEntry),
        crate::openapi::BadRequest,
        crate::openapi::Unauthorized,
        crate::openapi::NotFound,
        crate::openapi::Conflict,
        crate::openapi::UnsupportedMediaType,
        crate::openapi::Unprocessable,
    )
)]
#[patch("/activities/{id}")]
pub async fn update_activity(
    db: web::Data<DatabaseConnection>,
    caller: Caller,
    path: web::Path<i64>,
    body: LazyBody<UpdateActivity>,
) -> ApiResult<HttpResponse> {
    let e = own_entry(db.get_ref(), &caller, path.into_inner()).await?;
    let body = Body(body.parse()?);
    if rome_date(Utc::now()) > rome_date(e.created_at) + Days::new(EDIT_DAYS) {
        return Err(ApiError::new(
            actix_web::http::StatusCode::CONFLICT,
            "edit_window_closed",
            "Attività non più modificabile",
        )
        .detail("Un'attività si modifica entro 30 giorni dalla registrazione."));
    }
    let c = body.0;
    let mut errors = Vec::new();
    let q = check(
        &mut errors,
        c.date,
        c.hours,
        c.files_handled,
        c.notes.as_deref(),
    );
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let day = c.date.unwrap_or(e.day);
    let quarters = q.unwrap_or(e.quarters);
    let txn = crate::db::begin_write(&db).await?;
    serialise_expert(&txn, caller.user_id.0).await?;
    check_day_limit(&txn, caller.user_id.0, day, quarters, Some(e.id)).await?;
    let mut update = activity_entry::Entity::update_many()
        .col_expr(activity_entry::Column::Day, Expr::value(day))
        .col_expr(activity_entry::Column::Quarters, Expr::value(quarters))
        .col_expr(activity_entry::Column::UpdatedAt, Expr::value(Utc::now()));
    if let Some(k) = c.kind {
        update = update.col_expr(activity_entry::Column::Kind, Expr::value(k.code()));
    }
    if let Some(f) = c.files_handled {
        update = update.col_expr(activity_entry::Column::FilesHandled, Expr::value(f));
    }
    if let Some(n) = &c.notes {
        update = update.col_expr(activity_entry::Column::Notes, Expr::value(n.trim()));
    }
    update
        .filter(activity_entry::Column::Id.eq(e.id))
        .exec(&txn)
        .await?;
    let e = own_entry(&txn, &caller, e.id).await?;
    txn.commit().await?;
    let names = names(db.get_ref(), [caller.user_id.0]).await?;
    Ok(HttpResponse::Ok().json(dto(e, &names)))
}

/// Delete an own entry (recorded by mistake).
#[utoipa::path(
    tag = "activities",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Entry id")),
    responses(
        (status = 204, description = "Deleted"),
        crate::openapi::Unauthorized,
        crate::openapi::NotFound,
    )
)]
#[delete("/activities/{id}")]
pub async fn delete_activity(
    db: web::Data<DatabaseConnection>,
    caller: Caller,
    path: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    let e = own_entry(db.get_ref(), &caller, path.into_inner()).await?;
    activity_entry::Entity::delete_by_id(e.id)
        .exec(db.get_ref())
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The month of a timesheet.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TimesheetQuery {
    /// `YYYY-MM`; the current month by default.
    pub month: Option<String>,
}

/// Who may read an expert's timesheet: the expert, the secretariat, the coordinators of one of
/// the expert's task forces.
async fn may_read_timesheet(
    db: &impl ConnectionTrait,
    caller: &Caller,
    expert: i64,
) -> ApiResult<()> {
    if caller.user_id.0 == expert || caller.has_role(Role::Secretariat) {
        return Ok(());
    }
    let coordinated: Vec<TaskForce> = caller
        .scopes_of(Role::Coordinator)
        .filter_map(|s| match s {
            Scope::TaskForce(t) => Some(*t),
            _ => None,
        })
        .collect();
    if !coordinated.is_empty() {
        let scopes: Vec<String> = coordinated
            .iter()
            .map(|t| format!("task_force:{}", t.code()))
            .collect();
        let found = crate::entities::role_grant::Entity::find()
            .filter(crate::entities::role_grant::Column::UserId.eq(expert))
            .filter(crate::entities::role_grant::Column::Role.eq(Role::Expert.code()))
            .filter(crate::entities::role_grant::Column::Scope.is_in(scopes))
            .one(db)
            .await?;
        if found.is_some() {
            return Ok(());
        }
    }
    Err(ApiError::not_found("Il foglio ore"))
}

fn month_bounds(month: Option<&str>) -> ApiResult<(NaiveDate, NaiveDate, String)> {
    let today = rome_date(Utc::now());
    let first = match month.map(str::trim).filter(|m| !m.is_empty()) {
        None => today.with_day(1).expect("day 1"),
        Some(m) => NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d")
            .map_err(|_| ApiError::invalid_field("month", "un mese AAAA-MM"))?,
    };
    let next = first
        .checked_add_months(chrono::Months::new(1))
        .expect("a month later");
    Ok((first, next, first.format("%Y-%m").to_string()))
}

async fn build_timesheet(
    db: &DatabaseConnection,
    registry: &Registry,
    expert: i64,
    month: Option<&str>,
) -> ApiResult<Timesheet> {
    let (first, next, label) = month_bounds(month)?;
    let rows = activity_entry::Entity::find()
        .filter(activity_entry::Column::ExpertId.eq(expert))
        .filter(activity_entry::Column::Day.gte(first))
        .filter(activity_entry::Column::Day.lt(next))
        .order_by_asc(activity_entry::Column::Day)
        .order_by_asc(activity_entry::Column::Id)
        .all(db)
        .await?;
    let requests: HashMap<i64, support_request::Model> = support_request::Entity::find()
        .filter(support_request::Column::Id.is_in(rows.iter().map(|e| e.request_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.id, r))
        .collect();
    let snapshot = registry.snapshot_recent(db).await?;
    let names = names(db, [expert]).await?;
    let mut days: BTreeMap<NaiveDate, i32> = BTreeMap::new();
    let mut total = 0;
    let mut lines = Vec::with_capacity(rows.len());
    for e in rows {
        *days.entry(e.day).or_default() += e.quarters;
        total += e.quarters;
        let r = requests.get(&e.request_id);
        lines.push(TimesheetLine {
            subject: r.map(|r| r.subject.clone()).unwrap_or_default(),
            authority_name: r
                .and_then(|r| snapshot.get(&r.authority_code))
                .map(|a| a.name.clone())
                .unwrap_or_default(),
            entry: dto(e, &names),
        });
    }
    Ok(Timesheet {
        expert: person(&names, expert),
        month: label,
        lines,
        days: days
            .into_iter()
            .map(|(date, q)| DayTotal {
                date,
                hours: hours(q),
            })
            .collect(),
        total_hours: hours(total),
    })
}

/// An expert's monthly timesheet (the expert, the secretariat, the coordinators of their task
/// forces).
#[utoipa::path(
    tag = "activities",
    security(("bearer" = [])),
    params(("user_id" = i64, Path, description = "The expert"), TimesheetQuery),
    responses(
        (status = 200, description = "The month", body = Timesheet),
        crate::openapi::Unauthorized,
        crate::openapi::NotFound,
        crate::openapi::Unprocessable,
    )
)]
#[get("/experts/{user_id}/timesheet")]
pub async fn timesheet(
    db: web::Data<DatabaseConnection>,
    registry: web::Data<Registry>,
    caller: Caller,
    path: web::Path<i64>,
    query: Query<TimesheetQuery>,
) -> ApiResult<HttpResponse> {
    let expert = path.into_inner();
    may_read_timesheet(db.get_ref(), &caller, expert).await?;
    let t = build_timesheet(&db, &registry, expert, query.0.month.as_deref()).await?;
    Ok(HttpResponse::Ok().json(t))
}

/// Italian decimal comma for spreadsheets: `3,5`.
fn hours_it(h: f64) -> String {
    format!("{h}").replace('.', ",")
}

/// The same timesheet as CSV (Italian headers, `;`, UTF-8 with BOM), with a total line.
#[utoipa::path(
    tag = "activities",
    security(("bearer" = [])),
    params(("user_id" = i64, Path, description = "The expert"), TimesheetQuery),
    responses(
        (status = 200, description = "CSV", content_type = "text/csv", body = String),
        crate::openapi::Unauthorized,
        crate::openapi::NotFound,
        crate::openapi::Unprocessable,
    )
)]
#[get("/experts/{user_id}/timesheet.csv")]
pub async fn timesheet_csv(
    db: web::Data<DatabaseConnection>,
    registry: web::Data<Registry>,
    caller: Caller,
    path: web::Path<i64>,
    query: Query<TimesheetQuery>,
) -> ApiResult<HttpResponse> {
    let expert = path.into_inner();
    may_read_timesheet(db.get_ref(), &caller, expert).await?;
    let t = build_timesheet(&db, &registry, expert, query.0.month.as_deref()).await?;
    let mut out = format!(
        "{}Data;Richiesta;Ente;Oggetto;Attività;Ore;Pratiche;Note\r\n",
        crate::csv::BOM
    );
    for l in &t.lines {
        use crate::csv::{number, text};
        let fields = [
            text(l.entry.date.format("%d/%m/%Y").to_string()),
            number(l.entry.request_id),
            text(l.authority_name.clone()),
            text(l.subject.clone()),
            text(l.entry.kind.label()),
            number(hours_it(l.entry.hours)),
            number(l.entry.files_handled),
            text(l.entry.notes.clone()),
        ];
        out.push_str(&crate::csv::row(&fields));
    }
    out.push_str(&crate::csv::row(&[
        crate::csv::text("Totale"),
        crate::csv::text(""),
        crate::csv::text(""),
        crate::csv::text(""),
        crate::csv::text(""),
        crate::csv::number(hours_it(t.total_hours)),
        crate::csv::text(""),
        crate::csv::text(""),
    ]));
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"foglio-ore-{}-{}.csv\"",
                expert, t.month
            ),
        ))
        .body(out))
}

#[cfg(test)]
mod tests {
    use super::quarters_of;

    #[test]
    fn hours_are_quarter_hours_between_a_quarter_and_twelve() {
        assert_eq!(quarters_of(0.25), Some(1));
        assert_eq!(quarters_of(3.5), Some(14));
        assert_eq!(quarters_of(12.0), Some(48));
        assert_eq!(quarters_of(0.0), None);
        assert_eq!(quarters_of(0.3), None);
        assert_eq!(quarters_of(12.25), None);
        assert_eq!(quarters_of(-1.0), None);
        assert_eq!(quarters_of(f64::NAN), None);
    }
}
