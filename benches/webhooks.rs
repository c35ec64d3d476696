//! Webhook delivery benchmark against a local receiver, read back from the
//! delivery log in the database: the latency from the paid transition's
//! commit (the outbox row's `created_at`) to the receiver's 200 (the
//! successful attempt's start plus its latency), measured with sessions paid
//! one after another; and deliveries/s of a backlog (N sessions paid while
//! the receiver is down, replayed when it comes back).
//!
//! Run: `cargo bench --bench webhooks` (options after `--`: `--sessions N`,
//! `--db sqlite|postgres|both`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::hooks::{create_and_pay, delivered_per_second, serve_receiver, store, wait_delivered};
use common::{BenchDb, Server, flag, free_port, serve_kassa};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("serve-kassa") => return serve_kassa(&args[2], args.get(3).map(String::as_str)),
        Some("serve-receiver") => return serve_receiver(args.get(2).map(String::as_str)),
        _ => {}
    }
    let _ = rustls::crypto::ring::default_provider().install_default();
    let sessions: usize = flag(&args, "--sessions")
        .and_then(|s| s.parse().ok())
        .unwrap_or(5000);
    let db = flag(&args, "--db").unwrap_or_else(|| "sqlite".into());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        println!("# Kassa webhook delivery benchmark");
        println!("# latency: 500 sessions paid one after another, receiver up (commit of `paid` → receiver's 200)");
        println!("# throughput: {sessions} sessions paid while the receiver is down, then replayed: the backlog's deliveries/s");
        println!("\n| database | deliveries/s (backlog) | commit→200 p50 ms | p99 ms | max ms |");
        println!("|---|---|---|---|---|");
        for label in ["sqlite", "postgres"] {
            if db != label && db != "both" {
                continue;
            }
            let Some(latency_db) = BenchDb::create(label).await else {
                println!("(postgres skipped: KASSA_TEST_POSTGRES_URL is not set)");
                continue;
            };
            let latencies = latency_run(&latency_db.url, 500).await;
            let throughput_db = BenchDb::create(label).await.unwrap();
            let rate = backlog_run(&throughput_db.url, sessions).await;
            let pct = |p: f64| latencies.get(((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1))).copied().unwrap_or(0);
            println!("| {label} | {rate:.0} | {} | {} | {} |", pct(0.5), pct(0.99), pct(1.0));
        }
    });
}

/// Commit-to-200 latencies (ms, sorted) of `n` sessions paid one at a time.
async fn latency_run(db_url: &str, n: usize) -> Vec<i64> {
    let receiver = Server::start(&["serve-receiver"]);
    let kassa = Server::start(&[
        "serve-kassa",
        db_url,
        &format!("http://{}/hook", receiver.addr),
    ]);
    let base = format!("http://{}", kassa.addr);
    create_and_pay(&base, &base, &kassa.key, n, 1).await;
    let store = store(db_url).await;
    wait_delivered(&store, n).await;
    let mut latencies: Vec<i64> = store
        .delivery_timings()
        .await
        .unwrap()
        .iter()
        .map(|(c, d)| d - c)
        .collect();
    latencies.sort_unstable();
    latencies
}

/// Deliveries/s of a backlog of `n` events once the receiver comes up.
async fn backlog_run(db_url: &str, n: usize) -> f64 {
    let port = free_port();
    let kassa = Server::start(&[
        "serve-kassa",
        db_url,
        &format!("http://127.0.0.1:{port}/hook"),
    ]);
    let base = format!("http://{}", kassa.addr);
    create_and_pay(&base, &base, &kassa.key, n, 64).await;
    let _receiver = Server::start(&["serve-receiver", &port.to_string()]);
    let store = store(db_url).await;
    // The operator's `kassa webhooks replay` after an outage: every event due now.
    let now = kassa::clock::Clock::now_ms(&kassa::clock::SystemClock);
    store.replay_webhooks(1, 0, i64::MAX, now).await.unwrap();
    wait_delivered(&store, n).await;
    delivered_per_second(&store).await
}
