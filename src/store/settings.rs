//! The database section of the configuration, checked, handed to
//! [`super::Store::connect`] as a plain value.

use std::time::Duration;

use super::secrets_key::SecretsKeySource;

/// Where the database lives.
#[derive(Debug, Clone)]
pub struct DatabaseSettings {
    pub url: String,
    pub max_connections: u32,
    pub acquire_timeout: Duration,
    /// How long a session read from the database is served from memory.
    pub session_cache_ttl: Duration,
    /// The key that seals secrets at rest (webhook secrets, provider credentials).
    pub secrets_key: SecretsKeySource,
}
