//! The generated chain (one `batchTransfer` per block), the `eth_getLogs`
//! baseline, the count-latency samples and the statistics.

use super::*;
use kassa::actors::chain_watcher::ranges::RangeSizer;

/// One transfer of a generated block; `session` when it pays one.
#[derive(Clone, Copy)]
pub(crate) struct Transfer {
    pub(crate) to: Address,
    pub(crate) amount: u64,
    pub(crate) session: Option<(i64, Address)>,
}

/// Every block's transfers: `watched_per_block` of them (spread through the
/// batch) pay a distinct session its expected amount; the rest go to random
/// addresses.
pub(crate) fn plan_blocks(o: &Options, sessions: &[(i64, Address)]) -> Vec<Vec<Transfer>> {
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
pub(crate) async fn generate(anvil: &Anvil, token: Address, plan: &[Vec<Transfer>]) {
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

pub(crate) struct BaselineRun {
    pub(crate) elapsed: Duration,
    pub(crate) logs: usize,
}

/// How a bare loop cuts the range into `eth_getLogs` requests.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Chunking {
    /// Every request as wide as `chain_max_block_range` allows.
    Widest(u64),
    /// Each request sized as the watcher sizes it (about
    /// `ranges::TARGET_LOGS` logs), capped at the same setting.
    AsTheWatcher(u64),
}

/// A bare loop: the same range through the same adapter, one request at a
/// time, nothing done with the logs.
pub(crate) async fn baseline_run(
    anvil: &Anvil,
    token: Address,
    from: u64,
    to: u64,
    chunking: Chunking,
) -> BaselineRun {
    let rpc = RpcChain::new(&anvil.rpc_url(), RPC_TIMEOUT).unwrap();
    let mut sizer = match chunking {
        Chunking::Widest(max) | Chunking::AsTheWatcher(max) => RangeSizer::new(max),
    };
    let started = Instant::now();
    let mut logs = 0;
    let mut start = from;
    while start <= to {
        let width = match chunking {
            Chunking::Widest(max) => max,
            Chunking::AsTheWatcher(_) => sizer.next(),
        };
        let end = to.min(start + width - 1);
        let answer = rpc.transfers(token, start, end).await.unwrap().len();
        sizer.answered(end - start + 1, answer);
        logs += answer;
        start = end + 1;
    }
    BaselineRun {
        elapsed: started.elapsed(),
        logs,
    }
}

/// Both bare loops, one after the other: the faster is the baseline.
pub(crate) async fn best_baseline(
    anvil: &Anvil,
    token: Address,
    from: u64,
    to: u64,
    max_range: u64,
) -> (BaselineRun, [Duration; 2]) {
    let widest = baseline_run(anvil, token, from, to, Chunking::Widest(max_range)).await;
    let sized = baseline_run(anvil, token, from, to, Chunking::AsTheWatcher(max_range)).await;
    let both = [widest.elapsed, sized.elapsed];
    let best = if sized.elapsed < widest.elapsed {
        sized
    } else {
        widest
    };
    (best, both)
}

/// Count latencies (ms), by path: deposits the scan found deep enough, and
/// deposits seen first and counted by the next step's re-check. Each sample:
/// one transfer to a session not paid yet (with a `sync()` right after it on
/// the re-check path), 2 more blocks, `sync()`.
pub(crate) async fn latency_run(
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
        kassa::actors::chain_watcher::REORG_WATCH_BLOCKS,
        pct(&early, 0.5),
        pct(&late, 0.5),
    );
    scan.sort_by(f64::total_cmp);
    recheck.sort_by(f64::total_cmp);
    (scan, recheck)
}

pub(crate) fn pct(sorted: &[f64], p: f64) -> f64 {
    sorted
        .get(((sorted.len() as f64 * p) as usize).min(sorted.len().saturating_sub(1)))
        .copied()
        .unwrap_or(0.0)
}

pub(crate) fn median(d: &[Duration]) -> f64 {
    let mut s: Vec<f64> = d.iter().map(Duration::as_secs_f64).collect();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    if n.is_multiple_of(2) {
        (s[n / 2 - 1] + s[n / 2]) / 2.0
    } else {
        s[n / 2]
    }
}
