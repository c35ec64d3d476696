//! The outbox backlog as figures: how many deliveries are pending and how
//! long the oldest has waited, published by the sender's scans and by
//! `/metrics` at scrape time.

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
