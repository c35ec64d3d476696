//! `kassa serve`: build the application, seed the sandbox demo merchant on a
//! first start, and serve until Ctrl-C / SIGTERM.

use std::sync::Arc;

use serde_json::json;

use super::ensure_dir;
use crate::chain::hd::write_private;
use crate::clock::{Clock, SystemClock};
use crate::config::{Mode, Settings};
use crate::domain::api_key;
use crate::domain::branding::{Branding, DisplayName};
use crate::domain::merchant::{CheckoutMode, Package};
use crate::startup::Application;
use crate::store::merchants::NewMerchant;

/// A valid, checksummed demo payout address (the EIP-55 example vector).
const DEMO_WALLET: &str = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";

pub async fn serve(settings: Settings) -> anyhow::Result<()> {
    let mode = settings.mode;
    let data_dir = settings.data_dir.clone();
    if mode == Mode::Sandbox {
        ensure_dir(&data_dir)?;
    }
    let app = Application::build(settings, Arc::new(SystemClock)).await?;
    if mode == Mode::Sandbox && !app.store().has_merchants().await? {
        seed_demo_merchant(&app, &data_dir).await?;
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

async fn seed_demo_merchant(app: &Application, data_dir: &std::path::Path) -> anyhow::Result<()> {
    let key = api_key::generate();
    let secret = api_key::new_webhook_secret();
    let id = app
        .store()
        .create_merchant(
            NewMerchant {
                email: "demo@shop.example".into(),
                api_key_id: key.id.clone(),
                api_key_hash: key.hash.clone(),
                domains: vec!["shop.example".into()],
                payout_wallet: Some(DEMO_WALLET.into()),
                package: Package::Pro,
                checkout_mode: CheckoutMode::SmartRouter,
                country: Some("NL".into()),
                crypto_enabled: true,
                webhook_url: None,
                webhook_secret: Some(secret.clone()),
                branding: Branding::named(DisplayName::parse("Demo Shop")?),
            },
            SystemClock.now_ms(),
        )
        .await?;
    let file = data_dir.join("demo-merchant.json");
    let record = json!({ "merchant_id": id, "api_key": key.key, "webhook_secret": secret, "domain": "shop.example" });
    let _ = std::fs::remove_file(&file);
    write_private(&file, serde_json::to_string_pretty(&record)?.as_bytes())?;
    println!(
        "\nSandbox demo merchant created (shown once; also saved to {}):",
        file.display()
    );
    println!("  merchant_id:    {id}");
    println!("  api_key:        {}", key.key);
    println!("  webhook_secret: {secret}");
    println!("  domain:         shop.example\n");
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
