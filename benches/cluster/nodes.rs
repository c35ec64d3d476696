//! The cluster benchmark's Kassa nodes: `kassa serve` child processes on
//! one PostgreSQL database, each with its own `KASSA_NODE_ID`, data folder
//! and port, believing the local nginx's `X-Forwarded-For`. Every setting
//! not named here keeps its default (the database pool among them), so the
//! figures are those of a node as shipped. This module measures nothing.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The key that seals the merchant's webhook secret; every node and the
/// merchant's creator must share it (the test suite's own).
const SECRETS_KEY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/secrets.test.key");
/// The wallet every node derives deposit addresses from (Anvil's test phrase).
const PHRASE: &str = "test test test test test test test test test test test junk";

/// Migrates the database at `db_url` and adds the benchmark merchant, its
/// webhooks going to `webhook_url`; its id and API key.
pub async fn merchant_on(db_url: &str, webhook_url: &str) -> (i64, String) {
    let store = kassa::store::Store::connect(&kassa::store::DatabaseSettings {
        url: db_url.to_string(),
        max_connections: 2,
        acquire_timeout: Duration::from_secs(10),
        session_cache_ttl: Duration::ZERO,
        sqlite_cache_mb: kassa::store::DEFAULT_SQLITE_CACHE_MB,
        secrets_key: kassa::store::secrets_key::SecretsKeySource::File(SECRETS_KEY.into()),
    })
    .await
    .unwrap();
    store.migrate().await.unwrap();
    let key = kassa::domain::api_key::generate();
    let merchant = crate::common::bench_merchant(&key, Some(webhook_url.to_string()));
    let id = store.create_merchant(merchant, 0).await.unwrap();
    store.close().await;
    (id, key.key)
}

/// One `kassa serve` process; killed on drop.
pub struct Node {
    child: Child,
    /// `127.0.0.1:port`, as nginx's upstream names it.
    pub addr: String,
    log: PathBuf,
}

impl Node {
    /// Node `n` (from 1) on `db_url`, its data folder and log under `root`;
    /// returns once it answers `/healthz`. At most `endpoint_concurrency`
    /// deliveries to one webhook endpoint run at once across all nodes.
    pub async fn start(db_url: &str, root: &Path, n: usize, endpoint_concurrency: usize) -> Node {
        let port = crate::common::free_port();
        let data = root.join(format!("node-{n}"));
        let log = root.join(format!("node-{n}.log"));
        let output = std::fs::File::create(&log).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_kassa"))
            .arg("serve")
            .env("KASSA_DATABASE_URL", db_url)
            .env("KASSA_DATA_DIR", &data)
            .env("KASSA_BIND", format!("127.0.0.1:{port}"))
            .env("KASSA_NODE_ID", format!("node-{n}"))
            .env("KASSA_TRUSTED_PROXIES", "127.0.0.1/32")
            .env("KASSA_SECRETS_KEY_FILE", SECRETS_KEY)
            .env("KASSA_WALLET_MNEMONIC", PHRASE)
            // The load comes from one address: no per-client limit may bite.
            .env("KASSA_RATE_LIMIT_PER_SECOND", "10000000")
            .env("KASSA_RATE_LIMIT_BURST", "10000000")
            .env("KASSA_WEBHOOK_ALLOW_PRIVATE", "true")
            .env(
                "KASSA_WEBHOOK_ENDPOINT_CONCURRENCY",
                endpoint_concurrency.to_string(),
            )
            // Sweeps stay out of the measured windows, as in the other
            // benchmarks: this one measures the API and the deliveries.
            .env("KASSA_PAYOUT_POLL_MS", "3600000")
            .env("KASSA_LOG", "warn,sqlx=error")
            .env("NO_COLOR", "1")
            .env_remove("KASSA_TEST_POSTGRES_URL")
            .env_remove("KASSA_TEST_REQUIRE_ALL")
            .stdin(Stdio::null())
            .stdout(Stdio::from(output.try_clone().unwrap()))
            .stderr(Stdio::from(output))
            .spawn()
            .unwrap();
        let mut node = Node {
            child,
            addr: format!("127.0.0.1:{port}"),
            log,
        };
        node.wait_until_up().await;
        node
    }

    async fn wait_until_up(&mut self) {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let answer = client.get(self.url("/healthz")).send().await;
            if answer.is_ok_and(|a| a.status().is_success()) {
                return;
            }
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("kassa serve exited ({status}):\n{}", self.log_text());
            }
            assert!(
                Instant::now() < deadline,
                "kassa serve never answered:\n{}",
                self.log_text()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Whether `/readyz` says this node leads (runs the chain watcher).
    pub async fn leads(&self) -> bool {
        let ready: serde_json::Value = reqwest::get(self.url("/readyz"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        ready["leader"].as_bool() == Some(true)
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The node that leads, waiting (up to 15 s) for one to.
pub async fn leader(nodes: &[Node]) -> &Node {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        for node in nodes {
            if node.leads().await {
                return node;
            }
        }
        assert!(Instant::now() < deadline, "no node leads");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
