//! `SessionCreator`: durable session creation with group commit.
//!
//! Concurrent `CreateSession` messages queue up while a batch commits; the
//! next batch takes everything queued (up to `create_batch_max`) and writes
//! it in one transaction, so one fsync serves many requests. Each reply is
//! sent only after its batch has committed.
//!
//! Deposit addresses come from a small pool of pre-reserved HD indexes: an
//! index is reserved in the database before it is used, so a crash can skip
//! indexes but never reuse one.

use std::collections::VecDeque;

use actix::prelude::*;
use rand::Rng;
use tokio::sync::oneshot;

use super::chain_watcher::ChainWatch;
use super::supervision::{self, ActorKind, Handling};
use crate::chain::hd::HdWallet;
use crate::domain::checkout_session::{NewSession, SessionRecord};
use crate::domain::wallet::WalletAddress;
use crate::store::sessions::AssignedSession;
use crate::store::{Store, StoreError};

/// Session ids are random in this range: never 0, below 2^53 (exact in JSON
/// numbers everywhere), and not guessable from one another.
const ID_RANGE: std::ops::Range<i64> = 1_000_000_000..(1_i64 << 53);
/// How many HD indexes to reserve (and derive) at once: a few milliseconds
/// of derivation on one core. A refill of 2,048 is about 40 ms of a core in
/// one piece (estimated from the ~20 µs a derivation takes in the create
/// profile, not timed), which every create in flight on a saturated machine
/// could wait behind.
const POOL_REFILL: u32 = 256;
/// Below this many ready addresses background refills run, one after the
/// other, so creates rarely wait for derivation.
const POOL_LOW_WATER: usize = 2048;
/// Batches in progress at once: the next batch is written while the last
/// one's commit waits on its fsync (PostgreSQL overlaps the commits; SQLite's
/// write lane still takes them one at a time).
const BATCHES_AT_ONCE: usize = 2;

/// Why a session could not be created.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CreateError {
    #[error("the database is unavailable")]
    Unavailable,
    #[error("deposit wallet could not be derived: {0}")]
    Wallet(String),
    #[error("session batch failed: {0}")]
    Failed(String),
    #[error("the session creator stopped")]
    Stopped,
}

impl From<StoreError> for CreateError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Unavailable(_) => CreateError::Unavailable,
            other => CreateError::Failed(format!("{other:#}")),
        }
    }
}

/// Create this session; answered after commit.
#[derive(Message)]
#[rtype(result = "Result<SessionRecord, CreateError>")]
pub struct CreateSession(pub NewSession);

/// How much group commit has done: sessions per batch is `sessions / batches`.
#[derive(Message)]
#[rtype(result = "CommitStats")]
pub struct GetCommitStats;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CommitStats {
    pub batches: u64,
    pub sessions: u64,
}

type Reply = oneshot::Sender<Result<SessionRecord, CreateError>>;

pub struct SessionCreator {
    store: Store,
    wallet: HdWallet,
    batch_max: usize,
    queue: VecDeque<(NewSession, Reply)>,
    flushing: usize,
    /// Reserved (index, address) pairs not yet used.
    pool: VecDeque<(i64, WalletAddress)>,
    refilling: bool,
    stats: CommitStats,
    /// Told of each batch's addresses before any of its sessions is answered.
    watcher: Option<ChainWatch>,
}

impl SessionCreator {
    pub fn new(
        store: Store,
        wallet: HdWallet,
        batch_max: usize,
        watcher: Option<ChainWatch>,
    ) -> Self {
        Self {
            store,
            wallet,
            batch_max,
            queue: VecDeque::new(),
            flushing: 0,
            pool: VecDeque::new(),
            refilling: false,
            stats: CommitStats::default(),
            watcher,
        }
    }

    fn flush(&mut self, ctx: &mut Context<Self>) {
        if self.flushing >= BATCHES_AT_ONCE || self.queue.is_empty() {
            return;
        }
        self.flushing += 1;
        let take = self.queue.len().min(self.batch_max);
        let batch: Vec<(NewSession, Reply)> = self.queue.drain(..take).collect();
        // This batch's share of the reserved addresses (batches in progress
        // hold disjoint ones; what is left over comes back afterwards).
        let share = take.min(self.pool.len());
        let mut pool: VecDeque<(i64, WalletAddress)> = self.pool.drain(..share).collect();
        let store = self.store.clone();
        let wallet = self.wallet.clone();
        let watcher = self.watcher.clone();
        let work = async move {
            let result = commit_batch(
                &store,
                &wallet,
                &mut pool,
                batch.iter().map(|(n, _)| n.clone()).collect(),
            )
            .await;
            if let (Ok(records), Some(watcher)) = (&result, watcher) {
                // A deposit can only be missed if its block is scanned
                // without the address: so the address is watched first.
                let addresses = records
                    .iter()
                    .map(|r| (r.deposit_address.address(), r.id))
                    .collect();
                if watcher.watch(addresses).await.is_err() {
                    tracing::error!(
                        "the chain watcher is gone: new deposit addresses are not watched"
                    );
                }
            }
            (result, batch, pool)
        };
        ctx.spawn(work.into_actor(self).map(|(result, batch, pool), act, ctx| {
            act.pool.extend(pool);
            match result {
                Ok(records) => {
                    act.stats.batches += 1;
                    act.stats.sessions += records.len() as u64;
                    metrics::counter!("kassa_sessions_created_total").increment(records.len() as u64);
                    metrics::histogram!("kassa_create_batch_size").record(records.len() as f64);
                    for ((_, reply), record) in batch.into_iter().zip(records) {
                        let _ = reply.send(Ok(record));
                    }
                }
                Err(err) => {
                    tracing::warn!(error = %err, size = batch.len(), "session batch failed");
                    for (_, reply) in batch {
                        let _ = reply.send(Err(err.clone()));
                    }
                }
            }
            act.flushing -= 1;
            act.refill_in_background(ctx);
            act.flush(ctx);
        }));
    }

    /// Tops the address pool up off the request path when it runs low.
    fn refill_in_background(&mut self, ctx: &mut Context<Self>) {
        if self.refilling || self.pool.len() >= POOL_LOW_WATER {
            return;
        }
        self.refilling = true;
        let (store, wallet) = (self.store.clone(), self.wallet.clone());
        let work = async move { reserve_addresses(&store, &wallet, POOL_REFILL).await };
        ctx.spawn(work.into_actor(self).map(|result, act, ctx| {
            act.refilling = false;
            match result {
                Ok(fresh) => {
                    act.pool.extend(fresh);
                    act.refill_in_background(ctx);
                }
                Err(e) => tracing::warn!(error = %e, "refilling the deposit address pool failed"),
            }
        }));
    }
}

/// Reserves `n` HD indexes and derives their addresses on the blocking pool.
async fn reserve_addresses(
    store: &Store,
    wallet: &HdWallet,
    n: u32,
) -> Result<Vec<(i64, WalletAddress)>, CreateError> {
    let range = store.reserve_hd_indexes(n).await?;
    let (start, end) = (
        u32::try_from(range.start)
            .map_err(|_| CreateError::Wallet("HD index space exhausted".into()))?,
        u32::try_from(range.end)
            .map_err(|_| CreateError::Wallet("HD index space exhausted".into()))?,
    );
    let wallet = wallet.clone();
    let addresses = tokio::task::spawn_blocking(move || wallet.addresses(start..end))
        .await
        .map_err(|e| CreateError::Wallet(format!("derivation task failed: {e}")))?
        .map_err(|e| CreateError::Wallet(format!("{e:#}")))?;
    let addresses = addresses
        .into_iter()
        .map(WalletAddress::from_address)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| CreateError::Wallet("derived the zero address".into()))?;
    Ok(range.zip(addresses).collect())
}

impl Actor for SessionCreator {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        supervision::hold(ActorKind::Creator, ctx);
        self.refill_in_background(ctx);
    }
}

impl Handler<CreateSession> for SessionCreator {
    type Result = ResponseFuture<Result<SessionRecord, CreateError>>;

    fn handle(&mut self, msg: CreateSession, ctx: &mut Context<Self>) -> Self::Result {
        let handling = Handling::begin(ActorKind::Creator);
        let (tx, rx) = oneshot::channel();
        self.queue.push_back((msg.0, tx));
        self.flush(ctx);
        Box::pin(async move {
            let answer = rx.await.unwrap_or(Err(CreateError::Stopped));
            drop(handling);
            answer
        })
    }
}

impl Handler<GetCommitStats> for SessionCreator {
    type Result = MessageResult<GetCommitStats>;

    fn handle(&mut self, _: GetCommitStats, _: &mut Context<Self>) -> Self::Result {
        MessageResult(self.stats)
    }
}

/// Assigns ids and addresses, then inserts the whole batch in one transaction.
/// A (vanishingly rare) id collision retries the batch with fresh ids.
async fn commit_batch(
    store: &Store,
    wallet: &HdWallet,
    pool: &mut VecDeque<(i64, WalletAddress)>,
    batch: Vec<NewSession>,
) -> Result<Vec<SessionRecord>, CreateError> {
    if pool.len() < batch.len() {
        let want = u32::try_from(batch.len())
            .unwrap_or(u32::MAX)
            .saturating_add(POOL_REFILL);
        pool.extend(reserve_addresses(store, wallet, want).await?);
    }
    let mut assigned: Vec<AssignedSession> = batch
        .into_iter()
        .filter_map(|new| {
            let (hd_index, deposit_address) = pool.pop_front()?;
            Some(AssignedSession {
                id: 0,
                hd_index,
                deposit_address,
                new,
            })
        })
        .collect();
    for _attempt in 0..3 {
        for s in &mut assigned {
            s.id = rand::rng().random_range(ID_RANGE);
        }
        match store.insert_sessions(&assigned).await {
            Ok(()) => return Ok(assigned.iter().map(AssignedSession::to_record).collect()),
            Err(StoreError::Conflict) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(CreateError::Failed(
        "session id collisions persisted".into(),
    ))
}
