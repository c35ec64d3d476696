//! `kassa merchant update --payout-wallet … [--payout-wallet-now]` and
//! `--cancel-payout-wallet-change`: the flags go to `app::merchants`'s
//! payout wallet functions (the cool-off, the announcement), and this file
//! words the answer. It must not decide when a wallet takes effect.

use serde_json::{Value, json};

use super::merchant::refusal;
use crate::app::merchants::{self, Timing, WalletChange};
use crate::clock::{Clock, SystemClock, format_doc_time};
use crate::domain::payout_wallet::{ChangeRules, PendingWallet};
use crate::store::Store;

/// The wallet flags of one `merchant update`.
pub(super) struct WalletFlags {
    pub payout_wallet: Option<String>,
    /// `--payout-wallet-now`: the operator's override of the cool-off.
    pub now: bool,
    pub cancel: bool,
}

/// What the wallet flags did.
pub(super) struct WalletOutcome {
    changed: Option<WalletChange>,
    cancelled: Option<PendingWallet>,
}

impl WalletFlags {
    /// Requests the change or cancels the pending one, as asked.
    pub async fn apply(
        self,
        store: &Store,
        id: i64,
        rules: ChangeRules,
    ) -> anyhow::Result<WalletOutcome> {
        let now_ms = SystemClock.now_ms();
        let changed = match &self.payout_wallet {
            Some(raw) => {
                let timing = if self.now {
                    Timing::Now
                } else {
                    Timing::AfterCoolOff
                };
                let change =
                    merchants::request_payout_wallet_change(store, id, raw, timing, rules, now_ms)
                        .await
                        .map_err(refusal)?;
                Some(change)
            }
            None => None,
        };
        let cancelled = if self.cancel {
            let dropped = merchants::cancel_payout_wallet_change(store, id, rules, now_ms)
                .await
                .map_err(refusal)?;
            Some(dropped)
        } else {
            None
        };
        Ok(WalletOutcome { changed, cancelled })
    }
}

impl WalletOutcome {
    pub fn changed_json(&self) -> Value {
        match &self.changed {
            Some(w) => json!({
                "wallet": w.wallet,
                "effective_at": format_doc_time(w.effective_at_ms),
                "in_force": w.in_force,
            }),
            None => Value::Null,
        }
    }

    pub fn cancelled_json(&self) -> Value {
        json!(self.cancelled.as_ref().map(|p| p.wallet.clone()))
    }

    /// The lines under "merchant N updated".
    pub fn print(&self) {
        match &self.changed {
            Some(w) if w.in_force => println!("  payout wallet is now {} (in force)", w.wallet),
            Some(w) => println!(
                "  payout wallet change to {} takes effect at {} UTC; until then payouts go to the current wallet (cancel with --cancel-payout-wallet-change)",
                w.wallet,
                format_doc_time(w.effective_at_ms)
            ),
            None => {}
        }
        if let Some(p) = &self.cancelled {
            println!(
                "  pending payout wallet change to {} cancelled; the current wallet stays",
                p.wallet
            );
        }
    }
}
