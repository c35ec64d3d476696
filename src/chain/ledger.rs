//! The sandbox ledger: a chain kept in the database that the chain watcher
//! reads through [`ChainSource`] exactly as it reads a Polygon node, so a
//! sandbox payment is a real transfer on it and takes the live path. It
//! survives restarts and is shared by every node on one database.
//!
//! Besides the reads it offers the writes a node would never take from us:
//! [`SandboxLedger::transfer`] (one transfer mined in its own block),
//! [`SandboxLedger::mine`] (empty blocks, to add confirmations) and
//! [`SandboxLedger::reorg`] (replace the top blocks, dropping their
//! transfers and transactions: how the sandbox rehearses a reversed
//! payment). Senders other than [`SANDBOX_PAYER`] (the faucet) can only
//! send what they hold. It also takes signed transactions as a node does
//! (`ChainSender`, in `ledger_sender`), so payouts run on it unchanged.
//!
//! This module makes hashes and maps errors; rows are `store::ledger`'s. It
//! must not decide what a transfer means for a session, and live mode never
//! constructs it.

use alloy_primitives::{Address, B256, U256, address};

use super::source::{ChainError, ChainSource, TransferLog};
use crate::clock::SharedClock;
use crate::store::ledger::{LedgerTransfer, NewLedgerTransfer, ReorgOutcome, TransferOutcome};
use crate::store::{Store, StoreError};

/// The chain id the ledger reports: Polygon PoS's, as a live node would.
pub const CHAIN_ID: u64 = 137;

/// The customer of every sandbox payment, and the faucet: it may send any
/// amount without holding it (its balance reads 0).
pub const SANDBOX_PAYER: Address = address!("0x5a4db0c5a4db0c5a4db0c5a4db0c5a4db0c5a4db");

/// The most blocks one [`SandboxLedger::mine`] or [`SandboxLedger::reorg`]
/// writes (all in one transaction).
pub const MAX_BLOCKS_PER_CALL: u64 = 10_000;

/// The ledger's `finalized` block trails its head by this much (as Anvil's
/// does with one slot per epoch).
pub const FINALITY_DEPTH: u64 = 2;

/// The widest block range one `transfers` read answers; wider ones are
/// refused as [`ChainError::RangeTooLarge`], as providers do.
pub const MAX_LOG_RANGE: u64 = 2_000;

/// Why a ledger write was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("the sender holds {balance} base units, less than the {amount} it would send")]
    InsufficientBalance { balance: u64, amount: u64 },
    /// Amounts are stored as BIGINT base units.
    #[error("{0} base units is more than the ledger can hold")]
    AmountTooLarge(u64),
    #[error("{asked} blocks at once is more than {MAX_BLOCKS_PER_CALL}")]
    TooManyBlocks { asked: u64 },
    #[error("a reorg of {depth} blocks would replace the genesis block (the head is {head})")]
    BeyondGenesis { depth: u64, head: u64 },
    /// The database cannot be reached right now; retry later.
    #[error("the sandbox ledger is unavailable: {0}")]
    Unavailable(String),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<StoreError> for LedgerError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Unavailable(db) => LedgerError::Unavailable(db.to_string()),
            StoreError::Conflict => LedgerError::Unexpected(anyhow::anyhow!(
                "a ledger write conflicted although it held the ledger lock"
            )),
            StoreError::Fenced => LedgerError::Unexpected(anyhow::anyhow!(
                "a ledger write was fenced although the ledger's store has no lease"
            )),
            StoreError::Unexpected(e) => LedgerError::Unexpected(e),
        }
    }
}

impl From<StoreError> for ChainError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Unavailable(db) => ChainError::Unavailable(db.to_string()),
            StoreError::Conflict => {
                ChainError::Unexpected(anyhow::anyhow!("a ledger read reported a conflict"))
            }
            StoreError::Fenced => {
                ChainError::Unexpected(anyhow::anyhow!("a ledger read reported a fenced write"))
            }
            StoreError::Unexpected(e) => ChainError::Unexpected(e),
        }
    }
}

/// The sandbox chain over the database; cheap to clone.
#[derive(Clone)]
pub struct SandboxLedger {
    pub(super) store: Store,
    /// How far `finalized` trails the head (a live node's finality, rehearsed).
    finality_depth: u64,
    /// Stamps `mined_at` on new blocks; EIP-3009 validity windows are read on it.
    pub(super) clock: SharedClock,
    /// Tokens take `transferWithAuthorization` (USDC does); off, the
    /// payouts' gas top-up path is rehearsed instead.
    pub(super) eip3009: bool,
}

impl std::fmt::Debug for SandboxLedger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SandboxLedger")
            .field("finality_depth", &self.finality_depth)
            .field("eip3009", &self.eip3009)
            .finish_non_exhaustive()
    }
}

impl SandboxLedger {
    /// The ledger in `store`'s database (its migration made the genesis block).
    pub fn new(store: Store, finality_depth: u64, clock: SharedClock) -> Self {
        Self {
            store,
            finality_depth,
            clock,
            eip3009: true,
        }
    }

    /// This ledger with tokens that lack EIP-3009: `transferWithAuthorization`
    /// reverts and `token_info` says so, as on a token without it.
    pub fn without_eip3009(self) -> Self {
        Self {
            eip3009: false,
            ..self
        }
    }

    /// Mines one new block holding this one transfer (log index 0) under a
    /// fresh random transaction hash, and returns its log. It is no signed
    /// transaction: it uses no nonce of `from` and has no receipt.
    pub async fn transfer(
        &self,
        token: Address,
        from: Address,
        to: Address,
        amount: u64,
    ) -> Result<TransferLog, LedgerError> {
        self.transfer_confirmed(token, from, to, amount, 0).await
    }

    /// As [`SandboxLedger::transfer`], with `confirm_blocks` empty blocks
    /// mined on top in the same write: a reader sees the transfer only
    /// together with its confirmations (a sandbox payment counts at once).
    pub async fn transfer_confirmed(
        &self,
        token: Address,
        from: Address,
        to: Address,
        amount: u64,
        confirm_blocks: u64,
    ) -> Result<TransferLog, LedgerError> {
        if i64::try_from(amount).is_err() {
            return Err(LedgerError::AmountTooLarge(amount));
        }
        let transfer = NewLedgerTransfer {
            tx_hash: random_hash(),
            token,
            from,
            to,
            amount,
            minted: from == SANDBOX_PAYER,
        };
        let outcome = self
            .store
            .mine_ledger_transfer(
                random_hash(),
                &transfer,
                &random_hashes(confirm_blocks)?,
                self.clock.now_ms(),
            )
            .await?;
        match outcome {
            TransferOutcome::Mined(mined) => Ok(to_log(mined)),
            TransferOutcome::Insufficient { balance } => {
                Err(LedgerError::InsufficientBalance { balance, amount })
            }
        }
    }

    /// Appends `n` empty blocks, each of a random hash; returns the new head.
    pub async fn mine(&self, n: u64) -> Result<u64, LedgerError> {
        let hashes = random_hashes(n)?;
        let head = self
            .store
            .mine_ledger_blocks(&hashes, self.clock.now_ms())
            .await?;
        Ok(head.number)
    }

    /// Replaces the top `depth` blocks with empty ones of new hashes at the
    /// same heights; returns the transfers that left the chain with them
    /// (they are not re-included).
    pub async fn reorg(&self, depth: u64) -> Result<Vec<TransferLog>, LedgerError> {
        let hashes = random_hashes(depth)?;
        match self
            .store
            .reorg_ledger(&hashes, self.clock.now_ms())
            .await?
        {
            ReorgOutcome::Replaced { dropped } => Ok(dropped.into_iter().map(to_log).collect()),
            ReorgOutcome::BeyondGenesis { head } => Err(LedgerError::BeyondGenesis { depth, head }),
        }
    }

    /// Replaces the one block holding transaction `tx_hash` (a signed one or
    /// a minted transfer) with an empty block of a new hash (a reorg of that
    /// block alone): its transfer and transaction leave the chain (the nonce
    /// and any authorization it used are free again), later blocks stay.
    /// Returns the block's number, `None` when it is not on the ledger.
    pub async fn drop_transaction(&self, tx_hash: B256) -> Result<Option<u64>, LedgerError> {
        Ok(self
            .store
            .replace_ledger_block_of(tx_hash, random_hash())
            .await?)
    }

    /// What `address` holds of `token` on the canonical chain, in base units.
    pub async fn balance_of(&self, token: Address, address: Address) -> Result<u64, LedgerError> {
        let balance = self.store.ledger_balance(token, address).await?;
        // Only the faucet goes below zero: it sends what it never received.
        Ok(u64::try_from(balance.max(0)).unwrap_or(u64::MAX))
    }
}

impl ChainSource for SandboxLedger {
    async fn chain_id(&self) -> Result<u64, ChainError> {
        Ok(CHAIN_ID)
    }

    async fn head(&self) -> Result<u64, ChainError> {
        Ok(self.store.ledger_head().await?.number)
    }

    /// `finality_depth` blocks below the head, never below genesis.
    async fn finalized(&self) -> Result<Option<u64>, ChainError> {
        let head = self.store.ledger_head().await?.number;
        Ok(Some(head.saturating_sub(self.finality_depth)))
    }

    async fn block_hash(&self, number: u64) -> Result<Option<B256>, ChainError> {
        Ok(self
            .store
            .ledger_block(number)
            .await?
            .map(|block| block.hash))
    }

    async fn transfers(
        &self,
        token: Address,
        from: u64,
        to: u64,
    ) -> Result<Vec<TransferLog>, ChainError> {
        // Like many RPC providers, the ledger refuses a wide range: the
        // watcher's splitting is rehearsed in every sandbox.
        if to.saturating_sub(from) >= MAX_LOG_RANGE {
            return Err(ChainError::RangeTooLarge);
        }
        let transfers = self.store.ledger_transfers(token, from, to).await?;
        Ok(transfers.into_iter().map(to_log).collect())
    }
}

fn to_log(transfer: LedgerTransfer) -> TransferLog {
    TransferLog {
        tx_hash: transfer.tx_hash,
        log_index: transfer.log_index,
        block_number: transfer.block_number,
        block_hash: transfer.block_hash,
        from: transfer.from,
        to: transfer.to,
        amount: U256::from(transfer.amount),
    }
}

pub(super) fn random_hash() -> B256 {
    B256::from(rand::random::<[u8; 32]>())
}

fn random_hashes(n: u64) -> Result<Vec<B256>, LedgerError> {
    if n > MAX_BLOCKS_PER_CALL {
        return Err(LedgerError::TooManyBlocks { asked: n });
    }
    Ok((0..n).map(|_| random_hash()).collect())
}
