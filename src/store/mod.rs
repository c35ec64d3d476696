//! The durable store: sea-orm queries and transactions over SQLite (default)
//! or PostgreSQL. The only importer of `kassa_entities`; rows become domain
//! records here and nowhere else.
//!
//! SQLite runs in WAL mode with `synchronous=FULL`, so an acknowledged write
//! survives power loss. Every pool acquire is bounded, so a database outage
//! becomes [`StoreError::Unavailable`] quickly instead of a hang, and the pool
//! reconnects by itself when the database returns. A full disk
//! (`SQLITE_FULL`, PostgreSQL `53100`) is `Unavailable` too: the write is
//! refused whole, and service resumes once there is space again.
//!
//! One server per SQLite database: `kassa serve` takes [`node_lock`]'s lock.

pub mod accounts;
pub mod api_key_events;
pub mod api_keys;
pub mod attention;
pub mod audit;
pub mod audit_log;
pub mod backup;
pub mod chain;
pub mod group_commit;
pub mod held;
pub mod idempotency;
mod journal;
pub mod lease;
pub mod ledger;
mod ledger_rows;
mod ledger_tx_writes;
pub mod ledger_txs;
mod ledger_writes;
mod merchant_cache;
mod merchant_rows;
pub mod merchant_search;
pub mod merchants;
pub mod node_lock;
mod opened_counter;
pub mod operators;
pub mod payment_links;
pub mod payout_requests;
pub mod payout_txs;
pub mod payout_wallets;
pub mod payouts;
pub mod products;
pub mod routing;
mod sealed;
pub mod secrets_key;
pub mod session_list;
pub mod sessions;
mod settings;
mod sweep_counts;
mod transition_batch;
pub mod transitions;
pub mod webhook_claims;
mod webhook_log;
mod webhook_record;
pub mod webhooks;

use std::str::FromStr;

use anyhow::Context;
use kassa_migrations::{Migrator, MigratorTrait};
use sea_orm::sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sea_orm::sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous,
};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, DbErr, RuntimeErr, SqlErr,
    SqlxPostgresConnector, SqlxSqliteConnector, Statement,
};

pub use sealed::SealedAtStart;
pub use settings::{DEFAULT_SQLITE_CACHE_MB, DatabaseSettings};

/// A failure of the store, classified for the caller.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database cannot be reached right now; retry later.
    #[error("database unavailable: {0}")]
    Unavailable(#[source] DbErr),
    /// A uniqueness or version check failed.
    #[error("conflict")]
    Conflict,
    /// A write of a store fenced by a lease ([`lease::Fence`]) while this
    /// node no longer holds that lease: nothing was written.
    #[error("fenced: this node no longer holds the lease")]
    Fenced,
    /// A row holds something the code cannot read.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<DbErr> for StoreError {
    fn from(err: DbErr) -> Self {
        if matches!(&err, DbErr::Custom(mark) if mark == lease::FENCED_MARK) {
            return StoreError::Fenced;
        }
        if is_unavailable(&err) {
            return StoreError::Unavailable(err);
        }
        match err.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => StoreError::Conflict,
            _ => StoreError::Unexpected(anyhow::Error::new(err)),
        }
    }
}

/// Whether an error means "the database is not there", as opposed to a bad query.
fn is_unavailable(err: &DbErr) -> bool {
    use sea_orm::sqlx::Error as SqlxError;
    match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
            match e.as_ref() {
                SqlxError::Io(_)
                | SqlxError::PoolTimedOut
                | SqlxError::PoolClosed
                | SqlxError::WorkerCrashed
                | SqlxError::Protocol(_)
                | SqlxError::Tls(_) => true,
                SqlxError::Database(db) => {
                    let code = db.code().map(|c| c.to_string()).unwrap_or_default();
                    unavailable_code(&code)
                }
                _ => false,
            }
        }
        _ => false,
    }
}

/// Whether a database error code means "try again later": on SQLite
/// (numeric, extended codes under 10000) BUSY and LOCKED after the busy
/// timeout, FULL (the disk is full) and IOERR; on PostgreSQL (five
/// characters) the admin shutdown class, disk full and too many connections.
fn unavailable_code(code: &str) -> bool {
    if code.len() < 5
        && let Ok(extended) = code.parse::<u32>()
    {
        const BUSY: u32 = 5;
        const LOCKED: u32 = 6;
        const IOERR: u32 = 10;
        const FULL: u32 = 13;
        return matches!(extended & 0xff, BUSY | LOCKED | IOERR | FULL);
    }
    matches!(code, "57P01" | "57P02" | "57P03" | "53100" | "53300")
}

/// Whether a SQLite connection going back to the pool is outside any
/// transaction, as sqlx counts them. A COMMIT that fails on a full disk or an
/// I/O error makes SQLite roll the transaction back by itself; sqlx's own
/// ROLLBACK then fails and its count stays at one. Reused, such a connection
/// would turn the next BEGIN into a SAVEPOINT and, after the next rollback,
/// hold a transaction open in which every later "commit" only releases a
/// savepoint: answered, never written. So it is closed instead.
///
/// The count is read first, without a round trip to the connection's
/// worker thread: almost every connection comes back outside a transaction
/// (sqlx pings it after this check anyway). Only one still counted inside
/// is pinged, which lets a rollback queued by a dropped transaction run,
/// and read again.
async fn sqlite_connection_is_clean(
    conn: &mut sea_orm::sqlx::SqliteConnection,
) -> Result<bool, sea_orm::sqlx::Error> {
    use sea_orm::sqlx::Connection;
    if !conn.is_in_transaction() {
        return Ok(true);
    }
    conn.ping().await?;
    let stuck = conn.is_in_transaction();
    if stuck {
        tracing::warn!(
            "closing a database connection left inside a transaction (after a failed commit)"
        );
    }
    Ok(!stuck)
}

/// A write transaction, holding this process's SQLite write lane until it ends.
pub(crate) struct WriteTxn {
    txn: sea_orm::DatabaseTransaction,
    _lane: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl WriteTxn {
    pub(crate) async fn commit(self) -> Result<(), DbErr> {
        self.txn.commit().await
    }
}

impl std::ops::Deref for WriteTxn {
    type Target = sea_orm::DatabaseTransaction;
    fn deref(&self) -> &Self::Target {
        &self.txn
    }
}

/// Handle to the database; cheap to clone.
#[derive(Clone)]
pub struct Store {
    db: DatabaseConnection,
    /// Recently read or created sessions. Every write of a session through
    /// this store refreshes or drops its entry, so a single node never reads
    /// stale state; entries expire after `ttl` so several nodes converge.
    sessions: std::sync::Arc<sessions::SessionCache>,
    /// Recently read merchants (the hosted pages read one per view); same
    /// rules as `sessions`.
    merchants: std::sync::Arc<merchant_cache::MerchantCache>,
    /// SQLite only: the in-process queue for the one write lock.
    write_lane: Option<std::sync::Arc<tokio::sync::Mutex<()>>>,
    lane_timeout: std::time::Duration,
    /// SQLite only: transitions waiting for the lane, committed together
    /// by whichever writer takes it next.
    group: std::sync::Arc<group_commit::Queue>,
    /// Seals webhook secrets and provider credentials on write, opens them on read.
    secrets: crate::domain::secret_box::SecretBox,
    /// The lease every write transaction of this handle checks first (the
    /// chain leader's handle, see [`lease`]); `None` for everyone else.
    fence: Option<std::sync::Arc<lease::Fence>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend())
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Opens the database named by `settings` (creating a SQLite file and its folder if needed).
    pub async fn connect(settings: &DatabaseSettings) -> anyhow::Result<Store> {
        let secrets = secrets_key::load(&settings.secrets_key)?;
        let url = settings.url.as_str();
        let db = if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)
                .with_context(|| format!("setting `database_url`: cannot read `{url}`"))?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                .busy_timeout(settings.acquire_timeout)
                // Up to 64 MiB of page cache per connection, so random-key
                // index pages stay in memory instead of being re-read, but
                // no more than `sqlite_cache_mb` for all of them together
                // (SQLite's soft heap limit, process-wide: past it a cache
                // recycles its own oldest pages rather than growing). Without
                // that bound 16 connections could hold 1 GiB, and a server
                // that had read a million sessions once sat at 300 MB idle.
                // No memory-mapped reads: in WAL mode every reader unmaps its
                // whole mapping after each commit by another connection, and
                // under group commits that munmap cost more than the copies
                // it saved.
                .pragma("cache_size", "-65536")
                .pragma(
                    "soft_heap_limit",
                    (settings.sqlite_cache_mb.saturating_mul(1 << 20)).to_string(),
                )
                .pragma("mmap_size", "0");
            if let Some(dir) = options
                .get_filename()
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
            {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("creating the data folder {}", dir.display()))?;
            }
            let pool = SqlitePoolOptions::new()
                .max_connections(settings.max_connections)
                .min_connections(1)
                .acquire_timeout(settings.acquire_timeout)
                .after_release(|conn, _| Box::pin(sqlite_connection_is_clean(conn)))
                .connect_with(options)
                .await
                .with_context(|| format!("opening the SQLite database {url}"))?;
            SqlxSqliteConnector::from_sqlx_sqlite_pool(pool)
        } else {
            let options = PgConnectOptions::from_str(url)
                .context("setting `database_url`: not a PostgreSQL URL")?;
            let pool = PgPoolOptions::new()
                .max_connections(settings.max_connections)
                .acquire_timeout(settings.acquire_timeout)
                .connect_with(options)
                .await
                .context("connecting to PostgreSQL (setting `database_url`)")?;
            SqlxPostgresConnector::from_sqlx_postgres_pool(pool)
        };
        let write_lane = (db.get_database_backend() == DbBackend::Sqlite)
            .then(|| std::sync::Arc::new(tokio::sync::Mutex::new(())));
        Ok(Store {
            db,
            sessions: std::sync::Arc::new(sessions::SessionCache::new(settings.session_cache_ttl)),
            merchants: std::sync::Arc::new(merchant_cache::MerchantCache::new(
                settings.session_cache_ttl,
            )),
            write_lane,
            lane_timeout: settings.acquire_timeout,
            group: std::sync::Arc::default(),
            secrets,
            fence: None,
        })
    }

    /// Applies every pending migration.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        Migrator::up(&self.db, None)
            .await
            .context("applying migrations")
    }

    /// Whether the database answers and every migration is applied.
    pub async fn readiness(&self) -> Result<bool, StoreError> {
        let backend = self.db.get_database_backend();
        self.db
            .execute_raw(Statement::from_string(backend, "SELECT 1"))
            .await?;
        let pending = Migrator::get_pending_migrations(&self.db).await?;
        Ok(pending.is_empty())
    }

    /// For SQLite: the journal mode and synchronous level in force on a
    /// pooled connection (`("wal", 2)` means WAL with `synchronous=FULL`).
    pub async fn sqlite_durability(&self) -> Result<Option<(String, i64)>, StoreError> {
        if self.backend() != DbBackend::Sqlite {
            return Ok(None);
        }
        let backend = self.backend();
        let journal = self
            .db
            .query_one_raw(Statement::from_string(backend, "PRAGMA journal_mode"))
            .await?
            .map(|row| row.try_get_by_index::<String>(0))
            .transpose()?
            .unwrap_or_default();
        let synchronous = self
            .db
            .query_one_raw(Statement::from_string(backend, "PRAGMA synchronous"))
            .await?
            .map(|row| row.try_get_by_index::<i64>(0))
            .transpose()?
            .unwrap_or_default();
        Ok(Some((journal, synchronous)))
    }

    /// For SQLite: whether the library was built with the query planner
    /// stability guarantee (`SQLITE_ENABLE_QPSG`, set in
    /// `.cargo/config.toml`). Without it every statement with a bound
    /// `LIMIT` is planned again at each execution.
    pub async fn sqlite_stable_plans(&self) -> Result<Option<bool>, StoreError> {
        if self.backend() != DbBackend::Sqlite {
            return Ok(None);
        }
        let rows = self
            .db
            .query_all_raw(Statement::from_string(
                self.backend(),
                "PRAGMA compile_options",
            ))
            .await?;
        let mut found = false;
        for row in rows {
            found |= row.try_get_by_index::<String>(0)? == "ENABLE_QPSG";
        }
        Ok(Some(found))
    }

    /// Starts a write transaction. On SQLite it is `BEGIN IMMEDIATE`: it takes
    /// the write lock up front (waiting up to the busy timeout) instead of
    /// failing when a read transaction later tries to upgrade.
    ///
    /// On SQLite, writers also queue in this process for the single write
    /// lane first: SQLite's busy handler waits by sleeping with back-off, so
    /// many connections racing for the lock waste milliseconds each; a fair
    /// in-process queue hands the lock over at once.
    ///
    /// A fenced store ([`Store::with_fence`]) checks its lease first; the
    /// transaction is rolled back and `Fenced` returned when it is not held.
    pub(crate) async fn begin_write(&self) -> Result<WriteTxn, DbErr> {
        let lane = self.lock_lane().await?;
        let txn = self.begin_immediate().await?;
        if let Some(fence) = &self.fence {
            lease::check_fence(&txn, self.backend(), fence).await?;
        }
        Ok(WriteTxn { txn, _lane: lane })
    }

    /// Runs one write statement as a transaction of its own and answers
    /// its rows (those of `RETURNING`, if any). A single statement is all
    /// or nothing and committed (and synced, as an explicit commit is)
    /// before it answers, on both databases, so no `BEGIN` and `COMMIT` are
    /// sent around it: on PostgreSQL two round trips fewer, on SQLite two
    /// hand-offs fewer to the connection's thread. On SQLite the write lane
    /// is still taken, so the statement never waits on another writer of
    /// this process. A fenced store keeps the transaction its lease check
    /// needs.
    pub(crate) async fn write_statement(
        &self,
        statement: sea_orm::Statement,
    ) -> Result<Vec<sea_orm::QueryResult>, DbErr> {
        use sea_orm::ConnectionTrait;
        if self.fence.is_some() {
            let txn = self.begin_write().await?;
            let rows = txn.query_all_raw(statement).await?;
            txn.commit().await?;
            Ok(rows)
        } else {
            let _lane = self.lock_lane().await?;
            self.db.query_all_raw(statement).await
        }
    }

    /// Takes this process's SQLite write lane (none on PostgreSQL).
    async fn lock_lane(&self) -> Result<Option<tokio::sync::OwnedMutexGuard<()>>, DbErr> {
        use sea_orm::ConnAcquireErr;
        match &self.write_lane {
            Some(lane) => Ok(Some(
                tokio::time::timeout(self.lane_timeout, lane.clone().lock_owned())
                    .await
                    .map_err(|_| DbErr::ConnectionAcquire(ConnAcquireErr::Timeout))?,
            )),
            None => Ok(None),
        }
    }

    /// A write transaction; the caller holds the lane (SQLite takes the
    /// write lock at `BEGIN`, so the transaction never fails to upgrade).
    async fn begin_immediate(&self) -> Result<sea_orm::DatabaseTransaction, DbErr> {
        use sea_orm::{SqliteTransactionMode, TransactionOptions, TransactionTrait};
        self.db
            .begin_with_options(TransactionOptions {
                isolation_level: None,
                access_mode: None,
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            })
            .await
    }

    pub(crate) fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    pub fn backend(&self) -> DbBackend {
        self.db.get_database_backend()
    }

    /// Closes the pool (for tests that drop their database).
    pub async fn close(self) {
        let _ = self.db.close().await;
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::unavailable_code;

    /// The state a COMMIT failing on a full disk leaves: SQLite has ended
    /// the transaction, sqlx still counts it. Made here without a full disk
    /// by ending it behind sqlx's back. With one pooled connection, the next
    /// writes must each be committed or rolled back for real, so a later
    /// committed row is there for a reader on its own connection.
    #[actix_web::test]
    async fn a_connection_whose_commit_failed_does_not_turn_later_commits_into_savepoints() {
        use sea_orm::sqlx::{Connection, SqliteConnection};
        use sea_orm::{ConnectionTrait, TransactionTrait};
        let dir = tempfile::tempdir().unwrap();
        let settings = super::DatabaseSettings::sqlite_for_tests(dir.path(), 1);
        let url = settings.url.clone();
        let store = super::Store::connect(&settings).await.unwrap();
        let db = store.db();
        db.execute_unprepared("CREATE TABLE t (x INTEGER)")
            .await
            .unwrap();

        let txn = db.begin().await.unwrap();
        txn.execute_unprepared("INSERT INTO t VALUES (0)")
            .await
            .unwrap();
        txn.execute_unprepared("ROLLBACK").await.unwrap();
        assert!(txn.commit().await.is_err(), "the commit should fail");

        let txn = db.begin().await.unwrap();
        txn.execute_unprepared("INSERT INTO t VALUES (1)")
            .await
            .unwrap();
        drop(txn); // rolled back
        let txn = db.begin().await.unwrap();
        txn.execute_unprepared("INSERT INTO t VALUES (2)")
            .await
            .unwrap();
        txn.commit().await.unwrap();

        let mut reader = SqliteConnection::connect(&url).await.unwrap();
        let rows: Vec<i64> = sea_orm::sqlx::query_scalar("SELECT x FROM t ORDER BY x")
            .fetch_all(&mut reader)
            .await
            .unwrap();
        assert_eq!(rows, vec![2]);
    }

    #[test]
    fn a_full_disk_busy_lock_or_io_error_is_unavailable_and_a_constraint_is_not() {
        for code in [
            "5", "517", "6", "13", "10", "778", "57P01", "53100", "53300",
        ] {
            assert!(unavailable_code(code), "{code} should be unavailable");
        }
        for code in ["19", "2067", "1", "23505", "42P01", ""] {
            assert!(!unavailable_code(code), "{code} should not be unavailable");
        }
    }
}
