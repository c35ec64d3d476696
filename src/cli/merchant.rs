//! `kassa merchant create | update | list` (and `set-password`, in
//! `merchant_password.rs`; `keys …`, in `merchant_keys.rs`): flags in, `app::merchants` does
//! the checking, key generation and writing, and this file prints the answer.
//! `update --payout-wallet` goes through the payout wallet cool-off like every
//! door; `--payout-wallet-now` is the operator's explicit override;
//! `--disable` / `--enable`, the provider lists and partner split
//! (`merchant_console.rs`) and `list --search` are the admin console's
//! calls (`app::merchants::admin`).
//! It must not parse a field or write a merchant row itself, and it words
//! every refusal after the flag it came from (the tests read these texts).

use std::time::Duration;

use anyhow::anyhow;
use clap::{Args, Subcommand};
use serde_json::json;

use super::branding::BrandingArgs;
use super::merchant_wallet::WalletFlags;
use crate::app::merchants::{
    self, BrandingField, FieldError, MerchantChanges, MerchantError, NewMerchantFields,
    WebhookTargets,
};
use crate::app::routing_admin::RoutingScope;
use crate::clock::{Clock, SystemClock};
use crate::config::{Mode, Settings};
use crate::domain::audit::AuditActor;
use crate::domain::payout_wallet::ChangeRules;
use crate::domain::session::EventKind;
use crate::store::Store;

#[derive(Debug, Subcommand)]
pub enum MerchantCommand {
    /// Create a merchant; prints its API key once.
    Create(CreateArgs),
    /// Change a merchant's settings.
    Update(UpdateArgs),
    /// Set a merchant's dashboard password, read from standard input (one line).
    SetPassword(super::merchant_password::SetPasswordArgs),
    /// A merchant's API keys: create, list, revoke.
    #[command(subcommand)]
    Keys(super::merchant_keys::KeysCommand),
    /// List merchants, newest first.
    List {
        #[arg(long)]
        json: bool,
        /// Only merchants with this id, or whose e-mail, shop domain or
        /// display name contains this text.
        #[arg(long)]
        search: Option<String>,
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
    /// New payout wallet: takes effect after the cool-off
    /// (`payout_wallet_cooloff_hours`); the merchant is told by webhook.
    #[arg(long)]
    payout_wallet: Option<String>,
    /// Operator override: the new payout wallet takes effect at once.
    #[arg(long, requires = "payout_wallet")]
    payout_wallet_now: bool,
    /// Drop a payout wallet change still waiting out its cool-off.
    #[arg(long, conflicts_with = "payout_wallet")]
    cancel_payout_wallet_change: bool,
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
    #[command(flatten)]
    console: super::merchant_console::ConsoleFlags,
    /// Issue a new API key and revoke every other one of the merchant; printed once.
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
    let targets = WebhookTargets {
        https_only: settings.mode == Mode::Live,
        allow_private: settings.webhook_allow_private,
    };
    match cmd {
        MerchantCommand::Create(args) => create(&store, args, targets).await,
        MerchantCommand::Update(args) => {
            let scope = RoutingScope {
                store: &store,
                sandbox: settings.mode == Mode::Sandbox,
                onramp: &settings.onramp,
            };
            update(&scope, args, targets, settings.wallet_change).await
        }
        MerchantCommand::SetPassword(args) => {
            super::merchant_password::set_password(&store, args).await
        }
        MerchantCommand::Keys(cmd) => super::merchant_keys::run(cmd, &store).await,
        MerchantCommand::List { json, search } => {
            super::merchant_list::list(&store, json, search.as_deref(), SystemClock.now_ms()).await
        }
    }
}

async fn create(store: &Store, a: CreateArgs, targets: WebhookTargets) -> anyhow::Result<()> {
    let fields = NewMerchantFields {
        email: a.email,
        domains: a.domains,
        payout_wallet: Some(a.payout_wallet),
        package: a.package,
        checkout_mode: a.checkout_mode,
        country: a.country,
        crypto_enabled: a.crypto == "on",
        webhook_url: a.webhook_url,
        webhook_secret: a.webhook_secret,
        branding: a.branding.fields(),
        password: None,
    };
    let created = merchants::create(store, fields, targets, SystemClock.now_ms())
        .await
        .map_err(|e| match e {
            MerchantError::Store(e) => anyhow::Error::new(e).context("creating the merchant"),
            other => refusal(other),
        })?;
    let id = created.id;
    if a.json {
        println!(
            "{}",
            json!({ "merchant_id": id, "api_key": created.api_key, "webhook_secret": created.webhook_secret, "domains": created.domains })
        );
    } else {
        println!("merchant {id} created");
        println!(
            "  api_key:        {}  (shown once: store it now)",
            created.api_key
        );
        println!("  webhook_secret: {}", created.webhook_secret);
        println!("  domains:        {}", created.domains.join(", "));
    }
    Ok(())
}

async fn update(
    scope: &RoutingScope<'_>,
    a: UpdateArgs,
    targets: WebhookTargets,
    rules: ChangeRules,
) -> anyhow::Result<()> {
    let store = scope.store;
    // Checked before anything is written; changed after the other fields.
    if let Some(raw) = &a.payout_wallet {
        merchants::fields::payout_wallet(raw).map_err(|e| refusal(e.into()))?;
    }
    // What the admin console's merchant page does, done the same way
    // (each audited on its own line).
    a.console.check()?;
    a.console.apply(scope, a.id).await?;
    let changes = MerchantChanges {
        email: a.email,
        domains: (!a.domains.is_empty()).then_some(a.domains),
        package: a.package,
        checkout_mode: a.checkout_mode,
        country: a.country,
        crypto_enabled: a.crypto.as_deref().map(|c| c == "on"),
        disabled: None,
        webhook_url: a.webhook_url,
        webhook_secret: a.webhook_secret,
        branding: a.branding.fields(),
        rotate_api_key: a.rotate_api_key,
        rotate_webhook_secret: a
            .rotate_webhook_secret
            .then(|| Duration::from_secs(a.rotation_window_hours.saturating_mul(3_600))),
        enable_webhook: a.webhook_enable,
        webhook_statuses: a.webhook_statuses,
    };
    let before = merchants::find(store, a.id).await.map_err(refusal)?;
    let secrets = secret_changes(&changes);
    let updated = merchants::update(store, a.id, changes, targets, SystemClock.now_ms())
        .await
        .map_err(refusal)?;
    // A refused wallet change must not hide a key issued just before it.
    let wallet = match (WalletFlags {
        payout_wallet: a.payout_wallet.clone(),
        now: a.payout_wallet_now,
        cancel: a.cancel_payout_wallet_change,
    })
    .apply(store, a.id, rules)
    .await
    {
        Ok(wallet) => wallet,
        Err(e) => {
            audit_update(store, &before, &secrets).await?;
            if let Some(key) = updated.api_key {
                println!(
                    "merchant {} updated; new api_key: {key}  (shown once)",
                    a.id
                );
            }
            return Err(e);
        }
    };
    audit_update(store, &before, &secrets).await?;
    match (a.json, updated.api_key) {
        (true, key) => println!(
            "{}",
            json!({
                "merchant_id": a.id,
                "updated": true,
                "api_key": key,
                "payout_wallet": wallet.changed_json(),
                "cancelled_payout_wallet": wallet.cancelled_json(),
            })
        ),
        (false, Some(key)) => println!(
            "merchant {} updated; new api_key: {key}  (shown once)",
            a.id
        ),
        (false, None) => println!("merchant {} updated", a.id),
    }
    if a.json {
        return Ok(());
    }
    wallet.print();
    Ok(())
}

/// What an update does to the merchant's secrets, named for the audit
/// line (the values never are).
fn secret_changes(changes: &MerchantChanges) -> Vec<(&'static str, &'static str)> {
    let mut out = Vec::new();
    if changes.webhook_secret.is_some() {
        out.push(("webhook_secret", "set"));
    }
    if changes.rotate_webhook_secret.is_some() {
        out.push(("webhook_secret", "rotated"));
    }
    if changes.rotate_api_key {
        out.push(("api_key", "rotated"));
    }
    out
}

/// The operators' audit line of an update made here: the fields that changed.
async fn audit_update(
    store: &Store,
    before: &crate::domain::merchant::Merchant,
    secrets: &[(&str, &str)],
) -> anyhow::Result<()> {
    let after = merchants::find(store, before.id).await.map_err(refusal)?;
    crate::app::audit_log::record_merchant_update(
        store,
        SystemClock.now_ms(),
        AuditActor::Cli,
        before,
        &after,
        secrets,
    )
    .await?;
    Ok(())
}

/// A refusal from `app::merchants`, worded after the flag it came from.
pub(super) fn refusal(err: MerchantError) -> anyhow::Error {
    match err {
        MerchantError::Field(field) => match field {
            FieldError::Email(e) => anyhow!("--email: `{e}` is not an e-mail address"),
            FieldError::Domain(d) => anyhow!("--domain: `{d}` is not a shop domain"),
            FieldError::PayoutWallet(raw) => anyhow!(
                "--payout-wallet: `{raw}` is not a valid Polygon address (0x + 40 hex digits, EIP-55 checksum if mixed case)"
            ),
            FieldError::Country(raw) => {
                anyhow!("--country: `{raw}` is not a two-letter country code")
            }
            FieldError::Package(_) => anyhow!("--package"),
            FieldError::CheckoutMode(_) => anyhow!("--checkout-mode"),
            FieldError::WebhookStatus(s) => anyhow!(
                "--webhook-statuses: unknown status `{s}` (known: {})",
                EventKind::ALL.map(EventKind::as_str).join(", ")
            ),
            FieldError::Branding {
                field,
                value,
                error,
            } => {
                let flag = match field {
                    BrandingField::DisplayName => "--display-name",
                    BrandingField::LogoUrl => "--logo-url",
                    BrandingField::AccentColor => "--accent-color",
                };
                anyhow!("{flag}: `{value}` refused: {error}")
            }
        },
        MerchantError::WebhookUrl(e) => anyhow!("--webhook-url: {e}"),
        MerchantError::NotFound(id) => anyhow!("no merchant with id {id}"),
        MerchantError::Password(e) => anyhow!("{e}"),
        MerchantError::NoWebhookEndpoint(id) => {
            anyhow!("merchant {id} has no webhook URL or secret")
        }
        MerchantError::EventNotFound(event) => anyhow!("no webhook event {event}"),
        MerchantError::NoPendingWalletChange(id) => anyhow!(
            "--cancel-payout-wallet-change: merchant {id} has no payout wallet change waiting"
        ),
        MerchantError::EmailTaken(email) => {
            anyhow!("--email: `{email}` is already the address of another merchant")
        }
        MerchantError::Store(e) => anyhow::Error::new(e),
    }
}
