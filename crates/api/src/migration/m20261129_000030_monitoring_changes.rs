//! The change log of monitoring data (issue 11): every write of monitoring data appends one row
//! per thing it changed (an authority's cells, semester states or targets; the programme's
//! settings; the phases; the catalog and registry), in the writer's transaction. The sequence
//! (`BIGSERIAL` on PostgreSQL, `AUTOINCREMENT` rowid on SQLite) replaces the single
//! `reference_versions('monitoring')` row every writer used to update: no hot row, and each
//! server's indicator cube applies only what is newer than what it has.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum MonitoringChanges {
    Table,
    Seq,
    Kind,
    AuthorityCode,
    ChangedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(MonitoringChanges::Table)
                    .col(big_pk_auto(MonitoringChanges::Seq))
                    .col(string_len(MonitoringChanges::Kind, 16))
                    .col(string_len_null(MonitoringChanges::AuthorityCode, 6))
                    .col(timestamp_with_time_zone(MonitoringChanges::ChangedAt))
                    .to_owned(),
            )
            .await?;
        // The old single counter is no longer written (the registry keeps its own row).
        manager
            .get_connection()
            .execute_unprepared("DELETE FROM reference_versions WHERE name = 'monitoring'")
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(MonitoringChanges::Table).to_owned())
            .await
    }
}
