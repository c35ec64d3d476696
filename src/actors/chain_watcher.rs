//! `ChainWatcher`: follows a chain (a Polygon node, or the sandbox ledger)
//! and tells session actors about transfers of the token to their deposit
//! addresses: seen, counted once deep and final enough, dropped or reversed
//! when a reorg takes a block away.
//!
//! Each step (every `poll`, or on [`SyncNow`]) re-checks the block hash of
//! every deposit still open to a reorg, counts those that became final,
//! then reads new `Transfer` logs from the saved checkpoint up to
//! `head - lag`, matches recipients against the in-memory set of every
//! deposit address ever issued, and saves the checkpoint (number and hash)
//! after the deposits up to it were committed. Session messages are
//! idempotent by `(tx_hash, log_index)`, so a step repeated after a crash
//! or an outage counts nothing twice.
//!
//! The actor holds only the watched set and its scheduling; the step
//! (`step.rs`) does the I/O; whether a deposit counts is
//! `domain::confirmation`'s decision. It never writes a session itself.
//!
//! With several nodes on one database it steps only while this node holds
//! the chain leader's lease (its [`Fence`] has a token; see
//! `actors::leadership`), and its store is fenced: a deposed leader's
//! checkpoint and confirmation writes are refused. Deposits reach sessions
//! through their actors, which are idempotent by `(tx_hash, log_index)`
//! (a unique key) and check the session's `version`, so a late delivery
//! from a deposed leader counts nothing twice; they are not fenced. On
//! gaining leadership it reads the whole watched set again, and while
//! leading it learns the addresses other nodes issue (`issued.rs`).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use actix::prelude::*;
use alloy_primitives::Address;
use tokio::sync::oneshot;

use super::handle::Sessions;
use super::supervision::{self, ActorKind, Handling, Queued};
use crate::chain::source::{ChainSource, TransferLog};
use crate::clock::SharedClock;
use crate::domain::confirmation::ConfirmationPolicy;
use crate::store::Store;
use crate::store::lease::Fence;

mod issued;
mod position;
pub mod ranges;
mod step;

pub use position::ChainPosition;
pub use step::{REORG_WATCH_BLOCKS, StepReport};

/// The checkpoint's name in `chain_cursors`.
pub const CURSOR: &str = "usdc_transfers";
/// What a step asked of a node that does not lead answers.
pub const NOT_LEADER: &str =
    "this node does not lead the chain watcher (another node holds the lease)";
/// Longest wait between attempts while the node keeps failing.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// How the watcher reads the chain.
#[derive(Debug, Clone)]
pub struct WatcherSettings {
    /// The token whose `Transfer` logs are payments.
    pub token: Address,
    pub policy: ConfirmationPolicy,
    pub poll: Duration,
    /// Logs are read this many blocks behind the head.
    pub head_lag: u64,
    /// The widest `eth_getLogs` range asked at once.
    pub max_range: u64,
}

/// Watch these deposit addresses (new sessions). Answered once the set holds
/// them, so a session's creation is answered only after its address is
/// watched.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Watch(pub Vec<(Address, i64)>);

/// Run a whole step that starts after this message arrived, and answer when
/// it has committed (sandbox payments are synchronous through this).
#[derive(Message)]
#[rtype(result = "Result<StepReport, String>")]
pub struct SyncNow;

/// Where the watcher stood after its last completed step (`None` before one).
#[derive(Message)]
#[rtype(result = "Option<ChainPosition>")]
struct GetPosition;

/// How long the console waits for the watcher to say where it stands.
const POSITION_TIMEOUT: Duration = Duration::from_secs(1);

/// Which of these logs pay a watched address, and to which session.
#[derive(Message)]
#[rtype(result = "Vec<(i64, TransferLog)>")]
struct MatchTransfers(Vec<TransferLog>);

type Reply = oneshot::Sender<Result<StepReport, String>>;

pub struct ChainWatcher<C: ChainSource + Clone + Unpin> {
    chain: C,
    store: Store,
    sessions: Sessions,
    clock: SharedClock,
    settings: WatcherSettings,
    /// Every deposit address ever issued → its session.
    watched: HashMap<Address, i64>,
    running: bool,
    failures: u32,
    /// Asked while a step ran: answered after the next one.
    waiting: Vec<Reply>,
    /// Answered when the running step ends.
    riding: Vec<Reply>,
    /// After the last step that completed.
    position: Option<ChainPosition>,
    /// This node's hold on the chain leader's lease: steps run only with a
    /// token (the store is fenced by the same value).
    fence: Arc<Fence>,
    /// The token the watched set was last read in full under: a new one
    /// (leadership gained) reads it again first.
    led_with: Option<i64>,
    /// A follower's next look at the fence is scheduled.
    parked: bool,
    issued: Option<issued::Issued>,
    /// When the starting watched set was read.
    loaded_at_ms: i64,
    shared_database: bool,
}

/// What the watcher is built from, besides its chain.
pub struct WatcherParts {
    /// Fenced by `fence` (`Store::with_fence`).
    pub store: Store,
    pub sessions: Sessions,
    pub clock: SharedClock,
    pub settings: WatcherSettings,
    /// Every address issued when the watcher starts.
    pub watched: HashMap<Address, i64>,
    /// When `watched` was read (the injected clock).
    pub loaded_at_ms: i64,
    pub fence: Arc<Fence>,
    /// Whether other nodes may issue addresses (PostgreSQL).
    pub shared_database: bool,
}

impl<C: ChainSource + Clone + Unpin> ChainWatcher<C> {
    pub fn new(chain: C, parts: WatcherParts) -> Self {
        let led_with = parts.fence.token();
        Self {
            chain,
            store: parts.store,
            sessions: parts.sessions,
            clock: parts.clock,
            settings: parts.settings,
            watched: parts.watched,
            running: false,
            failures: 0,
            waiting: Vec::new(),
            riding: Vec::new(),
            position: None,
            fence: parts.fence,
            led_with,
            parked: false,
            issued: None,
            loaded_at_ms: parts.loaded_at_ms,
            shared_database: parts.shared_database,
        }
    }

    fn start_step(&mut self, ctx: &mut Context<Self>) {
        if self.running {
            return;
        }
        let Some(token) = self.fence.token() else {
            self.follow(ctx);
            return;
        };
        self.running = true;
        // A step is the actor's unit of work, whether its timer or a
        // request started it: counted and timed as one handled message.
        let handling = Handling::begin(ActorKind::ChainWatcher);
        self.riding = std::mem::take(&mut self.waiting);
        let issued = self.issued(ctx);
        let deps = step::StepDeps {
            chain: self.chain.clone(),
            store: self.store.clone(),
            sessions: self.sessions.clone(),
            clock: self.clock.clone(),
            settings: self.settings.clone(),
            matcher: ctx.address().recipient(),
            issued: issued.clone(),
        };
        let reread = self.led_with != Some(token);
        // The whole set is read once per token, even when the step after
        // the read fails (a million addresses are not read on every retry).
        let work = async move {
            if reread && let Err(e) = issued.all().await {
                return (false, Err(e));
            }
            (true, step::run(&deps).await)
        };
        ctx.spawn(work.into_actor(self).map(move |(read, result), act, ctx| {
            act.running = false;
            drop(handling);
            if read {
                act.led_with = Some(token);
            }
            let answer = match &result {
                Ok(report) => {
                    act.failures = 0;
                    act.position = Some(ChainPosition::after(report, act.clock.now_ms()));
                    Ok(report.clone())
                }
                Err(e) => {
                    act.failures = act.failures.saturating_add(1);
                    metrics::counter!("kassa_chain_step_failures_total").increment(1);
                    tracing::warn!(error = %e, failures = act.failures, "chain watcher step failed; will retry");
                    Err(e.to_string())
                }
            };
            for reply in act.riding.drain(..) {
                let _ = reply.send(answer.clone());
            }
            if !act.waiting.is_empty() {
                act.start_step(ctx);
            } else {
                act.schedule(ctx);
            }
        }));
    }

    /// The reader of issued addresses, made on the first step (it needs
    /// the actor's address).
    fn issued(&mut self, ctx: &mut Context<Self>) -> issued::Issued {
        if let Some(issued) = &self.issued {
            return issued.clone();
        }
        let issued = issued::Issued::new(
            self.store.clone(),
            self.clock.clone(),
            ctx.address().recipient(),
            self.shared_database,
            self.loaded_at_ms,
        );
        self.issued = Some(issued.clone());
        issued
    }

    /// Not leading: whoever waits for a step is told so, and the fence is
    /// looked at again when it changes (leadership gained: the first step
    /// at once) or after `poll` (one look scheduled at a time).
    fn follow(&mut self, ctx: &mut Context<Self>) {
        for reply in self.waiting.drain(..) {
            let _ = reply.send(Err(NOT_LEADER.into()));
        }
        if !self.parked {
            self.parked = true;
            let mut changes = self.fence.subscribe();
            let poll = self.settings.poll;
            let woken = async move {
                let _ = tokio::time::timeout(poll, changes.changed()).await;
            };
            ctx.spawn(woken.into_actor(self).map(|(), act, ctx| {
                act.parked = false;
                act.start_step(ctx);
            }));
        }
    }

    /// The next step: after `poll`, or later while the node keeps failing.
    fn schedule(&mut self, ctx: &mut Context<Self>) {
        let delay = if self.failures == 0 {
            self.settings.poll
        } else {
            let factor = 1_u32 << self.failures.min(6);
            (self.settings.poll * factor).min(MAX_BACKOFF)
        };
        ctx.run_later(delay, |act, ctx| act.start_step(ctx));
    }
}

impl<C: ChainSource + Clone + Unpin> Actor for ChainWatcher<C> {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        supervision::hold(ActorKind::ChainWatcher, ctx);
        metrics::gauge!("kassa_chain_watched_addresses").set(self.watched.len() as f64);
        self.start_step(ctx);
    }
}

impl<C: ChainSource + Clone + Unpin> Handler<Watch> for ChainWatcher<C> {
    type Result = ();

    fn handle(&mut self, msg: Watch, _: &mut Context<Self>) {
        let _handling = Handling::begin(ActorKind::ChainWatcher);
        self.watched.extend(msg.0);
        metrics::gauge!("kassa_chain_watched_addresses").set(self.watched.len() as f64);
    }
}

impl<C: ChainSource + Clone + Unpin> Handler<SyncNow> for ChainWatcher<C> {
    type Result = ResponseFuture<Result<StepReport, String>>;

    fn handle(&mut self, _: SyncNow, ctx: &mut Context<Self>) -> Self::Result {
        let (tx, rx) = oneshot::channel();
        self.waiting.push(tx);
        self.start_step(ctx);
        Box::pin(async move {
            rx.await
                .unwrap_or_else(|_| Err("the chain watcher stopped".into()))
        })
    }
}

impl<C: ChainSource + Clone + Unpin> Handler<MatchTransfers> for ChainWatcher<C> {
    type Result = MessageResult<MatchTransfers>;

    fn handle(&mut self, msg: MatchTransfers, _: &mut Context<Self>) -> Self::Result {
        let _handling = Handling::begin(ActorKind::ChainWatcher);
        MessageResult(
            msg.0
                .into_iter()
                .filter_map(|log| self.watched.get(&log.to).map(|id| (*id, log)))
                .collect(),
        )
    }
}

impl<C: ChainSource + Clone + Unpin> Handler<GetPosition> for ChainWatcher<C> {
    type Result = Option<ChainPosition>;

    fn handle(&mut self, _: GetPosition, _: &mut Context<Self>) -> Self::Result {
        let _handling = Handling::begin(ActorKind::ChainWatcher);
        self.position
    }
}

/// What the rest of the gateway holds: add addresses, ask for a step, ask
/// where the watcher stands.
#[derive(Clone)]
pub struct ChainWatch {
    watch: Recipient<Watch>,
    sync: Recipient<SyncNow>,
    position: Recipient<GetPosition>,
}

impl ChainWatch {
    pub fn of<C: ChainSource + Clone + Unpin>(addr: &Addr<ChainWatcher<C>>) -> Self {
        Self {
            watch: addr.clone().recipient(),
            sync: addr.clone().recipient(),
            position: addr.clone().recipient(),
        }
    }

    /// Adds addresses to the watched set; returns once they are in it.
    pub async fn watch(&self, addresses: Vec<(Address, i64)>) -> Result<(), MailboxError> {
        let _queued = Queued::enter(ActorKind::ChainWatcher);
        self.watch.send(Watch(addresses)).await
    }

    /// Runs a step that starts now and returns once it has committed.
    pub async fn sync(&self) -> Result<StepReport, String> {
        let _queued = Queued::enter(ActorKind::ChainWatcher);
        self.sync
            .send(SyncNow)
            .await
            .unwrap_or_else(|_| Err("the chain watcher stopped".into()))
    }
}

impl ChainWatch {
    /// Where the watcher stood after its last completed step; `None` before
    /// its first, or when it does not answer within a second (stopped, or
    /// not running on this node).
    pub async fn position(&self) -> Option<ChainPosition> {
        let _queued = Queued::enter(ActorKind::ChainWatcher);
        self.position
            .send(GetPosition)
            .timeout(POSITION_TIMEOUT)
            .await
            .ok()
            .flatten()
    }
}

impl std::fmt::Debug for ChainWatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChainWatch").finish_non_exhaustive()
    }
}
