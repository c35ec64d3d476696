//! Overload benchmark: how Kassa answers past its capacity. For each of
//! `POST /gateway/session.php` and `GET /gateway/session_status.php`, on a
//! Kassa server in a child process (per-key rate limit raised out of the way,
//! load shedding at its defaults):
//!
//! 1. capacity: closed-loop requests/s at concurrency 64 (the baseline);
//! 2. overload: requests sent open-loop at `--factor` (4) times that rate,
//!    whatever the answers, for `--seconds`, over `--connections` (1024)
//!    keep-alive connections, as many clients would: every answer must be
//!    200, or 503 with `Retry-After`; the p99 of all answers is reported
//!    against 1 s, both from the moment each request went out and from the
//!    moment it was due (a request waiting for a free connection waits on
//!    the server too);
//! 3. recovery: from the moment the load stops, one request at a time until
//!    five in a row are 200 within twice the quiet p99 (at least 5 ms more).
//!
//! On a machine of two or more cores the server is pinned to one core and
//! this load generator to another (`taskset`), so the generator can offer
//! more than the server can take; `--no-pin` shares all cores.
//!
//! Run: `cargo bench --bench overload` (options after `--`: `--seconds N`,
//! `--factor N`, `--connections N`, `--no-pin`, `--db sqlite|postgres|both`; PostgreSQL needs
//! `KASSA_TEST_POSTGRES_URL`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::load::{Request, SESSION_BODY, create_one, load};
use common::{BenchDb, Server, flag, serve_kassa};

/// The generator's own bound on requests due but not yet answered; a send
/// it skips for this is reported, never hidden.
const MAX_OUTSTANDING: usize = 50_000;

/// Answers slower than this count as lost by the client.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(30);

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("serve-kassa") {
        return serve_kassa(&args[2], None);
    }
    let _ = rustls::crypto::ring::default_provider().install_default();
    let seconds: u64 = flag(&args, "--seconds")
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let factor: f64 = flag(&args, "--factor")
        .and_then(|s| s.parse().ok())
        .unwrap_or(4.0);
    let connections: usize = flag(&args, "--connections")
        .and_then(|s| s.parse().ok())
        .unwrap_or(1024);
    let db = flag(&args, "--db").unwrap_or_else(|| "sqlite".into());
    let pin = !args.iter().any(|a| a == "--no-pin")
        && std::thread::available_parallelism().is_ok_and(|n| n.get() >= 2);
    if pin {
        pin_to(std::process::id(), "0");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run(
        Duration::from_secs(seconds),
        factor,
        connections,
        pin,
        &db,
    ));
}

struct Row {
    door: String,
    capacity: f64,
    quiet_p99_ms: f64,
    overload: Overload,
    recovery: Option<Duration>,
}

async fn run(duration: Duration, factor: f64, connections: usize, pin: bool, db: &str) {
    println!(
        "# Kassa overload benchmark ({}s of load at {factor}x the measured capacity, {connections} connections, {})",
        duration.as_secs(),
        if pin {
            "server on core 1, load generator on core 0"
        } else {
            "server and load generator sharing all cores"
        }
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
        let kassa = Server::start(&["serve-kassa", &database.url]);
        if pin {
            pin_to(kassa.pid(), "1");
        }
        let key = kassa.key.clone();
        let create_url = format!("http://{}/gateway/session.php", kassa.addr);
        let id = create_one(&create_url, &key).await;
        let status_url = format!(
            "http://{}/gateway/session_status.php?session_id={id}",
            kassa.addr
        );
        for (door, url, request) in [
            (
                "POST /gateway/session.php",
                &create_url,
                Request::Post(SESSION_BODY.into()),
            ),
            ("GET /gateway/session_status.php", &status_url, Request::Get),
        ] {
            let urls = std::slice::from_ref(url);
            let capacity = load(urls, request.clone(), Some(&key), 64, duration).await;
            let quiet = load(urls, request.clone(), Some(&key), 1, Duration::from_secs(2)).await;
            let rate = capacity.rps * factor;
            println!(
                "{label}: {door}: capacity {:.0}/s, quiet p99 {:.2} ms; offering {rate:.0}/s",
                capacity.rps, quiet.p99_ms
            );
            let overload = open_loop(url, &request, &key, rate, duration, connections).await;
            let recovery = recover(url, &request, &key, quiet.p99_ms, overload.stopped).await;
            rows.push(Row {
                door: format!("{label}: {door}"),
                capacity: capacity.rps,
                quiet_p99_ms: quiet.p99_ms,
                overload,
                recovery,
            });
        }
    }
    report(&rows);
}

/// What the server answered to an open-loop load.
struct Overload {
    offered: f64,
    sent: usize,
    skipped: usize,
    /// Status → count; 0 for no answer (connection error or timeout).
    by_status: BTreeMap<u16, usize>,
    /// 503s without `Retry-After`.
    bare_503: usize,
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
    /// p99 counted from when each request was due.
    p99_due_ms: f64,
    ok_per_second: f64,
    /// When the last request of the load went out.
    stopped: Instant,
}

/// Sends `rate` requests per second for `duration` regardless of answers,
/// over `connections` keep-alive connections, then waits for the ones in
/// flight. The client is a minimal HTTP/1.1 writer and reader on raw
/// sockets, so that one core can offer several times what the server takes.
async fn open_loop(
    url: &str,
    request: &Request,
    key: &str,
    rate: f64,
    duration: Duration,
    connections: usize,
) -> Overload {
    let target = Target::new(url, request, key);
    // Each connection has its own queue, dealt to in turn, as each of many
    // clients waits for its own connection.
    let mut jobs = Vec::new();
    let outstanding = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    // Nanoseconds from `started` to the last send so far.
    let last_sent = Arc::new(AtomicU64::new(0));
    let mut lines = Vec::new();
    for _ in 0..connections {
        let (job, mut queue) = tokio::sync::mpsc::unbounded_channel::<Instant>();
        jobs.push(job);
        let (target, outstanding, last_sent) =
            (target.clone(), outstanding.clone(), last_sent.clone());
        lines.push(tokio::spawn(async move {
            let mut answers = Vec::new();
            let mut line: Option<Line> = None;
            loop {
                let Some(due) = queue.recv().await else {
                    return answers;
                };
                let sent = Instant::now();
                last_sent.fetch_max(
                    sent.duration_since(started).as_nanos() as u64,
                    Ordering::Relaxed,
                );
                let answer = match line.as_mut() {
                    Some(l) => l.exchange(&target).await,
                    None => match Line::open(&target).await {
                        Ok(mut l) => {
                            let a = l.exchange(&target).await;
                            line = Some(l);
                            a
                        }
                        Err(_) => Err(()),
                    },
                };
                let (status, retry_after) = match answer {
                    Ok(Answer {
                        status,
                        retry_after,
                        close,
                    }) => {
                        if close {
                            line = None;
                        }
                        (status, retry_after)
                    }
                    Err(()) => {
                        line = None;
                        (0, false)
                    }
                };
                outstanding.fetch_sub(1, Ordering::Relaxed);
                answers.push((status, retry_after, sent.elapsed(), due.elapsed()));
            }
        }));
    }
    let (mut sent, mut skipped) = (0usize, 0usize);
    let mut tick = tokio::time::interval(Duration::from_millis(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    loop {
        tick.tick().await;
        let elapsed = started.elapsed();
        if elapsed >= duration {
            break;
        }
        let due = (elapsed.as_secs_f64() * rate) as usize;
        while sent + skipped < due {
            if outstanding.load(Ordering::Relaxed) >= MAX_OUTSTANDING {
                skipped += 1;
                continue;
            }
            let due_at = started + Duration::from_secs_f64((sent + skipped) as f64 / rate);
            sent += 1;
            outstanding.fetch_add(1, Ordering::Relaxed);
            jobs[sent % connections].send(due_at).unwrap();
        }
    }
    drop(jobs);
    let mut by_status = BTreeMap::new();
    let mut latencies = Vec::with_capacity(sent);
    let mut since_due = Vec::with_capacity(sent);
    let (mut bare_503, mut ok) = (0, 0);
    for l in lines {
        for (status, retry_after, took, late) in l.await.unwrap() {
            *by_status.entry(status).or_insert(0) += 1;
            bare_503 += usize::from(status == 503 && !retry_after);
            ok += usize::from(status == 200);
            if status != 0 {
                latencies.push(took);
                since_due.push(late);
            }
        }
    }
    let stopped = started + Duration::from_nanos(last_sent.load(Ordering::Relaxed));
    latencies.sort_unstable();
    since_due.sort_unstable();
    let at = |all: &[Duration], p: f64| {
        all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1)))
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    Overload {
        offered: rate,
        sent,
        skipped,
        by_status,
        bare_503,
        p50_ms: at(&latencies, 0.50),
        p99_ms: at(&latencies, 0.99),
        max_ms: latencies.last().map_or(0.0, |d| d.as_secs_f64() * 1000.0),
        p99_due_ms: at(&since_due, 0.99),
        ok_per_second: ok as f64 / duration.as_secs_f64(),
        stopped,
    }
}

/// Where the load goes, and the request's bytes, written once.
#[derive(Clone)]
struct Target {
    addr: String,
    bytes: Arc<Vec<u8>>,
}

impl Target {
    fn new(url: &str, request: &Request, key: &str) -> Target {
        let rest = url.strip_prefix("http://").expect("an http:// URL");
        let (addr, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let head = |method: &str, extra: &str| {
            format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nX-API-Key: {key}\r\n{extra}\r\n")
        };
        let bytes = match request {
            Request::Post(body) => format!(
                "{}{body}",
                head(
                    "POST",
                    &format!(
                        "Content-Type: application/json\r\nContent-Length: {}\r\n",
                        body.len()
                    )
                )
            ),
            Request::Get => head("GET", ""),
            Request::Form(_) => unreachable!("the overload benchmark sends API requests"),
        };
        Target {
            addr: addr.to_string(),
            bytes: Arc::new(bytes.into_bytes()),
        }
    }
}

/// One keep-alive connection of the raw client.
struct Line {
    stream: tokio::net::TcpStream,
    buf: Vec<u8>,
}

/// What the raw client read of one response.
struct Answer {
    status: u16,
    retry_after: bool,
    /// The server closes the connection after this response.
    close: bool,
}

impl Line {
    async fn open(target: &Target) -> std::io::Result<Line> {
        let stream = tokio::net::TcpStream::connect(&target.addr).await?;
        stream.set_nodelay(true)?;
        Ok(Line {
            stream,
            buf: Vec::with_capacity(4096),
        })
    }

    /// Writes the request and reads one whole response (head, then
    /// `Content-Length` bytes of body).
    async fn exchange(&mut self, target: &Target) -> Result<Answer, ()> {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let exchange = async {
            self.stream.write_all(&target.bytes).await.map_err(drop)?;
            self.buf.clear();
            let head_end = loop {
                if let Some(i) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                    break i + 4;
                }
                let mut chunk = [0u8; 4096];
                let n = self.stream.read(&mut chunk).await.map_err(drop)?;
                if n == 0 {
                    return Err(());
                }
                self.buf.extend_from_slice(&chunk[..n]);
            };
            let head = String::from_utf8_lossy(&self.buf[..head_end]).to_ascii_lowercase();
            let status: u16 = head.get(9..12).and_then(|s| s.parse().ok()).ok_or(())?;
            let header = |name: &str| {
                head.lines()
                    .find_map(|l| l.strip_prefix(name).map(|v| v.trim().to_string()))
            };
            let length: usize = header("content-length:")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            let mut body = self.buf.len() - head_end;
            while body < length {
                let mut chunk = [0u8; 4096];
                let n = self.stream.read(&mut chunk).await.map_err(drop)?;
                if n == 0 {
                    return Err(());
                }
                body += n;
            }
            Ok(Answer {
                status,
                retry_after: header("retry-after:").is_some(),
                close: header("connection:").is_some_and(|v| v == "close"),
            })
        };
        tokio::time::timeout(CLIENT_TIMEOUT, exchange)
            .await
            .unwrap_or(Err(()))
    }
}

/// Time from `stopped` until five requests in a row, one at a time, are
/// 200 within twice the quiet p99 (at least 5 ms more); `None` if that
/// takes over 30 s.
async fn recover(
    url: &str,
    request: &Request,
    key: &str,
    quiet_p99_ms: f64,
    stopped: Instant,
) -> Option<Duration> {
    let client = reqwest::Client::new();
    let normal = Duration::from_secs_f64((quiet_p99_ms * 2.0).max(quiet_p99_ms + 5.0) / 1000.0);
    let mut streak = 0;
    let mut streak_began = Instant::now();
    while stopped.elapsed() < Duration::from_secs(30) {
        let t = Instant::now();
        let builder = match request {
            Request::Post(body) => client
                .post(url)
                .header("content-type", "application/json")
                .body(body.clone()),
            Request::Get => client.get(url),
            Request::Form(_) => unreachable!("the overload benchmark sends API requests"),
        }
        .header("X-API-Key", key);
        let fine = match builder.send().await {
            Ok(r) => {
                let status = r.status().as_u16();
                let _ = r.bytes().await;
                status == 200 && t.elapsed() <= normal
            }
            Err(_) => false,
        };
        if fine {
            if streak == 0 {
                streak_began = t;
            }
            streak += 1;
            if streak == 5 {
                return Some(streak_began.saturating_duration_since(stopped));
            }
        } else {
            streak = 0;
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    None
}

fn report(rows: &[Row]) {
    println!(
        "\n| door | capacity/s (c=64) | quiet p99 ms | offered/s | sent | skipped | 200 | 503 (all with Retry-After) | other | p50 ms | p99 ms (< 1000) | p99 from due ms | max ms | 200/s under load | back to normal after |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for r in rows {
        let o = &r.overload;
        let count = |s: u16| o.by_status.get(&s).copied().unwrap_or(0);
        let other: usize = o
            .by_status
            .iter()
            .filter(|(s, _)| **s != 200 && **s != 503)
            .map(|(_, n)| n)
            .sum();
        println!(
            "| {} | {:.0} | {:.2} | {:.0} | {} | {} | {} | {} ({}) | {} | {:.1} | {:.1} | {:.1} | {:.1} | {:.0} | {} |",
            r.door,
            r.capacity,
            r.quiet_p99_ms,
            o.offered,
            o.sent,
            o.skipped,
            count(200),
            count(503),
            if o.bare_503 == 0 { "yes" } else { "NO" },
            other,
            o.p50_ms,
            o.p99_ms,
            o.p99_due_ms,
            o.max_ms,
            o.ok_per_second,
            r.recovery
                .map_or("not within 30 s".to_string(), |d| format!(
                    "{:.2} s",
                    d.as_secs_f64()
                )),
        );
        if other > 0 {
            println!(
                "  other answers of {}: {:?} (0 = no answer)",
                r.door, o.by_status
            );
        }
    }
}

/// Pins every thread of process `pid` to `cores` (a `taskset` list).
fn pin_to(pid: u32, cores: &str) {
    let done = std::process::Command::new("taskset")
        .args(["-a", "-p", "-c", cores, &pid.to_string()])
        .stdout(std::process::Stdio::null())
        .status()
        .expect("taskset (util-linux) runs; or pass --no-pin");
    assert!(done.success(), "taskset failed; pass --no-pin");
}
