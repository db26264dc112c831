//! Monitoring (DOMAIN.md §5): the authorities' file registers, the semester measurements computed
//! from them or typed in (additive parts, never only averages), the state of each authority's
//! semester (draft → submitted → validated or returned), the history of changes to validated
//! values, and the programme's baseline and targets with per-authority overrides.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum RegisterFiles {
    Table,
    AuthorityCode,
    Code,
    ProcedureCode,
    StartDate,
    TermDays,
    DecisionDate,
    SilentAssentDate,
    Conference,
    SuspensionDays,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Measurements {
    Table,
    AuthorityCode,
    ProcedureCode,
    Period,
    Source,
    Started,
    ConcludedExpress,
    ConcludedExpressWithSuspension,
    ConcludedExpressWithConference,
    ConcludedSilentAssent,
    DurationDaysSum,
    NetDurationDaysSum,
    Backlog,
    MaxTermDays,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum SemesterReports {
    Table,
    AuthorityCode,
    Period,
    Status,
    Comment,
    SubmittedAt,
    SubmittedBy,
    ReviewedAt,
    ReviewedBy,
    Reopened,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum MeasurementChanges {
    Table,
    Id,
    AuthorityCode,
    ProcedureCode,
    Period,
    Field,
    OldValue,
    NewValue,
    ChangedBy,
    ChangedAt,
}

#[derive(DeriveIden)]
enum MonitoringTargets {
    Table,
    Scope,
    Baseline,
    LockDays,
    Milestones,
    UpdatedAt,
    UpdatedBy,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RegisterFiles::Table)
                    .col(string_len(RegisterFiles::AuthorityCode, 6))
                    .col(string_len(RegisterFiles::Code, 100))
                    .col(string_len(RegisterFiles::ProcedureCode, 40))
                    .col(date(RegisterFiles::StartDate))
                    .col(integer(RegisterFiles::TermDays))
                    .col(date_null(RegisterFiles::DecisionDate))
                    .col(date_null(RegisterFiles::SilentAssentDate))
                    .col(boolean(RegisterFiles::Conference))
                    .col(integer(RegisterFiles::SuspensionDays))
                    .col(timestamp_with_time_zone(RegisterFiles::UpdatedAt))
                    .primary_key(
                        Index::create()
                            .col(RegisterFiles::AuthorityCode)
                            .col(RegisterFiles::Code),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_register_files_authority_procedure")
                    .table(RegisterFiles::Table)
                    .col(RegisterFiles::AuthorityCode)
                    .col(RegisterFiles::ProcedureCode)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Measurements::Table)
                    .col(string_len(Measurements::AuthorityCode, 6))
                    .col(string_len(Measurements::ProcedureCode, 40))
                    .col(string_len(Measurements::Period, 6))
                    .col(string_len(Measurements::Source, 10))
                    .col(big_integer(Measurements::Started))
                    .col(big_integer(Measurements::ConcludedExpress))
                    .col(big_integer(Measurements::ConcludedExpressWithSuspension))
                    .col(big_integer(Measurements::ConcludedExpressWithConference))
                    .col(big_integer(Measurements::ConcludedSilentAssent))
                    .col(big_integer(Measurements::DurationDaysSum))
                    .col(big_integer(Measurements::NetDurationDaysSum))
                    .col(big_integer(Measurements::Backlog))
                    .col(double(Measurements::MaxTermDays))
                    .col(timestamp_with_time_zone(Measurements::UpdatedAt))
                    .primary_key(
                        Index::create()
                            .col(Measurements::AuthorityCode)
                            .col(Measurements::ProcedureCode)
                            .col(Measurements::Period),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_measurements_period")
                    .table(Measurements::Table)
                    .col(Measurements::Period)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SemesterReports::Table)
                    .col(string_len(SemesterReports::AuthorityCode, 6))
                    .col(string_len(SemesterReports::Period, 6))
                    .col(string_len(SemesterReports::Status, 12))
                    .col(text_null(SemesterReports::Comment))
                    .col(timestamp_with_time_zone_null(SemesterReports::SubmittedAt))
                    .col(big_integer_null(SemesterReports::SubmittedBy))
                    .col(timestamp_with_time_zone_null(SemesterReports::ReviewedAt))
                    .col(big_integer_null(SemesterReports::ReviewedBy))
                    .col(boolean(SemesterReports::Reopened).default(false))
                    .col(timestamp_with_time_zone(SemesterReports::UpdatedAt))
                    .primary_key(
                        Index::create()
                            .col(SemesterReports::AuthorityCode)
                            .col(SemesterReports::Period),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_semester_reports_status")
                    .table(SemesterReports::Table)
                    .col(SemesterReports::Status)
                    .col(SemesterReports::Period)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(MeasurementChanges::Table)
                    .col(big_pk_auto(MeasurementChanges::Id))
                    .col(string_len(MeasurementChanges::AuthorityCode, 6))
                    .col(string_len(MeasurementChanges::ProcedureCode, 40))
                    .col(string_len(MeasurementChanges::Period, 6))
                    .col(string_len(MeasurementChanges::Field, 48))
                    .col(string_len_null(MeasurementChanges::OldValue, 32))
                    .col(string_len_null(MeasurementChanges::NewValue, 32))
                    .col(big_integer_null(MeasurementChanges::ChangedBy))
                    .col(timestamp_with_time_zone(MeasurementChanges::ChangedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_measurement_changes_authority_period")
                    .table(MeasurementChanges::Table)
                    .col(MeasurementChanges::AuthorityCode)
                    .col(MeasurementChanges::Period)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(MonitoringTargets::Table)
                    .col(string_len(MonitoringTargets::Scope, 12).primary_key())
                    .col(string_len_null(MonitoringTargets::Baseline, 6))
                    .col(integer_null(MonitoringTargets::LockDays))
                    .col(text_null(MonitoringTargets::Milestones))
                    .col(timestamp_with_time_zone(MonitoringTargets::UpdatedAt))
                    .col(big_integer_null(MonitoringTargets::UpdatedBy))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            MonitoringTargets::Table.into_iden(),
            MeasurementChanges::Table.into_iden(),
            SemesterReports::Table.into_iden(),
            Measurements::Table.into_iden(),
            RegisterFiles::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(t).to_owned())
                .await?;
        }
        Ok(())
    }
}
