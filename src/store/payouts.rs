//! Sweeps and their signed transactions, as the payout actor keeps them:
//! which counted deposits are ready to send on, the sweep rows made for
//! them (deposits marked in the same transaction, so none is swept twice),
//! each signed transaction stored before it is broadcast, and what became
//! of it.
//!
//! Nothing here decides: `domain::payout` says what is final and how a sweep
//! splits; the payout actor says what to write.

use std::collections::{BTreeMap, HashMap};

use kassa_entities::{deposit, merchant, payout_transaction, session, sweep};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::sessions::units_to_i64;
use super::{Store, StoreError};
use crate::domain::deposit::DepositState;
use crate::domain::payout::{Leg, SweepKind, SweepMethod, SweepState, TxState};
use crate::domain::session::SessionStatus;

/// Counted deposits of one paid session, final enough to sweep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SweepCandidate {
    pub session_id: i64,
    pub merchant_id: i64,
    pub deposit_address: String,
    pub hd_index: i64,
    /// The merchant's payout wallet now; `None` when it has none set.
    pub payout_wallet: Option<String>,
    /// `(deposit id, amount in base units)`.
    pub deposits: Vec<(i64, u64)>,
}

impl SweepCandidate {
    pub fn amount_units(&self) -> u64 {
        self.deposits
            .iter()
            .fold(0u64, |sum, (_, units)| sum.saturating_add(*units))
    }
}

/// A sweep to make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSweep {
    pub session_id: i64,
    pub merchant_id: i64,
    pub kind: SweepKind,
    pub deposit_address: String,
    pub hd_index: i64,
    pub destination: String,
    pub fee_wallet: Option<String>,
    pub amount_units: u64,
    pub fee_units: u64,
    pub method: SweepMethod,
    pub lane: String,
    pub requested_by: Option<String>,
}

/// A stored sweep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SweepRecord {
    pub id: i64,
    pub session_id: i64,
    pub sequence: i32,
    pub merchant_id: i64,
    pub kind: SweepKind,
    pub deposit_address: String,
    pub hd_index: i64,
    pub destination: String,
    pub fee_wallet: Option<String>,
    pub amount_units: u64,
    pub fee_units: u64,
    pub method: SweepMethod,
    pub lane: String,
    pub state: SweepState,
    pub txid_out: Option<String>,
    pub attempts: i32,
    pub next_attempt_at_ms: i64,
    pub last_error: Option<String>,
    pub created_at_ms: i64,
    pub sent_at_ms: Option<i64>,
    pub announced_at_ms: Option<i64>,
    /// POL (wei) left on the deposit address after a top-up sweep was sent.
    pub leftover_wei: Option<u128>,
}

impl SweepRecord {
    /// What the destination receives.
    pub fn net_units(&self) -> u64 {
        self.amount_units.saturating_sub(self.fee_units)
    }
}

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
    /// Counted deposits of paid sessions, in blocks up to `through_block`,
    /// that no sweep has taken yet; at most `limit` deposits.
    pub async fn sweepable_deposits(
        &self,
        through_block: u64,
        limit: u64,
    ) -> Result<Vec<SweepCandidate>, StoreError> {
        let deposits = deposit::Entity::find()
            .filter(deposit::Column::State.eq(DepositState::Counted.as_str()))
            .filter(deposit::Column::SweepId.is_null())
            .filter(deposit::Column::BlockNumber.lte(units_to_i64(through_block)))
            .order_by_asc(deposit::Column::Id)
            .limit(limit)
            .all(self.db())
            .await?;
        if deposits.is_empty() {
            return Ok(Vec::new());
        }
        let session_ids: Vec<i64> = deposits.iter().map(|d| d.session_id).collect();
        let sessions: HashMap<i64, session::Model> = session::Entity::find()
            .filter(session::Column::Id.is_in(session_ids))
            .filter(session::Column::Status.eq(SessionStatus::Paid.as_str()))
            .all(self.db())
            .await?
            .into_iter()
            .map(|s| (s.id, s))
            .collect();
        let merchant_ids: Vec<i64> = sessions.values().map(|s| s.merchant_id).collect();
        let wallets: HashMap<i64, Option<String>> = merchant::Entity::find()
            .filter(merchant::Column::Id.is_in(merchant_ids))
            .all(self.db())
            .await?
            .into_iter()
            .map(|m| (m.id, m.payout_wallet))
            .collect();
        let mut by_session: BTreeMap<i64, SweepCandidate> = BTreeMap::new();
        for d in deposits {
            let Some(s) = sessions.get(&d.session_id) else {
                continue;
            };
            let amount = u64::try_from(d.amount_usdc).unwrap_or(0);
            by_session
                .entry(s.id)
                .or_insert_with(|| SweepCandidate {
                    session_id: s.id,
                    merchant_id: s.merchant_id,
                    deposit_address: s.deposit_address.clone(),
                    hd_index: s.hd_index,
                    payout_wallet: wallets.get(&s.merchant_id).cloned().flatten(),
                    deposits: Vec::new(),
                })
                .deposits
                .push((d.id, amount));
        }
        Ok(by_session.into_values().collect())
    }

    /// Makes a sweep taking `deposit_ids`, numbered after the session's last
    /// one; `None` (nothing written) when one of them is already taken.
    pub async fn create_sweep(
        &self,
        new: &NewSweep,
        deposit_ids: &[i64],
        now_ms: i64,
    ) -> Result<Option<SweepRecord>, StoreError> {
        let txn = self.begin_write().await?;
        let last: Option<i32> = sweep::Entity::find()
            .select_only()
            .column_as(sweep::Column::Sequence.max(), "last")
            .filter(sweep::Column::SessionId.eq(new.session_id))
            .into_tuple::<Option<i32>>()
            .one(&*txn)
            .await?
            .flatten();
        let row = sweep::ActiveModel {
            session_id: Set(new.session_id),
            sequence: Set(last.unwrap_or(0) + 1),
            merchant_id: Set(new.merchant_id),
            kind: Set(new.kind.as_str().into()),
            deposit_address: Set(new.deposit_address.clone()),
            hd_index: Set(new.hd_index),
            destination: Set(new.destination.clone()),
            fee_wallet: Set(new.fee_wallet.clone()),
            amount_units: Set(units_to_i64(new.amount_units)),
            fee_units: Set(units_to_i64(new.fee_units)),
            method: Set(new.method.as_str().into()),
            lane: Set(new.lane.clone()),
            state: Set(SweepState::Queued.as_str().into()),
            txid_out: Set(None),
            attempts: Set(0),
            next_attempt_at: Set(now_ms),
            last_error: Set(None),
            created_at: Set(now_ms),
            sent_at: Set(None),
            announced_at: Set(None),
            requested_by: Set(new.requested_by.clone()),
            ..Default::default()
        };
        let inserted = sweep::Entity::insert(row).exec(&*txn).await?;
        let id = inserted.last_insert_id;
        let taken = deposit::Entity::update_many()
            .col_expr(deposit::Column::SweepId, Expr::value(id))
            .filter(deposit::Column::Id.is_in(deposit_ids.iter().copied()))
            .filter(deposit::Column::SweepId.is_null())
            .exec(&*txn)
            .await?;
        if taken.rows_affected != deposit_ids.len() as u64 {
            // Dropping the transaction rolls the sweep back.
            return Ok(None);
        }
        let row = sweep::Entity::find_by_id(id)
            .one(&*txn)
            .await?
            .ok_or_else(|| StoreError::Unexpected(anyhow::anyhow!("sweep {id} vanished")))?;
        txn.commit().await?;
        Ok(Some(sweep_record(row)?))
    }

    /// Sweeps still to send: queued or sending, and failed ones whose retry
    /// is due at `now_ms`; oldest first, at most `limit`.
    pub async fn open_sweeps(
        &self,
        now_ms: i64,
        limit: u64,
    ) -> Result<Vec<SweepRecord>, StoreError> {
        let rows = sweep::Entity::find()
            .filter(
                Condition::any()
                    .add(
                        sweep::Column::State
                            .is_in([SweepState::Queued.as_str(), SweepState::Sending.as_str()]),
                    )
                    .add(
                        Condition::all()
                            .add(sweep::Column::State.eq(SweepState::Failed.as_str()))
                            .add(sweep::Column::NextAttemptAt.lte(now_ms)),
                    ),
            )
            .order_by_asc(sweep::Column::Id)
            .limit(limit)
            .all(self.db())
            .await?;
        rows.into_iter().map(sweep_record).collect()
    }

    /// One sweep by id.
    pub async fn sweep(&self, id: i64) -> Result<Option<SweepRecord>, StoreError> {
        sweep::Entity::find_by_id(id)
            .one(self.db())
            .await?
            .map(sweep_record)
            .transpose()
    }

    /// Sweeps for the operator's list, newest first: all, or only failed ones.
    pub async fn sweeps(
        &self,
        failed_only: bool,
        limit: u64,
    ) -> Result<Vec<SweepRecord>, StoreError> {
        let mut query = sweep::Entity::find();
        if failed_only {
            query = query.filter(sweep::Column::State.eq(SweepState::Failed.as_str()));
        }
        let rows = query
            .order_by_desc(sweep::Column::Id)
            .limit(limit)
            .all(self.db())
            .await?;
        rows.into_iter().map(sweep_record).collect()
    }

    /// The sweeps of one session, in order.
    pub async fn session_sweeps(&self, session_id: i64) -> Result<Vec<SweepRecord>, StoreError> {
        let rows = sweep::Entity::find()
            .filter(sweep::Column::SessionId.eq(session_id))
            .order_by_asc(sweep::Column::Sequence)
            .all(self.db())
            .await?;
        rows.into_iter().map(sweep_record).collect()
    }

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
    pub async fn update_payout_tx(&self, id: i64, update: TxUpdate) -> Result<(), StoreError> {
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
        query
            .filter(payout_transaction::Column::Id.eq(id))
            .exec(&*txn)
            .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Every transaction of the sweep mined with status 1: the sweep is sent.
    pub async fn sweep_sent(&self, id: i64, txid_out: &str, now_ms: i64) -> Result<(), StoreError> {
        let txn = self.begin_write().await?;
        sweep::Entity::update_many()
            .col_expr(sweep::Column::State, Expr::value(SweepState::Sent.as_str()))
            .col_expr(sweep::Column::TxidOut, Expr::value(txid_out))
            .col_expr(sweep::Column::SentAt, Expr::value(now_ms))
            .col_expr(sweep::Column::LastError, Expr::value(None::<String>))
            .filter(sweep::Column::Id.eq(id))
            .exec(&*txn)
            .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Records the POL (wei) a top-up sweep left on its deposit address.
    pub async fn record_leftover(&self, id: i64, leftover_wei: u128) -> Result<(), StoreError> {
        let txn = self.begin_write().await?;
        sweep::Entity::update_many()
            .col_expr(
                sweep::Column::LeftoverWei,
                Expr::value(leftover_wei.to_string()),
            )
            .filter(sweep::Column::Id.eq(id))
            .exec(&*txn)
            .await?;
        txn.commit().await?;
        Ok(())
    }

    /// The sweep could not go out; it is tried again at `retry_at_ms`.
    pub async fn sweep_failed(
        &self,
        id: i64,
        error: &str,
        retry_at_ms: i64,
    ) -> Result<(), StoreError> {
        let txn = self.begin_write().await?;
        sweep::Entity::update_many()
            .col_expr(
                sweep::Column::State,
                Expr::value(SweepState::Failed.as_str()),
            )
            .col_expr(sweep::Column::LastError, Expr::value(error))
            .col_expr(
                sweep::Column::Attempts,
                Expr::col(sweep::Column::Attempts).add(1),
            )
            .col_expr(sweep::Column::NextAttemptAt, Expr::value(retry_at_ms))
            .filter(sweep::Column::Id.eq(id))
            .filter(sweep::Column::State.ne(SweepState::Sent.as_str()))
            .exec(&*txn)
            .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Notes why a sweep is waiting, without failing it (a stuck lane, a node
    /// that does not answer).
    pub async fn note_sweep(&self, id: i64, note: &str) -> Result<(), StoreError> {
        let txn = self.begin_write().await?;
        sweep::Entity::update_many()
            .col_expr(sweep::Column::LastError, Expr::value(note))
            .filter(sweep::Column::Id.eq(id))
            .exec(&*txn)
            .await?;
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

    /// A failed sweep being tried again is `sending` while it is in flight.
    pub async fn resume_sweep(&self, id: i64) -> Result<(), StoreError> {
        let txn = self.begin_write().await?;
        sweep::Entity::update_many()
            .col_expr(
                sweep::Column::State,
                Expr::value(SweepState::Sending.as_str()),
            )
            .filter(sweep::Column::Id.eq(id))
            .filter(sweep::Column::State.eq(SweepState::Failed.as_str()))
            .exec(&*txn)
            .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Sent sweeps their session has not recorded yet: `(sweep, session, txid_out)`.
    pub async fn unannounced_sweeps(&self) -> Result<Vec<(i64, i64, String)>, StoreError> {
        let rows = sweep::Entity::find()
            .filter(sweep::Column::State.eq(SweepState::Sent.as_str()))
            .filter(sweep::Column::AnnouncedAt.is_null())
            .filter(sweep::Column::Kind.ne(SweepKind::Refund.as_str()))
            .order_by_asc(sweep::Column::Id)
            .all(self.db())
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|r| r.txid_out.map(|tx| (r.id, r.session_id, tx)))
            .collect())
    }

    /// Whether the session already recorded this sweep.
    pub async fn sweep_announced(&self, id: i64) -> Result<bool, StoreError> {
        Ok(sweep::Entity::find_by_id(id)
            .one(self.db())
            .await?
            .is_some_and(|s| s.announced_at.is_some()))
    }
}

fn stored<T: std::str::FromStr>(value: &str, what: &str) -> Result<T, StoreError>
where
    T::Err: std::fmt::Display,
{
    value
        .parse()
        .map_err(|e| StoreError::Unexpected(anyhow::anyhow!("a stored {what} does not read: {e}")))
}

fn sweep_record(row: sweep::Model) -> Result<SweepRecord, StoreError> {
    Ok(SweepRecord {
        id: row.id,
        session_id: row.session_id,
        sequence: row.sequence,
        merchant_id: row.merchant_id,
        kind: stored(&row.kind, "sweep kind")?,
        deposit_address: row.deposit_address,
        hd_index: row.hd_index,
        destination: row.destination,
        fee_wallet: row.fee_wallet,
        amount_units: u64::try_from(row.amount_units).unwrap_or(0),
        fee_units: u64::try_from(row.fee_units).unwrap_or(0),
        method: stored(&row.method, "sweep method")?,
        lane: row.lane,
        state: stored(&row.state, "sweep state")?,
        txid_out: row.txid_out,
        attempts: row.attempts,
        next_attempt_at_ms: row.next_attempt_at,
        last_error: row.last_error,
        created_at_ms: row.created_at,
        sent_at_ms: row.sent_at,
        announced_at_ms: row.announced_at,
        leftover_wei: row
            .leftover_wei
            .as_deref()
            .map(|w| stored(w, "leftover"))
            .transpose()?,
    })
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
