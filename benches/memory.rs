//! Memory benchmark: the resident memory of a Kassa server (SQLite,
//! sandbox) that starts on a database holding one million open sessions,
//! then holds 10,000 live session actors, then serves the hosted page of
//! 3,000 random sessions and 20,000 creates. Resident memory (`VmRSS`) is
//! read from `/proc/<pid>/status` after each step, with the peak
//! (`VmHWM`) at the end; the target is under 300 MB throughout.
//!
//! Session actors are made live by cancelling open sessions through the
//! hosted checkout's cancel form (a transition, so each session gets its
//! actor, which stays until it has been idle for `session_idle_secs`,
//! 300 s by default); `kassa_actor_live{actor="session"}` confirms the count.
//!
//! Run: `cargo bench --bench memory` (options after `--`: `--sessions N`
//! (1,000,000), `--actors N` (10,000), `--views N` (3,000), `--creates N`
//! (20,000)).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::time::Instant;

use common::load::create_one;
use common::{Server, bench_merchant, flag};

/// Open sessions written per INSERT.
const BATCH: i64 = 1_000;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("serve") {
        return serve(&args[2], &args[3]);
    }
    let _ = rustls::crypto::ring::default_provider().install_default();
    let number = |name: &str, default: i64| {
        flag(&args, name)
            .and_then(|s| s.parse::<i64>().ok())
            .unwrap_or(default)
    };
    let counts = Counts {
        sessions: number("--sessions", 1_000_000),
        actors: number("--actors", 10_000),
        views: number("--views", 3_000),
        creates: number("--creates", 20_000),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run(&counts));
}

struct Counts {
    sessions: i64,
    actors: i64,
    views: i64,
    creates: i64,
}

/// The server's settings: the benchmark process prepares the database with
/// the same ones (same data folder, so the same secrets key).
fn settings(db: &str, data_dir: &str) -> kassa::config::Settings {
    kassa::config::Settings::check(kassa::config::RawSettings {
        bind: "127.0.0.1:0".into(),
        data_dir: data_dir.into(),
        database_url: Some(db.to_string()),
        rate_limit_per_second: 10_000_000,
        rate_limit_burst: 10_000_000,
        payout_poll_ms: 3_600_000,
        ..kassa::config::RawSettings::default()
    })
    .unwrap()
}

/// Kassa on an existing database; prints `READY <addr> <key>` with the
/// key the benchmark wrote to `<data_dir>/bench-key`.
fn serve(db: &str, data_dir: &str) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    kassa::telemetry::init("warn");
    actix_web::rt::System::new().block_on(async {
        let app = kassa::startup::Application::build(
            settings(db, data_dir),
            Arc::new(kassa::clock::SystemClock),
        )
        .await
        .unwrap();
        let key = std::fs::read_to_string(format!("{data_dir}/bench-key")).unwrap();
        println!("READY {} {key}", app.address());
        app.run_until_stopped().await.unwrap();
    });
}

async fn run(counts: &Counts) {
    println!(
        "# Kassa memory benchmark: {} open sessions in SQLite, {} live session actors, {} page views, {} creates",
        counts.sessions, counts.actors, counts.views, counts.creates
    );
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().display().to_string();
    let db = format!("sqlite://{data_dir}/kassa.sqlite3");
    let now = chrono::Utc::now().timestamp_millis();
    prepare(&db, &data_dir, counts.sessions, now).await;

    let started = Instant::now();
    let kassa = Server::start(&["serve", &db, &data_dir]);
    println!(
        "server ready in {:.1} s (it loads every deposit address to watch)",
        started.elapsed().as_secs_f64()
    );
    let base = format!("http://{}", kassa.addr);
    let mut readings = vec![("started, idle".to_string(), rss(kassa.pid()))];

    // The newest sessions, made live by cancelling them.
    let live: Vec<i64> = (0..counts.actors)
        .map(|k| session_id(counts.sessions - k))
        .collect();
    let cancelled = in_parallel(&base, live, cancel).await;
    let actors = live_session_actors(&base).await;
    readings.push((
        format!("{cancelled} sessions cancelled, {actors} session actors live"),
        rss(kassa.pid()),
    ));

    // Hosted pages of random sessions, as customers spread over the table.
    let viewed: Vec<i64> = (0..counts.views)
        .map(|_| session_id(rand::random_range(1..=counts.sessions)))
        .collect();
    let shown = in_parallel(&base, viewed, view).await;
    readings.push((
        format!("{shown} pages of random sessions shown"),
        rss(kassa.pid()),
    ));

    let create_url = format!("{base}/gateway/session.php");
    let key = kassa.key.clone();
    let creators: Vec<_> = (0..32)
        .map(|w| {
            let (url, key) = (create_url.clone(), key.clone());
            let n = counts.creates / 32 + i64::from(w < counts.creates % 32);
            tokio::spawn(async move {
                for _ in 0..n {
                    create_one(&url, &key).await;
                }
            })
        })
        .collect();
    for c in creators {
        c.await.unwrap();
    }
    let actors = live_session_actors(&base).await;
    readings.push((
        format!(
            "{} sessions created ({actors} session actors live)",
            counts.creates
        ),
        rss(kassa.pid()),
    ));

    println!("\n| after | resident memory |\n|---|---|");
    for (what, kb) in &readings {
        println!("| {what} | {:.1} MB |", *kb as f64 / 1024.0);
    }
    let peak = status_kb(kassa.pid(), "VmHWM:");
    println!("| peak (VmHWM) | {:.1} MB |", peak as f64 / 1024.0);
    let within = peak < 300 * 1024;
    println!(
        "\npeak {} the 300 MB target",
        if within { "within" } else { "OVER" }
    );
}

/// Migrates, adds the benchmark merchant (its key in `<data_dir>/bench-key`)
/// and writes `n` open sessions of it, then closes the database.
async fn prepare(db: &str, data_dir: &str, n: i64, now: i64) {
    let settings = settings(db, data_dir);
    let store = kassa::store::Store::connect(&settings.database)
        .await
        .unwrap();
    store.migrate().await.unwrap();
    let key = kassa::domain::api_key::generate();
    let merchant = store
        .create_merchant(bench_merchant(&key, None), 0)
        .await
        .unwrap();
    std::fs::write(format!("{data_dir}/bench-key"), &key.key).unwrap();
    store.close().await;

    use sea_orm::sqlx::{AssertSqlSafe, Connection, Executor, raw_sql};
    let started = Instant::now();
    let mut conn = sea_orm::sqlx::SqliteConnection::connect(db).await.unwrap();
    let mut txn = conn.begin().await.unwrap();
    let head = "INSERT INTO sessions (id, merchant_id, hd_index, deposit_address, order_id, \
                amount_minor, currency, expected_usdc, received_usdc, status, version, \
                event_count, shop_domain, customer_email, test, created_at, expires_at) VALUES ";
    for b in 0..(n + BATCH - 1) / BATCH {
        let rows: Vec<String> = (b * BATCH + 1..=((b + 1) * BATCH).min(n))
            .map(|i| {
                // Open: created within the last n ms, expiring in an hour.
                format!(
                    "({},{merchant},{},'{}','ORD-{i}',7900,'EUR',85320000,0,'created',1,0,\
                     'shop.example','buyer{i}@example.com',TRUE,{},{})",
                    session_id(i),
                    10_000_000 + i,
                    address(i),
                    now - (n - i),
                    now + 3_600_000
                )
            })
            .collect();
        txn.execute(raw_sql(AssertSqlSafe(format!("{head}{}", rows.join(",")))))
            .await
            .unwrap();
    }
    txn.commit().await.unwrap();
    println!(
        "wrote {n} open sessions in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

/// Session `i`'s id: a bijection of `i`, so ids look random like real ones.
fn session_id(i: i64) -> i64 {
    (i.wrapping_mul(0x9E37_79B9_7F4A_7C15_u64 as i64)) & ((1 << 53) - 1) | (1 << 40)
}

/// A distinct deposit address per session (the watcher loads each one).
fn address(i: i64) -> String {
    format!(
        "0x{:040x}",
        0x5aae_0000_0000_0000_u64 as i128 + i128::from(i)
    )
}

/// Runs `step` for every id with 32 clients at once; how many succeeded.
async fn in_parallel<F, Fut>(base: &str, ids: Vec<i64>, step: F) -> usize
where
    F: Fn(reqwest::Client, String, i64) -> Fut + Copy + Send + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let chunk = ids.len().div_ceil(32).max(1);
    let tasks: Vec<_> = ids
        .chunks(chunk)
        .map(|part| {
            let (part, base) = (part.to_vec(), base.to_string());
            tokio::spawn(async move {
                let client = reqwest::Client::builder()
                    .redirect(reqwest::redirect::Policy::none())
                    .build()
                    .unwrap();
                let mut ok = 0;
                for id in part {
                    ok += usize::from(step(client.clone(), base.clone(), id).await);
                }
                ok
            })
        })
        .collect();
    let mut ok = 0;
    for t in tasks {
        ok += t.await.unwrap();
    }
    ok
}

/// Shows session `id`'s hosted page; whether it answered 200.
async fn view(client: reqwest::Client, base: String, id: i64) -> bool {
    let r = client
        .get(format!("{base}/pay.php?session={id}"))
        .send()
        .await
        .unwrap();
    r.status() == 200
}

/// Cancels session `id` through its hosted page's cancel form; whether the
/// form was there and answered with a redirect.
async fn cancel(client: reqwest::Client, base: String, id: i64) -> bool {
    let page = client
        .get(format!("{base}/pay.php?session={id}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let Some(token) = page
        .split("name=\"token\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
    else {
        return false;
    };
    let r = client
        .post(format!("{base}/pay/cancel"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("session={id}&token={token}"))
        .send()
        .await
        .unwrap();
    r.status().is_redirection()
}

/// `kassa_actor_live{actor="session"}` from `/metrics`.
async fn live_session_actors(base: &str) -> i64 {
    let text = reqwest::get(format!("{base}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find(|l| l.starts_with("kassa_actor_live{") && l.contains("\"session\""))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse::<f64>().ok())
        .map(|v| v as i64)
        .unwrap_or(-1)
}

/// Resident memory of `pid`, in kB.
fn rss(pid: u32) -> u64 {
    status_kb(pid, "VmRSS:")
}

fn status_kb(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}
