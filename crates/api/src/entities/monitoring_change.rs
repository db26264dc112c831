use sea_orm::entity::prelude::*;

/// One entry of the change log of monitoring data (`crate::monitoring::record_change`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "monitoring_changes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub seq: i64,
    /// `authority`, `settings`, `phases` or `catalog`.
    pub kind: String,
    /// The authority whose data changed (kind `authority`).
    pub authority_code: Option<String>,
    pub changed_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
