use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "provinces")]
pub struct Model {
    /// The sigla: `BG`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub code: String,
    pub istat_code: String,
    /// The ISTAT code of the body, its key in `authorities`.
    pub authority_code: String,
    pub name: String,
    pub kind: String,
    pub fiscal_code: String,
    pub nuts3: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
