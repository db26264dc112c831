use sea_orm::entity::prelude::*;

/// A support request of an authority (DOMAIN.md §4).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "support_requests")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub authority_code: String,
    /// The authority's province (copied at creation, for the filters).
    pub province: Option<String>,
    pub task_force: String,
    pub procedure_code: String,
    pub subject: String,
    pub description: String,
    pub support_kind: String,
    pub urgency: String,
    pub mode: String,
    pub files_count: i32,
    pub contact: String,
    pub status: String,
    /// While on hold: the status it left.
    pub held_from: Option<String>,
    pub lead_expert_id: Option<i64>,
    pub created_by: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub submitted_at: Option<DateTimeUtc>,
    pub taken_at: Option<DateTimeUtc>,
    pub assigned_at: Option<DateTimeUtc>,
    pub completed_at: Option<DateTimeUtc>,
    pub closed_at: Option<DateTimeUtc>,
    pub take_charge_due: Option<Date>,
    pub assign_due: Option<Date>,
    pub report: Option<String>,
    pub rating: Option<i32>,
    pub feedback: Option<String>,
    /// Subject and description folded for the free-text search.
    pub search: String,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
