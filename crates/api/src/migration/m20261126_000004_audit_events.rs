//! The append-only audit log of security-relevant actions.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    Id,
    At,
    ActorUserId,
    ActorEmail,
    Action,
    TargetType,
    TargetId,
    Details,
    IpAddress,
    RequestId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AuditEvents::Table)
                    .col(big_pk_auto(AuditEvents::Id))
                    .col(timestamp_with_time_zone(AuditEvents::At))
                    .col(big_integer_null(AuditEvents::ActorUserId))
                    .col(string_len_null(AuditEvents::ActorEmail, 254))
                    .col(string_len(AuditEvents::Action, 64))
                    .col(string_len_null(AuditEvents::TargetType, 40))
                    .col(string_len_null(AuditEvents::TargetId, 80))
                    .col(text_null(AuditEvents::Details))
                    .col(string_len_null(AuditEvents::IpAddress, 64))
                    .col(string_len_null(AuditEvents::RequestId, 64))
                    .to_owned(),
            )
            .await?;
        for (name, col) in [
            ("idx_audit_events_at", AuditEvents::At),
            ("idx_audit_events_action", AuditEvents::Action),
            ("idx_audit_events_actor", AuditEvents::ActorUserId),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(AuditEvents::Table)
                        .col(col)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AuditEvents::Table).to_owned())
            .await
    }
}
