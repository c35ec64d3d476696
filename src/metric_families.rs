//! Every metric family Kassa emits, with its help text, registered at zero
//! once at startup so that a fresh `/metrics` already lists each counter and
//! gauge (a series that first appears on its first event hides a rate from
//! Prometheus and an alert from its absence).
//!
//! Families whose labels are only known at run time (HTTP routes, RPC
//! methods a node was asked, gas accounts, routing providers) are described
//! here and appear with their first event. Histograms appear with their
//! first observation. This module only registers; the figures are set
//! where the events happen.

use crate::actors::supervision;
use crate::domain::payout::SweepState;
use crate::domain::session::{EventKind, SessionStatus};

/// How a family's series are made at zero.
enum Series {
    /// One series without labels.
    Plain,
    /// One series per value of one label.
    Each(&'static str, Vec<&'static str>),
    /// Labels known only at run time: described, made by the first event.
    Later,
}

enum Kind {
    Counter,
    Gauge,
    Histogram,
}

struct Family {
    name: &'static str,
    kind: Kind,
    help: &'static str,
    series: Series,
}

/// Outcomes of a webhook attempt (`webhooks::delivery`'s labels).
const WEBHOOK_OUTCOMES: [&str; 6] = [
    "success",
    "gone",
    "http_error",
    "timeout",
    "blocked",
    "network_error",
];

/// JSON-RPC methods the node client calls (`chain::rpc`, `chain::rpc_sender`).
const RPC_METHODS: [&str; 10] = [
    "eth_chainId",
    "eth_blockNumber",
    "eth_getBlockByNumber",
    "eth_getLogs",
    "eth_call",
    "eth_getTransactionCount",
    "eth_maxPriorityFeePerGas",
    "eth_sendRawTransaction",
    "eth_getTransactionReceipt",
    "eth_getBalance",
];

fn families() -> Vec<Family> {
    use Kind::{Counter, Gauge, Histogram};
    use Series::{Each, Later, Plain};
    let f = |name, kind, help, series| Family {
        name,
        kind,
        help,
        series,
    };
    let statuses = SessionStatus::ALL.iter().map(|s| s.as_str()).collect();
    let events = EventKind::ALL.iter().map(|e| e.as_str()).collect();
    let sweep_states = SweepState::ALL.iter().map(|s| s.as_str()).collect();
    vec![
        // Sessions and the registry (the registry's own names predate the
        // `kassa_actor_*` families and stay for existing dashboards).
        f(
            "kassa_sessions",
            Gauge,
            "Sessions in the database by status, counted at scrape time.",
            Each("status", statuses),
        ),
        f(
            "kassa_sessions_created_total",
            Counter,
            "Sessions created (committed).",
            Plain,
        ),
        f(
            "kassa_session_events_total",
            Counter,
            "Session transitions committed, by the event they announce.",
            Each("status", events),
        ),
        f(
            "kassa_registry_live_actors",
            Gauge,
            "Session actors the registry holds now (same as kassa_actor_live{actor=\"session\"}).",
            Plain,
        ),
        f(
            "kassa_registry_mailbox_depth",
            Gauge,
            "Messages sent to session actors and not yet answered.",
            Plain,
        ),
        f(
            "kassa_registry_spawned_total",
            Counter,
            "Session actors spawned for a session not live.",
            Plain,
        ),
        f(
            "kassa_registry_restarted_total",
            Counter,
            "Session actors started again after one died.",
            Plain,
        ),
        f(
            "kassa_registry_passivated_total",
            Counter,
            "Session actors stopped because they were idle.",
            Plain,
        ),
        f(
            "kassa_create_batch_size",
            Histogram,
            "Sessions committed per group-commit batch.",
            Later,
        ),
        f(
            "kassa_store_group_commit_size",
            Histogram,
            "Rows per group commit of the store.",
            Later,
        ),
        // Chain watcher.
        f(
            "kassa_chain_head_block",
            Gauge,
            "Latest block number the node reported.",
            Plain,
        ),
        f(
            "kassa_chain_finalized_block",
            Gauge,
            "Latest finalized block number the node reported.",
            Plain,
        ),
        f(
            "kassa_chain_processed_block",
            Gauge,
            "Block up to which transfers were read and committed.",
            Plain,
        ),
        f(
            "kassa_chain_lag_blocks",
            Gauge,
            "Blocks between the head and the processed block.",
            Plain,
        ),
        f(
            "kassa_chain_watched_addresses",
            Gauge,
            "Deposit addresses the watcher matches transfers against.",
            Plain,
        ),
        f(
            "kassa_chain_deposits_total",
            Counter,
            "Deposits seen, counted, or dropped by a reorg.",
            Each("outcome", vec!["seen", "counted", "dropped"]),
        ),
        f(
            "kassa_chain_checkpoint_reorgs_total",
            Counter,
            "Reorgs found under the saved checkpoint.",
            Plain,
        ),
        f(
            "kassa_chain_step_failures_total",
            Counter,
            "Chain watcher steps that failed (retried with backoff).",
            Plain,
        ),
        f(
            "kassa_chain_rpc_calls_total",
            Counter,
            "JSON-RPC calls to the node, by method.",
            Each("method", RPC_METHODS.to_vec()),
        ),
        f(
            "kassa_chain_rpc_errors_total",
            Counter,
            "JSON-RPC calls to the node that failed, by method.",
            Each("method", RPC_METHODS.to_vec()),
        ),
        f(
            "kassa_chain_rpc_seconds",
            Histogram,
            "JSON-RPC call latency, by method.",
            Later,
        ),
        f(
            "kassa_chain_count_commit_seconds",
            Histogram,
            "Time from reading a deposit's block to committing its count.",
            Later,
        ),
        // Webhooks.
        f(
            "kassa_webhook_queue_depth",
            Gauge,
            "Webhook deliveries not yet done (outbox rows pending).",
            Plain,
        ),
        f(
            "kassa_webhook_oldest_pending_age_seconds",
            Gauge,
            "Age of the oldest webhook delivery not yet done (0 when none).",
            Plain,
        ),
        f(
            "kassa_webhook_attempts_total",
            Counter,
            "Webhook delivery attempts, by outcome.",
            Each("outcome", WEBHOOK_OUTCOMES.to_vec()),
        ),
        f(
            "kassa_webhook_delivery_latency_seconds",
            Histogram,
            "Webhook delivery attempt latency.",
            Later,
        ),
        // Payouts.
        f(
            "kassa_payouts",
            Gauge,
            "Sweeps by state, counted at scrape time (queued and sending are pending).",
            Each("state", sweep_states),
        ),
        f(
            "kassa_payout_sweeps_created_total",
            Counter,
            "Sweeps made for final deposits.",
            Plain,
        ),
        f(
            "kassa_payout_sweeps_sent_total",
            Counter,
            "Sweep transactions broadcast.",
            Plain,
        ),
        f(
            "kassa_payout_sweep_failures_total",
            Counter,
            "Sweeps that failed (retried later).",
            Plain,
        ),
        f(
            "kassa_payout_step_failures_total",
            Counter,
            "Payout steps that failed (retried with backoff).",
            Plain,
        ),
        f(
            "kassa_payout_replacements_total",
            Counter,
            "Stuck sweep transactions replaced with a higher fee.",
            Plain,
        ),
        f(
            "kassa_payout_waiting_for_wallet_total",
            Counter,
            "Paid sessions a payout step skipped because their merchant has no payout wallet (once per step).",
            Plain,
        ),
        f(
            "kassa_payout_gas_balance_pol",
            Gauge,
            "POL of each gas account, as the last payout step read it.",
            Later,
        ),
        // Money checks.
        f(
            "kassa_ledger_lost_units",
            Gauge,
            "Token units the last money check could not account for.",
            Plain,
        ),
        f(
            "kassa_ledger_losses_total",
            Counter,
            "Transitions that recorded a loss in the ledger.",
            Plain,
        ),
        // Routing.
        f(
            "kassa_routing_config_reloads_total",
            Counter,
            "Routing file reloads, by result.",
            Each("result", vec!["ok", "error"]),
        ),
        f(
            "kassa_routing_decisions_total",
            Counter,
            "Routing decisions, by reason, provider and method.",
            Later,
        ),
        f(
            "kassa_routing_build_failures_total",
            Counter,
            "Provider redirects that could not be built, by provider.",
            Later,
        ),
        f(
            "kassa_routing_provider_unhealthy",
            Gauge,
            "1 while a provider is cooling down after a failure.",
            Later,
        ),
        f(
            "kassa_routing_sessions_started_total",
            Counter,
            "Routed sessions started, by provider, country and method.",
            Later,
        ),
        f(
            "kassa_routing_sessions_completed_total",
            Counter,
            "Routed sessions paid, by provider, country and method.",
            Later,
        ),
        f(
            "kassa_routing_time_to_paid_seconds",
            Histogram,
            "Time from a routed session's start to paid.",
            Later,
        ),
        // HTTP.
        f(
            "kassa_http_requests_total",
            Counter,
            "HTTP requests, by route and status.",
            Later,
        ),
        f(
            "kassa_http_request_duration_seconds",
            Histogram,
            "HTTP request latency, by route.",
            Later,
        ),
    ]
}

/// Describes every family and makes each counter and gauge series at zero
/// (the actor families for every kind among them). Calling it again
/// changes no value.
pub fn register() {
    supervision::register();
    for family in families() {
        describe(&family);
        match (&family.kind, family.series) {
            (_, Series::Later) | (Kind::Histogram, _) => {}
            (Kind::Counter, Series::Plain) => metrics::counter!(family.name).increment(0),
            (Kind::Gauge, Series::Plain) => metrics::gauge!(family.name).increment(0.0),
            (Kind::Counter, Series::Each(label, values)) => {
                for value in values {
                    metrics::counter!(family.name, label => value).increment(0);
                }
            }
            (Kind::Gauge, Series::Each(label, values)) => {
                for value in values {
                    metrics::gauge!(family.name, label => value).increment(0.0);
                }
            }
        }
    }
}

fn describe(family: &Family) {
    let (name, help) = (family.name, family.help);
    match family.kind {
        Kind::Counter => metrics::describe_counter!(name, help),
        Kind::Gauge => metrics::describe_gauge!(name, help),
        Kind::Histogram => metrics::describe_histogram!(name, help),
    }
}

/// The names of every family (the actor families included), for checks
/// that a dashboard or an alert names only what exists.
pub fn names() -> Vec<&'static str> {
    let mut names: Vec<_> = families().into_iter().map(|f| f.name).collect();
    names.extend([
        supervision::LIVE,
        supervision::SPAWNED,
        supervision::RESTARTED,
        supervision::PASSIVATED,
        supervision::MESSAGES,
        supervision::MAILBOX_DEPTH,
        supervision::HANDLING_SECONDS,
    ]);
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_family_is_named_once_with_the_kassa_prefix() {
        let names = names();
        let unique: std::collections::HashSet<_> = names.iter().collect();

        assert_eq!(unique.len(), names.len(), "a family is listed twice");
        assert!(names.iter().all(|n| n.starts_with("kassa_")));
    }

    #[test]
    fn counters_end_in_total_and_nothing_else_does() {
        for family in families() {
            let total = family.name.ends_with("_total");
            assert_eq!(
                matches!(family.kind, Kind::Counter),
                total,
                "{}",
                family.name
            );
        }
    }
}
