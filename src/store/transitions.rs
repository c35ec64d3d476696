//! Session transitions: the row update (version-checked), the deposit that
//! caused it and the outbox rows announcing it, all in one transaction.
//!
//! Nothing here decides anything: `domain::session::decide` did, and the
//! session actor hands over what to write.

use kassa_entities::{deposit, session, sweep, webhook_event};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, TryInsertResult,
};

use super::journal;
use super::sessions::units_to_i64;
use super::{Store, StoreError};
use crate::domain::deposit::{DepositFact, DepositState};
use crate::domain::journal::{EntryKind, deposit_entry};
use crate::domain::session::SessionStatus;

/// What is already known of a deposit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnownDeposit {
    pub session_id: i64,
    pub state: DepositState,
    pub amount_units: u64,
}

/// How the deposit row changes with this write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DepositWrite {
    /// First sighting (or a dropped one found again, in whatever block it
    /// now sits): the row takes the fact's block and this state.
    Sighted {
        fact: DepositFact,
        state: DepositState,
    },
    NowCounted {
        fact: DepositFact,
    },
    /// The deposit's block left the canonical chain: it no longer counts
    /// (it counts again if the transfer is found and confirms once more).
    Dropped {
        tx_hash: String,
        log_index: i64,
    },
}

/// One outbox row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEvent {
    pub event_id: String,
    pub sequence: i32,
    pub status: &'static str,
    pub payload: String,
}

/// Everything one transition writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransitionWrite {
    pub session_id: i64,
    pub merchant_id: i64,
    pub expected_version: i64,
    pub status: SessionStatus,
    pub received_units: u64,
    pub paid_at_ms: Option<i64>,
    /// `Some` writes the column (`Some(None)` clears it); `None` leaves it.
    pub txid_in: Option<Option<String>>,
    pub last_error: Option<String>,
    pub deposit: Option<DepositWrite>,
    pub events: Vec<OutboxEvent>,
    /// The session's own webhook URL (else the merchant's is used at delivery).
    pub webhook_url: Option<String>,
    /// A mined sweep this transition announces: the session takes its
    /// `txid_out` and the sweep is marked announced, once.
    pub payout: Option<PayoutWrite>,
}

/// The sweep a `payout_sent` transition records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayoutWrite {
    pub sweep_id: i64,
    /// The merchant transfer's hash, written to the session's `txid_out`.
    pub txid_out: String,
}

impl Store {
    /// A deposit already recorded, by its chain identity.
    pub async fn known_deposit(
        &self,
        tx_hash: &str,
        log_index: i64,
    ) -> Result<Option<KnownDeposit>, StoreError> {
        deposit::Entity::find()
            .filter(deposit::Column::TxHash.eq(tx_hash))
            .filter(deposit::Column::LogIndex.eq(log_index))
            .one(self.db())
            .await?
            .map(|d| {
                Ok(KnownDeposit {
                    session_id: d.session_id,
                    state: d.state.parse().map_err(anyhow::Error::new)?,
                    amount_units: u64::try_from(d.amount_usdc).unwrap_or(0),
                })
            })
            .transpose()
    }

    /// Whether a session has a deposit other than this one still waiting to
    /// count.
    pub async fn other_seen_deposit(
        &self,
        session_id: i64,
        tx_hash: &str,
        log_index: i64,
    ) -> Result<bool, StoreError> {
        Ok(deposit::Entity::find()
            .filter(deposit::Column::SessionId.eq(session_id))
            .filter(deposit::Column::State.eq(DepositState::Seen.as_str()))
            .all(self.db())
            .await?
            .iter()
            .any(|d| !(d.tx_hash == tx_hash && d.log_index == log_index)))
    }

    /// The first deposit of a session, other than this one, that still
    /// stands: counted, else still waiting to count.
    pub async fn standing_deposit(
        &self,
        session_id: i64,
        tx_hash: &str,
        log_index: i64,
    ) -> Result<Option<String>, StoreError> {
        let rows = deposit::Entity::find()
            .filter(deposit::Column::SessionId.eq(session_id))
            .filter(
                deposit::Column::State
                    .is_in([DepositState::Counted.as_str(), DepositState::Seen.as_str()]),
            )
            .order_by_asc(deposit::Column::Id)
            .all(self.db())
            .await?;
        let others = || {
            rows.iter()
                .filter(|d| !(d.tx_hash == tx_hash && d.log_index == log_index))
        };
        Ok(others()
            .find(|d| d.state == DepositState::Counted.as_str())
            .or_else(|| others().next())
            .map(|d| d.tx_hash.clone()))
    }

    /// The transaction hash of the most recently observed deposit of a
    /// session that still counts.
    pub async fn latest_counted_deposit_tx(
        &self,
        session_id: i64,
    ) -> Result<Option<String>, StoreError> {
        Ok(deposit::Entity::find()
            .filter(deposit::Column::SessionId.eq(session_id))
            .filter(deposit::Column::State.eq(DepositState::Counted.as_str()))
            .order_by_desc(deposit::Column::Id)
            .one(self.db())
            .await?
            .map(|d| d.tx_hash))
    }

    /// Records a deposit that moves no state (a late one, or a repeat sighting),
    /// with a note on the session for the merchant.
    pub async fn record_deposit(
        &self,
        session_id: i64,
        write: &DepositWrite,
        note: Option<String>,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let txn = self.begin_write().await?;
        write_deposit(&txn, session_id, write, now_ms).await?;
        if let Some(note) = note {
            session::Entity::update_many()
                .col_expr(session::Column::LastError, Expr::value(note))
                .filter(session::Column::Id.eq(session_id))
                .exec(&*txn)
                .await?;
        }
        txn.commit().await?;
        self.sessions.forget(session_id);
        Ok(())
    }
}

/// Whether a transition was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Applied {
    Written,
    /// Another writer moved the session first; nothing was written.
    Stale,
}

/// Writes one transition on `txn` (the caller commits). An error may leave
/// part of it written: the caller then rolls the transaction back.
pub(super) async fn write_transition(
    txn: &sea_orm::DatabaseTransaction,
    write: &TransitionWrite,
    now_ms: i64,
) -> Result<Applied, StoreError> {
    let event_count = i32::try_from(write.events.len()).unwrap_or(i32::MAX);
    let mut update = session::Entity::update_many()
        .col_expr(session::Column::Status, Expr::value(write.status.as_str()))
        .col_expr(
            session::Column::ReceivedUsdc,
            Expr::value(units_to_i64(write.received_units)),
        )
        .col_expr(
            session::Column::Version,
            Expr::value(write.expected_version + 1),
        )
        .col_expr(
            session::Column::EventCount,
            Expr::col(session::Column::EventCount).add(event_count),
        )
        .col_expr(session::Column::PaidAt, Expr::value(write.paid_at_ms))
        .col_expr(
            session::Column::LastError,
            Expr::value(write.last_error.clone()),
        );
    if let Some(txid) = &write.txid_in {
        update = update.col_expr(session::Column::TxidIn, Expr::value(txid.clone()));
    }
    if let Some(payout) = &write.payout {
        update = update.col_expr(
            session::Column::TxidOut,
            Expr::value(payout.txid_out.clone()),
        );
    }
    let result = update
        .filter(session::Column::Id.eq(write.session_id))
        .filter(session::Column::Version.eq(write.expected_version))
        .exec(txn)
        .await?;
    if result.rows_affected != 1 {
        return Ok(Applied::Stale);
    }
    if let Some(deposit) = &write.deposit {
        write_deposit(txn, write.session_id, deposit, now_ms).await?;
    }
    if let Some(payout) = &write.payout {
        mark_announced(txn, write.session_id, payout, now_ms).await?;
    }
    if !write.events.is_empty() {
        webhook_event::Entity::insert_many(outbox_rows(write, now_ms))
            .exec_without_returning(txn)
            .await?;
    }
    Ok(Applied::Written)
}

/// Marks the sweep a `payout_sent` transition announces. Announced once: a
/// second announcement is a conflict, which rolls the whole write back.
pub(super) async fn mark_announced(
    txn: &sea_orm::DatabaseTransaction,
    session_id: i64,
    payout: &PayoutWrite,
    now_ms: i64,
) -> Result<(), StoreError> {
    let marked = sweep::Entity::update_many()
        .col_expr(sweep::Column::AnnouncedAt, Expr::value(now_ms))
        .filter(sweep::Column::Id.eq(payout.sweep_id))
        .filter(sweep::Column::SessionId.eq(session_id))
        .filter(sweep::Column::AnnouncedAt.is_null())
        .exec(txn)
        .await?;
    if marked.rows_affected == 1 {
        Ok(())
    } else {
        Err(StoreError::Conflict)
    }
}

/// The outbox rows announcing a transition, pending from `now_ms`.
pub(super) fn outbox_rows(
    write: &TransitionWrite,
    now_ms: i64,
) -> impl Iterator<Item = webhook_event::ActiveModel> + '_ {
    write
        .events
        .iter()
        .map(move |e| webhook_event::ActiveModel {
            event_id: Set(e.event_id.clone()),
            session_id: Set(write.session_id),
            merchant_id: Set(write.merchant_id),
            sequence: Set(e.sequence),
            status: Set(e.status.to_string()),
            payload: Set(e.payload.clone()),
            target_url: Set(write.webhook_url.clone()),
            state: Set("pending".into()),
            attempts: Set(0),
            next_attempt_at: Set(now_ms),
            created_at: Set(now_ms),
            delivered_at: Set(None),
            ..Default::default()
        })
}

/// The row of a deposit first sighted (or found again) in `state`.
pub(super) fn sighted_row(
    session_id: i64,
    fact: &DepositFact,
    state: DepositState,
    now_ms: i64,
) -> deposit::ActiveModel {
    deposit::ActiveModel {
        session_id: Set(session_id),
        tx_hash: Set(fact.tx_hash.clone()),
        log_index: Set(fact.log_index),
        amount_usdc: Set(units_to_i64(fact.amount_units)),
        confirmations: Set(i64_of(fact.confirmations)),
        counted: Set(state == DepositState::Counted),
        observed_at: Set(now_ms),
        block_number: Set(Some(i64_of(fact.block_number))),
        block_hash: Set(Some(fact.block_hash.clone())),
        from_address: Set(Some(fact.from.clone())),
        state: Set(state.as_str().to_string()),
        ..Default::default()
    }
}

/// The journal entry a deposit sighted in `state` makes, if it enters the
/// books (counted, or held when late).
pub(super) fn sighted_entry(state: DepositState) -> Option<EntryKind> {
    match state {
        DepositState::Counted => Some(EntryKind::Counted),
        DepositState::Late => Some(EntryKind::Held),
        DepositState::Seen | DepositState::Dropped => None,
    }
}

pub(super) async fn write_deposit(
    txn: &sea_orm::DatabaseTransaction,
    session_id: i64,
    write: &DepositWrite,
    now_ms: i64,
) -> Result<(), StoreError> {
    match write {
        DepositWrite::Sighted { fact, state } => {
            // Usually a first sighting: one insert, whose id the journal
            // entry takes. A row already there must be a dropped one found
            // again (anything else is a conflict).
            let inserted = deposit::Entity::insert(sighted_row(session_id, fact, *state, now_ms))
                .on_conflict_do_nothing_on([deposit::Column::TxHash, deposit::Column::LogIndex])
                .exec(txn)
                .await?;
            match inserted {
                TryInsertResult::Inserted(row) => {
                    if let Some(kind) = sighted_entry(*state) {
                        let entry =
                            deposit_entry(kind, session_id, row.last_insert_id, fact.amount_units);
                        journal::write(txn, &[entry], now_ms).await?;
                    }
                }
                TryInsertResult::Empty | TryInsertResult::Conflicted => {
                    sighted_again(txn, session_id, fact, *state, now_ms).await?;
                }
            }
        }
        DepositWrite::NowCounted { fact } => {
            // Only a deposit still waiting counts now: one counted already
            // (by another node, say) is a conflict, never a second entry.
            let counted = deposit::Entity::update_many()
                .col_expr(deposit::Column::Counted, Expr::value(true))
                .col_expr(
                    deposit::Column::State,
                    Expr::value(DepositState::Counted.as_str()),
                )
                .col_expr(
                    deposit::Column::Confirmations,
                    Expr::value(i64_of(fact.confirmations)),
                )
                .filter(deposit::Column::TxHash.eq(fact.tx_hash.clone()))
                .filter(deposit::Column::LogIndex.eq(fact.log_index))
                .filter(deposit::Column::State.eq(DepositState::Seen.as_str()))
                .exec(txn)
                .await?;
            if counted.rows_affected != 1 {
                return Err(StoreError::Conflict);
            }
            let row = DepositRow {
                inserted: None,
                tx_hash: &fact.tx_hash,
                log_index: fact.log_index,
            };
            journal_deposit(txn, EntryKind::Counted, session_id, row, now_ms).await?;
        }
        DepositWrite::Dropped { tx_hash, log_index } => {
            // Money in the books leaves them: reversed, or lost when a sweep
            // already sent it on.
            let before = deposit::Entity::find()
                .filter(deposit::Column::TxHash.eq(tx_hash.clone()))
                .filter(deposit::Column::LogIndex.eq(*log_index))
                .one(txn)
                .await?;
            if let Some(d) = before
                && (d.state == DepositState::Counted.as_str()
                    || d.state == DepositState::Late.as_str())
            {
                let kind = if d.sweep_id.is_some() {
                    EntryKind::Loss
                } else {
                    EntryKind::Reversed
                };
                if kind == EntryKind::Loss {
                    metrics::counter!("kassa_ledger_losses_total").increment(1);
                    tracing::error!(
                        session_id,
                        deposit_id = d.id,
                        amount_units = d.amount_usdc,
                        "a deposit already swept was taken back by a reorg: money lost"
                    );
                }
                let units = u64::try_from(d.amount_usdc).unwrap_or(0);
                journal::write(txn, &[deposit_entry(kind, session_id, d.id, units)], now_ms)
                    .await?;
            }
            deposit::Entity::update_many()
                .col_expr(deposit::Column::Counted, Expr::value(false))
                .col_expr(
                    deposit::Column::State,
                    Expr::value(DepositState::Dropped.as_str()),
                )
                .col_expr(deposit::Column::Confirmations, Expr::value(0_i64))
                .filter(deposit::Column::TxHash.eq(tx_hash.clone()))
                .filter(deposit::Column::LogIndex.eq(*log_index))
                .exec(txn)
                .await?;
        }
    }
    Ok(())
}

/// A sighted deposit whose row was already there: a dropped one found
/// again takes its new sighting, and enters the books again if it counts.
pub(super) async fn sighted_again(
    txn: &sea_orm::DatabaseTransaction,
    session_id: i64,
    fact: &DepositFact,
    state: DepositState,
    now_ms: i64,
) -> Result<(), StoreError> {
    found_again(txn, fact, state, now_ms).await?;
    if let Some(kind) = sighted_entry(state) {
        let row = DepositRow {
            inserted: None,
            tx_hash: &fact.tx_hash,
            log_index: fact.log_index,
        };
        journal_deposit(txn, kind, session_id, row, now_ms).await?;
    }
    Ok(())
}

/// A dropped deposit's row takes its new sighting (block, state); no such
/// row means another writer recorded the deposit first.
async fn found_again(
    txn: &sea_orm::DatabaseTransaction,
    fact: &DepositFact,
    state: DepositState,
    now_ms: i64,
) -> Result<(), StoreError> {
    let updated = deposit::Entity::update_many()
        .col_expr(deposit::Column::State, Expr::value(state.as_str()))
        .col_expr(
            deposit::Column::Counted,
            Expr::value(state == DepositState::Counted),
        )
        .col_expr(
            deposit::Column::Confirmations,
            Expr::value(i64_of(fact.confirmations)),
        )
        .col_expr(
            deposit::Column::BlockNumber,
            Expr::value(i64_of(fact.block_number)),
        )
        .col_expr(
            deposit::Column::BlockHash,
            Expr::value(fact.block_hash.clone()),
        )
        .col_expr(deposit::Column::ObservedAt, Expr::value(now_ms))
        .filter(deposit::Column::TxHash.eq(fact.tx_hash.clone()))
        .filter(deposit::Column::LogIndex.eq(fact.log_index))
        .filter(deposit::Column::State.eq(DepositState::Dropped.as_str()))
        .exec(txn)
        .await?;
    if updated.rows_affected == 1 {
        Ok(())
    } else {
        Err(StoreError::Conflict)
    }
}

/// A deposit row: its id and amount when the caller just inserted it, else
/// read by chain identity.
struct DepositRow<'a> {
    inserted: Option<(i64, u64)>,
    tx_hash: &'a str,
    log_index: i64,
}

/// The journal entry of a deposit that entered the books.
async fn journal_deposit(
    txn: &sea_orm::DatabaseTransaction,
    kind: EntryKind,
    session_id: i64,
    deposit: DepositRow<'_>,
    now_ms: i64,
) -> Result<(), StoreError> {
    let (id, units) = match deposit.inserted {
        Some(known) => known,
        None => {
            let (tx_hash, log_index) = (deposit.tx_hash, deposit.log_index);
            let row = deposit::Entity::find()
                .filter(deposit::Column::TxHash.eq(tx_hash))
                .filter(deposit::Column::LogIndex.eq(log_index))
                .one(txn)
                .await?
                .ok_or_else(|| {
                    StoreError::Unexpected(anyhow::anyhow!(
                        "deposit {tx_hash}/{log_index} vanished"
                    ))
                })?;
            (row.id, u64::try_from(row.amount_usdc).unwrap_or(0))
        }
    };
    journal::write(txn, &[deposit_entry(kind, session_id, id, units)], now_ms).await
}

fn i64_of(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}
