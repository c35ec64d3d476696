//! The load generator the benchmarks share: closed-loop keep-alive clients
//! in this process for a fixed time (after a short warm-up), and the bare
//! actix-web endpoint every benchmark measures as its baseline in the same run.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// The create body the API benchmarks send (a default merchant's domain).
pub const SESSION_BODY: &str = r#"{"domain":"shop.example","merchant_ref":"BENCH","amount":"79.00","currency":"EUR","customer_email":"buyer@example.com","return_url":"https://shop.example/thank-you"}"#;

/// Creates one session at `url` (`POST /gateway/session.php`) with
/// [`SESSION_BODY`]; its id.
pub async fn create_one(url: &str, key: &str) -> i64 {
    create_with(url, key, SESSION_BODY).await
}

/// Creates one session at `url` with `body`; its id.
pub async fn create_with(url: &str, key: &str, body: &'static str) -> i64 {
    let r = reqwest::Client::new()
        .post(url)
        .header("X-API-Key", key)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    let v: serde_json::Value = r.json().await.unwrap();
    v["session_id"].as_i64().unwrap()
}

#[derive(Clone)]
pub enum Request {
    Get,
    Post(String),
    /// A form POST answered by a 303, as a customer's browser sends it; each
    /// request names a different client in `X-Forwarded-For`.
    Form(String),
}

#[derive(Debug, Clone, Copy)]
pub struct Stats {
    pub rps: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub errors: u64,
    /// Mean response body size, in bytes.
    pub bytes: f64,
    /// Requests answered as expected over the whole run, warm-up included.
    pub answered_ok: u64,
}

/// Runs `concurrency` keep-alive connections in a closed loop for
/// `duration`; each connection walks through `urls` in turn (starting at a
/// different one), so several sessions share the load.
pub async fn load(
    urls: &[String],
    request: Request,
    key: Option<&str>,
    concurrency: usize,
    duration: Duration,
) -> Stats {
    let warmup = Duration::from_millis(500);
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    for worker in 0..concurrency {
        let (urls, request, key, stop) = (
            urls.to_vec(),
            request.clone(),
            key.map(str::to_string),
            stop.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::builder()
                .pool_max_idle_per_host(1)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap();
            let started = Instant::now();
            let mut latencies = Vec::with_capacity(100_000);
            let (mut errors, mut bytes, mut answered_ok) = (0u64, 0u64, 0u64);
            let mut next = worker;
            let expected = match request {
                Request::Form(_) => 303,
                Request::Get | Request::Post(_) => 200,
            };
            while !stop.load(Ordering::Relaxed) {
                let url = &urls[next % urls.len()];
                next += 1;
                let mut req = match &request {
                    Request::Get => client.get(url),
                    Request::Post(body) => client
                        .post(url)
                        .header("content-type", "application/json")
                        .body(body.clone()),
                    Request::Form(body) => client
                        .post(url)
                        .header("content-type", "application/x-www-form-urlencoded")
                        .header("x-forwarded-for", customer(worker, next))
                        .body(body.clone()),
                };
                if let Some(k) = &key {
                    req = req.header("X-API-Key", k);
                }
                let t = Instant::now();
                let (ok, size) = match req.send().await {
                    Ok(r) => {
                        let ok = r.status().as_u16() == expected;
                        let size = r.bytes().await.map(|b| b.len()).unwrap_or(0);
                        (ok, size as u64)
                    }
                    Err(_) => (false, 0),
                };
                answered_ok += u64::from(ok);
                if started.elapsed() >= warmup {
                    latencies.push(t.elapsed().as_micros() as u32);
                    bytes += size;
                    if !ok {
                        errors += 1;
                    }
                }
            }
            (latencies, errors, bytes, answered_ok)
        }));
    }
    tokio::time::sleep(warmup + duration).await;
    stop.store(true, Ordering::Relaxed);
    let (mut all, mut errors, mut bytes, mut answered_ok) = (Vec::new(), 0, 0, 0);
    for t in tasks {
        let (l, e, b, a) = t.await.unwrap();
        all.extend(l);
        errors += e;
        bytes += b;
        answered_ok += a;
    }
    Stats::of(all, errors, bytes, answered_ok, duration)
}

impl Stats {
    /// The figures of a run of `duration`: `latencies` (µs) of the requests
    /// measured, `errors` and `bytes` among them, `answered_ok` in all.
    pub fn of(
        mut latencies: Vec<u32>,
        errors: u64,
        bytes: u64,
        answered_ok: u64,
        duration: Duration,
    ) -> Stats {
        latencies.sort_unstable();
        let all = &latencies;
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
            bytes: bytes as f64 / all.len().max(1) as f64,
            answered_ok,
        }
    }
}

/// A distinct customer address for a worker's `n`-th request.
fn customer(worker: usize, n: usize) -> String {
    format!("10.{}.{}.{}", worker % 256, (n >> 8) % 256, n % 256)
}

/// The baseline: a bare actix-web endpoint that parses a JSON body and
/// answers JSON (`/echo`), and one that parses a form and answers 303
/// (`/form`); `/healthz` answers 200, as a node's does, for a proxy in front
/// (the cluster benchmark's nginx waits for it). Prints `READY <addr>`.
pub fn serve_baseline() {
    use actix_web::{App, HttpResponse, HttpServer, web};
    actix_web::rt::System::new().block_on(async {
        let server = HttpServer::new(|| {
            App::new()
                .route(
                    "/echo",
                    web::post().to(|body: web::Json<serde_json::Value>| async move {
                        HttpResponse::Ok().json(serde_json::json!({ "ok": true, "received": body.0.as_object().map(|o| o.len()) }))
                    }),
                )
                .route("/healthz", web::get().to(HttpResponse::Ok))
                .route(
                    "/form",
                    web::post().to(
                        |form: web::Form<std::collections::HashMap<String, String>>| async move {
                            HttpResponse::SeeOther()
                                .insert_header(("location", format!("/pay.php?session={}", form.len())))
                                .finish()
                        },
                    ),
                )
        })
        .bind("127.0.0.1:0")
        .unwrap();
        println!("READY {}", server.addrs()[0]);
        server.run().await.unwrap();
    });
}
