//! A short-lived read cache of merchants by id, for the hosted pages: every
//! page view needs its merchant (name, branding, allowlist), and reading it
//! is two queries. Writes through this store drop the entry at once; a
//! change made elsewhere (the CLI, another node) shows within the TTL (the
//! session cache's, one second by default). A zero TTL disables it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::domain::merchant::Merchant;

/// How many merchants the cache keeps.
const CAPACITY: usize = 10_000;

pub struct MerchantCache {
    entries: quick_cache::sync::Cache<i64, (Instant, Arc<Merchant>)>,
    ttl: Duration,
}

impl MerchantCache {
    pub fn new(ttl: Duration) -> Self {
        Self {
            entries: quick_cache::sync::Cache::new(CAPACITY),
            ttl,
        }
    }

    pub(crate) fn get(&self, id: i64) -> Option<Merchant> {
        self.entries
            .get(&id)
            .filter(|(at, _)| at.elapsed() < self.ttl)
            .map(|(_, m)| Merchant::clone(&m))
    }

    pub(crate) fn put(&self, merchant: &Merchant) {
        if !self.ttl.is_zero() {
            self.entries
                .insert(merchant.id, (Instant::now(), Arc::new(merchant.clone())));
        }
    }

    pub(crate) fn forget(&self, id: i64) {
        self.entries.remove(&id);
    }
}
