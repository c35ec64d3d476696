//! A merchant's payout wallet columns (the wallet in force and a change
//! waiting out its cool-off): read fresh, never from the merchant cache, and
//! written only if they still hold what was read (compare-and-set), in one
//! transaction with the webhook event that announces the change, so the
//! merchant hears of every committed change and of nothing else.
//!
//! Nothing here decides: `domain::payout_wallet` says what to store, the
//! caller builds the event.

use kassa_entities::merchant;
use sea_orm::sea_query::{Expr, SimpleExpr};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::merchant_rows::wallets_of;
use super::webhooks::merchant_event_row;
use super::{Store, StoreError};
use crate::domain::payout_wallet::PayoutWallets;

/// A merchant-level webhook event (session 0) to queue with a write.
#[derive(Debug, Clone)]
pub struct MerchantEvent {
    pub event_id: String,
    pub status: String,
    /// The body without `sent_at` (the sender adds it).
    pub payload: String,
}

/// How a compare-and-set write of the wallet columns ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WalletWrite {
    Written,
    /// The columns changed since they were read: read again and decide again.
    Stale,
    NotFound,
}

impl Store {
    /// The merchant's payout wallets as stored now; `None`: no such merchant.
    pub async fn payout_wallets(&self, id: i64) -> Result<Option<PayoutWallets>, StoreError> {
        let row = merchant::Entity::find_by_id(id).one(self.db()).await?;
        Ok(row.as_ref().map(wallets_of))
    }

    /// Stores `new` if the columns still hold `seen`, and queues `event` in
    /// the same transaction.
    pub async fn write_payout_wallets(
        &self,
        id: i64,
        seen: &PayoutWallets,
        new: &PayoutWallets,
        event: Option<MerchantEvent>,
        now_ms: i64,
    ) -> Result<WalletWrite, StoreError> {
        let txn = self.begin_write().await?;
        let seen_pending = seen.stored_pending();
        let pending = new.stored_pending();
        let result = merchant::Entity::update_many()
            .col_expr(
                merchant::Column::PayoutWallet,
                Expr::value(new.stored_current().map(str::to_string)),
            )
            .col_expr(
                merchant::Column::PendingPayoutWallet,
                Expr::value(pending.map(|p| p.wallet.clone())),
            )
            .col_expr(
                merchant::Column::PendingPayoutWalletAt,
                Expr::value(pending.map(|p| p.effective_at_ms)),
            )
            .col_expr(
                merchant::Column::PendingPayoutWalletRequestedAt,
                Expr::value(pending.map(|p| p.requested_at_ms)),
            )
            .col_expr(merchant::Column::UpdatedAt, Expr::value(now_ms))
            .filter(merchant::Column::Id.eq(id))
            .filter(holds(
                merchant::Column::PayoutWallet,
                seen.stored_current().map(str::to_string),
            ))
            .filter(holds(
                merchant::Column::PendingPayoutWallet,
                seen_pending.map(|p| p.wallet.clone()),
            ))
            .filter(holds(
                merchant::Column::PendingPayoutWalletAt,
                seen_pending.map(|p| p.effective_at_ms),
            ))
            .exec(&*txn)
            .await?;
        if result.rows_affected == 0 {
            drop(txn);
            let exists = merchant::Entity::find_by_id(id)
                .one(self.db())
                .await?
                .is_some();
            return Ok(if exists {
                WalletWrite::Stale
            } else {
                WalletWrite::NotFound
            });
        }
        if let Some(event) = event {
            kassa_entities::webhook_event::Entity::insert(merchant_event_row(
                id,
                &event.event_id,
                &event.status,
                event.payload,
                now_ms,
            ))
            .exec_without_returning(&*txn)
            .await?;
        }
        txn.commit().await?;
        self.merchants.forget(id);
        Ok(WalletWrite::Written)
    }
}

/// `column` holds `value` (`IS NULL` for none).
fn holds<T>(column: merchant::Column, value: Option<T>) -> SimpleExpr
where
    T: Into<sea_orm::Value>,
{
    match value {
        Some(v) => column.eq(v),
        None => column.is_null(),
    }
}
