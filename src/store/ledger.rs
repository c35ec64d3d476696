//! The sandbox ledger's rows: blocks chained by parent hash and the token
//! transfers they hold, as records for `chain::ledger`. Reads live here
//! (head, a block, transfers in a range, balances); writes, and the lock
//! they take, live in `ledger_writes`.
//!
//! It must not know what a transfer means for a session.

use alloy_primitives::{Address, B256};
use kassa_entities::{ledger_block, ledger_transfer};
use sea_orm::sea_query::{Alias, Expr, Func};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::ledger_rows::{block_record, hex_address, to_i64, transfer_record};
use super::{Store, StoreError};

/// One block of the ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerBlock {
    pub number: u64,
    pub hash: B256,
    pub parent_hash: B256,
    pub mined_at_ms: i64,
}

/// One transfer on the ledger, with the hash of the block holding it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerTransfer {
    pub block_number: u64,
    pub block_hash: B256,
    pub tx_hash: B256,
    pub log_index: u64,
    pub token: Address,
    pub from: Address,
    pub to: Address,
    /// Token base units.
    pub amount: u64,
}

/// A transfer to mine in a new block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLedgerTransfer {
    pub tx_hash: B256,
    pub token: Address,
    pub from: Address,
    pub to: Address,
    pub amount: u64,
    /// The sender needs no balance (a faucet minting tokens); otherwise the
    /// transfer is refused when the sender holds less than `amount`.
    pub minted: bool,
}

/// What mining a transfer did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransferOutcome {
    Mined(LedgerTransfer),
    /// The sender holds less than the amount; nothing was written.
    Insufficient {
        balance: u64,
    },
}

/// What a reorg did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReorgOutcome {
    /// The top blocks were replaced; these transfers left the chain.
    Replaced { dropped: Vec<LedgerTransfer> },
    /// The reorg would have replaced the genesis block; nothing was written.
    BeyondGenesis { head: u64 },
}

impl Store {
    /// The newest block.
    pub async fn ledger_head(&self) -> Result<LedgerBlock, StoreError> {
        head_on(self.db()).await
    }

    /// Block `number`, `None` above the head.
    pub async fn ledger_block(&self, number: u64) -> Result<Option<LedgerBlock>, StoreError> {
        let Ok(number) = i64::try_from(number) else {
            return Ok(None);
        };
        ledger_block::Entity::find_by_id(number)
            .one(self.db())
            .await?
            .map(block_record)
            .transpose()
    }

    /// `token`'s transfers in blocks `from..=to`, by block then log index.
    pub async fn ledger_transfers(
        &self,
        token: Address,
        from: u64,
        to: u64,
    ) -> Result<Vec<LedgerTransfer>, StoreError> {
        if from > to {
            return Ok(Vec::new());
        }
        let (Ok(from), to) = (i64::try_from(from), to_i64(to)) else {
            return Ok(Vec::new());
        };
        // One statement (a join), so a reorg between two reads cannot pair
        // a transfer with the hash of the block that replaced its own.
        ledger_transfer::Entity::find()
            .find_also_related(ledger_block::Entity)
            .filter(ledger_transfer::Column::Token.eq(hex_address(&token)))
            .filter(ledger_transfer::Column::BlockNumber.between(from, to))
            .order_by_asc(ledger_transfer::Column::BlockNumber)
            .order_by_asc(ledger_transfer::Column::LogIndex)
            .all(self.db())
            .await?
            .into_iter()
            .map(|(transfer, block)| transfer_record(transfer, block))
            .collect()
    }

    /// Received minus sent, in `token` base units, over the canonical chain
    /// (negative for a faucet, which sends what it never received).
    pub async fn ledger_balance(
        &self,
        token: Address,
        address: Address,
    ) -> Result<i128, StoreError> {
        Ok(balance_on(self.db(), token, address).await?)
    }
}

pub(super) async fn head_on(conn: &impl ConnectionTrait) -> Result<LedgerBlock, StoreError> {
    let row = ledger_block::Entity::find()
        .order_by_desc(ledger_block::Column::Number)
        .one(conn)
        .await?
        .ok_or_else(|| missing("the genesis block"))?;
    block_record(row)
}

pub(super) async fn balance_on(
    conn: &impl ConnectionTrait,
    token: Address,
    address: Address,
) -> Result<i128, DbErr> {
    let address = hex_address(&address);
    let received = sum_on(
        conn,
        token,
        ledger_transfer::Column::ToAddress.eq(address.clone()),
    )
    .await?;
    let sent = sum_on(
        conn,
        token,
        ledger_transfer::Column::FromAddress.eq(address),
    )
    .await?;
    Ok(i128::from(received) - i128::from(sent))
}

/// The sum of `token` amounts over the transfers matching `which` (0 if none).
async fn sum_on(conn: &impl ConnectionTrait, token: Address, which: Expr) -> Result<i64, DbErr> {
    // PostgreSQL sums BIGINT as NUMERIC: cast back, so both backends answer BIGINT.
    let sum = Expr::from(Func::cast_as(
        Func::sum(Expr::col(ledger_transfer::Column::Amount)),
        Alias::new("BIGINT"),
    ));
    let total = ledger_transfer::Entity::find()
        .select_only()
        .column_as(sum, "total")
        .filter(ledger_transfer::Column::Token.eq(hex_address(&token)))
        .filter(which)
        .into_tuple::<Option<i64>>()
        .one(conn)
        .await?;
    Ok(total.flatten().unwrap_or(0))
}

pub(super) fn missing(what: &str) -> StoreError {
    StoreError::Unexpected(anyhow::anyhow!("the sandbox ledger lacks {what}"))
}
