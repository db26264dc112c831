use sea_orm::entity::prelude::*;

/// The additive parts of one authority × procedure × semester, computed from the register
/// (`source = register`) or typed in (`source = manual`).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "measurements")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub authority_code: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub procedure_code: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub period: String,
    pub source: String,
    pub started: i64,
    pub concluded_express: i64,
    pub concluded_express_with_suspension: i64,
    pub concluded_express_with_conference: i64,
    pub concluded_silent_assent: i64,
    pub duration_days_sum: i64,
    pub net_duration_days_sum: i64,
    pub backlog: i64,
    pub max_term_days: f64,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
