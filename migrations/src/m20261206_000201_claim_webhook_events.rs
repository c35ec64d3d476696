//! Claims on outbox rows, so several nodes on one PostgreSQL database can
//! share the webhook outbox: `claimed_by` names the node delivering the
//! event, `claim_until` (unix ms) is when that claim lapses and another node
//! may take the event over (a node that died mid-delivery). Both are NULL
//! while nobody holds the row; recording the attempt clears them.
//!
//! The partial index holds only claimed rows (a handful per endpoint at any
//! time), so "how many live claims has this endpoint?" stays one short
//! index scan however large the outbox grows.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum WebhookEvents {
    Table,
    ClaimedBy,
    ClaimUntil,
}

const CLAIMS: &str = "idx_webhook_events_claims";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE statement.
        for column in [
            text_null(WebhookEvents::ClaimedBy),
            big_integer_null(WebhookEvents::ClaimUntil),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(WebhookEvents::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name(CLAIMS)
                    .table(WebhookEvents::Table)
                    .col(WebhookEvents::ClaimUntil)
                    .and_where(Expr::col(WebhookEvents::ClaimUntil).is_not_null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name(CLAIMS)
                    .table(WebhookEvents::Table)
                    .to_owned(),
            )
            .await?;
        for column in [WebhookEvents::ClaimUntil, WebhookEvents::ClaimedBy] {
            manager
                .alter_table(
                    Table::alter()
                        .table(WebhookEvents::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
