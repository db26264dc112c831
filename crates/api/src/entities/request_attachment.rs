use sea_orm::entity::prelude::*;

/// A file attached to a support request (or to one of its messages).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "request_attachments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub request_id: i64,
    pub message_id: Option<i64>,
    pub file_id: i64,
    /// Attached to an internal note: programme staff only.
    pub internal: bool,
    pub uploaded_by: i64,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
