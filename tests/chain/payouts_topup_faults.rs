//! Gas top-up sweeps when the chain does not play along, on Anvil with the
//! plain token: a transfer the node lost is replaced with the same nonce
//! and a higher fee (mined once, paid once); a transfer whose nonce a
//! transaction Kassa did not sign took fails the sweep for a person and is
//! never signed again with a new nonce.
//!
//! Automine is switched off once the top-up is mined, so the transfers wait
//! in the pool, where the test drops them (`anvil_dropAllTransactions`).

use alloy::network::TransactionBuilder;
use alloy::primitives::{Address, U256};
use alloy::providers::Provider;
use alloy::rpc::types::TransactionRequest;
use kassa::domain::payout::{Leg, SweepState, TxState};
use kassa::store::payouts::SweepRecord;
use serde_json::json;

use crate::anvil::{Anvil, mined};
use crate::helpers::{Backend, WALLET};
use crate::live::{Live, LiveSetup};
use crate::on_both_backends;

on_both_backends!(
    a_lost_transfer_is_replaced_with_its_nonce_and_pays_once,
    a_transfer_whose_nonce_went_elsewhere_fails_the_sweep_and_is_not_signed_again,
    restarts_mid_sweep_neither_top_up_twice_nor_sign_a_transfer_twice,
);

pub(crate) const FEE_WALLET: &str = "0x00000000000000000000000000000000000fee03";
pub(crate) const PAYOUT_CONFIRMATIONS: u64 = 4;
pub(crate) const STUCK_BLOCKS: u64 = 3;

pub(crate) fn setup() -> LiveSetup {
    LiveSetup {
        payout_confirmations: PAYOUT_CONFIRMATIONS,
        platform_fee_bps: 200,
        fee_wallet: Some(FEE_WALLET.into()),
        plain_token: true,
        payout_stuck_blocks: STUCK_BLOCKS,
        ..LiveSetup::default()
    }
}

/// Pays a session (its deposit address holding no POL of its own), makes
/// it final, lets the top-up be mined, then turns automine off and signs
/// the transfers into the pool. The sweep then.
pub(crate) async fn transfers_waiting_in_the_pool(live: &Live, id: i64) -> SweepRecord {
    live.paid_without_pol(id, PAYOUT_CONFIRMATIONS).await;
    let topped = live.payout_step().await;
    assert_eq!((topped.created, topped.signed), (1, 1), "{topped:?}");
    live.anvil.set_automine(false).await;
    let signed = live.payout_step().await;
    assert_eq!(
        signed.signed, 2,
        "the merchant and fee transfers: {signed:?}"
    );
    let sweep = live.app.store.session_sweeps(id).await.unwrap().remove(0);
    let legs = legs_of(live, &sweep).await;
    assert_eq!(
        legs,
        [
            (Leg::TopUp, TxState::Mined, 0),
            (Leg::Merchant, TxState::Broadcast, 0),
            (Leg::Fee, TxState::Broadcast, 1),
        ]
    );
    sweep
}

/// `(leg, state, nonce)` of each stored transaction of the sweep (the
/// top-up's nonce is the gas account's, the others the deposit address's).
pub(crate) async fn legs_of(live: &Live, sweep: &SweepRecord) -> Vec<(Leg, TxState, u64)> {
    let txs = live.app.store.sweep_transactions(sweep.id).await.unwrap();
    let deposit_nonce = |n: u64| n.saturating_sub(first_nonce(&txs));
    txs.iter()
        .map(|t| {
            let nonce = if t.leg == Leg::TopUp {
                0
            } else {
                deposit_nonce(t.nonce)
            };
            (t.leg, t.state, nonce)
        })
        .collect()
}

/// The deposit address's first nonce in the sweep (a dev account may have
/// sent before).
fn first_nonce(txs: &[kassa::store::payout_txs::PayoutTx]) -> u64 {
    txs.iter()
        .filter(|t| t.leg != Leg::TopUp)
        .map(|t| t.nonce)
        .min()
        .unwrap_or(0)
}

pub(crate) async fn drop_the_pool(anvil: &Anvil) {
    anvil.call("anvil_dropAllTransactions", json!([])).await;
}

async fn a_lost_transfer_is_replaced_with_its_nonce_and_pays_once(backend: Backend) {
    let Some(live) = Live::start(backend, setup()).await else {
        return;
    };
    let id = live.session("LOST", "20.00").await;
    let owed = live.owed_units(id).await;
    let sweep = transfers_waiting_in_the_pool(&live, id).await;

    // The node forgets both transfers; blocks go by without them.
    drop_the_pool(&live.anvil).await;
    live.anvil.mine(STUCK_BLOCKS).await;
    let replaced = live.payout_step().await;
    assert_eq!(
        (replaced.replaced, replaced.signed, replaced.sent),
        (2, 2, 0),
        "{replaced:?}"
    );
    live.anvil.set_automine(true).await;
    live.anvil.mine(1).await;
    let sent = live.payout_step().await;
    assert_eq!(sent.sent, 1, "{sent:?}");

    let legs = legs_of(&live, &sweep).await;
    assert_eq!(
        legs,
        [
            (Leg::TopUp, TxState::Mined, 0),
            (Leg::Merchant, TxState::Replaced, 0),
            (Leg::Fee, TxState::Replaced, 1),
            (Leg::Merchant, TxState::Mined, 0),
            (Leg::Fee, TxState::Mined, 1),
        ],
        "replacements keep their nonce"
    );
    let txs = live.app.store.sweep_transactions(sweep.id).await.unwrap();
    for (old, new) in [(&txs[1], &txs[3]), (&txs[2], &txs[4])] {
        assert!(new.max_fee_wei * 10 >= old.max_fee_wei * 11, "{new:?}");
        assert_eq!(new.replaces_id, Some(old.id));
    }
    let fee = owed * 200 / 10_000;
    let merchant: Address = WALLET.parse().unwrap();
    assert_eq!(live.balance(merchant).await, owed - fee, "paid once");
    assert_eq!(live.balance(FEE_WALLET.parse().unwrap()).await, fee);
    assert_eq!(live.balance(sweep_deposit(&sweep)).await, 0);
    live.assert_ledger_adds_up().await;
    live.done().await;
}

async fn a_transfer_whose_nonce_went_elsewhere_fails_the_sweep_and_is_not_signed_again(
    backend: Backend,
) {
    let Some(live) = Live::start(backend, setup()).await else {
        return;
    };
    let id = live.session("TAKEN", "5.00").await;
    let owed = live.owed_units(id).await;
    let sweep = transfers_waiting_in_the_pool(&live, id).await;

    // Someone else with the deposit key spends the merchant transfer's
    // nonce on a transaction of their own.
    drop_the_pool(&live.anvil).await;
    let deposit_key = Anvil::dev_account(u32::try_from(sweep.hd_index).unwrap());
    let deposit = deposit_key.address();
    assert_eq!(deposit, sweep_deposit(&sweep));
    let request = TransactionRequest::default()
        .with_to(deposit)
        .with_value(U256::ZERO);
    let pending = live
        .anvil
        .signing(&deposit_key)
        .send_transaction(request)
        .await
        .unwrap();
    live.anvil.mine(1).await;
    mined(pending).await;
    // Until `stuck_blocks` have passed, a missing receipt may only lag.
    let early = live.payout_step().await;
    assert_eq!((early.failed, early.signed), (0, 0), "{early:?}");
    live.anvil.mine(STUCK_BLOCKS).await;

    let step = live.payout_step().await;

    assert_eq!((step.failed, step.signed, step.sent), (1, 0, 0), "{step:?}");
    let failed = live.app.store.sweep(sweep.id).await.unwrap().unwrap();
    assert_eq!(failed.state, SweepState::Failed);
    let why = failed.last_error.unwrap_or_default();
    assert!(why.contains("did not sign"), "{why}");
    assert!(why.contains("will not sign that transfer again"), "{why}");
    assert_eq!(
        live.app
            .store
            .sweep_transactions(sweep.id)
            .await
            .unwrap()
            .len(),
        3,
        "nothing signed again"
    );
    // The fee transfer, on its own next nonce, went through; the merchant's
    // did not, and is not signed again.
    let fee = owed * 200 / 10_000;
    assert_eq!(live.balance(FEE_WALLET.parse().unwrap()).await, fee);
    assert_eq!(live.balance(deposit).await, owed - fee);
    let merchant: Address = WALLET.parse().unwrap();
    assert_eq!(live.balance(merchant).await, 0);
    live.anvil.set_automine(true).await;
    // Money left the address by a transaction Kassa never signed: the
    // ledger check must say so.
    let node =
        kassa::chain::rpc::RpcChain::new(&live.anvil.rpc_url(), std::time::Duration::from_secs(10))
            .unwrap();
    let report = kassa::app::money::check(&live.app.store, &node, live.anvil.token())
        .await
        .unwrap();
    assert!(
        report
            .discrepancies
            .iter()
            .any(|d| matches!(d, kassa::domain::money_check::Discrepancy::Address { .. })),
        "{report:?}"
    );
    live.done().await;
}

async fn restarts_mid_sweep_neither_top_up_twice_nor_sign_a_transfer_twice(backend: Backend) {
    let Some(live) = Live::start(backend, setup()).await else {
        return;
    };
    let id = live.session("RESTART", "12.00").await;
    let (owed, deposit) = live.paid_without_pol(id, PAYOUT_CONFIRMATIONS).await;
    live.anvil.set_automine(false).await;

    // The top-up waits in the pool while the gateway restarts.
    let topped = live.payout_step().await;
    assert_eq!((topped.created, topped.signed), (1, 1), "{topped:?}");
    let live = live.stop().await.restart().await;
    let waiting = live.payout_step().await;
    assert_eq!(waiting.signed, 0, "no second top-up: {waiting:?}");
    live.anvil.mine(1).await;

    // The transfers wait in the pool while it restarts again.
    let transfers = live.payout_step().await;
    assert_eq!(transfers.signed, 2, "{transfers:?}");
    let live = live.stop().await.restart().await;
    let waiting = live.payout_step().await;
    assert_eq!(
        (waiting.signed, waiting.sent),
        (0, 0),
        "no transfer signed twice: {waiting:?}"
    );
    live.anvil.mine(1).await;
    let sent = live.payout_step().await;
    assert_eq!(sent.sent, 1, "{sent:?}");

    let sweep = live.app.store.session_sweeps(id).await.unwrap().remove(0);
    assert_eq!(
        legs_of(&live, &sweep).await,
        [
            (Leg::TopUp, TxState::Mined, 0),
            (Leg::Merchant, TxState::Mined, 0),
            (Leg::Fee, TxState::Mined, 1),
        ]
    );
    let fee = owed * 200 / 10_000;
    let merchant: Address = WALLET.parse().unwrap();
    assert_eq!(live.balance(merchant).await, owed - fee);
    assert_eq!(live.balance(deposit).await, 0);
    assert_eq!(
        sweep.leftover_wei.map(U256::from),
        Some(live.anvil.native_balance(deposit).await)
    );
    live.anvil.set_automine(true).await;
    live.assert_ledger_adds_up().await;
    live.done().await;
}

fn sweep_deposit(sweep: &SweepRecord) -> Address {
    sweep.deposit_address.parse().unwrap()
}
