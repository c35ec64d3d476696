//! The injected clock: every business time (expiry, grace, schedules) is read
//! here, never from `SystemTime` directly, so tests can move time forward.
//!
//! It must not be used for timeouts that guard I/O (those are real time).

use std::fmt::Debug;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Utc};

/// A source of the current time.
pub trait Clock: Send + Sync + Debug {
    /// The current instant.
    fn now(&self) -> DateTime<Utc>;

    /// The current instant in unix milliseconds (how the store keeps times).
    fn now_ms(&self) -> i64 {
        self.now().timestamp_millis()
    }
}

/// Shared handle to the clock.
pub type SharedClock = Arc<dyn Clock>;

/// The wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// Wall time shifted by an adjustable offset: time keeps flowing, and tests
/// jump it forward with [`ManualClock::advance`].
#[derive(Debug, Default)]
pub struct ManualClock {
    offset_ms: AtomicI64,
}

impl ManualClock {
    /// A clock that starts at wall time.
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: std::time::Duration) {
        let ms = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        self.offset_ms.fetch_add(ms, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now() + chrono::Duration::milliseconds(self.offset_ms.load(Ordering::SeqCst))
    }
}

/// Formats a unix-millisecond time as the document's `YYYY-MM-DD HH:MM:SS` (UTC).
pub fn format_doc_time(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .unwrap_or_default()
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// Formats a unix-millisecond time as RFC 3339 with a `Z` suffix, seconds precision.
pub fn format_rfc3339(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_forward_by_what_it_is_told() {
        let clock = ManualClock::new();
        let before = clock.now_ms();
        clock.advance(std::time::Duration::from_secs(3600));
        assert!(clock.now_ms() - before >= 3_600_000);
    }

    #[test]
    fn document_time_has_no_t_and_no_zone() {
        assert_eq!(format_doc_time(1_772_022_896_000), "2026-02-25 12:34:56");
        assert_eq!(format_rfc3339(1_772_022_896_000), "2026-02-25T12:34:56Z");
    }
}
