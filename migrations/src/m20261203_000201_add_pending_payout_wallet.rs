//! A payout wallet change waiting out its cool-off: the wallet asked for,
//! when it takes effect and when it was asked for (unix milliseconds). All
//! three are NULL when no change is pending; the wallet in force stays in
//! `payout_wallet` until then.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Merchants {
    Table,
    PendingPayoutWallet,
    PendingPayoutWalletAt,
    PendingPayoutWalletRequestedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE statement.
        for column in [
            text_null(Merchants::PendingPayoutWallet),
            big_integer_null(Merchants::PendingPayoutWalletAt),
            big_integer_null(Merchants::PendingPayoutWalletRequestedAt),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Merchants::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            Merchants::PendingPayoutWalletRequestedAt,
            Merchants::PendingPayoutWalletAt,
            Merchants::PendingPayoutWallet,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Merchants::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
