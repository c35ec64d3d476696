//! Driving one gas top-up sweep, for a token without EIP-3009: the sweep's
//! gas account first sends the deposit address the POL its own transfers
//! need (leg `topup`), then the deposit key sends plain `transfer(to,
//! value)` calls (legs `merchant` and `fee`) and pays their gas itself.
//!
//! The top-up carries `legs × transfer_gas × bumped(bumped(max_fee))`:
//! every transfer at the fee offered when the top-up was signed, with
//! headroom for two replacements. That per-gas figure (the top-up's value
//! over `legs × transfer_gas`, read back from the mined top-up's signed
//! bytes) is the **cap** no transfer of the sweep ever offers more than, so
//! every transfer in flight together never needs more POL than arrived.
//! A replaced top-up keeps its nonce and carries at least as much, and
//! what the transfers would need at its own higher fee. A transfer is
//! signed only after the top-up's receipt says status 1. When the sweep is
//! sent, the POL still on the address is recorded on the sweep
//! (`leftover_wei`) and logged. POL already on the address (a leftover of
//! an earlier sweep) is not counted: each sweep pays its own gas, and
//! reclaiming leftovers is an operator's decision.
//!
//! The arithmetic is `domain::payout` (`top_up_wei`, `fee_cap`,
//! `capped_fees`); signing and storing is `topup/sign.rs`; this file
//! decides, from the stored rows and the chain, what each leg needs next.
//!
//! # Exactly once without the token's help
//!
//! An EIP-3009 leg can be signed again with any gas nonce because the token
//! refuses a second use of its authorization. A plain transfer has no such
//! guard: the only thing that keeps two signatures of one leg from both
//! moving money is that they share the deposit address's nonce, and one
//! nonce is mined at most once. So, for a transfer:
//!
//! 1. Its nonce is fixed when it is first signed and stored, before any
//!    broadcast (`next_nonce`: one past every nonce stored for the address,
//!    and past the node's pending count). A crash between storing and
//!    sending re-sends the stored bytes, never new ones.
//! 2. A replacement (stuck for `stuck_blocks`) keeps that nonce and raises
//!    the fee, within the cap; past the cap it keeps waiting.
//! 3. A receipt of any signature of the leg decides: status 1 is done (the
//!    others share its nonce and can never mine); status 0 fails the sweep.
//! 4. If the address's mined nonce has passed the leg's nonce and still,
//!    `stuck_blocks` after the broadcast, no signature of ours has a
//!    receipt (a receipt can lag the nonce: a block being written, or
//!    nodes behind one URL that are not at the same height; until then the
//!    leg just waits), the nonce went to a transaction Kassa did not sign (someone else holds the deposit key, or the node
//!    lost our receipt). Signing again with a new nonce could pay twice if
//!    ours ever came back (a reorg can un-mine the other one), so the
//!    sweep fails with a message for a person instead. Every retry looks
//!    for the receipts again first, so a receipt that turns up later
//!    finishes the sweep by itself.
//! 5. A new nonce is taken only when no signature of the leg can mine any
//!    more: each earlier one is reverted or replaced, and the address's
//!    mined nonce is past all of them (a reverted transfer moved nothing).
//!
//! The merchant and fee transfers take consecutive nonces of the one
//! address, so a stuck merchant transfer holds the fee transfer behind it;
//! both are replaced in place, and neither ever moves to another nonce
//! while the other waits.
//!
//! The top-up is a POL transfer from the gas account and is kept the same
//! way (stored before broadcast, replaced with the same nonce, receipts
//! decide), with one difference: when the gas account's nonce has passed
//! it without a receipt of ours for `stuck_blocks` (another program spent
//! that nonce), it is signed again with a new nonce, as `legs.rs` does. The worst a
//! resurrected old top-up can do is leave more POL on the deposit address,
//! which its key still holds and `leftover_wei` shows; a sweep that would
//! otherwise wait for a person over gas money is worse.
//!
//! This module must not sign a token transfer before its top-up is mined,
//! offer a fee above the cap, or give a transfer a second nonce while an
//! earlier one could still mine.

use alloy::signers::local::PrivateKeySigner;

use super::legs::{
    LegError, LegPlan, Settled, broadcast, is_stuck, legs_of, parse_address, replaced, settle,
};
use super::step::{PayoutDeps, PayoutReport};
use crate::chain::sender::ChainSender;
use crate::domain::payout::{Leg, SweepState, TxState};
use crate::store::payout_txs::{PayoutTx, TxUpdate};
use crate::store::payouts::SweepRecord;

mod sign;

use sign::deposit_signer;

pub(super) async fn drive<C: ChainSender + Clone>(
    deps: &PayoutDeps<C>,
    sweep: &SweepRecord,
    head: u64,
    report: &mut PayoutReport,
) -> Result<(), LegError> {
    let lane = parse_address(&sweep.lane, "gas account")?;
    let Some(gas_key) = deps.gas.key(lane) else {
        return Err(LegError::Failed(format!(
            "gas account {} is no longer in KASSA_GAS_KEY_FILE",
            sweep.lane
        )));
    };
    let deposit_key = deposit_signer(deps, sweep)?;
    if sweep.state == SweepState::Failed {
        deps.store.resume_sweep(sweep.id).await?;
    }
    let transactions = deps.store.sweep_transactions(sweep.id).await?;
    let of =
        |leg: Leg| -> Vec<&PayoutTx> { transactions.iter().filter(|t| t.leg == leg).collect() };
    let plans = legs_of(sweep)?;
    let legs = TopUp {
        gas_key,
        deposit_key: &deposit_key,
        transfers: plans.len() as u64,
    };
    let Some(cap) = legs
        .top_up(deps, sweep, &of(Leg::TopUp), head, report)
        .await?
    else {
        return Ok(());
    };
    let mut txid_out = None;
    let mut pending = false;
    for plan in &plans {
        match legs
            .transfer(deps, sweep, plan, &of(plan.leg), cap, head, report)
            .await?
        {
            Some(hash) if plan.leg == Leg::Merchant => txid_out = Some(hash),
            Some(_) => {}
            None => pending = true,
        }
    }
    if !pending && let Some(txid_out) = txid_out {
        let left = deps.chain.native_balance(deposit_key.address()).await?;
        let left = u128::try_from(left).unwrap_or(u128::MAX);
        // Before `sent`: a sent sweep is never driven again to record it.
        deps.store.record_leftover(sweep.id, left).await?;
        deps.store
            .sweep_sent(sweep.id, &txid_out, deps.clock.now_ms())
            .await?;
        report.sent += 1;
        metrics::counter!("kassa_payout_sweeps_sent_total").increment(1);
        tracing::info!(
            sweep_id = sweep.id,
            session_id = sweep.session_id,
            %txid_out,
            deposit_address = %sweep.deposit_address,
            leftover_wei = %left,
            "top-up sweep sent; POL left on the deposit address recorded"
        );
    }
    Ok(())
}

/// The keys of one top-up sweep and how many transfers it pays for.
struct TopUp<'a> {
    gas_key: &'a PrivateKeySigner,
    deposit_key: &'a PrivateKeySigner,
    transfers: u64,
}

impl TopUp<'_> {
    /// Moves the top-up forward: `Some(cap)`, the highest fee per gas a
    /// transfer may offer, once it is mined with status 1.
    async fn top_up<C: ChainSender + Clone>(
        &self,
        deps: &PayoutDeps<C>,
        sweep: &SweepRecord,
        rows: &[&PayoutTx],
        head: u64,
        report: &mut PayoutReport,
    ) -> Result<Option<u128>, LegError> {
        match settle(deps, Leg::TopUp, rows).await? {
            Settled::Done(tx) => return Ok(Some(self.cap(deps, tx)?)),
            Settled::Open(Some(tx)) if tx.state == TxState::Signed => {
                broadcast(deps, tx, head).await?;
            }
            Settled::Open(Some(tx)) => {
                let mined_nonce = deps.chain.nonce(self.gas_key.address(), false).await?;
                if mined_nonce > tx.nonce && !is_stuck(deps, tx, head) {
                    // Receipts can lag the nonce: wait (see the module doc).
                    return Ok(None);
                }
                if mined_nonce > tx.nonce {
                    // Another transaction took the gas account's nonce
                    // (the receipts were checked): see the module doc.
                    deps.store
                        .update_payout_tx(tx.id, TxUpdate::Replaced, deps.clock.now_ms())
                        .await?;
                    tracing::warn!(sweep_id = sweep.id, tx = %tx.tx_hash, nonce = tx.nonce, "a transaction Kassa did not sign took the top-up's gas nonce; topping up again");
                    let fresh = self.sign_top_up(deps, sweep, None).await?;
                    report.signed += 1;
                    broadcast(deps, &fresh, head).await?;
                } else if is_stuck(deps, tx, head) {
                    let replacement = self.sign_top_up(deps, sweep, Some(tx)).await?;
                    deps.store
                        .update_payout_tx(tx.id, TxUpdate::Replaced, deps.clock.now_ms())
                        .await?;
                    replaced(report, sweep, tx, &replacement);
                    broadcast(deps, &replacement, head).await?;
                } else {
                    broadcast(deps, tx, head).await?;
                }
            }
            Settled::Open(None) => {
                let fresh = self.sign_top_up(deps, sweep, None).await?;
                report.signed += 1;
                broadcast(deps, &fresh, head).await?;
            }
        }
        Ok(None)
    }

    /// Moves one transfer forward; its hash once mined with status 1.
    #[expect(clippy::too_many_arguments, reason = "one leg's whole context")]
    async fn transfer<C: ChainSender + Clone>(
        &self,
        deps: &PayoutDeps<C>,
        sweep: &SweepRecord,
        plan: &LegPlan,
        rows: &[&PayoutTx],
        cap: u128,
        head: u64,
        report: &mut PayoutReport,
    ) -> Result<Option<String>, LegError> {
        let live = match settle(deps, plan.leg, rows).await? {
            Settled::Done(tx) => return Ok(Some(tx.tx_hash.clone())),
            Settled::Open(live) => live,
        };
        let from = self.deposit_key.address();
        match live {
            Some(tx) if tx.state == TxState::Signed => broadcast(deps, tx, head).await?,
            Some(tx) => {
                let mined_nonce = deps.chain.nonce(from, false).await?;
                if mined_nonce > tx.nonce && !is_stuck(deps, tx, head) {
                    // Receipts can lag the nonce: wait (see the module doc).
                    return Ok(None);
                }
                if mined_nonce > tx.nonce {
                    // Mined between the receipt check and the nonce read?
                    if let Settled::Done(done) = settle(deps, plan.leg, rows).await? {
                        return Ok(Some(done.tx_hash.clone()));
                    }
                    return Err(LegError::Failed(nonce_taken(sweep, plan, rows, tx.nonce)));
                }
                if !is_stuck(deps, tx, head) {
                    broadcast(deps, tx, head).await?;
                } else if let Some(replacement) =
                    self.sign_transfer(deps, sweep, plan, cap, Some(tx)).await?
                {
                    deps.store
                        .update_payout_tx(tx.id, TxUpdate::Replaced, deps.clock.now_ms())
                        .await?;
                    replaced(report, sweep, tx, &replacement);
                    broadcast(deps, &replacement, head).await?;
                } else {
                    let note = format!(
                        "the {} transfer {} is stuck and a higher fee would pass what the top-up paid for ({cap} wei per gas); it keeps waiting",
                        plan.leg, tx.tx_hash
                    );
                    tracing::warn!(sweep_id = sweep.id, %note, "top-up sweep waiting");
                    deps.store.note_sweep(sweep.id, &note).await?;
                    broadcast(deps, tx, head).await?;
                }
            }
            None => {
                // Rule 5 of the module doc: every earlier signature is
                // reverted or replaced; its nonce must be spent for good.
                if let Some(highest) = rows.iter().map(|t| t.nonce).max() {
                    let mined_nonce = deps.chain.nonce(from, false).await?;
                    if mined_nonce <= highest {
                        return Err(LegError::Failed(format!(
                            "the {} transfer's nonce {highest} on deposit address {} is not spent yet although none of its transactions is in flight; not signing it with a new nonce",
                            plan.leg, sweep.deposit_address
                        )));
                    }
                }
                let Some(fresh) = self.sign_transfer(deps, sweep, plan, cap, None).await? else {
                    return Err(LegError::Failed(format!(
                        "the {} transfer cannot be signed within what the top-up paid for",
                        plan.leg
                    )));
                };
                report.signed += 1;
                broadcast(deps, &fresh, head).await?;
            }
        }
        Ok(None)
    }
}

/// The message for a person when a transfer's nonce went elsewhere.
fn nonce_taken(sweep: &SweepRecord, plan: &LegPlan, rows: &[&PayoutTx], nonce: u64) -> String {
    let ours: Vec<&str> = rows.iter().map(|t| t.tx_hash.as_str()).collect();
    format!(
        "deposit address {} used nonce {nonce} for a transaction Kassa did not sign, and none of the {} transfer's own transactions ({}) has a receipt. Kassa will not sign that transfer again with a new nonce, because one of its transactions could still be mined and pay twice. Check the address's history on a block explorer: if one of these hashes was mined, the next retry finds its receipt; if the money left by another transaction, settle the sweep by hand.",
        sweep.deposit_address,
        plan.leg,
        ours.join(", ")
    )
}
