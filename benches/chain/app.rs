//! The app under test: a live-mode Kassa on SQLite reading Anvil, with its
//! watcher idle between explicit `sync()` calls; merchant, sessions, copies.

use super::*;

/// The deposit wallet's phrase (not Anvil's dev accounts).
pub(crate) const WALLET_PHRASE: &str =
    "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
/// What each session expects, in USDC base units (10 USDC).
pub(crate) const EXPECTED_UNITS: u64 = 10_000_000;

/// The app's one gas account (a key of no Anvil dev account): benchmarks
/// that sweep fund it with POL.
#[allow(
    dead_code,
    reason = "the payouts benchmark funds it; the chain benchmark does not"
)]
pub(crate) const GAS_KEY: &str =
    "0x8f2a55949038a9610f50fb23b5883af3b4ecb3c3bb792cbcefbd1542c692be63";

/// A live-mode app reading `anvil`, with its watcher idle between explicit
/// `sync()` calls.
pub(crate) async fn start_app(
    anvil: &Anvil,
    token: Address,
    db: &std::path::Path,
    confirmations: u32,
    finality: &str,
    data_dir: &std::path::Path,
    payout_confirmations: u64,
) -> Running {
    start_app_with(
        anvil,
        token,
        db,
        confirmations,
        finality,
        data_dir,
        payout_confirmations,
        |_| {},
    )
    .await
}

/// [`start_app`] with `adjust` applied to the settings last (the payouts
/// benchmark turns EIP-3009 off there).
#[allow(
    clippy::too_many_arguments,
    reason = "start_app's arguments and the one tweak"
)]
pub(crate) async fn start_app_with(
    anvil: &Anvil,
    token: Address,
    db: &std::path::Path,
    confirmations: u32,
    finality: &str,
    data_dir: &std::path::Path,
    payout_confirmations: u64,
    adjust: impl FnOnce(&mut kassa::config::RawSettings),
) -> Running {
    let gas_keys = data_dir.join("gas.keys");
    std::fs::write(&gas_keys, GAS_KEY).unwrap();
    let secrets_key = data_dir.join("secrets.key");
    std::fs::write(&secrets_key, [7u8; 32]).unwrap();
    let mut raw = kassa::config::RawSettings {
        bind: "127.0.0.1:0".into(),
        data_dir: data_dir.display().to_string(),
        database_url: Some(format!("sqlite://{}?mode=rwc", db.display())),
        mode: "live".into(),
        secrets_key_file: Some(secrets_key.display().to_string()),
        wallet_mnemonic: Some(WALLET_PHRASE.into()),
        chain_rpc_url: Some(anvil.rpc_url()),
        usdc_contract: token.to_checksum(None),
        chain_id: 137,
        chain_poll_ms: 3_600_000,
        chain_head_lag_blocks: 0,
        chain_max_block_range: 1000,
        required_confirmations: confirmations,
        finality: finality.into(),
        expiry_sweep_interval_ms: 3_600_000,
        rate_limit_per_second: 10_000_000,
        rate_limit_burst: 10_000_000,
        payout_poll_ms: 3_600_000,
        gas_key_file: Some(gas_keys.display().to_string()),
        payout_confirmations,
        ..kassa::config::RawSettings::default()
    };
    adjust(&mut raw);
    let settings = kassa::config::Settings::check(raw).unwrap();
    let app = Application::build(settings, Arc::new(kassa::clock::SystemClock))
        .await
        .unwrap();
    let running = Running {
        address: app.address(),
        store: app.store().clone(),
        sessions: app.sessions().clone(),
        watch: app.chain_watch().clone(),
        payouts: app.payouts().clone(),
        server: app.server_handle(),
    };
    actix_web::rt::spawn(app.run_until_stopped());
    running
}

/// A started app, serving (its `/metrics` too) until `stop`.
pub(crate) struct Running {
    pub(crate) address: std::net::SocketAddr,
    pub(crate) store: kassa::store::Store,
    pub(crate) sessions: kassa::actors::handle::Sessions,
    pub(crate) watch: kassa::actors::chain_watcher::ChainWatch,
    #[allow(
        dead_code,
        reason = "the payouts benchmark steps it; the chain benchmark does not"
    )]
    pub(crate) payouts: kassa::actors::payout::Payouts,
    pub(crate) server: actix_web::dev::ServerHandle,
}

impl Running {
    pub(crate) fn chain_watch(&self) -> &kassa::actors::chain_watcher::ChainWatch {
        &self.watch
    }

    pub(crate) fn store(&self) -> &kassa::store::Store {
        &self.store
    }

    pub(crate) async fn stop(&self) {
        self.server.stop(false).await;
    }
}

pub(crate) async fn create_merchant(app: &Running) -> i64 {
    let key = kassa::domain::api_key::generate();
    app.store()
        .create_merchant(common::bench_merchant(&key, None), 0)
        .await
        .unwrap()
}

/// `n` sessions through `Sessions::create`, 1024 in flight: (id, deposit address).
pub(crate) async fn create_sessions(app: &Running, merchant: i64, n: usize) -> Vec<(i64, Address)> {
    use kassa::domain::money::{Currency, Money, UsdcAmount};
    let now = kassa::clock::Clock::now_ms(&kassa::clock::SystemClock);
    let usd = Currency::parse("USD").unwrap();
    let domain = kassa::domain::shop_domain::ShopDomain::parse("shop.example").unwrap();
    let sessions = app.sessions.clone();
    futures_util::stream::iter(0..n)
        .map(|i| {
            let sessions = sessions.clone();
            let new = NewSession {
                merchant_id: merchant,
                order_id: Some(format!("CHAIN-{i}")),
                amount: Money::from_minor(1000, usd),
                expected: UsdcAmount::from_units(EXPECTED_UNITS),
                shop_domain: domain.clone(),
                customer_email: None,
                return_url: None,
                cancel_url: None,
                webhook_url: None,
                meta: None,
                routing_hint: None,
                selected_provider: None,
                routing_reason: None,
                source: kassa::domain::session_source::SessionSource::Api,
                test: false,
                created_at_ms: now,
                expires_at_ms: now + 24 * 3600 * 1000,
            };
            async move {
                let record = sessions.create(new).await.unwrap();
                (record.id, record.deposit_address.address())
            }
        })
        .buffer_unordered(1024)
        .collect()
        .await
}

/// A consistent copy of the SQLite database at `from`.
pub(crate) async fn vacuum_into(from: &std::path::Path, to: &std::path::Path) {
    use sea_orm::sqlx::{AssertSqlSafe, Connection, Executor, SqliteConnection, raw_sql};
    let mut conn = SqliteConnection::connect(&format!("sqlite://{}", from.display()))
        .await
        .unwrap();
    conn.execute(raw_sql(AssertSqlSafe(format!(
        "VACUUM INTO '{}'",
        to.display()
    ))))
    .await
    .unwrap();
}
