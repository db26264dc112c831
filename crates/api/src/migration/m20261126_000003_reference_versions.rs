//! A version counter per kind of reference data, bumped in the same transaction as every change,
//! so that servers holding the data in memory know when to reload it (even when the change was
//! made by another process, such as `affianca import-authorities`).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ReferenceVersions {
    Table,
    Name,
    Version,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ReferenceVersions::Table)
                    .col(string_len(ReferenceVersions::Name, 40).primary_key())
                    .col(big_integer(ReferenceVersions::Version).default(1))
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(ReferenceVersions::Table)
                    .columns([ReferenceVersions::Name, ReferenceVersions::Version])
                    .values_panic(["authorities".into(), 1i64.into()])
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ReferenceVersions::Table).to_owned())
            .await
    }
}
