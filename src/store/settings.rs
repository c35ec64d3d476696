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
    /// SQLite only: MiB of memory SQLite's page caches may hold together
    /// (every pooled connection's; its soft heap limit).
    pub sqlite_cache_mb: u64,
    /// The key that seals secrets at rest (webhook secrets, provider credentials).
    pub secrets_key: SecretsKeySource,
}

#[cfg(test)]
impl DatabaseSettings {
    /// A SQLite database file in `dir` (its secrets key beside it), no
    /// session cache, at most `max_connections`: for unit tests.
    pub(crate) fn sqlite_for_tests(dir: &std::path::Path, max_connections: u32) -> Self {
        Self {
            url: format!("sqlite://{}", dir.join("test.sqlite3").display()),
            max_connections,
            acquire_timeout: Duration::from_secs(5),
            session_cache_ttl: Duration::ZERO,
            sqlite_cache_mb: DEFAULT_SQLITE_CACHE_MB,
            secrets_key: SecretsKeySource::SandboxGenerated(dir.join("secrets.key")),
        }
    }
}

/// The default of [`DatabaseSettings::sqlite_cache_mb`]: with it, a server
/// on one million open sessions holding 10,000 live session actors stays
/// under 300 MB resident (`cargo bench --bench memory`).
pub const DEFAULT_SQLITE_CACHE_MB: u64 = 64;
