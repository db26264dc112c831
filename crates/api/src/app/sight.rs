//! Who sees what: the one place where a caller's grants become the authorities, requests and
//! meetings they may know. Which grants reach every object of a kind is the policy's
//! ([`affianca_domain::policy::reaches_everywhere`]: region-wide grants, coordinators for
//! authorities' monitoring, programme staff for meetings); every other grant reaches what its scope
//! names — representatives and delegates their authority, observers their province, coordinators
//! their task forces' requests, experts the requests they are assigned to and those authorities.
//!
//! The handlers and services ask this module; none of them reads grants to decide visibility.

use crate::auth::Caller;
use crate::entities::{authority, meeting, meeting_invitation, request_assignee, support_request};
use crate::error::{ApiError, ApiResult};
use affianca_domain::policy::{Object, reaches_everywhere};
use affianca_domain::{RequestStatus, Role, Scope};
use sea_orm::sea_query::{Condition, Query as SqlQuery};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
use std::collections::BTreeSet;

/// What a caller's grants reach, for one kind of object.
#[derive(Debug, Clone)]
pub struct Sight {
    /// Every object of the kind (drafts of requests excepted: they are their authority's).
    everywhere: bool,
    /// Authorities the caller works for (representative, delegate).
    own: BTreeSet<String>,
    /// Provinces the caller observes.
    provinces: BTreeSet<String>,
    /// Task forces the caller coordinates (codes).
    task_forces: Vec<&'static str>,
    /// The caller, when an expert (what they are assigned to).
    expert: Option<i64>,
}

impl Sight {
    /// The caller's sight of objects of the kind `object`.
    pub fn of(caller: &Caller, object: Object) -> Self {
        Self {
            everywhere: caller.grants.iter().any(|g| reaches_everywhere(g, object)),
            own: caller.authority_codes(),
            provinces: caller
                .scopes_of(Role::Observer)
                .filter_map(|s| match s {
                    Scope::Province(p) => Some(p.to_string()),
                    _ => None,
                })
                .collect(),
            task_forces: caller
                .scopes_of(Role::Coordinator)
                .filter_map(|s| match s {
                    Scope::TaskForce(tf) => Some(tf.code()),
                    _ => None,
                })
                .collect(),
            expert: caller.has_role(Role::Expert).then_some(caller.user_id.0),
        }
    }

    /// Whether the grants reach every object of the kind.
    pub fn everywhere(&self) -> bool {
        self.everywhere
    }

    /// Whether the caller works for the authority (representative or delegate).
    pub fn works_for(&self, code: &str) -> bool {
        self.own.contains(code)
    }

    /// The provinces the caller observes.
    pub fn provinces(&self) -> &BTreeSet<String> {
        &self.provinces
    }

    /// The authorities the caller works for.
    pub fn own(&self) -> &BTreeSet<String> {
        &self.own
    }

    // ---- authorities' data (monitoring, indicators) -------------------------------------------

    /// The authorities with a request the caller (an expert) is assigned to.
    pub async fn assigned_authorities(
        &self,
        db: &impl ConnectionTrait,
    ) -> Result<BTreeSet<String>, DbErr> {
        let Some(expert) = self.expert else {
            return Ok(BTreeSet::new());
        };
        Ok(support_request::Entity::find()
            .filter(support_request::Column::Id.in_subquery(assigned_to(expert)))
            .all(db)
            .await?
            .into_iter()
            .map(|r| r.authority_code)
            .collect())
    }

    /// Whether the caller sees the authority's data.
    pub async fn sees_authority(
        &self,
        db: &impl ConnectionTrait,
        a: &authority::Model,
    ) -> Result<bool, DbErr> {
        if self.everywhere
            || self.own.contains(&a.istat_code)
            || a.province
                .as_ref()
                .is_some_and(|p| self.provinces.contains(p))
        {
            return Ok(true);
        }
        Ok(self.expert.is_some() && self.assigned_authorities(db).await?.contains(&a.istat_code))
    }

    /// Whether the caller sees an entry of the registry (code, province) as an object of this
    /// kind: everywhere, their own authority, or one of a province they observe.
    pub fn sees_entry(&self, code: &str, province: Option<&str>) -> bool {
        self.everywhere
            || self.own.contains(code)
            || province.is_some_and(|p| self.provinces.contains(p))
    }

    // ---- support requests ---------------------------------------------------------------------

    /// Whether the caller sees every request but drafts (and no request of their own).
    pub fn sees_all_requests(&self) -> bool {
        self.everywhere && self.own.is_empty()
    }

    /// The SQL condition selecting the requests the caller may see. Drafts are their authority's
    /// own work: nobody else sees them.
    pub fn requests(&self) -> Condition {
        let mut staff = Condition::any();
        if !self.task_forces.is_empty() {
            staff = staff.add(support_request::Column::TaskForce.is_in(self.task_forces.clone()));
        }
        if let Some(expert) = self.expert {
            staff = staff.add(support_request::Column::Id.in_subquery(assigned_to(expert)));
        }
        if !self.provinces.is_empty() {
            staff = staff.add(support_request::Column::Province.is_in(self.provinces.clone()));
        }
        if self.everywhere {
            staff = Condition::all();
        }
        let mut cond = Condition::any();
        if self.everywhere || !staff.is_empty() {
            cond = cond.add(
                Condition::all()
                    .add(support_request::Column::Status.ne(RequestStatus::Draft.code()))
                    .add(staff),
            );
        }
        if !self.own.is_empty() {
            cond = cond.add(support_request::Column::AuthorityCode.is_in(self.own.clone()));
        }
        if cond.is_empty() {
            // Sees nothing.
            cond = cond.add(support_request::Column::Id.lt(0));
        }
        cond
    }

    // ---- meetings -----------------------------------------------------------------------------

    /// Whether the caller sees the meeting: `None` if not, else `Some(only)` with the authorities
    /// whose invitations the caller may see (`None` for all).
    pub async fn sees_meeting(
        &self,
        db: &impl ConnectionTrait,
        m: &meeting::Model,
    ) -> Result<Option<Option<BTreeSet<String>>>, DbErr> {
        if self.everywhere {
            return Ok(Some(None));
        }
        if !self.provinces.is_empty() {
            return Ok(self.provinces.contains(&m.province).then_some(None));
        }
        Ok(meeting_invitation::Entity::find()
            .filter(meeting_invitation::Column::MeetingId.eq(m.id))
            .filter(meeting_invitation::Column::AuthorityCode.is_in(self.own.iter().cloned()))
            .one(db)
            .await?
            .map(|_| Some(self.own.clone())))
    }
}

/// The ids of the requests an expert is assigned to.
fn assigned_to(expert: i64) -> sea_orm::sea_query::SelectStatement {
    SqlQuery::select()
        .column(request_assignee::Column::RequestId)
        .from(request_assignee::Entity)
        .and_where(request_assignee::Column::UserId.eq(expert))
        .to_owned()
}

/// What the caller may do with an authority's monitoring data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Access {
    /// Writes the register, the semester tables and submits (the authority, the secretariat).
    pub write: bool,
    /// Validates, returns and reopens semesters, sets targets (the secretariat).
    pub secretariat: bool,
}

impl Access {
    /// 403 unless the caller may write.
    pub fn require_write(self) -> ApiResult<()> {
        if self.write {
            Ok(())
        } else {
            Err(ApiError::forbidden(
                "Scrivono i dati di monitoraggio il rappresentante e i delegati dell'ente e la Segreteria Tecnica.",
            ))
        }
    }
}

/// The caller's access to an authority's monitoring data; 403 when they may not see it (the
/// registry of authorities is public).
pub async fn monitoring(
    db: &impl ConnectionTrait,
    caller: &Caller,
    a: &authority::Model,
) -> ApiResult<Access> {
    let sight = Sight::of(caller, Object::Authority);
    if !sight.sees_authority(db, a).await? {
        return Err(ApiError::forbidden(
            "I dati di monitoraggio di un ente li vedono l'ente, la Segreteria Tecnica, i coordinatori, gli esperti che lo affiancano e l'ufficio della sua provincia.",
        ));
    }
    let secretariat = caller.has_role(Role::Secretariat);
    Ok(Access {
        write: secretariat || sight.works_for(&a.istat_code),
        secretariat,
    })
}

/// The authority of the public registry with ISTAT code `code` (404 when there is none).
pub async fn authority(db: &impl ConnectionTrait, code: &str) -> ApiResult<authority::Model> {
    let not_found = || ApiError::not_found("L'ente");
    affianca_domain::IstatCode::parse(code).map_err(|_| not_found())?;
    authority::Entity::find_by_id(code.to_owned())
        .one(db)
        .await?
        .ok_or_else(not_found)
}

/// The request, if the caller may see it (404 otherwise).
pub async fn request(
    db: &impl ConnectionTrait,
    caller: &Caller,
    id: i64,
) -> ApiResult<support_request::Model> {
    support_request::Entity::find_by_id(id)
        .filter(Sight::of(caller, Object::Request).requests())
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("La richiesta"))
}

/// The meeting, if the caller may see it (404 otherwise), with the authorities whose invitations
/// the caller sees (`None` for all).
pub async fn meeting(
    db: &impl ConnectionTrait,
    caller: &Caller,
    id: i64,
) -> ApiResult<(meeting::Model, Option<BTreeSet<String>>)> {
    let m = meeting::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("L'incontro"))?;
    match Sight::of(caller, Object::Meeting)
        .sees_meeting(db, &m)
        .await?
    {
        Some(only) => Ok((m, only)),
        None => Err(ApiError::not_found("L'incontro")),
    }
}
