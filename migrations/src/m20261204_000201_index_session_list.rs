//! Indexes behind the dashboard's session list, so its pages cost the same
//! at a million sessions as at ten: the newest-first keyset order of one
//! merchant (`merchant_id, created_at, id`), the same within one status
//! (the status filter) and within one order id (the order filter, its
//! rows already in list order), and one merchant's paid sessions by the time they
//! were paid with their settled amount, so the paid volume per day is read
//! from the index alone.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Sessions {
    Table,
    Id,
    MerchantId,
    Status,
    CreatedAt,
    PaidAt,
    ReceivedUsdc,
    OrderId,
}

const CREATED: &str = "idx_sessions_merchant_created";
const STATUS_CREATED: &str = "idx_sessions_merchant_status_created";
const ORDER_CREATED: &str = "idx_sessions_merchant_order_created";
const PAID: &str = "idx_sessions_merchant_status_paid";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(CREATED)
                    .table(Sessions::Table)
                    .col(Sessions::MerchantId)
                    .col(Sessions::CreatedAt)
                    .col(Sessions::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(STATUS_CREATED)
                    .table(Sessions::Table)
                    .col(Sessions::MerchantId)
                    .col(Sessions::Status)
                    .col(Sessions::CreatedAt)
                    .col(Sessions::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(ORDER_CREATED)
                    .table(Sessions::Table)
                    .col(Sessions::MerchantId)
                    .col(Sessions::OrderId)
                    .col(Sessions::CreatedAt)
                    .col(Sessions::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(PAID)
                    .table(Sessions::Table)
                    .col(Sessions::MerchantId)
                    .col(Sessions::Status)
                    .col(Sessions::PaidAt)
                    .col(Sessions::ReceivedUsdc)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for name in [CREATED, STATUS_CREATED, ORDER_CREATED, PAID] {
            manager
                .drop_index(Index::drop().name(name).table(Sessions::Table).to_owned())
                .await?;
        }
        Ok(())
    }
}
