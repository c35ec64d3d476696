//! The list of Kassa's metric families outside the actor ones: name, type,
//! help text and which series exist at zero. Add a family here when code
//! starts emitting it; `register` does the rest.

use super::Kind::{Counter, Gauge, Histogram};
use super::Series::{Each, Later, Plain};
use super::{Family, Kind, Series};
use crate::domain::payout::SweepState;
use crate::domain::session::{EventKind, SessionStatus};

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

/// Every family but the actor ones (`supervision` registers those).
pub(super) fn families() -> Vec<Family> {
    let f = |name, kind: Kind, help, series: Series| Family {
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
            "Session transitions written per SQLite group commit.",
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
            "kassa_leader",
            Gauge,
            "1 on the node that holds the chain leader's lease (chain watcher and payouts), 0 on the others, by node.",
            Later,
        ),
        f(
            "kassa_leader_changes_total",
            Counter,
            "Times this node gained or lost the chain leader's lease.",
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
            "Token units the money check could not account for (set where the check runs: `kassa ledger check` is a process of its own).",
            Later,
        ),
        f(
            "kassa_ledger_losses_total",
            Counter,
            "Transitions that recorded a loss in the ledger.",
            Plain,
        ),
        // Routing.
        f(
            "kassa_routing_config_version",
            Gauge,
            "The routing configuration version in force on this node.",
            Plain,
        ),
        f(
            "kassa_routing_config_reloads_total",
            Counter,
            "Routing configuration reloads from the database, by result.",
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
        f(
            "kassa_http_shed_total",
            Counter,
            "API requests answered 503 because the door was full past the queue bound (`api_queue_ms`), by route.",
            Later,
        ),
    ]
}
