//! The money check (`kassa ledger check`): the rows and the money journal
//! read from the store, each deposit address's USDC balance read from the
//! chain (the node, or the sandbox ledger), and `domain::money_check`
//! deciding whether they add up. Reads only.

use std::collections::BTreeMap;

use alloy_primitives::Address;

use crate::chain::sender::ChainSender;
use crate::chain::source::ChainError;
use crate::domain::money_check::{Report, books, compare_chain, compare_journal};
use crate::store::{Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error("store: {0}")]
    Store(#[from] StoreError),
    #[error("chain: {0}")]
    Chain(#[from] ChainError),
    #[error("a deposit address in the books is not an address: {0}")]
    BadAddress(String),
}

/// Adds up the books and compares every deposit address with the chain.
pub async fn check<C: ChainSender>(
    store: &Store,
    chain: &C,
    token: Address,
) -> Result<Report, CheckError> {
    let deposits = store.booked_deposits().await?;
    let sweeps = store.booked_sweeps().await?;
    let mut report = books(&deposits, &sweeps);
    let journal = store.journal().await?;
    let address_of = store.deposit_addresses_by_session().await?;
    compare_journal(&mut report, &journal, &address_of);
    let mut balances = BTreeMap::new();
    for address in report.expected.keys() {
        let parsed: Address = address
            .parse()
            .map_err(|_| CheckError::BadAddress(address.clone()))?;
        let units = chain.token_balance(token, parsed).await?;
        balances.insert(address.clone(), u64::try_from(units).unwrap_or(u64::MAX));
    }
    compare_chain(&mut report, &balances);
    if report.figures.lost > 0 {
        metrics::gauge!("kassa_ledger_lost_units").set(report.figures.lost as f64);
    }
    Ok(report)
}
