//! The request workflow: every move of a support request — a person's through the API, or the
//! server's own (the automatic close) — goes through [`transition`]: the state machine of
//! `affianca_domain::request`, the action's data, one write transaction that applies the move only
//! on the version that was read, its history, its assignees and the notices to the parties.

use crate::app::events;
use crate::auth::Caller;
use crate::entities::{request_assignee, request_transition, role_grant, support_request, user};
use crate::error::{ApiError, ApiResult};
use crate::notify::{self, Notice, PublicUrl};
use actix_web::http::StatusCode;
use affianca_domain::calendar::{Hold, due_date, rome_date};
use affianca_domain::dto::{FieldError, PersonRef, ServiceLevels, TransitionRequest};
use affianca_domain::events::{Event, RequestTransitioned};
use affianca_domain::links;
use affianca_domain::request::{
    ASSIGN_DAYS, AUTO_CLOSE_DAYS, Context, Relation, TAKE_CHARGE_DAYS, next_status,
};
use affianca_domain::{RequestAction, RequestStatus, Role, Scope, TaskForce, UserId};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QuerySelect,
};
use std::collections::{BTreeSet, HashMap};

/// Who moves a request.
#[derive(Clone, Copy)]
pub enum Actor<'a> {
    /// A signed-in person (who may act as their relation to the request allows).
    Person(&'a Caller),
    /// The server itself (scheduled jobs).
    System,
}

impl Actor<'_> {
    /// How the actor stands to the request.
    pub fn relation(&self, r: &support_request::Model) -> Relation {
        match self {
            Self::Person(caller) => relation(caller, r),
            Self::System => Relation {
                system: true,
                ..Relation::default()
            },
        }
    }

    /// The person acting, recorded in the history (`None` for the server).
    pub fn user_id(&self) -> Option<i64> {
        match self {
            Self::Person(caller) => Some(caller.user_id.0),
            Self::System => None,
        }
    }
}

/// What moves a request: a person's action with its data, or the automatic close of a request
/// left completed without the authority's feedback.
pub enum Move {
    Person(TransitionRequest),
    AutoClose,
}

/// Moves `current` (as read, at its version) by `mv` of `actor` at `now`; returns the request as
/// it is after the move. 403 when the action is not the actor's, 409 when the status does not
/// allow it, 422 for bad data, 412 when someone moved the request since it was read (nothing of
/// this move is applied then).
pub async fn transition(
    db: &DatabaseConnection,
    base: &PublicUrl,
    actor: Actor<'_>,
    current: support_request::Model,
    mv: Move,
    now: DateTime<Utc>,
) -> ApiResult<support_request::Model> {
    let action = match &mv {
        Move::Person(body) => body.action(),
        Move::AutoClose => RequestAction::AutoClose,
    };
    let from = status_of(&current.status);
    let to = next_status(
        from,
        action,
        actor.relation(&current),
        context(&current, now),
    )
    .map_err(|refusal| {
        let status = match refusal {
            affianca_domain::request::Refusal::NotYours(_) => StatusCode::FORBIDDEN,
            _ => StatusCode::CONFLICT,
        };
        ApiError::new(status, refusal.code(), "Azione non consentita")
            .detail(format!("{}.", capitalize(&refusal.to_string())))
    })?;

    // The action's data.
    let mut errors = Vec::new();
    let mut reason = None;
    let mut assignees: Vec<(i64, bool)> = Vec::new();
    let body = match &mv {
        Move::Person(body) => Some(body),
        Move::AutoClose => {
            reason = Some(format!(
                "Nessun riscontro dell'ente entro {AUTO_CLOSE_DAYS} giorni dal completamento."
            ));
            None
        }
    };
    match body {
        None => {}
        Some(
            TransitionRequest::Reject { reason: r }
            | TransitionRequest::Suspend { reason: r }
            | TransitionRequest::Reopen { reason: r },
        ) => {
            required(&mut errors, "reason", r, "il motivo");
            reason = Some(r.trim().to_owned());
        }
        Some(TransitionRequest::Withdraw { reason: r }) => {
            reason = r
                .as_deref()
                .map(str::trim)
                .filter(|r| !r.is_empty())
                .map(str::to_owned);
        }
        Some(TransitionRequest::Complete { report }) => {
            required(&mut errors, "report", report, "la relazione finale");
        }
        Some(TransitionRequest::Close { rating, comment }) => {
            if !(1..=5).contains(rating) {
                errors.push(FieldError {
                    field: "rating".into(),
                    message: "un voto da 1 a 5".into(),
                });
            }
            if comment.as_deref().is_some_and(|c| c.chars().count() > 2000) {
                errors.push(FieldError {
                    field: "comment".into(),
                    message: "al massimo 2000 caratteri".into(),
                });
            }
        }
        Some(TransitionRequest::Assign {
            lead_expert,
            others,
        }) => {
            let experts = task_force_experts(db, &current.task_force).await?;
            if !experts.contains(&lead_expert.0) {
                errors.push(FieldError {
                    field: "lead_expert".into(),
                    message: "non è un esperto attivo della task force della richiesta".into(),
                });
            }
            assignees.push((lead_expert.0, true));
            for (i, o) in others.iter().enumerate() {
                if o == lead_expert || assignees.iter().any(|(id, _)| *id == o.0) {
                    errors.push(FieldError {
                        field: format!("others[{i}]"),
                        message: "esperto già indicato".into(),
                    });
                } else if !experts.contains(&o.0) {
                    errors.push(FieldError {
                        field: format!("others[{i}]"),
                        message: "non è un esperto attivo della task force della richiesta".into(),
                    });
                } else {
                    assignees.push((o.0, false));
                }
            }
        }
        Some(
            TransitionRequest::Submit
            | TransitionRequest::TakeCharge
            | TransitionRequest::Start
            | TransitionRequest::Resume,
        ) => {}
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    if action == RequestAction::Submit && !eligible(db, &current.authority_code).await? {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "authority_not_enabled",
            "Ente non ancora abilitato",
        )
        .detail("L'ente può chiedere supporto quando la sua registrazione è approvata ed è abilitato da una fase avviata del programma."));
    }

    let txn = crate::db::begin_write(db).await?;
    let mut update = support_request::Entity::update_many()
        .col_expr(support_request::Column::Status, Expr::value(to.code()))
        .col_expr(
            support_request::Column::Version,
            Expr::value(current.version + 1),
        )
        .col_expr(support_request::Column::UpdatedAt, Expr::value(now));
    match body {
        None => {
            update = update.col_expr(support_request::Column::ClosedAt, Expr::value(now));
        }
        Some(TransitionRequest::Submit) => {
            let day = rome_date(now);
            update = update
                .col_expr(support_request::Column::SubmittedAt, Expr::value(now))
                .col_expr(
                    support_request::Column::TakeChargeDue,
                    Expr::value(due_date(day, TAKE_CHARGE_DAYS, &[] as &[Hold])),
                )
                .col_expr(
                    support_request::Column::AssignDue,
                    Expr::value(due_date(day, ASSIGN_DAYS, &[] as &[Hold])),
                );
        }
        Some(TransitionRequest::TakeCharge) => {
            update = update.col_expr(support_request::Column::TakenAt, Expr::value(now));
        }
        Some(TransitionRequest::Assign { lead_expert, .. }) => {
            update = update.col_expr(
                support_request::Column::LeadExpertId,
                Expr::value(lead_expert.0),
            );
            if current.assigned_at.is_none() {
                update = update.col_expr(support_request::Column::AssignedAt, Expr::value(now));
            }
        }
        Some(TransitionRequest::Suspend { .. }) => {
            update = update.col_expr(support_request::Column::HeldFrom, Expr::value(from.code()));
        }
        Some(TransitionRequest::Resume) => {
            update = update.col_expr(
                support_request::Column::HeldFrom,
                Expr::value(Option::<String>::None),
            );
        }
        Some(TransitionRequest::Complete { report }) => {
            update = update
                .col_expr(support_request::Column::CompletedAt, Expr::value(now))
                .col_expr(support_request::Column::Report, Expr::value(report.trim()));
        }
        Some(TransitionRequest::Close { rating, comment }) => {
            update = update
                .col_expr(support_request::Column::ClosedAt, Expr::value(now))
                .col_expr(support_request::Column::Rating, Expr::value(*rating))
                .col_expr(
                    support_request::Column::Feedback,
                    Expr::value(comment.as_deref().map(str::trim).filter(|c| !c.is_empty())),
                );
        }
        Some(TransitionRequest::Reopen { .. }) => {
            update = update.col_expr(
                support_request::Column::CompletedAt,
                Expr::value(Option::<DateTime<Utc>>::None),
            );
        }
        Some(
            TransitionRequest::Reject { .. }
            | TransitionRequest::Withdraw { .. }
            | TransitionRequest::Start,
        ) => {}
    }
    let res = update
        .filter(support_request::Column::Id.eq(current.id))
        .filter(support_request::Column::Version.eq(current.version))
        .exec(&txn)
        .await?;
    if res.rows_affected != 1 {
        // Someone moved it since it was read: nothing of this move is applied.
        txn.rollback().await?;
        return Err(ApiError::precondition_failed());
    }
    if !assignees.is_empty() {
        request_assignee::Entity::delete_many()
            .filter(request_assignee::Column::RequestId.eq(current.id))
            .exec(&txn)
            .await?;
        request_assignee::Entity::insert_many(assignees.iter().map(|(uid, lead)| {
            request_assignee::ActiveModel {
                request_id: Set(current.id),
                user_id: Set(*uid),
                lead: Set(*lead),
            }
        }))
        .exec_without_returning(&txn)
        .await?;
    }
    record_transition(
        &txn,
        current.id,
        action.code(),
        Some(from),
        to,
        actor.user_id(),
        reason.clone(),
        now,
    )
    .await?;
    let r = support_request::Entity::find_by_id(current.id)
        .one(&txn)
        .await?
        .ok_or_else(|| ApiError::not_found("La richiesta"))?;
    // The automatic close tells the parties without a reason (its notice says why).
    let said = if body.is_some() {
        reason.as_deref()
    } else {
        None
    };
    let moved = RequestTransitioned {
        request_id: r.id,
        authority: r.authority_code.clone(),
        task_force: r.task_force.clone(),
        action,
        from,
        to,
        by: actor.user_id(),
        reason: said.map(str::to_owned),
        at: now,
    };
    events::emit(&txn, base, &Event::RequestTransitioned(moved)).await?;
    txn.commit().await?;
    Ok(r)
}

/// The notices of a move, to the parties (the event's subscriber).
pub(super) async fn on_transitioned(
    db: &impl ConnectionTrait,
    base: &PublicUrl,
    t: &RequestTransitioned,
) -> Result<(), sea_orm::DbErr> {
    let Some(r) = support_request::Entity::find_by_id(t.request_id)
        .one(db)
        .await?
    else {
        return Ok(());
    };
    notify_parties(
        db,
        base,
        &r,
        t.action,
        t.by.unwrap_or(0),
        t.reason.as_deref(),
    )
    .await
}

/// How the caller stands to a request.
pub fn relation(caller: &Caller, r: &support_request::Model) -> Relation {
    let tf = TaskForce::parse(&r.task_force).ok();
    Relation {
        authority: caller.authority_codes().contains(&r.authority_code),
        secretariat: caller.has_role(Role::Secretariat),
        coordinator: tf.is_some_and(|tf| {
            caller
                .scopes_of(Role::Coordinator)
                .any(|s| *s == Scope::TaskForce(tf))
        }),
        lead_expert: r.lead_expert_id == Some(caller.user_id.0),
        system: false,
    }
}

pub fn context(r: &support_request::Model, now: DateTime<Utc>) -> Context {
    Context {
        held_from: r.held_from.as_deref().map(status_of),
        days_since_completed: r.completed_at.map(|c| (now - c).num_days()),
    }
}

pub fn status_of(s: &str) -> RequestStatus {
    RequestStatus::parse(s).unwrap_or(RequestStatus::Draft)
}

#[allow(clippy::too_many_arguments)]
pub async fn record_transition(
    db: &impl ConnectionTrait,
    request_id: i64,
    action: &str,
    from: Option<RequestStatus>,
    to: RequestStatus,
    actor: Option<i64>,
    reason: Option<String>,
    at: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    request_transition::Entity::insert(request_transition::ActiveModel {
        request_id: Set(request_id),
        action: Set(action.to_owned()),
        from_status: Set(from.map(|s| s.code().to_owned())),
        to_status: Set(to.code().to_owned()),
        actor_id: Set(actor),
        reason: Set(reason),
        at: Set(at),
        ..Default::default()
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

fn required(errors: &mut Vec<FieldError>, field: &str, value: &str, what: &str) {
    if value.trim().is_empty() {
        errors.push(FieldError {
            field: field.into(),
            message: format!("{what} è obbligatorio"),
        });
    } else if value.chars().count() > 10_000 {
        errors.push(FieldError {
            field: field.into(),
            message: format!("{what}: al massimo 10000 caratteri"),
        });
    }
}

/// The experts of a task force (users holding `expert` in its scope), active ones only.
pub async fn task_force_experts(
    db: &impl ConnectionTrait,
    tf: &str,
) -> Result<BTreeSet<i64>, sea_orm::DbErr> {
    let scope = format!("task_force:{tf}");
    let ids: Vec<i64> = role_grant::Entity::find()
        .select_only()
        .column(role_grant::Column::UserId)
        .filter(role_grant::Column::Role.eq(Role::Expert.code()))
        .filter(role_grant::Column::Scope.eq(scope))
        .into_tuple()
        .all(db)
        .await?;
    Ok(user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .filter(user::Column::Id.is_in(ids))
        .filter(user::Column::Active.eq(true))
        .into_tuple::<i64>()
        .all(db)
        .await?
        .into_iter()
        .collect())
}

/// The users of an authority (representative and delegates).
pub async fn authority_users(
    db: &impl ConnectionTrait,
    code: &str,
) -> Result<Vec<i64>, sea_orm::DbErr> {
    role_grant::Entity::find()
        .select_only()
        .column(role_grant::Column::UserId)
        .filter(
            role_grant::Column::Role
                .is_in([Role::AuthorityRep.code(), Role::AuthorityDelegate.code()]),
        )
        .filter(role_grant::Column::Scope.eq(format!("authority:{code}")))
        .distinct()
        .into_tuple()
        .all(db)
        .await
}

pub async fn coordinators(db: &impl ConnectionTrait, tf: &str) -> Result<Vec<i64>, sea_orm::DbErr> {
    role_grant::Entity::find()
        .select_only()
        .column(role_grant::Column::UserId)
        .filter(role_grant::Column::Role.eq(Role::Coordinator.code()))
        .filter(role_grant::Column::Scope.eq(format!("task_force:{tf}")))
        .distinct()
        .into_tuple()
        .all(db)
        .await
}

/// Whether the authority may ask for support now (approved registration, started phase).
async fn eligible(db: &impl ConnectionTrait, code: &str) -> Result<bool, sea_orm::DbErr> {
    Ok(crate::app::phases::eligible_authorities(db)
        .await?
        .contains(code))
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

/// Tells the parties of a move, in the app and by e-mail (never the person who acted).
async fn notify_parties(
    db: &impl ConnectionTrait,
    base: &PublicUrl,
    r: &support_request::Model,
    action: RequestAction,
    actor: i64,
    reason: Option<&str>,
) -> Result<(), sea_orm::DbErr> {
    use RequestAction as A;
    let link = Some(links::request(r.id));
    let subject = &r.subject;
    let status = status_of(&r.status);
    let mut to: BTreeSet<i64> = BTreeSet::new();
    let authority = authority_users(db, &r.authority_code).await?;
    match action {
        A::Submit => {
            to.extend(coordinators(db, &r.task_force).await?);
            notify::role(
                db,
                base,
                Role::Secretariat,
                &Notice {
                    kind: "request_submitted",
                    title: format!("Nuova richiesta di supporto n. {}", r.id),
                    body: format!("È stata inviata la richiesta «{subject}»: va presa in carico entro 5 giorni lavorativi."),
                    link: link.clone(),
                },
            )
            .await?;
        }
        A::Assign => {
            to.extend(
                request_assignee::Entity::find()
                    .filter(request_assignee::Column::RequestId.eq(r.id))
                    .all(db)
                    .await?
                    .into_iter()
                    .map(|a| a.user_id),
            );
            to.extend(authority.iter().copied());
        }
        A::Withdraw | A::Close | A::Reopen => {
            to.extend(r.lead_expert_id);
            if action != A::Close {
                to.extend(coordinators(db, &r.task_force).await?);
            }
        }
        A::TakeCharge | A::Reject | A::Start | A::Suspend | A::Resume | A::Complete => {
            to.extend(authority.iter().copied());
        }
        A::AutoClose => {
            to.extend(authority.iter().copied());
            to.extend(r.lead_expert_id);
        }
    }
    to.remove(&actor);
    let mut body = format!(
        "La richiesta n. {} «{subject}» è ora nello stato «{}» ({}).",
        r.id,
        status.label(),
        action.label().to_lowercase()
    );
    if let Some(reason) = reason {
        body.push_str(&format!("\nMotivo: {reason}"));
    }
    let notice = Notice {
        kind: "request_transition",
        title: format!("Richiesta n. {}: {}", r.id, status.label().to_lowercase()),
        body,
        link,
    };
    for id in to {
        notify::user(db, base, id, &notice).await?;
    }
    Ok(())
}

/// The service levels of a request, as of `today`.
pub fn service_levels(r: &support_request::Model, today: NaiveDate) -> ServiceLevels {
    let late =
        |due: Option<NaiveDate>, done: Option<DateTime<Utc>>, pending: bool| match (due, done) {
            (Some(due), Some(done)) => rome_date(done) > due,
            (Some(due), None) => pending && today > due,
            _ => false,
        };
    let status = status_of(&r.status);
    let pending = !status.is_final();
    ServiceLevels {
        take_charge_due: r.take_charge_due,
        take_charge_overdue: late(r.take_charge_due, r.taken_at, pending),
        assign_due: r.assign_due,
        assign_overdue: late(r.assign_due, r.assigned_at, pending),
    }
}

/// The full names of the users `ids`.
pub async fn names(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = i64>,
) -> Result<HashMap<i64, String>, sea_orm::DbErr> {
    let ids: BTreeSet<i64> = ids.into_iter().collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .column(user::Column::FullName)
        .filter(user::Column::Id.is_in(ids))
        .into_tuple::<(i64, String)>()
        .all(db)
        .await?
        .into_iter()
        .collect())
}

/// The person `id` named from `names`.
pub fn person(names: &HashMap<i64, String>, id: i64) -> PersonRef {
    PersonRef {
        user_id: UserId(id),
        full_name: names.get(&id).cloned().unwrap_or_default(),
    }
}
