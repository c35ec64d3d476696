//! `kassa merchant keys create | list | revoke`: a merchant's API keys
//! through `app::api_keys`. `create` prints the new key once (only its hash
//! is stored); `list` shows prefixes (`kassa_<id>`), labels and dates, never
//! a secret; `revoke` refuses the key from now on (running nodes on
//! PostgreSQL hear of it at once; a node on SQLite within its cache TTL).
//! It must not read or write key rows itself, and a key typed by a person
//! never appears in what it prints.

use anyhow::anyhow;
use clap::{Args, Subcommand};
use secrecy::ExposeSecret;
use serde_json::{Value, json};

use crate::app::api_keys::{self, ApiKeyError, ApiKeySummary, NoKeyCache};
use crate::clock::{Clock, SystemClock};
use crate::domain::api_key::display_prefix;
use crate::store::Store;

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Create another API key for the merchant; prints it once.
    Create(CreateKeyArgs),
    /// List the merchant's API keys (prefixes, labels, dates; never a secret).
    List(ListKeysArgs),
    /// Revoke one of the merchant's API keys: it is refused from now on.
    Revoke(RevokeKeyArgs),
}

#[derive(Debug, Args)]
pub struct CreateKeyArgs {
    /// The merchant id.
    #[arg(long)]
    id: i64,
    /// A name for the key (up to 64 characters), e.g. `shop backend`.
    #[arg(long)]
    label: Option<String>,
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct ListKeysArgs {
    /// The merchant id.
    #[arg(long)]
    id: i64,
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct RevokeKeyArgs {
    /// The merchant id.
    #[arg(long)]
    id: i64,
    /// The key's prefix as listed (`kassa_…`).
    #[arg(long)]
    key: String,
}

pub async fn run(cmd: KeysCommand, store: &Store) -> anyhow::Result<()> {
    let now_ms = SystemClock.now_ms();
    match cmd {
        KeysCommand::Create(a) => {
            let created = api_keys::create(store, a.id, a.label.as_deref(), now_ms)
                .await
                .map_err(refusal)?;
            let key = created.key.expose_secret();
            if a.json {
                let mut out = key_json(&created.summary);
                out["api_key"] = json!(key);
                println!("{out}");
            } else {
                println!(
                    "api key {} created for merchant {}",
                    display_prefix(&created.summary.prefix),
                    a.id
                );
                println!("  api_key: {key}  (shown once: store it now)");
            }
        }
        KeysCommand::List(a) => {
            let keys = api_keys::list(store, a.id).await.map_err(refusal)?;
            if a.json {
                println!("{}", Value::Array(keys.iter().map(key_json).collect()));
            } else {
                print_table(&keys);
            }
        }
        KeysCommand::Revoke(a) => {
            let revoked = api_keys::revoke(store, &NoKeyCache, a.id, &a.key, now_ms)
                .await
                .map_err(refusal)?;
            println!(
                "api key {} of merchant {} revoked",
                display_prefix(&revoked.prefix),
                a.id
            );
        }
    }
    Ok(())
}

fn key_json(k: &ApiKeySummary) -> Value {
    json!({
        "id": k.id,
        "merchant_id": k.merchant_id,
        "prefix": display_prefix(&k.prefix),
        "label": k.label,
        "created_at": k.created_at,
        "last_used_at": k.last_used_at,
        "revoked_at": k.revoked_at,
        "active": k.is_active(),
    })
}

/// Unix ms as `YYYY-MM-DD HH:MM:SS` (UTC), or `-`.
fn when(ms: Option<i64>) -> String {
    ms.and_then(chrono::DateTime::from_timestamp_millis)
        .map_or_else(
            || "-".to_string(),
            |t| t.format("%Y-%m-%d %H:%M:%S").to_string(),
        )
}

fn print_table(keys: &[ApiKeySummary]) {
    println!(
        "{:<20} {:<24} {:<8} {:<20} {:<20} revoked",
        "prefix", "label", "state", "created", "last used"
    );
    for k in keys {
        println!(
            "{:<20} {:<24} {:<8} {:<20} {:<20} {}",
            display_prefix(&k.prefix),
            k.label.as_deref().unwrap_or("-"),
            if k.is_active() { "active" } else { "revoked" },
            when(Some(k.created_at)),
            when(k.last_used_at),
            when(k.revoked_at)
        );
    }
}

/// A refusal from `app::api_keys`, worded after the flag it came from.
fn refusal(err: ApiKeyError) -> anyhow::Error {
    match err {
        ApiKeyError::MerchantNotFound(id) => anyhow!("--id: no merchant with id {id}"),
        ApiKeyError::KeyNotFound { merchant_id, key } => {
            anyhow!("--key: merchant {merchant_id} has no API key {key}")
        }
        ApiKeyError::TooManyKeys(limit) => anyhow!(
            "merchant already has {limit} active API keys (the most allowed): revoke one first"
        ),
        ApiKeyError::Label(e) => anyhow!("--label: {e}"),
        ApiKeyError::Store(e) => anyhow::Error::new(e),
    }
}
