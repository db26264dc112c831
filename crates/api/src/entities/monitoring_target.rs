use sea_orm::entity::prelude::*;

/// Baseline, lock period and target milestones: `scope = programme` for the programme's settings,
/// an ISTAT code for an authority's override (unset fields follow the programme).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "monitoring_targets")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub scope: String,
    pub baseline: Option<String>,
    pub lock_days: Option<i32>,
    /// JSON array of milestones (`[{"period":"2023S2","backlog_reduction_pct":50,…}]`).
    pub milestones: Option<String>,
    pub updated_at: DateTimeUtc,
    pub updated_by: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
