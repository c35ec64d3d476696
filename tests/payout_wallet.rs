//! The payout wallet behind its cool-off: a change with no cool-off is in
//! force at once; with one, sessions and sweeps keep the old wallet until
//! the change's time (driven by the test clock) and use the new one from
//! then on; a cancelled change never takes effect; each change is announced
//! by a signed merchant-level webhook whatever statuses the merchant chose;
//! a bad address is refused with the field's error; and the CLI goes through
//! the same rule (`--payout-wallet-now` as the operator's override).

use std::time::Duration;

use alloy_primitives::Address;
use kassa::app::merchants::{
    self, FieldError, MerchantError, Timing, cancel_payout_wallet_change,
    request_payout_wallet_change,
};
use kassa::chain::ledger::{FINALITY_DEPTH, SandboxLedger};
use kassa::clock::{Clock, format_doc_time};
use kassa::config::USDC_POLYGON;
use kassa::domain::payout_wallet::ChangeRules;
use kassa::domain::signature;
use kassa::store::merchants::MerchantUpdate;
use serde_json::{Value, json};

use crate::helpers::{
    Backend, TestApp, TestDb, WALLET, kassa, point_merchant_at, spawn_app, spawn_app_with,
    spawn_on, stderr, stdout,
};
use crate::on_both_backends;
use crate::receiver::Receiver;

on_both_backends!(
    a_change_without_a_cool_off_is_in_force_at_once,
    with_a_cool_off_payouts_keep_the_old_wallet_until_the_change_takes_effect,
    a_cancelled_change_never_takes_effect,
    a_change_is_announced_by_a_signed_webhook_whatever_statuses_were_chosen,
    concurrent_changes_each_commit_whole_and_each_is_announced_once,
);

const NEW: &str = "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359";
const DAY: Duration = Duration::from_secs(86_400);

fn rules(cooloff: Duration) -> ChangeRules {
    ChangeRules {
        cooloff,
        test_events: true,
    }
}

async fn balance(app: &TestApp, wallet: &str) -> u64 {
    let token: Address = USDC_POLYGON.parse().unwrap();
    SandboxLedger::new(app.store.clone(), FINALITY_DEPTH, app.clock.clone())
        .balance_of(token, wallet.parse().unwrap())
        .await
        .unwrap()
}

/// Balances of the old and the new wallet.
async fn balances(app: &TestApp) -> (u64, u64) {
    (balance(app, WALLET).await, balance(app, NEW).await)
}

/// Creates a session through the API, pays it in sandbox and steps the
/// payout actor until its sweep is sent; returns the USDC units it moved.
async fn pay_and_sweep(app: &TestApp, reference: &str) -> u64 {
    let id = app.new_session(reference).await;
    let paid = app.sandbox_pay(json!({ "session_id": id })).await;
    assert_eq!(paid.status, 200, "{}", paid.text);
    for _ in 0..5 {
        app.payouts.run().await.unwrap();
        let status = app.status(&format!("session_id={id}")).await.json();
        if status["session"]["txid_out"].is_string() {
            let sweeps = app.store.webhooks_of_session(id).await.unwrap();
            assert!(sweeps.iter().any(|(e, _)| e.status == "payout_sent"));
            let coin = status["session"]["paid_value_coin"].as_str().unwrap();
            let units: rust_decimal::Decimal = coin.parse().unwrap();
            return u64::try_from(
                (units * rust_decimal::Decimal::from(1_000_000))
                    .normalize()
                    .mantissa(),
            )
            .unwrap();
        }
    }
    panic!("session {id} was not swept");
}

async fn a_change_without_a_cool_off_is_in_force_at_once(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let now = app.clock.now_ms();

    let change = request_payout_wallet_change(
        &app.store,
        app.merchant.id,
        &NEW.to_ascii_lowercase(),
        Timing::AfterCoolOff,
        rules(Duration::ZERO),
        now,
    )
    .await
    .unwrap();

    assert_eq!(change.wallet, NEW, "stored checksummed");
    assert!(change.in_force);
    let view = merchants::current_payout_wallet(&app.store, app.merchant.id, now)
        .await
        .unwrap();
    assert_eq!(view.wallet.as_deref(), Some(NEW));
    assert_eq!(view.pending, None);
    let before = balances(&app).await;
    let moved = pay_and_sweep(&app, "AT_ONCE").await;
    assert_eq!(balances(&app).await, (before.0, before.1 + moved));
    app.stop().await;
}

async fn with_a_cool_off_payouts_keep_the_old_wallet_until_the_change_takes_effect(
    backend: Backend,
) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let requested_at = app.clock.now_ms();
    let change = request_payout_wallet_change(
        &app.store,
        app.merchant.id,
        NEW,
        Timing::AfterCoolOff,
        rules(DAY),
        requested_at,
    )
    .await
    .unwrap();
    assert!(!change.in_force);
    assert_eq!(change.effective_at_ms, requested_at + 86_400_000);

    // During the cool-off: sessions are created and swept to the old wallet.
    let before = balances(&app).await;
    let moved = pay_and_sweep(&app, "DURING_COOLOFF").await;
    assert_eq!(
        balances(&app).await,
        (before.0 + moved, before.1),
        "the old wallet is paid during the cool-off"
    );
    let view = merchants::current_payout_wallet(&app.store, app.merchant.id, app.clock.now_ms())
        .await
        .unwrap();
    assert_eq!(view.wallet.as_deref(), Some(WALLET));
    assert_eq!(view.pending.unwrap().wallet, NEW);

    // After it: the new wallet, with no job having run in between.
    app.clock.advance(DAY + Duration::from_secs(1));
    let before = balances(&app).await;
    let moved = pay_and_sweep(&app, "AFTER_COOLOFF").await;
    assert_eq!(
        balances(&app).await,
        (before.0, before.1 + moved),
        "the new wallet is paid once the change took effect"
    );
    let view = merchants::current_payout_wallet(&app.store, app.merchant.id, app.clock.now_ms())
        .await
        .unwrap();
    assert_eq!(view.wallet.as_deref(), Some(NEW));
    assert_eq!(view.pending, None);
    app.stop().await;
}

async fn a_cancelled_change_never_takes_effect(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let id = app.merchant.id;
    let now = app.clock.now_ms();
    request_payout_wallet_change(&app.store, id, NEW, Timing::AfterCoolOff, rules(DAY), now)
        .await
        .unwrap();

    let dropped = cancel_payout_wallet_change(&app.store, id, rules(DAY), now + 1_000)
        .await
        .unwrap();

    assert_eq!(dropped.wallet, NEW);
    app.clock.advance(DAY * 2);
    let later = app.clock.now_ms();
    let view = merchants::current_payout_wallet(&app.store, id, later)
        .await
        .unwrap();
    assert_eq!(view.wallet.as_deref(), Some(WALLET));
    assert_eq!(view.pending, None);
    let before = balances(&app).await;
    let moved = pay_and_sweep(&app, "AFTER_CANCEL").await;
    assert_eq!(balances(&app).await, (before.0 + moved, before.1));
    let again = cancel_payout_wallet_change(&app.store, id, rules(DAY), later).await;
    assert!(
        matches!(again, Err(MerchantError::NoPendingWalletChange(m)) if m == id),
        "{again:?}"
    );
    app.stop().await;
}

async fn a_change_is_announced_by_a_signed_webhook_whatever_statuses_were_chosen(backend: Backend) {
    let Some(app) = spawn_app_with(backend, |s| {
        s.webhook_allow_private = true;
        s.webhook_tick_ms = 20;
    })
    .await
    else {
        return;
    };
    let receiver = Receiver::start().await;
    point_merchant_at(&app, app.merchant.id, &receiver.url).await;
    let only_paid = MerchantUpdate {
        webhook_statuses: Some(vec!["paid".into()]),
        ..MerchantUpdate::default()
    };
    app.store
        .update_merchant(app.merchant.id, only_paid, 0)
        .await
        .unwrap();
    let now = app.clock.now_ms();

    let change = request_payout_wallet_change(
        &app.store,
        app.merchant.id,
        NEW,
        Timing::AfterCoolOff,
        rules(DAY),
        now,
    )
    .await
    .unwrap();
    let got = receiver.wait_for(1, Duration::from_secs(10)).await;

    let hook = &got[0];
    let expected = signature::x_signature(&app.merchant.webhook_secret, &hook.body);
    assert_eq!(hook.header("x-signature"), Some(expected.as_str()));
    assert_eq!(hook.header("content-type"), Some("application/json"));
    let event = hook.json();
    assert_eq!(event["event"], json!("merchant.payout_wallet"));
    assert_eq!(event["status"], json!("payout_wallet_changed"));
    assert_eq!(
        Some(event["event_id"].as_str().unwrap()),
        change.event_id.as_deref()
    );
    assert_eq!(hook.header("webhook-id"), change.event_id.as_deref());
    assert_eq!(event["merchant_id"], json!(app.merchant.id));
    assert_eq!(event["session_id"], json!(0));
    assert_eq!(event["old_wallet"], json!(WALLET));
    assert_eq!(event["new_wallet"], json!(NEW));
    assert_eq!(
        event["effective_at"],
        json!(format_doc_time(now + 86_400_000))
    );
    assert!(
        event["effective_at"]
            .as_str()
            .unwrap()
            .chars()
            .all(|c| c.is_ascii_digit() || c == '-' || c == ':' || c == ' '),
        "YYYY-MM-DD HH:MM:SS"
    );
    assert_eq!(event["immediate"], json!(false));
    assert_eq!(event["test"], json!(true));
    assert!(event["sent_at"].is_string());

    cancel_payout_wallet_change(&app.store, app.merchant.id, rules(DAY), now + 1)
        .await
        .unwrap();
    let got = receiver.wait_for(2, Duration::from_secs(10)).await;
    let cancelled: Value = got[1].json();
    assert_eq!(cancelled["status"], json!("payout_wallet_change_cancelled"));
    assert_eq!(cancelled["old_wallet"], json!(WALLET));
    assert_eq!(cancelled["new_wallet"], json!(NEW));
    let expected = signature::x_signature(&app.merchant.webhook_secret, &got[1].body);
    assert_eq!(got[1].header("x-signature"), Some(expected.as_str()));
    receiver.stop().await;
    app.stop().await;
}

#[actix_web::test]
async fn a_bad_address_is_refused_with_the_wallet_error_and_nothing_changes() {
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    let now = app.clock.now_ms();
    for bad in [
        "0x123",
        "not a wallet",
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD",
        "0x0000000000000000000000000000000000000000",
    ] {
        let refused = request_payout_wallet_change(
            &app.store,
            app.merchant.id,
            bad,
            Timing::Now,
            rules(Duration::ZERO),
            now,
        )
        .await;
        assert!(
            matches!(&refused, Err(MerchantError::Field(FieldError::PayoutWallet(raw))) if raw == bad),
            "{bad}: {refused:?}"
        );
    }
    let missing = request_payout_wallet_change(
        &app.store,
        i64::MAX,
        NEW,
        Timing::AfterCoolOff,
        rules(DAY),
        now,
    )
    .await;
    assert!(
        matches!(missing, Err(MerchantError::NotFound(_))),
        "{missing:?}"
    );
    let view = merchants::current_payout_wallet(&app.store, app.merchant.id, now)
        .await
        .unwrap();
    assert_eq!(view.wallet.as_deref(), Some(WALLET));
    assert_eq!(view.pending, None);
    assert_eq!(app.store.count_webhooks("pending").await.unwrap(), 0);
    app.stop().await;
}

#[actix_web::test]
async fn the_cli_changes_the_wallet_after_the_cool_off_unless_told_now_and_list_shows_it() {
    let db = TestDb::new(Backend::Sqlite).await.unwrap();
    let url = db.url.clone();
    let app = spawn_on(db, |_| {}).await;
    let env = [
        ("KASSA_DATABASE_URL", url.as_str()),
        ("KASSA_LOG", "error"),
        ("KASSA_PAYOUT_WALLET_COOLOFF_HOURS", "24"),
    ];
    let id = app.merchant.id.to_string();

    let out = kassa(
        &["merchant", "update", "--id", &id, "--payout-wallet", NEW],
        &env,
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("takes effect at"), "{}", stdout(&out));
    let listed = kassa(&["merchant", "list", "--json"], &env).await;
    let list: Value = serde_json::from_str(stdout(&listed).trim()).unwrap();
    let row = list
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["merchant_id"] == json!(app.merchant.id))
        .unwrap()
        .clone();
    assert_eq!(row["payout_wallet"], json!(WALLET));
    assert_eq!(row["pending_payout_wallet"]["wallet"], json!(NEW));
    let table = stdout(&kassa(&["merchant", "list"], &env).await);
    assert!(table.contains(&format!("changes to {NEW} at")), "{table}");

    let out = kassa(
        &[
            "merchant",
            "update",
            "--id",
            &id,
            "--cancel-payout-wallet-change",
        ],
        &env,
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let again = kassa(
        &[
            "merchant",
            "update",
            "--id",
            &id,
            "--cancel-payout-wallet-change",
        ],
        &env,
    )
    .await;
    assert!(!again.status.success());
    assert!(
        stderr(&again).contains("no payout wallet change waiting"),
        "{}",
        stderr(&again)
    );

    let bad = kassa(
        &[
            "merchant",
            "update",
            "--id",
            &id,
            "--payout-wallet",
            "0x123",
            "--display-name",
            "Renamed",
        ],
        &env,
    )
    .await;
    assert!(!bad.status.success());
    assert!(stderr(&bad).contains("--payout-wallet"), "{}", stderr(&bad));
    let merchant = app.store.merchant(app.merchant.id).await.unwrap().unwrap();
    assert_eq!(
        merchant.branding.display_name.unwrap().as_str(),
        "Test Shop",
        "nothing is written when the wallet is refused"
    );

    let now = kassa(
        &[
            "merchant",
            "update",
            "--id",
            &id,
            "--payout-wallet",
            NEW,
            "--payout-wallet-now",
        ],
        &env,
    )
    .await;
    assert!(now.status.success(), "{}", stderr(&now));
    assert!(stdout(&now).contains("(in force)"), "{}", stdout(&now));
    let listed = kassa(&["merchant", "list", "--json"], &env).await;
    let list: Value = serde_json::from_str(stdout(&listed).trim()).unwrap();
    let row = list
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["merchant_id"] == json!(app.merchant.id))
        .unwrap()
        .clone();
    assert_eq!(row["payout_wallet"], json!(NEW));
    assert_eq!(row["pending_payout_wallet"], Value::Null);
    app.stop().await;
}

async fn concurrent_changes_each_commit_whole_and_each_is_announced_once(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let id = app.merchant.id;
    let now = app.clock.now_ms();
    let wallets: Vec<String> = (1..=4)
        .map(|i| format!("0x{:040x}", 0xa11e70 + i))
        .collect();

    let results = futures_util::future::join_all(wallets.iter().map(|w| {
        request_payout_wallet_change(&app.store, id, w, Timing::AfterCoolOff, rules(DAY), now)
    }))
    .await;

    for r in &results {
        assert!(r.is_ok(), "every request commits after a fresh read: {r:?}");
    }
    let log = app.store.merchant_webhook_log(id, None, 10).await.unwrap();
    let announced: Vec<Value> = log
        .iter()
        .filter(|(e, _)| e.status == "payout_wallet_changed")
        .map(|(e, _)| serde_json::from_str(&e.payload).unwrap())
        .collect();
    assert_eq!(announced.len(), 4, "one event per committed change");
    let view = merchants::current_payout_wallet(&app.store, id, now)
        .await
        .unwrap();
    let pending = view.pending.expect("the last change waits").wallet;
    assert_eq!(
        announced[0]["new_wallet"].as_str().unwrap().to_lowercase(),
        pending.to_lowercase(),
        "the newest announcement is the change that stands"
    );
    for pair in announced.windows(2) {
        assert_eq!(
            pair[0]["old_wallet"],
            json!(WALLET),
            "a replaced change never became the wallet in force"
        );
        assert_ne!(pair[0]["new_wallet"], pair[1]["new_wallet"]);
    }
    assert_eq!(view.wallet.as_deref(), Some(WALLET));
    app.stop().await;
}
