//! Account sessions of both kinds of user in one table: a merchant's
//! dashboard session or an operator's admin console session.
//!
//! `merchant_id` becomes `owner_id` (the merchant's or the operator's id) and
//! `realm` says which (`merchant` for every existing row). A session looked
//! up for one realm never answers for the other, and each realm has its own
//! cookie. `second_factor_pending` marks an operator session that has given
//! its password but not yet its TOTP code: it reaches only the code page.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum DashboardSessions {
    Table,
    MerchantId,
    OwnerId,
    Realm,
    SecondFactorPending,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One change per statement: SQLite alters one thing at a time.
        manager
            .alter_table(
                Table::alter()
                    .table(DashboardSessions::Table)
                    .rename_column(DashboardSessions::MerchantId, DashboardSessions::OwnerId)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(DashboardSessions::Table)
                    .add_column(string(DashboardSessions::Realm).default("merchant"))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(DashboardSessions::Table)
                    .add_column(boolean(DashboardSessions::SecondFactorPending).default(false))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            DashboardSessions::SecondFactorPending,
            DashboardSessions::Realm,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(DashboardSessions::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(DashboardSessions::Table)
                    .rename_column(DashboardSessions::OwnerId, DashboardSessions::MerchantId)
                    .to_owned(),
            )
            .await
    }
}
