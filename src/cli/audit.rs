//! `kassa audit list [--limit N] [--before ID] [--json]`: the operators'
//! audit log, newest first, as a table or JSON lines' array. Before/after
//! records never hold a secret (they are redacted when written).

use clap::Subcommand;
use serde_json::{Value, json};

use crate::app::audit_log;
use crate::clock::format_doc_time;
use crate::config::Settings;
use crate::domain::audit::AuditEntry;
use crate::store::Store;

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Show the newest lines of the audit log.
    List {
        /// How many lines (at most 500).
        #[arg(long, default_value_t = 50)]
        limit: u64,
        /// Only lines older than this id (the `next_before` of a page).
        #[arg(long)]
        before: Option<i64>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(cmd: AuditCommand, settings: &Settings) -> anyhow::Result<()> {
    let store = Store::connect(&settings.database).await?;
    store.migrate().await?;
    match cmd {
        AuditCommand::List {
            limit,
            before,
            json,
        } => {
            let page = audit_log::list(&store, before, limit).await?;
            if json {
                let rows: Vec<Value> = page.entries.iter().map(entry_json).collect();
                println!(
                    "{}",
                    json!({ "entries": rows, "next_before": page.next_before })
                );
                return Ok(());
            }
            println!(
                "{:>6}  {:<19}  {:<10} {:<26} {:<28} change",
                "id", "at (UTC)", "actor", "action", "subject"
            );
            for e in &page.entries {
                println!(
                    "{:>6}  {:<19}  {:<10} {:<26} {:<28} {} → {}",
                    e.id,
                    format_doc_time(e.at_ms),
                    e.actor.to_text(),
                    e.action,
                    e.subject,
                    shown(e.before.as_ref()),
                    shown(e.after.as_ref()),
                );
            }
            if let Some(next) = page.next_before {
                println!("older lines: kassa audit list --before {next}");
            }
            Ok(())
        }
    }
}

fn shown(v: Option<&Value>) -> String {
    v.map_or_else(|| "-".to_string(), Value::to_string)
}

fn entry_json(e: &AuditEntry) -> Value {
    json!({
        "id": e.id,
        "at": format_doc_time(e.at_ms),
        "at_ms": e.at_ms,
        "actor": e.actor.to_text(),
        "action": e.action,
        "subject": e.subject,
        "before": e.before,
        "after": e.after,
    })
}
