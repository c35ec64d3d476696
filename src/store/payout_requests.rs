//! Operators' payout requests, queued as rows by the CLI (which runs in
//! another process and never signs) and carried out by the payout actor:
//! retry a failed sweep, forward held money to the merchant, refund it to
//! the sender. Each row keeps who asked, when, and what came of it.
//!
//! Also the read a request needs of a held deposit: whether it is still
//! held, and where it came from and would go.

use kassa_entities::{deposit, merchant, payout_request, session, sweep};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use super::merchant_rows::wallets_of;
use super::{Store, StoreError};
use crate::domain::deposit::DepositState;
use crate::domain::payout::SweepState;
use crate::domain::session::SessionStatus;

/// What an operator asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestAction {
    Retry,
    Forward,
    Refund,
}

impl RequestAction {
    pub fn as_str(self) -> &'static str {
        match self {
            RequestAction::Retry => "retry",
            RequestAction::Forward => "forward",
            RequestAction::Refund => "refund",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        [Self::Retry, Self::Forward, Self::Refund]
            .into_iter()
            .find(|a| a.as_str() == s)
    }
}

/// A queued request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayoutRequest {
    pub id: i64,
    pub action: RequestAction,
    pub sweep_id: Option<i64>,
    pub deposit_id: Option<i64>,
    /// Where a refund goes.
    pub destination: Option<String>,
    pub requested_by: String,
    pub requested_at_ms: i64,
    pub done_at_ms: Option<i64>,
    pub outcome: Option<String>,
}

/// A deposit as a forward or refund needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldDeposit {
    pub deposit_id: i64,
    pub session_id: i64,
    pub merchant_id: i64,
    pub amount_units: u64,
    pub block_number: Option<u64>,
    /// The sender, where the money would go back to.
    pub from: Option<String>,
    pub deposit_address: String,
    pub hd_index: i64,
    pub payout_wallet: Option<String>,
    /// `None` while held; otherwise why it is not (swept, counted for a
    /// paid session, not yet counted, dropped by a reorg).
    pub not_held: Option<String>,
}

impl Store {
    /// Queues a request; returns its id.
    pub async fn queue_payout_request(
        &self,
        action: RequestAction,
        sweep_id: Option<i64>,
        deposit_id: Option<i64>,
        destination: Option<String>,
        requested_by: &str,
        now_ms: i64,
    ) -> Result<i64, StoreError> {
        let txn = self.begin_write().await?;
        let id = payout_request::Entity::insert(payout_request::ActiveModel {
            action: Set(action.as_str().into()),
            sweep_id: Set(sweep_id),
            deposit_id: Set(deposit_id),
            destination: Set(destination),
            requested_by: Set(requested_by.to_string()),
            requested_at: Set(now_ms),
            done_at: Set(None),
            outcome: Set(None),
            ..Default::default()
        })
        .exec(&*txn)
        .await?
        .last_insert_id;
        txn.commit().await?;
        Ok(id)
    }

    /// Requests not carried out yet, oldest first.
    pub async fn open_payout_requests(&self) -> Result<Vec<PayoutRequest>, StoreError> {
        let rows = payout_request::Entity::find()
            .filter(payout_request::Column::DoneAt.is_null())
            .order_by_asc(payout_request::Column::Id)
            .all(self.db())
            .await?;
        Ok(rows.into_iter().filter_map(request_record).collect())
    }

    /// Whether a forward or refund of `deposit_id` is queued and not done.
    pub async fn deposit_request_open(&self, deposit_id: i64) -> Result<bool, StoreError> {
        Ok(payout_request::Entity::find()
            .filter(payout_request::Column::DepositId.eq(deposit_id))
            .filter(payout_request::Column::DoneAt.is_null())
            .one(self.db())
            .await?
            .is_some())
    }

    /// Records what came of a request.
    pub async fn finish_payout_request(
        &self,
        id: i64,
        outcome: &str,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let txn = self.begin_write().await?;
        payout_request::Entity::update_many()
            .col_expr(payout_request::Column::DoneAt, Expr::value(now_ms))
            .col_expr(payout_request::Column::Outcome, Expr::value(outcome))
            .filter(payout_request::Column::Id.eq(id))
            .filter(payout_request::Column::DoneAt.is_null())
            .exec(&*txn)
            .await?;
        txn.commit().await?;
        Ok(())
    }

    /// A failed sweep becomes due now; `false` when it is not failed.
    pub async fn retry_sweep_now(&self, id: i64, now_ms: i64) -> Result<bool, StoreError> {
        let txn = self.begin_write().await?;
        let result = sweep::Entity::update_many()
            .col_expr(sweep::Column::NextAttemptAt, Expr::value(now_ms))
            .filter(sweep::Column::Id.eq(id))
            .filter(sweep::Column::State.eq(SweepState::Failed.as_str()))
            .exec(&*txn)
            .await?;
        txn.commit().await?;
        Ok(result.rows_affected == 1)
    }

    /// A deposit with what a forward or refund needs, `None` when unknown.
    /// The merchant's wallet is the one in force at `now_ms`.
    pub async fn held_deposit(
        &self,
        deposit_id: i64,
        now_ms: i64,
    ) -> Result<Option<HeldDeposit>, StoreError> {
        let Some(d) = deposit::Entity::find_by_id(deposit_id)
            .one(self.db())
            .await?
        else {
            return Ok(None);
        };
        let Some(s) = session::Entity::find_by_id(d.session_id)
            .one(self.db())
            .await?
        else {
            return Ok(None);
        };
        let wallet = merchant::Entity::find_by_id(s.merchant_id)
            .one(self.db())
            .await?
            .and_then(|m| wallets_of(&m).in_force_at(now_ms).map(str::to_string));
        let closed = [
            SessionStatus::Expired.as_str(),
            SessionStatus::Cancelled.as_str(),
        ]
        .contains(&s.status.as_str());
        let not_held = if let Some(sweep_id) = d.sweep_id {
            Some(format!("it was already taken by sweep {sweep_id}"))
        } else if d.state == DepositState::Late.as_str()
            || (d.state == DepositState::Counted.as_str() && closed)
        {
            None
        } else if d.state == DepositState::Counted.as_str() {
            Some(format!(
                "it counts for session {} ({}), which sweeps it to the merchant",
                s.id, s.status
            ))
        } else {
            Some(format!("it is {} (not counted, not held)", d.state))
        };
        Ok(Some(HeldDeposit {
            deposit_id: d.id,
            session_id: s.id,
            merchant_id: s.merchant_id,
            amount_units: u64::try_from(d.amount_usdc).unwrap_or(0),
            block_number: d.block_number.and_then(|b| u64::try_from(b).ok()),
            from: d.from_address,
            deposit_address: s.deposit_address,
            hd_index: s.hd_index,
            payout_wallet: wallet,
            not_held,
        }))
    }
}

fn request_record(row: payout_request::Model) -> Option<PayoutRequest> {
    Some(PayoutRequest {
        id: row.id,
        action: RequestAction::parse(&row.action)?,
        sweep_id: row.sweep_id,
        deposit_id: row.deposit_id,
        destination: row.destination,
        requested_by: row.requested_by,
        requested_at_ms: row.requested_at,
        done_at_ms: row.done_at,
        outcome: row.outcome,
    })
}
