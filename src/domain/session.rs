//! The session state machine: which facts move a checkout session where, and
//! which webhook events each move announces.
//!
//! Pure: no I/O, no clock (times are passed in). The `SessionActor` asks
//! [`decide`] and persists what it answers; a refusal changes nothing.
//!
//! ```text
//! created ──deposit seen──▶ pending ──confirmed──▶ paid | underpaid
//! created ──confirmed deposit──▶ paid | underpaid
//! underpaid ──more confirmed──▶ paid
//! created ──expires_at passed──▶ expired ──confirmed within grace──▶ paid (late)
//! pending ──its only seen deposit dropped by a reorg──▶ created | expired
//! underpaid ──grace window passed──▶ expired (the partial amount is held)
//! paid ──more confirmed──▶ paid (excess recorded: overpaid event)
//! paid | underpaid ──counted deposit reversed──▶ paid | underpaid | pending
//! created ──customer cancels──▶ cancelled ──confirmed within grace──▶ paid
//! paid ──a sweep mined──▶ paid (payout_sent event, txid_out)
//! ```
//! A cancelled session is closed like an expired one, but by the customer;
//! money that still arrives in its window (plus grace) is never turned away.
//! A reversal (the deposit's block left the canonical chain) takes its amount
//! back out: what is left decides the status, and `pending` means nothing is
//! counted any more while the transfer may still come back in a new block.
//! An overpaid or late session is `paid` (the document's only success state);
//! the `overpaid` / `paid_late` events tell the merchant the detail.

use std::fmt;
use std::str::FromStr;

/// Where a session stands, as `session_status` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SessionStatus {
    Created,
    Pending,
    Paid,
    Underpaid,
    Expired,
    /// The customer cancelled on the checkout page before paying.
    Cancelled,
}

impl SessionStatus {
    pub const ALL: [SessionStatus; 6] = [
        SessionStatus::Created,
        SessionStatus::Pending,
        SessionStatus::Paid,
        SessionStatus::Underpaid,
        SessionStatus::Expired,
        SessionStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SessionStatus::Created => "created",
            SessionStatus::Pending => "pending",
            SessionStatus::Paid => "paid",
            SessionStatus::Underpaid => "underpaid",
            SessionStatus::Expired => "expired",
            SessionStatus::Cancelled => "cancelled",
        }
    }
}

impl fmt::Display for SessionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A stored status string that is not one of ours.
#[derive(Debug, thiserror::Error)]
#[error("unknown session status `{0}`")]
pub struct UnknownStatus(pub String);

impl FromStr for SessionStatus {
    type Err = UnknownStatus;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SessionStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .ok_or_else(|| UnknownStatus(s.to_string()))
    }
}

/// What a webhook event announces (its `status` field).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    Pending,
    Paid,
    Underpaid,
    Overpaid,
    Expired,
    PaidLate,
    Reversed,
    Cancelled,
    /// Money of a paid session was forwarded to the merchant (`txid_out`).
    /// Never announced as `paid`: shops mark an order paid on every `paid`.
    PayoutSent,
}

impl EventKind {
    pub const ALL: [EventKind; 9] = [
        EventKind::Pending,
        EventKind::Paid,
        EventKind::Underpaid,
        EventKind::Overpaid,
        EventKind::Expired,
        EventKind::PaidLate,
        EventKind::Reversed,
        EventKind::Cancelled,
        EventKind::PayoutSent,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Pending => "pending",
            EventKind::Paid => "paid",
            EventKind::Underpaid => "underpaid",
            EventKind::Overpaid => "overpaid",
            EventKind::Expired => "expired",
            EventKind::PaidLate => "paid_late",
            EventKind::Reversed => "reversed",
            EventKind::Cancelled => "cancelled",
            EventKind::PayoutSent => "payout_sent",
        }
    }
}

/// What the state machine needs to know of a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionState {
    pub status: SessionStatus,
    /// USDC base units owed.
    pub expected_units: u64,
    /// USDC base units received in confirmed deposits so far.
    pub received_units: u64,
    pub expires_at_ms: i64,
}

/// Operator rules that shape decisions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// How long after expiry a payment still makes the session paid.
    pub grace_ms: i64,
    /// A shortfall up to this many base units still counts as paid.
    pub tolerance_units: u64,
}

/// A fact or command addressed to one session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// A new transfer to the deposit address, not yet confirmed.
    DepositSeen { observed_at_ms: i64 },
    /// A transfer reached the required confirmations (counted once).
    DepositConfirmed {
        amount_units: u64,
        observed_at_ms: i64,
    },
    /// The expiry sweep (or, with `force`, a sandbox simulation) ends the session.
    Expire { now_ms: i64, force: bool },
    /// A counted deposit of this amount left the canonical chain.
    DepositReversed { amount_units: u64 },
    /// The customer gave up on the checkout page.
    Cancel,
    /// A seen deposit, not yet counted, left the canonical chain;
    /// `others_waiting` says whether another seen deposit still waits.
    DepositDropped { now_ms: i64, others_waiting: bool },
    /// A sweep of the session's money was mined with status 1.
    PayoutSent,
}

/// The outcome of an accepted command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub status: SessionStatus,
    pub received_units: u64,
    /// Events to write to the outbox, in order.
    pub events: Vec<EventKind>,
    /// The session became paid by this decision.
    pub became_paid: bool,
}

/// Why a command changes nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the session is already {0}")]
    AlreadyFinal(SessionStatus),
    #[error("the session has not reached its expiry time")]
    NotYetDue,
    #[error("a payment is in progress")]
    PaymentInProgress,
    #[error("the payment arrived after the grace window")]
    TooLate,
    #[error("nothing changes")]
    NoChange,
}

/// Decides what `command` does to a session in `state`.
pub fn decide(
    state: &SessionState,
    command: Command,
    policy: &Policy,
) -> Result<Decision, Refusal> {
    use SessionStatus as S;
    let within_grace = |at: i64| at <= state.expires_at_ms.saturating_add(policy.grace_ms);
    match command {
        Command::DepositSeen { observed_at_ms } => match state.status {
            S::Created => Ok(unchanged_amount(
                state,
                S::Pending,
                vec![EventKind::Pending],
            )),
            S::Expired | S::Cancelled if within_grace(observed_at_ms) => Ok(unchanged_amount(
                state,
                S::Pending,
                vec![EventKind::Pending],
            )),
            S::Expired | S::Cancelled => Err(Refusal::TooLate),
            S::Pending | S::Underpaid | S::Paid => Err(Refusal::NoChange),
        },
        Command::DepositConfirmed {
            amount_units,
            observed_at_ms,
        } => {
            let received = state.received_units.saturating_add(amount_units);
            match state.status {
                S::Paid => Ok(Decision {
                    status: S::Paid,
                    received_units: received,
                    events: vec![EventKind::Overpaid],
                    became_paid: false,
                }),
                S::Expired | S::Cancelled if !within_grace(observed_at_ms) => Err(Refusal::TooLate),
                S::Created | S::Pending | S::Underpaid | S::Expired | S::Cancelled => {
                    Ok(settle(state, received, observed_at_ms, policy))
                }
            }
        }
        Command::Expire { now_ms, force } => match state.status {
            S::Created if force || now_ms >= state.expires_at_ms => Ok(unchanged_amount(
                state,
                S::Expired,
                vec![EventKind::Expired],
            )),
            S::Created => Err(Refusal::NotYetDue),
            S::Underpaid if now_ms > state.expires_at_ms.saturating_add(policy.grace_ms) => Ok(
                unchanged_amount(state, S::Expired, vec![EventKind::Expired]),
            ),
            S::Pending | S::Underpaid => Err(Refusal::PaymentInProgress),
            S::Paid | S::Expired | S::Cancelled => Err(Refusal::AlreadyFinal(state.status)),
        },
        Command::Cancel => match state.status {
            S::Created => Ok(unchanged_amount(
                state,
                S::Cancelled,
                vec![EventKind::Cancelled],
            )),
            S::Pending | S::Underpaid => Err(Refusal::PaymentInProgress),
            S::Paid | S::Expired | S::Cancelled => Err(Refusal::AlreadyFinal(state.status)),
        },
        Command::DepositDropped {
            now_ms,
            others_waiting,
        } => match state.status {
            S::Pending if !others_waiting && state.received_units == 0 => {
                if now_ms >= state.expires_at_ms {
                    Ok(unchanged_amount(
                        state,
                        S::Expired,
                        vec![EventKind::Expired],
                    ))
                } else {
                    Ok(unchanged_amount(state, S::Created, vec![]))
                }
            }
            S::Created | S::Pending | S::Paid | S::Underpaid | S::Expired | S::Cancelled => {
                Err(Refusal::NoChange)
            }
        },
        // The status stays; only a paid session's merchant hears of it (money
        // forwarded from a closed session was held money an operator sent).
        Command::PayoutSent => Ok(Decision {
            status: state.status,
            received_units: state.received_units,
            events: if state.status == S::Paid {
                vec![EventKind::PayoutSent]
            } else {
                vec![]
            },
            became_paid: false,
        }),
        Command::DepositReversed { amount_units } => match state.status {
            S::Paid | S::Underpaid if amount_units > 0 && amount_units <= state.received_units => {
                Ok(reverse(state, state.received_units - amount_units, policy))
            }
            // A closed session keeps its status; what it holds shrinks.
            S::Expired | S::Cancelled
                if amount_units > 0 && amount_units <= state.received_units =>
            {
                Ok(Decision {
                    status: state.status,
                    received_units: state.received_units - amount_units,
                    events: vec![EventKind::Reversed],
                    became_paid: false,
                })
            }
            S::Paid | S::Underpaid | S::Created | S::Pending | S::Expired | S::Cancelled => {
                Err(Refusal::NoChange)
            }
        },
    }
}

/// A counted deposit was taken back: what is still counted decides.
fn reverse(state: &SessionState, received: u64, policy: &Policy) -> Decision {
    let status = if received.saturating_add(policy.tolerance_units) >= state.expected_units {
        SessionStatus::Paid
    } else if received > 0 {
        SessionStatus::Underpaid
    } else {
        SessionStatus::Pending
    };
    Decision {
        status,
        received_units: received,
        events: vec![EventKind::Reversed],
        became_paid: false,
    }
}

fn unchanged_amount(
    state: &SessionState,
    status: SessionStatus,
    events: Vec<EventKind>,
) -> Decision {
    Decision {
        status,
        received_units: state.received_units,
        events,
        became_paid: false,
    }
}

/// Confirmed funds reached an open (or just expired) session.
fn settle(state: &SessionState, received: u64, observed_at_ms: i64, policy: &Policy) -> Decision {
    if received.saturating_add(policy.tolerance_units) < state.expected_units {
        return Decision {
            status: SessionStatus::Underpaid,
            received_units: received,
            events: vec![EventKind::Underpaid],
            became_paid: false,
        };
    }
    let mut events = vec![EventKind::Paid];
    if received > state.expected_units {
        events.push(EventKind::Overpaid);
    }
    if observed_at_ms > state.expires_at_ms {
        events.push(EventKind::PaidLate);
    }
    Decision {
        status: SessionStatus::Paid,
        received_units: received,
        events,
        became_paid: true,
    }
}

#[cfg(test)]
#[path = "session_tests.rs"]
mod tests;
