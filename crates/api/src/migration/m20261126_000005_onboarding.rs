//! Onboarding: stored files, registrations of authorities, in-app notifications, the e-mail outbox.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum StoredFiles {
    Table,
    Id,
    Sha256,
    Size,
    ContentType,
    OriginalName,
    UploadedBy,
    UploadedAt,
}

#[derive(DeriveIden)]
enum Registrations {
    Table,
    Id,
    AuthorityCode,
    UserId,
    FullName,
    Office,
    Status,
    ProtocolFileId,
    RejectionReason,
    CreatedAt,
    SubmittedAt,
    DecidedAt,
    DecidedBy,
    Version,
}

#[derive(DeriveIden)]
enum Notifications {
    Table,
    Id,
    UserId,
    Kind,
    Title,
    Body,
    Link,
    CreatedAt,
    ReadAt,
}

#[derive(DeriveIden)]
enum Outbox {
    Table,
    Id,
    Recipient,
    Subject,
    Body,
    Status,
    Attempts,
    LastError,
    NextAttemptAt,
    CreatedAt,
    SentAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Authorities {
    Table,
    IstatCode,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(StoredFiles::Table)
                    .col(big_pk_auto(StoredFiles::Id))
                    .col(string_len(StoredFiles::Sha256, 64))
                    .col(big_integer(StoredFiles::Size))
                    .col(string_len(StoredFiles::ContentType, 100))
                    .col(string_len(StoredFiles::OriginalName, 255))
                    .col(big_integer_null(StoredFiles::UploadedBy))
                    .col(timestamp_with_time_zone(StoredFiles::UploadedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Registrations::Table)
                    .col(big_pk_auto(Registrations::Id))
                    .col(string_len(Registrations::AuthorityCode, 6))
                    .col(big_integer(Registrations::UserId))
                    .col(string(Registrations::FullName))
                    .col(string_len(Registrations::Office, 40))
                    .col(string_len(Registrations::Status, 32))
                    .col(big_integer_null(Registrations::ProtocolFileId))
                    .col(text_null(Registrations::RejectionReason))
                    .col(timestamp_with_time_zone(Registrations::CreatedAt))
                    .col(timestamp_with_time_zone_null(Registrations::SubmittedAt))
                    .col(timestamp_with_time_zone_null(Registrations::DecidedAt))
                    .col(big_integer_null(Registrations::DecidedBy))
                    .col(integer(Registrations::Version).default(1))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_registrations_authority")
                            .from(Registrations::Table, Registrations::AuthorityCode)
                            .to(Authorities::Table, Authorities::IstatCode),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_registrations_user")
                            .from(Registrations::Table, Registrations::UserId)
                            .to(Users::Table, Users::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_registrations_protocol")
                            .from(Registrations::Table, Registrations::ProtocolFileId)
                            .to(StoredFiles::Table, StoredFiles::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // One registration per authority that is not rejected: the database decides races.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX uq_registrations_open ON registrations (authority_code) WHERE status <> 'rejected'",
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Notifications::Table)
                    .col(big_pk_auto(Notifications::Id))
                    .col(big_integer(Notifications::UserId))
                    .col(string_len(Notifications::Kind, 64))
                    .col(string(Notifications::Title))
                    .col(text(Notifications::Body))
                    .col(string_null(Notifications::Link))
                    .col(timestamp_with_time_zone(Notifications::CreatedAt))
                    .col(timestamp_with_time_zone_null(Notifications::ReadAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_notifications_user")
                            .from(Notifications::Table, Notifications::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_notifications_user")
                    .table(Notifications::Table)
                    .col(Notifications::UserId)
                    .col(Notifications::ReadAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Outbox::Table)
                    .col(big_pk_auto(Outbox::Id))
                    .col(string_len(Outbox::Recipient, 254))
                    .col(string(Outbox::Subject))
                    .col(text(Outbox::Body))
                    .col(string_len(Outbox::Status, 16))
                    .col(integer(Outbox::Attempts).default(0))
                    .col(text_null(Outbox::LastError))
                    .col(timestamp_with_time_zone(Outbox::NextAttemptAt))
                    .col(timestamp_with_time_zone(Outbox::CreatedAt))
                    .col(timestamp_with_time_zone_null(Outbox::SentAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_outbox_status_next")
                    .table(Outbox::Table)
                    .col(Outbox::Status)
                    .col(Outbox::NextAttemptAt)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            Outbox::Table.into_iden(),
            Notifications::Table.into_iden(),
            Registrations::Table.into_iden(),
            StoredFiles::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(t).to_owned())
                .await?;
        }
        Ok(())
    }
}
