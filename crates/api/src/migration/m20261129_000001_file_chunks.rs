//! The database file store (`crate::file_store`): the bytes of stored files, in chunks of at most
//! 1 MB (`bytea` on PostgreSQL, `BLOB` on SQLite), keyed by the file's SHA-256 (or by a `tmp-…`
//! key while an upload is still streaming in).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum FileChunks {
    Table,
    BlobKey,
    Seq,
    Data,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(FileChunks::Table)
                    .col(string_len(FileChunks::BlobKey, 80))
                    .col(integer(FileChunks::Seq))
                    .col(blob(FileChunks::Data))
                    .col(timestamp_with_time_zone(FileChunks::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(FileChunks::BlobKey)
                            .col(FileChunks::Seq),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(FileChunks::Table).to_owned())
            .await
    }
}
