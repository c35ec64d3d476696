//! Recording webhook attempts in bulk: a batch of finished attempts becomes
//! one `UPDATE … FROM (VALUES …)` moving every event on and one multi-row
//! insert into the attempt log (and one such update for events skipped), in
//! a single transaction. On PostgreSQL each statement is a network round
//! trip, so two per batch instead of two per attempt is what lets a backlog
//! drain at thousands of deliveries a second.
//!
//! An event moves only from the state its attempt started from: the same
//! `attempts`, and the same claim (`claimed_by`, `claim_until`) it was
//! picked up under. A node whose lease lapsed and whose event another node
//! took over therefore never overwrites the new claimant's state; its
//! attempt is not logged either (the update returns the rows it moved, and
//! only those get an attempt-log row). Moving an event clears its claim.

use std::collections::HashSet;

use sea_orm::{ConnectionTrait, DbBackend, Statement, Value};

use super::webhooks::{AfterAttempt, NewAttempt, OutboxRow, Recorded, Skip};
use super::{Store, StoreError};

/// Rows per statement: far below either database's limit on bound values.
const CHUNK: usize = 200;

type Made = (OutboxRow, NewAttempt, AfterAttempt);

impl Store {
    /// Records attempts and moves their events on, and marks `skipped` the
    /// events that will not be sent, all in one transaction. Events whose
    /// claim or attempt count changed since they were read are left as they
    /// are and come back in [`Recorded::refused`] (not an error: another
    /// node took them over).
    pub async fn record_attempts(
        &self,
        made: &[Made],
        skipped: &[Skip],
    ) -> Result<Recorded, StoreError> {
        let mut recorded = Recorded::default();
        if made.is_empty() && skipped.is_empty() {
            return Ok(recorded);
        }
        // The same lock order in every batch (fewer deadlocks with other writers).
        let mut made: Vec<&Made> = made.iter().collect();
        made.sort_by_key(|(event, _, _)| event.id);
        let mut skipped: Vec<&Skip> = skipped.iter().collect();
        skipped.sort_by_key(|skip| skip.row_id);
        let txn = self.begin_write().await?;
        for chunk in made.chunks(CHUNK) {
            let moved = moved_ids(&txn, event_updates(self.backend(), chunk)).await?;
            let (kept, refused): (Vec<&Made>, Vec<&Made>) = chunk
                .iter()
                .copied()
                .partition(|(event, _, _)| moved.contains(&event.id));
            recorded
                .refused
                .extend(refused.iter().map(|(event, _, _)| event.id));
            if !kept.is_empty() {
                txn.execute_raw(attempt_inserts(self.backend(), &kept))
                    .await?;
            }
        }
        for chunk in skipped.chunks(CHUNK) {
            let moved = moved_ids(&txn, skip_updates(self.backend(), chunk)).await?;
            recorded.refused.extend(
                chunk
                    .iter()
                    .map(|skip| skip.row_id)
                    .filter(|id| !moved.contains(id)),
            );
        }
        txn.commit().await?;
        Ok(recorded)
    }
}

/// Runs an update ending in `RETURNING id`: the rows it moved.
async fn moved_ids(
    txn: &sea_orm::DatabaseTransaction,
    stmt: Statement,
) -> Result<HashSet<i64>, StoreError> {
    let rows = txn.query_all_raw(stmt).await?;
    let mut ids = HashSet::with_capacity(rows.len());
    for row in rows {
        ids.insert(row.try_get_by_index::<i64>(0)?);
    }
    Ok(ids)
}

/// `($1, …, $cols), ($cols+1, …)` for `rows` rows.
fn placeholders(rows: usize, cols: usize) -> String {
    (0..rows)
        .map(|r| {
            let row: Vec<String> = (1..=cols).map(|c| format!("${}", r * cols + c)).collect();
            format!("({})", row.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// One statement adding an attempt-log row for every attempt of `chunk`.
fn attempt_inserts(backend: DbBackend, chunk: &[&Made]) -> Statement {
    const COLS: usize = 11;
    let mut values: Vec<Value> = Vec::with_capacity(chunk.len() * COLS);
    for (event, attempt, _) in chunk {
        values.extend([
            Value::BigInt(Some(event.id)),
            Value::String(Some(event.event_id.clone())),
            Value::BigInt(Some(event.session_id)),
            Value::Int(Some(event.attempts + 1)),
            Value::String(Some(attempt.url.clone())),
            Value::BigInt(Some(event.next_attempt_at)),
            Value::BigInt(Some(attempt.started_at_ms)),
            Value::Int(attempt.http_status.map(i32::from)),
            Value::BigInt(Some(attempt.latency_ms)),
            Value::String(attempt.error.clone()),
            Value::String(attempt.snippet.clone()),
        ]);
    }
    let sql = format!(
        "INSERT INTO webhook_attempts (event_row_id, event_id, session_id, attempt, url, \
         scheduled_at, started_at, http_status, latency_ms, error, response_snippet) VALUES {}",
        placeholders(chunk.len(), COLS)
    );
    Statement::from_sql_and_values(backend, sql, values)
}

/// One statement moving every event of `chunk` to where its attempt left it.
fn event_updates(backend: DbBackend, chunk: &[&Made]) -> Statement {
    const COLS: usize = 9;
    let mut values: Vec<Value> = Vec::with_capacity(chunk.len() * COLS);
    for (event, attempt, after) in chunk {
        let (state, next, delivered) = match after {
            AfterAttempt::Delivered => (
                "delivered",
                event.next_attempt_at,
                Some(attempt.started_at_ms),
            ),
            AfterAttempt::RetryAt(at) => ("pending", *at, None),
            AfterAttempt::Dead => ("dead", event.next_attempt_at, None),
        };
        let last_error = attempt.error.clone().or_else(|| {
            attempt
                .http_status
                .filter(|s| !(200..300).contains(s))
                .map(|s| format!("HTTP {s}"))
        });
        values.extend([
            Value::BigInt(Some(event.id)),
            Value::Int(Some(event.attempts + 1)),
            Value::String(Some(state.to_string())),
            Value::BigInt(Some(next)),
            Value::BigInt(delivered),
            Value::String(last_error),
            Value::Int(Some(event.attempts)),
            Value::String(event.claimed_by.clone()),
            Value::BigInt(event.claim_until),
        ]);
    }
    // VALUES columns are named column1…column9 on both databases.
    let sql = format!(
        "UPDATE webhook_events SET attempts = v.column2, state = v.column3, \
         next_attempt_at = v.column4, delivered_at = v.column5, last_error = v.column6, \
         claimed_by = NULL, claim_until = NULL \
         FROM (VALUES {}) AS v \
         WHERE webhook_events.id = v.column1 AND webhook_events.attempts = v.column7 \
         AND webhook_events.claimed_by IS NOT DISTINCT FROM v.column8 \
         AND webhook_events.claim_until IS NOT DISTINCT FROM v.column9 \
         RETURNING id",
        placeholders(chunk.len(), COLS)
    );
    Statement::from_sql_and_values(backend, sql, values)
}

/// One statement marking every event of `chunk` skipped, for its reason.
fn skip_updates(backend: DbBackend, chunk: &[&Skip]) -> Statement {
    const COLS: usize = 4;
    let mut values: Vec<Value> = Vec::with_capacity(chunk.len() * COLS);
    for skip in chunk {
        values.extend([
            Value::BigInt(Some(skip.row_id)),
            Value::String(Some(skip.reason.to_string())),
            Value::String(skip.claimed_by.clone()),
            Value::BigInt(skip.claim_until),
        ]);
    }
    let sql = format!(
        "UPDATE webhook_events SET state = 'skipped', last_error = v.column2, \
         claimed_by = NULL, claim_until = NULL \
         FROM (VALUES {}) AS v \
         WHERE webhook_events.id = v.column1 AND webhook_events.state = 'pending' \
         AND webhook_events.claimed_by IS NOT DISTINCT FROM v.column3 \
         AND webhook_events.claim_until IS NOT DISTINCT FROM v.column4 \
         RETURNING id",
        placeholders(chunk.len(), COLS)
    );
    Statement::from_sql_and_values(backend, sql, values)
}
