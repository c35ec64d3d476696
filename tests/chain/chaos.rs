//! Chaos with money conservation on a real EVM node: the sandbox chaos run
//! (`tests/chaos.rs`) again, in live mode on Anvil. Sessions are created
//! through a real `kassa serve` (payouts on, a 1.5 % platform fee, webhooks
//! over HTTPS to a real receiver, `tls_hooks.rs`) and paid by real
//! transfers of the test USDC, while a seeded schedule SIGKILLs the server
//! at named fault points (mid group commit, mid deposit confirmation, mid
//! webhook delivery, between signing and broadcasting a sweep, right after
//! the broadcast) and starts it again on the same database. One session in
//! eight is paid only half, so some money stays held at its deposit
//! address. Blocks keep coming (one every 200 ms, besides each
//! transaction's own), a session answered just before a kill is paid while
//! the server is down, and a clean server then runs until every deposit is
//! counted, every webhook delivered and every paid session swept. The test
//! proves, reading the chain:
//!
//! - every create answered 200 is there with its order reference, and
//!   every mined payment is counted: its session is `paid` (or `underpaid`
//!   for the halves) and received exactly what was sent (0 acknowledged
//!   writes lost);
//! - every outbox event, and every paid session's `paid` event, reached the
//!   receiver, first arrivals in per-session order (0 lost; duplicates are
//!   counted and each one printed: delivery is at least once);
//! - every token transfer out of a deposit address on chain is one mined
//!   leg of one sent sweep of that address in the gateway's records, to its
//!   destination and for its amount, and each sent sweep's legs are on
//!   chain exactly once (0 duplicate payouts);
//! - what the payers sent to the deposit addresses = the merchant wallet's
//!   balance + the fee wallet's + what the deposit addresses still hold, to
//!   the base unit, all read from Anvil; held is exactly the halves; and
//!   the per-deposit audit (`conservation.rs`) and `kassa ledger check`
//!   agree with no discrepancy.
//!
//! The schedule, the kill guard, the receiver and the webhook accounting
//! are the sandbox run's (`tests/chaos_harness.rs`). Small by default (CI:
//! 40 sessions, 10 kills: each point twice); the full run is
//! `KASSA_TEST_CHAOS_SESSIONS=1000 KASSA_TEST_CHAOS_KILLS=20 cargo test --test chain -- chaos --nocapture --test-threads=1`
//! (`KASSA_TEST_CHAOS_SEED` picks another schedule).

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::time::{Duration, Instant};

use alloy::primitives::{Address, U256};
use alloy::providers::Provider;
use alloy::signers::local::PrivateKeySigner;
use kassa::chain::rpc::RpcChain;
use kassa::chain::source::ChainSource;
use kassa::domain::payout::{Leg, SweepState, TxState};
use serde_json::{Value, json};

use crate::anvil::{Anvil, TestUsdc};
use crate::chaos_harness::{
    self as harness, Creates, Knobs, assert_webhooks_arrived, count, fault_env, run_until_fault,
    sessions_in, settle,
};
use crate::gateway::Gateway;
use crate::helpers::{Backend, MerchantSpec, TestDb, TestMerchant, WALLET, create_merchant};
use crate::live::Live;
use crate::on_both_backends;
use crate::tls_hooks::{TlsHooks, ca_file};

on_both_backends!(sessions_paid_on_anvil_through_seeded_kills_lose_nothing_and_conserve_money);

/// Where the platform fee goes.
pub const FEE_WALLET: &str = "0x00000000000000000000000000000000000fee01";

/// Customers at once, each paying from a key of its own (one key's
/// transfers must go one after another: its nonces).
const WORKERS: usize = 3;

/// One block this often besides each transaction's own, so deposits gain
/// confirmations and become final while nobody pays.
const BLOCK_EVERY: Duration = Duration::from_millis(200);

/// How long a phase whose armed point was not reached runs on after its
/// workload before the server is killed anyway.
const LINGER: Duration = Duration::from_secs(15);

/// Each payer's USDC (base units): far more than any run pays.
const PAYER_UNITS: u64 = 1_000_000_000_000;

/// One transfer a customer made (mined, so acknowledged by the chain).
#[derive(Debug, Clone)]
pub struct Payment {
    pub session: i64,
    pub units: u64,
    /// All that was owed (else half of it: the session stays underpaid).
    pub full: bool,
}

/// What the customers were told, and what they paid.
#[derive(Default)]
pub struct Book {
    pub creates: Creates,
    pub payments: Vec<Payment>,
}

/// The server's environment on top of `Gateway`'s live-mode defaults:
/// sweeps two blocks after finality, payouts and webhooks polled often, a
/// fee, and the armed fault point if any.
pub fn gateway_env(marker: &Path, armed: Option<&str>) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = [
        ("KASSA_PAYOUT_CONFIRMATIONS", "2"),
        ("KASSA_PAYOUT_POLL_MS", "100"),
        ("KASSA_PLATFORM_FEE_BPS", "150"),
        ("KASSA_FEE_WALLET", FEE_WALLET),
        ("KASSA_WEBHOOK_ALLOW_PRIVATE", "true"),
        ("KASSA_WEBHOOK_TIMEOUT_SECS", "30"),
        ("KASSA_RATE_LIMIT_PER_SECOND", "100000"),
        ("KASSA_RATE_LIMIT_BURST", "100000"),
        ("KASSA_DB_ACQUIRE_TIMEOUT_MS", "10000"),
        // Live mode delivers only over HTTPS: trust the receiver's test CA.
        ("SSL_CERT_FILE", &ca_file()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    env.extend(fault_env(marker, armed));
    env
}

async fn start(
    db_url: &str,
    data: &Path,
    anvil: &Anvil,
    marker: &Path,
    armed: Option<&str>,
) -> Gateway {
    let env = gateway_env(marker, armed);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    Gateway::start(db_url, data, anvil, &env).await
}

/// `12.34` (USDC) in base units.
fn usdc_units(text: &str) -> u64 {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    assert!(fraction.len() <= 6, "{text}");
    let fraction = format!("{fraction:0<6}");
    whole.parse::<u64>().unwrap() * 1_000_000 + fraction.parse::<u64>().unwrap()
}

/// Creates a USD session of `cents` at `base` (a gateway, or nginx in
/// front of several): (id, deposit address, USDC owed in base units), or
/// `None` when no 200 came (the server killed or paused).
async fn create(
    client: &reqwest::Client,
    base: &str,
    merchant: &TestMerchant,
    reference: &str,
    cents: u64,
) -> Option<(i64, Address, u64)> {
    let mut body = crate::helpers::order(reference);
    body["amount"] = json!(format!("{}.{:02}", cents / 100, cents % 100));
    body["currency"] = json!("USD");
    let answer = client
        .post(format!("{base}/gateway/session.php"))
        .bearer_auth(&merchant.api_key)
        .json(&body)
        .timeout(Duration::from_secs(30))
        .send()
        .await
        .ok()?;
    if answer.status() != 200 {
        return None;
    }
    let created: Value = answer.json().await.ok()?;
    let id = created["session_id"].as_i64().unwrap();
    let to: Address = created["polygon_address_in"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let owed = usdc_units(created["amount_usdc"].as_str().unwrap());
    assert_eq!(owed, cents * 10_000, "USD is 1:1: {created}");
    Some((id, to, owed))
}

/// Creates sessions at `base` and pays each on chain until `target`
/// creates were answered 200 in all, or `stop` is set. A session answered
/// 200 is always paid, server up or not: the customer has its address.
#[allow(clippy::too_many_arguments)]
pub async fn worker(
    base: &str,
    anvil: &Anvil,
    payer: &PrivateKeySigner,
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
        let reference = format!("chain-chaos-{n}");
        let cents = 100 + (n * 7_919) % 4_900;
        let answer = create(&client, base, merchant, &reference, cents).await;
        book.borrow_mut()
            .creates
            .answered(answer.as_ref().map(|(id, _, _)| *id), reference);
        let Some((id, to, owed)) = answer else {
            continue;
        };
        let full = n % 8 != 5;
        let units = if full { owed } else { owed / 2 };
        anvil.transfer(payer, to, units).await;
        book.borrow_mut().payments.push(Payment {
            session: id,
            units,
            full,
        });
    }
}

/// Runs the workload up to `target` against `gateway`, SIGKILLing it when
/// it pauses at its armed point (see `run_until_fault`).
#[allow(clippy::too_many_arguments)]
async fn phase(
    gateway: &Gateway,
    anvil: &Anvil,
    payers: &[PrivateKeySigner],
    merchant: &TestMerchant,
    book: &RefCell<Book>,
    target: usize,
    marker: &Path,
    linger: Option<Duration>,
) -> bool {
    let stop = Cell::new(false);
    let workers = futures_util::future::join_all(
        payers
            .iter()
            .map(|payer| worker(&gateway.base, anvil, payer, merchant, book, target, &stop)),
    );
    let workers = async {
        workers.await;
    };
    run_until_fault(gateway.pid(), marker, linger, &stop, workers).await
}

/// `WORKERS` payers with gas and USDC (the first is `Live`'s).
pub async fn payers(anvil: &Anvil, first: PrivateKeySigner) -> Vec<PrivateKeySigner> {
    let mut payers = vec![first];
    while payers.len() < WORKERS {
        let payer = PrivateKeySigner::random();
        anvil
            .set_native_balance(
                payer.address(),
                U256::from(1_000_000_000_000_000_000_000_u128),
            )
            .await;
        anvil.mint(payer.address(), PAYER_UNITS).await;
        payers.push(payer);
    }
    payers
}

/// Mines a block every `BLOCK_EVERY` until aborted.
pub fn keep_mining(anvil: &Anvil) -> actix_web::rt::task::JoinHandle<()> {
    let node = anvil.node().clone();
    actix_web::rt::spawn(async move {
        loop {
            let _ = node
                .raw_request::<_, Value>("anvil_mine".into(), json!(["0x1"]))
                .await;
            tokio::time::sleep(BLOCK_EVERY).await;
        }
    })
}

/// Waits until the watcher counted every payment.
pub async fn all_counted(conn: &sea_orm::DatabaseConnection, payments: usize, within: Duration) {
    let deadline = Instant::now() + within;
    loop {
        let counted = count(
            conn,
            "SELECT COUNT(*) FROM deposits WHERE state = 'counted'",
        )
        .await;
        if counted as usize >= payments {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the watcher counted {counted} of {payments} mined payments"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn sessions_paid_on_anvil_through_seeded_kills_lose_nothing_and_conserve_money(
    backend: Backend,
) {
    let Some((anvil, payer)) = Live::chain_only().await else {
        return;
    };
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    let knobs = Knobs::read(40, 10);
    let started = Instant::now();
    let store = crate::helpers::open_store(&db).await;
    let merchant = create_merchant(&store, MerchantSpec::default()).await;
    let hooks = TlsHooks::start();
    crate::helpers::send_webhooks_to(&store, merchant.id, &hooks.url).await;
    let payers = payers(&anvil, payer).await;
    let data = tempfile::tempdir().unwrap();
    let marker = data.path().join("fault.marker");
    let book = RefCell::new(Book::default());
    let miner = keep_mining(&anvil);

    // Act: one phase per kill, each armed at the seeded point and pass.
    let mut schedule: Vec<(String, bool)> = Vec::new();
    let mut slowest_start = Duration::ZERO;
    for (k, armed) in harness::schedule(&knobs, backend).into_iter().enumerate() {
        let starting = Instant::now();
        let gateway = start(&db.url, data.path(), &anvil, &marker, Some(&armed)).await;
        slowest_start = slowest_start.max(starting.elapsed());
        let reached = phase(
            &gateway,
            &anvil,
            &payers,
            &merchant,
            &book,
            knobs.target(k),
            &marker,
            Some(LINGER),
        )
        .await;
        gateway.kill_9();
        schedule.push((armed, reached));
    }

    // A clean server: the rest of the sessions, then everything settles.
    let gateway = start(&db.url, data.path(), &anvil, &marker, None).await;
    phase(
        &gateway,
        &anvil,
        &payers,
        &merchant,
        &book,
        knobs.sessions,
        &marker,
        None,
    )
    .await;
    let book = book.into_inner();
    let conn = sea_orm::Database::connect(&db.url).await.unwrap();
    let within = Duration::from_secs(60 + knobs.sessions as u64 / 2);
    all_counted(&conn, book.payments.len(), within).await;
    settle(&conn, within).await;
    miner.abort();

    // Assert: every create reached its phase's target, then everything a
    // chaos run promises (`verify`).
    assert_eq!(book.creates.created.len(), knobs.sessions);
    let outcome = verify(
        &anvil,
        &store,
        &conn,
        &hooks.all(),
        &merchant,
        &book,
        &gateway.base,
    )
    .await;
    outcome.webhooks.print_duplicates("chain chaos");
    println!(
        "chain chaos ({backend:?}, seed {:#x}): {} sessions created (200), {} creates cut; \
         {} paid, {} underpaid (held); kills {:?}; {}; slowest restart {:.1} s; {:.1} s",
        knobs.seed,
        book.creates.created.len(),
        book.creates.cut,
        outcome.paid.len(),
        book.payments.len() - outcome.paid.len(),
        schedule,
        outcome.summary(),
        slowest_start.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    let reached = schedule.iter().filter(|(_, r)| *r).count();
    assert!(
        reached * 2 >= knobs.kills,
        "most kills should land on their armed point: {schedule:?}"
    );
    conn.close().await.unwrap();
    drop(hooks);
    gateway.kill_9();
    store.close().await;
}

/// What [`verify`] found, for the run's summary line.
pub struct Outcome {
    pub paid: BTreeSet<i64>,
    pub webhooks: harness::WebhookTally,
    pub sweeps_sent: usize,
    pub head: u64,
    /// What the payers sent to deposit addresses, read from the chain.
    pub paid_in: u64,
    pub merchant_got: u64,
    pub fees: u64,
    pub held: u64,
}

impl Outcome {
    /// Deliveries, sweeps, blocks and the money, for a run's summary line.
    pub fn summary(&self) -> String {
        format!(
            "webhooks: {} deliveries of {} events, {} duplicates; {} sweeps sent; {} blocks; \
             paid in on chain {} = merchant {} + fees {} + held {} (base units)",
            self.webhooks.deliveries,
            self.webhooks.events,
            self.webhooks.extra(),
            self.sweeps_sent,
            self.head,
            self.paid_in,
            self.merchant_got,
            self.fees,
            self.held
        )
    }
}

/// Everything a chaos run promises, once it settled, reading the chain
/// (see the module doc): every create answered 200 is there and every
/// mined payment counted in full, no webhook lost and first arrivals in
/// order, no payout twice, and money conserved to the base unit. `base`
/// answers the status lookups (a gateway, or nginx in front of several).
pub async fn verify(
    anvil: &Anvil,
    store: &kassa::store::Store,
    conn: &sea_orm::DatabaseConnection,
    got: &[harness::Delivery],
    merchant: &TestMerchant,
    book: &Book,
    base: &str,
) -> Outcome {
    // No acknowledged write lost: every create answered 200 is there, and
    // every mined payment counted in full for its session.
    let client = reqwest::Client::new();
    let payment_of: HashMap<i64, &Payment> = book.payments.iter().map(|p| (p.session, p)).collect();
    for (id, reference) in &book.creates.created {
        let answer = client
            .get(format!("{base}/gateway/session_status.php?session_id={id}"))
            .header("X-API-Key", &merchant.api_key)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 200, "acknowledged session {id} is missing");
        let body: Value = answer.json().await.unwrap();
        let session = &body["session"];
        assert_eq!(session["order_id"].as_str(), Some(reference.as_str()));
        let payment = payment_of[id];
        let status = if payment.full { "paid" } else { "underpaid" };
        assert_eq!(session["status"], status, "session {id}: {body}");
        let record = store.session(*id).await.unwrap().unwrap();
        assert_eq!(
            record.received.units(),
            payment.units,
            "session {id} received what was sent"
        );
    }
    let paid_in_db = sessions_in(conn, "paid").await;
    let paid_in_book: BTreeSet<i64> = book
        .payments
        .iter()
        .filter(|p| p.full)
        .map(|p| p.session)
        .collect();
    assert_eq!(paid_in_db, paid_in_book, "paid = paid in full, no more");

    // Assert 2: no webhook lost, first arrivals in order; duplicates counted.
    let webhooks = assert_webhooks_arrived(conn, got, &paid_in_db).await;
    let unpaid_hooks: Vec<i64> = got
        .iter()
        .filter(|d| d.status == "paid" && !paid_in_db.contains(&d.session_id))
        .map(|d| d.session_id)
        .collect();
    assert!(
        unpaid_hooks.is_empty(),
        "`paid` webhooks for sessions that are not paid: {unpaid_hooks:?}"
    );

    // Assert 3: no duplicate payouts: every transfer out of a deposit
    // address is one mined leg of one sent sweep of that address.
    let addresses = store.deposit_addresses_by_session().await.unwrap();
    let watched: BTreeSet<Address> = addresses.values().map(|a| a.parse().unwrap()).collect();
    let sweeps = store.merchant_sweeps(merchant.id).await.unwrap();
    let mut legs: HashMap<String, (usize, Leg)> = HashMap::new();
    let mut sent = 0;
    for (i, sweep) in sweeps.iter().enumerate() {
        assert_eq!(sweep.state, SweepState::Sent, "{sweep:?}");
        sent += 1;
        for tx in store.sweep_transactions(sweep.id).await.unwrap() {
            if tx.state == TxState::Mined {
                let before = legs.insert(tx.tx_hash.to_lowercase(), (i, tx.leg));
                assert!(before.is_none(), "{} recorded twice", tx.tx_hash);
            }
        }
    }
    let chain = RpcChain::new(&anvil.rpc_url(), Duration::from_secs(30)).unwrap();
    let head = chain.head().await.unwrap();
    let logs = chain.transfers(anvil.token(), 0, head).await.unwrap();
    let merchant_wallet: Address = WALLET.parse().unwrap();
    let fee_wallet: Address = FEE_WALLET.parse().unwrap();
    let mut on_chain_legs: BTreeMap<(usize, &'static str), usize> = BTreeMap::new();
    let mut paid_in: u64 = 0;
    for log in &logs {
        let units = u64::try_from(log.amount).unwrap();
        if watched.contains(&log.to) && !watched.contains(&log.from) {
            paid_in += units;
        }
        if !watched.contains(&log.from) {
            continue;
        }
        let hash = format!("{:#x}", log.tx_hash);
        let Some((i, leg)) = legs.get(&hash) else {
            panic!(
                "a transfer out of {} is no mined sweep leg: {log:?}",
                log.from
            );
        };
        let sweep = &sweeps[*i];
        let from: Address = sweep.deposit_address.parse().unwrap();
        assert_eq!(log.from, from, "sweep {} moved another address", sweep.id);
        let (to, amount, name) = match leg {
            Leg::Merchant => (merchant_wallet, sweep.net_units(), "merchant"),
            Leg::Fee => (fee_wallet, sweep.fee_units, "fee"),
            Leg::TopUp => panic!("a top-up moved the token: {log:?}"),
        };
        assert_eq!(
            (log.to, units),
            (to, amount),
            "sweep {} {name} leg",
            sweep.id
        );
        *on_chain_legs.entry((*i, name)).or_default() += 1;
    }
    for (i, sweep) in sweeps.iter().enumerate() {
        assert_eq!(
            on_chain_legs.get(&(i, "merchant")),
            Some(&1),
            "sweep {} paid the merchant once",
            sweep.id
        );
        let fee_legs = on_chain_legs.get(&(i, "fee")).copied().unwrap_or(0);
        assert_eq!(
            fee_legs,
            usize::from(sweep.fee_units > 0),
            "sweep {}",
            sweep.id
        );
    }
    let mut per_session: BTreeMap<i64, usize> = BTreeMap::new();
    for sweep in &sweeps {
        *per_session.entry(sweep.session_id).or_default() += 1;
    }
    assert!(
        per_session.values().all(|n| *n == 1),
        "one sweep per paid session (each was paid once): {per_session:?}"
    );
    assert_eq!(
        per_session.keys().copied().collect::<BTreeSet<_>>(),
        paid_in_db
    );

    // Assert 4: conservation, exact in base units, read from Anvil.
    let token = TestUsdc::new(anvil.token(), anvil.node().clone());
    let balance = |who: Address| {
        let token = token.clone();
        async move { u64::try_from(token.balanceOf(who).call().await.unwrap()).unwrap() }
    };
    let merchant_got = balance(merchant_wallet).await;
    let fees = balance(fee_wallet).await;
    let mut held = 0;
    for address in &watched {
        held += balance(*address).await;
    }
    let sent_by_payers: u64 = book.payments.iter().map(|p| p.units).sum();
    let halves: u64 = book
        .payments
        .iter()
        .filter(|p| !p.full)
        .map(|p| p.units)
        .sum();
    assert_eq!(paid_in, sent_by_payers, "the chain has every payment");
    assert_eq!(paid_in, merchant_got + fees + held, "money conserved");
    assert_eq!(held, halves, "what stays held is the underpaid halves");
    assert!(
        fees > 0 && merchant_got > 0,
        "money moved: {fees} {merchant_got}"
    );
    let ids: Vec<i64> = addresses.keys().copied().collect();
    let audit = crate::conservation::assert_conserved(anvil, store, &ids).await;
    assert_eq!(audit.on_chain, paid_in);
    let figures = crate::conservation::assert_ledger_check(anvil, store).await;
    assert_eq!(
        (
            figures.received,
            figures.forwarded,
            figures.fees,
            figures.held,
            figures.lost
        ),
        (paid_in, merchant_got, fees, held, 0),
        "{figures:?}"
    );
    Outcome {
        paid: paid_in_db,
        webhooks,
        sweeps_sent: sent,
        head,
        paid_in,
        merchant_got,
        fees,
        held,
    }
}
