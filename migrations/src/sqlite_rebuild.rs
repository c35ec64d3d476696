//! Rebuilding a SQLite table the way SQLite documents it (for changes
//! `ALTER TABLE` cannot make): on one pooled connection, foreign keys off
//! (else dropping the old table would cascade to, or rewrite, the tables
//! referring to it), one `BEGIN IMMEDIATE` transaction, `foreign_key_check`
//! before the commit, foreign keys on again.

use std::future::Future;
use std::pin::Pin;

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseConnection;
use sea_orm_migration::sea_orm::sqlx::{self, AssertSqlSafe};

pub fn sqlx_err(err: sqlx::Error) -> DbErr {
    DbErr::Migration(format!("rebuilding a table: {err}"))
}

pub async fn exec(conn: &mut sqlx::SqliteConnection, sql: String) -> Result<(), DbErr> {
    sqlx::raw_sql(AssertSqlSafe(sql))
        .execute(conn)
        .await
        .map_err(sqlx_err)?;
    Ok(())
}

/// What the steps of a rebuild return: their work on the connection.
pub type StepsFuture<'c> = Pin<Box<dyn Future<Output = Result<(), DbErr>> + Send + 'c>>;

/// Runs `steps` (which may capture what they need) as described above; a
/// connection that failed half way is closed rather than handed back to the
/// pool.
pub async fn with_foreign_keys_off(
    db: &DatabaseConnection,
    table: &str,
    steps: impl for<'c> FnOnce(&'c mut sqlx::SqliteConnection) -> StepsFuture<'c>,
) -> Result<(), DbErr> {
    let mut conn = db
        .get_sqlite_connection_pool()
        .acquire()
        .await
        .map_err(sqlx_err)?;
    exec(&mut conn, "PRAGMA foreign_keys = OFF".into()).await?;
    match transaction(&mut conn, table, steps).await {
        Ok(()) => exec(&mut conn, "PRAGMA foreign_keys = ON".into()).await,
        Err(e) => {
            let _ = exec(&mut conn, "ROLLBACK".into()).await;
            conn.close_on_drop();
            Err(e)
        }
    }
}

async fn transaction(
    conn: &mut sqlx::SqliteConnection,
    table: &str,
    steps: impl for<'c> FnOnce(&'c mut sqlx::SqliteConnection) -> StepsFuture<'c>,
) -> Result<(), DbErr> {
    exec(conn, "BEGIN IMMEDIATE".into()).await?;
    steps(conn).await?;
    let broken = sqlx::query("PRAGMA foreign_key_check")
        .fetch_all(&mut *conn)
        .await
        .map_err(sqlx_err)?;
    if !broken.is_empty() {
        return Err(DbErr::Migration(format!(
            "rebuilding {table} would break {} foreign key reference(s)",
            broken.len()
        )));
    }
    exec(conn, "COMMIT".into()).await
}
