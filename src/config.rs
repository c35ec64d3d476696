//! Configuration: an optional `kassa.toml` plus `KASSA_*` environment
//! variables, read once at start and turned into checked types.
//!
//! A bad value fails here, with a message naming the setting; nothing past
//! this module re-checks configuration. Secrets are wrapped so they never
//! reach a log line.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use rust_decimal::Decimal;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

mod dashboard;

use crate::app::accounts::AccountSettings;
use crate::chain::settings::{
    ChainSettings, Eip3009, Finality, GasKeySource, POLYGON_CHAIN_ID, PayoutSettings,
    WalletSecretSource,
};
use crate::domain::money::Currency;
use crate::domain::payout_wallet::ChangeRules;
use crate::domain::wallet::WalletAddress;
use crate::providers::credentials::{OnrampSettings, RawOnramp};
use crate::store::DatabaseSettings;
use crate::store::secrets_key::SecretsKeySource;

/// Sandbox (in-process ledger, simulated payments) or live (real chain).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Sandbox,
    Live,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Sandbox => "sandbox",
            Mode::Live => "live",
        }
    }
}

/// The settings as written by the operator, before any check.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RawSettings {
    pub bind: String,
    pub data_dir: String,
    pub database_url: Option<String>,
    pub public_url: Option<String>,
    pub mode: String,
    pub session_lifetime_secs: u64,
    pub grace_period_secs: u64,
    pub max_amount: String,
    pub underpayment_tolerance_usdc: String,
    pub required_confirmations: u32,
    pub rate_limit_per_second: u32,
    pub rate_limit_burst: u32,
    pub meta_max_bytes: usize,
    pub wallet_mnemonic: Option<String>,
    pub wallet_mnemonic_file: Option<String>,
    pub expiry_sweep_interval_ms: u64,
    pub db_max_connections: u32,
    pub db_acquire_timeout_ms: u64,
    pub sqlite_cache_mb: u64,
    pub create_batch_max: usize,
    pub api_create_concurrency: usize,
    pub api_status_concurrency: usize,
    pub api_queue_ms: u64,
    pub session_idle_secs: u64,
    pub smart_router_enabled: bool,
    pub auth_cache_ttl_ms: u64,
    pub session_cache_ttl_ms: u64,
    pub routing_file: Option<String>,
    pub routing_reload_ms: u64,
    pub provider_cooldown_secs: u64,
    pub page_secret: Option<String>,
    pub secrets_key_file: Option<String>,
    pub webhook_timeout_secs: u64,
    pub webhook_endpoint_concurrency: usize,
    pub webhook_tick_ms: u64,
    pub webhook_allow_private: bool,
    pub country_header: String,
    pub usdc_contract: String,
    pub chain_rpc_url: Option<String>,
    pub chain_id: u64,
    pub chain_poll_ms: u64,
    pub chain_head_lag_blocks: u64,
    pub chain_max_block_range: u64,
    pub finality: String,
    pub large_payment_usdc: String,
    pub gas_key_file: Option<String>,
    pub fee_wallet: Option<String>,
    pub platform_fee_bps: u32,
    pub payout_confirmations: u64,
    pub payout_stuck_blocks: u64,
    pub min_priority_fee_gwei: String,
    pub token_eip3009: String,
    pub gas_low_pol: String,
    pub payout_poll_ms: u64,
    /// `None`: 24 in live mode, 0 in sandbox.
    pub payout_wallet_cooloff_hours: Option<u64>,
    pub rates: BTreeMap<String, String>,
    pub onramp: RawOnramp,
    pub signup: Option<String>,
    pub trusted_proxies: String,
    pub dashboard_idle_minutes: u64,
    pub dashboard_session_hours: u64,
    /// `None`: the host name and the bound port.
    pub node_id: Option<String>,
    pub leader_lease_ms: u64,
}

impl Default for RawSettings {
    fn default() -> Self {
        Self {
            bind: "127.0.0.1:8080".into(),
            data_dir: "kassa-data".into(),
            database_url: None,
            public_url: None,
            mode: "sandbox".into(),
            session_lifetime_secs: 15 * 60,
            grace_period_secs: 60 * 60,
            max_amount: "1000000".into(),
            underpayment_tolerance_usdc: "0.01".into(),
            required_confirmations: 12,
            rate_limit_per_second: 50,
            rate_limit_burst: 100,
            meta_max_bytes: 8 * 1024,
            wallet_mnemonic: None,
            wallet_mnemonic_file: None,
            expiry_sweep_interval_ms: 1000,
            db_max_connections: 16,
            sqlite_cache_mb: crate::store::DEFAULT_SQLITE_CACHE_MB,
            db_acquire_timeout_ms: 2000,
            create_batch_max: 256,
            api_create_concurrency: 128,
            api_status_concurrency: 256,
            api_queue_ms: 250,
            session_idle_secs: 300,
            smart_router_enabled: true,
            auth_cache_ttl_ms: 1000,
            session_cache_ttl_ms: 1000,
            routing_file: None,
            routing_reload_ms: 1000,
            provider_cooldown_secs: 300,
            page_secret: None,
            secrets_key_file: None,
            webhook_timeout_secs: 15,
            webhook_endpoint_concurrency: 8,
            webhook_tick_ms: 1000,
            webhook_allow_private: false,
            country_header: "CF-IPCountry".into(),
            usdc_contract: USDC_POLYGON.into(),
            chain_rpc_url: None,
            chain_id: POLYGON_CHAIN_ID,
            chain_poll_ms: 2000,
            chain_head_lag_blocks: 2,
            chain_max_block_range: 1000,
            finality: "finalized".into(),
            large_payment_usdc: "1000".into(),
            gas_key_file: None,
            fee_wallet: None,
            platform_fee_bps: 0,
            payout_confirmations: 64,
            payout_stuck_blocks: 30,
            min_priority_fee_gwei: "30".into(),
            token_eip3009: "auto".into(),
            gas_low_pol: "5".into(),
            payout_poll_ms: 2000,
            payout_wallet_cooloff_hours: None,
            rates: default_rates(),
            onramp: RawOnramp::default(),
            signup: None,
            trusted_proxies: String::new(),
            dashboard_idle_minutes: 30,
            dashboard_session_hours: 12,
            node_id: None,
            leader_lease_ms: 5000,
        }
    }
}

/// Native USDC on Polygon PoS (chain 137).
pub const USDC_POLYGON: &str = "0x3c499c542cEF5E3811e1192ce70d8cC03d5c3359";

/// Indicative USDC per unit of each currency, used in sandbox and as the
/// starting table in live mode (operators override them in `[rates]`).
fn default_rates() -> BTreeMap<String, String> {
    [
        ("USD", "1"),
        ("EUR", "1.08"),
        ("GBP", "1.27"),
        ("CHF", "1.13"),
        ("CAD", "0.73"),
        ("AUD", "0.66"),
        ("JPY", "0.0067"),
        ("SEK", "0.095"),
        ("NOK", "0.093"),
        ("DKK", "0.145"),
        ("PLN", "0.25"),
        ("CZK", "0.043"),
        ("KWD", "3.25"),
    ]
    .into_iter()
    .map(|(c, r)| (c.to_string(), r.to_string()))
    .collect()
}

/// Checked configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    pub bind: SocketAddr,
    pub data_dir: PathBuf,
    pub database: DatabaseSettings,
    /// Base of `checkout_url`; `None` means "derive from the bound address".
    pub public_url: Option<String>,
    pub mode: Mode,
    pub session_lifetime: Duration,
    pub grace_period: Duration,
    pub max_amount: Decimal,
    /// Underpayments smaller than this many USDC base units still count as paid.
    pub underpayment_tolerance_units: u64,
    pub rate_limit_per_second: u32,
    pub rate_limit_burst: u32,
    pub meta_max_bytes: usize,
    /// The node, the token, confirmations and finality, the wallet secret.
    pub chain: ChainSettings,
    /// Gas accounts, the platform fee, and when a deposit is swept.
    pub payouts: PayoutSettings,
    /// How long a payout wallet change waits before it takes effect.
    pub wallet_change: ChangeRules,
    pub expiry_sweep_interval: Duration,
    pub create_batch_max: usize,
    /// Session creations handled at once; more wait at most `api_queue`.
    pub api_create_concurrency: usize,
    /// Status lookups handled at once; more wait at most `api_queue`.
    pub api_status_concurrency: usize,
    /// How long a request waits for a place before it is shed with a 503.
    pub api_queue: Duration,
    pub session_idle: Duration,
    /// The global Smart Routing switch.
    pub smart_router_enabled: bool,
    /// A webhook answer slower than this is a failed attempt.
    pub webhook_timeout: Duration,
    /// Deliveries in flight at once per endpoint.
    pub webhook_endpoint_concurrency: usize,
    /// How often due retries are looked for (new events wake the sender at once).
    pub webhook_tick: Duration,
    /// Allow loopback/private webhook targets (development and tests only).
    pub webhook_allow_private: bool,
    /// How long an authenticated API key is trusted without a database read.
    pub auth_cache_ttl: Duration,
    /// USDC per unit of fiat, by upper-case currency code.
    pub rates: BTreeMap<&'static str, Decimal>,
    /// A routing file imported at start while the database holds no
    /// routing yet (never read again after that).
    pub routing_file: Option<PathBuf>,
    /// How often the routing version in the database is polled.
    pub routing_reload: Duration,
    /// How long a provider that failed to build its URL is passed over.
    pub provider_cooldown: Duration,
    /// The page-token key; `None`: generated into `page_secret_file`.
    pub page_secret: Option<SecretString>,
    pub page_secret_file: PathBuf,
    /// Request header a trusted edge (CDN, proxy) sets to the customer's
    /// country (lower case); `None`: no such edge, never read it.
    pub country_header: Option<String>,
    pub onramp: OnrampSettings,
    /// The merchant dashboard's accounts.
    pub accounts: AccountSettings,
    /// This node's name among the nodes of one database; `None`: the host
    /// name and the bound port (known only once bound).
    pub node_id: Option<String>,
    /// How long the chain leader's lease lasts without a renewal: the
    /// longest a dead leader holds up the chain watcher and payouts.
    pub leader_lease: Duration,
}

impl Settings {
    /// Reads `kassa.toml` (or `config_path`) and `KASSA_*` variables, then checks them.
    pub fn load(config_path: Option<&Path>) -> anyhow::Result<Settings> {
        let mut figment = Figment::from(Serialized::defaults(RawSettings::default()));
        match config_path {
            Some(path) => {
                if !path.exists() {
                    bail!("configuration file {} does not exist", path.display());
                }
                figment = figment.merge(Toml::file(path));
            }
            None => figment = figment.merge(Toml::file("kassa.toml")),
        }
        // KASSA_TEST_* belong to the test suite, KASSA_CONFIG and KASSA_LOG to main.
        let figment = figment.merge(Env::prefixed("KASSA_").split("__").filter(|key| {
            let key = key.as_str().to_ascii_lowercase();
            !key.starts_with("test_") && !matches!(key.as_str(), "config" | "log")
        }));
        let raw: RawSettings = figment
            .extract()
            .map_err(|e| anyhow!("invalid configuration: {e}"))?;
        Self::check(raw)
    }

    /// Turns raw settings into checked ones; every error names its setting.
    pub fn check(raw: RawSettings) -> anyhow::Result<Settings> {
        let bind: SocketAddr = raw.bind.parse().with_context(|| {
            format!(
                "setting `bind` (KASSA_BIND): `{}` is not an address like 127.0.0.1:8080",
                raw.bind
            )
        })?;
        let mode = match raw.mode.as_str() {
            "sandbox" => Mode::Sandbox,
            "live" => Mode::Live,
            other => {
                bail!("setting `mode` (KASSA_MODE): `{other}` is neither `sandbox` nor `live`")
            }
        };
        let data_dir = PathBuf::from(&raw.data_dir);
        let chain = check_chain(&raw, mode, &data_dir)?;
        let payouts = check_payouts(&raw, mode, &data_dir)?;
        let accounts = dashboard::check(&raw, mode, raw.public_url.as_deref())?;
        let wallet_change = check_wallet_change(&raw, mode)?;
        let database_url = match raw.database_url.as_deref().filter(|u| !u.is_empty()) {
            Some(url) => {
                if !(url.starts_with("postgres://")
                    || url.starts_with("postgresql://")
                    || url.starts_with("sqlite:"))
                {
                    bail!(
                        "setting `database_url` (KASSA_DATABASE_URL): expected postgres://… or sqlite:…"
                    );
                }
                url.to_string()
            }
            None => format!("sqlite://{}", data_dir.join("kassa.sqlite3").display()),
        };
        let public_url = match raw.public_url.filter(|u| !u.is_empty()) {
            Some(u) => {
                let parsed = url::Url::parse(&u).with_context(|| {
                    format!("setting `public_url` (KASSA_PUBLIC_URL): `{u}` is not a URL")
                })?;
                if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
                    bail!("setting `public_url` (KASSA_PUBLIC_URL): `{u}` must be an http(s) URL");
                }
                Some(u.trim_end_matches('/').to_string())
            }
            None => None,
        };
        let max_amount: Decimal = raw
            .max_amount
            .parse()
            .ok()
            .filter(|d: &Decimal| *d > Decimal::ZERO)
            .ok_or_else(|| {
                anyhow!(
                    "setting `max_amount` (KASSA_MAX_AMOUNT): `{}` is not a positive number",
                    raw.max_amount
                )
            })?;
        let tolerance: Decimal = raw
            .underpayment_tolerance_usdc
            .parse()
            .ok()
            .filter(|d: &Decimal| *d >= Decimal::ZERO && d.scale() <= 6)
            .ok_or_else(|| {
                anyhow!(
                    "setting `underpayment_tolerance_usdc`: `{}` is not a USDC amount",
                    raw.underpayment_tolerance_usdc
                )
            })?;
        let underpayment_tolerance_units = usdc_units(tolerance)
            .ok_or_else(|| anyhow!("setting `underpayment_tolerance_usdc` is too large"))?;
        let mut rates = BTreeMap::new();
        for (code, rate) in &raw.rates {
            let currency = Currency::parse(code).map_err(|_| {
                anyhow!("setting `rates.{code}`: `{code}` is not an ISO 4217 currency")
            })?;
            let rate: Decimal = rate
                .parse()
                .ok()
                .filter(|d: &Decimal| *d > Decimal::ZERO)
                .ok_or_else(|| {
                    anyhow!("setting `rates.{code}`: `{rate}` is not a positive number")
                })?;
            rates.insert(currency.code(), rate);
        }
        rates.insert("USD", Decimal::ONE);
        let onramp = raw.onramp.check().map_err(|e| anyhow!(e))?;
        let secrets_key = check_secrets_key(raw.secrets_key_file.as_deref(), mode, &data_dir)?;

        if raw.rate_limit_per_second == 0 {
            bail!("setting `rate_limit_per_second` must be at least 1");
        }
        if raw.session_lifetime_secs < 60 {
            bail!("setting `session_lifetime_secs` must be at least 60");
        }
        if raw.create_batch_max == 0 {
            bail!("setting `create_batch_max` must be at least 1");
        }
        if raw.api_create_concurrency == 0 || raw.api_status_concurrency == 0 {
            bail!(
                "settings `api_create_concurrency` and `api_status_concurrency` must be at least 1"
            );
        }
        if raw.db_max_connections == 0 {
            bail!("setting `db_max_connections` must be at least 1");
        }
        if raw.sqlite_cache_mb < 8 {
            bail!(
                "setting `sqlite_cache_mb` (KASSA_SQLITE_CACHE_MB): {} is below the least of 8",
                raw.sqlite_cache_mb
            );
        }
        let page_secret = raw
            .page_secret
            .filter(|s| !s.trim().is_empty())
            .map(SecretString::from);
        let page_secret_file = data_dir.join("page.secret");
        let country_header =
            Some(raw.country_header.trim().to_ascii_lowercase()).filter(|h| !h.is_empty());
        if let Some(h) = &country_header
            && !h
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            bail!("setting `country_header` (KASSA_COUNTRY_HEADER): `{h}` is not a header name");
        }
        let node_id = check_node_id(raw.node_id.as_deref())?;
        if !(MIN_LEADER_LEASE_MS..=MAX_LEADER_LEASE_MS).contains(&raw.leader_lease_ms) {
            bail!(
                "setting `leader_lease_ms` (KASSA_LEADER_LEASE_MS): {} is not between {MIN_LEADER_LEASE_MS} and {MAX_LEADER_LEASE_MS}",
                raw.leader_lease_ms
            );
        }
        Ok(Settings {
            bind,
            data_dir,
            database: DatabaseSettings {
                url: database_url,
                max_connections: raw.db_max_connections,
                acquire_timeout: Duration::from_millis(raw.db_acquire_timeout_ms.max(100)),
                session_cache_ttl: Duration::from_millis(raw.session_cache_ttl_ms),
                sqlite_cache_mb: raw.sqlite_cache_mb,
                secrets_key,
            },
            public_url,
            mode,
            session_lifetime: Duration::from_secs(raw.session_lifetime_secs),
            grace_period: Duration::from_secs(raw.grace_period_secs),
            max_amount,
            underpayment_tolerance_units,
            rate_limit_per_second: raw.rate_limit_per_second,
            rate_limit_burst: raw.rate_limit_burst.max(1),
            meta_max_bytes: raw.meta_max_bytes,
            chain,
            payouts,
            wallet_change,
            expiry_sweep_interval: Duration::from_millis(raw.expiry_sweep_interval_ms.max(10)),
            create_batch_max: raw.create_batch_max,
            api_create_concurrency: raw.api_create_concurrency,
            api_status_concurrency: raw.api_status_concurrency,
            api_queue: Duration::from_millis(raw.api_queue_ms),
            session_idle: Duration::from_secs(raw.session_idle_secs.max(1)),
            smart_router_enabled: raw.smart_router_enabled,
            auth_cache_ttl: Duration::from_millis(raw.auth_cache_ttl_ms),
            webhook_timeout: Duration::from_secs(raw.webhook_timeout_secs.max(1)),
            webhook_endpoint_concurrency: raw.webhook_endpoint_concurrency.max(1),
            webhook_tick: Duration::from_millis(raw.webhook_tick_ms.max(10)),
            webhook_allow_private: raw.webhook_allow_private,
            rates,
            routing_file: raw
                .routing_file
                .filter(|f| !f.trim().is_empty())
                .map(PathBuf::from),
            routing_reload: Duration::from_millis(raw.routing_reload_ms.max(100)),
            provider_cooldown: Duration::from_secs(raw.provider_cooldown_secs),
            page_secret,
            page_secret_file,
            country_header,
            onramp,
            accounts,
            node_id,
            leader_lease: Duration::from_millis(raw.leader_lease_ms),
        })
    }

    /// Base URL of the hosted pages, as customers reach them.
    pub fn public_base(&self, bound: SocketAddr) -> String {
        match &self.public_url {
            Some(u) => u.clone(),
            None => format!("http://{bound}"),
        }
    }
}

/// The shortest lease accepted: renewals every third of it must keep up.
const MIN_LEADER_LEASE_MS: u64 = 300;
/// The longest: a dead leader holds the chain up for this long.
const MAX_LEADER_LEASE_MS: u64 = 60_000;

/// A node name: printable, no spaces, at most 200 characters; `None` or
/// blank means "host name and port".
fn check_node_id(raw: Option<&str>) -> anyhow::Result<Option<String>> {
    let Some(id) = raw.map(str::trim).filter(|id| !id.is_empty()) else {
        return Ok(None);
    };
    if id.len() > 200 || !id.chars().all(|c| c.is_ascii_graphic()) {
        bail!(
            "setting `node_id` (KASSA_NODE_ID): `{id}` must be at most 200 printable ASCII characters without spaces"
        );
    }
    Ok(Some(id.to_string()))
}

/// USDC base units of a decimal amount (6 decimals, truncated).
fn usdc_units(amount: Decimal) -> Option<u64> {
    u64::try_from((amount * Decimal::from(1_000_000)).trunc().mantissa()).ok()
}

/// The key that seals secrets at rest: an operator's file, required in
/// live mode; in sandbox, generated into the data folder when unset.
fn check_secrets_key(
    file: Option<&str>,
    mode: Mode,
    data_dir: &Path,
) -> anyhow::Result<SecretsKeySource> {
    match file.map(str::trim).filter(|f| !f.is_empty()) {
        Some(f) => Ok(SecretsKeySource::File(PathBuf::from(f))),
        None if mode == Mode::Live => bail!(
            "setting `secrets_key_file` (KASSA_SECRETS_KEY_FILE) is required in live mode: a file of 32 random bytes (e.g. `openssl rand -hex 32 > secrets.key`) that seals webhook secrets and provider credentials in the database; every node needs the same file"
        ),
        None => Ok(SecretsKeySource::SandboxGenerated(
            data_dir.join("secrets.key"),
        )),
    }
}

/// Longest payout wallet cool-off accepted (a year): longer is a typo.
const MAX_COOLOFF_HOURS: u64 = 24 * 366;

/// The payout wallet change section: the cool-off (24 h live, 0 sandbox,
/// unless set) and whether its events are test events.
fn check_wallet_change(raw: &RawSettings, mode: Mode) -> anyhow::Result<ChangeRules> {
    let hours = raw.payout_wallet_cooloff_hours.unwrap_or(match mode {
        Mode::Live => 24,
        Mode::Sandbox => 0,
    });
    if hours > MAX_COOLOFF_HOURS {
        bail!(
            "setting `payout_wallet_cooloff_hours` (KASSA_PAYOUT_WALLET_COOLOFF_HOURS): {hours} is more than {MAX_COOLOFF_HOURS} (a year)"
        );
    }
    Ok(ChangeRules {
        cooloff: Duration::from_secs(hours * 3_600),
        test_events: mode == Mode::Sandbox,
    })
}

/// The chain section: node, token, confirmations, finality, wallet secret.
fn check_chain(raw: &RawSettings, mode: Mode, data_dir: &Path) -> anyhow::Result<ChainSettings> {
    let wallet = match (
        raw.wallet_mnemonic.clone().filter(|m| !m.is_empty()),
        raw.wallet_mnemonic_file.clone().filter(|f| !f.is_empty()),
    ) {
        (Some(_), Some(_)) => {
            bail!("settings `wallet_mnemonic` and `wallet_mnemonic_file`: set only one")
        }
        (Some(m), None) => WalletSecretSource::Inline(SecretString::from(m)),
        (None, Some(f)) => WalletSecretSource::File(PathBuf::from(f)),
        (None, None) => match mode {
            Mode::Sandbox => {
                WalletSecretSource::SandboxGenerated(data_dir.join("sandbox-wallet.mnemonic"))
            }
            Mode::Live => bail!(
                "setting `wallet_mnemonic_file` (KASSA_WALLET_MNEMONIC_FILE) or `wallet_mnemonic` (KASSA_WALLET_MNEMONIC) is required in live mode"
            ),
        },
    };
    let usdc_contract = WalletAddress::parse(&raw.usdc_contract).map_err(|_| {
        anyhow!(
            "setting `usdc_contract` (KASSA_USDC_CONTRACT): `{}` is not a contract address",
            raw.usdc_contract
        )
    })?;
    let rpc_url = match raw
        .chain_rpc_url
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty())
    {
        Some(u) => {
            let parsed = url::Url::parse(u).with_context(|| {
                format!("setting `chain_rpc_url` (KASSA_CHAIN_RPC_URL): `{u}` is not a URL")
            })?;
            if !matches!(parsed.scheme(), "http" | "https") {
                bail!(
                    "setting `chain_rpc_url` (KASSA_CHAIN_RPC_URL): `{u}` must be an http(s) URL"
                );
            }
            Some(u.to_string())
        }
        None if mode == Mode::Live => {
            bail!("setting `chain_rpc_url` (KASSA_CHAIN_RPC_URL) is required in live mode")
        }
        None => None,
    };
    let finality = match raw.finality.as_str() {
        "finalized" => Finality::Finalized,
        "depth" => Finality::Depth,
        other => bail!(
            "setting `finality` (KASSA_FINALITY): `{other}` is neither `finalized` nor `depth`"
        ),
    };
    let large_payment_units = raw
        .large_payment_usdc
        .parse::<Decimal>()
        .ok()
        .filter(|d| *d >= Decimal::ZERO)
        .and_then(usdc_units)
        .ok_or_else(|| {
            anyhow!(
                "setting `large_payment_usdc` (KASSA_LARGE_PAYMENT_USDC): `{}` is not a USDC amount",
                raw.large_payment_usdc
            )
        })?;
    if raw.chain_id == 0 {
        bail!("setting `chain_id` (KASSA_CHAIN_ID) must be a chain id such as 137");
    }
    if raw.chain_max_block_range == 0 {
        bail!("setting `chain_max_block_range` (KASSA_CHAIN_MAX_BLOCK_RANGE) must be at least 1");
    }
    Ok(ChainSettings {
        rpc_url,
        chain_id: raw.chain_id,
        usdc_contract,
        required_confirmations: u64::from(raw.required_confirmations.max(1)),
        poll: Duration::from_millis(raw.chain_poll_ms.max(10)),
        head_lag_blocks: raw.chain_head_lag_blocks,
        max_block_range: raw.chain_max_block_range,
        finality,
        large_payment_units,
        wallet,
    })
}

/// The payouts section: gas keys, platform fee, finality for sweeps, fees.
fn check_payouts(raw: &RawSettings, mode: Mode, data_dir: &Path) -> anyhow::Result<PayoutSettings> {
    let gas_keys = match raw
        .gas_key_file
        .as_deref()
        .map(str::trim)
        .filter(|f| !f.is_empty())
    {
        Some(f) => GasKeySource::File(PathBuf::from(f)),
        None if mode == Mode::Live => {
            bail!("setting `gas_key_file` (KASSA_GAS_KEY_FILE) is required in live mode")
        }
        None => GasKeySource::SandboxGenerated(data_dir.join("sandbox-gas.key")),
    };
    let fee_wallet = match raw
        .fee_wallet
        .as_deref()
        .map(str::trim)
        .filter(|w| !w.is_empty())
    {
        Some(w) => Some(WalletAddress::parse(w).map_err(|e| {
            anyhow!("setting `fee_wallet` (KASSA_FEE_WALLET): `{w}` is not a wallet address: {e}")
        })?),
        None => None,
    };
    if raw.platform_fee_bps > 10_000 {
        bail!(
            "setting `platform_fee_bps` (KASSA_PLATFORM_FEE_BPS): {} is more than 10000 (100 %)",
            raw.platform_fee_bps
        );
    }
    if raw.platform_fee_bps > 0 && fee_wallet.is_none() {
        bail!(
            "setting `fee_wallet` (KASSA_FEE_WALLET) is required when `platform_fee_bps` is above 0"
        );
    }
    if raw.payout_stuck_blocks == 0 {
        bail!("setting `payout_stuck_blocks` (KASSA_PAYOUT_STUCK_BLOCKS) must be at least 1");
    }
    let gwei = Decimal::from(1_000_000_000u64);
    let min_priority_fee_wei = raw
        .min_priority_fee_gwei
        .trim()
        .parse::<Decimal>()
        .ok()
        .filter(|d| *d >= Decimal::ZERO)
        .and_then(|d| u128::try_from((d * gwei).trunc().mantissa()).ok())
        .ok_or_else(|| {
            anyhow!(
                "setting `min_priority_fee_gwei` (KASSA_MIN_PRIORITY_FEE_GWEI): `{}` is not an amount of gwei",
                raw.min_priority_fee_gwei
            )
        })?;
    let eip3009 = match raw.token_eip3009.trim() {
        "auto" => Eip3009::Auto,
        "on" => Eip3009::On,
        "off" => Eip3009::Off,
        other => bail!(
            "setting `token_eip3009` (KASSA_TOKEN_EIP3009): `{other}` is not `auto`, `on` or `off`"
        ),
    };
    let gas_low_wei = raw
        .gas_low_pol
        .trim()
        .parse::<Decimal>()
        .ok()
        .filter(|d| *d >= Decimal::ZERO && d.scale() <= 18)
        .and_then(|d| {
            let wei = d.checked_mul(gwei)?.checked_mul(gwei)?;
            u128::try_from(wei.trunc().mantissa()).ok()
        })
        .ok_or_else(|| {
            anyhow!(
                "setting `gas_low_pol` (KASSA_GAS_LOW_POL): `{}` is not an amount of POL",
                raw.gas_low_pol
            )
        })?;
    Ok(PayoutSettings {
        gas_keys,
        fee_wallet,
        platform_fee_bps: raw.platform_fee_bps,
        confirmations: raw.payout_confirmations.max(1),
        stuck_blocks: raw.payout_stuck_blocks,
        min_priority_fee_wei,
        eip3009,
        gas_low_wei,
        poll: Duration::from_millis(raw.payout_poll_ms.max(10)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_a_valid_sandbox_configuration() {
        let s = Settings::check(RawSettings::default()).unwrap();
        assert_eq!(s.mode, Mode::Sandbox);
        assert_eq!(s.bind.to_string(), "127.0.0.1:8080");
        assert!(s.database.url.starts_with("sqlite://kassa-data/"));
        assert_eq!(s.session_lifetime, Duration::from_secs(900));
        assert_eq!(s.rates.get("USD"), Some(&Decimal::ONE));
    }

    #[test]
    fn a_bad_bind_address_names_the_setting() {
        let raw = RawSettings {
            bind: "nonsense".into(),
            ..RawSettings::default()
        };
        let err = Settings::check(raw).unwrap_err().to_string();
        assert!(err.contains("KASSA_BIND"), "{err}");
    }

    #[test]
    fn a_node_name_with_a_space_or_a_lease_out_of_range_names_the_setting() {
        let raw = RawSettings {
            node_id: Some("pay 1".into()),
            ..RawSettings::default()
        };
        let err = Settings::check(raw).unwrap_err().to_string();
        assert!(err.contains("KASSA_NODE_ID"), "{err}");
        for ms in [0, 299, 60_001] {
            let raw = RawSettings {
                leader_lease_ms: ms,
                ..RawSettings::default()
            };
            let err = Settings::check(raw).unwrap_err().to_string();
            assert!(err.contains("KASSA_LEADER_LEASE_MS"), "{ms}: {err}");
        }
    }

    #[test]
    fn a_blank_node_name_means_host_and_port() {
        let raw = RawSettings {
            node_id: Some("  ".into()),
            ..RawSettings::default()
        };
        let s = Settings::check(raw).unwrap();
        assert_eq!(s.node_id, None);
        assert_eq!(s.leader_lease, Duration::from_secs(5));
    }

    #[test]
    fn an_unknown_mode_names_the_setting() {
        let raw = RawSettings {
            mode: "production".into(),
            ..RawSettings::default()
        };
        let err = Settings::check(raw).unwrap_err().to_string();
        assert!(err.contains("KASSA_MODE"), "{err}");
    }

    #[test]
    fn live_mode_requires_a_wallet_secret() {
        let raw = RawSettings {
            mode: "live".into(),
            ..RawSettings::default()
        };
        let err = Settings::check(raw).unwrap_err().to_string();
        assert!(err.contains("wallet_mnemonic"), "{err}");
    }

    #[test]
    fn a_rate_for_an_unknown_currency_is_refused() {
        let mut raw = RawSettings::default();
        raw.rates.insert("ZZZ".into(), "1".into());
        let err = Settings::check(raw).unwrap_err().to_string();
        assert!(err.contains("rates.ZZZ"), "{err}");
    }

    #[test]
    fn live_mode_requires_a_secrets_key_file_and_sandbox_generates_one() {
        let live = check_secrets_key(None, Mode::Live, Path::new("d"))
            .unwrap_err()
            .to_string();
        assert!(live.contains("KASSA_SECRETS_KEY_FILE"), "{live}");
        assert_eq!(
            check_secrets_key(Some(" "), Mode::Sandbox, Path::new("d")).unwrap(),
            SecretsKeySource::SandboxGenerated(PathBuf::from("d/secrets.key"))
        );
        assert_eq!(
            check_secrets_key(Some("/etc/kassa/secrets.key"), Mode::Live, Path::new("d")).unwrap(),
            SecretsKeySource::File(PathBuf::from("/etc/kassa/secrets.key"))
        );
    }

    #[test]
    fn live_mode_requires_a_chain_rpc_url() {
        let raw = RawSettings {
            mode: "live".into(),
            wallet_mnemonic: Some(
                "test test test test test test test test test test test junk".into(),
            ),
            ..RawSettings::default()
        };
        let err = Settings::check(raw).unwrap_err().to_string();
        assert!(err.contains("KASSA_CHAIN_RPC_URL"), "{err}");
    }

    #[test]
    fn the_payout_wallet_cool_off_is_a_day_live_none_in_sandbox_unless_set() {
        let raw = RawSettings::default();
        let live = check_wallet_change(&raw, Mode::Live).unwrap();
        assert_eq!(live.cooloff, Duration::from_secs(24 * 3_600));
        assert!(!live.test_events);
        let sandbox = check_wallet_change(&raw, Mode::Sandbox).unwrap();
        assert_eq!(sandbox.cooloff, Duration::ZERO);
        assert!(sandbox.test_events);
        let set = RawSettings {
            payout_wallet_cooloff_hours: Some(48),
            ..RawSettings::default()
        };
        let sandbox = check_wallet_change(&set, Mode::Sandbox).unwrap();
        assert_eq!(sandbox.cooloff, Duration::from_secs(48 * 3_600));
        let absurd = RawSettings {
            payout_wallet_cooloff_hours: Some(1_000_000),
            ..RawSettings::default()
        };
        let err = check_wallet_change(&absurd, Mode::Live)
            .unwrap_err()
            .to_string();
        assert!(err.contains("KASSA_PAYOUT_WALLET_COOLOFF_HOURS"), "{err}");
    }

    #[test]
    fn an_unknown_finality_names_the_setting() {
        let raw = RawSettings {
            finality: "soon".into(),
            ..RawSettings::default()
        };
        let err = Settings::check(raw).unwrap_err().to_string();
        assert!(err.contains("KASSA_FINALITY"), "{err}");
    }

    #[test]
    fn the_payouts_section_carries_its_defaults() {
        let s = Settings::check(RawSettings::default()).unwrap();
        assert_eq!(s.payouts.confirmations, 64);
        assert_eq!(s.payouts.stuck_blocks, 30);
        assert_eq!(s.payouts.min_priority_fee_wei, 30_000_000_000);
        assert_eq!(s.payouts.gas_low_wei, 5_000_000_000_000_000_000);
        assert_eq!(s.payouts.eip3009, Eip3009::Auto);
        assert_eq!(s.payouts.platform_fee_bps, 0);
        assert!(matches!(
            s.payouts.gas_keys,
            GasKeySource::SandboxGenerated(_)
        ));
    }

    #[test]
    fn a_platform_fee_needs_a_fee_wallet_and_at_most_100_percent() {
        let no_wallet = RawSettings {
            platform_fee_bps: 100,
            ..RawSettings::default()
        };
        let err = Settings::check(no_wallet).unwrap_err().to_string();
        assert!(err.contains("KASSA_FEE_WALLET"), "{err}");
        let too_much = RawSettings {
            platform_fee_bps: 10_001,
            fee_wallet: Some("0x2222222222222222222222222222222222222222".into()),
            ..RawSettings::default()
        };
        let err = Settings::check(too_much).unwrap_err().to_string();
        assert!(err.contains("KASSA_PLATFORM_FEE_BPS"), "{err}");
    }

    #[test]
    fn live_mode_requires_gas_keys_and_a_known_eip3009_switch() {
        let bad_switch = RawSettings {
            token_eip3009: "maybe".into(),
            ..RawSettings::default()
        };
        let err = Settings::check(bad_switch).unwrap_err().to_string();
        assert!(err.contains("KASSA_TOKEN_EIP3009"), "{err}");
        let live = RawSettings {
            mode: "live".into(),
            wallet_mnemonic: Some(
                "test test test test test test test test test test test junk".into(),
            ),
            chain_rpc_url: Some("http://127.0.0.1:8545".into()),
            ..RawSettings::default()
        };
        let err = Settings::check(live).unwrap_err().to_string();
        assert!(err.contains("KASSA_GAS_KEY_FILE"), "{err}");
    }

    #[test]
    fn the_chain_section_carries_its_defaults() {
        let s = Settings::check(RawSettings::default()).unwrap();
        assert_eq!(s.chain.chain_id, 137);
        assert_eq!(s.chain.finality, Finality::Finalized);
        assert_eq!(s.chain.large_payment_units, 1_000_000_000);
        assert_eq!(s.chain.head_lag_blocks, 2);
        assert!(s.chain.rpc_url.is_none());
    }
}
