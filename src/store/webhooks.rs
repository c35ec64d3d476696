//! The webhook outbox as the sender and the CLI see it: due events (in
//! per-session order), merchant endpoints and secrets, attempts, and the
//! operator's resend / replay / dead-letter views.

use kassa_entities::{merchant, webhook_attempt, webhook_event};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Statement,
};

use super::{Store, StoreError};
use crate::domain::secret_box::Purpose;

pub use kassa_entities::webhook_attempt::Model as AttemptRow;
pub use kassa_entities::webhook_event::Model as OutboxRow;

/// Where and how a merchant receives webhooks.
#[derive(Clone)]
pub struct MerchantHook {
    pub url: Option<String>,
    /// Active secrets, the current one first (a rotated-out one while its window lasts).
    pub secrets: Vec<String>,
    pub disabled: bool,
    /// Statuses to deliver; `None` means all.
    pub statuses: Option<Vec<String>>,
}

impl std::fmt::Debug for MerchantHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MerchantHook")
            .field("url", &self.url)
            .field("secrets", &self.secrets.len())
            .field("disabled", &self.disabled)
            .finish()
    }
}

/// One attempt, as recorded.
#[derive(Debug, Clone)]
pub struct NewAttempt {
    pub url: String,
    pub started_at_ms: i64,
    pub http_status: Option<u16>,
    pub latency_ms: i64,
    pub error: Option<String>,
    pub snippet: Option<String>,
}

/// An event that will not be sent, and why. It is marked `skipped` only
/// while the claim it was picked up under (`claimed_by`, `claim_until`, as
/// the row was read) still holds.
#[derive(Debug, Clone)]
pub struct Skip {
    pub row_id: i64,
    pub claimed_by: Option<String>,
    pub claim_until: Option<i64>,
    pub reason: &'static str,
}

impl Skip {
    /// Skips `row` (as claimed) for `reason`.
    pub fn of(row: &OutboxRow, reason: &'static str) -> Skip {
        Skip {
            row_id: row.id,
            claimed_by: row.claimed_by.clone(),
            claim_until: row.claim_until,
            reason,
        }
    }
}

/// What a record did not write: rows whose claim had passed to another
/// node (or that had moved on) by the time their attempt was recorded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recorded {
    pub refused: Vec<i64>,
}

/// Where an event stands after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterAttempt {
    Delivered,
    RetryAt(i64),
    Dead,
}

impl Store {
    /// Pending events due by `now_ms`, oldest first, each only when no earlier
    /// event of its session is still pending, and not for a disabled endpoint.
    /// A read, claimed or not (what is left to do); the sender claims with
    /// [`Store::claim_webhooks`] instead.
    pub async fn due_webhooks(
        &self,
        now_ms: i64,
        limit: u64,
    ) -> Result<Vec<OutboxRow>, StoreError> {
        let sql = "SELECT e.* FROM webhook_events e \
            WHERE e.state = 'pending' AND e.next_attempt_at <= $1 \
            AND NOT EXISTS (SELECT 1 FROM webhook_events p WHERE e.session_id <> 0 AND p.session_id = e.session_id \
                AND p.state = 'pending' AND p.sequence < e.sequence) \
            AND NOT (e.target_url IS NULL AND EXISTS (SELECT 1 FROM merchants m WHERE m.id = e.merchant_id AND m.webhook_disabled)) \
            ORDER BY e.next_attempt_at, e.id LIMIT $2";
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let stmt =
            Statement::from_sql_and_values(self.backend(), sql, [now_ms.into(), limit.into()]);
        Ok(webhook_event::Entity::find()
            .from_raw_sql(stmt)
            .all(self.db())
            .await?)
    }

    /// How many events are pending, and when the oldest was created.
    pub async fn webhook_queue(&self) -> Result<(u64, Option<i64>), StoreError> {
        let row = webhook_event::Entity::find()
            .select_only()
            .column_as(webhook_event::Column::Id.count(), "n")
            .column_as(webhook_event::Column::CreatedAt.min(), "oldest")
            .filter(webhook_event::Column::State.eq("pending"))
            .into_tuple::<(i64, Option<i64>)>()
            .one(self.db())
            .await?;
        Ok(row
            .map(|(n, oldest)| (u64::try_from(n).unwrap_or(0), oldest))
            .unwrap_or((0, None)))
    }

    /// A merchant's webhook endpoint and active secrets at `now_ms`.
    pub async fn merchant_hook(
        &self,
        merchant_id: i64,
        now_ms: i64,
    ) -> Result<Option<MerchantHook>, StoreError> {
        let Some(m) = merchant::Entity::find_by_id(merchant_id)
            .one(self.db())
            .await?
        else {
            return Ok(None);
        };
        let what = format!("merchant {merchant_id}'s webhook secret");
        let mut secrets: Vec<String> = m
            .webhook_secret
            .map(|s| self.open(Purpose::WebhookSecret, &s, &what))
            .transpose()?
            .into_iter()
            .collect();
        if let (Some(previous), Some(until)) =
            (m.webhook_secret_previous, m.webhook_secret_previous_until)
            && until > now_ms
        {
            secrets.push(self.open(Purpose::WebhookSecret, &previous, &what)?);
        }
        let statuses = m.webhook_statuses.map(|s| {
            s.split(',')
                .map(|x| x.trim().to_string())
                .filter(|x| !x.is_empty())
                .collect()
        });
        Ok(Some(MerchantHook {
            url: m.webhook_url,
            secrets,
            disabled: m.webhook_disabled,
            statuses,
        }))
    }

    /// Parks a merchant's endpoint after `410 Gone` (until re-enabled).
    pub async fn disable_webhook_endpoint(&self, merchant_id: i64) -> Result<(), StoreError> {
        merchant::Entity::update_many()
            .col_expr(merchant::Column::WebhookDisabled, Expr::value(true))
            .filter(merchant::Column::Id.eq(merchant_id))
            .exec(self.db())
            .await?;
        Ok(())
    }

    /// Every event of a session with its attempts, in order.
    pub async fn webhooks_of_session(
        &self,
        session_id: i64,
    ) -> Result<Vec<(OutboxRow, Vec<AttemptRow>)>, StoreError> {
        let events = webhook_event::Entity::find()
            .filter(webhook_event::Column::SessionId.eq(session_id))
            .order_by_asc(webhook_event::Column::Sequence)
            .all(self.db())
            .await?;
        let mut out = Vec::with_capacity(events.len());
        for e in events {
            let attempts = webhook_attempt::Entity::find()
                .filter(webhook_attempt::Column::EventRowId.eq(e.id))
                .order_by_asc(webhook_attempt::Column::Attempt)
                .all(self.db())
                .await?;
            out.push((e, attempts));
        }
        Ok(out)
    }

    /// Puts an event back in the queue now (its attempt count starts over).
    pub async fn resend_webhook(&self, event_id: &str, now_ms: i64) -> Result<bool, StoreError> {
        let result = webhook_event::Entity::update_many()
            .col_expr(webhook_event::Column::State, Expr::value("pending"))
            .col_expr(webhook_event::Column::Attempts, Expr::value(0))
            .col_expr(webhook_event::Column::NextAttemptAt, Expr::value(now_ms))
            // Whoever was delivering it gives way: its record is refused
            // (the claim changed) and the event is claimable at once.
            .col_expr(
                webhook_event::Column::ClaimedBy,
                Expr::value(None::<String>),
            )
            .col_expr(webhook_event::Column::ClaimUntil, Expr::value(None::<i64>))
            .filter(webhook_event::Column::EventId.eq(event_id))
            .exec(self.db())
            .await?;
        Ok(result.rows_affected > 0)
    }

    /// Re-queues a merchant's events created in `[since, until)`.
    pub async fn replay_webhooks(
        &self,
        merchant_id: i64,
        since_ms: i64,
        until_ms: i64,
        now_ms: i64,
    ) -> Result<u64, StoreError> {
        let result = webhook_event::Entity::update_many()
            .col_expr(webhook_event::Column::State, Expr::value("pending"))
            .col_expr(webhook_event::Column::Attempts, Expr::value(0))
            .col_expr(webhook_event::Column::NextAttemptAt, Expr::value(now_ms))
            // Whoever was delivering it gives way: its record is refused
            // (the claim changed) and the event is claimable at once.
            .col_expr(
                webhook_event::Column::ClaimedBy,
                Expr::value(None::<String>),
            )
            .col_expr(webhook_event::Column::ClaimUntil, Expr::value(None::<i64>))
            .filter(webhook_event::Column::MerchantId.eq(merchant_id))
            .filter(webhook_event::Column::CreatedAt.gte(since_ms))
            .filter(webhook_event::Column::CreatedAt.lt(until_ms))
            .exec(self.db())
            .await?;
        Ok(result.rows_affected)
    }

    /// Dead letters, newest first.
    pub async fn dead_webhooks(&self, limit: u64) -> Result<Vec<OutboxRow>, StoreError> {
        Ok(webhook_event::Entity::find()
            .filter(webhook_event::Column::State.eq("dead"))
            .order_by_desc(webhook_event::Column::Id)
            .limit(limit)
            .all(self.db())
            .await?)
    }

    /// Queues a merchant's test event (session 0), due now.
    pub async fn insert_test_webhook(
        &self,
        merchant_id: i64,
        event_id: &str,
        payload: String,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        webhook_event::Entity::insert(merchant_event_row(
            merchant_id,
            event_id,
            "test",
            payload,
            now_ms,
        ))
        .exec_without_returning(self.db())
        .await?;
        Ok(())
    }

    /// For benchmarks: (outbox row created, receiver answered 2xx) in ms for
    /// every delivered event — the commit-to-200 latency of each delivery.
    pub async fn delivery_timings(&self) -> Result<Vec<(i64, i64)>, StoreError> {
        let events: std::collections::HashMap<i64, i64> = webhook_event::Entity::find()
            .filter(webhook_event::Column::State.eq("delivered"))
            .all(self.db())
            .await?
            .into_iter()
            .map(|e| (e.id, e.created_at))
            .collect();
        let attempts = webhook_attempt::Entity::find()
            .filter(webhook_attempt::Column::HttpStatus.between(200, 299))
            .all(self.db())
            .await?;
        Ok(attempts
            .into_iter()
            .filter_map(|a| {
                events
                    .get(&a.event_row_id)
                    .map(|created| (*created, a.started_at + a.latency_ms))
            })
            .collect())
    }

    /// For tests and benchmarks: how many events are in `state`.
    pub async fn count_webhooks(&self, state: &str) -> Result<u64, StoreError> {
        use sea_orm::PaginatorTrait;
        Ok(webhook_event::Entity::find()
            .filter(webhook_event::Column::State.eq(state))
            .count(self.db())
            .await?)
    }
}

/// The outbox row of a merchant-level event (session 0: a test event, a
/// payout wallet change), due now. Such events are not ordered with any
/// session's and not filtered by the merchant's status choice.
pub(super) fn merchant_event_row(
    merchant_id: i64,
    event_id: &str,
    status: &str,
    payload: String,
    now_ms: i64,
) -> webhook_event::ActiveModel {
    webhook_event::ActiveModel {
        event_id: Set(event_id.to_string()),
        session_id: Set(0),
        merchant_id: Set(merchant_id),
        sequence: Set(0),
        status: Set(status.to_string()),
        payload: Set(payload),
        target_url: Set(None),
        state: Set("pending".into()),
        attempts: Set(0),
        next_attempt_at: Set(now_ms),
        created_at: Set(now_ms),
        delivered_at: Set(None),
        last_error: Set(None),
        ..Default::default()
    }
}
