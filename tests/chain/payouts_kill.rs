//! `kassa serve` killed with SIGKILL in the middle of a sweep, then started
//! again on the same database: after the sweep was signed and stored but
//! before it was broadcast, and right after it was broadcast (a test-only
//! fault point pauses the process there). Either way exactly one transfer
//! leaves the deposit address, carried by the stored bytes, and the session
//! announces `payout_sent` once.

use std::time::Duration;

use alloy::primitives::{Address, B256};
use alloy::providers::Provider;
use kassa::chain::rpc::RpcChain;
use kassa::chain::source::ChainSource;
use kassa::domain::payout::TxState;
use serde_json::json;

use crate::anvil::TestUsdc;
use crate::gateway::{Gateway, WALLET_PHRASE, log_path, wait_until};
use crate::helpers::{Backend, MerchantSpec, TestDb, WALLET, create_merchant, open_store};
use crate::live::Live;
use crate::on_both_backends;

on_both_backends!(
    killed_after_signing_before_broadcast_the_stored_bytes_go_out_once,
    killed_right_after_broadcast_the_sweep_completes_once,
);

async fn killed_after_signing_before_broadcast_the_stored_bytes_go_out_once(backend: Backend) {
    killed_at(backend, "payout_signed").await;
}

async fn killed_right_after_broadcast_the_sweep_completes_once(backend: Backend) {
    killed_at(backend, "payout_broadcast").await;
}

const PAYOUTS: [(&str, &str); 2] = [
    ("KASSA_PAYOUT_CONFIRMATIONS", "2"),
    ("KASSA_PAYOUT_POLL_MS", "50"),
];

async fn killed_at(backend: Backend, point: &str) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let Some((anvil, payer)) = Live::chain_only().await else {
        return;
    };
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    let data = tempfile::tempdir().unwrap();
    let store = open_store(&db).await;
    let merchant = create_merchant(&store, MerchantSpec::default()).await;
    let marker = data.path().join("fault.marker");
    let marker_text = marker.display().to_string();
    let mut armed = PAYOUTS.to_vec();
    armed.extend([
        ("KASSA_TEST_FAULT_PAUSE", point),
        ("KASSA_TEST_FAULT_MARKER", marker_text.as_str()),
    ]);
    let gateway = Gateway::start(&db.url, data.path(), &anvil, &armed).await;

    let mut body = crate::helpers::order("KILLED_SWEEP");
    body["amount"] = json!("9.00");
    body["currency"] = json!("USD");
    let created: serde_json::Value = reqwest::Client::new()
        .post(format!("{}/gateway/session.php", gateway.base))
        .bearer_auth(&merchant.api_key)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["session_id"].as_i64().expect("a session");
    let record = store.session(id).await.unwrap().unwrap();
    let deposit: Address = record.deposit_address.checksummed().parse().unwrap();
    let owed = record.expected.units();
    anvil.transfer(&payer, deposit, owed).await;
    anvil.mine(6).await;
    wait_until(Duration::from_secs(30), || async { marker.exists() }).await;
    gateway.kill_9();

    let sweep = store.session_sweeps(id).await.unwrap().remove(0);
    let at_kill = store.sweep_transactions(sweep.id).await.unwrap();
    assert_eq!(at_kill.len(), 1, "{at_kill:?}");
    let stored = at_kill[0].clone();
    let hash: B256 = stored.tx_hash.parse().unwrap();
    let mined_at_kill = anvil.node().get_transaction_receipt(hash).await.unwrap();
    if point == "payout_signed" {
        assert_eq!(stored.state, TxState::Signed);
        assert!(mined_at_kill.is_none(), "stored, never sent");
    } else {
        assert_eq!(stored.state, TxState::Broadcast);
        assert!(mined_at_kill.is_some(), "Anvil mined it at once");
    }

    let mut verbose = PAYOUTS.to_vec();
    verbose.push(("KASSA_LOG", "debug,sqlx=warn"));
    let gateway = Gateway::start(&db.url, data.path(), &anvil, &verbose).await;
    wait_until(Duration::from_secs(30), || async {
        store
            .session(id)
            .await
            .unwrap()
            .is_some_and(|s| s.txid_out.is_some())
    })
    .await;
    gateway.kill_9();

    let after = store.sweep_transactions(sweep.id).await.unwrap();
    assert_eq!(after.len(), 1, "nothing signed anew: {after:?}");
    assert_eq!(
        after[0].tx_hash, stored.tx_hash,
        "the stored bytes went out"
    );
    assert_eq!(after[0].state, TxState::Mined);
    let record = store.session(id).await.unwrap().unwrap();
    assert_eq!(record.txid_out.as_deref(), Some(stored.tx_hash.as_str()));

    let chain = RpcChain::new(&anvil.rpc_url(), Duration::from_secs(10)).unwrap();
    let head = chain.head().await.unwrap();
    let out: Vec<_> = chain
        .transfers(anvil.token(), 0, head)
        .await
        .unwrap()
        .into_iter()
        .filter(|t| t.from == deposit)
        .collect();
    assert_eq!(
        out.len(),
        1,
        "exactly one transfer left the deposit address: {out:?}"
    );
    let merchant_wallet: Address = WALLET.parse().unwrap();
    assert_eq!(out[0].to, merchant_wallet);
    let token = TestUsdc::new(anvil.token(), anvil.node().clone());
    let balance = token.balanceOf(merchant_wallet).call().await.unwrap();
    assert_eq!(u64::try_from(balance).unwrap(), owed);
    let payouts = store
        .webhooks_of_session(id)
        .await
        .unwrap()
        .iter()
        .filter(|(e, _)| e.status == "payout_sent")
        .count();
    assert_eq!(payouts, 1, "payout_sent announced once");
    let report = kassa::app::money::check(&store, &chain, anvil.token())
        .await
        .unwrap();
    assert!(report.discrepancies.is_empty(), "{report:?}");
    assert_eq!(report.figures.forwarded, owed);

    // No key reaches a log line, even at debug level.
    let log = std::fs::read_to_string(log_path(data.path())).unwrap();
    assert!(log.contains("sweep sent"), "the log was written: {log}");
    let gas_key = crate::live::GAS_KEYS[0].trim_start_matches("0x");
    assert!(!log.contains(gas_key), "the gas key is in the log");
    assert!(
        !log.contains(WALLET_PHRASE),
        "the wallet mnemonic is in the log"
    );
    store.close().await;
}
