//! Signing the transactions of a top-up sweep and storing them before any
//! broadcast: the top-up (the gas account's POL to the deposit address),
//! and the plain transfers the deposit key signs, within the fee cap the
//! top-up paid for. Nonces come from the stored rows and the chain; a
//! replacement keeps its nonce. Nothing here broadcasts or decides when.

use alloy::consensus::{Transaction, TxEnvelope};
use alloy::eips::eip2718::Decodable2718;
use alloy::signers::local::PrivateKeySigner;
use alloy_primitives::U256;

use super::super::legs::{LegError, LegPlan, hex_hash, next_nonce, parse_address};
use super::super::step::{PayoutDeps, lane_name};
use super::TopUp;
use crate::chain::sender::ChainSender;
use crate::chain::signer::{self, TxPlan};
use crate::domain::payout::{Leg, bumped, capped_fees, fee_cap, offered_fees, top_up_wei};
use crate::store::payout_txs::{NewPayoutTx, PayoutTx};
use crate::store::payouts::SweepRecord;

/// Gas of a POL transfer to an account without code (a deposit address).
const PLAIN_GAS: u64 = 21_000;

impl TopUp<'_> {
    /// The highest fee per gas a transfer may offer: what the mined top-up
    /// carries for each unit of the transfers' gas.
    pub(super) fn cap<C>(&self, deps: &PayoutDeps<C>, topup: &PayoutTx) -> Result<u128, LegError> {
        let value = u128::try_from(value_of(topup)?).unwrap_or(u128::MAX);
        fee_cap(value, deps.rules.transfer_gas, self.transfers)
            .ok_or_else(|| LegError::Failed("the transfer gas limit is zero".into()))
    }

    /// Signs and stores the top-up. A replacement keeps the nonce, outbids
    /// the fees and carries at least as much as the one it replaces.
    pub(super) async fn sign_top_up<C: ChainSender + Clone>(
        &self,
        deps: &PayoutDeps<C>,
        sweep: &SweepRecord,
        replacing: Option<&PayoutTx>,
    ) -> Result<PayoutTx, LegError> {
        let quote = deps.chain.fees().await?;
        let (mut max_fee, mut tip) = offered_fees(
            quote.base_fee,
            quote.priority_fee,
            deps.rules.min_priority_fee_wei,
        );
        let (nonce, value) = match replacing {
            Some(old) => {
                tip = tip.max(bumped(old.priority_fee_wei));
                max_fee = max_fee.max(bumped(old.max_fee_wei)).max(tip);
                let value = value_of(old)?.max(self.needed(deps, max_fee));
                (old.nonce, value)
            }
            None => {
                let nonce = next_nonce(deps, self.gas_key.address()).await?;
                (nonce, self.needed(deps, max_fee))
            }
        };
        let plan = TxPlan {
            chain_id: deps.rules.chain_id,
            nonce,
            to: parse_address(&sweep.deposit_address, "deposit address")?,
            value,
            data: Default::default(),
            gas_limit: PLAIN_GAS,
            max_fee_wei: max_fee,
            priority_fee_wei: tip,
        };
        store_signed(deps, sweep, Leg::TopUp, self.gas_key, &plan, replacing).await
    }

    /// What the transfers need at `max_fee`, with room for two bumps.
    fn needed<C>(&self, deps: &PayoutDeps<C>, max_fee: u128) -> U256 {
        U256::from(top_up_wei(max_fee, deps.rules.transfer_gas, self.transfers))
    }

    /// Signs and stores a plain transfer from the deposit address; `None`
    /// when a replacement would have to offer more than `cap`.
    pub(super) async fn sign_transfer<C: ChainSender + Clone>(
        &self,
        deps: &PayoutDeps<C>,
        sweep: &SweepRecord,
        plan: &LegPlan,
        cap: u128,
        replacing: Option<&PayoutTx>,
    ) -> Result<Option<PayoutTx>, LegError> {
        let quote = deps.chain.fees().await?;
        let offer = offered_fees(
            quote.base_fee,
            quote.priority_fee,
            deps.rules.min_priority_fee_wei,
        );
        let old = replacing.map(|t| (t.max_fee_wei, t.priority_fee_wei));
        let Some((max_fee, tip)) = capped_fees(offer, cap, old) else {
            return Ok(None);
        };
        let nonce = match replacing {
            Some(old) => old.nonce,
            None => next_nonce(deps, self.deposit_key.address()).await?,
        };
        let tx = TxPlan {
            chain_id: deps.rules.chain_id,
            nonce,
            to: deps.rules.token,
            value: U256::ZERO,
            data: signer::plain_transfer(plan.to, U256::from(plan.units)),
            gas_limit: deps.rules.transfer_gas,
            max_fee_wei: max_fee,
            priority_fee_wei: tip,
        };
        store_signed(deps, sweep, plan.leg, self.deposit_key, &tx, replacing)
            .await
            .map(Some)
    }
}

/// Signs `plan` with `key` and stores it (before any broadcast).
async fn store_signed<C: ChainSender>(
    deps: &PayoutDeps<C>,
    sweep: &SweepRecord,
    leg: Leg,
    key: &PrivateKeySigner,
    plan: &TxPlan,
    replacing: Option<&PayoutTx>,
) -> Result<PayoutTx, LegError> {
    let signed = signer::sign(key, plan).map_err(|e| LegError::Failed(e.to_string()))?;
    let stored = deps
        .store
        .insert_payout_tx(
            &NewPayoutTx {
                sweep_id: sweep.id,
                leg,
                sender: lane_name(key.address()),
                nonce: plan.nonce,
                tx_hash: hex_hash(&signed.hash),
                raw: format!("0x{}", hex::encode(&signed.raw)),
                max_fee_wei: plan.max_fee_wei,
                priority_fee_wei: plan.priority_fee_wei,
                auth_nonce: None,
                replaces_id: replacing.map(|t| t.id),
            },
            deps.clock.now_ms(),
        )
        .await?;
    Ok(stored)
}

/// The key of the sweep's deposit address, checked against it.
pub(super) fn deposit_signer<C>(
    deps: &PayoutDeps<C>,
    sweep: &SweepRecord,
) -> Result<PrivateKeySigner, LegError> {
    let from = parse_address(&sweep.deposit_address, "deposit address")?;
    let index = u32::try_from(sweep.hd_index)
        .map_err(|_| LegError::Failed(format!("HD index {} is out of range", sweep.hd_index)))?;
    let key = signer::deposit_key(&deps.wallet, index)
        .map_err(|e| LegError::Failed(format!("deriving the deposit key: {e}")))?;
    if key.address() != from {
        return Err(LegError::Failed(format!(
            "the wallet derives {} at index {index}, not the deposit address {from}: is KASSA_WALLET_MNEMONIC the one the sessions were made with?",
            key.address()
        )));
    }
    Ok(key)
}

/// POL a stored transaction sends along.
fn value_of(tx: &PayoutTx) -> Result<U256, LegError> {
    let undecodable = || LegError::Failed(format!("stored transaction {} does not decode", tx.id));
    let raw = hex::decode(tx.raw.trim_start_matches("0x")).map_err(|_| undecodable())?;
    let envelope = TxEnvelope::decode_2718_exact(&raw).map_err(|_| undecodable())?;
    Ok(envelope.value())
}
