//! The experts' activity log on support requests.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ActivityEntries {
    Table,
    Id,
    RequestId,
    ExpertId,
    Day,
    Kind,
    Quarters,
    FilesHandled,
    Notes,
    CreatedAt,
    UpdatedAt,
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
                    .table(ActivityEntries::Table)
                    .col(big_pk_auto(ActivityEntries::Id))
                    .col(big_integer(ActivityEntries::RequestId))
                    .col(big_integer(ActivityEntries::ExpertId))
                    .col(date(ActivityEntries::Day))
                    .col(string_len(ActivityEntries::Kind, 24))
                    .col(integer(ActivityEntries::Quarters))
                    .col(integer(ActivityEntries::FilesHandled).default(0))
                    .col(text(ActivityEntries::Notes))
                    .col(timestamp_with_time_zone(ActivityEntries::CreatedAt))
                    .col(timestamp_with_time_zone(ActivityEntries::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_activity_entries_request")
                            .from(ActivityEntries::Table, ActivityEntries::RequestId)
                            .to(SupportRequests::Table, SupportRequests::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_activity_entries_expert_day")
                    .table(ActivityEntries::Table)
                    .col(ActivityEntries::ExpertId)
                    .col(ActivityEntries::Day)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_activity_entries_request")
                    .table(ActivityEntries::Table)
                    .col(ActivityEntries::RequestId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ActivityEntries::Table).to_owned())
            .await
    }
}
