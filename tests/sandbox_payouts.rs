//! Payouts in sandbox run as in live mode, on the sandbox ledger: a sandbox
//! payment is swept to the merchant's payout wallet by a signed EIP-3009
//! transfer the ledger executes, `txid_out` appears in `session_status`
//! and one `payout_sent` event follows `paid`; repeated steps move nothing
//! more. With `KASSA_TOKEN_EIP3009=off` the ledger's token takes no
//! authorizations and the sweep goes by gas top-up instead.

use alloy_primitives::Address;
use kassa::chain::ledger::{FINALITY_DEPTH, SandboxLedger};
use kassa::chain::ledger_exec::NATIVE_BALANCE;
use kassa::chain::sender::ChainSender;
use kassa::config::USDC_POLYGON;
use kassa::domain::payout::{Leg, SweepMethod, TxState};
use serde_json::json;

use crate::helpers::{Backend, TestApp, WALLET, spawn_app, spawn_app_with};
use crate::on_both_backends;

on_both_backends!(
    a_sandbox_payment_is_swept_to_the_merchant_with_txid_out,
    without_eip3009_a_sandbox_payment_is_swept_by_gas_top_up,
    a_deposit_reversed_after_its_sweep_is_booked_as_a_loss_and_alerted,
);

#[actix_web::test]
async fn readyz_warns_when_a_gas_account_runs_low_without_failing() {
    let Some(app) = spawn_app_with(Backend::Sqlite, |s| s.gas_low_pol = "2000".into()).await else {
        return;
    };
    app.payouts.run().await.unwrap();
    let ready = app.get("/readyz").await;
    assert_eq!(
        ready.status, 200,
        "a warning, not a failure: {}",
        ready.text
    );
    let body = ready.json();
    let warnings = body["warnings"].as_array().expect("a low-gas warning");
    assert_eq!(warnings.len(), 1, "{body}");
    assert!(
        warnings[0].as_str().unwrap().contains("below gas_low_pol"),
        "{body}"
    );
    let levels = body["gas_pol"].as_object().unwrap();
    assert_eq!(levels.len(), 1, "{body}");
    assert_eq!(levels.values().next().unwrap(), "1000");
    app.stop().await;

    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    app.payouts.run().await.unwrap();
    let body = app.get("/readyz").await.json();
    assert!(body.get("warnings").is_none(), "1000 POL is plenty: {body}");
    app.stop().await;
}

fn token() -> Address {
    USDC_POLYGON.parse().unwrap()
}

async fn balance(app: &TestApp, who: Address) -> u64 {
    SandboxLedger::new(app.store.clone(), FINALITY_DEPTH, app.clock.clone())
        .balance_of(token(), who)
        .await
        .unwrap()
}

async fn a_sandbox_payment_is_swept_to_the_merchant_with_txid_out(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let merchant: Address = WALLET.parse().unwrap();
    let id = app.new_session("SWEEP_ME").await;
    let paid = app.sandbox_pay(json!({ "session_id": id })).await;
    assert_eq!(paid.status, 200, "{}", paid.text);
    let status = app.status(&format!("session_id={id}")).await.json();
    let deposit: Address = status["session"]["polygon_address_in"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let received = balance(&app, deposit).await;
    assert!(received > 0);
    assert!(status["session"]["txid_out"].is_null(), "no payout yet");

    let first = app.payouts.run().await.unwrap();
    assert_eq!((first.created, first.signed), (1, 1), "{first:?}");
    let second = app.payouts.run().await.unwrap();
    assert_eq!((second.sent, second.announced), (1, 1), "{second:?}");
    let third = app.payouts.run().await.unwrap();
    assert_eq!(
        (third.created, third.signed, third.sent),
        (0, 0, 0),
        "{third:?}"
    );

    assert_eq!(balance(&app, merchant).await, received);
    assert_eq!(balance(&app, deposit).await, 0);
    let status = app.status(&format!("session_id={id}")).await.json();
    let s = &status["session"];
    assert_eq!(s["status"], "paid");
    let txid_out = s["txid_out"].as_str().expect("txid_out after the sweep");
    let ledger = SandboxLedger::new(app.store.clone(), FINALITY_DEPTH, app.clock.clone());
    let receipt = ledger
        .receipt(txid_out.parse().unwrap())
        .await
        .unwrap()
        .expect("txid_out is on the ledger");
    assert!(receipt.success);
    let events = app.store.webhooks_of_session(id).await.unwrap();
    let statuses: Vec<&str> = events.iter().map(|(e, _)| e.status.as_str()).collect();
    assert_eq!(statuses, ["paid", "payout_sent"]);
    let report = kassa::app::money::check(&app.store, &ledger, token())
        .await
        .unwrap();
    assert!(report.discrepancies.is_empty(), "{report:?}");
    assert_eq!(report.figures.forwarded, received);
    app.stop().await;
}

async fn without_eip3009_a_sandbox_payment_is_swept_by_gas_top_up(backend: Backend) {
    let Some(app) = spawn_app_with(backend, |s| s.token_eip3009 = "off".into()).await else {
        return;
    };
    let merchant: Address = WALLET.parse().unwrap();
    let id = app.new_session("TOP_ME_UP").await;
    let paid = app.sandbox_pay(json!({ "session_id": id })).await;
    assert_eq!(paid.status, 200, "{}", paid.text);
    let deposit: Address =
        app.status(&format!("session_id={id}")).await.json()["session"]["polygon_address_in"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
    let received = balance(&app, deposit).await;

    // Top-up, then the transfer, then its receipt: one ledger block each.
    let mut sent = 0;
    for _ in 0..4 {
        sent += app.payouts.run().await.unwrap().sent;
    }

    assert_eq!(sent, 1);
    assert_eq!(balance(&app, merchant).await, received);
    assert_eq!(balance(&app, deposit).await, 0);
    let sweep = app.store.session_sweeps(id).await.unwrap().remove(0);
    assert_eq!(sweep.method, SweepMethod::TopUp);
    let legs: Vec<(Leg, TxState)> = app
        .store
        .sweep_transactions(sweep.id)
        .await
        .unwrap()
        .iter()
        .map(|t| (t.leg, t.state))
        .collect();
    assert_eq!(
        legs,
        [
            (Leg::TopUp, TxState::Mined),
            (Leg::Merchant, TxState::Mined)
        ]
    );
    // Sandbox gas is free: every address reads the same POL, recorded as is.
    assert_eq!(sweep.leftover_wei, Some(NATIVE_BALANCE));
    let events = app.store.webhooks_of_session(id).await.unwrap();
    let statuses: Vec<&str> = events.iter().map(|(e, _)| e.status.as_str()).collect();
    assert_eq!(statuses, ["paid", "payout_sent"]);
    app.stop().await;
}

async fn a_deposit_reversed_after_its_sweep_is_booked_as_a_loss_and_alerted(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let id = app.new_session("LOST").await;
    let paid = app.sandbox_pay(json!({ "session_id": id })).await.json();
    let txid_in = paid["txid_in"].as_str().unwrap().to_string();
    app.payouts.run().await.unwrap();
    let sent = app.payouts.run().await.unwrap();
    assert_eq!(sent.sent, 1, "{sent:?}");

    // The deposit's block leaves the chain after its money went on.
    let ledger = SandboxLedger::new(app.store.clone(), FINALITY_DEPTH, app.clock.clone());
    ledger
        .drop_transaction(txid_in.parse().unwrap())
        .await
        .unwrap()
        .expect("the deposit is on the ledger");
    app.chain.sync().await.unwrap();

    let journal = app.store.journal().await.unwrap();
    let losses: Vec<_> = journal
        .iter()
        .filter(|e| e.kind.as_str() == "loss")
        .collect();
    assert_eq!(losses.len(), 1, "{journal:?}");
    let report = kassa::app::money::check(&app.store, &ledger, token())
        .await
        .unwrap();
    assert!(report.discrepancies.is_empty(), "{report:?}");
    assert_eq!(u128::from(report.figures.lost), losses[0].amount);
    assert_eq!(report.figures.received, 0);
    let metrics = crate::metrics_server::Scrape::parse(&app.get("/metrics").await.text);
    assert!(
        metrics.must("kassa_ledger_losses_total", &[]) >= 1.0,
        "alerted on /metrics"
    );
    let statuses: Vec<String> = app
        .store
        .webhooks_of_session(id)
        .await
        .unwrap()
        .into_iter()
        .map(|(e, _)| e.status)
        .collect();
    assert_eq!(statuses, ["paid", "payout_sent", "reversed"]);
    app.stop().await;
}
