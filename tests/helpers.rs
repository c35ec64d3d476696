//! Test harness: starts the real server in-process on a random port with a
//! fresh database (SQLite in a temp folder, or a PostgreSQL database created
//! for the test and dropped afterwards) and talks HTTP to it.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::Duration;

use kassa::clock::{ManualClock, SharedClock};
use kassa::config::{RawSettings, Settings};
use kassa::domain::api_key;
use kassa::domain::merchant::{CheckoutMode, Package};
use kassa::startup::Application;
use kassa::store::Store;
use kassa::store::merchants::NewMerchant;
use serde_json::{Value, json};

pub const WALLET: &str = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";
pub const TEST_PHRASE: &str = "test test test test test test test test test test test junk";
/// The secrets key every test server, CLI run and store handle shares, so
/// secrets sealed by one open in the others (nodes share theirs too).
pub const TEST_SECRETS_KEY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/secrets.test.key");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Whether every suite must run (CI): a missing prerequisite is then a failure.
pub fn require_all() -> bool {
    std::env::var("KASSA_TEST_REQUIRE_ALL").is_ok_and(|v| v == "1")
}

/// Skips (prints `skipped: …`) or, under `KASSA_TEST_REQUIRE_ALL=1`, fails.
pub fn skip(why: &str) {
    if require_all() {
        panic!("KASSA_TEST_REQUIRE_ALL=1 but this suite cannot run: {why}");
    }
    println!("skipped: {why}");
}

/// The PostgreSQL server URL for tests, if configured.
pub fn postgres_url() -> Option<String> {
    std::env::var("KASSA_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
}

/// A database made for one test.
pub struct TestDb {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    pg_drop: Option<(String, String)>,
}

impl TestDb {
    pub async fn new(backend: Backend) -> Option<TestDb> {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                let url = format!("sqlite://{}", dir.path().join("kassa.sqlite3").display());
                Some(TestDb {
                    url,
                    _dir: Some(dir),
                    pg_drop: None,
                })
            }
            Backend::Postgres => {
                let Some(admin) = postgres_url() else {
                    skip("KASSA_TEST_POSTGRES_URL is not set (PostgreSQL suite)");
                    return None;
                };
                let name = format!("kassa_test_{:016x}", rand::random::<u64>());
                pg_exec(&admin, &format!("CREATE DATABASE {name}")).await;
                let mut url = url::Url::parse(&admin).unwrap();
                url.set_path(&name);
                Some(TestDb {
                    url: url.to_string(),
                    _dir: None,
                    pg_drop: Some((admin, name)),
                })
            }
        }
    }
}

impl TestDb {
    /// The same PostgreSQL database for a second node: the first owner
    /// drops it, this one does not. (SQLite tests run one node.)
    pub fn shared(&self) -> TestDb {
        TestDb {
            url: self.url.clone(),
            _dir: None,
            pg_drop: None,
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin, name)) = self.pg_drop.take() {
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(pg_exec(
                    &admin,
                    &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
                ));
            })
            .join();
        }
    }
}

async fn pg_exec(admin_url: &str, sql: &str) {
    use sea_orm::sqlx::{Connection, Executor, PgConnection};
    let mut conn = PgConnection::connect(admin_url)
        .await
        .expect("connecting to KASSA_TEST_POSTGRES_URL");
    let statement = sea_orm::sqlx::raw_sql(sea_orm::sqlx::AssertSqlSafe(sql.to_string()));
    conn.execute(statement)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    let _ = conn.close().await;
}

/// Test settings: random port, fast expiry sweep, generous rate limit, and
/// wide doors with a long queue: the suites that fire a thousand creates at
/// once prove correctness under concurrency, and a debug build is slow
/// enough to be shed at the defaults (`tests/overload.rs` proves shedding).
pub fn settings(db_url: &str, data_dir: &std::path::Path) -> RawSettings {
    RawSettings {
        bind: "127.0.0.1:0".into(),
        data_dir: data_dir.display().to_string(),
        database_url: Some(db_url.to_string()),
        wallet_mnemonic: Some(TEST_PHRASE.into()),
        expiry_sweep_interval_ms: 50,
        // Payouts move only when a test runs a step (`payouts.run()`), so
        // no test sees a `payout_sent` it did not ask for.
        payout_poll_ms: 3_600_000,
        rate_limit_per_second: 100_000,
        rate_limit_burst: 100_000,
        api_create_concurrency: 4096,
        api_status_concurrency: 4096,
        api_queue_ms: 60_000,
        db_acquire_timeout_ms: 3000,
        secrets_key_file: Some(TEST_SECRETS_KEY.into()),
        // One name for every test server, so a server restarted on the
        // same database (on a new port) takes the chain lease back at once.
        node_id: Some("test-node".into()),
        ..RawSettings::default()
    }
}

/// A merchant created for a test, with its plain API key.
#[derive(Debug, Clone)]
pub struct TestMerchant {
    pub id: i64,
    pub api_key: String,
    pub webhook_secret: String,
}

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub clock: Arc<ManualClock>,
    pub store: Store,
    pub merchant: TestMerchant,
    pub app_handle: actix_web::dev::ServerHandle,
    pub sessions: kassa::actors::handle::Sessions,
    /// The chain watcher: `sync()` runs one step and waits for its commits.
    pub chain: kassa::actors::chain_watcher::ChainWatch,
    /// The payout actor: `run()` makes one step.
    pub payouts: kassa::actors::payout::Payouts,
    /// "Last used" recorder: `flush()` writes the recorded uses now.
    pub key_uses: kassa::actors::key_usage::KeyUses,
    /// This node's cache of authenticated keys (revoke through it).
    pub auth_cache: Arc<kassa::http::auth_cache::AuthCache>,
    /// This node's hold on the chain leader's lease.
    pub leadership: kassa::actors::leadership::Leadership,
    pub db: TestDb,
    _data_dir: tempfile::TempDir,
}

/// Starts the app on `backend` with default test settings; `None` when the backend is skipped.
pub async fn spawn_app(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, |_| {}).await
}

/// Starts the app after `tweak` adjusts the settings.
pub async fn spawn_app_with(
    backend: Backend,
    tweak: impl FnOnce(&mut RawSettings),
) -> Option<TestApp> {
    let db = TestDb::new(backend).await?;
    Some(spawn_on(db, tweak).await)
}

/// A test app started with `initial` as its `routing_file` (imported into
/// the empty database at start) and the routing version polled every
/// 100 ms; keep the returned folder alive while the app runs.
pub async fn spawn_app_with_routing_file(
    initial: &str,
) -> Option<(TestApp, std::path::PathBuf, tempfile::TempDir)> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("routing.toml");
    std::fs::write(&file, initial).unwrap();
    let path = file.display().to_string();
    let app = spawn_app_with(Backend::Sqlite, |s| {
        s.routing_file = Some(path);
        s.routing_reload_ms = 100;
    })
    .await?;
    Some((app, file, dir))
}

/// The routing functions' scope over `store` (sandbox mode, no credentials
/// from configuration).
pub fn routing_scope(store: &Store) -> kassa::app::routing_admin::RoutingScope<'_> {
    static NO_ONRAMP: std::sync::OnceLock<kassa::providers::credentials::OnrampSettings> =
        std::sync::OnceLock::new();
    kassa::app::routing_admin::RoutingScope {
        store,
        sandbox: true,
        onramp: NO_ONRAMP.get_or_init(Default::default),
    }
}

/// Makes `text` (a routing file) the live routing, as `kassa routing import` does.
pub async fn import_routing(app: &TestApp, text: &str) -> i64 {
    kassa::app::routing_admin::import(
        &routing_scope(&app.store),
        kassa::domain::audit::AuditActor::Cli,
        0,
        text,
    )
    .await
    .unwrap()
}

/// Starts the app on an existing test database.
pub async fn spawn_on(db: TestDb, tweak: impl FnOnce(&mut RawSettings)) -> TestApp {
    kassa::telemetry::init_for_tests();
    let _ = rustls::crypto::ring::default_provider().install_default();
    let data_dir = tempfile::tempdir().unwrap();
    let mut raw = settings(&db.url, data_dir.path());
    tweak(&mut raw);
    let settings = Settings::check(raw).unwrap();
    let clock = ManualClock::new();
    let shared: SharedClock = clock.clone();
    let app = Application::build(settings, shared)
        .await
        .expect("the application starts");
    let base = format!("http://127.0.0.1:{}", app.port());
    let store = app.store().clone();
    let sessions = app.sessions().clone();
    let chain = app.chain_watch().clone();
    let payouts = app.payouts().clone();
    let key_uses = app.key_uses().clone();
    let auth_cache = app.auth_cache().clone();
    let leadership = app.leadership().clone();
    let app_handle = app.server_handle();
    actix_web::rt::spawn(app.run_until_stopped());
    let merchant = create_merchant(&store, MerchantSpec::default()).await;
    TestApp {
        base,
        client: reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap(),
        clock,
        store,
        merchant,
        app_handle,
        sessions,
        chain,
        payouts,
        key_uses,
        auth_cache,
        leadership,
        db,
        _data_dir: data_dir,
    }
}

/// A migrated [`Store`] over a test database, without a server (several may
/// share one database, as nodes do).
/// Sessions stored, of every status.
pub async fn stored_sessions(store: &Store) -> u64 {
    store
        .count_by_status()
        .await
        .unwrap()
        .iter()
        .map(|(_, n)| n)
        .sum()
}

pub async fn open_store(db: &TestDb) -> Store {
    let store = Store::connect(&kassa::store::DatabaseSettings {
        url: db.url.clone(),
        max_connections: 4,
        acquire_timeout: Duration::from_secs(10),
        session_cache_ttl: Duration::ZERO,
        sqlite_cache_mb: kassa::store::DEFAULT_SQLITE_CACHE_MB,
        secrets_key: test_secrets_key(),
    })
    .await
    .unwrap();
    store.migrate().await.unwrap();
    store
}

/// [`TEST_SECRETS_KEY`] as the store takes it.
pub fn test_secrets_key() -> kassa::store::secrets_key::SecretsKeySource {
    kassa::store::secrets_key::SecretsKeySource::File(TEST_SECRETS_KEY.into())
}

/// What a test merchant looks like.
#[derive(Debug, Clone)]
pub struct MerchantSpec {
    pub domains: Vec<String>,
    pub payout_wallet: Option<String>,
    pub package: Package,
    pub checkout_mode: CheckoutMode,
    pub country: Option<String>,
}

impl Default for MerchantSpec {
    fn default() -> Self {
        Self {
            domains: vec!["shop.example".into(), "xn--bcher-kva.example".into()],
            payout_wallet: Some(WALLET.into()),
            package: Package::Pro,
            checkout_mode: CheckoutMode::SmartRouter,
            country: Some("NL".into()),
        }
    }
}

/// A merchant e-mail address no other test merchant has (addresses are unique).
pub fn next_merchant_email() -> String {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("merchant-{n}@shop.example")
}

pub async fn create_merchant(store: &Store, spec: MerchantSpec) -> TestMerchant {
    let key = api_key::generate();
    let secret = api_key::new_webhook_secret();
    let id = store
        .create_merchant(
            NewMerchant {
                email: next_merchant_email(),
                api_key_id: key.id.clone(),
                api_key_hash: key.hash.clone(),
                domains: spec.domains,
                payout_wallet: spec.payout_wallet,
                package: spec.package,
                checkout_mode: spec.checkout_mode,
                country: spec.country,
                crypto_enabled: true,
                webhook_url: None,
                webhook_secret: Some(secret.clone()),
                branding: kassa::domain::branding::Branding::named(
                    kassa::domain::branding::DisplayName::parse("Test Shop").unwrap(),
                ),
                password_hash: None,
            },
            0,
        )
        .await
        .unwrap();
    TestMerchant {
        id,
        api_key: key.key,
        webhook_secret: secret,
    }
}

/// What `/readyz` of the server at `base` answers; `None` while it does not.
pub async fn readyz(client: &reqwest::Client, base: &str) -> Option<Value> {
    let answer = client.get(format!("{base}/readyz")).send().await.ok()?;
    answer.json().await.ok()
}

/// The names (`KASSA_NODE_ID`) of the servers at `bases` whose `/readyz`
/// says they lead.
pub async fn leaders(client: &reqwest::Client, bases: &[&str]) -> Vec<String> {
    let mut leading = Vec::new();
    for base in bases {
        if let Some(ready) = readyz(client, base).await
            && ready["leader"].as_bool() == Some(true)
        {
            leading.push(ready["node"].as_str().unwrap_or_default().to_string());
        }
    }
    leading
}

/// Polls until exactly one of the servers at `bases` leads: its name, and
/// how long that took.
pub async fn one_leader(
    client: &reqwest::Client,
    bases: &[&str],
    within: Duration,
) -> (String, Duration) {
    let started = std::time::Instant::now();
    loop {
        let leading = leaders(client, bases).await;
        if let [leader] = leading.as_slice() {
            return (leader.clone(), started.elapsed());
        }
        assert!(
            started.elapsed() < within,
            "no single leader within {within:?}: {leading:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Sends `merchant_id`'s webhooks to `url` (a test receiver).
pub async fn point_merchant_at(app: &TestApp, merchant_id: i64, url: &str) {
    send_webhooks_to(&app.store, merchant_id, url).await;
}

/// Sends `merchant_id`'s webhooks to `url`, through any store on the
/// database (a server in another process reads it from there).
pub async fn send_webhooks_to(store: &Store, merchant_id: i64, url: &str) {
    let update = kassa::store::merchants::MerchantUpdate {
        webhook_url: Some(url.to_string()),
        ..Default::default()
    };
    assert!(
        store.update_merchant(merchant_id, update, 0).await.unwrap(),
        "merchant {merchant_id} exists"
    );
}

/// Imports a routing in which `merchant_id` may not use `provider`.
pub async fn block_provider_for(app: &TestApp, merchant_id: i64, provider: &str) {
    import_routing(
        app,
        &format!("[merchants.{merchant_id}]\nblock_providers = [\"{provider}\"]\n"),
    )
    .await;
}

/// A valid create body.
pub fn order(reference: &str) -> Value {
    json!({
        "domain": "shop.example",
        "merchant_ref": reference,
        "amount": "79.00",
        "currency": "EUR",
        "customer_email": "buyer@example.com",
        "return_url": "https://shop.example/thank-you",
        "cancel_url": "https://shop.example/checkout",
    })
}

/// An HTTP answer, read whole.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    pub fn error_code(&self) -> String {
        self.json()["error"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }
}

pub async fn read(response: reqwest::Response) -> Answer {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    Answer {
        status,
        headers,
        text,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// `POST /gateway/session.php` as the test merchant.
    pub async fn create_session(&self, body: &Value) -> Answer {
        self.create_session_as(&self.merchant.api_key, body).await
    }

    pub async fn create_session_as(&self, key: &str, body: &Value) -> Answer {
        self.create_session_raw(key, body.to_string(), None).await
    }

    pub async fn create_session_raw(
        &self,
        key: &str,
        body: String,
        idempotency_key: Option<&str>,
    ) -> Answer {
        let mut req = self
            .client
            .post(self.url("/gateway/session.php"))
            .bearer_auth(key)
            .header("content-type", "application/json")
            .body(body);
        if let Some(k) = idempotency_key {
            req = req.header("Idempotency-Key", k);
        }
        read(req.send().await.unwrap()).await
    }

    /// Creates a session and returns its id (asserting success).
    pub async fn new_session(&self, reference: &str) -> i64 {
        let answer = self.create_session(&order(reference)).await;
        assert_eq!(answer.status, 200, "{}", answer.text);
        answer.json()["session_id"].as_i64().unwrap()
    }

    /// `GET /gateway/session_status.php?{query}` as the test merchant.
    pub async fn status(&self, query: &str) -> Answer {
        self.status_as(&self.merchant.api_key, query).await
    }

    pub async fn status_as(&self, key: &str, query: &str) -> Answer {
        let req = self
            .client
            .get(self.url(&format!("/gateway/session_status.php?{query}")))
            .header("X-API-Key", key);
        read(req.send().await.unwrap()).await
    }

    /// The session's status string.
    pub async fn session_status(&self, id: i64) -> String {
        self.status(&format!("session_id={id}")).await.json()["session"]["status"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// `GET /gateway/me.php`.
    pub async fn me(&self) -> Answer {
        self.me_as(&self.merchant.api_key).await
    }

    /// `GET /gateway/me.php` with `key`.
    pub async fn me_as(&self, key: &str) -> Answer {
        read(
            self.client
                .get(self.url("/gateway/me.php"))
                .bearer_auth(key)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// `POST /sandbox/pay`.
    pub async fn sandbox_pay(&self, body: Value) -> Answer {
        read(
            self.client
                .post(self.url("/sandbox/pay"))
                .json(&body)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    pub async fn get(&self, path: &str) -> Answer {
        read(self.client.get(self.url(path)).send().await.unwrap()).await
    }

    /// Polls until the session has `status` (the expiry sweep runs every 50 ms).
    pub async fn wait_for_status(&self, id: i64, status: &str) {
        for _ in 0..200 {
            if self.session_status(id).await == status {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!(
            "session {id} never became {status}; it is {}",
            self.session_status(id).await
        );
    }

    pub async fn stop(self) {
        self.stop_keeping_db().await;
    }

    /// Stops the server and closes its database pool (its actors can no
    /// longer write), and hands the database back for `spawn_on`.
    pub async fn stop_keeping_db(self) -> TestDb {
        self.app_handle.stop(false).await;
        self.store.clone().close().await;
        self.db
    }

    /// Pays `units` to a session's deposit address from `from` on the
    /// sandbox ledger (the faucet funds `from` first), with its confirming
    /// blocks, and waits for the chain watcher's step to commit it.
    pub async fn chain_pay(
        &self,
        session_id: i64,
        units: u64,
        from: &str,
    ) -> kassa::chain::source::TransferLog {
        use kassa::chain::ledger::{FINALITY_DEPTH, SANDBOX_PAYER, SandboxLedger};
        let ledger = SandboxLedger::new(self.store.clone(), FINALITY_DEPTH, self.clock.clone());
        let token: alloy_primitives::Address = kassa::config::USDC_POLYGON.parse().unwrap();
        let from: alloy_primitives::Address = from.parse().unwrap();
        let to = self
            .store
            .session(session_id)
            .await
            .unwrap()
            .unwrap()
            .deposit_address
            .address();
        if from != SANDBOX_PAYER {
            ledger
                .transfer(token, SANDBOX_PAYER, from, units)
                .await
                .unwrap();
        }
        let log = ledger
            .transfer_confirmed(token, from, to, units, 14)
            .await
            .unwrap();
        self.chain.sync().await.unwrap();
        log
    }
}

/// Declares a test that runs once on SQLite and once on PostgreSQL.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[actix_web::test]
                async fn sqlite() {
                    super::$name($crate::helpers::Backend::Sqlite).await
                }
                #[actix_web::test]
                async fn postgres() {
                    super::$name($crate::helpers::Backend::Postgres).await
                }
            }
        )*
    };
}

/// Live mode with a chain node that is not there (nothing in these tests
/// reads the chain): the gateway starts and its watcher keeps retrying.
pub fn go_live(s: &mut RawSettings) {
    s.mode = "live".into();
    s.chain_rpc_url = Some("http://127.0.0.1:9".into());
    let keys = std::path::Path::new(&s.data_dir).join("gas.keys");
    std::fs::write(
        &keys,
        "0x8f2a55949038a9610f50fb23b5883af3b4ecb3c3bb792cbcefbd1542c692be63",
    )
    .unwrap();
    s.gas_key_file = Some(keys.display().to_string());
}

/// Runs `kassa args…` with `env` off the test thread (the server under test
/// shares this thread, so blocking it would stall the server).
pub async fn kassa(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    actix_web::rt::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_kassa"))
            .args(&args)
            .env_remove("KASSA_TEST_POSTGRES_URL")
            .env_remove("KASSA_TEST_REQUIRE_ALL")
            .env("KASSA_SECRETS_KEY_FILE", TEST_SECRETS_KEY)
            .envs(env)
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

/// Runs the `kassa` binary with `input` on its standard input.
pub async fn kassa_with_stdin(
    args: &[&str],
    env: &[(&str, &str)],
    input: &str,
) -> std::process::Output {
    use std::io::Write;
    use std::process::Stdio;
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let input = input.to_string();
    actix_web::rt::task::spawn_blocking(move || {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_kassa"))
            .args(&args)
            .env_remove("KASSA_TEST_POSTGRES_URL")
            .env_remove("KASSA_TEST_REQUIRE_ALL")
            .env("KASSA_SECRETS_KEY_FILE", TEST_SECRETS_KEY)
            .envs(env)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap()
}

pub fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string()
}

pub fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

/// Runs `sql` on the test database behind the app's back (tests that
/// tamper with the books to prove a check catches it).
pub async fn raw_sql(db_url: &str, sql: &str) {
    use sea_orm::ConnectionTrait;
    let db = sea_orm::Database::connect(db_url).await.unwrap();
    db.execute_unprepared(sql).await.unwrap();
    db.close().await.unwrap();
}
