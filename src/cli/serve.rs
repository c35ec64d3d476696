//! `kassa serve`: build the application, seed the sandbox demo merchant on a
//! first start (its API key, webhook secret and dashboard login printed once
//! and saved to `demo-merchant.json`), and serve until Ctrl-C / SIGTERM.
//!
//! On SQLite the server first takes the database's single-node lock
//! ([`crate::store::node_lock`]) and holds it until it exits: a second
//! server on the same data folder refuses to start.
//!
//! Shutdown (SIGTERM or Ctrl-C) is graceful: the listener closes at once,
//! requests in progress finish (each create answers only after its commit),
//! and the process exits 0 once they have, or after the server's shutdown
//! timeout. Webhook deliveries cut short stay pending in the outbox, their
//! claims given back, and are sent again after the restart (or at once by
//! another node sharing the database).

use std::sync::Arc;

use secrecy::ExposeSecret;
use serde_json::json;

use super::ensure_dir;
use crate::app::merchants::{self, BrandingFields, NewMerchantFields, WebhookTargets};
use crate::chain::hd::write_private;
use crate::clock::{Clock, SystemClock};
use crate::config::{Mode, Settings};
use crate::domain::merchant::{CheckoutMode, Package};
use crate::domain::password;
use crate::startup::Application;
use crate::store::node_lock::NodeLock;

/// A valid, checksummed demo payout address (the EIP-55 example vector).
const DEMO_WALLET: &str = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";

pub async fn serve(settings: Settings) -> anyhow::Result<()> {
    // Before anything else touches the database or the port.
    let _lock = NodeLock::acquire(&settings.database.url)?;
    let mode = settings.mode;
    let data_dir = settings.data_dir.clone();
    let targets = WebhookTargets {
        https_only: mode == Mode::Live,
        allow_private: settings.webhook_allow_private,
    };
    if mode == Mode::Sandbox {
        ensure_dir(&data_dir)?;
    }
    let app = Application::build(settings, Arc::new(SystemClock)).await?;
    if mode == Mode::Sandbox && !app.store().has_merchants().await? {
        seed_demo_merchant(&app, &data_dir, targets).await?;
    }
    tracing::info!(address = %app.address(), mode = mode.as_str(), "kassa is listening");
    let handle = app.server_handle();
    actix_web::rt::spawn(async move {
        shutdown_signal().await;
        tracing::info!("shutting down");
        handle.stop(true).await;
    });
    app.run_until_stopped().await?;
    Ok(())
}

async fn seed_demo_merchant(
    app: &Application,
    data_dir: &std::path::Path,
    targets: WebhookTargets,
) -> anyhow::Result<()> {
    // The dashboard login: a random password, stored only hashed.
    let password = password::generate();
    let demo = NewMerchantFields {
        email: "demo@shop.example".into(),
        domains: vec!["shop.example".into()],
        payout_wallet: Some(DEMO_WALLET.into()),
        package: Package::Pro.as_str().into(),
        checkout_mode: CheckoutMode::SmartRouter.as_str().into(),
        country: Some("NL".into()),
        crypto_enabled: true,
        webhook_url: None,
        webhook_secret: None,
        branding: BrandingFields {
            display_name: Some("Demo Shop".into()),
            ..BrandingFields::default()
        },
        password: Some(password::NewPassword::parse(password.clone())?),
    };
    let email = demo.email.clone();
    let created = merchants::create(app.store(), demo, targets, SystemClock.now_ms()).await?;
    let (id, secret) = (created.id, created.webhook_secret);
    let key = created.api_key;
    let password = password.expose_secret();
    let file = data_dir.join("demo-merchant.json");
    let record = json!({
        "merchant_id": id,
        "api_key": key,
        "webhook_secret": secret,
        "domain": "shop.example",
        "email": email,
        "password": password,
    });
    let _ = std::fs::remove_file(&file);
    write_private(&file, serde_json::to_string_pretty(&record)?.as_bytes())?;
    println!(
        "\nSandbox demo merchant created (shown once; also saved to {}):",
        file.display()
    );
    println!("  merchant_id:    {id}");
    println!("  api_key:        {key}");
    println!("  webhook_secret: {secret}");
    println!("  domain:         shop.example");
    println!("  login e-mail:   {email}");
    println!("  password:       {password}\n");
    Ok(())
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
