//! Claims on the webhook outbox, so several nodes on one PostgreSQL database
//! share it without delivering one event twice at once, breaking a session's
//! order, or exceeding an endpoint's concurrency cap between them.
//!
//! A node claims the rows it is about to deliver with one statement per scan:
//! it names itself in `claimed_by` and sets `claim_until` (unix ms, on the
//! node's clock) to now plus its lease. A row is claimable while it is
//! pending, due, unclaimed or its claim has lapsed, is the oldest pending
//! event of its session (`session_id` 0 means "no session") with no other
//! event of that session claimed, and its endpoint has fewer than the cap of
//! live claims. Recording the attempt clears the claim in the same write, and
//! only while the claim is still the one the attempt was made under
//! (`webhook_record`). A node that dies leaves its claims to lapse; another
//! node then delivers those events again (at-least-once).
//!
//! This module decides nothing about delivery and never waits on a receiver:
//! it only moves claims.

use kassa_entities::webhook_event;
use sea_orm::{ConnectionTrait, DbBackend, EntityTrait, Statement, Value};

use super::webhooks::OutboxRow;
use super::{Store, StoreError};

/// The transaction-scoped advisory lock every claim statement on PostgreSQL
/// takes first ("kassa_wh" in ASCII, so it collides with no other lock of
/// Kassa's). See [`Store::claim_webhooks`] for why it is one lock.
const CLAIM_LOCK: i64 = 0x6b61_7373_615f_7768;

/// Who claims, when, for how long, and how much.
#[derive(Debug, Clone, Copy)]
pub struct ClaimTerms<'a> {
    /// The claiming node's name (unique among the live nodes).
    pub node: &'a str,
    pub now_ms: i64,
    /// How long the claim holds: it must outlast a delivery and its record.
    pub lease_ms: i64,
    /// Live claims allowed per endpoint, across every node.
    pub per_endpoint: usize,
    /// Rows claimed (and considered) at most per statement.
    pub limit: u64,
}

/// The endpoint an event goes to, as SQL over the alias `t`: its own
/// `target_url`, or its merchant's configured URL (keyed by merchant, since
/// that URL may change). The sender keys its own bookkeeping the same way.
fn endpoint_of(t: &str) -> String {
    format!("COALESCE({t}.target_url, 'merchant:' || CAST({t}.merchant_id AS TEXT))")
}

/// The claim statement. `$1` now, `$2` node, `$3` claim until, `$4` the
/// per-endpoint cap, `$5` the limit. `due` is the oldest claimable rows;
/// `held` counts live claims per endpoint; a due row fits when its rank
/// among its endpoint's due rows plus that endpoint's live claims is within
/// the cap. The final select re-checks the row itself (on PostgreSQL it sees
/// the newest version of a row a record just committed) and, on
/// PostgreSQL, skips rows another transaction is writing.
///
/// Written so that PostgreSQL's plan stays cheap whatever its statistics
/// say. A backlog builds while the statistics still show next to nothing
/// pending, and with such statistics two plans went quadratic (a 3,000-event
/// backlog: 10–16 ms of database CPU per delivery):
/// - a session's order check inside `NOT EXISTS` at the top of `due` became
///   an anti join that scanned every pending row for each due row; under
///   `OR` it stays a subquery run per due row, one index probe each;
/// - the final select preferred the partial pending indexes, read whole,
///   to the primary key; its state check is written `state || ''` so that
///   no partial index matches it and the fitting ids are found by key;
/// - `held`, joined to each due row, was counted again for every due row;
///   materialised, it is counted once.
fn claim_sql(backend: DbBackend) -> String {
    let (skip_locked, fitting) = match backend {
        // The fitting ids as one array computed once: with `IN (SELECT …)`
        // and fresh statistics the planner re-ran the window over the due
        // rows for every pending row (a 5,000-row backlog: 600 ms a claim).
        DbBackend::Postgres => (
            "FOR UPDATE SKIP LOCKED",
            "w.id = ANY(ARRAY(SELECT id FROM fits))",
        ),
        // One writer at a time: the statement runs under the write lock.
        _ => ("", "w.id IN (SELECT id FROM fits)"),
    };
    let (due, held) = (endpoint_of("e"), endpoint_of("c"));
    format!(
        "WITH due AS ( \
            SELECT e.id, e.next_attempt_at, {due} AS endpoint FROM webhook_events e \
            WHERE e.state = 'pending' AND e.next_attempt_at <= $1 \
            AND (e.claim_until IS NULL OR e.claim_until <= $1) \
            AND (e.session_id = 0 OR NOT EXISTS (SELECT 1 FROM webhook_events p \
                WHERE p.session_id = e.session_id AND p.state = 'pending' AND p.id <> e.id \
                AND (p.sequence < e.sequence OR p.claim_until > $1))) \
            AND NOT (e.target_url IS NULL AND EXISTS (SELECT 1 FROM merchants m \
                WHERE m.id = e.merchant_id AND m.webhook_disabled)) \
            ORDER BY e.next_attempt_at, e.id LIMIT $5), \
         held AS MATERIALIZED ( \
            SELECT {held} AS endpoint, COUNT(*) AS n FROM webhook_events c \
            WHERE c.claim_until IS NOT NULL AND c.claim_until > $1 GROUP BY {held}), \
         fits AS ( \
            SELECT r.id FROM (SELECT d.id, ROW_NUMBER() OVER (PARTITION BY d.endpoint \
                ORDER BY d.next_attempt_at, d.id) + COALESCE(h.n, 0) AS slot \
                FROM due d LEFT JOIN held h ON h.endpoint = d.endpoint) r \
            WHERE r.slot <= $4) \
         UPDATE webhook_events SET claimed_by = $2, claim_until = $3 \
         WHERE id IN (SELECT w.id FROM webhook_events w WHERE {fitting} \
            AND w.state || '' = 'pending' AND w.next_attempt_at <= $1 \
            AND (w.claim_until IS NULL OR w.claim_until <= $1) {skip_locked}) \
         RETURNING *"
    )
}

/// The claim statement with `terms` bound (public so that a test can ask
/// PostgreSQL how much it reads; [`Store::claim_webhooks`] runs it).
pub fn claim_statement(backend: DbBackend, terms: &ClaimTerms<'_>) -> Statement {
    let cap = i64::try_from(terms.per_endpoint).unwrap_or(i64::MAX);
    let limit = i64::try_from(terms.limit).unwrap_or(i64::MAX);
    let values: [Value; 5] = [
        terms.now_ms.into(),
        terms.node.into(),
        terms.now_ms.saturating_add(terms.lease_ms).into(),
        cap.into(),
        limit.into(),
    ];
    Statement::from_sql_and_values(backend, claim_sql(backend), values)
}

impl Store {
    /// Claims for `terms.node` the events it may deliver now, oldest due
    /// first (see the module doc for which are claimable).
    ///
    /// Why the endpoint cap holds across nodes: claims are counted and
    /// taken in one statement, and on PostgreSQL every claim statement first
    /// takes one transaction-scoped advisory lock, so claim statements run
    /// one after another; each one's snapshot is taken after the previous
    /// one committed, so it counts every live claim (a record that clears a
    /// claim concurrently only makes the count too high, never too low). One
    /// lock rather than one per endpoint: a scan claims across many
    /// endpoints at once, and a claim statement is short (deliveries and
    /// records are not serialised by it). On SQLite the statement runs under
    /// the database's single write lock, which gives the same order.
    pub async fn claim_webhooks(
        &self,
        terms: ClaimTerms<'_>,
    ) -> Result<Vec<OutboxRow>, StoreError> {
        let backend = self.backend();
        let txn = self.begin_write().await?;
        if backend == DbBackend::Postgres {
            // A plan made for this statement's values each time: a generic
            // plan, made once per connection (perhaps while the table was
            // small) and blind to `now`, may count live claims by reading
            // the whole table rather than the claims' partial index.
            txn.execute_raw(Statement::from_sql_and_values(
                backend,
                "SELECT pg_advisory_xact_lock($1), \
                 set_config('plan_cache_mode', 'force_custom_plan', true)",
                [CLAIM_LOCK.into()],
            ))
            .await?;
        }
        let stmt = claim_statement(backend, &terms);
        let mut rows = webhook_event::Entity::find()
            .from_raw_sql(stmt)
            .all(&*txn)
            .await?;
        txn.commit().await?;
        rows.sort_by_key(|row| (row.next_attempt_at, row.id));
        Ok(rows)
    }

    /// Gives back `node`'s claims on rows `ids` it will not deliver after
    /// all (another node, or its next scan, may take them at once).
    pub async fn release_webhook_claims(&self, node: &str, ids: &[i64]) -> Result<(), StoreError> {
        if ids.is_empty() {
            return Ok(());
        }
        let list = (2..ids.len() + 2)
            .map(|n| format!("${n}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "UPDATE webhook_events SET claimed_by = NULL, claim_until = NULL \
             WHERE claimed_by = $1 AND id IN ({list})"
        );
        let mut values: Vec<Value> = Vec::with_capacity(ids.len() + 1);
        values.push(node.into());
        values.extend(ids.iter().map(|id| Value::BigInt(Some(*id))));
        self.db()
            .execute_raw(Statement::from_sql_and_values(self.backend(), sql, values))
            .await?;
        Ok(())
    }

    /// Gives back every claim `node` holds (it is shutting down); returns how many.
    pub async fn release_node_webhook_claims(&self, node: &str) -> Result<u64, StoreError> {
        let result = self
            .db()
            .execute_raw(Statement::from_sql_and_values(
                self.backend(),
                // `claim_until IS NOT NULL` lets the claims' partial index find them.
                "UPDATE webhook_events SET claimed_by = NULL, claim_until = NULL \
                 WHERE claim_until IS NOT NULL AND claimed_by = $1",
                [node.into()],
            ))
            .await?;
        Ok(result.rows_affected())
    }

    /// Clears every claim. Only for a SQLite server at start: one server
    /// holds a SQLite database at a time (the node lock), so any claim
    /// found then was left by a process that has ended.
    pub async fn clear_webhook_claims(&self) -> Result<u64, StoreError> {
        let result = self
            .db()
            .execute_raw(Statement::from_string(
                self.backend(),
                "UPDATE webhook_events SET claimed_by = NULL, claim_until = NULL \
                 WHERE claim_until IS NOT NULL",
            ))
            .await?;
        Ok(result.rows_affected())
    }
}
