//! Revocations announced by other nodes: a PostgreSQL `LISTEN` on
//! [`REVOCATION_CHANNEL`] over a connection of its own (one more than the
//! pool's), yielding each revoked key's prefix.
//!
//! `PgListener` must be dropped inside the Tokio runtime that made it (its
//! drop spawns a task), so the caller runs it on a runtime of its own.
//!
//! It only reports what PostgreSQL says, including that the connection was
//! lost (notifications sent meanwhile are gone, so the caller must forget
//! everything it cached); reconnecting with back-off and clearing caches is
//! the caller's (`http::key_revocations`). SQLite has one node and no
//! listener.

use sea_orm::DbBackend;
use sea_orm::sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions};

use super::api_keys::REVOCATION_CHANNEL;
use super::{Store, StoreError};

/// What the listener heard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyEvent {
    /// The key with this prefix was revoked.
    Revoked(String),
    /// The connection dropped: anything announced from now until a new
    /// subscription is made will be missed. Reported at once (before any
    /// reconnecting), so the caller can stop trusting its cache first.
    Lost,
}

/// A subscription to revocations (PostgreSQL only).
pub struct RevocationListener {
    listener: PgListener,
}

impl std::fmt::Debug for RevocationListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RevocationListener").finish_non_exhaustive()
    }
}

fn unavailable(err: sea_orm::sqlx::Error) -> StoreError {
    StoreError::Unavailable(sea_orm::DbErr::Conn(sea_orm::RuntimeErr::SqlxError(
        std::sync::Arc::new(err),
    )))
}

/// Where to listen for revocations: the database's connection settings
/// (PostgreSQL only). It holds no connection and may move to another thread
/// or runtime; [`RevocationSource::listen`] makes the connection there.
#[derive(Clone)]
pub struct RevocationSource {
    options: PgConnectOptions,
    acquire_timeout: std::time::Duration,
}

impl std::fmt::Debug for RevocationSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RevocationSource").finish_non_exhaustive()
    }
}

impl Store {
    /// Where revocations are announced: `None` on SQLite (one node, nothing to hear).
    pub fn revocation_source(&self) -> Option<RevocationSource> {
        if self.backend() != DbBackend::Postgres {
            return None;
        }
        let options = self
            .db()
            .get_postgres_connection_pool()
            .connect_options()
            .as_ref()
            .clone();
        Some(RevocationSource {
            options,
            acquire_timeout: self.lane_timeout,
        })
    }
}

impl RevocationSource {
    /// Connects (a pool of one connection, its own) and subscribes.
    pub async fn listen(&self) -> Result<RevocationListener, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(1)
            .min_connections(0)
            .acquire_timeout(self.acquire_timeout)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(self.options.clone())
            .await
            .map_err(unavailable)?;
        let mut listener = PgListener::connect_with(&pool).await.map_err(unavailable)?;
        listener.ignore_pool_close_event(true);
        listener.eager_reconnect(false);
        listener
            .listen(REVOCATION_CHANNEL)
            .await
            .map_err(unavailable)?;
        Ok(RevocationListener { listener })
    }
}

impl RevocationListener {
    /// The next event; an error means the connection is gone and could not
    /// be made again (subscribe anew after a pause). Cancel-safe: nothing is
    /// lost when a timeout drops the wait.
    pub async fn next(&mut self) -> Result<KeyEvent, StoreError> {
        match self.listener.try_recv().await.map_err(unavailable)? {
            Some(notification) => Ok(KeyEvent::Revoked(notification.payload().to_string())),
            None => Ok(KeyEvent::Lost),
        }
    }
}
