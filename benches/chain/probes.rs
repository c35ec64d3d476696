//! Where the watcher's time goes: RPC metrics scraped around a run, the
//! SQLite commit floor, and one deposit delivery taken apart.

use super::*;

/// The app's Prometheus text: `kassa_chain_rpc_seconds` sums and counts
/// by method.
pub(crate) async fn scrape(app: &Running) -> HashMap<String, f64> {
    let text = reqwest::get(format!("http://{}/metrics", app.address))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .filter(|l| {
            l.starts_with("kassa_chain_rpc_seconds_sum")
                || l.starts_with("kassa_chain_rpc_seconds_count")
        })
        .filter_map(|l| {
            let (name, value) = l.rsplit_once(' ')?;
            Some((name.to_string(), value.parse().ok()?))
        })
        .collect()
}

#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Breakdown {
    pub(crate) get_logs: f64,
    pub(crate) other_rpc: f64,
    pub(crate) other_calls: u64,
    /// Deposits counted, and from its range's read to its commit: the
    /// mean, p50 and p99 (ms).
    pub(crate) deposits: usize,
    pub(crate) recorded_mean_ms: f64,
    pub(crate) recorded_p50_ms: f64,
    pub(crate) recorded_p99_ms: f64,
}

impl Breakdown {
    pub(crate) fn between(
        before: &HashMap<String, f64>,
        after: &HashMap<String, f64>,
    ) -> Breakdown {
        let mut b = Breakdown::default();
        for (name, value) in after {
            let d = value - before.get(name).copied().unwrap_or(0.0);
            let logs = name.contains("eth_getLogs");
            match (name.starts_with("kassa_chain_rpc_seconds_sum"), logs) {
                (true, true) => b.get_logs += d,
                (true, false) => b.other_rpc += d,
                (false, false) => b.other_calls += d as u64,
                (false, true) => {}
            }
        }
        b
    }

    /// The count latencies of a catch-up: each is the time from the read
    /// of the deposit's range to the deposit's commit. The watcher reads
    /// the next range while a range is being recorded, so these overlap
    /// the reads and do not add up to the step's time.
    pub(crate) fn deliveries(&mut self, latencies: &[Duration]) {
        let mut ms: Vec<f64> = latencies.iter().map(|d| d.as_secs_f64() * 1000.0).collect();
        ms.sort_by(f64::total_cmp);
        self.deposits = ms.len();
        self.recorded_mean_ms = ms.iter().sum::<f64>() / ms.len().max(1) as f64;
        self.recorded_p50_ms = pct(&ms, 0.5);
        self.recorded_p99_ms = pct(&ms, 0.99);
    }
}

/// Milliseconds (sorted) of each of `n` sequential one-row commits on a scratch SQLite database
/// set up as the store sets its own (WAL, synchronous=FULL).
pub(crate) async fn sqlite_commit_floor(dir: &std::path::Path, n: usize) -> Vec<f64> {
    use sea_orm::sqlx::{AssertSqlSafe, Connection, Executor, SqliteConnection, raw_sql};
    let url = format!("sqlite://{}?mode=rwc", dir.join("floor.sqlite3").display());
    let mut conn = SqliteConnection::connect(&url).await.unwrap();
    conn.execute(raw_sql(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)",
    ))
    .await
    .unwrap();
    let mut each = Vec::with_capacity(n);
    for i in 0..n {
        let t = Instant::now();
        conn.execute(raw_sql(AssertSqlSafe(format!(
            "INSERT INTO t (v) VALUES ('{i}')"
        ))))
        .await
        .unwrap();
        each.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    each.sort_by(f64::total_cmp);
    each
}

/// Deliveries taken apart by [`delivery_anatomy`].
pub(crate) const ANATOMY_SAMPLES: usize = 200;

pub(crate) struct Anatomy {
    pub(crate) deposit_cold: Vec<f64>,
    pub(crate) deposit_warm: Vec<f64>,
    pub(crate) load: Vec<f64>,
    pub(crate) known: Vec<f64>,
}

/// Times (ms, sorted) the calls a deposit delivery makes, one at a time, on
/// sessions the plan did not pay, with made-up facts that count at once.
pub(crate) async fn delivery_anatomy(
    app: &Running,
    sessions: &[(i64, Address)],
    plan: &[Vec<Transfer>],
    head: u64,
) -> Anatomy {
    use kassa::domain::deposit::DepositFact;
    let paid: std::collections::HashSet<i64> = plan
        .iter()
        .flatten()
        .filter_map(|t| t.session.map(|s| s.0))
        .collect();
    let mut a = Anatomy {
        deposit_cold: Vec::new(),
        deposit_warm: Vec::new(),
        load: Vec::new(),
        known: Vec::new(),
    };
    let ms = |t: Instant| t.elapsed().as_secs_f64() * 1000.0;
    // Pairs: one session takes the deposit, the other is only read (so
    // neither call warms a cache for the other).
    let targets: Vec<i64> = sessions
        .iter()
        .map(|s| s.0)
        .filter(|id| !paid.contains(id))
        .take(2 * ANATOMY_SAMPLES)
        .collect();
    for (i, pair) in targets.chunks_exact(2).enumerate() {
        let (id, other) = (&pair[0], pair[1]);
        let fact = DepositFact {
            tx_hash: format!("0x{:064x}", 0xbe00_0000_u64 + i as u64),
            log_index: 0,
            amount_units: EXPECTED_UNITS,
            block_number: head,
            block_hash: format!("0x{:064x}", head),
            from: Anvil::dev_account(0).address().to_checksum(None),
            confirmations: 1,
            counts: true,
        };
        let t = Instant::now();
        app.sessions.deposit(*id, fact.clone()).await.unwrap();
        a.deposit_cold.push(ms(t));
        let t = Instant::now();
        app.store().session(other).await.unwrap().unwrap();
        a.load.push(ms(t));
        let t = Instant::now();
        app.store()
            .known_deposit(&format!("0x{:064x}", 0xbf00_0000_u64 + i as u64), 0)
            .await
            .unwrap();
        a.known.push(ms(t));
        let t = Instant::now();
        app.sessions.deposit(*id, fact).await.unwrap();
        a.deposit_warm.push(ms(t));
    }
    for l in [
        &mut a.deposit_cold,
        &mut a.deposit_warm,
        &mut a.load,
        &mut a.known,
    ] {
        l.sort_by(f64::total_cmp);
    }
    a
}

/// CPU seconds (user + system) used so far, per thread group: this
/// process's main thread (the actix system: actors, the watcher, sea-orm),
/// its SQLite worker threads, its other threads, and Anvil.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct CpuTimes {
    pub(crate) main: f64,
    pub(crate) sqlite: f64,
    pub(crate) other: f64,
    pub(crate) anvil: f64,
}

impl CpuTimes {
    pub(crate) fn now(anvil_pid: u32) -> Self {
        let mut t = CpuTimes::default();
        let me = std::process::id();
        if let Ok(tasks) = std::fs::read_dir(format!("/proc/{me}/task")) {
            for task in tasks.flatten() {
                let Some((name, secs)) = stat_cpu(&task.path().join("stat")) else {
                    continue;
                };
                if task.file_name().to_string_lossy() == me.to_string() {
                    t.main += secs;
                } else if name.starts_with("sqlx-sqlite") {
                    t.sqlite += secs;
                } else {
                    t.other += secs;
                }
            }
        }
        t.anvil = stat_cpu(std::path::Path::new(&format!("/proc/{anvil_pid}/stat")))
            .map_or(0.0, |(_, s)| s);
        t
    }

    pub(crate) fn since(self, earlier: CpuTimes) -> CpuTimes {
        CpuTimes {
            main: self.main - earlier.main,
            sqlite: self.sqlite - earlier.sqlite,
            other: self.other - earlier.other,
            anvil: self.anvil - earlier.anvil,
        }
    }

    pub(crate) fn line(&self) -> String {
        format!(
            "CPU s: kassa main {:.3}, sqlite workers {:.3}, other threads {:.3}; anvil {:.3}",
            self.main, self.sqlite, self.other, self.anvil
        )
    }
}

/// A `/proc/…/stat` file's command name and user + system CPU seconds.
fn stat_cpu(path: &std::path::Path) -> Option<(String, f64)> {
    let text = std::fs::read_to_string(path).ok()?;
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let name = text[open + 1..close].to_string();
    let fields: Vec<&str> = text[close + 2..].split_whitespace().collect();
    // After the name: state is field 3, utime 14 and stime 15 (1-based).
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    // Linux reports these in ticks of 1/100 s (USER_HZ).
    Some((name, ticks / 100.0))
}
