//! Leases: which node holds a named role (`chain`: the chain watcher and
//! the payouts) until when, with a fencing token.
//!
//! `token` grows by one every time the holder changes (a renewal by the
//! same holder keeps it), so a write fenced by it fails once another node
//! took over. `expires_at` is unix milliseconds read from the database's
//! own clock, never a node's, so two nodes with skewed clocks cannot both
//! believe they hold the lease.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Leases {
    Table,
    Name,
    Holder,
    Token,
    ExpiresAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Leases::Table)
                    .col(text(Leases::Name).primary_key())
                    .col(text(Leases::Holder))
                    .col(big_integer(Leases::Token))
                    .col(big_integer(Leases::ExpiresAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Leases::Table).to_owned())
            .await
    }
}
