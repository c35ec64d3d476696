//! `kassa merchant list [--search TEXT]`: merchants (newest first, found as
//! the admin console finds them) as a table or as JSON, with its
//! branding and a payout wallet change still waiting (a line under the
//! merchant; `pending_payout_wallet` in JSON); never a secret (keys and webhook secrets are not in
//! [`Merchant`]).

use serde_json::{Value, json};

use super::branding::describe;
use crate::app::merchants::admin;
use crate::clock::format_doc_time;
use crate::domain::merchant::Merchant;
use crate::store::Store;

pub async fn list(
    store: &Store,
    as_json: bool,
    search: Option<&str>,
    now_ms: i64,
) -> anyhow::Result<()> {
    let mut merchants: Vec<Merchant> = Vec::new();
    for page in 1.. {
        let found = admin::search(store, search, page, admin::MAX_PER_PAGE).await?;
        let last = page >= found.pages();
        merchants.extend(found.rows.into_iter().map(|row| row.merchant));
        if last {
            break;
        }
    }
    if as_json {
        let rows: Vec<Value> = merchants.iter().map(|m| merchant_json(m, now_ms)).collect();
        println!("{}", Value::Array(rows));
        return Ok(());
    }
    println!(
        "{:>6}  {:<28} {:<10} {:<13} {:<8} {:<7} {:<24} {:<8} {:<32} logo",
        "id", "email", "package", "mode", "country", "state", "display name", "accent", "domains"
    );
    for m in &merchants {
        let (name, accent, logo) = describe(&m.branding);
        println!(
            "{:>6}  {:<28} {:<10} {:<13} {:<8} {:<7} {:<24} {:<8} {:<32} {}",
            m.id,
            m.email,
            m.package.as_str(),
            m.checkout_mode.as_str(),
            m.country.as_deref().unwrap_or("-"),
            if m.disabled { "off" } else { "on" },
            name,
            accent,
            m.domains.join(","),
            logo
        );
        if let Some(p) = m.payout_wallets.pending_at(now_ms) {
            println!(
                "{:>6}  payout wallet {} changes to {} at {} UTC",
                "",
                m.payout_wallets.in_force_at(now_ms).unwrap_or("-"),
                p.wallet,
                format_doc_time(p.effective_at_ms)
            );
        }
    }
    Ok(())
}

fn merchant_json(m: &Merchant, now_ms: i64) -> Value {
    let pending = m.payout_wallets.pending_at(now_ms).map(|p| {
        json!({
            "wallet": p.wallet,
            "effective_at": format_doc_time(p.effective_at_ms),
            "requested_at": format_doc_time(p.requested_at_ms),
        })
    });
    json!({
        "merchant_id": m.id,
        "email": m.email,
        "package": m.package.as_str(),
        "checkout_mode": m.checkout_mode.as_str(),
        "country": m.country,
        "crypto_enabled": m.crypto_enabled,
        "disabled": m.disabled,
        "payout_wallet": m.payout_wallets.in_force_at(now_ms),
        "pending_payout_wallet": pending,
        "webhook_url": m.webhook_url,
        "display_name": m.branding.display_name.as_ref().map(|n| n.as_str()),
        "logo_url": m.branding.logo_url.as_ref().map(|u| u.as_str()),
        "accent_color": m.branding.accent_color.map(|c| c.css()),
        "domains": m.domains,
    })
}
