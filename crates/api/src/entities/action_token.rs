use sea_orm::entity::prelude::*;

/// A single-use e-mailed token (`invitation` or `password_reset`), stored hashed.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "action_tokens")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub purpose: String,
    #[sea_orm(unique)]
    pub token_hash: String,
    pub email: String,
    pub user_id: Option<i64>,
    pub authority_code: Option<String>,
    pub created_by: Option<i64>,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    pub used_at: Option<DateTimeUtc>,
    pub revoked_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
