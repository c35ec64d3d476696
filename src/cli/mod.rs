//! The command line: `serve` (the default), `migrate`, `merchant …`,
//! `link create|list`, `product create|list`, `sandbox pay …`,
//! `webhooks …`, `deposits held|forward|refund`, `payouts list|retry`,
//! `ledger check|export`, `audit list`, `routing import|export`,
//! `admin create|reset-totp|list`, `backup`, `restore`. Every command reads the
//! same configuration as the server, so the CLI works against the same
//! database while the server runs (all but `serve` and `restore`, which take
//! the SQLite single-node lock).

mod admin;
mod audit;
mod backup;
mod branding;
mod catalog_output;
mod deposits;
mod ledger;
mod links;
mod merchant;
mod merchant_console;
mod merchant_keys;
mod merchant_list;
mod merchant_password;
mod merchant_wallet;
mod payouts;
mod products;
mod restore;
mod routing;
mod sandbox;
mod serve;
mod webhooks;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::config::Settings;
use crate::store::Store;

#[derive(Debug, Parser)]
#[command(
    name = "kassa",
    version,
    about = "Self-hostable payment gateway (USDC on Polygon, signed webhooks)"
)]
pub struct Cli {
    /// Configuration file (default: ./kassa.toml when it exists).
    #[arg(long, global = true, env = "KASSA_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the gateway (the default).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Write a consistent copy of the SQLite database to PATH while the
    /// server runs (on PostgreSQL: print the `pg_dump` command).
    Backup {
        /// The backup file to create (it must not exist).
        path: PathBuf,
    },
    /// Replace the SQLite database with the backup at PATH (the server must
    /// be stopped; on PostgreSQL: print the `pg_restore` command).
    Restore {
        /// A file written by `kassa backup`.
        path: PathBuf,
    },
    /// Manage merchants.
    #[command(subcommand)]
    Merchant(Box<merchant::MerchantCommand>),
    /// Payment links merchants share (`/l/{slug}`).
    #[command(subcommand)]
    Link(links::LinkCommand),
    /// Products with a landing page (`/p/{slug}`).
    #[command(subcommand)]
    Product(products::ProductCommand),
    /// Sandbox tools (sandbox mode only).
    #[command(subcommand)]
    Sandbox(sandbox::SandboxCommand),
    /// Webhook delivery log, resend, replay, dead letters, test events.
    #[command(subcommand)]
    Webhooks(webhooks::WebhooksCommand),
    /// Deposits: money held and not counted; forward or refund it.
    #[command(subcommand)]
    Deposits(deposits::DepositsCommand),
    /// Sweeps to merchants: list them, retry a failed one.
    #[command(subcommand)]
    Payouts(payouts::PayoutsCommand),
    /// The money check, and payout exports for accounting.
    #[command(subcommand)]
    Ledger(ledger::LedgerCommand),
    /// Operators of the admin console: create one, reset a lost second factor.
    #[command(subcommand)]
    Admin(admin::AdminCommand),
    /// The operators' audit log.
    #[command(subcommand)]
    Audit(audit::AuditCommand),
    /// Smart Routing: import a routing file, export the live configuration.
    #[command(subcommand)]
    Routing(routing::RoutingCommand),
}

/// Runs the command; errors are printed by `main`.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = Settings::load(cli.config.as_deref())?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve::serve(settings).await,
        Command::Migrate => {
            let store = Store::connect(&settings.database).await?;
            store.migrate().await?;
            let clock: crate::clock::SharedClock = std::sync::Arc::new(crate::clock::SystemClock);
            crate::startup::seal_secrets_at_rest(&store, &clock).await?;
            println!("migrations applied to {}", redact(&settings.database.url));
            Ok(())
        }
        Command::Backup { path } => backup::run(&settings.database.url, &path).await,
        Command::Restore { path } => restore::run(&settings.database.url, &path).await,
        Command::Merchant(cmd) => merchant::run(*cmd, &settings).await,
        Command::Link(cmd) => {
            let (store, rules, base) = catalog(&settings).await?;
            links::run(cmd, &store, &rules, &base).await
        }
        Command::Product(cmd) => {
            let (store, rules, base) = catalog(&settings).await?;
            products::run(cmd, &store, &rules, &base).await
        }
        Command::Sandbox(cmd) => sandbox::run(cmd, &settings).await,
        Command::Webhooks(cmd) => webhooks::run(cmd, &settings).await,
        Command::Deposits(cmd) => deposits::run(cmd, &settings).await,
        Command::Payouts(cmd) => payouts::run(cmd, &settings).await,
        Command::Ledger(cmd) => ledger::run(cmd, &settings).await,
        Command::Admin(cmd) => admin::run(cmd, &settings).await,
        Command::Audit(cmd) => audit::run(cmd, &settings).await,
        Command::Routing(cmd) => routing::run(cmd, &settings).await,
    }
}

/// What the link and product commands work with: the migrated store, the
/// session rules their amounts are checked against, and the public base URL.
async fn catalog(
    settings: &Settings,
) -> anyhow::Result<(Store, crate::app::sessions::open::SessionRules, String)> {
    let store = Store::connect(&settings.database).await?;
    store.migrate().await?;
    let base = settings.public_base(settings.bind);
    let rules = crate::startup::session_rules(settings, &base)?;
    Ok((store, rules, base))
}

/// A database URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_string(),
    }
}

/// The folder for new files, created if needed.
fn ensure_dir(path: &std::path::Path) -> anyhow::Result<PathBuf> {
    std::fs::create_dir_all(path)?;
    Ok(path.to_path_buf())
}
