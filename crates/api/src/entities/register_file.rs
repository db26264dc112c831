use sea_orm::entity::prelude::*;

/// One file (pratica) of an authority's register, keyed by the authority and its own code.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "register_files")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub authority_code: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub code: String,
    pub procedure_code: String,
    pub start_date: Date,
    pub term_days: i32,
    pub decision_date: Option<Date>,
    pub silent_assent_date: Option<Date>,
    pub conference: bool,
    pub suspension_days: i32,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
