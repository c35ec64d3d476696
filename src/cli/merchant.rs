//! `kassa merchant create | update | list`.

use anyhow::{Context, anyhow, bail};
use clap::{Args, Subcommand};
use serde_json::json;

use super::branding::BrandingArgs;
use crate::clock::{Clock, SystemClock};
use crate::config::Settings;
use crate::domain::api_key;
use crate::domain::email::Email;
use crate::domain::merchant::{CheckoutMode, Package, parse_country};
use crate::domain::session::EventKind;
use crate::domain::shop_domain::ShopDomain;
use crate::domain::wallet::WalletAddress;
use crate::store::Store;
use crate::store::merchants::{MerchantUpdate, NewMerchant};

#[derive(Debug, Subcommand)]
pub enum MerchantCommand {
    /// Create a merchant; prints its API key once.
    Create(CreateArgs),
    /// Change a merchant's settings.
    Update(UpdateArgs),
    /// List merchants.
    List {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    #[arg(long)]
    email: String,
    /// Allowlisted shop domain (repeatable).
    #[arg(long = "domain", required = true)]
    domains: Vec<String>,
    #[arg(long)]
    payout_wallet: String,
    #[arg(long, default_value = "free", value_parser = ["free", "pro", "unlimited"])]
    package: String,
    #[arg(long, default_value = "standard", value_parser = ["standard", "smart_router"])]
    checkout_mode: String,
    #[arg(long)]
    country: Option<String>,
    #[arg(long, default_value = "on", value_parser = ["on", "off"])]
    crypto: String,
    #[arg(long)]
    webhook_url: Option<String>,
    /// Webhook secret (default: a new `whsec_…` secret).
    #[arg(long)]
    webhook_secret: Option<String>,
    #[command(flatten)]
    branding: BrandingArgs,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// The merchant id.
    #[arg(long)]
    id: i64,
    #[arg(long)]
    email: Option<String>,
    /// Replaces the allowlist (repeatable).
    #[arg(long = "domain")]
    domains: Vec<String>,
    #[arg(long)]
    payout_wallet: Option<String>,
    #[arg(long, value_parser = ["free", "pro", "unlimited"])]
    package: Option<String>,
    #[arg(long, value_parser = ["standard", "smart_router"])]
    checkout_mode: Option<String>,
    #[arg(long)]
    country: Option<String>,
    #[arg(long, value_parser = ["on", "off"])]
    crypto: Option<String>,
    #[arg(long)]
    webhook_url: Option<String>,
    #[arg(long)]
    webhook_secret: Option<String>,
    #[command(flatten)]
    branding: BrandingArgs,
    #[arg(long, conflicts_with = "enable")]
    disable: bool,
    #[arg(long)]
    enable: bool,
    /// Issue a new API key (the old one stops working); printed once.
    #[arg(long)]
    rotate_api_key: bool,
    /// New webhook secret; the old one keeps signing (Standard Webhooks header) for the window.
    #[arg(long)]
    rotate_webhook_secret: bool,
    /// How long the old webhook secret stays valid after a rotation (hours).
    #[arg(long, default_value_t = 24)]
    rotation_window_hours: u64,
    /// Re-enable a webhook endpoint parked after it answered 410 Gone.
    #[arg(long)]
    webhook_enable: bool,
    /// Event statuses to deliver, comma-separated (e.g. `paid,expired`); `all` for every status.
    #[arg(long)]
    webhook_statuses: Option<String>,
    #[arg(long)]
    json: bool,
}

pub async fn run(cmd: MerchantCommand, settings: &Settings) -> anyhow::Result<()> {
    let store = Store::connect(&settings.database).await?;
    store.migrate().await?;
    match cmd {
        MerchantCommand::Create(args) => {
            check_webhook_url(&args.webhook_url, settings).await?;
            create(&store, args).await
        }
        MerchantCommand::Update(args) => {
            check_webhook_url(&args.webhook_url, settings).await?;
            update(&store, args).await
        }
        MerchantCommand::List { json } => super::merchant_list::list(&store, json).await,
    }
}

/// A webhook URL is checked when it is saved as well as at each delivery.
async fn check_webhook_url(url: &Option<String>, settings: &Settings) -> anyhow::Result<()> {
    if let Some(url) = url.as_deref().filter(|u| !u.is_empty()) {
        crate::webhooks::ssrf::check_url(
            url,
            settings.mode == crate::config::Mode::Live,
            settings.webhook_allow_private,
        )
        .await
        .map_err(|e| anyhow!("--webhook-url: {e}"))?;
    }
    Ok(())
}

async fn create(store: &Store, a: CreateArgs) -> anyhow::Result<()> {
    let email = Email::parse(&a.email)
        .map_err(|_| anyhow!("--email: `{}` is not an e-mail address", a.email))?;
    let domains = parse_domains(&a.domains)?;
    let wallet = parse_wallet(&a.payout_wallet)?;
    let country = a.country.as_deref().map(country).transpose()?;
    let branding = a.branding.for_create()?;
    let key = api_key::generate();
    let secret = a
        .webhook_secret
        .clone()
        .unwrap_or_else(api_key::new_webhook_secret);
    let new = NewMerchant {
        email: email.as_str().to_string(),
        api_key_id: key.id.clone(),
        api_key_hash: key.hash.clone(),
        domains: domains.clone(),
        payout_wallet: Some(wallet),
        package: a.package.parse().map_err(|_| anyhow!("--package"))?,
        checkout_mode: a
            .checkout_mode
            .parse()
            .map_err(|_| anyhow!("--checkout-mode"))?,
        country,
        crypto_enabled: a.crypto == "on",
        webhook_url: a.webhook_url.clone(),
        webhook_secret: Some(secret.clone()),
        branding,
    };
    let id = store
        .create_merchant(new, SystemClock.now_ms())
        .await
        .context("creating the merchant")?;
    if a.json {
        println!(
            "{}",
            json!({ "merchant_id": id, "api_key": key.key, "webhook_secret": secret, "domains": domains })
        );
    } else {
        println!("merchant {id} created");
        println!("  api_key:        {}  (shown once: store it now)", key.key);
        println!("  webhook_secret: {secret}");
        println!("  domains:        {}", domains.join(", "));
    }
    Ok(())
}

async fn update(store: &Store, a: UpdateArgs) -> anyhow::Result<()> {
    let new_key = a.rotate_api_key.then(api_key::generate);
    let new_secret = a.rotate_webhook_secret.then(api_key::new_webhook_secret);
    let window_ms =
        i64::try_from(a.rotation_window_hours.saturating_mul(3_600_000)).unwrap_or(i64::MAX);
    let statuses = a
        .webhook_statuses
        .as_deref()
        .map(parse_statuses)
        .transpose()?;
    let mut update = MerchantUpdate {
        email: a
            .email
            .as_deref()
            .map(|e| {
                Email::parse(e)
                    .map(|e| e.as_str().to_string())
                    .map_err(|_| anyhow!("--email: `{e}` is not an e-mail address"))
            })
            .transpose()?,
        domains: if a.domains.is_empty() {
            None
        } else {
            Some(parse_domains(&a.domains)?)
        },
        payout_wallet: a.payout_wallet.as_deref().map(parse_wallet).transpose()?,
        package: a
            .package
            .as_deref()
            .map(|p| p.parse::<Package>().map_err(|_| anyhow!("--package")))
            .transpose()?,
        checkout_mode: a
            .checkout_mode
            .as_deref()
            .map(|m| {
                m.parse::<CheckoutMode>()
                    .map_err(|_| anyhow!("--checkout-mode"))
            })
            .transpose()?,
        country: a.country.as_deref().map(country).transpose()?,
        crypto_enabled: a.crypto.as_deref().map(|c| c == "on"),
        disabled: if a.disable {
            Some(true)
        } else if a.enable {
            Some(false)
        } else {
            None
        },
        webhook_url: a.webhook_url,
        webhook_secret: a.webhook_secret,
        api_key: new_key.as_ref().map(|k| (k.id.clone(), k.hash.clone())),
        webhook_disabled: a.webhook_enable.then_some(false),
        webhook_statuses: statuses,
        rotate_webhook_secret: new_secret
            .clone()
            .map(|s| (s, SystemClock.now_ms().saturating_add(window_ms))),
        ..MerchantUpdate::default()
    };
    a.branding.apply(&mut update)?;
    if !store
        .update_merchant(a.id, update, SystemClock.now_ms())
        .await?
    {
        bail!("no merchant with id {}", a.id);
    }
    match (a.json, new_key) {
        (true, key) => println!(
            "{}",
            json!({ "merchant_id": a.id, "updated": true, "api_key": key.map(|k| k.key) })
        ),
        (false, Some(key)) => println!(
            "merchant {} updated; new api_key: {}  (shown once)",
            a.id, key.key
        ),
        (false, None) => println!("merchant {} updated", a.id),
    }
    Ok(())
}

fn parse_domains(raw: &[String]) -> anyhow::Result<Vec<String>> {
    raw.iter()
        .map(|d| {
            ShopDomain::parse(d)
                .map(|d| d.as_str().to_string())
                .map_err(|_| anyhow!("--domain: `{d}` is not a shop domain"))
        })
        .collect()
}

fn parse_wallet(raw: &str) -> anyhow::Result<String> {
    WalletAddress::parse(raw)
        .map(|w| w.checksummed())
        .map_err(|_| anyhow!("--payout-wallet: `{raw}` is not a valid Polygon address (0x + 40 hex digits, EIP-55 checksum if mixed case)"))
}

/// `paid,expired` → the statuses; `all` → every status (an empty list).
fn parse_statuses(raw: &str) -> anyhow::Result<Vec<String>> {
    if raw.trim() == "all" {
        return Ok(Vec::new());
    }
    raw.split(',')
        .map(|s| s.trim().to_ascii_lowercase())
        .filter(|s| !s.is_empty())
        .map(|s| {
            if EventKind::ALL.iter().any(|k| k.as_str() == s) {
                Ok(s)
            } else {
                Err(anyhow!(
                    "--webhook-statuses: unknown status `{s}` (known: {})",
                    EventKind::ALL.map(EventKind::as_str).join(", ")
                ))
            }
        })
        .collect()
}

fn country(raw: &str) -> anyhow::Result<String> {
    parse_country(raw).ok_or_else(|| anyhow!("--country: `{raw}` is not a two-letter country code"))
}
