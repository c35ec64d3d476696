//! The flags of `kassa merchant update` that do what the admin console's
//! merchant page does, through the same `app::merchants::admin` calls:
//! `--disable` / `--enable`, `--allow-providers` / `--block-providers`
//! and `--partner-split`. Each is audited on its own line (actor `cli`);
//! running nodes pick up a routing change at their next poll of the
//! version, and on PostgreSQL forget a switched merchant's keys at once.
//!
//! Must not: write anything before every one of these flags has passed
//! ([`ConsoleFlags::check`] runs first).

use anyhow::anyhow;
use clap::Args;

use crate::app::api_keys::NoKeyCache;
use crate::app::merchants::admin::{self, AdminError, Console};
use crate::app::routing_admin::RoutingScope;
use crate::clock::{Clock, SystemClock};
use crate::domain::audit::AuditActor;
use crate::domain::routing::merchant_edit::provider_list;

#[derive(Debug, Args)]
pub struct ConsoleFlags {
    /// Switch the merchant off: its next API call answers `merchant_disabled`.
    #[arg(long, conflicts_with = "enable")]
    disable: bool,
    #[arg(long)]
    enable: bool,
    /// Only these providers for this merchant, comma-separated (`""`: every provider).
    #[arg(long)]
    allow_providers: Option<String>,
    /// Never these providers for this merchant, comma-separated (`""`: none).
    #[arg(long)]
    block_providers: Option<String>,
    /// Partner split for this merchant: `follow` the EPv2 switch, `on` or `off`.
    #[arg(long, value_parser = ["follow", "on", "off"])]
    partner_split: Option<String>,
}

fn slugs(text: &str) -> Vec<&str> {
    text.split([',', ' ']).filter(|s| !s.is_empty()).collect()
}

impl ConsoleFlags {
    /// Refuses a bad list before anything is written, naming the flag.
    pub fn check(&self) -> anyhow::Result<()> {
        for (flag, list) in [
            ("--allow-providers", &self.allow_providers),
            ("--block-providers", &self.block_providers),
        ] {
            if let Some(text) = list {
                provider_list(&slugs(text)).map_err(|e| anyhow!("{flag}: {e}"))?;
            }
        }
        Ok(())
    }

    /// Applies the flags given, in the order above.
    pub async fn apply(&self, scope: &RoutingScope<'_>, id: i64) -> anyhow::Result<()> {
        let console = Console {
            routing: *scope,
            router: None,
            keys: &NoKeyCache,
            actor: AuditActor::Cli,
            now_ms: SystemClock.now_ms(),
        };
        if self.disable || self.enable {
            admin::set_disabled(&console, id, self.disable)
                .await
                .map_err(|e| refusal("--disable/--enable", e))?;
        }
        if self.allow_providers.is_some() || self.block_providers.is_some() {
            let flags = "--allow-providers/--block-providers";
            let now = admin::detail(scope, id)
                .await
                .map_err(|e| refusal(flags, e))?;
            let keep = |set: &std::collections::BTreeSet<crate::domain::routing::Provider>| {
                set.iter().map(|p| p.as_str()).collect::<Vec<_>>()
            };
            let allow = self
                .allow_providers
                .as_deref()
                .map_or_else(|| keep(&now.rules.allow_providers), slugs);
            let block = self
                .block_providers
                .as_deref()
                .map_or_else(|| keep(&now.rules.block_providers), slugs);
            admin::set_provider_lists(&console, id, &allow, &block)
                .await
                .map_err(|e| refusal(flags, e))?;
        }
        if let Some(choice) = &self.partner_split {
            let split = match choice.as_str() {
                "on" => Some(true),
                "off" => Some(false),
                _ => None,
            };
            admin::set_partner_split(&console, id, split)
                .await
                .map_err(|e| refusal("--partner-split", e))?;
        }
        Ok(())
    }
}

/// A refusal worded after its flag (no such merchant is said plainly).
fn refusal(flag: &str, err: AdminError) -> anyhow::Error {
    match err {
        AdminError::Merchant(e) => super::merchant::refusal(e),
        AdminError::Routing(e) => anyhow!("{flag}: {e}"),
    }
}
