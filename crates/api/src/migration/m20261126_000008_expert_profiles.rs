//! Expert profiles: provinces covered, professional profile, how many requests at once.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ExpertProfiles {
    Table,
    UserId,
    Provinces,
    ProfessionalProfile,
    MaxConcurrentRequests,
    Version,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ExpertProfiles::Table)
                    .col(big_integer(ExpertProfiles::UserId).primary_key())
                    .col(string(ExpertProfiles::Provinces))
                    .col(text(ExpertProfiles::ProfessionalProfile))
                    .col(integer(ExpertProfiles::MaxConcurrentRequests))
                    .col(integer(ExpertProfiles::Version).default(1))
                    .col(timestamp_with_time_zone(ExpertProfiles::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_expert_profiles_user")
                            .from(ExpertProfiles::Table, ExpertProfiles::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ExpertProfiles::Table).to_owned())
            .await
    }
}
