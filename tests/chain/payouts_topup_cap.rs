//! The top-up pays for two fee bumps and no more: transfers the node keeps
//! losing are replaced twice within what the top-up carried, then keep
//! waiting (noted on the sweep) instead of offering more than the deposit
//! address holds; the last replacement is mined and pays once.

use alloy::consensus::Transaction as _;
use alloy::primitives::Address;
use alloy::providers::Provider;
use kassa::domain::payout::{Leg, TxState};

use crate::helpers::{Backend, WALLET};
use crate::live::Live;
use crate::on_both_backends;
use crate::payouts_topup_faults::{
    FEE_WALLET, STUCK_BLOCKS, drop_the_pool, legs_of, setup, transfers_waiting_in_the_pool,
};

on_both_backends!(a_transfer_is_bumped_twice_within_the_top_up_then_waits);

async fn a_transfer_is_bumped_twice_within_the_top_up_then_waits(backend: Backend) {
    let Some(live) = Live::start(backend, setup()).await else {
        return;
    };
    let id = live.session("CAPPED", "6.00").await;
    let owed = live.owed_units(id).await;
    let sweep = transfers_waiting_in_the_pool(&live, id).await;

    for round in 1..=2 {
        drop_the_pool(&live.anvil).await;
        live.anvil.mine(STUCK_BLOCKS).await;
        let bumped = live.payout_step().await;
        assert_eq!(bumped.replaced, 2, "round {round}: {bumped:?}");
    }
    drop_the_pool(&live.anvil).await;
    live.anvil.mine(STUCK_BLOCKS).await;
    let capped = live.payout_step().await;
    assert_eq!(
        (capped.replaced, capped.signed, capped.failed),
        (0, 0, 0),
        "{capped:?}"
    );
    let note = live
        .app
        .store
        .sweep(sweep.id)
        .await
        .unwrap()
        .unwrap()
        .last_error
        .unwrap_or_default();
    assert!(note.contains("keeps waiting"), "{note}");

    // The waiting replacements were handed to the node again; mined now.
    live.anvil.set_automine(true).await;
    live.anvil.mine(1).await;
    let sent = live.payout_step().await;
    assert_eq!(sent.sent, 1, "{sent:?}");

    let legs = legs_of(&live, &sweep).await;
    let states = |leg: Leg| -> Vec<(TxState, u64)> {
        legs.iter()
            .filter(|(l, _, _)| *l == leg)
            .map(|(_, state, nonce)| (*state, *nonce))
            .collect()
    };
    use TxState::{Mined, Replaced};
    assert_eq!(
        states(Leg::Merchant),
        [(Replaced, 0), (Replaced, 0), (Mined, 0)]
    );
    assert_eq!(states(Leg::Fee), [(Replaced, 1), (Replaced, 1), (Mined, 1)]);

    // No transfer ever offered more than the top-up carried per gas.
    let txs = live.app.store.sweep_transactions(sweep.id).await.unwrap();
    let node = live.anvil.node();
    let on_chain = |i: usize| node.get_transaction_by_hash(txs[i].tx_hash.parse().unwrap());
    let topup = on_chain(0).await.unwrap().unwrap();
    let last = on_chain(txs.len() - 1).await.unwrap().unwrap();
    let transfer_gas = u128::from(last.gas_limit());
    let cap = u128::try_from(topup.value()).unwrap() / (2 * transfer_gas);
    for tx in &txs[1..] {
        assert!(tx.max_fee_wei <= cap, "{} > cap {cap}", tx.max_fee_wei);
    }
    let fee = owed * 200 / 10_000;
    let merchant: Address = WALLET.parse().unwrap();
    assert_eq!(live.balance(merchant).await, owed - fee, "paid once");
    assert_eq!(live.balance(FEE_WALLET.parse().unwrap()).await, fee);
    live.assert_ledger_adds_up().await;
    live.done().await;
}
