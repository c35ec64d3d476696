//! How many sweeps stand in each state, for the operators' figures
//! (`kassa_payouts{state=...}` at scrape time). Read-only; the payout actor
//! alone moves sweeps between states.

use kassa_entities::sweep;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use super::{Store, StoreError};
use crate::domain::payout::SweepState;

impl Store {
    /// Every sweep state with its number of sweeps (zero included).
    pub async fn count_sweeps_by_state(&self) -> Result<Vec<(SweepState, u64)>, StoreError> {
        let mut out = Vec::with_capacity(SweepState::ALL.len());
        for state in SweepState::ALL {
            let n = sweep::Entity::find()
                .filter(sweep::Column::State.eq(state.as_str()))
                .count(self.db())
                .await?;
            out.push((*state, n));
        }
        Ok(out)
    }
}
