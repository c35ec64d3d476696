//! Checkout page benchmark: renders `GET /pay.php?session=N` and
//! `GET /crypto.php?session=N` (QR code included) over HTTP at concurrency
//! 1 and 64 against a Kassa server in a child process, beside the bare
//! actix-web baseline measured in the same run, and reports requests/s,
//! p50/p99, the share of the baseline's requests/s and the page weight
//! (HTML without images, as sent and gzip-compressed). The issue's target:
//! at least 50% of the baseline, pages under 50 KB.
//!
//! Run: `cargo bench --bench checkout` (options after `--`: `--seconds N`,
//! `--sessions N`, `--db sqlite|postgres|both`; PostgreSQL needs
//! `KASSA_TEST_POSTGRES_URL`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::load::{Request, Stats, create_with, load, serve_baseline};
use common::{BenchDb, Server, flag, serve_kassa};

use std::time::Duration;

const SESSION_BODY: &str = r#"{"domain":"shop.example","merchant_ref":"BENCH","amount":"79.00","currency":"EUR","customer_email":"buyer@example.com","return_url":"https://shop.example/thank-you","cancel_url":"https://shop.example/cart"}"#;

/// The issue's page weight limit, without images.
const PAGE_LIMIT_BYTES: usize = 50 * 1024;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("serve-baseline") => return serve_baseline(),
        Some("serve-kassa") => return serve_kassa(&args[2], None),
        _ => {}
    }
    let _ = rustls::crypto::ring::default_provider().install_default();
    let seconds: u64 = flag(&args, "--seconds")
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let sessions: usize = flag(&args, "--sessions")
        .and_then(|s| s.parse().ok())
        .unwrap_or(8)
        .max(1);
    let db = flag(&args, "--db").unwrap_or_else(|| "both".into());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run(Duration::from_secs(seconds), sessions, &db));
}

struct Row {
    name: String,
    concurrency: usize,
    stats: Stats,
}

async fn run(duration: Duration, sessions: usize, db: &str) {
    println!(
        "# Kassa checkout page benchmark ({}s per measurement, {sessions} sessions, load generator in this process)",
        duration.as_secs()
    );
    let baseline = Server::start(&["serve-baseline"]);
    let mut rows = Vec::new();
    let mut weights = Vec::new();
    for c in [1, 64] {
        let stats = load(
            &[format!("http://{}/echo", baseline.addr)],
            Request::Post(SESSION_BODY.into()),
            None,
            c,
            duration,
        )
        .await;
        rows.push(Row {
            name: "baseline bare actix-web JSON POST".into(),
            concurrency: c,
            stats,
        });
    }
    for label in ["sqlite", "postgres"] {
        if db != label && db != "both" {
            continue;
        }
        let Some(database) = BenchDb::create(label).await else {
            println!("(postgres skipped: KASSA_TEST_POSTGRES_URL is not set)");
            continue;
        };
        let kassa = Server::start(&["serve-kassa", &database.url]);
        let create_url = format!("http://{}/gateway/session.php", kassa.addr);
        let mut ids = Vec::new();
        for _ in 0..sessions {
            ids.push(create_with(&create_url, &kassa.key, SESSION_BODY).await);
        }
        for page in ["pay.php", "crypto.php"] {
            let urls: Vec<String> = ids
                .iter()
                .map(|id| format!("http://{}/{page}?session={id}", kassa.addr))
                .collect();
            weights.push((format!("{label}: /{page}"), weigh(&urls[0]).await));
            for c in [1, 64] {
                let stats = load(&urls, Request::Get, None, c, duration).await;
                rows.push(Row {
                    name: format!("{label}: GET /{page}?session=N"),
                    concurrency: c,
                    stats,
                });
            }
        }
    }
    report(&rows, &weights);
}

fn report(rows: &[Row], weights: &[(String, (usize, usize))]) {
    let base = |c: usize| {
        rows.iter()
            .find(|r| r.name.starts_with("baseline") && r.concurrency == c)
            .map(|r| r.stats.rps)
            .unwrap_or(1.0)
    };
    println!(
        "\n| what | concurrency | requests/s | vs baseline | p50 ms | p99 ms | bytes/response | errors |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for r in rows {
        let s = r.stats;
        println!(
            "| {} | {} | {:.0} | {:.0}% | {:.2} | {:.2} | {:.0} | {} |",
            r.name,
            r.concurrency,
            s.rps,
            100.0 * s.rps / base(r.concurrency),
            s.p50_ms,
            s.p99_ms,
            s.bytes,
            s.errors
        );
    }
    println!("\n| page | bytes (HTML, no images) | gzip bytes | under 50 KB |");
    println!("|---|---|---|---|");
    for (name, (plain, gzip)) in weights {
        println!(
            "| {name} | {plain} | {gzip} | {} |",
            if *plain < PAGE_LIMIT_BYTES {
                "yes"
            } else {
                "NO"
            }
        );
    }
}

/// The page's size as sent, plain and with `Accept-Encoding: gzip`
/// (this client does not decompress, so the body is the wire size).
async fn weigh(url: &str) -> (usize, usize) {
    let client = reqwest::Client::new();
    let plain = client.get(url).send().await.unwrap();
    assert_eq!(plain.status().as_u16(), 200, "{url}");
    let plain = plain.bytes().await.unwrap().len();
    let gzip = client
        .get(url)
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap()
        .len();
    (plain, gzip)
}
