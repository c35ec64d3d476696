//! The cluster benchmark's tables, printed as markdown: each row's rate
//! beside the bare baseline's (the mean of its two rows), and what one
//! request or delivery cost in CPU and in database commits; then what the
//! idle cluster costs by itself. It measures nothing.

use std::time::Duration;

use crate::meter::{CpuMs, DbWork};

/// One measured row.
pub struct Row {
    pub what: String,
    /// 0 for the baseline.
    pub nodes: usize,
    /// Requests (or deliveries) per second after the warm-up.
    pub rps: f64,
    /// p50 and p99 in ms, for requests.
    pub latency: Option<(f64, f64)>,
    pub errors: u64,
    /// Requests answered as expected (or events delivered) over the whole
    /// window whose CPU and commits are counted.
    pub units: f64,
    pub work: Duration,
    pub cpu: CpuMs,
    /// What the database did over the window (the idle cluster's part of
    /// the settle time taken out).
    pub db: Option<DbWork>,
    pub connections: Option<i64>,
}

/// What `nodes` idle nodes cost by themselves.
pub struct Idle {
    pub nodes: usize,
    pub seconds: f64,
    pub done: DbWork,
    pub cpu: CpuMs,
}

impl Idle {
    pub fn per_second(&self) -> DbWork {
        self.done.per(self.seconds)
    }
}

pub fn print(rows: &[Row], idles: &[Idle], concurrency: usize) {
    let baselines: Vec<f64> = rows
        .iter()
        .filter(|r| r.nodes == 0)
        .map(|r| r.rps)
        .collect();
    let baseline = baselines.iter().sum::<f64>() / baselines.len().max(1) as f64;
    println!(
        "\nconcurrency {concurrency}; \"vs baseline\" against the mean of the two baseline rows; \
         CPU and commits per request answered (per event delivered on the webhook row)\n"
    );
    println!(
        "| what | nodes | req/s | vs baseline | p50 ms | p99 ms | errors | server CPU ms/req | PostgreSQL CPU ms/req | nginx CPU ms/req | load gen CPU ms/req | cores busy | commits/req | writing tx/req | WAL bytes/req | WAL flushes/req | DB connections |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for r in rows {
        let per = |ms: f64| format!("{:.3}", ms / r.units.max(1.0));
        let (p50, p99) = r
            .latency
            .map(|(a, b)| (format!("{a:.2}"), format!("{b:.2}")))
            .unwrap_or(("–".into(), "–".into()));
        let vs = if r.latency.is_some() {
            format!("{:.1} %", 100.0 * r.rps / baseline)
        } else {
            "–".into()
        };
        // Clamped at 0: a small negative is the idle estimate's noise.
        let db = r.db.map(|d| d.per(r.units.max(1.0)));
        let show = |f: fn(&DbWork) -> f64, digits: usize| {
            db.map(|d| format!("{:.*}", digits, f(&d).max(0.0)))
                .unwrap_or("–".into())
        };
        let (commits, writes) = (show(|d| d.commits, 2), show(|d| d.writes, 2));
        let (wal, syncs) = (show(|d| d.wal_bytes, 0), show(|d| d.wal_syncs, 3));
        println!(
            "| {} | {} | {:.0} | {vs} | {p50} | {p99} | {} | {} | {} | {} | {} | {:.2} | {commits} | {writes} | {wal} | {syncs} | {} |",
            r.what,
            if r.nodes == 0 {
                "–".to_string()
            } else {
                r.nodes.to_string()
            },
            r.rps,
            r.errors,
            per(r.cpu.app),
            per(r.cpu.postgres),
            per(r.cpu.nginx),
            per(r.cpu.load),
            r.cpu.total() / r.work.as_secs_f64() / 1000.0,
            r.connections.map(|c| c.to_string()).unwrap_or("–".into()),
        );
    }
    println!("\nidle (no requests; taken out of the rows' commits for the settle time):\n");
    println!(
        "| nodes | commits/s | writing tx/s | WAL bytes/s | WAL flushes/s | Kassa CPU ms/s | PostgreSQL CPU ms/s |"
    );
    println!("|---|---|---|---|---|---|---|");
    for idle in idles {
        let rate = idle.per_second();
        println!(
            "| {} | {:.1} | {:.1} | {:.0} | {:.1} | {:.1} | {:.1} |",
            idle.nodes,
            rate.commits,
            rate.writes,
            rate.wal_bytes,
            rate.wal_syncs,
            idle.cpu.app / idle.seconds,
            idle.cpu.postgres / idle.seconds
        );
    }
}
