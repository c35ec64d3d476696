//! Read-only views for reconciling the store with the chain: every recorded
//! deposit with its state, the totals per state and what sessions received,
//! in token base units.
//!
//! Operators' audits and the chain tests compare these with the `Transfer`
//! logs on the canonical chain. Nothing here writes or decides.

use std::collections::BTreeMap;

use kassa_entities::{deposit, session, sweep};
use sea_orm::{EntityTrait, QueryOrder, QuerySelect};

use super::{Store, StoreError};
use crate::domain::deposit::DepositState;
use crate::domain::money_check::{BookedDeposit, BookedSweep};

/// One recorded deposit as an audit sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditedDeposit {
    pub session_id: i64,
    pub tx_hash: String,
    pub log_index: i64,
    pub amount_units: u64,
    pub state: DepositState,
    pub block_number: Option<u64>,
}

impl Store {
    /// Every deposit ever recorded, oldest first.
    pub async fn audited_deposits(&self) -> Result<Vec<AuditedDeposit>, StoreError> {
        deposit::Entity::find()
            .order_by_asc(deposit::Column::Id)
            .all(self.db())
            .await?
            .into_iter()
            .map(|d| {
                Ok(AuditedDeposit {
                    session_id: d.session_id,
                    state: d.state.parse().map_err(anyhow::Error::new)?,
                    amount_units: u64::try_from(d.amount_usdc).unwrap_or(0),
                    block_number: d.block_number.and_then(|n| u64::try_from(n).ok()),
                    tx_hash: d.tx_hash,
                    log_index: d.log_index,
                })
            })
            .collect()
    }

    /// The sum of recorded deposits in each state (states with none are 0).
    pub async fn deposit_totals_by_state(&self) -> Result<BTreeMap<&'static str, u64>, StoreError> {
        let mut totals: BTreeMap<&'static str, u64> =
            DepositState::ALL.iter().map(|s| (s.as_str(), 0)).collect();
        for d in self.audited_deposits().await? {
            *totals.entry(d.state.as_str()).or_default() += d.amount_units;
        }
        Ok(totals)
    }

    /// Every deposit with its session's address and the sweep that took it,
    /// for the money check.
    pub async fn booked_deposits(&self) -> Result<Vec<BookedDeposit>, StoreError> {
        let addresses = self.deposit_addresses_by_session().await?;
        deposit::Entity::find()
            .order_by_asc(deposit::Column::Id)
            .all(self.db())
            .await?
            .into_iter()
            .map(|d| {
                Ok(BookedDeposit {
                    address: addresses.get(&d.session_id).cloned().unwrap_or_default(),
                    amount_units: u64::try_from(d.amount_usdc).unwrap_or(0),
                    state: d.state.parse().map_err(anyhow::Error::new)?,
                    sweep_id: d.sweep_id,
                })
            })
            .collect()
    }

    /// Every session's deposit address (lower case), by session id.
    pub async fn deposit_addresses_by_session(&self) -> Result<BTreeMap<i64, String>, StoreError> {
        Ok(self
            .deposit_addresses()
            .await?
            .into_iter()
            .map(|(id, address)| (id, address.to_lowercase()))
            .collect())
    }

    /// Every sweep, for the money check.
    pub async fn booked_sweeps(&self) -> Result<Vec<BookedSweep>, StoreError> {
        sweep::Entity::find()
            .order_by_asc(sweep::Column::Id)
            .all(self.db())
            .await?
            .into_iter()
            .map(|s| {
                Ok(BookedSweep {
                    id: s.id,
                    address: s.deposit_address.to_lowercase(),
                    kind: s.kind.parse().map_err(anyhow::Error::new)?,
                    state: s.state.parse().map_err(anyhow::Error::new)?,
                    amount_units: u64::try_from(s.amount_units).unwrap_or(0),
                    fee_units: u64::try_from(s.fee_units).unwrap_or(0),
                })
            })
            .collect()
    }

    /// What every session received (counted), in base units.
    pub async fn sessions_received_total(&self) -> Result<u64, StoreError> {
        let rows: Vec<i64> = session::Entity::find()
            .select_only()
            .column(session::Column::ReceivedUsdc)
            .into_tuple()
            .all(self.db())
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| u64::try_from(r).unwrap_or(0))
            .sum())
    }
}
