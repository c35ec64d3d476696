//! Kassa's side: a fresh app on a fresh token, N sessions paid and counted
//! and deep enough, then `Payouts::run()` stepped until every sweep is
//! sent; the gas and fees read back from the stored sweep transactions.

use std::time::{Duration, Instant};

use alloy::primitives::U256;
use alloy::signers::local::PrivateKeySigner;
use kassa::domain::payout::SweepState;
use kassa::domain::session::SessionStatus;

use super::anvil::Anvil;
use super::app::{GAS_KEY, Running, create_merchant, create_sessions, start_app_with};
use super::{PAYOUT_CONFIRMATIONS, Path};

pub(crate) struct KassaRun {
    /// Time inside `Payouts::run()`, first step to last sweep sent.
    pub(crate) elapsed: Duration,
    pub(crate) steps: usize,
    /// Mined sweep transactions, every leg.
    pub(crate) txs: u64,
    pub(crate) gas: u64,
    pub(crate) fee_wei: u128,
}

pub(crate) async fn run(anvil: &Anvil, path: Path, n: usize) -> KassaRun {
    let token = match path {
        Path::Eip3009 => anvil.deploy_token().await,
        Path::TopUp => anvil.deploy_plain_token().await,
    };
    let work = tempfile::tempdir().unwrap();
    let db = work.path().join("payouts.sqlite3");
    let eip3009 = match path {
        Path::Eip3009 => "on",
        Path::TopUp => "off",
    };
    let app = start_app_with(
        anvil,
        token,
        &db,
        1,
        "depth",
        work.path(),
        PAYOUT_CONFIRMATIONS,
        |raw| raw.token_eip3009 = eip3009.into(),
    )
    .await;
    let gas_account = GAS_KEY.parse::<PrivateKeySigner>().unwrap().address();
    anvil
        .set_native_balance(gas_account, U256::from(10u128.pow(24)))
        .await;

    let started = Instant::now();
    let merchant = create_merchant(&app).await;
    let sessions = create_sessions(&app, merchant, n).await;
    let tos: Vec<_> = sessions.iter().map(|(_, a)| *a).collect();
    super::pay(anvil, path, &tos).await;
    wait_until_paid(anvil, &app, &sessions).await;
    // Anvil's `finalized` is head − 2: mine past both it and the depth.
    anvil.mine(PAYOUT_CONFIRMATIONS + 2).await;
    println!(
        "setup: {n} sessions created, paid and counted in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let (elapsed, steps) = step_until_sent(&app, n).await;
    let (txs, gas, fee_wei) = gas_of_sweeps(&app, n).await;
    println!(
        "Kassa: {n} sweeps sent in {:.3} s over {steps} steps ({txs} transactions mined)",
        elapsed.as_secs_f64()
    );
    app.stop().await;
    KassaRun {
        elapsed,
        steps,
        txs,
        gas,
        fee_wei,
    }
}

/// Mines and syncs the watcher until every session is paid.
async fn wait_until_paid(
    anvil: &Anvil,
    app: &Running,
    sessions: &[(i64, alloy::primitives::Address)],
) {
    for _ in 0..20 {
        anvil.mine(1).await;
        app.chain_watch().sync().await.unwrap();
        let mut paid = 0;
        for (id, _) in sessions {
            let record = app.store().session(*id).await.unwrap().unwrap();
            if record.status == SessionStatus::Paid {
                paid += 1;
            }
        }
        if paid == sessions.len() {
            return;
        }
    }
    panic!("not every session became paid");
}

/// Steps payouts until `n` sweeps are sent; only the steps are timed.
async fn step_until_sent(app: &Running, n: usize) -> (Duration, usize) {
    let max_steps = 20 + n / 20;
    let mut elapsed = Duration::ZERO;
    for steps in 1..=max_steps {
        let t = Instant::now();
        let report = app.payouts.run().await.unwrap();
        elapsed += t.elapsed();
        if report.failed > 0 {
            let failed = app.store().sweeps(true, 3).await.unwrap();
            let why: Vec<_> = failed.iter().map(|s| s.last_error.clone()).collect();
            println!("step {steps}: {} sweeps failed: {why:?}", report.failed);
        }
        let sweeps = app.store().sweeps(false, 2 * n as u64).await.unwrap();
        let sent = sweeps
            .iter()
            .filter(|s| s.state == SweepState::Sent)
            .count();
        if sent >= n {
            assert_eq!(sweeps.len(), n, "one sweep per session");
            return (elapsed, steps);
        }
    }
    panic!("not every sweep was sent within {max_steps} steps");
}

/// (mined transactions, gas used, fees in wei) over every sweep.
async fn gas_of_sweeps(app: &Running, n: usize) -> (u64, u64, u128) {
    let (mut txs, mut gas, mut fee) = (0, 0, 0);
    for sweep in app.store().sweeps(false, 2 * n as u64).await.unwrap() {
        for tx in app.store().sweep_transactions(sweep.id).await.unwrap() {
            if let (Some(used), Some(price)) = (tx.gas_used, tx.gas_price_wei) {
                txs += 1;
                gas += used;
                fee += u128::from(used) * price;
            }
        }
    }
    (txs, gas, fee)
}
