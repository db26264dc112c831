use sea_orm::entity::prelude::*;

/// Up to 1 MB of a stored file's bytes, for the database file store (`crate::file_store`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "file_chunks")]
pub struct Model {
    /// The file's SHA-256 (hex), or `tmp-<uuid>` while the upload streams in.
    #[sea_orm(primary_key, auto_increment = false)]
    pub blob_key: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub seq: i32,
    pub data: Vec<u8>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
