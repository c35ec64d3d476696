//! The operators' audit log, as every door uses it: [`record`] a change
//! made outside a transaction of its own (changes made in one, like the
//! routing edits of `app::routing_admin`, write their line inside it), and
//! [`list`] it newest first, page by page (the CLI's `kassa audit list`,
//! the admin console).
//!
//! Must not: take a before/after record that holds a secret; callers pass
//! credential values through `domain::audit::redact_secret` first.

use serde_json::{Value, json};

use crate::domain::audit::{AuditAction, AuditActor, AuditEntry};
use crate::domain::merchant::Merchant;
use crate::store::audit_log::NewAuditEntry;
use crate::store::{Store, StoreError};

/// Lines per page at most.
pub const MAX_PAGE: u64 = 500;

/// One page of the log, newest first.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    /// Pass as `before` for the next (older) page; `None` on the last one.
    pub next_before: Option<i64>,
}

/// Appends one line: `actor` did `action` to `subject`, the state going
/// from `before` to `after` (either absent when there was none).
pub async fn record(
    store: &Store,
    now_ms: i64,
    actor: AuditActor,
    action: AuditAction,
    subject: &str,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
) -> Result<(), StoreError> {
    store
        .record_audit(&NewAuditEntry {
            at_ms: now_ms,
            actor,
            action,
            subject: subject.to_string(),
            before,
            after,
        })
        .await
}

/// Up to `limit` lines (1 to [`MAX_PAGE`]) older than line `before`, or the
/// newest when `before` is `None`.
pub async fn list(store: &Store, before: Option<i64>, limit: u64) -> Result<AuditPage, StoreError> {
    let limit = limit.clamp(1, MAX_PAGE);
    // One more than asked says whether an older page exists.
    let mut entries = store.audit_log_page(before, limit + 1).await?;
    let more = entries.len() as u64 > limit;
    entries.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let next_before = if more {
        entries.last().map(|e| e.id)
    } else {
        None
    };
    Ok(AuditPage {
        entries,
        next_before,
    })
}

/// A merchant's public settings as an audit record (no secret is part of
/// [`Merchant`]: webhook secrets and API keys live apart).
fn merchant_fields(m: &Merchant, now_ms: i64) -> serde_json::Map<String, Value> {
    let fields = json!({
        "email": m.email,
        "package": m.package.as_str(),
        "checkout_mode": m.checkout_mode.as_str(),
        "country": m.country,
        "crypto_enabled": m.crypto_enabled,
        "disabled": m.disabled,
        "webhook_url": m.webhook_url,
        "domains": m.domains,
        "payout_wallet": m.payout_wallets.in_force_at(now_ms),
        "pending_payout_wallet": m.payout_wallets.pending_at(now_ms).map(|p| p.wallet.clone()),
        "display_name": m.branding.display_name.as_ref().map(|n| n.as_str()),
        "logo_url": m.branding.logo_url.as_ref().map(|u| u.as_str()),
        "accent_color": m.branding.accent_color.map(|c| c.css()),
    });
    match fields {
        Value::Object(map) => map,
        _ => serde_json::Map::new(),
    }
}

/// Records an operator's change of a merchant (`merchant.update`): only the
/// fields that changed, before and after, plus `secrets` — what happened
/// to a secret, named but never shown (`("webhook_secret", "rotated")`).
/// Nothing is written when nothing changed.
pub async fn record_merchant_update(
    store: &Store,
    now_ms: i64,
    actor: AuditActor,
    before: &Merchant,
    after: &Merchant,
    secrets: &[(&str, &str)],
) -> Result<(), StoreError> {
    let (old, new) = (
        merchant_fields(before, now_ms),
        merchant_fields(after, now_ms),
    );
    let mut was = serde_json::Map::new();
    let mut now = serde_json::Map::new();
    for (key, value) in &new {
        let previous = old.get(key).cloned().unwrap_or(Value::Null);
        if previous != *value {
            was.insert(key.clone(), previous);
            now.insert(key.clone(), value.clone());
        }
    }
    for (name, what) in secrets {
        now.insert((*name).to_string(), Value::String((*what).to_string()));
    }
    if now.is_empty() {
        return Ok(());
    }
    record(
        store,
        now_ms,
        actor,
        AuditAction::MerchantUpdate,
        &format!("merchant:{}", after.id),
        Some(Value::Object(was)),
        Some(Value::Object(now)),
    )
    .await
}
