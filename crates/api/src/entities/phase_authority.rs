use sea_orm::entity::prelude::*;

/// An authority enabled by a phase.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "phase_authorities")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub phase_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub authority_code: String,
    pub added_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
