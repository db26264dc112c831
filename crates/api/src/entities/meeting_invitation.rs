use sea_orm::entity::prelude::*;

/// An authority invited to a meeting, and its answer.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "meeting_invitations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub meeting_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub authority_code: String,
    /// `pending`, `attending` or `declined`.
    pub response: String,
    pub attendees: i32,
    pub responded_at: Option<DateTimeUtc>,
    pub responded_by: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
