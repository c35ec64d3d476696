//! `kassa link create | list`: a merchant's payment links through
//! `app::links`, for operators and scripts. `create` prints the link's
//! public URL (`--json`: `{"id":…,"slug":…,"url":…}`); `list` shows each
//! link with its amount, paid uses and state. It must not read or write
//! link rows itself.

use anyhow::anyhow;
use clap::{Args, Subcommand};
use serde_json::{Value, json};

use super::catalog_output::{flag_problems, state_of, when};
use crate::app::links::{self, LinkError, LinkInput, LinkSummary};
use crate::app::sessions::open::SessionRules;
use crate::clock::{Clock, SystemClock};
use crate::domain::payment_link::LinkAmount;
use crate::store::Store;

#[derive(Debug, Subcommand)]
pub enum LinkCommand {
    /// Create a payment link; prints its URL.
    Create(CreateLinkArgs),
    /// List a merchant's payment links with their paid uses.
    List(ListLinksArgs),
}

#[derive(Debug, Args)]
pub struct CreateLinkArgs {
    /// The merchant id.
    #[arg(long)]
    merchant: i64,
    /// A fixed amount, e.g. 79.00 (else give --min and --max).
    #[arg(long, conflicts_with_all = ["min", "max"], required_unless_present_any = ["min", "max"])]
    amount: Option<String>,
    /// The smallest amount the customer may enter.
    #[arg(long, requires = "max")]
    min: Option<String>,
    /// The largest amount the customer may enter.
    #[arg(long, requires = "min")]
    max: Option<String>,
    /// ISO 4217 code, e.g. EUR.
    #[arg(long)]
    currency: String,
    #[arg(long)]
    title: String,
    #[arg(long, default_value = "")]
    description: String,
    /// Paid sessions after which the link closes.
    #[arg(long)]
    max_uses: Option<u32>,
    /// When the link closes, UTC: `2026-12-31 18:00`.
    #[arg(long)]
    expires: Option<String>,
    /// Where the customer lands after paying (https://).
    #[arg(long)]
    return_url: Option<String>,
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct ListLinksArgs {
    /// The merchant id.
    #[arg(long)]
    merchant: i64,
    #[arg(long)]
    json: bool,
}

pub async fn run(
    cmd: LinkCommand,
    store: &Store,
    rules: &SessionRules,
    public_base: &str,
) -> anyhow::Result<()> {
    let now_ms = SystemClock.now_ms();
    match cmd {
        LinkCommand::Create(a) => {
            let input = LinkInput {
                title: a.title,
                description: a.description,
                amount: a.amount.unwrap_or_default(),
                min: a.min.unwrap_or_default(),
                max: a.max.unwrap_or_default(),
                currency: a.currency,
                max_uses: a.max_uses.map(|n| n.to_string()).unwrap_or_default(),
                expires: a.expires.unwrap_or_default(),
                return_url: a.return_url.unwrap_or_default(),
                active: true,
            };
            let link = links::create(store, rules, a.merchant, &input, now_ms)
                .await
                .map_err(refusal)?;
            let url = format!("{public_base}/l/{}", link.slug);
            if a.json {
                println!(
                    "{}",
                    json!({ "id": link.id, "slug": link.slug.as_str(), "url": url })
                );
            } else {
                println!(
                    "payment link {} created for merchant {}",
                    link.id, a.merchant
                );
                println!("  url: {url}");
            }
        }
        LinkCommand::List(a) => {
            let list = links::list(store, a.merchant).await.map_err(refusal)?;
            if a.json {
                let rows = list.iter().map(|l| link_json(l, public_base, now_ms));
                println!("{}", Value::Array(rows.collect()));
            } else {
                print_table(&list, public_base, now_ms);
            }
        }
    }
    Ok(())
}

fn amount_text(amount: &LinkAmount) -> String {
    match amount {
        LinkAmount::Fixed(m) => format!("{m} {}", m.currency()),
        LinkAmount::Open { min, max } => format!("{min}-{max} {}", max.currency()),
    }
}

fn link_json(s: &LinkSummary, public_base: &str, now_ms: i64) -> Value {
    let l = &s.link;
    let (amount, min, max) = match l.amount {
        LinkAmount::Fixed(m) => (Some(m.to_string()), None, None),
        LinkAmount::Open { min, max } => (None, Some(min.to_string()), Some(max.to_string())),
    };
    json!({
        "id": l.id,
        "slug": l.slug.as_str(),
        "url": format!("{public_base}/l/{}", l.slug),
        "title": l.title,
        "amount": amount,
        "min": min,
        "max": max,
        "currency": l.amount.currency().code(),
        "max_uses": l.max_uses,
        "paid_uses": s.paid_uses,
        "expires_at": l.expires_at_ms.map(crate::clock::format_doc_time),
        "return_url": l.return_url,
        "active": l.active,
        "state": state_of(l.closed(now_ms, s.paid_uses)),
    })
}

fn print_table(list: &[LinkSummary], public_base: &str, now_ms: i64) {
    println!(
        "{:<6} {:<24} {:<20} {:<9} {:<9} {:<20} url",
        "id", "title", "amount", "uses", "state", "expires"
    );
    for s in list {
        let l = &s.link;
        let uses = match l.max_uses {
            Some(max) => format!("{}/{max}", s.paid_uses),
            None => s.paid_uses.to_string(),
        };
        println!(
            "{:<6} {:<24} {:<20} {:<9} {:<9} {:<20} {public_base}/l/{}",
            l.id,
            l.title.chars().take(24).collect::<String>(),
            amount_text(&l.amount),
            uses,
            state_of(l.closed(now_ms, s.paid_uses)),
            when(l.expires_at_ms),
            l.slug
        );
    }
}

/// A refusal from `app::links`, worded after the flags it came from.
fn refusal(err: LinkError) -> anyhow::Error {
    match err {
        LinkError::Invalid(problems) => flag_problems(&problems),
        LinkError::NotFound => anyhow!("no such payment link"),
        LinkError::Merchant(crate::app::merchants::MerchantError::NotFound(id)) => {
            anyhow!("--merchant: no merchant with id {id}")
        }
        LinkError::Merchant(e) => anyhow::Error::new(e),
        LinkError::Store(e) => anyhow::Error::new(e),
    }
}
