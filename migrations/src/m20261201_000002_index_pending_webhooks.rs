//! Partial indexes over pending outbox rows only, so the sender's due scan
//! stays cheap however many events are waiting and whatever the planner's
//! statistics say: due rows are read in delivery order (and the scan stops
//! at its limit), and "is an earlier event of this session still pending?"
//! is one index probe per row. Without them PostgreSQL could compare every
//! pending row with every other (a backlog of 5,000 took over a second per scan).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum WebhookEvents {
    Table,
    Id,
    SessionId,
    Sequence,
    State,
    NextAttemptAt,
}

const DUE: &str = "idx_webhook_events_pending_due";
const SESSION: &str = "idx_webhook_events_pending_session";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(DUE)
                    .table(WebhookEvents::Table)
                    .col(WebhookEvents::NextAttemptAt)
                    .col(WebhookEvents::Id)
                    .and_where(Expr::col(WebhookEvents::State).eq("pending"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(SESSION)
                    .table(WebhookEvents::Table)
                    .col(WebhookEvents::SessionId)
                    .col(WebhookEvents::Sequence)
                    .and_where(Expr::col(WebhookEvents::State).eq("pending"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for name in [DUE, SESSION] {
            manager
                .drop_index(
                    Index::drop()
                        .name(name)
                        .table(WebhookEvents::Table)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
