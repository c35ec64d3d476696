//! `kassa payouts list [--failed]`: every sweep (newest first) with its
//! state, amounts, destination, `txid_out` and last error; `kassa payouts
//! retry ID` queues a retry of a failed sweep for the server's payout actor
//! (this process never signs or broadcasts: the keys stay with the server),
//! and writes an audit line as `cli`.

use clap::Subcommand;
use serde_json::{Value, json};

use super::deposits::{cli_requester, refusal};
use crate::app::attention::levers;
use crate::clock::{Clock, SystemClock, format_doc_time};
use crate::config::Settings;
use crate::domain::money::UsdcAmount;
use crate::store::Store;
use crate::store::payouts::SweepRecord;

#[derive(Debug, Subcommand)]
pub enum PayoutsCommand {
    /// Sweeps, newest first: state, amounts, destination, txid_out, last error.
    List {
        /// Only sweeps that could not go out (retried with backoff).
        #[arg(long)]
        failed: bool,
        /// At most this many.
        #[arg(long, default_value_t = 100)]
        limit: u64,
        /// Print a JSON array (amounts as strings) instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Ask the server to try a failed sweep again now.
    Retry {
        /// The sweep's id (from `kassa payouts list`).
        id: i64,
        /// Who asks (recorded with the request); default: $USER.
        #[arg(long)]
        by: Option<String>,
    },
}

pub async fn run(cmd: PayoutsCommand, settings: &Settings) -> anyhow::Result<()> {
    let store = Store::connect(&settings.database).await?;
    store.migrate().await?;
    match cmd {
        PayoutsCommand::List {
            failed,
            limit,
            json,
        } => list(&store, failed, limit, json).await,
        PayoutsCommand::Retry { id, by } => retry(&store, id, by).await,
    }
}

async fn list(store: &Store, failed: bool, limit: u64, as_json: bool) -> anyhow::Result<()> {
    let sweeps = store.sweeps(failed, limit).await?;
    if as_json {
        println!("{}", Value::Array(sweeps.iter().map(sweep_json).collect()));
        return Ok(());
    }
    if sweeps.is_empty() {
        println!(
            "{}",
            if failed {
                "no failed sweeps"
            } else {
                "no sweeps"
            }
        );
        return Ok(());
    }
    println!(
        "{:>6} {:>19} {:>3} {:<7} {:<7} {:>14} {:>10}  {:<42}  {:<66} {:>3}  last error",
        "sweep", "session", "seq", "kind", "state", "amount (USDC)", "fee", "to", "txid_out", "try"
    );
    for s in &sweeps {
        println!("{}", row(s));
    }
    Ok(())
}

fn row(s: &SweepRecord) -> String {
    format!(
        "{:>6} {:>19} {:>3} {:<7} {:<7} {:>14} {:>10}  {:<42}  {:<66} {:>3}  {}",
        s.id,
        s.session_id,
        s.sequence,
        s.kind,
        s.state,
        UsdcAmount::from_units(s.amount_units).to_string(),
        UsdcAmount::from_units(s.fee_units).to_string(),
        s.destination,
        s.txid_out.as_deref().unwrap_or("-"),
        s.attempts,
        s.last_error.as_deref().unwrap_or("-"),
    )
}

fn sweep_json(s: &SweepRecord) -> Value {
    json!({
        "id": s.id,
        "session_id": s.session_id,
        "sequence": s.sequence,
        "merchant_id": s.merchant_id,
        "kind": s.kind.as_str(),
        "state": s.state.as_str(),
        "method": s.method.as_str(),
        "amount_usdc": UsdcAmount::from_units(s.amount_units).to_string(),
        "fee_usdc": UsdcAmount::from_units(s.fee_units).to_string(),
        "net_usdc": UsdcAmount::from_units(s.net_units()).to_string(),
        "from": s.deposit_address,
        "to": s.destination,
        "fee_wallet": s.fee_wallet,
        "gas_account": s.lane,
        "txid_out": s.txid_out,
        "attempts": s.attempts,
        "last_error": s.last_error,
        "created_at": format_doc_time(s.created_at_ms),
        "sent_at": s.sent_at_ms.map(format_doc_time),
        "requested_by": s.requested_by,
        // POL a top-up sweep left on the deposit address, in wei (text).
        "leftover_wei": s.leftover_wei.map(|w| w.to_string()),
    })
}

async fn retry(store: &Store, id: i64, by: Option<String>) -> anyhow::Result<()> {
    let who = cli_requester(by);
    let queued = levers::retry_payout(store, &who, id, SystemClock.now_ms())
        .await
        .map_err(refusal)?;
    println!(
        "request {}: retry sweep {id}, asked by {}; the server tries it at its next step (last error: {})",
        queued.request_id,
        who.name,
        queued.last_error.as_deref().unwrap_or("-")
    );
    Ok(())
}
