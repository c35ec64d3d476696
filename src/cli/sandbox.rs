//! `kassa sandbox pay`: asks the running server to pay a session with
//! simulated USDC (the server runs it through its own actors and store).

use clap::Subcommand;
use serde_json::{Value, json};

use crate::config::{Mode, Settings};

#[derive(Debug, Subcommand)]
pub enum SandboxCommand {
    /// Pay a session with simulated USDC.
    Pay {
        session_id: i64,
        /// USDC to send (default: what the session still owes).
        #[arg(long)]
        amount: Option<String>,
        /// Rehearse an outcome instead of an exact payment (`reversed` takes back
        /// the latest counted deposit, as a chain reorganisation would).
        #[arg(long, value_parser = ["underpaid", "overpaid", "late", "expire", "reversed"])]
        simulate: Option<String>,
    },
}

pub async fn run(cmd: SandboxCommand, settings: &Settings) -> anyhow::Result<()> {
    if settings.mode != Mode::Sandbox {
        anyhow::bail!("sandbox commands need sandbox mode (KASSA_MODE=sandbox)");
    }
    let SandboxCommand::Pay {
        session_id,
        amount,
        simulate,
    } = cmd;
    let mut local = settings.bind;
    if local.ip().is_unspecified() {
        local.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    let base = settings.public_base(local);
    let url = format!("{base}/sandbox/pay");
    let body = json!({ "session_id": session_id, "amount": amount, "simulate": simulate });
    let response = reqwest::Client::new().post(&url).json(&body).send().await.map_err(|e| {
        if e.is_connect() {
            anyhow::anyhow!("no Kassa server is running at {base} (start it with `kassa serve`, or set KASSA_BIND / KASSA_PUBLIC_URL to where it runs)")
        } else {
            anyhow::anyhow!("calling {url}: {e}")
        }
    })?;
    let status = response.status();
    let answer: Value = response.json().await.unwrap_or(Value::Null);
    if !status.is_success() {
        let code = answer
            .get("error")
            .and_then(Value::as_str)
            .unwrap_or("error");
        let message = answer.get("message").and_then(Value::as_str).unwrap_or("");
        anyhow::bail!("{code}: {message} (HTTP {status})");
    }
    println!("{}", serde_json::to_string_pretty(&answer)?);
    Ok(())
}
