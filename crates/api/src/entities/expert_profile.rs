use sea_orm::entity::prelude::*;

/// The profile of an expert (their task forces are their `expert` grants).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "expert_profiles")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: i64,
    /// Province codes covered, comma-separated (`BG,BS`).
    pub provinces: String,
    pub professional_profile: String,
    pub max_concurrent_requests: i32,
    pub version: i32,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
