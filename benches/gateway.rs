//! Gateway benchmark: drives `POST /gateway/session.php` and
//! `GET /gateway/session_status.php` over HTTP from this (load) process
//! against a Kassa server in a child process, at concurrency 1 and 64, beside
//! a baseline measured in the same run: a bare actix-web JSON POST endpoint,
//! also in a child process. Only the ratios mean anything across machines.
//!
//! Run: `cargo bench --bench gateway` (options after `--`:
//! `--seconds N`, `--db sqlite|postgres|both`; PostgreSQL needs
//! `KASSA_TEST_POSTGRES_URL`, a server where databases may be created).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::load::{Request, SESSION_BODY, Stats, create_one, load, serve_baseline};
use common::{BenchDb, Server, flag, serve_kassa};

use std::time::Duration;

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
    let db = flag(&args, "--db").unwrap_or_else(|| "both".into());
    let duration = Duration::from_secs(seconds);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run(duration, &db));
}

async fn run(duration: Duration, db: &str) {
    println!(
        "# Kassa gateway benchmark ({}s per measurement, load generator in this process)",
        duration.as_secs()
    );
    let baseline = Server::start(&["serve-baseline"]);
    let mut rows = Vec::new();
    for c in [1, 64] {
        let r = load(
            &[format!("http://{}/echo", baseline.addr)],
            Request::Post(SESSION_BODY.into()),
            None,
            c,
            duration,
        )
        .await;
        rows.push(("baseline bare actix-web JSON POST".to_string(), c, r));
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
        let key = kassa.key.clone();
        let create_url = format!("http://{}/gateway/session.php", kassa.addr);
        for c in [1, 64] {
            let r = load(
                std::slice::from_ref(&create_url),
                Request::Post(SESSION_BODY.into()),
                Some(&key),
                c,
                duration,
            )
            .await;
            rows.push((format!("{label}: POST /gateway/session.php"), c, r));
        }
        let id = create_one(&create_url, &key).await;
        let status_url = format!(
            "http://{}/gateway/session_status.php?session_id={id}",
            kassa.addr
        );
        for c in [1, 64] {
            let r = load(
                std::slice::from_ref(&status_url),
                Request::Get,
                Some(&key),
                c,
                duration,
            )
            .await;
            rows.push((format!("{label}: GET /gateway/session_status.php"), c, r));
        }
    }
    report(&rows);
}

fn report(rows: &[(String, usize, Stats)]) {
    let base = |c: usize| {
        rows.iter()
            .find(|(n, rc, _)| n.starts_with("baseline") && *rc == c)
            .map(|(_, _, s)| s.rps)
            .unwrap_or(1.0)
    };
    println!("\n| what | concurrency | requests/s | vs baseline | p50 ms | p99 ms | errors |");
    println!("|---|---|---|---|---|---|---|");
    for (name, c, s) in rows {
        println!(
            "| {name} | {c} | {:.0} | {:.0}% | {:.2} | {:.2} | {} |",
            s.rps,
            100.0 * s.rps / base(*c),
            s.p50_ms,
            s.p99_ms,
            s.errors
        );
    }
}
