//! The signed transactions that carry sweeps: stored before broadcast (so a
//! restart sends the same bytes), the next nonce of a gas account by what
//! it ever signed, what became of each transaction, and how busy each
//! account is. The payout actor decides; this module keeps the rows.

use std::collections::HashMap;

use kassa_entities::{payout_transaction, sweep};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::journal;
use super::payouts::stored;
use super::sessions::units_to_i64;
use super::{Store, StoreError};
use crate::domain::journal::{Entry, EntryKind, GAS_SPENT, gas_account};
use crate::domain::payout::{Leg, SweepState, TxState};

/// A signed transaction to store before it is broadcast.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPayoutTx {
    pub sweep_id: i64,
    pub leg: Leg,
    pub sender: String,
    pub nonce: u64,
    pub tx_hash: String,
    /// `0x` hex of the signed EIP-2718 bytes.
    pub raw: String,
    pub max_fee_wei: u128,
    pub priority_fee_wei: u128,
    /// The EIP-3009 authorization nonce it spends, if any.
    pub auth_nonce: Option<String>,
    /// The transaction this one replaces (same nonce, higher fee).
    pub replaces_id: Option<i64>,
}

/// A stored signed transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayoutTx {
    pub id: i64,
    pub sweep_id: i64,
    pub leg: Leg,
    pub sender: String,
    pub nonce: u64,
    pub tx_hash: String,
    pub raw: String,
    pub max_fee_wei: u128,
    pub priority_fee_wei: u128,
    pub auth_nonce: Option<String>,
    pub state: TxState,
    pub replaces_id: Option<i64>,
    pub broadcast_block: Option<u64>,
    pub mined_block: Option<u64>,
    pub gas_used: Option<u64>,
    pub gas_price_wei: Option<u128>,
}

/// What became of a transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxUpdate {
    Broadcast {
        at_block: u64,
    },
    Mined {
        block: u64,
        gas_used: u64,
        gas_price_wei: u128,
        success: bool,
    },
    Replaced,
    /// Back to `broadcast`: its block left the chain.
    Unmined,
}

impl Store {
    /// Every signed transaction of a sweep, oldest first.
    pub async fn sweep_transactions(&self, sweep_id: i64) -> Result<Vec<PayoutTx>, StoreError> {
        let rows = payout_transaction::Entity::find()
            .filter(payout_transaction::Column::SweepId.eq(sweep_id))
            .order_by_asc(payout_transaction::Column::Id)
            .all(self.db())
            .await?;
        rows.into_iter().map(payout_tx).collect()
    }

    /// The next nonce of `sender` by the stored rows: one past the highest
    /// it ever signed, `None` if it signed nothing.
    pub async fn next_stored_nonce(&self, sender: &str) -> Result<Option<u64>, StoreError> {
        let highest: Option<i64> = payout_transaction::Entity::find()
            .select_only()
            .column_as(payout_transaction::Column::Nonce.max(), "highest")
            .filter(payout_transaction::Column::Sender.eq(sender))
            .into_tuple::<Option<i64>>()
            .one(self.db())
            .await?
            .flatten();
        Ok(highest.map(|n| u64::try_from(n).unwrap_or(0) + 1))
    }

    /// Stores a signed transaction (before it is broadcast) and marks its
    /// sweep `sending`.
    pub async fn insert_payout_tx(
        &self,
        new: &NewPayoutTx,
        now_ms: i64,
    ) -> Result<PayoutTx, StoreError> {
        let txn = self.begin_write().await?;
        let row = payout_transaction::ActiveModel {
            sweep_id: Set(new.sweep_id),
            leg: Set(new.leg.as_str().into()),
            sender: Set(new.sender.clone()),
            nonce: Set(units_to_i64(new.nonce)),
            tx_hash: Set(new.tx_hash.clone()),
            raw: Set(new.raw.clone()),
            max_fee_wei: Set(new.max_fee_wei.to_string()),
            priority_fee_wei: Set(new.priority_fee_wei.to_string()),
            auth_nonce: Set(new.auth_nonce.clone()),
            state: Set(TxState::Signed.as_str().into()),
            replaces_id: Set(new.replaces_id),
            broadcast_block: Set(None),
            mined_block: Set(None),
            gas_used: Set(None),
            gas_price_wei: Set(None),
            created_at: Set(now_ms),
            ..Default::default()
        };
        let id = payout_transaction::Entity::insert(row)
            .exec(&*txn)
            .await?
            .last_insert_id;
        sweep::Entity::update_many()
            .col_expr(
                sweep::Column::State,
                Expr::value(SweepState::Sending.as_str()),
            )
            .filter(sweep::Column::Id.eq(new.sweep_id))
            .filter(sweep::Column::State.ne(SweepState::Sent.as_str()))
            .exec(&*txn)
            .await?;
        let row = payout_transaction::Entity::find_by_id(id)
            .one(&*txn)
            .await?
            .ok_or_else(|| StoreError::Unexpected(anyhow::anyhow!("transaction {id} vanished")))?;
        txn.commit().await?;
        payout_tx(row)
    }

    /// Records what became of a signed transaction.
    pub async fn update_payout_tx(
        &self,
        id: i64,
        update: TxUpdate,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let txn = self.begin_write().await?;
        let mut query = payout_transaction::Entity::update_many();
        match update {
            TxUpdate::Broadcast { at_block } => {
                query = query
                    .col_expr(
                        payout_transaction::Column::State,
                        Expr::value(TxState::Broadcast.as_str()),
                    )
                    .col_expr(
                        payout_transaction::Column::BroadcastBlock,
                        Expr::value(units_to_i64(at_block)),
                    );
            }
            TxUpdate::Mined {
                block,
                gas_used,
                gas_price_wei,
                success,
            } => {
                let state = if success {
                    TxState::Mined
                } else {
                    TxState::Reverted
                };
                query = query
                    .col_expr(
                        payout_transaction::Column::State,
                        Expr::value(state.as_str()),
                    )
                    .col_expr(
                        payout_transaction::Column::MinedBlock,
                        Expr::value(units_to_i64(block)),
                    )
                    .col_expr(
                        payout_transaction::Column::GasUsed,
                        Expr::value(units_to_i64(gas_used)),
                    )
                    .col_expr(
                        payout_transaction::Column::GasPriceWei,
                        Expr::value(gas_price_wei.to_string()),
                    );
            }
            TxUpdate::Replaced => {
                query = query.col_expr(
                    payout_transaction::Column::State,
                    Expr::value(TxState::Replaced.as_str()),
                );
            }
            TxUpdate::Unmined => {
                query = query
                    .col_expr(
                        payout_transaction::Column::State,
                        Expr::value(TxState::Broadcast.as_str()),
                    )
                    .col_expr(
                        payout_transaction::Column::MinedBlock,
                        Expr::value(None::<i64>),
                    );
            }
        }
        query = query.filter(payout_transaction::Column::Id.eq(id));
        if matches!(update, TxUpdate::Mined { .. }) {
            // Recorded mined once (its gas entry with it).
            query = query.filter(payout_transaction::Column::MinedBlock.is_null());
        }
        let changed = query.exec(&*txn).await?;
        // Gas is paid by a mined transaction, reverted or not: once.
        if let TxUpdate::Mined {
            gas_used,
            gas_price_wei,
            ..
        } = update
            && changed.rows_affected == 1
            && let Some(row) = payout_transaction::Entity::find_by_id(id)
                .one(&*txn)
                .await?
        {
            let entry = Entry {
                kind: EntryKind::Gas,
                amount: u128::from(gas_used).saturating_mul(gas_price_wei),
                debit: GAS_SPENT.to_string(),
                credit: gas_account(&row.sender),
                session_id: None,
                deposit_id: None,
                sweep_id: Some(row.sweep_id),
                tx_hash: Some(row.tx_hash),
            };
            journal::write(&*txn, &[entry], now_ms).await?;
        }
        txn.commit().await?;
        Ok(())
    }

    /// Transactions signed or broadcast and not yet mined, per sender.
    pub async fn live_transactions_by_sender(&self) -> Result<HashMap<String, u64>, StoreError> {
        let rows: Vec<(String, i64)> = payout_transaction::Entity::find()
            .select_only()
            .column(payout_transaction::Column::Sender)
            .column_as(payout_transaction::Column::Id.count(), "n")
            .filter(
                payout_transaction::Column::State
                    .is_in([TxState::Signed.as_str(), TxState::Broadcast.as_str()]),
            )
            .group_by(payout_transaction::Column::Sender)
            .into_tuple()
            .all(self.db())
            .await?;
        Ok(rows
            .into_iter()
            .map(|(sender, n)| (sender, u64::try_from(n).unwrap_or(0)))
            .collect())
    }
}

fn payout_tx(row: payout_transaction::Model) -> Result<PayoutTx, StoreError> {
    Ok(PayoutTx {
        id: row.id,
        sweep_id: row.sweep_id,
        leg: stored(&row.leg, "transaction leg")?,
        sender: row.sender,
        nonce: u64::try_from(row.nonce).unwrap_or(0),
        tx_hash: row.tx_hash,
        raw: row.raw,
        max_fee_wei: stored(&row.max_fee_wei, "fee")?,
        priority_fee_wei: stored(&row.priority_fee_wei, "fee")?,
        auth_nonce: row.auth_nonce,
        state: stored(&row.state, "transaction state")?,
        replaces_id: row.replaces_id,
        broadcast_block: row.broadcast_block.and_then(|b| u64::try_from(b).ok()),
        mined_block: row.mined_block.and_then(|b| u64::try_from(b).ok()),
        gas_used: row.gas_used.and_then(|g| u64::try_from(g).ok()),
        gas_price_wei: row
            .gas_price_wei
            .as_deref()
            .map(|p| stored(p, "gas price"))
            .transpose()?,
    })
}
