//! The writes a payout makes to a chain, and the reads that tell whether
//! they landed: nonces, fees, broadcasting signed bytes, receipts, balances
//! and what the token supports. Two implementations stand behind it, as
//! behind [`ChainSource`]: a real node (`rpc`) and the sandbox ledger
//! (`ledger`), which executes the same signed transactions.
//!
//! It takes transactions already signed: keys never pass through here, and
//! broadcasting the same bytes twice is harmless (same hash, same nonce).
//! It must not decide when to retry or bump a fee; the payout actor does.

use std::future::Future;

use alloy_primitives::{Address, B256, Bytes, U256};

use super::source::{ChainError, ChainSource};
use super::token::TokenInfo;

/// The node's fee suggestion for an EIP-1559 transaction, in wei.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeeQuote {
    /// The base fee of the next block.
    pub base_fee: u128,
    /// The tip the node suggests (callers raise it to their floor).
    pub priority_fee: u128,
}

/// What a node said to a broadcast. Only a receipt says whether the
/// transaction happened: "already known" and "underpriced" are answers about
/// the node's pool, not failures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Broadcast {
    /// The node took the transaction into its pool (or mined it).
    Accepted,
    /// The node holds these bytes already.
    AlreadyKnown,
    /// Another transaction with this nonce pays more, or the fee is under
    /// the node's floor.
    Underpriced(String),
    /// The account's nonce is past this transaction's: this transaction or
    /// another with the same nonce was mined.
    NonceTooLow(String),
    /// Refused for another reason (insufficient funds for gas, a bad
    /// signature, ...): it will not be mined as sent.
    Rejected(String),
}

/// A mined transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Receipt {
    pub block_number: u64,
    pub block_hash: B256,
    /// Status 1: it did what it was sent to do. Status 0: it reverted.
    pub success: bool,
    pub gas_used: u64,
    /// Wei per gas actually paid.
    pub effective_gas_price: u128,
}

/// What the payout actor does to a chain. Reads are plain; `send_raw` of
/// bytes already sent changes nothing.
pub trait ChainSender: ChainSource {
    /// The number of transactions `account` has sent: counting those in
    /// the node's pool when `pending` (`eth_getTransactionCount(…, "pending")`),
    /// only mined ones otherwise.
    fn nonce(
        &self,
        account: Address,
        pending: bool,
    ) -> impl Future<Output = Result<u64, ChainError>> + Send;

    /// The fees to offer for a transaction sent now.
    fn fees(&self) -> impl Future<Output = Result<FeeQuote, ChainError>> + Send;

    /// Broadcasts a signed EIP-2718 transaction.
    fn send_raw(&self, raw: Bytes) -> impl Future<Output = Result<Broadcast, ChainError>> + Send;

    /// The receipt of `tx`, `None` while it is not mined (or was reorged out).
    fn receipt(&self, tx: B256)
    -> impl Future<Output = Result<Option<Receipt>, ChainError>> + Send;

    /// What `account` holds of `token`, in base units.
    fn token_balance(
        &self,
        token: Address,
        account: Address,
    ) -> impl Future<Output = Result<U256, ChainError>> + Send;

    /// What `account` holds of the chain's own coin (POL), in wei.
    fn native_balance(
        &self,
        account: Address,
    ) -> impl Future<Output = Result<U256, ChainError>> + Send;

    /// The token's EIP-712 name and version, and whether it takes EIP-3009
    /// transfers (it answers `authorizationState`).
    fn token_info(
        &self,
        token: Address,
    ) -> impl Future<Output = Result<TokenInfo, ChainError>> + Send;
}
