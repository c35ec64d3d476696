//! `kassa serve` in live mode on Anvil as a child process, so a test can
//! kill it with SIGKILL (no shutdown code runs) and start it again on the
//! same database.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::anvil::Anvil;

pub const WALLET_PHRASE: &str = "test test test test test test test test test test test junk";

/// `kassa serve` as a child process, so the test can SIGKILL it.
pub struct Gateway {
    child: Child,
    pub base: String,
}

impl Gateway {
    /// Starts `kassa serve` in live mode on `anvil`, with `env` on top of
    /// the defaults below (deposits are never swept unless `env` says so).
    /// The port is a free one picked just before the spawn; should
    /// another process take it in between (suites run side by side), the
    /// server exits at once saying so, and it is started again on another.
    pub async fn start(
        db_url: &str,
        data_dir: &Path,
        anvil: &Anvil,
        env: &[(&str, &str)],
    ) -> Gateway {
        let mut attempts = 0;
        loop {
            attempts += 1;
            let logged = std::fs::metadata(log_path(data_dir)).map_or(0, |m| m.len());
            match Self::try_start(db_url, data_dir, anvil, env).await {
                Ok(gateway) => return gateway,
                Err(exited) => {
                    let log = std::fs::read(log_path(data_dir)).unwrap_or_default();
                    let this_start =
                        String::from_utf8_lossy(&log[(logged as usize).min(log.len())..]);
                    let port_taken = this_start.contains("Address already in use");
                    assert!(
                        port_taken && attempts < 3,
                        "kassa serve exited ({exited}):\n{this_start}"
                    );
                }
            }
        }
    }

    /// One start on a free port: the gateway once it answers, or how it
    /// exited before that.
    async fn try_start(
        db_url: &str,
        data_dir: &Path,
        anvil: &Anvil,
        env: &[(&str, &str)],
    ) -> Result<Gateway, std::process::ExitStatus> {
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
            // The same name on every start: a gateway restarted on a new
            // port takes the chain lease back at once.
            .env("KASSA_NODE_ID", "gateway-test")
            .env("KASSA_DATABASE_URL", db_url)
            .env("KASSA_DATA_DIR", data_dir)
            .env("KASSA_MODE", "live")
            .env("KASSA_SECRETS_KEY_FILE", crate::helpers::TEST_SECRETS_KEY)
            .env("KASSA_CHAIN_RPC_URL", anvil.rpc_url())
            .env("KASSA_USDC_CONTRACT", anvil.token().to_checksum(None))
            .env("KASSA_WALLET_MNEMONIC", WALLET_PHRASE)
            .env("KASSA_REQUIRED_CONFIRMATIONS", "3")
            .env("KASSA_GAS_KEY_FILE", &gas_keys)
            // Deposits stay where they are unless `env` sets a reachable depth.
            .env("KASSA_PAYOUT_CONFIRMATIONS", "1000000")
            .env("KASSA_FINALITY", "finalized")
            .env("KASSA_CHAIN_POLL_MS", "20")
            .env("KASSA_CHAIN_HEAD_LAG_BLOCKS", "0")
            .env("KASSA_LOG", "error")
            .env_remove("KASSA_TEST_POSTGRES_URL")
            .env_remove("KASSA_TEST_REQUIRE_ALL")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            // Every start appends its log here (tests read it for secrets).
            .stderr(Stdio::from(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(log_path(data_dir))
                    .unwrap(),
            ))
            .spawn()
            .unwrap();
        // Owned at once, so a failed start below still kills the process.
        let mut gateway = Gateway {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        let client = reqwest::Client::new();
        // Generous: the chain binary runs its suites side by side on two
        // cores, each with its own Anvil and gateway.
        let deadline = Instant::now() + Duration::from_secs(60);
        let health = format!("{}/healthz", gateway.base);
        loop {
            if let Some(status) = gateway.child.try_wait().unwrap() {
                return Err(status);
            }
            let answer = client.get(&health).send().await;
            if answer.is_ok_and(|a| a.status().is_success()) {
                return Ok(gateway);
            }
            assert!(
                Instant::now() < deadline,
                "kassa serve never answered:\n{}",
                std::fs::read_to_string(log_path(data_dir)).unwrap_or_default()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The server's process id (a guard may SIGKILL it while others use it).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL: no shutdown code runs.
    pub fn kill_9(mut self) {
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

/// Where the gateways started on `data_dir` write their log.
pub fn log_path(data_dir: &Path) -> std::path::PathBuf {
    data_dir.join("serve.log")
}

/// Polls `done` until it holds, failing after `within`.
pub async fn wait_until<F, Fut>(within: Duration, mut done: F)
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
