//! The sandbox ledger: a tiny chain kept in the database (blocks, and the
//! USDC transfers they hold), so sandbox payments take the same path as live
//! ones, survive restarts and are shared by every node on one database.
//!
//! Hashes and addresses are lower-case `0x` hex; amounts are token base
//! units (BIGINT). The genesis block (number 0) is inserted here, so the
//! ledger always has a head; its row doubles as the lock every ledger write
//! takes first (`SELECT … FOR UPDATE`), so nodes mining at once queue.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum LedgerBlocks {
    Table,
    Number,
    Hash,
    ParentHash,
    MinedAt,
}

#[derive(DeriveIden)]
enum LedgerTransfers {
    Table,
    Id,
    BlockNumber,
    TxHash,
    LogIndex,
    Token,
    FromAddress,
    ToAddress,
    Amount,
}

/// sha256("kassa sandbox ledger: genesis"): fixed, so every database's
/// ledger starts from the same block.
const GENESIS_HASH: &str = "0xc2a4be665de49e960ad14f82d53c17edbf135cbb2d222930ae582e819f5ef512";
const ZERO_HASH: &str = "0x0000000000000000000000000000000000000000000000000000000000000000";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(LedgerBlocks::Table)
                    .col(big_integer(LedgerBlocks::Number).primary_key())
                    .col(text_uniq(LedgerBlocks::Hash))
                    .col(text(LedgerBlocks::ParentHash))
                    .col(big_integer(LedgerBlocks::MinedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(LedgerTransfers::Table)
                    .col(big_pk_auto(LedgerTransfers::Id))
                    .col(big_integer(LedgerTransfers::BlockNumber))
                    .col(text(LedgerTransfers::TxHash))
                    .col(big_integer(LedgerTransfers::LogIndex))
                    .col(text(LedgerTransfers::Token))
                    .col(text(LedgerTransfers::FromAddress))
                    .col(text(LedgerTransfers::ToAddress))
                    .col(big_integer(LedgerTransfers::Amount))
                    .foreign_key(
                        ForeignKey::create()
                            .from(LedgerTransfers::Table, LedgerTransfers::BlockNumber)
                            .to(LedgerBlocks::Table, LedgerBlocks::Number),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_ledger_transfers_tx_log")
                    .table(LedgerTransfers::Table)
                    .col(LedgerTransfers::TxHash)
                    .col(LedgerTransfers::LogIndex)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_ledger_transfers_block")
                    .table(LedgerTransfers::Table)
                    .col(LedgerTransfers::BlockNumber)
                    .col(LedgerTransfers::LogIndex)
                    .to_owned(),
            )
            .await?;
        // Balances sum one address's incoming and outgoing transfers of a token.
        manager
            .create_index(
                Index::create()
                    .name("idx_ledger_transfers_to")
                    .table(LedgerTransfers::Table)
                    .col(LedgerTransfers::Token)
                    .col(LedgerTransfers::ToAddress)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_ledger_transfers_from")
                    .table(LedgerTransfers::Table)
                    .col(LedgerTransfers::Token)
                    .col(LedgerTransfers::FromAddress)
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(LedgerBlocks::Table)
                    .columns([
                        LedgerBlocks::Number,
                        LedgerBlocks::Hash,
                        LedgerBlocks::ParentHash,
                        LedgerBlocks::MinedAt,
                    ])
                    .values_panic([
                        0i64.into(),
                        GENESIS_HASH.into(),
                        ZERO_HASH.into(),
                        0i64.into(),
                    ])
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            LedgerTransfers::Table.into_iden(),
            LedgerBlocks::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
