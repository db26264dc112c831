//! Immediate revocation and abuse limits (issue 10): every user gets a `session_version`, bumped
//! in the transaction that ends their sessions (logout, password reset, removal of a role…);
//! access tokens carry the version they were issued with and stop working as soon as it moves.
//! `throttle_events` counts what the per-IP and per-address limits need (failed logins by IP,
//! password-reset requests by IP), shared by every server through the database.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    SessionVersion,
}

#[derive(DeriveIden)]
enum ThrottleEvents {
    Table,
    Id,
    Kind,
    Key,
    At,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(big_integer(Users::SessionVersion).default(0))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ThrottleEvents::Table)
                    .col(big_pk_auto(ThrottleEvents::Id))
                    .col(string_len(ThrottleEvents::Kind, 40))
                    .col(string_len(ThrottleEvents::Key, 254))
                    .col(timestamp_with_time_zone(ThrottleEvents::At))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_throttle_events_kind_key_at")
                    .table(ThrottleEvents::Table)
                    .col(ThrottleEvents::Kind)
                    .col(ThrottleEvents::Key)
                    .col(ThrottleEvents::At)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_throttle_events_at")
                    .table(ThrottleEvents::Table)
                    .col(ThrottleEvents::At)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ThrottleEvents::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .drop_column(Users::SessionVersion)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}
