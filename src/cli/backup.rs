//! `kassa backup PATH`: an online, consistent copy of the database.
//!
//! On SQLite it writes the copy itself while the server runs (see
//! [`crate::store::backup`]); it takes no lock, so it works beside the
//! server. On PostgreSQL it prints the `pg_dump` command to run (the
//! password is never printed) and does nothing else.

use std::path::Path;

use crate::store::backup::backup_sqlite;
use crate::store::node_lock::sqlite_file;

pub async fn run(database_url: &str, target: &Path) -> anyhow::Result<()> {
    match sqlite_file(database_url)? {
        Some(database) => {
            let size = backup_sqlite(&database, target).await?;
            println!(
                "backup of {} written to {} ({size} bytes)",
                database.display(),
                target.display()
            );
            println!("restore it with: kassa restore {}", shell_word(target));
        }
        None => {
            anyhow::ensure!(
                !database_url.starts_with("sqlite:"),
                "the database is in memory: there is nothing to back up"
            );
            let db = postgres_parts(database_url)?;
            println!(
                "The database is PostgreSQL: back it up with pg_dump (a consistent snapshot, safe while Kassa runs):"
            );
            println!(
                "  pg_dump {} --format=custom --file={}",
                db.flags(),
                shell_word(target)
            );
            println!(
                "The password is not shown: pg_dump asks for it, or reads PGPASSWORD or ~/.pgpass."
            );
        }
    }
    Ok(())
}

/// Where a PostgreSQL database is, without its password.
pub(super) struct PostgresParts {
    host: String,
    port: u16,
    user: String,
    dbname: String,
}

impl PostgresParts {
    /// `--host=… --port=… --username=… --dbname=…`, shell-quoted.
    pub(super) fn flags(&self) -> String {
        format!(
            "--host={} --port={} --username={} --dbname={}",
            shell_word(&self.host),
            self.port,
            shell_word(&self.user),
            shell_word(&self.dbname)
        )
    }
}

pub(super) fn postgres_parts(database_url: &str) -> anyhow::Result<PostgresParts> {
    let url = url::Url::parse(database_url)
        .map_err(|e| anyhow::anyhow!("setting `database_url`: not a URL ({e})"))?;
    let user = match url.username() {
        "" => "postgres".to_string(),
        u => percent(u),
    };
    let dbname = match url.path().trim_start_matches('/') {
        "" => user.clone(),
        d => percent(d),
    };
    Ok(PostgresParts {
        host: url.host_str().unwrap_or("localhost").to_string(),
        port: url.port().unwrap_or(5432),
        user,
        dbname,
    })
}

/// A percent-encoded URL part, decoded (a `+` stays a `+`).
fn percent(s: &str) -> String {
    let query = format!("x={}", s.replace('+', "%2B"));
    url::form_urlencoded::parse(query.as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| s.to_string())
}

/// `s` as one shell word: bare when it is plain, single-quoted otherwise.
pub(super) fn shell_word(s: impl AsRef<std::ffi::OsStr>) -> String {
    let s = s.as_ref().to_string_lossy();
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@+,".contains(c));
    if plain {
        s.into_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn plain_words_stay_bare_and_others_are_single_quoted() {
        assert_eq!(
            shell_word("/backups/kassa-2026.sqlite3"),
            "/backups/kassa-2026.sqlite3"
        );
        assert_eq!(shell_word("my backups/it's.db"), r"'my backups/it'\''s.db'");
        assert_eq!(shell_word("$(rm -rf /)"), "'$(rm -rf /)'");
        assert_eq!(shell_word(""), "''");
    }

    #[test]
    fn the_pg_dump_flags_name_host_port_user_and_database_but_never_the_password() {
        let flags = postgres_parts("postgres://shop%20user:p%40ss@db.example:6000/kassa_live")
            .unwrap()
            .flags();
        assert_eq!(
            flags,
            "--host=db.example --port=6000 --username='shop user' --dbname=kassa_live"
        );
        assert!(!flags.contains("p@ss") && !flags.contains("p%40ss"));

        let plus = postgres_parts("postgres://a+b@h/d").unwrap().flags();
        assert!(plus.contains("--username=a+b"), "{plus}");

        let defaults = postgres_parts("postgres://localhost").unwrap().flags();
        assert_eq!(
            defaults,
            "--host=localhost --port=5432 --username=postgres --dbname=postgres"
        );
    }
}
