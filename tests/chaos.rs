//! Chaos with money conservation: sessions created and paid through a real
//! `kassa serve` in sandbox mode (payouts on, a platform fee, webhooks to a
//! real HTTP receiver) while a seeded schedule SIGKILLs the server at named
//! fault points (mid group commit, mid webhook delivery, mid deposit
//! confirmation, between signing and broadcasting a sweep, right after the
//! broadcast) and restarts it on the same database. A clean server then
//! runs until webhooks and payouts settle, and the test proves:
//!
//! - every create answered 200 is still there, every pay answered 200 is
//!   `paid` (0 acknowledged writes lost);
//! - every outbox event, and every paid session's `paid` event, reached the
//!   receiver, first arrivals in per-session order (0 lost; duplicates are
//!   counted and printed, never an error: delivery is at least once);
//! - no deposit address paid out more than one transaction per sweep leg
//!   and the ledger moved out of each address exactly its sent sweeps
//!   (0 duplicate payouts);
//! - deposits counted = paid to the merchant + fees + still held, to the
//!   base unit, read from the ledger's balances, and `kassa ledger check`'s
//!   own books agree.
//!
//! Small by default (CI); the full run is
//! `KASSA_TEST_CHAOS_SESSIONS=1000 KASSA_TEST_CHAOS_KILLS=20 cargo test --test main -- chaos --nocapture`
//! (`KASSA_TEST_CHAOS_SEED` picks another schedule).

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{App, HttpResponse, HttpServer, web};
use alloy_primitives::Address;
use kassa::chain::ledger::{FINALITY_DEPTH, SandboxLedger};
use kassa::config::USDC_POLYGON;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use serde_json::{Value, json};

use crate::helpers::{Backend, TestDb, TestMerchant, WALLET};
use crate::on_both_backends;
use crate::single_node::{Node, merchant_on};

on_both_backends!(sessions_paid_through_seeded_kills_lose_nothing_and_conserve_money);

/// The fault points the schedule draws from (see `src/fault.rs`).
const POINTS: [&str; 5] = [
    "group_commit_written",
    "deposit_confirming",
    "webhook_delivering",
    "payout_signed",
    "payout_broadcast",
];

/// Where the platform fee goes.
const FEE_WALLET: &str = "0x00000000000000000000000000000000000fee01";

/// Requests at once against the server.
const WORKERS: usize = 4;

fn knob(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A 64-bit linear congruential generator: the schedule is a function of
/// the seed alone.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
}

/// One webhook request as the receiver saw it.
#[derive(Debug, Clone)]
struct Delivery {
    event_id: String,
    session_id: i64,
    sequence: i64,
    status: String,
}

/// A webhook receiver that answers 200 at once and records every delivery
/// in arrival order.
struct Hooks {
    url: String,
    got: Arc<Mutex<Vec<Delivery>>>,
    server: actix_web::dev::ServerHandle,
}

impl Hooks {
    async fn start() -> Hooks {
        let got: Arc<Mutex<Vec<Delivery>>> = Arc::default();
        let shared = got.clone();
        let server = HttpServer::new(move || {
            let got = shared.clone();
            App::new().default_service(web::to(move |body: web::Bytes| {
                let got = got.clone();
                async move {
                    let v: Value = serde_json::from_slice(&body).unwrap_or_default();
                    got.lock().unwrap().push(Delivery {
                        event_id: v["event_id"].as_str().unwrap_or_default().to_string(),
                        session_id: v["session_id"].as_i64().unwrap_or_default(),
                        sequence: v["sequence"].as_i64().unwrap_or_default(),
                        status: v["status"].as_str().unwrap_or_default().to_string(),
                    });
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

    fn all(&self) -> Vec<Delivery> {
        self.got.lock().unwrap().clone()
    }
}

/// What the clients were told.
#[derive(Default)]
struct Book {
    /// Creates answered 200: (session id, order reference).
    created: Vec<(i64, String)>,
    /// Pays answered 200.
    paid: BTreeSet<i64>,
    /// Created, pay not answered 200 (cut by a kill).
    unpaid: Vec<i64>,
    /// Creates in flight (claimed against the phase's target).
    claimed: usize,
    next_ref: u64,
    /// Requests that got no 200 (cut by a kill, or refused while paused).
    cut: usize,
}

/// The server's environment: sandbox, payouts polled often, a fee.
fn node_extra(marker: &Path, armed: Option<String>) -> Vec<(String, String)> {
    let mut env = vec![
        ("KASSA_WEBHOOK_ALLOW_PRIVATE", "true".to_string()),
        ("KASSA_WEBHOOK_TIMEOUT_SECS", "30".to_string()),
        ("KASSA_PAYOUT_POLL_MS", "100".to_string()),
        ("KASSA_PLATFORM_FEE_BPS", "150".to_string()),
        ("KASSA_FEE_WALLET", FEE_WALLET.to_string()),
        ("KASSA_TEST_FAULT_MARKER", marker.display().to_string()),
    ];
    if let Some(point) = armed {
        env.push(("KASSA_TEST_FAULT_PAUSE", point));
    }
    env.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

async fn start(db: &str, data: &Path, marker: &Path, armed: Option<String>) -> Node {
    let _ = std::fs::remove_file(marker);
    let extra = node_extra(marker, armed);
    let extra: Vec<(&str, &str)> = extra
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    Node::start_with(db, data, data, &extra).await
}

async fn pay(client: &reqwest::Client, node: &Node, id: i64) -> bool {
    let answer = client
        .post(node.url("/sandbox/pay"))
        .json(&json!({ "session_id": id }))
        .timeout(Duration::from_secs(120))
        .send()
        .await;
    matches!(answer, Ok(a) if a.status().is_success())
}

/// Creates and pays sessions until `target` creates were answered 200 in
/// all, or `stop` is set.
async fn worker(
    node: &Node,
    merchant: &TestMerchant,
    book: &RefCell<Book>,
    target: usize,
    stop: &Cell<bool>,
) {
    let client = reqwest::Client::new();
    while !stop.get() {
        let n = {
            let mut b = book.borrow_mut();
            if b.created.len() + b.claimed >= target {
                break;
            }
            b.claimed += 1;
            b.next_ref += 1;
            b.next_ref
        };
        let reference = format!("chaos-{n}");
        let answer = node.try_create(merchant, &reference).await;
        book.borrow_mut().claimed -= 1;
        let Some(id) = answer
            .filter(|a| a.status == 200)
            .and_then(|a| a.json()["session_id"].as_i64())
        else {
            book.borrow_mut().cut += 1;
            continue;
        };
        book.borrow_mut().created.push((id, reference));
        if pay(&client, node, id).await {
            book.borrow_mut().paid.insert(id);
        } else {
            let mut b = book.borrow_mut();
            b.unpaid.push(id);
            b.cut += 1;
        }
    }
}

fn sigkill(pid: u32) {
    let _ = Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status();
}

/// Runs the workload up to `target` against `node` while watching for the
/// armed point's marker: SIGKILLs the server the moment it appears (or
/// `linger` after the workload, if it never does; never, without `linger`).
/// Answers whether the point was reached.
async fn phase(
    node: &Node,
    merchant: &TestMerchant,
    book: &RefCell<Book>,
    target: usize,
    marker: &Path,
    linger: Option<Duration>,
) -> bool {
    let stop = Cell::new(false);
    let done = Cell::new(0usize);
    let workers = futures_util::future::join_all((0..WORKERS).map(|_| async {
        worker(node, merchant, book, target, &stop).await;
        done.set(done.get() + 1);
    }));
    let guard = async {
        let mut quiet_since: Option<Instant> = None;
        loop {
            if marker.exists() {
                sigkill(node.pid());
                stop.set(true);
                return true;
            }
            if done.get() == WORKERS {
                let Some(linger) = linger else {
                    return false;
                };
                let since = *quiet_since.get_or_insert_with(Instant::now);
                if since.elapsed() > linger {
                    sigkill(node.pid());
                    return false;
                }
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    let (_, reached) = futures_util::join!(workers, guard);
    reached
}

async fn count(db: &DatabaseConnection, sql: &str) -> i64 {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

async fn rows(db: &DatabaseConnection, sql: &str) -> Vec<sea_orm::QueryResult> {
    db.query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
}

/// Waits until no webhook is pending, every counted deposit is in a sent
/// sweep and every sent sweep is announced.
async fn settle(db: &DatabaseConnection, within: Duration) {
    let deadline = Instant::now() + within;
    loop {
        let hooks = count(
            db,
            "SELECT COUNT(*) FROM webhook_events WHERE state NOT IN ('delivered', 'skipped')",
        )
        .await;
        let unswept = count(
            db,
            "SELECT COUNT(*) FROM deposits WHERE state = 'counted' AND (sweep_id IS NULL \
             OR sweep_id NOT IN (SELECT id FROM sweeps WHERE state = 'sent'))",
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
        assert!(
            Instant::now() < deadline,
            "never settled: {hooks} webhooks not delivered, {unswept} deposits not swept, \
             {unannounced} sweeps not announced"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn sessions_paid_through_seeded_kills_lose_nothing_and_conserve_money(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    let sessions = knob("KASSA_TEST_CHAOS_SESSIONS", 60) as usize;
    let kills = knob("KASSA_TEST_CHAOS_KILLS", 6) as usize;
    let seed = knob("KASSA_TEST_CHAOS_SEED", 0x006b_6173_7361);
    let started = Instant::now();
    let merchant = merchant_on(&db.url).await;
    let hooks = Hooks::start().await;
    crate::helpers::raw_sql(
        &db.url,
        &format!(
            "UPDATE merchants SET webhook_url = '{}' WHERE id = {}",
            hooks.url, merchant.id
        ),
    )
    .await;
    let data = tempfile::tempdir().unwrap();
    let marker = data.path().join("fault.marker");
    let book = RefCell::new(Book::default());

    // Act: one phase per kill, each armed at the seeded point and pass.
    let mut rng = Lcg(seed);
    let mut schedule: Vec<(String, bool)> = Vec::new();
    let mut round: Vec<&str> = Vec::new();
    for k in 0..kills {
        // Every point once per round of five, in a seeded order.
        if round.is_empty() {
            round = POINTS.to_vec();
            for i in (1..round.len()).rev() {
                round.swap(i, (rng.next() % (i as u64 + 1)) as usize);
            }
        }
        let mut point = round.pop().unwrap();
        if backend == Backend::Postgres && point == "group_commit_written" {
            // Group commit is SQLite's; PostgreSQL commits each alone.
            point = "deposit_confirming";
        }
        let armed = format!("{point}@{}", 1 + rng.next() % 4);
        let target = sessions * (k + 1) / (kills + 1);
        let mut node = start(&db.url, data.path(), &marker, Some(armed.clone())).await;
        let reached = phase(
            &node,
            &merchant,
            &book,
            target,
            &marker,
            Some(Duration::from_secs(20)),
        )
        .await;
        node.kill();
        schedule.push((armed, reached));
    }

    // A clean server: the rest of the sessions, the cut pays, then settle.
    let node = start(&db.url, data.path(), &marker, None).await;
    phase(&node, &merchant, &book, sessions, &marker, None).await;
    let unpaid = std::mem::take(&mut book.borrow_mut().unpaid);
    let client = reqwest::Client::new();
    let mut repaid = 0;
    for id in unpaid {
        let status = node.status(&merchant, id).await.json();
        if status["status"] == "created" {
            assert!(
                pay(&client, &node, id).await,
                "session {id} could not be paid"
            );
            book.borrow_mut().paid.insert(id);
            repaid += 1;
        }
    }
    let conn = sea_orm::Database::connect(&db.url).await.unwrap();
    settle(&conn, Duration::from_secs(180 + sessions as u64 / 2)).await;
    let book = book.into_inner();

    // Assert 1: no acknowledged write lost.
    assert_eq!(book.created.len(), sessions);
    node.assert_sessions_exist(&merchant, &book.created).await;
    let paid_in_db: BTreeSet<i64> = rows(&conn, "SELECT id FROM sessions WHERE status = 'paid'")
        .await
        .iter()
        .map(|r| r.try_get_by_index::<i64>(0).unwrap())
        .collect();
    let lost: Vec<_> = book.paid.difference(&paid_in_db).collect();
    assert!(lost.is_empty(), "pays answered 200 but not paid: {lost:?}");

    // Assert 2: no webhook lost, first arrivals in order; duplicates counted.
    let got = hooks.all();
    let mut arrivals: HashMap<String, usize> = HashMap::new();
    let mut first_seqs: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    let mut paid_hook: BTreeSet<i64> = BTreeSet::new();
    for d in &got {
        let n = arrivals.entry(d.event_id.clone()).or_default();
        *n += 1;
        if *n == 1 {
            first_seqs.entry(d.session_id).or_default().push(d.sequence);
        }
        if d.status == "paid" {
            paid_hook.insert(d.session_id);
        }
    }
    let duplicates = got.len() - arrivals.len();
    let missing_paid: Vec<_> = paid_in_db.difference(&paid_hook).collect();
    assert!(
        missing_paid.is_empty(),
        "paid sessions whose `paid` webhook never arrived: {missing_paid:?}"
    );
    let outbox = rows(
        &conn,
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

    // Assert 3: no duplicate payouts.
    let twice = rows(
        &conn,
        "SELECT sweep_id, leg, COUNT(*) FROM payout_transactions WHERE state = 'mined' \
         GROUP BY sweep_id, leg HAVING COUNT(*) > 1",
    )
    .await;
    assert!(twice.is_empty(), "{} sweep legs mined twice", twice.len());
    let store = open_store(&db.url).await;
    let token: Address = USDC_POLYGON.parse().unwrap();
    let addresses = store.deposit_addresses_by_session().await.unwrap();
    let watched: BTreeSet<String> = addresses.values().cloned().collect();
    let sent_sweeps = rows(
        &conn,
        "SELECT deposit_address, amount_units FROM sweeps WHERE state = 'sent'",
    )
    .await;
    let mut swept_from: BTreeMap<String, i64> = BTreeMap::new();
    for r in &sent_sweeps {
        let address: String = r.try_get_by_index(0).unwrap();
        *swept_from.entry(address.to_lowercase()).or_default() +=
            r.try_get_by_index::<i64>(1).unwrap();
    }
    let transfers = rows(
        &conn,
        "SELECT from_address, to_address, amount FROM ledger_transfers",
    )
    .await;
    let mut out_of: BTreeMap<String, i64> = BTreeMap::new();
    let mut paid_in: i64 = 0;
    for r in &transfers {
        let from = r.try_get_by_index::<String>(0).unwrap().to_lowercase();
        let to = r.try_get_by_index::<String>(1).unwrap().to_lowercase();
        let amount: i64 = r.try_get_by_index(2).unwrap();
        if watched.contains(&from) {
            *out_of.entry(from).or_default() += amount;
        } else if watched.contains(&to) {
            paid_in += amount;
        }
    }
    assert_eq!(
        out_of, swept_from,
        "what left each deposit address is not exactly its sent sweeps"
    );

    // Assert 4: conservation, exact in base units, against the ledger.
    let received: i64 = count(
        &conn,
        "SELECT CAST(COALESCE(SUM(amount_usdc), 0) AS BIGINT) FROM deposits WHERE state IN ('counted', 'late')",
    )
    .await;
    let balance = |who: &str| {
        let store = store.clone();
        let who: Address = who.parse().unwrap();
        async move { i64::try_from(store.ledger_balance(token, who).await.unwrap()).unwrap() }
    };
    let merchant_got = balance(WALLET).await;
    let fees = balance(FEE_WALLET).await;
    let mut held = 0;
    for address in &watched {
        held += balance(address).await;
    }
    println!(
        "chaos ({backend:?}, seed {seed:#x}): {sessions} sessions, {} pays answered 200 \
         ({repaid} paid again after a cut), {} in the database paid, {} requests cut; \
         kills {:?}; webhooks: {} deliveries of {} events, {duplicates} duplicates; \
         {} sweeps sent; received {received} = merchant {merchant_got} + fees {fees} + \
         held {held} (base units); paid in on the ledger {paid_in}; {:.1} s",
        book.paid.len(),
        paid_in_db.len(),
        book.cut,
        schedule,
        got.len(),
        arrivals.len(),
        sent_sweeps.len(),
        started.elapsed().as_secs_f64()
    );
    assert_eq!(
        received, paid_in,
        "the books count what the ledger received"
    );
    assert_eq!(received, merchant_got + fees + held, "money conserved");
    assert!(
        fees > 0 && merchant_got > 0,
        "money moved: {fees} {merchant_got}"
    );
    let ledger = SandboxLedger::new(
        store.clone(),
        FINALITY_DEPTH,
        Arc::new(kassa::clock::SystemClock),
    );
    let report = kassa::app::money::check(&store, &ledger, token)
        .await
        .unwrap();
    assert!(report.discrepancies.is_empty(), "{report:?}");
    let f = &report.figures;
    assert_eq!(
        (f.received, f.forwarded, f.fees, f.held),
        (
            received as u64,
            merchant_got as u64,
            fees as u64,
            held as u64
        ),
        "{report:?}"
    );
    let reached = schedule.iter().filter(|(_, r)| *r).count();
    assert!(
        reached * 2 >= kills,
        "most kills should land on their armed point: {schedule:?}"
    );
    conn.close().await.unwrap();
    hooks.server.stop(false).await;
    drop(node);
}

async fn open_store(url: &str) -> kassa::store::Store {
    kassa::store::Store::connect(&kassa::store::DatabaseSettings {
        url: url.to_string(),
        max_connections: 2,
        acquire_timeout: Duration::from_secs(10),
        session_cache_ttl: Duration::ZERO,
        secrets_key: crate::helpers::test_secrets_key(),
    })
    .await
    .unwrap()
}
