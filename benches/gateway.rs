//! Gateway benchmark: `POST /gateway/session.php`,
//! `GET /gateway/session_status.php` and the hosted `GET /pay.php` of a
//! Kassa server (a child process) on SQLite and on PostgreSQL, each
//! measured alternately with a bare actix-web JSON POST endpoint (another
//! child process) in the same runs; the figure of a row is the median of
//! its runs, its ratio that median over the median of the bare endpoint's
//! runs beside it. Only the ratios mean anything across machines.
//!
//! The load comes from this process ([`common::raw`], a lean HTTP/1.1
//! client: keep-alive connections in a closed loop). When `wrk` is
//! installed, the bare endpoint is also measured with it once, and the
//! share of `wrk`'s rate this load generator reaches is printed.
//!
//! Per row: requests/s, p50/p99, and CPU µs per request of the server
//! (utime + stime from `/proc/<pid>/stat`, over everything it answered in
//! the run, warm-up included) and of the load generator.
//!
//! Run: `cargo bench --bench gateway` (options after `--`: `--seconds N`
//! per run (10), `--runs N` (3), `--concurrency N` (64), `--db
//! sqlite|postgres|both`; PostgreSQL needs `KASSA_TEST_POSTGRES_URL`, a
//! server where databases may be created).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::load::{SESSION_BODY, Stats, create_one, serve_baseline};
use common::raw::{hammer, request};
use common::{BenchDb, Server, flag, serve_kassa};

use std::time::Duration;

struct Options {
    duration: Duration,
    runs: usize,
    concurrency: usize,
    db: String,
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("serve-baseline") => return serve_baseline(),
        Some("serve-kassa") => return serve_kassa(&args[2], None),
        _ => {}
    }
    let _ = rustls::crypto::ring::default_provider().install_default();
    let number = |name: &str, default: u64| {
        flag(&args, name)
            .and_then(|s| s.parse::<u64>().ok())
            .unwrap_or(default)
    };
    let options = Options {
        duration: Duration::from_secs(number("--seconds", 10)),
        runs: number("--runs", 3).max(1) as usize,
        concurrency: number("--concurrency", 64).max(1) as usize,
        db: flag(&args, "--db").unwrap_or_else(|| "both".into()),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run(&options));
}

/// One measurement: the load generator's figures and the CPU spent.
#[derive(Clone, Copy)]
struct Measured {
    stats: Stats,
    /// Server CPU µs per request answered.
    server_us: f64,
    /// Load generator CPU µs per request answered.
    load_us: f64,
}

/// What one row measures: a request sent to a server and the answer expected.
struct Target<'a> {
    name: String,
    server: &'a Server,
    requests: Vec<Vec<u8>>,
    expected: u16,
}

async fn measure(target: &Target<'_>, options: &Options) -> Measured {
    let (server0, load0) = (ticks(target.server.pid()), ticks(std::process::id()));
    let stats = hammer(
        &target.server.addr,
        &target.requests,
        target.expected,
        options.concurrency,
        options.duration,
    )
    .await;
    let per_request = |ticks: u64| ticks as f64 * 10_000.0 / stats.answered_ok.max(1) as f64;
    Measured {
        stats,
        server_us: per_request(ticks(target.server.pid()) - server0),
        load_us: per_request(ticks(std::process::id()) - load0),
    }
}

/// utime + stime of process `pid`, in ticks of 10 ms (USER_HZ 100).
fn ticks(pid: u32) -> u64 {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let fields: Vec<&str> = text
        .rsplit_once(')')
        .unwrap()
        .1
        .split_whitespace()
        .collect();
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

fn bare<'a>(server: &'a Server) -> Target<'a> {
    let json = [("content-type", "application/json")];
    Target {
        name: "bare actix-web JSON POST".into(),
        server,
        requests: vec![request("POST", &server.addr, "/echo", &json, SESSION_BODY)],
        expected: 200,
    }
}

async fn run(options: &Options) {
    println!(
        "# Kassa gateway benchmark: {} run(s) of {} s per row at concurrency {}, load generator in this process",
        options.runs,
        options.duration.as_secs(),
        options.concurrency
    );
    let baseline = Server::start(&["serve-baseline"]);
    compare_with_wrk(&bare(&baseline), options).await;
    let mut sections = Vec::new();
    for label in ["sqlite", "postgres"] {
        if options.db != label && options.db != "both" {
            continue;
        }
        let Some(database) = BenchDb::create(label).await else {
            println!("(postgres skipped: KASSA_TEST_POSTGRES_URL is not set)");
            continue;
        };
        let kassa = Server::start(&["serve-kassa", &database.url]);
        let targets = kassa_targets(&kassa).await;
        let bare = bare(&baseline);
        // Alternately: the bare endpoint, then each of Kassa's, per run.
        let mut bare_runs = Vec::new();
        let mut runs: Vec<Vec<Measured>> = vec![Vec::new(); targets.len()];
        for run in 0..options.runs {
            bare_runs.push(measure(&bare, options).await);
            for (target, measured) in targets.iter().zip(runs.iter_mut()) {
                measured.push(measure(target, options).await);
            }
            println!("{label}: run {} of {} done", run + 1, options.runs);
        }
        let mut rows = vec![(bare.name.clone(), median(&bare_runs))];
        for (target, measured) in targets.iter().zip(&runs) {
            rows.push((target.name.clone(), median(measured)));
        }
        sections.push((label, rows));
    }
    report(&sections, options);
}

/// Kassa's rows: a create, the status of one session, and the hosted page
/// of 64 sessions in turn.
async fn kassa_targets<'a>(kassa: &'a Server) -> Vec<Target<'a>> {
    let host = kassa.addr.as_str();
    let create_url = format!("http://{host}/gateway/session.php");
    let id = create_one(&create_url, &kassa.key).await;
    let mut pages = Vec::new();
    for _ in 0..64 {
        let id = create_one(&create_url, &kassa.key).await;
        pages.push(request(
            "GET",
            host,
            &format!("/pay.php?session={id}"),
            &[],
            "",
        ));
    }
    let create_headers = [
        ("content-type", "application/json"),
        ("x-api-key", kassa.key.as_str()),
    ];
    let status_path = format!("/gateway/session_status.php?session_id={id}");
    vec![
        Target {
            name: "POST /gateway/session.php".into(),
            server: kassa,
            requests: vec![request(
                "POST",
                host,
                "/gateway/session.php",
                &create_headers,
                SESSION_BODY,
            )],
            expected: 200,
        },
        Target {
            name: "GET /gateway/session_status.php".into(),
            server: kassa,
            requests: vec![request(
                "GET",
                host,
                &status_path,
                &[("x-api-key", &kassa.key)],
                "",
            )],
            expected: 200,
        },
        Target {
            name: "GET /pay.php?session=N".into(),
            server: kassa,
            requests: pages,
            expected: 200,
        },
    ]
}

/// The run with the median rate.
fn median(runs: &[Measured]) -> Measured {
    let mut sorted = runs.to_vec();
    sorted.sort_by(|a, b| a.stats.rps.total_cmp(&b.stats.rps));
    sorted[sorted.len() / 2]
}

/// Measures the bare endpoint with `wrk` (if installed) and with this load
/// generator, one after the other, and prints the share.
async fn compare_with_wrk(bare: &Target<'_>, options: &Options) {
    let script = tempfile::Builder::new().suffix(".lua").tempfile().unwrap();
    let body = SESSION_BODY.replace('\\', "\\\\").replace('"', "\\\"");
    std::fs::write(
        script.path(),
        format!(
            "wrk.method = \"POST\"\nwrk.body = \"{body}\"\nwrk.headers[\"content-type\"] = \"application/json\"\n"
        ),
    )
    .unwrap();
    let seconds = options.duration.as_secs().max(1).to_string();
    let output = std::process::Command::new("wrk")
        .args([
            "-t2",
            &format!("-c{}", options.concurrency),
            &format!("-d{seconds}s"),
        ])
        .arg("-s")
        .arg(script.path())
        .arg(format!("http://{}/echo", bare.server.addr))
        .output();
    let Ok(output) = output else {
        println!("(wrk is not installed: the load generator is not compared with it)");
        return;
    };
    let text = String::from_utf8_lossy(&output.stdout);
    let Some(wrk_rps) = text
        .lines()
        .find_map(|l| l.strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse::<f64>().ok())
    else {
        println!("(wrk gave no rate: {text})");
        return;
    };
    let ours = measure(bare, options).await;
    println!(
        "bare endpoint: wrk {wrk_rps:.0} requests/s, this load generator {:.0} requests/s ({:.1} % of wrk)",
        ours.stats.rps,
        100.0 * ours.stats.rps / wrk_rps
    );
}

fn report(sections: &[(&str, Vec<(String, Measured)>)], options: &Options) {
    println!(
        "\nmedians of {} runs of {} s at concurrency {}; \"vs bare\" against the bare endpoint's median in the same runs",
        options.runs,
        options.duration.as_secs(),
        options.concurrency
    );
    println!(
        "\n| database | what | requests/s | vs bare | p50 ms | p99 ms | errors | server CPU µs/req | load generator CPU µs/req |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for (label, rows) in sections {
        let bare = rows[0].1.stats.rps;
        for (name, m) in rows {
            let s = m.stats;
            println!(
                "| {label} | {name} | {:.0} | {:.3} | {:.2} | {:.2} | {} | {:.1} | {:.1} |",
                s.rps,
                s.rps / bare,
                s.p50_ms,
                s.p99_ms,
                s.errors,
                m.server_us,
                m.load_us
            );
        }
    }
}
