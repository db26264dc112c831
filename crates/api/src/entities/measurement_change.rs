use sea_orm::entity::prelude::*;

/// A change to a value of a validated semester: who, when, old → new.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "measurement_changes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub authority_code: String,
    pub procedure_code: String,
    pub period: String,
    pub field: String,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub changed_by: Option<i64>,
    pub changed_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
