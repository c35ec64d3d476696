//! What the chain watcher needs to survive reorgs and restarts: each
//! deposit's block (number and hash) and sender, its state (`seen`,
//! `counted`, `late` — held after the grace window — or `dropped` by a
//! reorg), and the persisted scan position (`chain_cursors`).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Deposits {
    Table,
    BlockNumber,
    BlockHash,
    FromAddress,
    State,
    Counted,
}

#[derive(DeriveIden)]
enum ChainCursors {
    Table,
    Name,
    BlockNumber,
    BlockHash,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite takes one column change per ALTER TABLE.
        for column in [
            big_integer_null(Deposits::BlockNumber),
            text_null(Deposits::BlockHash),
            text_null(Deposits::FromAddress),
            string(Deposits::State).default("seen").to_owned(),
        ] {
            let mut column = column;
            manager
                .alter_table(
                    Table::alter()
                        .table(Deposits::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .exec_stmt(
                Query::update()
                    .table(Deposits::Table)
                    .value(Deposits::State, "counted")
                    .and_where(Expr::col(Deposits::Counted).eq(true))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_deposits_state_block")
                    .table(Deposits::Table)
                    .col(Deposits::State)
                    .col(Deposits::BlockNumber)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ChainCursors::Table)
                    .col(string(ChainCursors::Name).primary_key())
                    .col(big_integer(ChainCursors::BlockNumber))
                    .col(text(ChainCursors::BlockHash))
                    .col(big_integer(ChainCursors::UpdatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ChainCursors::Table).to_owned())
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("idx_deposits_state_block")
                    .table(Deposits::Table)
                    .to_owned(),
            )
            .await?;
        for column in [
            Deposits::State,
            Deposits::FromAddress,
            Deposits::BlockHash,
            Deposits::BlockNumber,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Deposits::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
