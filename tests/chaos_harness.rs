//! What the two chaos runs share: the sandbox one (`tests/chaos.rs`, in the
//! main binary) and the one on Anvil (`tests/chain/chaos.rs`, in the chain
//! binary, which includes this file with `#[path]`). The seeded kill
//! schedule and its knobs, the guard that SIGKILLs the server when it
//! pauses at its armed fault point, the webhook receiver, the wait for
//! everything to settle and the webhook accounting. Nothing here knows how
//! sessions are paid: each run brings its own workload and money check.

use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{App, HttpResponse, HttpServer, web};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use serde_json::Value;

use crate::helpers::Backend;

/// The fault points the schedule draws from (see `src/fault.rs`).
pub const POINTS: [&str; 5] = [
    "group_commit_written",
    "deposit_confirming",
    "webhook_delivering",
    "payout_signed",
    "payout_broadcast",
];

/// The default seed (`KASSA_TEST_CHAOS_SEED` picks another).
const SEED: u64 = 0x006b_6173_7361;

/// How big a run is: `KASSA_TEST_CHAOS_SESSIONS`, `KASSA_TEST_CHAOS_KILLS`
/// and `KASSA_TEST_CHAOS_SEED`, or the run's CI defaults.
#[derive(Debug, Clone, Copy)]
pub struct Knobs {
    pub sessions: usize,
    pub kills: usize,
    pub seed: u64,
}

impl Knobs {
    pub fn read(sessions: usize, kills: usize) -> Knobs {
        Knobs {
            sessions: knob("KASSA_TEST_CHAOS_SESSIONS", sessions as u64) as usize,
            kills: knob("KASSA_TEST_CHAOS_KILLS", kills as u64) as usize,
            seed: knob("KASSA_TEST_CHAOS_SEED", SEED),
        }
    }

    /// How many sessions should have been created when kill `k` (from 0)
    /// is due: the kills are spread evenly over the workload.
    pub fn target(&self, k: usize) -> usize {
        self.sessions * (k + 1) / (self.kills + 1)
    }
}

fn knob(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The creates of a run: those answered 200, those in flight, those cut.
#[derive(Default)]
pub struct Creates {
    /// Answered 200: (session id, order reference).
    pub created: Vec<(i64, String)>,
    /// In flight (claimed against the phase's target).
    claimed: usize,
    next_ref: u64,
    /// Requests that got no 200 (cut by a kill, or refused while paused).
    pub cut: usize,
}

impl Creates {
    /// The next order number, unless the creates answered and in flight
    /// already reach `target`.
    pub fn claim(&mut self, target: usize) -> Option<u64> {
        if self.created.len() + self.claimed >= target {
            return None;
        }
        self.claimed += 1;
        self.next_ref += 1;
        Some(self.next_ref)
    }

    /// A claimed create came back: answered 200 with session `id`, or cut.
    pub fn answered(&mut self, id: Option<i64>, reference: String) {
        self.claimed -= 1;
        match id {
            Some(id) => self.created.push((id, reference)),
            None => self.cut += 1,
        }
    }
}

/// A 64-bit linear congruential generator: the schedule is a function of
/// the seed alone.
pub struct Lcg(pub u64);

impl Lcg {
    pub fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
}

/// The armed fault of each kill (`point@pass`, as `KASSA_TEST_FAULT_PAUSE`
/// reads it): every point once per round of five, in a seeded order, each
/// at a seeded pass from 1 to 4. Group commit is SQLite's (PostgreSQL
/// commits each transition alone), so there `deposit_confirming` stands in.
pub fn schedule(knobs: &Knobs, backend: Backend) -> Vec<String> {
    let mut rng = Lcg(knobs.seed);
    let mut round: Vec<&str> = Vec::new();
    let mut armed = Vec::with_capacity(knobs.kills);
    for _ in 0..knobs.kills {
        if round.is_empty() {
            round = POINTS.to_vec();
            for i in (1..round.len()).rev() {
                round.swap(i, (rng.next() % (i as u64 + 1)) as usize);
            }
        }
        let mut point = round.pop().unwrap();
        if backend == Backend::Postgres && point == "group_commit_written" {
            point = "deposit_confirming";
        }
        armed.push(format!("{point}@{}", 1 + rng.next() % 4));
    }
    armed
}

/// The environment that arms `armed` (if any) and names the marker file
/// the server writes when it pauses there.
pub fn fault_env(marker: &Path, armed: Option<&str>) -> Vec<(String, String)> {
    let _ = std::fs::remove_file(marker);
    let mut env = vec![(
        "KASSA_TEST_FAULT_MARKER".to_string(),
        marker.display().to_string(),
    )];
    if let Some(point) = armed {
        env.push(("KASSA_TEST_FAULT_PAUSE".to_string(), point.to_string()));
    }
    env
}

pub fn sigkill(pid: u32) {
    let _ = Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status();
}

/// Runs `work` (the workload of one phase, which stops early once `stop`
/// is set) while watching for the armed point's marker: SIGKILLs process
/// `pid` the moment the marker appears (or `linger` after the work ended,
/// if it never does; never, without `linger`), and sets `stop`. Answers
/// whether the point was reached.
pub async fn run_until_fault(
    pid: u32,
    marker: &Path,
    linger: Option<Duration>,
    stop: &Cell<bool>,
    work: impl Future<Output = ()>,
) -> bool {
    let done = Cell::new(false);
    let work = async {
        work.await;
        done.set(true);
    };
    let guard = async {
        let mut quiet_since: Option<Instant> = None;
        loop {
            if marker.exists() {
                sigkill(pid);
                stop.set(true);
                return true;
            }
            if done.get() {
                let Some(linger) = linger else {
                    return false;
                };
                let since = *quiet_since.get_or_insert_with(Instant::now);
                if since.elapsed() > linger {
                    sigkill(pid);
                    return false;
                }
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    let (_, reached) = futures_util::join!(work, guard);
    reached
}

/// One webhook request as the receiver saw it.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub event_id: String,
    pub session_id: i64,
    pub sequence: i64,
    pub status: String,
}

impl Delivery {
    /// What a delivery's JSON body says (blanks where it says nothing).
    pub fn read(body: &[u8]) -> Delivery {
        let v: Value = serde_json::from_slice(body).unwrap_or_default();
        Delivery {
            event_id: v["event_id"].as_str().unwrap_or_default().to_string(),
            session_id: v["session_id"].as_i64().unwrap_or_default(),
            sequence: v["sequence"].as_i64().unwrap_or_default(),
            status: v["status"].as_str().unwrap_or_default().to_string(),
        }
    }
}

/// A webhook receiver that answers 200 at once and records every delivery
/// in arrival order (plain HTTP; live mode delivers only over HTTPS, see
/// `tests/chain/tls_hooks.rs`).
pub struct Hooks {
    pub url: String,
    got: Arc<Mutex<Vec<Delivery>>>,
    server: actix_web::dev::ServerHandle,
}

impl Hooks {
    pub async fn start() -> Hooks {
        let got: Arc<Mutex<Vec<Delivery>>> = Arc::default();
        let shared = got.clone();
        let server = HttpServer::new(move || {
            let got = shared.clone();
            App::new().default_service(web::to(move |body: web::Bytes| {
                let got = got.clone();
                async move {
                    got.lock().unwrap().push(Delivery::read(&body));
                    HttpResponse::Ok().finish()
                }
            }))
        })
        .workers(1)
        .bind("127.0.0.1:0")
        .unwrap();
        let port = server.addrs()[0].port();
        let server = server.disable_signals().run();
        let handle = server.handle();
        actix_web::rt::spawn(server);
        Hooks {
            url: format!("http://127.0.0.1:{port}/hook"),
            got,
            server: handle,
        }
    }

    pub fn all(&self) -> Vec<Delivery> {
        self.got.lock().unwrap().clone()
    }

    pub async fn stop(&self) {
        self.server.stop(false).await;
    }
}

pub async fn count(db: &DatabaseConnection, sql: &str) -> i64 {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

pub async fn rows(db: &DatabaseConnection, sql: &str) -> Vec<sea_orm::QueryResult> {
    db.query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
}

/// The ids of the sessions in `status`.
pub async fn sessions_in(db: &DatabaseConnection, status: &str) -> BTreeSet<i64> {
    rows(
        db,
        &format!("SELECT id FROM sessions WHERE status = '{status}'"),
    )
    .await
    .iter()
    .map(|r| r.try_get_by_index::<i64>(0).unwrap())
    .collect()
}

/// Waits until no webhook is pending, every counted deposit of a paid
/// session is in a sent sweep and every sent sweep is announced.
pub async fn settle(db: &DatabaseConnection, within: Duration) {
    let deadline = Instant::now() + within;
    loop {
        let hooks = count(
            db,
            "SELECT COUNT(*) FROM webhook_events WHERE state NOT IN ('delivered', 'skipped')",
        )
        .await;
        let unswept = count(
            db,
            "SELECT COUNT(*) FROM deposits WHERE state = 'counted' \
             AND session_id IN (SELECT id FROM sessions WHERE status = 'paid') \
             AND (sweep_id IS NULL OR sweep_id NOT IN (SELECT id FROM sweeps WHERE state = 'sent'))",
        )
        .await;
        let unannounced = count(
            db,
            "SELECT COUNT(*) FROM sweeps WHERE state = 'sent' AND announced_at IS NULL",
        )
        .await;
        if hooks == 0 && unswept == 0 && unannounced == 0 {
            return;
        }
        if Instant::now() >= deadline {
            let stuck: Vec<String> = rows(
                db,
                "SELECT event_id, status, state, attempts, last_error FROM webhook_events \
                 WHERE state NOT IN ('delivered', 'skipped') ORDER BY id LIMIT 5",
            )
            .await
            .iter()
            .map(|r| {
                let event: String = r.try_get_by_index(0).unwrap();
                let status: String = r.try_get_by_index(1).unwrap();
                let state: String = r.try_get_by_index(2).unwrap();
                let attempts: i32 = r.try_get_by_index(3).unwrap();
                let error: Option<String> = r.try_get_by_index(4).unwrap();
                format!("{event} {status} {state} after {attempts} attempts: {error:?}")
            })
            .collect();
            panic!(
                "never settled: {hooks} webhooks not delivered, {unswept} deposits not swept, \
                 {unannounced} sweeps not announced; first webhooks stuck: {stuck:#?}"
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// What the receiver got, once every event was checked.
#[derive(Debug)]
pub struct WebhookTally {
    pub deliveries: usize,
    pub events: usize,
    /// Events that arrived more than once: (event id, session, status,
    /// arrivals), in order of event id.
    pub duplicates: Vec<(String, i64, String, usize)>,
}

impl WebhookTally {
    /// Deliveries beyond the first of each event.
    pub fn extra(&self) -> usize {
        self.deliveries - self.events
    }

    /// Prints every duplicated event (receivers dedupe them by event id).
    pub fn print_duplicates(&self, run: &str) {
        for (event, session, status, n) in &self.duplicates {
            println!(
                "{run}: duplicate delivery: event {event} (session {session}, {status}) arrived {n} times"
            );
        }
    }
}

/// Asserts no webhook was lost: every event in the outbox is delivered and
/// reached the receiver, every session in `paid` got its `paid` event, and
/// each session's first arrivals came in sequence order. Duplicates are
/// counted, never an error (delivery is at least once).
pub async fn assert_webhooks_arrived(
    conn: &DatabaseConnection,
    got: &[Delivery],
    paid: &BTreeSet<i64>,
) -> WebhookTally {
    let mut arrivals: HashMap<String, usize> = HashMap::new();
    let mut first_seqs: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    let mut paid_hook: BTreeSet<i64> = BTreeSet::new();
    let mut about: HashMap<String, (i64, String)> = HashMap::new();
    for d in got {
        let n = arrivals.entry(d.event_id.clone()).or_default();
        *n += 1;
        if *n == 1 {
            first_seqs.entry(d.session_id).or_default().push(d.sequence);
            about.insert(d.event_id.clone(), (d.session_id, d.status.clone()));
        }
        if d.status == "paid" {
            paid_hook.insert(d.session_id);
        }
    }
    let missing_paid: Vec<_> = paid.difference(&paid_hook).collect();
    assert!(
        missing_paid.is_empty(),
        "paid sessions whose `paid` webhook never arrived: {missing_paid:?}"
    );
    let outbox = rows(
        conn,
        "SELECT event_id, session_id, sequence, state FROM webhook_events WHERE session_id <> 0",
    )
    .await;
    let mut expected_seqs: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for r in &outbox {
        let event_id: String = r.try_get_by_index(0).unwrap();
        let session: i64 = r.try_get_by_index(1).unwrap();
        let sequence: i32 = r.try_get_by_index(2).unwrap();
        let state: String = r.try_get_by_index(3).unwrap();
        assert_eq!(state, "delivered", "event {event_id}");
        assert!(
            arrivals.contains_key(&event_id),
            "event {event_id} ({state}) never reached the receiver"
        );
        expected_seqs
            .entry(session)
            .or_default()
            .push(i64::from(sequence));
    }
    for (session, seqs) in &mut expected_seqs {
        seqs.sort_unstable();
        assert_eq!(
            first_seqs.get(session),
            Some(&*seqs),
            "session {session}: first arrivals out of order or missing"
        );
    }
    let mut duplicates: Vec<_> = arrivals
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(event, n)| {
            let (session, status) = about[event].clone();
            (event.clone(), session, status, *n)
        })
        .collect();
    duplicates.sort();
    WebhookTally {
        deliveries: got.len(),
        events: arrivals.len(),
        duplicates,
    }
}
