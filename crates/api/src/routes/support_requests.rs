//! Support requests (DOMAIN.md §4): authority users file drafts and submit them; the secretariat
//! and the task force's coordinators take them in charge and assign experts; the lead expert
//! works them; the authority closes them with feedback. Every move goes through the domain's state
//! machine ([`affianca_domain::request::next_status`]) in one endpoint, guarded by `If-Match`, and
//! is recorded in the request's history.
//!
//! Who sees a request: the authority's users (drafts too), the secretariat, the coordinators of
//! its task force, the experts assigned to it, observers of its province or the region. Anyone
//! else gets 404.

use crate::app::requests::{
    self, Actor, Move, authority_users, context, coordinators, record_transition,
    task_force_experts,
};
pub use crate::app::requests::{names, person, relation, service_levels, status_of};
use crate::app::sight::{self, Sight};
use crate::auth::Caller;
use crate::entities::{
    procedure, request_assignee, request_message, request_transition, support_request, user,
};
use crate::error::{ApiError, ApiResult};
use crate::extract::{Body, LazyBody, Query, etag, if_match};
use crate::notify::{self, Notice, PublicUrl};
use crate::registry::{Registry, Snapshot};
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use affianca_domain::calendar::rome_date;
use affianca_domain::dto::{
    Assignee, Candidate, CreateSupportRequest, FieldError, Message, NewMessage, Page,
    SupportRequest, SupportRequestSummary, TransitionRecord, TransitionRequest,
    UpdateSupportRequest,
};
use affianca_domain::links;
use affianca_domain::policy::Object;
use affianca_domain::request::allowed_actions;
use affianca_domain::text::fold_for_search;
use affianca_domain::{
    IstatCode, ProcedureCode, ProvinceCode, RequestStatus, SupportKind, SupportMode, TaskForce,
    Urgency, UserId,
};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Condition, Expr, Query as SqlQuery};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, Order,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde::Deserialize;
use std::collections::{BTreeSet, HashMap};
use utoipa::IntoParams;

/// Whether the caller is programme staff (sees internal notes, later).
pub fn is_staff(caller: &Caller) -> bool {
    caller.holds_any(affianca_domain::roles::set::STAFF)
}

// ---- DTOs --------------------------------------------------------------------------------------

fn summary(
    r: &support_request::Model,
    snapshot: &Snapshot,
    names: &HashMap<i64, String>,
    today: NaiveDate,
) -> SupportRequestSummary {
    let authority = snapshot.get(&r.authority_code);
    SupportRequestSummary {
        id: r.id,
        istat_code: IstatCode::parse(&r.authority_code)
            .unwrap_or_else(|_| IstatCode::parse("03").expect("the region's code")),
        authority_name: authority.map(|a| a.name.clone()).unwrap_or_default(),
        province: r
            .province
            .as_deref()
            .and_then(|p| ProvinceCode::parse(p).ok()),
        task_force: TaskForce::parse(&r.task_force).unwrap_or(TaskForce::BuildingPlanning),
        procedure: ProcedureCode::parse(&r.procedure_code)
            .unwrap_or_else(|_| ProcedureCode::parse("ALTRO").expect("a code")),
        subject: r.subject.clone(),
        status: status_of(&r.status),
        urgency: Urgency::parse(&r.urgency).unwrap_or(Urgency::Normal),
        submitted_at: r.submitted_at,
        updated_at: r.updated_at,
        service: service_levels(r, today),
        lead_expert: r.lead_expert_id.map(|id| person(names, id)),
        version: r.version,
    }
}

fn today() -> NaiveDate {
    rome_date(Utc::now())
}

/// The full DTO of a request for `caller`.
async fn detail(
    db: &impl ConnectionTrait,
    snapshot: &Snapshot,
    caller: &Caller,
    r: support_request::Model,
) -> Result<SupportRequest, sea_orm::DbErr> {
    // Assignees and history come with their people's names (joined), in two queries.
    let assignees: Vec<(i64, bool, String)> = request_assignee::Entity::find()
        .select_only()
        .column(request_assignee::Column::UserId)
        .column(request_assignee::Column::Lead)
        .column(user::Column::FullName)
        .join(
            sea_orm::JoinType::InnerJoin,
            request_assignee::Entity::belongs_to(user::Entity)
                .from(request_assignee::Column::UserId)
                .to(user::Column::Id)
                .into(),
        )
        .filter(request_assignee::Column::RequestId.eq(r.id))
        .into_tuple()
        .all(db)
        .await?;
    type Step = (
        String,
        Option<String>,
        String,
        Option<i64>,
        Option<String>,
        DateTime<Utc>,
        Option<String>,
    );
    let history: Vec<Step> = request_transition::Entity::find()
        .select_only()
        .column(request_transition::Column::Action)
        .column(request_transition::Column::FromStatus)
        .column(request_transition::Column::ToStatus)
        .column(request_transition::Column::ActorId)
        .column(request_transition::Column::Reason)
        .column(request_transition::Column::At)
        .column(user::Column::FullName)
        .join(
            sea_orm::JoinType::LeftJoin,
            request_transition::Entity::belongs_to(user::Entity)
                .from(request_transition::Column::ActorId)
                .to(user::Column::Id)
                .into(),
        )
        .filter(request_transition::Column::RequestId.eq(r.id))
        .order_by_asc(request_transition::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    let mut names: HashMap<i64, String> = assignees
        .iter()
        .map(|(id, _, n)| (*id, n.clone()))
        .chain(history.iter().filter_map(|h| Some((h.3?, h.6.clone()?))))
        .collect();
    let missing: Vec<i64> = r
        .lead_expert_id
        .into_iter()
        .chain([r.created_by])
        .filter(|id| !names.contains_key(id))
        .collect();
    if !missing.is_empty() {
        names.extend(self::names(db, missing).await?);
    }
    let now = Utc::now();
    let mut assignees: Vec<Assignee> = assignees
        .into_iter()
        .map(|(id, lead, full_name)| Assignee {
            user_id: UserId(id),
            full_name,
            lead,
        })
        .collect();
    assignees.sort_by(|a, b| b.lead.cmp(&a.lead).then(a.full_name.cmp(&b.full_name)));
    Ok(SupportRequest {
        summary: summary(&r, snapshot, &names, rome_date(now)),
        description: r.description.clone(),
        support_kind: SupportKind::parse(&r.support_kind).unwrap_or(SupportKind::Other),
        mode: SupportMode::parse(&r.mode).unwrap_or(SupportMode::Either),
        files_count: r.files_count,
        contact: r.contact.clone(),
        created_by: person(&names, r.created_by),
        created_at: r.created_at,
        taken_at: r.taken_at,
        assigned_at: r.assigned_at,
        completed_at: r.completed_at,
        closed_at: r.closed_at,
        held_from: r.held_from.as_deref().map(status_of),
        report: r.report.clone(),
        rating: r.rating,
        feedback: r.feedback.clone(),
        assignees,
        history: history
            .into_iter()
            .map(
                |(action, from, to, actor, reason, at, _)| TransitionRecord {
                    action,
                    from: from.as_deref().map(status_of),
                    to: status_of(&to),
                    actor: actor.map(|id| person(&names, id)),
                    reason,
                    at,
                },
            )
            .collect(),
        allowed_actions: allowed_actions(
            status_of(&r.status),
            relation(caller, &r),
            context(&r, now),
        ),
    })
}

fn respond(status: StatusCode, dto: &SupportRequest) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((
            header::ETAG,
            etag("request", dto.summary.id, dto.summary.version),
        ))
        .json(dto)
}

// ---- checks ------------------------------------------------------------------------------------

fn check_text(
    errors: &mut Vec<FieldError>,
    field: &str,
    value: &str,
    min: usize,
    max: usize,
    what: &str,
) {
    let n = value.trim().chars().count();
    if n < min || n > max {
        errors.push(FieldError {
            field: field.into(),
            message: if min > 0 {
                format!("{what}: da {min} a {max} caratteri")
            } else {
                format!("{what}: al massimo {max} caratteri")
            },
        });
    }
}

fn check_files_count(errors: &mut Vec<FieldError>, n: i32) {
    if !(0..=100_000).contains(&n) {
        errors.push(FieldError {
            field: "files_count".into(),
            message: "un numero da 0 a 100000".into(),
        });
    }
}

/// The active catalog procedure with this code (422 on `procedure` otherwise).
async fn find_procedure(
    db: &impl ConnectionTrait,
    code: &ProcedureCode,
) -> ApiResult<procedure::Model> {
    procedure::Entity::find()
        .filter(procedure::Column::Code.eq(code.as_str()))
        .filter(procedure::Column::Active.eq(true))
        .one(db)
        .await?
        .ok_or_else(|| {
            ApiError::invalid_field("procedure", "procedimento non presente nel catalogo")
        })
}

// ---- create, edit, read ------------------------------------------------------------------------

/// File a new request as a draft (authority representative or delegate of that authority).
#[utoipa::path(
    tag = "support-requests",
    security(("bearer" = [])),
    request_body = CreateSupportRequest,
    responses(
        (status = 201, description = "The draft", body = SupportRequest, headers(("ETag" = String), ("Location" = String))),
        crate::openapi::BadRequest,
        crate::openapi::Unauthorized,
        crate::openapi::Forbidden,
        crate::openapi::NotFound,
        crate::openapi::UnsupportedMediaType,
        crate::openapi::Unprocessable,
    )
)]
#[post("/support-requests")]
pub async fn create_request(
    db: web::Data<DatabaseConnection>,
    registry: web::Data<Registry>,
    caller: Caller,
    body: LazyBody<CreateSupportRequest>,
) -> ApiResult<HttpResponse> {
    let body = Body(body.parse()?);
    let req = body.0;
    let snapshot = registry.snapshot_recent(&db).await?;
    let authority = snapshot
        .get(req.istat_code.as_str())
        .ok_or_else(|| ApiError::not_found("L'ente"))?
        .clone();
    // The registry is public: an authority that is not the caller's is a refusal, not a secret.
    if !caller.authority_codes().contains(req.istat_code.as_str()) {
        return Err(ApiError::forbidden(format!(
            "Si chiede supporto per il proprio ente: {} non è tra gli enti per cui si lavora.",
            authority.name
        )));
    }
    let mut errors = Vec::new();
    check_text(&mut errors, "subject", &req.subject, 3, 200, "l'oggetto");
    check_text(
        &mut errors,
        "description",
        &req.description,
        1,
        10_000,
        "la descrizione",
    );
    check_text(&mut errors, "contact", &req.contact, 0, 200, "il contatto");
    check_files_count(&mut errors, req.files_count);
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let proc = find_procedure(db.get_ref(), &req.procedure).await?;
    let now = Utc::now();
    let txn = crate::db::begin_write(&db).await?;
    let inserted = support_request::Entity::insert(support_request::ActiveModel {
        authority_code: Set(req.istat_code.as_str().to_owned()),
        province: Set(authority.province.as_ref().map(|p| p.as_str().to_owned())),
        task_force: Set(proc.task_force.clone()),
        procedure_code: Set(proc.code.clone()),
        subject: Set(req.subject.trim().to_owned()),
        description: Set(req.description.trim().to_owned()),
        support_kind: Set(req.support_kind.code().to_owned()),
        urgency: Set(req.urgency.code().to_owned()),
        mode: Set(req.mode.code().to_owned()),
        files_count: Set(req.files_count),
        contact: Set(req.contact.trim().to_owned()),
        status: Set(RequestStatus::Draft.code().to_owned()),
        held_from: Set(None),
        lead_expert_id: Set(None),
        created_by: Set(caller.user_id.0),
        created_at: Set(now),
        updated_at: Set(now),
        search: Set(fold_for_search(&format!(
            "{} {}",
            req.subject, req.description
        ))),
        version: Set(1),
        ..Default::default()
    })
    .exec(&txn)
    .await?;
    let id = inserted.last_insert_id;
    record_transition(
        &txn,
        id,
        "create",
        None,
        RequestStatus::Draft,
        Some(caller.user_id.0),
        None,
        now,
    )
    .await?;
    let r = support_request::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("request {id} vanished")))?;
    let dto = detail(&txn, &snapshot, &caller, r).await?;
    txn.commit().await?;
    let mut resp = respond(StatusCode::CREATED, &dto);
    resp.headers_mut().insert(
        header::LOCATION,
        header::HeaderValue::from_str(&format!("/api/v1/support-requests/{id}"))
            .map_err(ApiError::internal)?,
    );
    Ok(resp)
}

/// One request with its history, assignees and the actions the caller may take now.
#[utoipa::path(
    tag = "support-requests",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Request id")),
    responses(
        (status = 200, description = "The request", body = SupportRequest, headers(("ETag" = String))),
        crate::openapi::Unauthorized,
        crate::openapi::NotFound,
    )
)]
#[get("/support-requests/{id}")]
pub async fn get_request(
    db: web::Data<DatabaseConnection>,
    registry: web::Data<Registry>,
    caller: Caller,
    path: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    let r = sight::request(db.get_ref(), &caller, path.into_inner()).await?;
    let snapshot = registry.snapshot_recent(&db).await?;
    let dto = detail(db.get_ref(), &snapshot, &caller, r).await?;
    Ok(respond(StatusCode::OK, &dto))
}

/// Edit a draft (the authority's users), with `If-Match`.
#[utoipa::path(
    tag = "support-requests",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Request id"), ("If-Match" = String, Header, description = "The ETag read with the request")),
    request_body = UpdateSupportRequest,
    responses(
        (status = 200, description = "Updated", body = SupportRequest, headers(("ETag" = String))),
        crate::openapi::BadRequest,
        crate::openapi::Unauthorized,
        crate::openapi::Forbidden,
        crate::openapi::NotFound,
        crate::openapi::Conflict,
        crate::openapi::PreconditionFailed,
        crate::openapi::UnsupportedMediaType,
        crate::openapi::Unprocessable,
        crate::openapi::PreconditionRequired,
    )
)]
#[patch("/support-requests/{id}")]
pub async fn update_request(
    req: HttpRequest,
    db: web::Data<DatabaseConnection>,
    registry: web::Data<Registry>,
    caller: Caller,
    path: web::Path<i64>,
    body: LazyBody<UpdateSupportRequest>,
) -> ApiResult<HttpResponse> {
    let current = sight::request(db.get_ref(), &caller, path.into_inner()).await?;
    if !relation(&caller, &current).authority {
        return Err(ApiError::forbidden(
            "Solo gli utenti dell'ente modificano le sue richieste.",
        ));
    }
    let body = Body(body.parse()?);
    if current.status != RequestStatus::Draft.code() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "not_a_draft",
            "Richiesta già inviata",
        )
        .detail("Si possono modificare solo le bozze; per aggiungere informazioni usare i messaggi."));
    }
    let expected = if_match(&req)?;
    if expected != "*" && expected != etag("request", current.id, current.version) {
        return Err(ApiError::precondition_failed());
    }
    let change = body.0;
    let mut errors = Vec::new();
    if let Some(s) = &change.subject {
        check_text(&mut errors, "subject", s, 3, 200, "l'oggetto");
    }
    if let Some(s) = &change.description {
        check_text(&mut errors, "description", s, 1, 10_000, "la descrizione");
    }
    if let Some(s) = &change.contact {
        check_text(&mut errors, "contact", s, 0, 200, "il contatto");
    }
    if let Some(n) = change.files_count {
        check_files_count(&mut errors, n);
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let proc = match &change.procedure {
        Some(code) => Some(find_procedure(db.get_ref(), code).await?),
        None => None,
    };
    let subject = change
        .subject
        .as_deref()
        .map_or(current.subject.as_str(), str::trim);
    let description = change
        .description
        .as_deref()
        .map_or(current.description.as_str(), str::trim);
    let mut update = support_request::Entity::update_many()
        .col_expr(
            support_request::Column::Version,
            Expr::value(current.version + 1),
        )
        .col_expr(support_request::Column::UpdatedAt, Expr::value(Utc::now()))
        .col_expr(support_request::Column::Subject, Expr::value(subject))
        .col_expr(
            support_request::Column::Description,
            Expr::value(description),
        )
        .col_expr(
            support_request::Column::Search,
            Expr::value(fold_for_search(&format!("{subject} {description}"))),
        );
    if let Some(p) = &proc {
        update = update
            .col_expr(
                support_request::Column::ProcedureCode,
                Expr::value(p.code.clone()),
            )
            .col_expr(
                support_request::Column::TaskForce,
                Expr::value(p.task_force.clone()),
            );
    }
    if let Some(k) = change.support_kind {
        update = update.col_expr(support_request::Column::SupportKind, Expr::value(k.code()));
    }
    if let Some(u) = change.urgency {
        update = update.col_expr(support_request::Column::Urgency, Expr::value(u.code()));
    }
    if let Some(m) = change.mode {
        update = update.col_expr(support_request::Column::Mode, Expr::value(m.code()));
    }
    if let Some(n) = change.files_count {
        update = update.col_expr(support_request::Column::FilesCount, Expr::value(n));
    }
    if let Some(c) = &change.contact {
        update = update.col_expr(support_request::Column::Contact, Expr::value(c.trim()));
    }
    let res = update
        .filter(support_request::Column::Id.eq(current.id))
        .filter(support_request::Column::Version.eq(current.version))
        .filter(support_request::Column::Status.eq(RequestStatus::Draft.code()))
        .exec(db.get_ref())
        .await?;
    if res.rows_affected != 1 {
        return Err(ApiError::precondition_failed());
    }
    let r = sight::request(db.get_ref(), &caller, current.id).await?;
    let snapshot = registry.snapshot_recent(&db).await?;
    let dto = detail(db.get_ref(), &snapshot, &caller, r).await?;
    Ok(respond(StatusCode::OK, &dto))
}

// ---- transitions -------------------------------------------------------------------------------

/// Move a request: one endpoint for every action of the state machine, with its data (`reason`,
/// `lead_expert` and `others`, `report`, `rating` and `comment`). Requires `If-Match` with the
/// request's ETag: of two concurrent moves on the same version exactly one succeeds, the other
/// gets 412 and nothing of it is applied.
#[utoipa::path(
    tag = "support-requests",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Request id"), ("If-Match" = String, Header, description = "The ETag read with the request")),
    request_body = TransitionRequest,
    responses(
        (status = 200, description = "Moved; the request as it is now", body = SupportRequest, headers(("ETag" = String))),
        crate::openapi::BadRequest,
        crate::openapi::Unauthorized,
        crate::openapi::Forbidden,
        crate::openapi::NotFound,
        crate::openapi::Conflict,
        crate::openapi::PreconditionFailed,
        crate::openapi::UnsupportedMediaType,
        crate::openapi::Unprocessable,
        crate::openapi::PreconditionRequired,
    )
)]
#[post("/support-requests/{id}/transitions")]
pub async fn transition(
    req: HttpRequest,
    db: web::Data<DatabaseConnection>,
    registry: web::Data<Registry>,
    base: web::Data<PublicUrl>,
    caller: Caller,
    path: web::Path<i64>,
    body: LazyBody<TransitionRequest>,
) -> ApiResult<HttpResponse> {
    let current = sight::request(db.get_ref(), &caller, path.into_inner()).await?;
    let body = Body(body.parse()?);
    let expected = if_match(&req)?;
    if expected != "*" && expected != etag("request", current.id, current.version) {
        return Err(ApiError::precondition_failed());
    }
    let r = requests::transition(
        &db,
        &base,
        Actor::Person(&caller),
        current,
        Move::Person(body.0),
        Utc::now(),
    )
    .await?;
    let snapshot = registry.snapshot_recent(&db).await?;
    let dto = detail(db.get_ref(), &snapshot, &caller, r).await?;
    Ok(respond(StatusCode::OK, &dto))
}

// ---- listing and export ------------------------------------------------------------------------

/// Filters of the request list and of its CSV export.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListRequestsQuery {
    /// One or more statuses, comma-separated (`submitted,under_review`).
    pub status: Option<String>,
    /// The authority's ISTAT code.
    pub istat_code: Option<String>,
    /// The province (sigla).
    pub province: Option<String>,
    pub task_force: Option<String>,
    /// A procedure code of the catalog.
    pub procedure: Option<String>,
    /// Requests assigned to this expert (user id).
    pub assignee: Option<i64>,
    /// Only requests past a service-level due date and still waiting (`true`), or not (`false`).
    pub overdue: Option<bool>,
    /// Submitted on or after this day (`YYYY-MM-DD`).
    pub submitted_from: Option<String>,
    /// Submitted on or before this day.
    pub submitted_to: Option<String>,
    /// Words of the subject or description (case- and accent-insensitive).
    pub q: Option<String>,
    /// `submitted_at`, `-submitted_at` (default), `updated_at`, `-updated_at`, `due` (most urgent
    /// first), `id`, `-id`.
    pub sort: Option<String>,
    /// 1–200, default 50.
    pub limit: Option<u64>,
    pub offset: Option<u64>,
}

fn field_error(field: &str, message: impl Into<String>) -> FieldError {
    FieldError {
        field: field.into(),
        message: message.into(),
    }
}

fn parse_day(s: &str) -> Option<NaiveDate> {
    s.trim().parse().ok()
}

/// The query's filters as a condition (422 on a bad value), together with the ordering.
fn filters(q: &ListRequestsQuery) -> ApiResult<(Condition, Vec<(support_request::Column, Order)>)> {
    use support_request::Column as C;
    let mut errors = Vec::new();
    let mut cond = Condition::all();
    let given = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    if let Some(s) = given(&q.status) {
        let mut codes = Vec::new();
        for part in s.split(',') {
            match RequestStatus::parse(part) {
                Ok(st) => codes.push(st.code()),
                Err(e) => errors.push(field_error("status", e.to_string())),
            }
        }
        cond = cond.add(C::Status.is_in(codes));
    }
    if let Some(s) = given(&q.istat_code) {
        match IstatCode::parse(&s) {
            Ok(c) => cond = cond.add(C::AuthorityCode.eq(c.as_str())),
            Err(e) => errors.push(field_error("istat_code", e.to_string())),
        }
    }
    if let Some(s) = given(&q.province) {
        match ProvinceCode::parse(&s) {
            Ok(p) => cond = cond.add(C::Province.eq(p.as_str())),
            Err(e) => errors.push(field_error("province", e.to_string())),
        }
    }
    if let Some(s) = given(&q.task_force) {
        match TaskForce::parse(&s) {
            Ok(t) => cond = cond.add(C::TaskForce.eq(t.code())),
            Err(e) => errors.push(field_error("task_force", e.to_string())),
        }
    }
    if let Some(s) = given(&q.procedure) {
        match ProcedureCode::parse(&s) {
            Ok(p) => cond = cond.add(C::ProcedureCode.eq(p.as_str())),
            Err(e) => errors.push(field_error("procedure", e.to_string())),
        }
    }
    if let Some(uid) = q.assignee {
        cond = cond.add(
            C::Id.in_subquery(
                SqlQuery::select()
                    .column(request_assignee::Column::RequestId)
                    .from(request_assignee::Entity)
                    .and_where(request_assignee::Column::UserId.eq(uid))
                    .to_owned(),
            ),
        );
    }
    if let Some(overdue) = q.overdue {
        let today = today();
        let late = Condition::any()
            .add(
                Condition::all()
                    .add(C::Status.eq(RequestStatus::Submitted.code()))
                    .add(C::TakeChargeDue.lt(today)),
            )
            .add(
                Condition::all()
                    .add(C::Status.is_in([
                        RequestStatus::Submitted.code(),
                        RequestStatus::UnderReview.code(),
                    ]))
                    .add(C::AssignDue.lt(today)),
            );
        cond = cond.add(if overdue { late } else { late.not() });
    }
    for (field, value, lower) in [
        ("submitted_from", &q.submitted_from, true),
        ("submitted_to", &q.submitted_to, false),
    ] {
        if let Some(s) = given(value) {
            match parse_day(&s) {
                Some(d) => {
                    // Whole days of Rome: from 00:00 of `from` to the end of `to` (±2 h of UTC).
                    let start = d.and_hms_opt(0, 0, 0).expect("midnight").and_utc()
                        - chrono::Duration::hours(2);
                    if lower {
                        cond = cond.add(C::SubmittedAt.gte(start));
                    } else {
                        cond = cond.add(C::SubmittedAt.lt(start + chrono::Duration::days(1)));
                    }
                }
                None => errors.push(field_error(field, "una data AAAA-MM-GG")),
            }
        }
    }
    if let Some(s) = given(&q.q) {
        for word in fold_for_search(&s).split_whitespace() {
            cond = cond.add(C::Search.contains(word));
        }
    }
    let order = match q.sort.as_deref().map(str::trim).unwrap_or("-submitted_at") {
        "submitted_at" => vec![(C::SubmittedAt, Order::Asc), (C::Id, Order::Asc)],
        "" | "-submitted_at" => vec![(C::SubmittedAt, Order::Desc), (C::Id, Order::Desc)],
        "updated_at" => vec![(C::UpdatedAt, Order::Asc), (C::Id, Order::Asc)],
        "-updated_at" => vec![(C::UpdatedAt, Order::Desc), (C::Id, Order::Desc)],
        "due" => vec![
            (C::TakeChargeDue, Order::Asc),
            (C::AssignDue, Order::Asc),
            (C::Id, Order::Asc),
        ],
        "id" => vec![(C::Id, Order::Asc)],
        "-id" => vec![(C::Id, Order::Desc)],
        other => {
            errors.push(field_error(
                "sort",
                format!("«{other}» non è un ordinamento: usare submitted_at, -submitted_at, updated_at, -updated_at, due, id, -id"),
            ));
            Vec::new()
        }
    };
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    Ok((cond, order))
}

/// The columns a summary shows, in the order [`list_row`] reads them.
const LIST_COLUMNS: [support_request::Column; 16] = {
    use support_request::Column as C;
    [
        C::Id,
        C::AuthorityCode,
        C::Province,
        C::TaskForce,
        C::ProcedureCode,
        C::Subject,
        C::Status,
        C::Urgency,
        C::SubmittedAt,
        C::UpdatedAt,
        C::TakenAt,
        C::AssignedAt,
        C::TakeChargeDue,
        C::AssignDue,
        C::LeadExpertId,
        C::Version,
    ]
};

/// Only the columns of [`LIST_COLUMNS`]: a page of the list decodes 16 values a row, not 30 (on
/// SQLite each value is copied, type-checked and decoded on its own: that was half of a list's
/// time).
fn list_columns(
    select: sea_orm::Select<support_request::Entity>,
) -> sea_orm::Select<support_request::Entity> {
    select.select_only().columns(LIST_COLUMNS)
}

/// A row of [`list_columns`] and the lead expert's name, packed by SQLite into a JSON array (serde
/// reads a struct from an array by position: the fields are in the order of the columns).
#[derive(Deserialize)]
struct PackedRow {
    id: i64,
    authority_code: String,
    province: Option<String>,
    task_force: String,
    procedure_code: String,
    subject: String,
    status: String,
    urgency: String,
    submitted_at: Option<DateTime<Utc>>,
    updated_at: DateTime<Utc>,
    taken_at: Option<DateTime<Utc>>,
    assigned_at: Option<DateTime<Utc>>,
    take_charge_due: Option<NaiveDate>,
    assign_due: Option<NaiveDate>,
    lead_expert_id: Option<i64>,
    version: i32,
    lead: Option<String>,
}

impl PackedRow {
    fn into_model(self) -> (support_request::Model, Option<String>) {
        let model = support_request::Model {
            id: self.id,
            authority_code: self.authority_code,
            province: self.province,
            task_force: self.task_force,
            procedure_code: self.procedure_code,
            subject: self.subject,
            status: self.status,
            urgency: self.urgency,
            submitted_at: self.submitted_at,
            taken_at: self.taken_at,
            assigned_at: self.assigned_at,
            take_charge_due: self.take_charge_due,
            assign_due: self.assign_due,
            lead_expert_id: self.lead_expert_id,
            version: self.version,
            ..summary_only(self.updated_at)
        };
        (model, self.lead)
    }
}

/// The fields a summary does not read.
fn summary_only(updated_at: DateTime<Utc>) -> support_request::Model {
    support_request::Model {
        id: 0,
        authority_code: String::new(),
        province: None,
        task_force: String::new(),
        procedure_code: String::new(),
        subject: String::new(),
        status: String::new(),
        urgency: String::new(),
        submitted_at: None,
        updated_at,
        taken_at: None,
        assigned_at: None,
        take_charge_due: None,
        assign_due: None,
        lead_expert_id: None,
        version: 0,
        description: String::new(),
        support_kind: String::new(),
        mode: String::new(),
        files_count: 0,
        contact: String::new(),
        held_from: None,
        created_by: 0,
        created_at: updated_at,
        completed_at: None,
        closed_at: None,
        report: None,
        rating: None,
        feedback: None,
        search: String::new(),
    }
}

/// A row of [`list_columns`] as a request whose other fields are empty (the summary does not read
/// them). Read by position, as selected.
fn list_row(r: &sea_orm::QueryResult) -> Result<support_request::Model, sea_orm::DbErr> {
    let updated_at = r.try_get_by_index(9)?;
    Ok(support_request::Model {
        id: r.try_get_by_index(0)?,
        authority_code: r.try_get_by_index(1)?,
        province: r.try_get_by_index(2)?,
        task_force: r.try_get_by_index(3)?,
        procedure_code: r.try_get_by_index(4)?,
        subject: r.try_get_by_index(5)?,
        status: r.try_get_by_index(6)?,
        urgency: r.try_get_by_index(7)?,
        submitted_at: r.try_get_by_index(8)?,
        updated_at,
        taken_at: r.try_get_by_index(10)?,
        assigned_at: r.try_get_by_index(11)?,
        take_charge_due: r.try_get_by_index(12)?,
        assign_due: r.try_get_by_index(13)?,
        lead_expert_id: r.try_get_by_index(14)?,
        version: r.try_get_by_index(15)?,
        ..summary_only(updated_at)
    })
}

/// The columns a list needs; the long texts come back empty (a summary does not show them).
fn light(
    select: sea_orm::Select<support_request::Entity>,
) -> sea_orm::Select<support_request::Entity> {
    use support_request::Column as C;
    list_columns(select)
        .columns([
            C::SupportKind,
            C::Mode,
            C::FilesCount,
            C::HeldFrom,
            C::CreatedBy,
            C::CreatedAt,
            C::CompletedAt,
            C::ClosedAt,
            C::Rating,
        ])
        .column_as(Expr::value(""), "description")
        .column_as(Expr::value(""), "contact")
        .column_as(Expr::value(""), "search")
        .column_as(Expr::value(Option::<String>::None), "report")
        .column_as(Expr::value(Option::<String>::None), "feedback")
}

/// The requests the caller may see, filtered, sorted and paginated.
#[utoipa::path(
    tag = "support-requests",
    security(("bearer" = [])),
    params(ListRequestsQuery),
    responses(
        (status = 200, description = "A page of requests", body = Page<SupportRequestSummary>,
            example = json!({"items": [{"id": 42, "istat_code": "016024", "authority_name": "Bergamo", "province": "BG", "task_force": "building_planning", "procedure": "PDC", "subject": "Arretrato di permessi di costruire", "status": "submitted", "urgency": "high", "submitted_at": "2026-11-23T09:12:00Z", "updated_at": "2026-11-23T09:12:00Z", "service": {"take_charge_due": "2026-11-30", "take_charge_overdue": false, "assign_due": "2026-12-07", "assign_overdue": false}, "lead_expert": null, "version": 2}], "total": 1, "limit": 50, "offset": 0})),
        crate::openapi::Unauthorized,
        crate::openapi::Forbidden,
        crate::openapi::Unprocessable,
    )
)]
#[get("/support-requests")]
pub async fn list_requests(
    db: web::Data<DatabaseConnection>,
    registry: web::Data<Registry>,
    caller: Caller,
    query: Query<ListRequestsQuery>,
) -> ApiResult<HttpResponse> {
    let q = query.0;
    let mut errors = Vec::new();
    let paging = crate::routes::Paging::parse(q.limit, q.offset, &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let (limit, offset) = (paging.limit, paging.offset);
    let (cond, order) = filters(&q)?;
    let sight = Sight::of(&caller, Object::Request);
    let unfiltered = cond.is_empty() && sight.sees_all_requests();
    let base = support_request::Entity::find()
        .filter(sight.requests())
        .filter(cond.clone());
    use sea_orm::sea_query::ExprTrait;
    // One statement, one round trip: the page, the count of everything that matches and the lead
    // experts' names (each round trip to SQLite is two thread switches; three of them were most
    // of a list's time).
    let total = if unfiltered {
        all_but_drafts()
    } else {
        Expr::SubQuery(
            None,
            Box::new(
                SqlQuery::select()
                    .expr(Expr::col(sea_orm::sea_query::Asterisk).count())
                    .from(support_request::Entity)
                    .cond_where(sight.requests())
                    .cond_where(cond)
                    .to_owned()
                    .into(),
            ),
        )
    };
    let lead_name = Expr::SubQuery(
        None,
        Box::new(
            SqlQuery::select()
                .column(user::Column::FullName)
                .from(user::Entity)
                .and_where(Expr::col((user::Entity, user::Column::Id)).equals((
                    support_request::Entity,
                    support_request::Column::LeadExpertId,
                )))
                .to_owned()
                .into(),
        ),
    );
    let mut page = list_columns(base.clone())
        .column_as(lead_name, "lead_name")
        .column_as(total, "total");
    let packed_order = order
        .iter()
        .map(|(col, dir)| {
            let dir = if matches!(dir, Order::Asc) {
                "ASC"
            } else {
                "DESC"
            };
            format!("\"{}\" {dir}", sea_orm::IdenStatic::as_str(col))
        })
        .collect::<Vec<_>>()
        .join(", ");
    for (col, dir) in order {
        page = page.order_by(col, dir);
    }
    let backend = db.get_database_backend();
    let statement = sea_orm::QueryTrait::build(&page.limit(limit).offset(offset), backend);
    let mut rows = Vec::new();
    let mut names = HashMap::new();
    let mut total = None;
    if backend == sea_orm::DatabaseBackend::Sqlite {
        // The page as one JSON value: sqlx hands SQLite rows over one at a time from its worker
        // thread (a wake-up and a copy of every value each), which was most of a list's time.
        let packed = format!(
            "SELECT json_group_array(json_array({}) ORDER BY {packed_order}) AS page, \
             MAX(total) AS total FROM ({}) AS p",
            LIST_COLUMNS
                .iter()
                .map(|c| format!("\"{}\"", sea_orm::IdenStatic::as_str(c)))
                .chain(["lead_name".to_owned()])
                .collect::<Vec<_>>()
                .join(", "),
            statement.sql
        );
        let row = db
            .query_one_raw(sea_orm::Statement {
                sql: packed,
                ..statement
            })
            .await?
            .ok_or_else(|| ApiError::internal(anyhow::anyhow!("an aggregate returned no row")))?;
        let page: String = row.try_get_by_index(0)?;
        let packed: Vec<PackedRow> = serde_json::from_str(&page)
            .map_err(|e| ApiError::internal(anyhow::anyhow!("a packed page: {e}")))?;
        total = row
            .try_get_by_index::<Option<i64>>(1)?
            .map(|t| u64::try_from(t).unwrap_or(0));
        rows.reserve(packed.len());
        for p in packed {
            let (row, lead) = p.into_model();
            if let (Some(id), Some(name)) = (row.lead_expert_id, lead) {
                names.insert(id, name);
            }
            rows.push(row);
        }
    } else {
        for r in &db.query_all_raw(statement).await? {
            let row = list_row(r)?;
            total = Some(
                u64::try_from(r.try_get_by_index::<i64>(LIST_COLUMNS.len() + 1)?).unwrap_or(0),
            );
            if let (Some(id), Some(name)) = (
                row.lead_expert_id,
                r.try_get_by_index::<Option<String>>(LIST_COLUMNS.len())?,
            ) {
                names.insert(id, name);
            }
            rows.push(row);
        }
    }
    // Past the last page nothing came back to carry the count: ask for it alone.
    let total = match total {
        Some(t) => t,
        None if offset == 0 => 0,
        None if unfiltered => count_all_but_drafts(db.get_ref()).await?,
        None => base.count(db.get_ref()).await?,
    };
    let snapshot = registry.snapshot_recent(&db).await?;
    let today = today();
    let items = rows
        .iter()
        .map(|r| summary(r, &snapshot, &names, today))
        .collect();
    Ok(HttpResponse::Ok().json(Page {
        items,
        total,
        limit,
        offset,
    }))
}

/// [`count_all_but_drafts`] as an expression, to be read with the page.
fn all_but_drafts() -> Expr {
    use sea_orm::sea_query::ExprTrait;
    let count = |only_drafts: bool| {
        let mut q = SqlQuery::select();
        q.expr(Expr::col(sea_orm::sea_query::Asterisk).count())
            .from(support_request::Entity);
        if only_drafts {
            q.and_where(support_request::Column::Status.eq(RequestStatus::Draft.code()));
        }
        Expr::SubQuery(None, Box::new(q.to_owned().into()))
    };
    count(false).sub(count(true))
}

/// The secretariat's unfiltered list ("Tutte"): every request but drafts. Counted as all rows less
/// the drafts, in one statement (one snapshot): all rows is a walk of the smallest index, the drafts
/// one range of the status index — where `status <> 'draft'` tests the status of every row
/// (at region scale 1.5 ms a request on SQLite, against 0.35 ms).
async fn count_all_but_drafts(db: &DatabaseConnection) -> ApiResult<u64> {
    let statement = db
        .get_database_backend()
        .build(SqlQuery::select().expr_as(all_but_drafts(), "n"));
    let row = db
        .query_one_raw(statement)
        .await?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("a count returned no row")))?;
    let n: i64 = row.try_get_by_index(0)?;
    Ok(u64::try_from(n).unwrap_or(0))
}

fn day_it(d: Option<NaiveDate>) -> String {
    d.map(|d| d.format("%d/%m/%Y").to_string())
        .unwrap_or_default()
}

/// Rows of the CSV export read from the database at a time.
const EXPORT_PAGE: u64 = 500;

/// The same query as the list, as CSV for spreadsheets: Italian headers, `;`, UTF-8 with BOM.
/// The same filters, sorting and paging as the list, except that without `limit` every match is
/// exported (and `limit` may exceed 200); the file is streamed, 500 rows at a time.
#[utoipa::path(
    tag = "support-requests",
    security(("bearer" = [])),
    params(ListRequestsQuery),
    responses(
        (status = 200, description = "CSV", content_type = "text/csv", body = String),
        crate::openapi::Unauthorized,
        crate::openapi::Forbidden,
        crate::openapi::Unprocessable,
    )
)]
#[get("/support-requests.csv")]
pub async fn export_requests(
    db: web::Data<DatabaseConnection>,
    registry: web::Data<Registry>,
    caller: Caller,
    query: Query<ListRequestsQuery>,
) -> ApiResult<HttpResponse> {
    let q = query.0;
    let mut errors = Vec::new();
    let limit = match q.limit {
        None => None,
        Some(l) if (1..=crate::routes::MAX_OFFSET).contains(&l) => Some(l),
        Some(_) => {
            errors.push(field_error(
                "limit",
                format!("deve essere tra 1 e {}", crate::routes::MAX_OFFSET),
            ));
            None
        }
    };
    let offset = crate::routes::Paging::parse(None, q.offset, &mut errors).offset;
    let filtered = filters(&q);
    if let Err(e) = &filtered {
        errors.extend(e.errors.iter().cloned());
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let (cond, order) = filtered?;
    let mut select = light(
        support_request::Entity::find()
            .filter(Sight::of(&caller, Object::Request).requests())
            .filter(cond),
    );
    for (col, dir) in order {
        select = select.order_by(col, dir);
    }
    // The first page is read before answering, so that a database error is still a problem.
    let first = export_page(&db, &registry, &select, offset, limit.unwrap_or(u64::MAX)).await?;
    let mut head = String::from(crate::csv::BOM);
    head.push_str("Numero;Codice ISTAT;Ente;Provincia;Task force;Procedimento;Oggetto;Stato;Urgenza;Inviata il;Presa in carico entro;In ritardo presa in carico;Assegnazione entro;In ritardo assegnazione;Esperto referente;Ore registrate\r\n");
    head.push_str(&first.0);
    struct State {
        db: web::Data<DatabaseConnection>,
        registry: web::Data<Registry>,
        select: sea_orm::Select<support_request::Entity>,
        offset: u64,
        left: u64,
        done: bool,
    }
    let read = first.1;
    let left = limit.map_or(u64::MAX, |l| l - read);
    let state = State {
        db,
        registry,
        select,
        offset: offset + read,
        left,
        done: read < EXPORT_PAGE || left == 0,
    };
    let rest = futures_util::stream::unfold(state, |mut st| async move {
        if st.done {
            return None;
        }
        match export_page(&st.db, &st.registry, &st.select, st.offset, st.left).await {
            Ok((text, read)) => {
                st.offset += read;
                st.left -= read;
                st.done = read < EXPORT_PAGE || st.left == 0;
                if read == 0 {
                    return None;
                }
                Some((Ok(web::Bytes::from(text)), st))
            }
            Err(e) => {
                tracing::error!(error = %e, "support-request export failed mid-stream");
                st.done = true;
                Some((Err(std::io::Error::other(e.to_string())), st))
            }
        }
    });
    use futures_util::StreamExt;
    let body =
        futures_util::stream::once(async move { Ok::<_, std::io::Error>(web::Bytes::from(head)) })
            .chain(rest);
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"richieste.csv\"",
        ))
        .streaming(body))
}

/// One page of the export (at most 500 rows, at most `left`) from `offset`, as CSV lines, with
/// the number of rows read.
async fn export_page(
    db: &web::Data<DatabaseConnection>,
    registry: &web::Data<Registry>,
    select: &sea_orm::Select<support_request::Entity>,
    offset: u64,
    left: u64,
) -> ApiResult<(String, u64)> {
    let rows = select
        .clone()
        .limit(EXPORT_PAGE.min(left))
        .offset(offset)
        .all(db.get_ref())
        .await?;
    let snapshot = registry.snapshot_recent(db).await?;
    let names = names(db.get_ref(), rows.iter().filter_map(|r| r.lead_expert_id)).await?;
    // The hours logged on each request, summed by the database.
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let quarters: HashMap<i64, i64> = if ids.is_empty() {
        HashMap::new()
    } else {
        let sums: Vec<(i64, Option<i64>)> = crate::entities::activity_entry::Entity::find()
            .select_only()
            .column(crate::entities::activity_entry::Column::RequestId)
            .column_as(
                crate::entities::activity_entry::Column::Quarters.sum(),
                "quarters",
            )
            .filter(crate::entities::activity_entry::Column::RequestId.is_in(ids))
            .group_by(crate::entities::activity_entry::Column::RequestId)
            .into_tuple()
            .all(db.get_ref())
            .await?;
        sums.into_iter()
            .map(|(id, q)| (id, q.unwrap_or(0)))
            .collect()
    };
    let today = today();
    let mut out = String::new();
    for r in &rows {
        let s = summary(r, &snapshot, &names, today);
        use crate::csv::{number, text};
        let fields = [
            number(s.id),
            text(s.istat_code.to_string()),
            text(s.authority_name.clone()),
            text(s.province.map(|p| p.to_string()).unwrap_or_default()),
            text(s.task_force.name_it()),
            text(s.procedure.to_string()),
            text(s.subject.clone()),
            text(s.status.label()),
            text(s.urgency.label()),
            text(
                s.submitted_at
                    .map(|t| rome_date(t).format("%d/%m/%Y").to_string())
                    .unwrap_or_default(),
            ),
            text(day_it(s.service.take_charge_due)),
            text(if s.service.take_charge_overdue {
                "sì"
            } else {
                "no"
            }),
            text(day_it(s.service.assign_due)),
            text(if s.service.assign_overdue {
                "sì"
            } else {
                "no"
            }),
            text(s.lead_expert.map(|p| p.full_name).unwrap_or_default()),
            {
                // Quarter hours: exact in f64.
                #[allow(clippy::cast_precision_loss)]
                let h = quarters.get(&s.id).copied().unwrap_or(0) as f64 / 4.0;
                number(format!("{h}").replace('.', ","))
            },
        ];
        out.push_str(&crate::csv::row(&fields));
    }
    Ok((out, rows.len() as u64))
}

// ---- assignment candidates ---------------------------------------------------------------------

/// The ranking of a candidate (see [`Candidate::score`]).
fn score(covers_province: bool, past: u64, open: u64, max: i32) -> i32 {
    let max = i64::from(max.max(1));
    let open = i64::try_from(open).unwrap_or(i64::MAX);
    let past = i32::try_from(past.min(3)).unwrap_or(3);
    let load = i32::try_from((open * 4) / max).unwrap_or(4).min(4);
    let full = if open >= max { 10 } else { 0 };
    3 * i32::from(covers_province) + past - load - full
}

/// The experts who could take the request: its task force's experts with their open workload,
/// whether they cover the authority's province and their past work with the authority, best
/// first; the best one with room is `suggested`. For the secretariat and the task force's
/// coordinators.
#[utoipa::path(
    tag = "support-requests",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Request id")),
    responses(
        (status = 200, description = "Candidates, best first", body = Vec<Candidate>),
        crate::openapi::Unauthorized,
        crate::openapi::Forbidden,
        crate::openapi::NotFound,
    )
)]
#[get("/support-requests/{id}/candidates")]
pub async fn candidates(
    db: web::Data<DatabaseConnection>,
    caller: Caller,
    path: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    let r = sight::request(db.get_ref(), &caller, path.into_inner()).await?;
    let rel = relation(&caller, &r);
    if !(rel.secretariat || rel.coordinator) {
        return Err(ApiError::forbidden(
            "Gli esperti da assegnare li vedono la Segreteria Tecnica e i coordinatori della task force.",
        ));
    }
    let experts = task_force_experts(db.get_ref(), &r.task_force).await?;
    let profiles: HashMap<i64, crate::entities::expert_profile::Model> =
        crate::entities::expert_profile::Entity::find()
            .filter(crate::entities::expert_profile::Column::UserId.is_in(experts.iter().copied()))
            .all(db.get_ref())
            .await?
            .into_iter()
            .map(|p| (p.user_id, p))
            .collect();
    let open_statuses: Vec<&str> = RequestStatus::ALL
        .iter()
        .filter(|s| s.is_open() && **s != RequestStatus::Completed)
        .map(|s| s.code())
        .collect();
    // (user, request) pairs of the task force's experts, with the request's status and authority.
    let pairs: Vec<(i64, String, String)> = request_assignee::Entity::find()
        .select_only()
        .column(request_assignee::Column::UserId)
        .column_as(support_request::Column::Status, "status")
        .column_as(support_request::Column::AuthorityCode, "authority_code")
        .join(
            sea_orm::JoinType::InnerJoin,
            request_assignee::Entity::belongs_to(support_request::Entity)
                .from(request_assignee::Column::RequestId)
                .to(support_request::Column::Id)
                .into(),
        )
        .filter(request_assignee::Column::UserId.is_in(experts.iter().copied()))
        .filter(request_assignee::Column::RequestId.ne(r.id))
        .into_tuple()
        .all(db.get_ref())
        .await?;
    let names = names(db.get_ref(), experts.iter().copied()).await?;
    let mut out: Vec<Candidate> = experts
        .iter()
        .map(|&uid| {
            let open = pairs
                .iter()
                .filter(|(u, s, _)| *u == uid && open_statuses.contains(&s.as_str()))
                .count() as u64;
            let past = pairs
                .iter()
                .filter(|(u, _, a)| *u == uid && *a == r.authority_code)
                .count() as u64;
            let profile = profiles.get(&uid);
            let max = profile.map_or(5, |p| p.max_concurrent_requests);
            let covers_province = r
                .province
                .as_ref()
                .is_some_and(|p| profile.is_some_and(|pr| pr.provinces.split(',').any(|x| x == p)));
            Candidate {
                user_id: UserId(uid),
                full_name: names.get(&uid).cloned().unwrap_or_default(),
                open_requests: open,
                max_concurrent_requests: max,
                covers_province,
                past_requests_with_authority: past,
                score: score(covers_province, past, open, max),
                suggested: false,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.score
            .cmp(&a.score)
            .then(a.open_requests.cmp(&b.open_requests))
            .then(a.full_name.cmp(&b.full_name))
    });
    if let Some(best) = out
        .iter_mut()
        .find(|c| c.open_requests < u64::try_from(c.max_concurrent_requests).unwrap_or(0))
    {
        best.suggested = true;
    }
    Ok(HttpResponse::Ok().json(out))
}

// ---- messages ----------------------------------------------------------------------------------

/// The message thread of a request, oldest first. Internal notes are left out for the authority
/// and for observers.
#[utoipa::path(
    tag = "support-requests",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Request id")),
    responses(
        (status = 200, description = "Messages", body = Vec<Message>),
        crate::openapi::Unauthorized,
        crate::openapi::NotFound,
    )
)]
#[get("/support-requests/{id}/messages")]
pub async fn list_messages(
    db: web::Data<DatabaseConnection>,
    caller: Caller,
    path: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    let r = sight::request(db.get_ref(), &caller, path.into_inner()).await?;
    let mut select = request_message::Entity::find()
        .filter(request_message::Column::RequestId.eq(r.id))
        .order_by_asc(request_message::Column::Id);
    if !is_staff(&caller) {
        select = select.filter(request_message::Column::Internal.eq(false));
    }
    let rows = select.all(db.get_ref()).await?;
    let names = names(db.get_ref(), rows.iter().map(|m| m.author_id)).await?;
    let out: Vec<Message> = rows
        .into_iter()
        .map(|m| Message {
            id: m.id,
            author: person(&names, m.author_id),
            body: m.body,
            internal: m.internal,
            created_at: m.created_at,
        })
        .collect();
    Ok(HttpResponse::Ok().json(out))
}

/// One message of a request's thread (an internal note only for staff, as in the thread).
#[utoipa::path(
    tag = "support-requests",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Request id"), ("message_id" = i64, Path, description = "Message id")),
    responses(
        (status = 200, description = "The message", body = Message),
        crate::openapi::Unauthorized,
        crate::openapi::NotFound,
    )
)]
#[get("/support-requests/{id}/messages/{message_id}")]
pub async fn get_message(
    db: web::Data<DatabaseConnection>,
    caller: Caller,
    path: web::Path<(i64, i64)>,
) -> ApiResult<HttpResponse> {
    let (rid, mid) = path.into_inner();
    let r = sight::request(db.get_ref(), &caller, rid).await?;
    let m = request_message::Entity::find_by_id(mid)
        .filter(request_message::Column::RequestId.eq(r.id))
        .one(db.get_ref())
        .await?
        .filter(|m| !m.internal || is_staff(&caller))
        .ok_or_else(|| ApiError::not_found("Il messaggio"))?;
    let names = names(db.get_ref(), [m.author_id]).await?;
    Ok(HttpResponse::Ok().json(Message {
        id: m.id,
        author: person(&names, m.author_id),
        body: m.body,
        internal: m.internal,
        created_at: m.created_at,
    }))
}

/// Write on a request's thread: the authority's users and programme staff who see the request
/// (observers only read). Internal notes are for staff. The other parties are notified.
#[utoipa::path(
    tag = "support-requests",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Request id")),
    request_body = NewMessage,
    responses(
        (status = 201, description = "Posted", body = Message, headers(("Location" = String))),
        crate::openapi::BadRequest,
        crate::openapi::Unauthorized,
        crate::openapi::Forbidden,
        crate::openapi::NotFound,
        crate::openapi::UnsupportedMediaType,
        crate::openapi::Unprocessable,
    )
)]
#[post("/support-requests/{id}/messages")]
pub async fn post_message(
    db: web::Data<DatabaseConnection>,
    base: web::Data<PublicUrl>,
    caller: Caller,
    path: web::Path<i64>,
    body: LazyBody<NewMessage>,
) -> ApiResult<HttpResponse> {
    let r = sight::request(db.get_ref(), &caller, path.into_inner()).await?;
    let rel = relation(&caller, &r);
    let assigned = request_assignee::Entity::find()
        .filter(request_assignee::Column::RequestId.eq(r.id))
        .all(db.get_ref())
        .await?;
    let is_assignee = assigned.iter().any(|a| a.user_id == caller.user_id.0);
    if !(rel.authority || rel.secretariat || rel.coordinator || is_assignee) {
        return Err(ApiError::forbidden(
            "Sulla richiesta scrivono l'ente, la Segreteria Tecnica, i coordinatori e gli esperti assegnati.",
        ));
    }
    let body = Body(body.parse()?);
    let msg = body.0;
    if msg.internal && !(rel.secretariat || rel.coordinator || is_assignee) {
        return Err(ApiError::invalid_field(
            "internal",
            "le note interne sono riservate allo staff del programma",
        ));
    }
    let text = msg.body.trim();
    if text.is_empty() || text.chars().count() > 10_000 {
        return Err(ApiError::invalid_field(
            "body",
            "il testo: da 1 a 10000 caratteri",
        ));
    }
    let now = Utc::now();
    let txn = crate::db::begin_write(&db).await?;
    let id = request_message::Entity::insert(request_message::ActiveModel {
        request_id: Set(r.id),
        author_id: Set(caller.user_id.0),
        body: Set(text.to_owned()),
        internal: Set(msg.internal),
        created_at: Set(now),
        ..Default::default()
    })
    .exec(&txn)
    .await?
    .last_insert_id;
    let mut to: BTreeSet<i64> = assigned.iter().map(|a| a.user_id).collect();
    if !msg.internal {
        to.extend(authority_users(&txn, &r.authority_code).await?);
    }
    if to.is_empty() || rel.authority {
        // Before assignment someone must read it: the task force's coordinators.
        to.extend(coordinators(&txn, &r.task_force).await?);
    }
    to.remove(&caller.user_id.0);
    let author = names(&txn, [caller.user_id.0]).await?;
    let notice = Notice {
        kind: "request_message",
        title: format!("Nuovo messaggio sulla richiesta n. {}", r.id),
        body: format!(
            "{} ha scritto sulla richiesta «{}»{}:\n\n{}",
            author.get(&caller.user_id.0).cloned().unwrap_or_default(),
            r.subject,
            if msg.internal { " (nota interna)" } else { "" },
            text
        ),
        link: Some(links::request(r.id)),
    };
    for uid in to {
        notify::user(&txn, &base, uid, &notice).await?;
    }
    txn.commit().await?;
    Ok(HttpResponse::Created()
        .insert_header((
            actix_web::http::header::LOCATION,
            format!("/api/v1/support-requests/{}/messages/{id}", r.id),
        ))
        .json(Message {
            id,
            author: person(&author, caller.user_id.0),
            body: text.to_owned(),
            internal: msg.internal,
            created_at: now,
        }))
}
