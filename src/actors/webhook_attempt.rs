//! One webhook attempt as the sender makes it: the merchant's endpoint and
//! secrets (briefly cached), the subscription and secret checks, the signed
//! POST, and where the event stands afterwards (delivered, retry at, dead).

use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::Rng;

use crate::clock::{SharedClock, format_rfc3339};
use crate::domain::retry::{self, Next};
use crate::store::Store;
use crate::store::webhooks::{AfterAttempt, MerchantHook, NewAttempt, OutboxRow, Skip};
use crate::webhooks::delivery::{Deliverer, body_with_sent_at, redact_query};

/// Merchant endpoints and secrets by merchant id, with when they were read.
pub(crate) type HookCache = quick_cache::sync::Cache<i64, (Instant, Arc<MerchantHook>)>;

/// How long a merchant's endpoint and secrets are reused without a read.
const HOOK_TTL: Duration = Duration::from_secs(1);

/// An attempt made, waiting to be recorded (with others, in one commit).
pub(crate) type Made = (OutboxRow, NewAttempt, AfterAttempt);

/// What came of picking an event up.
pub(crate) enum Outcome {
    Made(Box<Made>),
    /// Will not be sent: marked `skipped` with the attempts of the same commit.
    Skipped(Skip),
    /// Nothing to record (its endpoint could not be read): its claim is
    /// given back and it is tried again later.
    Nothing,
}

/// One attempt of one event; returns what to record: the attempt, the
/// reason it is skipped, or nothing when its endpoint could not be read.
pub(crate) async fn deliver(
    store: &Store,
    clock: &SharedClock,
    deliverer: &Deliverer,
    hooks: &HookCache,
    event: OutboxRow,
) -> Outcome {
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
            Ok(None) => return Outcome::Skipped(Skip::of(&event, "the merchant no longer exists")),
            Err(e) => {
                tracing::warn!(error = %e, "webhook endpoint lookup failed; will retry");
                return Outcome::Nothing;
            }
        },
    };
    let Some(url) = event.target_url.clone().or(hook.url.clone()) else {
        return Outcome::Skipped(Skip::of(&event, "no webhook URL is configured"));
    };
    // The status choice is about session events; merchant-level events
    // (session 0: a test, a payout wallet change) always go out.
    if event.session_id != 0
        && hook
            .statuses
            .as_ref()
            .is_some_and(|s| !s.contains(&event.status))
    {
        return Outcome::Skipped(Skip::of(
            &event,
            "the merchant does not subscribe to this status",
        ));
    }
    if hook.secrets.is_empty() {
        return Outcome::Skipped(Skip::of(&event, "the merchant has no webhook secret"));
    }
    let body = body_with_sent_at(&event.payload, &format_rfc3339(now_ms));
    let secrets: Vec<&str> = hook.secrets.iter().map(String::as_str).collect();
    let outcome = deliverer
        .send(&url, &event.event_id, now_ms / 1000, &body, &secrets)
        .await;
    crate::fault::point("webhook_delivering").await;
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
    Outcome::Made(Box::new((event, attempt, after)))
}
