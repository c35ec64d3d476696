//! The one view of a chain the chain watcher reads: head, finality, block
//! hashes and the token's `Transfer` logs. Two implementations stand behind
//! it: the JSON-RPC client of a real node (`rpc`) and the sandbox ledger kept
//! in the database (`ledger`), so sandbox payments take the live path.
//!
//! This module only names the reads. It must not decide what a transfer
//! means for a session (that is `domain/`), and it holds no keys.

use std::future::Future;

use alloy_primitives::{Address, B256, U256};

/// One ERC-20 `Transfer(from, to, value)` log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferLog {
    pub tx_hash: B256,
    /// The log's index within its block.
    pub log_index: u64,
    pub block_number: u64,
    pub block_hash: B256,
    pub from: Address,
    pub to: Address,
    /// Token base units (USDC: 6 decimals).
    pub amount: U256,
}

/// Why a read failed.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    /// The node refused the block range as too large (or as returning too
    /// many logs); the caller splits the range and asks again.
    #[error("the node refused the block range as too large")]
    RangeTooLarge,
    /// The node could not be reached or answered with an error; retry later.
    #[error("the chain node is unavailable: {0}")]
    Unavailable(String),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// What a chain watcher reads. Every method is a plain read: calling one
/// twice changes nothing.
pub trait ChainSource: Send + Sync + 'static {
    /// The chain id the node reports (137 on Polygon PoS).
    fn chain_id(&self) -> impl Future<Output = Result<u64, ChainError>> + Send;

    /// The newest block number.
    fn head(&self) -> impl Future<Output = Result<u64, ChainError>> + Send;

    /// The node's `finalized` block, `None` if it has none yet.
    fn finalized(&self) -> impl Future<Output = Result<Option<u64>, ChainError>> + Send;

    /// The canonical block hash at `number`, `None` above the head.
    fn block_hash(
        &self,
        number: u64,
    ) -> impl Future<Output = Result<Option<B256>, ChainError>> + Send;

    /// `Transfer` logs emitted by `token` in blocks `from..=to`, in chain
    /// order (block, then log index), to any recipient: the caller matches
    /// recipients itself, so one request serves any number of addresses.
    fn transfers(
        &self,
        token: Address,
        from: u64,
        to: u64,
    ) -> impl Future<Output = Result<Vec<TransferLog>, ChainError>> + Send;
}
