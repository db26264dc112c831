use sea_orm::entity::prelude::*;

/// One event of the stream (`crate::app::events::emit`): what happened, as JSON of
/// `affianca_domain::events::Event`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub seq: i64,
    /// The event's type (`semester.validated`…).
    pub kind: String,
    /// The authority it concerns.
    pub authority_code: String,
    /// The support request it concerns, if any.
    pub request_id: Option<i64>,
    /// The whole event (`{"type": …, "data": …}`).
    pub payload: String,
    pub occurred_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
