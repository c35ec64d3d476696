//! A transfer to a deposit address as the chain (or the sandbox ledger)
//! reports it: the fact the session actor is told.
//!
//! Pure value. It must not know how the transfer was read or whether it
//! counts yet (the confirmation rules decide that).

/// One token transfer to a session's deposit address, identified on chain
/// by `(tx_hash, log_index)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepositFact {
    /// `0x` and 64 lower-case hex digits.
    pub tx_hash: String,
    pub log_index: i64,
    pub amount_units: u64,
    pub confirmations: u64,
}
