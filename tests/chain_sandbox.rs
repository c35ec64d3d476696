//! The chain watcher over the sandbox ledger, on both databases: a transfer
//! is seen, confirms block by block ("confirming k of N"), counts once; a
//! reorg before counting drops it; a restart resumes from the checkpoint;
//! and the money adds up against the ledger.

use std::collections::HashMap;

use alloy_primitives::Address;
use kassa::chain::ledger::{FINALITY_DEPTH, SANDBOX_PAYER, SandboxLedger};
use kassa::config::USDC_POLYGON;
use kassa::domain::money::UsdcAmount;
use serde_json::Value;

use crate::helpers::{Backend, TestApp, open_store, spawn_app, spawn_on};
use crate::on_both_backends;

fn ledger(app: &TestApp) -> SandboxLedger {
    SandboxLedger::new(app.store.clone(), FINALITY_DEPTH, app.clock.clone())
}

fn token() -> Address {
    USDC_POLYGON.parse().unwrap()
}

/// The session's deposit address and what it expects, in base units.
async fn address_and_expected(app: &TestApp, id: i64) -> (Address, u64) {
    let s = app.status(&format!("session_id={id}")).await.json();
    let address = s["session"]["polygon_address_in"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let expected = UsdcAmount::parse(s["session"]["expected_value_coin"].as_str().unwrap())
        .unwrap()
        .units();
    (address, expected)
}

async fn session_json(app: &TestApp, id: i64) -> Value {
    app.status(&format!("session_id={id}")).await.json()
}

/// Money adds up: what the ledger holds at deposit addresses is exactly what
/// the gateway counted, held or still waits for; each session received the
/// sum of its counted deposits.
async fn assert_money_adds_up(app: &TestApp, addresses: &[Address]) {
    let ledger = ledger(app);
    let mut on_chain = 0_u64;
    for a in addresses {
        on_chain += ledger.balance_of(token(), *a).await.unwrap();
    }
    let totals = app.store.deposit_totals_by_state().await.unwrap();
    let kept = totals["counted"] + totals["late"] + totals["seen"];
    assert_eq!(
        on_chain, kept,
        "chain = counted + held + waiting ({totals:?})"
    );
    assert_eq!(
        app.store.sessions_received_total().await.unwrap(),
        totals["counted"],
        "sessions received = counted deposits"
    );
}

async fn a_transfer_confirms_block_by_block_and_counts_once(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let id = app.new_session("CONFIRMING").await;
    let (address, expected) = address_and_expected(&app, id).await;

    ledger(&app)
        .transfer(token(), SANDBOX_PAYER, address, expected)
        .await
        .unwrap();
    ledger(&app).mine(4).await.unwrap();
    app.chain.sync().await.unwrap();

    let s = session_json(&app, id).await;
    assert_eq!(s["status"], "pending");
    assert_eq!(s["session"]["confirmations"], 5, "{s}");
    assert_eq!(s["session"]["required_confirmations"], 12);
    let page = app
        .client
        .get(format!("{}/crypto.php?session={id}", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("<strong>5 / 12</strong>"),
        "the crypto screen shows the progress"
    );
    let poll: Value = app
        .client
        .get(format!("{}/pay/status.json?session={id}", app.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (&poll["confirmations"], &poll["required_confirmations"]),
        (&serde_json::json!(5), &serde_json::json!(12)),
        "the page's poll sees the progress: {poll}"
    );

    ledger(&app).mine(6).await.unwrap();
    app.chain.sync().await.unwrap();
    assert_eq!(app.session_status(id).await, "pending", "11 of 12");

    ledger(&app).mine(1).await.unwrap();
    app.chain.sync().await.unwrap();
    let s = session_json(&app, id).await;
    assert_eq!(s["status"], "paid");
    assert!(s["session"].get("confirmations").is_none());

    ledger(&app).mine(3).await.unwrap();
    let again = app.chain.sync().await.unwrap();
    assert_eq!(again.counted, 0, "counted once");
    assert_money_adds_up(&app, &[address]).await;
    app.stop().await;
}

async fn a_reorg_before_counting_sends_the_session_back_to_created(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let id = app.new_session("REORG_EARLY").await;
    let (address, expected) = address_and_expected(&app, id).await;
    ledger(&app)
        .transfer(token(), SANDBOX_PAYER, address, expected)
        .await
        .unwrap();
    ledger(&app).mine(2).await.unwrap();
    app.chain.sync().await.unwrap();
    assert_eq!(app.session_status(id).await, "pending");

    ledger(&app).reorg(3).await.unwrap();
    app.chain.sync().await.unwrap();

    assert_eq!(app.session_status(id).await, "created");
    ledger(&app).mine(20).await.unwrap();
    app.chain.sync().await.unwrap();
    assert_eq!(
        app.session_status(id).await,
        "created",
        "never paid from a dropped block"
    );
    assert_money_adds_up(&app, &[address]).await;
    app.stop().await;
}

async fn deposits_made_while_the_gateway_was_down_are_found_once_after_restart(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let mut sessions = HashMap::new();
    for i in 0..5 {
        let id = app.new_session(&format!("DOWN_{i}")).await;
        sessions.insert(id, address_and_expected(&app, id).await);
    }
    app.chain.sync().await.unwrap();
    let clock = app.clock.clone();
    let db = app.stop_keeping_db().await;

    // The gateway is down: 5 payments and 50 blocks pass.
    let offline = open_store(&db).await;
    let ledger = SandboxLedger::new(offline.clone(), FINALITY_DEPTH, clock);
    for (address, expected) in sessions.values() {
        ledger
            .transfer(token(), SANDBOX_PAYER, *address, *expected)
            .await
            .unwrap();
        ledger.mine(10).await.unwrap();
    }
    ledger.mine(12).await.unwrap();

    let app = spawn_on(db, |_| {}).await;
    app.chain.sync().await.unwrap();
    let second = app.chain.sync().await.unwrap();

    assert_eq!(second.counted + second.seen, 0, "nothing twice: {second:?}");
    for id in sessions.keys() {
        // The restarted gateway has its own test merchant: read the store.
        let record = app.store.session(*id).await.unwrap().unwrap();
        assert_eq!(record.status.as_str(), "paid");
    }
    let addresses: Vec<Address> = sessions.values().map(|(a, _)| *a).collect();
    assert_money_adds_up(&app, &addresses).await;
    app.stop().await;
}

async fn a_rehearsed_reversal_takes_back_one_payment_and_leaves_later_ones(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let first = app.new_session("REVERSE_ME").await;
    let second = app.new_session("KEEP_ME").await;
    for id in [first, second] {
        let paid = app
            .sandbox_pay(serde_json::json!({ "session_id": id }))
            .await;
        assert_eq!(paid.status, 200, "{}", paid.text);
    }

    let reversed = app
        .sandbox_pay(serde_json::json!({ "session_id": first, "simulate": "reversed" }))
        .await;

    assert_eq!(reversed.status, 200, "{}", reversed.text);
    assert_eq!(app.session_status(first).await, "pending");
    assert_eq!(
        app.session_status(second).await,
        "paid",
        "a later payment stays"
    );
    let addresses = [
        address_and_expected(&app, first).await.0,
        address_and_expected(&app, second).await.0,
    ];
    assert_money_adds_up(&app, &addresses).await;
    app.stop().await;
}

async fn a_range_the_ledger_refuses_as_too_large_is_split_and_nothing_is_missed(backend: Backend) {
    let Some(app) = crate::helpers::spawn_app_with(backend, |s| {
        s.chain_max_block_range = 50_000;
    })
    .await
    else {
        return;
    };
    app.chain.sync().await.unwrap();
    let id = app.new_session("FAR_AWAY").await;
    let (address, expected) = address_and_expected(&app, id).await;
    let ledger = ledger(&app);
    ledger
        .mine(kassa::chain::ledger::MAX_LOG_RANGE + 1_500)
        .await
        .unwrap();

    ledger
        .transfer(token(), SANDBOX_PAYER, address, expected)
        .await
        .unwrap();
    ledger.mine(14).await.unwrap();
    let report = app.chain.sync().await.unwrap();

    assert_eq!(app.session_status(id).await, "paid", "{report:?}");
    assert_eq!(
        report.processed,
        report.head - 2,
        "scanned up to head - lag"
    );
    assert_money_adds_up(&app, &[address]).await;
    app.stop().await;
}

on_both_backends!(
    a_transfer_confirms_block_by_block_and_counts_once,
    a_reorg_before_counting_sends_the_session_back_to_created,
    deposits_made_while_the_gateway_was_down_are_found_once_after_restart,
    a_rehearsed_reversal_takes_back_one_payment_and_leaves_later_ones,
    a_range_the_ledger_refuses_as_too_large_is_split_and_nothing_is_missed,
);
