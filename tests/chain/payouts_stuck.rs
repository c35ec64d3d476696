//! Stuck sweep transactions on Anvil with automine off: a sweep whose
//! transaction the node dropped is replaced after `payout_stuck_blocks`
//! with the same nonce and a fee at least 10 % higher, and exactly one of
//! the two is mined; with two gas accounts, one stuck lane does not hold up
//! the other's sweep.

use alloy::primitives::{Address, B256};
use alloy::providers::Provider;
use kassa::domain::payout::TxState;
use serde_json::json;

use crate::helpers::{Backend, WALLET};
use crate::live::{Live, LiveSetup};
use crate::on_both_backends;

on_both_backends!(
    a_stuck_sweep_is_replaced_with_a_higher_fee_and_mined_once,
    a_stuck_gas_account_does_not_hold_up_the_other,
);

const CONFIRMATIONS: u64 = 4;
const STUCK_BLOCKS: u64 = 3;

fn setup(lanes: usize) -> LiveSetup {
    LiveSetup {
        payout_confirmations: CONFIRMATIONS,
        payout_stuck_blocks: STUCK_BLOCKS,
        gas_lanes: lanes,
        ..LiveSetup::default()
    }
}

/// Pays session `id` in full and steps until it is paid and final enough
/// to sweep.
async fn paid_and_final(live: &Live, id: i64) -> u64 {
    let owed = live.owed_units(id).await;
    live.pay(id, owed).await;
    live.mine_and_step(3).await;
    assert_eq!(live.status(id).await, "paid");
    owed
}

async fn drop_from_pool(live: &Live, tx: &str) {
    let hash: B256 = tx.parse().unwrap();
    live.anvil
        .call("anvil_dropTransaction", json!([hash]))
        .await;
}

async fn a_stuck_sweep_is_replaced_with_a_higher_fee_and_mined_once(backend: Backend) {
    let Some(live) = Live::start(backend, setup(1)).await else {
        return;
    };
    let id = live.session("STUCK", "6.00").await;
    let owed = paid_and_final(&live, id).await;
    live.anvil.mine(CONFIRMATIONS).await;

    live.anvil.set_automine(false).await;
    let first = live.payout_step().await;
    assert_eq!((first.created, first.signed), (1, 1), "{first:?}");
    let sweep = live.app.store.session_sweeps(id).await.unwrap().remove(0);
    let original = live
        .app
        .store
        .sweep_transactions(sweep.id)
        .await
        .unwrap()
        .remove(0);
    // The node loses it: it will never be mined as sent.
    drop_from_pool(&live, &original.tx_hash).await;
    live.anvil.mine(STUCK_BLOCKS - 1).await;
    let waiting = live.payout_step().await;
    assert_eq!(waiting.replaced, 0, "not stuck yet: {waiting:?}");
    drop_from_pool(&live, &original.tx_hash).await;
    live.anvil.mine(1).await;
    let bumped = live.payout_step().await;
    assert_eq!(bumped.replaced, 1, "{bumped:?}");
    let txs = live.app.store.sweep_transactions(sweep.id).await.unwrap();
    assert_eq!(txs.len(), 2);
    let replacement = &txs[1];
    assert_eq!(replacement.nonce, original.nonce, "same nonce");
    assert_eq!(replacement.replaces_id, Some(original.id));
    assert!(replacement.max_fee_wei * 10 >= original.max_fee_wei * 11);
    assert!(replacement.priority_fee_wei * 10 >= original.priority_fee_wei * 11);
    // The old bytes come back to the node too: only one of the two can be mined.
    let _ = live
        .anvil
        .node()
        .send_raw_transaction(&hex::decode(original.raw.trim_start_matches("0x")).unwrap())
        .await;
    live.anvil.mine(1).await;
    live.anvil.set_automine(true).await;
    let sent = live.payout_step().await;
    assert_eq!(sent.sent, 1, "{sent:?}");

    let txs = live.app.store.sweep_transactions(sweep.id).await.unwrap();
    let mined: Vec<_> = txs.iter().filter(|t| t.state == TxState::Mined).collect();
    assert_eq!(mined.len(), 1, "{txs:?}");
    let mut on_chain = 0;
    for t in &txs {
        let receipt = live
            .anvil
            .node()
            .get_transaction_receipt(t.tx_hash.parse().unwrap())
            .await
            .unwrap();
        on_chain += usize::from(receipt.is_some());
    }
    assert_eq!(on_chain, 1, "exactly one of the two is on chain");
    let merchant: Address = WALLET.parse().unwrap();
    assert_eq!(live.balance(merchant).await, owed);
    live.assert_ledger_adds_up().await;
    live.done().await;
}

async fn a_stuck_gas_account_does_not_hold_up_the_other(backend: Backend) {
    let Some(live) = Live::start(backend, setup(2)).await else {
        return;
    };
    let a = live.session("LANE_A", "3.00").await;
    let b = live.session("LANE_B", "5.00").await;
    let owed_a = paid_and_final(&live, a).await;
    let owed_b = paid_and_final(&live, b).await;
    live.anvil.mine(CONFIRMATIONS).await;

    live.anvil.set_automine(false).await;
    let made = live.payout_step().await;
    assert_eq!((made.created, made.signed), (2, 2), "{made:?}");
    let sweep_a = live.app.store.session_sweeps(a).await.unwrap().remove(0);
    let sweep_b = live.app.store.session_sweeps(b).await.unwrap().remove(0);
    assert_ne!(sweep_a.lane, sweep_b.lane, "one sweep per gas account");
    let stuck = live
        .app
        .store
        .sweep_transactions(sweep_a.id)
        .await
        .unwrap()
        .remove(0);
    drop_from_pool(&live, &stuck.tx_hash).await;
    live.anvil.mine(1).await;
    let step = live.payout_step().await;
    assert_eq!(step.sent, 1, "lane B's sweep went out: {step:?}");
    let b_now = live.app.store.session_sweeps(b).await.unwrap().remove(0);
    assert!(b_now.txid_out.is_some());
    let a_now = live.app.store.session_sweeps(a).await.unwrap().remove(0);
    assert!(a_now.txid_out.is_none(), "lane A is still stuck");

    // Lane A catches up once its transaction is replaced.
    live.anvil.set_automine(true).await;
    live.anvil.mine(STUCK_BLOCKS).await;
    for _ in 0..3 {
        live.payout_step().await;
    }
    let a_done = live.app.store.session_sweeps(a).await.unwrap().remove(0);
    assert!(a_done.txid_out.is_some(), "{a_done:?}");
    let merchant: Address = WALLET.parse().unwrap();
    assert_eq!(live.balance(merchant).await, owed_a + owed_b);
    live.assert_ledger_adds_up().await;
    live.done().await;
}
