//! A transfer to a deposit address as the chain (or the sandbox ledger)
//! reports it, and where a recorded deposit stands.
//!
//! Pure values. This module must not know how the transfer was read; whether
//! it counts was decided by the confirmation rules (`confirmation`) before
//! the fact was built.

use std::fmt;
use std::str::FromStr;

/// One token transfer to a session's deposit address, identified on chain
/// by `(tx_hash, log_index)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepositFact {
    /// `0x` and 64 lower-case hex digits.
    pub tx_hash: String,
    pub log_index: i64,
    pub amount_units: u64,
    pub block_number: u64,
    /// `0x` and 64 lower-case hex digits: a reorg is noticed when the block
    /// at `block_number` no longer has this hash.
    pub block_hash: String,
    /// The sender, checksummed (where held money would go back to).
    pub from: String,
    pub confirmations: u64,
    /// The confirmation rules say this deposit counts now.
    pub counts: bool,
}

/// Where a recorded deposit stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DepositState {
    /// Seen on chain, not yet deep or final enough to count.
    Seen,
    /// Counted towards its session.
    Counted,
    /// Arrived after the session's grace window: held, never counted.
    Late,
    /// Its block left the canonical chain (a reorg); counts for nothing
    /// unless the transfer is found again.
    Dropped,
}

impl DepositState {
    pub const ALL: [DepositState; 4] = [
        DepositState::Seen,
        DepositState::Counted,
        DepositState::Late,
        DepositState::Dropped,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DepositState::Seen => "seen",
            DepositState::Counted => "counted",
            DepositState::Late => "late",
            DepositState::Dropped => "dropped",
        }
    }
}

impl fmt::Display for DepositState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A stored deposit state that is not one of ours.
#[derive(Debug, thiserror::Error)]
#[error("unknown deposit state `{0}`")]
pub struct UnknownDepositState(pub String);

impl FromStr for DepositState {
    type Err = UnknownDepositState;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DepositState::ALL
            .into_iter()
            .find(|state| state.as_str() == s)
            .ok_or_else(|| UnknownDepositState(s.to_string()))
    }
}
