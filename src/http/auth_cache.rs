//! Recently authenticated API keys, kept in the application state so a busy
//! shop does not cost a database read per request. It only stores and expires
//! what the API's authentication looked up; it must not decide whether a key
//! is valid (the caller still checks the hash and the merchant's status).
//!
//! A revoked key must never pass through it: a revocation made through this
//! node forgets the key at once ([`ForgetRevokedKey`]), one made on another
//! node on the same PostgreSQL arrives by `NOTIFY` (`key_revocations`), and
//! when that channel is lost the whole cache is cleared.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::app::api_keys::ForgetRevokedKey;
use crate::store::api_keys::KeyCredentials;

/// Recently authenticated keys, by public key id (prefix). Entries live
/// `ttl`: disabling a merchant takes effect within that time on every node
/// (a revocation takes effect at once, see the module doc).
pub struct AuthCache {
    entries: quick_cache::sync::Cache<String, (Instant, Arc<KeyCredentials>)>,
    ttl: Duration,
}

impl AuthCache {
    pub fn new(ttl: Duration) -> Self {
        Self {
            entries: quick_cache::sync::Cache::new(10_000),
            ttl,
        }
    }

    /// The credentials cached for `key_id`, if still fresh.
    pub fn get(&self, key_id: &str) -> Option<Arc<KeyCredentials>> {
        self.entries
            .get(key_id)
            .filter(|(at, _)| at.elapsed() < self.ttl)
            .map(|(_, c)| c)
    }

    /// Remembers `credentials` for `key_id` (nothing when the TTL is zero).
    pub fn put(&self, key_id: &str, credentials: Arc<KeyCredentials>) {
        if !self.ttl.is_zero() {
            self.entries
                .insert(key_id.to_string(), (Instant::now(), credentials));
        }
    }

    /// Forgets one key (it was revoked).
    pub fn forget(&self, key_id: &str) {
        self.entries.remove(key_id);
    }

    /// Forgets every key (revocations may have been missed).
    pub fn clear(&self) {
        self.entries.clear();
    }
}

impl ForgetRevokedKey for AuthCache {
    fn forget_key(&self, prefix: &str) {
        self.forget(prefix);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::domain::merchant::{CheckoutMode, Merchant, Package};

    fn credentials() -> Arc<KeyCredentials> {
        Arc::new(KeyCredentials {
            key_id: 1,
            merchant: Merchant {
                id: 1,
                email: "a@shop.example".into(),
                package: Package::Pro,
                checkout_mode: CheckoutMode::Standard,
                country: None,
                crypto_enabled: true,
                disabled: false,
                payout_wallets: Default::default(),
                webhook_url: None,
                branding: Default::default(),
                domains: vec![],
            },
            key_hash: "h".into(),
        })
    }

    #[test]
    fn a_forgotten_or_cleared_key_is_no_longer_cached() {
        let cache = AuthCache::new(Duration::from_secs(60));
        cache.put("aaaa", credentials());
        cache.put("bbbb", credentials());
        cache.forget_key("aaaa");
        assert!(cache.get("aaaa").is_none());
        assert!(cache.get("bbbb").is_some());
        cache.clear();
        assert!(cache.get("bbbb").is_none());
    }

    #[test]
    fn a_zero_ttl_caches_nothing() {
        let cache = AuthCache::new(Duration::ZERO);
        cache.put("aaaa", credentials());
        assert!(cache.get("aaaa").is_none());
    }
}
