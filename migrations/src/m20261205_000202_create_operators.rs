//! Operators: the people who run a Kassa from the admin console. Apart
//! from merchants (their own table, their own login page and cookie).
//! `totp_secret` is sealed with the secrets key, NULL until enrolment has
//! begun; `totp_enabled` turns true once a first code was accepted, and
//! `totp_last_step` is the time step of the last accepted code, so a code
//! is never accepted twice. `failed_logins` and `last_failed_at` throttle
//! password guessing on every node.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Operators {
    Table,
    Id,
    Email,
    PasswordHash,
    TotpSecret,
    TotpEnabled,
    TotpLastStep,
    FailedLogins,
    LastFailedAt,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Operators::Table)
                    .col(big_pk_auto(Operators::Id))
                    .col(string_uniq(Operators::Email))
                    .col(text(Operators::PasswordHash))
                    .col(text_null(Operators::TotpSecret))
                    .col(boolean(Operators::TotpEnabled).default(false))
                    .col(big_integer_null(Operators::TotpLastStep))
                    .col(big_integer(Operators::FailedLogins).default(0))
                    .col(big_integer_null(Operators::LastFailedAt))
                    .col(big_integer(Operators::CreatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Operators::Table).to_owned())
            .await
    }
}
