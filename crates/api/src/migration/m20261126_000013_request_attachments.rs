//! Files attached to support requests and to their messages.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum RequestAttachments {
    Table,
    Id,
    RequestId,
    MessageId,
    FileId,
    Internal,
    UploadedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum SupportRequests {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RequestAttachments::Table)
                    .col(big_pk_auto(RequestAttachments::Id))
                    .col(big_integer(RequestAttachments::RequestId))
                    .col(big_integer_null(RequestAttachments::MessageId))
                    .col(big_integer(RequestAttachments::FileId))
                    .col(boolean(RequestAttachments::Internal).default(false))
                    .col(big_integer(RequestAttachments::UploadedBy))
                    .col(timestamp_with_time_zone(RequestAttachments::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_request_attachments_request")
                            .from(RequestAttachments::Table, RequestAttachments::RequestId)
                            .to(SupportRequests::Table, SupportRequests::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_request_attachments_request")
                    .table(RequestAttachments::Table)
                    .col(RequestAttachments::RequestId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(RequestAttachments::Table).to_owned())
            .await
    }
}
