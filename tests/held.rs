//! `kassa deposits held`: late deposits, partial payments of sessions that
//! expired underpaid and overpayments, as the CLI lists them against the
//! database of a running server.

use std::time::Duration;

use kassa::config::RawSettings;
use serde_json::{Value, json};

use crate::cli::{kassa, stderr, stdout};
use crate::helpers::{Backend, MerchantSpec, TestApp, create_merchant, spawn_app_with};
use crate::on_both_backends;

on_both_backends!(
    held_money_lists_late_partial_and_excess_amounts_with_their_senders_and_totals,
    a_session_paid_exactly_holds_nothing,
);

const PAYER: &str = "0x1111111111111111111111111111111111111111";
const OVERPAYER: &str = "0x2222222222222222222222222222222222222222";
const PARTIAL_A: &str = "0x3333333333333333333333333333333333333333";
const PARTIAL_B: &str = "0x4444444444444444444444444444444444444444";
const LATECOMER: &str = "0x5555555555555555555555555555555555555555";

/// Breaks on purpose: the database the CLI is pointed at is not there.
#[actix_web::test]
async fn deposits_held_fails_with_a_message_when_the_database_is_unreachable() {
    let out = kassa(
        &["deposits", "held"],
        &[
            ("KASSA_DATABASE_URL", "postgres://kassa@127.0.0.1:9/kassa"),
            ("KASSA_DB_ACQUIRE_TIMEOUT_MS", "300"),
            ("KASSA_LOG", "error"),
        ],
    )
    .await;

    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("PostgreSQL"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        stdout(&out).is_empty(),
        "nothing is listed: {}",
        stdout(&out)
    );
}

async fn start(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, |s| s.expiry_sweep_interval_ms = 20).await
}

/// `kassa deposits held …` against the app's database.
async fn held(app: &TestApp, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["deposits", "held"];
    args.extend_from_slice(extra);
    kassa(
        &args,
        &[
            ("KASSA_DATABASE_URL", app.db.url.as_str()),
            ("KASSA_LOG", "error"),
        ],
    )
    .await
}

async fn held_json(app: &TestApp, extra: &[&str]) -> Vec<Value> {
    let mut args = vec!["--json"];
    args.extend_from_slice(extra);
    let out = held(app, &args).await;
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_str::<Value>(stdout(&out).trim())
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

/// The human line that starts with `total {what}`.
fn total_line(text: &str, what: &str) -> String {
    text.lines()
        .find(|l| l.starts_with(&format!("total {what} ")))
        .unwrap_or_else(|| panic!("no total for {what}: {text}"))
        .to_string()
}

async fn held_money_lists_late_partial_and_excess_amounts_with_their_senders_and_totals(
    backend: Backend,
) {
    let Some(app) = start(backend).await else {
        return;
    };
    let defaults = RawSettings::default();
    // 79.00 EUR is 85.32 USDC in sandbox.
    let overpaid = app.new_session("HELD_OVER").await;
    let partial = app.new_session("HELD_PART").await;
    let late = app.new_session("HELD_LATE").await;
    app.chain_pay(overpaid, 85_320_000, PAYER).await;
    let extra = app.chain_pay(overpaid, 4_680_000, OVERPAYER).await;
    app.chain_pay(partial, 30_000_000, PARTIAL_A).await;
    app.chain_pay(partial, 10_000_000, PARTIAL_B).await;
    assert_eq!(app.session_status(overpaid).await, "paid");
    assert_eq!(app.session_status(partial).await, "underpaid");

    app.clock.advance(Duration::from_secs(
        defaults.session_lifetime_secs + defaults.grace_period_secs + 1,
    ));
    app.wait_for_status(partial, "expired").await;
    app.wait_for_status(late, "expired").await;
    app.chain_pay(late, 12_500_000, LATECOMER).await;

    let lines = held_json(&app, &[]).await;
    let text_out = held(&app, &[]).await;

    assert!(text_out.status.success(), "{}", stderr(&text_out));
    let text = stdout(&text_out);
    if std::env::var("HELD_SHOW").is_ok() {
        println!("{text}");
    }
    let kinds: Vec<&str> = lines.iter().map(|l| l["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds.len(), 4, "{lines:?}");
    assert_eq!(kinds[3], "late", "oldest observed first: {lines:?}");
    let excess = lines.iter().find(|l| l["kind"] == json!("excess")).unwrap();
    assert_eq!(excess["session_id"], json!(overpaid));
    assert_eq!(excess["merchant_id"], json!(app.merchant.id));
    assert_eq!(excess["amount_usdc"], json!("4.68"));
    assert_eq!(
        excess["from_address"],
        json!(OVERPAYER),
        "attributed to the latest counted deposit"
    );
    assert_eq!(excess["tx_hash"], json!(format!("{:#x}", extra.tx_hash)));
    assert_eq!(excess["block_number"], json!(extra.block_number));
    let mut partials: Vec<(Value, Value)> = lines
        .iter()
        .filter(|l| l["kind"] == json!("partial"))
        .map(|l| (l["amount_usdc"].clone(), l["from_address"].clone()))
        .collect();
    partials.sort_by_key(|(_, from)| from.to_string());
    assert_eq!(
        partials,
        [
            (json!("30.00"), json!(PARTIAL_A)),
            (json!("10.00"), json!(PARTIAL_B))
        ]
    );
    assert!(
        lines
            .iter()
            .filter(|l| l["kind"] == json!("partial"))
            .all(|l| l["session_id"] == json!(partial))
    );
    let late_line = &lines[3];
    assert_eq!(late_line["session_id"], json!(late));
    assert_eq!(late_line["amount_usdc"], json!("12.50"));
    assert_eq!(late_line["from_address"], json!(LATECOMER));
    let observed = late_line["observed_at"].as_str().unwrap();
    assert_eq!(observed.len(), "2026-02-25 12:34:56".len(), "{observed}");

    for needle in [OVERPAYER, PARTIAL_A, PARTIAL_B, LATECOMER, observed] {
        assert!(text.contains(needle), "{needle} missing from:\n{text}");
    }
    assert!(
        !text.contains(PAYER),
        "the exact part of a payment is not held:\n{text}"
    );
    assert!(total_line(&text, "late").contains(" 12.50 USDC"), "{text}");
    assert!(
        total_line(&text, "partial").contains(" 40.00 USDC"),
        "{text}"
    );
    assert!(total_line(&text, "excess").contains(" 4.68 USDC"), "{text}");
    assert!(total_line(&text, "held").contains(" 57.18 USDC"), "{text}");

    let own = app.merchant.id.to_string();
    assert_eq!(held_json(&app, &["--merchant", &own]).await.len(), 4);
    let other = create_merchant(&app.store, MerchantSpec::default()).await;
    let other = other.id.to_string();
    let none = held(&app, &["--merchant", &other]).await;
    assert!(none.status.success(), "{}", stderr(&none));
    assert_eq!(stdout(&none).trim(), "no held money");
    assert!(held_json(&app, &["--merchant", &other]).await.is_empty());
    app.stop().await;
}

async fn a_session_paid_exactly_holds_nothing(backend: Backend) {
    let Some(app) = start(backend).await else {
        return;
    };
    let paid = app.new_session("HELD_EXACT").await;
    let open = app.new_session("HELD_STILL_OPEN").await;
    app.chain_pay(paid, 85_320_000, PAYER).await;
    app.chain_pay(open, 20_000_000, PAYER).await;
    assert_eq!(app.session_status(paid).await, "paid");
    assert_eq!(app.session_status(open).await, "underpaid");

    let out = held(&app, &[]).await;
    let unknown = held(&app, &["--merchant", "999999999"]).await;

    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out).trim(),
        "no held money",
        "an exact payment and an underpaid session still open hold nothing"
    );
    assert!(held_json(&app, &[]).await.is_empty());
    assert!(!unknown.status.success(), "an unknown merchant is an error");
    assert!(
        stderr(&unknown).contains("no merchant with id 999999999"),
        "{}",
        stderr(&unknown)
    );
    app.stop().await;
}
