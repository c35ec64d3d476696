//! A live-mode gateway on Anvil for the watcher tests: the app reads the
//! node (directly, or through a proxy), the test token is the configured
//! USDC, and a funded payer pays sessions' deposit addresses.
//!
//! Tests either drive the watcher step by step (`step`, with a poll so long
//! it never fires by itself) or let it poll every 50 ms and wait for a
//! status with a deadline (`wait_for`).

use std::time::{Duration, Instant};

use alloy::primitives::{Address, U256};
use alloy::rpc::types::TransactionReceipt;
use alloy::signers::local::PrivateKeySigner;
use kassa::actors::chain_watcher::StepReport;
use kassa::actors::payout::PayoutReport;
use kassa::config::RawSettings;
use serde_json::{Value, json};

use crate::anvil::{Anvil, TestUsdc};
use crate::helpers::{Backend, TestApp, TestDb, TestMerchant, spawn_on};

/// A poll so long that only the test's `step` runs the watcher.
pub const MANUAL_POLL_MS: u64 = 3_600_000;
/// What the payer is given at the start, in base units (1 000 000 USDC).
const PAYER_FUNDS: u64 = 1_000_000_000_000;
/// The payer's gas money, in wei (1000 ETH).
const PAYER_GAS: u128 = 1_000_000_000_000_000_000_000;

/// The gas accounts of the app under test (not dev accounts: those are
/// deposit addresses of the test wallet). Funded by `chain_only`.
pub const GAS_KEYS: [&str; 2] = [
    "0xe8276ff01d24d23cfe6c7bf1e7a13c68d9907002f25404c5b55cc22fbd95e820",
    "0xcb0f9256996e04346fb996ea409df10468cb1f5c83c5e55d7197c6d4062e113a",
];
/// Each gas account's POL, in wei (100 ETH).
const GAS_FUNDS: u128 = 100_000_000_000_000_000_000;

/// How the app reads the chain and pays out.
#[derive(Debug, Clone)]
pub struct LiveSetup {
    pub required_confirmations: u32,
    pub poll_ms: u64,
    pub head_lag_blocks: u64,
    pub max_block_range: u64,
    /// `finalized` or `depth`.
    pub finality: &'static str,
    /// Above this (USDC) a payment waits for finality whatever `finality` says.
    pub large_payment_usdc: &'static str,
    /// Where the app finds the node (Anvil itself unless a proxy is between).
    pub rpc_url: Option<String>,
    /// Blocks before a deposit is swept; the watcher tests keep it out of
    /// reach so their deposit addresses keep what they received.
    pub payout_confirmations: u64,
    pub platform_fee_bps: u32,
    pub fee_wallet: Option<String>,
    /// How many of `GAS_KEYS` the app uses (1 or 2).
    pub gas_lanes: usize,
    pub payout_stuck_blocks: u64,
    /// Deploy the plain ERC-20 (no EIP-3009) instead of the test USDC.
    pub plain_token: bool,
    /// `KASSA_TOKEN_EIP3009`: `auto`, `on` or `off`.
    pub token_eip3009: &'static str,
}

impl Default for LiveSetup {
    fn default() -> Self {
        Self {
            required_confirmations: 3,
            poll_ms: MANUAL_POLL_MS,
            head_lag_blocks: 0,
            max_block_range: 1000,
            finality: "finalized",
            large_payment_usdc: "1000",
            rpc_url: None,
            payout_confirmations: 1_000_000,
            platform_fee_bps: 0,
            fee_wallet: None,
            gas_lanes: 1,
            payout_stuck_blocks: 30,
            plain_token: false,
            token_eip3009: "auto",
        }
    }
}

/// Anvil, the app in live mode on it, and a payer.
pub struct Live {
    pub anvil: Anvil,
    pub app: TestApp,
    pub payer: PrivateKeySigner,
    setup: LiveSetup,
}

/// The live-mode settings for `anvil` and its token.
pub fn live_settings(s: &mut RawSettings, anvil: &Anvil, setup: &LiveSetup) {
    s.mode = "live".into();
    s.chain_rpc_url = Some(setup.rpc_url.clone().unwrap_or_else(|| anvil.rpc_url()));
    s.usdc_contract = anvil.token().to_checksum(None);
    s.required_confirmations = setup.required_confirmations;
    s.chain_poll_ms = setup.poll_ms;
    s.chain_head_lag_blocks = setup.head_lag_blocks;
    s.chain_max_block_range = setup.max_block_range;
    s.finality = setup.finality.into();
    s.large_payment_usdc = setup.large_payment_usdc.into();
    let keys = std::path::Path::new(&s.data_dir).join("gas.keys");
    std::fs::create_dir_all(&s.data_dir).unwrap();
    std::fs::write(&keys, GAS_KEYS[..setup.gas_lanes].join("\n")).unwrap();
    s.gas_key_file = Some(keys.display().to_string());
    s.payout_confirmations = setup.payout_confirmations;
    s.platform_fee_bps = setup.platform_fee_bps;
    s.fee_wallet = setup.fee_wallet.clone();
    s.payout_stuck_blocks = setup.payout_stuck_blocks;
    s.token_eip3009 = setup.token_eip3009.into();
}

/// The address of gas key `index`.
pub fn gas_account(index: usize) -> Address {
    GAS_KEYS[index]
        .parse::<PrivateKeySigner>()
        .unwrap()
        .address()
}

impl Live {
    /// Starts Anvil, deploys and funds, and the app on a fresh `backend`
    /// database; `None` when Anvil or the backend is not there (skipped).
    pub async fn start(backend: Backend, setup: LiveSetup) -> Option<Live> {
        let (anvil, payer) = Self::chain_with(setup.plain_token).await?;
        let db = TestDb::new(backend).await?;
        let app = Self::app_on(db, &anvil, &setup).await;
        Some(Live {
            anvil,
            app,
            payer,
            setup,
        })
    }

    /// Starts Anvil and a token only (the app comes later, e.g. behind a
    /// proxy); `None` when Anvil is missing.
    pub async fn chain_only() -> Option<(Anvil, PrivateKeySigner)> {
        Self::chain_with(false).await
    }

    /// As `chain_only`, with the plain ERC-20 when `plain_token`.
    pub async fn chain_with(plain_token: bool) -> Option<(Anvil, PrivateKeySigner)> {
        let anvil = Anvil::start().await?;
        if plain_token {
            anvil.deploy_plain_token().await;
        } else {
            anvil.deploy_token().await;
        }
        // Not a dev account: the gateway's test wallet derives its deposit
        // addresses from Anvil's dev phrase, so dev account 1 would be the
        // deposit address of the session with HD index 1.
        let payer = PrivateKeySigner::random();
        anvil
            .call(
                "anvil_setBalance",
                json!([payer.address(), format!("{PAYER_GAS:#x}")]),
            )
            .await;
        anvil.mint(payer.address(), PAYER_FUNDS).await;
        for index in 0..GAS_KEYS.len() {
            anvil
                .call(
                    "anvil_setBalance",
                    json!([gas_account(index), format!("{GAS_FUNDS:#x}")]),
                )
                .await;
        }
        Some((anvil, payer))
    }

    /// Wraps an already running chain and starts the app on `db`.
    pub async fn on(anvil: Anvil, payer: PrivateKeySigner, db: TestDb, setup: LiveSetup) -> Live {
        let app = Self::app_on(db, &anvil, &setup).await;
        Live {
            anvil,
            app,
            payer,
            setup,
        }
    }

    /// The app on `db`, after its first step: the watcher's checkpoint is
    /// set, so every later payment is after it.
    async fn app_on(db: TestDb, anvil: &Anvil, setup: &LiveSetup) -> TestApp {
        let app = spawn_on(db, |s| live_settings(s, anvil, setup)).await;
        let _first = app.chain.sync().await;
        app
    }

    /// Ends a test: stops the app and closes its database pool while the
    /// runtime still runs, so no query of its actors is cut off mid-way when
    /// the test's runtime is dropped (sqlx panics when a connection is
    /// dropped outside a runtime).
    pub async fn done(self) {
        self.app.stop().await;
    }

    /// Stops the app (its actors can no longer write); the chain stays up.
    pub async fn stop(self) -> Stopped {
        let merchant = self.app.merchant.clone();
        let db = self.app.stop_keeping_db().await;
        Stopped {
            anvil: self.anvil,
            payer: self.payer,
            setup: self.setup,
            merchant,
            db,
        }
    }

    /// A USD session of `amount` (e.g. "10.00", owed as 10 USDC).
    pub async fn session(&self, reference: &str, amount: &str) -> i64 {
        let mut body = crate::helpers::order(reference);
        body["amount"] = json!(amount);
        body["currency"] = json!("USD");
        let answer = self.app.create_session(&body).await;
        assert_eq!(answer.status, 200, "{}", answer.text);
        answer.json()["session_id"].as_i64().unwrap()
    }

    /// The session as `session_status` shows it.
    pub async fn view(&self, id: i64) -> Value {
        let answer = self.app.status(&format!("session_id={id}")).await;
        assert_eq!(answer.status, 200, "{}", answer.text);
        answer.json()["session"].clone()
    }

    pub async fn status(&self, id: i64) -> String {
        self.view(id).await["status"].as_str().unwrap().to_string()
    }

    /// The session's deposit address, from its status.
    pub async fn address_of(&self, id: i64) -> Address {
        self.view(id).await["polygon_address_in"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap()
    }

    /// The payer sends `units` of the token to session `id` (one block).
    pub async fn pay(&self, id: i64, units: u64) -> TransactionReceipt {
        let to = self.address_of(id).await;
        self.anvil.transfer(&self.payer, to, units).await
    }

    /// Pays session `id` its `units` and mines block by block, stepping
    /// the watcher, until it is paid.
    pub async fn pay_until_paid(&self, id: i64, units: u64) {
        self.pay(id, units).await;
        for _ in 0..10 {
            self.mine_and_step(1).await;
            if self.status(id).await == "paid" {
                return;
            }
        }
        panic!("session {id} never became paid");
    }

    /// Pays session `id` in full from an address holding no POL (deposit
    /// addresses of the test wallet are Anvil's funded dev accounts, so
    /// only a top-up can pay their gas), then mines `depth` blocks so the
    /// deposit can be swept: `(owed, deposit address)`.
    pub async fn paid_without_pol(&self, id: i64, depth: u64) -> (u64, Address) {
        let owed = self.owed_units(id).await;
        let deposit = self.address_of(id).await;
        self.anvil.set_native_balance(deposit, U256::ZERO).await;
        self.pay_until_paid(id, owed).await;
        self.anvil.mine(depth).await;
        (owed, deposit)
    }

    /// What session `id` owes, in base units.
    pub async fn owed_units(&self, id: i64) -> u64 {
        let record = self.app.store.session(id).await.unwrap().unwrap();
        record.expected.units()
    }

    /// Runs one whole payout step.
    pub async fn payout_step(&self) -> PayoutReport {
        self.app
            .payouts
            .run()
            .await
            .unwrap_or_else(|e| panic!("a payout step failed: {e}"))
    }

    /// `kassa ledger check`'s verdict on the app's books and the chain:
    /// asserts the money adds up; returns the figures.
    pub async fn assert_ledger_adds_up(&self) -> kassa::domain::money_check::Figures {
        crate::conservation::assert_ledger_check(&self.anvil, &self.app.store).await
    }

    /// What `who` holds of the token, in base units.
    pub async fn balance(&self, who: Address) -> u64 {
        let token = TestUsdc::new(self.anvil.token(), self.anvil.node().clone());
        let units = token.balanceOf(who).call().await.unwrap();
        u64::try_from(units).unwrap()
    }

    /// Runs one whole watcher step.
    pub async fn step(&self) -> StepReport {
        self.app
            .chain
            .sync()
            .await
            .unwrap_or_else(|e| panic!("a watcher step failed: {e}"))
    }

    /// Mines `blocks` empty blocks, then runs a step.
    pub async fn mine_and_step(&self, blocks: u64) -> StepReport {
        self.anvil.mine(blocks).await;
        self.step().await
    }

    /// Polls the status until it is `status` or `within` has passed.
    pub async fn wait_for(&self, id: i64, status: &str, within: Duration) {
        let deadline = Instant::now() + within;
        loop {
            let now = self.status(id).await;
            if now == status {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "session {id} never became {status} within {within:?}; it is {now}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The events written for session `id`, in order (`status` of each).
    pub async fn events(&self, id: i64) -> Vec<(String, Value)> {
        self.app
            .store
            .webhooks_of_session(id)
            .await
            .unwrap()
            .into_iter()
            .map(|(e, _)| (e.status.clone(), serde_json::from_str(&e.payload).unwrap()))
            .collect()
    }
}

/// The chain while the app is down, and what a restart needs.
pub struct Stopped {
    pub anvil: Anvil,
    pub payer: PrivateKeySigner,
    setup: LiveSetup,
    merchant: TestMerchant,
    db: TestDb,
}

impl Stopped {
    /// The payer sends `units` to `to` (one block).
    pub async fn pay(&self, to: Address, units: u64) -> TransactionReceipt {
        self.anvil.transfer(&self.payer, to, units).await
    }

    /// A new app on the same database; the sessions stay the old merchant's.
    pub async fn restart(self) -> Live {
        let mut app = spawn_on(self.db, |s| live_settings(s, &self.anvil, &self.setup)).await;
        app.merchant = self.merchant;
        Live {
            anvil: self.anvil,
            app,
            payer: self.payer,
            setup: self.setup,
        }
    }
}
