//! Webhook delivery benchmark: N sessions are paid (64 at a time) against a
//! local receiver; reports deliveries/s and the latency from the paid
//! transition's commit (the outbox row's `created_at`) to the receiver's 200
//! (the successful attempt's start plus its latency), both read back from the
//! delivery log in the database.
//!
//! Run: `cargo bench --bench webhooks` (options after `--`: `--sessions N`,
//! `--db sqlite|postgres|both`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use common::{BenchDb, Server, flag, serve_kassa};

const SESSION_BODY: &str =
    r#"{"domain":"shop.example","merchant_ref":"HOOK","amount":"10.00","currency":"USD"}"#;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("serve-kassa") => return serve_kassa(&args[2], args.get(3).map(String::as_str)),
        Some("serve-receiver") => return serve_receiver(),
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
        println!(
            "# Kassa webhook delivery benchmark ({sessions} paid sessions, 64 payments in flight)"
        );
        println!("\n| database | deliveries/s | commit→200 p50 ms | p99 ms | max ms |");
        println!("|---|---|---|---|---|");
        for label in ["sqlite", "postgres"] {
            if db != label && db != "both" {
                continue;
            }
            let Some(database) = BenchDb::create(label).await else {
                println!("(postgres skipped: KASSA_TEST_POSTGRES_URL is not set)");
                continue;
            };
            run(label, &database.url, sessions).await;
        }
    });
}

async fn run(label: &str, db_url: &str, n: usize) {
    let receiver = Server::start(&["serve-receiver"]);
    let hook = format!("http://{}/hook", receiver.addr);
    let kassa = Server::start(&["serve-kassa", db_url, &hook]);
    let client = reqwest::Client::new();
    let base = format!("http://{}", kassa.addr);
    let mut ids = Vec::with_capacity(n);
    for chunk in (0..n).collect::<Vec<_>>().chunks(64) {
        let created = futures_util::future::join_all(chunk.iter().map(|_| {
            client
                .post(format!("{base}/gateway/session.php"))
                .header("X-API-Key", &kassa.key)
                .body(SESSION_BODY)
                .send()
        }))
        .await;
        for r in created {
            let v: serde_json::Value = r.unwrap().json().await.unwrap();
            ids.push(v["session_id"].as_i64().unwrap());
        }
    }
    for chunk in ids.chunks(64) {
        futures_util::future::join_all(chunk.iter().map(|id| {
            client
                .post(format!("{base}/sandbox/pay"))
                .json(&serde_json::json!({ "session_id": id }))
                .send()
        }))
        .await;
    }
    let store = kassa::store::Store::connect(&kassa::config::DatabaseSettings {
        url: db_url.to_string(),
        max_connections: 2,
        acquire_timeout: Duration::from_secs(10),
        session_cache_ttl: Duration::ZERO,
    })
    .await
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(300);
    while store.count_webhooks("delivered").await.unwrap() < n as u64 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let timings = store.delivery_timings().await.unwrap();
    let first = timings.iter().map(|(c, _)| *c).min().unwrap_or(0);
    let last = timings.iter().map(|(_, d)| *d).max().unwrap_or(1);
    let mut latencies: Vec<i64> = timings.iter().map(|(c, d)| d - c).collect();
    latencies.sort_unstable();
    let pct = |p: f64| {
        latencies
            .get(((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0)
    };
    let rate = timings.len() as f64 / ((last - first).max(1) as f64 / 1000.0);
    println!(
        "| {label} ({} delivered) | {rate:.0} | {} | {} | {} |",
        timings.len(),
        pct(0.5),
        pct(0.99),
        pct(1.0)
    );
    drop(kassa);
    drop(receiver);
}

/// A receiver that answers 200 at once (a well-behaved merchant endpoint).
fn serve_receiver() {
    use actix_web::{App, HttpResponse, HttpServer, web};
    actix_web::rt::System::new().block_on(async {
        let server = HttpServer::new(|| {
            App::new().default_service(web::to(|_body: web::Bytes| async {
                HttpResponse::Ok().body("ok")
            }))
        })
        .bind("127.0.0.1:0")
        .unwrap();
        println!("READY {}", server.addrs()[0]);
        server.run().await.unwrap();
    });
}
