//! One step of the chain watcher: re-check deposits open to a reorg, count
//! those that became final, then scan new logs from the checkpoint.
//!
//! Plain async I/O over a `ChainSource`, the store and the session handle;
//! the watched set stays in the actor (asked through `MatchTransfers` after
//! each read, so addresses added while a read was in flight are matched).

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

use actix::Recipient;
use alloy_primitives::{B256, U256};
use backon::{ExponentialBuilder, Retryable};
use futures_util::StreamExt;
use futures_util::future::{Either, LocalBoxFuture};

use super::ranges::RangeSizer;
use super::{CURSOR, MatchTransfers, WatcherSettings};
use crate::actors::handle::Sessions;
use crate::actors::session::{SessionError, SessionOutcome};
use crate::actors::supervision::{ActorKind, Queued};
use crate::chain::source::{ChainError, ChainSource, TransferLog};
use crate::clock::SharedClock;
use crate::domain::confirmation::{ChainView, confirmations, counts};
use crate::domain::deposit::{DepositFact, DepositState};
use crate::store::StoreError;
use crate::store::chain::TrackedDeposit;

/// Counted deposits are re-checked for a reorg until they are this many
/// blocks deep (Polygon has seen reorgs of 120–187 blocks).
pub const REORG_WATCH_BLOCKS: u64 = 512;
/// When the checkpoint's block was replaced, scanning resumes this far back.
pub const REORG_OVERLAP: u64 = 256;
/// With no checkpoint yet but sessions already issued (the node did not
/// answer when the gateway first started), scanning starts this far back:
/// about 2 h 15 min of Polygon blocks, more than a session's default
/// lifetime and grace window together.
pub const FIRST_START_LOOKBACK: u64 = 4096;
/// Block hashes read concurrently while re-checking deposits.
const HASH_READS_AT_ONCE: usize = 16;
/// Sessions told of their deposits at once (each commits on its own).
const DELIVERIES_AT_ONCE: usize = 128;
/// During a catch-up the checkpoint is saved at least this often (and
/// after the last range).
const CHECKPOINT_EVERY: Duration = Duration::from_secs(1);
/// Ranges read while a delivery runs, at most, before reading waits.
const READ_AHEAD: usize = 2;

pub(super) struct StepDeps<C> {
    pub chain: C,
    pub store: crate::store::Store,
    pub sessions: Sessions,
    pub clock: SharedClock,
    pub settings: WatcherSettings,
    pub matcher: Recipient<MatchTransfers>,
    /// Addresses other nodes issued, learnt before each range is matched.
    pub issued: super::issued::Issued,
}

/// What a step did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StepReport {
    pub head: u64,
    pub finalized: Option<u64>,
    /// The last block scanned for logs.
    pub processed: u64,
    pub seen: u64,
    pub counted: u64,
    pub dropped: u64,
    /// For each deposit this step counted: from the moment the step read
    /// the block that made it count (the head, or the logs of its range) to
    /// the session's commit.
    pub count_latencies: Vec<Duration>,
}

#[derive(Debug, thiserror::Error)]
pub enum StepError {
    #[error("chain: {0}")]
    Chain(#[from] ChainError),
    #[error("store: {0}")]
    Store(#[from] StoreError),
    #[error("session: {0}")]
    Session(#[from] SessionError),
    #[error("the chain watcher stopped")]
    Stopped,
}

/// Retries a read a few times quickly; a longer outage fails the step and
/// the actor backs off.
async fn read<T, F, Fut>(method: &'static str, call: F) -> Result<T, ChainError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, ChainError>>,
{
    call.retry(
        ExponentialBuilder::default()
            .with_min_delay(Duration::from_millis(50))
            .with_max_delay(Duration::from_secs(1))
            .with_max_times(3)
            .with_jitter(),
    )
    .when(|e| matches!(e, ChainError::Unavailable(_)))
    .notify(|e, _| tracing::debug!(method, error = %e, "chain read failed; retrying"))
    .await
}

pub(super) async fn run<C: ChainSource + Clone>(d: &StepDeps<C>) -> Result<StepReport, StepError> {
    let read_at = Instant::now();
    let head = read("eth_blockNumber", || d.chain.head()).await?;
    let finalized = read("eth_getBlockByNumber", || d.chain.finalized()).await?;
    let view = ChainView { head, finalized };
    let mut report = StepReport {
        head,
        finalized,
        ..StepReport::default()
    };
    metrics::gauge!("kassa_chain_head_block").set(head as f64);
    if let Some(f) = finalized {
        metrics::gauge!("kassa_chain_finalized_block").set(f as f64);
    }
    recheck(d, view, read_at, &mut report).await?;
    scan(d, view, &mut report).await?;
    metrics::gauge!("kassa_chain_processed_block").set(report.processed as f64);
    metrics::gauge!("kassa_chain_lag_blocks").set(head.saturating_sub(report.processed) as f64);
    Ok(report)
}

/// Deposits open to a reorg: is each block still canonical, and does each
/// waiting deposit count now? Those that would count go first (their blocks
/// read, then committed), so counting does not wait for the re-check of
/// older counted deposits.
async fn recheck<C: ChainSource + Clone>(
    d: &StepDeps<C>,
    view: ChainView,
    read_at: Instant,
    report: &mut StepReport,
) -> Result<(), StepError> {
    let since = view.head.saturating_sub(REORG_WATCH_BLOCKS);
    let (due, rest): (Vec<TrackedDeposit>, Vec<TrackedDeposit>) = d
        .store
        .tracked_deposits(since)
        .await?
        .into_iter()
        .partition(|t| {
            t.state == DepositState::Seen
                && counts(&d.settings.policy, t.amount_units, t.block_number, view)
        });
    let mut canonical = HashMap::new();
    read_hashes(d, &due, &mut canonical).await?;
    let (due, gone): (Vec<TrackedDeposit>, Vec<TrackedDeposit>) = due
        .into_iter()
        .partition(|t| still_canonical(&canonical, t));
    for t in gone {
        left_chain(d, &t, report).await?;
    }
    let facts = due
        .iter()
        .map(|t| (t.session_id, tracked_fact(t, view), read_at));
    for (_, result, _, at) in deliver_all(d, facts).await {
        deliver(result)?;
        counted_after(report, at - read_at);
    }
    read_hashes(d, &rest, &mut canonical).await?;
    let mut progress = Vec::new();
    for t in rest {
        if !still_canonical(&canonical, &t) {
            left_chain(d, &t, report).await?;
        } else if t.state == DepositState::Seen {
            let now = confirmations(t.block_number, view.head);
            if now != t.confirmations {
                progress.push((t.tx_hash, t.log_index, now));
            }
        }
    }
    d.store.set_deposit_confirmations(&progress).await?;
    Ok(())
}

/// Reads the canonical hash of every height these deposits sit at (not yet
/// in `canonical`), a few requests at a time.
async fn read_hashes<C: ChainSource + Clone>(
    d: &StepDeps<C>,
    deposits: &[TrackedDeposit],
    canonical: &mut HashMap<u64, Option<String>>,
) -> Result<(), StepError> {
    let heights: BTreeSet<u64> = deposits
        .iter()
        .map(|t| t.block_number)
        .filter(|n| !canonical.contains_key(n))
        .collect();
    let mut reads = futures_util::stream::iter(heights.into_iter().map(|n| async move {
        let hash = read("eth_getBlockByNumber", || d.chain.block_hash(n)).await;
        (n, hash)
    }))
    .buffer_unordered(HASH_READS_AT_ONCE);
    while let Some((n, hash)) = reads.next().await {
        canonical.insert(n, hash?.map(hex_of));
    }
    Ok(())
}

fn still_canonical(canonical: &HashMap<u64, Option<String>>, t: &TrackedDeposit) -> bool {
    canonical.get(&t.block_number).and_then(Option::as_deref) == Some(t.block_hash.as_str())
}

/// The deposit's block is no longer the canonical one at its height: the
/// session drops it (waiting) or reverses it (counted).
async fn left_chain<C: ChainSource + Clone>(
    d: &StepDeps<C>,
    t: &TrackedDeposit,
    report: &mut StepReport,
) -> Result<(), StepError> {
    deliver(
        d.sessions
            .reverse(t.session_id, t.tx_hash.clone(), t.log_index)
            .await,
    )?;
    report.dropped += 1;
    metrics::counter!("kassa_chain_deposits_total", "outcome" => "dropped").increment(1);
    tracing::info!(session_id = t.session_id, tx = %t.tx_hash, block = t.block_number, "deposit's block left the chain");
    Ok(())
}

/// New logs from the checkpoint to `head - lag`, chunk by chunk; the
/// checkpoint moves only after a chunk's deposits were delivered.
async fn scan<C: ChainSource + Clone>(
    d: &StepDeps<C>,
    view: ChainView,
    report: &mut StepReport,
) -> Result<(), StepError> {
    let safe = view.head.saturating_sub(d.settings.head_lag);
    let from = match d.store.chain_cursor(CURSOR).await? {
        // First start, but sessions were issued before the node answered:
        // they may be paid already.
        None if d.store.any_session().await? => {
            tracing::warn!(
                "no checkpoint yet but sessions exist; scanning from {FIRST_START_LOOKBACK} blocks back"
            );
            safe.saturating_sub(FIRST_START_LOOKBACK) + 1
        }
        None => {
            // First start: nothing before this moment can pay a session.
            let hash = read("eth_getBlockByNumber", || d.chain.block_hash(safe)).await?;
            let hash = hash.map(hex_of).unwrap_or_default();
            d.store
                .save_chain_cursor(CURSOR, safe, &hash, d.clock.now_ms())
                .await?;
            report.processed = safe;
            return Ok(());
        }
        Some((number, hash)) => {
            let now = read("eth_getBlockByNumber", || d.chain.block_hash(number)).await?;
            if now.map(hex_of).as_deref() == Some(hash.as_str()) {
                number + 1
            } else {
                metrics::counter!("kassa_chain_checkpoint_reorgs_total").increment(1);
                tracing::warn!(
                    block = number,
                    "the checkpoint's block was replaced; scanning again from {REORG_OVERLAP} blocks back"
                );
                number.saturating_sub(REORG_OVERLAP) + 1
            }
        }
    };
    report.processed = from.saturating_sub(1);
    follow_ranges(d, view, from, safe, report).await
}

/// A read range's logs on their way to their sessions.
type Reading<'a> = LocalBoxFuture<'a, (Result<ReadRange, StepError>, RangeSizer, HashFrom)>;
/// Ranges' deposits being delivered: what it found, and the last range's
/// block and hash.
type Delivering<'a> = LocalBoxFuture<'a, (Result<StepReport, StepError>, u64, String)>;

/// Reads ranges from `from` to `safe` one after another while their
/// deposits go to their sessions. One read and one delivery run at a time;
/// ranges read while a delivery runs wait (at most [`READ_AHEAD`]) and go
/// together in the next one, so a slow commit does not hold the node's
/// reads up and a larger batch shares each commit. Deliveries keep chain
/// order; the checkpoint moves only past delivered ranges.
async fn follow_ranges<C: ChainSource + Clone>(
    d: &StepDeps<C>,
    view: ChainView,
    from: u64,
    safe: u64,
    report: &mut StepReport,
) -> Result<(), StepError> {
    let start_read = |from: u64, mut sizer: RangeSizer, mut how: HashFrom| -> Reading<'_> {
        Box::pin(async move {
            let range = read_range(d, from, safe, &mut sizer, &mut how).await;
            (range, sizer, how)
        })
    };
    let mut sizer = RangeSizer::new(d.settings.max_range);
    let mut how = HashFrom::ReadFirst;
    let mut next = from;
    let mut read_failed = None;
    let mut reading: Option<Reading<'_>> = None;
    let mut waiting: Vec<ReadRange> = Vec::new();
    let mut delivering: Option<Delivering<'_>> = None;
    let mut saved_at = Instant::now();
    let mut unsaved: Option<(u64, String)> = None;
    loop {
        if delivering.is_none() && !waiting.is_empty() {
            let ranges = std::mem::take(&mut waiting);
            let (to, to_hash) = ranges
                .last()
                .map(|r| (r.to, r.to_hash.clone()))
                .unwrap_or_default();
            delivering = Some(Box::pin(async move {
                (deliver_ranges(d, view, ranges).await, to, to_hash)
            }));
        }
        if reading.is_none() && read_failed.is_none() && next <= safe && waiting.len() < READ_AHEAD
        {
            reading = Some(start_read(next, sizer, how));
        }
        let done = match (reading.as_mut(), delivering.as_mut()) {
            (Some(r), Some(del)) => match futures_util::future::select(r, del).await {
                Either::Left((read, _)) => Either::Left(read),
                Either::Right((delivered, _)) => Either::Right(delivered),
            },
            (Some(r), None) => Either::Left(r.await),
            (None, Some(del)) => Either::Right(del.await),
            (None, None) => break,
        };
        match done {
            Either::Left((range, sized, hashed)) => {
                reading = None;
                (sizer, how) = (sized, hashed);
                match range {
                    Ok(range) => {
                        next = range.to + 1;
                        waiting.push(range);
                    }
                    // What was read before still goes to its sessions and
                    // moves the checkpoint; then the step fails.
                    Err(e) => read_failed = Some(e),
                }
            }
            Either::Right((delivered, to, to_hash)) => {
                delivering = None;
                let found = delivered?;
                report.seen += found.seen;
                report.counted += found.counted;
                report.count_latencies.extend(found.count_latencies);
                report.processed = to;
                // Saved at least every CHECKPOINT_EVERY, and once more after
                // the loop: each save is a commit of its own, and a step cut
                // short repeats at most that much (idempotently).
                if saved_at.elapsed() >= CHECKPOINT_EVERY {
                    d.store
                        .save_chain_cursor(CURSOR, to, &to_hash, d.clock.now_ms())
                        .await?;
                    saved_at = Instant::now();
                    unsaved = None;
                } else {
                    unsaved = Some((to, to_hash));
                }
            }
        }
    }
    // After the last range, or after a failed read: what was delivered.
    if let Some((to, to_hash)) = unsaved {
        d.store
            .save_chain_cursor(CURSOR, to, &to_hash, d.clock.now_ms())
            .await?;
    }
    match read_failed {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// One range's logs, read.
struct ReadRange {
    /// The range's last block and its hash (see [`read_range`]).
    to: u64,
    to_hash: String,
    logs: Vec<TransferLog>,
    read_at: Instant,
}

/// How the hash of a range's last block is found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HashFrom {
    /// Read before the logs: if a reorg lands between the two reads, the
    /// saved hash is the old one and the next step notices.
    ReadFirst,
    /// Taken from the logs' own answer, when one of them sits in that
    /// block (one request less per range). Guessed after a range whose
    /// last block had a log, as on a busy token every block does; a wrong
    /// guess reads the range again, hash first.
    Logs,
}

/// Reads the logs of the next range from `from` (at most up to `safe`), as
/// wide as the sizer says; a range the node refuses is split. The hash of
/// its last block, saved with the checkpoint, always describes the chain
/// the logs were read from, or an older one (then the next step notices).
async fn read_range<C: ChainSource + Clone>(
    d: &StepDeps<C>,
    from: u64,
    safe: u64,
    sizer: &mut RangeSizer,
    how: &mut HashFrom,
) -> Result<ReadRange, StepError> {
    loop {
        let to = safe.min(from.saturating_add(sizer.next() - 1));
        let blocks = to - from + 1;
        let read_first = match how {
            HashFrom::ReadFirst => Some(
                read("eth_getBlockByNumber", || d.chain.block_hash(to))
                    .await?
                    .map(hex_of)
                    .unwrap_or_default(),
            ),
            HashFrom::Logs => None,
        };
        let logs = match read("eth_getLogs", || {
            d.chain.transfers(d.settings.token, from, to)
        })
        .await
        {
            Err(ChainError::RangeTooLarge) if blocks > 1 => {
                sizer.refused(blocks);
                continue;
            }
            Err(e) => return Err(e.into()),
            Ok(logs) => logs,
        };
        sizer.answered(blocks, logs.len());
        let in_logs = logs
            .iter()
            .rev()
            .find(|log| log.block_number == to)
            .map(|log| hex_of(log.block_hash));
        *how = if in_logs.is_some() {
            HashFrom::Logs
        } else {
            HashFrom::ReadFirst
        };
        let Some(to_hash) = in_logs.or(read_first) else {
            // Guessed wrong: no log in the last block. Read again, hash first.
            continue;
        };
        return Ok(ReadRange {
            to,
            to_hash,
            logs,
            read_at: Instant::now(),
        });
    }
}

/// Matches ranges' logs against the watched set and hands the deposits
/// to their sessions: what they found.
async fn deliver_ranges<C: ChainSource + Clone>(
    d: &StepDeps<C>,
    view: ChainView,
    ranges: Vec<ReadRange>,
) -> Result<StepReport, StepError> {
    let mut found = StepReport::default();
    if ranges.iter().all(|r| r.logs.is_empty()) {
        return Ok(found);
    }
    d.issued.learn().await?;
    let started = Instant::now();
    let count = ranges.len();
    let mut facts = Vec::new();
    for range in ranges {
        let matched = {
            let _queued = Queued::enter(ActorKind::ChainWatcher);
            d.matcher.send(MatchTransfers(range.logs)).await
        }
        .map_err(|_| StepError::Stopped)?;
        facts.extend(matched.into_iter().filter_map(|(session_id, log)| {
            log_fact(&log, d, view).map(|f| (session_id, f, range.read_at))
        }));
    }
    let deposits = facts.len();
    for (counted, result, read_at, at) in deliver_all(d, facts).await {
        deliver(result)?;
        found.seen += 1;
        metrics::counter!("kassa_chain_deposits_total", "outcome" => "seen").increment(1);
        if counted {
            counted_after(&mut found, at - read_at);
        }
    }
    tracing::debug!(
        ranges = count,
        deposits,
        delivery_ms = started.elapsed().as_secs_f64() * 1e3,
        "ranges delivered"
    );
    Ok(found)
}

/// A deposit handed to its session: whether it counted, what the session
/// said, when its block was read and when the session answered.
type Delivered = (bool, Result<SessionOutcome, SessionError>, Instant, Instant);

/// Hands deposits to their sessions: each session's in chain order, up to
/// [`DELIVERIES_AT_ONCE`] sessions side by side (every session actor
/// commits its own transition). Answers, per deposit, whether it counted,
/// what the session said and when.
async fn deliver_all<C>(
    d: &StepDeps<C>,
    facts: impl IntoIterator<Item = (i64, DepositFact, Instant)>,
) -> Vec<Delivered> {
    let mut order: Vec<i64> = Vec::new();
    let mut by_session: HashMap<i64, Vec<(DepositFact, Instant)>> = HashMap::new();
    for (session_id, fact, read_at) in facts {
        crate::fault::point("deposit_confirming").await;
        by_session
            .entry(session_id)
            .or_insert_with(|| {
                order.push(session_id);
                Vec::new()
            })
            .push((fact, read_at));
    }
    // One query for the sessions these deposits wake (most are cold).
    if let Err(e) = d.store.warm_sessions(&order).await {
        tracing::debug!(error = %e, "warming the session cache failed; sessions load one by one");
    }
    let sessions = &d.sessions;
    futures_util::stream::iter(order.into_iter().map(|session_id| {
        let facts = by_session.remove(&session_id).unwrap_or_default();
        async move {
            let mut done = Vec::with_capacity(facts.len());
            for (fact, read_at) in facts {
                let counted = fact.counts;
                let result = sessions.deposit(session_id, fact).await;
                done.push((counted, result, read_at, Instant::now()));
            }
            done
        }
    }))
    .buffer_unordered(DELIVERIES_AT_ONCE)
    .flat_map(futures_util::stream::iter)
    .collect()
    .await
}

/// Records a deposit counted, and how long after its block was read.
fn counted_after(report: &mut StepReport, latency: Duration) {
    report.counted += 1;
    report.count_latencies.push(latency);
    metrics::counter!("kassa_chain_deposits_total", "outcome" => "counted").increment(1);
    metrics::histogram!("kassa_chain_count_commit_seconds").record(latency.as_secs_f64());
}

/// A session that cannot take the fact (unknown, or a deposit it does not
/// own) is logged and skipped; an unavailable database fails the step.
fn deliver<T>(result: Result<T, SessionError>) -> Result<(), StepError> {
    match result {
        Ok(_) => Ok(()),
        Err(SessionError::Unavailable) => Err(StepError::Session(SessionError::Unavailable)),
        Err(e @ (SessionError::NotFound | SessionError::Stale | SessionError::Unexpected(_))) => {
            tracing::error!(error = %e, "a deposit could not be delivered to its session");
            Ok(())
        }
    }
}

fn log_fact<C>(log: &TransferLog, d: &StepDeps<C>, view: ChainView) -> Option<DepositFact> {
    let Ok(amount_units) = u64::try_from(log.amount) else {
        tracing::error!(tx = %log.tx_hash, "a transfer larger than any session could expect was ignored");
        return None;
    };
    if log.amount == U256::ZERO {
        return None;
    }
    Some(DepositFact {
        tx_hash: hex_of(log.tx_hash),
        log_index: i64::try_from(log.log_index).unwrap_or(i64::MAX),
        amount_units,
        block_number: log.block_number,
        block_hash: hex_of(log.block_hash),
        from: log.from.to_checksum(None),
        confirmations: confirmations(log.block_number, view.head),
        counts: counts(&d.settings.policy, amount_units, log.block_number, view),
    })
}

fn tracked_fact(t: &TrackedDeposit, view: ChainView) -> DepositFact {
    DepositFact {
        tx_hash: t.tx_hash.clone(),
        log_index: t.log_index,
        amount_units: t.amount_units,
        block_number: t.block_number,
        block_hash: t.block_hash.clone(),
        from: t.from.clone(),
        confirmations: confirmations(t.block_number, view.head),
        counts: true,
    }
}

/// `0x` and 64 lower-case hex digits, as deposits store hashes.
fn hex_of(hash: B256) -> String {
    format!("{hash:#x}")
}
