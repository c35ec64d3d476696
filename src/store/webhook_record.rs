//! Recording webhook attempts in bulk: a batch of finished attempts becomes
//! one multi-row insert into the attempt log and one `UPDATE … FROM (VALUES …)`
//! moving every event on (and one update per reason for events skipped), in
//! a single transaction. On PostgreSQL each
//! statement is a network round trip, so two per batch instead of two per
//! attempt is what lets a backlog drain at thousands of deliveries a second.

use kassa_entities::webhook_event;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, Statement, Value,
};

use super::webhooks::{AfterAttempt, NewAttempt, OutboxRow};
use super::{Store, StoreError};

/// Rows per statement: far below either database's limit on bound values.
const CHUNK: usize = 200;

type Made = (OutboxRow, NewAttempt, AfterAttempt);

impl Store {
    /// Records attempts and moves their events on, and marks `skipped` the
    /// events that will not be sent (row id, reason), all in one
    /// transaction. An event moves only from the state its attempt started
    /// from (`attempts` unchanged), so a stale copy never moves it.
    pub async fn record_attempts(
        &self,
        made: &[Made],
        skipped: &[(i64, &str)],
    ) -> Result<(), StoreError> {
        if made.is_empty() && skipped.is_empty() {
            return Ok(());
        }
        // The same lock order in every batch (fewer deadlocks with other writers).
        let mut made: Vec<&Made> = made.iter().collect();
        made.sort_by_key(|(event, _, _)| event.id);
        let txn = self.begin_write().await?;
        for chunk in made.chunks(CHUNK) {
            txn.execute_raw(attempt_inserts(self.backend(), chunk))
                .await?;
            txn.execute_raw(event_updates(self.backend(), chunk))
                .await?;
        }
        let mut reasons: Vec<&str> = skipped.iter().map(|(_, reason)| *reason).collect();
        reasons.sort_unstable();
        reasons.dedup();
        for reason in reasons {
            let ids: Vec<i64> = skipped
                .iter()
                .filter(|(_, r)| *r == reason)
                .map(|(id, _)| *id)
                .collect();
            for chunk in ids.chunks(CHUNK) {
                webhook_event::Entity::update_many()
                    .col_expr(webhook_event::Column::State, Expr::value("skipped"))
                    .col_expr(webhook_event::Column::LastError, Expr::value(reason))
                    .filter(webhook_event::Column::Id.is_in(chunk.iter().copied()))
                    .exec(&*txn)
                    .await?;
            }
        }
        txn.commit().await?;
        Ok(())
    }
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
    const COLS: usize = 7;
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
        ]);
    }
    // VALUES columns are named column1…column7 on both databases.
    let sql = format!(
        "UPDATE webhook_events SET attempts = v.column2, state = v.column3, \
         next_attempt_at = v.column4, delivered_at = v.column5, last_error = v.column6 \
         FROM (VALUES {}) AS v \
         WHERE webhook_events.id = v.column1 AND webhook_events.attempts = v.column7",
        placeholders(chunk.len(), COLS)
    );
    Statement::from_sql_and_values(backend, sql, values)
}
