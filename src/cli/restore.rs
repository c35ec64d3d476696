//! `kassa restore PATH`: puts a backup in place of the SQLite database of a
//! stopped data folder.
//!
//! It takes the single-node lock first, so it refuses while a server runs
//! on the folder and no server can start during the restore. The checks and
//! the atomic replacement are [`crate::store::backup::restore_sqlite`]'s.
//! On PostgreSQL it prints the `pg_restore` command instead.

use std::path::Path;

use super::backup::{postgres_parts, shell_word};
use crate::store::backup::restore_sqlite;
use crate::store::node_lock::{NodeLock, NodeLockError, sqlite_file};

pub async fn run(database_url: &str, source: &Path) -> anyhow::Result<()> {
    let Some(database) = sqlite_file(database_url)? else {
        anyhow::ensure!(
            !database_url.starts_with("sqlite:"),
            "the database is in memory: there is nothing to restore into"
        );
        let db = postgres_parts(database_url)?;
        println!(
            "The database is PostgreSQL: restore a pg_dump backup with pg_restore, Kassa stopped:"
        );
        println!(
            "  pg_restore --clean --if-exists --no-owner {} {}",
            db.flags(),
            shell_word(source)
        );
        return Ok(());
    };
    let _lock = match NodeLock::acquire(database_url) {
        Ok(lock) => lock,
        Err(NodeLockError::Held { holder, .. }) => anyhow::bail!(
            "refusing to restore: a kassa server (process {holder}) is running on {}; stop it first",
            database.display()
        ),
        Err(e @ NodeLockError::Unexpected(_)) => return Err(e.into()),
    };
    let facts = restore_sqlite(source, &database).await?;
    println!(
        "restored {} into {} ({} migrations); start the server with `kassa serve` (it applies any newer migrations)",
        source.display(),
        database.display(),
        facts.migrations
    );
    Ok(())
}
