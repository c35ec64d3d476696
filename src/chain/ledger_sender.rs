//! The sandbox ledger as a node payouts send to ([`ChainSender`]): it takes
//! signed EIP-1559 transactions and executes them as Polygon plus the USDC
//! contract would, each alone in a new block (the ledger keeps no pool, so
//! a transaction is either mined at once or refused).
//!
//! Fees are fixed ([`BASE_FEE`], [`PRIORITY_FEE`]) and gas is free: every
//! account reads [`NATIVE_BALANCE`] of POL. A token movement is a ledger
//! transfer under the transaction's hash, so the chain watcher sees it as
//! the `Transfer` log a real token emits. This module maps outcomes to a
//! node's answers; decoding is `ledger_exec`'s and rows are the store's.

use alloy_primitives::{Address, B256, Bytes, U256};

use super::ledger::SandboxLedger;
use super::ledger_exec::{BASE_FEE, NATIVE_BALANCE, PRIORITY_FEE, TokenRules, admit};
use super::sender::{Broadcast, ChainSender, FeeQuote, Receipt};
use super::source::ChainError;
use super::token::TokenInfo;
use crate::store::ledger_txs::MineOutcome;

/// The EIP-712 name every ledger token answers (USDC's on Polygon).
pub const TOKEN_NAME: &str = "USD Coin";

/// The EIP-712 version every ledger token answers (USDC's on Polygon).
pub const TOKEN_VERSION: &str = "2";

impl SandboxLedger {
    fn token(&self) -> TokenInfo {
        TokenInfo {
            name: TOKEN_NAME.into(),
            version: TOKEN_VERSION.into(),
            eip3009: self.eip3009,
        }
    }
}

impl ChainSender for SandboxLedger {
    /// Mined transactions only: the ledger has no pool, so `pending` counts the same.
    async fn nonce(&self, account: Address, _pending: bool) -> Result<u64, ChainError> {
        Ok(self.store.ledger_next_nonce(account).await?)
    }

    async fn fees(&self) -> Result<FeeQuote, ChainError> {
        Ok(FeeQuote {
            base_fee: BASE_FEE,
            priority_fee: PRIORITY_FEE,
        })
    }

    async fn send_raw(&self, raw: Bytes) -> Result<Broadcast, ChainError> {
        let now_ms = self.clock.now_ms();
        let rules = TokenRules {
            info: self.token(),
            now_s: u64::try_from(now_ms / 1000).unwrap_or(0),
        };
        let tx = match admit(&raw, &rules) {
            Ok(tx) => tx,
            Err(refused) => return Ok(refused),
        };
        let outcome = self
            .store
            .mine_ledger_transaction(super::ledger::random_hash(), &tx, now_ms)
            .await?;
        Ok(match outcome {
            MineOutcome::Mined(_) => Broadcast::Accepted,
            MineOutcome::AlreadyKnown => Broadcast::AlreadyKnown,
            MineOutcome::NonceTooLow { next } => Broadcast::NonceTooLow(format!(
                "nonce too low: next nonce {next}, tx nonce {}",
                tx.nonce
            )),
            MineOutcome::NonceGap { next } => Broadcast::Rejected(format!(
                "nonce gap: next nonce {next}, tx nonce {} (the sandbox ledger keeps no pool)",
                tx.nonce
            )),
        })
    }

    async fn receipt(&self, tx: B256) -> Result<Option<Receipt>, ChainError> {
        Ok(self.store.ledger_receipt(tx).await?.map(|receipt| Receipt {
            block_number: receipt.block_number,
            block_hash: receipt.block_hash,
            success: receipt.success,
            gas_used: receipt.gas_used,
            effective_gas_price: receipt.effective_gas_price,
        }))
    }

    async fn token_balance(&self, token: Address, account: Address) -> Result<U256, ChainError> {
        let balance = self.store.ledger_balance(token, account).await?;
        // Only the faucet goes below zero: it sends what it never received.
        Ok(U256::from(u128::try_from(balance.max(0)).unwrap_or(0)))
    }

    /// Fixed: sandbox gas is free, so every account can always pay for it.
    async fn native_balance(&self, _account: Address) -> Result<U256, ChainError> {
        Ok(U256::from(NATIVE_BALANCE))
    }

    /// Every address answers as USDC on Polygon; `eip3009` is false on a
    /// ledger built [`SandboxLedger::without_eip3009`].
    async fn token_info(&self, _token: Address) -> Result<TokenInfo, ChainError> {
        Ok(self.token())
    }
}

impl SandboxLedger {
    /// Whether `authorizer`'s EIP-3009 `nonce` is used on `token` (what the
    /// token's `authorizationState` answers).
    pub async fn authorization_used(
        &self,
        token: Address,
        authorizer: Address,
        nonce: B256,
    ) -> Result<bool, ChainError> {
        Ok(self
            .store
            .ledger_authorization_used(token, authorizer, nonce)
            .await?)
    }
}
