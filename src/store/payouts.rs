//! Sweeps as the payout actor keeps them: which counted deposits are ready
//! to send on, the sweep rows made for them (deposits marked in the same
//! transaction, so none is swept twice), and where each sweep stands. The
//! signed transactions that carry them are `payout_txs`'s.
//!
//! Nothing here decides: `domain::payout` says what is final and how a sweep
//! splits; the payout actor says what to write.

use std::collections::{BTreeMap, HashMap};

use kassa_entities::{deposit, merchant, session, sweep};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    QueryTrait,
};

use super::journal;
use super::merchant_rows::wallets_of;
use super::sessions::units_to_i64;
use super::{Store, StoreError};
use crate::domain::deposit::DepositState;
use crate::domain::journal::sweep_entries;
use crate::domain::payout::{SweepKind, SweepMethod, SweepState};
use crate::domain::session::SessionStatus;

/// Counted deposits of one paid session, final enough to sweep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SweepCandidate {
    pub session_id: i64,
    pub merchant_id: i64,
    pub deposit_address: String,
    pub hd_index: i64,
    /// The merchant's payout wallet in force now; `None` when it has none set.
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
    /// Who asked for it (forwards and refunds of held money).
    pub requested_by: Option<String>,
    /// POL (wei) left on the deposit address after a top-up sweep was sent.
    pub leftover_wei: Option<u128>,
}

impl SweepRecord {
    /// What the destination receives.
    pub fn net_units(&self) -> u64 {
        self.amount_units.saturating_sub(self.fee_units)
    }
}

impl Store {
    /// Counted deposits of paid sessions, in blocks up to `through_block`,
    /// that no sweep has taken yet; at most `limit` deposits.
    /// Each carries the merchant's payout wallet in force at `now_ms`.
    pub async fn sweepable_deposits(
        &self,
        through_block: u64,
        limit: u64,
        now_ms: i64,
    ) -> Result<Vec<SweepCandidate>, StoreError> {
        // Narrowed to paid sessions in SQL: held money (counted deposits of
        // expired sessions) waits for a person and must not crowd the batch.
        let paid_sessions = session::Entity::find()
            .select_only()
            .column(session::Column::Id)
            .filter(session::Column::Status.eq(SessionStatus::Paid.as_str()))
            .into_query();
        let deposits = deposit::Entity::find()
            .filter(deposit::Column::State.eq(DepositState::Counted.as_str()))
            .filter(deposit::Column::SweepId.is_null())
            .filter(deposit::Column::BlockNumber.lte(units_to_i64(through_block)))
            .filter(deposit::Column::SessionId.in_subquery(paid_sessions))
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
            .map(|m| {
                let wallet = wallets_of(&m).in_force_at(now_ms).map(str::to_string);
                (m.id, wallet)
            })
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

    /// Every sweep of one merchant, oldest first.
    pub async fn merchant_sweeps(&self, merchant_id: i64) -> Result<Vec<SweepRecord>, StoreError> {
        let rows = sweep::Entity::find()
            .filter(sweep::Column::MerchantId.eq(merchant_id))
            .order_by_asc(sweep::Column::Id)
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

    /// Every transaction of the sweep mined with status 1: the sweep is
    /// sent, and the journal records where its money went.
    pub async fn sweep_sent(&self, id: i64, txid_out: &str, now_ms: i64) -> Result<(), StoreError> {
        let txn = self.begin_write().await?;
        let marked = sweep::Entity::update_many()
            .col_expr(sweep::Column::State, Expr::value(SweepState::Sent.as_str()))
            .col_expr(sweep::Column::TxidOut, Expr::value(txid_out))
            .col_expr(sweep::Column::SentAt, Expr::value(now_ms))
            .col_expr(sweep::Column::LastError, Expr::value(None::<String>))
            .filter(sweep::Column::Id.eq(id))
            .filter(sweep::Column::State.ne(SweepState::Sent.as_str()))
            .exec(&*txn)
            .await?;
        if marked.rows_affected == 1 {
            let row = sweep::Entity::find_by_id(id)
                .one(&*txn)
                .await?
                .ok_or_else(|| StoreError::Unexpected(anyhow::anyhow!("sweep {id} vanished")))?;
            let kind: SweepKind = stored(&row.kind, "sweep kind")?;
            let entries = sweep_entries(
                kind,
                id,
                row.session_id,
                row.merchant_id,
                u64::try_from(row.amount_units).unwrap_or(0),
                u64::try_from(row.fee_units).unwrap_or(0),
                txid_out,
            );
            journal::write(&*txn, &entries, now_ms).await?;
        }
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

pub(super) fn stored<T: std::str::FromStr>(value: &str, what: &str) -> Result<T, StoreError>
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
        requested_by: row.requested_by,
        leftover_wei: row
            .leftover_wei
            .as_deref()
            .map(|w| stored(w, "leftover"))
            .transpose()?,
    })
}
