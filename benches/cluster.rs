//! Cluster benchmark: one, two and three `kassa serve` processes on one
//! fresh PostgreSQL database behind nginx (the shipped
//! `ops/nginx/kassa.conf`, run as `tests/nginx.rs` runs it), driven through
//! nginx by this process's closed-loop load generator: `POST
//! /gateway/session.php` and `GET /gateway/session_status.php` at a fixed
//! concurrency, beside the bare actix-web baseline behind the same nginx
//! (measured first and last). Then, with three nodes, webhook deliveries/s:
//! sessions created through nginx and paid at the leader while the
//! merchant's receiver is down, then the receiver started and the backlog
//! replayed (`kassa webhooks replay`), timed until every event is delivered.
//!
//! On a machine whose few cores the nodes, nginx, PostgreSQL and the load
//! generator share, more nodes add overhead, not capacity; so every row also
//! says what a request costs: CPU milliseconds of the nodes, of PostgreSQL
//! and of nginx (`/proc/<pid>/stat`), and the database's commits (see
//! `cluster/meter.rs` for how they are counted and the idle cluster's own
//! commits taken out).
//!
//! Run: `cargo bench --bench cluster` (options after `--`: `--seconds N`
//! per row, `--concurrency N`, `--sessions N` webhook events, `--settle N`
//! seconds waited for PostgreSQL's statistics, `--idle N` seconds of the
//! idle reading, `--endpoint-concurrency N`). Needs nginx and
//! `KASSA_TEST_POSTGRES_URL` (a server where databases may be created);
//! without either it prints `skipped: …`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

#[path = "cluster/meter.rs"]
mod meter;
#[path = "cluster/nodes.rs"]
mod nodes;
#[path = "cluster/report.rs"]
mod report;
#[path = "cluster/webhooks.rs"]
mod webhooks;

#[path = "../tests/nginx.rs"]
#[allow(dead_code)]
mod nginx;

/// What `nginx.rs` expects from the test helpers.
mod helpers {
    pub fn skip(why: &str) {
        println!("skipped: {why}");
    }
}

use std::time::{Duration, Instant};

use common::hooks::serve_receiver;
use common::load::{Request, SESSION_BODY, create_one, load, serve_baseline};
use common::{BenchDb, Server, flag, free_port};
use meter::{Counters, Cpu, Database, work_done};
use nginx::Nginx;
use nodes::Node;
use report::{Idle, Row};

/// The options after `--`.
pub struct Options {
    pub seconds: u64,
    pub concurrency: usize,
    pub sessions: usize,
    pub settle: Duration,
    pub idle: Duration,
    pub endpoint_concurrency: usize,
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("serve-baseline") => return serve_baseline(),
        Some("serve-receiver") => return serve_receiver(args.get(2).map(String::as_str)),
        _ => {}
    }
    let _ = rustls::crypto::ring::default_provider().install_default();
    let number = |name: &str, default: u64| {
        flag(&args, name)
            .and_then(|s| s.parse().ok())
            .unwrap_or(default)
    };
    let options = Options {
        seconds: number("--seconds", 8),
        concurrency: number("--concurrency", 32) as usize,
        sessions: number("--sessions", 3000) as usize,
        settle: Duration::from_secs(number("--settle", 11)),
        idle: Duration::from_secs(number("--idle", 10)),
        endpoint_concurrency: number("--endpoint-concurrency", 64) as usize,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run(options));
}

async fn run(options: Options) {
    if nginx::binary().is_none() {
        helpers::skip("nginx is not installed (apt-get install nginx)");
        return;
    }
    let Some(admin) = std::env::var("KASSA_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
    else {
        helpers::skip("KASSA_TEST_POSTGRES_URL is not set");
        return;
    };
    let db = BenchDb::create("postgres").await.unwrap();
    let started = Instant::now();
    println!(
        "# Kassa cluster benchmark: {} s per row at concurrency {}, through nginx, load generator in this process",
        options.seconds, options.concurrency
    );
    let hook_port = free_port();
    let (merchant, key) =
        nodes::merchant_on(&db.url, &format!("http://127.0.0.1:{hook_port}/hook")).await;
    let mut pg = Database::watch(&admin, &db.url).await;
    let data = tempfile::tempdir().unwrap();
    let mut rows = vec![baseline(&options).await];
    let mut idles = Vec::new();
    let mut nodes: Vec<Node> = Vec::new();
    // Sessions the status rows ask about in turn (created once, through nginx).
    let mut status_ids = Vec::new();
    let mut proxy: Option<Nginx> = None;
    for n in 1..=3 {
        nodes.push(Node::start(&db.url, data.path(), n, options.endpoint_concurrency).await);
        drop(proxy.take());
        let addresses: Vec<String> = nodes.iter().map(|node| node.addr.clone()).collect();
        let nginx = proxy.insert(Nginx::start(&addresses).await.unwrap());
        let create_url = nginx.url("/gateway/session.php");
        if status_ids.is_empty() {
            for _ in 0..64 {
                status_ids.push(create_one(&create_url, &key).await);
            }
        }
        let status_urls: Vec<String> = status_ids
            .iter()
            .map(|id| nginx.url(&format!("/gateway/session_status.php?session_id={id}")))
            .collect();
        let pids: Vec<u32> = nodes.iter().map(Node::pid).collect();
        let idle = idle(&mut pg, &pids, &options, n).await;
        let mut before = pg.counters().await;
        for (what, urls, request) in [
            (
                "POST /gateway/session.php",
                vec![create_url.clone()],
                Request::Post(SESSION_BODY.into()),
            ),
            ("GET /gateway/session_status.php", status_urls, Request::Get),
        ] {
            let cpu0 = Cpu::now(&pids);
            let at = Instant::now();
            let stats = load(
                &urls,
                request,
                Some(&key),
                options.concurrency,
                duration(&options),
            )
            .await;
            let work = at.elapsed();
            let cpu = Cpu::now(&pids).since(&cpu0);
            let connections = pg.connections().await;
            let after = pg.settled(options.settle).await;
            let requests = stats.answered_ok as f64;
            rows.push(Row {
                what: what.to_string(),
                nodes: n,
                rps: stats.rps,
                latency: Some((stats.p50_ms, stats.p99_ms)),
                errors: stats.errors,
                units: requests,
                work,
                cpu,
                db: Some(work_done(&before, &after, work, &idle.per_second())),
                connections: Some(connections),
            });
            before = after;
        }
        idles.push(idle);
    }
    let nginx = proxy.as_ref().unwrap();
    rows.push(
        webhooks::deliveries(
            &options,
            &db.url,
            &mut pg,
            &nodes,
            nginx,
            (merchant, &key),
            hook_port,
            idles.last().unwrap(),
        )
        .await,
    );
    drop(proxy);
    drop(nodes);
    rows.push(baseline(&options).await);
    report::print(&rows, &idles, options.concurrency);
    let answered: f64 = rows
        .iter()
        .filter(|r| r.what.starts_with("POST"))
        .map(|r| r.units)
        .sum();
    println!(
        "\nsessions in the database: {} ({} creates answered 200 in the rows, {} for the status rows, {} for the webhooks)",
        sessions_in(&db.url).await,
        answered,
        status_ids.len(),
        options.sessions
    );
    println!(
        "\n(the whole run took {:.0} s)",
        started.elapsed().as_secs_f64()
    );
}

/// How many sessions the database holds: each create answered 200 is one.
async fn sessions_in(db_url: &str) -> i64 {
    use sea_orm::sqlx::Connection;
    let mut conn = sea_orm::sqlx::PgConnection::connect(db_url).await.unwrap();
    sea_orm::sqlx::query_scalar("SELECT COUNT(*) FROM sessions")
        .fetch_one(&mut conn)
        .await
        .unwrap()
}

/// A row's load time after the load generator's warm-up.
fn duration(options: &Options) -> Duration {
    Duration::from_secs(options.seconds)
}

/// The bare actix-web JSON endpoint behind the same nginx.
async fn baseline(options: &Options) -> Row {
    let server = Server::start(&["serve-baseline"]);
    let nginx = Nginx::start(std::slice::from_ref(&server.addr))
        .await
        .unwrap();
    let pids = [server.pid()];
    let cpu0 = Cpu::now(&pids);
    let at = Instant::now();
    let stats = load(
        &[nginx.url("/echo")],
        Request::Post(SESSION_BODY.into()),
        None,
        options.concurrency,
        duration(options),
    )
    .await;
    let work = at.elapsed();
    Row {
        what: "baseline: bare actix-web JSON POST".to_string(),
        nodes: 0,
        rps: stats.rps,
        latency: Some((stats.p50_ms, stats.p99_ms)),
        errors: stats.errors,
        units: stats.answered_ok as f64,
        work,
        cpu: Cpu::now(&pids).since(&cpu0),
        db: None,
        connections: None,
    }
}

/// What `n` idle nodes cost: commits and CPU per second with no requests.
async fn idle(pg: &mut Database, pids: &[u32], options: &Options, n: usize) -> Idle {
    let c0: Counters = pg.settled(options.settle).await;
    let cpu0 = Cpu::now(pids);
    tokio::time::sleep(options.idle).await;
    let cpu = Cpu::now(pids).since(&cpu0);
    let c1 = pg.counters().await;
    Idle {
        nodes: n,
        seconds: c1.at.duration_since(c0.at).as_secs_f64(),
        done: c1.since(&c0),
        cpu,
    }
}
