//! Backup and restore of the SQLite database.
//!
//! A backup is `VACUUM INTO` a file beside the target, then fsynced and
//! renamed into place: SQLite reads one consistent snapshot (a read
//! transaction, so a running server keeps writing meanwhile), and a
//! backup cut short never leaves a half-written file under the chosen name.
//! The file is readable by its owner only (it holds hashed API keys and
//! sealed secrets).
//!
//! A restore copies the backup beside the live database, checks the copy
//! (`PRAGMA integrity_check`, and a migrations table this Kassa knows), folds
//! the old database's write-ahead log into it, removes the stale `-wal` and
//! `-shm` files and renames the copy over the database. The caller holds the
//! single-node lock ([`super::node_lock`]) throughout, so no server is
//! running.
//!
//! This module must not decide whether a restore is allowed (the CLI does,
//! with the lock) and knows nothing of PostgreSQL (its operators use
//! `pg_dump` / `pg_restore`).

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use kassa_migrations::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sea_orm::sqlx::{ConnectOptions, Connection, Row};

/// What can go wrong, in words an operator can act on.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{0} already exists; choose a new file name (a backup never overwrites)")]
    TargetExists(String),
    #[error("there is no SQLite database at {0}")]
    NoDatabase(String),
    #[error("{path} is not a Kassa backup: {why}")]
    NotABackup { path: String, why: String },
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// How long a backup or restore waits for SQLite's locks.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// Writes a consistent copy of the SQLite database `database` to `target`;
/// its size in bytes.
pub async fn backup_sqlite(database: &Path, target: &Path) -> Result<u64, BackupError> {
    if !database.is_file() {
        return Err(BackupError::NoDatabase(database.display().to_string()));
    }
    if target.exists() {
        return Err(BackupError::TargetExists(target.display().to_string()));
    }
    let partial = beside(target, ".partial");
    let _ = std::fs::remove_file(&partial);
    let mut conn = open(database).await?;
    let vacuum = sea_orm::sqlx::query("VACUUM INTO ?")
        .bind(partial.display().to_string())
        .execute(&mut conn)
        .await;
    let _ = conn.close().await;
    if let Err(e) = vacuum {
        let _ = std::fs::remove_file(&partial);
        return Err(anyhow::anyhow!("VACUUM INTO {}: {e}", partial.display()).into());
    }
    owner_only(&partial)?;
    sync_file(&partial)?;
    std::fs::rename(&partial, target).map_err(|e| {
        anyhow::anyhow!(
            "renaming {} to {}: {e}",
            partial.display(),
            target.display()
        )
    })?;
    sync_parent(target)?;
    let size = std::fs::metadata(target)
        .map_err(|e| anyhow::anyhow!("reading {}: {e}", target.display()))?
        .len();
    Ok(size)
}

/// What a checked backup holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupFacts {
    /// Migrations applied in the backup (the server applies newer ones).
    pub migrations: usize,
}

/// Replaces the SQLite database `database` with the backup `source`. The
/// caller holds the single-node lock.
pub async fn restore_sqlite(source: &Path, database: &Path) -> Result<BackupFacts, BackupError> {
    if !source.is_file() {
        return Err(BackupError::NotABackup {
            path: source.display().to_string(),
            why: "no such file".into(),
        });
    }
    if let Some(dir) = database.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| anyhow::anyhow!("creating the data folder {}: {e}", dir.display()))?;
    }
    let staged = beside(database, ".restoring");
    remove_with_sidecars(&staged)?;
    std::fs::copy(source, &staged).map_err(|e| {
        anyhow::anyhow!("copying {} to {}: {e}", source.display(), staged.display())
    })?;
    let facts = match check_backup(&staged, source).await {
        Ok(facts) => facts,
        Err(e) => {
            let _ = remove_with_sidecars(&staged);
            return Err(e);
        }
    };
    // Closing the check's connection folded any log into the copy.
    remove_sidecars(&staged)?;
    sync_file(&staged)?;
    if database.is_file() {
        // The old database's log would be replayed onto the restored file.
        checkpoint(database).await;
    }
    remove_sidecars(database)?;
    std::fs::rename(&staged, database).map_err(|e| {
        anyhow::anyhow!(
            "renaming {} to {}: {e}",
            staged.display(),
            database.display()
        )
    })?;
    sync_parent(database)?;
    Ok(facts)
}

/// `PRAGMA integrity_check` and the migrations table of the file `file`
/// (a copy of `shown`, named in messages).
async fn check_backup(file: &Path, shown: &Path) -> Result<BackupFacts, BackupError> {
    let refuse = |why: String| BackupError::NotABackup {
        path: shown.display().to_string(),
        why,
    };
    let mut conn = open(file)
        .await
        .map_err(|e| refuse(format!("not a SQLite database, or unreadable ({e:#})")))?;
    let checked = async {
        let rows = sea_orm::sqlx::query("PRAGMA integrity_check")
            .fetch_all(&mut conn)
            .await
            .map_err(|e| refuse(format!("not a SQLite database ({e})")))?;
        let verdict: Vec<String> = rows
            .iter()
            .filter_map(|r| r.try_get::<String, _>(0).ok())
            .collect();
        if verdict != ["ok"] {
            return Err(refuse(format!(
                "PRAGMA integrity_check failed: {}",
                verdict.join("; ")
            )));
        }
        let applied: Vec<String> =
            sea_orm::sqlx::query("SELECT version FROM seaql_migrations ORDER BY version")
                .fetch_all(&mut conn)
                .await
                .map_err(|_| refuse("it has no Kassa migrations table".into()))?
                .iter()
                .filter_map(|r| r.try_get::<String, _>(0).ok())
                .collect();
        if applied.is_empty() {
            return Err(refuse("its migrations table is empty".into()));
        }
        let known: Vec<String> = Migrator::migrations()
            .iter()
            .map(|m| m.name().to_string())
            .collect();
        if let Some(unknown) = applied.iter().find(|v| !known.contains(v)) {
            return Err(refuse(format!(
                "it was written by a newer Kassa (migration {unknown} is unknown here)"
            )));
        }
        Ok(BackupFacts {
            migrations: applied.len(),
        })
    }
    .await;
    let _ = conn.close().await;
    checked
}

/// Folds the write-ahead log of `database` into it (best effort: a
/// database that cannot be opened is being replaced anyway).
async fn checkpoint(database: &Path) {
    if let Ok(mut conn) = open(database).await {
        let _ = sea_orm::sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&mut conn)
            .await;
        let _ = conn.close().await;
    }
}

/// One connection to an existing SQLite file.
async fn open(file: &Path) -> Result<SqliteConnection, anyhow::Error> {
    let url = format!("sqlite://{}", file.display());
    let conn = SqliteConnectOptions::from_str(&url)
        .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?
        .create_if_missing(false)
        .busy_timeout(BUSY_TIMEOUT)
        .connect()
        .await
        .map_err(|e| anyhow::anyhow!("opening {}: {e}", file.display()))?;
    Ok(conn)
}

/// `path` with `suffix` appended to its file name.
fn beside(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Removes the `-wal` and `-shm` files of the database `path`.
fn remove_sidecars(path: &Path) -> Result<(), BackupError> {
    for sidecar in [beside(path, "-wal"), beside(path, "-shm")] {
        match std::fs::remove_file(&sidecar) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(anyhow::anyhow!("removing {}: {e}", sidecar.display()).into());
            }
        }
    }
    Ok(())
}

/// Removes `path` and its `-wal` / `-shm` files.
fn remove_with_sidecars(path: &Path) -> Result<(), BackupError> {
    match std::fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(anyhow::anyhow!("removing {}: {e}", path.display()).into()),
    }
    remove_sidecars(path)
}

/// A backup holds hashed keys and sealed secrets: readable by its owner only.
fn owner_only(path: &Path) -> Result<(), BackupError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| anyhow::anyhow!("restricting {}: {e}", path.display()))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

fn sync_file(path: &Path) -> Result<(), BackupError> {
    std::fs::File::open(path)
        .and_then(|f| f.sync_all())
        .map_err(|e| anyhow::anyhow!("syncing {}: {e}", path.display()).into())
}

/// Makes a rename in `path`'s folder durable.
fn sync_parent(path: &Path) -> Result<(), BackupError> {
    let dir = match path.parent().filter(|d| !d.as_os_str().is_empty()) {
        Some(dir) => dir,
        None => Path::new("."),
    };
    std::fs::File::open(dir)
        .and_then(|f| f.sync_all())
        .map_err(|e| anyhow::anyhow!("syncing the folder {}: {e}", dir.display()).into())
}
