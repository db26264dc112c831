use sea_orm::entity::prelude::*;

/// A legal representative's request to join the programme for an authority.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "registrations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub authority_code: String,
    pub user_id: i64,
    pub full_name: String,
    pub office: String,
    pub status: String,
    pub protocol_file_id: Option<i64>,
    pub rejection_reason: Option<String>,
    pub created_at: DateTimeUtc,
    pub submitted_at: Option<DateTimeUtc>,
    pub decided_at: Option<DateTimeUtc>,
    pub decided_by: Option<i64>,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
