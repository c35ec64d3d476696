//! Payouts by gas top-up on Anvil: where the token takes no EIP-3009
//! transfers (the plain test token, or `KASSA_TOKEN_EIP3009=off`), the gas
//! account first sends the deposit address POL, then the deposit key sends
//! the merchant's and the fee's plain transfers. Each of the three is mined
//! once, the deposit address ends without USDC, and the POL left on it is
//! recorded on the sweep. With `auto`, the method follows the token.

use alloy::consensus::Transaction as _;
use alloy::primitives::{Address, U256};
use alloy::providers::Provider;
use kassa::domain::payout::{Leg, SweepMethod, TxState};
use kassa::store::payouts::SweepRecord;

use crate::helpers::{Backend, WALLET, kassa, stdout};
use crate::live::{Live, LiveSetup, gas_account};
use crate::on_both_backends;

on_both_backends!(
    an_exact_payment_on_a_plain_token_is_swept_by_gas_top_up,
    eip3009_off_sweeps_the_eip3009_token_by_gas_top_up,
    auto_picks_top_up_only_for_the_token_without_eip3009,
    money_arriving_after_a_top_up_sweep_is_its_own_top_up_sweep,
);

const FEE_WALLET: &str = "0x00000000000000000000000000000000000fee02";
const PAYOUT_CONFIRMATIONS: u64 = 4;
const FEE_BPS: u32 = 150;
/// Steps a sweep may take: top-up, transfers, receipts, with room to spare.
const MAX_STEPS: usize = 8;

fn setup(plain_token: bool, token_eip3009: &'static str) -> LiveSetup {
    LiveSetup {
        payout_confirmations: PAYOUT_CONFIRMATIONS,
        platform_fee_bps: FEE_BPS,
        fee_wallet: Some(FEE_WALLET.into()),
        plain_token,
        token_eip3009,
        ..LiveSetup::default()
    }
}

fn merchant_wallet() -> Address {
    WALLET.parse().unwrap()
}

fn fee_wallet() -> Address {
    FEE_WALLET.parse().unwrap()
}

/// A paid session of `amount` whose deposit (holding no POL) is deep
/// enough to sweep: `(session id, owed units, deposit address)`.
async fn paid_and_final(live: &Live, reference: &str, amount: &str) -> (i64, u64, Address) {
    let id = live.session(reference, amount).await;
    let (owed, deposit) = live.paid_without_pol(id, PAYOUT_CONFIRMATIONS).await;
    (id, owed, deposit)
}

/// Steps payouts until one sweep is sent (Anvil mines each broadcast at
/// once); the session's only sweep, as stored then.
async fn swept(live: &Live, id: i64) -> SweepRecord {
    for _ in 0..MAX_STEPS {
        if live.payout_step().await.sent == 1 {
            let sweeps = live.app.store.session_sweeps(id).await.unwrap();
            assert_eq!(sweeps.len(), 1, "one sweep: {sweeps:?}");
            return sweeps.into_iter().next().unwrap();
        }
    }
    let sweeps = live.app.store.session_sweeps(id).await.unwrap();
    panic!("no sweep was sent within {MAX_STEPS} steps: {sweeps:?}");
}

/// The whole top-up sweep of one exact payment, checked end to end.
async fn assert_swept_by_top_up(live: &Live, id: i64, owed: u64, deposit: Address) {
    let merchant_before = live.balance(merchant_wallet()).await;
    let fee_before = live.balance(fee_wallet()).await;

    let sweep = swept(live, id).await;

    assert_eq!(sweep.method, SweepMethod::TopUp);
    let fee = owed * u64::from(FEE_BPS) / 10_000;
    assert_eq!(
        live.balance(merchant_wallet()).await - merchant_before,
        owed - fee
    );
    assert_eq!(live.balance(fee_wallet()).await - fee_before, fee);
    assert_eq!(
        live.balance(deposit).await,
        0,
        "the deposit address ends without USDC"
    );

    // Three transactions, each signed once and mined once: nothing was
    // replaced or sent twice.
    let txs = live.app.store.sweep_transactions(sweep.id).await.unwrap();
    let legs: Vec<(Leg, TxState)> = txs.iter().map(|t| (t.leg, t.state)).collect();
    assert_eq!(
        legs,
        [
            (Leg::TopUp, TxState::Mined),
            (Leg::Merchant, TxState::Mined),
            (Leg::Fee, TxState::Mined),
        ]
    );
    let lane = format!("{:#x}", gas_account(0));
    let from_deposit = format!("{deposit:#x}");
    let senders: Vec<&str> = txs.iter().map(|t| t.sender.as_str()).collect();
    assert_eq!(senders, [lane.as_str(), &from_deposit, &from_deposit]);
    for tx in &txs {
        let receipt = live
            .anvil
            .node()
            .get_transaction_receipt(tx.tx_hash.parse().unwrap())
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("{} transaction {} is mined", tx.leg, tx.tx_hash));
        assert!(receipt.status(), "{} transaction succeeded", tx.leg);
    }
    assert_eq!(sweep.txid_out.as_deref(), Some(txs[1].tx_hash.as_str()));

    // The POL left over is recorded, is what the chain says, and is the
    // top-up less the gas the two transfers burned.
    let on_chain = live.anvil.native_balance(deposit).await;
    assert_eq!(sweep.leftover_wei.map(U256::from), Some(on_chain));
    // Operators see it in `kassa payouts list --json`.
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().display().to_string();
    let listed = kassa(
        &["payouts", "list", "--json"],
        &[
            ("KASSA_DATABASE_URL", live.app.db.url.as_str()),
            ("KASSA_DATA_DIR", data.as_str()),
        ],
    )
    .await;
    let rows: serde_json::Value = serde_json::from_str(&stdout(&listed)).unwrap();
    assert_eq!(rows[0]["leftover_wei"], on_chain.to_string());
    let topup = live
        .anvil
        .node()
        .get_transaction_by_hash(txs[0].tx_hash.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    let burned: u128 = txs[1..]
        .iter()
        .map(|t| u128::from(t.gas_used.unwrap()) * t.gas_price_wei.unwrap())
        .sum();
    assert_eq!(on_chain, topup.value() - U256::from(burned));
    assert!(on_chain > U256::ZERO, "the top-up left headroom unspent");

    // Later steps change nothing.
    let again = live.payout_step().await;
    assert_eq!(
        (again.created, again.signed, again.sent),
        (0, 0, 0),
        "{again:?}"
    );
    assert_eq!(
        live.app
            .store
            .sweep_transactions(sweep.id)
            .await
            .unwrap()
            .len(),
        3
    );
    let statuses: Vec<String> = live.events(id).await.into_iter().map(|e| e.0).collect();
    assert_eq!(statuses, ["pending", "paid", "payout_sent"]);
}

async fn an_exact_payment_on_a_plain_token_is_swept_by_gas_top_up(backend: Backend) {
    let Some(live) = Live::start(backend, setup(true, "auto")).await else {
        return;
    };
    let (id, owed, deposit) = paid_and_final(&live, "PLAIN", "10.00").await;

    assert_swept_by_top_up(&live, id, owed, deposit).await;
    live.assert_ledger_adds_up().await;
    live.done().await;
}

async fn eip3009_off_sweeps_the_eip3009_token_by_gas_top_up(backend: Backend) {
    let Some(live) = Live::start(backend, setup(false, "off")).await else {
        return;
    };
    let (id, owed, deposit) = paid_and_final(&live, "OFF", "7.50").await;

    assert_swept_by_top_up(&live, id, owed, deposit).await;
    live.assert_ledger_adds_up().await;
    live.done().await;
}

async fn auto_picks_top_up_only_for_the_token_without_eip3009(backend: Backend) {
    for (plain_token, method) in [(true, SweepMethod::TopUp), (false, SweepMethod::Eip3009)] {
        let Some(live) = Live::start(backend, setup(plain_token, "auto")).await else {
            return;
        };
        let (id, _, _) = paid_and_final(&live, "AUTO", "3.00").await;

        let sweep = swept(&live, id).await;

        assert_eq!(sweep.method, method, "plain token: {plain_token}");
        let txs = live.app.store.sweep_transactions(sweep.id).await.unwrap();
        assert_eq!(
            txs.iter().any(|t| t.leg == Leg::TopUp),
            method == SweepMethod::TopUp,
            "{txs:?}"
        );
        assert_eq!(
            sweep.leftover_wei.is_some(),
            method == SweepMethod::TopUp,
            "leftover POL is a top-up's"
        );
        live.assert_ledger_adds_up().await;
        live.done().await;
    }
}

async fn money_arriving_after_a_top_up_sweep_is_its_own_top_up_sweep(backend: Backend) {
    let Some(live) = Live::start(backend, setup(true, "auto")).await else {
        return;
    };
    let (id, owed, deposit) = paid_and_final(&live, "AGAIN", "4.00").await;
    let first = swept(&live, id).await;

    // An overpayment after the first sweep: a second sweep, by top-up
    // again, on the deposit address's next nonces.
    let extra = 1_250_000;
    live.pay(id, extra).await;
    live.mine_and_step(3).await;
    live.anvil.mine(PAYOUT_CONFIRMATIONS).await;
    let mut sent = 0;
    for _ in 0..MAX_STEPS {
        sent += live.payout_step().await.sent;
        if sent > 0 {
            break;
        }
    }
    assert_eq!(sent, 1);

    let sweeps = live.app.store.session_sweeps(id).await.unwrap();
    assert_eq!(sweeps.len(), 2);
    let second = &sweeps[1];
    assert_eq!(
        (second.sequence, second.amount_units, second.method),
        (2, extra, SweepMethod::TopUp)
    );
    let nonces = |txs: &[kassa::store::payout_txs::PayoutTx]| -> Vec<u64> {
        txs.iter()
            .filter(|t| t.leg != Leg::TopUp)
            .map(|t| t.nonce)
            .collect()
    };
    let before = nonces(&live.app.store.sweep_transactions(first.id).await.unwrap());
    let after = nonces(&live.app.store.sweep_transactions(second.id).await.unwrap());
    assert_eq!(after, [before[1] + 1, before[1] + 2], "the lane continues");
    let fees = owed * u64::from(FEE_BPS) / 10_000 + extra * u64::from(FEE_BPS) / 10_000;
    assert_eq!(live.balance(merchant_wallet()).await, owed + extra - fees);
    assert_eq!(live.balance(fee_wallet()).await, fees);
    assert_eq!(live.balance(deposit).await, 0);
    // Each sweep records what was left after it; the second's is the
    // address's POL now, more than after the first (it topped up again).
    let now = live.anvil.native_balance(deposit).await;
    assert_eq!(second.leftover_wei.map(U256::from), Some(now));
    assert!(first.leftover_wei.map(U256::from) < Some(now));
    live.assert_ledger_adds_up().await;
    live.done().await;
}
