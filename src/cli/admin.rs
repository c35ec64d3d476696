//! `kassa admin create --email E [--json]` adds an operator of the admin
//! console and prints its one-time password (shown once, never stored in
//! the clear); `kassa admin reset-totp --email E` removes an operator's
//! TOTP second factor when its phone is lost (the next login enrols a new
//! one); `kassa admin list` shows the operators.

use clap::Subcommand;
use secrecy::ExposeSecret;
use serde_json::json;

use crate::app::operators;
use crate::clock::{Clock, SystemClock, format_doc_time};
use crate::config::Settings;
use crate::domain::audit::AuditActor;
use crate::store::Store;

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Add an operator; prints a one-time password to log in with.
    Create {
        #[arg(long)]
        email: String,
        /// Print `{"id":…,"email":…,"password":…}` instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Remove an operator's TOTP second factor (lost phone) and end its sessions.
    ResetTotp {
        #[arg(long)]
        email: String,
    },
    /// List the operators.
    List,
}

pub async fn run(cmd: AdminCommand, settings: &Settings) -> anyhow::Result<()> {
    let store = Store::connect(&settings.database).await?;
    store.migrate().await?;
    let now_ms = SystemClock.now_ms();
    match cmd {
        AdminCommand::Create { email, json } => {
            let created = operators::create(&store, &email, AuditActor::Cli, now_ms).await?;
            let password = created.password.expose_secret();
            if json {
                println!(
                    "{}",
                    json!({ "id": created.id, "email": created.email, "password": password })
                );
            } else {
                println!("operator {} created: {}", created.id, created.email);
                println!("one-time password (shown once): {password}");
                println!(
                    "log in at {}/admin/login; the first login enrols a TOTP authenticator",
                    settings.public_base(settings.bind)
                );
            }
        }
        AdminCommand::ResetTotp { email } => {
            let op = operators::reset_totp(&store, &email, AuditActor::Cli, now_ms).await?;
            println!(
                "operator {} ({}): second factor removed, sessions ended; the next login enrols a new authenticator",
                op.id, op.email
            );
        }
        AdminCommand::List => {
            println!("{:>4}  {:<40} {:<5} created (UTC)", "id", "email", "totp");
            for op in operators::list(&store).await? {
                println!(
                    "{:>4}  {:<40} {:<5} {}",
                    op.id,
                    op.email,
                    if op.totp_enabled { "on" } else { "off" },
                    format_doc_time(op.created_at_ms)
                );
            }
        }
    }
    Ok(())
}
