//! The event stream (issue 12): every write that others may want to hear of (a request moved, a
//! semester submitted or reviewed, an authority's register changed) appends one row, in the
//! writer's transaction, with the event as JSON. Notices are made from it in the same transaction;
//! webhooks (issue 13) deliver it from the sequence onwards.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Events {
    Table,
    Seq,
    Kind,
    AuthorityCode,
    RequestId,
    Payload,
    OccurredAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Events::Table)
                    .col(big_pk_auto(Events::Seq))
                    .col(string_len(Events::Kind, 48))
                    .col(string_len(Events::AuthorityCode, 6))
                    .col(big_integer_null(Events::RequestId))
                    .col(text(Events::Payload))
                    .col(timestamp_with_time_zone(Events::OccurredAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_events_authority")
                    .table(Events::Table)
                    .col(Events::AuthorityCode)
                    .col(Events::Seq)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Events::Table).to_owned())
            .await
    }
}
