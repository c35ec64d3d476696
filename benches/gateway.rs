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

use common::{BenchDb, Server, flag, serve_kassa};

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

const SESSION_BODY: &str = r#"{"domain":"shop.example","merchant_ref":"BENCH","amount":"79.00","currency":"EUR","customer_email":"buyer@example.com","return_url":"https://shop.example/thank-you"}"#;

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
            &format!("http://{}/echo", baseline.addr),
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
                &create_url,
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
            let r = load(&status_url, Request::Get, Some(&key), c, duration).await;
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

#[derive(Clone)]
enum Request {
    Get,
    Post(String),
}

#[derive(Debug, Clone, Copy)]
struct Stats {
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
    errors: u64,
}

/// Runs `concurrency` keep-alive connections in a closed loop for `duration`.
async fn load(
    url: &str,
    request: Request,
    key: Option<&str>,
    concurrency: usize,
    duration: Duration,
) -> Stats {
    let warmup = Duration::from_millis(500);
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (url, request, key, stop) = (
            url.to_string(),
            request.clone(),
            key.map(str::to_string),
            stop.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::builder()
                .pool_max_idle_per_host(1)
                .build()
                .unwrap();
            let started = Instant::now();
            let mut latencies = Vec::with_capacity(100_000);
            let mut errors = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let mut req = match &request {
                    Request::Get => client.get(&url),
                    Request::Post(body) => client
                        .post(&url)
                        .header("content-type", "application/json")
                        .body(body.clone()),
                };
                if let Some(k) = &key {
                    req = req.header("X-API-Key", k);
                }
                let t = Instant::now();
                let ok = match req.send().await {
                    Ok(r) => {
                        let ok = r.status().as_u16() == 200;
                        let _ = r.bytes().await;
                        ok
                    }
                    Err(_) => false,
                };
                if started.elapsed() >= warmup {
                    latencies.push(t.elapsed().as_micros() as u32);
                    if !ok {
                        errors += 1;
                    }
                }
            }
            (latencies, errors)
        }));
    }
    tokio::time::sleep(warmup + duration).await;
    stop.store(true, Ordering::Relaxed);
    let mut all = Vec::new();
    let mut errors = 0;
    for t in tasks {
        let (l, e) = t.await.unwrap();
        all.extend(l);
        errors += e;
    }
    all.sort_unstable();
    let pct = |p: f64| {
        all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0) as f64
            / 1000.0
    };
    Stats {
        rps: all.len() as f64 / duration.as_secs_f64(),
        p50_ms: pct(0.50),
        p99_ms: pct(0.99),
        errors,
    }
}

async fn create_one(url: &str, key: &str) -> i64 {
    let r = reqwest::Client::new()
        .post(url)
        .header("X-API-Key", key)
        .body(SESSION_BODY)
        .send()
        .await
        .unwrap();
    let v: serde_json::Value = r.json().await.unwrap();
    v["session_id"].as_i64().unwrap()
}

/// The baseline: a bare actix-web endpoint that parses a JSON body and answers JSON.
fn serve_baseline() {
    use actix_web::{App, HttpResponse, HttpServer, web};
    actix_web::rt::System::new().block_on(async {
        let server = HttpServer::new(|| {
            App::new().route(
                "/echo",
                web::post().to(|body: web::Json<serde_json::Value>| async move {
                    HttpResponse::Ok().json(serde_json::json!({ "ok": true, "received": body.0.as_object().map(|o| o.len()) }))
                }),
            )
        })
        .bind("127.0.0.1:0")
        .unwrap();
        println!("READY {}", server.addrs()[0]);
        server.run().await.unwrap();
    });
}
