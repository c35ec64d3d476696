//! The single-node lock of a SQLite database: one `kassa serve` (or one
//! `kassa restore`) per database file at a time.
//!
//! The lock is an OS file lock (`flock`, through `std::fs::File::try_lock`)
//! on `<database file>.lock` beside the database, held for as long as the
//! [`NodeLock`] value lives. The kernel releases it when the process ends,
//! however it ends, so a killed server never leaves a stale lock behind.
//! The file holds the owner's process id, for the refusal message only.
//!
//! This module must not be taken by ordinary CLI commands: they work beside
//! a running server through SQLite's own locking. PostgreSQL has no lock here
//! (several nodes share one database by design).

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use sea_orm::sqlx::sqlite::SqliteConnectOptions;

/// Why the lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum NodeLockError {
    /// Another process holds the database.
    #[error(
        "another kassa server (process {holder}) is using the SQLite database {database}; \
         only one server may run on a data folder (lock file {lock}). Stop it first, \
         or give this one its own `data_dir` / `database_url`"
    )]
    Held {
        database: String,
        lock: String,
        holder: String,
    },
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// The held lock; dropping it (or the process ending) releases it.
#[derive(Debug)]
pub struct NodeLock {
    /// Kept open: closing the file would release the lock.
    _file: File,
    path: PathBuf,
}

impl NodeLock {
    /// Takes the lock of the SQLite database named by `url`, without
    /// waiting. `Ok(None)` for a PostgreSQL or in-memory database.
    pub fn acquire(url: &str) -> Result<Option<NodeLock>, NodeLockError> {
        let Some(database) = sqlite_file(url)? else {
            return Ok(None);
        };
        let path = lock_path(&database);
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| anyhow::anyhow!("creating the data folder {}: {e}", dir.display()))?;
        }
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| anyhow::anyhow!("opening the lock file {}: {e}", path.display()))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = holder.trim();
                return Err(NodeLockError::Held {
                    database: database.display().to_string(),
                    lock: path.display().to_string(),
                    holder: if holder.is_empty() {
                        "unknown".into()
                    } else {
                        holder.to_string()
                    },
                });
            }
            Err(TryLockError::Error(e)) => {
                return Err(anyhow::anyhow!("locking {}: {e}", path.display()).into());
            }
        }
        // Best effort: the id is only shown to whoever is refused.
        let _ = file
            .set_len(0)
            .and_then(|()| file.seek(SeekFrom::Start(0)))
            .and_then(|_| writeln!(file, "{}", std::process::id()));
        Ok(Some(NodeLock { _file: file, path }))
    }

    /// The lock file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// The database file of a `sqlite:` URL; `None` for PostgreSQL and for an
/// in-memory database.
pub fn sqlite_file(url: &str) -> anyhow::Result<Option<PathBuf>> {
    if !url.starts_with("sqlite:") {
        return Ok(None);
    }
    if url.contains(":memory:") || url.contains("mode=memory") {
        return Ok(None);
    }
    let options = SqliteConnectOptions::from_str(url)
        .map_err(|e| anyhow::anyhow!("setting `database_url`: cannot read `{url}`: {e}"))?;
    Ok(Some(options.get_filename().to_path_buf()))
}

/// `<database file>.lock`, beside the database.
fn lock_path(database: &Path) -> PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    #[test]
    fn a_second_lock_on_the_same_database_is_refused_until_the_first_is_dropped() {
        let dir = std::env::temp_dir().join(format!("kassa-lock-{}", rand::random::<u64>()));
        let url = format!("sqlite://{}", dir.join("kassa.sqlite3").display());

        let first = NodeLock::acquire(&url).unwrap().expect("a SQLite lock");
        let second = NodeLock::acquire(&url);
        match second {
            Err(NodeLockError::Held { holder, .. }) => {
                assert_eq!(holder, std::process::id().to_string());
            }
            other => panic!("expected Held, got {other:?}"),
        }
        drop(first);
        assert!(NodeLock::acquire(&url).unwrap().is_some());
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn postgres_and_in_memory_databases_take_no_lock() {
        assert!(
            NodeLock::acquire("postgres://u@localhost/db")
                .unwrap()
                .is_none()
        );
        assert!(NodeLock::acquire("sqlite::memory:").unwrap().is_none());
    }
}
