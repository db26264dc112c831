//! Users, their role grants, refresh tokens and failed logins.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Email,
    FullName,
    PasswordHash,
    Active,
    CreatedAt,
}

#[derive(DeriveIden)]
enum RoleGrants {
    Table,
    Id,
    UserId,
    Role,
    Scope,
    GrantedAt,
    GrantedBy,
}

#[derive(DeriveIden)]
enum RefreshTokens {
    Table,
    Id,
    UserId,
    FamilyId,
    TokenHash,
    CreatedAt,
    ExpiresAt,
    UsedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum LoginFailures {
    Table,
    Id,
    Email,
    At,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .col(big_pk_auto(Users::Id))
                    .col(string_len_uniq(Users::Email, 254))
                    .col(string(Users::FullName))
                    .col(string(Users::PasswordHash))
                    .col(boolean(Users::Active).default(true))
                    .col(timestamp_with_time_zone(Users::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RoleGrants::Table)
                    .col(big_pk_auto(RoleGrants::Id))
                    .col(big_integer(RoleGrants::UserId))
                    .col(string_len(RoleGrants::Role, 32))
                    .col(string_len(RoleGrants::Scope, 64))
                    .col(timestamp_with_time_zone(RoleGrants::GrantedAt))
                    .col(big_integer_null(RoleGrants::GrantedBy))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_role_grants_user")
                            .from(RoleGrants::Table, RoleGrants::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_role_grants_user_role_scope")
                    .table(RoleGrants::Table)
                    .col(RoleGrants::UserId)
                    .col(RoleGrants::Role)
                    .col(RoleGrants::Scope)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RefreshTokens::Table)
                    .col(big_pk_auto(RefreshTokens::Id))
                    .col(big_integer(RefreshTokens::UserId))
                    .col(string_len(RefreshTokens::FamilyId, 36))
                    .col(string_len_uniq(RefreshTokens::TokenHash, 64))
                    .col(timestamp_with_time_zone(RefreshTokens::CreatedAt))
                    .col(timestamp_with_time_zone(RefreshTokens::ExpiresAt))
                    .col(timestamp_with_time_zone_null(RefreshTokens::UsedAt))
                    .col(timestamp_with_time_zone_null(RefreshTokens::RevokedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_refresh_tokens_user")
                            .from(RefreshTokens::Table, RefreshTokens::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_refresh_tokens_family")
                    .table(RefreshTokens::Table)
                    .col(RefreshTokens::FamilyId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(LoginFailures::Table)
                    .col(big_pk_auto(LoginFailures::Id))
                    .col(string_len(LoginFailures::Email, 254))
                    .col(timestamp_with_time_zone(LoginFailures::At))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_login_failures_email_at")
                    .table(LoginFailures::Table)
                    .col(LoginFailures::Email)
                    .col(LoginFailures::At)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            LoginFailures::Table.into_iden(),
            RefreshTokens::Table.into_iden(),
            RoleGrants::Table.into_iden(),
            Users::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(t).to_owned())
                .await?;
        }
        Ok(())
    }
}
