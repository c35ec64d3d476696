//! Idempotency keys: the first request with a key reserves it; its response
//! is stored so a repeat within 24 hours gets the same bytes back.

use kassa_entities::idempotency_key;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};

use super::{Store, StoreError};

/// How long a key and its first response are kept.
pub const KEEP_MS: i64 = 24 * 60 * 60 * 1000;

/// What a reservation attempt found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reservation {
    /// The key is ours: run the request, then [`Store::complete_idempotency`].
    Reserved,
    /// Seen before with the same request, and answered.
    Answered { status: u16, body: String },
    /// Seen before with the same request, still running elsewhere.
    InFlight,
    /// Seen before with a different request.
    Mismatch,
}

impl Store {
    /// Tries to reserve `key` for this request (`request_hash`); keys older than `expire_before_ms` are forgotten.
    pub async fn reserve_idempotency(
        &self,
        merchant_id: i64,
        key: &str,
        request_hash: &str,
        now_ms: i64,
        expire_before_ms: i64,
    ) -> Result<Reservation, StoreError> {
        for _ in 0..2 {
            if let Some(row) = idempotency_key::Entity::find_by_id((merchant_id, key.to_string()))
                .one(self.db())
                .await?
            {
                if row.created_at < expire_before_ms {
                    idempotency_key::Entity::delete_by_id((merchant_id, key.to_string()))
                        .exec(self.db())
                        .await?;
                    continue;
                }
                if row.request_hash != request_hash {
                    return Ok(Reservation::Mismatch);
                }
                return Ok(match (row.response_status, row.response_body) {
                    (Some(status), Some(body)) => Reservation::Answered {
                        status: u16::try_from(status).unwrap_or(500),
                        body,
                    },
                    _ => Reservation::InFlight,
                });
            }
            let inserted = idempotency_key::Entity::insert(idempotency_key::ActiveModel {
                merchant_id: Set(merchant_id),
                key: Set(key.to_string()),
                request_hash: Set(request_hash.to_string()),
                response_status: Set(None),
                response_body: Set(None),
                created_at: Set(now_ms),
            })
            .exec_without_returning(self.db())
            .await;
            match inserted {
                Ok(_) => return Ok(Reservation::Reserved),
                Err(e) => match StoreError::from(e) {
                    StoreError::Conflict => continue,
                    other => return Err(other),
                },
            }
        }
        Ok(Reservation::InFlight)
    }

    /// Stores the response of a reserved key.
    pub async fn complete_idempotency(
        &self,
        merchant_id: i64,
        key: &str,
        status: u16,
        body: &str,
    ) -> Result<(), StoreError> {
        idempotency_key::Entity::update_many()
            .col_expr(
                idempotency_key::Column::ResponseStatus,
                sea_orm::sea_query::Expr::value(i32::from(status)),
            )
            .col_expr(
                idempotency_key::Column::ResponseBody,
                sea_orm::sea_query::Expr::value(body.to_string()),
            )
            .filter(idempotency_key::Column::MerchantId.eq(merchant_id))
            .filter(idempotency_key::Column::Key.eq(key))
            .exec(self.db())
            .await?;
        Ok(())
    }

    /// Gives a reserved key up (the request failed in a way worth retrying).
    pub async fn release_idempotency(&self, merchant_id: i64, key: &str) -> Result<(), StoreError> {
        idempotency_key::Entity::delete_by_id((merchant_id, key.to_string()))
            .exec(self.db())
            .await?;
        Ok(())
    }

    /// Deletes keys older than `before_ms`.
    pub async fn purge_idempotency(&self, before_ms: i64) -> Result<u64, StoreError> {
        Ok(idempotency_key::Entity::delete_many()
            .filter(idempotency_key::Column::CreatedAt.lt(before_ms))
            .exec(self.db())
            .await?
            .rows_affected)
    }
}
