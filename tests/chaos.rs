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
//! The schedule, the kill guard, the receiver and the webhook accounting
//! are `chaos_harness.rs`, shared with the same run on Anvil
//! (`tests/chain/chaos.rs`).
//!
//! Small by default (CI); the full run is
//! `KASSA_TEST_CHAOS_SESSIONS=1000 KASSA_TEST_CHAOS_KILLS=20 cargo test --test main -- chaos --nocapture`
//! (`KASSA_TEST_CHAOS_SEED` picks another schedule).

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use alloy_primitives::Address;
use kassa::chain::ledger::{FINALITY_DEPTH, SandboxLedger};
use kassa::config::USDC_POLYGON;
use serde_json::json;

use crate::chaos_harness::{
    self as harness, Creates, Hooks, Knobs, assert_webhooks_arrived, count, fault_env, rows,
    run_until_fault, sessions_in, settle,
};
use crate::helpers::{Backend, TestDb, TestMerchant, WALLET};
use crate::on_both_backends;
use crate::single_node::{Node, merchant_on};

on_both_backends!(sessions_paid_through_seeded_kills_lose_nothing_and_conserve_money);

/// Where the platform fee goes.
const FEE_WALLET: &str = "0x00000000000000000000000000000000000fee01";

/// Requests at once against the server.
const WORKERS: usize = 4;

/// What the clients were told.
#[derive(Default)]
struct Book {
    creates: Creates,
    /// Pays answered 200.
    paid: BTreeSet<i64>,
    /// Created, pay not answered 200 (cut by a kill).
    unpaid: Vec<i64>,
}

/// The server's environment: sandbox, payouts polled often, a fee, the
/// armed fault point if any.
fn node_extra(marker: &Path, armed: Option<&str>) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = [
        ("KASSA_WEBHOOK_ALLOW_PRIVATE", "true"),
        ("KASSA_WEBHOOK_TIMEOUT_SECS", "30"),
        ("KASSA_PAYOUT_POLL_MS", "100"),
        ("KASSA_PLATFORM_FEE_BPS", "150"),
        ("KASSA_FEE_WALLET", FEE_WALLET),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    env.extend(fault_env(marker, armed));
    env
}

async fn start(db: &str, data: &Path, marker: &Path, armed: Option<&str>) -> Node {
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
        let Some(n) = book.borrow_mut().creates.claim(target) else {
            break;
        };
        let reference = format!("chaos-{n}");
        let answer = node.try_create(merchant, &reference).await;
        let id = answer
            .filter(|a| a.status == 200)
            .and_then(|a| a.json()["session_id"].as_i64());
        book.borrow_mut().creates.answered(id, reference);
        let Some(id) = id else {
            continue;
        };
        if pay(&client, node, id).await {
            book.borrow_mut().paid.insert(id);
        } else {
            let mut b = book.borrow_mut();
            b.unpaid.push(id);
            b.creates.cut += 1;
        }
    }
}

/// Runs the workload up to `target` against `node`, SIGKILLing the server
/// when it pauses at its armed point (see `run_until_fault`). Answers
/// whether the point was reached.
async fn phase(
    node: &Node,
    merchant: &TestMerchant,
    book: &RefCell<Book>,
    target: usize,
    marker: &Path,
    linger: Option<Duration>,
) -> bool {
    let stop = Cell::new(false);
    let workers = futures_util::future::join_all(
        (0..WORKERS).map(|_| worker(node, merchant, book, target, &stop)),
    );
    let workers = async {
        workers.await;
    };
    run_until_fault(node.pid(), marker, linger, &stop, workers).await
}

async fn sessions_paid_through_seeded_kills_lose_nothing_and_conserve_money(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    let knobs = Knobs::read(60, 6);
    let (sessions, kills, seed) = (knobs.sessions, knobs.kills, knobs.seed);
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
    let mut schedule: Vec<(String, bool)> = Vec::new();
    for (k, armed) in harness::schedule(&knobs, backend).into_iter().enumerate() {
        let target = knobs.target(k);
        let mut node = start(&db.url, data.path(), &marker, Some(&armed)).await;
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
    assert_eq!(book.creates.created.len(), sessions);
    node.assert_sessions_exist(&merchant, &book.creates.created)
        .await;
    let paid_in_db = sessions_in(&conn, "paid").await;
    let lost: Vec<_> = book.paid.difference(&paid_in_db).collect();
    assert!(lost.is_empty(), "pays answered 200 but not paid: {lost:?}");

    // Assert 2: no webhook lost, first arrivals in order; duplicates counted.
    let webhooks = assert_webhooks_arrived(&conn, &hooks.all(), &paid_in_db).await;
    webhooks.print_duplicates("chaos");

    // Assert 3: no duplicate payouts.
    let twice = rows(
        &conn,
        "SELECT sweep_id, leg, COUNT(*) FROM payout_transactions WHERE state = 'mined' \
         GROUP BY sweep_id, leg HAVING COUNT(*) > 1",
    )
    .await;
    assert!(twice.is_empty(), "{} sweep legs mined twice", twice.len());
    let store = crate::single_node::store_on(&db.url).await;
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
         kills {:?}; webhooks: {} deliveries of {} events, {} duplicates; \
         {} sweeps sent; received {received} = merchant {merchant_got} + fees {fees} + \
         held {held} (base units); paid in on the ledger {paid_in}; {:.1} s",
        book.paid.len(),
        paid_in_db.len(),
        book.creates.cut,
        schedule,
        webhooks.deliveries,
        webhooks.events,
        webhooks.extra(),
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
    hooks.stop().await;
    drop(node);
}
