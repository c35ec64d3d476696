//! `SessionActor`: the only writer of one session's state.
//!
//! It loads its session on the first message, asks the pure state machine
//! what a fact does, and persists the answer (row, deposit, outbox) in one
//! version-checked transaction before replying. Messages are handled one at
//! a time (`AtomicResponse`), so no two transitions of a session interleave.
//! Idle actors passivate; the registry brings them back on demand.

use std::time::{Duration, Instant};

use actix::prelude::*;

use super::registry::{Passivated, SessionRegistry};
use super::supervision::{self, ActorKind, Handling};
use super::webhook_sender::Wake;
use crate::clock::SharedClock;
use crate::domain::checkout_session::SessionRecord;
use crate::domain::deposit::DepositFact;
use crate::domain::session::{
    Command, Decision, Policy, Refusal, SessionState, SessionStatus, decide,
};
use crate::store::transitions::{DepositWrite, OutboxEvent, PayoutWrite, TransitionWrite};
use crate::store::{Store, StoreError};
use crate::webhooks::payload;

mod deposits;

/// A transfer to the session's deposit address (from the chain watcher or the
/// sandbox). Idempotent by `(tx_hash, log_index)`.
#[derive(Message, Debug, Clone)]
#[rtype(result = "Result<SessionOutcome, SessionError>")]
pub struct DepositObserved(pub DepositFact);

/// A counted deposit left the canonical chain (a reorg): its amount stops
/// counting. Identified by `(tx_hash, log_index)`; a deposit not counted (or
/// unknown) changes nothing.
#[derive(Message, Debug, Clone)]
#[rtype(result = "Result<SessionOutcome, SessionError>")]
pub struct DepositReversed {
    pub tx_hash: String,
    pub log_index: i64,
}

/// The expiry sweep (or a sandbox simulation, with `force`) ends the session.
#[derive(Message, Debug, Clone)]
#[rtype(result = "Result<SessionOutcome, SessionError>")]
pub struct ExpireSession {
    pub force: bool,
}

/// The customer cancelled on the checkout page.
#[derive(Message, Debug, Clone)]
#[rtype(result = "Result<SessionOutcome, SessionError>")]
pub struct CancelSession;

/// A sweep of this session's money was mined with status 1 (from the payout
/// actor): the session records `txid_out` and announces `payout_sent`. A
/// sweep already announced changes nothing.
#[derive(Message, Debug, Clone)]
#[rtype(result = "Result<SessionOutcome, SessionError>")]
pub struct PayoutSent {
    pub sweep_id: i64,
    /// The merchant transfer's transaction hash.
    pub txid_out: String,
}

/// Sandbox fault switch: the actor panics, to exercise supervision.
#[derive(Message, Debug, Clone)]
#[rtype(result = "()")]
pub struct InjectPanic;

/// The session after a message, and why nothing changed if nothing did.
#[derive(Debug, Clone)]
pub struct SessionOutcome {
    pub record: SessionRecord,
    pub refusal: Option<Refusal>,
}

/// Why a message could not be handled.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SessionError {
    #[error("no such session")]
    NotFound,
    #[error("the database is unavailable")]
    Unavailable,
    /// The write lost to another writer (a session actor on another node
    /// moved the session first). Nothing was written and the actor dropped
    /// its copy, so the message can be sent again: it is then decided
    /// against the session as it now is.
    #[error("another writer moved the session first")]
    Stale,
    #[error("{0}")]
    Unexpected(String),
}

impl From<StoreError> for SessionError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Unavailable(_) => SessionError::Unavailable,
            StoreError::Conflict => SessionError::Stale,
            other => SessionError::Unexpected(format!("{other:#}")),
        }
    }
}

/// What every session actor needs; cloned into each.
#[derive(Debug, Clone)]
pub struct SessionDeps {
    pub store: Store,
    pub clock: SharedClock,
    pub policy: Policy,
    pub idle: Duration,
    /// Woken after a commit that wrote outbox rows.
    pub webhooks: Option<Recipient<Wake>>,
    /// Told when a session becomes paid (routing outcome figures).
    pub router: Option<super::router::Router>,
}

pub struct SessionActor {
    id: i64,
    deps: SessionDeps,
    registry: Addr<SessionRegistry>,
    /// `None` until loaded, and again after a failed write (reload next time).
    record: Option<SessionRecord>,
    last_active: Instant,
}

impl SessionActor {
    pub fn new(id: i64, deps: SessionDeps, registry: Addr<SessionRegistry>) -> Self {
        Self {
            id,
            deps,
            registry,
            record: None,
            last_active: Instant::now(),
        }
    }

    /// Runs `step` against the current record, keeping the new one on success.
    fn run<F, Fut>(&mut self, step: F) -> AtomicResponse<Self, Result<SessionOutcome, SessionError>>
    where
        F: FnOnce(SessionDeps, SessionRecord) -> Fut + 'static,
        Fut: Future<Output = Result<SessionOutcome, SessionError>> + 'static,
    {
        self.last_active = Instant::now();
        let handling = Handling::begin(ActorKind::Session);
        let deps = self.deps.clone();
        let cached = self.record.clone();
        let id = self.id;
        let work = async move {
            let record = match cached {
                Some(r) => r,
                None => deps
                    .store
                    .session(id)
                    .await?
                    .ok_or(SessionError::NotFound)?,
            };
            step(deps, record).await
        };
        AtomicResponse::new(Box::pin(work.into_actor(self).map(|result, act, _| {
            act.record = result.as_ref().ok().map(|o| o.record.clone());
            if matches!(result, Err(SessionError::Stale)) {
                // Another node moved the session; the cache has the old row too.
                act.deps.store.forget_session(act.id);
            }
            drop(handling);
            result
        })))
    }
}

impl Actor for SessionActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        let tick = (self.deps.idle / 2).max(Duration::from_millis(500));
        ctx.run_interval(tick, |act, ctx| {
            if act.last_active.elapsed() >= act.deps.idle {
                supervision::posted(ActorKind::Registry);
                act.registry.do_send(Passivated {
                    id: act.id,
                    addr: ctx.address(),
                });
                ctx.stop();
            }
        });
    }
}

impl Handler<DepositObserved> for SessionActor {
    type Result = AtomicResponse<Self, Result<SessionOutcome, SessionError>>;

    fn handle(&mut self, msg: DepositObserved, _: &mut Context<Self>) -> Self::Result {
        self.run(move |deps, record| deposits::on_deposit(deps, record, msg.0))
    }
}

impl Handler<DepositReversed> for SessionActor {
    type Result = AtomicResponse<Self, Result<SessionOutcome, SessionError>>;

    fn handle(&mut self, msg: DepositReversed, _: &mut Context<Self>) -> Self::Result {
        self.run(move |deps, record| deposits::on_reversal(deps, record, msg))
    }
}

impl Handler<ExpireSession> for SessionActor {
    type Result = AtomicResponse<Self, Result<SessionOutcome, SessionError>>;

    fn handle(&mut self, msg: ExpireSession, _: &mut Context<Self>) -> Self::Result {
        self.run(move |deps, record| async move {
            let command = Command::Expire {
                now_ms: deps.clock.now_ms(),
                force: msg.force,
            };
            apply(&deps, record, command, None).await
        })
    }
}

impl Handler<CancelSession> for SessionActor {
    type Result = AtomicResponse<Self, Result<SessionOutcome, SessionError>>;

    fn handle(&mut self, _: CancelSession, _: &mut Context<Self>) -> Self::Result {
        self.run(
            move |deps, record| async move { apply(&deps, record, Command::Cancel, None).await },
        )
    }
}

impl Handler<PayoutSent> for SessionActor {
    type Result = AtomicResponse<Self, Result<SessionOutcome, SessionError>>;

    fn handle(&mut self, msg: PayoutSent, _: &mut Context<Self>) -> Self::Result {
        self.run(move |deps, record| async move {
            if deps.store.sweep_announced(msg.sweep_id).await? {
                return Ok(SessionOutcome {
                    record,
                    refusal: Some(Refusal::NoChange),
                });
            }
            match decide(&state_of(&record), Command::PayoutSent, &deps.policy) {
                Ok(decision) => {
                    let payout = PayoutWrite {
                        sweep_id: msg.sweep_id,
                        txid_out: msg.txid_out,
                    };
                    commit(&deps, record, decision, None, TxidIn::Keep, Some(payout)).await
                }
                Err(refusal) => Ok(SessionOutcome {
                    record,
                    refusal: Some(refusal),
                }),
            }
        })
    }
}

impl Handler<InjectPanic> for SessionActor {
    type Result = ();

    #[expect(
        clippy::panic,
        reason = "sandbox-only fault switch that exercises supervision"
    )]
    fn handle(&mut self, _: InjectPanic, _: &mut Context<Self>) {
        panic!(
            "sandbox fault switch: session actor {} panics on purpose",
            self.id
        );
    }
}

/// Asks the state machine what `command` does and persists the answer (with
/// `deposit`, if any); a refusal changes nothing and is reported.
async fn apply(
    deps: &SessionDeps,
    record: SessionRecord,
    command: Command,
    deposit: Option<DepositWrite>,
) -> Result<SessionOutcome, SessionError> {
    match decide(&state_of(&record), command, &deps.policy) {
        Ok(decision) => commit(deps, record, decision, deposit, TxidIn::Keep, None).await,
        Err(refusal) => Ok(SessionOutcome {
            record,
            refusal: Some(refusal),
        }),
    }
}

/// How a transition changes the session's `txid_in`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum TxidIn {
    Keep,
    /// The deposit that moved the session: named if none is yet.
    IfUnset(String),
    /// The named deposit left the chain: name this one instead (or none).
    Replace(Option<String>),
}

/// Persists a decision (row + deposit + outbox) and returns the new record.
async fn commit(
    deps: &SessionDeps,
    record: SessionRecord,
    decision: Decision,
    deposit: Option<DepositWrite>,
    txid: TxidIn,
    payout: Option<PayoutWrite>,
) -> Result<SessionOutcome, SessionError> {
    let now_ms = deps.clock.now_ms();
    let mut next = record.clone();
    next.status = decision.status;
    next.received = crate::domain::money::UsdcAmount::from_units(decision.received_units);
    next.version = record.version + 1;
    if decision.became_paid {
        next.paid_at_ms = Some(now_ms);
    } else if next.status != SessionStatus::Paid {
        // A reversal can take a paid session back: it is no longer paid.
        next.paid_at_ms = None;
    }
    match txid {
        TxidIn::Keep => {}
        TxidIn::IfUnset(tx_hash) => {
            next.txid_in.get_or_insert(tx_hash);
        }
        TxidIn::Replace(tx_hash) => next.txid_in = tx_hash,
    }
    if let Some(payout) = &payout {
        next.txid_out = Some(payout.txid_out.clone());
    }
    let mut events = Vec::with_capacity(decision.events.len());
    for kind in &decision.events {
        let sequence = next.event_count + 1;
        next.event_count = sequence;
        events.push(OutboxEvent {
            event_id: payload::event_id(next.id, sequence),
            sequence,
            status: kind.as_str(),
            payload: payload::build(&next, *kind, sequence).to_string(),
        });
    }
    let write = TransitionWrite {
        session_id: record.id,
        merchant_id: record.merchant_id,
        expected_version: record.version,
        status: next.status,
        received_units: decision.received_units,
        paid_at_ms: next.paid_at_ms,
        txid_in: (next.txid_in != record.txid_in).then(|| next.txid_in.clone()),
        last_error: next.last_error.clone(),
        deposit,
        events,
        webhook_url: record.webhook_url.clone(),
        payout,
    };
    deps.store.apply_transition(&write, now_ms).await?;
    if !write.events.is_empty()
        && let Some(webhooks) = &deps.webhooks
    {
        supervision::posted(ActorKind::WebhookSender);
        webhooks.do_send(Wake);
    }
    if decision.became_paid
        && let Some(router) = &deps.router
    {
        router.session_paid(record.id);
    }
    for kind in &decision.events {
        metrics::counter!("kassa_session_events_total", "status" => kind.as_str()).increment(1);
    }
    Ok(SessionOutcome {
        record: next,
        refusal: None,
    })
}

fn state_of(record: &SessionRecord) -> SessionState {
    SessionState {
        status: record.status,
        expected_units: record.expected.units(),
        received_units: record.received.units(),
        expires_at_ms: record.expires_at_ms,
    }
}
