//! The chain watcher on Anvil counts payments as the confirmation rules say:
//! not before the third confirmation (and the node's `finalized` block),
//! an underpayment topped up, an overpayment paid with its excess held,
//! three sessions paid by one transaction (three logs) each paid once.
//! The watcher is driven step by step (`Live::step`).

use alloy::primitives::U256;
use kassa::domain::held::HeldKind;

use crate::anvil::{TestUsdc, mined};

use crate::conservation::assert_conserved;
use crate::helpers::Backend;
use crate::live::{Live, LiveSetup};
use crate::on_both_backends;

on_both_backends!(
    an_exact_payment_is_pending_until_its_third_confirmation_then_paid_with_its_tx,
    an_underpaid_session_topped_up_is_paid,
    an_overpaid_session_is_paid_and_its_excess_held,
    one_transaction_paying_three_sessions_pays_each_once,
);

async fn an_exact_payment_is_pending_until_its_third_confirmation_then_paid_with_its_tx(
    backend: Backend,
) {
    let Some(live) = Live::start(backend, LiveSetup::default()).await else {
        return;
    };
    let id = live.session("EXACT", "10.00").await;
    let owed = live.owed_units(id).await;

    let paid = live.pay(id, owed).await;
    live.step().await;
    let at_one = live.status(id).await;
    live.mine_and_step(1).await;
    let at_two = live.status(id).await;
    let report = live.mine_and_step(1).await;

    assert_eq!(at_one, "pending", "one confirmation");
    assert_eq!(at_two, "pending", "two confirmations");
    assert_eq!(report.counted, 1, "{report:?}");
    let view = live.view(id).await;
    assert_eq!(view["status"], "paid");
    assert_eq!(
        view["txid_in"].as_str().unwrap(),
        format!("{:#x}", paid.transaction_hash)
    );
    assert_eq!(view["remaining_value_coin"], "0.00");
    let events: Vec<String> = live.events(id).await.into_iter().map(|e| e.0).collect();
    assert_eq!(events, ["pending", "paid"]);
    assert_conserved(&live.anvil, &live.app.store, &[id]).await;
    live.done().await;
}

async fn an_underpaid_session_topped_up_is_paid(backend: Backend) {
    let Some(live) = Live::start(backend, LiveSetup::default()).await else {
        return;
    };
    let id = live.session("TOPUP", "10.00").await;
    let owed = live.owed_units(id).await;
    let first = owed * 4 / 10;

    live.pay(id, first).await;
    live.mine_and_step(2).await;
    let after_first = live.view(id).await;
    live.pay(id, owed - first).await;
    live.mine_and_step(2).await;

    assert_eq!(after_first["status"], "underpaid");
    assert_eq!(after_first["paid_value_coin"], "4.00");
    assert_eq!(after_first["remaining_value_coin"], "6.00");
    let view = live.view(id).await;
    assert_eq!(view["status"], "paid");
    assert_eq!(view["remaining_value_coin"], "0.00");
    let events: Vec<String> = live.events(id).await.into_iter().map(|e| e.0).collect();
    assert_eq!(
        events,
        ["underpaid", "paid"],
        "first seen already deep: no pending"
    );
    let audit = assert_conserved(&live.anvil, &live.app.store, &[id]).await;
    assert_eq!(audit.by_state["counted"], owed);
    live.done().await;
}

async fn an_overpaid_session_is_paid_and_its_excess_held(backend: Backend) {
    let Some(live) = Live::start(backend, LiveSetup::default()).await else {
        return;
    };
    let id = live.session("OVER", "10.00").await;
    let owed = live.owed_units(id).await;
    let excess = 2_500_000;

    let paid = live.pay(id, owed + excess).await;
    live.mine_and_step(2).await;

    let view = live.view(id).await;
    assert_eq!(view["status"], "paid");
    assert_eq!(view["paid_value_coin"], "12.50");
    let events: Vec<String> = live.events(id).await.into_iter().map(|e| e.0).collect();
    assert_eq!(events, ["paid", "overpaid"]);
    let held = live.app.store.held_money(None).await.unwrap();
    let line = held.iter().find(|h| h.session_id == id).expect("held");
    assert_eq!(line.kind, HeldKind::Excess);
    assert_eq!(line.amount.units(), excess);
    assert_eq!(
        line.tx_hash.as_deref(),
        Some(format!("{:#x}", paid.transaction_hash).as_str())
    );
    assert_conserved(&live.anvil, &live.app.store, &[id]).await;
    live.done().await;
}

async fn one_transaction_paying_three_sessions_pays_each_once(backend: Backend) {
    let Some(live) = Live::start(backend, LiveSetup::default()).await else {
        return;
    };
    let mut ids = Vec::new();
    let mut tos = Vec::new();
    let mut amounts = Vec::new();
    for i in 0..3 {
        let id = live.session(&format!("BATCH_{i}"), "10.00").await;
        tos.push(live.address_of(id).await);
        amounts.push(U256::from(live.owed_units(id).await));
        ids.push(id);
    }
    let token = TestUsdc::new(live.anvil.token(), live.anvil.signing(&live.payer));

    let pending = token.batchTransfer(tos, amounts).send().await.unwrap();
    let receipt = mined(pending).await;
    live.step().await;
    let report = live.mine_and_step(2).await;
    live.mine_and_step(2).await;

    assert_eq!(report.counted, 3, "{report:?}");
    let tx = format!("{:#x}", receipt.transaction_hash);
    for id in &ids {
        let view = live.view(*id).await;
        assert_eq!(view["status"], "paid", "session {id}");
        assert_eq!(view["txid_in"].as_str(), Some(tx.as_str()));
    }
    let deposits = live.app.store.audited_deposits().await.unwrap();
    let mut positions: Vec<i64> = deposits.iter().map(|d| d.log_index).collect();
    positions.sort_unstable();
    assert_eq!(
        positions,
        [0, 1, 2],
        "one deposit per log of the one transaction"
    );
    assert_conserved(&live.anvil, &live.app.store, &ids).await;
    live.done().await;
}
