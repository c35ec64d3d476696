//! A lean load generator for the gateway benchmark: closed-loop HTTP/1.1
//! keep-alive connections on plain sockets, each sending prepared request
//! bytes and reading the answer's head with `httparse` and its body by
//! `Content-Length`. The `reqwest` client of [`super::load`] spends more CPU
//! per request than the servers it measures, so on a 2-core machine it
//! capped the bare endpoint far below what `wrk` reaches and made every
//! ratio kinder than it is. This one aims at `wrk`'s rate; the benchmark
//! prints both when `wrk` is installed.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::load::Stats;

/// One request, written out once: `GET` or `POST` of `path` at `host`, with
/// optional headers and body.
pub fn request(
    method: &str,
    host: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Vec<u8> {
    let mut out = format!("{method} {path} HTTP/1.1\r\nhost: {host}\r\n");
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    if method == "POST" {
        out.push_str(&format!("content-length: {}\r\n", body.len()));
    }
    out.push_str("\r\n");
    out.push_str(body);
    out.into_bytes()
}

/// Runs `concurrency` connections to `addr` for `duration` after a 500 ms
/// warm-up; each sends `requests` in turn (starting at a different one) and
/// counts an answer other than `expected` as an error.
pub async fn hammer(
    addr: &str,
    requests: &[Vec<u8>],
    expected: u16,
    concurrency: usize,
    duration: Duration,
) -> Stats {
    let warmup = Duration::from_millis(500);
    let stop = Arc::new(AtomicBool::new(false));
    let requests = Arc::new(requests.to_vec());
    let mut tasks = Vec::with_capacity(concurrency);
    for worker in 0..concurrency {
        let (addr, requests, stop) = (addr.to_string(), requests.clone(), stop.clone());
        tasks.push(tokio::spawn(async move {
            let mut tally = Tally::default();
            let started = Instant::now();
            let mut next = worker;
            let mut buf = vec![0u8; 64 * 1024];
            'connect: while !stop.load(Ordering::Relaxed) {
                let Ok(mut stream) = TcpStream::connect(&addr).await else {
                    tally.errors += 1;
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                };
                let _ = stream.set_nodelay(true);
                while !stop.load(Ordering::Relaxed) {
                    let bytes = &requests[next % requests.len()];
                    next += 1;
                    let t = Instant::now();
                    let answer = match stream.write_all(bytes).await {
                        Ok(()) => read_answer(&mut stream, &mut buf).await,
                        Err(_) => None,
                    };
                    let measured = started.elapsed() >= warmup;
                    match answer {
                        Some((status, size, keep)) => {
                            let ok = status == expected;
                            tally.answered_ok += u64::from(ok);
                            if measured {
                                tally.latencies.push(t.elapsed().as_micros() as u32);
                                tally.bytes += size as u64;
                                tally.errors += u64::from(!ok);
                            }
                            if !keep {
                                continue 'connect;
                            }
                        }
                        None => {
                            if measured {
                                tally.errors += 1;
                            }
                            continue 'connect;
                        }
                    }
                }
            }
            tally
        }));
    }
    tokio::time::sleep(warmup + duration).await;
    stop.store(true, Ordering::Relaxed);
    let mut all = Tally::default();
    for task in tasks {
        let t = task.await.unwrap();
        all.latencies.extend(t.latencies);
        all.errors += t.errors;
        all.bytes += t.bytes;
        all.answered_ok += t.answered_ok;
    }
    all.stats(duration)
}

#[derive(Default)]
struct Tally {
    latencies: Vec<u32>,
    errors: u64,
    bytes: u64,
    answered_ok: u64,
}

impl Tally {
    fn stats(self, duration: Duration) -> Stats {
        Stats::of(
            self.latencies,
            self.errors,
            self.bytes,
            self.answered_ok,
            duration,
        )
    }
}

/// Reads one answer: (status, body bytes, whether the connection stays
/// open), or `None` if the connection ended or the answer is not HTTP/1.1
/// with a `Content-Length` (every answer measured here has one).
async fn read_answer(stream: &mut TcpStream, buf: &mut [u8]) -> Option<(u16, usize, bool)> {
    let mut filled = 0;
    loop {
        let n = stream.read(&mut buf[filled..]).await.ok()?;
        if n == 0 {
            return None;
        }
        filled += n;
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut head = httparse::Response::new(&mut headers);
        match head.parse(&buf[..filled]).ok()? {
            httparse::Status::Partial if filled < buf.len() => continue,
            httparse::Status::Partial => return None,
            httparse::Status::Complete(head_len) => {
                let status = head.code?;
                let (mut length, mut keep) = (None, true);
                for h in head.headers.iter() {
                    if h.name.eq_ignore_ascii_case("content-length") {
                        length = std::str::from_utf8(h.value)
                            .ok()?
                            .trim()
                            .parse::<usize>()
                            .ok();
                    } else if h.name.eq_ignore_ascii_case("connection") {
                        keep = !h.value.eq_ignore_ascii_case(b"close");
                    }
                }
                let length = length?;
                let mut have = filled - head_len;
                while have < length {
                    let n = stream.read(buf).await.ok()?;
                    if n == 0 {
                        return None;
                    }
                    have += n;
                }
                return Some((status, length, keep));
            }
        }
    }
}
