//! What deposits do to a session: a transfer seen or confirmed (counted once,
//! by `(tx_hash, log_index)`), and a counted one reversed by a reorg. Runs
//! inside the session actor's one-message-at-a-time handling.

use super::{DepositReversed, SessionDeps, SessionError, SessionOutcome, apply, commit, state_of};
use crate::domain::checkout_session::SessionRecord;
use crate::domain::deposit::DepositFact;
use crate::domain::session::{Command, Refusal, decide};
use crate::store::transitions::DepositWrite;

pub(super) async fn on_deposit(
    deps: SessionDeps,
    record: SessionRecord,
    fact: DepositFact,
) -> Result<SessionOutcome, SessionError> {
    let now_ms = deps.clock.now_ms();
    let confirmed = fact.confirmations >= deps.required_confirmations;
    let known = deps
        .store
        .known_deposit(&fact.tx_hash, fact.log_index)
        .await?;
    let (command, write) = match known {
        Some(k) if k.session_id != record.id => {
            return Err(SessionError::Unexpected(format!(
                "deposit {} belongs to session {}",
                fact.tx_hash, k.session_id
            )));
        }
        Some(k) if k.counted || !confirmed => {
            return Ok(SessionOutcome {
                record,
                refusal: Some(Refusal::NoChange),
            });
        }
        Some(_) => (
            Command::DepositConfirmed {
                amount_units: fact.amount_units,
                observed_at_ms: now_ms,
            },
            DepositWrite::NowCounted { fact: fact.clone() },
        ),
        None if confirmed => (
            Command::DepositConfirmed {
                amount_units: fact.amount_units,
                observed_at_ms: now_ms,
            },
            DepositWrite::New {
                fact: fact.clone(),
                counted: true,
            },
        ),
        None => (
            Command::DepositSeen {
                observed_at_ms: now_ms,
            },
            DepositWrite::New {
                fact: fact.clone(),
                counted: false,
            },
        ),
    };
    match decide(&state_of(&record), command, &deps.policy) {
        Ok(decision) => commit(&deps, record, decision, Some(write), Some(fact.tx_hash)).await,
        Err(refusal) => {
            if known.is_none() {
                let write = DepositWrite::New {
                    fact: fact.clone(),
                    counted: false,
                };
                let note = (refusal == Refusal::TooLate).then(|| {
                    format!(
                        "a payment arrived after the grace window (tx {}); it was not counted",
                        fact.tx_hash
                    )
                });
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
    let amount_units = match known {
        Some(k) if k.session_id != record.id => {
            return Err(SessionError::Unexpected(format!(
                "deposit {} belongs to session {}",
                msg.tx_hash, k.session_id
            )));
        }
        Some(k) if k.counted => k.amount_units,
        Some(_) | None => return unchanged(record),
    };
    let write = DepositWrite::Reversed {
        tx_hash: msg.tx_hash,
        log_index: msg.log_index,
    };
    apply(
        &deps,
        record,
        Command::DepositReversed { amount_units },
        Some(write),
    )
    .await
}
