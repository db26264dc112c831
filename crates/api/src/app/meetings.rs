//! Province meetings (DOMAIN.md §1): the secretariat schedules a meeting at a province and invites
//! all or some of its authorities, whose people are told; their representatives and delegates
//! confirm or decline.

use crate::app::sight::Sight;
use crate::auth::Caller;
use crate::entities::{meeting, meeting_invitation, role_grant};
use crate::error::{ApiError, ApiResult};
use crate::notify::{self, Notice, PublicUrl};
use crate::registry::Snapshot;
use affianca_domain::dto::{
    CreateMeetingRequest, FieldError, Meeting, MeetingInvitation, RsvpRequest,
};
use affianca_domain::links;
use affianca_domain::policy::Object;
use affianca_domain::{AuthorityKind, IstatCode, ProvinceCode, Role};
use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder,
};
use std::collections::BTreeSet;

/// The meeting as a caller sees it: every invitation, or only those of `only` (an authority's
/// users see their own).
pub async fn dto(
    db: &impl ConnectionTrait,
    snapshot: &Snapshot,
    m: meeting::Model,
    only: Option<&BTreeSet<String>>,
) -> ApiResult<Meeting> {
    let invites = meeting_invitation::Entity::find()
        .filter(meeting_invitation::Column::MeetingId.eq(m.id))
        .order_by_asc(meeting_invitation::Column::AuthorityCode)
        .all(db)
        .await?;
    let attending: Vec<&meeting_invitation::Model> = invites
        .iter()
        .filter(|i| i.response == "attending")
        .collect();
    let invitations = invites
        .iter()
        .filter(|i| only.is_none_or(|set| set.contains(&i.authority_code)))
        .filter_map(|i| {
            let a = snapshot.get(&i.authority_code)?;
            Some(MeetingInvitation {
                istat_code: a.istat_code.clone(),
                authority_name: a.name.clone(),
                response: i.response.clone(),
                attendees: i.attendees,
                responded_at: i.responded_at,
            })
        })
        .collect();
    Ok(Meeting {
        id: m.id,
        province: ProvinceCode::parse(&m.province).map_err(ApiError::internal)?,
        starts_at: m.starts_at,
        duration_minutes: m.duration_minutes,
        place: m.place,
        agenda: m.agenda,
        invited: invites.len() as u64,
        attending: attending.len() as u64,
        attendees: attending.iter().map(|i| i.attendees.max(0) as u64).sum(),
        invitations,
    })
}

/// The meetings the caller may see, soonest first.
pub async fn list(
    db: &DatabaseConnection,
    snapshot: &Snapshot,
    caller: &Caller,
) -> ApiResult<Vec<Meeting>> {
    let rows = meeting::Entity::find()
        .order_by_asc(meeting::Column::StartsAt)
        .all(db)
        .await?;
    let sight = Sight::of(caller, Object::Meeting);
    let mut out = Vec::new();
    for m in rows {
        if let Some(only) = sight.sees_meeting(db, &m).await? {
            out.push(dto(db, snapshot, m, only.as_ref()).await?);
        }
    }
    Ok(out)
}

/// Schedules a meeting at a province and invites its authorities (all active ones, or those
/// named), telling their representatives and delegates; 422 naming each bad field.
pub async fn schedule(
    db: &DatabaseConnection,
    base: &PublicUrl,
    snapshot: &Snapshot,
    caller: &Caller,
    req: CreateMeetingRequest,
) -> ApiResult<Meeting> {
    let mut errors = Vec::new();
    affianca_domain::calendar::check_date_window(
        "starts_at",
        affianca_domain::calendar::rome_date(req.starts_at),
        affianca_domain::calendar::PROGRAMME_START,
        affianca_domain::calendar::horizon(affianca_domain::calendar::rome_date(Utc::now())),
        &mut errors,
    );
    if !snapshot.province_names.contains_key(req.province.as_str()) {
        errors.push(FieldError {
            field: "province".into(),
            message: format!("{} non è una provincia lombarda", req.province),
        });
    }
    if !(15..=600).contains(&req.duration_minutes) {
        errors.push(FieldError {
            field: "duration_minutes".into(),
            message: "deve essere tra 15 e 600".into(),
        });
    }
    let place = req.place.trim();
    if place.is_empty() || place.chars().count() > 300 {
        errors.push(FieldError {
            field: "place".into(),
            message: "obbligatorio, al massimo 300 caratteri".into(),
        });
    }
    if req.agenda.chars().count() > 10_000 {
        errors.push(FieldError {
            field: "agenda".into(),
            message: "al massimo 10000 caratteri".into(),
        });
    }
    let in_province = |code: &str| {
        snapshot.get(code).is_some_and(|a| {
            a.active
                && a.kind != AuthorityKind::Regione
                && a.province.as_ref().is_some_and(|p| p == &req.province)
        })
    };
    let mut invited: BTreeSet<String> = BTreeSet::new();
    if req.invite_all {
        invited.extend(
            snapshot
                .entries
                .iter()
                .map(|e| e.authority.istat_code.to_string())
                .filter(|c| in_province(c)),
        );
    } else {
        for (i, raw) in req.istat_codes.iter().enumerate() {
            match IstatCode::parse(raw) {
                Ok(c) if in_province(c.as_str()) => {
                    invited.insert(c.to_string());
                }
                Ok(c) => errors.push(FieldError {
                    field: format!("istat_codes[{i}]"),
                    message: format!("{c} non è un ente attivo della provincia {}", req.province),
                }),
                Err(e) => errors.push(FieldError {
                    field: format!("istat_codes[{i}]"),
                    message: e.to_string(),
                }),
            }
        }
        if invited.is_empty() && errors.is_empty() {
            errors.push(FieldError {
                field: "istat_codes".into(),
                message: "invitare almeno un ente, oppure tutti (invite_all)".into(),
            });
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let txn = crate::db::begin_write(db).await?;
    let id = meeting::Entity::insert(meeting::ActiveModel {
        province: Set(req.province.to_string()),
        starts_at: Set(req.starts_at),
        duration_minutes: Set(req.duration_minutes),
        place: Set(place.to_owned()),
        agenda: Set(req.agenda.trim().to_owned()),
        created_by: Set(Some(caller.user_id.0)),
        created_at: Set(Utc::now()),
        ..Default::default()
    })
    .exec(&txn)
    .await?
    .last_insert_id;
    let codes: Vec<String> = invited.into_iter().collect();
    for chunk in codes.chunks(300) {
        meeting_invitation::Entity::insert_many(chunk.iter().map(|c| {
            meeting_invitation::ActiveModel {
                meeting_id: Set(id),
                authority_code: Set(c.clone()),
                response: Set("pending".into()),
                attendees: Set(0),
                responded_at: Set(None),
                responded_by: Set(None),
            }
        }))
        .exec_without_returning(&txn)
        .await?;
    }
    // Tell the people of the invited authorities.
    let scopes: Vec<String> = codes.iter().map(|c| format!("authority:{c}")).collect();
    let mut people: Vec<i64> = Vec::new();
    for chunk in scopes.chunks(300) {
        people.extend(
            role_grant::Entity::find()
                .filter(
                    role_grant::Column::Role
                        .is_in([Role::AuthorityRep.code(), Role::AuthorityDelegate.code()]),
                )
                .filter(role_grant::Column::Scope.is_in(chunk.to_vec()))
                .all(&txn)
                .await?
                .into_iter()
                .map(|g| g.user_id),
        );
    }
    people.sort_unstable();
    people.dedup();
    let when = req.starts_at.format("%d/%m/%Y %H:%M UTC");
    let notice = Notice {
        kind: "meeting_invitation",
        title: format!(
            "Incontro in provincia di {} il {}",
            snapshot
                .province_names
                .get(req.province.as_str())
                .cloned()
                .unwrap_or_default(),
            req.starts_at.format("%d/%m/%Y")
        ),
        body: format!(
            "La Segreteria Tecnica vi invita all'incontro del {when} presso {place}. Confermate o declinate la partecipazione dal portale."
        ),
        link: Some(links::meeting(id)),
    };
    for uid in people {
        notify::user(&txn, base, uid, &notice).await?;
    }
    let m = meeting::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| ApiError::not_found("L'incontro"))?;
    let dto = dto(&txn, snapshot, m, None).await?;
    txn.commit().await?;
    Ok(dto)
}

/// Records whether the caller's authority attends meeting `id` (and with how many people); 404
/// when the authority is not the caller's or was not invited.
pub async fn respond(
    db: &DatabaseConnection,
    caller: &Caller,
    id: i64,
    req: RsvpRequest,
) -> ApiResult<()> {
    if !caller.authority_codes().contains(req.istat_code.as_str()) {
        return Err(ApiError::not_found("L'invito"));
    }
    if req.attending && !(1..=50).contains(&req.attendees) {
        return Err(ApiError::invalid_field(
            "attendees",
            "quante persone parteciperanno: da 1 a 50",
        ));
    }
    let res = meeting_invitation::Entity::update_many()
        .col_expr(
            meeting_invitation::Column::Response,
            Expr::value(if req.attending {
                "attending"
            } else {
                "declined"
            }),
        )
        .col_expr(
            meeting_invitation::Column::Attendees,
            Expr::value(if req.attending { req.attendees } else { 0 }),
        )
        .col_expr(
            meeting_invitation::Column::RespondedAt,
            Expr::value(Utc::now()),
        )
        .col_expr(
            meeting_invitation::Column::RespondedBy,
            Expr::value(caller.user_id.0),
        )
        .filter(meeting_invitation::Column::MeetingId.eq(id))
        .filter(meeting_invitation::Column::AuthorityCode.eq(req.istat_code.as_str()))
        .exec(db)
        .await?;
    if res.rows_affected == 0 {
        return Err(ApiError::not_found("L'invito"));
    }
    Ok(())
}
