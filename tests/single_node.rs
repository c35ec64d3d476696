//! One server per SQLite data folder: a second `kassa serve` on the same
//! database refuses to start with a clear message, the CLI keeps working
//! beside the server, and a SIGKILLed server leaves no stale lock.
//!
//! Also the harness the durability suites share (`backup`, `shutdown`,
//! `disk_full`): `kassa serve` as a child process on a database and data
//! folder the test chooses, so it can be signalled, killed and restarted on
//! the same files.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::helpers::{
    Answer, Backend, MerchantSpec, TEST_PHRASE, TEST_SECRETS_KEY, TestDb, TestMerchant,
    create_merchant, kassa, order, read, stderr, stdout,
};

/// Launches so far in this test process: each node logs to its own file.
static LAUNCHES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// The address a server's log says it listens on (`kassa is listening
/// address=127.0.0.1:PORT ...`), once it has said so.
fn listening_address(log: &str) -> Option<&str> {
    log.lines()
        .find(|line| line.contains("kassa is listening"))?
        .split_whitespace()
        .find_map(|word| word.strip_prefix("address="))
}

/// `kassa serve` in its own process.
pub struct Node {
    child: Child,
    pub base: String,
    pub log: PathBuf,
    client: reqwest::Client,
}

/// The one TLS crypto provider, before the first HTTP client.
pub fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// The environment every child server and CLI run of a test shares.
pub fn node_env(db_url: &str, data: &Path) -> Vec<(String, String)> {
    [
        ("KASSA_DATABASE_URL", db_url.to_string()),
        ("KASSA_DATA_DIR", data.display().to_string()),
        ("KASSA_SECRETS_KEY_FILE", TEST_SECRETS_KEY.to_string()),
        ("KASSA_WALLET_MNEMONIC", TEST_PHRASE.to_string()),
        ("KASSA_RATE_LIMIT_PER_SECOND", "100000".to_string()),
        ("KASSA_RATE_LIMIT_BURST", "100000".to_string()),
        // Generous: these suites run beside the whole test binary on two
        // cores, and a create that waits out the write lane answers 503.
        ("KASSA_DB_ACQUIRE_TIMEOUT_MS", "10000".to_string()),
        // Queue rather than shed (`overload.rs` proves shedding).
        ("KASSA_API_CREATE_CONCURRENCY", "4096".to_string()),
        ("KASSA_API_STATUS_CONCURRENCY", "4096".to_string()),
        ("KASSA_API_QUEUE_MS", "60000".to_string()),
        ("KASSA_LOG", "warn,sqlx=error".to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// A fresh SQLite database with one merchant, for a child server.
pub async fn sqlite_with_merchant() -> (TestDb, TestMerchant) {
    let db = TestDb::new(Backend::Sqlite).await.unwrap();
    let merchant = merchant_on(&db.url).await;
    (db, merchant)
}

/// Migrates the database at `url` and adds a merchant (the store is closed
/// again, so only the server holds the database).
pub async fn merchant_on(url: &str) -> TestMerchant {
    let store = store_on(url).await;
    store.migrate().await.unwrap();
    let merchant = create_merchant(&store, MerchantSpec::default()).await;
    store.close().await;
    merchant
}

/// A small store on the database at `url`, beside a server that uses it
/// (no session cache, so it reads what the server wrote).
pub async fn store_on(url: &str) -> kassa::store::Store {
    kassa::store::Store::connect(&kassa::store::DatabaseSettings {
        url: url.to_string(),
        max_connections: 2,
        acquire_timeout: Duration::from_secs(10),
        session_cache_ttl: Duration::ZERO,
        sqlite_cache_mb: kassa::store::DEFAULT_SQLITE_CACHE_MB,
        secrets_key: crate::helpers::test_secrets_key(),
    })
    .await
    .unwrap()
}

/// `path` opened for appending (created if missing).
fn append(path: &Path) -> std::fs::File {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap()
}

/// `kassa serve` on `db_url`, logging stdout and stderr to `log`, on a port
/// the kernel picks when it binds (read back from the log by
/// [`listening_address`]). A port picked beforehand and released could be
/// taken by another test's server in between, whose answers would then be
/// taken for this one's.
fn serve_command(db_url: &str, data: &Path, log: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kassa"));
    command
        .arg("serve")
        .envs(node_env(db_url, data))
        .env("KASSA_BIND", "127.0.0.1:0")
        // The same name on every start: a server restarted on a new port
        // takes the chain lease back at once (tests override it).
        .env("KASSA_NODE_ID", "serve-test")
        .env_remove("KASSA_TEST_POSTGRES_URL")
        .env_remove("KASSA_TEST_REQUIRE_ALL")
        // No colour codes in a log the tests read.
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::from(append(log)))
        .stderr(Stdio::from(append(log)));
    command
}

impl Node {
    /// Starts a server on `db_url` and waits until it answers; its log goes
    /// to `logs/serve-<n>.log`.
    pub async fn start(db_url: &str, data: &Path, logs: &Path) -> Node {
        Self::launch(db_url, data, logs, &[]).await
    }

    /// `start`, with webhooks allowed to loopback receivers and a generous
    /// delivery timeout.
    pub async fn start_allowing_private_webhooks(db_url: &str, data: &Path) -> Node {
        let extra = [
            ("KASSA_WEBHOOK_ALLOW_PRIVATE", "true"),
            ("KASSA_WEBHOOK_TIMEOUT_SECS", "120"),
        ];
        Self::launch(db_url, data, data, &extra).await
    }

    /// `start`, with extra environment (fault points, payout settings).
    pub async fn start_with(
        db_url: &str,
        data: &Path,
        logs: &Path,
        extra: &[(&str, &str)],
    ) -> Node {
        Self::launch(db_url, data, logs, extra).await
    }

    async fn launch(db_url: &str, data: &Path, logs: &Path, extra: &[(&str, &str)]) -> Node {
        install_crypto();
        // Everything that can fail comes before the spawn: from then on the
        // child belongs to a `Node`, whose drop kills it.
        let client = reqwest::Client::new();
        let log = logs.join(format!(
            "serve-{}.log",
            LAUNCHES.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        // The line naming the bound address is logged whatever level the
        // test asked for.
        let level = extra
            .iter()
            .find(|(name, _)| *name == "KASSA_LOG")
            .map_or("info,sqlx=warn", |(_, level)| *level);
        let child = serve_command(db_url, data, &log)
            .envs(extra.iter().copied())
            .env("KASSA_LOG", format!("{level},kassa::cli::serve=info"))
            .spawn()
            .unwrap();
        let mut node = Node {
            child,
            base: String::new(),
            log,
            client,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if node.base.is_empty()
                && let Some(address) = listening_address(&node.log_text())
            {
                node.base = format!("http://{address}");
            }
            if !node.base.is_empty()
                && let Ok(r) = node.client.get(node.url("/healthz")).send().await
                && r.status().is_success()
            {
                return node;
            }
            if let Some(status) = node.child.try_wait().unwrap() {
                panic!("kassa serve exited ({status}):\n{}", node.log_text());
            }
            assert!(
                Instant::now() < deadline,
                "kassa serve never answered:\n{}",
                node.log_text()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Sends SIGTERM (as a service manager stopping it does).
    pub fn terminate(&self) {
        let sent = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .unwrap();
        assert!(sent.success(), "kill -TERM failed");
    }

    /// SIGKILL, and waits for the process to be gone.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Waits for the process to exit; `None` if it is still running after `within`.
    pub async fn exited_within(&mut self, within: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// `POST /gateway/session.php` for `reference`; `None` when no HTTP
    /// answer came (connection refused or cut).
    pub async fn try_create(&self, merchant: &TestMerchant, reference: &str) -> Option<Answer> {
        let sent = self
            .client
            .post(self.url("/gateway/session.php"))
            .bearer_auth(&merchant.api_key)
            .json(&order(reference))
            .timeout(Duration::from_secs(30))
            .send()
            .await
            .ok()?;
        let status = sent.status().as_u16();
        let headers = sent.headers().clone();
        let text = sent.text().await.ok()?;
        Some(Answer {
            status,
            headers,
            text,
        })
    }

    /// The session's answer from `GET /gateway/session_status.php`.
    pub async fn status(&self, merchant: &TestMerchant, id: i64) -> Answer {
        read(
            self.client
                .get(self.url(&format!("/gateway/session_status.php?session_id={id}")))
                .header("X-API-Key", &merchant.api_key)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// Asserts every session in `ids` is there, with its order reference.
    pub async fn assert_sessions_exist(&self, merchant: &TestMerchant, ids: &[(i64, String)]) {
        for (id, reference) in ids {
            let answer = self.status(merchant, *id).await;
            assert_eq!(
                answer.status, 200,
                "acknowledged session {id} is missing: {}",
                answer.text
            );
            let body: Value = answer.json();
            assert_eq!(
                body["session"]["order_id"].as_str(),
                Some(reference.as_str()),
                "{body}"
            );
        }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill();
    }
}

/// `PRAGMA integrity_check` of the SQLite file at `url` (opened beside
/// whoever else has it open).
pub async fn integrity_check(url: &str) -> Vec<String> {
    use sea_orm::ConnectionTrait;
    let db = sea_orm::Database::connect(url).await.unwrap();
    let rows = db
        .query_all_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Sqlite,
            "PRAGMA integrity_check",
        ))
        .await
        .unwrap();
    let verdict = rows
        .iter()
        .map(|r| r.try_get_by_index::<String>(0).unwrap())
        .collect();
    db.close().await.unwrap();
    verdict
}

/// Runs `kassa args…` against the test's database and data folder.
pub async fn cli(db_url: &str, data: &Path, args: &[&str]) -> std::process::Output {
    let env = node_env(db_url, data);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    kassa(args, &env).await
}

#[actix_rt::test]
async fn a_second_server_on_the_same_sqlite_folder_refuses_to_start_and_a_killed_one_leaves_no_lock()
 {
    let (db, merchant) = sqlite_with_merchant().await;
    let data = tempfile::tempdir().unwrap();
    let mut first = Node::start(&db.url, data.path(), data.path()).await;

    // A second server on the same database: refused, non-zero, and it says why.
    let log = data.path().join("second.log");
    let mut second = serve_command(&db.url, data.path(), &log).spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = second.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = second.kill();
            panic!("the second server kept running beside the first");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let message = std::fs::read_to_string(&log).unwrap();
    assert!(!status.success(), "{message}");
    assert!(
        message.contains("only one server may run on a data folder")
            && message.contains(&format!("process {}", first.pid())),
        "{message}"
    );
    // The first one is untouched and still serves.
    assert!(
        first
            .try_create(&merchant, "still-here")
            .await
            .unwrap()
            .status
            == 200
    );

    // The CLI works beside the server.
    let migrate = cli(&db.url, data.path(), &["migrate"]).await;
    assert!(migrate.status.success(), "{}", stderr(&migrate));
    assert!(stdout(&migrate).contains("migrations applied"));

    // SIGKILL leaves no stale lock: a new server starts on the same folder.
    first.kill();
    let again = Node::start(&db.url, data.path(), data.path()).await;
    assert_eq!(
        again
            .try_create(&merchant, "after-kill")
            .await
            .unwrap()
            .status,
        200
    );
}
