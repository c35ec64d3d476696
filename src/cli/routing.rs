//! `kassa routing import FILE` (check a routing file with the same parser
//! as ever and make it the live configuration, with an audit line),
//! `kassa routing export` (the live configuration as a routing file that
//! `import` accepts again), and the provider credentials kept in the
//! database: `credentials` (where each comes from, masked), `set-credential
//! NAME` (the value read from standard input, never from the command line,
//! which other users and shell history can see) and `clear-credential NAME`.
//! Every node picks a change up within `routing_reload_ms`, without a restart.

use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;

use crate::app::routing_admin::{self, RoutingScope};
use crate::clock::{Clock, SystemClock};
use crate::config::{Mode, Settings};
use crate::domain::audit::AuditActor;
use crate::domain::routing::credential::{CredentialName, CredentialValue};
use crate::store::Store;

#[derive(Debug, Subcommand)]
pub enum RoutingCommand {
    /// Check a routing file and make it the live Smart Routing configuration.
    Import {
        /// The routing file (TOML, see routing.example.toml).
        file: PathBuf,
    },
    /// Print the live Smart Routing configuration as a routing file.
    Export,
    /// Show each provider credential's source (database, configuration,
    /// missing) and a masked form.
    Credentials {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Store a provider credential in the database (overrides configuration);
    /// the value is read from standard input.
    SetCredential {
        /// e.g. moonpay_api_key, transak_api_key, partner_id.
        name: String,
    },
    /// Remove a provider credential from the database (configuration's
    /// value, if any, applies again).
    ClearCredential { name: String },
}

pub async fn run(cmd: RoutingCommand, settings: &Settings) -> anyhow::Result<()> {
    let store = Store::connect(&settings.database).await?;
    store.migrate().await?;
    let scope = RoutingScope {
        store: &store,
        sandbox: settings.mode == Mode::Sandbox,
        onramp: &settings.onramp,
    };
    match cmd {
        RoutingCommand::Import { file } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("reading the routing file {}", file.display()))?;
            let version =
                routing_admin::import(&scope, AuditActor::Cli, SystemClock.now_ms(), &text)
                    .await
                    .with_context(|| format!("{} was not imported", file.display()))?;
            println!(
                "imported {} as routing version {version}; every node applies it within {} ms",
                file.display(),
                settings.routing_reload.as_millis()
            );
            Ok(())
        }
        RoutingCommand::Export => {
            print!("{}", routing_admin::export(&scope).await?);
            Ok(())
        }
        RoutingCommand::Credentials { json } => {
            let live = routing_admin::current(&scope).await?;
            print_credentials(&live.credentials, json);
            Ok(())
        }
        RoutingCommand::SetCredential { name } => {
            let name = credential_name(&name)?;
            let mut text = String::new();
            std::io::stdin()
                .read_line(&mut text)
                .context("reading the credential from standard input")?;
            let value = CredentialValue::parse(name, &text)?;
            let version = routing_admin::set_credential(
                &scope,
                AuditActor::Cli,
                SystemClock.now_ms(),
                name,
                value,
            )
            .await?;
            println!(
                "{} stored in the database (routing version {version})",
                name.as_str()
            );
            Ok(())
        }
        RoutingCommand::ClearCredential { name } => {
            let name = credential_name(&name)?;
            let version = routing_admin::clear_credential(
                &scope,
                AuditActor::Cli,
                SystemClock.now_ms(),
                name,
            )
            .await?;
            println!(
                "{} removed from the database (routing version {version})",
                name.as_str()
            );
            Ok(())
        }
    }
}

fn credential_name(name: &str) -> anyhow::Result<CredentialName> {
    CredentialName::parse(name).ok_or_else(|| {
        let known: Vec<&str> = CredentialName::ALL.iter().map(|n| n.as_str()).collect();
        anyhow::anyhow!("`{name}` is not a credential; one of: {}", known.join(", "))
    })
}

fn print_credentials(views: &[routing_admin::CredentialView], json: bool) {
    if json {
        let rows: Vec<serde_json::Value> = views
            .iter()
            .map(|v| {
                serde_json::json!({
                    "name": v.name.as_str(),
                    "provider": v.provider.as_str(),
                    "source": v.source.as_str(),
                    "value": v.masked,
                })
            })
            .collect();
        println!("{}", serde_json::Value::Array(rows));
        return;
    }
    println!(
        "{:<26} {:<14} {:<14} value",
        "credential", "provider", "source"
    );
    for v in views {
        println!(
            "{:<26} {:<14} {:<14} {}",
            v.name.as_str(),
            v.provider.as_str(),
            v.source.as_str(),
            v.masked.as_deref().unwrap_or("-")
        );
    }
}
