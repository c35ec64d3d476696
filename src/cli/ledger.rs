//! `kassa ledger check`: proves the money adds up, to the base unit:
//! received = forwarded + fees + refunded + held (− lost to a reorg after
//! forwarding), each sweep moved exactly its deposits, and every deposit
//! address holds on chain what the books say. Exits non-zero otherwise.
//!
//! `kassa ledger export --merchant N --since DATE`: the merchant's sent
//! payouts as CSV, for its accounting. Both only read.

use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use chrono::{DateTime, NaiveDate, Utc};
use clap::Subcommand;

use crate::app::money::check as money_check;
use crate::chain::ledger::{FINALITY_DEPTH, SandboxLedger};
use crate::chain::rpc::RpcChain;
use crate::clock::{SystemClock, format_doc_time};
use crate::config::Settings;
use crate::domain::money::UsdcAmount;
use crate::domain::money_check::Report;
use crate::domain::payout::SweepState;
use crate::store::Store;

#[derive(Debug, Subcommand)]
pub enum LedgerCommand {
    /// Prove the books add up and match every deposit address on chain.
    Check,
    /// A merchant's sent payouts as CSV (stdout).
    Export {
        #[arg(long)]
        merchant: i64,
        /// From this day (YYYY-MM-DD, UTC) or instant (RFC 3339).
        #[arg(long)]
        since: String,
        /// Until this day (exclusive) or instant; default: now.
        #[arg(long)]
        until: Option<String>,
    },
}

pub async fn run(cmd: LedgerCommand, settings: &Settings) -> anyhow::Result<()> {
    let store = Store::connect(&settings.database).await?;
    store.migrate().await?;
    match cmd {
        LedgerCommand::Check => check(&store, settings).await,
        LedgerCommand::Export {
            merchant,
            since,
            until,
        } => export(&store, merchant, &since, until.as_deref()).await,
    }
}

async fn check(store: &Store, settings: &Settings) -> anyhow::Result<()> {
    let token = settings.chain.usdc_contract.address();
    let report = match &settings.chain.rpc_url {
        Some(url) => {
            let node = RpcChain::new(url, Duration::from_secs(10))
                .context("setting `chain_rpc_url` (KASSA_CHAIN_RPC_URL)")?;
            money_check(store, &node, token).await?
        }
        None => {
            let ledger = SandboxLedger::new(
                store.clone(),
                FINALITY_DEPTH,
                std::sync::Arc::new(SystemClock),
            );
            money_check(store, &ledger, token).await?
        }
    };
    print!("{}", summary(&report));
    if report.discrepancies.is_empty() {
        println!(
            "ok: the books add up and all {} deposit addresses hold what they say",
            report.expected.len()
        );
        Ok(())
    } else {
        for d in &report.discrepancies {
            eprintln!("MISMATCH: {d}");
        }
        bail!(
            "the money does not add up ({} mismatches)",
            report.discrepancies.len()
        )
    }
}

fn summary(report: &Report) -> String {
    let f = &report.figures;
    let usdc = |units: u64| UsdcAmount::from_units(units).to_string();
    let mut out = String::new();
    for (name, units) in [
        ("received", f.received),
        ("forwarded", f.forwarded),
        ("fees", f.fees),
        ("refunded", f.refunded),
        ("held", f.held),
        ("lost", f.lost),
    ] {
        out.push_str(&format!("{name:<10} {:>16} USDC\n", usdc(units)));
    }
    if f.in_flight > 0 {
        out.push_str(&format!(
            "(of the held money, {} USDC is in sweeps not yet confirmed)\n",
            usdc(f.in_flight)
        ));
    }
    if f.lost > 0 {
        out.push_str("WARNING: money forwarded to merchants was taken back by a reorg (lost)\n");
    }
    out
}

async fn export(
    store: &Store,
    merchant: i64,
    since: &str,
    until: Option<&str>,
) -> anyhow::Result<()> {
    if store.merchant(merchant).await?.is_none() {
        bail!("no merchant with id {merchant}");
    }
    let since_ms = parse_when(since).context("--since")?;
    let until_ms = match until {
        Some(u) => parse_when(u).context("--until")?,
        None => i64::MAX,
    };
    let mut out = String::from(
        "sweep_id,session_id,order_id,kind,sent_at_utc,amount_usdc,fee_usdc,net_usdc,to,txid_out\n",
    );
    for s in store.merchant_sweeps(merchant).await? {
        let Some(sent_at) = s.sent_at_ms else {
            continue;
        };
        if s.state != SweepState::Sent || sent_at < since_ms || sent_at >= until_ms {
            continue;
        }
        let order_id = store
            .session(s.session_id)
            .await?
            .and_then(|r| r.order_id)
            .unwrap_or_default();
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{}\n",
            s.id,
            s.session_id,
            csv_field(&order_id),
            s.kind,
            format_doc_time(sent_at),
            UsdcAmount::from_units(s.amount_units),
            UsdcAmount::from_units(s.fee_units),
            UsdcAmount::from_units(s.net_units()),
            s.destination,
            s.txid_out.as_deref().unwrap_or(""),
        ));
    }
    print!("{out}");
    Ok(())
}

/// `YYYY-MM-DD` (midnight UTC) or an RFC 3339 instant, as unix milliseconds.
fn parse_when(text: &str) -> anyhow::Result<i64> {
    if let Ok(day) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        let midnight = day
            .and_hms_opt(0, 0, 0)
            .ok_or_else(|| anyhow!("`{text}` is not a day"))?;
        return Ok(midnight.and_utc().timestamp_millis());
    }
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc).timestamp_millis())
        .map_err(|_| anyhow!("`{text}` is neither YYYY-MM-DD nor an RFC 3339 time"))
}

/// A CSV field, quoted when it holds a comma, quote or line break.
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_and_instants_parse_and_nonsense_does_not() {
        assert_eq!(parse_when("1970-01-02").unwrap(), 86_400_000);
        assert_eq!(parse_when("1970-01-01T00:00:01Z").unwrap(), 1_000);
        assert!(parse_when("yesterday").is_err());
    }

    #[test]
    fn order_ids_with_commas_or_quotes_are_quoted() {
        assert_eq!(csv_field("A-1"), "A-1");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}
