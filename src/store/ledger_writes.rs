//! Writes to the sandbox ledger: append empty blocks, mine a block holding
//! one transfer, replace the top blocks (a reorg, which also drops the
//! signed transactions those blocks held: see `ledger_tx_writes`).
//!
//! Every write first locks the genesis row (`FOR UPDATE` on PostgreSQL; on
//! SQLite `BEGIN IMMEDIATE` already serialises writers), then reads the head
//! inside that transaction: nodes sharing one database take turns, so no two
//! blocks get one number and every parent hash is the block below. The
//! primary key on the number stays as the backstop. Hashes come from the
//! caller; nothing here invents one.

use alloy_primitives::B256;
use kassa_entities::{ledger_block, ledger_transaction, ledger_transfer};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::ledger::{
    LedgerBlock, LedgerTransfer, NewLedgerTransfer, ReorgOutcome, TransferOutcome, balance_on,
    head_on, missing,
};
use super::ledger_rows::{block_record, hex_address, hex_hash, to_i64, transfer_record};
use super::ledger_tx_writes::drop_transactions_in;
use super::{Store, StoreError};

impl Store {
    /// Appends one empty block per hash, each the parent of the next;
    /// returns the new head.
    pub async fn mine_ledger_blocks(
        &self,
        hashes: &[B256],
        now_ms: i64,
    ) -> Result<LedgerBlock, StoreError> {
        let txn = self.begin_write().await?;
        lock_ledger(&*txn).await?;
        let head = head_on(&*txn).await?;
        let new_head = append_blocks(&*txn, &head, hashes, now_ms).await?;
        txn.commit().await?;
        Ok(new_head)
    }

    /// Mines one block (hash `block_hash`) holding `transfer` at log index 0,
    /// then one empty block per hash of `then`, all in one transaction (no
    /// reader sees the transfer without them), unless its sender cannot pay.
    pub async fn mine_ledger_transfer(
        &self,
        block_hash: B256,
        transfer: &NewLedgerTransfer,
        then: &[B256],
        now_ms: i64,
    ) -> Result<TransferOutcome, StoreError> {
        let txn = self.begin_write().await?;
        lock_ledger(&*txn).await?;
        if !transfer.minted {
            let balance = balance_on(&*txn, transfer.token, transfer.from).await?;
            if balance < i128::from(transfer.amount) {
                let balance = u64::try_from(balance.max(0)).unwrap_or(u64::MAX);
                return Ok(TransferOutcome::Insufficient { balance });
            }
        }
        let head = head_on(&*txn).await?;
        let block = append_blocks(&*txn, &head, &[block_hash], now_ms).await?;
        let row = ledger_transfer::ActiveModel {
            block_number: Set(to_i64(block.number)),
            tx_hash: Set(hex_hash(&transfer.tx_hash)),
            log_index: Set(0),
            token: Set(hex_address(&transfer.token)),
            from_address: Set(hex_address(&transfer.from)),
            to_address: Set(hex_address(&transfer.to)),
            amount: Set(amount_i64(transfer.amount)?),
            ..Default::default()
        };
        ledger_transfer::Entity::insert(row)
            .exec_without_returning(&*txn)
            .await?;
        append_blocks(&*txn, &block, then, now_ms).await?;
        txn.commit().await?;
        Ok(TransferOutcome::Mined(LedgerTransfer {
            block_number: block.number,
            block_hash: block.hash,
            tx_hash: transfer.tx_hash,
            log_index: 0,
            token: transfer.token,
            from: transfer.from,
            to: transfer.to,
            amount: transfer.amount,
        }))
    }

    /// Replaces the top `new_hashes.len()` blocks with empty blocks of these
    /// hashes (same heights); the transfers they held are dropped.
    pub async fn reorg_ledger(
        &self,
        new_hashes: &[B256],
        now_ms: i64,
    ) -> Result<ReorgOutcome, StoreError> {
        let depth = u64::try_from(new_hashes.len()).unwrap_or(u64::MAX);
        let txn = self.begin_write().await?;
        lock_ledger(&*txn).await?;
        let head = head_on(&*txn).await?;
        if depth >= head.number.saturating_add(1) {
            return Ok(ReorgOutcome::BeyondGenesis { head: head.number });
        }
        let base_number = head.number - depth;
        let dropped = ledger_transfer::Entity::find()
            .find_also_related(ledger_block::Entity)
            .filter(ledger_transfer::Column::BlockNumber.gt(to_i64(base_number)))
            .order_by_asc(ledger_transfer::Column::BlockNumber)
            .order_by_asc(ledger_transfer::Column::LogIndex)
            .all(&*txn)
            .await?
            .into_iter()
            .map(|(transfer, block)| transfer_record(transfer, block))
            .collect::<Result<Vec<_>, _>>()?;
        drop_transactions_in(&*txn, to_i64(base_number + 1), i64::MAX).await?;
        ledger_transfer::Entity::delete_many()
            .filter(ledger_transfer::Column::BlockNumber.gt(to_i64(base_number)))
            .exec(&*txn)
            .await?;
        ledger_block::Entity::delete_many()
            .filter(ledger_block::Column::Number.gt(to_i64(base_number)))
            .exec(&*txn)
            .await?;
        let base = ledger_block::Entity::find_by_id(to_i64(base_number))
            .one(&*txn)
            .await?
            .ok_or_else(|| missing(&format!("block {base_number}")))?;
        append_blocks(&*txn, &block_record(base)?, new_hashes, now_ms).await?;
        txn.commit().await?;
        Ok(ReorgOutcome::Replaced { dropped })
    }

    /// Replaces the block holding transaction `tx_hash` with an empty one of
    /// hash `new_hash` at the same height (the block above now points at it):
    /// a reorg of that one block, which the sandbox uses to rehearse a
    /// reversed payment without touching later payments. Returns the
    /// replaced block's number, `None` when no such transaction or transfer is
    /// on the ledger. The transactions of the block leave with it.
    pub async fn replace_ledger_block_of(
        &self,
        tx_hash: B256,
        new_hash: B256,
    ) -> Result<Option<u64>, StoreError> {
        let txn = self.begin_write().await?;
        lock_ledger(&*txn).await?;
        let Some(number) = block_of(&*txn, tx_hash).await? else {
            return Ok(None);
        };
        drop_transactions_in(&*txn, number, number).await?;
        ledger_transfer::Entity::delete_many()
            .filter(ledger_transfer::Column::BlockNumber.eq(number))
            .exec(&*txn)
            .await?;
        ledger_block::Entity::update_many()
            .col_expr(ledger_block::Column::Hash, Expr::value(hex_hash(&new_hash)))
            .filter(ledger_block::Column::Number.eq(number))
            .exec(&*txn)
            .await?;
        ledger_block::Entity::update_many()
            .col_expr(
                ledger_block::Column::ParentHash,
                Expr::value(hex_hash(&new_hash)),
            )
            .filter(ledger_block::Column::Number.eq(number + 1))
            .exec(&*txn)
            .await?;
        txn.commit().await?;
        Ok(u64::try_from(number).ok())
    }
}

/// The number of the block holding transaction `tx_hash`: a signed
/// transaction, or a transfer the ledger minted (which has no transaction row).
async fn block_of(conn: &impl ConnectionTrait, tx_hash: B256) -> Result<Option<i64>, StoreError> {
    let hash = hex_hash(&tx_hash);
    let signed = ledger_transaction::Entity::find()
        .filter(ledger_transaction::Column::TxHash.eq(hash.clone()))
        .one(conn)
        .await?;
    if let Some(tx) = signed {
        return Ok(Some(tx.block_number));
    }
    Ok(ledger_transfer::Entity::find()
        .filter(ledger_transfer::Column::TxHash.eq(hash))
        .one(conn)
        .await?
        .map(|transfer| transfer.block_number))
}

/// Takes the ledger's write lock: the genesis row, held to the end of the
/// transaction. (SQLite ignores `FOR UPDATE`; its write transaction is the lock.)
pub(super) async fn lock_ledger(conn: &impl ConnectionTrait) -> Result<(), StoreError> {
    ledger_block::Entity::find_by_id(0)
        .lock_exclusive()
        .one(conn)
        .await?
        .ok_or_else(|| missing("the genesis block"))?;
    Ok(())
}

/// Inserts one block per hash on top of `parent`; returns the last (or `parent`).
pub(super) async fn append_blocks(
    conn: &impl ConnectionTrait,
    parent: &LedgerBlock,
    hashes: &[B256],
    now_ms: i64,
) -> Result<LedgerBlock, StoreError> {
    let mut top = parent.clone();
    let mut rows = Vec::with_capacity(hashes.len());
    for hash in hashes {
        let block = LedgerBlock {
            number: top.number + 1,
            hash: *hash,
            parent_hash: top.hash,
            mined_at_ms: now_ms,
        };
        rows.push(ledger_block::ActiveModel {
            number: Set(to_i64(block.number)),
            hash: Set(hex_hash(&block.hash)),
            parent_hash: Set(hex_hash(&block.parent_hash)),
            mined_at: Set(now_ms),
        });
        top = block;
    }
    // Chunks stay under the bind-parameter limits (SQLite: 32,766).
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        ledger_block::Entity::insert_many(rows.by_ref().take(1000))
            .exec_without_returning(conn)
            .await?;
    }
    Ok(top)
}

pub(super) fn amount_i64(amount: u64) -> Result<i64, StoreError> {
    i64::try_from(amount).map_err(|_| {
        StoreError::Unexpected(anyhow::anyhow!(
            "a ledger amount of {amount} base units does not fit a BIGINT"
        ))
    })
}
