//! Programme phases and the authorities each one enables.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Phases {
    Table,
    Id,
    Name,
    StartDate,
    Description,
    CreatedAt,
}

#[derive(DeriveIden)]
enum PhaseAuthorities {
    Table,
    PhaseId,
    AuthorityCode,
    AddedAt,
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
                    .table(Phases::Table)
                    .col(big_pk_auto(Phases::Id))
                    .col(string_len_uniq(Phases::Name, 200))
                    .col(date(Phases::StartDate))
                    .col(text(Phases::Description))
                    .col(timestamp_with_time_zone(Phases::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PhaseAuthorities::Table)
                    .col(big_integer(PhaseAuthorities::PhaseId))
                    .col(string_len(PhaseAuthorities::AuthorityCode, 6))
                    .col(timestamp_with_time_zone(PhaseAuthorities::AddedAt))
                    .primary_key(
                        Index::create()
                            .col(PhaseAuthorities::PhaseId)
                            .col(PhaseAuthorities::AuthorityCode),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_phase_authorities_phase")
                            .from(PhaseAuthorities::Table, PhaseAuthorities::PhaseId)
                            .to(Phases::Table, Phases::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_phase_authorities_authority")
                            .from(PhaseAuthorities::Table, PhaseAuthorities::AuthorityCode)
                            .to(Authorities::Table, Authorities::IstatCode),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_phase_authorities_authority")
                    .table(PhaseAuthorities::Table)
                    .col(PhaseAuthorities::AuthorityCode)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PhaseAuthorities::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Phases::Table).to_owned())
            .await
    }
}
