//! The webhook outbox: one row per session event, written in the same
//! transaction as the transition it announces, and one row per delivery attempt.

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
    TargetUrl,
    State,
    Attempts,
    NextAttemptAt,
    CreatedAt,
    DeliveredAt,
    LastError,
}

#[derive(DeriveIden)]
enum WebhookAttempts {
    Table,
    Id,
    EventRowId,
    EventId,
    SessionId,
    Attempt,
    Url,
    ScheduledAt,
    StartedAt,
    HttpStatus,
    LatencyMs,
    Error,
    ResponseSnippet,
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
                    .col(text_null(WebhookEvents::TargetUrl))
                    .col(string(WebhookEvents::State))
                    .col(integer(WebhookEvents::Attempts).default(0))
                    .col(big_integer(WebhookEvents::NextAttemptAt))
                    .col(big_integer(WebhookEvents::CreatedAt))
                    .col(big_integer_null(WebhookEvents::DeliveredAt))
                    .col(text_null(WebhookEvents::LastError))
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
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_webhook_events_merchant_created")
                    .table(WebhookEvents::Table)
                    .col(WebhookEvents::MerchantId)
                    .col(WebhookEvents::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WebhookAttempts::Table)
                    .col(big_pk_auto(WebhookAttempts::Id))
                    .col(big_integer(WebhookAttempts::EventRowId))
                    .col(string(WebhookAttempts::EventId))
                    .col(big_integer(WebhookAttempts::SessionId))
                    .col(integer(WebhookAttempts::Attempt))
                    .col(text(WebhookAttempts::Url))
                    .col(big_integer(WebhookAttempts::ScheduledAt))
                    .col(big_integer(WebhookAttempts::StartedAt))
                    .col(integer_null(WebhookAttempts::HttpStatus))
                    .col(big_integer(WebhookAttempts::LatencyMs))
                    .col(text_null(WebhookAttempts::Error))
                    .col(text_null(WebhookAttempts::ResponseSnippet))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_webhook_attempts_event")
                    .table(WebhookAttempts::Table)
                    .col(WebhookAttempts::EventRowId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(WebhookAttempts::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(WebhookEvents::Table).to_owned())
            .await
    }
}
