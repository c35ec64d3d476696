//! `PayoutActor`: forwards money counted for paid sessions from their
//! deposit addresses to the merchants' payout wallets (less the platform
//! fee), exactly once.
//!
//! Each step (every `poll`, or on [`RunNow`]) makes sweep rows for counted
//! deposits whose blocks are final and deep enough, then drives every open
//! sweep: signs each transaction and stores its bytes before broadcasting
//! them, re-broadcasts stored bytes after a restart, replaces a transaction
//! stuck for `stuck_blocks` with the same nonce and a higher fee, and calls
//! a sweep sent only when every receipt says status 1. Then it tells the
//! session (`PayoutSent`), which records `txid_out` and announces
//! `payout_sent`: the session keeps its single writer.
//!
//! A token with EIP-3009 is swept by authorizations a gas account submits
//! (`legs.rs`); one without, by gas top-up (`topup.rs`): POL to the deposit
//! address first, then plain transfers its own key signs.
//!
//! The actor holds only scheduling; the step (`step.rs`) does the I/O and
//! `domain::payout` the rules.
//!
//! It steps only while this node holds the chain leader's lease (its
//! [`Fence`] has a token), and its store is fenced by the same lease, so
//! every payout write of a deposed leader is refused. A transaction's
//! signed bytes are stored (a fenced write) before they are broadcast, so
//! a deposed leader cannot broadcast a transaction the new leader does not
//! find: at worst it re-broadcasts bytes already stored, which moves the
//! money once (same nonce, same hash). A takeover waits for a fenced write
//! in flight to commit (the lease row is read `FOR SHARE`), so the new
//! leader's first step sees it.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use actix::prelude::*;
use tokio::sync::oneshot;

use super::supervision::{self, ActorKind, Handling, Queued};
use crate::chain::sender::ChainSender;
use crate::store::lease::Fence;

mod legs;
mod step;
mod topup;

pub use step::{PayoutDeps, PayoutReport, PayoutRules};

/// What a step asked of a node that does not lead answers.
pub const NOT_LEADER: &str = "this node does not lead the payouts (another node holds the lease)";
/// Longest wait between steps while they keep failing.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// Run a whole step that starts after this message, and answer when it
/// ends (tests and the sandbox drive payouts through this).
#[derive(Message)]
#[rtype(result = "Result<PayoutReport, String>")]
pub struct RunNow;

type Reply = oneshot::Sender<Result<PayoutReport, String>>;

pub struct PayoutActor<C: ChainSender + Clone + Unpin> {
    deps: PayoutDeps<C>,
    poll: Duration,
    running: bool,
    failures: u32,
    waiting: Vec<Reply>,
    riding: Vec<Reply>,
    /// This node's hold on the chain leader's lease (`deps.store` is
    /// fenced by the same value).
    fence: Arc<Fence>,
    /// A follower's next look at the fence is scheduled.
    parked: bool,
}

impl<C: ChainSender + Clone + Unpin> PayoutActor<C> {
    /// `deps.store` must be fenced by `fence` (`Store::with_fence`).
    pub fn new(deps: PayoutDeps<C>, poll: Duration, fence: Arc<Fence>) -> Self {
        Self {
            deps,
            poll,
            running: false,
            failures: 0,
            waiting: Vec::new(),
            riding: Vec::new(),
            fence,
            parked: false,
        }
    }

    fn start_step(&mut self, ctx: &mut Context<Self>) {
        if self.running {
            return;
        }
        if self.fence.token().is_none() {
            self.follow(ctx);
            return;
        }
        self.running = true;
        // A step is the actor's unit of work, whether its timer or a
        // request started it: counted and timed as one handled message.
        let handling = Handling::begin(ActorKind::Payout);
        self.riding = std::mem::take(&mut self.waiting);
        let deps = self.deps.clone();
        let work = async move { step::run(&deps).await };
        ctx.spawn(work.into_actor(self).map(|result, act, ctx| {
            act.running = false;
            drop(handling);
            let answer = match result {
                Ok(report) => {
                    act.failures = 0;
                    Ok(report)
                }
                Err(e) => {
                    act.failures = act.failures.saturating_add(1);
                    metrics::counter!("kassa_payout_step_failures_total").increment(1);
                    tracing::warn!(error = %e, failures = act.failures, "payout step failed; will retry");
                    Err(e.to_string())
                }
            };
            for reply in act.riding.drain(..) {
                let _ = reply.send(answer.clone());
            }
            if act.waiting.is_empty() {
                act.schedule(ctx);
            } else {
                act.start_step(ctx);
            }
        }));
    }

    /// Not leading: whoever waits for a step is told so, and the fence is
    /// looked at again after `poll` (one look scheduled at a time).
    fn follow(&mut self, ctx: &mut Context<Self>) {
        for reply in self.waiting.drain(..) {
            let _ = reply.send(Err(NOT_LEADER.into()));
        }
        if !self.parked {
            self.parked = true;
            ctx.run_later(self.poll, |act, ctx| {
                act.parked = false;
                act.start_step(ctx);
            });
        }
    }

    fn schedule(&mut self, ctx: &mut Context<Self>) {
        let delay = if self.failures == 0 {
            self.poll
        } else {
            (self.poll * (1_u32 << self.failures.min(6))).min(MAX_BACKOFF)
        };
        ctx.run_later(delay, |act, ctx| act.start_step(ctx));
    }
}

impl<C: ChainSender + Clone + Unpin> Actor for PayoutActor<C> {
    type Context = Context<Self>;

    /// The first step comes one `poll` after the start (not at once), so a
    /// restarted gateway settles its watcher first, and tests that step the
    /// actor themselves see no step they did not ask for.
    fn started(&mut self, ctx: &mut Context<Self>) {
        supervision::hold(ActorKind::Payout, ctx);
        self.schedule(ctx);
    }
}

impl<C: ChainSender + Clone + Unpin> Handler<RunNow> for PayoutActor<C> {
    type Result = ResponseFuture<Result<PayoutReport, String>>;

    fn handle(&mut self, _: RunNow, ctx: &mut Context<Self>) -> Self::Result {
        let (tx, rx) = oneshot::channel();
        self.waiting.push(tx);
        self.start_step(ctx);
        Box::pin(async move {
            rx.await
                .unwrap_or_else(|_| Err("the payout actor stopped".into()))
        })
    }
}

/// Each gas account's POL (wei) as the last step read it.
pub type GasLevels = Arc<RwLock<BTreeMap<String, u128>>>;

/// What the rest of the gateway holds of the payout actor.
#[derive(Clone)]
pub struct Payouts {
    run: Recipient<RunNow>,
    gas: GasLevels,
}

impl Payouts {
    pub fn of<C: ChainSender + Clone + Unpin>(addr: &Addr<PayoutActor<C>>, gas: GasLevels) -> Self {
        Self {
            run: addr.clone().recipient(),
            gas,
        }
    }

    /// Each gas account's POL in wei, as last read (empty before the first
    /// step could read them).
    pub fn gas_levels(&self) -> BTreeMap<String, u128> {
        self.gas
            .read()
            .map(|levels| levels.clone())
            .unwrap_or_default()
    }

    /// Runs a step that starts now and returns once it has ended.
    pub async fn run(&self) -> Result<PayoutReport, String> {
        let _queued = Queued::enter(ActorKind::Payout);
        self.run
            .send(RunNow)
            .await
            .unwrap_or_else(|_| Err("the payout actor stopped".into()))
    }
}

impl std::fmt::Debug for Payouts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Payouts").finish_non_exhaustive()
    }
}
