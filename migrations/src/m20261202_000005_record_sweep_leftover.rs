//! The POL left on a deposit address after a gas top-up sweep: the top-up
//! carries enough for the transfers at their highest fee plus two bumps,
//! and what they did not burn stays on the address. Recorded per sweep
//! (wei as decimal TEXT: it can pass 2^63) so an operator can see and
//! reclaim it; NULL for EIP-3009 sweeps, which never send POL there.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Sweeps {
    Table,
    LeftoverWei,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Sweeps::Table)
                    .add_column(text_null(Sweeps::LeftoverWei))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Sweeps::Table)
                    .drop_column(Sweeps::LeftoverWei)
                    .to_owned(),
            )
            .await
    }
}
