//! Recently authenticated API keys, kept in the application state so a busy
//! shop does not cost a database read per request. It only stores and expires
//! what the API's authentication looked up; it must not decide whether a key
//! is valid (the caller still checks the hash and the merchant's status).

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::store::merchants::MerchantCredentials;

/// Recently authenticated keys, by public key id. Entries live `ttl`:
/// disabling a merchant or rotating its key takes effect within that time on
/// every node.
pub struct AuthCache {
    entries: quick_cache::sync::Cache<String, (Instant, Arc<MerchantCredentials>)>,
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
    pub fn get(&self, key_id: &str) -> Option<Arc<MerchantCredentials>> {
        self.entries
            .get(key_id)
            .filter(|(at, _)| at.elapsed() < self.ttl)
            .map(|(_, c)| c)
    }

    /// Remembers `credentials` for `key_id` (nothing when the TTL is zero).
    pub fn put(&self, key_id: &str, credentials: Arc<MerchantCredentials>) {
        if !self.ttl.is_zero() {
            self.entries
                .insert(key_id.to_string(), (Instant::now(), credentials));
        }
    }
}
