//! Support requests, their assignees and the history of their transitions.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SupportRequests {
    Table,
    Id,
    AuthorityCode,
    Province,
    TaskForce,
    ProcedureCode,
    Subject,
    Description,
    SupportKind,
    Urgency,
    Mode,
    FilesCount,
    Contact,
    Status,
    HeldFrom,
    LeadExpertId,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
    SubmittedAt,
    TakenAt,
    AssignedAt,
    CompletedAt,
    ClosedAt,
    TakeChargeDue,
    AssignDue,
    Report,
    Rating,
    Feedback,
    Search,
    Version,
}

#[derive(DeriveIden)]
enum RequestAssignees {
    Table,
    RequestId,
    UserId,
    Lead,
}

#[derive(DeriveIden)]
enum RequestTransitions {
    Table,
    Id,
    RequestId,
    Action,
    FromStatus,
    ToStatus,
    ActorId,
    Reason,
    At,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SupportRequests::Table)
                    .col(big_pk_auto(SupportRequests::Id))
                    .col(string_len(SupportRequests::AuthorityCode, 6))
                    .col(string_len_null(SupportRequests::Province, 2))
                    .col(string_len(SupportRequests::TaskForce, 32))
                    .col(string_len(SupportRequests::ProcedureCode, 32))
                    .col(string_len(SupportRequests::Subject, 200))
                    .col(text(SupportRequests::Description))
                    .col(string_len(SupportRequests::SupportKind, 24))
                    .col(string_len(SupportRequests::Urgency, 8))
                    .col(string_len(SupportRequests::Mode, 12))
                    .col(integer(SupportRequests::FilesCount).default(0))
                    .col(string_len(SupportRequests::Contact, 200))
                    .col(string_len(SupportRequests::Status, 16))
                    .col(string_len_null(SupportRequests::HeldFrom, 16))
                    .col(big_integer_null(SupportRequests::LeadExpertId))
                    .col(big_integer(SupportRequests::CreatedBy))
                    .col(timestamp_with_time_zone(SupportRequests::CreatedAt))
                    .col(timestamp_with_time_zone(SupportRequests::UpdatedAt))
                    .col(timestamp_with_time_zone_null(SupportRequests::SubmittedAt))
                    .col(timestamp_with_time_zone_null(SupportRequests::TakenAt))
                    .col(timestamp_with_time_zone_null(SupportRequests::AssignedAt))
                    .col(timestamp_with_time_zone_null(SupportRequests::CompletedAt))
                    .col(timestamp_with_time_zone_null(SupportRequests::ClosedAt))
                    .col(date_null(SupportRequests::TakeChargeDue))
                    .col(date_null(SupportRequests::AssignDue))
                    .col(text_null(SupportRequests::Report))
                    .col(integer_null(SupportRequests::Rating))
                    .col(text_null(SupportRequests::Feedback))
                    .col(text(SupportRequests::Search))
                    .col(integer(SupportRequests::Version).default(1))
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            (
                "ix_support_requests_status_province",
                vec![SupportRequests::Status, SupportRequests::Province],
            ),
            (
                "ix_support_requests_authority",
                vec![SupportRequests::AuthorityCode, SupportRequests::Status],
            ),
            (
                "ix_support_requests_task_force",
                vec![SupportRequests::TaskForce, SupportRequests::Status],
            ),
            (
                "ix_support_requests_lead",
                vec![SupportRequests::LeadExpertId],
            ),
            (
                "ix_support_requests_submitted",
                vec![SupportRequests::SubmittedAt],
            ),
        ] {
            let mut index = Index::create();
            index.name(name).table(SupportRequests::Table);
            for c in cols {
                index.col(c);
            }
            manager.create_index(index.to_owned()).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(RequestAssignees::Table)
                    .col(big_integer(RequestAssignees::RequestId))
                    .col(big_integer(RequestAssignees::UserId))
                    .col(boolean(RequestAssignees::Lead).default(false))
                    .primary_key(
                        Index::create()
                            .col(RequestAssignees::RequestId)
                            .col(RequestAssignees::UserId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_request_assignees_request")
                            .from(RequestAssignees::Table, RequestAssignees::RequestId)
                            .to(SupportRequests::Table, SupportRequests::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_request_assignees_user")
                    .table(RequestAssignees::Table)
                    .col(RequestAssignees::UserId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RequestTransitions::Table)
                    .col(big_pk_auto(RequestTransitions::Id))
                    .col(big_integer(RequestTransitions::RequestId))
                    .col(string_len(RequestTransitions::Action, 16))
                    .col(string_len_null(RequestTransitions::FromStatus, 16))
                    .col(string_len(RequestTransitions::ToStatus, 16))
                    .col(big_integer_null(RequestTransitions::ActorId))
                    .col(text_null(RequestTransitions::Reason))
                    .col(timestamp_with_time_zone(RequestTransitions::At))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_request_transitions_request")
                            .from(RequestTransitions::Table, RequestTransitions::RequestId)
                            .to(SupportRequests::Table, SupportRequests::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_request_transitions_request")
                    .table(RequestTransitions::Table)
                    .col(RequestTransitions::RequestId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            RequestTransitions::Table.into_iden(),
            RequestAssignees::Table.into_iden(),
            SupportRequests::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(t).to_owned())
                .await?;
        }
        Ok(())
    }
}
