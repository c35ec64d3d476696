//! Changing a merchant's payout wallet, the one way every door does it (the
//! CLI today, the dashboard and the admin console later): the address is
//! checked, the change is stored to take effect after the configured
//! cool-off (`domain::payout_wallet` has the rule and why no job promotes
//! it), and a signed `payout_wallet_changed` event is queued in the same
//! transaction, so the merchant learns of the change while it can still
//! cancel it. Cancelling drops a change still waiting and is announced the
//! same way (`payout_wallet_change_cancelled`).
//!
//! Announcements go to the merchant's endpoint whatever statuses it chose
//! (the choice is about session events; a wallet change is about the
//! merchant's money). Only the operator's override ([`Timing::Now`], the
//! CLI's `--payout-wallet-now`) skips the cool-off; a merchant's own door
//! must pass [`Timing::AfterCoolOff`].
//!
//! Concurrent changes are safe: the write is a compare-and-set on the
//! columns read, retried a few times from a fresh read.

use rand::Rng;

use super::MerchantError;
use super::fields;
use crate::domain::payout_wallet::{
    CANCELLED_STATUS, CHANGED_STATUS, ChangeOutcome, ChangeRules, PayoutWallets, PendingWallet,
};
use crate::store::payout_wallets::{MerchantEvent, WalletWrite};
use crate::store::{Store, StoreError};
use crate::webhooks::payload::{WalletChangeEvent, build_wallet_change};

pub use crate::domain::payout_wallet::Timing;

/// Compare-and-set attempts before giving up with a conflict.
const ATTEMPTS: usize = 5;

/// Where a requested change stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalletChange {
    /// The wallet asked for (EIP-55 checksummed).
    pub wallet: String,
    /// When it takes (or took) effect, unix ms.
    pub effective_at_ms: i64,
    /// In force already (no cool-off, the override, a first wallet, or the
    /// wallet already in force).
    pub in_force: bool,
    /// The announcing event, when one was queued (none when nothing changed).
    pub event_id: Option<String>,
}

/// A merchant's payout wallet as a door shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalletView {
    /// In force now.
    pub wallet: Option<String>,
    /// A change still waiting.
    pub pending: Option<PendingWallet>,
}

/// The wallet in force at `now_ms` and the change still waiting, if any.
pub async fn current_payout_wallet(
    store: &Store,
    id: i64,
    now_ms: i64,
) -> Result<WalletView, MerchantError> {
    let wallets = store
        .payout_wallets(id)
        .await?
        .ok_or(MerchantError::NotFound(id))?;
    Ok(WalletView {
        wallet: wallets.in_force_at(now_ms).map(str::to_string),
        pending: wallets.pending_at(now_ms).cloned(),
    })
}

/// Asks for payouts to go to `raw_wallet`: at once or after the cool-off,
/// announced to the merchant. [`MerchantError::Field`] with
/// [`fields::FieldError::PayoutWallet`] for an address that is not one.
pub async fn request_payout_wallet_change(
    store: &Store,
    id: i64,
    raw_wallet: &str,
    timing: Timing,
    rules: ChangeRules,
    now_ms: i64,
) -> Result<WalletChange, MerchantError> {
    let wallet = fields::payout_wallet(raw_wallet)?;
    for _ in 0..ATTEMPTS {
        let seen = current(store, id).await?;
        let (stored, outcome) = seen.request(&wallet, timing, rules.cooloff, now_ms);
        let (change, event) = describe(id, &wallet, &stored, &outcome, rules, now_ms);
        if stored == seen && event.is_none() {
            return Ok(change);
        }
        match store
            .write_payout_wallets(id, &seen, &stored, event, now_ms)
            .await?
        {
            WalletWrite::Written => {
                tracing::info!(
                    merchant_id = id,
                    in_force = change.in_force,
                    effective_at_ms = change.effective_at_ms,
                    "payout wallet change stored"
                );
                return Ok(change);
            }
            WalletWrite::NotFound => return Err(MerchantError::NotFound(id)),
            WalletWrite::Stale => continue,
        }
    }
    Err(MerchantError::Store(StoreError::Conflict))
}

/// Cancels the change still waiting (the current wallet stays), announced
/// to the merchant; returns the change dropped.
/// [`MerchantError::NoPendingWalletChange`] when none is waiting (never
/// asked for, cancelled already, or already in force).
pub async fn cancel_payout_wallet_change(
    store: &Store,
    id: i64,
    rules: ChangeRules,
    now_ms: i64,
) -> Result<PendingWallet, MerchantError> {
    for _ in 0..ATTEMPTS {
        let seen = current(store, id).await?;
        let (stored, dropped) = seen
            .cancel(now_ms)
            .map_err(|_| MerchantError::NoPendingWalletChange(id))?;
        let event = announce(
            id,
            CANCELLED_STATUS,
            stored.in_force_at(now_ms),
            &dropped.wallet,
            dropped.effective_at_ms,
            rules,
            now_ms,
        );
        match store
            .write_payout_wallets(id, &seen, &stored, Some(event), now_ms)
            .await?
        {
            WalletWrite::Written => {
                tracing::info!(merchant_id = id, "pending payout wallet change cancelled");
                return Ok(dropped);
            }
            WalletWrite::NotFound => return Err(MerchantError::NotFound(id)),
            WalletWrite::Stale => continue,
        }
    }
    Err(MerchantError::Store(StoreError::Conflict))
}

/// What a request's outcome tells the caller, and the event announcing it
/// (none when nothing changed or the same change was asked for again).
fn describe(
    id: i64,
    wallet: &str,
    stored: &PayoutWallets,
    outcome: &ChangeOutcome,
    rules: ChangeRules,
    now_ms: i64,
) -> (WalletChange, Option<MerchantEvent>) {
    match outcome {
        ChangeOutcome::Immediate { old, new } => {
            let event = announce(
                id,
                CHANGED_STATUS,
                old.as_deref(),
                new,
                now_ms,
                rules,
                now_ms,
            );
            (changed(new, now_ms, true, &event), Some(event))
        }
        ChangeOutcome::Scheduled {
            old,
            pending,
            repeated,
        } => {
            let event = (!repeated).then(|| {
                announce(
                    id,
                    CHANGED_STATUS,
                    old.as_deref(),
                    &pending.wallet,
                    pending.effective_at_ms,
                    rules,
                    now_ms,
                )
            });
            let change = WalletChange {
                wallet: pending.wallet.clone(),
                effective_at_ms: pending.effective_at_ms,
                in_force: false,
                event_id: event.as_ref().map(|e| e.event_id.clone()),
            };
            (change, event)
        }
        ChangeOutcome::Unchanged { dropped } => {
            let in_force = stored.in_force_at(now_ms).unwrap_or(wallet).to_string();
            let event = dropped.as_ref().map(|p| {
                announce(
                    id,
                    CANCELLED_STATUS,
                    Some(&in_force),
                    &p.wallet,
                    p.effective_at_ms,
                    rules,
                    now_ms,
                )
            });
            let change = WalletChange {
                wallet: in_force,
                effective_at_ms: now_ms,
                in_force: true,
                event_id: event.as_ref().map(|e| e.event_id.clone()),
            };
            (change, event)
        }
    }
}

async fn current(store: &Store, id: i64) -> Result<PayoutWallets, MerchantError> {
    store
        .payout_wallets(id)
        .await?
        .ok_or(MerchantError::NotFound(id))
}

fn changed(wallet: &str, at_ms: i64, in_force: bool, event: &MerchantEvent) -> WalletChange {
    WalletChange {
        wallet: wallet.to_string(),
        effective_at_ms: at_ms,
        in_force,
        event_id: Some(event.event_id.clone()),
    }
}

/// The event telling the merchant about a change (or its cancellation).
fn announce(
    merchant_id: i64,
    status: &str,
    old_wallet: Option<&str>,
    new_wallet: &str,
    effective_at_ms: i64,
    rules: ChangeRules,
    now_ms: i64,
) -> MerchantEvent {
    let event_id = format!(
        "evt_wallet_{merchant_id}_{:016x}",
        rand::rng().random::<u64>()
    );
    let body = build_wallet_change(&WalletChangeEvent {
        merchant_id,
        event_id: &event_id,
        status,
        old_wallet,
        new_wallet,
        effective_at_ms,
        test: rules.test_events,
        now_ms,
    });
    MerchantEvent {
        event_id,
        status: status.to_string(),
        payload: body.to_string(),
    }
}
