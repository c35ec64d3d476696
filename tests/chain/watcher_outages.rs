//! The watcher away from the chain, on Anvil: stopped while 50 blocks with
//! deposits pass, then restarted on the same database, it finds each deposit
//! once; cut off from the node by a proxy while payments are made, it
//! catches up once the node is back.

use std::time::Duration;

use crate::conservation::assert_conserved;
use crate::helpers::{Backend, TestDb};
use crate::live::{Live, LiveSetup};
use crate::on_both_backends;
use crate::proxy::Proxy;

on_both_backends!(
    deposits_made_while_the_gateway_was_stopped_are_each_found_once_after_restart,
    payments_made_while_the_node_is_cut_off_are_counted_once_it_is_back,
    a_payment_made_before_the_node_first_answered_is_counted,
);

const SESSIONS: usize = 5;
/// Blocks that pass while the gateway is stopped.
const BLOCKS_AWAY: u64 = 50;

async fn deposits_made_while_the_gateway_was_stopped_are_each_found_once_after_restart(
    backend: Backend,
) {
    let Some(live) = Live::start(backend, LiveSetup::default()).await else {
        return;
    };
    let mut ids = Vec::new();
    let mut payments = Vec::new();
    for i in 0..SESSIONS {
        let id = live.session(&format!("AWAY_{i}"), "10.00").await;
        let owed = live.owed_units(id).await;
        let first = owed / 3;
        payments.push((live.address_of(id).await, first));
        payments.push((live.address_of(id).await, owed - first));
        ids.push(id);
    }
    let stopped = live.stop().await;
    let from = stopped.anvil.head().await;
    for (to, units) in &payments {
        stopped.pay(*to, *units).await;
        stopped.anvil.mine(3).await;
    }
    let passed = stopped.anvil.head().await - from;
    stopped.anvil.mine(BLOCKS_AWAY.saturating_sub(passed)).await;

    let live = stopped.restart().await;
    live.step().await;

    assert!(live.anvil.head().await - from >= BLOCKS_AWAY);
    for id in &ids {
        assert_eq!(live.status(*id).await, "paid", "session {id}");
        let events: Vec<String> = live.events(*id).await.into_iter().map(|e| e.0).collect();
        assert_eq!(events, ["underpaid", "paid"], "session {id}");
    }
    let audit = assert_conserved(&live.anvil, &live.app.store, &ids).await;
    assert_eq!(audit.by_state["counted"], audit.on_chain);
    let rows = live.app.store.audited_deposits().await.unwrap();
    assert_eq!(rows.len(), payments.len(), "each deposit recorded once");
    live.done().await;
}

async fn payments_made_while_the_node_is_cut_off_are_counted_once_it_is_back(backend: Backend) {
    let Some((anvil, payer)) = Live::chain_only().await else {
        return;
    };
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    let proxy = Proxy::start(anvil.port()).await;
    let setup = LiveSetup {
        poll_ms: 50,
        rpc_url: Some(proxy.url()),
        ..LiveSetup::default()
    };
    let live = Live::on(anvil, payer, db, setup).await;
    let whole = live.session("CUT_WHOLE", "10.00").await;
    let split = live.session("CUT_SPLIT", "10.00").await;
    let owed = live.owed_units(whole).await;

    proxy.cut();
    live.pay(whole, owed).await;
    live.pay(split, owed / 2).await;
    live.anvil.mine(2).await;
    live.pay(split, owed - owed / 2).await;
    live.anvil.mine(4).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let while_cut = (live.status(whole).await, live.status(split).await);
    proxy.restore();

    assert_eq!(while_cut, ("created".into(), "created".into()));
    live.wait_for(whole, "paid", Duration::from_secs(30)).await;
    live.wait_for(split, "paid", Duration::from_secs(30)).await;
    live.step().await;
    let audit = assert_conserved(&live.anvil, &live.app.store, &[whole, split]).await;
    assert_eq!(audit.by_state["counted"], 2 * owed);
    live.done().await;
}

async fn a_payment_made_before_the_node_first_answered_is_counted(backend: Backend) {
    let Some((anvil, payer)) = Live::chain_only().await else {
        return;
    };
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    let proxy = Proxy::start(anvil.port()).await;
    proxy.cut();
    let setup = LiveSetup {
        poll_ms: 50,
        rpc_url: Some(proxy.url()),
        ..LiveSetup::default()
    };
    let live = Live::on(anvil, payer, db, setup).await;
    let id = live.session("FIRST_START", "10.00").await;
    let owed = live.owed_units(id).await;

    live.pay(id, owed).await;
    live.anvil.mine(3).await;
    proxy.restore();

    live.wait_for(id, "paid", Duration::from_secs(30)).await;
    live.step().await;
    assert_conserved(&live.anvil, &live.app.store, &[id]).await;
    live.done().await;
}
