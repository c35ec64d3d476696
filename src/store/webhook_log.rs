//! One merchant's webhook outbox as its dashboard sees it: the delivery log
//! (newest first, paged by row id, each event with its latest attempt), a
//! resend that only touches the merchant's own events, and the row of a
//! test event that is delivered at once by the caller rather than by the
//! sender.
//!
//! Every query here is scoped by `merchant_id`: another merchant's event is
//! simply not found.

use std::collections::HashMap;

use kassa_entities::{webhook_attempt, webhook_event};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::webhooks::{AttemptRow, OutboxRow, merchant_event_row};
use super::{Store, StoreError};

impl Store {
    /// The merchant's events, newest first: at most `limit`, older than row
    /// `before` when given; each with its latest attempt, if any.
    pub async fn merchant_webhook_log(
        &self,
        merchant_id: i64,
        before: Option<i64>,
        limit: u64,
    ) -> Result<Vec<(OutboxRow, Option<AttemptRow>)>, StoreError> {
        let mut query =
            webhook_event::Entity::find().filter(webhook_event::Column::MerchantId.eq(merchant_id));
        if let Some(before) = before {
            query = query.filter(webhook_event::Column::Id.lt(before));
        }
        let events = query
            .order_by_desc(webhook_event::Column::Id)
            .limit(limit)
            .all(self.db())
            .await?;
        let ids: Vec<i64> = events.iter().map(|e| e.id).collect();
        let mut latest: HashMap<i64, AttemptRow> = HashMap::new();
        if !ids.is_empty() {
            let attempts = webhook_attempt::Entity::find()
                .filter(webhook_attempt::Column::EventRowId.is_in(ids))
                .order_by_asc(webhook_attempt::Column::Id)
                .all(self.db())
                .await?;
            for a in attempts {
                latest.insert(a.event_row_id, a);
            }
        }
        Ok(events
            .into_iter()
            .map(|e| {
                let last = latest.remove(&e.id);
                (e, last)
            })
            .collect())
    }

    /// Puts the merchant's event `event_id` back in the queue now (attempts
    /// start over); `false` when the merchant has no such event.
    pub async fn resend_merchant_webhook(
        &self,
        merchant_id: i64,
        event_id: &str,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let result = webhook_event::Entity::update_many()
            .col_expr(webhook_event::Column::State, Expr::value("pending"))
            .col_expr(webhook_event::Column::Attempts, Expr::value(0))
            .col_expr(webhook_event::Column::NextAttemptAt, Expr::value(now_ms))
            .filter(webhook_event::Column::MerchantId.eq(merchant_id))
            .filter(webhook_event::Column::EventId.eq(event_id))
            .exec(self.db())
            .await?;
        Ok(result.rows_affected > 0)
    }

    /// Queues a test event that the caller delivers itself right away. The
    /// sender would only pick it up at `fallback_at_ms` (a crash between
    /// this row and its recorded attempt loses nothing); returns the row.
    pub async fn insert_test_webhook_held(
        &self,
        merchant_id: i64,
        event_id: &str,
        payload: String,
        now_ms: i64,
        fallback_at_ms: i64,
    ) -> Result<OutboxRow, StoreError> {
        let mut row = merchant_event_row(merchant_id, event_id, "test", payload, now_ms);
        row.next_attempt_at = sea_orm::ActiveValue::Set(fallback_at_ms);
        let inserted = webhook_event::Entity::insert(row).exec(self.db()).await?;
        webhook_event::Entity::find_by_id(inserted.last_insert_id)
            .one(self.db())
            .await?
            .ok_or_else(|| StoreError::Unexpected(anyhow::anyhow!("the test event vanished")))
    }
}
