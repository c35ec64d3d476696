//! How many sweeps stand in each state, for the operators' figures
//! (`kassa_payouts{state=...}` at scrape time). Read-only; the payout actor
//! alone moves sweeps between states.

use kassa_entities::sweep;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{EntityTrait, QuerySelect};

use super::{Store, StoreError};
use crate::domain::payout::SweepState;

impl Store {
    /// Every sweep state with its number of sweeps (zero included), in one
    /// grouped read. A state this build does not know is left out.
    pub async fn count_sweeps_by_state(&self) -> Result<Vec<(SweepState, u64)>, StoreError> {
        let rows: Vec<(String, i64)> = sweep::Entity::find()
            .select_only()
            .column(sweep::Column::State)
            .column_as(Expr::col(sweep::Column::Id).count(), "n")
            .group_by(sweep::Column::State)
            .into_tuple()
            .all(self.db())
            .await?;
        Ok(SweepState::ALL
            .iter()
            .map(|state| {
                let n = rows
                    .iter()
                    .filter(|(name, _)| name == state.as_str())
                    .map(|(_, n)| u64::try_from(*n).unwrap_or(0))
                    .sum();
                (*state, n)
            })
            .collect())
    }
}
