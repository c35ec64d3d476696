//! Mining a signed transaction on the sandbox ledger, and removing the
//! transactions of blocks a reorg replaces.
//!
//! Mining takes the ledger lock as every ledger write does (see
//! `ledger_writes`), so nodes sharing one database queue and the checks
//! (hash already mined, nonce, balance, authorization unused) read the state
//! the new block builds on. A call that fails a state check is still mined,
//! reverted: its nonce is used and it moves nothing.

use alloy_primitives::B256;
use kassa_entities::{ledger_authorization, ledger_transaction, ledger_transfer};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::ledger::{balance_on, head_on};
use super::ledger_rows::{hex_address, hex_hash, to_i64};
use super::ledger_txs::{
    LedgerCall, LedgerReceipt, MineOutcome, NewLedgerTransaction, TokenMove, authorization_used_on,
    next_nonce_on, nonce_taken_on,
};
use super::ledger_writes::{amount_i64, append_blocks, lock_ledger};
use super::{Store, StoreError};

impl Store {
    /// Mines `tx` alone in a new block of hash `block_hash`, unless its hash
    /// is mined already or its nonce is not the sender's next. Its token
    /// movement happens when the sender holds the amount and the
    /// authorization (if any) is unused; otherwise it is mined reverted.
    pub async fn mine_ledger_transaction(
        &self,
        block_hash: B256,
        tx: &NewLedgerTransaction,
        now_ms: i64,
    ) -> Result<MineOutcome, StoreError> {
        let txn = self.begin_write().await?;
        lock_ledger(&*txn).await?;
        let known = ledger_transaction::Entity::find()
            .filter(ledger_transaction::Column::TxHash.eq(hex_hash(&tx.tx_hash)))
            .one(&*txn)
            .await?;
        if known.is_some() {
            return Ok(MineOutcome::AlreadyKnown);
        }
        let next = next_nonce_on(&*txn, tx.sender).await?;
        // A nonce past i64::MAX is never stored, so it is past `next`.
        let Ok(nonce) = i64::try_from(tx.nonce) else {
            return Ok(MineOutcome::NonceGap { next });
        };
        if nonce_taken_on(&*txn, tx.sender, nonce).await? {
            return Ok(MineOutcome::NonceTooLow { next });
        }
        if tx.nonce != next {
            return Ok(MineOutcome::NonceGap { next });
        }
        // Success, and the movement that happens with it (if any).
        let (success, movement) = match &tx.call {
            LedgerCall::Plain => (true, None),
            LedgerCall::Revert => (false, None),
            LedgerCall::Move(movement) => {
                let allowed = can_move(&*txn, movement).await?;
                (allowed, allowed.then_some(movement))
            }
        };
        let head = head_on(&*txn).await?;
        let block = append_blocks(&*txn, &head, &[block_hash], now_ms).await?;
        let row = ledger_transaction::ActiveModel {
            tx_hash: Set(hex_hash(&tx.tx_hash)),
            sender: Set(hex_address(&tx.sender)),
            nonce: Set(nonce),
            to_address: Set(hex_address(&tx.to)),
            block_number: Set(to_i64(block.number)),
            success: Set(success),
            gas_used: Set(to_i64(tx.gas_used)),
            effective_gas_price: Set(tx.effective_gas_price.to_string()),
            ..Default::default()
        };
        ledger_transaction::Entity::insert(row)
            .exec_without_returning(&*txn)
            .await?;
        if let Some(movement) = movement {
            record_move(&*txn, tx.tx_hash, block.number, movement).await?;
        }
        txn.commit().await?;
        Ok(MineOutcome::Mined(LedgerReceipt {
            tx_hash: tx.tx_hash,
            block_number: block.number,
            block_hash: block.hash,
            success,
            gas_used: tx.gas_used,
            effective_gas_price: tx.effective_gas_price,
        }))
    }
}

/// Whether the ledger's state lets `movement` happen: its authorization is
/// unused and its sender holds the amount.
async fn can_move(conn: &impl ConnectionTrait, movement: &TokenMove) -> Result<bool, StoreError> {
    if let Some(nonce) = movement.authorization
        && authorization_used_on(conn, movement.token, movement.from, nonce).await?
    {
        return Ok(false);
    }
    let balance = balance_on(conn, movement.token, movement.from).await?;
    Ok(balance >= i128::from(movement.amount))
}

/// Writes the movement's Transfer log (log index 0: one transaction per
/// block) and consumes its authorization.
async fn record_move(
    conn: &impl ConnectionTrait,
    tx_hash: B256,
    block_number: u64,
    movement: &TokenMove,
) -> Result<(), StoreError> {
    if let Some(nonce) = movement.authorization {
        let used = ledger_authorization::ActiveModel {
            token: Set(hex_address(&movement.token)),
            authorizer: Set(hex_address(&movement.from)),
            nonce: Set(hex_hash(&nonce)),
            tx_hash: Set(hex_hash(&tx_hash)),
            ..Default::default()
        };
        ledger_authorization::Entity::insert(used)
            .exec_without_returning(conn)
            .await?;
    }
    let log = ledger_transfer::ActiveModel {
        block_number: Set(to_i64(block_number)),
        tx_hash: Set(hex_hash(&tx_hash)),
        log_index: Set(0),
        token: Set(hex_address(&movement.token)),
        from_address: Set(hex_address(&movement.from)),
        to_address: Set(hex_address(&movement.to)),
        amount: Set(amount_i64(movement.amount)?),
        ..Default::default()
    };
    ledger_transfer::Entity::insert(log)
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

/// Deletes the transactions mined in blocks `from..=to` and frees the
/// authorizations they consumed (their nonces and authorizations become
/// usable again, as on a chain that dropped them). Their transfers are the
/// caller's to delete, with the blocks' other transfers.
pub(super) async fn drop_transactions_in(
    conn: &impl ConnectionTrait,
    from: i64,
    to: i64,
) -> Result<(), StoreError> {
    let dropped = Query::select()
        .column(ledger_transaction::Column::TxHash)
        .from(ledger_transaction::Entity)
        .and_where(Expr::col(ledger_transaction::Column::BlockNumber).between(from, to))
        .to_owned();
    ledger_authorization::Entity::delete_many()
        .filter(ledger_authorization::Column::TxHash.in_subquery(dropped))
        .exec(conn)
        .await?;
    ledger_transaction::Entity::delete_many()
        .filter(ledger_transaction::Column::BlockNumber.between(from, to))
        .exec(conn)
        .await?;
    Ok(())
}
