//! Sandbox payments: simulated USDC transfers that take exactly the path a
//! chain watcher's would (`DepositObserved` through the session actor and
//! the store), so a merchant can rehearse every outcome.
//!
//! Only wired in sandbox mode; live mode never constructs it.

use rand::Rng;

use super::handle::Sessions;
use super::session::{SessionError, SessionOutcome};
use crate::domain::deposit::DepositFact;
use crate::domain::money::UsdcAmount;
use crate::domain::session::Refusal;
use crate::store::Store;

/// Which outcome to rehearse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Simulation {
    /// Pay what is still owed (or `amount`).
    Exact,
    /// Pay half of what is owed.
    Underpaid,
    /// Pay what is owed plus 10 % (at least 1 USDC more).
    Overpaid,
    /// End the session first, then pay within the grace window.
    Late,
    /// End the session now, pay nothing.
    Expire,
    /// Make the session's actor panic first, then pay (supervision drill).
    Panic,
    /// Take back the session's latest counted deposit, as a chain
    /// reorganisation would (pays nothing).
    Reversed,
}

impl std::str::FromStr for Simulation {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "" | "paid" | "exact" => Ok(Simulation::Exact),
            "underpaid" => Ok(Simulation::Underpaid),
            "overpaid" => Ok(Simulation::Overpaid),
            "late" => Ok(Simulation::Late),
            "expire" | "expired" => Ok(Simulation::Expire),
            "panic" => Ok(Simulation::Panic),
            "reverse" | "reversed" => Ok(Simulation::Reversed),
            _ => Err(()),
        }
    }
}

/// What a sandbox payment did.
#[derive(Debug, Clone)]
pub struct SandboxReceipt {
    pub outcome: SessionOutcome,
    /// The simulated transaction, if money was sent.
    pub tx_hash: Option<String>,
    pub amount: Option<UsdcAmount>,
}

#[derive(Debug, Clone)]
pub struct SandboxPayments {
    sessions: Sessions,
    store: Store,
    confirmations: u64,
}

impl SandboxPayments {
    pub fn new(sessions: Sessions, store: Store, confirmations: u64) -> Self {
        Self {
            sessions,
            store,
            confirmations,
        }
    }

    /// Pays (or expires) a session as `simulation` says.
    pub async fn pay(
        &self,
        session_id: i64,
        amount: Option<UsdcAmount>,
        simulation: Simulation,
    ) -> Result<SandboxReceipt, SessionError> {
        let record = self
            .store
            .session(session_id)
            .await?
            .ok_or(SessionError::NotFound)?;
        match simulation {
            Simulation::Expire => {
                let outcome = self.sessions.expire(session_id, true).await?;
                return Ok(SandboxReceipt {
                    outcome,
                    tx_hash: None,
                    amount: None,
                });
            }
            Simulation::Reversed => {
                let outcome = match self.store.latest_counted_deposit(session_id).await? {
                    Some((tx_hash, log_index)) => {
                        self.sessions
                            .reverse(session_id, tx_hash, log_index)
                            .await?
                    }
                    None => SessionOutcome {
                        record,
                        refusal: Some(Refusal::NoChange),
                    },
                };
                return Ok(SandboxReceipt {
                    outcome,
                    tx_hash: None,
                    amount: None,
                });
            }
            Simulation::Late => {
                self.sessions.expire(session_id, true).await?;
            }
            Simulation::Panic => self.sessions.inject_panic(session_id).await?,
            Simulation::Exact | Simulation::Underpaid | Simulation::Overpaid => {}
        }
        let owed = record.owed().units();
        let owed = if owed == 0 {
            record.expected.units()
        } else {
            owed
        };
        let units = match (amount, simulation) {
            (Some(a), _) => a.units(),
            (None, Simulation::Underpaid) => (owed / 2).max(1),
            (None, Simulation::Overpaid) => owed + (owed / 10).max(1_000_000),
            (None, _) => owed,
        };
        let tx_hash = fake_tx_hash();
        let fact = DepositFact {
            tx_hash: tx_hash.clone(),
            log_index: 0,
            amount_units: units,
            block_number: 0,
            block_hash: fake_tx_hash(),
            from: String::new(),
            confirmations: self.confirmations,
            counts: true,
        };
        let outcome = self.sessions.deposit(session_id, fact).await?;
        Ok(SandboxReceipt {
            outcome,
            tx_hash: Some(tx_hash),
            amount: Some(UsdcAmount::from_units(units)),
        })
    }
}

/// A plausible transaction hash: `0x` and 64 hex digits.
fn fake_tx_hash() -> String {
    let bytes: [u8; 32] = rand::rng().random();
    format!("0x{}", hex::encode(bytes))
}
