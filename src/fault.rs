//! Test-only fault points. With `KASSA_TEST_FAULT_PAUSE=<point>` in the
//! environment, the process writes the file named by
//! `KASSA_TEST_FAULT_MARKER` when it first reaches that point and then
//! waits there forever, so a test can SIGKILL it at a known moment (for
//! example between storing a signed sweep and broadcasting it).
//! `KASSA_TEST_FAULT_PAUSE=<point>@N` pauses the N-th time the point is
//! reached instead (N from 1), so a seeded chaos schedule can stop a busy
//! point somewhere other than its first pass. Without the variable, which is
//! how the gateway runs everywhere but in those tests, a fault point does
//! nothing.
//!
//! The points (grep `fault::point`):
//! - `group_commit_written`: a SQLite group commit (a batch of session
//!   transitions, or one alone) wrote its statements, not yet committed;
//! - `webhook_delivering`: a webhook request was answered, its attempt not
//!   yet recorded;
//! - `deposit_confirming`: the chain watcher matched a deposit (seen or
//!   confirming) and has not handed it to its session yet;
//! - `payout_signed`: a sweep transaction was signed and stored, not yet
//!   broadcast;
//! - `payout_broadcast`: a sweep transaction was broadcast, its state not
//!   yet recorded.

use std::path::PathBuf;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

/// The point to pause at, at which pass, and the marker to write.
#[derive(Debug, PartialEq, Eq)]
struct Armed {
    point: String,
    /// The pass (from 1) that pauses.
    nth: u64,
    marker: Option<PathBuf>,
}

/// Reads `point` or `point@N` (an unreadable or zero N arms nothing, so a
/// typo never pauses a process at the wrong moment).
fn parse(spec: &str, marker: Option<PathBuf>) -> Option<Armed> {
    let (point, nth) = match spec.split_once('@') {
        Some((point, n)) => (point, n.parse::<u64>().ok().filter(|n| *n > 0)?),
        None => (spec, 1),
    };
    Some(Armed {
        point: point.to_string(),
        nth,
        marker,
    })
}

/// The armed point, read once.
fn armed() -> Option<&'static Armed> {
    static ARMED: OnceLock<Option<Armed>> = OnceLock::new();
    ARMED
        .get_or_init(|| {
            let spec = std::env::var("KASSA_TEST_FAULT_PAUSE").ok()?;
            let marker = std::env::var_os("KASSA_TEST_FAULT_MARKER").map(PathBuf::from);
            parse(&spec, marker)
        })
        .as_ref()
}

/// How many times the armed point was reached.
static PASSES: AtomicU64 = AtomicU64::new(0);

/// Pauses forever here when the armed point is `name` and this is its
/// armed pass.
pub async fn point(name: &str) {
    let Some(armed) = armed() else {
        return;
    };
    if armed.point != name || PASSES.fetch_add(1, Ordering::SeqCst) + 1 != armed.nth {
        return;
    }
    tracing::warn!(
        point = name,
        pass = armed.nth,
        "test fault point reached: pausing here for good"
    );
    if let Some(marker) = &armed.marker {
        let _ = std::fs::write(marker, name);
    }
    std::future::pending::<()>().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_point_pauses_at_its_first_pass() {
        let armed = parse("payout_signed", None).unwrap();
        assert_eq!((armed.point.as_str(), armed.nth), ("payout_signed", 1));
    }

    #[test]
    fn a_point_with_a_pass_number_pauses_at_that_pass() {
        let marker = Some(PathBuf::from("/tmp/m"));
        let armed = parse("group_commit_written@7", marker.clone()).unwrap();
        assert_eq!(
            armed,
            Armed {
                point: "group_commit_written".into(),
                nth: 7,
                marker
            }
        );
    }

    #[test]
    fn a_zero_or_unreadable_pass_number_arms_nothing() {
        assert_eq!(parse("webhook_delivering@0", None), None);
        assert_eq!(parse("webhook_delivering@x", None), None);
        assert_eq!(parse("webhook_delivering@", None), None);
    }
}
