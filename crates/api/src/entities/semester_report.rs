use sea_orm::entity::prelude::*;

/// The state of one authority's data for one semester: draft, submitted, validated or returned.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "semester_reports")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub authority_code: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub period: String,
    pub status: String,
    pub comment: Option<String>,
    pub submitted_at: Option<DateTimeUtc>,
    pub submitted_by: Option<i64>,
    pub reviewed_at: Option<DateTimeUtc>,
    pub reviewed_by: Option<i64>,
    pub reopened: bool,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
