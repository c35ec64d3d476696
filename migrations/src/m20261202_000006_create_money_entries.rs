//! The money journal: every movement of money as a double entry (debit one
//! account, credit another) in the transaction that makes it happen. USDC
//! in base units, gas in wei (`unit`), amounts as decimal TEXT (wei pass
//! 2^63). Accounts: `customer`, `deposit:<session id>` (what a session's
//! deposit address holds), `merchant:<id>`, `platform` (fees), `loss`,
//! `gas:<account>` and `gas_spent`. Deposits already booked are entered as
//! they stand.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum MoneyEntries {
    Table,
    Id,
    CreatedAt,
    Kind,
    Unit,
    Amount,
    Debit,
    Credit,
    SessionId,
    DepositId,
    SweepId,
    TxHash,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(MoneyEntries::Table)
                    .col(big_pk_auto(MoneyEntries::Id))
                    .col(big_integer(MoneyEntries::CreatedAt))
                    // counted, held, reversed, loss, forwarded, released,
                    // refunded, fee, gas.
                    .col(string(MoneyEntries::Kind))
                    // `usdc` (base units) or `wei` (POL).
                    .col(string(MoneyEntries::Unit))
                    .col(text(MoneyEntries::Amount))
                    .col(text(MoneyEntries::Debit))
                    .col(text(MoneyEntries::Credit))
                    .col(big_integer_null(MoneyEntries::SessionId))
                    .col(big_integer_null(MoneyEntries::DepositId))
                    .col(big_integer_null(MoneyEntries::SweepId))
                    .col(text_null(MoneyEntries::TxHash))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_money_entries_session")
                    .table(MoneyEntries::Table)
                    .col(MoneyEntries::SessionId)
                    .to_owned(),
            )
            .await?;
        // Deposits booked before the journal existed enter it as they stand
        // (no sweep was ever sent before this migration).
        manager
            .get_connection()
            .execute_unprepared(
                "INSERT INTO money_entries \
                 (created_at, kind, unit, amount, debit, credit, session_id, deposit_id) \
                 SELECT observed_at, \
                        CASE WHEN state = 'counted' THEN 'counted' ELSE 'held' END, \
                        'usdc', CAST(amount_usdc AS TEXT), \
                        'deposit:' || CAST(session_id AS TEXT), 'customer', session_id, id \
                 FROM deposits WHERE state IN ('counted', 'late')",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(MoneyEntries::Table).to_owned())
            .await
    }
}
