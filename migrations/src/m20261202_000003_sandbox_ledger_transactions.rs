//! The signed transactions the sandbox ledger executes (payouts in sandbox
//! mode): one row per mined transaction with what its receipt reports, and
//! the EIP-3009 authorizations the token has consumed.
//!
//! A row exists only while its block is canonical: a reorg deletes the
//! transactions of the blocks it replaces and frees their authorizations.
//! Hashes and addresses are lower-case `0x` hex, as in the ledger's other
//! tables; the unique (sender, nonce) index is the backstop that keeps one
//! canonical transaction per nonce.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum LedgerBlocks {
    Table,
    Number,
}

#[derive(DeriveIden)]
enum LedgerTransactions {
    Table,
    Id,
    TxHash,
    Sender,
    Nonce,
    ToAddress,
    BlockNumber,
    Success,
    GasUsed,
    /// Wei per gas, as decimal text (a u128 does not fit a BIGINT).
    EffectiveGasPrice,
}

#[derive(DeriveIden)]
enum LedgerAuthorizations {
    Table,
    Id,
    Token,
    Authorizer,
    Nonce,
    TxHash,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(LedgerTransactions::Table)
                    .col(big_pk_auto(LedgerTransactions::Id))
                    .col(text_uniq(LedgerTransactions::TxHash))
                    .col(text(LedgerTransactions::Sender))
                    .col(big_integer(LedgerTransactions::Nonce))
                    .col(text(LedgerTransactions::ToAddress))
                    .col(big_integer(LedgerTransactions::BlockNumber))
                    .col(boolean(LedgerTransactions::Success))
                    .col(big_integer(LedgerTransactions::GasUsed))
                    .col(text(LedgerTransactions::EffectiveGasPrice))
                    .foreign_key(
                        ForeignKey::create()
                            .from(LedgerTransactions::Table, LedgerTransactions::BlockNumber)
                            .to(LedgerBlocks::Table, LedgerBlocks::Number),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_ledger_transactions_sender_nonce")
                    .table(LedgerTransactions::Table)
                    .col(LedgerTransactions::Sender)
                    .col(LedgerTransactions::Nonce)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // A reorg deletes the transactions above a height.
        manager
            .create_index(
                Index::create()
                    .name("idx_ledger_transactions_block")
                    .table(LedgerTransactions::Table)
                    .col(LedgerTransactions::BlockNumber)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(LedgerAuthorizations::Table)
                    .col(big_pk_auto(LedgerAuthorizations::Id))
                    .col(text(LedgerAuthorizations::Token))
                    .col(text(LedgerAuthorizations::Authorizer))
                    .col(text(LedgerAuthorizations::Nonce))
                    .col(text(LedgerAuthorizations::TxHash))
                    .foreign_key(
                        ForeignKey::create()
                            .from(LedgerAuthorizations::Table, LedgerAuthorizations::TxHash)
                            .to(LedgerTransactions::Table, LedgerTransactions::TxHash),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_ledger_authorizations_used")
                    .table(LedgerAuthorizations::Table)
                    .col(LedgerAuthorizations::Token)
                    .col(LedgerAuthorizations::Authorizer)
                    .col(LedgerAuthorizations::Nonce)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // A reorg frees the authorizations of the transactions it drops.
        manager
            .create_index(
                Index::create()
                    .name("idx_ledger_authorizations_tx")
                    .table(LedgerAuthorizations::Table)
                    .col(LedgerAuthorizations::TxHash)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            LedgerAuthorizations::Table.into_iden(),
            LedgerTransactions::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
