//! A local EVM node for tests: Anvil (from npm, see `.ci/run`) on a free
//! port, chain id 137, with the test USDC (or a plain ERC-20 without
//! EIP-3009) deployable and helpers to mint,
//! transfer, mine, snapshot and reorganise. Killed when dropped.
//!
//! Anvil mines one block per transaction (automine) and otherwise only when
//! asked (`mine`); there is no block timer, so tests decide every block.
//! With `--slots-in-an-epoch 1` its `finalized` block is head − 2.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::Duration;

use alloy::network::EthereumWallet;
use alloy::primitives::{Address, B256, U256};
use alloy::providers::{Provider, ProviderBuilder, RootProvider};
use alloy::rpc::types::TransactionReceipt;
use alloy::signers::local::coins_bip39::English;
use alloy::signers::local::{MnemonicBuilder, PrivateKeySigner};
use serde_json::{Value, json};

use crate::helpers::skip;

/// Bindings generated from the committed artifact (ABI + bytecode).
#[allow(clippy::too_many_arguments)]
mod bindings {
    alloy::sol!(
        #[sol(rpc)]
        #[derive(Debug)]
        TestUsdc,
        "tests/chain/token/TestUsdc.json"
    );
    alloy::sol!(
        #[sol(rpc)]
        #[derive(Debug)]
        PlainUsdc,
        "tests/chain/token/PlainUsdc.json"
    );
}
pub use bindings::{PlainUsdc, TestUsdc};

/// Anvil's funded dev accounts derive from this phrase.
const DEV_PHRASE: &str = "test test test test test test test test test test test junk";
/// How long a transaction may take to be mined before a helper gives up.
const RECEIPT_TIMEOUT: Duration = Duration::from_secs(20);
const ANVIL_IN_NODE_MODULES: &str = "@foundry-rs/anvil-linux-amd64/bin/anvil";

/// A running Anvil; the process is killed on drop.
pub struct Anvil {
    child: Child,
    port: u16,
    url: reqwest::Url,
    /// Plain reads and `anvil_*` / `evm_*` calls.
    node: RootProvider,
    /// The token `deploy_token` made last: `mint` and the transfers use it.
    token: Mutex<Option<Address>>,
}

impl Anvil {
    /// Starts Anvil, or prints `skipped: …` and answers `None` when it is
    /// not installed (a failure under `KASSA_TEST_REQUIRE_ALL=1`).
    pub async fn start() -> Option<Anvil> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let Some(binary) = find_binary() else {
            skip(&match std::env::var("KASSA_TEST_ANVIL") {
                Ok(path) => format!("KASSA_TEST_ANVIL={path} is not a file"),
                Err(_) => "Anvil not found (npm install --prefix /tmp/kassa-node \
                           @foundry-rs/anvil, or set KASSA_TEST_ANVIL)"
                    .to_owned(),
            });
            return None;
        };
        let mut child = Command::new(&binary)
            .args(["--host", "127.0.0.1", "--port", "0", "--chain-id", "137"])
            .args(["--slots-in-an-epoch", "1"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
        let port = read_port(&mut child);
        let url: reqwest::Url = format!("http://127.0.0.1:{port}").parse().unwrap();
        let node = RootProvider::new_http(url.clone());
        let anvil = Anvil {
            child,
            port,
            url,
            node,
            token: Mutex::new(None),
        };
        anvil.wait_until_it_answers().await;
        Some(anvil)
    }

    pub fn rpc_url(&self) -> String {
        self.url.to_string()
    }

    /// The node's process id (benchmarks read its CPU time).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// A provider for reads and raw calls.
    pub fn node(&self) -> &RootProvider {
        &self.node
    }

    /// Dev account `index` (0..10), funded with 10 000 ETH at genesis.
    pub fn dev_account(index: u32) -> PrivateKeySigner {
        MnemonicBuilder::<English>::default()
            .phrase(DEV_PHRASE)
            .index(index)
            .unwrap()
            .build()
            .unwrap()
    }

    /// A provider that signs as `signer`. Built as STACK.md pitfall 2 says:
    /// no nonce cache, so it keeps working after a reorg or a revert.
    pub fn signing(&self, signer: &PrivateKeySigner) -> impl Provider + Clone + use<> {
        ProviderBuilder::new()
            .disable_recommended_fillers()
            .with_gas_estimation()
            .with_simple_nonce_management()
            .fetch_chain_id()
            .wallet(EthereumWallet::new(signer.clone()))
            .connect_http(self.url.clone())
    }

    /// Deploys a fresh test USDC from dev account 0; later `mint` and
    /// transfers use it.
    pub async fn deploy_token(&self) -> Address {
        let provider = self.signing(&Self::dev_account(0));
        let token = TestUsdc::deploy(provider).await.unwrap();
        let address = *token.address();
        *self.token.lock().unwrap() = Some(address);
        address
    }

    /// Deploys a fresh plain ERC-20 (no EIP-3009) from dev account 0; later
    /// `mint` and transfers use it (its `mint`, `transfer` and `balanceOf`
    /// are the test USDC's, so the same bindings call them).
    pub async fn deploy_plain_token(&self) -> Address {
        let provider = self.signing(&Self::dev_account(0));
        let token = PlainUsdc::deploy(provider).await.unwrap();
        let address = *token.address();
        *self.token.lock().unwrap() = Some(address);
        address
    }

    /// The POL (wei) `who` holds.
    pub async fn native_balance(&self, who: Address) -> U256 {
        self.node.get_balance(who).await.unwrap()
    }

    /// Sets the POL (wei) `who` holds.
    pub async fn set_native_balance(&self, who: Address, wei: U256) {
        self.call("anvil_setBalance", json!([who, format!("{wei:#x}")]))
            .await;
    }

    /// The token `deploy_token` or `deploy_plain_token` made last.
    pub fn token(&self) -> Address {
        self.token
            .lock()
            .unwrap()
            .expect("deploy_token() before using the token")
    }

    /// Mints `amount` base units to `to` (one block).
    pub async fn mint(&self, to: Address, amount: u64) -> TransactionReceipt {
        let token = TestUsdc::new(self.token(), self.signing(&Self::dev_account(0)));
        let pending = token.mint(to, U256::from(amount)).send().await.unwrap();
        mined(pending).await
    }

    /// `from` sends `amount` base units to `to` (one block).
    pub async fn transfer(
        &self,
        from: &PrivateKeySigner,
        to: Address,
        amount: u64,
    ) -> TransactionReceipt {
        let token = TestUsdc::new(self.token(), self.signing(from));
        let pending = token.transfer(to, U256::from(amount)).send().await.unwrap();
        mined(pending).await
    }

    /// Dev account 0 sends `amounts[i]` to `tos[i]` in one transaction, so
    /// all the `Transfer` logs land in one block. Mints what it sends first.
    pub async fn batch_transfer(&self, tos: &[Address], amounts: &[u64]) -> TransactionReceipt {
        let sender = Self::dev_account(0);
        let total: u64 = amounts.iter().sum();
        self.mint(sender.address(), total).await;
        let token = TestUsdc::new(self.token(), self.signing(&sender));
        let amounts = amounts.iter().map(|a| U256::from(*a)).collect();
        let pending = token
            .batchTransfer(tos.to_vec(), amounts)
            .send()
            .await
            .unwrap();
        mined(pending).await
    }

    pub async fn head(&self) -> u64 {
        self.node.get_block_number().await.unwrap()
    }

    /// Mines `n` empty blocks.
    pub async fn mine(&self, n: u64) {
        self.call("anvil_mine", json!([format!("{n:#x}")])).await;
    }

    /// Saves the chain state; `revert` returns to it.
    pub async fn snapshot(&self) -> U256 {
        let id = self.call("evm_snapshot", json!([])).await;
        serde_json::from_value(id).unwrap()
    }

    pub async fn revert(&self, id: U256) {
        let reverted = self.call("evm_revert", json!([id])).await;
        assert_eq!(reverted, json!(true), "evm_revert({id}) refused");
    }

    /// Replaces the last `depth` blocks with as many new (empty) blocks:
    /// same height, other hashes; the replaced blocks' transactions are gone.
    pub async fn reorg(&self, depth: u64) {
        self.call("anvil_reorg", json!([depth, []])).await;
    }

    /// With automine off, transactions wait in the pool until `mine`. The
    /// helpers above wait for their receipt, so they need it on.
    pub async fn set_automine(&self, on: bool) {
        self.call("evm_setAutomine", json!([on])).await;
    }

    /// A raw JSON-RPC call; panics on an error answer.
    pub async fn call(&self, method: &'static str, params: Value) -> Value {
        self.node
            .raw_request::<_, Value>(method.into(), params)
            .await
            .unwrap_or_else(|e| panic!("{method} failed: {e}"))
    }

    async fn wait_until_it_answers(&self) {
        for _ in 0..100 {
            if self.node.get_chain_id().await.is_ok() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("Anvil on port {} never answered", self.port);
    }
}

impl Drop for Anvil {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits (bounded) for the transaction's receipt and checks it succeeded.
pub async fn mined<N: alloy::network::Network<ReceiptResponse = TransactionReceipt>>(
    pending: alloy::providers::PendingTransactionBuilder<N>,
) -> TransactionReceipt {
    let receipt = pending
        .with_timeout(Some(RECEIPT_TIMEOUT))
        .get_receipt()
        .await
        .unwrap();
    assert!(receipt.status(), "transaction reverted: {receipt:?}");
    receipt
}

/// `KASSA_TEST_ANVIL` when set (only it: a wrong path there is a skip, not
/// a silent fallback), else the npm install in `KASSA_TEST_NODE_MODULES`,
/// then in `/tmp/kassa-node`, then `anvil` on `PATH`.
fn find_binary() -> Option<PathBuf> {
    if let Some(explicit) = std::env::var_os("KASSA_TEST_ANVIL") {
        return Some(PathBuf::from(explicit)).filter(|p| p.is_file());
    }
    let from_env = std::env::var_os("KASSA_TEST_NODE_MODULES")
        .map(|dir| PathBuf::from(dir).join(ANVIL_IN_NODE_MODULES));
    let default = PathBuf::from("/tmp/kassa-node/node_modules").join(ANVIL_IN_NODE_MODULES);
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|dir| dir.join("anvil"));
    from_env
        .into_iter()
        .chain([default])
        .chain(on_path)
        .find(|p| p.is_file())
}

/// Reads Anvil's banner up to `Listening on 127.0.0.1:PORT`, then keeps
/// draining its output on a thread (it logs every call; a full pipe would
/// block it).
fn read_port(child: &mut Child) -> u16 {
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let port = loop {
        let Some(line) = lines.next() else {
            let status = child.wait();
            panic!("Anvil exited before listening: {status:?}");
        };
        let line = line.unwrap();
        if let Some(address) = line.trim().strip_prefix("Listening on ") {
            let (_, port) = address.rsplit_once(':').unwrap();
            break port.parse().unwrap();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    port
}

/// The hash of a transaction's block, for comparing with the adapter's.
pub fn block_of(receipt: &TransactionReceipt) -> (u64, B256) {
    (receipt.block_number.unwrap(), receipt.block_hash.unwrap())
}
