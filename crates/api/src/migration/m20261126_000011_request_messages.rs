//! The message thread of each support request (internal notes included).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum RequestMessages {
    Table,
    Id,
    RequestId,
    AuthorId,
    Body,
    Internal,
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
                    .table(RequestMessages::Table)
                    .col(big_pk_auto(RequestMessages::Id))
                    .col(big_integer(RequestMessages::RequestId))
                    .col(big_integer(RequestMessages::AuthorId))
                    .col(text(RequestMessages::Body))
                    .col(boolean(RequestMessages::Internal).default(false))
                    .col(timestamp_with_time_zone(RequestMessages::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_request_messages_request")
                            .from(RequestMessages::Table, RequestMessages::RequestId)
                            .to(SupportRequests::Table, SupportRequests::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_request_messages_request")
                    .table(RequestMessages::Table)
                    .col(RequestMessages::RequestId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(RequestMessages::Table).to_owned())
            .await
    }
}
