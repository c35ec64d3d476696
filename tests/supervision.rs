//! Supervision figures on `/metrics` of a real `kassa serve` process: a
//! fresh server lists every family at zero, and sessions, sandbox payments
//! and a session actor's panic show in the `kassa_actor_*` families, the
//! sessions by status and the sweeps by state, and a receiver that is down
//! shows in the webhook backlog figures.

use std::time::Duration;

use crate::helpers::Backend;
use crate::metrics_server::{Scrape, Server};
use crate::on_both_backends;

/// Every actor kind Kassa runs (the `actor` label).
const KINDS: [&str; 7] = [
    "session",
    "registry",
    "creator",
    "router",
    "webhook_sender",
    "chain_watcher",
    "payout",
];
/// Kinds that run once per process from startup on.
const SINGLETONS: [&str; 6] = [
    "registry",
    "creator",
    "router",
    "webhook_sender",
    "chain_watcher",
    "payout",
];
const STATUSES: [&str; 6] = [
    "created",
    "pending",
    "paid",
    "underpaid",
    "expired",
    "cancelled",
];
const SWEEP_STATES: [&str; 4] = ["queued", "sending", "sent", "failed"];

/// Counters and gauges an operator's alerts and dashboard rely on, which
/// must be on the page before anything happened.
const PLAIN_FAMILIES: [&str; 18] = [
    "kassa_chain_head_block",
    "kassa_chain_processed_block",
    "kassa_chain_finalized_block",
    "kassa_chain_lag_blocks",
    "kassa_chain_watched_addresses",
    "kassa_chain_step_failures_total",
    "kassa_webhook_queue_depth",
    "kassa_webhook_oldest_pending_age_seconds",
    "kassa_payout_sweeps_created_total",
    "kassa_payout_sweeps_sent_total",
    "kassa_payout_sweep_failures_total",
    "kassa_payout_step_failures_total",
    "kassa_sessions_created_total",
    "kassa_registry_live_actors",
    "kassa_registry_mailbox_depth",
    "kassa_registry_spawned_total",
    "kassa_registry_restarted_total",
    "kassa_registry_passivated_total",
];

fn actor(scrape: &Scrape, family: &str, kind: &str) -> f64 {
    scrape.must(family, &[("actor", kind)])
}

#[actix_web::test]
async fn a_fresh_server_lists_every_family_at_zero_before_any_traffic() {
    let server = Server::start().await;

    // At rest nothing is in flight (a watcher step may be matching logs at
    // the very moment of a scrape, hence the wait).
    let scrape = server
        .scrape_until(Duration::from_secs(10), |s| {
            KINDS
                .iter()
                .all(|k| s.value("kassa_actor_mailbox_depth", &[("actor", k)]) == Some(0.0))
        })
        .await;

    for kind in KINDS {
        for family in [
            "kassa_actor_spawned_total",
            "kassa_actor_restarted_total",
            "kassa_actor_passivated_total",
            "kassa_actor_messages_total",
            "kassa_actor_mailbox_depth",
            "kassa_actor_live",
        ] {
            let value = actor(&scrape, family, kind);
            if matches!(
                family,
                "kassa_actor_restarted_total" | "kassa_actor_passivated_total"
            ) {
                assert_eq!(value, 0.0, "{family}{{actor={kind}}}");
            }
        }
    }
    for kind in SINGLETONS {
        assert_eq!(
            actor(&scrape, "kassa_actor_live", kind),
            1.0,
            "{kind} runs once"
        );
        assert_eq!(
            actor(&scrape, "kassa_actor_spawned_total", kind),
            1.0,
            "{kind}"
        );
    }
    assert_eq!(actor(&scrape, "kassa_actor_live", "session"), 0.0);
    assert_eq!(actor(&scrape, "kassa_actor_spawned_total", "session"), 0.0);
    for status in STATUSES {
        assert_eq!(scrape.must("kassa_sessions", &[("status", status)]), 0.0);
    }
    for state in SWEEP_STATES {
        assert_eq!(scrape.must("kassa_payouts", &[("state", state)]), 0.0);
    }
    for family in PLAIN_FAMILIES {
        scrape.must(family, &[]);
    }
    for family in [
        "kassa_payout_sweeps_created_total",
        "kassa_webhook_queue_depth",
    ] {
        assert_eq!(scrape.must(family, &[]), 0.0, "{family}");
    }
    scrape.must("kassa_chain_rpc_calls_total", &[("method", "eth_getLogs")]);
    scrape.must("kassa_webhook_attempts_total", &[("outcome", "success")]);
    let help = scrape
        .text
        .lines()
        .find(|l| l.starts_with("# HELP kassa_actor_restarted_total "));
    assert!(
        help.is_some(),
        "families carry help texts:\n{}",
        scrape.text
    );
}

on_both_backends!(sessions_payments_and_a_session_panic_show_in_the_supervision_figures);

async fn sessions_payments_and_a_session_panic_show_in_the_supervision_figures(backend: Backend) {
    const OPENED: usize = 5;
    const PAID: usize = 3;
    let Some(server) = Server::start_on(backend).await else {
        return;
    };
    let mut ids = Vec::new();
    for n in 0..OPENED {
        ids.push(server.new_session(&format!("SUP-{n}")).await);
    }

    for (n, id) in ids.iter().take(PAID).enumerate() {
        let simulate = if n == 1 { "panic" } else { "paid" };
        let answer = server.pay(*id, simulate).await;
        assert_eq!(answer.status, 200, "{}", answer.text);
    }
    // Every paid session is swept (payouts step every 100 ms here) and told
    // so; then no message is in flight (a depth that never returns to 0
    // fails here).
    let scrape = server
        .scrape_until(Duration::from_secs(60), |s| {
            s.value("kassa_payouts", &[("state", "sent")]) == Some(PAID as f64)
                && s.value("kassa_session_events_total", &[("status", "payout_sent")])
                    == Some(PAID as f64)
                && KINDS
                    .iter()
                    .all(|k| s.value("kassa_actor_mailbox_depth", &[("actor", k)]) == Some(0.0))
        })
        .await;

    assert_eq!(
        actor(&scrape, "kassa_actor_restarted_total", "session"),
        1.0
    );
    assert_eq!(scrape.must("kassa_registry_restarted_total", &[]), 1.0);
    assert_eq!(
        actor(&scrape, "kassa_actor_spawned_total", "session"),
        PAID as f64,
        "one actor per paid session (the restart counts apart)"
    );
    assert_eq!(actor(&scrape, "kassa_actor_live", "session"), PAID as f64);
    assert_eq!(
        scrape.must("kassa_sessions", &[("status", "paid")]),
        PAID as f64
    );
    assert_eq!(
        scrape.must("kassa_sessions", &[("status", "created")]),
        (OPENED - PAID) as f64
    );
    for status in ["pending", "underpaid", "expired", "cancelled"] {
        assert_eq!(scrape.must("kassa_sessions", &[("status", status)]), 0.0);
    }
    for state in ["queued", "sending", "failed"] {
        assert_eq!(scrape.must("kassa_payouts", &[("state", state)]), 0.0);
    }
    assert_eq!(
        actor(&scrape, "kassa_actor_messages_total", "creator"),
        OPENED as f64,
        "one CreateSession per session"
    );
    assert_eq!(
        scrape.must(
            "kassa_actor_handling_seconds_count",
            &[("actor", "creator")]
        ),
        OPENED as f64
    );
    // Created one after another, each session was a batch of one, counted
    // in size buckets (le="2" is no duration bucket).
    assert_eq!(
        scrape.must("kassa_create_batch_size_bucket", &[("le", "2")]),
        OPENED as f64
    );
    for kind in ["session", "registry"] {
        let handled = actor(&scrape, "kassa_actor_messages_total", kind);
        assert!(handled >= PAID as f64, "{kind} handled {handled}");
        assert_eq!(
            scrape.must("kassa_actor_handling_seconds_count", &[("actor", kind)]),
            handled,
            "every handled {kind} message is timed"
        );
    }
    // Each payment wakes the webhook sender and tells the router (notices),
    // and takes watcher and payout steps (which also run on their timers).
    for kind in ["webhook_sender", "router", "chain_watcher", "payout"] {
        let handled = actor(&scrape, "kassa_actor_messages_total", kind);
        assert!(handled >= PAID as f64, "{kind} handled {handled}");
        assert!(scrape.must("kassa_actor_handling_seconds_count", &[("actor", kind)]) > 0.0);
    }
    for kind in SINGLETONS {
        assert_eq!(actor(&scrape, "kassa_actor_live", kind), 1.0, "{kind}");
        assert_eq!(
            actor(&scrape, "kassa_actor_restarted_total", kind),
            0.0,
            "{kind}"
        );
    }
    assert!(scrape.must("kassa_payout_sweeps_created_total", &[]) >= PAID as f64);
    assert!(scrape.must("kassa_chain_processed_block", &[]) > 0.0);
}

#[actix_web::test]
async fn an_undelivered_webhook_shows_in_the_backlog_figures_at_scrape_time() {
    // A receiver that is down: nothing listens on this port.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let server = Server::start_with_webhooks_to(&format!("http://{closed}/hook")).await;
    let id = server.new_session("BACKLOG-1").await;
    assert_eq!(server.pay(id, "paid").await.status, 200);

    let first = server
        .scrape_until(Duration::from_secs(20), |s| {
            s.value(
                "kassa_webhook_attempts_total",
                &[("outcome", "network_error")],
            ) >= Some(1.0)
        })
        .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let later = server.scrape().await;

    assert!(
        first.must("kassa_webhook_queue_depth", &[]) >= 1.0,
        "{}",
        first.text
    );
    let (age, older) = (
        first.must("kassa_webhook_oldest_pending_age_seconds", &[]),
        later.must("kassa_webhook_oldest_pending_age_seconds", &[]),
    );
    assert!(age > 0.0, "{age}");
    assert!(
        older >= age + 1.0,
        "the age grows between scrapes: {age} then {older}"
    );
    assert!(later.must("kassa_webhook_queue_depth", &[]) >= 1.0);
}
