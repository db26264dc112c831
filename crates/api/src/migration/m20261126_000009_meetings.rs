//! Province meetings and the authorities invited to them.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Meetings {
    Table,
    Id,
    Province,
    StartsAt,
    DurationMinutes,
    Place,
    Agenda,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum MeetingInvitations {
    Table,
    MeetingId,
    AuthorityCode,
    Response,
    Attendees,
    RespondedAt,
    RespondedBy,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Meetings::Table)
                    .col(big_pk_auto(Meetings::Id))
                    .col(string_len(Meetings::Province, 2))
                    .col(timestamp_with_time_zone(Meetings::StartsAt))
                    .col(integer(Meetings::DurationMinutes))
                    .col(string(Meetings::Place))
                    .col(text(Meetings::Agenda))
                    .col(big_integer_null(Meetings::CreatedBy))
                    .col(timestamp_with_time_zone(Meetings::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(MeetingInvitations::Table)
                    .col(big_integer(MeetingInvitations::MeetingId))
                    .col(string_len(MeetingInvitations::AuthorityCode, 6))
                    .col(string_len(MeetingInvitations::Response, 16))
                    .col(integer(MeetingInvitations::Attendees).default(0))
                    .col(timestamp_with_time_zone_null(
                        MeetingInvitations::RespondedAt,
                    ))
                    .col(big_integer_null(MeetingInvitations::RespondedBy))
                    .primary_key(
                        Index::create()
                            .col(MeetingInvitations::MeetingId)
                            .col(MeetingInvitations::AuthorityCode),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_meeting_invitations_meeting")
                            .from(MeetingInvitations::Table, MeetingInvitations::MeetingId)
                            .to(Meetings::Table, Meetings::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(MeetingInvitations::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Meetings::Table).to_owned())
            .await
    }
}
