//! Reference data: provinces, authorities, task forces, the procedure catalog.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Provinces {
    Table,
    Code,
    IstatCode,
    AuthorityCode,
    Name,
    Kind,
    FiscalCode,
    Nuts3,
}

#[derive(DeriveIden)]
enum Authorities {
    Table,
    IstatCode,
    Name,
    NameSearch,
    Kind,
    Province,
    CadastralCode,
    FiscalCode,
    Active,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum TaskForces {
    Table,
    Code,
    Name,
    Position,
}

#[derive(DeriveIden)]
enum Procedures {
    Table,
    Id,
    Code,
    TaskForce,
    Name,
    LegalTermDays,
    TermIndicative,
    Active,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Provinces::Table)
                    .col(string_len(Provinces::Code, 2).primary_key())
                    .col(string_len(Provinces::IstatCode, 3))
                    .col(string_len_uniq(Provinces::AuthorityCode, 6))
                    .col(string(Provinces::Name))
                    .col(string_len(Provinces::Kind, 32))
                    .col(string_len(Provinces::FiscalCode, 16))
                    .col(string_len(Provinces::Nuts3, 8))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Authorities::Table)
                    .col(string_len(Authorities::IstatCode, 6).primary_key())
                    .col(string(Authorities::Name))
                    .col(string(Authorities::NameSearch))
                    .col(string_len(Authorities::Kind, 32))
                    .col(string_len_null(Authorities::Province, 2))
                    .col(string_len_null(Authorities::CadastralCode, 4))
                    .col(string_len_null(Authorities::FiscalCode, 16))
                    .col(boolean(Authorities::Active).default(true))
                    .col(timestamp_with_time_zone(Authorities::CreatedAt))
                    .col(timestamp_with_time_zone(Authorities::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            (
                "idx_authorities_province_name",
                vec![Authorities::Province, Authorities::Name],
            ),
            ("idx_authorities_name", vec![Authorities::Name]),
            (
                "idx_authorities_kind_name",
                vec![Authorities::Kind, Authorities::Name],
            ),
        ] {
            let mut idx = Index::create()
                .name(name)
                .table(Authorities::Table)
                .to_owned();
            for c in cols {
                idx.col(c);
            }
            manager.create_index(idx).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(TaskForces::Table)
                    .col(string_len(TaskForces::Code, 40).primary_key())
                    .col(string(TaskForces::Name))
                    .col(integer(TaskForces::Position))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Procedures::Table)
                    .col(big_pk_auto(Procedures::Id))
                    .col(string_len_uniq(Procedures::Code, 40))
                    .col(string_len(Procedures::TaskForce, 40))
                    .col(string(Procedures::Name))
                    .col(integer(Procedures::LegalTermDays))
                    .col(boolean(Procedures::TermIndicative).default(false))
                    .col(boolean(Procedures::Active).default(true))
                    .col(integer(Procedures::Version).default(1))
                    .col(timestamp_with_time_zone(Procedures::CreatedAt))
                    .col(timestamp_with_time_zone(Procedures::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_procedures_task_force")
                            .from(Procedures::Table, Procedures::TaskForce)
                            .to(TaskForces::Table, TaskForces::Code),
                    )
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            Procedures::Table.into_iden(),
            TaskForces::Table.into_iden(),
            Authorities::Table.into_iden(),
            Provinces::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(t).to_owned())
                .await?;
        }
        Ok(())
    }
}
