//! Driving one sweep to the chain: each leg (the merchant's transfer, the
//! platform fee) is one EIP-3009 `transferWithAuthorization` that a gas
//! account submits. For each leg, in order:
//!
//! 1. a receipt of any transaction ever signed for it decides (status 1:
//!    done; status 0: the sweep failed and is retried with a new one);
//! 2. stored bytes not yet broadcast (a crash between storing and sending)
//!    are broadcast as they are;
//! 3. a transaction unmined for `stuck_blocks` is replaced with the same
//!    nonce and a fee at least 10 % higher; one whose nonce the chain has
//!    passed without it is given up and signed again with a new nonce;
//! 4. a leg with nothing in flight gets a transaction signed, stored, then
//!    broadcast.
//!
//! Every signature of a leg spends the same authorization nonce, so the
//! token itself refuses a second transfer whatever happens to the gas
//! transactions carrying it.

use alloy_primitives::{Address, B256, Bytes, U256};

use super::step::{PayoutDeps, PayoutReport, lane_name};
use crate::chain::sender::{Broadcast, ChainSender};
use crate::chain::signer::{self, TxPlan};
use crate::chain::source::ChainError;
use crate::chain::token;
use crate::domain::payout::{Leg, SweepMethod, SweepState, TxState, bumped, offered_fees};
use crate::store::StoreError;
use crate::store::payout_txs::{NewPayoutTx, PayoutTx, TxUpdate};
use crate::store::payouts::SweepRecord;

/// How long an authorization stays valid (a year: it only ever pays the
/// destination, and a stuck sweep must not expire under its replacement).
const AUTHORIZATION_VALIDITY_SECS: u64 = 365 * 24 * 60 * 60;

#[derive(Debug, thiserror::Error)]
pub(super) enum LegError {
    /// The node did not answer: the whole step backs off.
    #[error(transparent)]
    Chain(#[from] ChainError),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// This sweep cannot go out now (reverted, refused, misconfigured): it
    /// is retried later on its own schedule.
    #[error("{0}")]
    Failed(String),
}

/// One transfer out of the deposit address.
pub(super) struct LegPlan {
    pub(super) leg: Leg,
    pub(super) to: Address,
    pub(super) units: u64,
}

pub(super) async fn drive<C: ChainSender + Clone>(
    deps: &PayoutDeps<C>,
    sweep: &SweepRecord,
    head: u64,
    report: &mut PayoutReport,
) -> Result<(), LegError> {
    if sweep.method == SweepMethod::TopUp {
        return super::topup::drive(deps, sweep, head, report).await;
    }
    let lane = parse_address(&sweep.lane, "gas account")?;
    let Some(gas_key) = deps.gas.key(lane) else {
        return Err(LegError::Failed(format!(
            "gas account {} is no longer in KASSA_GAS_KEY_FILE",
            sweep.lane
        )));
    };
    if sweep.state == SweepState::Failed {
        deps.store.resume_sweep(sweep.id).await?;
    }
    let transactions = deps.store.sweep_transactions(sweep.id).await?;
    let mut txid_out = None;
    let mut pending = false;
    for plan in legs_of(sweep)? {
        let mine: Vec<&PayoutTx> = transactions.iter().filter(|t| t.leg == plan.leg).collect();
        match drive_leg(deps, sweep, gas_key, &plan, &mine, head, report).await? {
            Some(hash) => {
                if plan.leg == Leg::Merchant {
                    txid_out = Some(hash);
                }
            }
            None => pending = true,
        }
    }
    if !pending && let Some(txid_out) = txid_out {
        deps.store
            .sweep_sent(sweep.id, &txid_out, deps.clock.now_ms())
            .await?;
        report.sent += 1;
        metrics::counter!("kassa_payout_sweeps_sent_total").increment(1);
        tracing::info!(sweep_id = sweep.id, session_id = sweep.session_id, %txid_out, "sweep sent");
    }
    Ok(())
}

pub(super) fn legs_of(sweep: &SweepRecord) -> Result<Vec<LegPlan>, LegError> {
    let mut legs = vec![LegPlan {
        leg: Leg::Merchant,
        to: parse_address(&sweep.destination, "destination")?,
        units: sweep.net_units(),
    }];
    if sweep.fee_units > 0 {
        let Some(fee_wallet) = &sweep.fee_wallet else {
            return Err(LegError::Failed(
                "the sweep has a fee but no fee wallet".into(),
            ));
        };
        legs.push(LegPlan {
            leg: Leg::Fee,
            to: parse_address(fee_wallet, "fee wallet")?,
            units: sweep.fee_units,
        });
    }
    Ok(legs)
}

/// Moves one leg forward; its transaction hash once mined with status 1.
async fn drive_leg<C: ChainSender + Clone>(
    deps: &PayoutDeps<C>,
    sweep: &SweepRecord,
    gas_key: &alloy::signers::local::PrivateKeySigner,
    plan: &LegPlan,
    transactions: &[&PayoutTx],
    head: u64,
    report: &mut PayoutReport,
) -> Result<Option<String>, LegError> {
    // 1. A receipt of any of them (a replaced one may be the one mined).
    let live = match settle(deps, plan.leg, transactions).await? {
        Settled::Done(tx) => return Ok(Some(tx.tx_hash.clone())),
        Settled::Open(live) => live,
    };
    match live {
        // 2. Stored before a crash, never sent: send these very bytes.
        Some(tx) if tx.state == TxState::Signed => {
            broadcast(deps, tx, head).await?;
        }
        Some(tx) => {
            let lane = parse_address(&tx.sender, "gas account")?;
            let mined_nonce = deps.chain.nonce(lane, false).await?;
            if mined_nonce > tx.nonce {
                // 3b. The nonce went to a transaction that is not ours (the
                // receipts above were checked): this one will never mine.
                deps.store
                    .update_payout_tx(tx.id, TxUpdate::Replaced, deps.clock.now_ms())
                    .await?;
                let fresh = sign_leg(deps, sweep, gas_key, plan, None).await?;
                report.signed += 1;
                broadcast(deps, &fresh, head).await?;
            } else if is_stuck(deps, tx, head) {
                // 3a. Stuck: the same nonce, a higher fee.
                let replacement = sign_leg(deps, sweep, gas_key, plan, Some(tx)).await?;
                deps.store
                    .update_payout_tx(tx.id, TxUpdate::Replaced, deps.clock.now_ms())
                    .await?;
                replaced(report, sweep, tx, &replacement);
                broadcast(deps, &replacement, head).await?;
            } else {
                // Still waiting: handing the bytes over again is harmless
                // and brings them back to a node that dropped them.
                broadcast(deps, tx, head).await?;
            }
        }
        // 4. Nothing in flight.
        None => {
            let fresh = sign_leg(deps, sweep, gas_key, plan, None).await?;
            report.signed += 1;
            broadcast(deps, &fresh, head).await?;
        }
    }
    Ok(None)
}

/// What the receipts say of one leg.
pub(super) enum Settled<'a> {
    /// Mined with status 1.
    Done(&'a PayoutTx),
    /// Not mined: the newest signature still in flight, if any.
    Open(Option<&'a PayoutTx>),
}

/// Reads the receipts of a leg's signatures (newest first). A receipt marks
/// the others of its nonce replaced; status 0 fails the sweep.
pub(super) async fn settle<'a, C: ChainSender>(
    deps: &PayoutDeps<C>,
    leg: Leg,
    rows: &[&'a PayoutTx],
) -> Result<Settled<'a>, LegError> {
    if let Some(done) = rows.iter().copied().find(|t| t.state == TxState::Mined) {
        return Ok(Settled::Done(done));
    }
    // Every signature's receipt is read: after a nonce was given up for
    // lost, an older signature may still have been mined, and a newer one
    // then reverts (its authorization or balance is spent). A success
    // anywhere settles the leg; a revert fails it only when none succeeded.
    let mut succeeded = None;
    let mut reverted = None;
    for tx in rows.iter().rev().copied().filter(|t| {
        matches!(
            t.state,
            TxState::Signed | TxState::Broadcast | TxState::Replaced
        )
    }) {
        let Some(receipt) = deps.chain.receipt(parse_hash(&tx.tx_hash)?).await? else {
            continue;
        };
        deps.store
            .update_payout_tx(
                tx.id,
                TxUpdate::Mined {
                    block: receipt.block_number,
                    gas_used: receipt.gas_used,
                    gas_price_wei: receipt.effective_gas_price,
                    success: receipt.success,
                },
                deps.clock.now_ms(),
            )
            .await?;
        for other in rows
            .iter()
            .filter(|o| o.id != tx.id && o.nonce == tx.nonce && o.state != TxState::Replaced)
        {
            deps.store
                .update_payout_tx(other.id, TxUpdate::Replaced, deps.clock.now_ms())
                .await?;
        }
        if receipt.success {
            succeeded.get_or_insert(tx);
        } else {
            reverted.get_or_insert((tx, receipt.block_number));
        }
    }
    if let Some(tx) = succeeded {
        return Ok(Settled::Done(tx));
    }
    if let Some((tx, block)) = reverted {
        return Err(LegError::Failed(format!(
            "the {leg} transaction {} reverted in block {block}",
            tx.tx_hash
        )));
    }
    Ok(Settled::Open(rows.iter().rev().copied().find(|t| {
        matches!(t.state, TxState::Signed | TxState::Broadcast)
    })))
}

/// Unmined `stuck_blocks` after its broadcast: time to outbid it.
pub(super) fn is_stuck<C>(deps: &PayoutDeps<C>, tx: &PayoutTx, head: u64) -> bool {
    head >= tx.broadcast_block.unwrap_or(head) + deps.rules.stuck_blocks
}

/// Counts and logs a replacement with a higher fee.
pub(super) fn replaced(
    report: &mut PayoutReport,
    sweep: &SweepRecord,
    old: &PayoutTx,
    new: &PayoutTx,
) {
    report.signed += 1;
    report.replaced += 1;
    metrics::counter!("kassa_payout_replacements_total").increment(1);
    tracing::info!(sweep_id = sweep.id, leg = %new.leg, old = %old.tx_hash, new = %new.tx_hash, "stuck sweep transaction replaced with a higher fee");
}

/// Signs the leg's transfer and stores it (before any broadcast). With
/// `replacing`, it takes that transaction's nonce and outbids its fees.
async fn sign_leg<C: ChainSender + Clone>(
    deps: &PayoutDeps<C>,
    sweep: &SweepRecord,
    gas_key: &alloy::signers::local::PrivateKeySigner,
    plan: &LegPlan,
    replacing: Option<&PayoutTx>,
) -> Result<PayoutTx, LegError> {
    let info = deps.token().await?;
    let from = parse_address(&sweep.deposit_address, "deposit address")?;
    let index = u32::try_from(sweep.hd_index)
        .map_err(|_| LegError::Failed(format!("HD index {} is out of range", sweep.hd_index)))?;
    let deposit_key = signer::deposit_key(&deps.wallet, index)
        .map_err(|e| LegError::Failed(format!("deriving the deposit key: {e}")))?;
    if deposit_key.address() != from {
        return Err(LegError::Failed(format!(
            "the wallet derives {} at index {index}, not the deposit address {from}: is KASSA_WALLET_MNEMONIC the one the sessions were made with?",
            deposit_key.address()
        )));
    }
    let auth_nonce =
        signer::authorization_nonce(sweep.session_id, sweep.sequence, plan.leg.as_str());
    let valid_before = u64::try_from(deps.clock.now_ms() / 1000)
        .unwrap_or(0)
        .saturating_add(AUTHORIZATION_VALIDITY_SECS);
    let message = token::authorization(
        from,
        plan.to,
        U256::from(plan.units),
        valid_before,
        auth_nonce,
    );
    let domain = token::domain(&info, deps.rules.chain_id, deps.rules.token);
    let data = signer::authorized_transfer(&deposit_key, &domain, &message)
        .map_err(|e| LegError::Failed(e.to_string()))?;

    let quote = deps.chain.fees().await?;
    let (mut max_fee, mut tip) = offered_fees(
        quote.base_fee,
        quote.priority_fee,
        deps.rules.min_priority_fee_wei,
    );
    let nonce = match replacing {
        Some(old) => {
            tip = tip.max(bumped(old.priority_fee_wei));
            max_fee = max_fee.max(bumped(old.max_fee_wei)).max(tip);
            old.nonce
        }
        None => next_nonce(deps, gas_key.address()).await?,
    };
    let signed = signer::sign(
        gas_key,
        &TxPlan {
            chain_id: deps.rules.chain_id,
            nonce,
            to: deps.rules.token,
            value: U256::ZERO,
            data,
            gas_limit: deps.rules.transfer_gas,
            max_fee_wei: max_fee,
            priority_fee_wei: tip,
        },
    )
    .map_err(|e| LegError::Failed(e.to_string()))?;
    let stored = deps
        .store
        .insert_payout_tx(
            &NewPayoutTx {
                sweep_id: sweep.id,
                leg: plan.leg,
                sender: lane_name(gas_key.address()),
                nonce,
                tx_hash: hex_hash(&signed.hash),
                raw: format!("0x{}", hex::encode(&signed.raw)),
                max_fee_wei: max_fee,
                priority_fee_wei: tip,
                auth_nonce: Some(hex_hash(&auth_nonce)),
                replaces_id: replacing.map(|t| t.id),
            },
            deps.clock.now_ms(),
        )
        .await?;
    Ok(stored)
}

/// The lane's next nonce: past everything it ever signed, and past what the
/// node knows of (pending included), never from memory.
pub(super) async fn next_nonce<C: ChainSender>(
    deps: &PayoutDeps<C>,
    lane: Address,
) -> Result<u64, LegError> {
    let stored = deps
        .store
        .next_stored_nonce(&lane_name(lane))
        .await?
        .unwrap_or(0);
    let chain = deps.chain.nonce(lane, true).await?;
    Ok(stored.max(chain))
}

/// Hands stored bytes to the node. Only a receipt decides the outcome:
/// "already known" and "underpriced" answers leave the transaction waiting.
pub(super) async fn broadcast<C: ChainSender>(
    deps: &PayoutDeps<C>,
    tx: &PayoutTx,
    head: u64,
) -> Result<(), LegError> {
    crate::fault::point("payout_signed").await;
    let raw = hex::decode(tx.raw.trim_start_matches("0x"))
        .map_err(|_| LegError::Failed(format!("stored transaction {} does not decode", tx.id)))?;
    let answer = deps.chain.send_raw(Bytes::from(raw)).await?;
    match answer {
        Broadcast::Accepted
        | Broadcast::AlreadyKnown
        | Broadcast::Underpriced(_)
        | Broadcast::NonceTooLow(_) => {
            if tx.state == TxState::Signed {
                deps.store
                    .update_payout_tx(
                        tx.id,
                        TxUpdate::Broadcast { at_block: head },
                        deps.clock.now_ms(),
                    )
                    .await?;
            }
            crate::fault::point("payout_broadcast").await;
            if !matches!(answer, Broadcast::Accepted | Broadcast::AlreadyKnown) {
                tracing::debug!(tx = %tx.tx_hash, ?answer, "the node did not take the sweep transaction into its pool; a receipt will decide");
            }
            Ok(())
        }
        Broadcast::Rejected(why) => Err(LegError::Failed(format!(
            "the node refused transaction {}: {why}",
            tx.tx_hash
        ))),
    }
}

pub(super) fn parse_address(text: &str, what: &str) -> Result<Address, LegError> {
    text.parse()
        .map_err(|_| LegError::Failed(format!("the stored {what} `{text}` is not an address")))
}

pub(super) fn parse_hash(text: &str) -> Result<B256, LegError> {
    text.parse()
        .map_err(|_| LegError::Failed(format!("the stored hash `{text}` is not a hash")))
}

pub(super) fn hex_hash(hash: &B256) -> String {
    format!("0x{}", hex::encode(hash.as_slice()))
}
