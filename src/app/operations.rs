//! One snapshot of the platform for operators: every actor kind's
//! supervision figures, where the chain watcher stands, the webhook
//! backlog, payouts waiting or failed, and sessions by status.
//!
//! The one place these figures are read: `/metrics` takes a snapshot and
//! [`publish`]es its database figures as gauges at scrape time, and the
//! admin console's operations page streams the same snapshot as JSON. A
//! figure whose read failed is `None` (a scrape then keeps the gauge's last
//! value; the page says it is unavailable). Nothing here writes to the
//! database or decides anything.

use serde::Serialize;

use crate::actors::chain_watcher::{ChainPosition, ChainWatch};
use crate::actors::handle::Sessions;
use crate::actors::supervision::{self, ActorKind, KindFigures};
use crate::actors::webhook_sender::{pending_age_seconds, publish_backlog};
use crate::domain::payout::SweepState;
use crate::store::Store;

/// What a snapshot reads from.
#[derive(Debug, Clone, Copy)]
pub struct Sources<'a> {
    pub store: &'a Store,
    pub sessions: &'a Sessions,
    pub chain: &'a ChainWatch,
}

/// The platform at one moment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OperationsSnapshot {
    /// When it was taken (ms since the epoch).
    pub at_ms: i64,
    /// Every actor kind, in the order of `ActorKind::ALL`.
    pub actors: Vec<KindFigures>,
    /// `None` before the watcher's first step, or when it does not answer.
    pub chain: Option<ChainPosition>,
    pub webhooks: Option<WebhookQueue>,
    pub payouts: Option<PayoutCounts>,
    /// Every status, zero included.
    pub sessions: Option<Vec<StatusCount>>,
}

/// The webhook outbox's backlog.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct WebhookQueue {
    /// Deliveries pending (due now or waiting for a retry).
    pub depth: u64,
    /// How long the oldest pending one has waited; 0 with none pending.
    pub oldest_pending_age_seconds: f64,
}

/// Sweeps by state.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PayoutCounts {
    /// Made and not yet sent (queued or sending).
    pub pending: u64,
    pub failed: u64,
    /// Every state, zero included.
    pub by_state: Vec<StateCount>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct StateCount {
    pub state: &'static str,
    pub count: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct StatusCount {
    pub status: &'static str,
    pub count: u64,
}

impl OperationsSnapshot {
    /// The figures of one actor kind.
    pub fn actor(&self, kind: ActorKind) -> Option<&KindFigures> {
        self.actors.iter().find(|f| f.kind == kind)
    }
}

/// Takes a snapshot as of `now_ms`. The session kind's live count and
/// mailbox depth are the registry's and its handle's own counts, refreshed
/// first (as a scrape always did).
pub async fn snapshot(from: Sources<'_>, now_ms: i64) -> OperationsSnapshot {
    let (stats, depth) = from.sessions.stats().await;
    supervision::set_live(ActorKind::Session, stats.live);
    supervision::set_mailbox_depth(ActorKind::Session, depth);
    let chain = from.chain.position().await;
    let sessions = from
        .store
        .count_by_status()
        .await
        .map_err(|e| tracing::debug!(error = %e, "sessions by status unavailable"))
        .ok()
        .map(|counts| {
            counts
                .into_iter()
                .map(|(status, count)| StatusCount {
                    status: status.as_str(),
                    count,
                })
                .collect()
        });
    let payouts = from
        .store
        .count_sweeps_by_state()
        .await
        .map_err(|e| tracing::debug!(error = %e, "sweeps by state unavailable"))
        .ok()
        .map(|counts| payout_counts(&counts));
    let webhooks = from
        .store
        .webhook_queue()
        .await
        .map_err(|e| tracing::debug!(error = %e, "webhook backlog unavailable"))
        .ok()
        .map(|(depth, oldest)| WebhookQueue {
            depth,
            oldest_pending_age_seconds: pending_age_seconds(oldest, now_ms),
        });
    OperationsSnapshot {
        at_ms: now_ms,
        actors: supervision::figures(),
        chain,
        webhooks,
        payouts,
        sessions,
    }
}

fn payout_counts(counts: &[(SweepState, u64)]) -> PayoutCounts {
    let of = |wanted: &[SweepState]| -> u64 {
        counts
            .iter()
            .filter(|(state, _)| wanted.contains(state))
            .map(|(_, n)| n)
            .sum()
    };
    PayoutCounts {
        pending: of(&[SweepState::Queued, SweepState::Sending]),
        failed: of(&[SweepState::Failed]),
        by_state: counts
            .iter()
            .map(|(state, count)| StateCount {
                state: state.as_str(),
                count: *count,
            })
            .collect(),
    }
}

/// Sets the gauges a scrape refreshes from the database and the registry
/// (`kassa_sessions`, `kassa_payouts`, the webhook backlog,
/// `kassa_registry_*`); a figure the snapshot could not read keeps its
/// gauge's last value. The actor families are already current.
pub fn publish(snapshot: &OperationsSnapshot) {
    if let Some(session) = snapshot.actor(ActorKind::Session) {
        metrics::gauge!("kassa_registry_live_actors").set(session.live as f64);
        metrics::gauge!("kassa_registry_mailbox_depth").set(session.mailbox_depth as f64);
    }
    for s in snapshot.sessions.iter().flatten() {
        metrics::gauge!("kassa_sessions", "status" => s.status).set(s.count as f64);
    }
    for s in snapshot.payouts.iter().flat_map(|p| &p.by_state) {
        metrics::gauge!("kassa_payouts", "state" => s.state).set(s.count as f64);
    }
    if let Some(queue) = snapshot.webhooks {
        publish_backlog(queue.depth, queue.oldest_pending_age_seconds);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queued_and_sending_sweeps_are_pending_and_failed_ones_apart() {
        let counts = [
            (SweepState::Queued, 2),
            (SweepState::Sending, 1),
            (SweepState::Sent, 40),
            (SweepState::Failed, 3),
        ];

        let payouts = payout_counts(&counts);

        assert_eq!((payouts.pending, payouts.failed), (3, 3));
        assert_eq!(payouts.by_state.len(), 4);
        assert_eq!(payouts.by_state[2].state, "sent");
    }
}
