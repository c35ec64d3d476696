//! Chain watcher benchmark on Anvil: a live-mode Kassa (SQLite in a temp
//! folder) watching 100,000 deposit addresses catches up on 200 blocks of
//! 500 USDC transfers each (1 % of them to watched addresses: 1,000
//! deposits), timed around `ChainWatch::sync()`, beside the baseline
//! measured in the same run: a bare loop of `eth_getLogs` over the same
//! range and chunk size through `RpcChain::transfers` (no matching, no
//! database), before and after the watcher. Then the count latency (block
//! read → the session's commit) with 3 confirmations, one deposit at a time:
//! 200 found deep enough by the scan (the issue's target), 100 seen first
//! and counted by a later step's re-check.
//!
//! Each catch-up run starts from the same point: Anvil reverted to a
//! snapshot taken right after the sessions were created, and a fresh app on
//! a copy of the database made then; the blocks are generated after the app
//! started (its first step saves the checkpoint at the head), with one
//! `batchTransfer` per block.
//!
//! Run: `cargo bench --bench chain` (options after `--`: `--addresses N`,
//! `--blocks N`, `--per-block N`, `--watched-per-block N`, `--runs N`,
//! `--samples N`). Needs Anvil (`npm install --prefix /tmp/kassa-node
//! @foundry-rs/anvil`, or `KASSA_TEST_ANVIL`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

#[path = "../tests/chain/anvil.rs"]
#[allow(dead_code)]
mod anvil;

/// What `anvil.rs` expects from the test helpers.
mod helpers {
    pub fn skip(why: &str) {
        println!("skipped: {why}");
    }
}

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use alloy::primitives::{Address, U256};
use futures_util::StreamExt;

use anvil::{Anvil, TestUsdc};
use common::flag;
use kassa::chain::rpc::RpcChain;
use kassa::chain::source::ChainSource;
use kassa::domain::checkout_session::NewSession;
use kassa::domain::session::SessionStatus;
use kassa::startup::Application;

/// The deposit wallet's phrase (not Anvil's dev accounts).
const WALLET_PHRASE: &str =
    "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
/// What each session expects, in USDC base units (10 USDC).
const EXPECTED_UNITS: u64 = 10_000_000;
/// The watcher's own RPC timeout (startup/chain.rs), used by the baseline too.
const RPC_TIMEOUT: Duration = Duration::from_secs(10);
/// The watcher re-checks deposits this many blocks deep (step.rs; not exported).
const REORG_WATCH_BLOCKS: u64 = 512;
/// The issue's targets.
const TARGET_SHARE: f64 = 0.80;
const TARGET_P99_MS: f64 = 20.0;

#[derive(Debug, Clone, Copy)]
struct Options {
    addresses: usize,
    blocks: u64,
    per_block: usize,
    watched_per_block: usize,
    runs: usize,
    samples: usize,
    max_range: u64,
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let num = |name: &str, default: u64| -> u64 {
        flag(&args, name)
            .and_then(|s| s.parse().ok())
            .unwrap_or(default)
    };
    let per_block = num("--per-block", 500) as usize;
    let options = Options {
        addresses: num("--addresses", 100_000) as usize,
        blocks: num("--blocks", 200),
        per_block,
        watched_per_block: num("--watched-per-block", (per_block / 100).max(1) as u64) as usize,
        runs: num("--runs", 3).max(1) as usize,
        samples: num("--samples", 300) as usize,
        max_range: num("--max-range", 1000).max(1),
    };
    assert!(options.watched_per_block <= options.per_block);
    let _ = rustls::crypto::ring::default_provider().install_default();
    kassa::telemetry::init("warn");
    actix_web::rt::System::new().block_on(run(options));
}

async fn run(o: Options) {
    println!("# Kassa chain watcher benchmark (Anvil, live mode, SQLite)");
    println!(
        "# {} watched addresses; {} blocks × {} transfers, {} per block to watched addresses ({} deposits); eth_getLogs chunk {} blocks",
        o.addresses,
        o.blocks,
        o.per_block,
        o.watched_per_block,
        o.blocks * o.watched_per_block as u64,
        o.max_range
    );
    let Some(anvil) = Anvil::start().await else {
        return;
    };
    let token = anvil.deploy_token().await;
    let sender = Anvil::dev_account(0);
    let deposits = o.blocks as usize * o.watched_per_block;
    let mint =
        (deposits + o.samples + 10) as u64 * EXPECTED_UNITS + o.blocks * o.per_block as u64 * 1000;
    anvil.mint(sender.address(), mint).await;

    // Setup: one app creates every session; its database is the template of
    // every run.
    let work = tempfile::tempdir().unwrap();
    let template = work.path().join("template.sqlite3");
    let setup_db = work.path().join("setup.sqlite3");
    let started = Instant::now();
    let setup = start_app(&anvil, token, &setup_db, 1, "depth", work.path()).await;
    let merchant = create_merchant(&setup).await;
    let boot = started.elapsed();
    let started = Instant::now();
    let sessions = create_sessions(&setup, merchant, o.addresses).await;
    let creation = started.elapsed();
    vacuum_into(&setup_db, &template).await;
    setup.stop().await;
    println!(
        "\nsetup: app start {:.2} s; {} sessions created through Sessions::create (1024 at a time) in {:.1} s = {:.0} sessions/s",
        boot.as_secs_f64(),
        sessions.len(),
        creation.as_secs_f64(),
        sessions.len() as f64 / creation.as_secs_f64()
    );

    // The chain as the apps first see it: every run starts here.
    let h0 = anvil.head().await;
    let mut snapshot = anvil.snapshot().await;
    let plan = plan_blocks(&o, &sessions);

    let mut watcher = Vec::new();
    let mut baseline = Vec::new();
    let mut breakdowns = Vec::new();
    let mut anatomy = None;
    for r in 0..o.runs {
        if r > 0 {
            anvil.revert(snapshot).await;
            snapshot = anvil.snapshot().await;
        }
        assert_eq!(anvil.head().await, h0);
        let dir = tempfile::tempdir_in(work.path()).unwrap();
        let db = dir.path().join("run.sqlite3");
        std::fs::copy(&template, &db).unwrap();
        let app = start_app(&anvil, token, &db, 1, "depth", dir.path()).await;
        let first = app.chain_watch().sync().await.unwrap();
        assert_eq!(
            first.processed, h0,
            "the first step saved the checkpoint at the head"
        );

        let t = Instant::now();
        generate(&anvil, token, &plan).await;
        let generated = t.elapsed();
        let head = anvil.head().await;
        assert_eq!(head, h0 + o.blocks);

        // Anvil answers a range's first eth_getLogs slower than the next
        // ones: one untimed read first, then the baseline before and after
        // the watcher, so neither side gets the cold read.
        baseline_run(&anvil, token, h0 + 1, head, o.max_range).await;
        let base = baseline_run(&anvil, token, h0 + 1, head, o.max_range).await;
        assert_eq!(base.logs, o.blocks as usize * o.per_block);

        let before = scrape(&app).await;
        let t = Instant::now();
        let report = app.chain_watch().sync().await.unwrap();
        let elapsed = t.elapsed();
        let after = scrape(&app).await;
        assert_eq!(report.processed, head);
        assert_eq!(report.counted as usize, deposits, "every deposit counted");
        assert_eq!(report.seen as usize, deposits);
        for (id, _) in plan.iter().flat_map(|b| b.iter().filter_map(|x| x.session)) {
            let record = app.store().session(id).await.unwrap().unwrap();
            assert_eq!(record.status, SessionStatus::Paid, "session {id} is paid");
        }
        let mut breakdown = Breakdown::between(&before, &after);
        breakdown.deliveries(&report.count_latencies);
        println!(
            "run {}: {} blocks generated in {:.1} s; baseline {:.3} s; watcher {:.3} s ({} counted; eth_getLogs {:.3} s, other RPC {:.3} s in {} calls)",
            r + 1,
            o.blocks,
            generated.as_secs_f64(),
            base.elapsed.as_secs_f64(),
            elapsed.as_secs_f64(),
            report.counted,
            breakdown.get_logs,
            breakdown.other_rpc,
            breakdown.other_calls,
        );
        let base_after = baseline_run(&anvil, token, h0 + 1, head, o.max_range).await;
        println!(
            "run {}: baseline again after the watcher {:.3} s",
            r + 1,
            base_after.elapsed.as_secs_f64()
        );
        watcher.push(elapsed);
        baseline.push(base.elapsed);
        baseline.push(base_after.elapsed);
        breakdowns.push((elapsed, breakdown));
        if r + 1 == o.runs {
            anatomy = Some(delivery_anatomy(&app, &sessions, &plan, head).await);
        }
        app.stop().await;
    }

    // Count latency: a fresh app with 3 confirmations on the template.
    anvil.revert(snapshot).await;
    let dir = tempfile::tempdir_in(work.path()).unwrap();
    let db = dir.path().join("latency.sqlite3");
    std::fs::copy(&template, &db).unwrap();
    let app = start_app(&anvil, token, &db, 3, "finalized", dir.path()).await;
    app.chain_watch().sync().await.unwrap();
    let (scan_path, recheck_path) = latency_run(&anvil, token, &app, &sessions, &o).await;
    app.stop().await;

    // Results.
    let logs = (o.blocks as usize * o.per_block) as f64;
    let w = median(&watcher);
    let b = median(&baseline);
    let share = b / w;
    println!(
        "\n## Catch-up (median of {} watcher runs and of twice as many baseline runs; {} blocks, {} logs, {} deposits)\n",
        o.runs, o.blocks, logs, deposits
    );
    println!("| | seconds | blocks/s | logs/s | share of baseline |");
    println!("|---|---|---|---|---|");
    println!(
        "| baseline: eth_getLogs loop | {b:.3} | {:.0} | {:.0} | 100 % |",
        o.blocks as f64 / b,
        logs / b
    );
    println!(
        "| watcher: ChainWatch::sync() | {w:.3} | {:.0} | {:.0} | {:.0} % |",
        o.blocks as f64 / w,
        logs / w,
        share * 100.0
    );
    let (mid, bd) = breakdowns
        .iter()
        .min_by(|a, b| {
            (a.0.as_secs_f64() - w)
                .abs()
                .total_cmp(&(b.0.as_secs_f64() - w).abs())
        })
        .copied()
        .unwrap();
    let total = mid.as_secs_f64();
    let rest = (total - bd.get_logs - bd.other_rpc - bd.after_logs).max(0.0);
    let share_of = |x: f64| x / total * 100.0;
    println!("\nWhere the watcher's time goes (the run nearest the median, {total:.3} s):\n");
    println!("| part | seconds | share |");
    println!("|---|---|---|");
    println!(
        "| eth_getLogs (request, transfer and JSON decoding, as RpcChain measures it) | {:.3} | {:.0} % |",
        bd.get_logs,
        share_of(bd.get_logs)
    );
    println!(
        "| other RPC ({} calls: head, finalized, block hashes) | {:.3} | {:.0} % |",
        bd.other_calls,
        bd.other_rpc,
        share_of(bd.other_rpc)
    );
    println!(
        "| logs read → first deposit committed (matching {} logs against the watched set, first delivery) | {:.3} | {:.0} % |",
        logs,
        bd.first,
        share_of(bd.first)
    );
    println!(
        "| the other {} deposits delivered one after another (mean {:.2} ms, p50 {:.2} ms, p99 {:.2} ms each) | {:.3} | {:.0} % |",
        deposits.saturating_sub(1),
        bd.gap_mean_ms,
        bd.gap_p50_ms,
        bd.gap_p99_ms,
        bd.after_logs - bd.first,
        share_of(bd.after_logs - bd.first)
    );
    println!(
        "| the rest (log conversion, checkpoint, tracked deposits, actor hops) | {rest:.3} | {:.0} % |",
        share_of(rest)
    );
    if let Some(a) = anatomy {
        println!(
            "\nOne deposit delivery taken apart ({} sessions not paid yet, one at a time, the calls the watcher's delivery makes):\n",
            ANATOMY_SAMPLES
        );
        println!("| call | p50 ms | p99 ms |");
        println!("|---|---|---|");
        for (label, l) in [
            (
                "`Sessions::deposit` (counts: pending → paid), cold actor",
                &a.deposit_cold,
            ),
            (
                "`Sessions::deposit` again (same tx: no change), warm actor",
                &a.deposit_warm,
            ),
            (
                "`Store::session` of another session (what a cold actor loads first)",
                &a.load,
            ),
            (
                "`Store::known_deposit` of an unknown deposit (read before every deposit)",
                &a.known,
            ),
        ] {
            println!("| {label} | {:.2} | {:.2} |", pct(l, 0.5), pct(l, 0.99));
        }
    }
    let floor = sqlite_commit_floor(work.path(), deposits).await;
    println!(
        "\nfor reference, {deposits} sequential one-row SQLite commits (WAL, synchronous=FULL, like the store) on this disk: {:.3} s; each p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        floor.iter().sum::<f64>() / 1000.0,
        pct(&floor, 0.5),
        pct(&floor, 0.99),
        pct(&floor, 1.0),
    );

    println!("\n## Count latency (3 confirmations; block read → the session's commit)\n");
    println!("| path | deposits | p50 ms | p99 ms | max ms |");
    println!("|---|---|---|---|---|");
    for (label, l) in [
        ("found deep enough by the scan (the spec's)", &scan_path),
        (
            "seen first, counted by a later step's re-check",
            &recheck_path,
        ),
    ] {
        println!(
            "| {label} | {} | {:.2} | {:.2} | {:.2} |",
            l.len(),
            pct(l, 0.50),
            pct(l, 0.99),
            pct(l, 1.0)
        );
    }

    println!("\n## Targets\n");
    println!("| target | measured | |");
    println!("|---|---|---|");
    println!(
        "| catch-up ≥ {:.0} % of the eth_getLogs baseline | {:.0} % | {} |",
        TARGET_SHARE * 100.0,
        share * 100.0,
        met(share >= TARGET_SHARE)
    );
    let p99 = pct(&scan_path, 0.99);
    println!(
        "| count latency p99 < {TARGET_P99_MS:.0} ms | {p99:.2} ms | {} |",
        met(p99 < TARGET_P99_MS)
    );
    let p99 = pct(&recheck_path, 0.99);
    println!(
        "| (re-check path) count latency p99 < {TARGET_P99_MS:.0} ms | {p99:.2} ms | {} |",
        met(p99 < TARGET_P99_MS)
    );
    println!("\n(machine: 2 cores shared with other work; Anvil runs on the same cores)");
}

fn met(ok: bool) -> &'static str {
    if ok { "met" } else { "NOT met" }
}

/// A live-mode app reading `anvil`, with its watcher idle between explicit
/// `sync()` calls.
async fn start_app(
    anvil: &Anvil,
    token: Address,
    db: &std::path::Path,
    confirmations: u32,
    finality: &str,
    data_dir: &std::path::Path,
) -> Running {
    let raw = kassa::config::RawSettings {
        bind: "127.0.0.1:0".into(),
        data_dir: data_dir.display().to_string(),
        database_url: Some(format!("sqlite://{}?mode=rwc", db.display())),
        mode: "live".into(),
        wallet_mnemonic: Some(WALLET_PHRASE.into()),
        chain_rpc_url: Some(anvil.rpc_url()),
        usdc_contract: token.to_checksum(None),
        chain_id: 137,
        chain_poll_ms: 3_600_000,
        chain_head_lag_blocks: 0,
        chain_max_block_range: 1000,
        required_confirmations: confirmations,
        finality: finality.into(),
        expiry_sweep_interval_ms: 3_600_000,
        rate_limit_per_second: 10_000_000,
        rate_limit_burst: 10_000_000,
        ..kassa::config::RawSettings::default()
    };
    let settings = kassa::config::Settings::check(raw).unwrap();
    let app = Application::build(settings, Arc::new(kassa::clock::SystemClock))
        .await
        .unwrap();
    let running = Running {
        address: app.address(),
        store: app.store().clone(),
        sessions: app.sessions().clone(),
        watch: app.chain_watch().clone(),
        server: app.server_handle(),
    };
    actix_web::rt::spawn(app.run_until_stopped());
    running
}

/// A started app, serving (its `/metrics` too) until `stop`.
struct Running {
    address: std::net::SocketAddr,
    store: kassa::store::Store,
    sessions: kassa::actors::handle::Sessions,
    watch: kassa::actors::chain_watcher::ChainWatch,
    server: actix_web::dev::ServerHandle,
}

impl Running {
    fn chain_watch(&self) -> &kassa::actors::chain_watcher::ChainWatch {
        &self.watch
    }

    fn store(&self) -> &kassa::store::Store {
        &self.store
    }

    async fn stop(&self) {
        self.server.stop(false).await;
    }
}

async fn create_merchant(app: &Running) -> i64 {
    let key = kassa::domain::api_key::generate();
    app.store()
        .create_merchant(
            kassa::store::merchants::NewMerchant {
                email: "bench@shop.example".into(),
                api_key_id: key.id.clone(),
                api_key_hash: key.hash.clone(),
                domains: vec!["shop.example".into()],
                payout_wallet: Some("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed".into()),
                package: kassa::domain::merchant::Package::Pro,
                checkout_mode: kassa::domain::merchant::CheckoutMode::SmartRouter,
                country: None,
                crypto_enabled: true,
                webhook_url: None,
                webhook_secret: None,
                branding: kassa::domain::branding::Branding::default(),
            },
            0,
        )
        .await
        .unwrap()
}

/// `n` sessions through `Sessions::create`, 1024 in flight: (id, deposit address).
async fn create_sessions(app: &Running, merchant: i64, n: usize) -> Vec<(i64, Address)> {
    use kassa::domain::money::{Currency, Money, UsdcAmount};
    let now = kassa::clock::Clock::now_ms(&kassa::clock::SystemClock);
    let usd = Currency::parse("USD").unwrap();
    let domain = kassa::domain::shop_domain::ShopDomain::parse("shop.example").unwrap();
    let sessions = app.sessions.clone();
    futures_util::stream::iter(0..n)
        .map(|i| {
            let sessions = sessions.clone();
            let new = NewSession {
                merchant_id: merchant,
                order_id: Some(format!("CHAIN-{i}")),
                amount: Money::from_minor(1000, usd),
                expected: UsdcAmount::from_units(EXPECTED_UNITS),
                shop_domain: domain.clone(),
                customer_email: None,
                return_url: None,
                cancel_url: None,
                webhook_url: None,
                meta: None,
                routing_hint: None,
                test: false,
                created_at_ms: now,
                expires_at_ms: now + 24 * 3600 * 1000,
            };
            async move {
                let record = sessions.create(new).await.unwrap();
                (record.id, record.deposit_address.address())
            }
        })
        .buffer_unordered(1024)
        .collect()
        .await
}

/// A consistent copy of the SQLite database at `from`.
async fn vacuum_into(from: &std::path::Path, to: &std::path::Path) {
    use sea_orm::sqlx::{AssertSqlSafe, Connection, Executor, SqliteConnection, raw_sql};
    let mut conn = SqliteConnection::connect(&format!("sqlite://{}", from.display()))
        .await
        .unwrap();
    conn.execute(raw_sql(AssertSqlSafe(format!(
        "VACUUM INTO '{}'",
        to.display()
    ))))
    .await
    .unwrap();
}

/// One transfer of a generated block; `session` when it pays one.
#[derive(Clone, Copy)]
struct Transfer {
    to: Address,
    amount: u64,
    session: Option<(i64, Address)>,
}

/// Every block's transfers: `watched_per_block` of them (spread through the
/// batch) pay a distinct session its expected amount; the rest go to random
/// addresses.
fn plan_blocks(o: &Options, sessions: &[(i64, Address)]) -> Vec<Vec<Transfer>> {
    let deposits = o.blocks as usize * o.watched_per_block;
    assert!(deposits <= sessions.len(), "more deposits than sessions");
    let stride = sessions.len() / deposits.max(1);
    let mut paid = (0..deposits).map(|i| sessions[i * stride]);
    let spacing = o.per_block / o.watched_per_block.max(1);
    (0..o.blocks)
        .map(|_| {
            (0..o.per_block)
                .map(|i| {
                    let pays = o.watched_per_block > 0
                        && i % spacing == 0
                        && i / spacing < o.watched_per_block;
                    match pays.then(|| paid.next()).flatten() {
                        Some(s) => Transfer {
                            to: s.1,
                            amount: EXPECTED_UNITS,
                            session: Some(s),
                        },
                        None => Transfer {
                            to: Address::from(rand::random::<[u8; 20]>()),
                            amount: rand::random_range(1..1000),
                            session: None,
                        },
                    }
                })
                .collect()
        })
        .collect()
}

/// One `batchTransfer` per block, each mined before the next is sent.
async fn generate(anvil: &Anvil, token: Address, plan: &[Vec<Transfer>]) {
    let token = TestUsdc::new(token, anvil.signing(&Anvil::dev_account(0)));
    for block in plan {
        let tos = block.iter().map(|t| t.to).collect::<Vec<_>>();
        let amounts = block.iter().map(|t| U256::from(t.amount)).collect();
        let pending = token
            .batchTransfer(tos, amounts)
            .gas(29_000_000)
            .send()
            .await
            .unwrap();
        anvil::mined(pending).await;
    }
}

struct BaselineRun {
    elapsed: Duration,
    logs: usize,
}

/// The baseline: the same range in the same chunks through the same
/// adapter, nothing done with the logs.
async fn baseline_run(
    anvil: &Anvil,
    token: Address,
    from: u64,
    to: u64,
    range: u64,
) -> BaselineRun {
    let rpc = RpcChain::new(&anvil.rpc_url(), RPC_TIMEOUT).unwrap();
    let started = Instant::now();
    let mut logs = 0;
    let mut start = from;
    while start <= to {
        let end = to.min(start + range - 1);
        logs += rpc.transfers(token, start, end).await.unwrap().len();
        start = end + 1;
    }
    BaselineRun {
        elapsed: started.elapsed(),
        logs,
    }
}

/// Count latencies (ms), by path: deposits the scan found deep enough, and
/// deposits seen first and counted by the next step's re-check. Each sample:
/// one transfer to a session not paid yet (with a `sync()` right after it on
/// the re-check path), 2 more blocks, `sync()`.
async fn latency_run(
    anvil: &Anvil,
    token: Address,
    app: &Running,
    sessions: &[(i64, Address)],
    o: &Options,
) -> (Vec<f64>, Vec<f64>) {
    let contract = TestUsdc::new(token, anvil.signing(&Anvil::dev_account(0)));
    let (mut scan, mut recheck) = (Vec::new(), Vec::new());
    let before = scrape(app).await;
    let mut steps = 0;
    for (i, (_, address)) in sessions.iter().rev().take(o.samples).enumerate() {
        let pending = contract
            .batchTransfer(vec![*address], vec![U256::from(EXPECTED_UNITS)])
            .send()
            .await
            .unwrap();
        anvil::mined(pending).await;
        // Two of three samples take the spec's path, one the re-check path.
        let by_recheck = i % 3 == 2;
        if by_recheck {
            let seen = app.chain_watch().sync().await.unwrap();
            assert_eq!((seen.seen, seen.counted), (1, 0));
            steps += 1;
        }
        anvil.mine(2).await;
        let report = app.chain_watch().sync().await.unwrap();
        steps += 1;
        assert_eq!(report.counted, 1, "sample {i}: the deposit counted");
        let ms = report
            .count_latencies
            .iter()
            .map(|d| d.as_secs_f64() * 1000.0);
        if by_recheck {
            recheck.extend(ms);
        } else {
            scan.extend(ms);
        }
    }
    let after = scrape(app).await;
    let calls = |a: &HashMap<String, f64>| {
        a.get(r#"kassa_chain_rpc_seconds_count{method="eth_getBlockByNumber"}"#)
            .copied()
            .unwrap_or(0.0)
    };
    let block_reads = calls(&after) - calls(&before);
    let quarter = (recheck.len() / 4).max(1);
    let mut early = recheck.iter().take(quarter).copied().collect::<Vec<_>>();
    let mut late = recheck
        .iter()
        .rev()
        .take(quarter)
        .copied()
        .collect::<Vec<_>>();
    early.sort_by(f64::total_cmp);
    late.sort_by(f64::total_cmp);
    println!(
        "latency phase: {steps} steps, {block_reads} eth_getBlockByNumber calls ({:.1} per step: head's finalized, the checkpoint, the range end, and one per height holding a deposit of the last {} blocks, re-checked for a reorg); re-check path p50: first {quarter} samples {:.2} ms, last {quarter} {:.2} ms",
        block_reads / steps.max(1) as f64,
        REORG_WATCH_BLOCKS,
        pct(&early, 0.5),
        pct(&late, 0.5),
    );
    scan.sort_by(f64::total_cmp);
    recheck.sort_by(f64::total_cmp);
    (scan, recheck)
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    sorted
        .get(((sorted.len() as f64 * p) as usize).min(sorted.len().saturating_sub(1)))
        .copied()
        .unwrap_or(0.0)
}

fn median(d: &[Duration]) -> f64 {
    let mut s: Vec<f64> = d.iter().map(Duration::as_secs_f64).collect();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    if n.is_multiple_of(2) {
        (s[n / 2 - 1] + s[n / 2]) / 2.0
    } else {
        s[n / 2]
    }
}

/// The app's Prometheus text: `kassa_chain_rpc_seconds` sums and counts
/// by method.
async fn scrape(app: &Running) -> HashMap<String, f64> {
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
struct Breakdown {
    get_logs: f64,
    other_rpc: f64,
    other_calls: u64,
    /// From the logs read to the first deposit's commit.
    first: f64,
    /// From the logs read to the last deposit's commit.
    after_logs: f64,
    gap_mean_ms: f64,
    gap_p50_ms: f64,
    gap_p99_ms: f64,
}

impl Breakdown {
    fn between(before: &HashMap<String, f64>, after: &HashMap<String, f64>) -> Breakdown {
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

    /// The count latencies of a one-chunk catch-up, in delivery order:
    /// each is the time from the logs read to that deposit's commit, so
    /// the gaps are what each delivery took.
    fn deliveries(&mut self, latencies: &[Duration]) {
        let l: Vec<f64> = latencies.iter().map(Duration::as_secs_f64).collect();
        self.first = l.first().copied().unwrap_or(0.0);
        self.after_logs = l.last().copied().unwrap_or(0.0);
        let mut gaps: Vec<f64> = l.windows(2).map(|w| (w[1] - w[0]) * 1000.0).collect();
        gaps.sort_by(f64::total_cmp);
        self.gap_mean_ms = gaps.iter().sum::<f64>() / gaps.len().max(1) as f64;
        self.gap_p50_ms = pct(&gaps, 0.5);
        self.gap_p99_ms = pct(&gaps, 0.99);
    }
}

/// Milliseconds (sorted) of each of `n` sequential one-row commits on a scratch SQLite database
/// set up as the store sets its own (WAL, synchronous=FULL).
async fn sqlite_commit_floor(dir: &std::path::Path, n: usize) -> Vec<f64> {
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
const ANATOMY_SAMPLES: usize = 200;

struct Anatomy {
    deposit_cold: Vec<f64>,
    deposit_warm: Vec<f64>,
    load: Vec<f64>,
    known: Vec<f64>,
}

/// Times (ms, sorted) the calls a deposit delivery makes, one at a time, on
/// sessions the plan did not pay, with made-up facts that count at once.
async fn delivery_anatomy(
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
