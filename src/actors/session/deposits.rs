//! What deposits do to a session: a transfer seen or confirmed (counted once,
//! by `(tx_hash, log_index)`), and one whose block left the canonical chain
//! (a reorg): dropped if it had not counted yet, reversed if it had. Runs
//! inside the session actor's one-message-at-a-time handling.

use super::{DepositReversed, SessionDeps, SessionError, SessionOutcome, TxidIn, commit, state_of};
use crate::domain::checkout_session::SessionRecord;
use crate::domain::deposit::{DepositFact, DepositState};
use crate::domain::session::{Command, Decision, Refusal, decide};
use crate::store::transitions::DepositWrite;

pub(super) async fn on_deposit(
    deps: SessionDeps,
    record: SessionRecord,
    fact: DepositFact,
) -> Result<SessionOutcome, SessionError> {
    let now_ms = deps.clock.now_ms();
    let known = deps
        .store
        .known_deposit(&fact.tx_hash, fact.log_index)
        .await?;
    let unchanged = |record| {
        Ok(SessionOutcome {
            record,
            refusal: Some(Refusal::NoChange),
        })
    };
    let confirmed = Command::DepositConfirmed {
        amount_units: fact.amount_units,
        observed_at_ms: now_ms,
    };
    let (command, write) = match known.map(|k| (k.session_id, k.state)) {
        Some((owner, _)) if owner != record.id => {
            return Err(SessionError::Unexpected(format!(
                "deposit {} belongs to session {owner}",
                fact.tx_hash
            )));
        }
        Some((_, DepositState::Counted | DepositState::Late)) => return unchanged(record),
        Some((_, DepositState::Seen)) if !fact.counts => return unchanged(record),
        Some((_, DepositState::Seen)) => {
            (confirmed, DepositWrite::NowCounted { fact: fact.clone() })
        }
        // Never seen, or dropped by a reorg and now found again.
        None | Some((_, DepositState::Dropped)) if fact.counts => (
            confirmed,
            DepositWrite::Sighted {
                fact: fact.clone(),
                state: DepositState::Counted,
            },
        ),
        None | Some((_, DepositState::Dropped)) => (
            Command::DepositSeen {
                observed_at_ms: now_ms,
            },
            DepositWrite::Sighted {
                fact: fact.clone(),
                state: DepositState::Seen,
            },
        ),
    };
    match decide(&state_of(&record), command, &deps.policy) {
        Ok(decision) => {
            let txid = TxidIn::IfUnset(fact.tx_hash);
            commit(&deps, record, decision, Some(write), txid, None).await
        }
        Err(refusal) => {
            let late = refusal == Refusal::TooLate;
            let already_seen = known.is_some_and(|k| k.state == DepositState::Seen);
            if late || !already_seen {
                // Money that moved no state is still recorded: seen (it may
                // count later, e.g. as an overpayment) or held when late.
                let state = if late {
                    DepositState::Late
                } else {
                    DepositState::Seen
                };
                let note = late.then(|| {
                    format!(
                        "a payment arrived after the grace window (tx {}); it is held, not counted",
                        fact.tx_hash
                    )
                });
                let write = DepositWrite::Sighted {
                    fact: fact.clone(),
                    state,
                };
                deps.store
                    .record_deposit(record.id, &write, note, now_ms)
                    .await?;
            }
            Ok(SessionOutcome {
                record,
                refusal: Some(refusal),
            })
        }
    }
}

/// The deposit's block left the canonical chain: a counted deposit is
/// reversed, one still waiting is dropped.
pub(super) async fn on_reversal(
    deps: SessionDeps,
    record: SessionRecord,
    msg: DepositReversed,
) -> Result<SessionOutcome, SessionError> {
    let unchanged = |record| {
        Ok(SessionOutcome {
            record,
            refusal: Some(Refusal::NoChange),
        })
    };
    let known = deps
        .store
        .known_deposit(&msg.tx_hash, msg.log_index)
        .await?;
    let write = DepositWrite::Dropped {
        tx_hash: msg.tx_hash.clone(),
        log_index: msg.log_index,
    };
    let command = match known {
        Some(k) if k.session_id != record.id => {
            return Err(SessionError::Unexpected(format!(
                "deposit {} belongs to session {}",
                msg.tx_hash, k.session_id
            )));
        }
        Some(k) if k.state == DepositState::Counted => Command::DepositReversed {
            amount_units: k.amount_units,
        },
        Some(k) if k.state == DepositState::Seen => Command::DepositDropped {
            now_ms: deps.clock.now_ms(),
            others_waiting: deps
                .store
                .other_seen_deposit(record.id, &msg.tx_hash, msg.log_index)
                .await?,
        },
        Some(k) if k.state == DepositState::Late => {
            // Held money that vanished: it is no longer there to hold.
            deps.store
                .record_deposit(record.id, &write, None, deps.clock.now_ms())
                .await?;
            return unchanged(record);
        }
        Some(_) | None => return unchanged(record),
    };
    // The session must not keep naming a transfer that is no longer on chain.
    let txid = if record.txid_in.as_deref() == Some(msg.tx_hash.as_str()) {
        TxidIn::Replace(
            deps.store
                .standing_deposit(record.id, &msg.tx_hash, msg.log_index)
                .await?,
        )
    } else {
        TxidIn::Keep
    };
    match decide(&state_of(&record), command, &deps.policy) {
        Ok(decision) => commit(&deps, record, decision, Some(write), txid, None).await,
        Err(refusal) if txid != TxidIn::Keep => {
            // The session does not move, but it names another transfer.
            let same = Decision {
                status: record.status,
                received_units: record.received.units(),
                events: Vec::new(),
                became_paid: false,
            };
            let mut outcome = commit(&deps, record, same, Some(write), txid, None).await?;
            outcome.refusal = Some(refusal);
            Ok(outcome)
        }
        Err(refusal) => {
            // The session does not move, but the deposit no longer waits.
            deps.store
                .record_deposit(record.id, &write, None, deps.clock.now_ms())
                .await?;
            Ok(SessionOutcome {
                record,
                refusal: Some(refusal),
            })
        }
    }
}
