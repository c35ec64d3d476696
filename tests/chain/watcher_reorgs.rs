//! Reorganisations on Anvil: a payment whose block is replaced before it
//! counted leaves the session unpaid (back to `created`); one replaced after
//! it counted is reversed (the session leaves `paid`); paid again by a new
//! transfer, the session names that transfer, not the one that vanished;
//! held money that vanishes is no longer held; the same transaction mined
//! again in another block counts once; a replaced checkpoint block is
//! scanned again, and the payment its replacement holds counts.

use std::time::Duration;

use kassa::actors::chain_watcher::CURSOR;
use kassa::domain::deposit::DepositState;
use serde_json::json;

use crate::anvil::block_of;
use crate::conservation::assert_conserved;
use crate::helpers::Backend;
use crate::live::{Live, LiveSetup};
use crate::on_both_backends;

on_both_backends!(
    a_payment_reorganised_away_before_it_counted_leaves_the_session_created,
    a_payment_reorganised_away_after_it_counted_is_reversed,
    a_session_paid_again_after_a_reorg_shows_the_transfer_that_paid_it,
    a_late_deposit_reorganised_away_is_no_longer_held,
    a_reversed_transfer_mined_again_in_a_new_block_counts_once,
    a_replaced_checkpoint_block_is_scanned_again_and_its_new_payment_counts,
);

async fn a_payment_reorganised_away_before_it_counted_leaves_the_session_created(backend: Backend) {
    let Some(live) = Live::start(backend, LiveSetup::default()).await else {
        return;
    };
    let id = live.session("REORG_EARLY", "10.00").await;
    let owed = live.owed_units(id).await;
    let paid = live.pay(id, owed).await;
    live.step().await;
    assert_eq!(live.status(id).await, "pending");

    live.anvil.reorg(1).await;
    let report = live.step().await;
    live.mine_and_step(3).await;

    assert_eq!(report.dropped, 1, "{report:?}");
    let view = live.view(id).await;
    assert_eq!(view["status"], "created");
    assert!(view["paid_value_coin"].is_null());
    assert!(view["txid_in"].is_null());
    let deposits = live.app.store.audited_deposits().await.unwrap();
    assert_eq!(deposits.len(), 1);
    assert_eq!(deposits[0].state, DepositState::Dropped);
    assert_eq!(deposits[0].tx_hash, format!("{:#x}", paid.transaction_hash));
    let audit = assert_conserved(&live.anvil, &live.app.store, &[id]).await;
    assert_eq!(audit.on_chain, 0);
    live.done().await;
}

async fn a_payment_reorganised_away_after_it_counted_is_reversed(backend: Backend) {
    let Some(live) = Live::start(backend, LiveSetup::default()).await else {
        return;
    };
    let id = live.session("REORG_LATE", "10.00").await;
    let owed = live.owed_units(id).await;
    live.pay(id, owed).await;
    live.mine_and_step(2).await;
    assert_eq!(live.status(id).await, "paid");

    live.anvil.reorg(4).await;
    let report = live.step().await;
    live.mine_and_step(3).await;

    assert_eq!(report.dropped, 1, "{report:?}");
    let view = live.view(id).await;
    assert_ne!(view["status"], "paid");
    assert_eq!(view["remaining_value_coin"], "10.00");
    assert!(view["txid_in"].is_null(), "the reversed transfer is gone");
    let events: Vec<String> = live.events(id).await.into_iter().map(|e| e.0).collect();
    assert_eq!(events, ["paid", "reversed"]);
    let audit = assert_conserved(&live.anvil, &live.app.store, &[id]).await;
    assert_eq!(audit.on_chain, 0);
    assert_eq!(audit.by_state["dropped"], owed);
    live.done().await;
}

async fn a_session_paid_again_after_a_reorg_shows_the_transfer_that_paid_it(backend: Backend) {
    let Some(live) = Live::start(backend, LiveSetup::default()).await else {
        return;
    };
    let id = live.session("REORG_AGAIN", "10.00").await;
    let owed = live.owed_units(id).await;
    let vanished = live.pay(id, owed).await;
    live.step().await;
    live.anvil.reorg(1).await;
    live.step().await;

    let again = live.pay(id, owed).await;
    live.mine_and_step(2).await;

    assert_ne!(again.transaction_hash, vanished.transaction_hash);
    let view = live.view(id).await;
    assert_eq!(view["status"], "paid");
    assert_eq!(
        view["txid_in"].as_str().unwrap(),
        format!("{:#x}", again.transaction_hash)
    );
    let events = live.events(id).await;
    let (last, payload) = events.last().unwrap();
    assert_eq!(last, "paid");
    assert_eq!(
        payload["txid_in"].as_str().unwrap(),
        format!("{:#x}", again.transaction_hash),
        "the paid webhook names the transfer on chain"
    );
    assert_conserved(&live.anvil, &live.app.store, &[id]).await;
    live.done().await;
}

async fn a_late_deposit_reorganised_away_is_no_longer_held(backend: Backend) {
    let Some(live) = Live::start(backend, LiveSetup::default()).await else {
        return;
    };
    let id = live.session("REORG_HELD", "10.00").await;
    let owed = live.owed_units(id).await;
    live.app
        .clock
        .advance(Duration::from_secs(15 * 60 + 60 * 60 + 1));
    live.wait_for(id, "expired", Duration::from_secs(10)).await;
    live.pay(id, owed).await;
    live.step().await;
    let held_before = live.app.store.held_money(None).await.unwrap().len();

    live.anvil.reorg(1).await;
    let report = live.step().await;
    live.mine_and_step(3).await;

    assert_eq!(held_before, 1, "held while on chain");
    assert_eq!(report.dropped, 1, "{report:?}");
    assert!(live.app.store.held_money(None).await.unwrap().is_empty());
    assert_eq!(live.status(id).await, "expired");
    let audit = assert_conserved(&live.anvil, &live.app.store, &[id]).await;
    assert_eq!((audit.on_chain, audit.by_state["dropped"]), (0, owed));
    live.done().await;
}

async fn a_reversed_transfer_mined_again_in_a_new_block_counts_once(backend: Backend) {
    let Some(live) = Live::start(backend, LiveSetup::default()).await else {
        return;
    };
    let id = live.session("AGAIN_SAME_TX", "10.00").await;
    let owed = live.owed_units(id).await;
    let before = live.anvil.snapshot().await;
    let paid = live.pay(id, owed).await;
    live.mine_and_step(2).await;
    assert_eq!(live.status(id).await, "paid");
    let raw = live
        .anvil
        .call(
            "eth_getRawTransactionByHash",
            json!([paid.transaction_hash]),
        )
        .await;

    live.anvil.revert(before).await;
    live.step().await;
    let after_revert = live.status(id).await;
    let resent = live
        .anvil
        .call("eth_sendRawTransaction", json!([raw]))
        .await;
    live.mine_and_step(2).await;

    assert_eq!(after_revert, "pending", "nothing counts while it is gone");
    assert_eq!(resent, json!(format!("{:#x}", paid.transaction_hash)));
    let view = live.view(id).await;
    assert_eq!(view["status"], "paid");
    assert_eq!(view["paid_value_coin"], "10.00", "counted once");
    assert_eq!(
        view["txid_in"].as_str().unwrap(),
        format!("{:#x}", paid.transaction_hash)
    );
    let events: Vec<String> = live.events(id).await.into_iter().map(|e| e.0).collect();
    assert_eq!(events, ["paid", "reversed", "paid"]);
    let audit = assert_conserved(&live.anvil, &live.app.store, &[id]).await;
    assert_eq!(audit.by_state["counted"], owed);
    live.done().await;
}

async fn a_replaced_checkpoint_block_is_scanned_again_and_its_new_payment_counts(backend: Backend) {
    // One block per eth_getLogs range: the step reads two ranges, and the
    // second takes its last block's hash from its own logs.
    let setup = LiveSetup {
        max_block_range: 1,
        ..LiveSetup::default()
    };
    let Some(live) = Live::start(backend, setup).await else {
        return;
    };
    let kept = live.session("CHECKPOINT_KEPT", "10.00").await;
    let lost = live.session("CHECKPOINT_LOST", "10.00").await;
    let late = live.session("CHECKPOINT_LATE", "10.00").await;
    let owed = live.owed_units(kept).await;
    live.pay(kept, owed).await;
    let before = live.anvil.snapshot().await;
    let (number, hash) = block_of(&live.pay(lost, owed).await);
    let report = live.step().await;
    assert_eq!((report.seen, report.processed), (2, number), "{report:?}");
    assert_eq!(
        live.app.store.chain_cursor(CURSOR).await.unwrap(),
        Some((number, format!("{hash:#x}"))),
        "the checkpoint is the last block scanned, with its hash"
    );

    // The checkpoint's block is replaced by one paying another session:
    // below the checkpoint, so only a scan that starts again finds it.
    live.anvil.revert(before).await;
    let (again, other) = block_of(&live.pay(late, owed).await);
    assert_eq!(again, number);
    assert_ne!(other, hash);
    let report = live.step().await;
    assert_eq!(report.dropped, 1, "{report:?}");
    live.mine_and_step(3).await;

    assert_eq!(live.status(kept).await, "paid");
    assert_eq!(live.status(late).await, "paid", "found by scanning again");
    assert_eq!(live.status(lost).await, "created");
    let deposits = live.app.store.audited_deposits().await.unwrap();
    let mut states: Vec<DepositState> = deposits.iter().map(|d| d.state).collect();
    states.sort_by_key(|s| format!("{s:?}"));
    assert_eq!(
        states,
        [
            DepositState::Counted,
            DepositState::Counted,
            DepositState::Dropped
        ],
        "the kept payment is not counted twice by the second scan"
    );
    assert_conserved(&live.anvil, &live.app.store, &[kept, lost, late]).await;
    live.done().await;
}
