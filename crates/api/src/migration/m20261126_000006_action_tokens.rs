//! Single-use tokens sent by e-mail: delegate invitations and password resets. Only the SHA-256
//! of a token is stored.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ActionTokens {
    Table,
    Id,
    Purpose,
    TokenHash,
    Email,
    UserId,
    AuthorityCode,
    CreatedBy,
    CreatedAt,
    ExpiresAt,
    UsedAt,
    RevokedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ActionTokens::Table)
                    .col(big_pk_auto(ActionTokens::Id))
                    .col(string_len(ActionTokens::Purpose, 32))
                    .col(string_len_uniq(ActionTokens::TokenHash, 64))
                    .col(string_len(ActionTokens::Email, 254))
                    .col(big_integer_null(ActionTokens::UserId))
                    .col(string_len_null(ActionTokens::AuthorityCode, 6))
                    .col(big_integer_null(ActionTokens::CreatedBy))
                    .col(timestamp_with_time_zone(ActionTokens::CreatedAt))
                    .col(timestamp_with_time_zone(ActionTokens::ExpiresAt))
                    .col(timestamp_with_time_zone_null(ActionTokens::UsedAt))
                    .col(timestamp_with_time_zone_null(ActionTokens::RevokedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_action_tokens_authority")
                    .table(ActionTokens::Table)
                    .col(ActionTokens::Purpose)
                    .col(ActionTokens::AuthorityCode)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ActionTokens::Table).to_owned())
            .await
    }
}
