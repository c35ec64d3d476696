//! When to try a webhook delivery again: the Standard Webhooks schedule
//! (immediately, 5 s, 5 min, 30 min, 2 h, 5 h, then every 10 h until about
//! three days have passed — thirteen attempts over ~77 h; then the delivery is
//! a dead letter), with jitter, and a receiver's `Retry-After` honoured
//! within bounds.
//!
//! Pure: the caller passes the current time and a jitter draw in [0, 1).

use std::time::Duration;

/// Delay before attempt n+1 after attempt n failed (index = attempts made - 1).
const TEN_HOURS: Duration = Duration::from_secs(10 * 60 * 60);
const SCHEDULE: [Duration; 12] = [
    Duration::from_secs(5),
    Duration::from_secs(5 * 60),
    Duration::from_secs(30 * 60),
    Duration::from_secs(2 * 60 * 60),
    Duration::from_secs(5 * 60 * 60),
    TEN_HOURS,
    TEN_HOURS,
    TEN_HOURS,
    TEN_HOURS,
    TEN_HOURS,
    TEN_HOURS,
    TEN_HOURS,
];

/// Every attempt a delivery gets, the first included.
pub const MAX_ATTEMPTS: i32 = SCHEDULE.len() as i32 + 1;

/// Longest `Retry-After` honoured.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 60 * 60);

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    RetryAt(i64),
    Dead,
}

/// The plan after `attempts_made` attempts, the last of which failed at `now_ms`.
/// `jitter` in [0, 1) spreads retries ±10 %; `retry_after` is the receiver's wish.
pub fn after_failure(
    attempts_made: i32,
    now_ms: i64,
    jitter: f64,
    retry_after: Option<Duration>,
) -> Next {
    let Some(base) = usize::try_from(attempts_made - 1)
        .ok()
        .and_then(|i| SCHEDULE.get(i))
    else {
        return Next::Dead;
    };
    let delay = match retry_after {
        Some(wish) => wish.min(MAX_RETRY_AFTER),
        None => {
            let factor = 0.9 + 0.2 * jitter.clamp(0.0, 1.0);
            base.mul_f64(factor)
        }
    };
    Next::RetryAt(now_ms.saturating_add(i64::try_from(delay.as_millis()).unwrap_or(i64::MAX)))
}

/// The nominal delay before attempt `n` (2-based), for tests and docs.
pub fn nominal_delay(n: i32) -> Option<Duration> {
    usize::try_from(n - 2)
        .ok()
        .and_then(|i| SCHEDULE.get(i))
        .copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schedule_follows_standard_webhooks() {
        let expected = [
            5, 300, 1800, 7200, 18000, 36000, 36000, 36000, 36000, 36000, 36000, 36000,
        ];
        for (i, secs) in expected.iter().enumerate() {
            let attempts = i as i32 + 1;
            assert_eq!(
                after_failure(attempts, 0, 0.5, None),
                Next::RetryAt(secs * 1000),
                "after attempt {attempts}"
            );
        }
        assert_eq!(MAX_ATTEMPTS, 13);
        let total: u64 = SCHEDULE.iter().map(Duration::as_secs).sum();
        assert!(
            (72 * 3600..=80 * 3600).contains(&total),
            "about three days in all: {total} s"
        );
    }

    #[test]
    fn jitter_stays_within_ten_percent() {
        assert_eq!(after_failure(2, 0, 0.0, None), Next::RetryAt(270_000));
        assert_eq!(after_failure(2, 0, 0.999_999, None), Next::RetryAt(329_999));
    }

    #[test]
    fn after_the_last_attempt_the_delivery_is_dead() {
        assert_eq!(after_failure(MAX_ATTEMPTS, 0, 0.5, None), Next::Dead);
    }

    #[test]
    fn retry_after_is_honoured_up_to_a_day() {
        assert_eq!(
            after_failure(1, 1000, 0.5, Some(Duration::from_secs(60))),
            Next::RetryAt(61_000)
        );
        assert_eq!(
            after_failure(1, 0, 0.5, Some(Duration::from_secs(10 * 86_400))),
            Next::RetryAt(86_400_000)
        );
    }
}
