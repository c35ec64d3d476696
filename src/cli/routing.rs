//! `kassa routing import FILE` (check a routing file with the same parser
//! as ever and make it the live configuration, with an audit line) and
//! `kassa routing export` (the live configuration as a routing file that
//! `import` accepts again). Every node picks a change up within
//! `routing_reload_ms`, without a restart.

use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;

use crate::app::routing_admin::{self, RoutingScope};
use crate::clock::{Clock, SystemClock};
use crate::config::{Mode, Settings};
use crate::domain::audit::AuditActor;
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
    }
}
