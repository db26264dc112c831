use sea_orm::entity::prelude::*;

/// A meeting the secretariat holds at a province.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "meetings")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub province: String,
    pub starts_at: DateTimeUtc,
    pub duration_minutes: i32,
    pub place: String,
    pub agenda: String,
    pub created_by: Option<i64>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
