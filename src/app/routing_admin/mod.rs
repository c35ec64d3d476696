//! Smart Routing as operators change it (the CLI's `kassa routing
//! import|export`, and the admin console): the live configuration and its
//! version, import of a routing file, export as one, and the console's
//! edits — the global switch, a method's provider list, a provider switched
//! off, EPv2, partner split
//! — plus provider credentials (`credentials.rs`).
//!
//! Every change is checked by the domain's rules, then stored as the next
//! version together with its audit line (before and after) in one
//! transaction; a change that raced another is decided again on the newer
//! version. Every node's router polls the version and reloads. Must not:
//! put a credential's value in an audit line, an error or a log.

mod credentials;

use serde_json::{Value, json};

pub use credentials::{
    CredentialView, PartnerParams, clear_credential, credential_views, set_credential,
    set_partner_split,
};

use crate::domain::audit::{AuditAction, AuditActor};
use crate::domain::routing::credential::CredentialValueError;
use crate::domain::routing::document::RoutingEditError;
use crate::domain::routing::{Method, Provider, RoutingConfig};
use crate::providers::credentials::OnrampSettings;
use crate::store::audit_log::NewAuditEntry;
use crate::store::routing::{ConfigWrite, CredentialWrite, RoutingWrite};
use crate::store::{Store, StoreError};

/// How often a change that raced another is decided again.
const ATTEMPTS: usize = 3;

/// What every function works with.
#[derive(Debug, Clone, Copy)]
pub struct RoutingScope<'a> {
    pub store: &'a Store,
    /// Sandbox mode (the built-in table starts with the sandbox on-ramp).
    pub sandbox: bool,
    /// The credentials configuration gives (database values override them).
    pub onramp: &'a OnrampSettings,
}

/// Why a routing change or read failed.
#[derive(Debug, thiserror::Error)]
pub enum RoutingAdminError {
    /// The routing file's problem, named (entry, unknown key, TOML error).
    #[error("routing file: {0}")]
    File(String),
    #[error(transparent)]
    Edit(#[from] RoutingEditError),
    #[error(transparent)]
    Credential(#[from] CredentialValueError),
    /// Partner split needs a partner checkout URL and partner id.
    #[error(
        "partner split needs `partner_checkout_url` and `partner_id` (in the database or [onramp])"
    )]
    PartnerNotConfigured,
    /// The stored configuration no longer reads (edited by hand?).
    #[error("the stored routing configuration (version {version}) does not read: {why}")]
    Stored { version: i64, why: String },
    /// Other changes kept getting in first.
    #[error("the routing configuration kept changing meanwhile; try again")]
    Busy,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The live routing, for the console and `kassa routing export`.
#[derive(Debug, Clone)]
pub struct LiveRouting {
    /// 0 while nothing was ever stored.
    pub version: i64,
    pub config: RoutingConfig,
    /// Whether the configuration comes from the database (else built-in).
    pub stored: bool,
    pub credentials: Vec<CredentialView>,
}

/// The live routing now.
pub async fn current(scope: &RoutingScope<'_>) -> Result<LiveRouting, RoutingAdminError> {
    let stored = scope.store.live_routing().await?;
    let config = config_of(stored.version, stored.config_json.as_deref(), scope.sandbox)?;
    Ok(LiveRouting {
        version: stored.version,
        config,
        stored: stored.config_json.is_some(),
        credentials: credential_views(scope.onramp, &stored.credentials),
    })
}

fn config_of(
    version: i64,
    json: Option<&str>,
    sandbox: bool,
) -> Result<RoutingConfig, RoutingAdminError> {
    match json {
        Some(json) => RoutingConfig::from_json(json, sandbox)
            .map_err(|why| RoutingAdminError::Stored { version, why }),
        None => Ok(RoutingConfig::defaults(sandbox)),
    }
}

/// Checks routing-file text with the same parser as ever and stores it as
/// the next version; returns that version.
pub async fn import(
    scope: &RoutingScope<'_>,
    actor: AuditActor,
    now_ms: i64,
    text: &str,
) -> Result<i64, RoutingAdminError> {
    let imported = crate::actors::router::parse_routing_text(text, scope.sandbox)
        .map_err(RoutingAdminError::File)?;
    let after = json_of(&imported);
    write_with_retry(scope, |version, before| {
        let before = match before {
            Ok(config) => json_of(config),
            Err(why) => json!({ "unreadable": why }),
        };
        Ok(Some(RoutingWrite {
            based_on: version,
            config: ConfigWrite::Replace(imported.to_json()),
            credentials: Vec::new(),
            audit: NewAuditEntry {
                at_ms: now_ms,
                actor,
                action: AuditAction::RoutingImport,
                subject: "routing".into(),
                before: Some(before),
                after: Some(after.clone()),
            },
        }))
    })
    .await
}

/// Imports the `routing_file` setting's file at start, only while the
/// database holds no routing configuration yet; `Ok(true)` when it did.
pub async fn import_file_at_start(
    scope: &RoutingScope<'_>,
    path: &std::path::Path,
    now_ms: i64,
) -> Result<bool, RoutingAdminError> {
    if scope.store.has_routing_config().await? {
        return Ok(false);
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| RoutingAdminError::File(format!("{}: {e}", path.display())))?;
    import(scope, AuditActor::System, now_ms, &text)
        .await
        .map_err(|e| match e {
            RoutingAdminError::File(why) => {
                RoutingAdminError::File(format!("{}: {why}", path.display()))
            }
            other => other,
        })?;
    Ok(true)
}

/// The live configuration as a routing file `import` accepts again.
pub async fn export(scope: &RoutingScope<'_>) -> Result<String, RoutingAdminError> {
    let live = current(scope).await?;
    let version = format!(
        "Kassa Smart Routing, version {} of the database.",
        live.version
    );
    Ok(live.config.to_toml(&[
        &version,
        "Import it again with `kassa routing import FILE`.",
    ]))
}

/// Sets the global switch (`None`: the `smart_router_enabled` setting applies).
pub async fn set_global_switch(
    scope: &RoutingScope<'_>,
    actor: AuditActor,
    now_ms: i64,
    enabled: Option<bool>,
) -> Result<i64, RoutingAdminError> {
    change(
        scope,
        actor,
        now_ms,
        AuditAction::RoutingGlobalSwitch,
        |before| {
            let mut next = before.clone();
            next.enabled_global = enabled;
            let diff = (
                Some(json!({ "enabled_global": before.enabled_global })),
                Some(json!({ "enabled_global": enabled })),
            );
            Ok(Some((next, diff)))
        },
    )
    .await
}

/// Replaces `method`'s EPv1 providers, in priority order.
pub async fn set_method_providers(
    scope: &RoutingScope<'_>,
    actor: AuditActor,
    now_ms: i64,
    method: Method,
    providers: &[Provider],
) -> Result<i64, RoutingAdminError> {
    change(
        scope,
        actor,
        now_ms,
        AuditAction::RoutingMethodProviders,
        |before| {
            let next = before.with_method_providers(method, providers)?;
            let list = |c: &RoutingConfig| -> Vec<&'static str> {
                c.table
                    .get(&method)
                    .map(|l| l.iter().map(|p| p.as_str()).collect())
                    .unwrap_or_default()
            };
            let diff = (
                Some(json!({ "method": method.as_str(), "providers": list(before) })),
                Some(json!({ "method": method.as_str(), "providers": list(&next) })),
            );
            Ok(Some((next, diff)))
        },
    )
    .await
}

/// Switches a provider off (whatever its credentials: the router passes
/// it over for every merchant) or back on.
pub async fn set_provider_disabled(
    scope: &RoutingScope<'_>,
    actor: AuditActor,
    now_ms: i64,
    provider: Provider,
    disabled: bool,
) -> Result<i64, RoutingAdminError> {
    change(
        scope,
        actor,
        now_ms,
        AuditAction::RoutingProviderDisabled,
        |before| {
            if before.disabled.contains(&provider) == disabled {
                return Ok(None);
            }
            let mut next = before.clone();
            if disabled {
                next.disabled.insert(provider);
            } else {
                next.disabled.remove(&provider);
            }
            let diff = (
                Some(json!({ "provider": provider.as_str(), "disabled": !disabled })),
                Some(json!({ "provider": provider.as_str(), "disabled": disabled })),
            );
            Ok(Some((next, diff)))
        },
    )
    .await
}

/// Switches EPv2 (`method=other` / `provider=epv2`) on or off.
pub async fn set_epv2_active(
    scope: &RoutingScope<'_>,
    actor: AuditActor,
    now_ms: i64,
    active: bool,
) -> Result<i64, RoutingAdminError> {
    change(scope, actor, now_ms, AuditAction::RoutingEpv2, |before| {
        let mut next = before.clone();
        next.epv2.active = active;
        let diff = (
            Some(json!({ "epv2_active": before.epv2.active })),
            Some(json!({ "epv2_active": active })),
        );
        Ok(Some((next, diff)))
    })
    .await
}

fn json_of(config: &RoutingConfig) -> Value {
    serde_json::to_value(config.to_raw()).unwrap_or(Value::Null)
}

/// Before/after records of a change.
type Diff = (Option<Value>, Option<Value>);

/// Decides a configuration change on the version in force with `decide`
/// (`None`: nothing to store), stores it as the next version with its audit
/// line, and decides again when another change got in first.
async fn change(
    scope: &RoutingScope<'_>,
    actor: AuditActor,
    now_ms: i64,
    action: AuditAction,
    decide: impl Fn(&RoutingConfig) -> Result<Option<(RoutingConfig, Diff)>, RoutingAdminError>,
) -> Result<i64, RoutingAdminError> {
    write_with_retry(scope, |stored_version, before| {
        let Some((next, (b, a))) = decide(readable(stored_version, before)?)? else {
            return Ok(None);
        };
        Ok(Some(RoutingWrite {
            based_on: stored_version,
            config: ConfigWrite::Replace(next.to_json()),
            credentials: Vec::new(),
            audit: NewAuditEntry {
                at_ms: now_ms,
                actor,
                action,
                subject: "routing".into(),
                before: b,
                after: a,
            },
        }))
    })
    .await
}

/// Reads the version in force, builds a write on it with `build`, stores
/// it; on a conflict, reads again (at most [`ATTEMPTS`] times). Returns the
/// version in force afterwards.
async fn write_with_retry(
    scope: &RoutingScope<'_>,
    build: impl Fn(
        i64,
        &Result<RoutingConfig, String>,
    ) -> Result<Option<RoutingWrite>, RoutingAdminError>,
) -> Result<i64, RoutingAdminError> {
    for _ in 0..ATTEMPTS {
        let stored = scope.store.live_routing().await?;
        let before = match stored.config_json.as_deref() {
            Some(json) => RoutingConfig::from_json(json, scope.sandbox),
            None => Ok(RoutingConfig::defaults(scope.sandbox)),
        };
        let Some(write) = build(stored.version, &before)? else {
            return Ok(stored.version);
        };
        match scope.store.write_routing(write).await {
            Ok(version) => return Ok(version),
            Err(StoreError::Conflict) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(RoutingAdminError::Busy)
}

/// The configuration in force, or why the stored one does not read (an
/// edit needs it; an import or a credential change does not, so a broken
/// stored version can always be replaced).
fn readable(
    version: i64,
    before: &Result<RoutingConfig, String>,
) -> Result<&RoutingConfig, RoutingAdminError> {
    before.as_ref().map_err(|why| RoutingAdminError::Stored {
        version,
        why: why.clone(),
    })
}

/// A credential-only write on the version in force.
fn credential_write(
    based_on: i64,
    credentials: Vec<CredentialWrite>,
    audit: NewAuditEntry,
) -> RoutingWrite {
    RoutingWrite {
        based_on,
        config: ConfigWrite::Keep,
        credentials,
        audit,
    }
}
