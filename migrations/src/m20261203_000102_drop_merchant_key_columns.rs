//! `api_keys` is the one source of truth for API keys: the old
//! `merchants.api_key_prefix` (unique) and `merchants.api_key_hash` columns,
//! copied there by `m20261203_000101_create_api_keys`, are dropped.
//!
//! PostgreSQL drops them in place. SQLite cannot drop a column that carries
//! a UNIQUE constraint, so there the table is rebuilt the way SQLite
//! documents it (foreign keys off on one connection, one transaction: create
//! `merchants_new` with every other column as declared, copy, drop, rename,
//! recreate the table's indexes, `foreign_key_check`, commit). Foreign keys
//! must be off while `merchants` is dropped, or the drop would cascade to
//! `merchant_domains` and `api_keys`.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::sqlx::{self, Row};
use sea_orm_migration::sea_orm::{DatabaseConnection, DatabaseExecutor, DbBackend};

use crate::sqlite_rebuild::{exec, sqlx_err, with_foreign_keys_off};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Merchants {
    Table,
    ApiKeyPrefix,
    ApiKeyHash,
}

const DROPPED: [&str; 2] = ["api_key_prefix", "api_key_hash"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        match manager.get_database_backend() {
            DbBackend::Sqlite => match manager.get_connection() {
                DatabaseExecutor::Connection(db) => rebuild_sqlite(db).await,
                DatabaseExecutor::Transaction(_) | DatabaseExecutor::OwnedTransaction(_) => Err(
                    DbErr::Migration("the SQLite rebuild of merchants needs its own connection, not a transaction".into()),
                ),
            },
            _ => {
                manager
                    .alter_table(
                        Table::alter()
                            .table(Merchants::Table)
                            .drop_column(Merchants::ApiKeyPrefix)
                            .drop_column(Merchants::ApiKeyHash)
                            .to_owned(),
                    )
                    .await
            }
        }
    }

    /// Brings the columns back (nullable), holding each merchant's oldest
    /// active key.
    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [Merchants::ApiKeyPrefix, Merchants::ApiKeyHash] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Merchants::Table)
                        .add_column(ColumnDef::new(column).string().null())
                        .to_owned(),
                )
                .await?;
        }
        for (column, source) in [("api_key_prefix", "prefix"), ("api_key_hash", "hash")] {
            let sql = format!(
                "UPDATE merchants SET {column} = (SELECT k.{source} FROM api_keys k \
                 WHERE k.merchant_id = merchants.id AND k.revoked_at IS NULL ORDER BY k.id LIMIT 1)"
            );
            manager.get_connection().execute_unprepared(&sql).await?;
        }
        Ok(())
    }
}

/// Runs the rebuild on one pooled connection with foreign keys off.
async fn rebuild_sqlite(db: &DatabaseConnection) -> Result<(), DbErr> {
    with_foreign_keys_off(db, "merchants", |conn| Box::pin(rebuild(conn))).await
}

/// One column of `PRAGMA table_info`.
struct Column {
    name: String,
    declared: String,
    not_null: bool,
    default: Option<String>,
    primary_key: bool,
}

fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The definition of a kept column, as it was declared.
fn definition(c: &Column, autoincrement: bool) -> String {
    let mut def = format!("{} {}", quoted(&c.name), c.declared);
    if c.not_null {
        def.push_str(" NOT NULL");
    }
    if let Some(default) = &c.default {
        def.push_str(&format!(" DEFAULT {default}"));
    }
    if c.primary_key {
        def.push_str(" PRIMARY KEY");
        if autoincrement {
            def.push_str(" AUTOINCREMENT");
        }
    }
    def
}

async fn rebuild(conn: &mut sqlx::SqliteConnection) -> Result<(), DbErr> {
    let original: String = sqlx::query_scalar(
        "SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = 'merchants'",
    )
    .fetch_one(&mut *conn)
    .await
    .map_err(sqlx_err)?;
    let autoincrement = original.to_ascii_uppercase().contains("AUTOINCREMENT");
    let mut columns = Vec::new();
    for row in sqlx::query("PRAGMA table_info(merchants)")
        .fetch_all(&mut *conn)
        .await
        .map_err(sqlx_err)?
    {
        columns.push(Column {
            name: row.try_get("name").map_err(sqlx_err)?,
            declared: row.try_get("type").map_err(sqlx_err)?,
            not_null: row.try_get::<i64, _>("notnull").map_err(sqlx_err)? != 0,
            default: row.try_get("dflt_value").map_err(sqlx_err)?,
            primary_key: row.try_get::<i64, _>("pk").map_err(sqlx_err)? != 0,
        });
    }
    let indexes: Vec<String> = sqlx::query_scalar(
        "SELECT sql FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'merchants' AND sql IS NOT NULL",
    )
    .fetch_all(&mut *conn)
    .await
    .map_err(sqlx_err)?;
    let kept: Vec<&Column> = columns
        .iter()
        .filter(|c| !DROPPED.contains(&c.name.as_str()))
        .collect();
    if kept.len() + DROPPED.len() != columns.len() {
        return Err(DbErr::Migration(
            "merchants has no api_key_prefix / api_key_hash to drop".into(),
        ));
    }
    let definitions: Vec<String> = kept.iter().map(|c| definition(c, autoincrement)).collect();
    let names: Vec<String> = kept.iter().map(|c| quoted(&c.name)).collect();
    let names = names.join(", ");
    exec(
        conn,
        format!(
            "CREATE TABLE \"merchants_new\" ({})",
            definitions.join(", ")
        ),
    )
    .await?;
    exec(
        conn,
        format!("INSERT INTO \"merchants_new\" ({names}) SELECT {names} FROM \"merchants\""),
    )
    .await?;
    exec(conn, "DROP TABLE \"merchants\"".into()).await?;
    exec(
        conn,
        "ALTER TABLE \"merchants_new\" RENAME TO \"merchants\"".into(),
    )
    .await?;
    for index in indexes {
        exec(conn, index).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(name: &str, declared: &str, not_null: bool, default: Option<&str>) -> Column {
        Column {
            name: name.into(),
            declared: declared.into(),
            not_null,
            default: default.map(str::to_string),
            primary_key: false,
        }
    }

    #[test]
    fn a_kept_column_is_declared_as_it_was() {
        let mut id = column("id", "integer", true, None);
        id.primary_key = true;
        assert_eq!(
            definition(&id, true),
            "\"id\" integer NOT NULL PRIMARY KEY AUTOINCREMENT"
        );
        assert_eq!(
            definition(
                &column("webhook_disabled", "boolean", true, Some("FALSE")),
                true
            ),
            "\"webhook_disabled\" boolean NOT NULL DEFAULT FALSE"
        );
        assert_eq!(
            definition(&column("logo_url", "text", false, None), true),
            "\"logo_url\" text"
        );
        assert_eq!(quoted("we\"ird"), "\"we\"\"ird\"");
    }
}
