//! `WebhookSender`: delivers the outbox. At-least-once; receivers dedupe by
//! `event_id`.
//!
//! A scan claims due events (persisted `next_attempt_at`, read against the
//! injected clock) for this node with one statement
//! ([`Store::claim_webhooks`]): in per-session order, and at most
//! `per_endpoint` live claims per endpoint across every node sharing the
//! database, so one slow or dead receiver never holds up another's. The
//! claim lasts [`claim_lease`] (the webhook timeout plus
//! [`CLAIM_MARGIN`]); recording the attempt clears it, and a node that dies
//! mid-delivery leaves its claims to lapse, after which another node (or
//! this one, restarted) delivers those events again. A new outbox row wakes
//! the sender at once; a periodic tick catches retries that come due, rows
//! written by other processes and lapsed claims.
//! Every attempt is recorded before the event moves on, so a restart (even
//! `kill -9`) resumes exactly where the database says.
//!
//! Correctness across nodes comes from the database alone; the in-memory
//! `in_flight` and `endpoint_load` are this node's bookkeeping (and a guard
//! should a claim ever come back twice).

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::prelude::*;

use super::webhook_attempt::{HookCache, Made, Outcome, deliver};
use crate::clock::SharedClock;
use crate::store::Store;
use crate::store::webhook_claims::ClaimTerms;
use crate::store::webhooks::{OutboxRow, Skip};
use crate::webhooks::delivery::Deliverer;

mod lifecycle;
mod queue_metrics;

pub use queue_metrics::{pending_age_seconds, publish_backlog, publish_queue};

/// Something was written to the outbox: look now.
#[derive(Message, Debug, Clone, Copy)]
#[rtype(result = "()")]
pub struct Wake;

/// The node is shutting down: claim nothing more, give back this node's
/// claims (deliveries still running are cut short with the process, and
/// are then another node's to send at once), and stop. Answers once the
/// claims are given back (or giving them back failed: they lapse).
#[derive(Message, Debug, Clone, Copy)]
#[rtype(result = "()")]
pub struct StopSending;

/// How the sender behaves (from configuration).
#[derive(Debug, Clone)]
pub struct SenderSettings {
    /// Deliveries at once per endpoint, across every node.
    pub per_endpoint: usize,
    pub tick: Duration,
    /// This node's name in `claimed_by`: unique among the live nodes.
    pub node: String,
    /// How long a claim holds ([`claim_lease`]).
    pub lease: Duration,
}

/// How much longer than the webhook timeout a claim holds: room for the
/// endpoint lookup, the record's commit and a busy database, so a live
/// node's claim never lapses mid-delivery.
pub const CLAIM_MARGIN: Duration = Duration::from_secs(30);

/// The claim lease for deliveries that time out after `webhook_timeout`.
pub fn claim_lease(webhook_timeout: Duration) -> Duration {
    webhook_timeout.saturating_add(CLAIM_MARGIN)
}

const SCAN_LIMIT: u64 = 500;
/// Completions within this window share one rescan.
const RESCAN_DELAY: Duration = Duration::from_millis(5);
/// Record transactions in progress at once (SQLite's write lane still
/// serialises them; PostgreSQL overlaps their commits).
const RECORDS_AT_ONCE: usize = 2;

pub struct WebhookSender {
    store: Store,
    clock: SharedClock,
    deliverer: Deliverer,
    settings: SenderSettings,
    in_flight: HashSet<i64>,
    endpoint_load: HashMap<String, usize>,
    scanning: bool,
    scan_again: bool,
    /// Shutting down ([`StopSending`]): no more claims.
    stopping: bool,
    /// A rescan is already scheduled (completions are coalesced into one).
    rescan_scheduled: bool,
    /// Claimed rows that found their endpoint at this node's cap, in claim
    /// order. Claims count every node's deliveries, so this stays empty
    /// unless the nodes' caps differ; kept (not dropped) because they are
    /// ours until delivered or given back.
    waiting: VecDeque<OutboxRow>,
    /// Attempts made and events skipped, not yet recorded, and how many
    /// record commits run.
    to_record: Vec<Made>,
    to_skip: Vec<Skip>,
    recording: usize,
    metrics_at: Option<Instant>,
    /// Merchant endpoints and secrets, briefly cached (one read per merchant, not per delivery).
    hooks: Arc<HookCache>,
}

impl WebhookSender {
    pub fn new(
        store: Store,
        clock: SharedClock,
        deliverer: Deliverer,
        settings: SenderSettings,
    ) -> Self {
        Self {
            store,
            clock,
            deliverer,
            settings,
            in_flight: HashSet::new(),
            endpoint_load: HashMap::new(),
            scanning: false,
            scan_again: false,
            stopping: false,
            rescan_scheduled: false,
            waiting: VecDeque::new(),
            to_record: Vec::new(),
            to_skip: Vec::new(),
            recording: 0,
            metrics_at: None,
            hooks: Arc::new(HookCache::new(10_000)),
        }
    }

    fn scan(&mut self, ctx: &mut Context<Self>) {
        if self.stopping {
            return;
        }
        if self.scanning {
            self.scan_again = true;
            return;
        }
        self.scanning = true;
        let store = self.store.clone();
        let now_ms = self.clock.now_ms();
        let refresh_metrics = self
            .metrics_at
            .is_none_or(|at| at.elapsed() >= Duration::from_secs(1));
        if refresh_metrics {
            self.metrics_at = Some(Instant::now());
        }
        let node = self.settings.node.clone();
        let lease_ms = i64::try_from(self.settings.lease.as_millis()).unwrap_or(i64::MAX);
        let per_endpoint = self.settings.per_endpoint;
        let work = async move {
            if refresh_metrics && let Ok((depth, oldest)) = store.webhook_queue().await {
                publish_queue(depth, oldest, now_ms);
            }
            let terms = ClaimTerms {
                node: &node,
                now_ms,
                lease_ms,
                per_endpoint,
                limit: SCAN_LIMIT,
            };
            store.claim_webhooks(terms).await
        };
        ctx.spawn(work.into_actor(self).map(move |due, act, ctx| {
            match due {
                Ok(rows) => {
                    // A claim returns each row as it now is, so none is stale.
                    for row in rows {
                        if let Some(row) = act.start(row, ctx) {
                            act.waiting.push_back(row);
                        }
                    }
                }
                Err(e) => tracing::warn!(error = %e, "webhook scan failed; will retry"),
            }
            act.scanning = false;
            if std::mem::take(&mut act.scan_again) {
                act.scan(ctx);
            }
        }));
    }

    /// Starts one delivery unless its previous attempt is still being
    /// recorded (a retry due at once, claimed again before that record's
    /// reply arrived) or its endpoint is at this node's cap: the row is
    /// then handed back, to wait.
    fn start(&mut self, row: OutboxRow, ctx: &mut Context<Self>) -> Option<OutboxRow> {
        if self.in_flight.contains(&row.id) {
            return Some(row);
        }
        let endpoint = endpoint_of(&row);
        let load = self.endpoint_load.entry(endpoint.clone()).or_default();
        if *load >= self.settings.per_endpoint {
            return Some(row);
        }
        *load += 1;
        self.in_flight.insert(row.id);
        let row_id = row.id;
        let (store, clock, deliverer) = (
            self.store.clone(),
            self.clock.clone(),
            self.deliverer.clone(),
        );
        let hooks = self.hooks.clone();
        let work = async move { deliver(&store, &clock, &deliverer, &hooks, row).await };
        ctx.spawn(work.into_actor(self).map(move |made, act, ctx| {
            if let Outcome::Made(made) = &made
                && made.1.http_status == Some(410)
            {
                // The endpoint is gone: what waits for it is given back.
                let (gone, kept): (VecDeque<OutboxRow>, VecDeque<OutboxRow>) =
                    std::mem::take(&mut act.waiting)
                        .into_iter()
                        .partition(|row| endpoint_of(row) == endpoint);
                act.waiting = kept;
                act.release(gone.iter().map(|row| row.id).collect(), ctx);
            }
            match made {
                Outcome::Made(made) => {
                    act.to_record.push(*made);
                    act.record(ctx);
                }
                Outcome::Skipped(skipped) => {
                    act.to_skip.push(skipped);
                    act.record(ctx);
                }
                Outcome::Nothing => act.release(vec![row_id], ctx),
            }
            if let Some(load) = act.endpoint_load.get_mut(&endpoint) {
                *load = load.saturating_sub(1);
                if *load == 0 {
                    act.endpoint_load.remove(&endpoint);
                }
            }
            act.start_waiting(ctx);
        }));
        None
    }

    /// A slot came free or a delivery ended: starts claimed rows that wait,
    /// and rescans (the slot may take a newly claimable row).
    fn start_waiting(&mut self, ctx: &mut Context<Self>) {
        if self.stopping {
            return;
        }
        let mut still = VecDeque::with_capacity(self.waiting.len());
        while let Some(row) = self.waiting.pop_front() {
            if let Some(row) = self.start(row, ctx) {
                still.push_back(row);
            }
        }
        self.waiting = still;
        self.schedule_rescan(ctx);
    }

    /// Gives back this node's claims on `ids` (not delivered after all), so
    /// they are claimable again at once rather than when the lease lapses;
    /// should that fail, the lease lapsing does the same, later.
    fn release(&mut self, ids: Vec<i64>, ctx: &mut Context<Self>) {
        if ids.is_empty() {
            return;
        }
        let store = self.store.clone();
        let node = self.settings.node.clone();
        let work = async move {
            let result = store.release_webhook_claims(&node, &ids).await;
            (result, ids)
        };
        ctx.spawn(work.into_actor(self).map(|(result, ids), act, ctx| {
            if let Err(e) = result {
                tracing::warn!(error = %e, count = ids.len(), "could not give back webhook claims; they lapse with their lease");
            }
            for id in ids {
                act.finish(id, ctx);
            }
        }));
    }

    /// A delivery is over (its attempt recorded, or nothing to record).
    fn finish(&mut self, row_id: i64, ctx: &mut Context<Self>) {
        self.in_flight.remove(&row_id);
        self.start_waiting(ctx);
    }

    /// A finished delivery may free an endpoint slot or unblock the session's
    /// next event; completions close together share one rescan.
    fn schedule_rescan(&mut self, ctx: &mut Context<Self>) {
        if !self.rescan_scheduled {
            self.rescan_scheduled = true;
            ctx.run_later(RESCAN_DELAY, |act, ctx| {
                act.rescan_scheduled = false;
                act.scan(ctx);
            });
        }
    }

    /// Records finished attempts and skipped events, all that are waiting in
    /// one transaction (group commit); the events stay in flight until their
    /// record commits.
    /// Up to [`RECORDS_AT_ONCE`] batches commit concurrently (disjoint rows),
    /// so attempts keep being recorded while one commit waits on its fsync.
    fn record(&mut self, ctx: &mut Context<Self>) {
        if self.recording >= RECORDS_AT_ONCE
            || (self.to_record.is_empty() && self.to_skip.is_empty())
        {
            return;
        }
        self.recording += 1;
        let batch = std::mem::take(&mut self.to_record);
        let skips = std::mem::take(&mut self.to_skip);
        let store = self.store.clone();
        let work = async move {
            let result = store.record_attempts(&batch, &skips).await;
            (result, batch, skips)
        };
        ctx.spawn(work.into_actor(self).map(|(result, batch, skips), act, ctx| {
            let ids = batch.iter().map(|(event, _, _)| event.id);
            let ids: Vec<i64> = ids.chain(skips.iter().map(|skip| skip.row_id)).collect();
            match result {
                Ok(recorded) if !recorded.refused.is_empty() => {
                    // Our lease lapsed and another node took these over:
                    // its state stands, ours is dropped (at-least-once).
                    tracing::warn!(
                        node = %act.settings.node,
                        count = recorded.refused.len(),
                        rows = ?recorded.refused,
                        "webhook attempts not recorded: another node holds their claim now"
                    );
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, count = ids.len(), "could not record webhook attempts; they will be retried");
                    // Claimable again at once if the database is back (else
                    // when the claims lapse), as the attempt was never recorded.
                    act.release(ids, ctx);
                    act.recording -= 1;
                    act.record(ctx);
                    return;
                }
            }
            for id in ids {
                act.finish(id, ctx);
            }
            act.recording -= 1;
            act.record(ctx);
        }));
    }
}

/// Deliveries to one endpoint share its concurrency cap.
fn endpoint_of(row: &OutboxRow) -> String {
    row.target_url
        .clone()
        .unwrap_or_else(|| format!("merchant:{}", row.merchant_id))
}
