//! `WebhookSender`: delivers the outbox. At-least-once; receivers dedupe by
//! `event_id`.
//!
//! A scan reads due events (persisted `next_attempt_at`, read against the
//! injected clock) in per-session order and starts each delivery, at most
//! `per_endpoint` at a time per endpoint, so one slow or dead receiver never
//! holds up another's. A new outbox row wakes the sender at once; a periodic
//! tick catches retries that come due and rows written by other processes.
//! Every attempt is recorded before the event moves on, so a restart (even
//! `kill -9`) resumes exactly where the database says.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::prelude::*;
use rand::Rng;

use crate::clock::{SharedClock, format_rfc3339};
use crate::domain::retry::{self, Next};
use crate::store::Store;
use crate::store::webhooks::{AfterAttempt, MerchantHook, NewAttempt, OutboxRow};

type HookCache = quick_cache::sync::Cache<i64, (Instant, Arc<MerchantHook>)>;
use crate::webhooks::delivery::{Deliverer, body_with_sent_at};

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
/// How long a merchant's endpoint and secrets are reused without a read.
const HOOK_TTL: Duration = Duration::from_secs(1);

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
    /// Attempts made and not yet recorded, and whether a record commit runs.
    to_record: Vec<Made>,
    recording: bool,
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
            to_record: Vec::new(),
            recording: false,
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
                metrics::gauge!("kassa_webhook_queue_depth").set(depth as f64);
                let age = oldest
                    .map(|o| (now_ms - o).max(0) as f64 / 1000.0)
                    .unwrap_or(0.0);
                metrics::gauge!("kassa_webhook_oldest_pending_age_seconds").set(age);
            }
            store.due_webhooks(now_ms, SCAN_LIMIT).await
        };
        ctx.spawn(work.into_actor(self).map(|due, act, ctx| {
            match due {
                Ok(rows) => {
                    let stale = std::mem::take(&mut act.finished_during_scan);
                    rows.into_iter()
                        .filter(|row| !stale.contains(&row.id))
                        .for_each(|row| act.start(row, ctx));
                }
                Err(e) => tracing::warn!(error = %e, "webhook scan failed; will retry"),
            }
            act.scanning = false;
            if std::mem::take(&mut act.scan_again) {
                act.scan(ctx);
            }
        }));
    }

    /// Starts one delivery unless it is running or its endpoint is at its cap.
    fn start(&mut self, row: OutboxRow, ctx: &mut Context<Self>) {
        if self.in_flight.contains(&row.id) {
            return;
        }
        let endpoint = row
            .target_url
            .clone()
            .unwrap_or_else(|| format!("merchant:{}", row.merchant_id));
        let load = self.endpoint_load.entry(endpoint.clone()).or_default();
        if *load >= self.settings.per_endpoint {
            return;
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
            match made {
                Some(made) => {
                    act.to_record.push(made);
                    act.record(ctx);
                }
                None => act.finish(row_id, ctx),
            }
            if let Some(load) = act.endpoint_load.get_mut(&endpoint) {
                *load = load.saturating_sub(1);
                if *load == 0 {
                    act.endpoint_load.remove(&endpoint);
                }
            }
            act.schedule_rescan(ctx);
        }));
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

    /// Records finished attempts, all that are waiting in one transaction
    /// (group commit); the events stay in flight until their record commits.
    fn record(&mut self, ctx: &mut Context<Self>) {
        if self.recording || self.to_record.is_empty() {
            return;
        }
        self.recording = true;
        let batch = std::mem::take(&mut self.to_record);
        let store = self.store.clone();
        let work = async move {
            let result = store.record_attempts(&batch).await;
            (result, batch)
        };
        ctx.spawn(work.into_actor(self).map(|(result, batch), act, ctx| {
            if let Err(e) = result {
                tracing::warn!(error = %e, count = batch.len(), "could not record webhook attempts; they will be retried");
            }
            for (event, _, _) in &batch {
                act.finish(event.id, ctx);
            }
            act.recording = false;
            act.record(ctx);
        }));
    }
}

impl Actor for WebhookSender {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        self.scan(ctx);
        ctx.run_interval(self.settings.tick, |act, ctx| act.scan(ctx));
    }
}

impl Handler<Wake> for WebhookSender {
    type Result = ();

    fn handle(&mut self, _: Wake, ctx: &mut Context<Self>) {
        self.scan(ctx);
    }
}

/// An attempt made, waiting to be recorded (with others, in one commit).
type Made = (OutboxRow, NewAttempt, AfterAttempt);

/// One attempt of one event; returns what to record (nothing when the event
/// was skipped or its endpoint could not be read).
async fn deliver(
    store: &Store,
    clock: &SharedClock,
    deliverer: &Deliverer,
    hooks: &HookCache,
    event: OutboxRow,
) -> Option<Made> {
    let now_ms = clock.now_ms();
    let cached = hooks
        .get(&event.merchant_id)
        .filter(|(at, _)| at.elapsed() < HOOK_TTL);
    let hook = match cached {
        Some((_, hook)) => hook,
        None => match store.merchant_hook(event.merchant_id, now_ms).await {
            Ok(Some(hook)) => {
                let hook = Arc::new(hook);
                hooks.insert(event.merchant_id, (Instant::now(), hook.clone()));
                hook
            }
            Ok(None) => {
                skip(store, &event, "the merchant no longer exists").await;
                return None;
            }
            Err(e) => {
                tracing::warn!(error = %e, "webhook endpoint lookup failed; will retry");
                return None;
            }
        },
    };
    let Some(url) = event.target_url.clone().or(hook.url.clone()) else {
        skip(store, &event, "no webhook URL is configured").await;
        return None;
    };
    if event.status != "test"
        && hook
            .statuses
            .as_ref()
            .is_some_and(|s| !s.contains(&event.status))
    {
        skip(
            store,
            &event,
            "the merchant does not subscribe to this status",
        )
        .await;
        return None;
    }
    if hook.secrets.is_empty() {
        skip(store, &event, "the merchant has no webhook secret").await;
        return None;
    }
    let body = body_with_sent_at(&event.payload, &format_rfc3339(now_ms));
    let secrets: Vec<&str> = hook.secrets.iter().map(String::as_str).collect();
    let outcome = deliverer
        .send(&url, &event.event_id, now_ms / 1000, &body, &secrets)
        .await;
    metrics::counter!("kassa_webhook_attempts_total", "outcome" => outcome.label()).increment(1);
    metrics::histogram!("kassa_webhook_delivery_latency_seconds")
        .record(outcome.latency.as_secs_f64());
    let done_ms = clock.now_ms();
    let after = if outcome.succeeded() {
        AfterAttempt::Delivered
    } else if outcome.gone() && event.target_url.is_none() {
        hooks.remove(&event.merchant_id);
        if let Err(e) = store.disable_webhook_endpoint(event.merchant_id).await {
            tracing::warn!(error = %e, "could not disable a gone webhook endpoint");
        }
        tracing::warn!(
            merchant_id = event.merchant_id,
            "webhook endpoint answered 410 Gone; disabled until re-enabled"
        );
        AfterAttempt::RetryAt(done_ms)
    } else if outcome.gone() {
        AfterAttempt::Dead
    } else {
        let jitter: f64 = rand::rng().random();
        match retry::after_failure(event.attempts + 1, done_ms, jitter, outcome.retry_after) {
            Next::RetryAt(at) => AfterAttempt::RetryAt(at),
            Next::Dead => AfterAttempt::Dead,
        }
    };
    let attempt = NewAttempt {
        url: redact_query(&url),
        started_at_ms: now_ms,
        http_status: outcome.http_status,
        latency_ms: i64::try_from(outcome.latency.as_millis()).unwrap_or(i64::MAX),
        error: outcome.error.clone(),
        snippet: outcome.snippet.clone(),
    };
    if after == AfterAttempt::Dead {
        tracing::warn!(event_id = %event.event_id, "webhook delivery gave up: dead letter");
    }
    Some((event, attempt, after))
}

async fn skip(store: &Store, event: &OutboxRow, reason: &str) {
    if let Err(e) = store.skip_webhook(event.id, reason).await {
        tracing::warn!(error = %e, "could not mark a webhook skipped");
    }
}

/// A URL for the attempt log without its query string (it may carry tokens).
fn redact_query(url: &str) -> String {
    match url.split_once('?') {
        Some((base, _)) => format!("{base}?…"),
        None => url.to_string(),
    }
}
