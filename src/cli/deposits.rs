//! `kassa deposits held`: the money the gateway holds and has not counted
//! (late deposits, partial payments of expired sessions, overpayments), as
//! a table with a total per kind or as JSON. Reads only; returning held money
//! is not this command's business.

use anyhow::bail;
use clap::Subcommand;
use serde_json::{Value, json};

use crate::clock::format_doc_time;
use crate::config::Settings;
use crate::domain::held::{HeldMoney, grand_total, totals};
use crate::store::Store;

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
}

pub async fn run(cmd: DepositsCommand, settings: &Settings) -> anyhow::Result<()> {
    let store = Store::connect(&settings.database).await?;
    store.migrate().await?;
    match cmd {
        DepositsCommand::Held { merchant, json } => held(&store, merchant, json).await,
    }
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
        "{:<8} {:>19} {:>8} {:>14}  {:<66}  {:<42} {:>10}  observed (UTC)",
        "kind", "session", "merchant", "amount (USDC)", "tx", "from", "block"
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
        "{:<8} {:>19} {:>8} {:>14}  {:<66}  {:<42} {:>10}  {}",
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
