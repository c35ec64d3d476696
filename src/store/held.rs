//! Held money as rows show it: late deposits, the counted deposits of
//! sessions that expired underpaid, and the excess of overpaid sessions
//! (attributed to each one's latest counted deposit).
//!
//! Two reads, each narrowed in SQL to the sessions that hold something (no
//! id lists are bound, so the size of the answer never meets a bind-parameter
//! limit); what each line holds is decided by `domain::held`. Nothing here
//! writes.

use std::collections::HashMap;

use kassa_entities::{deposit, session};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait,
};

use super::{Store, StoreError};
use crate::domain::deposit::DepositState;
use crate::domain::held::{HeldKind, HeldMoney, excess};
use crate::domain::money::UsdcAmount;
use crate::domain::session::SessionStatus;

impl Store {
    /// Every held amount, of one merchant or of all, oldest observed first.
    pub async fn held_money(&self, merchant_id: Option<i64>) -> Result<Vec<HeldMoney>, StoreError> {
        let sessions: HashMap<i64, session::Model> = session::Entity::find()
            .filter(holding_sessions(merchant_id))
            .all(self.db())
            .await?
            .into_iter()
            .map(|s| (s.id, s))
            .collect();
        let holding_ids = session::Entity::find()
            .select_only()
            .column(session::Column::Id)
            .filter(holding_sessions(merchant_id))
            .into_query();
        let deposits = deposit::Entity::find()
            .filter(deposit::Column::SessionId.in_subquery(holding_ids))
            .filter(
                Condition::any()
                    .add(deposit::Column::State.eq(DepositState::Late.as_str()))
                    .add(deposit::Column::Counted.eq(true)),
            )
            .order_by_asc(deposit::Column::Id)
            .all(self.db())
            .await?;

        let mut held = Vec::new();
        // The latest counted deposit of each overpaid session (ids ascend).
        let mut latest_counted: HashMap<i64, &deposit::Model> = HashMap::new();
        for d in &deposits {
            // A session written between the two reads is left for the next run.
            let Some(s) = sessions.get(&d.session_id) else {
                continue;
            };
            // A swept deposit left its address: forwarded or refunded.
            if d.sweep_id.is_some() {
                continue;
            }
            if d.state == DepositState::Late.as_str() {
                held.push(line(HeldKind::Late, s, units(d.amount_usdc), Some(d)));
            } else if d.counted && is_partial(s) {
                held.push(line(HeldKind::Partial, s, units(d.amount_usdc), Some(d)));
            } else if d.counted {
                latest_counted.insert(s.id, d);
            }
        }
        for s in sessions.values() {
            if s.status != SessionStatus::Paid.as_str() {
                continue;
            }
            // The excess leaves with the session's next sweep; once every
            // counted deposit is swept, the merchant has it.
            if !latest_counted.contains_key(&s.id) {
                continue;
            }
            if let Some(amount) = excess(units(s.received_usdc), units(s.expected_usdc)) {
                held.push(line(
                    HeldKind::Excess,
                    s,
                    amount,
                    latest_counted.get(&s.id).copied(),
                ));
            }
        }
        held.sort_by(|a, b| {
            (a.observed_at_ms, a.session_id, a.kind, &a.tx_hash).cmp(&(
                b.observed_at_ms,
                b.session_id,
                b.kind,
                &b.tx_hash,
            ))
        });
        Ok(held)
    }
}

/// Sessions that hold something: expired with money counted, paid with more
/// than owed, or with a late deposit; of one merchant when given.
fn holding_sessions(merchant_id: Option<i64>) -> Condition {
    let with_late_deposit = deposit::Entity::find()
        .select_only()
        .column(deposit::Column::SessionId)
        .filter(deposit::Column::State.eq(DepositState::Late.as_str()))
        .into_query();
    let holding = Condition::any()
        .add(
            Condition::all()
                .add(session::Column::Status.eq(SessionStatus::Expired.as_str()))
                .add(session::Column::ReceivedUsdc.gt(0)),
        )
        .add(
            Condition::all()
                .add(session::Column::Status.eq(SessionStatus::Paid.as_str()))
                .add(
                    Expr::col(session::Column::ReceivedUsdc)
                        .gt(Expr::col(session::Column::ExpectedUsdc)),
                ),
        )
        .add(session::Column::Id.in_subquery(with_late_deposit));
    let mut condition = Condition::all().add(holding);
    if let Some(id) = merchant_id {
        condition = condition.add(session::Column::MerchantId.eq(id));
    }
    condition
}

fn is_partial(s: &session::Model) -> bool {
    s.status == SessionStatus::Expired.as_str() && s.received_usdc > 0
}

fn line(
    kind: HeldKind,
    s: &session::Model,
    amount: UsdcAmount,
    d: Option<&deposit::Model>,
) -> HeldMoney {
    HeldMoney {
        deposit_id: d.map(|d| d.id),
        kind,
        session_id: s.id,
        merchant_id: s.merchant_id,
        amount,
        tx_hash: d.map(|d| d.tx_hash.clone()),
        from_address: d.and_then(|d| d.from_address.clone()),
        block_number: d
            .and_then(|d| d.block_number)
            .and_then(|n| u64::try_from(n).ok()),
        // Without a deposit, the excess dates from the payment.
        observed_at_ms: d
            .map(|d| d.observed_at)
            .or(s.paid_at)
            .unwrap_or(s.created_at),
    }
}

fn units(stored: i64) -> UsdcAmount {
    UsdcAmount::from_units(u64::try_from(stored).unwrap_or(0))
}
