//! Sandbox payments rehearse every outcome through the real actor and store path.

use serde_json::json;

use std::time::Duration;

use kassa::domain::signature;

use crate::helpers::{Backend, WALLET, go_live, point_merchant_at, spawn_app, spawn_app_with};
use crate::on_both_backends;
use crate::receiver::Receiver;

on_both_backends!(
    a_sandbox_payment_makes_the_session_paid_with_plausible_chain_fields,
    sandbox_simulations_reach_every_outcome,
    a_repeated_deposit_is_counted_once,
    a_reversed_deposit_takes_a_paid_session_back_and_is_announced_in_order,
);

async fn a_sandbox_payment_makes_the_session_paid_with_plausible_chain_fields(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let id = app.new_session("PAY_ME").await;

    let paid = app.sandbox_pay(json!({ "session_id": id })).await;

    assert_eq!(paid.status, 200, "{}", paid.text);
    let status = app.status(&format!("session_id={id}")).await.json();
    assert_eq!(status["status"], json!("paid"));
    let s = &status["session"];
    assert_eq!(s["status"], json!("paid"));
    let txid = s["txid_in"].as_str().unwrap();
    assert!(txid.starts_with("0x") && txid.len() == 66, "{txid}");
    assert_eq!(s["txid"], json!(txid));
    assert_eq!(s["paid_value_coin"], json!("85.32"));
    assert_eq!(s["paid_coin"], json!("USDC"));
    assert!(s["paid_at"].is_string());
    app.stop().await;
}

async fn sandbox_simulations_reach_every_outcome(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let cases = [
        ("underpaid", "underpaid"),
        ("overpaid", "paid"),
        ("late", "paid"),
        ("expire", "expired"),
    ];
    for (simulate, expected) in cases {
        let id = app.new_session(&format!("SIM_{simulate}")).await;
        let answer = app
            .sandbox_pay(json!({ "session_id": id, "simulate": simulate }))
            .await;
        assert_eq!(answer.status, 200, "{simulate}: {}", answer.text);
        assert_eq!(app.session_status(id).await, expected, "{simulate}");
    }

    let underpaid = app.status("order_id=SIM_underpaid").await.json();
    assert_eq!(underpaid["session"]["remaining_value_coin"], json!("42.66"));
    let id = underpaid["session"]["id"].as_i64().unwrap();
    let rest = app.sandbox_pay(json!({ "session_id": id })).await;
    assert_eq!(rest.status, 200, "{}", rest.text);
    assert_eq!(
        app.session_status(id).await,
        "paid",
        "the rest completes an underpaid session"
    );

    let exact = app.new_session("SIM_amount").await;
    let partial = app
        .sandbox_pay(json!({ "session_id": exact, "amount": "10.5" }))
        .await;
    assert_eq!(partial.json()["session"]["paid_value_coin"], json!("10.50"));

    let expired = app.status("order_id=SIM_expire").await.json()["session"]["id"]
        .as_i64()
        .unwrap();
    let again = app
        .sandbox_pay(json!({ "session_id": expired, "simulate": "expire" }))
        .await;
    assert_eq!(
        (again.status, again.error_code()),
        (409, "sandbox_refused".to_string())
    );
    let unknown = app.sandbox_pay(json!({ "session_id": 123456789 })).await;
    assert_eq!(
        (unknown.status, unknown.error_code()),
        (404, "session_not_found".to_string())
    );
    let bad = app
        .sandbox_pay(json!({ "session_id": exact, "simulate": "explode" }))
        .await;
    assert_eq!(
        (bad.status, bad.error_code()),
        (400, "invalid_request".to_string())
    );
    app.stop().await;
}

async fn a_repeated_deposit_is_counted_once(backend: Backend) {
    use kassa::domain::deposit::DepositFact;
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let id = app.new_session("TWICE").await;
    let log = app.chain_pay(id, 50_000_000, WALLET).await;
    let fact = DepositFact {
        tx_hash: format!("{:#x}", log.tx_hash),
        log_index: 0,
        amount_units: 50_000_000,
        block_number: log.block_number,
        block_hash: format!("{:#x}", log.block_hash),
        from: WALLET.to_string(),
        confirmations: 15,
        counts: true,
    };

    let again = app.sessions.deposit(id, fact.clone()).await.unwrap();
    let third = app.sessions.deposit(id, fact).await.unwrap();
    app.chain.sync().await.unwrap();

    assert_eq!(again.record.received.units(), 50_000_000);
    assert_eq!(
        third.record.received.units(),
        50_000_000,
        "the same (tx, log) is not counted twice"
    );
    assert_eq!(app.session_status(id).await, "underpaid");
    app.stop().await;
}

async fn a_reversed_deposit_takes_a_paid_session_back_and_is_announced_in_order(backend: Backend) {
    let Some(app) = spawn_app_with(backend, |s| {
        s.webhook_allow_private = true;
        s.webhook_tick_ms = 20;
    })
    .await
    else {
        return;
    };
    let shop = Receiver::start().await;
    point_merchant_at(&app, app.merchant.id, &shop.url).await;
    let id = app.new_session("REORG").await;
    app.sandbox_pay(json!({ "session_id": id })).await;

    let reversed = app
        .sandbox_pay(json!({ "session_id": id, "simulate": "reversed" }))
        .await;

    assert_eq!(reversed.status, 200, "{}", reversed.text);
    let status = app.status(&format!("session_id={id}")).await.json();
    assert_eq!(
        status["status"],
        json!("pending"),
        "nothing counts any more"
    );
    assert_eq!(status["session"]["paid_value_coin"], json!(null));
    assert_eq!(status["session"]["paid_at"], json!(null));
    assert_eq!(status["session"]["remaining_value_coin"], json!("85.32"));
    let nothing_left = app
        .sandbox_pay(json!({ "session_id": id, "simulate": "reversed" }))
        .await;
    assert_eq!(
        (nothing_left.status, nothing_left.error_code()),
        (409, "sandbox_refused".to_string())
    );
    app.sandbox_pay(json!({ "session_id": id })).await;
    assert_eq!(app.session_status(id).await, "paid", "paid again");

    let got = shop.wait_for(3, Duration::from_secs(10)).await;
    let events: Vec<(i64, String)> = got
        .iter()
        .map(|r| {
            let e = r.json();
            (
                e["sequence"].as_i64().unwrap(),
                e["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        events,
        vec![
            (1, "paid".into()),
            (2, "reversed".into()),
            (3, "paid".into())
        ]
    );
    let reversal = &got[1];
    assert_eq!(reversal.json()["session_status"], json!("pending"));
    assert_eq!(
        reversal.header("x-signature"),
        Some(signature::x_signature(&app.merchant.webhook_secret, &reversal.body).as_str())
    );
    shop.stop().await;
    app.stop().await;
}

#[actix_web::test]
async fn the_sandbox_endpoint_does_not_exist_in_live_mode() {
    let Some(app) = spawn_app_with(Backend::Sqlite, go_live).await else {
        return;
    };
    let answer = app.sandbox_pay(json!({ "session_id": 1 })).await;
    assert_eq!(
        (answer.status, answer.error_code()),
        (404, "not_found".to_string())
    );
    app.stop().await;
}
