//! Recording webhook attempts in bulk: a batch of finished attempts becomes
//! one multi-row insert into the attempt log and one `UPDATE … FROM (VALUES …)`
//! moving every event on, in a single transaction. On PostgreSQL each
//! statement is a network round trip, so two per batch instead of two per
//! attempt is what lets a backlog drain at thousands of deliveries a second.

use kassa_entities::webhook_attempt;
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait, Statement, Value};

use super::webhooks::{AfterAttempt, NewAttempt, OutboxRow};
use super::{Store, StoreError};

/// Rows per statement: far below either database's limit on bound values.
const CHUNK: usize = 200;

impl Store {
    /// Records attempts and moves their events on, all in one transaction.
    /// An event moves only from the state its attempt started from
    /// (`attempts` unchanged), so a stale copy never moves it.
    pub async fn record_attempts(
        &self,
        made: &[(OutboxRow, NewAttempt, AfterAttempt)],
    ) -> Result<(), StoreError> {
        if made.is_empty() {
            return Ok(());
        }
        // The same lock order in every batch (fewer deadlocks with other writers).
        let mut made: Vec<&(OutboxRow, NewAttempt, AfterAttempt)> = made.iter().collect();
        made.sort_by_key(|(event, _, _)| event.id);
        let txn = self.begin_write().await?;
        for chunk in made.chunks(CHUNK) {
            webhook_attempt::Entity::insert_many(chunk.iter().map(|(e, a, _)| attempt_row(e, a)))
                .exec_without_returning(&*txn)
                .await?;
            txn.execute_raw(event_updates(self.backend(), chunk))
                .await?;
        }
        txn.commit().await?;
        Ok(())
    }
}

fn attempt_row(event: &OutboxRow, attempt: &NewAttempt) -> webhook_attempt::ActiveModel {
    webhook_attempt::ActiveModel {
        event_row_id: Set(event.id),
        event_id: Set(event.event_id.clone()),
        session_id: Set(event.session_id),
        attempt: Set(event.attempts + 1),
        url: Set(attempt.url.clone()),
        scheduled_at: Set(event.next_attempt_at),
        started_at: Set(attempt.started_at_ms),
        http_status: Set(attempt.http_status.map(i32::from)),
        latency_ms: Set(attempt.latency_ms),
        error: Set(attempt.error.clone()),
        response_snippet: Set(attempt.snippet.clone()),
        ..Default::default()
    }
}

/// One statement moving every event of `chunk` to where its attempt left it.
fn event_updates(
    backend: sea_orm::DbBackend,
    chunk: &[&(OutboxRow, NewAttempt, AfterAttempt)],
) -> Statement {
    let mut rows = Vec::with_capacity(chunk.len());
    let mut values: Vec<Value> = Vec::with_capacity(chunk.len() * 7);
    for (event, attempt, after) in chunk {
        let n = values.len();
        rows.push(format!(
            "(${}, ${}, ${}, ${}, ${}, ${}, ${})",
            n + 1,
            n + 2,
            n + 3,
            n + 4,
            n + 5,
            n + 6,
            n + 7
        ));
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
            Value::BigInt(Some(i64::from(event.attempts) + 1)),
            Value::String(Some(state.to_string())),
            Value::BigInt(Some(next)),
            Value::BigInt(delivered),
            Value::String(last_error),
            Value::BigInt(Some(i64::from(event.attempts))),
        ]);
    }
    // VALUES columns are named column1…column7 on both databases.
    let sql = format!(
        "UPDATE webhook_events SET attempts = v.column2, state = v.column3, \
         next_attempt_at = v.column4, delivered_at = v.column5, last_error = v.column6 \
         FROM (VALUES {}) AS v \
         WHERE webhook_events.id = v.column1 AND webhook_events.attempts = v.column7",
        rows.join(", ")
    );
    Statement::from_sql_and_values(backend, sql, values)
}
