//! `kassa serve` in live mode on Anvil, killed with SIGKILL while its
//! watcher works through deposits spread over many blocks, then started
//! again on the same database: no deposit is missed and none is counted
//! twice (a fault on purpose: no shutdown code runs).

use std::time::Duration;

use alloy::primitives::Address;
use serde_json::json;

use crate::conservation::assert_conserved;
use crate::gateway::{Gateway, wait_until};
use crate::helpers::{Backend, MerchantSpec, TestDb, create_merchant, open_store};
use crate::live::Live;
use crate::on_both_backends;

on_both_backends!(a_gateway_killed_mid_scan_misses_and_doubles_no_deposit_after_restart);

const SESSIONS: usize = 8;
/// Each session is paid in this many transfers, one block apart.
const PARTS: u64 = 3;
/// The gateway is killed this many times, each time halfway through a round
/// of payments.
const KILLS: usize = 3;
/// Small ranges: a scan is many chunks, each committed on its own.
const WATCHER_ENV: &[(&str, &str)] = &[("KASSA_CHAIN_MAX_BLOCK_RANGE", "2")];

async fn a_gateway_killed_mid_scan_misses_and_doubles_no_deposit_after_restart(backend: Backend) {
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
    let mut gateway = Gateway::start(&db.url, data.path(), &anvil, WATCHER_ENV).await;
    let client = reqwest::Client::new();
    let mut ids = Vec::new();
    let mut parts: Vec<(u64, Address, u64)> = Vec::new();
    for i in 0..SESSIONS {
        let mut body = crate::helpers::order(&format!("KILL_{i}"));
        body["amount"] = json!("10.00");
        body["currency"] = json!("USD");
        let created: serde_json::Value = client
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
        let to: Address = record.deposit_address.checksummed().parse().unwrap();
        let owed = record.expected.units();
        for part in 0..PARTS {
            let share = owed / PARTS;
            let units = if part == PARTS - 1 {
                owed - share * (PARTS - 1)
            } else {
                share
            };
            parts.push((part, to, units));
        }
        ids.push(id);
    }
    wait_until(Duration::from_secs(20), || async {
        cursor(&store).await > 0
    })
    .await;

    // Every session's first part, then every second part…: each session's
    // payments span the rounds and the kills.
    parts.sort_by_key(|(part, _, _)| *part);
    let payments: Vec<(Address, u64)> = parts.iter().map(|(_, to, u)| (*to, *u)).collect();
    let rounds: Vec<Vec<(Address, u64)>> = payments
        .chunks(payments.len().div_ceil(KILLS))
        .map(<[_]>::to_vec)
        .collect();
    for round in &rounds {
        let (first_half, second_half) = round.split_at(round.len() / 2);
        let round_start = anvil.head().await;
        for (to, units) in first_half {
            anvil.transfer(&payer, *to, *units).await;
            anvil.mine(1).await;
        }
        // Killed while at work: it has read into this round, and the
        // round's latest deposits are not deep enough to count yet.
        wait_until(Duration::from_secs(30), || async {
            cursor(&store).await > round_start
        })
        .await;
        gateway.kill_9();
        for (to, units) in second_half {
            anvil.transfer(&payer, *to, *units).await;
            anvil.mine(1).await;
        }
        gateway = Gateway::start(&db.url, data.path(), &anvil, WATCHER_ENV).await;
    }
    anvil.mine(3).await;
    let head = anvil.head().await;
    wait_until(Duration::from_secs(60), || async {
        cursor(&store).await >= head
    })
    .await;
    gateway.kill_9();

    for id in &ids {
        let record = store.session(*id).await.unwrap().unwrap();
        assert_eq!(record.status.as_str(), "paid", "session {id}");
        let paid = store
            .webhooks_of_session(*id)
            .await
            .unwrap()
            .iter()
            .filter(|(e, _)| e.status == "paid")
            .count();
        assert_eq!(paid, 1, "session {id} announced paid once");
    }
    let audit = assert_conserved(&anvil, &store, &ids).await;
    assert_eq!(audit.on_chain, payments.iter().map(|(_, u)| u).sum::<u64>());
    assert_eq!(audit.by_state["counted"], audit.on_chain);
    let rows = store.audited_deposits().await.unwrap();
    assert_eq!(rows.len(), payments.len(), "each transfer recorded once");
    store.close().await;
}

/// The last block the watcher committed (0 before its first step).
async fn cursor(store: &kassa::store::Store) -> u64 {
    store
        .chain_cursor(kassa::actors::chain_watcher::CURSOR)
        .await
        .unwrap()
        .map_or(0, |(n, _)| n)
}
