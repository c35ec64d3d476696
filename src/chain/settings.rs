//! The chain section of the configuration, checked: which node, which token,
//! and when a deposit counts. Built once by `config` and handed down as a
//! plain value, so nothing here (or below) reads configuration itself.

use std::path::PathBuf;
use std::time::Duration;

use secrecy::SecretString;

pub use crate::domain::confirmation::Finality;
use crate::domain::wallet::WalletAddress;

/// Polygon PoS mainnet.
pub const POLYGON_CHAIN_ID: u64 = 137;

/// Where the wallet master secret (a BIP-39 mnemonic) comes from.
#[derive(Debug, Clone)]
pub enum WalletSecretSource {
    Inline(SecretString),
    File(PathBuf),
    /// Sandbox only: generated into the data folder on first start.
    SandboxGenerated(PathBuf),
}

/// Everything the chain watcher and the deposit addresses need.
#[derive(Debug, Clone)]
pub struct ChainSettings {
    /// The JSON-RPC endpoint; `None` in sandbox (the ledger stands in).
    pub rpc_url: Option<String>,
    /// The chain id the node must report.
    pub chain_id: u64,
    /// The USDC contract whose `Transfer` logs are payments.
    pub usdc_contract: WalletAddress,
    /// Blocks on top of a deposit's block (counting it) before it counts.
    pub required_confirmations: u64,
    /// How often the head is polled.
    pub poll: Duration,
    /// Logs are read this many blocks behind the head: logs read at the very
    /// head can be incomplete without any error.
    pub head_lag_blocks: u64,
    /// The widest `eth_getLogs` range asked for at once.
    pub max_block_range: u64,
    pub finality: Finality,
    /// Deposits above this many USDC base units always wait for both depth
    /// and the node's `finalized` block, whatever `finality` says.
    pub large_payment_units: u64,
    pub wallet: WalletSecretSource,
}
