//! A merchant's webhook settings and log, as the dashboard (and the admin
//! console) will offer them: choose the statuses to deliver, rotate the
//! secret (shown once), send a test event now and see what the endpoint
//! answered, read the delivery log page by page, and resend one event.
//!
//! Every function takes the merchant id of the account acting and touches
//! only that merchant's rows: another merchant's event is
//! [`MerchantError::EventNotFound`], never a hint that it exists. The test
//! sent now is delivered here, through the same signed, SSRF-checked client
//! and the same attempt log as the sender's deliveries, but tried once: a
//! failure is recorded as a dead letter (resend it from the log), not
//! retried behind the person's back. Secrets are never logged.

use std::time::Duration;

use rand::Rng;

use super::{MerchantChanges, MerchantError, WebhookTargets, find, update};
use crate::clock::format_rfc3339;
use crate::store::Store;
use crate::store::webhooks::{AfterAttempt, NewAttempt};
use crate::webhooks::delivery::{AttemptOutcome, Deliverer, body_with_sent_at, redact_query};
use crate::webhooks::payload;

/// The longest a test sent now may take before it counts as timed out.
pub const TEST_TIMEOUT: Duration = Duration::from_secs(5);
/// When the sender would deliver a test sent now whose attempt was never
/// recorded (the process died in between): this long after it was made.
const TEST_FALLBACK_MS: i64 = 10 * 60 * 1000;
/// Log entries per page at most.
pub const MAX_PAGE: u64 = 100;

/// A new webhook secret, to show once.
#[derive(Debug)]
pub struct RotatedSecret {
    pub secret: String,
    /// The previous secret still signs (Standard Webhooks header) until then.
    pub previous_valid_until_ms: i64,
}

/// What the endpoint did with a test sent now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestDelivery {
    pub event_id: String,
    /// Where it went (without a query string).
    pub url: String,
    pub delivered: bool,
    pub http_status: Option<u16>,
    pub latency_ms: i64,
    /// Why it failed without an answer (timeout, refused target, …).
    pub error: Option<String>,
}

/// One event in the delivery log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    pub event_id: String,
    /// 0 for merchant-level events (a test, a payout wallet change).
    pub session_id: i64,
    pub status: String,
    /// `pending`, `delivered`, `dead` or `skipped`.
    pub state: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub last_http_status: Option<i32>,
    pub created_at_ms: i64,
    pub delivered_at_ms: Option<i64>,
    /// When the next attempt is due (pending events).
    pub next_attempt_at_ms: i64,
}

/// A page of the log, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogPage {
    pub entries: Vec<LogEntry>,
    /// Pass as `before` for the next (older) page; `None` on the last one.
    pub next_before: Option<i64>,
}

/// Sets the statuses delivered (`paid,expired`, or `all`); returns them as
/// stored (empty: all). Merchant-level events are always delivered.
pub async fn set_webhook_statuses(
    store: &Store,
    id: i64,
    raw: &str,
    targets: WebhookTargets,
    now_ms: i64,
) -> Result<Vec<String>, MerchantError> {
    let statuses = super::fields::webhook_statuses(raw)?;
    let changes = MerchantChanges {
        webhook_statuses: Some(raw.to_string()),
        ..MerchantChanges::default()
    };
    update(store, id, changes, targets, now_ms).await?;
    Ok(statuses)
}

/// Where a merchant's webhooks go and which statuses are delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookSettings {
    pub url: Option<String>,
    /// Empty: every status.
    pub statuses: Vec<String>,
    /// Whether a secret is set (it is never shown again).
    pub has_secret: bool,
}

/// The merchant's webhook settings as stored.
pub async fn webhook_settings(
    store: &Store,
    id: i64,
    now_ms: i64,
) -> Result<WebhookSettings, MerchantError> {
    let hook = store
        .merchant_hook(id, now_ms)
        .await?
        .ok_or(MerchantError::NotFound(id))?;
    Ok(WebhookSettings {
        url: hook.url.clone(),
        statuses: hook.statuses.clone().unwrap_or_default(),
        has_secret: !hook.secrets.is_empty(),
    })
}

/// Sets the endpoint URL (SSRF-checked against `targets`; empty clears it)
/// and the statuses delivered (`paid,expired`, or `all`) in one change.
pub async fn set_webhook_endpoint(
    store: &Store,
    id: i64,
    url: &str,
    statuses: &str,
    targets: WebhookTargets,
    now_ms: i64,
) -> Result<(), MerchantError> {
    let changes = MerchantChanges {
        webhook_url: Some(url.trim().to_string()),
        webhook_statuses: Some(statuses.to_string()),
        ..MerchantChanges::default()
    };
    update(store, id, changes, targets, now_ms).await?;
    Ok(())
}

/// Issues a new webhook secret; the old one keeps signing the Standard
/// Webhooks header for `window` (0: it stops at once).
pub async fn rotate_webhook_secret(
    store: &Store,
    id: i64,
    window: Duration,
    targets: WebhookTargets,
    now_ms: i64,
) -> Result<RotatedSecret, MerchantError> {
    let changes = MerchantChanges {
        rotate_webhook_secret: Some(window),
        ..MerchantChanges::default()
    };
    let updated = update(store, id, changes, targets, now_ms).await?;
    let secret = updated
        .webhook_secret
        .ok_or_else(|| MerchantError::NotFound(id))?;
    let window_ms = i64::try_from(window.as_millis()).unwrap_or(i64::MAX);
    Ok(RotatedSecret {
        secret,
        previous_valid_until_ms: now_ms.saturating_add(window_ms),
    })
}

/// Sends a test event (`status: test`, session 0) to the merchant's
/// endpoint now, waits at most `timeout` (capped at [`TEST_TIMEOUT`]) and
/// records the attempt; [`MerchantError::NoWebhookEndpoint`] without a URL
/// or a secret.
pub async fn send_test_webhook_now(
    store: &Store,
    deliverer: &Deliverer,
    id: i64,
    timeout: Duration,
    now_ms: i64,
) -> Result<TestDelivery, MerchantError> {
    find(store, id).await?;
    let hook = store
        .merchant_hook(id, now_ms)
        .await?
        .ok_or(MerchantError::NotFound(id))?;
    let Some(url) = hook.url.clone().filter(|_| !hook.secrets.is_empty()) else {
        return Err(MerchantError::NoWebhookEndpoint(id));
    };
    let event_id = format!("evt_test_{id}_{:016x}", rand::rng().random::<u64>());
    let body = payload::build_test(id, &event_id, now_ms);
    let mut row = store
        .insert_test_webhook_held(
            id,
            &event_id,
            body.to_string(),
            now_ms,
            now_ms.saturating_add(TEST_FALLBACK_MS),
        )
        .await?;
    let sent = body_with_sent_at(&row.payload, &format_rfc3339(now_ms));
    let secrets: Vec<&str> = hook.secrets.iter().map(String::as_str).collect();
    let started = std::time::Instant::now();
    let timeout = timeout.min(TEST_TIMEOUT);
    let outcome = tokio::time::timeout(
        timeout,
        deliverer.send(&url, &event_id, now_ms / 1000, &sent, &secrets),
    )
    .await;
    let outcome = outcome.unwrap_or_else(|_| AttemptOutcome {
        http_status: None,
        latency: started.elapsed(),
        error: Some(format!("timed out after {} ms", timeout.as_millis())),
        snippet: None,
        retry_after: None,
    });
    metrics::counter!("kassa_webhook_attempts_total", "outcome" => outcome.label()).increment(1);
    metrics::histogram!("kassa_webhook_delivery_latency_seconds")
        .record(outcome.latency.as_secs_f64());
    let delivered = outcome.succeeded();
    let latency_ms = i64::try_from(outcome.latency.as_millis()).unwrap_or(i64::MAX);
    let http_status = outcome.http_status;
    let error = outcome.error.clone();
    let attempt = NewAttempt {
        url: redact_query(&url),
        started_at_ms: now_ms,
        http_status,
        latency_ms,
        error: outcome.error,
        snippet: outcome.snippet,
    };
    let after = if delivered {
        AfterAttempt::Delivered
    } else {
        AfterAttempt::Dead
    };
    // Recorded as made now, not at the fallback time the row was held for.
    row.next_attempt_at = now_ms;
    store
        .record_attempts(&[(row, attempt.clone(), after)], &[])
        .await?;
    Ok(TestDelivery {
        event_id,
        url: attempt.url,
        delivered,
        http_status,
        latency_ms,
        error,
    })
}

/// A page of the merchant's delivery log, newest first: at most `limit`
/// (1 to [`MAX_PAGE`]) events older than `before` (a `next_before`).
pub async fn webhook_log(
    store: &Store,
    id: i64,
    before: Option<i64>,
    limit: u64,
) -> Result<LogPage, MerchantError> {
    find(store, id).await?;
    let limit = limit.clamp(1, MAX_PAGE);
    let rows = store.merchant_webhook_log(id, before, limit).await?;
    let next_before = (rows.len() as u64 == limit)
        .then(|| rows.last().map(|(e, _)| e.id))
        .flatten();
    let entries = rows
        .into_iter()
        .map(|(e, last)| LogEntry {
            event_id: e.event_id,
            session_id: e.session_id,
            status: e.status,
            state: e.state,
            attempts: e.attempts,
            last_error: e.last_error,
            last_http_status: last.and_then(|a| a.http_status),
            created_at_ms: e.created_at,
            delivered_at_ms: e.delivered_at,
            next_attempt_at_ms: e.next_attempt_at,
        })
        .collect();
    Ok(LogPage {
        entries,
        next_before,
    })
}

/// Queues the merchant's event `event_id` again now (its attempts start
/// over); [`MerchantError::EventNotFound`] when it is not this merchant's.
pub async fn resend_webhook(
    store: &Store,
    id: i64,
    event_id: &str,
    now_ms: i64,
) -> Result<(), MerchantError> {
    if store.resend_merchant_webhook(id, event_id, now_ms).await? {
        Ok(())
    } else {
        Err(MerchantError::EventNotFound(event_id.to_string()))
    }
}
