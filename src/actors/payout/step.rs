//! One step of the payout actor: make sweeps for final counted deposits,
//! drive every open sweep (`legs`), tell sessions of sweeps that were sent.
//!
//! Plain async I/O over a `ChainSender`, the store and the session handle.
//! A node that does not answer fails the step (the actor backs off); a
//! sweep that cannot go out fails alone and is retried on its own schedule,
//! so it never holds up other sweeps or any session's `paid`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use alloy_primitives::Address;
use backon::{BackoffBuilder, ExponentialBuilder};
use tokio::sync::Mutex;

use super::legs::{self, LegError};
use crate::actors::handle::Sessions;
use crate::chain::hd::HdWallet;
use crate::chain::sender::ChainSender;
use crate::chain::settings::Eip3009;
use crate::chain::signer::GasAccounts;
use crate::chain::source::ChainError;
use crate::chain::token::TokenInfo;
use crate::clock::SharedClock;
use crate::domain::payout::{SweepKind, SweepMethod, SweepState, split, sweepable_through};
use crate::store::payout_requests::{PayoutRequest, RequestAction};
use crate::store::payouts::{NewSweep, SweepRecord};
use crate::store::{Store, StoreError};

/// Deposits looked at per step when making sweeps.
const PLAN_BATCH: u64 = 1_000;
/// Open sweeps driven per step.
const DRIVE_BATCH: u64 = 200;

/// The operator's payout rules, as the actor applies them.
#[derive(Debug, Clone)]
pub struct PayoutRules {
    pub token: Address,
    pub chain_id: u64,
    pub fee_wallet: Option<Address>,
    pub fee_bps: u32,
    pub confirmations: u64,
    pub stuck_blocks: u64,
    pub min_priority_fee_wei: u128,
    pub eip3009: Eip3009,
    /// Gas limit of one token transfer.
    pub transfer_gas: u64,
}

/// Everything a step needs; cloned into each.
#[derive(Clone)]
pub struct PayoutDeps<C> {
    pub chain: C,
    pub store: Store,
    pub sessions: Sessions,
    pub clock: SharedClock,
    pub wallet: HdWallet,
    pub gas: GasAccounts,
    pub rules: PayoutRules,
    /// The token's EIP-712 domain and EIP-3009 support, read once.
    pub token_info: Arc<Mutex<Option<TokenInfo>>>,
    /// Each gas account's POL, refreshed every step (for `/readyz`).
    pub gas_levels: super::GasLevels,
}

/// What a step did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PayoutReport {
    pub head: u64,
    /// Sweeps made.
    pub created: u64,
    /// Transactions signed and stored.
    pub signed: u64,
    /// Transactions replaced with a higher fee.
    pub replaced: u64,
    /// Sweeps whose every transaction was mined with status 1.
    pub sent: u64,
    /// Sweeps that could not go out this step.
    pub failed: u64,
    /// Sweeps their session recorded (`txid_out`, `payout_sent`).
    pub announced: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum PayoutError {
    #[error("chain: {0}")]
    Chain(#[from] ChainError),
    #[error("store: {0}")]
    Store(#[from] StoreError),
}

impl<C> PayoutDeps<C> {
    /// The same dependencies over another chain (wiring builds them once
    /// and picks the node or the sandbox ledger).
    pub fn on<D>(self, chain: D) -> PayoutDeps<D> {
        PayoutDeps {
            chain,
            store: self.store,
            sessions: self.sessions,
            clock: self.clock,
            wallet: self.wallet,
            gas: self.gas,
            rules: self.rules,
            token_info: self.token_info,
            gas_levels: self.gas_levels,
        }
    }
}

impl<C: ChainSender> PayoutDeps<C> {
    /// The token's domain and EIP-3009 support (read on first use).
    pub(super) async fn token(&self) -> Result<TokenInfo, ChainError> {
        let mut cached = self.token_info.lock().await;
        if let Some(info) = cached.as_ref() {
            return Ok(info.clone());
        }
        let info = self.chain.token_info(self.rules.token).await?;
        tracing::info!(name = %info.name, version = %info.version, eip3009 = info.eip3009, "read the token's payout capabilities");
        *cached = Some(info.clone());
        Ok(info)
    }
}

pub async fn run<C: ChainSender + Clone>(
    deps: &PayoutDeps<C>,
) -> Result<PayoutReport, PayoutError> {
    let head = deps.chain.head().await?;
    let finalized = deps.chain.finalized().await?;
    let mut report = PayoutReport {
        head,
        ..PayoutReport::default()
    };
    plan(deps, head, finalized, &mut report).await?;
    requests(deps, head, finalized, &mut report).await?;
    let sweeps = deps
        .store
        .open_sweeps(deps.clock.now_ms(), DRIVE_BATCH)
        .await?;
    for sweep in &sweeps {
        match legs::drive(deps, sweep, head, &mut report).await {
            Ok(()) => {}
            Err(LegError::Failed(why)) => {
                report.failed += 1;
                fail(deps, sweep, &why).await?;
            }
            Err(LegError::Chain(e)) => return Err(e.into()),
            Err(LegError::Store(e)) => return Err(e.into()),
        }
    }
    announce(deps, &mut report).await?;
    gauge_gas(deps).await;
    Ok(report)
}

/// Makes one sweep per paid session for its counted deposits that are final
/// and deep enough and no sweep took yet.
async fn plan<C: ChainSender + Clone>(
    deps: &PayoutDeps<C>,
    head: u64,
    finalized: Option<u64>,
    report: &mut PayoutReport,
) -> Result<(), PayoutError> {
    let Some(through) = sweepable_through(head, finalized, deps.rules.confirmations) else {
        return Ok(());
    };
    let candidates = deps
        .store
        .sweepable_deposits(through, PLAN_BATCH, deps.clock.now_ms())
        .await?;
    if candidates.is_empty() {
        return Ok(());
    }
    let info = deps.token().await?;
    let method = method_for(deps.rules.eip3009, &info);
    let mut load = lane_load(deps).await?;
    for candidate in candidates {
        let Some(wallet) = candidate.payout_wallet.clone() else {
            metrics::counter!("kassa_payout_waiting_for_wallet_total").increment(1);
            tracing::warn!(
                session_id = candidate.session_id,
                merchant_id = candidate.merchant_id,
                "a paid session waits to be swept: its merchant has no payout wallet"
            );
            continue;
        };
        let amount = candidate.amount_units();
        if amount == 0 {
            continue;
        }
        let parts = split(amount, deps.rules.fee_bps);
        let Some(lane) = least_loaded(&load) else {
            return Ok(());
        };
        let new = NewSweep {
            session_id: candidate.session_id,
            merchant_id: candidate.merchant_id,
            kind: SweepKind::Sweep,
            deposit_address: candidate.deposit_address.clone(),
            hd_index: candidate.hd_index,
            destination: wallet,
            fee_wallet: deps
                .rules
                .fee_wallet
                .filter(|_| parts.fee_units > 0)
                .map(|w| w.to_checksum(None)),
            amount_units: amount,
            fee_units: parts.fee_units,
            method,
            lane: lane_name(lane),
            requested_by: None,
        };
        let ids: Vec<i64> = candidate.deposits.iter().map(|(id, _)| *id).collect();
        let now = deps.clock.now_ms();
        if let Some(sweep) = deps.store.create_sweep(&new, &ids, now).await? {
            report.created += 1;
            *load.entry(lane).or_default() += 1;
            metrics::counter!("kassa_payout_sweeps_created_total").increment(1);
            tracing::info!(
                sweep_id = sweep.id,
                session_id = sweep.session_id,
                sequence = sweep.sequence,
                amount_units = amount,
                fee_units = parts.fee_units,
                "sweep made"
            );
        }
    }
    Ok(())
}

/// Carries out the operators' queued requests: a retry makes a failed sweep
/// due now; a forward or refund of held money becomes a sweep once the
/// deposit's block is final (until then the request waits).
async fn requests<C: ChainSender + Clone>(
    deps: &PayoutDeps<C>,
    head: u64,
    finalized: Option<u64>,
    report: &mut PayoutReport,
) -> Result<(), PayoutError> {
    let open = deps.store.open_payout_requests().await?;
    if open.is_empty() {
        return Ok(());
    }
    let through = sweepable_through(head, finalized, deps.rules.confirmations);
    let mut load = lane_load(deps).await?;
    for request in open {
        let now = deps.clock.now_ms();
        let outcome = match request.action {
            RequestAction::Retry => match request.sweep_id {
                None => Some("no sweep named".to_string()),
                Some(id) => match deps.store.sweep(id).await? {
                    None => Some(format!("no sweep {id}")),
                    Some(s) if s.state == SweepState::Failed => {
                        deps.store.retry_sweep_now(id, now).await?;
                        Some(format!("sweep {id} retried"))
                    }
                    Some(s) => Some(format!("sweep {id} is {}, not failed", s.state)),
                },
            },
            RequestAction::Forward | RequestAction::Refund => {
                held_request(deps, &request, through, &mut load, report).await?
            }
        };
        if let Some(outcome) = outcome {
            tracing::info!(request = request.id, action = request.action.as_str(), by = %request.requested_by, %outcome, "payout request carried out");
            deps.store
                .finish_payout_request(request.id, &outcome, now)
                .await?;
        }
    }
    Ok(())
}

/// A forward or refund: the sweep it made, why it cannot be done, or
/// `None` while the deposit's block is not final yet.
async fn held_request<C: ChainSender + Clone>(
    deps: &PayoutDeps<C>,
    request: &PayoutRequest,
    through: Option<u64>,
    load: &mut HashMap<Address, u64>,
    report: &mut PayoutReport,
) -> Result<Option<String>, PayoutError> {
    let Some(deposit_id) = request.deposit_id else {
        return Ok(Some("no deposit named".into()));
    };
    let Some(held) = deps
        .store
        .held_deposit(deposit_id, deps.clock.now_ms())
        .await?
    else {
        return Ok(Some(format!("no deposit {deposit_id}")));
    };
    if let Some(why) = held.not_held {
        return Ok(Some(format!("deposit {deposit_id} is not held: {why}")));
    }
    let final_enough = matches!((held.block_number, through), (Some(b), Some(t)) if b <= t);
    if !final_enough {
        return Ok(None);
    }
    let (kind, destination, fee_units) = if request.action == RequestAction::Refund {
        let Some(to) = request.destination.clone().or(held.from.clone()) else {
            return Ok(Some(format!(
                "deposit {deposit_id} has no known sender: refund it with --to"
            )));
        };
        (SweepKind::Refund, to, 0)
    } else {
        let Some(wallet) = held.payout_wallet.clone() else {
            return Ok(Some(format!(
                "merchant {} has no payout wallet",
                held.merchant_id
            )));
        };
        let fee = split(held.amount_units, deps.rules.fee_bps).fee_units;
        (SweepKind::Forward, wallet, fee)
    };
    let info = deps.token().await?;
    let Some(lane) = least_loaded(load) else {
        return Ok(None);
    };
    let new = NewSweep {
        session_id: held.session_id,
        merchant_id: held.merchant_id,
        kind,
        deposit_address: held.deposit_address.clone(),
        hd_index: held.hd_index,
        destination,
        fee_wallet: deps
            .rules
            .fee_wallet
            .filter(|_| fee_units > 0)
            .map(|w| w.to_checksum(None)),
        amount_units: held.amount_units,
        fee_units,
        method: method_for(deps.rules.eip3009, &info),
        lane: lane_name(lane),
        requested_by: Some(request.requested_by.clone()),
    };
    match deps
        .store
        .create_sweep(&new, &[deposit_id], deps.clock.now_ms())
        .await?
    {
        Some(sweep) => {
            report.created += 1;
            *load.entry(lane).or_default() += 1;
            Ok(Some(format!("sweep {} made", sweep.id)))
        }
        None => Ok(Some(format!(
            "deposit {deposit_id} was taken by another sweep meanwhile"
        ))),
    }
}

/// The lane with the fewest unfinished transactions, so a stuck lane takes
/// no new work.
fn least_loaded(load: &HashMap<Address, u64>) -> Option<Address> {
    load.iter()
        .min_by_key(|(address, n)| (**n, **address))
        .map(|(address, _)| *address)
}

/// How sweeps are paid for, by the switch and what the token answers.
fn method_for(switch: Eip3009, info: &TokenInfo) -> SweepMethod {
    match switch {
        Eip3009::On => SweepMethod::Eip3009,
        Eip3009::Off => SweepMethod::TopUp,
        Eip3009::Auto if info.eip3009 => SweepMethod::Eip3009,
        Eip3009::Auto => SweepMethod::TopUp,
    }
}

/// Unfinished transactions per gas account (every account listed).
async fn lane_load<C>(deps: &PayoutDeps<C>) -> Result<HashMap<Address, u64>, StoreError> {
    let busy = deps.store.live_transactions_by_sender().await?;
    Ok(deps
        .gas
        .addresses()
        .into_iter()
        .map(|a| (a, busy.get(&lane_name(a)).copied().unwrap_or(0)))
        .collect())
}

/// How a gas account is stored: lower-case `0x` hex.
pub(super) fn lane_name(address: Address) -> String {
    format!("0x{}", hex::encode(address.as_slice()))
}

/// Records why a sweep could not go out and when it is tried again.
async fn fail<C>(deps: &PayoutDeps<C>, sweep: &SweepRecord, why: &str) -> Result<(), StoreError> {
    metrics::counter!("kassa_payout_sweep_failures_total").increment(1);
    tracing::warn!(sweep_id = sweep.id, session_id = sweep.session_id, attempts = sweep.attempts + 1, error = %why, "sweep could not go out; will retry");
    let delay = retry_delay(sweep.attempts);
    let at = deps
        .clock
        .now_ms()
        .saturating_add(i64::try_from(delay.as_millis()).unwrap_or(i64::MAX));
    deps.store.sweep_failed(sweep.id, why, at).await
}

/// 5 s, 10 s, 20 s … up to 30 min, with jitter.
fn retry_delay(attempts: i32) -> Duration {
    ExponentialBuilder::default()
        .with_min_delay(Duration::from_secs(5))
        .with_max_delay(Duration::from_secs(30 * 60))
        .with_factor(2.0)
        .with_jitter()
        .without_max_times()
        .build()
        .nth(usize::try_from(attempts).unwrap_or(0))
        .unwrap_or(Duration::from_secs(30 * 60))
}

/// Tells each session of its sent sweeps; a session that cannot be reached
/// now hears of it next step (the sweep stays unannounced until it commits).
async fn announce<C>(deps: &PayoutDeps<C>, report: &mut PayoutReport) -> Result<(), StoreError> {
    for (sweep_id, session_id, txid_out) in deps.store.unannounced_sweeps().await? {
        match deps
            .sessions
            .payout_sent(session_id, sweep_id, txid_out)
            .await
        {
            Ok(outcome) if outcome.refusal.is_none() => report.announced += 1,
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(sweep_id, session_id, error = %e, "the session could not record its payout yet");
            }
        }
    }
    Ok(())
}

/// Each gas account's POL on `/metrics` and for `/readyz`.
async fn gauge_gas<C: ChainSender>(deps: &PayoutDeps<C>) {
    for address in deps.gas.addresses() {
        if let Ok(wei) = deps.chain.native_balance(address).await {
            let pol = f64::from(wei) / 1e18;
            metrics::gauge!("kassa_payout_gas_balance_pol", "account" => lane_name(address))
                .set(pol);
            if let Ok(mut levels) = deps.gas_levels.write() {
                levels.insert(
                    address.to_checksum(None),
                    u128::try_from(wei).unwrap_or(u128::MAX),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_up_to_half_an_hour() {
        let first = retry_delay(0);
        assert!(first >= Duration::from_secs(5) && first <= Duration::from_secs(10));
        assert!(retry_delay(40) <= Duration::from_secs(60 * 60));
    }
}
