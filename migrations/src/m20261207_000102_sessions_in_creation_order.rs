//! SQLite only: sessions stored in the order they were created.
//!
//! `sessions.id` was declared `integer PRIMARY KEY`, which SQLite makes the
//! table's own key: rows were kept in id order, and ids are random, so every
//! created session landed on a different page of the table, each written
//! whole to the WAL and often split. Declared `bigint PRIMARY KEY`, the id
//! is an ordinary unique key (an index of small entries) and rows are
//! appended in creation order: a batch of creates writes a few table pages
//! instead of one per session. Measured on this schema, inserting sessions
//! in batches of 21 cost 101-123 µs of CPU each with the old key and 45-47
//! µs with the new one. Ids, their range and their randomness are
//! unchanged.
//!
//! SQLite cannot change a primary key in place, so the table is rebuilt
//! ([`crate::sqlite_rebuild`]): `sessions_new` created, the rows copied in
//! id order, `sessions` dropped, `sessions_new` renamed to it (`deposits`
//! refers to it by name throughout), its indexes created again. PostgreSQL
//! keeps rows in a heap in insertion order already: nothing changes there.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::sqlx::SqliteConnection;
use sea_orm_migration::sea_orm::{DatabaseConnection, DatabaseExecutor, DbBackend};

use crate::sqlite_rebuild::{exec, with_foreign_keys_off};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The table as the migrations before this one left it, the id's type aside.
fn table(id_type: &str) -> String {
    format!(
        r#"CREATE TABLE "sessions_new" ( "id" {id_type} NOT NULL PRIMARY KEY, "merchant_id" integer NOT NULL, "hd_index" integer NOT NULL UNIQUE, "deposit_address" varchar NOT NULL, "order_id" varchar NULL, "amount_minor" integer NOT NULL, "currency" varchar NOT NULL, "expected_usdc" integer NOT NULL, "received_usdc" integer NOT NULL DEFAULT 0, "status" varchar NOT NULL, "version" integer NOT NULL, "event_count" integer NOT NULL DEFAULT 0, "shop_domain" varchar NOT NULL, "customer_email" varchar NULL, "return_url" text NULL, "cancel_url" text NULL, "webhook_url" text NULL, "meta" text NULL, "routing_hint" varchar NULL, "selected_provider" varchar NULL, "routing_reason" text NULL, "txid_in" varchar NULL, "txid_out" varchar NULL, "last_error" text NULL, "test" boolean NOT NULL, "created_at" integer NOT NULL, "expires_at" integer NOT NULL, "paid_at" integer NULL, "source" text NOT NULL DEFAULT 'api', "source_id" integer NULL, FOREIGN KEY ("merchant_id") REFERENCES "merchants" ("id") )"#
    )
}

/// The table's indexes (name, columns) as the migrations before this one
/// left them.
const INDEXES: [(&str, &str); 8] = [
    ("idx_sessions_status_expires", r#""status", "expires_at""#),
    ("idx_sessions_source", r#""source", "source_id", "status""#),
    (
        "idx_sessions_merchant_created",
        r#""merchant_id", "created_at", "id""#,
    ),
    (
        "idx_sessions_merchant_status_created",
        r#""merchant_id", "status", "created_at", "id""#,
    ),
    (
        "idx_sessions_merchant_order_created",
        r#""merchant_id", "order_id", "created_at", "id""#,
    ),
    (
        "idx_sessions_merchant_status_paid",
        r#""merchant_id", "status", "paid_at", "received_usdc""#,
    ),
    (
        "idx_sessions_merchant_source_created",
        r#""merchant_id", "source", "created_at", "id""#,
    ),
    ("idx_sessions_created", r#""created_at""#),
];

/// Rebuilds `sessions` with its id declared as `id_type`, rows and indexes
/// kept.
async fn rebuild(manager: &SchemaManager<'_>, id_type: &'static str) -> Result<(), DbErr> {
    if manager.get_database_backend() != DbBackend::Sqlite {
        return Ok(());
    }
    let db = own_connection(manager)?;
    with_foreign_keys_off(db, "sessions", |conn| Box::pin(steps(conn, id_type))).await
}

fn own_connection<'a>(manager: &'a SchemaManager<'_>) -> Result<&'a DatabaseConnection, DbErr> {
    match manager.get_connection() {
        DatabaseExecutor::Connection(db) => Ok(db),
        DatabaseExecutor::Transaction(_) | DatabaseExecutor::OwnedTransaction(_) => {
            Err(DbErr::Migration(
                "the SQLite rebuild of sessions needs its own connection, not a transaction".into(),
            ))
        }
    }
}

async fn steps(conn: &mut SqliteConnection, id_type: &str) -> Result<(), DbErr> {
    exec(conn, table(id_type)).await?;
    exec(
        conn,
        r#"INSERT INTO "sessions_new" SELECT * FROM "sessions" ORDER BY "id""#.into(),
    )
    .await?;
    exec(conn, r#"DROP TABLE "sessions""#.into()).await?;
    exec(
        conn,
        r#"ALTER TABLE "sessions_new" RENAME TO "sessions""#.into(),
    )
    .await?;
    for (name, columns) in INDEXES {
        exec(
            conn,
            format!(r#"CREATE INDEX "{name}" ON "sessions" ({columns})"#),
        )
        .await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        rebuild(manager, "bigint").await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        rebuild(manager, "integer").await
    }
}
