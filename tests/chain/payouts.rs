//! Payouts on Anvil with the EIP-3009 test token: a paid session's money is
//! swept to the merchant's payout wallet (less the platform fee, to the fee
//! wallet) only once its block is final and `payout_confirmations` deep;
//! `txid_out` and one `payout_sent` event follow the receipt; the deposit
//! address ends empty; and whatever the steps repeat, nothing moves twice.

use alloy::primitives::Address;
use alloy::providers::Provider;

use crate::helpers::{Backend, WALLET, kassa, raw_sql, stderr, stdout};
use crate::live::{Live, LiveSetup};
use crate::on_both_backends;

on_both_backends!(
    an_exact_payment_is_swept_once_final_less_the_fee,
    money_arriving_after_paid_is_its_own_sweep,
    a_sweep_without_gas_fails_visibly_and_goes_out_on_retry,
);

const FEE_WALLET: &str = "0x00000000000000000000000000000000000fee01";
const PAYOUT_CONFIRMATIONS: u64 = 6;

fn setup() -> LiveSetup {
    LiveSetup {
        payout_confirmations: PAYOUT_CONFIRMATIONS,
        platform_fee_bps: 150,
        fee_wallet: Some(FEE_WALLET.into()),
        ..LiveSetup::default()
    }
}

/// `kassa ledger check` as an operator runs it, with the app's settings.
async fn ledger_check_cli(live: &Live) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("gas.keys");
    std::fs::write(&keys, crate::live::GAS_KEYS[0]).unwrap();
    let (rpc, token, keys) = (
        live.anvil.rpc_url(),
        live.anvil.token().to_checksum(None),
        keys.display().to_string(),
    );
    kassa(
        &["ledger", "check"],
        &[
            ("KASSA_DATABASE_URL", live.app.db.url.as_str()),
            ("KASSA_MODE", "live"),
            ("KASSA_CHAIN_RPC_URL", rpc.as_str()),
            ("KASSA_USDC_CONTRACT", token.as_str()),
            ("KASSA_WALLET_MNEMONIC", crate::helpers::TEST_PHRASE),
            ("KASSA_GAS_KEY_FILE", keys.as_str()),
        ],
    )
    .await
}

fn merchant_wallet() -> Address {
    WALLET.parse().unwrap()
}

async fn an_exact_payment_is_swept_once_final_less_the_fee(backend: Backend) {
    let Some(live) = Live::start(backend, setup()).await else {
        return;
    };
    let id = live.session("SWEEP", "10.00").await;
    let owed = live.owed_units(id).await;
    let deposit = live.address_of(id).await;
    live.pay_until_paid(id, owed).await;

    // Paid, but not yet deep enough to send on.
    let early = live.payout_step().await;
    assert_eq!(
        early.created, 0,
        "swept before {PAYOUT_CONFIRMATIONS} confirmations: {early:?}"
    );
    assert_eq!(live.balance(deposit).await, owed);

    live.anvil.mine(PAYOUT_CONFIRMATIONS).await;
    let made = live.payout_step().await;
    assert_eq!(made.created, 1, "{made:?}");
    assert_eq!(made.signed, 2, "a merchant and a fee transfer: {made:?}");
    // Anvil mines each broadcast at once; the next step reads the receipts.
    let sent = live.payout_step().await;
    assert_eq!(sent.sent, 1, "{sent:?}");
    assert_eq!(sent.announced, 1, "{sent:?}");
    // Further steps change nothing.
    let again = live.payout_step().await;
    assert_eq!(
        (again.created, again.signed, again.sent, again.announced),
        (0, 0, 0, 0),
        "{again:?}"
    );

    let fee = owed * 150 / 10_000;
    assert_eq!(live.balance(merchant_wallet()).await, owed - fee);
    assert_eq!(live.balance(FEE_WALLET.parse().unwrap()).await, fee);
    assert_eq!(
        live.balance(deposit).await,
        0,
        "the deposit address ends empty"
    );

    let view = live.view(id).await;
    assert_eq!(view["status"], "paid");
    let txid_out = view["txid_out"].as_str().expect("txid_out after the sweep");
    let sweeps = live.app.store.session_sweeps(id).await.unwrap();
    assert_eq!(sweeps.len(), 1);
    assert_eq!(sweeps[0].txid_out.as_deref(), Some(txid_out));
    let receipt = live
        .anvil
        .node()
        .get_transaction_receipt(txid_out.parse().unwrap())
        .await
        .unwrap()
        .expect("txid_out is a mined transaction");
    assert!(receipt.status(), "txid_out succeeded");

    let events = live.events(id).await;
    let statuses: Vec<&str> = events.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(
        statuses,
        ["pending", "paid", "payout_sent"],
        "never a second paid"
    );
    let payout = &events[2].1;
    assert_eq!(payout["status"], "payout_sent");
    assert_eq!(payout["session_status"], "paid");
    assert_eq!(payout["txid_out"], txid_out);
    let figures = live.assert_ledger_adds_up().await;
    assert_eq!(
        (
            figures.received,
            figures.forwarded,
            figures.fees,
            figures.held
        ),
        (owed, owed - fee, fee, 0)
    );
    // The journal recorded each movement once, gas included.
    let journal = live.app.store.journal().await.unwrap();
    let kinds: Vec<&str> = journal.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        ["counted", "gas", "gas", "forwarded", "fee"],
        "{journal:?}"
    );
    assert!(
        journal
            .iter()
            .filter(|e| e.kind.as_str() == "gas")
            .all(|e| e.amount > 0)
    );
    // The operator's command says the same, and exits 0.
    let out = ledger_check_cli(&live).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("ok: the books add up"),
        "{}",
        stdout(&out)
    );
    // Books that claim more than the chain holds fail the check.
    raw_sql(
        &live.app.db.url,
        &format!("UPDATE deposits SET amount_usdc = amount_usdc + 1 WHERE session_id = {id}"),
    )
    .await;
    let out = ledger_check_cli(&live).await;
    assert!(!out.status.success(), "a mismatch exits non-zero");
    assert!(stderr(&out).contains("MISMATCH"), "{}", stderr(&out));
    live.done().await;
}

async fn money_arriving_after_paid_is_its_own_sweep(backend: Backend) {
    let Some(live) = Live::start(backend, setup()).await else {
        return;
    };
    let id = live.session("TWICE", "4.00").await;
    let owed = live.owed_units(id).await;
    let deposit = live.address_of(id).await;
    live.pay_until_paid(id, owed).await;
    live.anvil.mine(PAYOUT_CONFIRMATIONS).await;
    live.payout_step().await;
    live.payout_step().await;
    // The first sweep is announced before the overpayment arrives: a
    // session busy elsewhere (a loaded machine) hears of it a step later.
    for _ in 0..20 {
        if live.events(id).await.iter().any(|e| e.0 == "payout_sent") {
            break;
        }
        live.anvil.mine(1).await;
        live.payout_step().await;
    }

    // The merchant moves its payout wallet: only later sweeps go there.
    let new_wallet = "0x00000000000000000000000000000000000a11e7";
    let moved = kassa::store::merchants::MerchantUpdate {
        payout_wallet: Some(new_wallet.into()),
        ..Default::default()
    };
    live.app
        .store
        .update_merchant(live.app.merchant.id, moved, 0)
        .await
        .unwrap();
    // An overpayment after the first sweep.
    let extra = 1_250_000;
    live.pay(id, extra).await;
    live.mine_and_step(3).await;
    live.anvil.mine(PAYOUT_CONFIRMATIONS).await;
    let second = live.payout_step().await;
    assert_eq!(second.created, 1, "{second:?}");
    live.payout_step().await;

    let sweeps = live.app.store.session_sweeps(id).await.unwrap();
    let amounts: Vec<(i32, u64)> = sweeps
        .iter()
        .map(|s| (s.sequence, s.amount_units))
        .collect();
    assert_eq!(amounts, [(1, owed), (2, extra)]);
    assert!(sweeps.iter().all(|s| s.txid_out.is_some()));
    assert_eq!(sweeps[0].destination.to_lowercase(), WALLET.to_lowercase());
    assert_eq!(sweeps[1].destination.to_lowercase(), new_wallet);
    let (fee_1, fee_2) = (owed * 150 / 10_000, extra * 150 / 10_000);
    let fees = fee_1 + fee_2;
    assert_eq!(live.balance(merchant_wallet()).await, owed - fee_1);
    assert_eq!(
        live.balance(new_wallet.parse().unwrap()).await,
        extra - fee_2
    );
    assert_eq!(live.balance(FEE_WALLET.parse().unwrap()).await, fees);
    assert_eq!(live.balance(deposit).await, 0);
    let statuses: Vec<String> = live.events(id).await.into_iter().map(|e| e.0).collect();
    assert_eq!(
        statuses,
        ["pending", "paid", "payout_sent", "overpaid", "payout_sent"]
    );
    live.assert_ledger_adds_up().await;
    live.done().await;
}

/// `kassa payouts …` against the app's database.
async fn payouts_cli(live: &Live, args: &[&str]) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().display().to_string();
    let mut all = vec!["payouts"];
    all.extend_from_slice(args);
    kassa(
        &all,
        &[
            ("KASSA_DATABASE_URL", live.app.db.url.as_str()),
            ("KASSA_DATA_DIR", data.as_str()),
        ],
    )
    .await
}

async fn a_sweep_without_gas_fails_visibly_and_goes_out_on_retry(backend: Backend) {
    let Some(live) = Live::start(backend, setup()).await else {
        return;
    };
    let gas = crate::live::gas_account(0);
    live.anvil
        .call("anvil_setBalance", serde_json::json!([gas, "0x0"]))
        .await;
    let id = live.session("NO_GAS", "2.00").await;
    let owed = live.owed_units(id).await;
    live.pay_until_paid(id, owed).await;
    live.anvil.mine(PAYOUT_CONFIRMATIONS).await;

    let step = live.payout_step().await;
    assert_eq!((step.created, step.failed), (1, 1), "{step:?}");
    // The merchant heard of the payment all the same.
    let statuses: Vec<String> = live.events(id).await.into_iter().map(|e| e.0).collect();
    assert_eq!(statuses, ["pending", "paid"]);
    let failed = payouts_cli(&live, &["list", "--failed", "--json"]).await;
    let rows: serde_json::Value = serde_json::from_str(&stdout(&failed)).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 1, "{rows}");
    assert_eq!(rows[0]["state"], "failed");
    let why = rows[0]["last_error"].as_str().unwrap().to_lowercase();
    assert!(why.contains("fund") || why.contains("balance"), "{why}");
    let sweep_id = rows[0]["id"].as_i64().unwrap().to_string();

    // Gas again; the retry is due only later, unless an operator asks now.
    live.anvil
        .call(
            "anvil_setBalance",
            serde_json::json!([gas, "0x56bc75e2d63100000"]),
        )
        .await;
    let waiting = live.payout_step().await;
    assert_eq!(waiting.sent, 0, "{waiting:?}");
    let asked = payouts_cli(&live, &["retry", &sweep_id, "--by", "ops@test"]).await;
    assert!(asked.status.success(), "{}", stderr(&asked));
    live.payout_step().await;
    live.payout_step().await;
    let view = live.view(id).await;
    assert!(view["txid_out"].is_string(), "{view}");
    assert_eq!(
        live.balance(merchant_wallet()).await,
        owed - owed * 150 / 10_000
    );
    let none = payouts_cli(&live, &["list", "--failed"]).await;
    assert!(
        stdout(&none).contains("no failed sweeps"),
        "{}",
        stdout(&none)
    );
    let again = payouts_cli(&live, &["retry", &sweep_id]).await;
    assert!(!again.status.success(), "a sent sweep is not retried");
    live.assert_ledger_adds_up().await;
    live.done().await;
}
