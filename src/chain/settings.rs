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

/// Whether sweeps use EIP-3009 authorizations (`KASSA_TOKEN_EIP3009`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Eip3009 {
    /// Ask the token (it answers `authorizationState` or it does not).
    Auto,
    On,
    /// Always top up deposit addresses with gas and send plain transfers.
    Off,
}

/// Where the gas accounts' private keys come from.
#[derive(Debug, Clone)]
pub enum GasKeySource {
    /// One or more hex private keys, one per line (`KASSA_GAS_KEY_FILE`).
    File(PathBuf),
    /// Sandbox only: one key generated into the data folder on first start.
    SandboxGenerated(PathBuf),
}

/// Everything the payout actor needs: who pays the gas, where the platform
/// fee goes, and when money is final enough to send on.
#[derive(Debug, Clone)]
pub struct PayoutSettings {
    pub gas_keys: GasKeySource,
    /// Where `platform_fee_bps` of each sweep goes; required when the fee is
    /// above zero.
    pub fee_wallet: Option<WalletAddress>,
    /// The platform fee in basis points (0 to 10 000).
    pub platform_fee_bps: u32,
    /// Blocks on top of a deposit's block (counting it) before it is swept;
    /// the block must also be at or below the node's `finalized` block.
    pub confirmations: u64,
    /// A sweep transaction not mined after this many blocks is replaced
    /// with the same nonce and a higher fee.
    pub stuck_blocks: u64,
    /// The least tip offered, in wei (Polygon refuses tips under 25 gwei).
    pub min_priority_fee_wei: u128,
    pub eip3009: Eip3009,
    /// `/readyz` warns when a gas account holds less POL than this, in wei.
    pub gas_low_wei: u128,
    /// How often the payout actor looks for work when nothing wakes it.
    pub poll: Duration,
}
