//! `WebhookSender`: delivers the outbox. At-least-once; receivers dedupe by
//! `event_id`.
//!
//! A scan reads due events (persisted `next_attempt_at`, read against the
//! injected clock) in per-session order and starts each delivery, at most
//! `per_endpoint` at a time per endpoint, so one slow or dead receiver never
//! holds up another's. Rows a scan read that found their endpoint full wait
//! in memory for a slot (briefly: the next scan replaces them), so a backlog
//! is read about once rather than once per completion. A new outbox row
//! wakes the sender at once; a periodic tick catches retries that come due
//! and rows written by other processes.
//! Every attempt is recorded before the event moves on, so a restart (even
//! `kill -9`) resumes exactly where the database says.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::prelude::*;

use super::supervision::{self, ActorKind, Handling};
use super::webhook_attempt::{HookCache, Made, Outcome, Skipped, deliver};
use crate::clock::SharedClock;
use crate::store::Store;
use crate::store::webhooks::OutboxRow;
use crate::webhooks::delivery::Deliverer;

/// Something was written to the outbox: look now.
#[derive(Message, Debug, Clone, Copy)]
#[rtype(result = "()")]
pub struct Wake;

/// How the sender behaves (from configuration).
#[derive(Debug, Clone)]
pub struct SenderSettings {
    pub per_endpoint: usize,
    pub tick: Duration,
}

const SCAN_LIMIT: u64 = 500;
/// Completions within this window share one rescan.
const RESCAN_DELAY: Duration = Duration::from_millis(5);
/// While due rows from the last scan still wait for a slot, completions
/// start those instead of rescanning, at most this long after the scan.
const WAITING_TTL: Duration = Duration::from_millis(50);
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
    /// Deliveries that finished while the current scan was reading: its rows
    /// for them are stale (they would repeat the attempt just recorded).
    finished_during_scan: HashSet<i64>,
    /// A rescan is already scheduled (completions are coalesced into one).
    rescan_scheduled: bool,
    /// Due rows the last scan read that found their endpoint at its cap, in
    /// scan order, and when that scan started. Each scan replaces them.
    waiting: VecDeque<OutboxRow>,
    waiting_since: Instant,
    /// Attempts made and events skipped, not yet recorded, and how many
    /// record commits run.
    to_record: Vec<Made>,
    to_skip: Vec<Skipped>,
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
            finished_during_scan: HashSet::new(),
            rescan_scheduled: false,
            waiting: VecDeque::new(),
            waiting_since: Instant::now(),
            to_record: Vec::new(),
            to_skip: Vec::new(),
            recording: 0,
            metrics_at: None,
            hooks: Arc::new(HookCache::new(10_000)),
        }
    }

    fn scan(&mut self, ctx: &mut Context<Self>) {
        if self.scanning {
            self.scan_again = true;
            return;
        }
        self.scanning = true;
        self.finished_during_scan.clear();
        let scan_started = Instant::now();
        let store = self.store.clone();
        let now_ms = self.clock.now_ms();
        let refresh_metrics = self
            .metrics_at
            .is_none_or(|at| at.elapsed() >= Duration::from_secs(1));
        if refresh_metrics {
            self.metrics_at = Some(Instant::now());
        }
        let work = async move {
            if refresh_metrics && let Ok((depth, oldest)) = store.webhook_queue().await {
                publish_queue(depth, oldest, now_ms);
            }
            store.due_webhooks(now_ms, SCAN_LIMIT).await
        };
        ctx.spawn(work.into_actor(self).map(move |due, act, ctx| {
            match due {
                Ok(rows) => {
                    let stale = std::mem::take(&mut act.finished_during_scan);
                    act.waiting.clear();
                    act.waiting_since = scan_started;
                    for row in rows.into_iter().filter(|row| !stale.contains(&row.id)) {
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

    /// Starts one delivery unless it is running (dropped) or its endpoint is
    /// at its cap (the row is handed back, to wait for a slot).
    fn start(&mut self, row: OutboxRow, ctx: &mut Context<Self>) -> Option<OutboxRow> {
        if self.in_flight.contains(&row.id) {
            return None;
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
                // The endpoint is gone: nothing more goes to it from this scan.
                act.waiting.retain(|row| endpoint_of(row) != endpoint);
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
                Outcome::Nothing => act.finish(row_id, ctx),
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

    /// A slot came free: starts rows the last scan left waiting, while that
    /// scan is recent; rescans when none are left (or they are too old).
    fn start_waiting(&mut self, ctx: &mut Context<Self>) {
        if self.waiting_since.elapsed() < WAITING_TTL {
            let mut still = VecDeque::with_capacity(self.waiting.len());
            while let Some(row) = self.waiting.pop_front() {
                if let Some(row) = self.start(row, ctx) {
                    still.push_back(row);
                }
            }
            self.waiting = still;
            if !self.waiting.is_empty() {
                return;
            }
        } else {
            self.waiting.clear();
        }
        self.schedule_rescan(ctx);
    }

    /// A delivery is over (its attempt recorded, or nothing to record).
    fn finish(&mut self, row_id: i64, ctx: &mut Context<Self>) {
        self.in_flight.remove(&row_id);
        if self.scanning {
            self.finished_during_scan.insert(row_id);
        }
        self.schedule_rescan(ctx);
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
            if let Err(e) = result {
                tracing::warn!(error = %e, count = batch.len() + skips.len(), "could not record webhook attempts; they will be retried");
            }
            let ids = batch.iter().map(|(event, _, _)| event.id);
            for id in ids.chain(skips.iter().map(|(id, _)| *id)) {
                act.finish(id, ctx);
            }
            act.recording -= 1;
            act.record(ctx);
        }));
    }
}

impl Actor for WebhookSender {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        supervision::hold(ActorKind::WebhookSender, ctx);
        self.scan(ctx);
        ctx.run_interval(self.settings.tick, |act, ctx| act.scan(ctx));
    }
}

impl Handler<Wake> for WebhookSender {
    type Result = ();

    fn handle(&mut self, _: Wake, ctx: &mut Context<Self>) {
        supervision::taken(ActorKind::WebhookSender);
        let _handling = Handling::begin(ActorKind::WebhookSender);
        self.scan(ctx);
    }
}

/// Publishes the outbox's pending deliveries and the age of the oldest
/// (created at `oldest`, in ms) as of `now_ms` (the sender's scans, and
/// `/metrics` at scrape time, so a stalled sender still shows its backlog).
pub fn publish_queue(depth: u64, oldest: Option<i64>, now_ms: i64) {
    publish_backlog(depth, pending_age_seconds(oldest, now_ms));
}

/// Publishes `depth` pending deliveries, the oldest waiting `age` seconds.
pub fn publish_backlog(depth: u64, age: f64) {
    metrics::gauge!("kassa_webhook_queue_depth").set(depth as f64);
    metrics::gauge!("kassa_webhook_oldest_pending_age_seconds").set(age);
}

/// How long the oldest pending delivery (created at `oldest`, in ms) has
/// waited as of `now_ms`, in seconds; 0 with none pending.
pub fn pending_age_seconds(oldest: Option<i64>, now_ms: i64) -> f64 {
    oldest
        .map(|o| (now_ms - o).max(0) as f64 / 1000.0)
        .unwrap_or(0.0)
}

/// Deliveries to one endpoint share its concurrency cap.
fn endpoint_of(row: &OutboxRow) -> String {
    row.target_url
        .clone()
        .unwrap_or_else(|| format!("merchant:{}", row.merchant_id))
}
