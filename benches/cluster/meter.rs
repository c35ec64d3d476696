//! What the cluster benchmark reads besides its own requests: CPU time of
//! processes (utime + stime from `/proc/<pid>/stat`) and PostgreSQL's
//! counters (commits in the benchmark's database, the next transaction id,
//! WAL written and flushed, connections), asked on a connection to the
//! admin database so that reading them commits nothing in the measured one.
//!
//! `xact_commit` counts every committed transaction, read-only ones too;
//! a backend reports it at most once a second and an idle one may hold it
//! back for up to 10 s (PostgreSQL 15), so a window's closing read waits
//! out `settle` first (`pg_stat_wal` likewise). The next transaction id and
//! the WAL position move at once, server-wide; the id moves only for
//! transactions that wrote (a read-only one gets none): it counts the
//! commits that wait for a WAL flush. The server must have nothing else to
//! do while the benchmark runs.

use std::time::{Duration, Instant};

use sea_orm::sqlx::{Connection, PgConnection, Row};

/// CPU seconds per tick in `/proc/<pid>/stat` (USER_HZ, 100 on Linux).
const TICKS_PER_SECOND: f64 = 100.0;

/// `(comm, ppid, utime + stime)` of process `pid`, if it still runs.
fn stat(pid: u32) -> Option<(String, u32, u64)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The name is in parentheses and may hold spaces; the fields follow it.
    let (head, rest) = text.rsplit_once(')')?;
    let comm = head.split_once('(')?.1.to_string();
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ppid = fields.get(1)?.parse().ok()?;
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some((comm, ppid, utime + stime))
}

/// Every process: `(pid, comm, ppid, ticks)`.
fn all_processes() -> Vec<(u32, String, u32, u64)> {
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| stat(pid).map(|(c, p, t)| (pid, c, p, t)))
        .collect()
}

/// CPU ticks so far of the processes that matter, at one instant.
#[derive(Debug, Clone, Copy, Default)]
pub struct Cpu {
    /// The servers measured: Kassa's nodes, or the bare baseline.
    pub app: u64,
    /// Every `postgres` process (backends, WAL writer, checkpointer…).
    pub postgres: u64,
    /// nginx's master and workers (children of this process).
    pub nginx: u64,
    /// This process: the load generator.
    pub load: u64,
}

impl Cpu {
    /// Now, with `app` the servers' process ids.
    pub fn now(app: &[u32]) -> Cpu {
        let me = std::process::id();
        let processes = all_processes();
        let nginx_masters: Vec<u32> = processes
            .iter()
            .filter(|(_, comm, ppid, _)| comm == "nginx" && *ppid == me)
            .map(|(pid, ..)| *pid)
            .collect();
        let mut cpu = Cpu::default();
        for (pid, comm, ppid, ticks) in &processes {
            if app.contains(pid) {
                cpu.app += ticks;
            } else if comm == "postgres" {
                cpu.postgres += ticks;
            } else if comm == "nginx"
                && (nginx_masters.contains(pid) || nginx_masters.contains(ppid))
            {
                cpu.nginx += ticks;
            } else if *pid == me {
                cpu.load += ticks;
            }
        }
        cpu
    }

    /// CPU milliseconds spent between `earlier` and `self`.
    pub fn since(&self, earlier: &Cpu) -> CpuMs {
        let ms = |now: u64, then: u64| now.saturating_sub(then) as f64 * 1000.0 / TICKS_PER_SECOND;
        CpuMs {
            app: ms(self.app, earlier.app),
            postgres: ms(self.postgres, earlier.postgres),
            nginx: ms(self.nginx, earlier.nginx),
            load: ms(self.load, earlier.load),
        }
    }
}

/// CPU milliseconds spent over a window, per group of processes.
#[derive(Debug, Clone, Copy, Default)]
pub struct CpuMs {
    pub app: f64,
    pub postgres: f64,
    pub nginx: f64,
    pub load: f64,
}

impl CpuMs {
    pub fn total(&self) -> f64 {
        self.app + self.postgres + self.nginx + self.load
    }
}

/// PostgreSQL's counters for the benchmark's database.
pub struct Database {
    admin: PgConnection,
    name: String,
}

/// What the database did, as counts (or, for the idle cluster, per second).
#[derive(Debug, Clone, Copy, Default)]
pub struct DbWork {
    /// Committed transactions in the benchmark's database.
    pub commits: f64,
    /// Transactions that wrote (server-wide: the next transaction id).
    pub writes: f64,
    /// WAL written (server-wide), in bytes.
    pub wal_bytes: f64,
    /// WAL flushes to disk (server-wide, `pg_stat_wal.wal_sync`).
    pub wal_syncs: f64,
}

impl DbWork {
    fn zip(&self, other: &DbWork, f: impl Fn(f64, f64) -> f64) -> DbWork {
        DbWork {
            commits: f(self.commits, other.commits),
            writes: f(self.writes, other.writes),
            wal_bytes: f(self.wal_bytes, other.wal_bytes),
            wal_syncs: f(self.wal_syncs, other.wal_syncs),
        }
    }

    pub fn per(&self, n: f64) -> DbWork {
        self.zip(self, |a, _| a / n)
    }
}

/// The counters at one instant.
#[derive(Debug, Clone, Copy)]
pub struct Counters {
    pub totals: DbWork,
    pub at: Instant,
}

impl Counters {
    /// What was done between `earlier` and these.
    pub fn since(&self, earlier: &Counters) -> DbWork {
        self.totals.zip(&earlier.totals, |a, b| a - b)
    }
}

impl Database {
    /// Watches the database at `db_url` through the admin database at `admin_url`.
    pub async fn watch(admin_url: &str, db_url: &str) -> Database {
        let name = url::Url::parse(db_url)
            .unwrap()
            .path()
            .trim_start_matches('/')
            .to_string();
        Database {
            admin: PgConnection::connect(admin_url).await.unwrap(),
            name,
        }
    }

    pub async fn counters(&mut self) -> Counters {
        let row = sea_orm::sqlx::query(
            "SELECT (SELECT xact_commit FROM pg_stat_database WHERE datname = $1), \
             pg_snapshot_xmax(pg_current_snapshot())::text::bigint, \
             pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint, \
             (SELECT wal_sync FROM pg_stat_wal)",
        )
        .bind(&self.name)
        .fetch_one(&mut self.admin)
        .await
        .unwrap();
        let value = |i: usize| row.get::<i64, _>(i) as f64;
        Counters {
            totals: DbWork {
                commits: value(0),
                writes: value(1),
                wal_bytes: value(2),
                wal_syncs: value(3),
            },
            at: Instant::now(),
        }
    }

    /// Open connections to the benchmark's database (nodes' pools and
    /// listeners, and the benchmark's own store when it has one open).
    pub async fn connections(&mut self) -> i64 {
        sea_orm::sqlx::query_scalar("SELECT COUNT(*) FROM pg_stat_activity WHERE datname = $1")
            .bind(&self.name)
            .fetch_one(&mut self.admin)
            .await
            .unwrap()
    }

    /// The counters after waiting `settle` for idle backends to report.
    pub async fn settled(&mut self, settle: Duration) -> Counters {
        tokio::time::sleep(settle).await;
        self.counters().await
    }
}

/// What the database did between two readings, less what the idle
/// cluster does by itself (`idle`, per second) over the part of that time
/// that was not the measured work (`work` long): the settle time.
pub fn work_done(before: &Counters, after: &Counters, work: Duration, idle: &DbWork) -> DbWork {
    let extra = after
        .at
        .duration_since(before.at)
        .saturating_sub(work)
        .as_secs_f64();
    after
        .since(before)
        .zip(idle, |done, rate| done - rate * extra)
}
