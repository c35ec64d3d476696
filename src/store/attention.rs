//! Reads the operators' attention queue needs beside the existing ones
//! (held money, failed sweeps, dead letters): one webhook event by its id,
//! and the merchant endpoints parked after a 410 Gone. Nothing here writes.

use kassa_entities::{merchant, webhook_event};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::webhooks::OutboxRow;
use super::{Store, StoreError};

/// A merchant whose webhook endpoint is parked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParkedEndpoint {
    pub merchant_id: i64,
    pub email: String,
    pub url: Option<String>,
}

impl Store {
    /// The outbox row of event `event_id`, if there is one.
    pub async fn webhook_event(&self, event_id: &str) -> Result<Option<OutboxRow>, StoreError> {
        Ok(webhook_event::Entity::find()
            .filter(webhook_event::Column::EventId.eq(event_id))
            .one(self.db())
            .await?)
    }

    /// Merchants whose endpoint is parked, by id, at most `limit`.
    pub async fn parked_webhook_endpoints(
        &self,
        limit: u64,
    ) -> Result<Vec<ParkedEndpoint>, StoreError> {
        let rows: Vec<(i64, String, Option<String>)> = merchant::Entity::find()
            .select_only()
            .column(merchant::Column::Id)
            .column(merchant::Column::Email)
            .column(merchant::Column::WebhookUrl)
            .filter(merchant::Column::WebhookDisabled.eq(true))
            .order_by_asc(merchant::Column::Id)
            .limit(limit)
            .into_tuple()
            .all(self.db())
            .await?;
        Ok(rows
            .into_iter()
            .map(|(merchant_id, email, url)| ParkedEndpoint {
                merchant_id,
                email,
                url,
            })
            .collect())
    }
}
