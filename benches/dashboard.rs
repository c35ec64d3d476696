//! Dashboard benchmark: the merchant's session list with 1,000,000 sessions
//! in the database (one merchant, inserted straight with SQL), read over
//! HTTP with a logged-in cookie from this process against Kassa in a child
//! process, one request at a time: the first page, a page in the middle
//! (an `older` link a year's half back), two filtered pages (a status and
//! a week of dates; an exact order id), and the overview with its 30-day
//! paid volume chart. Reports p50 / p99 per page on SQLite and PostgreSQL
//! and whether p99 stays under the target of 50 ms.
//!
//! Run: `cargo bench --bench dashboard` (options after `--`:
//! `--sessions N` (default 1,000,000), `--requests N` per page (default
//! 200), `--db sqlite|postgres|both`; PostgreSQL needs
//! `KASSA_TEST_POSTGRES_URL`, a server where databases may be created).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

#[path = "dashboard/seed.rs"]
mod seed;

use std::sync::Arc;
use std::time::Instant;

use common::{BenchDb, Server, bench_merchant, flag};

const EMAIL: &str = "bench@shop.example";
const PASSWORD: &str = "correct horse battery staple";
const TARGET_MS: f64 = 50.0;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("serve-dashboard") {
        return serve(&args[2]);
    }
    let _ = rustls::crypto::ring::default_provider().install_default();
    let n: i64 = flag(&args, "--sessions")
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let requests: usize = flag(&args, "--requests")
        .and_then(|s| s.parse().ok())
        .unwrap_or(200);
    let db = flag(&args, "--db").unwrap_or_else(|| "both".into());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run(n, requests, &db));
}

async fn run(n: i64, requests: usize, db: &str) {
    println!(
        "# Kassa dashboard benchmark: {n} sessions, {requests} requests per page, one at a time"
    );
    let mut rows = Vec::new();
    for label in ["sqlite", "postgres"] {
        if db != label && db != "both" {
            continue;
        }
        let Some(database) = BenchDb::create(label).await else {
            println!("(postgres skipped: KASSA_TEST_POSTGRES_URL is not set)");
            continue;
        };
        let kassa = Server::start(&["serve-dashboard", &database.url]);
        let merchant: i64 = kassa.key.parse().unwrap();
        let now = chrono::Utc::now().timestamp_millis();
        seed::seed(&database.url, merchant, n, now).await;
        let base = format!("http://{}", kassa.addr);
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let cookie = log_in(&client, &base).await;
        let (mid_id, mid_at) = seed::session(n / 2, n, now);
        let day = |ms: i64| {
            chrono::DateTime::from_timestamp_millis(ms)
                .unwrap()
                .format("%Y-%m-%d")
                .to_string()
        };
        let pages = [
            ("first page", "/dashboard/sessions".to_string()),
            (
                "middle page",
                format!("/dashboard/sessions?before={mid_at}_{mid_id}"),
            ),
            (
                "status + dates",
                format!(
                    "/dashboard/sessions?status=cancelled&from={}&to={}",
                    day(mid_at - 7 * 86_400_000),
                    day(mid_at)
                ),
            ),
            (
                "order id",
                format!("/dashboard/sessions?order_id=ORD-{}", n / 3),
            ),
            ("overview + chart", "/dashboard".to_string()),
        ];
        for (name, path) in pages {
            let (p50, p99, rows_seen) = measure(&client, &base, &path, &cookie, requests).await;
            rows.push((format!("{label}: {name}"), p50, p99, rows_seen));
        }
    }
    println!("\n| page | p50 ms | p99 ms | sessions on page | p99 < {TARGET_MS} ms |");
    println!("|---|---|---|---|---|");
    for (name, p50, p99, seen) in &rows {
        let met = if *p99 < TARGET_MS { "met" } else { "NOT met" };
        println!("| {name} | {p50:.2} | {p99:.2} | {seen} | {met} |");
    }
}

/// Logs in as the benchmark merchant; returns the `Cookie` header to send.
async fn log_in(client: &reqwest::Client, base: &str) -> String {
    let page = client
        .get(format!("{base}/dashboard/login"))
        .send()
        .await
        .unwrap();
    let jar = cookies(&page, String::new());
    let html = page.text().await.unwrap();
    let at = html.find("name=\"csrf\" value=\"").unwrap() + 19;
    let csrf = html[at..].split('"').next().unwrap().to_string();
    let done = client
        .post(format!("{base}/dashboard/login"))
        .header("cookie", &jar)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(
            url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs([
                    ("csrf", csrf.as_str()),
                    ("email", EMAIL),
                    ("password", PASSWORD),
                ])
                .finish(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), 303, "the benchmark merchant logs in");
    cookies(&done, jar)
}

fn cookies(r: &reqwest::Response, mut jar: String) -> String {
    for set in r.headers().get_all("set-cookie") {
        let pair = set.to_str().unwrap().split(';').next().unwrap();
        if !jar.is_empty() {
            jar.push_str("; ");
        }
        jar.push_str(pair);
    }
    jar
}

/// GETs `path` `n` times (after 10 unmeasured); p50, p99 in ms and the
/// sessions listed on the page.
async fn measure(
    client: &reqwest::Client,
    base: &str,
    path: &str,
    cookie: &str,
    n: usize,
) -> (f64, f64, usize) {
    let url = format!("{base}{path}");
    let mut times = Vec::with_capacity(n);
    let mut listed = 0;
    for i in 0..n + 10 {
        let started = Instant::now();
        let r = client
            .get(&url)
            .header("cookie", cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{path}");
        let body = r.text().await.unwrap();
        let took = started.elapsed();
        if i >= 10 {
            times.push(took);
        }
        listed = body.matches("<a href=\"/dashboard/sessions/").count();
    }
    times.sort();
    let at = |q: f64| {
        let i = ((times.len() as f64 * q).ceil() as usize).clamp(1, times.len()) - 1;
        times[i].as_secs_f64() * 1000.0
    };
    (at(0.50), at(0.99), listed)
}

/// The server: Kassa on `db` with the benchmark merchant (a dashboard
/// password set). Prints `READY <addr> <merchant id>`.
fn serve(db: &str) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    kassa::telemetry::init("warn");
    actix_web::rt::System::new().block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let raw = kassa::config::RawSettings {
            bind: "127.0.0.1:0".into(),
            data_dir: dir.path().display().to_string(),
            database_url: Some(db.to_string()),
            rate_limit_per_second: 10_000_000,
            rate_limit_burst: 10_000_000,
            payout_poll_ms: 3_600_000,
            ..kassa::config::RawSettings::default()
        };
        let settings = kassa::config::Settings::check(raw).unwrap();
        let app = kassa::startup::Application::build(settings, Arc::new(kassa::clock::SystemClock))
            .await
            .unwrap();
        let key = kassa::domain::api_key::generate();
        let password = secrecy::SecretString::from(PASSWORD.to_string());
        let hash = kassa::domain::password::NewPassword::parse(password)
            .unwrap()
            .hash()
            .unwrap();
        let mut merchant = bench_merchant(&key, None);
        merchant.password_hash = Some(hash);
        let id = app.store().create_merchant(merchant, 0).await.unwrap();
        println!("READY {} {id}", app.address());
        app.run_until_stopped().await.unwrap();
    });
}
