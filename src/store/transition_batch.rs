//! A group commit's transitions written table by table: one statement for
//! every session row, one for the deposits first sighted, one for their
//! journal entries and one for the outbox, instead of four or five per
//! transition. On SQLite each statement is a round trip to the connection's
//! worker thread, and a catch-up on the chain commits hundreds of deposits
//! in a few transactions.
//!
//! It writes exactly what [`write_transition`] writes, transition by
//! transition; what is rare (a deposit found again after a reorg, counted
//! after waiting, or dropped; a payout announced) still goes row by row.
//! A batch naming one session twice is written in turn by
//! [`write_transition`], since the second transition expects the version
//! the first one writes.

use std::collections::{HashMap, HashSet};

use kassa_entities::{deposit, webhook_event};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ConnectionTrait, DbBackend, EntityTrait, Statement, Value};

use super::StoreError;
use super::journal;
use super::sessions::units_to_i64;
use super::transitions::{
    Applied, DepositWrite, TransitionWrite, mark_announced, outbox_rows, sighted_again,
    sighted_entry, sighted_row, write_deposit, write_transition,
};
use crate::domain::journal::deposit_entry;

/// Writes every transition on `txn` (the caller commits), answering for
/// each whether it was written or found stale. An error may leave part of
/// the batch written: the caller then rolls the transaction back.
pub(super) async fn write_transitions(
    txn: &sea_orm::DatabaseTransaction,
    batch: &[(&TransitionWrite, i64)],
) -> Result<Vec<Applied>, StoreError> {
    let sessions: HashSet<i64> = batch.iter().map(|(w, _)| w.session_id).collect();
    if sessions.len() != batch.len() || txn.get_database_backend() != DbBackend::Sqlite {
        let mut applied = Vec::with_capacity(batch.len());
        for (write, now_ms) in batch {
            applied.push(write_transition(txn, write, *now_ms).await?);
        }
        return Ok(applied);
    }
    let written = update_sessions(txn, batch).await?;
    let applied: Vec<Applied> = batch
        .iter()
        .map(|(w, _)| {
            if written.contains(&w.session_id) {
                Applied::Written
            } else {
                Applied::Stale
            }
        })
        .collect();
    let live: Vec<(&TransitionWrite, i64)> = batch
        .iter()
        .zip(&applied)
        .filter(|(_, a)| matches!(a, Applied::Written))
        .map(|(w, _)| *w)
        .collect();
    write_deposits(txn, &live).await?;
    for (write, now_ms) in &live {
        if let Some(payout) = &write.payout {
            mark_announced(txn, write.session_id, payout, *now_ms).await?;
        }
    }
    webhook_event::Entity::insert_many(live.iter().flat_map(|(w, at)| outbox_rows(w, *at)))
        .exec_without_returning(txn)
        .await?;
    Ok(applied)
}

/// Every session row in one version-checked `UPDATE … FROM` (SQLite);
/// answers the sessions it wrote (the others moved meanwhile).
async fn update_sessions(
    txn: &sea_orm::DatabaseTransaction,
    batch: &[(&TransitionWrite, i64)],
) -> Result<HashSet<i64>, StoreError> {
    const COLUMNS: usize = 11;
    let row = format!("({})", ["?"; COLUMNS].join(", "));
    let rows = vec![row.as_str(); batch.len()].join(", ");
    let sql = format!(
        "WITH v(id, version, status, received_usdc, events, paid_at, last_error, \
                set_txid_in, txid_in, set_txid_out, txid_out) AS (VALUES {rows}) \
         UPDATE sessions SET \
           status = v.status, \
           received_usdc = v.received_usdc, \
           version = v.version + 1, \
           event_count = sessions.event_count + v.events, \
           paid_at = v.paid_at, \
           last_error = v.last_error, \
           txid_in = CASE WHEN v.set_txid_in THEN v.txid_in ELSE sessions.txid_in END, \
           txid_out = CASE WHEN v.set_txid_out THEN v.txid_out ELSE sessions.txid_out END \
         FROM v WHERE sessions.id = v.id AND sessions.version = v.version \
         RETURNING sessions.id"
    );
    let mut values: Vec<Value> = Vec::with_capacity(batch.len() * COLUMNS);
    for (w, _) in batch {
        let events = i32::try_from(w.events.len()).unwrap_or(i32::MAX);
        values.extend([
            w.session_id.into(),
            w.expected_version.into(),
            w.status.as_str().into(),
            units_to_i64(w.received_units).into(),
            events.into(),
            w.paid_at_ms.into(),
            w.last_error.clone().into(),
            w.txid_in.is_some().into(),
            w.txid_in.clone().flatten().into(),
            w.payout.is_some().into(),
            w.payout.as_ref().map(|p| p.txid_out.clone()).into(),
        ]);
    }
    let stmt = Statement::from_sql_and_values(DbBackend::Sqlite, sql, values);
    let mut written = HashSet::with_capacity(batch.len());
    for row in txn.query_all_raw(stmt).await? {
        written.insert(row.try_get_by_index::<i64>(0)?);
    }
    Ok(written)
}

/// The deposits of written transitions: first sightings in one insert and
/// their journal entries in another; the rest row by row.
async fn write_deposits(
    txn: &sea_orm::DatabaseTransaction,
    live: &[(&TransitionWrite, i64)],
) -> Result<(), StoreError> {
    let mut sighted = Vec::new();
    for (write, now_ms) in live {
        match &write.deposit {
            Some(DepositWrite::Sighted { fact, state }) => {
                sighted.push((write.session_id, fact, *state, *now_ms));
            }
            Some(other) => write_deposit(txn, write.session_id, other, *now_ms).await?,
            None => {}
        }
    }
    if sighted.is_empty() {
        return Ok(());
    }
    // Keyed by session too: a transfer some other session's row already
    // holds must not take that row's id.
    let inserted: HashMap<(i64, String, i64), i64> = deposit::Entity::insert_many(
        sighted
            .iter()
            .map(|(session, fact, state, at)| sighted_row(*session, fact, *state, *at)),
    )
    .on_conflict(
        OnConflict::columns([deposit::Column::TxHash, deposit::Column::LogIndex])
            .do_nothing()
            .to_owned(),
    )
    .exec_with_returning(txn)
    .await?
    .into_iter()
    .map(|d| ((d.session_id, d.tx_hash, d.log_index), d.id))
    .collect();
    let mut entries = Vec::new();
    for (session_id, fact, state, now_ms) in sighted {
        match inserted.get(&(session_id, fact.tx_hash.clone(), fact.log_index)) {
            Some(&id) => {
                if let Some(kind) = sighted_entry(state) {
                    let entry = deposit_entry(kind, session_id, id, fact.amount_units);
                    entries.push((entry, now_ms));
                }
            }
            // Already there: a dropped deposit found again.
            None => sighted_again(txn, session_id, fact, state, now_ms).await?,
        }
    }
    journal::write_each(txn, entries.iter().map(|(e, at)| (e, *at))).await
}
