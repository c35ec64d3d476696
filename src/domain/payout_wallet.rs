//! The payout wallet and its protected change: where a merchant's money goes,
//! a change waiting out its cool-off, and the one rule that says which
//! wallet is in force at a given instant.
//!
//! **One rule, no promotion job.** A change request stores the new wallet
//! beside the current one with the instant it takes effect. Nothing wakes up
//! at that instant to copy it over: every reader asks
//! [`PayoutWallets::in_force_at`] with its own clock, so the answer comes from
//! the stored row alone and is the same on every node, in every cache (a
//! cached merchant carries the pending change and resolves it when it is
//! read), before and after a restart. Writes fold a change that has come due
//! into the current wallet first ([`PayoutWallets::settled`]), which by the
//! same rule changes nothing any reader can see, so a stored row and the rule
//! can never disagree.
//!
//! The rules of a request ([`PayoutWallets::request`]): the first wallet of a
//! merchant that has none takes effect at once (nothing can have been paid
//! out without one, so there is nothing to protect); with a zero cool-off, or
//! the operator's explicit override, a change is immediate; otherwise it
//! waits `cooloff` from the request, and a newer request replaces a pending
//! one and starts the wait again (it can never shorten it). Asking for the
//! wallet already in force drops a pending change. Wallets compare without
//! regard to case (EIP-55 is a checksum, not a different address).
//!
//! Pure: no clock, no I/O. It must not parse addresses (the caller passes
//! them checked) nor know how a change is stored or announced.

use std::time::Duration;

/// Webhook `status` of the event that announces a requested change.
pub const CHANGED_STATUS: &str = "payout_wallet_changed";
/// Webhook `status` of the event that announces a cancelled change.
pub const CANCELLED_STATUS: &str = "payout_wallet_change_cancelled";

/// How wallet changes are guarded (from configuration).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChangeRules {
    /// How long a change waits before it takes effect; zero: at once.
    pub cooloff: Duration,
    /// Events announcing a change carry `"test": true` (sandbox mode).
    pub test_events: bool,
}

/// A change waiting out its cool-off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingWallet {
    pub wallet: String,
    /// When it takes effect (unix ms): in force from this instant on.
    pub effective_at_ms: i64,
    pub requested_at_ms: i64,
}

/// A merchant's payout wallet as stored: the current one and perhaps a
/// pending change. Fields are private so no reader can skip the rule.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PayoutWallets {
    current: Option<String>,
    pending: Option<PendingWallet>,
}

/// When a requested change takes effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timing {
    /// After the configured cool-off (the merchant's own request).
    AfterCoolOff,
    /// At once: an operator's explicit override.
    Now,
}

/// What a request did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeOutcome {
    /// The new wallet is in force from now; `old` was in force before.
    Immediate { old: Option<String>, new: String },
    /// The new wallet waits; `old` stays in force until then. `repeated`:
    /// the same change was already pending (nothing new to announce).
    Scheduled {
        old: Option<String>,
        pending: PendingWallet,
        repeated: bool,
    },
    /// The wallet asked for is already in force; a pending change to
    /// another one (if any) is dropped.
    Unchanged { dropped: Option<PendingWallet> },
}

/// There is no change waiting to be cancelled (none asked for, or it has
/// already taken effect).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("no payout wallet change is pending")]
pub struct NothingPending;

impl PayoutWallets {
    /// The stored values; a pending change needs both wallet and time.
    pub fn from_stored(current: Option<String>, pending: Option<PendingWallet>) -> Self {
        Self {
            current: current.filter(|w| !w.trim().is_empty()),
            pending: pending.filter(|p| !p.wallet.trim().is_empty()),
        }
    }

    /// Only a current wallet, no change pending.
    pub fn current_only(current: Option<String>) -> Self {
        Self::from_stored(current, None)
    }

    /// The wallet money goes to at `now_ms`: a pending change once its
    /// instant has come, else the current one.
    pub fn in_force_at(&self, now_ms: i64) -> Option<&str> {
        match &self.pending {
            Some(p) if p.effective_at_ms <= now_ms => Some(&p.wallet),
            _ => self.current.as_deref(),
        }
    }

    /// The change still waiting at `now_ms`, if any.
    pub fn pending_at(&self, now_ms: i64) -> Option<&PendingWallet> {
        self.pending.as_ref().filter(|p| p.effective_at_ms > now_ms)
    }

    /// The same wallets with a change that has come due folded into the
    /// current one: what a write stores (readers see no difference).
    pub fn settled(&self, now_ms: i64) -> PayoutWallets {
        PayoutWallets {
            current: self.in_force_at(now_ms).map(str::to_string),
            pending: self.pending_at(now_ms).cloned(),
        }
    }

    /// As stored: the current wallet column.
    pub fn stored_current(&self) -> Option<&str> {
        self.current.as_deref()
    }

    /// As stored: the pending change columns.
    pub fn stored_pending(&self) -> Option<&PendingWallet> {
        self.pending.as_ref()
    }

    /// A request to pay out to `new` (checked) from now or after the
    /// cool-off: what to store, and what happened.
    pub fn request(
        &self,
        new: &str,
        timing: Timing,
        cooloff: Duration,
        now_ms: i64,
    ) -> (PayoutWallets, ChangeOutcome) {
        let state = self.settled(now_ms);
        let old = state.current.clone();
        if old.as_deref().is_some_and(|w| same(w, new)) {
            let stored = PayoutWallets {
                current: old,
                pending: None,
            };
            return (
                stored,
                ChangeOutcome::Unchanged {
                    dropped: state.pending,
                },
            );
        }
        let cooloff_ms = i64::try_from(cooloff.as_millis()).unwrap_or(i64::MAX);
        if old.is_none() || timing == Timing::Now || cooloff_ms == 0 {
            let stored = PayoutWallets {
                current: Some(new.to_string()),
                pending: None,
            };
            let outcome = ChangeOutcome::Immediate {
                old,
                new: new.to_string(),
            };
            return (stored, outcome);
        }
        if let Some(p) = state.pending.as_ref().filter(|p| same(&p.wallet, new)) {
            let outcome = ChangeOutcome::Scheduled {
                old,
                pending: p.clone(),
                repeated: true,
            };
            return (state, outcome);
        }
        let pending = PendingWallet {
            wallet: new.to_string(),
            effective_at_ms: now_ms.saturating_add(cooloff_ms),
            requested_at_ms: now_ms,
        };
        let stored = PayoutWallets {
            current: old.clone(),
            pending: Some(pending.clone()),
        };
        let outcome = ChangeOutcome::Scheduled {
            old,
            pending,
            repeated: false,
        };
        (stored, outcome)
    }

    /// Cancels the change still waiting at `now_ms`: what to store, and the
    /// change that was dropped.
    pub fn cancel(&self, now_ms: i64) -> Result<(PayoutWallets, PendingWallet), NothingPending> {
        let state = self.settled(now_ms);
        let dropped = state.pending.ok_or(NothingPending)?;
        let stored = PayoutWallets {
            current: state.current,
            pending: None,
        };
        Ok((stored, dropped))
    }
}

fn same(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

#[cfg(test)]
#[path = "payout_wallet_tests.rs"]
mod tests;
