use sea_orm::entity::prelude::*;

/// One event counted by a rate limit (`kind`: `login_failure_ip`, `password_reset_ip`), keyed by
/// what is limited (an IP address). Rows older than a day are deleted as new ones arrive.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "throttle_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub kind: String,
    pub key: String,
    pub at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
