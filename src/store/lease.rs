//! Leases with a fencing token: which node holds a named role (the chain
//! leader: watcher and payouts) and until when, kept in the `leases` table.
//!
//! Every operation is one atomic statement, so two nodes racing for a free
//! lease cannot both win: the acquisition is an `INSERT … ON CONFLICT DO
//! UPDATE … WHERE` (the row is free, expired, or already ours) `RETURNING
//! token`, and a node that loses the race gets no row back. The token
//! grows by one each time the holder changes; a renewal keeps it.
//!
//! Expiry is read against the database's clock, never a node's: both the
//! holder's renewals and a rival's takeover compare with the same clock,
//! so skewed node clocks cannot make two leaders. (PostgreSQL:
//! `clock_timestamp()`; SQLite: `julianday('now')`, on the one node there.)
//!
//! [`Fence`] carries the token this node holds. A store made with
//! [`Store::with_fence`] checks it at the start of every write transaction
//! (`begin_write`): the lease row must still name this holder with this
//! token and be unexpired, read `FOR SHARE` on PostgreSQL so a takeover
//! (which updates the row) waits until the fenced write has committed. On
//! SQLite the write transaction itself is the lock. A write of a deposed
//! leader fails with [`StoreError::Fenced`] and nothing of it is kept.
//!
//! This module decides nothing about when to acquire or renew: the
//! leadership actor does.

use std::sync::Arc;
use std::time::Duration;

use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement, Value};
use tokio::sync::watch;

use super::{Store, StoreError};

/// The lease of the chain leader (the chain watcher and the payouts).
pub const CHAIN_LEADER: &str = "chain";

/// The marker of a fenced write inside a `DbErr` (`begin_write` returns
/// `DbErr`); [`StoreError`]'s conversion turns it into `Fenced`.
pub(super) const FENCED_MARK: &str =
    "kassa: write fenced off (this node no longer holds the lease)";

/// The token this node holds for one lease, or `None` while it does not
/// lead. The leadership actor sets it; fenced stores and the led actors
/// read it. Cheap to read (no lock held across an await).
#[derive(Debug)]
pub struct Fence {
    name: String,
    holder: String,
    token: watch::Sender<Option<i64>>,
}

impl Fence {
    pub fn new(name: &str, holder: &str) -> Arc<Fence> {
        Arc::new(Fence {
            name: name.to_string(),
            holder: holder.to_string(),
            token: watch::Sender::new(None),
        })
    }

    /// The lease's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// This node's name as the lease's holder.
    pub fn holder(&self) -> &str {
        &self.holder
    }

    /// The token held now; `None`: this node does not lead.
    pub fn token(&self) -> Option<i64> {
        *self.token.borrow()
    }

    /// Records the token gained, or `None` when leadership was lost.
    pub fn set(&self, token: Option<i64>) {
        self.token.send_replace(token);
    }

    /// Told of every change of the token.
    pub fn subscribe(&self) -> watch::Receiver<Option<i64>> {
        self.token.subscribe()
    }
}

/// Now in unix milliseconds by the database's clock, as SQL.
fn db_now_ms(backend: DbBackend) -> &'static str {
    match backend {
        DbBackend::Postgres => "(EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT",
        _ => "CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)",
    }
}

fn ttl_ms(ttl: Duration) -> i64 {
    i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX / 2)
}

impl Store {
    /// Whether other nodes may share this database: PostgreSQL; a SQLite
    /// file has one server (the single-node lock, [`super::node_lock`]).
    pub fn may_have_other_nodes(&self) -> bool {
        self.backend() == DbBackend::Postgres
    }

    /// This store, its writes fenced by `fence`: each write transaction
    /// first checks that the lease is still held with the fence's token,
    /// and fails with [`StoreError::Fenced`] otherwise (also while the
    /// fence holds no token). For the chain watcher and the payouts.
    pub fn with_fence(&self, fence: Arc<Fence>) -> Store {
        let mut store = self.clone();
        store.fence = Some(fence);
        store
    }

    /// Takes the lease `name` for `holder` for `ttl` if it is free,
    /// expired or already `holder`'s; its token, or `None` when another
    /// holder has it. A change of holder adds one to the token.
    pub async fn try_acquire_lease(
        &self,
        name: &str,
        holder: &str,
        ttl: Duration,
    ) -> Result<Option<i64>, StoreError> {
        self.acquire(name, holder, ttl, false).await
    }

    /// Takes the lease whoever holds it (a new holder still adds one to
    /// the token). Only for a database that cannot have another node: a
    /// SQLite file under the single-node lock, whose last holder is a
    /// process that has ended.
    pub async fn take_lease(
        &self,
        name: &str,
        holder: &str,
        ttl: Duration,
    ) -> Result<Option<i64>, StoreError> {
        self.acquire(name, holder, ttl, true).await
    }

    async fn acquire(
        &self,
        name: &str,
        holder: &str,
        ttl: Duration,
        force: bool,
    ) -> Result<Option<i64>, StoreError> {
        let backend = self.backend();
        let now = db_now_ms(backend);
        let taken_when = if force {
            "TRUE".to_string()
        } else {
            format!("leases.holder = excluded.holder OR leases.expires_at <= {now}")
        };
        let sql = format!(
            "INSERT INTO leases (name, holder, token, expires_at) VALUES ($1, $2, 1, {now} + $3) \
             ON CONFLICT (name) DO UPDATE SET \
               token = CASE WHEN leases.holder = excluded.holder THEN leases.token ELSE leases.token + 1 END, \
               holder = excluded.holder, expires_at = excluded.expires_at \
             WHERE {taken_when} \
             RETURNING token"
        );
        let values: [Value; 3] = [name.into(), holder.into(), ttl_ms(ttl).into()];
        let _lane = self.lock_lane().await?;
        let row = self
            .db()
            .query_one_raw(Statement::from_sql_and_values(backend, sql, values))
            .await?;
        Ok(row.map(|r| r.try_get_by_index::<i64>(0)).transpose()?)
    }

    /// Extends the lease by `ttl` from now if `holder` still holds it with
    /// `token` and it has not expired; whether it did.
    pub async fn renew_lease(
        &self,
        name: &str,
        holder: &str,
        token: i64,
        ttl: Duration,
    ) -> Result<bool, StoreError> {
        let backend = self.backend();
        let now = db_now_ms(backend);
        let sql = format!(
            "UPDATE leases SET expires_at = {now} + $4 \
             WHERE name = $1 AND holder = $2 AND token = $3 AND expires_at > {now}"
        );
        let values: [Value; 4] = [name.into(), holder.into(), token.into(), ttl_ms(ttl).into()];
        let _lane = self.lock_lane().await?;
        let done = self
            .db()
            .execute_raw(Statement::from_sql_and_values(backend, sql, values))
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Gives the lease up at once (graceful shutdown), so another node
    /// takes over without waiting for expiry; nothing when `holder` no
    /// longer holds it with `token`. The token stays, so the next holder's
    /// is still greater.
    pub async fn release_lease(
        &self,
        name: &str,
        holder: &str,
        token: i64,
    ) -> Result<bool, StoreError> {
        let backend = self.backend();
        let now = db_now_ms(backend);
        let sql = format!(
            "UPDATE leases SET expires_at = {now} - 1 \
             WHERE name = $1 AND holder = $2 AND token = $3"
        );
        let values: [Value; 3] = [name.into(), holder.into(), token.into()];
        let _lane = self.lock_lane().await?;
        let done = self
            .db()
            .execute_raw(Statement::from_sql_and_values(backend, sql, values))
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Who holds the lease now and with which token (`None`: nobody ever
    /// did, or it expired or was released).
    pub async fn lease_holder(&self, name: &str) -> Result<Option<(String, i64)>, StoreError> {
        let backend = self.backend();
        let now = db_now_ms(backend);
        let sql =
            format!("SELECT holder, token FROM leases WHERE name = $1 AND expires_at > {now}");
        let row = self
            .db()
            .query_one_raw(Statement::from_sql_and_values(backend, sql, [name.into()]))
            .await?;
        Ok(row
            .map(|r| {
                Ok::<_, DbErr>((
                    r.try_get_by_index::<String>(0)?,
                    r.try_get_by_index::<i64>(1)?,
                ))
            })
            .transpose()?)
    }
}

/// Inside a write transaction of a fenced store: the lease must still be
/// held with the fence's token (read `FOR SHARE` on PostgreSQL, so a
/// takeover waits for this transaction), or the write is refused.
pub(super) async fn check_fence(
    conn: &impl ConnectionTrait,
    backend: DbBackend,
    fence: &Fence,
) -> Result<(), DbErr> {
    let Some(token) = fence.token() else {
        return Err(DbErr::Custom(FENCED_MARK.into()));
    };
    let now = db_now_ms(backend);
    let lock = match backend {
        DbBackend::Postgres => " FOR SHARE",
        _ => "",
    };
    let sql = format!(
        "SELECT token FROM leases \
         WHERE name = $1 AND holder = $2 AND token = $3 AND expires_at > {now}{lock}"
    );
    let values: [Value; 3] = [fence.name().into(), fence.holder().into(), token.into()];
    let held = conn
        .query_one_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?;
    match held {
        Some(_) => Ok(()),
        None => Err(DbErr::Custom(FENCED_MARK.into())),
    }
}
