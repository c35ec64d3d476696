//! `kassa deposits held`: the money the gateway holds and has not counted
//! (late deposits, partial payments of expired sessions, overpayments not
//! yet swept), as a table with a total per kind or as JSON.
//!
//! `kassa deposits forward ID` and `kassa deposits refund ID [--to 0x…]`
//! resolve a held deposit: they queue a request row, with who asked and
//! when, that the server's payout actor carries out (this process never
//! signs or broadcasts); `kassa payouts list` shows the sweep it made.
//! Each writes an audit line as `cli`.

use anyhow::{anyhow, bail};
use clap::Subcommand;
use serde_json::{Value, json};

use crate::app::attention::{AttentionError, Requester, levers};
use crate::clock::{Clock, SystemClock, format_doc_time};
use crate::config::Settings;
use crate::domain::audit::AuditActor;
use crate::domain::held::{HeldMoney, grand_total, totals};
use crate::store::Store;
use crate::store::payout_requests::RequestAction;

#[derive(Debug, Subcommand)]
pub enum DepositsCommand {
    /// Money held and not counted: late, partial (expired underpaid), excess (overpaid).
    Held {
        /// Only this merchant's sessions.
        #[arg(long)]
        merchant: Option<i64>,
        /// Print a JSON array (amounts as strings) instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Send a held deposit to its merchant's payout wallet (less the platform fee).
    Forward {
        /// The deposit's id (the `deposit` column of `kassa deposits held`).
        id: i64,
        /// Who asks (recorded with the request); default: $USER.
        #[arg(long)]
        by: Option<String>,
    },
    /// Send a held deposit back to its sender, or to `--to`.
    Refund {
        /// The deposit's id (the `deposit` column of `kassa deposits held`).
        id: i64,
        /// Where to send it; default: the address it came from.
        #[arg(long)]
        to: Option<String>,
        /// Who asks (recorded with the request); default: $USER.
        #[arg(long)]
        by: Option<String>,
    },
}

pub async fn run(cmd: DepositsCommand, settings: &Settings) -> anyhow::Result<()> {
    let store = Store::connect(&settings.database).await?;
    store.migrate().await?;
    match cmd {
        DepositsCommand::Held { merchant, json } => held(&store, merchant, json).await,
        DepositsCommand::Forward { id, by } => {
            resolve(&store, id, RequestAction::Forward, None, by).await
        }
        DepositsCommand::Refund { id, to, by } => {
            resolve(&store, id, RequestAction::Refund, to, by).await
        }
    }
}

/// Queues a forward or refund of held deposit `id` (the checks and the
/// audit line are `app::attention::levers`').
async fn resolve(
    store: &Store,
    id: i64,
    action: RequestAction,
    to: Option<String>,
    by: Option<String>,
) -> anyhow::Result<()> {
    let who = cli_requester(by);
    let now_ms = SystemClock.now_ms();
    let queued = match action {
        RequestAction::Refund => {
            levers::refund_deposit(store, &who, id, to.as_deref(), now_ms).await
        }
        RequestAction::Forward | RequestAction::Retry => {
            levers::forward_deposit(store, &who, id, now_ms).await
        }
    }
    .map_err(refusal)?;
    println!(
        "request {}: {} {} USDC of deposit {id} (session {}) to {}, asked by {}; the server sends it once the deposit's block is final (see `kassa payouts list`)",
        queued.request_id,
        queued.action.as_str(),
        queued.amount,
        queued.session_id,
        queued.to,
        who.name
    );
    Ok(())
}

/// The CLI's words for a refused lever (its own flags and commands).
pub(super) fn refusal(e: AttentionError) -> anyhow::Error {
    match e {
        AttentionError::NoSender(id) => {
            anyhow!("deposit {id} has no recorded sender: pass --to 0x…")
        }
        AttentionError::NoPayoutWallet(merchant) => anyhow!(
            "merchant {merchant} has no payout wallet: set one with `kassa merchant update {merchant} --payout-wallet 0x…`"
        ),
        AttentionError::NotAnAddress(to) => anyhow!(
            "--to: `{to}` is not a Polygon address (0x + 40 hex digits, EIP-55 checksum if mixed case)"
        ),
        other @ (AttentionError::Target(_)
        | AttentionError::NoDeposit(_)
        | AttentionError::NotHeld { .. }
        | AttentionError::DepositQueued(_)
        | AttentionError::NoSweep(_)
        | AttentionError::NotFailed { .. }
        | AttentionError::RetryQueued(_)
        | AttentionError::NoEvent(_)
        | AttentionError::NoMerchant(_)
        | AttentionError::NotParked(_)
        | AttentionError::Store(_)
        | AttentionError::Unexpected(_)) => anyhow::Error::new(other),
    }
}

/// The CLI as an operator: audited as `cli`, asking as `--by` or the login.
pub(super) fn cli_requester(by: Option<String>) -> Requester {
    Requester {
        actor: AuditActor::Cli,
        name: requester(by),
    }
}

/// Who asks: `--by`, else the login name, else "cli".
pub(super) fn requester(by: Option<String>) -> String {
    by.or_else(|| std::env::var("USER").ok())
        .map(|b| b.trim().to_string())
        .filter(|b| !b.is_empty())
        .unwrap_or_else(|| "cli".into())
}

async fn held(store: &Store, merchant: Option<i64>, as_json: bool) -> anyhow::Result<()> {
    if let Some(id) = merchant
        && store.merchant(id).await?.is_none()
    {
        bail!("no merchant with id {id}");
    }
    let held = store.held_money(merchant).await?;
    if as_json {
        let rows: Vec<Value> = held.iter().map(held_json).collect();
        println!("{}", Value::Array(rows));
        return Ok(());
    }
    if held.is_empty() {
        println!("no held money");
        return Ok(());
    }
    println!(
        "{:>8} {:<8} {:>19} {:>8} {:>14}  {:<66}  {:<42} {:>10}  observed (UTC)",
        "deposit", "kind", "session", "merchant", "amount (USDC)", "tx", "from", "block"
    );
    for h in &held {
        println!("{}", row(h));
    }
    println!();
    for (kind, total) in totals(&held) {
        let lines = held.iter().filter(|h| h.kind == kind).count();
        let plural = if lines == 1 { "" } else { "s" };
        println!(
            "total {:<8} {:>14} USDC  ({lines} line{plural})",
            kind,
            total.to_string()
        );
    }
    println!(
        "total {:<8} {:>14} USDC",
        "held",
        grand_total(&held).to_string()
    );
    Ok(())
}

fn row(h: &HeldMoney) -> String {
    format!(
        "{:>8} {:<8} {:>19} {:>8} {:>14}  {:<66}  {:<42} {:>10}  {}",
        h.deposit_id
            .map(|d| d.to_string())
            .unwrap_or_else(|| "-".into()),
        h.kind,
        h.session_id,
        h.merchant_id,
        h.amount.to_string(),
        h.tx_hash.as_deref().unwrap_or("-"),
        h.from_address.as_deref().unwrap_or("-"),
        h.block_number
            .map(|n| n.to_string())
            .unwrap_or_else(|| "-".into()),
        format_doc_time(h.observed_at_ms)
    )
}

fn held_json(h: &HeldMoney) -> Value {
    json!({
        "deposit_id": h.deposit_id,
        "kind": h.kind.as_str(),
        "session_id": h.session_id,
        "merchant_id": h.merchant_id,
        "amount_usdc": h.amount.to_string(),
        "tx_hash": h.tx_hash,
        "from_address": h.from_address,
        "block_number": h.block_number,
        "observed_at": format_doc_time(h.observed_at_ms),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::held::HeldKind;
    use crate::domain::money::UsdcAmount;

    fn old_late_deposit() -> HeldMoney {
        HeldMoney {
            deposit_id: Some(9),
            kind: HeldKind::Late,
            session_id: 42,
            merchant_id: 7,
            amount: UsdcAmount::from_units(12_500_000),
            tx_hash: Some(format!("0x{}", "ab".repeat(32))),
            from_address: None,
            block_number: None,
            observed_at_ms: 1_772_022_896_000,
        }
    }

    #[test]
    fn a_row_without_a_sender_or_block_shows_dashes() {
        let line = row(&old_late_deposit());
        let fields: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(
            fields,
            [
                "9",
                "late",
                "42",
                "7",
                "12.50",
                &format!("0x{}", "ab".repeat(32)),
                "-",
                "-",
                "2026-02-25",
                "12:34:56"
            ]
        );
    }

    #[test]
    fn json_keeps_amounts_as_strings_and_a_missing_sender_as_null() {
        let value = held_json(&old_late_deposit());
        assert_eq!(value["amount_usdc"], json!("12.50"));
        assert_eq!(value["from_address"], Value::Null);
        assert_eq!(value["observed_at"], json!("2026-02-25 12:34:56"));
        assert_eq!(value["kind"], json!("late"));
    }
}
