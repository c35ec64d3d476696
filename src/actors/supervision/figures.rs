//! The supervision figures as this process counted them, kept beside the
//! metrics by `supervision::note` so the admin console reads them without
//! scraping: one tally of atomics per actor kind, read as [`KindFigures`].
//!
//! Must not: be written to from anywhere but `note` (the metric and the
//! tally would drift apart).

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use serde::Serialize;

use super::{ActorKind, Change, HANDLING_BUCKETS};

/// A kind's figures as atomics.
struct KindTally {
    live: AtomicI64,
    spawned: AtomicU64,
    restarted: AtomicU64,
    passivated: AtomicU64,
    messages: AtomicU64,
    mailbox: AtomicI64,
    /// Handled messages per bucket of [`HANDLING_BUCKETS`] (not cumulative);
    /// the last slot holds those slower than every bound.
    buckets: [AtomicU64; HANDLING_BUCKETS.len() + 1],
    /// Handling time of every handled message, in nanoseconds (an integer
    /// adds without a compare-and-swap loop; u64 holds 584 years).
    handled_nanos: AtomicU64,
}

static TALLY: [KindTally; ActorKind::ALL.len()] =
    [const { KindTally::new() }; ActorKind::ALL.len()];

/// Applies one change to `kind`'s tally (called by `note` only).
pub(super) fn tally(kind: ActorKind, change: Change) {
    TALLY[kind.slot()].apply(change);
}

/// Every kind's figures, in the order of [`ActorKind::ALL`].
pub fn figures() -> Vec<KindFigures> {
    ActorKind::ALL
        .iter()
        .map(|kind| TALLY[kind.slot()].read(*kind))
        .collect()
}

impl KindTally {
    const fn new() -> Self {
        KindTally {
            live: AtomicI64::new(0),
            spawned: AtomicU64::new(0),
            restarted: AtomicU64::new(0),
            passivated: AtomicU64::new(0),
            messages: AtomicU64::new(0),
            mailbox: AtomicI64::new(0),
            buckets: [const { AtomicU64::new(0) }; HANDLING_BUCKETS.len() + 1],
            handled_nanos: AtomicU64::new(0),
        }
    }

    fn apply(&self, change: Change) {
        let relaxed = Ordering::Relaxed;
        match change {
            Change::Spawned => _ = self.spawned.fetch_add(1, relaxed),
            Change::Restarted => _ = self.restarted.fetch_add(1, relaxed),
            Change::Passivated => _ = self.passivated.fetch_add(1, relaxed),
            Change::LiveBy(by) => _ = self.live.fetch_add(by, relaxed),
            Change::LiveAt(at) => self
                .live
                .store(i64::try_from(at).unwrap_or(i64::MAX), relaxed),
            Change::MailboxBy(by) => _ = self.mailbox.fetch_add(by, relaxed),
            Change::MailboxAt(at) => self.mailbox.store(at, relaxed),
            Change::Handled(took) => {
                let seconds = took.as_secs_f64();
                let slot = HANDLING_BUCKETS
                    .iter()
                    .position(|le| seconds <= *le)
                    .unwrap_or(HANDLING_BUCKETS.len());
                self.buckets[slot].fetch_add(1, relaxed);
                let nanos = u64::try_from(took.as_nanos()).unwrap_or(u64::MAX);
                self.handled_nanos.fetch_add(nanos, relaxed);
                self.messages.fetch_add(1, relaxed);
            }
        }
    }

    fn read(&self, kind: ActorKind) -> KindFigures {
        let relaxed = Ordering::Relaxed;
        let mut within = 0;
        let buckets = HANDLING_BUCKETS
            .iter()
            .zip(&self.buckets)
            .map(|(le, n)| {
                within += n.load(relaxed);
                Bucket {
                    le: *le,
                    count: within,
                }
            })
            .collect();
        let count = within + self.buckets[HANDLING_BUCKETS.len()].load(relaxed);
        KindFigures {
            kind,
            live: self.live.load(relaxed),
            spawned: self.spawned.load(relaxed),
            restarted: self.restarted.load(relaxed),
            passivated: self.passivated.load(relaxed),
            messages: self.messages.load(relaxed),
            mailbox_depth: self.mailbox.load(relaxed),
            handling: Latency {
                buckets,
                count,
                sum_seconds: self.handled_nanos.load(relaxed) as f64 / 1e9,
            },
        }
    }
}

/// One kind's supervision figures as this process counted them: the same
/// values `/metrics` shows under `actor="<kind>"`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KindFigures {
    pub kind: ActorKind,
    pub live: i64,
    pub spawned: u64,
    pub restarted: u64,
    pub passivated: u64,
    /// Messages handled to the end.
    pub messages: u64,
    pub mailbox_depth: i64,
    pub handling: Latency,
}

/// Handling latency as a histogram with the bounds of [`HANDLING_BUCKETS`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Latency {
    /// Cumulative, as Prometheus' `_bucket{le=…}`: messages handled within `le`.
    pub buckets: Vec<Bucket>,
    /// Every handled message (also those slower than the last bound).
    pub count: u64,
    pub sum_seconds: f64,
}

/// One bucket of a [`Latency`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Bucket {
    /// Upper bound, in seconds.
    pub le: f64,
    pub count: u64,
}

impl Latency {
    /// The bound within which a share `q` (0 to 1) of messages were handled:
    /// `None` before any message, or when that many took longer than every
    /// bound.
    pub fn within(&self, q: f64) -> Option<f64> {
        if self.count == 0 {
            return None;
        }
        let wanted = ((q.clamp(0.0, 1.0) * self.count as f64).ceil() as u64).max(1);
        self.buckets
            .iter()
            .find(|b| b.count >= wanted)
            .map(|b| b.le)
    }

    /// Mean handling time in seconds, `None` before any message.
    pub fn mean_seconds(&self) -> Option<f64> {
        (self.count > 0).then(|| self.sum_seconds / self.count as f64)
    }
}
