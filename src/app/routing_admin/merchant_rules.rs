//! One merchant's routing rules as an operator changes them (the admin
//! console's merchant page): the provider allow and block lists, and the
//! merchant's partner split. Stored like every routing change — the next
//! version with its audit line in one transaction — but the line is a
//! `merchant.update` of `merchant:<id>` holding only the rules that
//! changed, so a merchant's history reads in one place.
//!
//! Must not: touch another merchant's rules, the method lists or a
//! credential.

use serde_json::{Map, Value, json};

use super::{RoutingAdminError, RoutingScope, credential_views, readable, write_with_retry};
use crate::domain::audit::{AuditAction, AuditActor};
use crate::domain::routing::credential::CredentialName;
use crate::domain::routing::merchant_edit::provider_list;
use crate::domain::routing::{MerchantRules, Provider, RoutingConfig};
use crate::store::audit_log::NewAuditEntry;
use crate::store::routing::{ConfigWrite, RoutingWrite};

/// Replaces merchant `merchant_id`'s provider allow and block lists (slugs
/// as typed; an empty allow list allows every provider). Returns the
/// version in force afterwards (unchanged when the lists already were so).
pub async fn set_merchant_providers<S: AsRef<str>>(
    scope: &RoutingScope<'_>,
    actor: AuditActor,
    now_ms: i64,
    merchant_id: i64,
    allow: &[S],
    block: &[S],
) -> Result<i64, RoutingAdminError> {
    let (allow, block) = (provider_list(allow)?, provider_list(block)?);
    merchant_change(scope, actor, now_ms, merchant_id, |config| {
        Ok(config.with_merchant_providers(merchant_id, allow.clone(), block.clone())?)
    })
    .await
}

/// Sets whether partner split applies to merchant `merchant_id` (`None`:
/// it follows the EPv2 switch). Switching it on needs the partner
/// parameters (database or configuration), as the global switch does.
pub async fn set_merchant_partner_split(
    scope: &RoutingScope<'_>,
    actor: AuditActor,
    now_ms: i64,
    merchant_id: i64,
    partner_split: Option<bool>,
) -> Result<i64, RoutingAdminError> {
    if partner_split == Some(true) {
        let stored = scope.store.live_routing().await?;
        let views = credential_views(scope.onramp, &stored.credentials);
        let known = |name| views.iter().any(|v| v.name == name && v.masked.is_some());
        if !(known(CredentialName::PartnerCheckoutUrl) && known(CredentialName::PartnerId)) {
            return Err(RoutingAdminError::PartnerNotConfigured);
        }
    }
    merchant_change(scope, actor, now_ms, merchant_id, |config| {
        Ok(config.with_merchant_partner_split(merchant_id, partner_split))
    })
    .await
}

/// Decides the next configuration with `edit`, and stores it with a
/// `merchant.update` line of what changed in the merchant's rules (nothing
/// is stored when nothing changed).
async fn merchant_change(
    scope: &RoutingScope<'_>,
    actor: AuditActor,
    now_ms: i64,
    merchant_id: i64,
    edit: impl Fn(&RoutingConfig) -> Result<RoutingConfig, RoutingAdminError>,
) -> Result<i64, RoutingAdminError> {
    write_with_retry(scope, |version, before| {
        let before = readable(version, before)?;
        let next = edit(before)?;
        let (was, now) = changed(&before.rules_for(merchant_id), &next.rules_for(merchant_id));
        if now.is_empty() {
            return Ok(None);
        }
        Ok(Some(RoutingWrite {
            based_on: version,
            config: ConfigWrite::Replace(next.to_json()),
            credentials: Vec::new(),
            audit: NewAuditEntry {
                at_ms: now_ms,
                actor,
                action: AuditAction::MerchantUpdate,
                subject: format!("merchant:{merchant_id}"),
                before: Some(Value::Object(was)),
                after: Some(Value::Object(now)),
            },
        }))
    })
    .await
}

/// A merchant's rules as audit fields.
fn fields(rules: &MerchantRules) -> [(&'static str, Value); 3] {
    let slugs = |set: &std::collections::BTreeSet<Provider>| {
        set.iter().map(|p| p.as_str()).collect::<Vec<_>>()
    };
    [
        ("allow_providers", json!(slugs(&rules.allow_providers))),
        ("block_providers", json!(slugs(&rules.block_providers))),
        ("partner_split", json!(rules.partner_split)),
    ]
}

/// The fields that differ, before and after.
fn changed(
    before: &MerchantRules,
    after: &MerchantRules,
) -> (Map<String, Value>, Map<String, Value>) {
    let mut was = Map::new();
    let mut now = Map::new();
    for ((key, old), (_, new)) in fields(before).into_iter().zip(fields(after)) {
        if old != new {
            was.insert(key.to_string(), old);
            now.insert(key.to_string(), new);
        }
    }
    (was, now)
}
