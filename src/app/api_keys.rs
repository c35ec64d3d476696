//! A merchant's API keys, the one way every door manages them (the CLI
//! today, the merchant dashboard and the admin console later): create one
//! (its secret returned once), list them (prefixes and dates, never a
//! secret), revoke one.
//!
//! Tenancy is part of every call: a key is always named together with its
//! merchant, and another merchant's key is [`ApiKeyError::KeyNotFound`],
//! exactly like a key that does not exist. A merchant holds at most
//! [`MAX_ACTIVE_KEYS`] active keys. Nothing here prints or logs a key.

use secrecy::SecretString;

use crate::domain::api_key::{self, KeyLabel, KeyLabelError};
use crate::store::api_keys::{AddedKey, NewKeyRow};
use crate::store::{Store, StoreError};

pub use crate::store::api_keys::ApiKeySummary;

/// How many active keys a merchant may hold at once (enough for one per
/// shop, environment and rotation in flight).
pub const MAX_ACTIVE_KEYS: usize = 20;

/// Something that remembers recently used keys and must forget a revoked
/// one at once: the web doors' authentication cache. A door without one
/// (the CLI) passes [`NoKeyCache`]; other nodes on PostgreSQL hear of the
/// revocation by `NOTIFY`.
pub trait ForgetRevokedKey {
    /// Forgets the key with this prefix.
    fn forget_key(&self, prefix: &str);
}

/// For doors that cache no keys.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoKeyCache;

impl ForgetRevokedKey for NoKeyCache {
    fn forget_key(&self, _prefix: &str) {}
}

/// Why a key could not be created, listed or revoked.
#[derive(Debug, thiserror::Error)]
pub enum ApiKeyError {
    #[error("no merchant with id {0}")]
    MerchantNotFound(i64),
    /// No such key for this merchant (or it belongs to another one).
    #[error("merchant {merchant_id} has no key {key}")]
    KeyNotFound { merchant_id: i64, key: String },
    #[error("a merchant may hold at most {0} active API keys: revoke one first")]
    TooManyKeys(usize),
    #[error("label: {0}")]
    Label(#[from] KeyLabelError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A new key: what lists will show, and the key itself, shown once.
#[derive(Debug)]
pub struct CreatedApiKey {
    pub summary: ApiKeySummary,
    pub key: SecretString,
}

/// Creates a key for the merchant, with an optional label.
pub async fn create(
    store: &Store,
    merchant_id: i64,
    label: Option<&str>,
    now_ms: i64,
) -> Result<CreatedApiKey, ApiKeyError> {
    let label = label.map(KeyLabel::parse).transpose()?;
    let key = api_key::generate();
    let row = NewKeyRow {
        prefix: key.id,
        hash: key.hash,
        label: label.map(|l| l.as_str().to_string()),
    };
    match store
        .add_api_key(merchant_id, row, MAX_ACTIVE_KEYS, now_ms)
        .await?
    {
        AddedKey::Added(summary) => Ok(CreatedApiKey {
            summary,
            key: SecretString::from(key.key),
        }),
        AddedKey::NoSuchMerchant => Err(ApiKeyError::MerchantNotFound(merchant_id)),
        AddedKey::LimitReached(limit) => Err(ApiKeyError::TooManyKeys(limit)),
    }
}

/// The merchant's keys, oldest first, revoked ones included.
pub async fn list(store: &Store, merchant_id: i64) -> Result<Vec<ApiKeySummary>, ApiKeyError> {
    if store.merchant(merchant_id).await?.is_none() {
        return Err(ApiKeyError::MerchantNotFound(merchant_id));
    }
    Ok(store.list_api_keys(merchant_id).await?)
}

/// Revokes the merchant's key named by `key` (its id, `kassa_<id>` as
/// listed, or the whole key): it is refused from now on, on this node at
/// once (`cache` forgets it) and on the others when they hear the
/// revocation. Revoking a revoked key is not an error.
pub async fn revoke(
    store: &Store,
    cache: &dyn ForgetRevokedKey,
    merchant_id: i64,
    key: &str,
    now_ms: i64,
) -> Result<ApiKeySummary, ApiKeyError> {
    let prefix = api_key::named_id(key);
    // Named by its listed prefix only: a whole key typed here must not end
    // up in an error message.
    let not_found = || ApiKeyError::KeyNotFound {
        merchant_id,
        key: prefix.map_or_else(|| "(not a key id)".to_string(), api_key::display_prefix),
    };
    let prefix = prefix.ok_or_else(not_found)?;
    let revoked = store
        .revoke_api_key(merchant_id, prefix, now_ms)
        .await?
        .ok_or_else(not_found)?;
    cache.forget_key(&revoked.prefix);
    Ok(revoked)
}
