//! Payouts: one `sweeps` row per movement of money out of a deposit address
//! (keyed `(session_id, sequence)`), the signed transactions that carry it
//! (`payout_transactions`, stored before broadcast so a restart re-sends the
//! same bytes), the deposits each sweep takes (`deposits.sweep_id`), and the
//! operators' requests the server carries out (`payout_requests`: retry a
//! sweep, forward or refund held money), queued as rows because the CLI
//! runs in another process and never signs.
//!
//! Amounts are USDC base units (BIGINT); fees in wei are decimal TEXT (they
//! can pass 2^63); addresses and hashes are lower-case `0x` hex.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Sweeps {
    Table,
    Id,
    SessionId,
    Sequence,
    MerchantId,
    Kind,
    DepositAddress,
    HdIndex,
    Destination,
    FeeWallet,
    AmountUnits,
    FeeUnits,
    Method,
    Lane,
    State,
    TxidOut,
    Attempts,
    NextAttemptAt,
    LastError,
    CreatedAt,
    SentAt,
    AnnouncedAt,
    RequestedBy,
}

#[derive(DeriveIden)]
enum PayoutTransactions {
    Table,
    Id,
    SweepId,
    Leg,
    Sender,
    Nonce,
    TxHash,
    Raw,
    MaxFeeWei,
    PriorityFeeWei,
    AuthNonce,
    State,
    ReplacesId,
    BroadcastBlock,
    MinedBlock,
    GasUsed,
    GasPriceWei,
    CreatedAt,
}

#[derive(DeriveIden)]
enum PayoutRequests {
    Table,
    Id,
    Action,
    SweepId,
    DepositId,
    Destination,
    RequestedBy,
    RequestedAt,
    DoneAt,
    Outcome,
}

#[derive(DeriveIden)]
enum Deposits {
    Table,
    SweepId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Sweeps::Table)
                    .col(big_pk_auto(Sweeps::Id))
                    .col(big_integer(Sweeps::SessionId))
                    .col(integer(Sweeps::Sequence))
                    .col(big_integer(Sweeps::MerchantId))
                    // `sweep` (counted money of a paid session), `forward` or
                    // `refund` (held money, on an operator's request).
                    .col(string(Sweeps::Kind))
                    .col(text(Sweeps::DepositAddress))
                    .col(big_integer(Sweeps::HdIndex))
                    // Written when the row is made: a later payout-wallet
                    // change affects only later sweeps.
                    .col(text(Sweeps::Destination))
                    .col(text_null(Sweeps::FeeWallet))
                    .col(big_integer(Sweeps::AmountUnits))
                    .col(big_integer(Sweeps::FeeUnits))
                    // `eip3009` or `topup`.
                    .col(string(Sweeps::Method))
                    // The gas account whose nonces carry this sweep.
                    .col(text(Sweeps::Lane))
                    // `queued`, `sending`, `sent` or `failed`.
                    .col(string(Sweeps::State))
                    .col(text_null(Sweeps::TxidOut))
                    .col(integer(Sweeps::Attempts).default(0))
                    .col(big_integer(Sweeps::NextAttemptAt))
                    .col(text_null(Sweeps::LastError))
                    .col(big_integer(Sweeps::CreatedAt))
                    .col(big_integer_null(Sweeps::SentAt))
                    // When the session recorded it (txid_out, `payout_sent`).
                    .col(big_integer_null(Sweeps::AnnouncedAt))
                    .col(text_null(Sweeps::RequestedBy))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_sweeps_session_sequence")
                    .table(Sweeps::Table)
                    .col(Sweeps::SessionId)
                    .col(Sweeps::Sequence)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_sweeps_state")
                    .table(Sweeps::Table)
                    .col(Sweeps::State)
                    .col(Sweeps::NextAttemptAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PayoutTransactions::Table)
                    .col(big_pk_auto(PayoutTransactions::Id))
                    .col(big_integer(PayoutTransactions::SweepId))
                    // `merchant`, `fee`, `refund` or `topup`.
                    .col(string(PayoutTransactions::Leg))
                    .col(text(PayoutTransactions::Sender))
                    .col(big_integer(PayoutTransactions::Nonce))
                    .col(text_uniq(PayoutTransactions::TxHash))
                    .col(text(PayoutTransactions::Raw))
                    .col(text(PayoutTransactions::MaxFeeWei))
                    .col(text(PayoutTransactions::PriorityFeeWei))
                    .col(text_null(PayoutTransactions::AuthNonce))
                    // `signed`, `broadcast`, `mined`, `reverted` or `replaced`.
                    .col(string(PayoutTransactions::State))
                    .col(big_integer_null(PayoutTransactions::ReplacesId))
                    .col(big_integer_null(PayoutTransactions::BroadcastBlock))
                    .col(big_integer_null(PayoutTransactions::MinedBlock))
                    .col(big_integer_null(PayoutTransactions::GasUsed))
                    .col(text_null(PayoutTransactions::GasPriceWei))
                    .col(big_integer(PayoutTransactions::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(PayoutTransactions::Table, PayoutTransactions::SweepId)
                            .to(Sweeps::Table, Sweeps::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_payout_transactions_sweep")
                    .table(PayoutTransactions::Table)
                    .col(PayoutTransactions::SweepId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_payout_transactions_lane")
                    .table(PayoutTransactions::Table)
                    .col(PayoutTransactions::Sender)
                    .col(PayoutTransactions::Nonce)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PayoutRequests::Table)
                    .col(big_pk_auto(PayoutRequests::Id))
                    // `retry`, `forward` or `refund`.
                    .col(string(PayoutRequests::Action))
                    .col(big_integer_null(PayoutRequests::SweepId))
                    .col(big_integer_null(PayoutRequests::DepositId))
                    .col(text_null(PayoutRequests::Destination))
                    .col(text(PayoutRequests::RequestedBy))
                    .col(big_integer(PayoutRequests::RequestedAt))
                    .col(big_integer_null(PayoutRequests::DoneAt))
                    .col(text_null(PayoutRequests::Outcome))
                    .to_owned(),
            )
            .await?;
        let mut sweep_id = big_integer_null(Deposits::SweepId);
        manager
            .alter_table(
                Table::alter()
                    .table(Deposits::Table)
                    .add_column(&mut sweep_id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_deposits_sweep")
                    .table(Deposits::Table)
                    .col(Deposits::SweepId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_deposits_sweep")
                    .table(Deposits::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Deposits::Table)
                    .drop_column(Deposits::SweepId)
                    .to_owned(),
            )
            .await?;
        for table in [
            PayoutRequests::Table.into_iden(),
            PayoutTransactions::Table.into_iden(),
            Sweeps::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
