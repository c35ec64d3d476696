//! What the benchmarks share: child-process servers, a throwaway database,
//! and Kassa started with a benchmark merchant.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod hooks;
pub mod load;
pub mod raw;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

pub fn flag(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

/// A port nothing listens on right now (for a server started later).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A database for one benchmark run: SQLite in a temp folder, or a fresh
/// PostgreSQL database (dropped afterwards) on `KASSA_TEST_POSTGRES_URL`.
pub struct BenchDb {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    _cleanup: Option<PgCleanup>,
}

impl BenchDb {
    pub async fn create(kind: &str) -> Option<BenchDb> {
        if kind == "sqlite" {
            let dir = tempfile::tempdir().unwrap();
            let url = format!("sqlite://{}", dir.path().join("bench.sqlite3").display());
            return Some(BenchDb {
                url,
                _dir: Some(dir),
                _cleanup: None,
            });
        }
        let admin = std::env::var("KASSA_TEST_POSTGRES_URL")
            .ok()
            .filter(|u| !u.is_empty())?;
        let url = create_pg_database(&admin).await;
        Some(BenchDb {
            url: url.clone(),
            _dir: None,
            _cleanup: Some(PgCleanup(url)),
        })
    }
}

pub async fn pg_exec(admin: &str, sql: String) {
    use sea_orm::sqlx::{AssertSqlSafe, Connection, Executor, PgConnection, raw_sql};
    let mut conn = PgConnection::connect(admin).await.unwrap();
    conn.execute(raw_sql(AssertSqlSafe(sql))).await.unwrap();
}

/// A fresh database for one benchmark run; dropped by [`PgCleanup`].
pub async fn create_pg_database(admin: &str) -> String {
    let name = format!("kassa_bench_{:08x}", rand::random::<u32>());
    pg_exec(admin, format!("CREATE DATABASE {name}")).await;
    let mut u = url::Url::parse(admin).unwrap();
    u.set_path(&name);
    u.to_string()
}

pub struct PgCleanup(String);

impl Drop for PgCleanup {
    fn drop(&mut self) {
        if !self.0.starts_with("postgres") {
            return;
        }
        let mut admin = url::Url::parse(&self.0).unwrap();
        let name = admin.path().trim_start_matches('/').to_string();
        admin.set_path("/postgres");
        let admin = admin.to_string();
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(pg_exec(
                &admin,
                format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            ));
        })
        .join();
    }
}

/// A server child process that printed `READY <addr> [key]`.
pub struct Server {
    child: Child,
    pub addr: String,
    pub key: String,
}

impl Server {
    pub fn start(args: &[&str]) -> Server {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(args)
            .env("KASSA_LOG", "warn")
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let mut parts = line.split_whitespace().skip(1);
        let addr = parts
            .next()
            .expect("the server printed its address")
            .to_string();
        let key = parts.next().unwrap_or_default().to_string();
        Server { child, addr, key }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Kassa itself on the database at `db` (a full URL), with one benchmark
/// merchant whose webhooks go to `webhook_url` when given. Prints
/// `READY <addr> <api key>`.
/// The benchmarks' merchant: `shop.example`, a payout wallet, a webhook
/// secret, and `webhook_url` if deliveries are measured.
pub fn bench_merchant(
    key: &kassa::domain::api_key::NewApiKey,
    webhook_url: Option<String>,
) -> kassa::store::merchants::NewMerchant {
    kassa::store::merchants::NewMerchant {
        email: "bench@shop.example".into(),
        api_key_id: key.id.clone(),
        api_key_hash: key.hash.clone(),
        domains: vec!["shop.example".into()],
        payout_wallet: Some("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed".into()),
        package: kassa::domain::merchant::Package::Pro,
        checkout_mode: kassa::domain::merchant::CheckoutMode::SmartRouter,
        country: None,
        crypto_enabled: true,
        webhook_url,
        webhook_secret: Some(kassa::domain::api_key::new_webhook_secret()),
        branding: kassa::domain::branding::Branding::default(),
        password_hash: None,
    }
}

pub fn serve_kassa(db: &str, webhook_url: Option<&str>) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    kassa::telemetry::init("warn");
    actix_web::rt::System::new().block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let raw = kassa::config::RawSettings {
            bind: "127.0.0.1:0".into(),
            data_dir: dir.path().display().to_string(),
            database_url: Some(db.to_string()),
            rate_limit_per_second: 10_000_000,
            rate_limit_burst: 10_000_000,
            webhook_allow_private: webhook_url.is_some(),
            webhook_endpoint_concurrency: 64,
            // Sweeps stay out of the measured window (and out of the
            // webhook counts): these benchmarks measure the API and checkout.
            payout_poll_ms: 3_600_000,
            ..kassa::config::RawSettings::default()
        };
        let settings = kassa::config::Settings::check(raw).unwrap();
        let app = kassa::startup::Application::build(settings, Arc::new(kassa::clock::SystemClock))
            .await
            .unwrap();
        let key = kassa::domain::api_key::generate();
        app.store()
            .create_merchant(bench_merchant(&key, webhook_url.map(str::to_string)), 0)
            .await
            .unwrap();
        println!("READY {} {}", app.address(), key.key);
        app.run_until_stopped().await.unwrap();
    });
}
