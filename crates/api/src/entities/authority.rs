use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "authorities")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub istat_code: String,
    pub name: String,
    /// `name` folded by `affianca_domain::text::fold_for_search`, for accent-insensitive search.
    pub name_search: String,
    pub kind: String,
    pub province: Option<String>,
    pub cadastral_code: Option<String>,
    pub fiscal_code: Option<String>,
    pub active: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
