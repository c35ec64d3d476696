//! Provider credentials kept in the database: where each one in force
//! comes from (`database`, `configuration`, `missing`) with a masked form
//! for the console, setting and clearing one, and the partner split switch
//! with its partner parameters (themselves credentials).
//!
//! Values are sealed by the store; audit lines and views only ever hold
//! `redact_secret`'s form. Must not: return or log a full value.

use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

use super::{RoutingAdminError, RoutingScope, credential_write, readable, write_with_retry};
use crate::domain::audit::{AuditAction, AuditActor, redact_secret};
use crate::domain::routing::Provider;
use crate::domain::routing::credential::{CredentialName, CredentialSource, CredentialValue};
use crate::providers::credentials::OnrampSettings;
use crate::store::audit_log::NewAuditEntry;
use crate::store::routing::{ConfigWrite, CredentialWrite, RoutingWrite};

/// One credential as the console shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialView {
    pub name: CredentialName,
    pub provider: Provider,
    pub source: CredentialSource,
    /// `set` or `••••` and the last four characters; `None` when missing.
    pub masked: Option<String>,
}

/// Every credential: the database's value over configuration's.
pub fn credential_views(
    onramp: &OnrampSettings,
    stored: &[(CredentialName, SecretString)],
) -> Vec<CredentialView> {
    CredentialName::ALL
        .into_iter()
        .map(|name| {
            let from_db = stored
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.clone());
            let (source, value) = match (from_db, onramp.value_of(name)) {
                (Some(v), _) => (CredentialSource::Database, Some(v)),
                (None, Some(v)) => (CredentialSource::Configuration, Some(v)),
                (None, None) => (CredentialSource::Missing, None),
            };
            CredentialView {
                name,
                provider: name.provider(),
                source,
                masked: value.map(|v| redact_secret(v.expose_secret())),
            }
        })
        .collect()
}

fn shown(views: &[CredentialView], name: CredentialName) -> serde_json::Value {
    views.iter().find(|v| v.name == name).map_or(
        serde_json::Value::Null,
        |v| json!({ "source": v.source.as_str(), "value": v.masked }),
    )
}

/// Stores `value` for `name` in the database (it overrides configuration).
pub async fn set_credential(
    scope: &RoutingScope<'_>,
    actor: AuditActor,
    now_ms: i64,
    name: CredentialName,
    value: CredentialValue,
) -> Result<i64, RoutingAdminError> {
    credential_change(
        scope,
        actor,
        now_ms,
        AuditAction::CredentialSet,
        name,
        Some(value),
    )
    .await
}

/// Removes `name` from the database (configuration's value, if any, applies again).
pub async fn clear_credential(
    scope: &RoutingScope<'_>,
    actor: AuditActor,
    now_ms: i64,
    name: CredentialName,
) -> Result<i64, RoutingAdminError> {
    credential_change(
        scope,
        actor,
        now_ms,
        AuditAction::CredentialClear,
        name,
        None,
    )
    .await
}

async fn credential_change(
    scope: &RoutingScope<'_>,
    actor: AuditActor,
    now_ms: i64,
    action: AuditAction,
    name: CredentialName,
    value: Option<CredentialValue>,
) -> Result<i64, RoutingAdminError> {
    let stored = scope.store.live_routing().await?;
    let before = credential_views(scope.onramp, &stored.credentials);
    let write = match &value {
        Some(v) => CredentialWrite::Set(name, v.secret().clone()),
        None => CredentialWrite::Clear(name),
    };
    let mut after_stored: Vec<(CredentialName, SecretString)> = stored
        .credentials
        .iter()
        .filter(|(n, _)| *n != name)
        .cloned()
        .collect();
    if let Some(v) = &value {
        after_stored.push((name, v.secret().clone()));
    }
    let after = credential_views(scope.onramp, &after_stored);
    let audit = NewAuditEntry {
        at_ms: now_ms,
        actor,
        action,
        subject: format!("credential:{}", name.as_str()),
        before: Some(shown(&before, name)),
        after: Some(shown(&after, name)),
    };
    write_with_retry(scope, |version, _| {
        Ok(Some(credential_write(
            version,
            vec![write.clone()],
            audit.clone(),
        )))
    })
    .await
}

/// The partner checkout's parameters (the EPv2 reseller checkout).
#[derive(Debug, Clone)]
pub struct PartnerParams {
    pub checkout_url: CredentialValue,
    pub partner_id: CredentialValue,
}

/// Switches partner split; `params`, when given, are stored with it (as
/// the `partner_checkout_url` and `partner_id` credentials). Switching it on
/// needs both, from `params`, the database or configuration.
pub async fn set_partner_split(
    scope: &RoutingScope<'_>,
    actor: AuditActor,
    now_ms: i64,
    active: bool,
    params: Option<PartnerParams>,
) -> Result<i64, RoutingAdminError> {
    let stored = scope.store.live_routing().await?;
    let views = credential_views(scope.onramp, &stored.credentials);
    let known = |name| views.iter().any(|v| v.name == name && v.masked.is_some());
    if active
        && params.is_none()
        && !(known(CredentialName::PartnerCheckoutUrl) && known(CredentialName::PartnerId))
    {
        return Err(RoutingAdminError::PartnerNotConfigured);
    }
    let credentials: Vec<CredentialWrite> = params
        .iter()
        .flat_map(|p| {
            [
                CredentialWrite::Set(
                    CredentialName::PartnerCheckoutUrl,
                    p.checkout_url.secret().clone(),
                ),
                CredentialWrite::Set(CredentialName::PartnerId, p.partner_id.secret().clone()),
            ]
        })
        .collect();
    let after_params = params.as_ref().map(|p| {
        json!({
            "partner_checkout_url": redact_secret(p.checkout_url.expose()),
            "partner_id": redact_secret(p.partner_id.expose()),
        })
    });
    let before_params = json!({
        "partner_checkout_url": shown(&views, CredentialName::PartnerCheckoutUrl),
        "partner_id": shown(&views, CredentialName::PartnerId),
    });
    write_with_retry(scope, |version, before| {
        let before = readable(version, before)?;
        let mut next = before.clone();
        next.epv2.partner_split = active;
        Ok(Some(RoutingWrite {
            based_on: version,
            config: ConfigWrite::Replace(next.to_json()),
            credentials: credentials.clone(),
            audit: NewAuditEntry {
                at_ms: now_ms,
                actor,
                action: AuditAction::RoutingPartnerSplit,
                subject: "routing".into(),
                before: Some(json!({
                    "partner_split": before.epv2.partner_split,
                    "params": before_params,
                })),
                after: Some(json!({ "partner_split": active, "params": after_params })),
            },
        }))
    })
    .await
}
