//! `kassa serve` in live mode on Anvil, killed with SIGKILL while its
//! watcher works through deposits spread over many blocks, then started
//! again on the same database: no deposit is missed and none is counted
//! twice (a fault on purpose: no shutdown code runs).

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use alloy::primitives::Address;
use serde_json::json;

use crate::anvil::Anvil;
use crate::conservation::assert_conserved;
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
const WALLET_PHRASE: &str = "test test test test test test test test test test test junk";

/// `kassa serve` as a child process, so the test can SIGKILL it.
struct Gateway {
    child: Child,
    base: String,
}

impl Gateway {
    async fn start(db_url: &str, data_dir: &Path, anvil: &Anvil) -> Gateway {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let gas_keys = data_dir.join("gas.keys");
        std::fs::write(&gas_keys, crate::live::GAS_KEYS[0]).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_kassa"))
            .arg("serve")
            .env("KASSA_BIND", format!("127.0.0.1:{port}"))
            .env("KASSA_DATABASE_URL", db_url)
            .env("KASSA_DATA_DIR", data_dir)
            .env("KASSA_MODE", "live")
            .env("KASSA_CHAIN_RPC_URL", anvil.rpc_url())
            .env("KASSA_USDC_CONTRACT", anvil.token().to_checksum(None))
            .env("KASSA_WALLET_MNEMONIC", WALLET_PHRASE)
            .env("KASSA_REQUIRED_CONFIRMATIONS", "3")
            .env("KASSA_GAS_KEY_FILE", &gas_keys)
            // Deposits stay where they are: this test counts them on chain.
            .env("KASSA_PAYOUT_CONFIRMATIONS", "1000000")
            .env("KASSA_FINALITY", "finalized")
            .env("KASSA_CHAIN_POLL_MS", "20")
            .env("KASSA_CHAIN_HEAD_LAG_BLOCKS", "0")
            // Small ranges: a scan is many chunks, each committed on its own.
            .env("KASSA_CHAIN_MAX_BLOCK_RANGE", "2")
            .env("KASSA_LOG", "error")
            .env_remove("KASSA_TEST_POSTGRES_URL")
            .env_remove("KASSA_TEST_REQUIRE_ALL")
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(20);
        while client.get(format!("{base}/healthz")).send().await.is_err() {
            assert!(Instant::now() < deadline, "kassa serve never answered");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Gateway { child, base }
    }

    /// SIGKILL: no shutdown code runs.
    fn kill_9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

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
    let mut gateway = Gateway::start(&db.url, data.path(), &anvil).await;
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
        gateway = Gateway::start(&db.url, data.path(), &anvil).await;
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

/// Polls `done` until it holds, failing after `within`.
async fn wait_until<F, Fut>(within: Duration, mut done: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + within;
    while !done().await {
        assert!(Instant::now() < deadline, "not done within {within:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
