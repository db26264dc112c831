//! The request list's most common query — by status and province, newest submissions first —
//! read straight from one index, in order, without sorting.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SupportRequests {
    Table,
    Status,
    Province,
    SubmittedAt,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_support_requests_status_province")
                    .table(SupportRequests::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_support_requests_status_province_submitted")
                    .table(SupportRequests::Table)
                    .col(SupportRequests::Status)
                    .col(SupportRequests::Province)
                    .col(SupportRequests::SubmittedAt)
                    .col(SupportRequests::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_support_requests_status_province_submitted")
                    .table(SupportRequests::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_support_requests_status_province")
                    .table(SupportRequests::Table)
                    .col(SupportRequests::Status)
                    .col(SupportRequests::Province)
                    .to_owned(),
            )
            .await
    }
}
