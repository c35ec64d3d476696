//! Sandbox payments: real USDC transfers on the sandbox ledger, which the
//! chain watcher picks up exactly as it would on Polygon. A payment stays
//! synchronous: the ledger mines the confirming blocks at once and the
//! answer comes after the watcher's step has committed the transition.
//! `reversed` is a ledger reorg that takes the deposit's block away.
//!
//! Only wired in sandbox mode; live mode never constructs it.
//!
//! On a node that does not lead the chain watcher (several nodes on one
//! database), the step runs on the leader: the payment waits until the
//! session has moved (read from the database), or [`FOLLOWER_WAIT`].

use std::time::{Duration, Instant};

use alloy_primitives::Address;

use super::chain_watcher::{ChainWatch, NOT_LEADER};
use super::handle::Sessions;
use super::session::{SessionError, SessionOutcome};
use crate::chain::ledger::{LedgerError, SANDBOX_PAYER, SandboxLedger};
use crate::domain::deposit::DepositState;
use crate::domain::money::UsdcAmount;
use crate::domain::session::Refusal;
use crate::store::Store;

/// How long a payment on a node that does not lead waits for the leader's
/// watcher to move its session (the leader steps every `chain_poll_ms`).
pub const FOLLOWER_WAIT: Duration = Duration::from_secs(10);
/// How often it looks meanwhile.
const FOLLOWER_LOOK: Duration = Duration::from_millis(100);

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
    /// The ledger transaction, if money was sent.
    pub tx_hash: Option<String>,
    pub amount: Option<UsdcAmount>,
}

#[derive(Debug, Clone)]
pub struct SandboxPayments {
    sessions: Sessions,
    store: Store,
    ledger: SandboxLedger,
    watcher: ChainWatch,
    token: Address,
    /// Blocks mined on top of a payment's block so it counts at once.
    confirm_blocks: u64,
}

impl From<LedgerError> for SessionError {
    fn from(err: LedgerError) -> Self {
        match err {
            LedgerError::Unavailable(_) => SessionError::Unavailable,
            other => SessionError::Unexpected(other.to_string()),
        }
    }
}

impl SandboxPayments {
    pub fn new(
        sessions: Sessions,
        store: Store,
        ledger: SandboxLedger,
        watcher: ChainWatch,
        token: Address,
        confirm_blocks: u64,
    ) -> Self {
        Self {
            sessions,
            store,
            ledger,
            watcher,
            token,
            confirm_blocks,
        }
    }

    /// Pays (or expires) a session as `simulation` says.
    pub async fn pay(
        &self,
        session_id: i64,
        amount: Option<UsdcAmount>,
        simulation: Simulation,
    ) -> Result<SandboxReceipt, SessionError> {
        let mut record = self
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
            Simulation::Reversed => return self.reverse_latest(record).await,
            Simulation::Late => {
                record = self.sessions.expire(session_id, true).await?.record;
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
        let log = self
            .ledger
            .transfer_confirmed(
                self.token,
                SANDBOX_PAYER,
                record.deposit_address.address(),
                units,
                self.confirm_blocks,
            )
            .await?;
        self.sync(&record).await?;
        let tx_hash = format!("{:#x}", log.tx_hash);
        let after = self
            .store
            .session(session_id)
            .await?
            .ok_or(SessionError::NotFound)?;
        let refusal = if after.version != record.version {
            None
        } else {
            let known = self.store.known_deposit(&tx_hash, 0).await?;
            Some(match known.map(|k| k.state) {
                Some(DepositState::Late) => Refusal::TooLate,
                _ => Refusal::NoChange,
            })
        };
        Ok(SandboxReceipt {
            outcome: SessionOutcome {
                record: after,
                refusal,
            },
            tx_hash: Some(tx_hash),
            amount: Some(UsdcAmount::from_units(units)),
        })
    }

    /// A reorg that replaces the block of the session's latest counted
    /// deposit (that block alone: other sessions' payments stay).
    async fn reverse_latest(
        &self,
        record: crate::domain::checkout_session::SessionRecord,
    ) -> Result<SandboxReceipt, SessionError> {
        let tx = self.store.latest_counted_deposit_tx(record.id).await?;
        let Some(tx) = tx.and_then(|t| t.parse::<alloy_primitives::B256>().ok()) else {
            return Ok(SandboxReceipt {
                outcome: SessionOutcome {
                    record,
                    refusal: Some(Refusal::NoChange),
                },
                tx_hash: None,
                amount: None,
            });
        };
        self.ledger.drop_transaction(tx).await?;
        self.sync(&record).await?;
        let after = self
            .store
            .session(record.id)
            .await?
            .ok_or(SessionError::NotFound)?;
        let refusal = (after.version == record.version).then_some(Refusal::NoChange);
        Ok(SandboxReceipt {
            outcome: SessionOutcome {
                record: after,
                refusal,
            },
            tx_hash: None,
            amount: None,
        })
    }

    /// A watcher step here; on a node that does not lead, the wait until
    /// the leader's step moved the session past `before`.
    async fn sync(
        &self,
        before: &crate::domain::checkout_session::SessionRecord,
    ) -> Result<(), SessionError> {
        match self.watcher.sync().await {
            Ok(_) => Ok(()),
            Err(why) if why == NOT_LEADER => self.moved_by_leader(before).await,
            Err(why) => Err(SessionError::Unexpected(why)),
        }
    }

    /// Polls the session until its version is past `before`'s, at most
    /// [`FOLLOWER_WAIT`] (then the answer tells what it is, as a payment
    /// that changed nothing does).
    async fn moved_by_leader(
        &self,
        before: &crate::domain::checkout_session::SessionRecord,
    ) -> Result<(), SessionError> {
        let deadline = Instant::now() + FOLLOWER_WAIT;
        while Instant::now() < deadline {
            let now = self.store.session(before.id).await?;
            if now.is_some_and(|s| s.version != before.version) {
                return Ok(());
            }
            tokio::time::sleep(FOLLOWER_LOOK).await;
        }
        Ok(())
    }
}
