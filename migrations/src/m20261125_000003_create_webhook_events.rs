//! The webhook outbox: one row per session event, written in the same
//! transaction as the transition it announces.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum WebhookEvents {
    Table,
    Id,
    EventId,
    SessionId,
    MerchantId,
    Sequence,
    Status,
    Payload,
    State,
    Attempts,
    NextAttemptAt,
    CreatedAt,
    DeliveredAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(WebhookEvents::Table)
                    .col(big_pk_auto(WebhookEvents::Id))
                    .col(string_uniq(WebhookEvents::EventId))
                    .col(big_integer(WebhookEvents::SessionId))
                    .col(big_integer(WebhookEvents::MerchantId))
                    .col(integer(WebhookEvents::Sequence))
                    .col(string(WebhookEvents::Status))
                    .col(text(WebhookEvents::Payload))
                    .col(string(WebhookEvents::State))
                    .col(integer(WebhookEvents::Attempts).default(0))
                    .col(big_integer(WebhookEvents::NextAttemptAt))
                    .col(big_integer(WebhookEvents::CreatedAt))
                    .col(big_integer_null(WebhookEvents::DeliveredAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_webhook_events_due")
                    .table(WebhookEvents::Table)
                    .col(WebhookEvents::State)
                    .col(WebhookEvents::NextAttemptAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_webhook_events_session")
                    .table(WebhookEvents::Table)
                    .col(WebhookEvents::SessionId)
                    .col(WebhookEvents::Sequence)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(WebhookEvents::Table).to_owned())
            .await
    }
}
